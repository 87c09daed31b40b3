// Hardware access sampling: Arm SPE through openEuler's mem_sampling layer (mm/mem_sampling.c,
// drivers/arm/mm_monitor/mm_spe.c; spec/mechanisms.md §5.2), on presets whose CPUs have SPE.
//
// While kernel.mem_sampling_enable is 1, SPE takes one of every SPE_SAMPLE_PERIOD operations of
// each running task (the interval's low 8 bits randomised: jitter), keeping loads and stores
// slower than 120 cycles — in the workload model every access reaches memory, so one access in
// 1024. Each record {VA, PA, pid, latency} goes to its CPU's decoded-record buffer; a full
// buffer (100 records) raises the interrupt that hands every record to the registered
// consumers. With kernel.numa_balancing_mem_sampling=1 the NUMA-balancing consumer takes the
// records of the interrupted task and, on its return to user, treats each as a one-page hint
// fault (do_numa_access: the same misplaced/tiering decision and one-folio migration), and the
// PROT_NONE scanner stops. Costs: the record decode (costs.speSampleProcess) in the interrupted
// thread, and the fault-equivalent work (costs.hintFaultTrap plus any migration) in the task.
//
// Samples are generated per process every 10 ms of simulated time from its progress (the
// access count at which the next sample falls), never per access.
import createDebug from 'debug';
import { PAGE_SIZE, costNs } from '../config/machine.js';
import type { Kernel } from '../kernel.js';
import type { Prng } from '../lib/prng.js';
import type { NumaTask } from '../sched/fair_numa.js';
import { memoryLatencyNs, type Process } from '../sched/process.js';
import { HotsetPattern, UniformPattern } from '../workload/pattern.js';
import { NO_PFN, type Vma } from './mm.js';
import { chargeBatch, doNumaPage, newFaultBatch, pickCpu, policyMigratesOnFault, vmaNumaState, type FaultBatch } from './numa_hint_fault.js';

const trace = createDebug('tiersim:mem_sampling');

/** SPE_SAMPLE_PERIOD in mm_spe.h: operations between samples. */
export const SPE_SAMPLE_PERIOD = 1024;
/** PMSIRR_EL1.RND: the low 8 bits of each interval are random. */
const SPE_JITTER = 256;
/** The driver's latency filter (PMSLATFR_EL1): only operations slower than this are kept. */
export const SPE_MIN_LATENCY_CYCLES = 120;
/** Decoded records per CPU before the buffer interrupt hands them to the consumers. */
export const SPE_RECORDS_PER_CPU = 100;
/** How often each process's samples are generated from its progress. */
const SAMPLER_TICK_NS = 10e6;

/** struct mem_sampling_record, the fields a consumer uses. */
export interface MemSamplingRecord {
  readonly pid: number;
  readonly vaddr: number;
  readonly paddr: number;
  /** Total latency in cycles. */
  readonly latency: number;
  readonly cpu: number;
  readonly tNs: number;
}

interface Sampler {
  /** Progress (accesses done) at which the next sample falls. */
  nextD: number;
  armed: boolean;
}

export class MemSampling {
  private readonly buffers: MemSamplingRecord[][];
  private readonly samplers = new Map<number, Sampler>();
  private readonly rng: Prng;
  private readonly decodeNs: number;
  private readonly latency = new Map<number, number>();
  /** Records decoded and handed to consumers, all processes. */
  recordsProcessed = 0;
  private readonly evRecord: number;
  private readonly evAccess: number;
  private readonly evMigrating: number;

  constructor(private readonly k: Kernel) {
    this.buffers = Array.from({ length: k.numa.nrCpuIds }, () => []);
    this.rng = k.rng.fork();
    this.decodeNs = costNs(k.config, 'speSampleProcess');
    this.evRecord = k.trace.eventId('kmem', 'mm_spe_record');
    this.evAccess = k.trace.eventId('kmem', 'mm_mem_sampling_access_record');
    this.evMigrating = k.trace.eventId('kmem', 'mm_numa_migrating');
    k.numab.attachHooks.push((t) => this.attach(t));
    k.sysctls.onChange(() => this.switched());
  }

  private get enabled(): boolean {
    return this.k.sysctls.memSamplingEnable === 1;
  }

  private attach(t: NumaTask): void {
    this.samplers.set(t.proc.pid, { nextD: -1, armed: false });
    if (this.enabled) this.arm(t.proc);
  }

  /** mem_sampling_enable changed: start every live process's sampling, or drop the buffers. */
  private switched(): void {
    if (!this.enabled) {
      for (const b of this.buffers) b.length = 0;
      return;
    }
    for (const p of this.k.tasks.list()) if (p.alive) this.arm(p);
  }

  private arm(p: Process): void {
    const s = this.samplers.get(p.pid);
    if (!s || s.armed) return;
    s.armed = true;
    s.nextD = p.doneAt(this.k.clock.nowNs) + this.gap();
    this.k.clock.after(SAMPLER_TICK_NS, () => this.tick(p, s));
  }

  /** Operations to the next sample: the period with its low 8 bits random. */
  private gap(): number {
    return SPE_SAMPLE_PERIOD - SPE_JITTER / 2 + Math.floor(this.rng.nextFloat() * SPE_JITTER);
  }

  private tick(p: Process, s: Sampler): void {
    if (!p.alive || !this.enabled) {
      s.armed = false;
      return;
    }
    const d = p.doneAt(this.k.clock.nowNs);
    // Sampling runs only while the task runs (mem_sampling_sched_in): sleeping tasks make no samples.
    while (p.state === 'running' && s.nextD <= d) {
      this.sample(p, s.nextD);
      s.nextD += this.gap();
    }
    if (s.nextD <= d) s.nextD = d + this.gap();
    this.k.clock.after(SAMPLER_TICK_NS, () => this.tick(p, s));
  }

  /** The sampled operation at progress `d`: which page, on which CPU, how slow. */
  private sample(p: Process, d: number): void {
    const vma = p.vma;
    const tNs = Math.min(this.k.clock.nowNs, p.timeAtDone(d));
    const i = samplePage(vma, d, p.phaseAt(tNs), this.rng);
    if (i < 0) return;
    const pfn = vma.pt[i]!;
    if (pfn === NO_PFN) return;
    const nid = this.k.alloc.frames.blockOf(pfn)!.nid;
    const latency = this.latencyCycles(p.cpuNode, nid);
    if (latency < SPE_MIN_LATENCY_CYCLES) return; // discarded by the latency filter
    const cpu = pickCpu(p, this.rng);
    const t = this.k.numab.task(p.pid);
    if (t) t.samples++;
    const buf = this.buffers[cpu]!;
    buf.push({ pid: p.pid, vaddr: vma.start + i * PAGE_SIZE + ((d * 64) % PAGE_SIZE), paddr: pfn * PAGE_SIZE, latency, cpu, tNs });
    if (buf.length >= SPE_RECORDS_PER_CPU) this.drain(cpu, p, tNs);
  }

  private latencyCycles(cpuNid: number, memNid: number): number {
    const key = cpuNid * 4096 + memNid;
    let c = this.latency.get(key);
    if (c === undefined) {
      c = Math.round((memoryLatencyNs(this.k.config, this.k.numa, cpuNid, memNid) * this.k.config.cpuMHz) / 1000);
      this.latency.set(key, c);
    }
    return c;
  }

  /**
   * The buffer interrupt on `cpu`, which runs `current`: decode every record (mm_spe_record)
   * and pass it to the consumers (mem_sampling_process); the NUMA consumer keeps the current
   * task's records and handles them on its return to user (task_mem_sampling_access_work).
   */
  private drain(cpu: number, current: Process, tNs: number): void {
    const k = this.k;
    const records = this.buffers[cpu]!;
    this.buffers[cpu] = [];
    const batch = newFaultBatch();
    const task = k.numab.task(current.pid);
    const consumer = k.sysctls.numaBalancingMemSampling === 1 && task !== undefined;
    const irq = { comm: current.comm, pid: current.pid, cpu, tNs, irq: true };
    if (consumer) k.numab.refreshTiersNow();
    for (const r of records) {
      this.recordsProcessed++;
      batch.threadNs += this.decodeNs;
      k.trace.emit(this.evRecord, irq, r.vaddr, r.paddr, r.pid);
      if (!consumer) continue;
      // numa_balancing_mem_sampling_cb: user addresses of the interrupted task only.
      if (r.pid !== current.pid) continue;
      k.trace.emit(this.evAccess, irq, r.vaddr, r.paddr, r.cpu, r.pid);
      this.numaAccess(task, r, tNs, batch);
    }
    if (task) task.sampleNs += records.length * this.decodeNs;
    chargeBatch(k, current, batch);
    trace('cpu %d: %d records decoded (pid %d)', cpu, records.length, current.pid);
  }

  /** do_numa_access(): the sampled page as a one-page hint fault, without a trap. */
  private numaAccess(task: NumaTask, r: MemSamplingRecord, tNs: number, batch: FaultBatch): void {
    const k = this.k;
    const p = task.proc;
    const vpn = Math.floor(r.vaddr / PAGE_SIZE);
    const vma = p.mm.findVma(vpn);
    if (!vma || !policyMigratesOnFault(vma)) return;
    const i = vma.indexOf(vpn);
    const pfn = r.paddr / PAGE_SIZE;
    if (vma.pt[i] !== pfn) return; // pfn_to_online_page(PA) is no longer this page (not on the LRU)
    const pageNid = k.alloc.frames.blockOf(pfn)!.nid;
    task.samplesUsed++;
    const target = doNumaPage(k, task, vma, vmaNumaState(vma), i, r.cpu, tNs, batch, true);
    if (k.trace.wants(this.evMigrating)) {
      const migrated = vma.pt[i] !== pfn ? 1 : 0;
      k.trace.emit(this.evMigrating, { comm: p.comm, pid: p.pid, cpu: r.cpu, tNs }, r.vaddr, pageNid, target, migrated);
    }
  }
}

/**
 * The page access number `d` of the workload lands on: a draw from the pattern's weights
 * (inverse of the cumulative range weight, by bisection), or the sweep's position.
 */
export function samplePage(vma: Vma, d: number, phase: number, rng: Prng): number {
  const pattern = vma.pattern;
  if (pattern.order === 'none') return -1;
  if (pattern.order === 'sweep') return Math.floor(Math.max(0, Math.ceil(d) - 1) % vma.nrPages);
  const u = rng.nextFloat();
  const n = vma.nrPages;
  // Closed forms for the flat patterns; bisection on the cumulative weight otherwise.
  if (pattern instanceof UniformPattern) return Math.min(n - 1, Math.floor(u * n));
  if (pattern instanceof HotsetPattern && pattern.hotPages < n) {
    const hotW = pattern.rangeWeight(pattern.hotStart(phase), pattern.hotStart(phase) + 1, phase) * pattern.hotPages;
    if (u < hotW) return (pattern.hotStart(phase) + Math.min(pattern.hotPages - 1, Math.floor((u / hotW) * pattern.hotPages))) % n;
    const cold = n - pattern.hotPages;
    const j = Math.min(cold - 1, Math.floor(((u - hotW) / (1 - hotW)) * cold));
    return (pattern.hotStart(phase) + pattern.hotPages + j) % n;
  }
  let lo = 0;
  let hi = vma.nrPages - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (pattern.rangeWeight(0, mid + 1, phase) > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
