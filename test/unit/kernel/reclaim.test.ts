// kswapd, direct reclaim, demotion (migration_path / memory tiers) and swap (mm/vmscan.c,
// spec mechanisms.md §2.3, §3; kernel-files.md §3.5, §3.6): the observable results of issue 11
// on small machines, so each test runs in a second or two.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENOMEM } from '../../../src/kernfs/index.js';
import { parseMachineConfig } from '../../../src/kernel/config/machine.js';
import { bootKernel, type Kernel } from '../../../src/kernel/kernel.js';
import { pageTablePages } from '../../../src/kernel/mm/mm.js';
import { memoryTiers } from '../../../src/kernel/mm/memory_tiers.js';
import { ZONE_MOVABLE } from '../../../src/kernel/mm/mmzone.js';
import { reclaimPages } from '../../../src/kernel/mm/vmscan.js';
import { advance, errnoOf, spawn } from './boot.js';

const NODE = 'sys/devices/system/node';
const DEMOTION = 'sys/kernel/mm/numa/demotion_enabled';

/**
 * cxl-2node shrunk: node 0 DRAM, node 1 CXL, with `extra` preset keys. Node 0 keeps 6 GiB: on
 * a smaller node ZONE_DMA's free pages beat its lowmem reserve and pgdat_balanced() (any zone
 * above its mark) calls the node balanced at once, as on a real machine that small.
 */
function small(extra: Record<string, unknown> = {}, dram = '6G', cxl = '8G'): Kernel {
  const raw = JSON.parse(readFileSync('presets/cxl-2node.json', 'utf8'));
  raw.nodes[0].memBytes = dram;
  raw.nodes[1].memBytes = cxl;
  return bootKernel(parseMachineConfig({ ...raw, ...extra }), { seed: 1, clock: 'virtual' });
}

/** Two DRAM nodes and a CXL node (2socket-cxl's shape), small. */
function threeNode(): Kernel {
  const raw = JSON.parse(readFileSync('presets/2socket-cxl.json', 'utf8'));
  raw.nodes[0].memBytes = '6G';
  raw.nodes[1].memBytes = '2G';
  raw.nodes[2].memBytes = '4G';
  return bootKernel(parseMachineConfig(raw), { seed: 1, clock: 'virtual' });
}

const vmstat = (k: Kernel, name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(k.fs.readFile('proc/vmstat'))![1]);
const nodeVmstat = (k: Kernel, nid: number, name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(k.fs.readFile(`${NODE}/node${nid}/vmstat`))![1]);
const meminfo = (k: Kernel, label: string) => Number(new RegExp(`^${label}: +(\\d+) kB$`, 'm').exec(k.fs.readFile('proc/meminfo'))![1]);

/**
 * Fill node 0 with a cold (idle) workload down to `slack` pages above its low watermark, page
 * tables included (so the fast path serves it all and nothing wakes kswapd).
 */
async function fillCold(k: Kernel, slack = 10, policy = ''): Promise<number> {
  const room = k.alloc.allocatablePages(0, true, 'low') - slack;
  let n = room;
  while (n + pageTablePages(n) > room) n--;
  return spawn(k, `idle size=${n * 4}K node=0${policy}`);
}

describe('fill node 0 cold, then start a hot workload on node 0 (demotion_enabled)', () => {
  it('the hot pages spill to node 1 only at low (no wakeup for that); its page tables, kernel memory that only node 0 can give, take the slow path and wake kswapd0, which demotes cold pages while the hot ones stay', async () => {
    const k = small();
    k.fs.writeFile(DEMOTION, '1');
    const cold = k.tasks.get(await fillCold(k, 500))!;
    expect(k.kswapd.node(0)!.wakeups).toBe(0);
    const hot = k.tasks.get(await spawn(k, 'hotset size=64M hot=1 share=1 node=0'))!;
    expect(hot.mm.residentPages(1)).toBeGreaterThan(0); // spilled
    const hotOn0 = hot.mm.residentPages(0);
    expect(hotOn0).toBeGreaterThan(0); // what was above low
    expect(k.vm.node(1, 'numa_miss')).toBe(hot.mm.residentPages(1));
    expect(k.alloc.freePages(0)).toBeGreaterThan(k.alloc.wmarkPages(0, 'min'));
    expect(k.kswapd.node(0)!.wakeups).toBe(1); // by the page-table allocation
    await advance(k, '3s');
    expect(nodeVmstat(k, 0, 'pgdemote_kswapd')).toBeGreaterThan(0);
    expect(cold.mm.residentPages(1)).toBe(nodeVmstat(k, 0, 'pgdemote_kswapd'));
    expect(hot.mm.residentPages(0)).toBe(hotOn0);
    expect(k.alloc.freePages(0)).toBeGreaterThan(k.alloc.wmarkPages(0, 'min'));
  });

  it('woken as NUMA balancing\'s promotion path wakes it, kswapd0 demotes cold pages to node 1 up to high; the hot pages stay', async () => {
    const k = small();
    k.fs.writeFile(DEMOTION, '1');
    const cold = k.tasks.get(await fillCold(k))!;
    const hot = k.tasks.get(await spawn(k, 'hotset size=64M hot=1 share=1 node=0'))!;
    const hotOn0 = hot.mm.residentPages(0);
    expect(k.alloc.migrateBalanced(0, 512)).toBe(false);
    k.kswapd.wakeup(0);
    await advance(k, '3s');
    expect(nodeVmstat(k, 0, 'pgdemote_kswapd')).toBeGreaterThan(0);
    expect(vmstat(k, 'pgdemote_kswapd')).toBe(nodeVmstat(k, 0, 'pgdemote_kswapd')); // counted on the source node
    expect(cold.mm.residentPages(1)).toBe(nodeVmstat(k, 0, 'pgdemote_kswapd'));
    expect(hot.mm.residentPages(0)).toBe(hotOn0);
    expect(k.kswapd.balanced(0)).toBe(true);
    expect(k.kswapd.node(0)!.state).not.toBe('running');
    expect(vmstat(k, 'pgsteal_kswapd')).toBe(vmstat(k, 'pgdemote_kswapd'));
    expect(vmstat(k, 'pgscan_kswapd')).toBeGreaterThanOrEqual(vmstat(k, 'pgsteal_kswapd'));
    expect(vmstat(k, 'pageoutrun')).toBeGreaterThan(0);
    expect(vmstat(k, 'pswpout')).toBe(0); // demotion instead of swap
  });

  it('in memory-tiering mode (numa_balancing=2) kswapd reclaims up to WMARK_PROMO instead of high', async () => {
    const above = async (mode: string) => {
      const k = small();
      k.fs.writeFile(DEMOTION, '1');
      k.fs.writeFile('proc/sys/kernel/numa_balancing', mode);
      await fillCold(k);
      k.kswapd.wakeup(0);
      await advance(k, '3s');
      // pgdat_balanced: some zone above the mark plus its reserve for ZONE_MOVABLE requests
      const over = (mark: 'high' | 'promo') => k.alloc.zones(0).some((z) => z.managed && z.watermarkOk(z.wmark(mark), ZONE_MOVABLE));
      return { high: over('high'), promo: over('promo') };
    };
    expect(await above('1')).toEqual({ high: true, promo: false });
    expect(await above('2')).toEqual({ high: true, promo: true });
  });

  it('kswapd\'s CPU time is its own: sim/kthreads shows it and no workload is stalled by it', async () => {
    const k = small();
    k.fs.writeFile(DEMOTION, '1');
    const cold = k.tasks.get(await fillCold(k))!;
    k.kswapd.wakeup(0);
    await advance(k, '3s');
    const line = /^(\d+) kswapd0 ([RS]) (\d+)$/m.exec(k.fs.readFile('sim/kthreads'))!;
    expect(Number(line[3])).toBeGreaterThan(0);
    expect(Number(line[3])).toBe(Math.round(k.kswapd.node(0)!.runtimeNs));
    expect(k.fs.readFile('sim/kthreads')).toMatch(/^PID COMM STATE RUNTIME_NS\n80 kswapd0 [RS] \d+\n81 kswapd1 [RS] \d+\n$/);
    // The only time charged to the process is the shootdown IPIs its CPU received.
    expect(cold.stallNs).toBe(vmstat(k, 'nr_tlb_remote_flush') * 100);
  });
});

describe('second-chance aging (folio_check_references)', () => {
  it('two passes of the hand: hot pages are activated, cold ones reclaimed; every page is young once from its fault', async () => {
    const k = threeNode();
    k.fs.writeFile(DEMOTION, '1'); // node 1 (DRAM, no CPUs used) demotes to node 2 (CXL)
    const hot = k.tasks.get(await spawn(k, 'hotset size=64M hot=1 share=1 node=1 policy=bind'))!;
    const cold = k.tasks.get(await spawn(k, 'idle size=64M node=1 policy=bind'))!;
    const cpu = k.kswapd.node(1)!.cpu;
    const lru = 2 * 16384;
    // First pass: every page still carries the A bit of its first access: kept, PG_referenced.
    let scanned = 0;
    while (scanned < lru) {
      scanned += k.reclaim.shrinkBatch(1, 'kswapd', cpu).scanned;
      await advance(k, '1ms');
    }
    expect(vmstat(k, 'pgscan_kswapd')).toBe(lru);
    expect(vmstat(k, 'pgsteal_kswapd') + vmstat(k, 'pgactivate')).toBe(0);
    // Second pass: the hot pages were accessed again (activated), the cold ones were not (demoted).
    while (scanned < 2 * lru) {
      scanned += k.reclaim.shrinkBatch(1, 'kswapd', cpu).scanned;
      await advance(k, '1ms');
    }
    expect(vmstat(k, 'pgactivate')).toBe(16384);
    expect(nodeVmstat(k, 1, 'nr_active_anon')).toBe(16384);
    expect(nodeVmstat(k, 1, 'nr_zone_active_anon')).toBe(16384);
    expect(cold.mm.residentPages(2)).toBe(16384);
    expect(hot.mm.residentPages(1)).toBe(16384);
    expect(nodeVmstat(k, 1, 'pgdemote_kswapd')).toBe(16384);
    expect(nodeVmstat(k, 2, 'nr_inactive_anon')).toBe(16384);
  });
});

describe('the slow path when the whole zonelist is at low', () => {
  it('a bound allocation below min reclaims directly in the task (pgdemote_direct, allocstall, stall_ns), then kswapd demotes', async () => {
    const k = small();
    k.fs.writeFile(DEMOTION, '1');
    await fillCold(k);
    const before = vmstat(k, 'allocstall_movable');
    const hot = k.tasks.get(await spawn(k, 'hotset size=64M hot=1 share=1 node=0 policy=bind'))!;
    expect(hot.mm.residentPages(0)).toBe(16384);
    expect(nodeVmstat(k, 0, 'pgdemote_direct')).toBeGreaterThan(0);
    expect(vmstat(k, 'pgsteal_direct')).toBe(vmstat(k, 'pgdemote_direct'));
    expect(vmstat(k, 'allocstall_movable')).toBeGreaterThan(before);
    expect(Number(k.fs.readFile(`sim/processes/${hot.pid}/stall_ns`))).toBeGreaterThan(0);
    expect(k.kswapd.node(0)!.wakeups).toBe(1);
    await advance(k, '3s');
    expect(nodeVmstat(k, 0, 'pgdemote_kswapd')).toBeGreaterThan(0);
    expect(hot.mm.residentPages(0)).toBe(16384);
  });
});

describe('migration_path (the 2019 patch)', () => {
  it('a node with a path demotes along it, overriding the tier target, even with demotion_enabled off', async () => {
    for (const enabled of ['0', '1']) {
      const k = threeNode();
      k.fs.writeFile(DEMOTION, enabled);
      k.fs.writeFile(`${NODE}/node0/migration_path`, '1');
      const cold = k.tasks.get(await fillCold(k, 10, ' policy=bind'))!;
      k.kswapd.wakeup(0);
      await advance(k, '2s');
      expect(nodeVmstat(k, 0, 'pgdemote_kswapd'), `demotion_enabled=${enabled}`).toBeGreaterThan(0);
      expect(cold.mm.residentPages(1)).toBe(nodeVmstat(k, 0, 'pgdemote_kswapd'));
      expect(cold.mm.residentPages(2)).toBe(0);
    }
  });

  it('without a path, demotion_enabled demotes to the nearest node of the next lower tier (node 2, CXL)', async () => {
    const k = threeNode();
    k.fs.writeFile(DEMOTION, '1');
    const cold = k.tasks.get(await fillCold(k, 10, ' policy=bind'))!;
    k.kswapd.wakeup(0);
    await advance(k, '2s');
    expect(cold.mm.residentPages(2)).toBeGreaterThan(0);
    expect(cold.mm.residentPages(1)).toBe(0);
  });

  it('a terminal node reclaims normally: without demotion, kswapd swaps (pswpout, SwapFree), and exit gives the swap back', async () => {
    const k = small();
    const swapTotal = meminfo(k, 'SwapTotal');
    expect(swapTotal).toBe(8 * 1024 * 1024 - 4); // an 8 GiB swap area less its header page
    const cold = k.tasks.get(await fillCold(k))!;
    k.kswapd.wakeup(0);
    await advance(k, '3s');
    const out = vmstat(k, 'pswpout');
    expect(out).toBeGreaterThan(0);
    expect(vmstat(k, 'pgsteal_kswapd')).toBe(out);
    expect(nodeVmstat(k, 0, 'nr_vmscan_write')).toBe(out);
    expect(meminfo(k, 'SwapFree')).toBe(swapTotal - out * 4);
    expect(nodeVmstat(k, 0, 'pgdemote_kswapd')).toBe(0);
    k.tasks.kill(cold.pid);
    expect(meminfo(k, 'SwapFree')).toBe(swapTotal);
  });
});

describe('no swap and no demotion target', () => {
  /** Every file whose content must not change when an allocation fails. */
  const files = (k: Kernel) => ['proc/meminfo', 'proc/vmstat', 'proc/zoneinfo', `${NODE}/node0/meminfo`, `${NODE}/node1/meminfo`, `${NODE}/node1/vmstat`, `${NODE}/node1/numastat`].map((f) => k.fs.readFile(f)).join('\n');

  it('a terminal node fails the allocation with ENOMEM and changes nothing else (no OOM killer)', async () => {
    const k = small({ swapBytes: 0 });
    k.fs.writeFile(DEMOTION, '1'); // node 1 is the last tier: nowhere to demote
    expect(meminfo(k, 'SwapTotal')).toBe(0);
    const room = k.alloc.allocatablePages(1, true, 'min');
    await spawn(k, `idle size=${room * 4}K node=1 policy=bind`);
    const before = files(k);
    const procs = k.tasks.list().length;
    await expect(spawn(k, 'idle size=4M node=1 policy=bind')).rejects.toBe(ENOMEM);
    expect(files(k)).toBe(before);
    expect(k.tasks.list().length).toBe(procs);
    expect(k.log.last).toMatch(/out of memory/);
  });

  it('kswapd on such a node gives up after MAX_RECLAIM_RETRIES runs: node_unreclaimable 1, and wakeups stop', async () => {
    const k = small({ swapBytes: 0 });
    const room = k.alloc.allocatablePages(1, true, 'min');
    await spawn(k, `idle size=${room * 4}K node=1 policy=bind`);
    k.kswapd.wakeup(1);
    await advance(k, '1s');
    expect(k.kswapd.nodeUnreclaimable(1)).toBe(true);
    expect(k.fs.readFile('proc/zoneinfo')).toMatch(/Node 1, zone  Movable[\s\S]*?node_unreclaimable: {2}1\n/);
    const wakeups = k.kswapd.node(1)!.wakeups;
    k.kswapd.wakeup(1);
    expect(k.kswapd.node(1)!.wakeups).toBe(wakeups);
    expect(errnoOf(() => k.alloc.alloc(1, 100, { movable: true, thisNode: true }))).toBe(ENOMEM);
  });
});

describe('memory tiers: establish_demotion_targets', () => {
  it.each([
    ['cxl-2node', 0, { preferred: [1], allowed: [1] }],
    ['cxl-2node', 1, undefined],
    ['2socket-cxl', 0, { preferred: [2], allowed: [2] }],
    ['2socket-cxl', 1, { preferred: [2], allowed: [2] }],
    ['2socket-cxl', 2, undefined],
    ['epyc-2node-256g', 0, { preferred: [1], allowed: [1] }],
  ] as const)('%s: node %d demotes to %j', (preset, nid, want) => {
    const k = bootKernel(parseMachineConfig(JSON.parse(readFileSync(`presets/${preset}.json`, 'utf8'))), { seed: 1 });
    expect(memoryTiers(k).demotionTargets(nid)).toEqual(want);
  });

  it('switching demotion_enabled on resets kswapd_failures, so a hopeless node tries again', async () => {
    const k = small({ swapBytes: 0 });
    await fillCold(k);
    k.kswapd.wakeup(0);
    await advance(k, '1s');
    expect(k.kswapd.nodeUnreclaimable(0)).toBe(true); // no swap, no demotion: nothing to do
    k.fs.writeFile(DEMOTION, 'true');
    expect(k.kswapd.nodeUnreclaimable(0)).toBe(false);
    k.kswapd.wakeup(0);
    await advance(k, '3s');
    expect(nodeVmstat(k, 0, 'pgdemote_kswapd')).toBeGreaterThan(0);
  });
});

describe('DAMOS pageout (reclaim_pages) needs swap', () => {
  it('with no swap area nothing is reclaimed; with one, pages go to swap and SwapFree falls', async () => {
    for (const [swap, want] of [[0, 0], ['8G', 1024]] as const) {
      const k = small({ swapBytes: swap });
      const p = k.tasks.get(await spawn(k, 'idle size=4M node=1'))!;
      expect(reclaimPages(k, p, p.vma, 0, 1024)).toBe(want);
      expect(vmstat(k, 'pswpout')).toBe(want);
    }
  });
});

describe('determinism', () => {
  it('the same seed and commands give byte-identical counters', async () => {
    const run = async () => {
      const k = small();
      k.fs.writeFile(DEMOTION, '1');
      await fillCold(k);
      await spawn(k, 'hotset size=64M hot=0.5 share=0.9 node=0 policy=bind');
      await advance(k, '2s');
      return k.fs.readFile('proc/vmstat') + k.fs.readFile('proc/zoneinfo') + k.fs.readFile('sim/kthreads');
    };
    expect(await run()).toBe(await run());
  });
});
