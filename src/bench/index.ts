// Every `tiersim bench NAME`, by name (issue 15).
import { kmmscandAbench } from './kmmscand_abench.js';
import { migrateBatchMemhog } from './migrate_batch_memhog.js';
import { migrateBatchPmbench } from './migrate_batch_pmbench.js';
import { perfBench } from './perf.js';
import { bench as samplingVsHintfaults } from './sampling_vs_hintfaults.js';
import { bench as damonAccuracy } from './damon_accuracy.js';
import { bench as tieringShootout } from './tiering_shootout.js';
import type { Bench } from './types.js';

export const BENCHES: readonly Bench[] = [
  kmmscandAbench,
  migrateBatchMemhog,
  migrateBatchPmbench,
  samplingVsHintfaults,
  damonAccuracy,
  tieringShootout,
  perfBench,
];

export function benchNames(): string[] {
  return BENCHES.map((b) => b.name);
}

export function findBench(name: string): Bench | undefined {
  return BENCHES.find((b) => b.name === name);
}
