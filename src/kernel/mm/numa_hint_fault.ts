// NUMA hinting faults (mm/memory.c do_numa_page, numa_migrate_check; mm/mempolicy.c
// mpol_misplaced; mm/mprotect.c change_prot_numa's PTE rules), drawn lazily.
//
// The scanner marks a chunk of PTEs PROT_NONE at one instant; the next access to each marked
// page is its hint fault. No access is simulated: for the pages one scan marked, grouped by
// access weight (pages of one group share a weight bound w), the first accesses form a
// superposition of Poisson streams in the workload's progress (accesses done): the next one
// in a group of n pending pages comes after Exp(1)/(n·w) accesses, lands on a uniformly chosen
// page and counts when a thinning draw accepts it (page weight / w). A sequential sweep is
// exact instead: its pages fault in sweep order. Only faulting pages are materialised; their
// faults are handled in batches (one clock event per millisecond at most per process), each
// at its own time, and the batch's CPU time stalls the threads at once.
import createDebug from 'debug';
import type { Kernel } from '../kernel.js';
import type { Process } from '../sched/process.js';
import type { TimerHandle } from '../time/clock.js';
import type { Prng } from '../lib/prng.js';
import type { NumaTask } from '../sched/fair_numa.js';
import { TNF_FAULT_LOCAL, TNF_MIGRATED, TNF_MIGRATE_FAIL } from '../sched/numa_balancing.js';
import { NO_PFN, type Vma } from './mm.js';
import { promotionTargetHasRoom } from './numa_promotion_room.js';
import { FolioMigrations } from './migrate.js';

const trace = createDebug('tiersim:numa_fault');

/** last_cpupid never set ((-1 & LAST_CPUPID_MASK)): a first fault. */
export const CPUPID_UNSET = -1;
/** The folio's cpupid bits hold an access time (memory tiering): not a valid cpupid. */
export const CPUPID_ACCESS_TIME = -2;
/** At most one batch of faults per process per millisecond. */
const FAULT_BATCH_NS = 1e6;
/** Re-check at least this often, in case the workload's speed changed since the batch was planned. */
const FAULT_RECHECK_NS = 50e6;
/** Pages taken together in a class's fault order: one cache line of page-table entries. */
const FAULT_GROUP = 16;
/** Faults handled per clock event before yielding to the next event (keeps one event short). */
const MAX_FAULTS_PER_BATCH = 4096;

/** Per-page NUMA state of one VMA: the kernel keeps it in the PTEs and in the folios. */
export class VmaNumaState {
  /** The pfn whose PTE is PROT_NONE at this index, NO_PFN if none: a moved page is not marked. */
  readonly protPfn: Int32Array;
  /** The folio's last_cpupid as a CPU (one thread per CPU), or CPUPID_UNSET/ACCESS_TIME. */
  readonly lastCpu: Int16Array;
  /** The folio's access time in ms (memory tiering's use of the same bits). */
  readonly accessMs: Uint32Array;
  readonly ranges = new Set<FaultRange>();

  constructor(nrPages: number) {
    this.protPfn = new Int32Array(nrPages).fill(NO_PFN);
    this.lastCpu = new Int16Array(nrPages).fill(CPUPID_UNSET);
    this.accessMs = new Uint32Array(nrPages);
  }
}

const vmaStates = new WeakMap<Vma, VmaNumaState>();

/** The NUMA state of `vma`, allocated the first time a scan or a sample needs it. */
export function vmaNumaState(vma: Vma): VmaNumaState {
  let st = vmaStates.get(vma);
  if (!st) {
    st = new VmaNumaState(vma.nrPages);
    vmaStates.set(vma, st);
  }
  return st;
}

/** Drop a dead process's per-page NUMA state (its VMAs stay listed with the process). */
export function releaseVmaNumaState(vma: Vma): void {
  vmaStates.delete(vma);
}

/** Per-VMA page state a lazy fault queue keeps its pending ranges in. */
export interface FaultRangeOwner {
  readonly ranges: Set<FaultRange>;
}

/** Pages one scan marked, grouped by access weight. */
export class FaultRange {
  readonly classes: FaultClass[] = [];
  constructor(
    readonly vma: Vma,
    readonly st: FaultRangeOwner,
    /** Pattern phase the weights were taken in. */
    public phase: number,
  ) {}
}

/** Pending pages of one range sharing a weight bound; `nextD` is its next candidate access. */
export class FaultClass {
  heapPos = -1;
  constructor(
    readonly range: FaultRange,
    public idx: Int32Array,
    public n: number,
    /** Upper bound of the members' weights (random order), or 0 for a sweep class. */
    readonly wMax: number,
    public nextD: number,
    /** Sweep classes: each member's next touch, ascending; `head` is the next to fault. */
    readonly keys: Float64Array | undefined = undefined,
    public head = 0,
  ) {}
}

/** Min-heap of classes by next candidate access. */
class ClassHeap {
  private readonly a: FaultClass[] = [];
  get size(): number {
    return this.a.length;
  }
  top(): FaultClass | undefined {
    return this.a[0];
  }
  push(c: FaultClass): void {
    c.heapPos = this.a.length;
    this.a.push(c);
    this.up(c.heapPos);
  }
  remove(c: FaultClass): void {
    const i = c.heapPos;
    if (i < 0) return;
    const last = this.a.pop()!;
    c.heapPos = -1;
    if (last === c) return;
    this.a[i] = last;
    last.heapPos = i;
    this.down(i);
    this.up(last.heapPos);
  }
  /** The key of `c` changed. */
  update(c: FaultClass): void {
    this.down(c.heapPos);
    this.up(c.heapPos);
  }
  clear(): void {
    for (const c of this.a) c.heapPos = -1;
    this.a.length = 0;
  }
  private swap(i: number, j: number): void {
    const a = this.a;
    const x = a[i]!;
    const y = a[j]!;
    a[i] = y;
    a[j] = x;
    y.heapPos = i;
    x.heapPos = j;
  }
  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.a[p]!.nextD <= this.a[i]!.nextD) break;
      this.swap(i, p);
      i = p;
    }
  }
  private down(i: number): void {
    const n = this.a.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.a[l]!.nextD < this.a[m]!.nextD) m = l;
      if (r < n && this.a[r]!.nextD < this.a[m]!.nextD) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}

/** What one batch of faults (or samples) cost the process's threads. */
export interface FaultBatch {
  /** Thread time spent handling faults, migrations included. */
  threadNs: number;
  faults: number;
  /** Of threadNs, the time in do_numa_page (numa_hf_migration_oh). */
  hintFaultNs: number;
  /** The one-folio migrations' frees, counters and shootdown stalls, settled with the batch. */
  readonly migrations: FolioMigrations;
}

/** An empty batch. */
export function newFaultBatch(): FaultBatch {
  return { threadNs: 0, faults: 0, hintFaultNs: 0, migrations: new FolioMigrations() };
}

/** Exp(1) draw. */
function exp1(rng: Prng): number {
  return -Math.log(1 - rng.nextFloat());
}

/**
 * Pages of one process marked at one instant whose next access each is a fault, and the clock
 * event that turns those first accesses into faults, drawn lazily (the file comment). A
 * subclass says which pages are still pending and handles a fault: NUMA hint faults here,
 * swap-ins in swap_in.ts.
 */
export abstract class LazyFaultQueue<S extends FaultRangeOwner> {
  private readonly heap = new ClassHeap();
  private timer: TimerHandle | undefined;
  protected readonly rng: Prng;

  constructor(
    protected readonly k: Kernel,
    protected readonly proc: Process,
  ) {
    this.rng = k.rng.fork();
  }

  /** Called before a batch's faults are handled. */
  protected beforeBatch(): void {}

  /** Page `i` of `vma` still waits for its fault (not moved, unmapped or brought back since). */
  protected abstract pending(vma: Vma, st: S, i: number): boolean;

  /** The fault of page `i` of `vma`, taken at `tNs`; its thread time goes into `batch`. */
  protected abstract fault(vma: Vma, st: S, i: number, tNs: number, batch: FaultBatch): void;

  /** Pending classes (for tests and the numa_balancing file). */
  get pendingClasses(): number {
    return this.heap.size;
  }

  /**
   * The scanner marked pages of `vma`: `indices[0..n)` at progress `d0` (accesses done at the
   * scan). Group them by weight and queue their first accesses.
   */
  addRange(vma: Vma, st: S, indices: Int32Array, n: number, d0: number): void {
    if (n === 0) return;
    const range = new FaultRange(vma, st, vma.phase);
    st.ranges.add(range);
    if (vma.pattern.order === 'sweep') this.buildSweep(range, indices, n, d0);
    else this.buildPoisson(range, indices, n, d0);
    this.plan();
  }

  /** Random-order pages: classes of weights within a factor of two. */
  private buildPoisson(range: FaultRange, indices: Int32Array, n: number, d0: number): void {
    const { pattern, phase } = range.vma;
    // Class of each page as an index into `keys` (a handful of classes per range).
    const classOf = new Uint8Array(n);
    const keys: number[] = [];
    const counts: number[] = [];
    const bounds: number[] = [];
    let lastW = -1;
    let cls = 0;
    for (let j = 0; j < n; j++) {
      const w = pattern.weight(indices[j]!, phase);
      if (w !== lastW) {
        lastW = w;
        const key = w > 0 ? Math.floor(Math.log2(w)) : -32768;
        cls = keys.indexOf(key);
        if (cls < 0) {
          cls = keys.length;
          keys.push(key);
          counts.push(0);
          bounds.push(w);
        }
        if (w > bounds[cls]!) bounds[cls] = w;
      }
      classOf[j] = cls;
      counts[cls]!++;
    }
    const classes = keys.map((_, c) => {
      const w = bounds[c]!;
      const fc = new FaultClass(range, new Int32Array(counts[c]!), 0, w, w > 0 ? d0 + exp1(this.rng) / (counts[c]! * w) : Infinity);
      range.classes.push(fc);
      return fc;
    });
    for (let j = 0; j < n; j++) {
      const fc = classes[classOf[j]!]!;
      fc.idx[fc.n++] = indices[j]!;
    }
    for (const fc of classes) {
      fc.idx = this.groupShuffle(fc.idx);
      if (fc.wMax > 0) this.heap.push(fc);
    }
  }

  /**
   * The order the members will be taken in (from the end): groups of FAULT_GROUP consecutive
   * members in random order, each group in address order. Every page keeps a uniformly random
   * rank up to FAULT_GROUP places, so its fault time keeps its distribution, while consecutive
   * faults touch the same page-table and frame cache lines. One draw per group, not per page.
   */
  private groupShuffle(idx: Int32Array): Int32Array {
    const groups = Math.ceil(idx.length / FAULT_GROUP);
    if (groups <= 1) return idx;
    const order = new Int32Array(groups);
    for (let g = 0; g < groups; g++) order[g] = g;
    for (let g = groups - 1; g > 0; g--) {
      const r = Math.floor(this.rng.nextFloat() * (g + 1));
      const x = order[g]!;
      order[g] = order[r]!;
      order[r] = x;
    }
    const out = new Int32Array(idx.length);
    let at = idx.length;
    for (let g = 0; g < groups; g++) {
      const lo = order[g]! * FAULT_GROUP;
      const hi = Math.min(lo + FAULT_GROUP, idx.length);
      // Taken from the end: put the group reversed so its pages come out in address order.
      for (let j = lo; j < hi; j++) out[--at] = idx[j]!;
    }
    return out;
  }

  /** A sweep touches page i at access number lap·N + i + 1: fault order is sweep order. */
  private buildSweep(range: FaultRange, indices: Int32Array, n: number, d0: number): void {
    const N = range.vma.nrPages;
    const keys = new Float64Array(n);
    const idx = new Int32Array(n);
    const order = Array.from({ length: n }, (_, j) => j);
    const next = (i: number) => {
      const lap = d0 < i + 1 ? 0 : Math.floor((d0 - i - 1) / N) + 1;
      return lap * N + i + 1;
    };
    order.sort((a, b) => next(indices[a]!) - next(indices[b]!));
    order.forEach((j, o) => {
      idx[o] = indices[j]!;
      keys[o] = next(indices[j]!);
    });
    const cls = new FaultClass(range, idx, n, 0, keys[0]!, keys, 0);
    range.classes.push(cls);
    this.heap.push(cls);
  }

  /** Re-group a range's pending pages after the pattern's phase moved its hot set. */
  private rebuild(range: FaultRange, d: number): void {
    const pending: number[] = [];
    for (const c of range.classes) {
      this.heap.remove(c);
      for (let j = c.keys ? c.head : 0; j < c.n; j++) pending.push(c.idx[j]!);
    }
    range.classes.length = 0;
    range.phase = range.vma.phase;
    if (pending.length === 0) {
      range.st.ranges.delete(range);
      return;
    }
    this.buildPoisson(range, Int32Array.from(pending), pending.length, d);
  }

  /** Schedule the next batch at the first pending candidate (bounded below and above). */
  private plan(): void {
    const top = this.heap.top();
    const now = this.k.clock.nowNs;
    if (!top || !this.proc.alive) {
      this.timer?.cancel();
      this.timer = undefined;
      return;
    }
    const t = this.proc.timeAtDone(top.nextD);
    const at = Math.max(now + FAULT_BATCH_NS, Math.min(t, now + FAULT_RECHECK_NS));
    if (this.timer && this.timer.atNs <= at) return;
    this.timer?.cancel();
    this.timer = this.k.clock.schedule(at, () => {
      this.timer = undefined;
      this.run();
    });
  }

  /** Turn every candidate access up to now into a fault, handle them, charge their time. */
  private run(): void {
    const proc = this.proc;
    if (!proc.alive) {
      this.heap.clear();
      return;
    }
    const k = this.k;
    const d = proc.doneAt(k.clock.nowNs);
    const batch = newFaultBatch();
    this.beforeBatch();
    let handled = 0;
    for (let c = this.heap.top(); c && c.nextD <= d && handled < MAX_FAULTS_PER_BATCH; c = this.heap.top()) {
      const range = c.range;
      const st = range.st as S; // addRange took it as an S
      const vma = range.vma;
      let i: number;
      const at = c.nextD;
      if (c.keys) {
        i = c.idx[c.head++]!;
        if (c.head < c.n) c.nextD = c.keys[c.head]!;
        else this.retire(c);
      } else {
        if (range.phase !== vma.phase) {
          this.rebuild(range, d);
          continue;
        }
        // The candidate access lands on a uniformly random pending member: the next in the
        // shuffled order. Thinning keeps it with probability weight / bound; a rejected member
        // goes back to a random place in the order.
        const j = c.n - 1;
        i = c.idx[j]!;
        const accept = vma.pattern.weight(i, vma.phase) / c.wMax;
        if (accept < 1 && this.rng.nextFloat() >= accept) {
          const r = Math.floor(this.rng.nextFloat() * c.n);
          c.idx[j] = c.idx[r]!;
          c.idx[r] = i;
          i = -1;
        } else {
          c.n--;
        }
        if (c.n > 0) c.nextD = at + exp1(this.rng) / (c.n * c.wMax);
        else this.retire(c);
      }
      if (c.heapPos >= 0) this.heap.update(c);
      if (i < 0) continue;
      if (!this.pending(vma, st, i)) continue;
      this.fault(vma, st, i, Math.min(k.clock.nowNs, proc.timeAtDone(at)), batch);
      handled++;
    }
    chargeBatch(k, proc, batch);
    this.plan();
  }

  private retire(c: FaultClass): void {
    this.heap.remove(c);
    const range = c.range;
    if (range.classes.every((x) => (x.keys ? x.head >= x.n : x.n === 0))) range.st.ranges.delete(range);
  }

  /** Drop everything (process gone). */
  clear(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.heap.clear();
  }
}

/** The pending PROT_NONE pages of one process: their first accesses are NUMA hint faults. */
export class HintFaultQueue extends LazyFaultQueue<VmaNumaState> {
  constructor(
    k: Kernel,
    private readonly task: NumaTask,
  ) {
    super(k, task.proc);
  }

  protected override beforeBatch(): void {
    this.k.numab.refreshTiersNow();
  }

  protected pending(vma: Vma, st: VmaNumaState, i: number): boolean {
    const pfn = vma.pt[i]!;
    return pfn !== NO_PFN && st.protPfn[i] === pfn; // moved or unmapped since: not PROT_NONE any more
  }

  protected fault(vma: Vma, st: VmaNumaState, i: number, tNs: number, batch: FaultBatch): void {
    st.protPfn[i] = NO_PFN;
    doNumaPage(this.k, this.task, vma, st, i, pickCpu(this.proc, this.rng), tNs, batch);
  }
}

/** The CPU of the thread that makes an access: the process's threads are spread evenly. */
export function pickCpu(proc: Process, rng: Prng): number {
  const cpus = proc.mm.cpus;
  return cpus[Math.floor(rng.nextFloat() * cpus.length)]!;
}

/**
 * Settle a batch's migrations (frees, LRU and TLB counters, the shootdowns' stall on the other
 * CPUs) and charge the faulting threads' time to the process at once.
 */
export function chargeBatch(k: Kernel, proc: Process, batch: FaultBatch): void {
  k.migrator.settle(batch.migrations);
  if (batch.hintFaultNs > 0) k.numab.countOverhead('numa_hf_migration_oh', batch.hintFaultNs);
  const running = proc.runningThreads;
  if (batch.threadNs > 0) proc.stall(batch.threadNs / running, running);
}

/**
 * mpol_misplaced(): the node page `i` should move to, or -1. The default (local) policy and a
 * preferred node migrate on fault toward the faulting CPU's node, filtered by
 * should_numa_migrate_memory; bind and interleave policies carry no MPOL_F_MOF (not balanced).
 */
function mpolMisplaced(task: NumaTask, vma: Vma, st: VmaNumaState, i: number, curNid: number, cpu: number, nowMs: number): number {
  if (!policyMigratesOnFault(vma)) return -1;
  const nb = task.nb;
  const thisNid = nb.cpuNode(cpu);
  if (!task.shouldMigrate(st, i, curNid, cpu, thisNid, nowMs)) return -1;
  return curNid !== thisNid ? thisNid : -1;
}

/** vma_policy_mof(): may NUMA balancing move this VMA's pages (see DESIGN.md §10 on node=N). */
export function policyMigratesOnFault(vma: Vma): boolean {
  return vma.policy.mode === 'local' || vma.policy.mode === 'preferred';
}

/**
 * do_numa_page() for page `i` of `vma`, PROT_NONE until now, touched by the thread on `cpu` at
 * `tNs`: count the fault, ask where the page belongs, migrate it (a one-folio list), feed the
 * task's statistics. Also the SPE consumer's do_numa_access() (`sampled`: its cost goes to the
 * sample counters, not numa_hf_migration_oh).
 * @returns the node mpol_misplaced() chose, or -1
 */
export function doNumaPage(k: Kernel, task: NumaTask, vma: Vma, st: VmaNumaState, i: number, cpu: number, tNs: number, batch: FaultBatch, sampled = false): number {
  const nb = k.numab;
  const pfn = vma.pt[i]!;
  let nid = k.alloc.frames.blockOf(pfn)!.nid;
  const cpuNid = nb.cpuNode(cpu);
  let flags = 0;
  nb.hintFaultsCell.v++;
  task.hintFaults++;
  if (nid === cpuNid) {
    nb.hintFaultsLocalCell.v++;
    task.hintFaultsLocal++;
    flags |= TNF_FAULT_LOCAL;
  }
  // Tiering mode keeps an access time in the slow-tier folio's cpupid bits: report "unset".
  const lastCpupid = nb.useAccessTime(nid) ? CPUPID_UNSET : st.lastCpu[i]!;
  const nowMs = Math.floor(tNs / 1e6);
  const target = mpolMisplaced(task, vma, st, i, nid, cpu, nowMs);
  let ns = nb.hintFaultTrapNs;
  if (target >= 0) {
    if (!promotionTargetHasRoom(k, target, 1)) {
      flags |= TNF_MIGRATE_FAIL;
    } else {
      // Any CPU of the mm gives the same placement and shootdown accounting (one node, in the
      // mask); the first one keeps the migrator's per-mm cache warm.
      ns += k.migrator.migrateMisplacedFolio(task.proc, vma, i, target, task.proc.mm.cpus[0] ?? cpu, batch.migrations);
      if (vma.pt[i] !== pfn) {
        nid = target;
        flags |= TNF_MIGRATED;
      } else {
        flags |= TNF_MIGRATE_FAIL;
      }
    }
  }
  task.numaFault(lastCpupid, nid, 1, flags, cpu);
  batch.threadNs += ns;
  batch.faults++;
  if (sampled) {
    task.sampleNs += ns;
  } else {
    task.hintFaultNs += ns;
    batch.hintFaultNs += ns;
  }
  if (trace.enabled && flags & TNF_MIGRATED) trace('pid %d: page %d -> node %d (cpu %d)', task.proc.pid, i, nid, cpu);
  return target;
}
