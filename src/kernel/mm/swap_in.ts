// Swap-in (mm/memory.c do_swap_page): a page that reclaim wrote to swap (DAMOS pageout,
// kswapd's or direct reclaim's swap fallback: swapOutPfns in vmscan.ts) leaves a swap entry in
// its PTE; the workload's next access to it is a major fault that reads it back into a freshly
// allocated page. No access is simulated: the swapped pages of one reclaim pass are queued as
// one range of the lazy fault queue NUMA hint faults use (numa_hint_fault.ts), so only the
// pages that are touched again are materialised, each at the time of its first access.
//
// One fault: a page is allocated by the VMA's policy (local: the faulting CPU's node), the
// entry's slot is freed (the fault is a write to an exclusive anon page: should_try_to_free_swap),
// the page goes on the inactive anon list, and pswpin, pgpgin, pgfault and pgmajfault count it.
// The faulting thread waits for the device read (SWAP_IN_NS) and any direct reclaim its
// allocation did: the batch's time stalls the process (Process.stall). A swap-in that finds no
// memory leaves the entry (the kernel would OOM-kill; tiersim has no OOM killer).
import createDebug from 'debug';
import type { Kernel } from '../kernel.js';
import type { Process } from '../sched/process.js';
import { isKernelError } from '../../kernfs/index.js';
import { zoneIdxOfBlock } from './mmzone.js';
import { NO_PFN, type Vma } from './mm.js';
import { LazyFaultQueue, pickCpu, type FaultBatch, type FaultRange, type FaultRangeOwner } from './numa_hint_fault.js';

const trace = createDebug('tiersim:swap');

/**
 * Time a thread waits for one 4 KiB page read from the swap device: an NVMe SSD's QD1 random
 * 4 KiB read (data sheets give 70–90 µs, e.g. Intel D7-P5510 ~80 µs) plus the fault's own work.
 */
export const SWAP_IN_NS = 85_000;

/** The swap PTEs of one VMA: `swapped[i]` while page i's contents are in a swap slot. */
export class VmaSwapState implements FaultRangeOwner {
  readonly swapped: Uint8Array;
  readonly ranges = new Set<FaultRange>();
  /** Pages of the VMA now in swap. */
  count = 0;

  constructor(nrPages: number) {
    this.swapped = new Uint8Array(nrPages);
  }
}

const vmaStates = new WeakMap<Vma, VmaSwapState>();

/** The swap state of `vma`, if any page of it was ever swapped out. */
export function vmaSwapState(vma: Vma): VmaSwapState | undefined {
  return vmaStates.get(vma);
}

/** The faults that bring one process's swapped pages back. */
class SwapInQueue extends LazyFaultQueue<VmaSwapState> {
  protected pending(vma: Vma, st: VmaSwapState, i: number): boolean {
    return st.swapped[i] === 1 && vma.pt[i] === NO_PFN;
  }

  protected fault(vma: Vma, st: VmaSwapState, i: number, tNs: number, batch: FaultBatch): void {
    doSwapPage(this.k, this.proc, vma, st, i, pickCpu(this.proc, this.rng), batch);
    trace('pid %d: page %d swapped in at %d ns', this.proc.pid, i, tNs);
  }
}

/** Per-kernel swap-in bookkeeping: each process's queue, and swap-outs not yet queued. */
class SwapIns {
  readonly queues = new Map<Process, SwapInQueue>();
  /** Pages swapped out at the current instant, by VMA, queued together by one clock event. */
  readonly fresh = new Map<Vma, { proc: Process; idx: number[] }>();
  flushArmed = false;
}

const perKernel = new WeakMap<Kernel, SwapIns>();

function swapIns(k: Kernel): SwapIns {
  let s = perKernel.get(k);
  if (!s) perKernel.set(k, (s = new SwapIns()));
  return s;
}

/**
 * Page `i` of `proc`'s `vma` was unmapped to a swap slot: its PTE now holds a swap entry, and
 * its next access will fault it back in. Pages swapped at one instant are queued as one range.
 */
export function noteSwappedOut(k: Kernel, proc: Process, vma: Vma, i: number): void {
  let st = vmaStates.get(vma);
  if (!st) vmaStates.set(vma, (st = new VmaSwapState(vma.nrPages)));
  if (st.swapped[i] === 0) {
    st.swapped[i] = 1;
    st.count++;
  }
  const s = swapIns(k);
  let f = s.fresh.get(vma);
  if (!f) s.fresh.set(vma, (f = { proc, idx: [] }));
  f.idx.push(i);
  if (!s.flushArmed) {
    s.flushArmed = true;
    k.clock.schedule(k.clock.nowNs, () => flush(k, s));
  }
}

/** Queue the pages swapped out at this instant, each VMA's as one range. */
function flush(k: Kernel, s: SwapIns): void {
  s.flushArmed = false;
  for (const [vma, { proc, idx }] of s.fresh) {
    const st = vmaStates.get(vma);
    if (!proc.alive || !st) continue;
    let q = s.queues.get(proc);
    if (!q) s.queues.set(proc, (q = new SwapInQueue(k, proc)));
    const pending = Int32Array.from(idx.filter((i) => st.swapped[i] === 1 && vma.pt[i] === NO_PFN));
    q.addRange(vma, st, pending, pending.length, proc.doneAt(k.clock.nowNs));
  }
  s.fresh.clear();
}

/** The node a fault allocates page `i` on under the VMA's policy (policy_nodemask / interleave). */
function policyNid(vma: Vma, i: number, cpuNid: number): number {
  const p = vma.policy;
  if (p.mode === 'local') return cpuNid;
  if (p.mode === 'interleave') return p.nodes[i % p.nodes.length]!;
  return p.node;
}

/** do_swap_page for page `i`: read it into a new page, map it, free its slot. */
function doSwapPage(k: Kernel, proc: Process, vma: Vma, st: VmaSwapState, i: number, cpu: number, batch: FaultBatch): void {
  const cpuNid = k.numa.cpuNode(cpu) ?? proc.cpuNode;
  const nid = policyNid(vma, i, cpuNid);
  let pfn: number;
  let reclaimNs: number;
  try {
    const a = k.alloc.alloc(nid, 1, { movable: true, thisNode: vma.policy.mode === 'bind', cpuNid });
    pfn = a.pfns[0]!;
    reclaimNs = a.stallNs;
  } catch (err) {
    if (!isKernelError(err)) throw err;
    trace('pid %d: page %d: no memory to swap in (%s)', proc.pid, i, err.code);
    return;
  }
  proc.mm.map(vma, i, pfn);
  st.swapped[i] = 0;
  st.count--;
  k.swap.free(proc.mm.id, 1);
  const block = k.alloc.frames.blockOf(pfn)!;
  k.vm.modNode(block.nid, 'nr_anon_pages', 1);
  k.vm.modLru(block.nid, zoneIdxOfBlock(block), 'nr_inactive_anon', 1);
  k.vm.countEvent('pswpin');
  k.vm.countEvent('pgpgin', 4); // KiB: 8 sectors per page, printed halved
  k.vm.countEvent('pgfault');
  k.vm.countEvent('pgmajfault');
  batch.threadNs += SWAP_IN_NS + reclaimNs;
  batch.faults++;
}

/** The process exited: its queue and swap PTEs go (its slots are freed by SwapSpace.releaseMm). */
export function releaseSwapIns(k: Kernel, proc: Process): void {
  const s = perKernel.get(k);
  s?.queues.get(proc)?.clear();
  s?.queues.delete(proc);
  for (const vma of proc.mm.vmas) {
    vmaStates.delete(vma);
    s?.fresh.delete(vma);
  }
}
