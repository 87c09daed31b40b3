// `tiersim bench migrate-batch-memhog`: Xin Hao's arm64 run of the migrate_pages() batching
// series (spec/mechanisms.md §4.3): `memhog -r100000 1G` bound to node 0 and pinned to one CPU,
// then `migratepages PID 0 1` on the unbatched (before 6.3) and the batched kernel: elapsed time,
// pages/s, and the per-page split (copy, TLB flush, the rest) as the published perf profile.
import { costNs, PAGE_SIZE } from '../kernel/config/machine.js';
import { barChartSpec, type Bar } from '../plot/bars.js';
import { fmt, mean, pctStdev, plotSubtitle, round, stdev, valuesOf } from './runner.js';
import { SimSession } from './sim.js';
import type { Bench, RunFigures } from './types.js';

const PRESET = 'arm64-2node-128c';
const FLOWS = ['unbatched', 'batched'] as const;
const SRC = 'Xin Hao, -v4 thread of migrate_pages() batching, 2023-02-08 (spec/mechanisms.md §4.3, §4.4)';

export const migrateBatchMemhog: Bench = {
  name: 'migrate-batch-memhog',
  title: 'migrate_pages() batching on arm64: memhog -r100000 1G on node 0, migratepages PID 0 1, unbatched vs batched',
  presets: [PRESET],
  defaultSeeds: 3,
  published: {
    'flow=unbatched/elapsed_s': { value: 2.068, unit: 's', source: `${SRC}: tlbFlushSync, rmapWalk, migrateIsolateAlloc, remap`, calibrated: true },
    'flow=batched/elapsed_s': { value: 1.161, unit: 's', source: `${SRC}: same constants`, calibrated: true },
    'flow=unbatched/copy_us': { value: 3.34, unit: 'µs/page', source: `${SRC}: folio_copy 42.34% of 7.89 µs; copyBandwidthMBps`, calibrated: true },
    'flow=unbatched/flush_us': { value: 2.19, unit: 'µs/page', source: `${SRC}: ptep_clear_flush 27.78%; tlbFlushIpiBase`, calibrated: true },
    'flow=unbatched/rest_us': { value: 2.36, unit: 'µs/page', source: `${SRC}: the remaining 29.88%`, calibrated: true },
    'summary/speedup_pct': { value: 78.1, unit: '%', source: `${SRC}: 2.068 s → 1.161 s`, calibrated: true },
  },
  async run(ctx) {
    const size = ctx.quick ? '64M' : '1G';
    const rows: RunFigures['rows'] = {};
    for (const [i, flow] of FLOWS.entries()) {
      ctx.progress(i, FLOWS.length, `${flow} migratepages of ${size}`);
      const sim = new SimSession(PRESET, ctx.seed);
      const k = sim.k;
      sim.write('sim/migrate_flow', flow);
      // Bound to node 0 and pinned to one CPU; migratepages runs on CPU 0 (sim/migrate), so the
      // memhog thread is put on another CPU (cpunode=1: CPU 64), as a pinned memhog and a
      // shell's migratepages run on two CPUs. arm64 broadcasts TLBIs: no per-CPU term.
      const pid = await sim.spawn(`memhog size=${size} repeat=100000 threads=1 node=0 policy=bind cpunode=1`);
      await sim.advance('100ms');
      const s = await sim.migratePages(pid, '0', '1');
      const pages = s['pages_moved']!;
      const elapsed = s['elapsed_ns']! / 1e9;
      const media = k.config.media.dram;
      const copyUs = PAGE_SIZE / media.copyBandwidthMBps;
      // What the profile calls ptep_clear_flush: the TLBI round itself (the DSB wait after it
      // lands in its callers' share, with the rest).
      const flushUs = (s['tlb_remote_flushes']! * (costNs(k.config, 'tlbFlushIpiBase') + costNs(k.config, 'tlbFlushIpiPerCpu'))) / 1000 / pages;
      const perPageUs = (elapsed * 1e6) / pages;
      rows[`flow=${flow}`] = { elapsed_s: elapsed, pages, pages_per_s: pages / elapsed, per_page_us: perPageUs, copy_us: copyUs, flush_us: flushUs, rest_us: perPageUs - copyUs - flushUs, tlb_flush_rounds: s['tlb_remote_flushes']! };
    }
    ctx.progress(FLOWS.length, FLOWS.length, 'done');
    const u = rows['flow=unbatched']!['elapsed_s']!;
    const b = rows['flow=batched']!['elapsed_s']!;
    rows['summary'] = { speedup_pct: 100 * (u / b - 1) };
    return { rows };
  },
  json(runs) {
    const m = (row: string, col: string) => round(mean(valuesOf(runs, row, col)));
    const sd = (row: string, col: string) => round(pctStdev(valuesOf(runs, row, col)), 2);
    return {
      unbatched_s: m('flow=unbatched', 'elapsed_s'),
      unbatched_pct_stdev: sd('flow=unbatched', 'elapsed_s'),
      batched_s: m('flow=batched', 'elapsed_s'),
      batched_pct_stdev: sd('flow=batched', 'elapsed_s'),
      speedup_pct: m('summary', 'speedup_pct'),
      flows: Object.fromEntries(FLOWS.map((f) => [f, Object.fromEntries(['pages', 'pages_per_s', 'per_page_us', 'copy_us', 'flush_us', 'rest_us', 'tlb_flush_rounds'].map((c) => [c, m(`flow=${f}`, c)]))])),
    };
  },
  table(runs) {
    const m = (row: string, col: string) => mean(valuesOf(runs, row, col));
    const out = [`${'kernel'.padEnd(10)} ${'migratepages'.padStart(20)} ${'pages/s'.padStart(10)} ${'µs/page'.padStart(8)} ${'copy'.padStart(13)} ${'TLB flush'.padStart(13)} ${'rest'.padStart(13)}`];
    for (const f of FLOWS) {
      const row = `flow=${f}`;
      const per = m(row, 'per_page_us');
      const part = (c: string) => `${fmt(m(row, c), 2)} (${fmt((100 * m(row, c)) / per, 1)}%)`;
      const xs = valuesOf(runs, row, 'elapsed_s');
      out.push(`${f.padEnd(10)} ${`${fmt(mean(xs), 3)} s ±${fmt(pctStdev(xs), 2)}%`.padStart(20)} ${fmt(m(row, 'pages_per_s'), 0, 10)} ${fmt(per, 2, 8)} ${part('copy_us').padStart(13)} ${part('flush_us').padStart(13)} ${part('rest_us').padStart(13)}`);
    }
    out.push(`speedup: ${fmt(m('summary', 'speedup_pct'), 1)}% (published: 2.068 s → 1.161 s, +78%)`);
    out.push('per-page split in µs (share of the page); TLB flush = the broadcast TLBI round (ptep_clear_flush), rest = isolation, allocation, rmap walk, remap and the DSB wait after each flush');
    return out;
  },
  plot(runs, meta) {
    const bars: Bar[] = [];
    for (const f of FLOWS) {
      const row = `flow=${f}`;
      for (const [col, series] of [['copy_us', 'copy'], ['flush_us', 'TLB flush'], ['rest_us', 'rest'], ['per_page_us', 'total']] as const) {
        const xs = valuesOf(runs, row, col);
        const pub = f === 'batched' && col === 'per_page_us' ? 4.43 : f === 'unbatched' ? { copy_us: 3.34, flush_us: 2.19, rest_us: 2.36, per_page_us: 7.89 }[col] : undefined;
        bars.push({ group: `${f} (${fmt(mean(valuesOf(runs, row, 'elapsed_s')), 3)} s)`, series, mean: mean(xs), stdev: stdev(xs), ...(pub === undefined ? {} : { published: pub }) });
      }
    }
    return barChartSpec({ title: 'migratepages of memhog 1G on arm64: time per page, unbatched vs batched', subtitle: plotSubtitle(meta, meta.quick), xTitle: 'migrate_pages() flow (elapsed time of migratepages)', yTitle: 'Time per page (simulated µs)', bars });
  },
};
