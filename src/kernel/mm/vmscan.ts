// Page-level LRU and reclaim actions DAMOS applies (mm/vmscan.c reclaim_pages, mm/swap.c
// folio_mark_accessed / deactivate, madvise advice): move pages between the anon LRU lists,
// or reclaim them. Reclaimed anon pages are written to swap (pswpout) and their frames freed;
// the owning process's resident set and speed follow. Swap-in on a later access is not modelled.
import type { Kernel } from '../kernel.js';
import type { Process } from '../sched/process.js';
import { uncharge } from '../sched/tasks.js';
import { anonLru, PG_ACTIVE } from './frames.js';
import { NO_PFN, type Vma } from './mm.js';

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
    k.vm.modNode(f.block.nid, from, -1);
    k.vm.modNode(f.block.nid, anonLru(f.flags[off]!), 1);
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
