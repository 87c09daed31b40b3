// kmmscand, the RFC V0 PTE A-bit scanner (Raghavendra K T, 2024-12-01, mm/kmmscand.c of patches
// 01-08; spec/mechanisms.md §6): one global kernel thread keeps a list of every mm, walks each
// mm's VMAs from its saved address, test-and-clears PTE A bits with page_idle's PG_idle/PG_young
// idiom, and promotes the accessed folios of slow-tier nodes to `target_node` one folio at a time
// (migrate_misplaced_folio, unbatched). Per-mm scan period and size adapt to how many useful
// pages the last two scans found (patches 05/06). Patch 10's overhead counters measure the scan
// and the migration in jiffies.
//
// Lazy model (docs/DESIGN.md §11): the walk visits each PTE and its folio's flags, as the kernel
// does, but never asks the access model page by page. A bits are stamped per 512-PTE chunk;
// only folios whose flags leave the answer open draw one, from the access model's probability
// for the chunk's window, by geometric skips (one PRNG draw per accessed page). CPU time is
// charged per PTE (pteClearYoung) and per folio migrated to the thread, never to the workload.
import createDebug from 'debug';
import { EINVAL } from '../../kernfs/index.js';
import { MAX_NUMNODES, PAGE_SIZE, costNs } from '../config/machine.js';
import type { Kernel } from '../kernel.js';
import type { Prng } from '../lib/prng.js';
import type { Process } from '../sched/process.js';
import type { TimerHandle } from '../time/clock.js';
import { accessWindow } from '../workload/access_model.js';
import { PG_IDLE, PG_ISOLATED, PG_LRU, PG_REFERENCED, PG_YOUNG } from './frames.js';
import { memoryTiers } from './memory_tiers.js';
import { FolioMigrations } from './migrate.js';
import { NO_PFN, type Vma } from './mm.js';

const trace = createDebug('tiersim:kmmscand');

/** CONFIG_HZ of the simulated build (the reference host's 250): a jiffy is 4 ms. */
export const HZ = 250;
const JIFFY_NS = 1e9 / HZ;
const jiffiesAt = (ns: number): number => Math.floor(ns / JIFFY_NS);
/** msecs_to_jiffies rounds up. */
const msecsToJiffies = (ms: number): number => Math.ceil((ms * HZ) / 1000);
const jiffiesToUsecs = (j: number): number => j * (1e6 / HZ);

// mm/kmmscand.c (V0) constants.
export const KMMSCAND_SCAN_PERIOD_MIN = 400;
export const KMMSCAND_SCAN_PERIOD_MAX = 5000;
export const KMMSCAND_SCAN_PERIOD = 2000;
const GIB = 1024 * 1024 * 1024;
export const KMMSCAND_SCAN_SIZE_MIN = 512 * 1024 * 1024;
export const KMMSCAND_SCAN_SIZE_MAX = 16 * GIB;
export const KMMSCAND_SCAN_SIZE = 4 * GIB;
export const KMMSCAND_MMS_TO_SCAN = 4096n;
export const KMMSCAND_SCAN_SLEEP_MS = 16;
/** A scan that found fewer useful pages counts as finding none (unmigratable pages coming back). */
export const KMMSCAND_IGNORE_SCAN_THR = 100;
const SCAN_PERIOD_TUNE_PERCENT = 15;
const SCAN_PERIOD_CHANGE_SCALE = 3;
const SCAN_SIZE_CHANGE_SCALE = 1;

/** PTEs per page-table page: the granule one A-bit clear stamp covers. */
const CHUNK_SHIFT = 9;
/** Folios migrated per clock event while the thread drains its list. */
const DRAIN_SLICE = 512;

/** struct kmmscand_mm_slot, plus the simulator's per-chunk A-bit clear stamps. */
export interface MmSlot {
  readonly proc: Process;
  /** Resume point (bytes); 0 starts from the first VMA. */
  address: number;
  scanPeriodMs: number;
  /** next_scan in jiffies; undefined until the first scan (the kernel's 0). */
  nextScanJiffies: number | undefined;
  /** Useful pages the previous scan found (0 below the ignore threshold). */
  scanDelta: number;
  scanSizeBytes: number;
  /** mm->nr_accessed: slow-tier folios ever queued. */
  nrAccessed: number;
  /** Per VMA, when kmmscand last cleared the A bits of each 512-PTE chunk (NaN: never). */
  readonly stamps: Map<Vma, Float64Array>;
  alive: boolean;
}

/** Accessed slow-tier folios of one VMA walk, in list order (kmmscand_migrate_info entries). */
interface MigrateRun {
  readonly slot: MmSlot;
  readonly vma: Vma;
  readonly index: Int32Array;
  readonly pfn: Int32Array;
  at: number;
}

/** What the thread is doing: sleeping on its timer, in do_scan, parked with scan_enabled=0, or without any mm. */
export type KmmscandState = 'sleeping' | 'running' | 'disabled' | 'idle';

export class Kmmscand {
  // Knobs (/sys/kernel/mm/kmmscand, kmmscand_sysfs.ts).
  scanSleepMs = KMMSCAND_SCAN_SLEEP_MS;
  /** Initial scan period of mms entered from now on. */
  mmScanPeriodMs = KMMSCAND_SCAN_PERIOD;
  mmsToScan = KMMSCAND_MMS_TO_SCAN;
  private enabled: boolean;
  private target = 0;

  /** CPU time the thread has used (simulated ns), scanning and migrating. */
  cpuNs = 0;
  /** The CPU the thread runs on: its TLB shootdowns reach every other CPU of the mm. */
  readonly cpu: number;
  state: KmmscandState;

  /** kmmscand_scan.mm_head in list order; `cursor` is kmmscand_scan.mm_slot (an index). */
  readonly slots: MmSlot[] = [];
  private cursor = 0;
  private readonly bySlot = new Map<Process, MmSlot>();
  private readonly queue: MigrateRun[] = [];
  private readonly acc = new FolioMigrations();
  private timer: TimerHandle | undefined;
  private needWakeup = false;
  /** Iterations done in the current do_scan pass. */
  private passIter = 0;
  /** When the current kmmscand_migrate_folio() call began (NaN: not draining). */
  private drainStartNs = NaN;
  private readonly stepFn = (): void => this.step();
  /** node_is_toptier by node id, as the last scan saw it (the drain that follows uses it). */
  private top: boolean[] = [];
  /** Promotions of this drain slice refused for lack of room on the target. */
  private noRoom = 0;
  private readonly isolateAllocNs: number;
  /** Free pages of the target seen at the start of this drain slice, less what it took. */
  private room = { nid: -1, pages: 0 };

  constructor(
    private readonly k: Kernel,
    scanEnabled: boolean,
  ) {
    this.enabled = scanEnabled;
    this.state = scanEnabled ? 'idle' : 'disabled';
    const first = k.config.nodes.find((n) => n.cpus.length > 0)!;
    this.cpu = first.cpus[first.cpus.length - 1]!;
    this.isolateAllocNs = costNs(k.config, 'migrateIsolateAlloc');
    k.tasks.mmHooks.push({ enter: (p) => this.enter(p), exit: (p) => this.exit(p) });
  }

  get scanEnabled(): boolean {
    return this.enabled;
  }

  get targetNode(): number {
    return this.target;
  }

  /** The slot of a live process, if it is on the list. */
  slotOf(p: Process): MmSlot | undefined {
    return this.bySlot.get(p);
  }

  // -------------------------------------------------------------------------------------------
  // Knob stores: each sets kmmscand_sleep_expire = 0 and wakes the thread.

  setScanSleepMs(ms: number): void {
    this.scanSleepMs = ms;
    this.wake();
  }

  /** Clamped into [400, 5000] ms, as the store does; applies to mms entered afterwards. */
  setMmScanPeriodMs(ms: number): void {
    this.mmScanPeriodMs = Math.min(KMMSCAND_SCAN_PERIOD_MAX, Math.max(KMMSCAND_SCAN_PERIOD_MIN, ms));
    this.wake();
  }

  setMmsToScan(n: bigint): void {
    this.mmsToScan = n;
    this.wake();
  }

  setScanEnabled(on: boolean): void {
    this.enabled = on;
    if (on) this.needWakeup = true;
    if (on && this.state === 'disabled') {
      // The thread leaves `while (!scan_enabled) wait_work()`, then waits once more before
      // its next pass. Without an mm it never slept, so need_wakeup is left for later.
      if (this.slots.length === 0) {
        this.state = 'idle';
        return;
      }
      this.needWakeup = false; // consumed by the wake-up of the parked wait
      this.sleep(this.k.clock.nowNs);
      return;
    }
    this.wake();
  }

  /** @throws EINVAL unless node_is_toptier(nid) */
  setTargetNode(nid: number): void {
    if (!this.nodeIsToptier(nid)) throw EINVAL;
    this.target = nid;
    this.wake();
  }

  /**
   * node_is_toptier() (mm/memory-tiers.c): false without a pgdat (a node never online); true
   * for a node without a memory tier (no memory online: memoryless nodes count as top tier);
   * otherwise its tier is the top one. Nodes outside 0..MAX_NUMNODES-1 are refused (the kernel
   * would index NODE_DATA out of bounds).
   */
  nodeIsToptier(nid: number): boolean {
    if (!Number.isInteger(nid) || nid < 0 || nid >= MAX_NUMNODES || !this.k.numa.isOnline(nid)) return false;
    if (!this.k.numa.hasMemory(nid)) return true;
    return memoryTiers(this.k).isTopTier(nid);
  }

  // -------------------------------------------------------------------------------------------
  // The mm list (__kmmscand_enter at fork/exec, __kmmscand_exit from __mmput).

  private enter(p: Process): void {
    const wasEmpty = this.slots.length === 0;
    const slot: MmSlot = {
      proc: p,
      address: 0,
      scanPeriodMs: this.mmScanPeriodMs,
      nextScanJiffies: undefined,
      scanDelta: 0,
      scanSizeBytes: KMMSCAND_SCAN_SIZE,
      nrAccessed: 0,
      stamps: new Map(),
      alive: true,
    };
    this.slots.push(slot);
    this.bySlot.set(p, slot);
    // The first mm wakes the thread (a thread with no mm has nothing to sleep on).
    if (wasEmpty && this.state === 'idle') this.runSoon();
    else if (wasEmpty) this.wake();
  }

  private exit(p: Process): void {
    const slot = this.bySlot.get(p);
    if (!slot) return;
    slot.alive = false; // its queued folios are dropped (kmmscand_cleanup_migration_list)
    this.bySlot.delete(p);
    const i = this.slots.indexOf(slot);
    this.slots.splice(i, 1);
    if (i < this.cursor) this.cursor--;
    if (this.cursor >= this.slots.length) this.cursor = 0;
  }

  // -------------------------------------------------------------------------------------------
  // The thread: kmmscand() { for (;;) { do_scan(); while (!enabled) wait_work(); wait_work(); } }

  /**
   * wake_up_interruptible after kmmscand_sleep_expire = 0: a sleeping thread runs now (its
   * wake-up condition consumes need_wakeup). A parked one re-checks scan_enabled and parks again.
   */
  private wake(): void {
    if (this.state !== 'sleeping') return;
    this.needWakeup = false;
    this.runSoon();
  }

  private runSoon(): void {
    this.timer?.cancel();
    this.state = 'running';
    this.timer = this.k.clock.schedule(this.k.clock.nowNs, this.stepFn);
  }

  /** One piece of do_scan at the thread's current time; schedules the next one. */
  private step(): void {
    this.timer = undefined;
    const now = this.k.clock.nowNs;
    if (this.queue.length > 0) {
      this.drainSlice(now);
      return;
    }
    if (!Number.isNaN(this.drainStartNs)) this.endDrain(now);
    if (!this.enabled) {
      // do_scan breaks out; the thread waits in `while (!scan_enabled) wait_work()`.
      this.passIter = 0;
      this.state = 'disabled';
      trace('scan_enabled=0: parked');
      return;
    }
    const iterations = this.mmsToScan > 1n ? this.mmsToScan : 1n; // iter++ then iter >= mms_to_scan
    const remaining = iterations - BigInt(this.passIter);
    const n = this.slots.length;
    if (remaining <= 0n || n === 0) {
      this.waitWork(now);
      return;
    }
    // Visits that find the mm not yet due take no time: jump to the next due mm within the pass.
    const visits = remaining < BigInt(n) ? Number(remaining) : n;
    let skip = 0;
    while (skip < visits && !this.isDue(this.slots[(this.cursor + skip) % n]!, now)) skip++;
    if (skip === visits) {
      this.cursor = Number((BigInt(this.cursor) + remaining) % BigInt(n));
      this.waitWork(now);
      return;
    }
    this.cursor = (this.cursor + skip) % n;
    this.passIter += skip + 1;
    const slot = this.slots[this.cursor]!;
    const ns = this.scanMmSlot(slot, now);
    this.cursor = (this.cursor + 1) % n; // the slot is released: scanned to the end or the size reached
    this.cpuNs += ns;
    this.k.vm.countEvent('kmmscand_scan_oh', jiffiesToUsecs(jiffiesAt(now + ns) - jiffiesAt(now)));
    if (this.queue.length > 0) this.drainStartNs = now + ns;
    this.timer = this.k.clock.schedule(now + ns, this.stepFn);
  }

  /** kmmscand_wait_work(): sleep scan_sleep_ms, or return at once on need_wakeup. */
  private waitWork(now: number): void {
    this.passIter = 0;
    if (this.slots.length === 0) {
      // The V0 thread does not sleep without an mm (it spins); it has nothing to do until one comes.
      this.state = 'idle';
      return;
    }
    if (this.needWakeup) {
      this.needWakeup = false;
      this.runSoon();
      return;
    }
    this.sleep(now);
  }

  /** wait_event_timeout for scan_sleep_ms, to the jiffy. */
  private sleep(now: number): void {
    // A zero sleep makes the V0 thread spin; the simulated one polls once a jiffy.
    const sleepJiffies = Math.max(1, msecsToJiffies(this.scanSleepMs));
    this.timer?.cancel();
    this.state = 'sleeping';
    this.timer = this.k.clock.schedule((jiffiesAt(now) + sleepJiffies) * JIFFY_NS, this.stepFn);
  }

  private isDue(slot: MmSlot, now: number): boolean {
    return slot.nextScanJiffies === undefined || jiffiesAt(now) >= slot.nextScanJiffies;
  }

  // -------------------------------------------------------------------------------------------
  // kmmscand_scan_mm_slot

  /**
   * Scan one mm from its saved address: whole VMAs until scan_size is covered (unless the scan
   * keeps finding useful pages), then adapt the slot. All its A bits are sampled at `nowNs`.
   * @returns the thread's ns for the walk (pteClearYoung per PTE)
   */
  private scanMmSlot(slot: MmSlot, nowNs: number): number {
    const vm = this.k.vm;
    const vmas = slot.proc.mm.vmas;
    let i = vmas.findIndex((v) => v.end > slot.address); // vma_iter_init(&vmi, mm, address)
    if (i < 0) i = vmas.length;
    const accessedStart = slot.nrAccessed;
    let scanSize = slot.scanSizeBytes;
    let scanned = 0;
    let address = slot.address;
    let stopped = false;
    let ptes = 0;
    const top = this.topTierByNid();
    this.top = top;
    for (; i < vmas.length; i++) {
      const vma = vmas[i]!;
      ptes += this.walkVma(slot, vma, nowNs, top);
      vm.countEvent('nr_kmmscand_vma_scans');
      scanned += vma.nrPages * PAGE_SIZE;
      address = vma.end;
      if (scanned >= scanSize) {
        // Still finding accessed pages: ignore the size this time and go on.
        if (slot.nrAccessed - accessedStart > KMMSCAND_IGNORE_SCAN_THR) {
          scanSize = KMMSCAND_SCAN_SIZE_MAX;
          continue;
        }
        stopped = true;
        break;
      }
    }
    if (!stopped) address = 0;
    vm.countEvent('nr_kmmscand_mm_scans');
    const ns = ptes * costNs(this.k.config, 'pteClearYoung');
    slot.address = address;
    this.updateMmSlotInfo(slot, slot.nrAccessed - accessedStart, jiffiesAt(nowNs + ns));
    trace('pid %d: scanned %d PTEs, %d useful, next in %d ms (size %d MiB), %d queued', slot.proc.pid, ptes, slot.scanDelta, slot.scanPeriodMs, slot.scanSizeBytes / 1048576, this.queued);
    return ns;
  }

  /** kmmscand_update_mmslot_info: adapt the slot and set its next scan. */
  private updateMmSlotInfo(slot: MmSlot, useful: number, nowJiffies: number): void {
    const next = adaptScan({ scanPeriodMs: slot.scanPeriodMs, scanSizeBytes: slot.scanSizeBytes, scanDelta: slot.scanDelta }, useful);
    slot.scanPeriodMs = next.scanPeriodMs;
    slot.scanSizeBytes = next.scanSizeBytes;
    slot.scanDelta = next.scanDelta;
    slot.nextScanJiffies = nowJiffies + msecsToJiffies(slot.scanPeriodMs);
  }

  /** node_is_toptier for every node id, computed once per scan. */
  private topTierByNid(): boolean[] {
    const top: boolean[] = [];
    for (const n of this.k.config.nodes) top[n.id] = this.nodeIsToptier(n.id);
    return top;
  }

  /**
   * walk_page_vma with hot_vma_idle_pte_entry over one VMA: per PTE, page_idle_clear_pte_refs
   * (A bit test-and-clear; if it was set, clear PG_idle and set PG_young), then the folio is
   * accessed if !idle || young || referenced; accessed slow-tier folios are queued, the rest of
   * the not-accessed ones counted idle, every top-tier folio counted toptier; PG_idle is set.
   * An empty PTE ends the walk (the callback returns 1).
   * @returns PTEs visited
   */
  private walkVma(slot: MmSlot, vma: Vma, nowNs: number, top: readonly boolean[]): number {
    const frames = this.k.alloc.frames;
    const pt = vma.pt;
    const nrPages = vma.nrPages;
    let stamps = slot.stamps.get(vma);
    if (!stamps) {
      // x86 PTEs are created young (protection_map carries _PAGE_ACCESSED): never cleared = set.
      stamps = new Float64Array(Math.ceil(nrPages / (1 << CHUNK_SHIFT))).fill(NaN);
      slot.stamps.set(vma, stamps);
    }
    const abit = new ABitSampler(slot.proc, vma, nowNs, this.k.rng);
    // Queued folios are slow-tier pages: at most the VMA's pages outside the top tier.
    let slowPages = 0;
    for (let nid = 0; nid < vma.nodePages.length; nid++) if (top[nid] !== true) slowPages += vma.nodePages[nid]!;
    const queuedIndex = new Int32Array(slowPages);
    const queuedPfn = new Int32Array(slowPages);
    let flags: Uint8Array = new Uint8Array(0);
    let base = 0;
    let span = 0;
    let isTop = false;
    let nTop = 0;
    let nIdle = 0;
    let nQueued = 0;
    let i = 0;
    walk: for (let c = 0; c < stamps.length; c++) {
      const t0 = stamps[c]!;
      const chunkEnd = Math.min(nrPages, (c + 1) << CHUNK_SHIFT);
      for (; i < chunkEnd; i++) {
        const pfn = pt[i]!;
        if (pfn === NO_PFN) break walk;
        if (pfn - base >= span || pfn < base) {
          const bf = frames.peek(pfn)!;
          flags = bf.flags;
          base = bf.block.startPfn;
          span = bf.block.nrPages;
          isTop = top[bf.block.nid] === true;
        }
        const off = pfn - base;
        let f = flags[off]!;
        // page_idle_clear_pte_refs: a set A bit clears PG_idle and sets PG_young, so it only
        // matters while PG_young is clear.
        if ((f & PG_YOUNG) === 0 && abit.wasYoung(i, t0)) f = (f & ~PG_IDLE) | PG_YOUNG;
        if (isTop) nTop++;
        if ((f & PG_IDLE) === 0 || (f & (PG_YOUNG | PG_REFERENCED)) !== 0) {
          if (!isTop) {
            queuedIndex[nQueued] = i;
            queuedPfn[nQueued] = pfn;
            nQueued++;
          }
        } else {
          nIdle++;
        }
        if ((f & PG_IDLE) === 0 || f !== flags[off]) flags[off] = f | PG_IDLE;
      }
      stamps[c] = nowNs; // this chunk's A bits were all cleared now
    }
    const vm = this.k.vm;
    if (nTop > 0) vm.countEvent('nr_kmmscand_toptier', nTop);
    if (nIdle > 0) vm.countEvent('nr_kmmscand_idlepage', nIdle);
    if (nQueued > 0) {
      vm.countEvent('nr_kmmscand_slowtier', nQueued);
      vm.countEvent('nr_kmmscand_migadded', nQueued);
      slot.nrAccessed += nQueued;
      this.queue.push({ slot, vma, index: queuedIndex.subarray(0, nQueued), pfn: queuedPfn.subarray(0, nQueued), at: 0 });
    }
    // A walk that stopped early visited the empty PTE too.
    return i < nrPages ? i + 1 : i;
  }

  /** Folios waiting on the migration list. */
  get queued(): number {
    let n = 0;
    for (const r of this.queue) n += r.index.length - r.at;
    return n;
  }

  // -------------------------------------------------------------------------------------------
  // kmmscand_migrate_folio: drain the whole list, one migrate_misplaced_folio per entry.

  private drainSlice(now: number): void {
    const acc = this.acc;
    const top = this.top;
    let ns = 0;
    let done = 0;
    const moved0 = acc.moved;
    const failed0 = acc.failed;
    this.room.nid = -1;
    while (done < DRAIN_SLICE && this.queue.length > 0) {
      const run = this.queue[0]!;
      if (!run.slot.alive || run.at >= run.index.length) {
        this.queue.shift();
        continue;
      }
      const index = run.index[run.at]!;
      const pfn = run.pfn[run.at]!;
      run.at++;
      done++;
      ns += this.promoteFolio(run, index, pfn, top);
    }
    this.k.migrator.settle(acc);
    if (this.noRoom > 0) this.k.vm.countEvent('pgmigrate_fail', this.noRoom);
    this.noRoom = 0;
    if (acc.moved > moved0) this.k.vm.countEvent('nr_kmmscand_migrated', acc.moved - moved0);
    if (acc.failed > failed0) this.k.vm.countEvent('nr_kmmscand_migrate_failed', acc.failed - failed0);
    this.cpuNs += ns;
    this.timer = this.k.clock.schedule(now + ns, this.stepFn);
  }

  private endDrain(now: number): void {
    trace('drained the migration list in %d ns: %d migrated, %d failed so far', now - this.drainStartNs, this.acc.moved, this.acc.failed);
    this.k.vm.countEvent('kmmscand_migration_oh', jiffiesToUsecs(jiffiesAt(now) - jiffiesAt(this.drainStartNs)));
    this.drainStartNs = NaN;
  }

  /**
   * kmmscand_promote_folio: revalidate the folio (still this PTE's, on the LRU), skip top-tier
   * sources and the target itself, isolate, then migrate_misplaced_folio to target_node.
   * A failure counts in acc.failed.
   * @returns the thread's ns for this entry
   */
  private promoteFolio(run: MigrateRun, index: number, pfn: number, top: readonly boolean[]): number {
    const k = this.k;
    const frames = k.alloc.frames;
    const dst = this.target;
    let src = -1;
    if (run.vma.pt[index] === pfn) {
      // !folio_test_lru || !folio_mapped: gone meanwhile; an isolated folio fails folio_isolate_lru
      const flags = frames.flagsOf(pfn);
      if ((flags & PG_LRU) !== 0 && (flags & PG_ISOLATED) === 0) src = frames.blockOf(pfn)!.nid;
    }
    // KMMSCAND_INVALID_FOLIO, _INELIGIBLE_SRC_NODE, _SAME_SRC_DEST_NODE
    if (src < 0 || top[src] === true || src === dst) {
      this.acc.failed++;
      return 0;
    }
    if (!this.targetHasRoom(dst, 1)) {
      // migrate_pages() finds no page for it (pgmigrate_fail, counted per slice)
      this.noRoom++;
      this.acc.failed++;
      return this.isolateAllocNs;
    }
    const before = this.acc.moved;
    const ns = k.migrator.migrateMisplacedFolio(run.slot.proc, run.vma, index, dst, this.cpu, this.acc);
    if (this.acc.moved > before) this.room.pages--;
    return ns;
  }

  /**
   * Whether the promotion target can take `nrPages` more pages. V0's own prepare step has no
   * migrate_balanced_pgdat(): a promotion fails when alloc_misplaced_dst_folio (no reclaim)
   * finds no page above the node's watermark. The watermark model replaces this check; until
   * then any free page of the node is room (its free count is read once per drain slice).
   */
  private targetHasRoom(nid: number, nrPages: number): boolean {
    if (this.room.nid !== nid) this.room = { nid, pages: this.k.alloc.usableFreePages(nid, true) };
    return this.room.pages >= nrPages;
  }
}

/** The adaptive part of an mm slot. */
export interface ScanTuning {
  readonly scanPeriodMs: number;
  readonly scanSizeBytes: number;
  /** Useful pages of the previous scan (X). */
  readonly scanDelta: number;
}

/**
 * The scan_period / scan_size table of patches 05/06, X = useful pages of the previous scan,
 * Y = of this one (below KMMSCAND_IGNORE_SCAN_THR it counts as 0): X=0,Y=0 period +15 %, size
 * halved; X=0,Y>0 period / 8, size MAX; X>0,Y=0 period x 8; X>0,Y>0 period -15 %, size doubled;
 * then both clamped. Integer arithmetic as the kernel's unsigned int / unsigned long.
 */
export function adaptScan(prev: ScanTuning, useful: number): ScanTuning {
  const total = useful < KMMSCAND_IGNORE_SCAN_THR ? 0 : useful;
  const old = prev.scanDelta;
  let period = prev.scanPeriodMs;
  let size = prev.scanSizeBytes;
  if (!old && !total) {
    period = Math.floor(((100 + SCAN_PERIOD_TUNE_PERCENT) * period) / 100);
    size = Math.floor(size / 2 ** SCAN_SIZE_CHANGE_SCALE);
  } else if (old && total) {
    period = Math.floor(((100 - SCAN_PERIOD_TUNE_PERCENT) * period) / 100);
    size = size * 2 ** SCAN_SIZE_CHANGE_SCALE;
  } else if (old && !total) {
    period = period * 2 ** SCAN_PERIOD_CHANGE_SCALE;
  } else {
    period = Math.floor(period / 2 ** SCAN_PERIOD_CHANGE_SCALE);
    size = KMMSCAND_SCAN_SIZE_MAX;
  }
  return {
    scanPeriodMs: Math.min(KMMSCAND_SCAN_PERIOD_MAX, Math.max(KMMSCAND_SCAN_PERIOD_MIN, period)),
    scanSizeBytes: Math.min(KMMSCAND_SCAN_SIZE_MAX, Math.max(KMMSCAND_SCAN_SIZE_MIN, size)),
    scanDelta: total,
  };
}

/**
 * The A bits of one VMA walk at `nowNs`, drawn lazily: a PTE whose bits were last cleared at
 * t0 (NaN: never, young since the fault) was set again with the access model's probability for
 * (t0, now]. Pages with the same probability share one geometric countdown, so the PRNG is
 * drawn once per set bit, not once per PTE (exact: each PTE is an independent Bernoulli trial).
 */
class ABitSampler {
  private probability: ((index: number) => number) | undefined;
  private windowT0 = NaN;
  private runP = -1;
  private skip = 0;

  constructor(
    private readonly proc: Process,
    private readonly vma: Vma,
    private readonly nowNs: number,
    private readonly rng: Prng,
  ) {}

  wasYoung(index: number, t0: number): boolean {
    if (Number.isNaN(t0)) return true;
    if (t0 !== this.windowT0) {
      this.probability = accessWindow(this.proc, this.vma, t0, this.nowNs);
      this.windowT0 = t0;
    }
    const p = this.probability!(index);
    if (p !== this.runP) {
      this.runP = p;
      this.skip = geometricFailures(p, this.rng.nextFloat());
    }
    if (this.skip === 0) {
      this.skip = geometricFailures(p, this.rng.nextFloat());
      return true;
    }
    this.skip--;
    return false;
  }
}

/**
 * Failures before the next success in independent Bernoulli(p) trials, from one uniform draw
 * `u` in [0, 1): the geometric law by inversion (Infinity when p = 0).
 */
export function geometricFailures(p: number, u: number): number {
  if (p >= 1) return 0;
  if (p <= 0) return Infinity;
  return Math.floor(Math.log(1 - u) / Math.log1p(-p)) + 0; // + 0: no -0 when u = 0
}
