// Simulated user processes: one mm, T threads on one node's CPUs, and a workload whose speed
// follows where its pages are (DESIGN.md §3 "workload progress"). Progress is piecewise
// linear in time: it is checkpointed whenever placement, phase or stalls change the rate, so
// its cost is per change, never per access. Stalls charged in process context (faults,
// synchronous migration) pause the affected share of the threads.
import type { MachineConfig } from '../config/machine.js';
import type { Mm, Vma } from '../mm/mm.js';
import type { NumaTopology } from '../numa/topology.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import type { WorkloadSpec } from '../workload/spec.js';

export type TaskState = 'running' | 'sleeping' | 'done' | 'killed';

/** Cache line size: a 64-byte access costs one memory latency. */
const CACHE_LINE = 64;
/**
 * Outstanding line fills one core sustains (line-fill buffers): an access spanning several
 * lines costs latency × (1 + (lines − 1) / MLP), a sequential page touch about 7× one miss.
 */
const MEMORY_LEVEL_PARALLELISM = 10;
/** Progress checkpoints kept for the access model's look-back (doneAt). */
const HISTORY = 4096;

interface Segment {
  /** Segment start (simulated ns). */
  readonly t: number;
  /** Accesses done at `resume`. */
  readonly done: number;
  /** Progress restarts at this time (later than `t` while stalled). */
  readonly resume: number;
  /** Accesses per ns from `resume` on. */
  readonly rate: number;
}

/** Memory latency seen from a CPU node for pages on `memNid` (DESIGN.md §3, docs/DESIGN.md). */
export function memoryLatencyNs(config: MachineConfig, numa: NumaTopology, cpuNid: number, memNid: number): number {
  const mem = numa.node(memNid);
  if (!mem) return config.media.dram.readLatencyNs;
  const d = numa.distance(cpuNid, memNid);
  if (mem.kind === 'dram') return (config.media.dram.readLatencyNs * d) / 10;
  // A CXL medium's latency is measured from its host socket: a farther CPU adds the hop.
  const nearest = Math.min(...config.nodes.filter((n) => n.cpus.length > 0).map((n) => numa.distance(n.id, memNid)));
  return config.media.cxl.readLatencyNs + (config.media.dram.readLatencyNs * (d - nearest)) / 10;
}

export class Process {
  state: TaskState;
  readonly startNs: number;
  endNs: number | undefined;
  /** Accesses to do in total (Infinity: until killed). */
  readonly totalAccesses: number;
  /** Simulated ns of thread time lost to stalls charged in process context. */
  stallNs = 0;
  private segs: Segment[] = [];
  private completion: TimerHandle | undefined;
  private phaseTimer: TimerHandle | undefined;
  /** Called once when the process finishes or is killed (frees its memory). */
  onExit: ((p: Process) => void) | undefined;

  constructor(
    readonly pid: number,
    readonly spec: WorkloadSpec,
    readonly mm: Mm,
    readonly vma: Vma,
    /** Node whose CPUs run the threads (moves when CPU hotplug takes its last CPU). */
    public cpuNode: number,
    private readonly clock: Clock,
    private readonly config: MachineConfig,
    private readonly numa: NumaTopology,
  ) {
    this.startNs = clock.nowNs;
    this.state = spec.kind === 'idle' ? 'sleeping' : 'running';
    this.totalAccesses = spec.iters === 0 ? Infinity : spec.iters * spec.accessesPerIter;
    this.segs.push({ t: this.startNs, done: 0, resume: this.startNs, rate: this.computeRate() });
    this.schedule();
    if (spec.kind === 'hotset' && spec.phaseNs > 0) this.armPhase();
  }

  get comm(): string {
    return this.spec.kind;
  }

  /** Threads that actually run at once (threads beyond the node's CPUs time-share). */
  get runningThreads(): number {
    return Math.max(1, Math.min(this.spec.threads, this.mm.cpus.length));
  }

  get alive(): boolean {
    return this.state === 'running' || this.state === 'sleeping';
  }

  /** Oldest time the progress history still covers: doneAt() is flat before it. */
  get historyStartNs(): number {
    return this.segs[0]!.t;
  }

  /** Accesses done by simulated time `t` (exact for the last HISTORY rate changes). */
  doneAt(t: number): number {
    const segs = this.segs;
    // The last segment starting at or before t (binary search: reclaim asks about old times).
    let k = segs.length - 1;
    if (segs[k]!.t > t) {
      let lo = 0;
      let hi = k;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (segs[mid]!.t <= t) lo = mid;
        else hi = mid - 1;
      }
      k = lo;
    }
    const s = segs[k]!;
    const v = s.done + s.rate * Math.max(0, t - s.resume);
    return Math.min(v, this.totalAccesses);
  }

  /**
   * When progress reaches `done` accesses: the inverse of doneAt over the kept history, and a
   * projection at the current rate beyond now (Infinity if the process will never get there).
   */
  timeAtDone(done: number): number {
    if (done > this.totalAccesses) return Infinity;
    const segs = this.segs;
    let k = segs.length - 1;
    while (k > 0 && segs[k]!.done > done) k--;
    const s = segs[k]!;
    if (done <= s.done) return s.resume;
    if (s.rate <= 0) return k === segs.length - 1 ? Infinity : segs[k + 1]!.t;
    const t = s.resume + (done - s.done) / s.rate;
    return k < segs.length - 1 ? Math.min(t, segs[k + 1]!.t) : t;
  }

  /** Current accesses per ns (0 while stalled or finished). */
  /** Accesses per ns while running: the current segment's rate, a stall in progress ignored. */
  get runningRate(): number {
    return this.alive ? this.segs[this.segs.length - 1]!.rate : 0;
  }

  get rate(): number {
    if (!this.alive) return 0;
    const s = this.segs[this.segs.length - 1]!;
    return this.clock.nowNs < s.resume ? 0 : s.rate;
  }

  /** Pattern phase at time `t`. */
  phaseAt(t: number): number {
    const p = this.spec.phaseNs;
    return p > 0 && this.spec.kind === 'hotset' ? Math.floor(Math.max(0, t - this.startNs) / p) : 0;
  }

  get runtimeNs(): number {
    return (this.endNs ?? this.clock.nowNs) - this.startNs;
  }

  /**
   * Accesses per ns the placement allows: per-thread latency over the access mix of the nodes
   * holding the pages, capped by each medium's bandwidth, plus the per-iteration delay.
   */
  computeRate(): number {
    if (this.state !== 'running') return 0;
    let w: ArrayLike<number> = this.vma.nodeWeight;
    let total = 0;
    for (let nid = 0; nid < w.length; nid++) total += w[nid]!;
    if (total <= 0) {
      // Nothing accessed is mapped: with a buffer, every page it touches is in swap, and each
      // access is the major fault (its time charged by stall) that maps it on the CPU's node.
      if (this.vma.nrPages === 0 || this.vma.pattern.rangeWeight(0, this.vma.nrPages, this.vma.phase) <= 0) return 0;
      w = Array.from({ length: this.vma.nodeWeight.length }, (_, nid) => (nid === this.cpuNode ? 1 : 0));
      total = 1;
    }
    const spec = this.spec;
    const lineFactor = 1 + (Math.ceil(spec.accessBytes / CACHE_LINE) - 1) / MEMORY_LEVEL_PARALLELISM;
    let latency = 0;
    let bwBound = 0;
    for (let nid = 0; nid < w.length; nid++) {
      const share = w[nid]! / total;
      if (share <= 0) continue;
      latency += share * memoryLatencyNs(this.config, this.numa, this.cpuNode, nid) * lineFactor;
      const node = this.numa.node(nid);
      const bytesPerNs = (node ? this.config.media[node.kind].bandwidthMBps : this.config.media.dram.bandwidthMBps) / 1000;
      bwBound = Math.max(bwBound, (spec.accessBytes * share) / bytesPerNs);
    }
    const perAccess = Math.max(latency / this.runningThreads, bwBound) + spec.delayNs / spec.accessesPerIter;
    return 1 / perAccess;
  }

  /** Placement or phase changed: fold progress so far and continue at the new rate. */
  reschedule(): void {
    if (!this.alive) return;
    const now = this.clock.nowNs;
    const last = this.segs[this.segs.length - 1]!;
    const done = this.doneAt(now);
    this.push({ t: now, done, resume: Math.max(last.resume, now), rate: this.computeRate() });
    this.schedule();
  }

  /**
   * Charge `ns` of stall to `threads` of the process's threads (hint fault, synchronous
   * migration): the process makes that share of its progress that much later.
   */
  stall(ns: number, threads = 1): void {
    if (!this.alive || ns <= 0) return;
    const now = this.clock.nowNs;
    const share = Math.min(threads, this.runningThreads) / this.runningThreads;
    const last = this.segs[this.segs.length - 1]!;
    const done = this.doneAt(now);
    this.stallNs += ns * Math.min(threads, this.runningThreads);
    this.push({ t: now, done, resume: Math.max(last.resume, now) + ns * share, rate: this.computeRate() });
    this.schedule();
  }

  /** Stop the process now (SIGKILL). */
  kill(): void {
    if (!this.alive) return;
    this.finish('killed', this.clock.nowNs);
  }

  private push(seg: Segment): void {
    this.segs.push(seg);
    if (this.segs.length > HISTORY) this.segs = this.segs.slice(this.segs.length - HISTORY / 2);
  }

  private schedule(): void {
    this.completion?.cancel();
    this.completion = undefined;
    const s = this.segs[this.segs.length - 1]!;
    let end = Infinity;
    if (this.spec.kind === 'idle') {
      if (this.spec.durationNs > 0) end = this.startNs + this.spec.durationNs;
    } else if (Number.isFinite(this.totalAccesses) && s.rate > 0) {
      end = s.resume + (this.totalAccesses - s.done) / s.rate;
    }
    if (!Number.isFinite(end)) return;
    const endNs = Math.ceil(end);
    this.completion = this.clock.schedule(endNs, () => this.finish('done', endNs));
  }

  private armPhase(): void {
    const next = this.startNs + (this.phaseAt(this.clock.nowNs) + 1) * this.spec.phaseNs;
    this.phaseTimer = this.clock.schedule(next, () => {
      if (!this.alive) return;
      this.vma.setPhase(this.phaseAt(this.clock.nowNs), this.mm.frames);
      this.reschedule();
      this.armPhase();
    });
  }

  private finish(state: 'done' | 'killed', atNs: number): void {
    // A finished workload did all its work (the end time was rounded up to a whole ns).
    const done = state === 'done' && Number.isFinite(this.totalAccesses) ? this.totalAccesses : this.doneAt(atNs);
    // Only the result is kept: progress is flat from here on, so the history goes.
    this.segs = [{ t: atNs, done, resume: atNs, rate: 0 }];
    this.state = state;
    this.endNs = atNs;
    this.completion?.cancel();
    this.phaseTimer?.cancel();
    this.onExit?.(this);
  }
}
