// Page migration (mm/migrate.ts) through sim/migrate: the batched flow of Linux >= 6.3 sends
// one TLB shootdown per batch of <= 512 pages, the unbatched flow one per page; elapsed time
// is exactly the cost model's sum; counters move as x86 counts them; workloads speed up when
// their pages move to faster memory; identical inputs give identical outputs.
import { describe, expect, it } from 'vitest';
import { EINVAL, ESRCH } from '../../../src/kernfs/index.js';
import { costNs } from '../../../src/kernel/config/machine.js';
import type { Kernel } from '../../../src/kernel/kernel.js';
import { NR_MAX_BATCHED_MIGRATION, remapNodes } from '../../../src/kernel/mm/migrate.js';
import { advance, bootPreset, spawn } from './boot.js';

const vmstat = (k: Kernel, name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(k.fs.readFile('proc/vmstat'))![1]);
const nodeVmstat = (k: Kernel, nid: number, name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(k.fs.readFile(`sys/devices/system/node/node${nid}/vmstat`))![1]);
const TLB = ['nr_tlb_remote_flush', 'nr_tlb_remote_flush_received', 'nr_tlb_local_flush_all', 'nr_tlb_local_flush_one', 'pgmigrate_success', 'pgmigrate_fail'] as const;
const counters = (k: Kernel) => Object.fromEntries(TLB.map((n) => [n, vmstat(k, n)]));
const delta = (a: Record<string, number>, b: Record<string, number>) => Object.fromEntries(Object.keys(a).map((n) => [n, b[n]! - a[n]!]));

async function migrate(k: Kernel, request: string): Promise<Record<string, number>> {
  const text = await k.fs.transact('sim/migrate', `${request}\n`);
  return Object.fromEntries(text.trim().split('\n').map((l) => l.split(' ')).map(([key, v]) => [key!, Number(v)]));
}

describe('migratepages', () => {
  const PAGES = 16384; // 64 MiB
  const BATCHES = Math.ceil(PAGES / NR_MAX_BATCHED_MIGRATION);

  it('batched (default): one shootdown per 512 pages to the 7 other CPUs, a local full flush each, elapsed = the model', async () => {
    const k = bootPreset();
    expect(k.fs.readFile('sim/migrate_flow')).toBe('[batched] unbatched\n');
    const pid = await spawn(k, 'hotset size=64M threads=8 node=1');
    const before = counters(k);
    const t0 = k.clock.nowNs;
    const r = await migrate(k, `${pid} 1 0`);
    expect(delta(before, counters(k))).toEqual({
      nr_tlb_remote_flush: BATCHES,
      nr_tlb_remote_flush_received: BATCHES * 7,
      nr_tlb_local_flush_all: BATCHES,
      nr_tlb_local_flush_one: 0,
      pgmigrate_success: PAGES,
      pgmigrate_fail: 0,
    });
    const flush = costNs(k.config, 'tlbFlushIpiBase') + 7 * costNs(k.config, 'tlbFlushIpiPerCpu') + costNs(k.config, 'tlbFlushLocal');
    const perBatch = NR_MAX_BATCHED_MIGRATION * k.migrator.pageCostNs(1, 0) + flush;
    expect(Math.abs(r.elapsed_ns! - BATCHES * perBatch)).toBeLessThanOrEqual(BATCHES);
    expect(r).toMatchObject({ pages_moved: PAGES, pages_failed: 0, pages_skipped: 0, tlb_remote_flushes: BATCHES });
    expect(k.clock.nowNs - t0).toBe(r.elapsed_ns);
    expect(k.fs.readFile(`sim/processes/${pid}/numa_maps`)).toMatch(/ N0=16384 kernelpagesize_kB=4\n$/);
  });

  it('unbatched (pre-6.3): one remote shootdown per page, no local flush, slower than batched', async () => {
    const k = bootPreset();
    k.fs.writeFile('sim/migrate_flow', 'unbatched\n');
    expect(k.fs.readFile('sim/migrate_flow')).toBe('batched [unbatched]\n');
    const pid = await spawn(k, 'hotset size=64M threads=8 node=1');
    const before = counters(k);
    const r = await migrate(k, `${pid} 1 0`);
    expect(delta(before, counters(k))).toEqual({
      nr_tlb_remote_flush: PAGES,
      nr_tlb_remote_flush_received: PAGES * 7,
      nr_tlb_local_flush_all: 0,
      nr_tlb_local_flush_one: 0,
      pgmigrate_success: PAGES,
      pgmigrate_fail: 0,
    });
    const perPage = k.migrator.pageCostNs(1, 0) + costNs(k.config, 'tlbFlushIpiBase') + 7 * costNs(k.config, 'tlbFlushIpiPerCpu');
    expect(Math.abs(r.elapsed_ns! - PAGES * perPage)).toBeLessThanOrEqual(BATCHES);

    const b = bootPreset();
    const bpid = await spawn(b, 'hotset size=64M threads=8 node=1');
    const batched = await migrate(b, `${bpid} 1 0`);
    expect(batched.elapsed_ns!).toBeLessThan(r.elapsed_ns!);
  });

  it('an mm that only ran on the caller CPU needs no remote shootdown in either flow', async () => {
    for (const flow of ['batched', 'unbatched']) {
      const k = bootPreset();
      k.fs.writeFile('sim/migrate_flow', flow);
      const pid = await spawn(k, 'hotset size=8M threads=1 node=1');
      const before = counters(k);
      await migrate(k, `${pid} 1 0`);
      const d = delta(before, counters(k));
      expect(d.nr_tlb_remote_flush).toBe(0);
      expect(d.nr_tlb_remote_flush_received).toBe(0);
      expect(d.nr_tlb_local_flush_all).toBe(flow === 'batched' ? 4 : 0);
    }
  });

  it('moves nr_anon_pages between the nodes and keeps MemFree consistent', async () => {
    const k = bootPreset();
    const pid = await spawn(k, 'hotset size=64M node=1');
    expect(nodeVmstat(k, 1, 'nr_anon_pages')).toBe(PAGES);
    await migrate(k, `${pid} 1 0`);
    expect(nodeVmstat(k, 1, 'nr_anon_pages')).toBe(0);
    expect(nodeVmstat(k, 0, 'nr_anon_pages')).toBe(PAGES);
    expect(k.alloc.freePages(1)).toBe(k.alloc.usableFreePages(1, true));
  });

  it('a full destination fails the page that hit ENOMEM (pgmigrate_fail) and stops that pair', async () => {
    const k = bootPreset();
    const pid = await spawn(k, 'hotset size=64M node=1');
    const room0 = k.alloc.allocatablePages(0, true, 'min');
    await spawn(k, `idle size=${(room0 - 20000) * 4}K node=0 policy=bind`); // leaves < 16384 above min after page tables
    const room = k.alloc.allocatablePages(0, true, 'min'); // migration targets go down to the min watermark
    const before = counters(k);
    const r = await migrate(k, `${pid} 1 0`);
    expect(r.pages_moved).toBe(room);
    expect(r.pages_failed).toBe(1);
    expect(r.pages_skipped).toBe(PAGES - room - 1);
    expect(delta(before, counters(k)).pgmigrate_fail).toBe(1);
  });

  it.each([
    ['abc 1 0', EINVAL],
    ['1000 1', EINVAL],
    ['1000 5 0', EINVAL],
    ['1000 1 0-5', EINVAL],
    ['999999 1 0', ESRCH],
  ])('%j is rejected', async (request, errno) => {
    const k = bootPreset();
    await spawn(k, 'hotset size=4M node=1');
    await expect(k.fs.transact('sim/migrate', request)).rejects.toBe(errno);
  });

  it('migrate_flow accepts only batched or unbatched', () => {
    const k = bootPreset();
    expect(() => k.fs.writeFile('sim/migrate_flow', 'sometimes\n')).toThrow(EINVAL);
    expect(k.fs.readFile('sim/migrate_flow')).toBe('[batched] unbatched\n');
  });

  it('pairs nodes like nodes_remap: the n-th FROM node goes to the (n mod |TO|)-th TO node', () => {
    expect(remapNodes([1], [0])).toEqual([[1, 0]]);
    expect(remapNodes([0, 1], [1, 0])).toEqual([]); // each sorted list maps onto itself
    expect(remapNodes([0, 2], [1])).toEqual([[0, 1], [2, 1]]);
    expect(remapNodes([0, 1, 2], [0, 3])).toEqual([[1, 3], [2, 0]]);
  });
});

describe('placement and speed', () => {
  it('a latency-bound abench on CXL is slower than on DRAM by the preset latency ratio', async () => {
    const k = bootPreset();
    const cxl = k.tasks.get(await spawn(k, 'abench size=16M threads=1 iters=0 node=1'))!;
    const dram = k.tasks.get(await spawn(k, 'abench size=16M threads=1 iters=0 node=0'))!;
    const { dram: d, cxl: c } = k.config.media;
    expect(dram.rate / cxl.rate).toBeCloseTo(c.readLatencyNs / d.readLatencyNs, 9);
  });

  it('promoting an abench mid-run speeds it up: it finishes earlier than the same run left on CXL', async () => {
    const run = async (promote: boolean) => {
      const k = bootPreset();
      const pid = await spawn(k, 'abench size=32M threads=4 iters=40 node=1');
      await advance(k, '20ms');
      if (promote) await migrate(k, `${pid} 1 0`);
      await advance(k, '10s');
      expect(k.fs.readFile(`sim/processes/${pid}/state`)).toBe('done\n');
      return Number(k.fs.readFile(`sim/processes/${pid}/runtime_ns`));
    };
    const stay = await run(false);
    const moved = await run(true);
    expect(moved).toBeLessThan(stay * 0.8);
  });

  it('TLB-shootdown IPIs stall the receiving threads (stall_ns), unbatched far more than batched', async () => {
    const stalls = async (flow: string) => {
      const k = bootPreset();
      k.fs.writeFile('sim/migrate_flow', flow);
      const pid = await spawn(k, 'hotset size=16M threads=8 node=1');
      await migrate(k, `${pid} 1 0`);
      return Number(k.fs.readFile(`sim/processes/${pid}/stall_ns`));
    };
    const batched = await stalls('batched');
    const unbatched = await stalls('unbatched');
    expect(batched).toBeGreaterThan(0);
    expect(unbatched).toBe(batched * NR_MAX_BATCHED_MIGRATION);
  });

  it('offlining a CXL block migrates its pages through the reverse map; the process keeps them', async () => {
    const k = bootPreset();
    const p = k.tasks.get(await spawn(k, 'hotset size=16M node=1'))!;
    const block = k.alloc.frames.blockOf(p.vma.pt[0]!)!;
    k.fs.writeFile(`sys/devices/system/memory/memory${block.index}/state`, 'offline\n');
    const f = k.alloc.frames;
    for (let i = 0; i < p.vma.nrPages; i++) {
      const pfn = p.vma.pt[i]!;
      expect(f.blockOf(pfn)).not.toBe(block);
      expect(f.ownerOf(pfn)).toBe(p.mm.id);
      expect(f.vpnOf(pfn)).toBe(p.vma.startVpn + i);
    }
    expect(p.mm.residentPages(1) + p.mm.residentPages(0)).toBe(4096);
  });
});

describe('determinism', () => {
  it('the same preset, seed and commands give byte-identical files and times', async () => {
    const session = async () => {
      const k = bootPreset('cxl-2node', 7);
      const a = await spawn(k, 'abench size=32M threads=8 iters=200 node=1');
      const b = await spawn(k, 'hotset size=16M phase=50ms interleave=0-1');
      await advance(k, '30ms');
      await migrate(k, `${a} 1 0`);
      k.fs.writeFile('sim/migrate_flow', 'unbatched');
      await migrate(k, `${b} 0 1`);
      await advance(k, '2s');
      return ['sim/clock', 'proc/vmstat', 'proc/meminfo', `sim/processes/${a}/runtime_ns`, `sim/processes/${b}/progress`, `sim/processes/${b}/numa_maps`, 'sim/dmesg']
        .map((f) => k.fs.readFile(f))
        .join('\n');
    };
    expect(await session()).toBe(await session());
  });
});
