// tiering-shootout (issue 15, bench 6), run in process with --quick: every mechanism moves the
// CXL hot set up and ends with more of the workload's accesses on the top tier than no mechanism;
// the plot is a two-panel line chart over simulated time.
import { describe, expect, it } from 'vitest';
import { MECHANISMS, bench, meanSeries } from '../../../src/bench/tiering_shootout.js';
import { renderSvg } from '../../../src/plot/render.js';

describe('tiering-shootout --quick', () => {
  it('none promotes nothing; every mechanism promotes, ends above none in top-tier share and pays in its own context', async () => {
    const seen = new Set<string>();
    const run = await bench.run({ seed: 1, quick: true, progress: (_d, _t, what) => seen.add(what.split(':')[0]!) });
    const r = (m: string) => run.rows[m]!;
    for (const m of MECHANISMS) expect(r(m)['done'], m).toBe(1);
    expect(r('none')['promoted']).toBe(0);
    expect(r('none')['share_final']).toBe(0);
    for (const m of MECHANISMS.filter((x) => x !== 'none')) {
      expect(r(m)['promoted'], m).toBeGreaterThan(0);
      expect(r(m)['share_final'], m).toBeGreaterThan(r('none')['share_final']!);
      expect(r(m)['runtime_s'], m).toBeLessThan(r('none')['runtime_s']!);
    }
    // CPU by context: NUMA balancing and SPE in the task, kmmscand and kdamond in their threads
    expect(r('numab2')['task_s']).toBeGreaterThan(0);
    expect(r('spe')['task_s']).toBeGreaterThan(0);
    expect(r('kmmscand')['task_s']).toBe(0);
    expect(r('kmmscand')['kmmscand_s']).toBeGreaterThan(0);
    expect(r('damon')['task_s']).toBe(0);
    expect(r('damon')['kdamond_s']).toBeGreaterThan(0);
    expect(r('numab2')['kdamond_s']! + r('numab2')['kmmscand_s']!).toBe(0);
    // DAMON's migrate_cold demotes the idle filler
    expect(r('damon')['demoted']).toBeGreaterThan(0);
    // series: per mechanism, share in [0, 1] over time and promotions per second
    for (const m of MECHANISMS) {
      const share = run.series![`${m}/top_tier_share`]!;
      expect(share.length, m).toBeGreaterThan(1);
      for (const [, y] of share) expect(y >= 0 && y <= 1).toBe(true);
      const rate = run.series![`${m}/promotions_per_s`]!;
      expect(rate.reduce((a, [, y]) => a + y, 0), m).toBe(r(m)['promoted']);
    }
    expect([...seen].sort()).toEqual([...MECHANISMS, 'done'].sort());
    const table = bench.table([run]);
    expect(table.filter((l) => /^(none|NUMAB|SPE|kmmscand|DAMON)/.test(l))).toHaveLength(MECHANISMS.length);
    const spec = bench.plot!([run], { preset: 'cxl-2node', seeds: [1] });
    expect(JSON.stringify(spec.title)).toContain('seed 1');
    const svg = await renderSvg(spec);
    expect(svg).toContain('simulated time (s)');
    expect(svg).toContain('promotions (pages/s)');
    expect(svg).toContain('kmmscand');
  }, 180_000);
});

describe('tiering-shootout --plot over several seeds', () => {
  it('draws each time series as its mean over the seeds at each simulated second, from the seeds that reached it', () => {
    const runs = [
      { rows: {}, series: { 'damon/top_tier_share': [[1, 0.2], [2, 0.6], [3, 0.9]] as Array<[number, number]> } },
      { rows: {}, series: { 'damon/top_tier_share': [[1, 0.4], [2, 0.8]] as Array<[number, number]> } },
    ];
    expect(meanSeries(runs, 'damon/top_tier_share').map(([x, y]) => [x, Number(y.toFixed(6))])).toEqual([[1, 0.3], [2, 0.7], [3, 0.9]]);
    expect(JSON.stringify(bench.plot!(runs, { preset: 'cxl-2node', seeds: [1, 2] }).title)).toContain('mean over seeds 1,2');
  });
});
