// Creating and reaping simulated processes (kernel/fork.c + mm/mempolicy.c + exit_mmap): a
// spawn builds an mm, places the workload's buffer by its memory policy (populated up front,
// like MAP_POPULATE), allocates page tables on the CPU's node and accounts the anon and
// page-table counters. It is all-or-nothing: ENOMEM leaves memory and counters as they were.
import createDebug from 'debug';
import { EAGAIN, ENOMEM, ESRCH } from '../../kernfs/index.js';
import { PAGE_SIZE } from '../config/machine.js';
import type { Kernel } from '../kernel.js';
import { Mm, pageTablePages, type Vma } from '../mm/mm.js';
import type { Allocation } from '../mm/page_alloc.js';
import { anonLru } from '../mm/frames.js';
import { MAX_NR_ZONES, zoneIdxOfBlock } from '../mm/mmzone.js';
import { HotsetPattern, IdlePattern, UniformPattern, ZipfPattern, type AccessPattern } from '../workload/pattern.js';
import { policyString, type WorkloadSpec } from '../workload/spec.js';
import { Process } from './process.js';
import { releaseSwapIns } from '../mm/swap_in.js';

const trace = createDebug('tiersim:sched');
/** First pid handed out: init and the boot-time kernel threads sit below. */
export const FIRST_PID = 1000;
/**
 * Finished processes kept listed with their result (state, run time, progress, workload).
 * A script reads a result soon after the process ends; older ones are reaped, as a parent's
 * wait() reaps a zombie, so spawn/kill loops hold bounded memory (a few KiB per entry).
 */
export const MAX_FINISHED = 1024;
/** PID_MAX_DEFAULT and PIDS_PER_CPU_DEFAULT (include/linux/threads.h). */
const PID_MAX_DEFAULT = 0x8000;
const PIDS_PER_CPU_DEFAULT = 1024;

function patternOf(spec: WorkloadSpec, nrPages: number): AccessPattern {
  switch (spec.kind) {
    case 'abench': return new UniformPattern(nrPages, 'random');
    case 'memhog': return new UniformPattern(nrPages, 'sweep');
    case 'hotset': return new HotsetPattern(nrPages, spec.hotFraction, spec.hotShare);
    case 'zipf': return new ZipfPattern(nrPages, spec.skew);
    case 'idle': return new IdlePattern(nrPages);
  }
}

/**
 * Called when a process's mm is set up and before it is torn down: the fork/exec hooks of
 * khugepaged, ksm and kmmscand (kmmscand_fork/_execve) and __mmput's matching *_exit calls.
 */
export interface MmHooks {
  enter(p: Process): void;
  exit(p: Process): void;
}

export class Tasks {
  readonly mmHooks: MmHooks[] = [];
  private readonly procs = new Map<number, Process>();
  private nextPid = FIRST_PID;
  private nextMmId = 1;
  private readonly byMm = new Map<number, Process>();
  /** Pids of finished processes still listed, oldest first. */
  private readonly finished: number[] = [];
  private readonly nodeSlots: number;

  /** pid_max as pid_idr_init() sets it: max(PID_MAX_DEFAULT, PIDS_PER_CPU_DEFAULT × CPUs). */
  readonly pidMax: number;

  constructor(private readonly k: Kernel) {
    this.nodeSlots = Math.max(...k.config.nodes.map((n) => n.id)) + 1;
    const cpus = k.config.nodes.reduce((n, node) => n + node.cpus.length, 0);
    this.pidMax = Math.max(PID_MAX_DEFAULT, PIDS_PER_CPU_DEFAULT * cpus);
  }

  /**
   * A pid, from the same space as processes (kdamond uses it too): alloc_pid() hands them out
   * cyclically below pid_max, skipping pids in use (listed finished processes hold theirs, as
   * zombies do). This bounds live processes, and their memory, by pid_max.
   * @throws EAGAIN when every pid is in use (alloc_pid()'s -ENOSPC becomes -EAGAIN)
   */
  allocPid(): number {
    for (let tries = FIRST_PID; tries < this.pidMax; tries++) {
      const pid = this.nextPid;
      this.nextPid = pid + 1 >= this.pidMax ? FIRST_PID : pid + 1;
      if (!this.procs.has(pid)) return pid;
    }
    throw EAGAIN;
  }

  get(pid: number): Process | undefined {
    return this.procs.get(pid);
  }

  /** Live processes and the last MAX_FINISHED finished ones, by pid. */
  list(): Process[] {
    return [...this.procs.values()];
  }

  /** The live process whose mm has id `id` (the reverse map's owner field). */
  processOfMm(id: number): Process | undefined {
    return this.byMm.get(id);
  }

  /** The node whose CPUs run the threads: asked for, else the policy's node if it has CPUs, else the nearest CPU node. */
  cpuNodeFor(spec: WorkloadSpec): number {
    if (spec.cpuNode !== undefined && this.k.numa.hasCpu(spec.cpuNode)) return spec.cpuNode;
    const p = spec.policy;
    return this.nearestCpuNode(spec.cpuNode ?? (p.mode === 'preferred' || p.mode === 'bind' ? p.node : p.mode === 'interleave' ? p.nodes[0]! : undefined));
  }

  /** The node with an online CPU nearest to `want` (the lowest such node without a wish). */
  private nearestCpuNode(want: number | undefined): number {
    const cpuNodes = this.k.numa.online.filter((n) => this.k.numa.hasCpu(n)); // offline CPUs run nothing
    if (want === undefined) return cpuNodes[0]!;
    return [...cpuNodes].sort((a, b) => this.k.numa.distance(want, a) - this.k.numa.distance(want, b) || a - b)[0]!;
  }

  /**
   * `cpu` went offline: live processes with threads there run them on their node's online CPUs,
   * or, when it has none left, on the nearest node that has (migrate_tasks, select_fallback_rq).
   * @returns how many processes moved
   */
  migrateFromCpu(cpu: number): number {
    let moved = 0;
    for (const p of this.procs.values()) {
      if (!p.alive || !p.mm.cpus.includes(cpu)) continue;
      if (!this.k.numa.hasCpu(p.cpuNode)) p.cpuNode = this.nearestCpuNode(p.cpuNode);
      const cpus = this.k.numa.cpusOf(p.cpuNode);
      p.mm.cpus = cpus.slice(0, Math.max(1, Math.min(p.spec.threads, cpus.length)));
      p.reschedule(); // fewer CPUs or a farther node: a new rate
      moved++;
    }
    return moved;
  }

  /**
   * Start a workload.
   * @throws ENOMEM when its memory (buffer by policy, page tables on the CPU's node) cannot be had
   * @throws EAGAIN when every pid below pid_max is in use
   */
  spawn(spec: WorkloadSpec): Process {
    const k = this.k;
    const nrPages = spec.sizeBytes / PAGE_SIZE;
    // __vm_enough_memory() (mm/util.c), OVERCOMMIT_GUESS: more than all RAM plus all swap is
    // ENOMEM at mmap time, before a page table or access pattern is built for it.
    const allPages = k.config.nodes.reduce((n, node) => n + k.alloc.managedPages(node.id), 0) + k.swap.totalPages;
    if (nrPages > allPages) {
      k.log.printk(`tiersim: spawn ${spec.kind}: out of memory: ${nrPages} pages is more than all memory (${allPages} pages)`); // RAM and swap
      throw ENOMEM;
    }
    let pid: number;
    try {
      pid = this.allocPid();
    } catch (err) {
      k.log.printk(`tiersim: spawn ${spec.kind}: every pid below pid_max (${this.pidMax}) is in use`);
      throw err;
    }
    const cpuNode = this.cpuNodeFor(spec);
    const nodeCpus = k.numa.cpusOf(cpuNode);
    const mm = new Mm(this.nextMmId, k.alloc.frames, nodeCpus.slice(0, Math.max(1, Math.min(spec.threads, nodeCpus.length))), this.nodeSlots);
    const vma = mm.mmap(nrPages, patternOf(spec, nrPages), spec.policy);

    const taken: Allocation[] = [];
    try {
      const p = spec.policy;
      if (p.mode === 'interleave') {
        for (let j = 0; j < p.nodes.length; j++) {
          const count = Math.floor(nrPages / p.nodes.length) + (j < nrPages % p.nodes.length ? 1 : 0);
          if (count > 0) taken.push(k.alloc.alloc(p.nodes[j]!, count, { movable: true, cpuNid: cpuNode }));
        }
      } else if (nrPages > 0) {
        const nid = p.mode === 'local' ? cpuNode : p.node;
        taken.push(k.alloc.alloc(nid, nrPages, { movable: true, thisNode: p.mode === 'bind', cpuNid: cpuNode }));
      }
      mm.pageTables = k.alloc.alloc(cpuNode, pageTablePages(nrPages), { movable: false, cpuNid: cpuNode });
    } catch (err) {
      // Undo, not free: the abandoned allocations leave no pgalloc/pgfree/NUMA events behind
      // (reclaim they caused stays done, as in the kernel).
      for (const a of taken) k.alloc.undo(a);
      if (mm.pageTables) k.alloc.undo(mm.pageTables);
      if (err === ENOMEM) k.log.printk(`tiersim: spawn ${spec.kind}: out of memory for ${nrPages} pages (policy ${policyString(spec.policy)}) and ${pageTablePages(nrPages)} page-table pages on node ${cpuNode}`);
      throw err;
    }

    this.populate(mm, vma, taken, spec);
    this.accountPageTables(mm.pageTables, +1);
    this.nextMmId++;
    const proc = new Process(pid, spec, mm, vma, cpuNode, k.clock, k.config, k.numa);
    // Direct reclaim while populating ran in the new task (MAP_POPULATE): its start is delayed.
    let reclaimNs = mm.pageTables.stallNs;
    for (const a of taken) reclaimNs += a.stallNs;
    if (reclaimNs > 0) proc.stall(reclaimNs, proc.runningThreads);
    this.byMm.set(mm.id, proc);
    proc.onExit = (pr) => this.exitMm(pr);
    this.procs.set(proc.pid, proc);
    for (const h of this.mmHooks) h.enter(proc);
    trace('spawn pid %d %s: %d pages, cpus %s', proc.pid, spec.kind, nrPages, mm.cpus.join(','));
    return proc;
  }

  /**
   * Send SIGKILL.
   * @throws ESRCH when no live process has that pid (kill(2)'s rule)
   */
  kill(pid: number): void {
    const p = this.procs.get(pid);
    if (!p || !p.alive) throw ESRCH;
    p.kill();
  }

  /** Map the buffer: interleave puts page i on nodes[i mod n], as the interleave index does. */
  private populate(mm: Mm, vma: Vma, taken: Allocation[], spec: WorkloadSpec): void {
    const k = this.k;
    const interleave = spec.policy.mode === 'interleave' ? spec.policy.nodes : undefined;
    const cursors = taken.map(() => 0);
    for (let i = 0; i < vma.nrPages; i++) {
      const src = interleave ? i % taken.length : 0;
      const a = taken[src]!;
      mm.map(vma, i, a.pfns[cursors[src]!++]!);
    }
    for (let j = 0; j < taken.length; j++) {
      for (const part of taken[j]!.parts) {
        k.vm.modNode(part.block.nid, 'nr_anon_pages', part.pages);
        k.vm.modLru(part.block.nid, zoneIdxOfBlock(part.block), 'nr_inactive_anon', part.pages);
        if (interleave && part.block.nid === interleave[j]) k.vm.modZone(part.block.nid, zoneIdxOfBlock(part.block), 'numa_interleave', part.pages);
      }
    }
  }

  private accountPageTables(a: Allocation | undefined, sign: 1 | -1): void {
    if (!a) return;
    for (const part of a.parts) this.k.vm.modNode(part.block.nid, 'nr_page_table_pages', sign * part.pages);
  }

  /** exit_mmap: unmap every page, give frames and page tables back. */
  private exitMm(p: Process): void {
    const k = this.k;
    const mm = p.mm;
    for (const h of this.mmHooks) h.exit(p);
    for (const vma of mm.vmas) {
      const pfns = new Int32Array(vma.nrPages);
      let n = 0;
      for (let i = 0; i < vma.nrPages; i++) {
        const pfn = mm.unmap(vma, i);
        if (pfn >= 0) pfns[n++] = pfn;
      }
      uncharge(k, pfns.subarray(0, n));
      k.alloc.freeUserFrames(pfns.subarray(0, n));
    }
    k.swap.releaseMm(mm.id); // its swap entries are freed with the page tables
    releaseSwapIns(k, p);
    this.accountPageTables(mm.pageTables, -1);
    if (mm.pageTables) k.alloc.free(mm.pageTables);
    mm.pageTables = undefined;
    mm.release();
    this.byMm.delete(mm.id);
    this.finished.push(p.pid);
    while (this.finished.length > MAX_FINISHED) {
      const old = this.finished.shift()!;
      this.procs.delete(old);
      trace('reap pid %d', old);
    }
    k.log.printk(`tiersim: pid ${p.pid} (${p.comm}) ${p.state === 'done' ? 'exited' : 'killed'} after ${(p.runtimeNs / 1e9).toFixed(6)} s`);
    trace('exit pid %d (%s) runtime %d ns', p.pid, p.state, p.runtimeNs);
  }
}

/** Take user pages off the node anon counters (by their LRU list) before they are freed. */
export function uncharge(k: Kernel, pfns: Int32Array | readonly number[]): void {
  const frames = k.alloc.frames;
  const byKey = new Map<number, number>(); // (nid * MAX_NR_ZONES + zone) * 2 + (active ? 1 : 0) → pages
  for (const pfn of pfns) {
    const b = frames.blockOf(pfn)!;
    const key = ((b.nid * MAX_NR_ZONES + zoneIdxOfBlock(b)) * 2) + (anonLru(frames.flagsOf(pfn)) === 'nr_active_anon' ? 1 : 0);
    byKey.set(key, (byKey.get(key) ?? 0) + 1);
  }
  for (const [key, pages] of byKey) {
    const nidZone = Math.floor(key / 2);
    const nid = Math.floor(nidZone / MAX_NR_ZONES);
    k.vm.modNode(nid, 'nr_anon_pages', -pages);
    k.vm.modLru(nid, nidZone % MAX_NR_ZONES, key % 2 ? 'nr_active_anon' : 'nr_inactive_anon', -pages);
  }
}
