// Page migration (mm/migrate.c) with the two flows of spec/mechanisms.md §4:
// - unbatched (before 6.3): per page unmap, TLB flush, copy, remap;
// - batched (6.3+, migrate_pages_batch): up to NR_MAX_BATCHED_MIGRATION pages unmapped with
//   their TLB invalidations queued, one try_to_unmap_flush() for the batch, then the copies.
// Each step is charged from the preset's cost constants, so the batching gain emerges from
// the model; the nr_tlb_* counters move as x86's flush_tlb_mm_range / arch_tlbbatch_flush
// count them. A migration runs as a chain of clock events, one per batch, on the caller's CPU.
import createDebug from 'debug';
import { MAX_NUMNODES, PAGE_SIZE, costNs } from '../config/machine.js';
import type { Kernel } from '../kernel.js';
import type { Process } from '../sched/process.js';
import { anonLru, type FrameTable } from './frames.js';
import type { MemoryBlock } from './memblock.js';
import { memoryTiers } from './memory_tiers.js';
import { NO_PFN, type Mm, type Vma } from './mm.js';
import { zoneIdxOfBlock } from './mmzone.js';

const trace = createDebug('tiersim:migrate');

/** NR_MAX_BATCHED_MIGRATION = HPAGE_PMD_NR: base pages per batch. */
export const NR_MAX_BATCHED_MIGRATION = 512;

export type MigrateFlow = 'batched' | 'unbatched';

export interface MigrateStats {
  /** Pages moved (pgmigrate_success). */
  moved: number;
  /** Pages that failed (pgmigrate_fail): destination out of memory. */
  failed: number;
  /** Pages never tried because an earlier page of their node pair ran out of memory. */
  skipped: number;
  /** TLB shootdown rounds sent to other CPUs (nr_tlb_remote_flush). */
  remoteFlushes: number;
  /** Simulated ns the caller spent. */
  elapsedNs: number;
}

/** Pages of one VMA on one source node going to one destination, in address order. */
interface WorkRun {
  readonly vma: Vma;
  readonly dst: number;
  readonly indices: Int32Array;
}

/** A migrating thread's CPU as seen from one mm (Migrator.cpumaskOf). */
interface CallerMask {
  readonly cpu: number;
  readonly callerNode: number;
  readonly inMask: boolean;
  /** One IPI round to the mask's other CPUs. */
  readonly ipiNs: number;
  readonly localFlushNs: number;
}

/** A migration in flight; `done` resolves when the last batch has run. */
export interface MigrationJob {
  readonly stats: MigrateStats;
  readonly done: Promise<MigrateStats>;
  readonly finished: boolean;
}

/**
 * Node pairs of do_migrate_pages: the n-th node of `from` goes to the (n mod |to|)-th node of
 * `to` (nodes_remap), skipping nodes that map to themselves.
 */
export function remapNodes(from: readonly number[], to: readonly number[]): Array<[number, number]> {
  const pairs: Array<[number, number]> = [];
  const f = [...new Set(from)].sort((a, b) => a - b);
  const t = [...new Set(to)].sort((a, b) => a - b);
  if (t.length === 0) return pairs;
  f.forEach((s, n) => {
    const d = t[n % t.length]!;
    if (s !== d) pairs.push([s, d]);
  });
  return pairs;
}

export class Migrator {
  /** The kernel flavour: 'unbatched' models kernels before 6.3. */
  flow: MigrateFlow = 'batched';
  /** pageCostNs by src * MAX_NUMNODES + dst (the machine's media never change). */
  private readonly pageCosts = new Map<number, number>();
  private readonly masks = new WeakMap<Mm, CallerMask>();
  /** migrate_pages() on a pfn list for kernel threads (reclaim's demotion). */
  readonly folios: FolioMigrator;

  constructor(private readonly k: Kernel) {
    this.folios = new FolioMigrator(k, this);
  }

  /** Per-page cost without the TLB flush: isolate + allocate, rmap walk, copy, remap. */
  pageCostNs(srcNid: number, dstNid: number): number {
    const key = srcNid * MAX_NUMNODES + dstNid;
    let cost = this.pageCosts.get(key);
    if (cost === undefined) {
      cost = this.computePageCostNs(srcNid, dstNid);
      this.pageCosts.set(key, cost);
    }
    return cost;
  }

  private computePageCostNs(srcNid: number, dstNid: number): number {
    const { config } = this.k;
    const kind = (nid: number) => this.k.numa.node(nid)?.kind ?? 'dram';
    const copyMBps = Math.min(config.media[kind(srcNid)].copyBandwidthMBps, config.media[kind(dstNid)].copyBandwidthMBps);
    const copyNs = PAGE_SIZE / (copyMBps / 1000);
    return costNs(config, 'migrateIsolateAlloc') + costNs(config, 'rmapWalk') + copyNs + costNs(config, 'remap');
  }

  /**
   * One TLB shootdown round. x86: IPIs to the `remote` CPUs of the mm's cpumask other than the
   * caller's (nr_tlb_remote_flush once, _received per CPU); a local flush when the caller's
   * CPU is in the mask and (unbatched) the caller runs this mm.
   * @returns the caller's cost in ns
   */
  private flush(remote: number, local: 'all' | 'one' | 'none', stall: { ns: number } | undefined, stats: MigrateStats): number {
    const { config, vm } = this.k;
    let ns = 0;
    if (remote > 0) {
      // The round plus the wait for its completion (arm64: the DSB ISH after the TLBI).
      ns += costNs(config, 'tlbFlushIpiBase') + costNs(config, 'tlbFlushIpiPerCpu') * remote + costNs(config, 'tlbFlushSync');
      vm.countEvent('nr_tlb_remote_flush');
      vm.countEvent('nr_tlb_remote_flush_received', remote);
      stats.remoteFlushes++;
      // Each receiving CPU runs the process's threads: the interrupt and flush stall them.
      if (stall) stall.ns += costNs(config, 'tlbFlushLocal');
    }
    if (local !== 'none') {
      ns += costNs(config, 'tlbFlushLocal');
      vm.countEvent(local === 'all' ? 'nr_tlb_local_flush_all' : 'nr_tlb_local_flush_one');
    }
    return ns;
  }

  /**
   * A TLB shootdown issued by a thread of `proc` on one of the mm's CPUs (change_prot_numa's
   * flush_tlb_range): the caller's cost, and the thread time the other CPUs lose to it.
   */
  shootdownFromTask(proc: Process): { ns: number; remoteStallNs: number } {
    const remote = Math.max(0, proc.mm.cpus.length - 1);
    const stall = { ns: 0 };
    const stats: MigrateStats = { moved: 0, failed: 0, skipped: 0, remoteFlushes: 0, elapsedNs: 0 };
    const ns = this.flush(remote, 'all', stall, stats);
    return { ns, remoteStallNs: stall.ns * remote };
  }

  /**
   * One TLB shootdown round for pages of `procs` unmapped by a kernel thread on `callerCpu`
   * (try_to_unmap_flush / arch_tlbbatch_flush): IPIs to the union of their mm_cpumasks other than
   * the caller's, a local flush when the caller's CPU is in it. Each process's threads on the
   * receiving CPUs stall, and its speed follows its new placement.
   * @returns the caller's cost in ns
   */
  shootdown(procs: readonly Process[], callerCpu: number): number {
    const cpus = new Set<number>();
    for (const p of procs) for (const c of p.mm.cpus) cpus.add(c);
    const local = cpus.delete(callerCpu);
    const scratch: MigrateStats = { moved: 0, failed: 0, skipped: 0, remoteFlushes: 0, elapsedNs: 0 };
    const ns = this.flush(cpus.size, local ? 'all' : 'none', undefined, scratch);
    const stallNs = cpus.size > 0 ? costNs(this.k.config, 'tlbFlushLocal') : 0;
    for (const p of procs) {
      const hit = p.mm.cpus.filter((c) => c !== callerCpu).length;
      if (stallNs > 0 && hit > 0) p.stall(stallNs, hit);
      else p.reschedule();
    }
    return ns;
  }

  /**
   * migrate_pages(2) as numactl's `migratepages PID FROM TO` calls it: every page of the
   * process on a node of `from` moves to its remapped node in `to`, source node by source
   * node, in address order, batch by batch (the syscall's MIGRATE_SYNC first tries the whole
   * list in ASYNC batches, which is what succeeds when memory is available).
   */
  migratePages(proc: Process, from: readonly number[], to: readonly number[], callerCpu: number): MigrationJob {
    const runs: WorkRun[] = [];
    const frames = this.k.alloc.frames;
    for (const [src, dst] of remapNodes(from, to)) {
      for (const vma of proc.mm.vmas) {
        const picked = new Int32Array(vma.nodePages[src] ?? 0);
        let n = 0;
        for (let i = 0; i < vma.nrPages && n < picked.length; i++) {
          const pfn = vma.pt[i]!;
          if (pfn !== NO_PFN && frames.blockOf(pfn)!.nid === src) picked[n++] = i;
        }
        if (n > 0) runs.push({ vma, dst, indices: picked.subarray(0, n) });
      }
    }
    return this.run(proc, runs, callerCpu);
  }

  private run(proc: Process, runs: WorkRun[], callerCpu: number): MigrationJob {
    const stats: MigrateStats = { moved: 0, failed: 0, skipped: 0, remoteFlushes: 0, elapsedNs: 0 };
    const startNs = this.k.clock.nowNs;
    const callerNode = this.k.numa.cpuNode(callerCpu) ?? 0;
    const flow = this.flow;
    let run = 0;
    let at = 0;
    let finished = false;
    let resolve!: (s: MigrateStats) => void;
    const done = new Promise<MigrateStats>((r) => (resolve = r));
    const exhausted = new Set<number>();

    const step = () => {
      if (run < runs.length && !proc.alive) {
        for (let r = run; r < runs.length; r++) stats.skipped += runs[r]!.indices.length - (r === run ? at : 0);
        run = runs.length;
      }
      if (run >= runs.length) {
        stats.elapsedNs = this.k.clock.nowNs - startNs;
        finished = true;
        trace('pid %d: %d moved, %d failed, %d skipped, %d remote flushes, %d ns', proc.pid, stats.moved, stats.failed, stats.skipped, stats.remoteFlushes, stats.elapsedNs);
        resolve(stats);
        return;
      }
      // A batch never spans two runs: each (source, destination) pair is its own migrate_pages call.
      const cur = runs[run]!;
      const batch = cur.indices.subarray(at, at + NR_MAX_BATCHED_MIGRATION);
      at += batch.length;
      if (at >= cur.indices.length) {
        run++;
        at = 0;
      }
      const ns = this.migrateBatch(proc, cur.vma, batch, cur.dst, flow, callerCpu, callerNode, exhausted, stats);
      this.k.clock.after(Math.round(ns), step);
    };
    step();
    return {
      stats,
      done,
      get finished() {
        return finished;
      },
    };
  }

  /**
   * migrate_misplaced_folio() of one folio (mm/migrate.c): a one-folio list through
   * migrate_pages() in MIGRATE_ASYNC, allocating on exactly `dst` (alloc_misplaced_dst_folio:
   * __GFP_THISNODE, no reclaim), one TLB shootdown round for the mm (a batch of one in the 6.3+
   * flow, ptep_clear_flush before it), numa_pages_migrated on success and pgpromote_success when
   * NUMA balancing's tiering mode is on and the folio went up a tier. The caller's thread on
   * `callerCpu` pays the returned ns; page frees, LRU counters and the process's new speed are
   * left in `acc` for settle(). The caller has isolated and checked the folio.
   * @returns ns spent, or -1 when `dst` had no free page (pgmigrate_fail; -EAGAIN in the kernel)
   */
  migrateMisplacedFolio(proc: Process, vma: Vma, index: number, dst: number, callerCpu: number, acc: FolioMigrations): number {
    const { alloc, vm, config } = this.k;
    const frames = alloc.frames;
    const oldPfn = vma.pt[index]!;
    const mask = this.cpumaskOf(proc.mm, callerCpu);
    const newPfn = alloc.allocMigrationTarget(dst, mask.callerNode);
    if (newPfn < 0) {
      acc.failed++;
      vm.countEvent('pgmigrate_fail');
      return costNs(config, 'migrateIsolateAlloc');
    }
    const srcNid = frames.blockOf(oldPfn)!.nid;
    acc.anonMoves.add(frames, oldPfn, newPfn);
    moveFrame(frames, proc.mm, vma, index, oldPfn, newPfn);
    acc.freed.push(oldPfn);
    acc.moved++;
    acc.unsettled++;
    if (this.k.numaBalancing.tieringEnabled) {
      const tiers = memoryTiers(this.k);
      if (!tiers.isTopTier(srcNid) && tiers.isTopTier(dst)) vm.modNode(dst, 'pgpromote_success', 1);
    }
    // One shootdown round: flush()'s arithmetic, its events counted at settle().
    const remote = proc.mm.cpus.length - (mask.inMask ? 1 : 0);
    let ns = this.pageCostNs(srcNid, dst);
    let stallNs = 0;
    if (remote > 0) {
      ns += mask.ipiNs;
      acc.remoteFlushes++;
      acc.flushesReceived += remote;
      stallNs = mask.localFlushNs;
    }
    if (this.flow === 'batched' && mask.inMask) {
      ns += mask.localFlushNs;
      acc.localFlushes++;
    }
    const st = acc.stalls.get(proc);
    if (st) st[0] += stallNs;
    else acc.stalls.set(proc, [stallNs, remote]);
    return ns;
  }

  /**
   * The caller CPU's node, whether it is in the mm's cpumask, and the cost of one shootdown
   * round to the rest of the mask (cached per mm: the mask never changes).
   */
  private cpumaskOf(mm: Mm, callerCpu: number): CallerMask {
    let m = this.masks.get(mm);
    if (m?.cpu !== callerCpu) {
      const { config } = this.k;
      const inMask = mm.cpus.includes(callerCpu);
      const remote = mm.cpus.length - (inMask ? 1 : 0);
      m = {
        cpu: callerCpu,
        callerNode: this.k.numa.cpuNode(callerCpu) ?? 0,
        inMask,
        ipiNs: costNs(config, 'tlbFlushIpiBase') + costNs(config, 'tlbFlushIpiPerCpu') * remote + costNs(config, 'tlbFlushSync'),
        localFlushNs: costNs(config, 'tlbFlushLocal'),
      };
      this.masks.set(mm, m);
    }
    return m;
  }

  /** Apply what single-folio migrations left in `acc` (frees, LRU counters, process speed), then reset it. */
  settle(acc: FolioMigrations): void {
    const { alloc, vm } = this.k;
    if (acc.unsettled > 0) {
      vm.countEvent('pgmigrate_success', acc.unsettled);
      vm.countEvent('numa_pages_migrated', acc.unsettled);
    }
    if (acc.remoteFlushes > 0) {
      vm.countEvent('nr_tlb_remote_flush', acc.remoteFlushes);
      vm.countEvent('nr_tlb_remote_flush_received', acc.flushesReceived);
    }
    if (acc.localFlushes > 0) vm.countEvent('nr_tlb_local_flush_all', acc.localFlushes);
    acc.unsettled = acc.remoteFlushes = acc.flushesReceived = acc.localFlushes = 0;
    if (acc.freed.length > 0) alloc.freeUserFrames(acc.freed);
    acc.anonMoves.apply(vm, this.k.layout.blocks);
    for (const [proc, [ns, remote]] of acc.stalls) {
      if (ns > 0) proc.stall(ns, remote);
      else proc.reschedule();
    }
    acc.freed.length = 0;
    acc.stalls.clear();
  }

  /** Move one batch now; returns the caller's simulated time for it. */
  private migrateBatch(proc: Process, vma: Vma, batch: Int32Array, dst: number, flow: MigrateFlow, callerCpu: number, callerNode: number, exhausted: Set<number>, stats: MigrateStats): number {
    const { alloc, vm } = this.k;
    const frames = alloc.frames;
    const mm = proc.mm;
    // migratepages runs in another process: the caller never has this mm loaded, so the
    // unbatched per-page flush is remote only (flush_tlb_mm_range's loaded_mm test).
    const localOne = 'none';
    // The CPUs in the mm's cpumask other than the caller's receive every shootdown IPI.
    const remote = mm.cpus.filter((c) => c !== callerCpu).length;
    let ns = 0;
    let moved = 0;
    const stall = { ns: 0 };
    const freed: number[] = [];
    const anonMoves = new AnonMoves();
    for (const index of batch) {
      const oldPfn = vma.pt[index]!;
      if (oldPfn === NO_PFN || exhausted.has(dst)) {
        stats.skipped++;
        continue;
      }
      const newPfn = alloc.allocMigrationTarget(dst, callerNode);
      if (newPfn < 0) {
        // -ENOMEM: this page fails and the pair stops (migrate_pages_batch goes to the move phase).
        exhausted.add(dst);
        stats.failed++;
        vm.countEvent('pgmigrate_fail');
        continue;
      }
      const srcNid = frames.blockOf(oldPfn)!.nid;
      anonMoves.add(frames, oldPfn, newPfn);
      moveFrame(frames, mm, vma, index, oldPfn, newPfn);
      freed.push(oldPfn);
      moved++;
      ns += this.pageCostNs(srcNid, dst);
      if (flow === 'unbatched') ns += this.flush(remote, localOne, stall, stats);
    }
    if (flow === 'batched' && moved > 0) ns += this.flush(remote, mm.cpus.includes(callerCpu) ? 'all' : 'none', stall, stats);
    alloc.freeUserFrames(freed);
    anonMoves.apply(vm, this.k.layout.blocks);
    stats.moved += moved;
    vm.countEvent('pgmigrate_success', moved);
    // One rate change per batch: the new placement, and the IPIs' stall on the remote CPUs.
    if (stall.ns > 0) proc.stall(stall.ns, remote);
    else proc.reschedule();
    return ns;
  }
}

/** What migrateFolios did with a list of pages. */
export interface FolioMigration {
  /** Pages moved (their old frames are freed). */
  moved: number;
  /** Pages of the list that were not moved, in list order (the caller's putback list). */
  failed: number[];
  /** The caller's simulated ns. */
  ns: number;
}

export class FolioMigrator {
  constructor(
    private readonly k: Kernel,
    private readonly m: Migrator,
  ) {}

  /**
   * migrate_pages() on a list of folios found by pfn (reclaim's demote_folio_list:
   * MIGRATE_ASYNC, MR_DEMOTION). Each page's new frame comes from `allocTarget` (-1 = none); the
   * first page without one ends the list (-ENOMEM stops migrate_pages_batch), so it and every
   * later page are returned as failed. The pages go through the reverse map; the shootdowns are
   * one round for the list in the batched flow (one per page unbatched) to the owners' CPUs
   * other than `callerCpu`, and their cost is the caller's: a kernel thread's, not a process's.
   */
  migrateFolios(pfns: readonly number[], allocTarget: (pfn: number) => number, callerCpu: number): FolioMigration {
    const { alloc, vm, tasks } = this.k;
    const frames = alloc.frames;
    const out: FolioMigration = { moved: 0, failed: [], ns: 0 };
    const owners = new Set<Process>();
    const freed: number[] = [];
    const anonMoves = new AnonMoves();
    let exhausted = false;
    for (const pfn of pfns) {
      const proc = tasks.processOfMm(frames.ownerOf(pfn));
      const vpn = frames.vpnOf(pfn);
      const vma = proc?.mm.findVma(vpn);
      const newPfn = exhausted || !proc || !vma ? -1 : allocTarget(pfn);
      if (newPfn < 0 || !proc || !vma) {
        if (!exhausted && proc && vma) vm.countEvent('pgmigrate_fail');
        exhausted ||= Boolean(proc && vma);
        out.failed.push(pfn);
        continue;
      }
      const src = frames.blockOf(pfn)!;
      anonMoves.add(frames, pfn, newPfn);
      moveFrame(frames, proc.mm, vma, vma.indexOf(vpn), pfn, newPfn);
      freed.push(pfn);
      out.moved++;
      out.ns += this.m.pageCostNs(src.nid, frames.blockOf(newPfn)!.nid);
      if (this.m.flow === 'unbatched') out.ns += this.m.shootdown([proc], callerCpu);
      else owners.add(proc);
    }
    if (owners.size > 0) out.ns += this.m.shootdown([...owners], callerCpu);
    alloc.freeUserFrames(freed);
    anonMoves.apply(vm, this.k.layout.blocks);
    vm.countEvent('pgmigrate_success', out.moved);
    return out;
  }
}

/** The anon LRU counters follow `pages` from block `srcIndex` to block `dstIndex` (node and zone). */
export function accountAnonMove(vm: Kernel['vm'], blocks: readonly MemoryBlock[], srcIndex: number, dstIndex: number, pages: number, lru: ReturnType<typeof anonLru>): void {
  const src = blockByIndex(blocks, srcIndex);
  const dst = blockByIndex(blocks, dstIndex);
  vm.modNode(src.nid, 'nr_anon_pages', -pages);
  vm.modLru(src.nid, zoneIdxOfBlock(src), lru, -pages);
  vm.modNode(dst.nid, 'nr_anon_pages', pages);
  vm.modLru(dst.nid, zoneIdxOfBlock(dst), lru, pages);
}

/** The block numbered `index` (layout blocks are sorted by index). */
function blockByIndex(blocks: readonly MemoryBlock[], index: number): MemoryBlock {
  let lo = 0;
  let hi = blocks.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (blocks[mid]!.index < index) lo = mid + 1;
    else hi = mid;
  }
  return blocks[lo]!;
}

/** Block indices fit below 2^20 (128 TiB of 128 MiB blocks): a (src, dst, lru) key stays < 2^53. */
const LRU_KEY_BLOCKS = 1 << 20;

/**
 * Anon pages a run of migrations moved, tallied by (source block, destination block, LRU list)
 * so the node and zone counters move once per tally entry (accountAnonMove), not per page.
 */
export class AnonMoves {
  /** (src block index * LRU_KEY_BLOCKS + dst block index) * 2 + (active LRU ? 1 : 0) → pages. */
  private readonly tally = new Map<number, number>();

  /** Count `oldPfn` (its LRU flags still on it: call before moveFrame) going to `newPfn`. */
  add(frames: FrameTable, oldPfn: number, newPfn: number): void {
    const key = (frames.blockOf(oldPfn)!.index * LRU_KEY_BLOCKS + frames.blockOf(newPfn)!.index) * 2 + (anonLru(frames.flagsOf(oldPfn)) === 'nr_active_anon' ? 1 : 0);
    this.tally.set(key, (this.tally.get(key) ?? 0) + 1);
  }

  /** Move the counters for everything tallied, then start over. */
  apply(vm: Kernel['vm'], blocks: readonly MemoryBlock[]): void {
    for (const [key, n] of this.tally) {
      const pair = Math.floor(key / 2);
      accountAnonMove(vm, blocks, Math.floor(pair / LRU_KEY_BLOCKS), pair % LRU_KEY_BLOCKS, n, key % 2 ? 'nr_active_anon' : 'nr_inactive_anon');
    }
    this.tally.clear();
  }
}

/**
 * What a run of single-folio migrations by a kernel thread leaves to settle once per clock
 * event rather than once per folio: frames to free, anon LRU counters to move, and each
 * process's new speed with the stall its shootdown IPIs caused (Migrator.settle).
 */
export class FolioMigrations {
  moved = 0;
  failed = 0;
  /** TLB shootdown rounds sent to other CPUs (nr_tlb_remote_flush). */
  remoteFlushes = 0;
  /** Events counted at settle(): nr_tlb_remote_flush_received, nr_tlb_local_flush_all. */
  flushesReceived = 0;
  localFlushes = 0;
  /** Moves not yet counted in pgmigrate_success / numa_pages_migrated. */
  unsettled = 0;
  readonly freed: number[] = [];
  readonly anonMoves = new AnonMoves();
  /** Process → [stall ns on its remote CPUs, how many of them]. */
  readonly stalls = new Map<Process, [number, number]>();
}


/**
 * Switch page `index` of `vma` from `oldPfn` to the already allocated `newPfn`: copy the frame
 * state, move the PTE and the reverse map. The caller frees the source and moves counters.
 */
export function moveFrame(frames: FrameTable, mm: Mm, vma: Vma, index: number, oldPfn: number, newPfn: number): void {
  const src = frames.peek(oldPfn)!;
  const dst = frames.peek(newPfn)!;
  dst.flags[newPfn - dst.block.startPfn] = src.flags[oldPfn - src.block.startPfn]!;
  mm.unmap(vma, index);
  mm.map(vma, index, newPfn);
}

/**
 * Move the page in `oldPfn` to `newPfn` found through the reverse map (memory offlining's
 * do_migrate_range); the owning process then runs at its new placement's speed.
 */
export function relocateFrame(k: Kernel, oldPfn: number, newPfn: number): void {
  const frames = k.alloc.frames;
  const proc = k.tasks.processOfMm(frames.ownerOf(oldPfn));
  const vpn = frames.vpnOf(oldPfn);
  const vma = proc?.mm.findVma(vpn);
  if (!proc || !vma) return;
  const srcIndex = frames.blockOf(oldPfn)!.index;
  const lru = anonLru(frames.flagsOf(oldPfn));
  moveFrame(frames, proc.mm, vma, vma.indexOf(vpn), oldPfn, newPfn);
  k.alloc.freeUserFrames([oldPfn]);
  accountAnonMove(k.vm, k.layout.blocks, srcIndex, frames.blockOf(newPfn)!.index, 1, lru);
  proc.reschedule();
}
