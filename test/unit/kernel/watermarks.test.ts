// Zone watermarks, vm.min_free_kbytes / vm.watermark_scale_factor, /proc/zoneinfo and the
// allocator's fast and slow paths (mm/page_alloc.c, mm/vmstat.c; spec kernel-files.md §0.4).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EACCES, EBUSY, EINVAL, ENOMEM, O_WRONLY, S_IFREG } from '../../../src/kernfs/index.js';
import { ZONE_MOVABLE } from '../../../src/kernel/mm/mmzone.js';
import { NODE_STAT_NAMES } from '../../../src/kernel/mm/vmstat.js';
import type { Kernel } from '../../../src/kernel/kernel.js';
import { bootPreset, errnoOf, spawn } from './boot.js';

const VM = 'proc/sys/vm';
const USER = { uid: 1000, capSysAdmin: false };

/** Zone records of a zoneinfo text, by "node zone". */
function records(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const rec of text.split(/^(?=Node \d+, zone)/m)) {
    const head = /^Node (\d+), zone +(\w+)/.exec(rec);
    if (head) m.set(`${head[1]} ${head[2]}`, rec);
  }
  return m;
}

/** A record's shape: numbers become N, the per-cpu blocks collapse into one. */
function shape(rec: string): string {
  return rec
    .replace(/\d+/g, 'N')
    .replace(/(\n {4}cpu: N(\n {14}\w+: +N)+\n {2}vm stats threshold: N)+/g, '$1');
}

function field(rec: string, name: string): number {
  return Number(new RegExp(`^ +${name} +(\\d+)$`, 'm').exec(rec)![1]);
}

describe('/proc/zoneinfo', () => {
  it('is a 0444 seq file of size 0', () => {
    expect(bootPreset().fs.stat('proc/zoneinfo')).toMatchObject({ mode: S_IFREG | 0o444, size: 0 });
  });

  it('lists every zone type of every node, DMA DMA32 Normal Movable Device, each ending in a newline', () => {
    const text = bootPreset().fs.readFile('proc/zoneinfo');
    expect([...records(text).keys()]).toEqual(['0 DMA', '0 DMA32', '0 Normal', '0 Movable', '0 Device', '1 DMA', '1 DMA32', '1 Normal', '1 Movable', '1 Device']);
    for (const rec of records(text).values()) expect(rec.endsWith('\n')).toBe(true);
  });

  it('prints the node counters once per node, under its first populated zone (node 1: Movable)', () => {
    const r = records(bootPreset().fs.readFile('proc/zoneinfo'));
    const withStats = [...r].filter(([, rec]) => rec.includes('\n  per-node stats\n')).map(([name]) => name);
    expect(withStats).toEqual(['0 DMA', '1 Movable']);
    const lines = r.get('0 DMA')!.split('\n').slice(2, 2 + NODE_STAT_NAMES.length);
    expect(lines.map((l) => l.trim().split(/ +/)[0])).toEqual([...NODE_STAT_NAMES]);
    expect(lines.every((l) => /^ {6}\S+ +\d+$/.test(l) && l.lastIndexOf(' ') >= 6 + 12)).toBe(true); // %-12s %lu
  });

  it.each([
    ['unpopulated zones stop after protection', '0 Movable', /protection: \(0, 0, 0, 0, 0\)\n$/],
    ['ZONE_MOVABLE of a kernel node keeps the token minimum 32', '0 Movable', /\n {8}min {6}32\n {8}low {6}32\n/],
    ['ZONE_DEVICE has no watermarks', '0 Device', /\n {8}min {6}0\n/],
    ['populated zones end with node_unreclaimable and start_pfn', '0 Normal', /\n {2}node_unreclaimable: {2}0\n {2}start_pfn: {11}1048576\n$/],
    ['DMA starts after the reserved page 0', '0 DMA', /\n {8}spanned {2}4095\n {8}present {2}3998\n/],
    ['DMA32 spans to 4 GiB across the PCI hole', '0 DMA32', /\n {8}spanned {2}1044480\n {8}present {2}782336\n/],
  ])('%s', (_rule, zone, re) => {
    expect(records(bootPreset().fs.readFile('proc/zoneinfo')).get(zone)).toMatch(re);
  });

  it('one pageset per online CPU of the machine', () => {
    const k = bootPreset();
    const rec = records(k.fs.readFile('proc/zoneinfo')).get('0 Normal')!;
    expect(rec.match(/\n {4}cpu: \d+/g)!.length).toBe(k.numa.nrCpuIds);
  });

  it('WMARK_PROMO = high + (high - low); the min/low/high gaps follow watermark_scale_factor', () => {
    const k = bootPreset();
    for (const z of k.alloc.allZones()) {
      if (!z.managed) continue;
      expect(z.wmark('promo') - z.wmark('high')).toBe(z.wmark('high') - z.wmark('low'));
      expect(z.wmark('low') - z.wmark('min')).toBe(z.wmark('high') - z.wmark('low'));
    }
    // ZONE_MOVABLE of the CXL node: min = clamp(managed/1024, 32, 128); the gap is the larger of
    // a quarter of its min_free_kbytes share and managed × 10 / 10000.
    const cxl = k.alloc.zones(1)[ZONE_MOVABLE]!;
    const lowmem = k.alloc.allZones().filter((z) => z.idx !== ZONE_MOVABLE).reduce((n, z) => n + z.managedPages, 0);
    const share = Math.floor(((k.alloc.wmarkParams.minFreeKbytes / 4) * cxl.managedPages) / lowmem);
    expect(cxl.wmark('min')).toBe(128);
    expect(cxl.wmark('low')).toBe(128 + Math.max(share >> 2, Math.floor((cxl.managedPages * 10) / 10000)));
  });

  it.runIf(existsSync('/proc/zoneinfo'))('has the host kernel\'s record shapes (numbers aside) for node 0', () => {
    const host = records(readFileSync('/proc/zoneinfo', 'latin1'));
    const ours = records(bootPreset().fs.readFile('proc/zoneinfo'));
    for (const zone of ['0 DMA', '0 DMA32', '0 Normal', '0 Movable', '0 Device']) {
      if (!host.has(zone)) continue;
      expect(shape(ours.get(zone)!), zone).toBe(shape(host.get(zone)!));
    }
  });

  it('pages free, per zone, follow allocations; numa_hit lands in the zone that gave the pages', async () => {
    const k = bootPreset();
    const before = records(k.fs.readFile('proc/zoneinfo')).get('1 Movable')!;
    await spawn(k, 'idle size=64M node=1');
    const after = records(k.fs.readFile('proc/zoneinfo')).get('1 Movable')!;
    expect(Number(/pages free +(\d+)/.exec(before)![1]) - Number(/pages free +(\d+)/.exec(after)![1])).toBe(16384);
    expect(field(after, 'numa_hit') - field(before, 'numa_hit')).toBe(16384);
    expect(field(after, 'nr_zone_inactive_anon')).toBe(16384);
  });
});

interface SysctlCase {
  file: string;
  dflt: (k: Kernel) => string;
  accepted: Array<[string, string]>;
  rejected: Array<[rule: string, input: string]>;
}

const sysctls: SysctlCase[] = [
  {
    file: 'min_free_kbytes',
    dflt: (k) => `${k.alloc.wmarkParams.minFreeKbytes}\n`,
    accepted: [['0', '0\n'], ['90112\n', '90112\n'], ['0x10000', '65536\n'], ['  128\n', '128\n'], ['2147483647', '2147483647\n']],
    rejected: [['below extra1 = 0', '-1'], ['not a number', 'lots'], ['junk after the number', '100kB'], ['above INT_MAX', '2147483648'], ['whitespace only', '\n']],
  },
  {
    file: 'watermark_scale_factor',
    dflt: () => '10\n',
    accepted: [['1', '1\n'], ['3000\n', '3000\n'], ['0200', '128\n']],
    rejected: [['0 is below extra1 = SYSCTL_ONE', '0'], ['3001 is above SYSCTL_THREE_THOUSAND', '3001'], ['negative', '-5'], ['junk', '10%']],
  },
];

describe.each(sysctls)('vm.$file', ({ file, dflt, accepted, rejected }) => {
  const path = `${VM}/${file}`;

  it('is a 0644 sysctl of size 0 with the boot value', () => {
    const k = bootPreset();
    expect(k.fs.stat(path)).toMatchObject({ mode: S_IFREG | 0o644, size: 0 });
    expect(k.fs.readFile(path)).toBe(dflt(k));
  });

  it.each(accepted)('write %j reads back %j', (input, out) => {
    const k = bootPreset();
    expect(k.fs.writeFile(path, input)).toBe(input.length);
    expect(k.fs.readFile(path)).toBe(out);
  });

  it.each(rejected)('%s → EINVAL, watermarks unchanged', (_rule, input) => {
    const k = bootPreset();
    const before = k.fs.readFile('proc/zoneinfo');
    const value = k.fs.readFile(path);
    expect(errnoOf(() => k.fs.writeFile(path, input))).toBe(EINVAL);
    expect(k.fs.readFile(path)).toBe(value);
    expect(k.fs.readFile('proc/zoneinfo')).toBe(before);
  });

  it('a non-root user gets EACCES opening it for writing', () => {
    expect(errnoOf(() => bootPreset().fs.open(path, O_WRONLY, USER))).toBe(EACCES);
  });
});

describe.runIf(existsSync('/proc/sys/vm/min_free_kbytes'))('/proc/sys/vm against the host kernel', () => {
  it.each(['min_free_kbytes', 'watermark_scale_factor'])('%s: same mode, size 0 and "%%d\\n" shape as the host\'s', (file) => {
    const k = bootPreset();
    const host = statSync(`/proc/sys/vm/${file}`);
    const ours = k.fs.stat(`${VM}/${file}`);
    expect(ours.mode).toBe(host.mode);
    expect(ours.size).toBe(host.size);
    const shape = (t: string) => t.replace(/\d+/g, 'N');
    expect(shape(k.fs.readFile(`${VM}/${file}`))).toBe(shape(readFileSync(`/proc/sys/vm/${file}`, 'latin1')));
  });
});

describe('watermarks are recomputed when written', () => {
  it('min_free_kbytes: min watermarks split it by managed lowmem; low/high/promo move with it', () => {
    const k = bootPreset();
    const normal = () => k.alloc.zones(0)[2]!;
    const lowmem = k.alloc.allZones().filter((z) => z.idx !== ZONE_MOVABLE).reduce((n, z) => n + z.managedPages, 0);
    k.fs.writeFile(`${VM}/min_free_kbytes`, '131072');
    expect(normal().wmark('min')).toBe(Math.floor((32768 * normal().managedPages) / lowmem));
    const rec = records(k.fs.readFile('proc/zoneinfo')).get('0 Normal')!;
    expect(field(rec, 'min')).toBe(normal().wmark('min'));
    expect(field(rec, 'promo')).toBe(normal().wmark('promo'));
  });

  it('watermark_scale_factor: the gaps become managed × factor / 10000', () => {
    const k = bootPreset();
    k.fs.writeFile(`${VM}/watermark_scale_factor`, '1000');
    const cxl = k.alloc.zones(1)[ZONE_MOVABLE]!;
    const gap = Math.floor((cxl.managedPages * 1000) / 10000);
    expect([cxl.wmark('min'), cxl.wmark('low'), cxl.wmark('high'), cxl.wmark('promo')]).toEqual([128, 128 + gap, 128 + 2 * gap, 128 + 3 * gap]);
    expect(k.alloc.wmarkPages(1, 'high')).toBe(128 + 2 * gap);
  });

  it('memory hotplug recomputes min_free_kbytes, unless the user set a larger value', () => {
    const k = bootPreset();
    const blocks = k.alloc.blocksOf(1).slice(-8);
    const promo = k.alloc.wmarkPages(1, 'promo');
    for (const b of blocks) k.fs.writeFile(`sys/devices/system/memory/memory${b.index}/state`, 'offline');
    expect(k.alloc.wmarkPages(1, 'promo')).toBeLessThan(promo); // fewer managed pages, smaller gaps
    k.fs.writeFile(`${VM}/min_free_kbytes`, '200000');
    k.fs.writeFile(`sys/devices/system/memory/memory${blocks[0]!.index}/state`, 'online_movable');
    expect(k.fs.readFile(`${VM}/min_free_kbytes`)).toBe('200000\n');
  });
});

describe('PageAllocator.wmarkPages / migrateBalanced', () => {
  it('wmarkPages sums the managed zones of the node', () => {
    const k = bootPreset();
    for (const mark of ['min', 'low', 'high', 'promo'] as const) {
      const sum = k.alloc.zones(0).filter((z) => z.managed).reduce((n, z) => n + z.wmark(mark), 0);
      expect(k.alloc.wmarkPages(0, mark)).toBe(sum);
    }
  });

  it('migrateBalanced: free must stay above high + nr_pages in some managed zone', async () => {
    const k = bootPreset();
    const z = k.alloc.zones(1)[ZONE_MOVABLE]!;
    const high = z.wmark('high');
    await spawn(k, `idle size=${(z.freePages - high - 100) * 4}K node=1 policy=bind`); // 100 pages above high
    expect(z.freePages).toBe(high + 100);
    expect(k.alloc.migrateBalanced(1, 99)).toBe(true);
    expect(k.alloc.migrateBalanced(1, 100)).toBe(false); // zone_watermark_ok: free > mark
  });
});

describe('allocator fast and slow paths', () => {
  it('the fast path takes a node down to low, then falls to the next node without waking kswapd', () => {
    const k = bootPreset();
    const room0 = k.alloc.allocatablePages(0, true, 'low');
    k.alloc.alloc(0, room0 + 1000, { movable: true });
    expect(k.alloc.allocatablePages(0, true, 'low')).toBe(0);
    expect(k.alloc.freePages(0)).toBeGreaterThan(k.alloc.wmarkPages(0, 'min'));
    expect(k.vm.node(1, 'numa_miss')).toBe(1000);
    expect(k.kswapd.node(0)!.wakeups).toBe(0);
    expect(k.kswapd.node(1)!.wakeups).toBe(0);
  });

  it('when every node of the zonelist is at low, the slow path wakes each kswapd and goes down to min', () => {
    const k = bootPreset();
    const low = k.alloc.allocatablePages(0, true, 'low') + k.alloc.allocatablePages(1, true, 'low');
    const a = k.alloc.alloc(0, low + 500, { movable: true });
    expect(a.pfns.length).toBe(low + 500);
    expect(k.kswapd.node(0)!.wakeups).toBe(1);
    expect(k.kswapd.node(1)!.wakeups).toBe(1);
    // ZONE_NORMAL of node 0 comes first in the zonelist: its low→min gap gives the extra pages;
    // ZONE_DMA keeps everything (its lowmem reserve against movable requests exceeds its size).
    const [dma, , normal] = k.alloc.zones(0);
    expect(normal!.freePages).toBe(normal!.wmark('low') - 500);
    expect(dma!.freePages).toBe(dma!.managedPages);
    expect(k.alloc.freePages(1)).toBe(k.alloc.wmarkPages(1, 'low'));
  });

  it('__GFP_THISNODE below min with nothing reclaimable: ENOMEM, no page taken, nothing counted', () => {
    const k = bootPreset();
    const min = k.alloc.allocatablePages(1, true, 'min');
    const free = k.alloc.freePages(1);
    const vm = k.fs.readFile('proc/vmstat');
    expect(errnoOf(() => k.alloc.alloc(1, min + 1, { movable: true, thisNode: true }))).toBe(ENOMEM);
    expect(k.alloc.freePages(1)).toBe(free);
    expect(k.fs.readFile('proc/vmstat')).toBe(vm);
  });

  it('unmovable requests ignore ZONE_MOVABLE and keep the lowmem reserve of the zones below', () => {
    const k = bootPreset();
    const dma32 = k.alloc.zones(0)[1]!;
    // A movable request must leave lowmem_reserve[Movable] in DMA32; a kernel one only [Normal].
    expect(k.alloc.allocatablePages(0, true, 'low') - k.alloc.allocatablePages(0, false, 'low')).toBe(0);
    expect(dma32.lowmemReserve[ZONE_MOVABLE]).toBe(dma32.lowmemReserve[2]);
  });
});

describe('memory offline targets (do_migrate_range)', () => {
  it('the block holding the kernel image (PageReserved pages) cannot go offline: EBUSY', () => {
    const k = bootPreset();
    expect(errnoOf(() => k.fs.writeFile('sys/devices/system/memory/memory0/state', 'offline'))).toBe(EBUSY);
    expect(k.fs.readFile('sys/devices/system/memory/memory0/state')).toBe('online\n');
  });

  it('pages of an offlined DRAM block leave for another node (the nodemask excludes their own)', async () => {
    const k = bootPreset();
    const p = k.tasks.get(await spawn(k, 'idle size=512M node=0'))!;
    const block = k.alloc.frames.blockOf(p.vma.pt[65536]!)!; // a block of user pages only
    const onBlock = [...p.vma.pt].filter((pfn) => k.alloc.frames.blockOf(pfn) === block).length;
    k.fs.writeFile(`sys/devices/system/memory/memory${block.index}/state`, 'offline');
    expect(p.mm.residentPages(1)).toBe(onBlock);
    expect(onBlock).toBe(block.nrPages);
    expect(p.mm.residentPages(0)).toBe(131072 - onBlock);
  });
});

describe('requests no reclaim could satisfy', () => {
  it('more than the zonelist could hold above min fails at once, reclaiming nothing (swap and anon pages present)', async () => {
    const k = bootPreset();
    await spawn(k, 'idle size=1G node=1');
    const vm = k.fs.readFile('proc/vmstat');
    const z = k.alloc.zones(1)[ZONE_MOVABLE]!;
    expect(errnoOf(() => k.alloc.alloc(1, z.managedPages, { movable: true, thisNode: true }))).toBe(ENOMEM);
    expect(k.fs.readFile('proc/vmstat')).toBe(vm);
  });
});
