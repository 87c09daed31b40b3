// STUB: filled in by the foundation work (issue 2).
import type { Kernel } from '../kernel.js';

export function registerMemoryTiers(_k: Kernel): void {}
