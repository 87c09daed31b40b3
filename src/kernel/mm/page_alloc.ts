// The page allocator at memory-block granularity (mm/page_alloc.c): free/used page counts per
// block, zonelists ordered by node distance, and the NUMA placement events (numa_hit, miss,
// foreign, local, other). Per-page frame state arrives with processes; these counters are
// the zone free counts the kernel itself keeps.
import { ENOMEM } from '../../kernfs/index.js';
import type { MachineConfig } from '../config/machine.js';
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
}

export class PageAllocator {
  private readonly byNode = new Map<number, MemoryBlock[]>();
  /** Zonelist per node: node ids by increasing distance (build_zonelists). */
  readonly zonelists = new Map<number, number[]>();

  constructor(
    readonly layout: PhysLayout,
    config: MachineConfig,
    private readonly vm: VmCounters,
  ) {
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
    let left = nrPages;
    const cpuNid = gfp.cpuNid ?? nid;
    for (const n of order) {
      if (left === 0) break;
      let fromNode = 0;
      for (const b of this.blocksOf(n)) {
        if (left === 0) break;
        if (!b.online || !zoneAllowed(b.zone, gfp.movable) || b.freePages === 0) continue;
        const take = Math.min(left, b.freePages);
        b.freePages -= take;
        if (gfp.movable) b.movablePages += take;
        else b.unmovablePages += take;
        parts.push({ block: b, pages: take });
        left -= take;
        fromNode += take;
      }
      if (fromNode > 0) this.vm.accountNumaAlloc(nid, n, cpuNid, fromNode);
    }
    return { movable: gfp.movable, parts };
  }

  /** Give an allocation's pages back. */
  free(a: Allocation): void {
    for (const { block, pages } of a.parts) {
      if (a.movable) block.movablePages -= pages;
      else block.unmovablePages -= pages;
      block.freePages += pages;
    }
    a.parts.length = 0;
  }
}

/** Unmovable allocations may not use ZONE_MOVABLE (gfp_zone without __GFP_MOVABLE). */
export function zoneAllowed(zone: ZoneType, movable: boolean): boolean {
  return movable || zone !== 'Movable';
}
