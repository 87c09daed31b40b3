// STUB: filled in by the foundation work (issue 2).
import type { Kernel } from '../kernel.js';

export function registerIomem(_k: Kernel): void {}
