// Page-level LRU and reclaim actions DAMOS applies (mm/vmscan.c reclaim_pages, mm/swap.c
// folio_mark_accessed / deactivate, madvise advice): move pages between the anon LRU lists,
// or reclaim them. Reclaimed anon pages are written to swap (pswpout) and their frames freed;
// the owning process's resident set and speed follow. Swap-in on a later access is not modelled.
import createDebug from 'debug';
import type { Kernel } from '../kernel.js';
import type { Process } from '../sched/process.js';
import { uncharge } from '../sched/tasks.js';
import { anonLru, PG_ACTIVE } from './frames.js';
import { NO_PFN, type Vma } from './mm.js';
import { ZONE_MOVABLE, zoneIdxOfBlock } from './mmzone.js';

const trace = createDebug('tiersim:vmscan');

/** Set or clear PG_active on the mapped pages [i0, i1) of `vma`; returns pages changed. */
export function setActive(k: Kernel, vma: Vma, i0: number, i1: number, active: boolean): number {
  const frames = k.alloc.frames;
  let changed = 0;
  for (let i = Math.max(0, i0); i < Math.min(i1, vma.nrPages); i++) {
    const pfn = vma.pt[i]!;
    if (pfn === NO_PFN) continue;
    const f = frames.peek(pfn)!;
    const off = pfn - f.block.startPfn;
    const flags = f.flags[off]!;
    if (Boolean(flags & PG_ACTIVE) === active) continue;
    const from = anonLru(flags);
    f.flags[off] = active ? flags | PG_ACTIVE : flags & ~PG_ACTIVE;
    k.vm.modLru(f.block.nid, zoneIdxOfBlock(f.block), from, -1);
    k.vm.modLru(f.block.nid, zoneIdxOfBlock(f.block), anonLru(f.flags[off]!), 1);
    changed++;
  }
  return changed;
}

/**
 * Reclaim (swap out) the mapped pages [i0, i1) of `vma` for which `keep` is false.
 * @returns pages reclaimed
 */
export function reclaimPages(k: Kernel, proc: Process, vma: Vma, i0: number, i1: number, keep: (i: number) => boolean = () => false): number {
  const freed: number[] = [];
  for (let i = Math.max(0, i0); i < Math.min(i1, vma.nrPages); i++) {
    if (vma.pt[i] === NO_PFN || keep(i)) continue;
    freed.push(vma.pt[i]!);
    proc.mm.unmap(vma, i);
  }
  if (freed.length === 0) return 0;
  uncharge(k, freed);
  k.alloc.freeUserFrames(freed);
  k.vm.countEvent('pswpout', freed.length);
  k.vm.countEvent('pgpgout', freed.length * 4);
  proc.reschedule();
  return freed.length;
}

/** Per-node kswapd state (pgdat->kswapd_*). */
export interface KswapdNode {
  readonly nid: number;
  /** wakeup_kswapd() calls that found the node unbalanced. */
  wakeups: number;
  /** kswapd_highest_zoneidx of the pending request. */
  highestZoneIdx: number;
}

/**
 * kswapd, one per node with memory (mm/vmscan.c kswapd / wakeup_kswapd / balance_pgdat).
 * wakeup() is what the allocator's slow path (wake_all_kswapds) and NUMA balancing's promotion
 * path (a destination that is not migrate_balanced) call.
 */
export class Kswapd {
  private readonly nodes = new Map<number, KswapdNode>();

  constructor(private readonly k: Kernel) {
    for (const n of k.config.nodes) this.nodes.set(n.id, { nid: n.id, wakeups: 0, highestZoneIdx: ZONE_MOVABLE });
  }

  /** The node's kswapd, if the node exists. */
  node(nid: number): KswapdNode | undefined {
    return this.nodes.get(nid);
  }

  /** Is the node's kswapd running (between a wakeup and going back to sleep)? */
  isAwake(_nid: number): boolean {
    return false;
  }

  /** node_unreclaimable in /proc/zoneinfo: kswapd_failures >= MAX_RECLAIM_RETRIES. */
  nodeUnreclaimable(_nid: number): boolean {
    return false;
  }

  /** wakeup_kswapd(zone, gfp, order=0, highest_zoneidx): note the request; kswapd runs later. */
  wakeup(nid: number, highestZoneIdx: number = ZONE_MOVABLE): void {
    const n = this.nodes.get(nid);
    if (!n || !this.k.numa.hasMemory(nid)) return;
    n.highestZoneIdx = Math.max(n.highestZoneIdx, highestZoneIdx);
    n.wakeups++;
    trace('wakeup kswapd%d (highest zone %d)', nid, highestZoneIdx);
  }
}
