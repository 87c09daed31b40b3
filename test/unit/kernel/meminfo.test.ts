// /proc/meminfo and nodeN/meminfo (spec kernel-files.md §3.3; line set and columns of the
// Linux 6.18 reference host).
import { describe, expect, it } from 'vitest';
import { S_IFREG } from '../../../src/kernfs/index.js';
import { offlineBlock } from '../../../src/kernel/mm/memory_hotplug.js';
import { directMapKb, memAvailablePages, nodeMeminfoText } from '../../../src/kernel/mm/meminfo.js';
import { bootPreset as boot } from './boot.js';

const GLOBAL_LABELS = [
  'MemTotal', 'MemFree', 'MemAvailable', 'Buffers', 'Cached', 'SwapCached', 'Active', 'Inactive',
  'Active(anon)', 'Inactive(anon)', 'Active(file)', 'Inactive(file)', 'Unevictable', 'Mlocked',
  'SwapTotal', 'SwapFree', 'Zswap', 'Zswapped', 'Dirty', 'Writeback', 'AnonPages', 'Mapped', 'Shmem',
  'KReclaimable', 'Slab', 'SReclaimable', 'SUnreclaim', 'KernelStack', 'PageTables', 'SecPageTables',
  'NFS_Unstable', 'Bounce', 'WritebackTmp', 'CommitLimit', 'Committed_AS', 'VmallocTotal', 'VmallocUsed',
  'VmallocChunk', 'Percpu', 'AnonHugePages', 'ShmemHugePages', 'ShmemPmdMapped', 'FileHugePages',
  'FilePmdMapped', 'Balloon', 'HugePages_Total', 'HugePages_Free', 'HugePages_Rsvd', 'HugePages_Surp',
  'Hugepagesize', 'Hugetlb', 'DirectMap4k', 'DirectMap2M', 'DirectMap1G',
];

const NODE_LABELS = [
  'MemTotal', 'MemFree', 'MemUsed', 'SwapCached', 'Active', 'Inactive', 'Active(anon)', 'Inactive(anon)',
  'Active(file)', 'Inactive(file)', 'Unevictable', 'Mlocked', 'Dirty', 'Writeback', 'FilePages', 'Mapped',
  'AnonPages', 'Shmem', 'KernelStack', 'PageTables', 'SecPageTables', 'NFS_Unstable', 'Bounce',
  'WritebackTmp', 'KReclaimable', 'Slab', 'SReclaimable', 'SUnreclaim', 'AnonHugePages', 'ShmemHugePages',
  'ShmemPmdMapped', 'FileHugePages', 'FilePmdMapped', 'HugePages_Total', 'HugePages_Free', 'HugePages_Surp',
];

function parse(text: string, prefix = ''): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of text.split('\n').filter((x) => x !== '')) {
    const match = /^(\S+):\s+(\d+)(?: kB)?$/.exec(l.slice(prefix.length));
    expect(match, l).not.toBeNull();
    m.set(match![1]!, Number(match![2]));
  }
  return m;
}

describe('/proc/meminfo', () => {
  it('is a 0444 seq file of size 0', () => {
    expect(boot().fs.stat('proc/meminfo')).toMatchObject({ mode: S_IFREG | 0o444, size: 0 });
  });

  it('has the 6.18 lines in order', () => {
    expect([...parse(boot().fs.readFile('proc/meminfo')).keys()]).toEqual(GLOBAL_LABELS);
  });

  it('aligns like show_val_kb: label padded to 16, value in 8 columns, " kB"', () => {
    const lines = boot().fs.readFile('proc/meminfo').split('\n').filter((l) => l !== '');
    for (const l of lines) {
      if (l.startsWith('HugePages_')) expect(l, l).toMatch(/^HugePages_\w+:\s+\d+$/);
      else expect(l.endsWith(' kB'), l).toBe(true);
      const value = l.replace(/ kB$/, '');
      // The value column ends at byte 24 unless the number is wider than 8 digits.
      if (value.length === 24) expect(value.slice(0, 16)).toMatch(/^\S+:\s*$/);
      else expect(l).toMatch(/^VmallocTotal: {3}\d{9,} kB$/);
    }
    const text = boot().fs.readFile('proc/meminfo');
    expect(text).toContain('\nVmallocTotal:   34359738367 kB\n');
    expect(text).toContain('\nHugePages_Total:       0\n');
    expect(text).toContain('\nHugepagesize:       2048 kB\n');
    expect(text).toMatch(/^MemTotal: {7}\d{8} kB\n/);
  });

  it('CommitLimit is half of MemTotal plus SwapTotal; DirectMap covers all RAM', () => {
    const k = boot();
    const m = parse(k.fs.readFile('proc/meminfo'));
    expect(m.get('CommitLimit')).toBe(Math.floor(m.get('MemTotal')! / 4 / 2) * 4 + m.get('SwapTotal')!);
    const ram = k.layout.ram.reduce((s, r) => s + (r.end - r.start + 1), 0);
    const dm = directMapKb(k);
    expect(dm.k4 + dm.m2 + dm.g1).toBe(ram / 1024);
    // cxl-2node: 4 KiB pages for the first 2 MiB, 2 MiB pages up to 1 GiB, 1 GiB pages after.
    expect(dm).toEqual({ k4: 2048, m2: 1024 * 1024 - 2048, g1: 31 * 1024 * 1024 });
  });

  it('MemAvailable is free minus the reserves (no page cache yet) and below MemFree', () => {
    const k = boot();
    const m = parse(k.fs.readFile('proc/meminfo'));
    expect(m.get('MemAvailable')).toBe(memAvailablePages(k) * 4);
    expect(m.get('MemAvailable')!).toBeLessThan(m.get('MemFree')!);
    expect(m.get('MemAvailable')!).toBeGreaterThan(m.get('MemFree')! * 0.9);
  });

  it('slab, stacks and page tables come from the boot counters', () => {
    const k = boot();
    const m = parse(k.fs.readFile('proc/meminfo'));
    const b = k.bootMemory.get(0)!;
    expect(m.get('SReclaimable')).toBe(b.slabReclaimablePages * 4);
    expect(m.get('SUnreclaim')).toBe(b.slabUnreclaimablePages * 4);
    expect(m.get('Slab')).toBe((b.slabReclaimablePages + b.slabUnreclaimablePages) * 4);
    expect(m.get('KernelStack')).toBe(b.kernelStackKb);
    expect(m.get('PageTables')).toBe(b.pageTablePages * 4);
    expect(m.get('Percpu')).toBe(b.percpuPages * 4);
  });
});

describe('nodeN/meminfo', () => {
  it('has the 6.x node lines in order, each prefixed "Node N "', () => {
    const k = boot();
    const text = nodeMeminfoText(k, 1);
    for (const l of text.split('\n').filter((x) => x !== '')) expect(l.startsWith('Node 1 ')).toBe(true);
    expect([...parse(text, 'Node 1 ').keys()]).toEqual(NODE_LABELS);
  });

  it('is byte-aligned: 16-column label + %8lu kB, hugetlb 17-column label + %5u', () => {
    const lines = nodeMeminfoText(boot(), 0).split('\n').filter((x) => x !== '');
    for (const l of lines) {
      if (l.includes('HugePages_')) expect(l).toMatch(/^Node 0 HugePages_\w+: +\d+$/);
      if (l.includes('HugePages_')) expect(l.length).toBe('Node 0 '.length + 17 + 5);
      else expect(l.length, l).toBe('Node 0 '.length + 16 + 8 + 3);
    }
    expect(lines[0]).toMatch(/^Node 0 MemTotal: {7}\d{8} kB$/);
    expect(lines).toContain('Node 0 HugePages_Total:     0');
    expect(lines).toContain('Node 0 HugePages_Free:      0');
  });

  it('MemUsed = MemTotal - MemFree; a CXL node reports its onlined capacity', () => {
    const k = boot();
    const n1 = parse(nodeMeminfoText(k, 1), 'Node 1 ');
    expect(n1.get('MemUsed')).toBe(n1.get('MemTotal')! - n1.get('MemFree')!);
    expect(n1.get('MemTotal')).toBe(16 * 1024 * 1024);
    offlineBlock(k.alloc, k.vm, k.alloc.blocksOf(1)[5]!);
    expect(parse(nodeMeminfoText(k, 1), 'Node 1 ').get('MemTotal')).toBe(16 * 1024 * 1024 - 128 * 1024);
  });

  it.each(['cxl-2node', '2socket-cxl', 'epyc-2node-256g'])('%s: node MemTotal and MemFree sum to /proc/meminfo', (preset) => {
    const k = boot(preset);
    const g = parse(k.fs.readFile('proc/meminfo'));
    let total = 0;
    let free = 0;
    for (const nid of k.numa.online) {
      const n = parse(nodeMeminfoText(k, nid), `Node ${nid} `);
      total += n.get('MemTotal')!;
      free += n.get('MemFree')!;
    }
    expect(total).toBe(g.get('MemTotal'));
    expect(free).toBe(g.get('MemFree'));
    expect(g.get('MemTotal')).toBe(k.numa.online.reduce((s, nid) => s + k.alloc.managedPages(nid) * 4, 0));
  });

  it('MemFree drops by exactly the pages allocated × 4 kB on the node they came from', () => {
    const k = boot();
    const before0 = parse(nodeMeminfoText(k, 0), 'Node 0 ');
    const before1 = parse(nodeMeminfoText(k, 1), 'Node 1 ');
    const beforeG = parse(k.fs.readFile('proc/meminfo'));
    k.alloc.alloc(1, 1000, { movable: true, cpuNid: 0 });
    const after0 = parse(nodeMeminfoText(k, 0), 'Node 0 ');
    const after1 = parse(nodeMeminfoText(k, 1), 'Node 1 ');
    const afterG = parse(k.fs.readFile('proc/meminfo'));
    expect(before1.get('MemFree')! - after1.get('MemFree')!).toBe(4000);
    expect(after1.get('MemUsed')! - before1.get('MemUsed')!).toBe(4000);
    expect(after0.get('MemFree')).toBe(before0.get('MemFree'));
    expect(beforeG.get('MemFree')! - afterG.get('MemFree')!).toBe(4000);
  });
});
