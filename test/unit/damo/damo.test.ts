// The damo port without a kernel: record files built by hand (as another writer would) report
// exactly and bin as damo bins; the paddr layout is read from a plain-file tree; human-readable
// schemes convert to the kernel's format. The figures are tested in figures.test.ts.
import { mkdtempSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KernelFiles } from '../../../src/damo/fs.js';
import { defaultPaddrRegion, formatSz, paddrRanges, paddrRegionsOf } from '../../../src/damo/layout.js';
import { parseRecord } from '../../../src/damo/recfile.js';
import { convertScheme, parseRegions } from '../../../src/damo/record.js';
import { Damon } from '../../../src/damo/damon.js';
import { heatGrid, pyRange, reportHeats, reportNrRegions, reportRaw, reportWss } from '../../../src/damo/report.js';
import { encodeSnapshot } from '../../../src/kernel/mm/damon/record.js';
import { DamonRegion, DamonTarget } from '../../../src/kernel/mm/damon/core.js';

/** A record file as a 2020 kernel would write it, built field by field. */
function buildRecord(version: 0 | 1 | 2, snaps: Array<{ t: number; targets: Array<{ id: number; regions: Array<[number, number, number]> }> }>): Buffer {
  const parts: Buffer[] = [];
  if (version > 0) {
    const h = Buffer.alloc(20);
    h.write('damon_recfmt_ver', 0, 'latin1');
    h.writeInt32LE(version, 16);
    parts.push(h);
  }
  for (const s of snaps) {
    const head = Buffer.alloc(20);
    head.writeBigInt64LE(BigInt(Math.floor(s.t / 1e9)), 0);
    head.writeBigInt64LE(BigInt(s.t % 1e9), 8);
    head.writeUInt32LE(s.targets.length, 16);
    parts.push(head);
    for (const t of s.targets) {
      const id = Buffer.alloc(version === 1 ? 4 : 8);
      if (version === 1) id.writeInt32LE(t.id);
      else id.writeBigUInt64LE(BigInt.asUintN(64, BigInt(t.id)));
      const nr = Buffer.alloc(4);
      nr.writeUInt32LE(t.regions.length);
      parts.push(id, nr);
      for (const [a, b, n] of t.regions) {
        const r = Buffer.alloc(20);
        r.writeBigUInt64LE(BigInt(a), 0);
        r.writeBigUInt64LE(BigInt(b), 8);
        r.writeUInt32LE(n, 16);
        parts.push(r);
      }
    }
  }
  return Buffer.concat(parts);
}

const SNAPS = [
  { t: 1_000_000_000, targets: [{ id: -1, regions: [[0x1000, 0x3000, 5], [0x3000, 0x10000, 0]] as Array<[number, number, number]> }] },
  { t: 1_100_000_000, targets: [{ id: -1, regions: [[0x1000, 0x2000, 20], [0x2000, 0x10000, 1]] as Array<[number, number, number]> }] },
  { t: 1_200_000_000, targets: [{ id: -1, regions: [[0x1000, 0x2000, 18], [0x2000, 0x8000, 0], [0x8000, 0x10000, 2]] as Array<[number, number, number]> }] },
];

describe('record files', () => {
  it.each([0, 1, 2] as const)('version %d parses to the same snapshots', (v) => {
    const rec = parseRecord(buildRecord(v, SNAPS));
    expect(rec.version).toBe(v);
    expect(rec.snapshots.map((s) => [s.timeNs, s.targets[0]!.regions.length])).toEqual([[1e9, 2], [1.1e9, 2], [1.2e9, 3]]);
  });

  it('the kernel’s encoder writes what the reader reads (v2, -1 as ULONG_MAX)', () => {
    const t = new DamonTarget(-1);
    t.regions = [Object.assign(new DamonRegion(4096, 8192), { nrAccesses: 7 })];
    const rec = parseRecord(Buffer.concat([buildRecord(2, []), encodeSnapshot(2_500_000_123, [t])]));
    expect(rec.snapshots).toEqual([{ timeNs: 2_500_000_123, targets: [{ id: 2n ** 64n - 1n, regions: [{ start: 4096, end: 8192, nrAccesses: 7 }] }] }]);
  });

  it('a truncated file is an error naming the offset', () => {
    expect(() => parseRecord(buildRecord(2, SNAPS).subarray(0, 50))).toThrow(/truncated at byte \d+/);
  });
});

describe('reports', () => {
  const rec = parseRecord(buildRecord(2, SNAPS));

  it('raw prints every snapshot in bin2txt’s format', () => {
    expect(reportRaw(rec).split('\n').slice(0, 9)).toEqual([
      'start_time: 1000000000',
      'rel time: 0',
      'nr_tasks: 1',
      'target_id: -1',
      'nr_regions: 2',
      '000000001000-000000003000(      8192):\t5',
      '000000003000-000000010000(     53248):\t0',
      '',
      'rel time: 100000000',
    ]);
  });

  const dist = { range: [0, 101, 50] as [number, number, number], sortby: 'size' as const, excludeSamples: 0, accThres: 1, szThres: 1 };

  it('wss: percentiles of the bytes with nr_accesses >= 1 per snapshot', () => {
    // per snapshot: 8192; 4096 + 57344 = 61440; 4096 + 32768 = 36864 → sorted 8192 36864 61440
    expect(reportWss(rec, dist)).toBe('# <percentile> <wss>\n# target_id\t-1\n# avr:\t35498\n0\t8192\n50\t36864\n100\t61440\n');
  });

  it.each([
    [[0, 101, 25], [0, 25, 50, 75, 100]],
    [[0, 100, 50], [0, 50]],
    [[100, -1, -50], [100, 50, 0]],
  ] as Array<[[number, number, number], number[]]>)('--range %j is Python range(): %j', (range, want) => {
    expect(pyRange(...range)).toEqual(want);
    const lines = reportWss(rec, { ...dist, range }).split('\n').filter((l) => /^\d/.test(l));
    expect(lines.map((l) => Number(l.split('\t')[0]))).toEqual(want);
  });

  it('--sortby time keeps snapshot order (percent of runtime)', () => {
    expect(reportWss(rec, { ...dist, sortby: 'time' }).split('\n').slice(3, 6)).toEqual(['0\t8192', '50\t61440', '100\t36864']);
  });

  it('the percentile index is int(percentile / 100.0 * len), as damo computes it', () => {
    // 100 snapshots whose wss is 4096 × (i + 1): 29 / 100 * 100 is 28.999999999999996 in binary floating point.
    const many = parseRecord(buildRecord(2, Array.from({ length: 100 }, (_, i) => ({ t: (i + 1) * 1e8, targets: [{ id: -1, regions: [[0, 4096 * (i + 1), 1]] as Array<[number, number, number]> }] }))));
    expect(reportWss(many, { ...dist, range: [29, 30, 1] }).split('\n')[3]).toBe(`29\t${4096 * 29}`);
  });

  it('nr_regions: percentiles of the region count, under damo\'s header', () => {
    expect(reportNrRegions(rec, { ...dist, range: [0, 101, 100] })).toBe('# <percentile> <# regions>\n# target_id\t-1\n# avr:\t2\n0\t2\n100\t3\n');
  });

  const heats = { tres: 2, ares: 2, guide: false, absTime: false, absAddr: false };

  it('heats --guide gives the time span and the covered address range', () => {
    expect(reportHeats(rec, { ...heats, guide: true })).toBe('target_id:-1\ntime: 1000000000-1200000000 (200000000)\nregion\t0: 0x000000001000-0x000000010000 (61440)\n');
  });

  it('heats: each cell is the time × space weighted mean nr_accesses, at offsets from the range start', () => {
    // Cells of 100 ms × 30720 bytes from 0x1000. Snapshot 2 covers (1.0 s, 1.1 s]: 20 accesses on
    // 4096 bytes + 1 on 26624 bytes of the low cell, 1 on the high cell; snapshot 3: 18 on 4096 + 2 on 2048, and 2.
    expect(reportHeats(rec, heats)).toBe(
      ['0\t0\t' + String((20 * 4096 + 26624) / 30720), '0\t30720\t1.0', '100000000\t0\t' + String((18 * 4096 + 2 * 2048) / 30720), '100000000\t30720\t2.0', ''].join('\n'),
    );
  });

  it('heats --abs_time --abs_addr prints absolute times and addresses', () => {
    expect(reportHeats(rec, { ...heats, absTime: true, absAddr: true }).split('\n').map((l) => l.split('\t').slice(0, 2).join(' '))).toEqual([
      '1000000000 4096',
      '1000000000 34816',
      '1100000000 4096',
      '1100000000 34816',
      '',
    ]);
  });

  it('heats shrinks the ranges to whole cells (integer cell sizes), as damo does', () => {
    const g = heatGrid(rec, { ...heats, tres: 3, ares: 7 });
    expect([g.tunit, g.tmax, g.aunit, g.amax]).toEqual([66666666, 1e9 + 3 * 66666666, 8777, 0x1000 + 7 * 8777]);
  });

  it.each([
    [{ tres: 300_000_000 }, /time range is shorter than --tres/],
    [{ ares: 100_000 }, /address range is smaller than --ares/],
    [{ tid: '7' }, /no snapshot of target 7/],
  ])('heats %j is refused with a message', (o, msg) => {
    expect(() => reportHeats(rec, { ...heats, ...o })).toThrow(msg);
  });
});

describe('paddr layout from plain files', () => {
  const root = mkdtempSync(join(tmpdir(), 'damo-root-'));
  const bs = 0x8000000; // 128 MiB
  mkdirSync(join(root, 'proc'), { recursive: true });
  writeFileSync(join(root, 'proc/iomem'), '00000000-00000fff : Reserved\n00001000-0009ffff : System RAM\n00100000-0fffffff : System RAM\n  01000000-01ffffff : Kernel code\n10000000-1fffffff : System RAM (kmem)\n');
  mkdirSync(join(root, 'sys/devices/system/memory'), { recursive: true });
  writeFileSync(join(root, 'sys/devices/system/memory/block_size_bytes'), `${bs.toString(16)}\n`);
  for (let i = 0; i < 4; i++) {
    const nid = i < 2 ? 0 : 1;
    mkdirSync(join(root, `sys/devices/system/memory/memory${i}`), { recursive: true });
    writeFileSync(join(root, `sys/devices/system/memory/memory${i}/state`), 'online\n');
    mkdirSync(join(root, `sys/devices/system/node/node${nid}`), { recursive: true });
    symlinkSync(`../../memory/memory${i}`, join(root, `sys/devices/system/node/node${nid}/memory${i}`));
  }
  const fs = new KernelFiles(root);

  it('the default paddr region is the largest System RAM line (kmem counts), end exclusive', () => {
    expect(defaultPaddrRegion(fs)).toEqual([0x10000000, 0x20000000]); // 256 MiB of kmem beats 255 MiB
  });

  it('node regions come from memory blocks × iomem, node 0 included', () => {
    expect(paddrRegionsOf(fs, 0)).toEqual([[0x1000, 0xa0000], [0x100000, 0x10000000]]);
    expect(paddrRegionsOf(fs, 1)).toEqual([[0x10000000, 0x20000000]]);
    expect(paddrRanges(fs).map((r) => r.nid)).toEqual([0, 0, 1]);
    expect(() => paddrRegionsOf(fs, 5)).toThrow(/node 5 has no System RAM/);
  });

  it('sizes print as damo prints them', () => {
    expect([formatSz(4096), formatSz(10 * 1024 ** 3), formatSz(100)]).toEqual(['4.000 KiB', '10.000 GiB', '100 B']);
  });
});

describe('schemes and regions input', () => {
  it.each([
    ['4K max min min 1s max pageout', 7, '4096\t18446744073709551615\t0\t0\t10\t4294967295\t2'],
    ['min max 50% max 0 max willneed', 7, '0\t18446744073709551615\t10\t20\t0\t4294967295\t0'],
    ['2M 1G 0 5% 100ms 2m stat', 18, '2097152\t1073741824\t0\t1\t1\t1200\t5\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0'],
  ])('%j → kernel form (%d fields)', (line, fields, want) => {
    expect(convertScheme(line, 5000, 100000, fields)).toBe(want);
  });

  it.each([['1G 2G min max 0 max fly'], ['1Q 2G min max 0 max stat'], ['1G 2G min']])('%j is refused with a message', (line) => {
    expect(() => convertScheme(line, 5000, 100000, 7)).toThrow(/scheme/);
  });

  it('--regions must be ascending, non-overlapping decimal START-END pairs', () => {
    expect(parseRegions('4096-8192 8192-16384')).toEqual([[4096, 8192], [8192, 16384]]);
    expect(() => parseRegions('8192-4096')).toThrow(/empty/);
    expect(() => parseRegions('4096-8192 6000-9000')).toThrow(/overlaps/);
    expect(() => parseRegions('0x1000-0x2000')).toThrow(/decimal/);
  });
});

describe('save and restore keep unsigned longs exact', () => {
  it('attrs of ULONG_MAX come back digit for digit after current() / apply()', () => {
    const root = mkdtempSync(join(tmpdir(), 'damo-attrs-'));
    const d = join(root, 'sys/kernel/debug/damon');
    mkdirSync(d, { recursive: true });
    const UL = '18446744073709551615';
    writeFileSync(join(d, 'attrs'), `5000 100000 ${UL} 10 ${UL}\n`);
    writeFileSync(join(d, 'schemes'), '4096 8192 0 5 10 20 5 0 0\n');
    writeFileSync(join(d, 'monitor_on'), 'off\n');
    writeFileSync(join(d, 'target_ids'), '\n');
    writeFileSync(join(d, 'record'), '0 none\n');
    const damon = new Damon(new KernelFiles(root));
    const saved = damon.current();
    writeFileSync(join(d, 'attrs'), '1 2 3 4 5\n');
    damon.apply(saved);
    expect(readFileSync(join(d, 'attrs'), 'latin1')).toBe(`5000 100000 ${UL} 10 ${UL} \n`);
  });
});

describe('kernel-written records of both target generations', () => {
  it('v1 (pids): 4-byte int ids, paddr -1 stays -1; v2 (target_ids): 8-byte ids', () => {
    const t = new DamonTarget(-1);
    t.regions = [Object.assign(new DamonRegion(4096, 8192), { nrAccesses: 3 })];
    const p = new DamonTarget(4242);
    p.regions = [Object.assign(new DamonRegion(0x10000, 0x20000), { nrAccesses: 9 })];
    const v1 = parseRecord(Buffer.concat([buildRecord(1, []), encodeSnapshot(1e9, [t, p], 1)]));
    expect(v1.snapshots[0]!.targets.map((x) => x.id)).toEqual([-1n, 4242n]);
    expect(reportRaw(v1)).toContain('target_id: -1\n');
    const v2 = parseRecord(Buffer.concat([buildRecord(2, []), encodeSnapshot(1e9, [t, p], 2)]));
    expect(v2.snapshots[0]!.targets.map((x) => x.id)).toEqual([2n ** 64n - 1n, 4242n]);
    expect(v1.snapshots[0]!.targets[1]!.regions).toEqual(v2.snapshots[0]!.targets[1]!.regions);
  });
});
