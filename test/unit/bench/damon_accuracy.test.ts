// damon-accuracy (issue 15, bench 5), run in process with --quick: precision and recall of DAMON's
// hot regions against sim/truth, in bytes. What the model shows: a static hot set is found almost
// exactly with fine intervals; coarse sampling saturates (cold pages are accessed in most sampling
// intervals, so DAMON calls them hot too); coarse region bounds merge hot with cold and lose recall.
import { describe, expect, it } from 'vitest';
import { bench, configs, overlap, rowName } from '../../../src/bench/damon_accuracy.js';
import { renderSvg } from '../../../src/plot/render.js';

describe('damon-accuracy overlap (bytes)', () => {
  it.each([
    // [predicted, truth, both, predicted hot, true hot]
    [[[0, 100, true]], [[0, 100, true]], 100, 100, 100],
    [[[0, 50, true], [50, 100, false]], [[0, 100, true]], 50, 50, 100],
    [[[0, 100, true]], [[0, 25, false], [25, 75, true], [75, 100, false]], 50, 100, 50],
    [[[0, 10, true], [10, 20, false], [20, 30, true]], [[5, 25, true]], 10, 20, 20],
    [[[0, 10, false]], [[0, 10, true]], 0, 0, 10],
  ] as const)('%j against %j', (a, b, both, aHot, bHot) => {
    expect(overlap(a.map((r) => [...r]), b.map((r) => [...r]))).toEqual({ both, aHot, bHot });
  });
});

describe('damon-accuracy --quick', () => {
  it('precision and recall are in [0, 1]; fine intervals find a static hot set; coarse settings lose accuracy', async () => {
    const run = await bench.run({ seed: 1, quick: true, progress: () => {} });
    const list = configs(true);
    expect(Object.keys(run.rows)).toEqual(list.map(rowName));
    for (const [name, r] of Object.entries(run.rows)) {
      for (const col of ['precision', 'recall']) {
        if (Number.isNaN(r[col])) continue;
        expect(r[col], `${name} ${col}`).toBeGreaterThanOrEqual(0);
        expect(r[col], `${name} ${col}`).toBeLessThanOrEqual(1);
      }
      expect(r['kdamond_cpu_pct'], name).toBeGreaterThanOrEqual(0);
      expect(r['nr_regions'], name).toBeGreaterThanOrEqual(3);
    }
    const row = (w: string, s: number, a: number, lo: number, hi: number) => run.rows[rowName({ workload: w as 'hotset', sampleUs: s, aggrUs: a, minRegions: lo, maxRegions: hi })]!;
    const fine = row('hotset', 5000, 100000, 10, 1000);
    expect(fine['recall']).toBeGreaterThan(0.9);
    expect(fine['precision']).toBeGreaterThan(0.9);
    expect(fine['true_hot_frac']).toBeCloseTo(0.1, 2); // hot=0.1 of the pages
    // coarse sampling: cold pages look hot too
    expect(row('hotset', 50000, 1000000, 10, 1000)['precision']).toBeLessThan(fine['precision']!);
    // coarse region bounds: fewer regions, hot and cold merged, less of the hot set found
    for (const [smp, agg] of [[5000, 100000], [50000, 1000000]] as const) {
      const coarse = row('hotset', smp, agg, 3, 10);
      expect(coarse['nr_regions']).toBeLessThanOrEqual(10);
      expect(coarse['recall']).toBeLessThan(row('hotset', smp, agg, 10, 1000)['recall']!);
    }
    // more regions and more samples cost kdamond more CPU
    expect(fine['kdamond_cpu_pct']).toBeGreaterThan(row('hotset', 5000, 100000, 3, 10)['kdamond_cpu_pct']!);
    expect(fine['kdamond_cpu_pct']).toBeGreaterThan(row('hotset', 50000, 1000000, 10, 1000)['kdamond_cpu_pct']!);
    const table = bench.table([run]).join('\n');
    expect(table).toContain('precision');
    expect(table).toContain('hotset 5ms/100ms regions 10-1000');
    const svg = await renderSvg(bench.plot!([run], { preset: 'cxl-2node', seeds: [1] }));
    for (const text of ['fraction of bytes', 'precision', 'recall', 'zipf 50ms/1000ms regions 3-10', 'seeds 1']) expect(svg).toContain(text);
  }, 120_000);
});
