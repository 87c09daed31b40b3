// Room on a NUMA-balancing migration target, from the zone watermarks: mm/migrate.c
// migrate_misplaced_folio_prepare (migrate_balanced_pgdat, and in memory-tiering mode
// wakeup_kswapd on the destination, which then reclaims or demotes toward WMARK_PROMO) and
// kernel/sched/fair.c pgdat_free_space_enough (the promotion shortcut). The one place the fault
// path asks about watermarks and kswapd: PageAllocator.migrateBalanced and the zones' own
// watermarks and NR_FREE_PAGES, Kernel.kswapd.wakeup.
import { PAGE_SIZE } from '../config/machine.js';
import type { Kernel } from '../kernel.js';
import { NUMA_BALANCING_MEMORY_TIERING } from '../sched/numa_balancing.js';
import { ZONE_MOVABLE } from './mmzone.js';

const GiB_PAGES = (1024 * 1024 * 1024) / PAGE_SIZE;

/**
 * migrate_misplaced_folio_prepare()'s room check: `nid` can take `nrPages` without falling
 * below its high watermark; otherwise, in memory-tiering mode, kswapd is woken on it and the
 * migration fails.
 */
export function promotionTargetHasRoom(k: Kernel, nid: number, nrPages: number): boolean {
  if (k.alloc.migrateBalanced(nid, nrPages)) return true;
  if (k.numaBalancing.mode & NUMA_BALANCING_MEMORY_TIERING) k.kswapd.wakeup(nid, ZONE_MOVABLE);
  return false;
}

/** pgdat_free_space_enough(): some populated zone has WMARK_PROMO + max(1 GiB, present/16) free. */
export function pgdatFreeSpaceEnough(k: Kernel, nid: number): boolean {
  const zones = k.alloc.zones(nid);
  let present = 0;
  for (const z of zones) present += z.presentPages;
  const enough = Math.max(GiB_PAGES, Math.floor(present / 16));
  for (let i = zones.length - 1; i >= 0; i--) {
    const z = zones[i]!;
    if (z.populated && z.watermarkOk(z.wmark('promo') + enough, ZONE_MOVABLE)) return true;
  }
  return false;
}
