// Every `tiersim bench NAME`, by name. bench-more's three benches (sampling-vs-hintfaults,
// damon-accuracy, tiering-shootout) are written on their own branch; the integrator enables
// their entries after merging it (issue 15).
import { kmmscandAbench } from './kmmscand_abench.js';
import { migrateBatchMemhog } from './migrate_batch_memhog.js';
import { migrateBatchPmbench } from './migrate_batch_pmbench.js';
import { perfBench } from './perf.js';
// TODO(issue 15): enable after merging branch bench-more.
// import { samplingVsHintfaults } from './sampling_vs_hintfaults.js';
// import { damonAccuracy } from './damon_accuracy.js';
// import { tieringShootout } from './tiering_shootout.js';
import type { Bench } from './types.js';

export const BENCHES: readonly Bench[] = [
  kmmscandAbench,
  migrateBatchMemhog,
  migrateBatchPmbench,
  // TODO(issue 15): samplingVsHintfaults, damonAccuracy, tieringShootout (branch bench-more).
  perfBench,
];

export function benchNames(): string[] {
  return BENCHES.map((b) => b.name);
}

export function findBench(name: string): Bench | undefined {
  return BENCHES.find((b) => b.name === name);
}
