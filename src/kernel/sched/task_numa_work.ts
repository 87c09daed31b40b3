// The NUMA balancing scanner (kernel/sched/fair.c task_tick_numa + task_numa_work, and
// mm/mprotect.c change_prot_numa): per process, a clock event every scan period (the first
// after scan_delay_ms) walks the VMAs from the saved offset and marks up to scan_size_mb of
// PTEs PROT_NONE, in chunks aligned to 2 MiB; at the end of the address space the offset wraps
// and numa_scan_seq advances. In memory-tiering-only mode top-tier pages are skipped and
// slow-tier pages are stamped with the scan time. The walk's CPU time is the task's
// (task_work on return to user): it stalls one thread, and the flush stalls the others.
//
// Mode switches take effect at the next scan; while NUMA balancing is off, or while the SPE
// consumer supplies the accesses (kernel.numa_balancing_mem_sampling=1), the event still
// fires every period but marks nothing.
import createDebug from 'debug';
import { PAGE_SIZE, costNs } from '../config/machine.js';
import type { Kernel } from '../kernel.js';
import { NO_PFN, type Vma } from '../mm/mm.js';
import { CPUPID_ACCESS_TIME, HintFaultQueue, policyMigratesOnFault, vmaNumaState } from '../mm/numa_hint_fault.js';
import type { NumaTask } from './fair_numa.js';
import { NUMA_BALANCING_MEMORY_TIERING, NUMA_BALANCING_NORMAL } from './numa_balancing.js';

const trace = createDebug('tiersim:numa_scan');
const HPAGE_SIZE = 2 * 1024 * 1024;
/** PAGE_ACCESS_TIME_MASK (64-bit). */
const ACCESS_TIME_MASK = (1 << 21) - 1;

let scratchBuf = new Int32Array(0);
/** A reusable index buffer of at least `n` entries (the marked pages of one chunk). */
function scratch(n: number): Int32Array {
  if (scratchBuf.length < n) scratchBuf = new Int32Array(Math.max(n, scratchBuf.length * 2));
  return scratchBuf;
}

/** Start the scanner of every process spawned from now on. */
export function registerTaskNumaWork(k: Kernel): void {
  k.numab.attachHooks.push((t) => {
    t.faultQueue = new HintFaultQueue(k, t);
    armScan(k, t, t.nextScanNs);
  });
}

function armScan(k: Kernel, t: NumaTask, atNs: number): void {
  k.clock.schedule(atNs, () => tick(k, t));
}

/** task_tick_numa(): the task ran a scan period; queue task_numa_work if the mm is due. */
function tick(k: Kernel, t: NumaTask): void {
  const proc = t.proc;
  if (!proc.alive) return; // the exit hook dropped its state
  const now = k.clock.nowNs;
  // sched_numa_balancing is off with mode 0; SPE samples replace the scanner when consumed.
  const active = k.numaBalancing.mode !== 0 && k.sysctls.numaBalancingMemSampling === 0 && proc.state === 'running';
  if (active) {
    if (t.nodeStampNs === 0) t.scanPeriodMs = t.scanMinMs(); // task_scan_start
    t.nodeStampNs = now;
    if (now >= t.nextScanNs) taskNumaWork(k, t, now);
  }
  armScan(k, t, Math.max(now + Math.max(1, t.scanPeriodMs) * 1e6, t.nextScanNs));
}

/** task_numa_work(): one pass of up to scan_size_mb over the VMAs from the saved offset. */
export function taskNumaWork(k: Kernel, t: NumaTask, now: number): void {
  const nb = k.numaBalancing;
  t.nextScanNs = now + t.scanPeriodMs * 1e6;
  let pages = nb.scanSizeMb * ((1024 * 1024) / PAGE_SIZE);
  let virtpages = pages * 8;
  if (pages === 0) return;
  k.numab.refreshTiersNow();
  const vmas = t.proc.mm.vmas;
  let start = t.scanOffset;
  let v = vmas.findIndex((vma) => vma.end > start);
  if (v < 0) {
    resetScan(t);
    start = 0;
    v = 0;
  }
  const cost = { ns: 0, remoteStallNs: 0 };
  let stopped = false;
  for (; v < vmas.length && !stopped; v++) {
    const vma = vmas[v]!;
    if (!policyMigratesOnFault(vma)) continue; // !vma_policy_mof()
    let end: number;
    do {
      start = Math.max(start, vma.start);
      end = Math.min(Math.ceil((start + pages * PAGE_SIZE) / HPAGE_SIZE) * HPAGE_SIZE, vma.end);
      const chunk = (end - start) / PAGE_SIZE;
      const updated = changeProtNuma(k, t, vma, (start - vma.start) / PAGE_SIZE, (end - vma.start) / PAGE_SIZE, now, cost);
      if (updated > 0) pages -= chunk;
      virtpages -= chunk;
      start = end;
      if (pages <= 0 || virtpages <= 0) {
        stopped = true;
        break;
      }
    } while (end !== vma.end);
  }
  if (stopped) t.scanOffset = start;
  else resetScan(t);
  t.scans++;
  t.taskWorkNs += cost.ns;
  k.numab.countOverhead('numa_task_work_oh', cost.ns);
  const proc = t.proc;
  // The walking thread lost cost.ns; each flush interrupted the others.
  const running = proc.runningThreads;
  proc.stall((cost.ns + cost.remoteStallNs) / running, running);
}

/** reset_ptenuma_scan(): the pass reached the end of the address space. */
function resetScan(t: NumaTask): void {
  t.scanSeq++;
  t.scanOffset = 0;
  trace('pid %d: scan pass %d', t.proc.pid, t.scanSeq);
}

/**
 * change_prot_numa() over pages [i0, i1) of `vma`: mark present PTEs PROT_NONE, skipping those
 * already marked, pages on the node a single-threaded process runs on, and — with normal
 * balancing off — top-tier pages; stamp slow-tier pages with the time in tiering mode.
 * @returns PTEs updated (numa_pte_updates)
 */
function changeProtNuma(k: Kernel, t: NumaTask, vma: Vma, i0: number, i1: number, now: number, cost: { ns: number; remoteStallNs: number }): number {
  const nb = k.numab;
  const mode = k.numaBalancing.mode;
  const normal = (mode & NUMA_BALANCING_NORMAL) !== 0;
  const tiering = (mode & NUMA_BALANCING_MEMORY_TIERING) !== 0;
  const proc = t.proc;
  // mm_users == 1: don't mess with pages already on the node the only thread runs on.
  const targetNode = proc.spec.threads === 1 ? proc.cpuNode : -1;
  cost.ns += (i1 - i0) * costNs(k.config, 'pteScan');
  // Nothing to mark when every candidate node is skipped (tiering only, all pages on top tier).
  let candidates = 0;
  vma.nodePages.forEach((pages, nid) => {
    if (nid !== targetNode && (normal || !nb.isTopTier(nid))) candidates += pages;
  });
  if (candidates === 0) return 0;
  const st = vmaNumaState(vma);
  const frames = k.alloc.frames;
  const pt = vma.pt;
  const prot = st.protPfn;
  const marked = scratch(i1 - i0);
  const nowMs = Math.floor(now / 1e6) & ACCESS_TIME_MASK;
  let n = 0;
  // The node of the block the last pfn was in: pages of a VMA come in long runs per block.
  let blockLo = 0;
  let blockHi = -1;
  let skip = true;
  let stamp = false;
  for (let i = i0; i < i1; i++) {
    const pfn = pt[i]!;
    if (pfn === NO_PFN || prot[i] === pfn) continue; // not present, or already PROT_NONE
    if (pfn < blockLo || pfn > blockHi) {
      const b = frames.blockOf(pfn)!;
      blockLo = b.startPfn;
      blockHi = b.startPfn + b.nrPages - 1;
      const top = nb.isTopTier(b.nid);
      // Single-threaded: not on the node it runs on. Tiering only: top-tier pages are not scanned.
      skip = b.nid === targetNode || (!normal && top);
      stamp = tiering && !top;
    }
    if (skip) continue;
    if (stamp) {
      st.accessMs[i] = nowMs;
      st.lastCpu[i] = CPUPID_ACCESS_TIME;
    }
    prot[i] = pfn;
    marked[n++] = i;
  }
  if (n > 0) {
    const flush = k.migrator.shootdownFromTask(proc);
    cost.ns += flush.ns;
    cost.remoteStallNs += flush.remoteStallNs;
    k.vm.countEvent('numa_pte_updates', n);
    t.pteUpdates += n;
    t.faultQueue?.addRange(vma, st, marked, n, proc.doneAt(now));
  }
  return n;
}
