// `tiersim bench sampling-vs-hintfaults`: one tiering workload (a hot set on the CXL node of the
// Arm preset) with NUMA balancing in tiering mode (numa_balancing=2) driven twice: by PROT_NONE
// hint faults (task_numa_work + do_numa_page), and by SPE samples (kernel.mem_sampling_enable=1,
// kernel.numa_balancing_mem_sampling=1: the scanner stops, each sample is a fault equivalent).
// A second pair runs the RFC's own regime, NUMA balancing between DRAM nodes (numa_balancing=1,
// memory on the remote DRAM node). The overhead is split by context and path as the AMD IBS RFC split it (spec/mechanisms.md §5.3:
// do_numa_page 29.88 s + task_numa_work 0.025 s = 29.9 s by default, NMI 1.23 s + task work
// 10.64 s + sched-switch hook 0.078 s = 11.9 s with IBS) and printed beside it.
//
// The publication is AMD IBS on x86; tiersim models Arm SPE (openEuler mem_sampling), so the
// preset is the Arm CXL machine and the comparable figure is the relative reduction of the
// overhead, not its absolute seconds (a different machine, workload size and sample period).
import type { Bench, BenchContext, RunFigures } from './types.js';
import { costNs } from '../kernel/config/machine.js';
import type { Spec } from 'vega';
import { barChartSpec, type Bar } from '../plot/bars.js';
import { errorPct, formatTable, mean, meanText, plotSubtitle, stdev, valuesOf } from './runner.js';
import { SimSession } from './sim.js';

export const PRESET = 'arm64-2node-128c-cxl';

interface Size {
  spec: string;
  what: string;
  maxS: number;
}

/** The workload: memory on the CXL node (node 2) of the Arm preset, CPUs on node 0. The NUMA
 * variant (numa_balancing=1, the RFC's regime) puts it on the other DRAM node (node 1). */
export function workload(quick: boolean): Size {
  return quick
    ? { spec: 'hotset size=256M threads=4 iters=1500 node=2 cpunode=0', what: 'hotset 256 MiB, 4 threads, 1500 iterations', maxS: 60 }
    : { spec: 'hotset size=2G threads=16 iters=8000 node=2 cpunode=0', what: 'hotset 2 GiB, 16 threads, 8000 iterations', maxS: 300 };
}

/** The IBS RFC's microbenchmark breakdown (s), spec/mechanisms.md §5.3. */
const IBS = {
  default: { scan_s: 0.025, fault_s: 29.88, total_s: 29.9 },
  ibs: { irq_s: 1.23, taskwork_s: 10.64, hook_s: 0.078, total_s: 11.9 },
};
const SRC = 'AMD IBS NUMA balancing RFC (Bharata B Rao, 2023-02-08), microbenchmark overhead breakdown; spec/mechanisms.md §5.3';

export const ROWS = ['hint_faults', 'spe', 'hint_faults_numa', 'spe_numa'] as const;
type Row = (typeof ROWS)[number];

async function runOne(ctx: BenchContext, source: Row, step: number, steps: number): Promise<Record<string, number>> {
  const w = workload(ctx.quick);
  const numa = source.endsWith('_numa');
  const s = new SimSession(PRESET, ctx.seed);
  s.write('proc/sys/kernel/numa_balancing', numa ? '1' : '2');
  if (source.startsWith('spe')) {
    s.write('proc/sys/kernel/mem_sampling_enable', '1');
    s.write('proc/sys/kernel/numa_balancing_mem_sampling', '1');
  }
  const pid = await s.spawn(numa ? w.spec.replace('node=2', 'node=1') : w.spec);
  await s.runToEnd(pid, { stepS: 1, maxS: w.maxS, onStep: (t) => ctx.progress(step, steps, `${source}: ${t} s simulated`) });
  const v = s.vmstat();
  const nb = s.numab(pid);
  const decodeS = (nb['samples']! * costNs(s.k.config, 'speSampleProcess')) / 1e9;
  const scan = nb['task_work_us']! / 1e6;
  const fault = nb['hint_fault_us']! / 1e6;
  const sample = nb['sample_us']! / 1e6;
  const kthreads = Object.values(s.kthreadsNs()).reduce((a, b) => a + b, 0) / 1e9;
  return {
    done: s.state(pid) === 'done' ? 1 : 0,
    runtime_s: s.runtimeS(pid),
    stall_s: s.stallS(pid),
    pte_updates: v['numa_pte_updates']!,
    hint_faults: v['numa_hint_faults']!,
    samples: nb['samples']!,
    promoted: v['pgpromote_success']!,
    migrated: v['numa_pages_migrated']!,
    scan_s: scan,
    fault_s: fault,
    irq_s: decodeS,
    taskwork_s: sample - decodeS,
    overhead_s: scan + fault + sample,
    numa_task_work_oh_s: v['numa_task_work_oh']! / 1e6,
    numa_hf_migration_oh_s: v['numa_hf_migration_oh']! / 1e6,
    kthreads_s: kthreads,
    top_tier_share: s.topTierShare(pid) ?? NaN,
  };
}

async function run(ctx: BenchContext): Promise<RunFigures> {
  const rows: RunFigures['rows'] = {};
  for (const [i, r] of ROWS.entries()) rows[r] = await runOne(ctx, r, i, ROWS.length);
  const reduction = (hf: string, spe: string) => 100 * (1 - rows[spe]!['overhead_s']! / rows[hf]!['overhead_s']!);
  const change = (hf: string, spe: string) => 100 * (rows[spe]!['runtime_s']! / rows[hf]!['runtime_s']! - 1);
  rows['summary'] = {
    reduction_pct: reduction('hint_faults', 'spe'),
    runtime_change_pct: change('hint_faults', 'spe'),
    numa_reduction_pct: reduction('hint_faults_numa', 'spe_numa'),
    numa_runtime_change_pct: change('hint_faults_numa', 'spe_numa'),
    quick: ctx.quick ? 1 : 0,
  };
  ctx.progress(ROWS.length, ROWS.length, 'done');
  return { rows };
}

const published: Bench['published'] = {
  'hint_faults/scan_s': { value: IBS.default.scan_s, unit: 's', source: SRC },
  'hint_faults/fault_s': { value: IBS.default.fault_s, unit: 's', source: SRC },
  'hint_faults/overhead_s': { value: IBS.default.total_s, unit: 's', source: SRC },
  'spe/irq_s': { value: IBS.ibs.irq_s, unit: 's', source: SRC },
  'spe/taskwork_s': { value: IBS.ibs.taskwork_s, unit: 's', source: SRC },
  'spe/overhead_s': { value: IBS.ibs.total_s, unit: 's', source: SRC },
  'summary/reduction_pct': { value: 100 * (1 - IBS.ibs.total_s / IBS.default.total_s), unit: '%', source: SRC },
  'summary/numa_reduction_pct': { value: 100 * (1 - IBS.ibs.total_s / IBS.default.total_s), unit: '%', source: SRC },
};

function table(runs: RunFigures[]): string[] {
  const quick = runs.some((r) => r.rows['summary']?.['quick'] === 1);
  const w = workload(quick);
  const c = (row: string, col: string, d = 2) => meanText(valuesOf(runs, row, col), d);
  const pub = (key: string) => (published?.[key] ? String(published[key]!.value) : '-');
  const err = (row: string, col: string) => {
    const p = published?.[`${row}/${col}`];
    const xs = valuesOf(runs, row, col);
    return p && xs.length ? `${errorPct(mean(xs), p.value).toFixed(0)}%` : '';
  };
  const both = (label: string, col: string, d = 2, pubDefault = '', pubSampled = ''): string[] => [label, ...ROWS.map((r) => c(r, col, d)), pubDefault, pubSampled];
  const lines = [
    `sampling-vs-hintfaults: ${w.what}, CPUs on node 0; ${PRESET}; ${runs.length} seed(s)`,
    '  tiering: numa_balancing=2, memory on CXL node 2; NUMA: numa_balancing=1, memory on DRAM node 1',
    '',
    ...formatTable([
      ['', 'tiering: hint faults', 'SPE samples', 'NUMA: hint faults', 'SPE samples', 'IBS RFC default', 'IBS RFC sampled'],
      both('workload time (s, simulated)', 'runtime_s', 2, '-', '-'),
      both('PTEs made PROT_NONE', 'pte_updates', 0),
      both('numa_hint_faults (vmstat)', 'hint_faults', 0),
      both('SPE records taken', 'samples', 0),
      both('pages migrated (numa_pages_migrated)', 'migrated', 0),
      both('scan, task_numa_work (s)', 'scan_s', 3, pub('hint_faults/scan_s'), '-'),
      both('hint faults, do_numa_page + migration (s)', 'fault_s', 2, pub('hint_faults/fault_s'), '-'),
      both('sample interrupt: decode / NMI (s)', 'irq_s', 2, '-', pub('spe/irq_s')),
      both('sample task work incl. migration (s)', 'taskwork_s', 2, '-', pub('spe/taskwork_s')),
      ['sched-switch hook (s)', ...ROWS.map(() => 'not modelled'), '-', String(IBS.ibs.hook_s)],
      both('total overhead (s)', 'overhead_s', 2, pub('hint_faults/overhead_s'), pub('spe/overhead_s')),
      both('  vmstat numa_task_work_oh (s)', 'numa_task_work_oh_s', 3),
      both('  vmstat numa_hf_migration_oh (s)', 'numa_hf_migration_oh_s'),
      both('kernel threads, sim/kthreads (s)', 'kthreads_s', 3),
      both('workload stalled (thread-s)', 'stall_s'),
      both('final top-tier share of accesses', 'top_tier_share', 3),
    ]),
    '',
    ...formatTable([
      ['overhead reduction by sampling, 1 - sampled/default', 'predicted', 'published', 'error'],
      ['tiering (numa_balancing=2), total overhead (%)', c('summary', 'reduction_pct', 1), pub('summary/reduction_pct').slice(0, 4), err('summary', 'reduction_pct')],
      ['NUMA (numa_balancing=1), total overhead (%)', c('summary', 'numa_reduction_pct', 1), pub('summary/numa_reduction_pct').slice(0, 4), err('summary', 'numa_reduction_pct')],
      ['tiering, workload time change (%)', c('summary', 'runtime_change_pct', 1), '-', ''],
      ['NUMA, workload time change (%)', c('summary', 'numa_runtime_change_pct', 1), '-', ''],
    ]),
    '',
    ...(quick ? ['(--quick: a scaled-down run; its figures are not comparable with the publication)', ''] : []),
    'Notes:',
    '- Published: AMD IBS on a Zen4 x86 machine (2-socket NUMA balancing, IBS sample period 10000 ops,',
    '  adaptive 5000-20000). tiersim models Arm SPE (openEuler mem_sampling: one sample per 1024 ops),',
    `  so the runs use the Arm CXL preset ${PRESET}. Absolute seconds depend on machine, workload and`,
    '  length and are not comparable; the reduction % is the prediction (nothing was calibrated on it).',
    '- Hint faults in tiering mode stop once the pages are promoted (the scanner skips top-tier pages);',
    '  in NUMA mode the scanner marks every page every pass. SPE samples every access stream, local ones',
    '  included (each record decoded and handled as a fault equivalent), with a 10x shorter sample period',
    '  than IBS, and each record\'s task work is charged the hint-fault cost (costs.hintFaultTrap) though',
    '  no trap is taken. Where the model predicts sampling costs more, these are the reasons.',
    '- The per-sample interrupt cost is the preset constant speSampleProcess (the IBS NMI average 1.26 us).',
  ];
  return lines;
}

function json(runs: RunFigures[]): unknown {
  const m = (row: string, col: string) => mean(valuesOf(runs, row, col));
  return {
    preset: PRESET,
    rows: ROWS.map((r) => ({ source: r, ...Object.fromEntries(Object.keys(runs[0]?.rows[r] ?? {}).map((col) => [col, m(r, col)])) })),
    reduction_pct: m('summary', 'reduction_pct'),
    published_reduction_pct: published?.['summary/reduction_pct']?.value,
  };
}

const SERIES: Record<Row, string> = { hint_faults: 'tiering: hint faults', spe: 'tiering: SPE', hint_faults_numa: 'NUMA: hint faults', spe_numa: 'NUMA: SPE' };
const PATHS: Array<[string, string]> = [['scan_s', 'scan'], ['fault_s', 'hint faults'], ['irq_s', 'sample interrupt'], ['taskwork_s', 'sample task work'], ['overhead_s', 'total']];

/** Overhead by path: the four runs' bars (mean ± sd over seeds) beside the IBS RFC's. */
function plot(runs: RunFigures[], meta: { preset: string; seeds: number[] }): Spec {
  const bars: Bar[] = [];
  for (const [col, group] of PATHS) {
    for (const r of ROWS) {
      const xs = valuesOf(runs, r, col);
      bars.push({ group, series: SERIES[r], mean: mean(xs), stdev: stdev(xs) });
    }
    const pubD = published?.[`hint_faults/${col}`];
    const pubS = published?.[`spe/${col}`];
    bars.push({ group, series: 'IBS RFC default (published)', mean: pubD?.value ?? (col === 'irq_s' || col === 'taskwork_s' ? 0 : NaN), stdev: 0 });
    bars.push({ group, series: 'IBS RFC sampled (published)', mean: pubS?.value ?? (col === 'scan_s' || col === 'fault_s' ? 0 : NaN), stdev: 0 });
  }
  const quick = runs.some((r) => r.rows['summary']?.['quick'] === 1);
  return barChartSpec({
    title: `sampling-vs-hintfaults: ${meta.preset}, seeds ${meta.seeds.join(',')}`,
    subtitle: [`${workload(quick).what}; NUMA balancing overhead by path (model: Arm SPE; published: AMD IBS, another machine)`, ...plotSubtitle(meta, quick)],
    xTitle: 'overhead path',
    yTitle: 'CPU time (s)',
    bars,
  });
}

export const bench: Bench = {
  name: 'sampling-vs-hintfaults',
  title: 'NUMA balancing tiering driven by hint faults vs SPE samples: overhead by path, beside the IBS RFC',
  presets: [PRESET],
  defaultSeeds: 3,
  run,
  published,
  json,
  table,
  plot,
};
export default bench;
