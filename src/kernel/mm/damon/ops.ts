// struct damon_operations: the seam between the monitoring core and an address space.
// paddr.ts and vaddr.ts each fill one; the core never looks inside an address space.
import type { DamonCtx, DamonRegion, DamonTarget, DamosAction, DamosScheme } from './core.js';

export interface DamonOperations {
  readonly name: 'paddr' | 'vaddr' | 'fvaddr';
  /** Build each target's initial regions (from init_regions, or the ops' default). */
  init(ctx: DamonCtx): void;
  /** Periodic ops update (vaddr re-derives its three big ranges). */
  update(ctx: DamonCtx): void;
  /** Pick each region's sampling address and clear its Accessed bit (mkold). */
  prepareAccessChecks(ctx: DamonCtx): void;
  /** Check every region's sampling address; bump nr_accesses; return the max nr_accesses. */
  checkAccesses(ctx: DamonCtx): number;
  /**
   * Apply a DAMOS action to a region (`targetNid` for the migrate actions); returns bytes
   * applied. The scheme `s` brings its ops filters and migrate dests; the bytes its ops filters
   * passed are added to `passed.sz` (apply_scheme's sz_filter_passed).
   */
  applyScheme(ctx: DamonCtx, target: DamonTarget, region: DamonRegion, action: DamosAction, targetNid: number, s?: DamosScheme, passed?: { sz: number }): number;
  /** Is the target still there (a live process; paddr always)? */
  targetValid(ctx: DamonCtx, target: DamonTarget): boolean;
}
