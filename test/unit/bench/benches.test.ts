// --quick runs of the reproduction benches, in process: the effects the publications report
// must come out of the model (batched migration sends fewer TLB-flush IPIs and moves pages
// faster; kmmscand promotes without hint faults), and the JSON has the shape.
import { describe, expect, it } from 'vitest';
import { kmmscandAbench } from '../../../src/bench/kmmscand_abench.js';
import { migrateBatchMemhog } from '../../../src/bench/migrate_batch_memhog.js';
import { migrateBatchPmbench } from '../../../src/bench/migrate_batch_pmbench.js';
import type { Bench, RunFigures } from '../../../src/bench/types.js';
import { barChartSpec } from '../../../src/plot/bars.js';

const quick = (b: Bench, seed = 1): Promise<RunFigures> => b.run({ seed, quick: true, progress: () => {} });

describe('migrate-batch-memhog --quick', () => {
  it('batched migratepages flushes once per 512 pages, unbatched once per page, and is faster', async () => {
    const r = await quick(migrateBatchMemhog);
    const u = r.rows['flow=unbatched']!;
    const b = r.rows['flow=batched']!;
    expect(u['pages']).toBe(16384); // 64 MiB
    expect(u['tlb_flush_rounds']).toBe(16384);
    expect(b['tlb_flush_rounds']).toBe(32);
    expect(b['elapsed_s']!).toBeLessThan(u['elapsed_s']!);
    expect(b['copy_us']).toBe(u['copy_us']); // batching does not change the copy
    expect(u['copy_us']! + u['flush_us']! + u['rest_us']!).toBeCloseTo(u['per_page_us']!, 9);
    const j = migrateBatchMemhog.json([r]) as Record<string, number>;
    expect(Object.keys(j)).toEqual(expect.arrayContaining(['unbatched_s', 'batched_s', 'speedup_pct']));
    expect(j['speedup_pct']).toBeCloseTo(100 * (u['elapsed_s']! / b['elapsed_s']! - 1), 3);
  });
});

describe('migrate-batch-pmbench --quick', () => {
  it('batched sends far fewer TLB-flush IPIs and migrates more pages per second', async () => {
    const r = await quick(migrateBatchPmbench);
    const u = r.rows['flow=unbatched']!;
    const b = r.rows['flow=batched']!;
    // Unbatched: one round per page to the 15 other CPUs running the workload.
    expect(u['tlb_flush_ipis']).toBe(15 * u['pages_moved']!);
    expect(b['tlb_flush_ipis']!).toBeLessThan(u['tlb_flush_ipis']! / 100);
    expect(b['pages_per_s']!).toBeGreaterThan(u['pages_per_s']!);
    const j = migrateBatchPmbench.json([r]) as Record<string, number>;
    expect(j['ipi_reduction_pct']!).toBeGreaterThan(99);
    expect(j['pages_per_s_gain_pct']!).toBeGreaterThan(0);
  });
});

describe('kmmscand-abench --quick', () => {
  it('base promotes by hint faults; patched promotes by kmmscand with no hint fault; JSON rows as the issue', async () => {
    const r = await quick(kmmscandAbench);
    const row = r.rows['size_gb=1']!;
    expect(row['base_hint_faults']!).toBeGreaterThan(0);
    expect(row['base_promoted']!).toBeGreaterThan(0);
    expect(row['numa_hf_migration_oh']!).toBeGreaterThan(0);
    expect(row['patched_hint_faults']).toBe(0);
    expect(row['patched_promoted']!).toBeGreaterThan(0);
    expect(row['kmmscand_scan_oh']!).toBeGreaterThan(0);
    expect(row['kmmscand_migration_oh']!).toBeGreaterThan(0);
    const j = kmmscandAbench.json([r]) as { rows: Array<Record<string, unknown>> };
    expect(j.rows[0]).toMatchObject({ size_gb: 1, base_s: expect.any(Number), patched_s: expect.any(Number), gain_pct: expect.any(Number) });
    expect(Object.keys(j.rows[0]!['overhead'] as object)).toEqual(['numa_task_work_oh', 'numa_hf_migration_oh', 'kmmscand_scan_oh', 'kmmscand_migration_oh']);
    const table = kmmscandAbench.table([r]).join('\n');
    expect(table).toMatch(/^1 GB\s+[\d.]+ s \(±0\.00%\)/m);
  });
});

describe('bar chart spec', () => {
  it('has labelled axes, a title, a legend and a published tick only where given', () => {
    const spec = barChartSpec({ title: 'T', subtitle: ['preset p; seeds 1,2'], xTitle: 'Size (GB)', yTitle: 'Run time (s)', bars: [{ group: '8 GB', series: 'base', mean: 10, stdev: 1, published: 12 }, { group: '8 GB', series: 'patched', mean: 8, stdev: 0.5 }] });
    expect(spec.axes!.map((a) => a.title)).toEqual(['Size (GB)', 'Run time (s)']);
    expect(spec.legends!.length).toBe(2);
    const bars = (spec.data![0] as { values: Array<Record<string, unknown>> }).values;
    expect(bars).toEqual([
      { group: '8 GB', series: 'base', mean: 10, lo: 9, hi: 11, published: 12 },
      { group: '8 GB', series: 'patched', mean: 8, lo: 7.5, hi: 8.5, published: null },
    ]);
  });

  it('a fixed y domain, wider with many groups, angled labels past four groups, bars without a finite mean left out', () => {
    const bars = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].flatMap((group) => [
      { group, series: 'precision', mean: group === 'f' ? NaN : 0.5, stdev: 0.1 },
      { group, series: 'recall', mean: 0.9, stdev: 0 },
    ]);
    const spec = barChartSpec({ title: 'T', subtitle: [], xTitle: 'config', yTitle: 'fraction of bytes', bars, yDomain: [0, 1] });
    expect(spec.scales!.find((sc) => sc.name === 'y')).toMatchObject({ domain: [0, 1], clamp: true });
    expect(spec.width).toBe(8 * (2 * 22 + 30)); // 592: two 22 px bars and 30 px of gap per group
    expect(spec.axes![0]).toMatchObject({ labelAngle: -30 });
    const values = (spec.data![0] as { values: Array<Record<string, unknown>> }).values;
    expect(values.length).toBe(15);
    expect(values.some((v) => v['group'] === 'f' && v['series'] === 'precision')).toBe(false);
    expect(spec.scales!.find((sc) => sc.name === 'x')).toMatchObject({ domain: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'] });
    // Few groups keep the old shape: 560 wide, flat labels.
    const two = barChartSpec({ title: 'T', subtitle: [], xTitle: 'x', yTitle: 'y (s)', bars: bars.slice(0, 4) });
    expect(two.width).toBe(560);
    expect(two.axes![0]!.labelAngle).toBeUndefined();
  });
});
