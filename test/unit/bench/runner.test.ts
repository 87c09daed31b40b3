// The bench runner: statistics over seeds, the printed comparison with published values, the
// --json object, the registry and the CLI's errors. A two-seed fake bench gives known numbers.
import { describe, expect, it } from 'vitest';
import { BENCHES, benchNames, findBench } from '../../../src/bench/index.js';
import { comparisonLines, errorPct, headerLines, mean, pctStdev, reportJson, reportLines, runBench, stdev, tiersimVersion } from '../../../src/bench/runner.js';
import type { Bench } from '../../../src/bench/types.js';
import { runBenchCommand } from '../../../src/cli/bench.js';
import { CliError } from '../../../src/cli/machine.js';

/** Seed s gives time_s = 10·s: seeds 1,2 → 10, 20 (mean 15, sample stdev 7.071 = 47.14 %). */
const fake: Bench = {
  name: 'fake',
  title: 'a fake bench',
  presets: ['cxl-2node'],
  defaultSeeds: 2,
  published: { 'size_gb=8/time_s': { value: 12, unit: 's', source: 'a paper' }, 'size_gb=8/cal_s': { value: 4, unit: 's', source: 'another', calibrated: true } },
  async run(ctx) {
    return { rows: { 'size_gb=8': { time_s: 10 * ctx.seed, cal_s: 4 } } };
  },
  json: (runs) => ({ rows: runs.map((r) => r.rows) }),
  table: () => ['THE TABLE'],
};

describe('statistics', () => {
  it.each([
    [[10, 20], 15, Math.SQRT2 * 5, 47.14],
    [[5], 5, 0, 0],
    [[2, 2, 2], 2, 0, 0],
    [[1, 2, 3, 4], 2.5, 1.291, 51.64],
  ])('%j: mean %d, sample stdev %d, %%stdev %d', (xs, m, sd, pct) => {
    expect(mean(xs)).toBeCloseTo(m, 6);
    expect(stdev(xs)).toBeCloseTo(sd, 3);
    expect(pctStdev(xs)).toBeCloseTo(pct, 2);
  });
  it.each([
    [115, 100, 15],
    [85, 100, -15],
    [1, 0, NaN],
  ])('error of %d against published %d is %d %%', (model, pub, err) => {
    expect(errorPct(model, pub)).toEqual(err);
  });
});

describe('runBench and its reports', () => {
  it('runs seeds 1..N and prints header, table, published values with error % and the kind', async () => {
    const r = await runBench(fake, { seeds: 2 });
    expect(r.seeds).toEqual([1, 2]);
    const text = reportLines(r).join('\n');
    expect(headerLines(r).join('\n')).toContain(`preset cxl-2node; seeds 1,2 (2 runs); tiersim ${tiersimVersion()}`);
    expect(text).toContain('THE TABLE');
    const row = comparisonLines(r).find((l) => l.startsWith('size_gb=8/time_s'))!;
    // model 15 ± 47.1 %, published 12, error +25 %
    expect(row.split(/\s+/).slice(2, 7)).toEqual(['15.00', '47.1', '12.00', '25.0', 'prediction']);
    expect(comparisonLines(r).find((l) => l.startsWith('size_gb=8/cal_s'))).toMatch(/4\.00\s+0\.0\s+4\.00\s+0\.0\s+calibrated/);
    expect(text).toContain('[1] a paper');
  });
  it('--quick is said in the header', async () => {
    expect(headerLines(await runBench(fake, { seeds: 1, quick: true })).join('\n')).toMatch(/--quick.*NOT comparable/);
  });
  it('--json is one object: what ran, the bench figures, and each published comparison', async () => {
    const j = reportJson(await runBench(fake, { seeds: 2 }));
    expect(JSON.parse(JSON.stringify(j))).toEqual({
      bench: 'fake',
      presets: ['cxl-2node'],
      seeds: [1, 2],
      tiersim_version: tiersimVersion(),
      quick: false,
      rows: [{ 'size_gb=8': { time_s: 10, cal_s: 4 } }, { 'size_gb=8': { time_s: 20, cal_s: 4 } }],
      published: [
        { figure: 'size_gb=8/time_s', model: 15, pct_stdev: 47.1405, published: 12, unit: 's', error_pct: 25, calibrated: false, source: 'a paper' },
        { figure: 'size_gb=8/cal_s', model: 4, pct_stdev: 0, published: 4, unit: 's', error_pct: 0, calibrated: true, source: 'another' },
      ],
    });
  });
  it.each([0, -1, 1.5])('--seeds %d is refused with what to pass', async (n) => {
    await expect(runBench(fake, { seeds: n })).rejects.toThrow(/--seeds must be a whole number ≥ 1/);
  });
  it('reports progress through the callback only', async () => {
    const lines: string[] = [];
    await runBench(findBench('migrate-batch-memhog')!, { seeds: 1, quick: true, onProgress: (l) => lines.push(l) });
    expect(lines.some((l) => l.startsWith('migrate-batch-memhog: seed 1/1: unbatched'))).toBe(true);
  });
});

describe('registry and CLI errors', () => {
  it('lists every bench by name, each with presets', () => {
    expect(benchNames()).toEqual(['kmmscand-abench', 'migrate-batch-memhog', 'migrate-batch-pmbench', 'sampling-vs-hintfaults', 'damon-accuracy', 'tiering-shootout', 'perf']);
    for (const b of BENCHES) expect(b.presets.length).toBeGreaterThan(0);
  });
  it.each([
    [{ name: 'kmmscand' }, /unknown bench "kmmscand"; benches: kmmscand-abench, migrate-batch-memhog, migrate-batch-pmbench, sampling-vs-hintfaults, damon-accuracy, tiering-shootout, perf \(tiersim bench --list describes them\)/],
    [{}, /name a bench \(tiersim bench NAME\); benches: kmmscand-abench/],
    [{ name: 'migrate-batch-memhog', seeds: 0 }, /--seeds must be a whole number ≥ 1, got 0/],
    [{ name: 'migrate-batch-memhog', plot: 'x.pdf' }, /unsupported plot output type '.pdf': name the file .png or .svg/],
    [{ name: 'perf', plot: 'x.svg' }, /perf draws no figure; run it without --plot/],
  ])('%j is refused before any run: %s', async (args, msg) => {
    const err = await runBenchCommand(args).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).message).toMatch(msg);
    expect((err as CliError).exitCode).toBe(2);
  });
});
