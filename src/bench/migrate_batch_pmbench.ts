// `tiersim bench migrate-batch-pmbench`: the x86 test of "migrate_pages: batch flushing TLB"
// (Huang Ying, 6.3; spec/mechanisms.md §4.3): a pmbench-like workload runs while `migratepages`
// moves its pages between node 0 and node 1 back and forth for a fixed time; TLB-flush IPIs and
// pages migrated per second, unbatched vs batched. Both published figures are predictions here.
import { barChartSpec, type Bar } from '../plot/bars.js';
import { fmt, mean, pctStdev, plotSubtitle, round, stdev, valuesOf } from './runner.js';
import { SimSession } from './sim.js';
import type { Bench, RunFigures } from './types.js';

export const PRESET = '2socket-cxl';
const FLOWS = ['unbatched', 'batched'] as const;
const SRC = 'commit "migrate_pages: batch flushing TLB" (6f7d760e86fa), 2-socket Intel server (spec/mechanisms.md §4.3)';

/** `migratepages PID 0 1`, `1 0`, … until `seconds` of simulated time have passed (also
 * `tiersim bench perf`'s case). */
export async function bounce(sim: SimSession, pid: number, seconds: number, onRound?: (rounds: number, doneS: number) => void): Promise<{ moved: number; rounds: number; elapsed: number }> {
  const t0 = sim.k.clock.nowNs;
  let moved = 0;
  let rounds = 0;
  let [from, to] = ['0', '1'];
  while (sim.k.clock.nowNs - t0 < seconds * 1e9) {
    moved += (await sim.migratePages(pid, from, to))['pages_moved']!;
    rounds++;
    [from, to] = [to, from];
    onRound?.(rounds, (sim.k.clock.nowNs - t0) / 1e9);
  }
  return { moved, rounds, elapsed: (sim.k.clock.nowNs - t0) / 1e9 };
}

export const migrateBatchPmbench: Bench = {
  name: 'migrate-batch-pmbench',
  title: 'migrate_pages() batching on x86: migratepages bounces a running pmbench-like workload between node 0 and 1',
  presets: [PRESET],
  defaultSeeds: 3,
  published: {
    'summary/ipi_reduction_pct': { value: 99.1, unit: '%', source: SRC },
    'summary/pages_per_s_gain_pct': { value: 291.7, unit: '%', source: SRC },
  },
  async run(ctx) {
    // pmbench-like: 16 threads (one socket's CPUs, migratepages' CPU 0 among them) doing random
    // accesses over its buffer for the whole test.
    const size = ctx.quick ? '128M' : '1G';
    const seconds = ctx.quick ? 0.5 : 10;
    const rows: RunFigures['rows'] = {};
    for (const [i, flow] of FLOWS.entries()) {
      const sim = new SimSession(PRESET, ctx.seed);
      sim.write('proc/sys/kernel/numa_balancing', '0'); // only migratepages moves pages
      sim.write('sim/migrate_flow', flow);
      const pid = await sim.spawn(`abench size=${size} threads=16 iters=1000000 node=0`);
      await sim.advance('100ms');
      const v0 = sim.vmstat();
      const { moved, rounds, elapsed } = await bounce(sim, pid, seconds, (r, doneS) => ctx.progress(i * 1000 + Math.round((doneS / seconds) * 1000), FLOWS.length * 1000, `${flow}: ${r} migratepages`));
      const v1 = sim.vmstat();
      const d = (name: string) => (v1[name] ?? 0) - (v0[name] ?? 0);
      rows[`flow=${flow}`] = {
        elapsed_s: elapsed,
        pages_moved: moved,
        pages_per_s: moved / elapsed,
        migratepages_calls: rounds,
        tlb_flush_rounds: d('nr_tlb_remote_flush'),
        tlb_flush_ipis: d('nr_tlb_remote_flush_received'),
        ipis_per_page: d('nr_tlb_remote_flush_received') / moved,
      };
    }
    const u = rows['flow=unbatched']!;
    const b = rows['flow=batched']!;
    rows['summary'] = {
      ipi_reduction_pct: 100 * (1 - b['tlb_flush_ipis']! / u['tlb_flush_ipis']!),
      pages_per_s_gain_pct: 100 * (b['pages_per_s']! / u['pages_per_s']! - 1),
    };
    return { rows };
  },
  json(runs) {
    const m = (row: string, col: string) => round(mean(valuesOf(runs, row, col)));
    return {
      ipi_reduction_pct: m('summary', 'ipi_reduction_pct'),
      pages_per_s_gain_pct: m('summary', 'pages_per_s_gain_pct'),
      pages_per_s_gain_pct_stdev: round(pctStdev(valuesOf(runs, 'summary', 'pages_per_s_gain_pct')), 2),
      flows: Object.fromEntries(FLOWS.map((f) => [f, Object.fromEntries(['elapsed_s', 'pages_moved', 'pages_per_s', 'migratepages_calls', 'tlb_flush_rounds', 'tlb_flush_ipis', 'ipis_per_page'].map((c) => [c, m(`flow=${f}`, c)]))])),
    };
  },
  table(runs) {
    const m = (row: string, col: string) => mean(valuesOf(runs, row, col));
    const out = [`${'kernel'.padEnd(10)} ${'test time'.padStart(10)} ${'migratepages'.padStart(13)} ${'pages/s'.padStart(18)} ${'flush rounds'.padStart(13)} ${'TLB-flush IPIs'.padStart(15)} ${'IPIs/page'.padStart(10)}`];
    for (const f of FLOWS) {
      const row = `flow=${f}`;
      const xs = valuesOf(runs, row, 'pages_per_s');
      out.push(`${f.padEnd(10)} ${`${fmt(m(row, 'elapsed_s'), 2)} s`.padStart(10)} ${fmt(m(row, 'migratepages_calls'), 0, 13)} ${`${fmt(mean(xs), 0)} ±${fmt(pctStdev(xs), 1)}%`.padStart(18)} ${fmt(m(row, 'tlb_flush_rounds'), 0, 13)} ${fmt(m(row, 'tlb_flush_ipis'), 0, 15)} ${fmt(m(row, 'ipis_per_page'), 3, 10)}`);
    }
    out.push(`TLB-flush IPIs: −${fmt(m('summary', 'ipi_reduction_pct'), 1)}% (published −99.1%); pages migrated per second: +${fmt(m('summary', 'pages_per_s_gain_pct'), 1)}% (published +291.7%)`);
    return out;
  },
  plot(runs, meta) {
    const bars: Bar[] = [];
    for (const [col, series, pub] of [['ipi_reduction_pct', 'TLB-flush IPI reduction', 99.1], ['pages_per_s_gain_pct', 'pages/s gain', 291.7]] as const) {
      const xs = valuesOf(runs, 'summary', col);
      bars.push({ group: series, series: 'model', mean: mean(xs), stdev: stdev(xs), published: pub });
    }
    return barChartSpec({ title: 'migratepages bouncing pmbench on a 2-socket x86: batched vs unbatched', subtitle: plotSubtitle(meta, meta.quick), xTitle: 'figure (batched relative to unbatched)', yTitle: 'Change (%)', bars });
  },
};
