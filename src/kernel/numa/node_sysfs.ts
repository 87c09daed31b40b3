// STUB: filled in by the foundation work (issue 2).
import type { Kernel } from '../kernel.js';

export function registerNodeSysfs(_k: Kernel): void {}
