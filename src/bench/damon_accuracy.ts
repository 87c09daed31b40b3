// `tiersim bench damon-accuracy`: how well DAMON's regions find the hot memory, against the
// simulator's ground truth — a table no real kernel can produce, since only the model knows which
// pages are really hot.
//
// Setup: cxl-2node, numa_balancing=0 (nothing moves pages), one workload on node 0 (a static hot
// set, or zipf by address rank), one vaddr kdamond set up through /sys/kernel/mm/damon/admin with
// a `stat` scheme that matches every region, so the scheme's tried_regions (written by
// `update_schemes_tried_regions`) are the context's regions with their nr_accesses at the last
// aggregation. Swept: the sampling/aggregation intervals and the min/max region bounds.
//
// Definitions (bytes, per aggregation, then averaged over the measured aggregations):
// - ground truth: sim/truth/rate over the target's mapped span in 4096 slices, with the last
//   aggregation interval as window; a slice is hot when its accesses per page per second are at
//   least the average page's (r̄ = total rate / mapped pages) — "accessed at least as often as the
//   average page", the same definition as sim/truth/placement's hot pages.
// - DAMON's hot: a region whose nr_accesses ≥ the score a page accessed at exactly r̄ would get,
//   thr = max_nr_accesses × (1 − e^(−r̄ · sample_interval)) with max_nr_accesses = aggr/sample
//   (each sample asks whether a page of the region was accessed in one sampling interval).
// - precision = |DAMON hot ∩ true hot| / |DAMON hot|; recall = |DAMON hot ∩ true hot| / |true hot|
//   (precision is undefined, `-`, when DAMON calls nothing hot).
// - kdamond CPU: the kdamond's CPU time over the run (sampling checks, merges, splits) as % of
//   one CPU.
import type { Bench, BenchContext, RunFigures } from './types.js';
import { damonSysfs } from '../kernel/mm/damon/sysfs.js';
import type { Spec } from 'vega';
import { barChartSpec, type Bar } from '../plot/bars.js';
import { formatTable, mean, meanText, plotSubtitle, stdev, valuesOf } from './runner.js';
import { ADMIN, SimSession, UL } from './sim.js';

export const PRESET = 'cxl-2node';

export interface Config {
  workload: 'hotset' | 'zipf';
  sampleUs: number;
  aggrUs: number;
  minRegions: number;
  maxRegions: number;
}

export const rowName = (c: Config) => `${c.workload} ${c.sampleUs / 1000}ms/${c.aggrUs / 1000}ms regions ${c.minRegions}-${c.maxRegions}`;

export function configs(quick: boolean): Config[] {
  const intervals: Array<[number, number]> = quick ? [[5000, 100000], [50000, 1000000]] : [[1000, 20000], [5000, 100000], [50000, 1000000]];
  const bounds: Array<[number, number]> = [[10, 1000], [3, 10]];
  const out: Config[] = [];
  for (const workload of ['hotset', 'zipf'] as const) for (const [sampleUs, aggrUs] of intervals) for (const [minRegions, maxRegions] of bounds) out.push({ workload, sampleUs, aggrUs, minRegions, maxRegions });
  return out;
}

export function sizes(quick: boolean): { size: string; label: string; threads: number; warmAggr: number; measureAggr: number } {
  return quick ? { size: '256M', label: '256 MiB', threads: 4, warmAggr: 10, measureAggr: 5 } : { size: '1G', label: '1 GiB', threads: 8, warmAggr: 20, measureAggr: 10 };
}

/** Half-open byte ranges with a hot flag, sorted by start. */
type Ranges = Array<[number, number, boolean]>;

/** Bytes of hot `a` that are hot in `b`, and the hot bytes of each. */
export function overlap(a: Ranges, b: Ranges): { both: number; aHot: number; bHot: number } {
  const hotA = a.filter((r) => r[2]);
  const hotB = b.filter((r) => r[2]);
  let both = 0;
  let j = 0;
  for (const [s, e] of hotA) {
    while (j < hotB.length && hotB[j]![1] <= s) j++;
    for (let k = j; k < hotB.length && hotB[k]![0] < e; k++) both += Math.max(0, Math.min(e, hotB[k]![1]) - Math.max(s, hotB[k]![0]));
  }
  const sum = (rs: Ranges) => rs.reduce((x, [s, e]) => x + e - s, 0);
  return { both, aHot: sum(hotA), bHot: sum(hotB) };
}

/** The ground truth over the last `windowUs`: slices hot when their per-page rate ≥ the average page's. */
async function truth(s: SimSession, pid: number, windowUs: number): Promise<{ ranges: Ranges; avgPageRate: number }> {
  const text = await s.k.fs.transact('sim/truth/rate', `${pid} 0 ${UL} ${windowUs}us 4096`);
  const slices = text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' '))
    .map(([a, b, r]) => [parseInt(a!, 16), parseInt(b!, 16), Number(r)] as const);
  const bytes = slices.reduce((x, [a, b]) => x + b - a, 0);
  const total = slices.reduce((x, [, , r]) => x + r, 0);
  const avgPerByte = total / bytes;
  return { ranges: slices.map(([a, b, r]) => [a, b, r / (b - a) >= avgPerByte]), avgPageRate: avgPerByte * 4096 };
}

function damonRegions(s: SimSession): Array<[number, number, number]> {
  const T = `${ADMIN}/0/contexts/0/schemes/0/tried_regions`;
  s.write(`${ADMIN}/0/state`, 'update_schemes_tried_regions');
  const names = [...s.k.fs.readdir(T)].filter((n) => /^\d+$/.test(n)).sort((a, b) => Number(a) - Number(b));
  return names.map((n) => [Number(s.read(`${T}/${n}/start`)), Number(s.read(`${T}/${n}/end`)), Number(s.read(`${T}/${n}/nr_accesses`))]);
}

async function runConfig(ctx: BenchContext, c: Config): Promise<Record<string, number>> {
  const z = sizes(ctx.quick);
  const s = new SimSession(PRESET, ctx.seed);
  s.write('proc/sys/kernel/numa_balancing', '0');
  const pid = await s.spawn(`${c.workload} size=${z.size} threads=${z.threads} node=0`);
  const C = `${ADMIN}/0/contexts/0`;
  s.write(`${ADMIN}/nr_kdamonds`, '1');
  s.write(`${ADMIN}/0/contexts/nr_contexts`, '1');
  s.write(`${C}/operations`, 'vaddr');
  s.write(`${C}/monitoring_attrs/intervals/sample_us`, String(c.sampleUs));
  s.write(`${C}/monitoring_attrs/intervals/aggr_us`, String(c.aggrUs));
  s.write(`${C}/monitoring_attrs/nr_regions/max`, String(c.maxRegions));
  s.write(`${C}/monitoring_attrs/nr_regions/min`, String(c.minRegions));
  s.write(`${C}/targets/nr_targets`, '1');
  s.write(`${C}/targets/0/pid_target`, String(pid));
  s.write(`${C}/schemes/nr_schemes`, '1');
  for (const p of ['sz', 'nr_accesses', 'age']) {
    s.write(`${C}/schemes/0/access_pattern/${p}/min`, '0');
    s.write(`${C}/schemes/0/access_pattern/${p}/max`, UL);
  }
  s.write(`${ADMIN}/0/state`, 'on');
  const t0 = s.nowS();
  await s.advance(`${c.aggrUs * z.warmAggr}us`);
  const maxNr = c.aggrUs / c.sampleUs;
  const precision: number[] = [];
  const recall: number[] = [];
  const nrRegions: number[] = [];
  const hotFrac: number[] = [];
  for (let i = 0; i < z.measureAggr; i++) {
    await s.advance(`${c.aggrUs}us`);
    const t = await truth(s, pid, c.aggrUs);
    const thr = maxNr * (1 - Math.exp(-t.avgPageRate * (c.sampleUs / 1e6)));
    const regions = damonRegions(s);
    const predicted: Ranges = regions.map(([a, b, nr]) => [a, b, nr >= thr]);
    const o = overlap(predicted, t.ranges);
    if (o.aHot > 0) precision.push(o.both / o.aHot);
    if (o.bHot > 0) recall.push(o.both / o.bHot);
    nrRegions.push(regions.length);
    hotFrac.push(o.bHot / t.ranges.reduce((x, [a, b]) => x + b - a, 0));
  }
  const elapsed = s.nowS() - t0;
  const cpuNs = damonSysfs(s.k).kdamonds.get(0).ctx!.cpuNs;
  s.write(`${ADMIN}/0/state`, 'off');
  return {
    precision: precision.length ? mean(precision) : NaN,
    recall: recall.length ? mean(recall) : NaN,
    nr_regions: mean(nrRegions),
    true_hot_frac: mean(hotFrac),
    kdamond_cpu_pct: (100 * cpuNs) / 1e9 / elapsed,
    simulated_s: elapsed,
  };
}

async function run(ctx: BenchContext): Promise<RunFigures> {
  const list = configs(ctx.quick);
  const rows: RunFigures['rows'] = {};
  for (const [i, c] of list.entries()) {
    ctx.progress(i, list.length, rowName(c));
    rows[rowName(c)] = { ...(await runConfig(ctx, c)), quick: ctx.quick ? 1 : 0 };
  }
  ctx.progress(list.length, list.length, 'done');
  return { rows };
}

function table(runs: RunFigures[]): string[] {
  const quick = Object.values(runs[0]?.rows ?? {}).some((r) => r['quick'] === 1);
  const z = sizes(quick);
  const c = (row: string, col: string, d: number) => meanText(valuesOf(runs, row, col), d);
  return [
    `damon-accuracy: vaddr kdamond on one ${z.label} workload on node 0 (${z.threads} threads), ${PRESET}, numa_balancing=0; ${z.warmAggr} aggregations of warm-up, then ${z.measureAggr} measured; ${runs.length} seed(s)`,
    ...(quick ? ['(--quick: a scaled-down run)'] : []),
    '',
    ...formatTable([
      ['workload, sample/aggr interval, region bounds', 'precision', 'recall', 'regions', 'true hot %', 'kdamond CPU %'],
      ...configs(quick).map((cf) => {
        const r = rowName(cf);
        return [r, c(r, 'precision', 3), c(r, 'recall', 3), c(r, 'nr_regions', 0), (100 * mean(valuesOf(runs, r, 'true_hot_frac'))).toFixed(1), c(r, 'kdamond_cpu_pct', 3)];
      }),
    ]),
    '',
    'Definitions (bytes, per aggregation, averaged over the measured ones):',
    '- true hot: a 1/4096 slice of the mapped span whose accesses per page per second (sim/truth/rate over',
    '  the last aggregation interval) are at least the average page\'s, r̄;',
    '- DAMON hot: a region (tried_regions of a stat scheme matching every region) with nr_accesses ≥',
    '  (aggr/sample) × (1 − e^(−r̄ × sample interval)), the score of a page accessed exactly at r̄;',
    '- precision = hot bytes DAMON got right / bytes DAMON calls hot (`-`: it calls none hot);',
    '  recall = hot bytes DAMON got right / truly hot bytes;',
    '- kdamond CPU %: its CPU time over the simulated time of the run, % of one CPU.',
    'No publication: no real kernel knows the true access rates.',
  ];
}

function json(runs: RunFigures[]): unknown {
  const names = Object.keys(runs[0]?.rows ?? {});
  return {
    preset: PRESET,
    rows: names.map((r) => ({ config: r, ...Object.fromEntries(['precision', 'recall', 'nr_regions', 'true_hot_frac', 'kdamond_cpu_pct'].map((col) => [col, mean(valuesOf(runs, r, col))])) })),
  };
}

/** Precision and recall per configuration (mean ± sd over seeds). */
function plot(runs: RunFigures[], meta: { preset: string; seeds: number[] }): Spec {
  const quick = Object.values(runs[0]?.rows ?? {}).some((r) => r['quick'] === 1);
  const bars: Bar[] = [];
  for (const cf of configs(quick)) {
    const r = rowName(cf);
    for (const col of ['precision', 'recall']) {
      const xs = valuesOf(runs, r, col);
      bars.push({ group: r, series: col, mean: mean(xs), stdev: stdev(xs) });
    }
  }
  const z = sizes(quick);
  return barChartSpec({
    title: `damon-accuracy: ${meta.preset}, seeds ${meta.seeds.join(',')}`,
    subtitle: [`vaddr DAMON on ${z.label} hotset / zipf; hot = at least the average page's access rate; bytes`, ...plotSubtitle(meta, quick)],
    xTitle: 'workload, sampling/aggregation interval, min-max regions',
    yTitle: 'fraction of bytes',
    yDomain: [0, 1],
    bars,
  });
}

export const bench: Bench = {
  name: 'damon-accuracy',
  title: 'Precision and recall of DAMON\'s hot regions against the ground truth, across intervals and region bounds, with kdamond CPU',
  presets: [PRESET],
  defaultSeeds: 3,
  run,
  json,
  table,
  plot,
};
export default bench;
