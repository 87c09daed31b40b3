// STUB: filled in by the foundation work (issue 2).
import type { Kernel } from '../kernel.js';

export class NumaBalancingParams {
  constructor(public mode: number) {}
}

export function registerNumaBalancing(_k: Kernel): void {}
