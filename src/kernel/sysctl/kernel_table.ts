// STUB: filled in by the foundation work (issue 2).
import type { Kernel } from '../kernel.js';

export class KernelSysctls {}

export function registerKernelSysctls(_k: Kernel): void {}
