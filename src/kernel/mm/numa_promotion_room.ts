// Room on a NUMA-balancing migration target, from the zone watermarks (mm/migrate.c
// migrate_balanced_pgdat, kernel/sched/fair.c pgdat_free_space_enough, mm/vmscan.c
// wakeup_kswapd). The one place the fault path asks about watermarks and kswapd: it reads the
// watermarks vmstat.ts computes (zoneWatermarks) and per-zone free pages from the blocks, once
// per batch of faults, and counts its own allocations in between.
//
// Pending: when PageAllocator.wmarkPages / migrateBalanced and Kernel.kswapd (the watermark
// work of the reclaim issue) are merged, hasRoom() and wakeKswapd() switch to them.
import createDebug from 'debug';
import { PAGE_SIZE } from '../config/machine.js';
import type { Kernel } from '../kernel.js';
import { NUMA_BALANCING_MEMORY_TIERING } from '../sched/numa_balancing.js';
import { ZONE_ORDER, zoneWatermarks, type ZoneWatermarks } from './vmstat.js';

const trace = createDebug('tiersim:numa_balancing');
const GiB_PAGES = (1024 * 1024 * 1024) / PAGE_SIZE;
/** zone_idx(ZONE_MOVABLE): the highest zone a movable allocation may use. */
const ZONE_MOVABLE_IDX = ZONE_ORDER.indexOf('Movable');

interface ZoneRoom {
  free: number;
  readonly wm: ZoneWatermarks;
}

export class PromotionRoom {
  private onlineBlocks = -1;
  private marks: readonly ZoneWatermarks[] = [];
  /** Zones of each node, highest first (the order the checks and allocations try them). */
  private readonly zones = new Map<number, ZoneRoom[]>();
  /** Nodes whose free counts were read in the current batch. */
  private readonly fresh = new Set<number>();
  /** node_present_pages >> 4, per node. */
  private readonly sixteenth = new Map<number, number>();

  constructor(private readonly k: Kernel) {}

  /**
   * A new batch of faults or samples: free pages are re-read (per node, when first asked), the
   * watermarks when the amount of online memory changed.
   */
  begin(): void {
    this.fresh.clear();
  }

  private refresh(nid: number): ZoneRoom[] {
    const k = this.k;
    if (this.fresh.size === 0) {
      let online = 0;
      for (const b of k.layout.blocks) if (b.online) online++;
      if (online !== this.onlineBlocks) {
        this.onlineBlocks = online;
        this.marks = zoneWatermarks(k).zones;
        this.zones.clear();
        for (const wm of this.marks) {
          const list = this.zones.get(wm.nid) ?? [];
          list.unshift({ free: 0, wm });
          this.zones.set(wm.nid, list);
        }
        for (const n of k.numa.online) this.sixteenth.set(n, Math.floor(k.alloc.managedPages(n) / 16));
      }
    }
    const list = this.zones.get(nid) ?? [];
    if (!this.fresh.has(nid)) {
      this.fresh.add(nid);
      for (const z of list) z.free = 0;
      let z = list[0];
      for (const b of k.alloc.blocksOf(nid)) {
        if (!b.online || b.freePages === 0) continue;
        if (z?.wm.zone !== b.zone) z = list.find((x) => x.wm.zone === b.zone);
        if (z) z.free += b.freePages;
      }
    }
    return list;
  }

  /** zone_watermark_ok(zone, 0, mark, ZONE_MOVABLE, 0) */
  private ok(z: ZoneRoom, mark: number): boolean {
    return z.wm.managedPages > 0 && z.free > mark + (z.wm.lowmemReserve[ZONE_MOVABLE_IDX] ?? 0);
  }

  /**
   * migrate_balanced_pgdat(): some zone of `nid` stays above its high watermark after taking
   * `nrPages` (so the promotion will not wake kswapd).
   */
  hasRoom(nid: number, nrPages: number): boolean {
    for (const z of this.refresh(nid)) if (this.ok(z, z.wm.high + nrPages)) return true;
    return false;
  }

  /** pgdat_free_space_enough(): free above WMARK_PROMO + max(1 GiB, present/16) in some zone. */
  freeSpaceEnough(nid: number): boolean {
    const zones = this.refresh(nid);
    const enough = Math.max(GiB_PAGES, this.sixteenth.get(nid) ?? 0);
    for (const z of zones) if (this.ok(z, z.wm.promo + enough)) return true;
    return false;
  }

  /** A page was just allocated on `nid` (the first zone with free pages, as the zonelist does). */
  took(nid: number, nrPages: number): void {
    for (const z of this.refresh(nid)) {
      if (z.free > 0) {
        z.free -= nrPages;
        return;
      }
    }
  }

  /** wakeup_kswapd() on the destination: kswapd reclaims/demotes toward WMARK_PROMO. */
  wakeKswapd(nid: number): void {
    this.k.numab.kswapdWakeups++;
    trace('node %d: no room above the high watermark, kswapd woken', nid);
  }
}

/**
 * migrate_misplaced_folio_prepare()'s room check: `nid` can take `nrPages` without falling
 * below its high watermark; otherwise, in memory-tiering mode, kswapd is woken on it (toward
 * WMARK_PROMO) and the migration fails.
 */
export function promotionTargetHasRoom(k: Kernel, room: PromotionRoom, nid: number, nrPages: number): boolean {
  if (room.hasRoom(nid, nrPages)) return true;
  if (k.numaBalancing.mode & NUMA_BALANCING_MEMORY_TIERING) room.wakeKswapd(nid);
  return false;
}
