// Volatile subtrees (KDir.volatile): the FUSE mount lets the host kernel cache positive lookups
// and attributes everywhere else (DESIGN.md §3), so no name outside them may ever vanish or
// change type or mode while the machine runs. Kernfs.volatileDirs() lists where they start.
import { describe, expect, it } from 'vitest';
import { Kernfs, attr, dir, dynamicDir, overlayDir, type KDir } from '../../../src/kernfs/index.js';
import { bootPreset, spawn } from '../kernel/boot.js';

const file = attr({ mode: 0o444, show: () => 'x\n' });
const vol = (entries: Record<string, KDir | typeof file> = {}): KDir => {
  const d = dir(entries);
  d.volatile = true;
  return d;
};

describe('Kernfs.volatileDirs: the outermost volatile directories, by path', () => {
  it.each<[string, KDir, string[]]>([
    ['no volatile directory', dir({ a: dir({ f: file }), g: file }), []],
    ['a volatile static directory', dir({ a: dir({ b: vol() }) }), ['a/b']],
    ['a volatile dynamic directory', dir({ d: dynamicDir({ volatile: true, list: () => [], lookup: () => undefined }) }), ['d']],
    ['a volatile directory inside another counts once', dir({ a: vol({ b: vol() }) }), ['a']],
    ['siblings each count', dir({ a: vol(), b: dir({ c: vol() }) }), ['a', 'b/c']],
    ['the root itself', vol({ a: vol() }), ['']],
    ['an overlay takes the flag from either side', overlayDir(dir({ a: vol() }), dir({ a: dir() })), ['a']],
  ])('%s', (_name, root, expected) => {
    expect(new Kernfs(root).volatileDirs()).toEqual(expected);
  });
});

/** Every path outside the volatile subtrees, with its file type and mode. */
function staticPaths(fs: Kernfs): Map<string, number> {
  const volatile = new Set(fs.volatileDirs());
  const out = new Map<string, number>();
  const visit = (path: string) => {
    for (const name of fs.readdir(path)) {
      const p = path === '' ? name : `${path}/${name}`;
      if (volatile.has(p)) continue;
      const st = fs.stat(p);
      out.set(p, st.mode);
      if ((st.mode & 0o170000) === 0o040000) visit(p);
    }
  };
  visit('');
  return out;
}

describe('the booted tree: names outside the volatile subtrees never vanish', () => {
  it('volatile subtrees are sim/processes, debugfs damon, DAMON sysfs kdamonds and memory_tiering', () => {
    expect(bootPreset().fs.volatileDirs().sort()).toEqual(['sim/processes', 'sys/devices/virtual/memory_tiering', 'sys/kernel/debug/damon', 'sys/kernel/mm/damon/admin/kdamonds']);
  });

  it('DAMON contexts (debugfs and sysfs), reaped processes, an offline node and an offline CPU change no static name', async () => {
    const k = bootPreset();
    const kdamonds = 'sys/kernel/mm/damon/admin/kdamonds';
    k.fs.writeFile(`${kdamonds}/nr_kdamonds`, '1');
    k.fs.writeFile(`${kdamonds}/0/contexts/nr_contexts`, '1');
    const before = staticPaths(k.fs);
    k.fs.writeFile(`${kdamonds}/0/contexts/nr_contexts`, '0');
    k.fs.writeFile(`${kdamonds}/nr_kdamonds`, '0');
    k.fs.writeFile('sys/kernel/debug/damon/mk_contexts', 'c1');
    k.fs.writeFile('sys/kernel/debug/damon/rm_contexts', 'c1');
    const pid = await spawn(k, 'idle size=4M');
    k.fs.writeFile(`sim/processes/${pid}/kill`, '9');
    const cxl = k.fs.readdir('sys/devices/system/node/node1').filter((n) => n.startsWith('memory'));
    for (const m of cxl) k.fs.writeFile(`sys/devices/system/memory/${m}/state`, 'offline');
    expect(k.fs.readFile('sys/devices/system/node/has_memory')).toBe('0\n');
    k.fs.writeFile('sys/devices/system/cpu/cpu1/online', '0');
    const after = staticPaths(k.fs);
    for (const [path, mode] of before) expect([path, after.get(path)]).toEqual([path, mode]);
  });
});
