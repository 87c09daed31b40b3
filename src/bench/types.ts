// The shape every `tiersim bench NAME` reproduction shares. A bench runs one seed at a time in
// process on a virtual clock (one run per seed, so batch systems can fan seeds out as separate
// processes); the runner (src/bench/runner.ts) repeats it over seeds, aggregates, prints the
// publication-shaped table, writes `--json` and draws `--plot` through src/plot.
import type { Spec } from 'vega';

/** A published figure printed beside the model's value. `calibrated` marks the few figures the
 * presets' constants were calibrated on (docs/benchmarks.md); every other one is a prediction. */
export interface Published {
  value: number;
  unit: string;
  source: string;
  calibrated?: boolean;
}

export interface BenchContext {
  seed: number;
  /** `--quick`: a scaled-down run (smaller sizes, fewer iterations) for tests and smoke runs;
   * its figures are not comparable with the publication and the table says so. */
  quick: boolean;
  /** Progress of the current run (shown on a terminal only). */
  progress(done: number, total: number, what: string): void;
}

/** One seed's figures: named numbers grouped by row (e.g. `size_gb=8`) and column, and
 * optional time series (name → [simulated seconds, value] points) for the figures over time. */
export interface RunFigures {
  rows: Record<string, Record<string, number>>;
  series?: Record<string, Array<[number, number]>>;
}

export interface Bench {
  name: string;
  /** One line for `tiersim bench --help` and the table's title. */
  title: string;
  /** Presets the bench boots (printed in the header). */
  presets: string[];
  defaultSeeds: number;
  run(ctx: BenchContext): Promise<RunFigures>;
  /** Published values keyed `row/column`, printed beside the model's mean with the error in %. */
  published?: Record<string, Published>;
  /** The bench's JSON object from the per-seed figures (mean and %stdev where it repeats). */
  json(runs: RunFigures[]): unknown;
  /** The publication-shaped table, one string per line. */
  table(runs: RunFigures[]): string[];
  /** The publication-style figure (bars with error bars, or time series). */
  plot?(runs: RunFigures[], meta: { preset: string; seeds: number[]; quick?: boolean }): Spec;
}
