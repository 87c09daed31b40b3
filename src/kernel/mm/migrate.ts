// Page migration (mm/migrate.c) with the two flows of spec/mechanisms.md §4:
// - unbatched (before 6.3): per page unmap, TLB flush, copy, remap;
// - batched (6.3+, migrate_pages_batch): up to NR_MAX_BATCHED_MIGRATION pages unmapped with
//   their TLB invalidations queued, one try_to_unmap_flush() for the batch, then the copies.
// Each step is charged from the preset's cost constants, so the batching gain emerges from
// the model; the nr_tlb_* counters move as x86's flush_tlb_mm_range / arch_tlbbatch_flush
// count them. A migration runs as a chain of clock events, one per batch, on the caller's CPU.
import createDebug from 'debug';
import { PAGE_SIZE, costNs } from '../config/machine.js';
import type { Kernel } from '../kernel.js';
import type { Process } from '../sched/process.js';
import { anonLru, PG_ACTIVE, type FrameTable } from './frames.js';
import type { MemoryBlock, ZoneType } from './memblock.js';
import { NO_PFN, type Mm, type Vma } from './mm.js';
import { MAX_NR_ZONES, ZONE_NAMES, zoneIdxOfBlock } from './mmzone.js';

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
  private readonly pageCost = new Map<number, number>();
  private readonly ipiBaseNs: number;
  private readonly ipiPerCpuNs: number;
  private readonly localFlushNs: number;
  /** Reused by the one-folio path (no allocation per fault). */
  private readonly scratch: MigrateStats = { moved: 0, failed: 0, skipped: 0, remoteFlushes: 0, elapsedNs: 0 };
  private readonly result = { ns: 0, remoteStallNs: 0 };
  /** Events of one-folio migrations not counted yet (flushMisplaced). */
  readonly misplacedEvents: FolioMigrationEvents;

  constructor(private readonly k: Kernel) {
    this.ipiBaseNs = costNs(k.config, 'tlbFlushIpiBase');
    this.ipiPerCpuNs = costNs(k.config, 'tlbFlushIpiPerCpu');
    this.localFlushNs = costNs(k.config, 'tlbFlushLocal');
    this.misplacedEvents = new FolioMigrationEvents(Math.max(...k.config.nodes.map((n) => n.id)) + 1);
  }

  /** Per-page cost without the TLB flush: isolate + allocate, rmap walk, copy, remap. */
  pageCostNs(srcNid: number, dstNid: number): number {
    const key = srcNid * 4096 + dstNid;
    const cached = this.pageCost.get(key);
    if (cached !== undefined) return cached;
    const { config } = this.k;
    const kind = (nid: number) => this.k.numa.node(nid)?.kind ?? 'dram';
    const copyMBps = Math.min(config.media[kind(srcNid)].copyBandwidthMBps, config.media[kind(dstNid)].copyBandwidthMBps);
    const copyNs = PAGE_SIZE / (copyMBps / 1000);
    const ns = costNs(config, 'migrateIsolateAlloc') + costNs(config, 'rmapWalk') + copyNs + costNs(config, 'remap');
    this.pageCost.set(key, ns);
    return ns;
  }

  /**
   * One TLB shootdown round. x86: IPIs to the `remote` CPUs of the mm's cpumask other than the
   * caller's (nr_tlb_remote_flush once, _received per CPU); a local flush when the caller's
   * CPU is in the mask and (unbatched) the caller runs this mm.
   * @returns the caller's cost in ns
   */
  private flush(remote: number, local: 'all' | 'one' | 'none', stall: { ns: number } | undefined, stats: MigrateStats): number {
    const { vm } = this.k;
    let ns = 0;
    if (remote > 0) {
      ns += this.ipiBaseNs + this.ipiPerCpuNs * remote;
      vm.countEvent('nr_tlb_remote_flush');
      vm.countEvent('nr_tlb_remote_flush_received', remote);
      stats.remoteFlushes++;
      // Each receiving CPU runs the process's threads: the interrupt and flush stall them.
      if (stall) stall.ns += this.localFlushNs;
    }
    if (local !== 'none') {
      ns += this.localFlushNs;
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
    const ns = this.flush(remote, 'all', stall, this.scratch);
    return { ns, remoteStallNs: stall.ns * remote };
  }

  /**
   * migrate_misplaced_folio(): one folio on a list of its own through migrate_pages
   * (MIGRATE_ASYNC, MR_NUMA_MISPLACED), in the faulting thread's context: move page `index` of
   * `vma` to `dst` now. `cpuNid` is the faulting CPU's node; `promotion` a memory-tiering
   * promotion (pgpromote_success on `dst`). Its events (pgmigrate_success, numa_pages_migrated,
   * allocation, LRU and TLB counters) wait in `misplacedEvents` until flushMisplaced(), and the
   * caller changes the process's speed once per batch of faults.
   * @returns the faulting thread's cost and the other CPUs' shootdown stall (an object reused
   *   by the next call), or undefined when `dst` had no free frame (the folio stays; -ENOMEM
   *   from the allocation callback)
   */
  migrateMisplacedFolio(proc: Process, vma: Vma, index: number, dst: number, cpuNid: number, promotion: boolean): { ns: number; remoteStallNs: number } | undefined {
    const { alloc } = this.k;
    const frames = alloc.frames;
    const ev = this.misplacedEvents;
    const oldPfn = vma.pt[index]!;
    if (oldPfn === NO_PFN) return undefined;
    const newPfn = alloc.takeMigrationFrame(dst);
    if (newPfn < 0) {
      ev.failed++;
      return undefined;
    }
    const src = frames.peek(oldPfn)!;
    const srcNid = src.block.nid;
    const active = (src.flags[oldPfn - src.block.startPfn]! & PG_ACTIVE) !== 0;
    moveFrame(frames, proc.mm, vma, index, oldPfn, newPfn);
    alloc.releaseUserFrame(oldPfn);
    ev.moved(src.block, frames.blockOf(newPfn)!, dst === cpuNid, active, promotion);
    // One folio: its unmap flush goes to the mm's other CPUs (the faulting one is in the mask;
    // batched flow: one deferred try_to_unmap_flush with a full local flush; before 6.3:
    // ptep_clear_flush of one page).
    const remote = Math.max(0, proc.mm.cpus.length - 1);
    const r = this.result;
    r.ns = this.pageCostNs(srcNid, dst) + this.localFlushNs;
    r.remoteStallNs = 0;
    if (remote > 0) {
      r.ns += this.ipiBaseNs + this.ipiPerCpuNs * remote;
      r.remoteStallNs = this.localFlushNs * remote;
      ev.remoteFlushes++;
      ev.flushReceived += remote;
    }
    if (this.flow === 'batched') ev.localFlushAll++;
    else ev.localFlushOne++;
    return r;
  }

  /** Count the events of the one-folio migrations since the last call. */
  flushMisplaced(): void {
    this.misplacedEvents.flush(this.k.vm);
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
    const movedFrom = new Map<string, number>(); // "srcPfn-block dstPfn-block lru" → pages
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
      const key = `${frames.blockOf(oldPfn)!.index} ${frames.blockOf(newPfn)!.index} ${anonLru(frames.flagsOf(oldPfn))}`;
      moveFrame(frames, mm, vma, index, oldPfn, newPfn);
      freed.push(oldPfn);
      movedFrom.set(key, (movedFrom.get(key) ?? 0) + 1);
      moved++;
      ns += this.pageCostNs(srcNid, dst);
      if (flow === 'unbatched') ns += this.flush(remote, localOne, stall, stats);
    }
    if (flow === 'batched' && moved > 0) ns += this.flush(remote, mm.cpus.includes(callerCpu) ? 'all' : 'none', stall, stats);
    alloc.freeUserFrames(freed);
    for (const [key, n] of movedFrom) {
      const [src, to, lru] = key.split(' ') as [string, string, ReturnType<typeof anonLru>];
      accountAnonMove(vm, this.k.layout.blocks, Number(src), Number(to), n, lru);
    }
    stats.moved += moved;
    vm.countEvent('pgmigrate_success', moved);
    // One rate change per batch: the new placement, and the IPIs' stall on the remote CPUs.
    if (stall.ns > 0) proc.stall(stall.ns, remote);
    else proc.reschedule();
    return ns;
  }
}

/** zoneIdxOfBlock() as a table (a block's pages count in its upper zone). */
const ZONE_IDX: Record<ZoneType, number> = { DMA: 0, DMA32: 1, Normal: 2, Movable: 3 };
/** pgalloc_<zone> by zone index. */
const PGALLOC_EVENTS = ZONE_NAMES.map((z) => `pgalloc_${z.toLowerCase()}`);

/**
 * The events of a batch of one-folio migrations, summed and counted at once: the kernel's
 * per-cpu vm counters are only added up when read, and nothing reads them inside a batch.
 */
export class FolioMigrationEvents {
  failed = 0;
  migrated = 0;
  remoteFlushes = 0;
  flushReceived = 0;
  localFlushAll = 0;
  localFlushOne = 0;
  private readonly promoted: Float64Array;
  private readonly anon: Float64Array;
  /** By (node, zone): allocations, those from a CPU of the node, LRU pages in and out. */
  private readonly allocated: Float64Array;
  private readonly allocatedLocal: Float64Array;
  private readonly active: Float64Array;
  private readonly inactive: Float64Array;

  constructor(private readonly nodeSlots: number) {
    this.promoted = new Float64Array(nodeSlots);
    this.anon = new Float64Array(nodeSlots);
    const zones = nodeSlots * MAX_NR_ZONES;
    this.allocated = new Float64Array(zones);
    this.allocatedLocal = new Float64Array(zones);
    this.active = new Float64Array(zones);
    this.inactive = new Float64Array(zones);
  }

  /**
   * One page moved from block `src` to block `dst`, allocated by a CPU of `dst`'s node if
   * `local`; `active` is its LRU list.
   */
  moved(src: MemoryBlock, dst: MemoryBlock, local: boolean, active: boolean, promotion: boolean): void {
    const s = src.nid * MAX_NR_ZONES + ZONE_IDX[src.zone];
    const d = dst.nid * MAX_NR_ZONES + ZONE_IDX[dst.zone];
    this.migrated++;
    this.allocated[d]!++;
    if (local) this.allocatedLocal[d]!++;
    this.anon[src.nid]!--;
    this.anon[dst.nid]!++;
    const lru = active ? this.active : this.inactive;
    lru[s]!--;
    lru[d]!++;
    if (promotion) this.promoted[dst.nid]!++;
  }

  flush(vm: Kernel['vm']): void {
    if (this.failed > 0) vm.countEvent('pgmigrate_fail', this.failed);
    if (this.migrated > 0) {
      vm.countEvent('pgmigrate_success', this.migrated);
      vm.countEvent('numa_pages_migrated', this.migrated);
      vm.countEvent('pgfree', this.migrated);
      for (let nid = 0; nid < this.nodeSlots; nid++) {
        if (this.anon[nid] !== 0) vm.modNode(nid, 'nr_anon_pages', this.anon[nid]!);
        if (this.promoted[nid]! > 0) vm.modNode(nid, 'pgpromote_success', this.promoted[nid]!);
        for (let z = 0; z < MAX_NR_ZONES; z++) {
          const j = nid * MAX_NR_ZONES + z;
          const alloc = this.allocated[j]!;
          if (alloc > 0) {
            vm.countEvent(PGALLOC_EVENTS[z]!, alloc);
            const local = this.allocatedLocal[j]!;
            if (local > 0) vm.accountNumaAlloc(nid, nid, nid, local, z);
            if (alloc > local) vm.accountNumaAlloc(nid, nid, -1, alloc - local, z);
          }
          if (this.active[j] !== 0) vm.modLru(nid, z, 'nr_active_anon', this.active[j]!);
          if (this.inactive[j] !== 0) vm.modLru(nid, z, 'nr_inactive_anon', this.inactive[j]!);
        }
      }
      for (const a of [this.promoted, this.anon, this.allocated, this.allocatedLocal, this.active, this.inactive]) a.fill(0);
    }
    if (this.remoteFlushes > 0) {
      vm.countEvent('nr_tlb_remote_flush', this.remoteFlushes);
      vm.countEvent('nr_tlb_remote_flush_received', this.flushReceived);
    }
    if (this.localFlushAll > 0) vm.countEvent('nr_tlb_local_flush_all', this.localFlushAll);
    if (this.localFlushOne > 0) vm.countEvent('nr_tlb_local_flush_one', this.localFlushOne);
    this.failed = this.migrated = this.remoteFlushes = this.flushReceived = this.localFlushAll = this.localFlushOne = 0;
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
