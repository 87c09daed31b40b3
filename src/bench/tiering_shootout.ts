// `tiersim bench tiering-shootout` (beyond any publication): one workload — a hot set that moves
// every phase, its memory on the CXL node, next to a cold DRAM filler that leaves a few GiB of
// DRAM free — under every promotion mechanism tiersim models, side by side: none, NUMA balancing
// tiering (numa_balancing=2, hint faults), the same driven by SPE samples (on the Arm CXL preset:
// cxl-2node has no SPE), kmmscand (the RFC V0 A-bit scanner, numa_balancing=0) and DAMON
// migrate_hot/migrate_cold set up through /sys/kernel/mm/damon/admin (one paddr kdamond per node:
// hot CXL regions to node 0, cold DRAM regions to node 1, each with a size quota). Demotion is on
// (sys/kernel/mm/numa/demotion_enabled) for every run, so kswapd can make room.
//
// Figures per mechanism: the workload's run time (fixed work), the top tier's share of its
// accesses and the promotions per second over simulated time (from sim/processes/PID/placement and
// the counters each mechanism moves pages with), total promotions and demotions, and CPU time by
// context (the workload's own NUMA-balancing paths, kswapd, kmmscand, kdamond).
import type { Scale, Spec } from 'vega';
import type { Bench, BenchContext, RunFigures } from './types.js';
import { damonSysfs } from '../kernel/mm/damon/sysfs.js';
import { lineChartSpec } from '../plot/lines.js';
import { formatTable, mean, meanText, valuesOf } from './runner.js';
import { ADMIN, SimSession, UL } from './sim.js';

export const PRESET = 'cxl-2node';
export const SPE_PRESET = 'arm64-2node-128c-cxl';
export const MECHANISMS = ['none', 'numab2', 'spe', 'kmmscand', 'damon'] as const;
export type Mechanism = (typeof MECHANISMS)[number];

const LABEL: Record<Mechanism, string> = {
  none: 'none',
  numab2: 'NUMAB=2 hint faults',
  spe: 'SPE samples (Arm preset)',
  kmmscand: 'kmmscand',
  damon: 'DAMON migrate_hot/cold',
};

interface Setup {
  filler: string;
  spec: string;
  what: string;
  maxS: number;
  /** DAMOS quota per scheme, bytes per second. */
  quotaBytes: number;
}

export function setup(quick: boolean): Setup {
  return quick
    ? {
        filler: 'idle size=15G node=0',
        spec: 'hotset size=512M threads=8 hot=0.1 phase=2s iters=2500 node=1',
        what: 'hotset 512 MiB on CXL node 1 (hot 10%, moves every 2 s), 8 threads, 2500 iterations; idle 15 GiB filler on node 0',
        maxS: 60,
        quotaBytes: 64 << 20,
      }
    : {
        filler: 'idle size=12G node=0',
        spec: 'hotset size=4G threads=8 hot=0.1 phase=10s iters=1500 node=1',
        what: 'hotset 4 GiB on CXL node 1 (hot 10%, moves every 10 s), 8 threads, 1500 iterations; idle 12 GiB filler on node 0',
        maxS: 300,
        quotaBytes: 256 << 20,
      };
}

/** A node's physical range from its memory blocks (sys/devices/system/{memory,node}). */
function nodeRange(s: SimSession, nid: number): [number, number] {
  const block = parseInt(s.read('sys/devices/system/memory/block_size_bytes').trim(), 16);
  const ids = [...s.k.fs.readdir(`sys/devices/system/node/node${nid}`)].filter((n) => /^memory\d+$/.test(n)).map((n) => Number(n.slice(6)));
  return [Math.min(...ids) * block, (Math.max(...ids) + 1) * block];
}

/** Two paddr kdamonds: 0 watches the CXL node and promotes hot regions, 1 watches DRAM and demotes cold ones. */
function startDamon(s: SimSession, quotaBytes: number): void {
  s.write(`${ADMIN}/nr_kdamonds`, '2');
  // The quota's prioritisation scores regions by these weights; sysfs starts them at 0, which
  // scores every region alike (the quota then takes regions in address order).
  const schemes: Array<{ nid: number; action: string; target: number; nr: [string, string]; age: [string, string]; weight: string }> = [
    // hot: sampled accessed in at least 5 of the 20 samples of an aggregation interval
    { nid: 1, action: 'migrate_hot', target: 0, nr: ['5', UL], age: ['0', UL], weight: 'nr_accesses_permil' },
    // cold: not accessed for 10 aggregation intervals (1 s)
    { nid: 0, action: 'migrate_cold', target: 1, nr: ['0', '0'], age: ['10', UL], weight: 'age_permil' },
  ];
  schemes.forEach((sc, i) => {
    const c = `${ADMIN}/${i}/contexts/0`;
    s.write(`${ADMIN}/${i}/contexts/nr_contexts`, '1');
    s.write(`${c}/operations`, 'paddr');
    s.write(`${c}/monitoring_attrs/intervals/sample_us`, '5000');
    s.write(`${c}/monitoring_attrs/intervals/aggr_us`, '100000');
    // At least 200 regions per node: merges stop at node size / 200 (80 MiB on cxl-2node), so
    // the quota's prioritisation has regions fine enough to choose among.
    s.write(`${c}/monitoring_attrs/nr_regions/max`, '2000');
    s.write(`${c}/monitoring_attrs/nr_regions/min`, '200');
    s.write(`${c}/targets/nr_targets`, '1');
    const [start, end] = nodeRange(s, sc.nid);
    s.write(`${c}/targets/0/regions/nr_regions`, '1');
    s.write(`${c}/targets/0/regions/0/start`, String(start));
    s.write(`${c}/targets/0/regions/0/end`, String(end));
    s.write(`${c}/schemes/nr_schemes`, '1');
    const S = `${c}/schemes/0`;
    s.write(`${S}/action`, sc.action);
    s.write(`${S}/target_nid`, String(sc.target));
    s.write(`${S}/access_pattern/sz/min`, '0');
    s.write(`${S}/access_pattern/sz/max`, UL);
    s.write(`${S}/access_pattern/nr_accesses/min`, sc.nr[0]);
    s.write(`${S}/access_pattern/nr_accesses/max`, sc.nr[1]);
    s.write(`${S}/access_pattern/age/min`, sc.age[0]);
    s.write(`${S}/access_pattern/age/max`, sc.age[1]);
    s.write(`${S}/quotas/bytes`, String(quotaBytes));
    s.write(`${S}/quotas/reset_interval_ms`, '1000');
    s.write(`${S}/quotas/weights/${sc.weight}`, '1000');
    s.write(`${ADMIN}/${i}/state`, 'on');
  });
}

/** Pages moved up and down so far, by the counters the mechanism moves pages with. */
function moved(s: SimSession, m: Mechanism): { promoted: number; demoted: number } {
  const v = s.vmstat();
  const demotedByReclaim = (v['pgdemote_kswapd'] ?? 0) + (v['pgdemote_direct'] ?? 0) + (v['pgdemote_khugepaged'] ?? 0);
  if (m === 'kmmscand') return { promoted: v['nr_kmmscand_migrated'] ?? 0, demoted: demotedByReclaim };
  if (m === 'damon') {
    // MR_DAMON counts no pgpromote/pgdemote: the schemes' sz_applied (update_schemes_stats)
    s.write(`${ADMIN}/0/state`, 'update_schemes_stats');
    s.write(`${ADMIN}/1/state`, 'update_schemes_stats');
    const applied = (i: number) => Number(s.read(`${ADMIN}/${i}/contexts/0/schemes/0/stats/sz_applied`)) / 4096;
    return { promoted: applied(0), demoted: applied(1) + demotedByReclaim };
  }
  return { promoted: v['pgpromote_success'] ?? 0, demoted: demotedByReclaim };
}

async function runOne(ctx: BenchContext, m: Mechanism, step: number): Promise<{ row: Record<string, number>; share: Array<[number, number]>; rate: Array<[number, number]> }> {
  const w = setup(ctx.quick);
  const preset = m === 'spe' ? SPE_PRESET : PRESET;
  const s = new SimSession(preset, ctx.seed);
  s.write('proc/sys/kernel/numa_balancing', m === 'numab2' || m === 'spe' ? '2' : '0');
  s.write('sys/kernel/mm/numa/demotion_enabled', '1');
  if (m === 'spe') {
    s.write('proc/sys/kernel/mem_sampling_enable', '1');
    s.write('proc/sys/kernel/numa_balancing_mem_sampling', '1');
  }
  // The Arm preset's DRAM node is 128 GiB: its run has the workload without the filler (see notes).
  if (m !== 'spe') await s.spawn(w.filler);
  const cxl = m === 'spe' ? 2 : 1;
  const pid = await s.spawn(w.spec.replace('node=1', `node=${cxl}`));
  if (m === 'kmmscand') s.write('sys/kernel/mm/kmmscand/scan_enabled', '1');
  if (m === 'damon') startDamon(s, w.quotaBytes);
  const share: Array<[number, number]> = [];
  const rate: Array<[number, number]> = [];
  const t0 = s.nowS();
  let prev = moved(s, m).promoted;
  await s.runToEnd(pid, {
    stepS: 1,
    maxS: w.maxS,
    onStep: (t) => {
      const x = s.nowS() - t0;
      const sh = s.topTierShare(pid);
      if (sh !== undefined && s.state(pid) !== 'done') share.push([x, sh]);
      const now = moved(s, m).promoted;
      rate.push([x, now - prev]);
      prev = now;
      ctx.progress(step, MECHANISMS.length, `${m}: ${t} s simulated`);
    },
  });
  const nb = s.numab(pid);
  const kt = s.kthreadsNs();
  const kswapd = Object.entries(kt).filter(([n]) => n.startsWith('kswapd')).reduce((a, [, ns]) => a + ns, 0) / 1e9;
  const kdamond = m === 'damon' ? [...damonSysfs(s.k).kdamonds.built()].reduce((a, kd) => a + (kd.ctx?.cpuNs ?? 0), 0) / 1e9 : 0;
  const mv = moved(s, m);
  const shares = share.map(([, y]) => y);
  return {
    row: {
      done: s.state(pid) === 'done' ? 1 : 0,
      runtime_s: s.runtimeS(pid),
      promoted: mv.promoted,
      demoted: mv.demoted,
      share_mean: mean(shares),
      share_final: shares.at(-1) ?? NaN,
      task_s: (nb['task_work_us']! + nb['hint_fault_us']! + nb['sample_us']!) / 1e6,
      stall_s: s.stallS(pid),
      kswapd_s: kswapd,
      kmmscand_s: m === 'kmmscand' ? s.k.kmmscand.cpuNs / 1e9 : 0,
      kdamond_s: kdamond,
      quick: ctx.quick ? 1 : 0,
    },
    share,
    rate,
  };
}

async function run(ctx: BenchContext): Promise<RunFigures> {
  const rows: RunFigures['rows'] = {};
  const series: NonNullable<RunFigures['series']> = {};
  for (const [i, m] of MECHANISMS.entries()) {
    const r = await runOne(ctx, m, i);
    rows[m] = r.row;
    series[`${m}/top_tier_share`] = r.share;
    series[`${m}/promotions_per_s`] = r.rate;
  }
  ctx.progress(MECHANISMS.length, MECHANISMS.length, 'done');
  return { rows, series };
}

function table(runs: RunFigures[]): string[] {
  const quick = runs.some((r) => r.rows['none']?.['quick'] === 1);
  const w = setup(quick);
  const c = (row: string, col: string, d = 2) => meanText(valuesOf(runs, row, col), d);
  return [
    `tiering-shootout: ${w.what}; ${PRESET} (SPE: ${SPE_PRESET}); demotion on; ${runs.length} seed(s)`,
    ...(quick ? ['(--quick: a scaled-down run)'] : []),
    '',
    ...formatTable([
      ['mechanism', 'run time (s)', 'top-tier share (mean)', 'final', 'promoted (pages)', 'demoted (pages)', 'task CPU (s)', 'stall (thread-s)', 'kswapd (s)', 'kmmscand (s)', 'kdamond (s)'],
      ...MECHANISMS.map((m) => [
        LABEL[m],
        c(m, 'runtime_s'),
        c(m, 'share_mean', 3),
        c(m, 'share_final', 3),
        c(m, 'promoted', 0),
        c(m, 'demoted', 0),
        c(m, 'task_s', 3),
        c(m, 'stall_s', 3),
        c(m, 'kswapd_s', 3),
        c(m, 'kmmscand_s', 3),
        c(m, 'kdamond_s', 3),
      ]),
    ]),
    '',
    'Notes:',
    '- No publication measures these side by side: every figure is the model\'s.',
    `- SPE runs on ${SPE_PRESET} (cxl-2node has no SPE): other CPUs and memory latencies, and 128 GiB of`,
    '  DRAM per node, so its run has no filler and no DRAM pressure; compare its curve\'s shape, not its level.',
    '- task CPU: the workload\'s own NUMA-balancing time (task_numa_work, hint faults, SPE samples);',
    '  kmmscand and kdamond time is their threads\', never the workload\'s; stall: thread time lost to',
    '  TLB-shootdown IPIs and the above.',
    '- Promotions: pgpromote_success (NUMA balancing, SPE), nr_kmmscand_migrated (kmmscand runs with',
    '  numa_balancing=0, where pgpromote_success is not counted), DAMOS migrate_hot sz_applied / 4 KiB',
    '  (MR_DAMON counts no pgpromote). Demotions: pgdemote_* plus DAMOS migrate_cold sz_applied.',
    '- DAMON: one paddr kdamond per node (5 ms / 100 ms, 200-2000 regions), migrate_hot nr_accesses >= 5 node 1 -> 0,',
    `  migrate_cold age >= 10 (1 s idle) node 0 -> 1, each quota ${w.quotaBytes >> 20} MiB per 1 s, weights nr_accesses_permil`,
    '  (migrate_hot) and age_permil (migrate_cold) 1000: hottest or coldest regions first, the last one split at',
    '  the quota\'s edge and the next window resuming after it, as damos_apply_scheme does.',
  ];
}

function json(runs: RunFigures[]): unknown {
  const m = (row: string, col: string) => mean(valuesOf(runs, row, col));
  return {
    preset: PRESET,
    spe_preset: SPE_PRESET,
    rows: MECHANISMS.map((mech) => ({ mechanism: mech, ...Object.fromEntries(Object.keys(runs[0]?.rows[mech] ?? {}).filter((k) => k !== 'quick').map((col) => [col, m(mech, col)])) })),
    series: runs[0]?.series ?? {},
  };
}

/** Two line charts, one above the other, each a lineChartSpec embedded as a group. */
export function panels(specs: Spec[], title: string, subtitle: string[]): Spec {
  return {
    padding: 12,
    autosize: { type: 'pad' },
    config: specs[0]?.config,
    title: { text: title, subtitle },
    layout: { columns: 1, padding: 28, bounds: 'full', align: 'each' },
    marks: specs.map((sp, i) => ({
      type: 'group' as const,
      name: `panel${i}`,
      encode: { update: { width: { value: sp.width as number }, height: { value: sp.height as number } } },
      title: typeof sp.title === 'object' && sp.title !== null && 'text' in sp.title ? { text: sp.title.text, anchor: 'start' as const, fontSize: 12, fontWeight: 'normal' as const } : undefined,
      data: sp.data,
      // a nested group has no width/height signals: the ranges are given in pixels
      scales: sp.scales?.map((sc) => {
        const range = (sc as { range?: unknown }).range;
        return (range === 'width' ? { ...sc, range: [0, sp.width as number] } : range === 'height' ? { ...sc, range: [sp.height as number, 0] } : sc) as Scale;
      }),
      axes: sp.axes,
      legends: i === 0 ? sp.legends : [],
      marks: sp.marks,
    })),
  };
}

/** A series' mean over the seeds at each simulated second (the seeds that reached it). */
export function meanSeries(runs: readonly RunFigures[], key: string): Array<[number, number]> {
  const at = new Map<number, number[]>();
  for (const r of runs) for (const [x, y] of r.series?.[key] ?? []) at.set(x, [...(at.get(x) ?? []), y]);
  return [...at.entries()].sort(([a], [b]) => a - b).map(([x, ys]) => [x, mean(ys)]);
}

function plot(runs: RunFigures[], meta: { preset: string; seeds: number[] }): Spec {
  const first = runs[0]!;
  const line = (what: string) => MECHANISMS.map((m) => ({ name: LABEL[m], points: meanSeries(runs, `${m}/${what}`) }));
  const share = lineChartSpec({ title: 'Top tier\'s share of the workload\'s accesses', subtitle: [], xTitle: 'simulated time (s)', yTitle: 'top-tier share of accesses (fraction)', yBytes: false, series: line('top_tier_share') });
  const rate = lineChartSpec({ title: 'Promotions per second', subtitle: [], xTitle: 'simulated time (s)', yTitle: 'promotions (pages/s)', yBytes: false, series: line('promotions_per_s') });
  for (const sp of [share, rate]) for (const l of sp.legends ?? []) l.title = 'mechanism';
  const seeds = meta.seeds.length > 1 ? `mean over seeds ${meta.seeds.join(',')}` : `seed ${meta.seeds[0]}`;
  return panels([share, rate], `tiering-shootout: ${PRESET} (SPE on ${SPE_PRESET}), ${seeds}`, [setup(first.rows['none']?.['quick'] === 1).what]);
}

export const bench: Bench = {
  name: 'tiering-shootout',
  title: 'Every promotion mechanism on one moving hot set on CXL: run time, top-tier share over time, promotions, demotions, CPU by context',
  presets: [PRESET, SPE_PRESET],
  defaultSeeds: 1,
  run,
  json,
  table,
  plot,
};
export default bench;
