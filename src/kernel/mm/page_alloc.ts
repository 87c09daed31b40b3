// The page allocator (mm/page_alloc.c): zonelists ordered by node distance then zone (highest
// first), zones with min/low/high/promo watermarks (mmzone.ts), frames handed out from
// per-block frame arrays (frames.ts), and the events zone_statistics() and
// __count_zid_vm_events() bump (numa_hit, miss, foreign, local, other; pgalloc_<zone>, pgfree).
//
// An allocation of N pages is what N single-page __alloc_pages() calls would do, in bulk:
// - fast path (get_page_from_freelist with ALLOC_WMARK_LOW): every zone of the zonelist in
//   order, each down to its low watermark plus the lowmem reserve; a zone (node) at low is
//   skipped for the next one WITHOUT waking its kswapd ("the fast path uses conservative
//   alloc_flags to succeed only until kswapd needs to be woken up");
// - slow path (__alloc_pages_slowpath): wake_all_kswapds() for every node of the zonelist,
//   retry down to the min watermarks, then direct reclaim in the allocating task (charged to
//   it: Allocation.stallNs, allocstall_<zone>) and retry while reclaim makes progress;
// - then -ENOMEM. tiersim has no OOM killer: where the kernel would invoke it, the request
//   fails. A request that no reclaim could satisfy (no node of the zonelist can reclaim, or
//   more than the zones' managed pages above min) fails before any side effect, so spawn's
//   ENOMEM changes nothing.
import createDebug from 'debug';
import { ENOMEM } from '../../kernfs/index.js';
import type { MachineConfig } from '../config/machine.js';
import { FrameTable, PG_KERNEL, PG_LRU } from './frames.js';
import { managedPages, type MemoryBlock, type PhysLayout, type ZoneType } from './memblock.js';
import {
  buildZones, dmaFreeShare, initPerZoneWmarkMin, setupPerZoneWmarks, WatermarkParams, ZONE_MOVABLE, ZONE_NAMES, ZONE_NORMAL,
  type WmarkName, type Zone,
  type ZoneName,
} from './mmzone.js';
import type { VmCounters } from './vmstat_counters.js';

const trace = createDebug('tiersim:page_alloc');

/** MAX_RECLAIM_RETRIES: direct reclaim rounds without progress before giving up. */
export const MAX_RECLAIM_RETRIES = 16;

/** What an allocation may use, like gfp_t. */
export interface GfpFlags {
  /** __GFP_MOVABLE: may use ZONE_MOVABLE (gfp_zone gives ZONE_MOVABLE, else ZONE_NORMAL). */
  readonly movable: boolean;
  /** __GFP_THISNODE: no fallback to other nodes. */
  readonly thisNode?: boolean;
  /** The CPU's node doing the allocation (for numa_local/numa_other); defaults to `nid`. */
  readonly cpuNid?: number;
  /** __GFP_KSWAPD_RECLAIM (default on, as GFP_KERNEL / GFP_HIGHUSER_MOVABLE). */
  readonly kswapdReclaim?: boolean;
  /** __GFP_DIRECT_RECLAIM (default on). */
  readonly directReclaim?: boolean;
}

/** Pages taken from each block, to give back on free. */
export interface Allocation {
  readonly movable: boolean;
  readonly parts: Array<{ block: MemoryBlock; pages: number }>;
  /** The frames, in the order they were handed out (parts in sequence). */
  pfns: Int32Array;
  /** The node the policy asked for and the allocating CPU's node (for undo's NUMA events). */
  readonly preferredNid: number;
  readonly cpuNid: number;
  /** Simulated ns the allocating task spent in direct reclaim for this allocation. */
  readonly stallNs: number;
}

/**
 * What the allocator needs from reclaim (vmscan.ts), installed by the kernel at boot:
 * wakeup_kswapd(), try_to_free_pages() and whether a node can reclaim anything at all.
 */
export interface ReclaimHooks {
  wakeupKswapd(nid: number, highestZoneIdx: number): void;
  /** Reclaim about `nrPages` from the nodes in zonelist order; returns pages freed and the task's ns. */
  directReclaim(nids: readonly number[], nrPages: number, highestZoneIdx: number): { reclaimed: number; ns: number };
  /** Could reclaim on `nid` free any page (anon LRU pages and swap space or a demotion target)? */
  canReclaim(nid: number): boolean;
}

const NO_RECLAIM: ReclaimHooks = {
  wakeupKswapd: () => {},
  directReclaim: () => ({ reclaimed: 0, ns: 0 }),
  canReclaim: () => false,
};

export class PageAllocator {
  private readonly byNode = new Map<number, MemoryBlock[]>();
  /** Zonelist per node: node ids by increasing distance (build_zonelists). */
  readonly zonelists = new Map<number, number[]>();
  readonly frames: FrameTable;
  /** vm.min_free_kbytes, vm.watermark_scale_factor and totalreserve_pages. */
  readonly wmarkParams = new WatermarkParams();
  /** Reclaim entry points (vmscan.ts); none until the kernel installs them. */
  reclaim: ReclaimHooks = NO_RECLAIM;
  /** Total time allocations stalled in direct reclaim (ns): the simulated "some" memory PSI. */
  memStallNs = 0;
  private readonly one = new Int32Array(1);
  private readonly zoneOrdered = new Map<number, MemoryBlock[]>();
  private zoneMap: Map<number, Zone[]> | undefined;
  private readonly nodeIds: number[];

  constructor(
    readonly layout: PhysLayout,
    config: MachineConfig,
    private readonly vm: VmCounters,
  ) {
    this.frames = new FrameTable(layout.blocks);
    this.nodeIds = config.nodes.map((n) => n.id).sort((a, b) => a - b);
    for (const b of layout.blocks) {
      const list = this.byNode.get(b.nid) ?? [];
      list.push(b);
      this.byNode.set(b.nid, list);
    }
    config.nodes.forEach((n, i) => {
      const order = config.nodes
        .map((m, j) => ({ id: m.id, d: config.distances[i]![j]! }))
        .sort((a, b) => a.d - b.d || a.id - b.id)
        .map((x) => x.id);
      this.zonelists.set(n.id, order);
    });
    this.zones(0); // free_area_init + init_per_zone_wmark_min at boot
  }

  blocksOf(nid: number): readonly MemoryBlock[] {
    return this.byNode.get(nid) ?? [];
  }

  /**
   * A node's blocks in the order its zonelist entries are tried: highest zone first (Movable,
   * Normal, DMA32, DMA — build_zonerefs_node() adds a node's zones from the top down), address
   * order within a zone. Cached; memory hotplug calls `zonesChanged()` when a block's zone moves.
   */
  blocksInZoneOrder(nid: number): readonly MemoryBlock[] {
    let list = this.zoneOrdered.get(nid);
    if (!list) {
      list = [...this.blocksOf(nid)].sort((a, b) => ZONE_RANK[b.zone] - ZONE_RANK[a.zone] || a.index - b.index);
      this.zoneOrdered.set(nid, list);
    }
    return list;
  }

  /**
   * Memory was onlined or offlined (or a block changed zone): rebuild the zones and, as
   * online_pages()/offline_pages() do, init_per_zone_wmark_min() on next use.
   */
  zonesChanged(): void {
    this.zoneOrdered.clear();
    this.zoneMap = undefined;
    this.generation++;
  }

  /** Bumped whenever online memory or zones change, so derived views (memory tiers) can cache. */
  generation = 0;

  /** The zones of `nid` by zone index (DMA, DMA32, Normal, Movable, Device). */
  zones(nid: number): readonly Zone[] {
    if (!this.zoneMap) {
      const next = buildZones(this.nodeIds, (n) => this.blocksOf(n));
      // calculate_min_free_kbytes() reads the high watermarks in force before the change.
      const prev = this.zoneMapPrev;
      if (prev) for (const [n, zs] of next) zs.forEach((z, i) => z.watermark.splice(0, 4, ...prev.get(n)![i]!.watermark));
      initPerZoneWmarkMin(next, this.wmarkParams);
      this.zoneMap = this.zoneMapPrev = next;
      trace('zones rebuilt: min_free_kbytes %d', this.wmarkParams.minFreeKbytes);
    }
    return this.zoneMap.get(nid) ?? [];
  }

  private zoneMapPrev: Map<number, Zone[]> | undefined;

  /** Every zone of every node, node by node. */
  allZones(): Zone[] {
    this.zones(0);
    return [...this.zoneMap!.values()].flat();
  }

  /** vm.min_free_kbytes written: user_min_free_kbytes, then setup_per_zone_wmarks(). */
  setMinFreeKbytes(kb: number): void {
    this.zones(0);
    this.wmarkParams.minFreeKbytes = kb;
    this.wmarkParams.userMinFreeKbytes = kb;
    setupPerZoneWmarks(this.zoneMap!, this.wmarkParams);
    trace('min_free_kbytes = %d', kb);
  }

  /** vm.watermark_scale_factor written: setup_per_zone_wmarks(). */
  setWatermarkScaleFactor(factor: number): void {
    this.zones(0);
    this.wmarkParams.watermarkScaleFactor = factor;
    setupPerZoneWmarks(this.zoneMap!, this.wmarkParams);
    trace('watermark_scale_factor = %d', factor);
  }

  /** A node's watermark in pages: the sum over its zones (managed ones carry the values). */
  wmarkPages(nid: number, mark: WmarkName): number {
    let n = 0;
    for (const z of this.zones(nid)) if (z.managed) n += z.wmark(mark);
    return n;
  }

  /**
   * migrate_balanced_pgdat(): some managed zone of the node can take `nrPages` and still be
   * above its high watermark (zone_watermark_ok against ZONE_MOVABLE: free > high + nr + reserve).
   */
  migrateBalanced(nid: number, nrPages: number): boolean {
    for (const z of this.zones(nid)) {
      if (z.managed && z.watermarkOk(z.wmark('high') + nrPages, ZONE_MOVABLE)) return true;
    }
    return false;
  }

  freePages(nid: number): number {
    let n = 0;
    for (const b of this.blocksOf(nid)) if (b.online) n += b.freePages;
    return n;
  }

  managedPages(nid: number): number {
    let n = 0;
    for (const b of this.blocksOf(nid)) n += managedPages(b);
    return n;
  }

  /** Free pages the allocation could use on `nid` (ZONE_MOVABLE only for movable requests). */
  usableFreePages(nid: number, movable: boolean): number {
    let n = 0;
    for (const b of this.blocksOf(nid)) if (b.online && zoneAllowed(b.zone, movable)) n += b.freePages;
    return n;
  }

  /**
   * Pages an allocation can take from `nid` before every eligible zone reaches `mark` (plus its
   * lowmem reserve): what the fast path ('low') or the slow path ('min') hands out there.
   */
  allocatablePages(nid: number, movable: boolean, mark: 'low' | 'min' = 'low'): number {
    const highest = movable ? ZONE_MOVABLE : ZONE_NORMAL;
    let n = 0;
    for (const z of this.zones(nid)) if (z.idx <= highest) n += headroom(z, mark, highest, 0);
    return n;
  }

  /** The zonelist of a request: node by node in distance order, highest eligible zone first. */
  private zonelist(nid: number, gfp: GfpFlags): Zone[] {
    const highest = gfp.movable ? ZONE_MOVABLE : ZONE_NORMAL;
    const nodes = gfp.thisNode ? [nid] : this.zonelists.get(nid) ?? [nid];
    const out: Zone[] = [];
    for (const n of nodes) {
      const zs = this.zones(n);
      for (let i = highest; i >= 0; i--) if (zs[i]!.managed) out.push(zs[i]!);
    }
    return out;
  }

  /**
   * Plan `nrPages` over the zonelist: first every zone down to low (fast path), then, if
   * `slow`, down to min. @returns pages per zone and what is left unplanned
   */
  private plan(zl: readonly Zone[], nrPages: number, highest: number, slow: boolean): { take: number[]; left: number } {
    const take = zl.map(() => 0);
    let left = nrPages;
    for (const mark of slow ? (['low', 'min'] as const) : (['low'] as const)) {
      zl.forEach((z, i) => {
        if (left === 0) return;
        const t = Math.min(left, headroom(z, mark, highest, take[i]!));
        take[i]! += t;
        left -= t;
      });
    }
    return { take, left };
  }

  /**
   * Allocate `nrPages` preferring node `nid` and falling back along its zonelist, honouring the
   * watermarks as the fast and slow paths do (see the file comment). All-or-nothing: on failure
   * no page is taken (reclaim that already ran stays done, as in the kernel).
   * @throws ENOMEM when the allowed zones cannot hold the request even after reclaim
   */
  alloc(nid: number, nrPages: number, gfp: GfpFlags): Allocation {
    const highest = gfp.movable ? ZONE_MOVABLE : ZONE_NORMAL;
    const zl = this.zonelist(nid, gfp);
    const cpuNid = gfp.cpuNid ?? nid;
    let p = this.plan(zl, nrPages, highest, false);
    let stallNs = 0;
    const slow = p.left > 0;
    if (slow) {
      const nodes = [...new Set(zl.map((z) => z.nid))];
      p = this.plan(zl, nrPages, highest, true);
      // Beyond what the zones could hold above min even with every page reclaimed, or with
      // nothing reclaimable: the kernel would reclaim in vain and then OOM-kill.
      let ceiling = 0;
      for (const z of zl) ceiling += Math.max(0, z.managedPages - z.wmark('min') - z.lowmemReserve[highest]!);
      if (p.left > 0 && (nrPages > ceiling || !nodes.some((n) => this.reclaim.canReclaim(n)))) {
        trace('alloc %d pages on %d: %d short, nothing reclaimable: ENOMEM', nrPages, nid, p.left);
        throw ENOMEM; // out of memory: the OOM path (tiersim has no OOM killer)
      }
      if (p.left > 0 && !(gfp.directReclaim ?? true)) throw ENOMEM; // no __GFP_DIRECT_RECLAIM: fail
      let stuck = 0;
      while (p.left > 0 && stuck < MAX_RECLAIM_RETRIES) {
        this.vm.countEvent(`allocstall_${ZONE_NAMES[highest]!.toLowerCase()}`); // do_try_to_free_pages
        const r = this.reclaim.directReclaim(nodes, p.left, highest);
        stallNs += r.ns;
        this.memStallNs += r.ns;
        const before = p.left;
        p = this.plan(zl, nrPages, highest, true);
        stuck = p.left < before ? 0 : stuck + 1;
      }
      if (p.left > 0) {
        trace('alloc %d pages on %d: %d short after direct reclaim: ENOMEM', nrPages, nid, p.left);
        throw ENOMEM; // should_reclaim_retry gave up: the OOM path
      }
    }
    const a = this.commit(zl, p.take, nrPages, gfp, nid, cpuNid, stallNs);
    // wake_all_kswapds(): the slow path was entered. Done once the pages are taken, so each
    // kswapd sees its node below the watermark as the page-by-page allocation would leave it.
    if (slow && (gfp.kswapdReclaim ?? true)) for (const n of new Set(zl.map((z) => z.nid))) this.reclaim.wakeupKswapd(n, highest);
    return a;
  }

  /** Take the planned pages zone by zone and account them. */
  private commit(zl: readonly Zone[], take: readonly number[], nrPages: number, gfp: GfpFlags, nid: number, cpuNid: number, stallNs: number): Allocation {
    const parts: Allocation['parts'] = [];
    const pfns = new Int32Array(nrPages);
    // User pages go on the LRU (new anon folios start inactive since 5.9); kernel pages do not.
    const flags = gfp.movable ? PG_LRU : PG_KERNEL;
    let at = 0;
    zl.forEach((z, i) => {
      let want = take[i]!;
      if (want === 0) return;
      for (const b of z.blocks) {
        if (want === 0) break;
        const avail = zoneShareFree(z, b);
        if (avail === 0) continue;
        const got = this.frames.of(b).take(Math.min(want, avail), flags, pfns, at);
        this.setBlockFree(b, b.freePages - got);
        if (gfp.movable) b.movablePages += got;
        else b.unmovablePages += got;
        parts.push({ block: b, pages: got });
        this.vm.countEvent(PGALLOC[z.name], got);
        at += got;
        want -= got;
      }
      this.vm.accountNumaAlloc(nid, z.nid, cpuNid, take[i]!, z.idx, zl[0]!.idx);
    });
    return { movable: gfp.movable, parts, pfns, preferredNid: nid, cpuNid, stallNs };
  }

  /** Change a block's free count and the NR_FREE_PAGES of the zone(s) it belongs to. */
  private setBlockFree(b: MemoryBlock, free: number): void {
    const old = b.freePages;
    b.freePages = free;
    if (!this.zoneMap || !b.online) return;
    const zs = this.zoneMap.get(b.nid)!;
    if (!b.spansZones) {
      zs[zoneIndex(b.zone)]!.freePages += free - old;
      return;
    }
    const dOld = dmaFreeShare(b, old);
    const dNew = dmaFreeShare(b, free);
    zs[0]!.freePages += dNew - dOld;
    zs[zoneIndex(b.zone)]!.freePages += free - dNew - (old - dOld);
  }

  /** Give an allocation's pages back. */
  free(a: Allocation): void {
    let at = 0;
    for (const { block, pages } of a.parts) {
      const frames = this.frames.of(block);
      for (let i = 0; i < pages; i++) frames.release(a.pfns[at + i]! - block.startPfn);
      at += pages;
      if (a.movable) block.movablePages -= pages;
      else block.unmovablePages -= pages;
      this.setBlockFree(block, block.freePages + pages);
      this.vm.countEvent('pgfree', pages);
    }
    a.parts.length = 0;
    a.pfns = new Int32Array(0);
  }

  /**
   * Undo an allocation that its caller abandons (a spawn whose later allocation failed): the
   * pages go back and the allocation's own events (pgalloc_*, NUMA placement) are taken back,
   * so nothing shows it happened. Reclaim it triggered stays done.
   */
  undo(a: Allocation): void {
    const preferredZone = this.zonelist(a.preferredNid, { movable: a.movable })[0]?.idx ?? 0;
    for (const { block, pages } of a.parts) {
      const z = this.zoneOfBlock(block);
      this.vm.countEvent(`pgalloc_${z.name.toLowerCase()}`, -pages);
      this.vm.accountNumaAlloc(a.preferredNid, block.nid, a.cpuNid, -pages, z.idx, preferredZone);
    }
    const parts = a.parts.slice();
    this.free(a);
    let pages = 0;
    for (const p of parts) pages += p.pages;
    this.vm.countEvent('pgfree', -pages);
  }

  /** The zone a block's allocations are counted in (a spanning block: its upper zone). */
  private zoneOfBlock(b: MemoryBlock): Zone {
    return this.zones(b.nid)[zoneIndex(b.zone)]!;
  }

  /**
   * Free single user frames (exit, or the source side of a migration). The caller has
   * already unmapped them.
   */
  freeUserFrames(pfns: Int32Array | readonly number[]): void {
    for (const pfn of pfns) {
      const block = this.frames.blockOf(pfn)!;
      this.frames.of(block).release(pfn - block.startPfn);
      block.movablePages--;
      this.setBlockFree(block, block.freePages + 1);
    }
    this.vm.countEvent('pgfree', pfns.length);
  }

  /**
   * One user frame on exactly `nid` for a migration target (alloc_migration_target with
   * __GFP_THISNODE), or -1 when the node has none to give: the fast path down to low, then
   * (waking the node's kswapd unless `gfp.kswapdReclaim` is false) down to min. Direct reclaim
   * for a single migration target is not modelled. Counted as the allocating CPU's placement.
   */
  allocMigrationTarget(nid: number, cpuNid: number, exclude?: MemoryBlock, gfp: Partial<GfpFlags> = {}): number {
    const zs = this.zones(nid);
    let target = this.pickTargetZone(zs, 'low', exclude);
    if (!target) {
      if (gfp.kswapdReclaim ?? true) this.reclaim.wakeupKswapd(nid, ZONE_MOVABLE);
      target = this.pickTargetZone(zs, 'min', exclude);
    }
    if (!target) return -1;
    const out = this.one;
    const blocks = target.blocks;
    for (let i = 0; i < blocks.length; i++) {
      const at = (target.cursor + i) % blocks.length;
      const b = blocks[at]!;
      if (b === exclude || zoneShareFree(target, b) === 0) continue;
      target.cursor = at;
      if (this.frames.of(b).take(1, PG_LRU, out, 0) === 1) {
        this.setBlockFree(b, b.freePages - 1);
        b.movablePages++;
        this.vm.countEvent(PGALLOC[target.name]);
        this.vm.accountNumaAlloc(nid, nid, cpuNid, 1, target.idx);
        return out[0]!;
      }
    }
    return -1;
  }

  /** The first zone of the node (highest first) with a page above `mark`. */
  private pickTargetZone(zs: readonly Zone[], mark: 'low' | 'min', exclude?: MemoryBlock): Zone | undefined {
    for (let i = ZONE_MOVABLE; i >= 0; i--) {
      const z = zs[i]!;
      if (!z.managed) continue;
      const excluded = exclude && exclude.online && z.blocks.includes(exclude) ? zoneShareFree(z, exclude) : 0;
      if (headroom(z, mark, ZONE_MOVABLE, excluded) > 0) return z;
    }
    return undefined;
  }
}

/** Pages a zone can still hand out above `mark` + its lowmem reserve, beyond `planned` ones. */
function headroom(z: Zone, mark: 'low' | 'min', highest: number, planned: number): number {
  return Math.max(0, z.freePages - planned - (z.wmark(mark) + z.lowmemReserve[highest]!));
}

/** Free pages of block `b` that count in zone `z` (a spanning block splits DMA / DMA32). */
function zoneShareFree(z: Zone, b: MemoryBlock): number {
  if (!b.online) return 0;
  if (!b.spansZones) return b.freePages;
  const dma = dmaFreeShare(b, b.freePages);
  return z.name === 'DMA' ? dma : b.freePages - dma;
}

function zoneIndex(zone: ZoneType): number {
  return ZONE_NAMES.indexOf(zone);
}

/** The pgalloc_<zone> event of each zone (a constant name: migration targets count one per page). */
const PGALLOC: Record<ZoneName, string> = { DMA: 'pgalloc_dma', DMA32: 'pgalloc_dma32', Normal: 'pgalloc_normal', Movable: 'pgalloc_movable', Device: 'pgalloc_device' };

/** enum zone_type order: a zonelist tries higher zones first. */
const ZONE_RANK: Record<ZoneType, number> = { DMA: 0, DMA32: 1, Normal: 2, Movable: 3 };

/** Unmovable allocations may not use ZONE_MOVABLE (gfp_zone without __GFP_MOVABLE). */
export function zoneAllowed(zone: ZoneType, movable: boolean): boolean {
  return movable || zone !== 'Movable';
}
