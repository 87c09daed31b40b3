// The page allocator (mm/page_alloc.c): zonelists ordered by node distance, frames handed out
// from per-block frame arrays (frames.ts), the per-block free counts the kernel keeps as zone
// counters, and the events zone_statistics() and __count_zid_vm_events() bump (numa_hit, miss,
// foreign, local, other; pgalloc_<zone>, pgfree).
import { ENOMEM } from '../../kernfs/index.js';
import type { MachineConfig } from '../config/machine.js';
import { FrameTable, PG_KERNEL, PG_LRU } from './frames.js';
import { managedPages, type MemoryBlock, type PhysLayout, type ZoneType } from './memblock.js';
import type { VmCounters } from './vmstat_counters.js';

/** What an allocation may use, like gfp_t: movable allocations may use ZONE_MOVABLE. */
export interface GfpFlags {
  readonly movable: boolean;
  /** __GFP_THISNODE: no fallback to other nodes. */
  readonly thisNode?: boolean;
  /** The CPU's node doing the allocation (for numa_local/numa_other); defaults to `nid`. */
  readonly cpuNid?: number;
}

/** Pages taken from each block, to give back on free. */
export interface Allocation {
  readonly movable: boolean;
  readonly parts: Array<{ block: MemoryBlock; pages: number }>;
  /** The frames, in the order they were handed out (parts in sequence). */
  pfns: Int32Array;
}

export class PageAllocator {
  private readonly byNode = new Map<number, MemoryBlock[]>();
  /** Zonelist per node: node ids by increasing distance (build_zonelists). */
  readonly zonelists = new Map<number, number[]>();
  readonly frames: FrameTable;
  private readonly one = new Int32Array(1);
  private readonly zoneOrdered = new Map<number, MemoryBlock[]>();

  constructor(
    readonly layout: PhysLayout,
    config: MachineConfig,
    private readonly vm: VmCounters,
  ) {
    this.frames = new FrameTable(layout.blocks);
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

  /** A block changed zone (onlined into another zone): recompute the zone order. */
  zonesChanged(): void {
    this.zoneOrdered.clear();
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
   * Allocate `nrPages` preferring node `nid` and falling back along its zonelist.
   * All-or-nothing: on failure nothing is taken.
   * @throws ENOMEM when the allowed nodes cannot hold the whole request
   */
  alloc(nid: number, nrPages: number, gfp: GfpFlags): Allocation {
    const order = gfp.thisNode ? [nid] : this.zonelists.get(nid) ?? [nid];
    let available = 0;
    for (const n of order) available += this.usableFreePages(n, gfp.movable);
    if (available < nrPages) throw ENOMEM;
    const parts: Allocation['parts'] = [];
    const pfns = new Int32Array(nrPages);
    // User pages go on the LRU (new anon folios start inactive since 5.9); kernel pages do not.
    const flags = gfp.movable ? PG_LRU : PG_KERNEL;
    let left = nrPages;
    const cpuNid = gfp.cpuNid ?? nid;
    for (const n of order) {
      if (left === 0) break;
      let fromNode = 0;
      for (const b of this.blocksInZoneOrder(n)) {
        if (left === 0) break;
        if (!b.online || !zoneAllowed(b.zone, gfp.movable) || b.freePages === 0) continue;
        const take = this.frames.of(b).take(Math.min(left, b.freePages), flags, pfns, nrPages - left);
        b.freePages -= take;
        if (gfp.movable) b.movablePages += take;
        else b.unmovablePages += take;
        parts.push({ block: b, pages: take });
        this.vm.countEvent(PGALLOC[b.zone], take);
        left -= take;
        fromNode += take;
      }
      if (fromNode > 0) this.vm.accountNumaAlloc(nid, n, cpuNid, fromNode);
    }
    return { movable: gfp.movable, parts, pfns };
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
      block.freePages += pages;
      this.vm.countEvent('pgfree', pages);
    }
    a.parts.length = 0;
    a.pfns = new Int32Array(0);
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
      block.freePages++;
    }
    this.vm.countEvent('pgfree', pfns.length);
  }

  /**
   * One user frame on exactly `nid` for a migration target (alloc_migration_target with
   * __GFP_THISNODE), or -1 when the node has none free. Counted as the allocating CPU's
   * placement event.
   */
  allocMigrationTarget(nid: number, cpuNid: number, exclude?: MemoryBlock): number {
    const out = this.one;
    for (const b of this.blocksInZoneOrder(nid)) {
      if (!b.online || b.freePages === 0 || b === exclude) continue;
      if (this.frames.of(b).take(1, PG_LRU, out, 0) === 1) {
        b.freePages--;
        b.movablePages++;
        this.vm.countEvent(PGALLOC[b.zone]);
        this.vm.accountNumaAlloc(nid, nid, cpuNid, 1);
        return out[0]!;
      }
    }
    return -1;
  }
}

/** The pgalloc_<zone> event of each zone (a constant name: migration targets count one per page). */
const PGALLOC: Record<ZoneType, string> = { DMA: 'pgalloc_dma', DMA32: 'pgalloc_dma32', Normal: 'pgalloc_normal', Movable: 'pgalloc_movable' };

/** enum zone_type order: a zonelist tries higher zones first. */
const ZONE_RANK: Record<ZoneType, number> = { DMA: 0, DMA32: 1, Normal: 2, Movable: 3 };

/** Unmovable allocations may not use ZONE_MOVABLE (gfp_zone without __GFP_MOVABLE). */
export function zoneAllowed(zone: ZoneType, movable: boolean): boolean {
  return movable || zone !== 'Movable';
}
