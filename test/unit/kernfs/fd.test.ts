// The FD layer's per-kind rules: snapshots, offsets, partial writes, open-time EACCES.
import { describe, expect, it } from 'vitest';
import {
  EACCES, EINVAL, EIO, ENOENT, ENOTDIR, EISDIR, Kernfs, O_RDONLY, O_RDWR, O_WRONLY, attr, debugfsFile, dir,
  dynamicDir, overlayDir, seqFile, symlink, sysctlFile, type KFile,
} from '../../../src/kernfs/index.js';

function tree(files: Record<string, KFile>) {
  return new Kernfs(dir({ d: dir(files), link: symlink('d/a') }));
}

const USER = { uid: 1000, capSysAdmin: false };

describe('sysfs attributes', () => {
  it('report size 4096 whatever they hold, and the declared size for binary attributes', () => {
    const fs = tree({ a: attr({ mode: 0o444, show: () => 'x\n' }), b: attr({ mode: 0o444, size: 28672, show: () => '\n' }) });
    expect(fs.stat('d/a')).toMatchObject({ size: 4096, mode: 0o100444 });
    expect(fs.stat('d/b').size).toBe(28672);
    expect(fs.stat('d').mode).toBe(0o040755);
    expect(fs.stat('link').mode).toBe(0o120777);
  });

  it('render once per read at offset 0 and serve later offsets from that snapshot', () => {
    let n = 0;
    const fs = tree({ a: attr({ mode: 0o444, show: () => `value-${++n}\n` }) });
    const fh = fs.open('d/a', O_RDONLY);
    expect(fs.read(fh, 3, 0).toString()).toBe('val');
    expect(fs.read(fh, 100, 3).toString()).toBe('ue-1\n'); // same snapshot although state moved on
    expect(fs.read(fh, 100, 8).length).toBe(0);
    expect(fs.read(fh, 100, 0).toString()).toBe('value-2\n'); // a new read at 0 regenerates
    fs.release(fh);
    expect(fs.openCount).toBe(0);
  });

  it('pass each write(2) to one store, ignoring the offset, capped at 4096 bytes', () => {
    const got: string[] = [];
    const fs = tree({ a: attr({ mode: 0o644, show: () => '', store: (s) => void got.push(s) }) });
    const fh = fs.open('d/a', O_WRONLY);
    expect(fs.write(fh, Buffer.from('1\n'), 0)).toBe(2);
    expect(fs.write(fh, Buffer.from('2\n'), 77)).toBe(2);
    expect(fs.write(fh, Buffer.alloc(5000, 0x31), 0)).toBe(4096);
    expect(fs.write(fh, Buffer.alloc(0), 0)).toBe(0);
    // a piece of a longer write(2) is a short write of one page too (kernfs_fop_write_iter)
    expect(fs.write(fh, Buffer.alloc(130_000, 0x32), 4096, true)).toBe(4096);
    expect(got.map((s) => s.length)).toEqual([2, 2, 4096, 4096]);
  });

  it.each([
    ['open for write without store is EACCES, even for root', { mode: 0o444, show: () => '' }, O_WRONLY],
    ['open for read without show is EACCES, even for root', { mode: 0o200, store: () => {} }, O_RDONLY],
    ['O_RDWR on a read-only attribute is EACCES', { mode: 0o444, show: () => '' }, O_RDWR],
  ])('%s', (_name, spec, flags) => {
    const fs = tree({ a: attr(spec) });
    expect(() => fs.open('d/a', flags)).toThrow(EACCES);
  });

  it('non-root callers get DAC: EACCES for writes to 0644, reads of 0600, traversal of 0700 dirs', () => {
    const fs = new Kernfs(dir({
      pub: attr({ mode: 0o644, show: () => 'p\n', store: () => {} }),
      priv: attr({ mode: 0o600, show: () => 's\n', store: () => {} }),
      debug: dir({ f: attr({ mode: 0o444, show: () => '' }) }, 0o700),
    }));
    expect(fs.readFile('pub', USER)).toBe('p\n');
    expect(() => fs.writeFile('pub', '1', USER)).toThrow(EACCES);
    expect(() => fs.readFile('priv', USER)).toThrow(EACCES);
    expect(() => fs.readFile('debug/f', USER)).toThrow(EACCES);
    expect(() => fs.readdir('debug', USER)).toThrow(EACCES);
  });
});

describe('procfs seq files', () => {
  it('are size 0, read whole past 4 KiB from one snapshot, and refuse writes with EIO', () => {
    const big = 'x'.repeat(10000) + '\n';
    const fs = tree({ v: seqFile(0o444, () => big) });
    expect(fs.stat('d/v').size).toBe(0);
    expect(fs.readFile('d/v')).toBe(big);
    const fh = fs.open('d/v', O_WRONLY);
    expect(() => fs.write(fh, Buffer.from('1'), 0)).toThrow(EIO);
  });
});

describe('sysctl files', () => {
  it('read at offset > 0 is EOF and a short first read truncates', () => {
    const fs = tree({ s: sysctlFile({ mode: 0o644, show: () => '1\n', store: () => {} }) });
    const fh = fs.open('d/s', O_RDONLY);
    expect(fs.read(fh, 1, 0).toString()).toBe('1');
    expect(fs.read(fh, 10, 1).length).toBe(0);
  });

  it('ignore writes past the start (sysctl_writes_strict) and report short writes', () => {
    const got: string[] = [];
    const fs = tree({ s: sysctlFile({ mode: 0o644, show: () => '', store: (s) => { got.push(s); return 2; } }) });
    const fh = fs.open('d/s', O_WRONLY);
    expect(fs.write(fh, Buffer.from('2 3\n'), 0)).toBe(2);
    expect(fs.write(fh, Buffer.from('3\n'), 2)).toBe(0);
    expect(got).toEqual(['2 3\n']);
  });

  it('without a store refuse write opens with EACCES (table mode, root included)', () => {
    const fs = tree({ s: sysctlFile({ mode: 0o444, show: () => '' }) });
    expect(() => fs.open('d/s', O_WRONLY)).toThrow(EACCES);
  });
});

describe('debugfs files', () => {
  it('reject writes at a non-zero offset with EINVAL when the file asks for it', () => {
    const fs = tree({ f: debugfsFile({ mode: 0o600, show: () => 'a\n', store: () => {}, rejectOffsetWrite: true }) });
    const fh = fs.open('d/f', O_WRONLY);
    expect(fs.write(fh, Buffer.from('x'), 0)).toBe(1);
    expect(() => fs.write(fh, Buffer.from('x'), 1)).toThrow(EINVAL);
  });

  it.each([
    ['a DAMON-style file', true],
    ['a file that ignores the offset', false],
  ])('refuse a piece that may be only part of a write(2) with EINVAL, calling no store: %s', (_what, rejectOffsetWrite) => {
    const got: string[] = [];
    const fs = tree({ f: debugfsFile({ mode: 0o600, store: (s) => void got.push(s), rejectOffsetWrite }) });
    const fh = fs.open('d/f', O_WRONLY);
    expect(() => fs.write(fh, Buffer.alloc(130_000, 0x31), 0, true)).toThrow(EINVAL);
    expect(fs.write(fh, Buffer.alloc(100_000, 0x31), 0, false)).toBe(100_000);
    expect(got.map((s) => s.length)).toEqual([100_000]);
  });

  it('without read or write methods fail read(2)/write(2) with EINVAL (open succeeds)', () => {
    const fs = tree({ w: debugfsFile({ mode: 0o200, store: () => {} }), r: debugfsFile({ mode: 0o400, show: () => '1\n' }) });
    const w = fs.open('d/w', O_RDWR);
    expect(() => fs.read(w, 10, 0)).toThrow(EINVAL);
    const r = fs.open('d/r', O_RDWR);
    expect(() => fs.write(r, Buffer.from('1'), 0)).toThrow(EINVAL);
  });
});

describe('paths', () => {
  it('resolve through static and dynamic directories with the right errno', () => {
    const fs = new Kernfs(dir({
      nodes: dynamicDir({ list: () => ['node0'], lookup: (n) => (n === 'node0' ? attr({ mode: 0o444, show: () => '0\n' }) : undefined) }),
    }));
    expect(fs.readdir('nodes')).toEqual(['node0']);
    expect(fs.readFile('/nodes/node0')).toBe('0\n');
    expect(() => fs.stat('nodes/node1')).toThrow(ENOENT);
    expect(() => fs.stat('nodes/node0/x')).toThrow(ENOTDIR);
    expect(() => fs.open('nodes', O_RDONLY)).toThrow(EISDIR);
  });

  it('overlay directories merge, the upper winning on name clashes', () => {
    const upper = dir({ a: attr({ mode: 0o444, show: () => 'upper\n' }), sub: dir({ x: attr({ mode: 0o444, show: () => 'x\n' }) }) });
    const lower = dir({ a: attr({ mode: 0o444, show: () => 'lower\n' }), b: attr({ mode: 0o444, show: () => 'b\n' }), sub: dir({ y: attr({ mode: 0o444, show: () => 'y\n' }) }) });
    const fs = new Kernfs(overlayDir(upper, lower));
    expect(fs.readdir('')).toEqual(['a', 'sub', 'b']);
    expect(fs.readFile('a')).toBe('upper\n');
    expect(fs.readdir('sub')).toEqual(['x', 'y']);
  });
});
