// `tiersim bench kmmscand-abench`: the kmmscand RFC V0 evaluation (spec/mechanisms.md §6.5):
// abench with 64 threads, 512 iterations, 1 µs delay over a buffer on the CXL node of the
// 512-CPU 2-node EPYC, base = numa_balancing=2 (hint faults), patched = numa_balancing=0 plus
// kmmscand; run time, % gain and patch 10's four overhead counters.
import { barChartSpec, type Bar } from '../plot/bars.js';
import { fmt, mean, pctStdev, plotSubtitle, round, stdev, valuesOf } from './runner.js';
import { SimSession } from './sim.js';
import type { Bench, BenchContext, RunFigures } from './types.js';

export const PRESET = 'epyc-2node-256g';
const SIZES_GB = [8, 32];
const QUICK = { sizesGb: [1], iters: 128 };
const OVERHEADS = ['numa_task_work_oh', 'numa_hf_migration_oh', 'kmmscand_scan_oh', 'kmmscand_migration_oh'] as const;
const SRC = 'kmmscand RFC V0 cover letter, 8 GB row (spec/mechanisms.md §6.5)';

/** abench run to its end in one mode on a fresh machine (also `tiersim bench perf`'s case). */
export async function runAbench(seed: number, sizeGb: number, iters: number, mode: 'base' | 'patched'): Promise<{ s: SimSession; pid: number }> {
  const s = new SimSession(PRESET, seed);
  s.write('proc/sys/kernel/numa_balancing', mode === 'base' ? '2' : '0');
  if (mode === 'patched') s.write('sys/kernel/mm/kmmscand/scan_enabled', '1');
  const pid = await s.spawn(`abench size=${sizeGb}G threads=64 iters=${iters} delay_us=1 node=1`);
  await s.runToEnd(pid);
  return { s, pid };
}

/** One run of abench in one mode; the counters it moved. */
async function runOne(ctx: BenchContext, sizeGb: number, iters: number, mode: 'base' | 'patched'): Promise<Record<string, number>> {
  const { s, pid } = await runAbench(ctx.seed, sizeGb, iters, mode);
  const v = s.vmstat();
  const out: Record<string, number> = { time_s: s.runtimeS(pid), hint_faults: v['numa_hint_faults'] ?? 0, promoted: (v['nr_kmmscand_migrated'] ?? 0) + (v['pgpromote_success'] ?? 0) };
  for (const name of OVERHEADS) out[name] = (v[name] ?? 0) / 1e6; // the counters are µs
  return out;
}

export const kmmscandAbench: Bench = {
  name: 'kmmscand-abench',
  title: 'kmmscand RFC V0 abench (64 threads, 512 iterations, 1 µs delay, buffer on CXL): NUMAB=2 vs NUMAB=0 + kmmscand',
  presets: [PRESET],
  defaultSeeds: 3,
  published: {
    'size_gb=8/base_s': { value: 133.66, unit: 's', source: SRC },
    'size_gb=8/patched_s': { value: 113.77, unit: 's', source: `${SRC}; in the calibration row, no constant fitted to it` },
    'size_gb=8/gain_pct': { value: 14.88, unit: '%', source: SRC },
    'size_gb=8/numa_task_work_oh': { value: 0.883, unit: 's', source: SRC },
    'size_gb=8/numa_hf_migration_oh': { value: 64.86, unit: 's', source: SRC },
    'size_gb=8/kmmscand_scan_oh': { value: 2.74, unit: 's', source: `${SRC}: pteClearYoung`, calibrated: true },
    'size_gb=8/kmmscand_migration_oh': { value: 11.19, unit: 's', source: `${SRC}: tlbFlushIpiPerCpu`, calibrated: true },
  },
  async run(ctx) {
    const sizes = ctx.quick ? QUICK.sizesGb : SIZES_GB;
    const iters = ctx.quick ? QUICK.iters : 512;
    const rows: RunFigures['rows'] = {};
    const total = sizes.length * 2;
    let done = 0;
    for (const size of sizes) {
      ctx.progress(done, total, `${size} GB base (numa_balancing=2)`);
      const base = await runOne(ctx, size, iters, 'base');
      ctx.progress(++done, total, `${size} GB patched (kmmscand)`);
      const patched = await runOne(ctx, size, iters, 'patched');
      ctx.progress(++done, total, `${size} GB done`);
      rows[`size_gb=${size}`] = {
        base_s: base['time_s']!,
        patched_s: patched['time_s']!,
        gain_pct: (100 * (base['time_s']! - patched['time_s']!)) / base['time_s']!,
        numa_task_work_oh: base['numa_task_work_oh']!,
        numa_hf_migration_oh: base['numa_hf_migration_oh']!,
        kmmscand_scan_oh: patched['kmmscand_scan_oh']!,
        kmmscand_migration_oh: patched['kmmscand_migration_oh']!,
        base_hint_faults: base['hint_faults']!,
        base_promoted: base['promoted']!,
        patched_hint_faults: patched['hint_faults']!,
        patched_promoted: patched['promoted']!,
      };
    }
    return { rows };
  },
  json(runs) {
    const m = (row: string, col: string) => round(mean(valuesOf(runs, row, col)));
    const sd = (row: string, col: string) => round(pctStdev(valuesOf(runs, row, col)), 2);
    return {
      rows: Object.keys(runs[0]?.rows ?? {}).map((row) => ({
        size_gb: Number(row.split('=')[1]),
        base_s: m(row, 'base_s'),
        base_pct_stdev: sd(row, 'base_s'),
        patched_s: m(row, 'patched_s'),
        patched_pct_stdev: sd(row, 'patched_s'),
        gain_pct: m(row, 'gain_pct'),
        overhead: Object.fromEntries(OVERHEADS.map((o) => [o, m(row, o)])),
        promotions: { base: m(row, 'base_promoted'), patched: m(row, 'patched_promoted') },
        hint_faults: { base: m(row, 'base_hint_faults'), patched: m(row, 'patched_hint_faults') },
      })),
    };
  },
  table(runs) {
    const rows = Object.keys(runs[0]?.rows ?? {});
    const cell = (row: string, col: string, d = 2) => {
      const xs = valuesOf(runs, row, col);
      return `${fmt(mean(xs), d)} s (±${fmt(pctStdev(xs), 2)}%)`;
    };
    const m = (row: string, col: string) => mean(valuesOf(runs, row, col));
    const out = ['Run time (simulated):', `${'Size'.padEnd(8)} ${'base (NUMAB=2)'.padStart(22)} ${'patched (kmmscand)'.padStart(22)} ${'change'.padStart(9)}`];
    for (const row of rows) {
      const gb = row.split('=')[1];
      out.push(`${`${gb} GB`.padEnd(8)} ${cell(row, 'base_s').padStart(22)} ${cell(row, 'patched_s').padStart(22)} ${`${fmt(-m(row, 'gain_pct'), 2)}%`.padStart(9)}`);
    }
    out.push('', 'Scan + migration overhead (s):');
    out.push(`${'Size'.padEnd(8)} ${'base task_work'.padStart(15)} ${'base hf+migr.'.padStart(14)} ${'base total'.padStart(11)} ${'kmmscand scan'.padStart(14)} ${'kmmscand migr.'.padStart(15)} ${'kmmscand total'.padStart(15)}`);
    for (const row of rows) {
      const [tw, hf, sc, mg] = OVERHEADS.map((o) => m(row, o)) as [number, number, number, number];
      out.push(`${`${row.split('=')[1]} GB`.padEnd(8)} ${fmt(tw, 3, 15)} ${fmt(hf, 2, 14)} ${fmt(tw + hf, 3, 11)} ${fmt(sc, 2, 14)} ${fmt(mg, 2, 15)} ${fmt(sc + mg, 2, 15)}`);
    }
    out.push('', 'Promotions (base: pgpromote_success; patched: nr_kmmscand_migrated) and hint faults:');
    for (const row of rows) out.push(`${`${row.split('=')[1]} GB`.padEnd(8)} base ${fmt(m(row, 'base_promoted'), 0)} promoted, ${fmt(m(row, 'base_hint_faults'), 0)} hint faults; patched ${fmt(m(row, 'patched_promoted'), 0)} promoted, ${fmt(m(row, 'patched_hint_faults'), 0)} hint faults`);
    return out;
  },
  plot(runs, meta) {
    const bars: Bar[] = [];
    for (const row of Object.keys(runs[0]?.rows ?? {})) {
      const gb = row.split('=')[1];
      for (const [col, series] of [['base_s', 'base: NUMAB=2'], ['patched_s', 'patched: NUMAB=0 + kmmscand']] as const) {
        const xs = valuesOf(runs, row, col);
        const pub = this.published?.[`${row}/${col}`]?.value;
        bars.push({ group: `${gb} GB`, series, mean: mean(xs), stdev: stdev(xs), ...(pub === undefined ? {} : { published: pub }) });
      }
    }
    return barChartSpec({ title: 'kmmscand RFC V0: abench run time, NUMA balancing tiering vs kmmscand', subtitle: plotSubtitle(meta, meta.quick), xTitle: 'abench buffer size (on the CXL node)', yTitle: 'Run time (simulated s)', bars });
  },
};
