// NUMA balancing's scheduler side (kernel/sched/fair.c, CONFIG_NUMA_BALANCING): per-task fault
// statistics and their decay (task_numa_fault, task_numa_placement), the scan-period window
// math and its adaptation (task_scan_min/max/start, update_task_scan_period), the migrate
// decision (should_numa_migrate_memory: the two-stage cpupid filter, and in memory-tiering
// mode the hot threshold, its auto-adjustment, the promotion rate limit and the free-space
// shortcut, per destination node as pgdat->nbp_* keep them).
//
// Modelled with simplifications (docs/DESIGN.md §10): the threads of a process are one task
// (their faults are one set of statistics; a fault is private when the faulting CPU — each
// thread has its own — is the one that faulted last, so the process is its own numa_group);
// the preferred node is the argmax of the decaying memory faults; task migration
// (numa_migrate_preferred, task_numa_migrate) is not modelled: threads stay on their CPUs.
import createDebug from 'debug';
import { PAGE_SIZE, costNs } from '../config/machine.js';
import type { Kernel } from '../kernel.js';
import type { Process } from './process.js';
import {
  NUMA_BALANCING_MEMORY_TIERING, NUMA_BALANCING_NORMAL, TNF_FAULT_LOCAL, TNF_MIGRATED, TNF_MIGRATE_FAIL, TNF_NO_GROUP,
} from './numa_balancing.js';
import { CPUPID_ACCESS_TIME, CPUPID_UNSET, releaseVmaNumaState, type HintFaultQueue, type VmaNumaState } from '../mm/numa_hint_fault.js';
import { pgdatFreeSpaceEnough } from '../mm/numa_promotion_room.js';
import { memoryTiers } from '../mm/memory_tiers.js';
import type { CounterCell } from '../mm/vmstat_counters.js';

const trace = createDebug('tiersim:numa_balancing');

/** Scan-period adaptation: the period is cut in 10 slots; aim for 70 % local/private. */
const NUMA_PERIOD_SLOTS = 10;
const NUMA_PERIOD_THRESHOLD = 7;
/** MAX_SCAN_WINDOW: at most 2560 MB scanned per second (task_scan_min's floor). */
const MAX_SCAN_WINDOW = 2560;
/** A node is active for a numa_group while its CPU faults exceed 1/3 of the busiest node's. */
const ACTIVE_NODE_FRACTION = 3;
/** numa_promotion_adjust_threshold: the threshold moves in 1/16ths of 2 × the default. */
const NUMA_MIGRATION_ADJUST_STEPS = 16;
/** PAGE_ACCESS_TIME_MASK on 64-bit (LAST_CPUPID_SHIFT = 21 bits of ms): latencies wrap. */
const PAGE_ACCESS_TIME_MASK = (1 << 21) - 1;
/** Fault-statistics kinds (enum numa_faults_stats). */
const NUMA_MEM = 0;
const NUMA_CPU = 1;
const NUMA_MEMBUF = 2;
const NUMA_CPUBUF = 3;

/** Per destination node memory-tiering promotion state (pglist_data nbp_* fields). */
export class PgdatTiering {
  /** nbp_threshold: current hot threshold in ms, 0 = the default. */
  threshold = 0;
  thStartMs = 0;
  thNrCand = 0;
  rlStartMs = 0;
  rlNrCand = 0;
}

/** One simulated process's NUMA balancing state: its mm's scan state and its task's statistics. */
export class NumaTask {
  // mm_struct
  /** mm->numa_scan_seq: completed passes over the address space. */
  scanSeq = 0;
  /** mm->numa_scan_offset: address the next pass continues from. */
  scanOffset = 0;
  /** mm->numa_next_scan (ns). */
  nextScanNs: number;
  // task_struct
  /** p->numa_scan_seq: the pass the statistics were last folded at. */
  taskScanSeq = 0;
  /** p->numa_scan_period (ms): starts at scan_delay (init_numa_balancing). */
  scanPeriodMs: number;
  scanPeriodMaxMs = 0;
  /** p->node_stamp: runtime at which the last scan was queued (0 = never). */
  nodeStampNs = 0;
  preferredNid = -1;
  /** numa_faults[stat][node][priv] flattened. */
  readonly faults: Float64Array;
  /** numa_faults_locality: remote, local, failed migrations since the last placement. */
  readonly locality = [0, 0, 0];
  totalFaults = 0;
  /** The process's threads share memory, so their first shared fault makes a numa_group. */
  hasGroup = false;
  maxFaultsCpu = 0;
  activeNodes = 1;
  // Counters for sim/processes/<pid>/numa_balancing.
  pagesMigrated = 0;
  pteUpdates = 0;
  scans = 0;
  hintFaults = 0;
  hintFaultsLocal = 0;
  taskWorkNs = 0;
  hintFaultNs = 0;
  samples = 0;
  samplesUsed = 0;
  sampleNs = 0;
  /** The pending PROT_NONE pages (task_numa_work.ts creates it). */
  faultQueue: HintFaultQueue | undefined;

  constructor(
    readonly nb: NumaBalancer,
    readonly proc: Process,
  ) {
    const k = nb.k;
    this.scanPeriodMs = k.numaBalancing.scanDelayMs;
    this.nextScanNs = proc.startNs + k.numaBalancing.scanDelayMs * 1e6;
    this.faults = new Float64Array(4 * nb.nodeSlots * 2);
  }

  private idx(stat: number, nid: number, priv: number): number {
    return (stat * this.nb.nodeSlots + nid) * 2 + priv;
  }

  /** Faults on memory of `nid` (task_faults / group_faults: one task per group here). */
  memFaults(nid: number): number {
    return this.faults[this.idx(NUMA_MEM, nid, 0)]! + this.faults[this.idx(NUMA_MEM, nid, 1)]!;
  }

  /** Faults from CPUs of `nid` (group_faults_cpu). */
  cpuFaults(nid: number): number {
    return this.faults[this.idx(NUMA_CPU, nid, 0)]! + this.faults[this.idx(NUMA_CPU, nid, 1)]!;
  }

  /** task_nr_scan_windows: the RSS in scan_size_mb pieces, at least one. */
  private scanWindows(): number {
    const scanPages = Math.max(1, this.nb.k.numaBalancing.scanSizeMb) * (1024 * 1024 / PAGE_SIZE);
    const rss = this.proc.mm.totalPages || scanPages;
    return Math.ceil(rss / scanPages);
  }

  /** task_scan_min: scan_period_min over the windows, never faster than MAX_SCAN_WINDOW MB/s. */
  scanMinMs(): number {
    const size = Math.max(1, this.nb.k.numaBalancing.scanSizeMb);
    const windows = size < MAX_SCAN_WINDOW ? Math.floor(MAX_SCAN_WINDOW / size) : 1;
    const floor = Math.floor(1000 / windows);
    return Math.max(floor, Math.floor(this.nb.k.numaBalancing.scanPeriodMinMs / this.scanWindows()));
  }

  /** task_scan_max: scan_period_max over the windows, scaled up by sharing in a numa_group. */
  scanMaxMs(): number {
    const smin = this.scanMinMs();
    let smax = Math.floor(this.nb.k.numaBalancing.scanPeriodMaxMs / this.scanWindows());
    if (this.hasGroup) {
      let shared = 0;
      let priv = 0;
      for (let nid = 0; nid < this.nb.nodeSlots; nid++) {
        shared += this.faults[this.idx(NUMA_MEM, nid, 0)]!;
        priv += this.faults[this.idx(NUMA_MEM, nid, 1)]!;
      }
      // period *= refcount (one per thread) * (shared + 1) / (private + shared + 1)
      smax = Math.floor((smax * this.proc.runningThreads * (shared + 1)) / (priv + shared + 1));
    }
    return Math.max(smin, smax);
  }

  /** numa_is_active_node: CPU faults above a third of the busiest node's. */
  private isActiveNode(nid: number): boolean {
    return this.cpuFaults(nid) * ACTIVE_NODE_FRACTION > this.maxFaultsCpu;
  }

  /**
   * task_numa_fault(): account `pages` faulted on `memNode` by the thread on `cpu`.
   * @param lastCpupid the folio's previous accessor (CPUPID_UNSET for a first fault)
   */
  numaFault(lastCpupid: number, memNode: number, pages: number, flags: number, cpu: number): void {
    if (this.nb.k.numaBalancing.mode === 0) return; // !static_branch_likely(&sched_numa_balancing)
    const cpuNode = this.proc.cpuNode;
    let local = flags & TNF_FAULT_LOCAL ? 1 : 0;
    let priv: number;
    if (lastCpupid === CPUPID_UNSET) {
      priv = 1; // first accesses are treated as private
    } else {
      priv = lastCpupid === cpu ? 1 : 0;
      // task_numa_group(): the previous accessor is a thread of the same mm: always join.
      if (!priv && !(flags & TNF_NO_GROUP) && lastCpupid !== CPUPID_ACCESS_TIME) this.hasGroup = true;
    }
    if (!priv && !local && this.hasGroup && this.activeNodes > 1 && this.isActiveNode(cpuNode) && this.isActiveNode(memNode)) local = 1;
    this.placement();
    if (flags & TNF_MIGRATED) this.pagesMigrated += pages;
    if (flags & TNF_MIGRATE_FAIL) this.locality[2]! += pages;
    this.faults[this.idx(NUMA_MEMBUF, memNode, priv)]! += pages;
    this.faults[this.idx(NUMA_CPUBUF, cpuNode, priv)]! += pages;
    this.locality[local]! += pages;
  }

  /** task_numa_placement(): once per scan pass, decay the statistics into the windowed ones. */
  private placement(): void {
    if (this.taskScanSeq === this.scanSeq) return;
    this.taskScanSeq = this.scanSeq;
    this.scanPeriodMaxMs = this.scanMaxMs();
    const totalLoc = this.locality[0]! + this.locality[1]!;
    const faultTypes = [0, 0];
    let maxFaults = 0;
    let maxNid = -1;
    let maxCpu = 0;
    let active = 0;
    for (let nid = 0; nid < this.nb.nodeSlots; nid++) {
      let faults = 0;
      for (let priv = 0; priv < 2; priv++) {
        const mem = this.idx(NUMA_MEM, nid, priv);
        const membuf = this.idx(NUMA_MEMBUF, nid, priv);
        const cpuI = this.idx(NUMA_CPU, nid, priv);
        const cpubuf = this.idx(NUMA_CPUBUF, nid, priv);
        // Decay the existing window, add the faults since the last scan.
        const diff = this.faults[membuf]! - Math.floor(this.faults[mem]! / 2);
        faultTypes[priv]! += this.faults[membuf]!;
        this.faults[membuf] = 0;
        // CPU faults normalised by runtime share (a running task: all of the period).
        const fWeight = Math.floor((65536 * this.faults[cpubuf]!) / (totalLoc + 1));
        const fDiff = fWeight - Math.floor(this.faults[cpuI]! / 2);
        this.faults[cpubuf] = 0;
        this.faults[mem]! += diff;
        this.faults[cpuI]! += fDiff;
        faults += this.faults[mem]!;
        this.totalFaults += diff;
      }
      if (faults > maxFaults) {
        maxFaults = faults;
        maxNid = nid;
      }
      maxCpu = Math.max(maxCpu, this.cpuFaults(nid));
    }
    this.maxFaultsCpu = maxCpu;
    for (let nid = 0; nid < this.nb.nodeSlots; nid++) if (this.isActiveNode(nid)) active++;
    this.activeNodes = Math.max(1, active);
    this.updateScanPeriod(faultTypes[0]!, faultTypes[1]!);
    if (maxFaults > 0 && maxNid !== this.preferredNid) {
      trace('pid %d: preferred node %d -> %d', this.proc.pid, this.preferredNid, maxNid);
      this.preferredNid = maxNid;
    }
  }

  /** update_task_scan_period(): slower when local or private, faster when remote and shared. */
  private updateScanPeriod(shared: number, priv: number): void {
    const remote = this.locality[0]!;
    const local = this.locality[1]!;
    if (local + shared === 0 || this.locality[2]! > 0) {
      // No faults of interest, or failed migrations: scan slower.
      this.scanPeriodMs = Math.min(this.scanPeriodMaxMs, this.scanPeriodMs * 2);
      this.nextScanNs = this.nb.k.clock.nowNs + this.scanPeriodMs * 1e6;
      this.locality.fill(0);
      return;
    }
    const slot = Math.ceil(this.scanPeriodMs / NUMA_PERIOD_SLOTS);
    const lr = Math.floor((local * NUMA_PERIOD_SLOTS) / (local + remote || 1));
    const ps = Math.floor((priv * NUMA_PERIOD_SLOTS) / (priv + shared || 1));
    let diff: number;
    if (ps >= NUMA_PERIOD_THRESHOLD) diff = Math.max(1, ps - NUMA_PERIOD_THRESHOLD) * slot;
    else if (lr >= NUMA_PERIOD_THRESHOLD) diff = Math.max(1, lr - NUMA_PERIOD_THRESHOLD) * slot;
    else diff = -(NUMA_PERIOD_THRESHOLD - Math.max(lr, ps)) * slot;
    this.scanPeriodMs = Math.min(Math.max(this.scanPeriodMs + diff, this.scanMinMs()), this.scanMaxMs());
    this.locality.fill(0);
  }

  /**
   * should_numa_migrate_memory(): may the page at `index` move from `srcNid` to the node of
   * `dstCpu`? Tiering mode's slow-tier pages go by hint-fault latency, rate limit and free
   * space; other pages through the two-stage cpupid filter.
   */
  shouldMigrate(st: VmaNumaState, index: number, srcNid: number, dstCpu: number, dstNid: number, nowMs: number): boolean {
    const nb = this.nb;
    const k = nb.k;
    if (!nb.hasMemory(dstNid)) return false; // cannot migrate to memoryless nodes
    const mode = k.numaBalancing.mode;
    if (nb.useAccessTime(srcNid)) return nb.promotionAllowed(st, index, dstNid, nowMs);
    const last = st.lastCpu[index]!;
    st.lastCpu[index] = dstCpu; // folio_xchg_last_cpupid(folio, this_cpupid)
    // Slow-tier pages outside tiering mode need a valid previous accessor (two faults).
    if (!(mode & NUMA_BALANCING_MEMORY_TIERING) && !nb.isTopTier(srcNid) && last < 0) return false;
    const unset = last === CPUPID_UNSET;
    const match = last === dstCpu;
    // Early in the task's life a first or private fault migrates at once.
    if ((this.preferredNid === -1 || this.taskScanSeq <= 4) && (unset || match)) return true;
    // Two-stage filter: the previous fault must have come from the destination node too (an
    // access time left in the bits by tiering mode names no such node).
    if (!unset && (last < 0 || nb.cpuNode(last) !== dstNid)) return false;
    if (match) return true; // private fault
    if (!this.hasGroup) return true; // shared, no numa_group yet
    if (this.cpuFaults(dstNid) > this.cpuFaults(srcNid) * ACTIVE_NODE_FRACTION) return true;
    // 3/4 hysteresis between CPU use and memory use of the two nodes.
    return this.cpuFaults(dstNid) * this.memFaults(srcNid) * 3 > this.cpuFaults(srcNid) * this.memFaults(dstNid) * 4;
  }
}

/**
 * NUMA balancing for the whole kernel: the per-process state, the per-node promotion state and
 * the top-tier map, created at boot and attached to every process at spawn.
 */
export class NumaBalancer {
  readonly tasks = new Map<number, NumaTask>();
  readonly pgdat = new Map<number, PgdatTiering>();
  readonly nodeSlots: number;
  private readonly topTier: Uint8Array;
  private readonly withMemory: Uint8Array;
  private readonly cpuToNode: Int16Array;

  /** Fractions of a µs not yet counted in the *_oh vm events. */
  private readonly ohCarry = { numa_task_work_oh: 0, numa_hf_migration_oh: 0 };
  /** vm event cells bumped on every fault. */
  readonly hintFaultsCell: CounterCell;
  readonly hintFaultsLocalCell: CounterCell;
  /** costs.hintFaultTrap in ns. */
  readonly hintFaultTrapNs: number;
  /** Hooks the mechanisms register: scanner start, SPE sampler start (per process). */
  readonly attachHooks: Array<(t: NumaTask) => void> = [];

  constructor(readonly k: Kernel) {
    this.nodeSlots = Math.max(...k.config.nodes.map((n) => n.id)) + 1;
    this.topTier = new Uint8Array(this.nodeSlots);
    this.withMemory = new Uint8Array(this.nodeSlots);
    this.cpuToNode = new Int16Array(k.numa.nrCpuIds);
    for (const n of k.config.nodes) {
      this.pgdat.set(n.id, new PgdatTiering());
      for (const c of n.cpus) this.cpuToNode[c] = n.id;
    }
    this.hintFaultsCell = k.vm.eventCell('numa_hint_faults');
    this.hintFaultsLocalCell = k.vm.eventCell('numa_hint_faults_local');
    this.hintFaultTrapNs = costNs(k.config, 'hintFaultTrap');
    this.refreshTiersNow();
    k.tasks.mmHooks.push({ enter: (p) => this.attach(p), exit: (p) => this.detach(p) });
    k.numaBalancing.onModeChange((mode, old) => {
      if (mode & NUMA_BALANCING_MEMORY_TIERING && !(old & NUMA_BALANCING_MEMORY_TIERING)) this.resetMemoryTiering();
    });
  }

  private attach(p: Process): void {
    const t = new NumaTask(this, p);
    this.tasks.set(p.pid, t);
    for (const hook of this.attachHooks) hook(t);
  }

  /** The process exited: its pending hint faults and per-page state go (the task stays readable). */
  private detach(p: Process): void {
    const t = this.tasks.get(p.pid);
    if (!t || t.proc !== p) return;
    t.faultQueue?.clear();
    releaseVmaNumaState(p.vma);
  }

  task(pid: number): NumaTask | undefined {
    return this.tasks.get(pid);
  }

  /** reset_memory_tiering(): tiering switched on, restart every node's threshold window. */
  private resetMemoryTiering(): void {
    const nowMs = Math.floor(this.k.clock.nowNs / 1e6);
    for (const [nid, pg] of this.pgdat) {
      pg.threshold = 0;
      pg.thNrCand = this.k.vm.node(nid, 'pgpromote_candidate');
      pg.thStartMs = nowMs;
    }
    trace('memory tiering on: promotion thresholds reset');
  }

  /**
   * Re-read which nodes have memory (N_MEMORY) and are top tier (node_is_toptier) before a
   * scan or a batch of faults: memory hotplug may have changed both.
   */
  refreshTiersNow(): void {
    const tiers = memoryTiers(this.k);
    const first = tiers.tiers().keys().next();
    for (let nid = 0; nid < this.nodeSlots; nid++) {
      this.topTier[nid] = !first.done && tiers.tierOf(nid) <= first.value ? 1 : 0;
      this.withMemory[nid] = this.k.numa.hasMemory(nid) ? 1 : 0;
    }
  }

  /** node_state(nid, N_MEMORY) as of the last refresh. */
  hasMemory(nid: number): boolean {
    return this.withMemory[nid] === 1;
  }

  /** cpu_to_node() */
  cpuNode(cpu: number): number {
    return this.cpuToNode[cpu]!;
  }

  isTopTier(nid: number): boolean {
    return this.topTier[nid] === 1;
  }

  /** folio_use_access_time(): tiering mode keeps an access time, not a cpupid, on slow-tier pages. */
  useAccessTime(nid: number): boolean {
    return (this.k.numaBalancing.mode & NUMA_BALANCING_MEMORY_TIERING) !== 0 && this.topTier[nid] !== 1;
  }

  get normalEnabled(): boolean {
    return (this.k.numaBalancing.mode & NUMA_BALANCING_NORMAL) !== 0;
  }

  /** Count `ns` of overhead in a *_oh vm event (whole µs, as jiffies_to_usecs gives them). */
  countOverhead(name: 'numa_task_work_oh' | 'numa_hf_migration_oh', ns: number): void {
    const us = this.ohCarry[name] + ns / 1000;
    const whole = Math.floor(us);
    this.ohCarry[name] = us - whole;
    if (whole > 0) this.k.vm.countEvent(name, whole);
  }

  /**
   * The tiering branch of should_numa_migrate_memory() for a slow-tier page faulting toward
   * `dstNid`: the free-space shortcut, the hot threshold (auto-adjusted toward the rate limit)
   * against the hint-fault latency, then the promotion rate limit.
   */
  promotionAllowed(st: VmaNumaState, index: number, dstNid: number, nowMs: number): boolean {
    const k = this.k;
    const pg = this.pgdat.get(dstNid);
    if (!pg) return false;
    if (pgdatFreeSpaceEnough(k, dstNid)) {
      pg.threshold = 0; // workload changed: reset the hot threshold
      k.vm.modNode(dstNid, 'pgpromote_candidate_nrl', 1);
      return true;
    }
    const defTh = k.numaBalancing.hotThresholdMs;
    const rateLimit = k.numaBalancing.promoteRateLimitMBps * ((1024 * 1024) / PAGE_SIZE);
    this.adjustThreshold(pg, dstNid, rateLimit, defTh, nowMs);
    const th = pg.threshold || defTh;
    // numa_hint_fault_latency(): exchange the folio's access time with now.
    const last = st.accessMs[index]!;
    st.accessMs[index] = nowMs & PAGE_ACCESS_TIME_MASK;
    const latency = ((nowMs & PAGE_ACCESS_TIME_MASK) - last) & PAGE_ACCESS_TIME_MASK;
    if (latency >= th) return false;
    return !this.rateLimited(pg, dstNid, rateLimit, 1, nowMs);
  }

  /** numa_promotion_rate_limit(): candidates of the current 1 s window against the limit. */
  private rateLimited(pg: PgdatTiering, nid: number, rateLimit: number, nr: number, nowMs: number): boolean {
    this.k.vm.modNode(nid, 'pgpromote_candidate', nr);
    const nrCand = this.k.vm.node(nid, 'pgpromote_candidate');
    if (nowMs - pg.rlStartMs > 1000) {
      pg.rlStartMs = nowMs;
      pg.rlNrCand = nrCand;
    }
    return nrCand - pg.rlNrCand >= rateLimit;
  }

  /**
   * numa_promotion_adjust_threshold(): every scan_period_max, move the threshold one step
   * (2 × default / 16) toward the candidate count the rate limit allows in that period.
   */
  private adjustThreshold(pg: PgdatTiering, nid: number, rateLimit: number, refTh: number, nowMs: number): void {
    const thPeriod = this.k.numaBalancing.scanPeriodMaxMs;
    if (nowMs - pg.thStartMs <= thPeriod) return;
    pg.thStartMs = nowMs;
    const refCand = Math.floor((rateLimit * thPeriod) / 1000);
    const nrCand = this.k.vm.node(nid, 'pgpromote_candidate');
    const diffCand = nrCand - pg.thNrCand;
    const unitTh = Math.floor((refTh * 2) / NUMA_MIGRATION_ADJUST_STEPS);
    let th = pg.threshold || refTh;
    if (diffCand > (refCand * 11) / 10) th = Math.max(th - unitTh, unitTh);
    else if (diffCand < (refCand * 9) / 10) th = Math.min(th + unitTh, refTh * 2);
    pg.thNrCand = nrCand;
    if (th !== pg.threshold) trace('node %d: hot threshold %d ms (%d candidates in %d ms)', nid, th, diffCand, thPeriod);
    pg.threshold = th;
  }
}
