// Page reclaim (mm/vmscan.c): the anon LRU lists, second-chance aging from the access model's
// Accessed bits (folio_check_references), demotion along migration_path (the 2019 patch) or
// the memory-tier targets (demote_folio_list), swap-out, direct reclaim for the allocator,
// one kswapd per node with memory (kswapd / balance_pgdat / wakeup_kswapd), and the page-level
// actions DAMOS applies (reclaim_pages, folio_mark_accessed / deactivate).
//
// The LRU is modelled lazily (DESIGN.md §11): the frames' PG_LRU/PG_ACTIVE/PG_REFERENCED flags
// say which list a page is on, and a clock hand over the node's frames stands for the lists'
// order. Each reclaim batch examines up to SWAP_CLUSTER_MAX inactive pages at the hand; a
// page's Accessed bit is "was it accessed since the hand last passed it" (the access model's
// accessedBetween), the time of the previous pass being kept per batch. Cost is per page the
// scanner examines, never per access. A swapped page comes back at its next access (swap_in.ts).
import createDebug from 'debug';
import { costNs } from '../config/machine.js';
import type { Kernel } from '../kernel.js';
import type { Process } from '../sched/process.js';
import { uncharge } from '../sched/tasks.js';
import type { TimerHandle } from '../time/clock.js';
import { accessedBetween } from '../workload/access_model.js';
import { anonLru, PG_ACTIVE, PG_LRU, PG_REFERENCED } from './frames.js';
import type { MemoryBlock } from './memblock.js';
import { memoryTiers } from './memory_tiers.js';
import { NO_PFN, type Vma } from './mm.js';
import { SWAP_CLUSTER_MAX, ZONE_MOVABLE, zoneIdxOfBlock } from './mmzone.js';
import { noteSwappedOut } from './swap_in.js';
import { MAX_RECLAIM_RETRIES } from './page_alloc.js';

const trace = createDebug('tiersim:vmscan');

/** Frames the hand may pass in one batch without finding LRU pages (keeps a batch's work bounded). */
const SKIP_LIMIT = 1 << 16;
/** kswapd's work between two clock events (several 32-page batches). */
const KSWAPD_SLICE_NS = 100_000;
/** kswapd_try_to_sleep's short nap, HZ/10. */
const KSWAPD_NAP_NS = 100_000_000;
/** Fixed pids of the kswapd threads (kthreadd's children are numbered long before user tasks). */
export const KSWAPD_PID_BASE = 80;

export type Reclaimer = 'kswapd' | 'direct';

// ---------------------------------------------------------------------------------------------
// Page-level actions (DAMOS, and reclaim's own putback).

/** Move one mapped page between the anon LRU lists. */
function setPageActive(k: Kernel, block: MemoryBlock, flags: Uint8Array, off: number, active: boolean): void {
  const old = flags[off]!;
  if (Boolean(old & PG_ACTIVE) === active) return;
  flags[off] = active ? old | PG_ACTIVE : old & ~PG_ACTIVE;
  const zone = zoneIdxOfBlock(block);
  k.vm.modLru(block.nid, zone, anonLru(old), -1);
  k.vm.modLru(block.nid, zone, anonLru(flags[off]!), 1);
}

/** Set or clear PG_active on the mapped pages [i0, i1) of `vma`; returns pages changed. */
export function setActive(k: Kernel, vma: Vma, i0: number, i1: number, active: boolean): number {
  const frames = k.alloc.frames;
  let changed = 0;
  for (let i = Math.max(0, i0); i < Math.min(i1, vma.nrPages); i++) {
    const pfn = vma.pt[i]!;
    if (pfn === NO_PFN) continue;
    const f = frames.peek(pfn)!;
    const off = pfn - f.block.startPfn;
    if (Boolean(f.flags[off]! & PG_ACTIVE) === active) continue;
    setPageActive(k, f.block, f.flags, off, active);
    changed++;
  }
  return changed;
}

/**
 * Write anon pages to swap and free their frames (shrink_folio_list's add_to_swap + pageout,
 * then __remove_mapping): each takes a swap slot; a page that gets none (swap full) is activated
 * instead (activate_locked). With `callerCpu`, the unmaps' TLB shootdown is charged to it.
 * @returns pages swapped out and the caller's ns
 */
export function swapOutPfns(k: Kernel, pfns: readonly number[], callerCpu?: number): { swapped: number; ns: number } {
  const frames = k.alloc.frames;
  const freed: number[] = [];
  const owners = new Set<Process>();
  for (const pfn of pfns) {
    const proc = k.tasks.processOfMm(frames.ownerOf(pfn));
    const vpn = frames.vpnOf(pfn);
    const vma = proc?.mm.findVma(vpn);
    if (!proc || !vma) continue;
    if (k.swap.allocate(proc.mm.id, 1) === 0) {
      const f = frames.peek(pfn)!;
      if (!(f.flags[pfn - f.block.startPfn]! & PG_ACTIVE)) k.vm.countEvent('pgactivate');
      setPageActive(k, f.block, f.flags, pfn - f.block.startPfn, true);
      continue;
    }
    k.vm.modNode(frames.blockOf(pfn)!.nid, 'nr_vmscan_write', 1);
    freed.push(pfn);
    proc.mm.unmap(vma, vma.indexOf(vpn));
    noteSwappedOut(k, proc, vma, vma.indexOf(vpn));
    owners.add(proc);
  }
  if (freed.length === 0) return { swapped: 0, ns: 0 };
  uncharge(k, freed);
  k.alloc.freeUserFrames(freed);
  k.vm.countEvent('pswpout', freed.length);
  k.vm.countEvent('pgpgout', freed.length * 4); // KiB: 8 sectors per page, printed halved
  let ns = 0;
  if (callerCpu !== undefined) {
    // try_to_unmap per page (an rmap walk), add_to_swap + bio submission, one flush per batch.
    ns += freed.length * (costNs(k.config, 'rmapWalk') + costNs(k.config, 'migrateIsolateAlloc'));
    ns += k.migrator.shootdown([...owners], callerCpu);
  } else {
    for (const p of owners) p.reschedule();
  }
  return { swapped: freed.length, ns };
}

/**
 * reclaim_pages() (DAMOS pageout): swap out the mapped pages [i0, i1) of `vma` for which
 * `keep` is false, references ignored and without demotion (sc.no_demotion).
 * @returns pages reclaimed
 */
export function reclaimPages(k: Kernel, proc: Process, vma: Vma, i0: number, i1: number, keep: (i: number) => boolean = () => false): number {
  const pfns: number[] = [];
  for (let i = Math.max(0, i0); i < Math.min(i1, vma.nrPages); i++) {
    if (vma.pt[i] !== NO_PFN && !keep(i)) pfns.push(vma.pt[i]!);
  }
  return pfns.length === 0 ? 0 : swapOutPfns(k, pfns).swapped;
}

// ---------------------------------------------------------------------------------------------
// The LRU scanner.

/** A node's LRU order: a clock hand over its frames, with the time each stretch was last passed. */
class NodeLru {
  /** Hand: block ordinal in `blocks` and frame offset. */
  bi = 0;
  off = 0;
  /** Checkpoints of this pass and the previous one: [position, ns] pairs, positions rising. */
  private cur: number[] = [];
  private prev: number[] = [];

  constructor(
    readonly nid: number,
    readonly blocks: readonly MemoryBlock[],
    private readonly pagesPerBlock: number,
  ) {}

  get pos(): number {
    return this.bi * this.pagesPerBlock + this.off;
  }

  /** A batch starts at the hand now. */
  mark(nowNs: number): void {
    const n = this.cur.length;
    if (n > 0 && this.cur[n - 2] === this.pos) this.cur[n - 1] = nowNs;
    else this.cur.push(this.pos, nowNs);
  }

  /** The hand went round: this pass becomes the previous one. */
  wrap(nowNs: number): void {
    this.prev = this.cur;
    this.cur = [];
    this.bi = 0;
    this.off = 0;
    this.mark(nowNs);
  }

  /** When the hand last passed position `pos` before this pass, or undefined (never). */
  lastPassed(pos: number): number | undefined {
    const c = this.prev;
    let lo = 0;
    let hi = c.length / 2 - 1;
    if (hi < 0 || c[0]! > pos) return undefined;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (c[2 * mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return c[2 * lo + 1];
  }
}

/** What one reclaim batch did. */
export interface BatchResult {
  /** Inactive pages examined (pgscan). */
  scanned: number;
  /** Active pages deactivated (pgrefill / pgdeactivate). */
  deactivated: number;
  demoted: number;
  swapped: number;
  /** Frames the hand moved over. */
  passed: number;
  /** The reclaimer's CPU time. */
  ns: number;
}

/** inactive_is_low(): the inactive anon list is short of inactive_ratio × active. */
function inactiveIsLow(k: Kernel, nid: number): boolean {
  const inactive = k.vm.node(nid, 'nr_inactive_anon');
  const active = k.vm.node(nid, 'nr_active_anon');
  const gb = Math.floor((inactive + active) / 262144);
  const ratio = gb > 0 ? Math.floor(Math.sqrt(10 * gb)) : 1;
  return inactive * ratio < active;
}

export class Reclaim {
  private readonly lrus = new Map<number, NodeLru>();

  constructor(private readonly k: Kernel) {}

  private lru(nid: number): NodeLru {
    let l = this.lrus.get(nid);
    if (!l) {
      const blocks = [...this.k.alloc.blocksOf(nid)].sort((a, b) => a.index - b.index);
      l = new NodeLru(nid, blocks, this.k.alloc.frames.pagesPerBlock);
      this.lrus.set(nid, l);
    }
    return l;
  }

  /**
   * Where `nid` demotes to, if anywhere: its migration_path when set (the 2019 opt-in, which
   * overrides the tiers; that node only), else, with demotion_enabled, a random preferred node
   * of the next lower tier (next_demotion_node) and the lower tiers as fallback.
   */
  demotionTarget(nid: number): { target: number; allowed: readonly number[] } | undefined {
    const path = this.k.numa.getMigrationPath(nid);
    if (path >= 0 && this.k.numa.isOnline(path) && this.k.numa.hasMemory(path)) return { target: path, allowed: [path] };
    const tiers = memoryTiers(this.k);
    if (!tiers.demotionEnabled) return undefined;
    const t = tiers.demotionTargets(nid);
    if (!t || t.preferred.length === 0) return undefined;
    const target = t.preferred.length === 1 ? t.preferred[0]! : t.preferred[this.k.rng.nextU32() % t.preferred.length]!;
    return { target, allowed: t.allowed };
  }

  /** can_demote(): the node has somewhere to demote to. */
  canDemote(nid: number): boolean {
    const path = this.k.numa.getMigrationPath(nid);
    if (path >= 0 && this.k.numa.isOnline(path) && this.k.numa.hasMemory(path)) return true;
    const tiers = memoryTiers(this.k);
    return tiers.demotionEnabled && (tiers.demotionTargets(nid)?.preferred.length ?? 0) > 0;
  }

  /**
   * Could reclaim on `nid` free anything? can_reclaim_anon_pages() (swap space left or a
   * demotion target) and anon pages on the node's LRU; otherwise get_scan_count scans no anon.
   */
  canReclaim(nid: number): boolean {
    const lru = this.k.vm.node(nid, 'nr_inactive_anon') + this.k.vm.node(nid, 'nr_active_anon');
    return lru > 0 && (this.k.swap.freePages > 0 || this.canDemote(nid));
  }

  /**
   * One shrink_node step on `nid`: deactivate active pages while the inactive list is low,
   * examine up to SWAP_CLUSTER_MAX inactive pages at the hand (folio_check_references), demote
   * the cold ones (demote_folio_list, batched migrate_pages) or swap them, failures falling back
   * to swap. Counted as `who` (pgscan_/pgsteal_/pgdemote_kswapd or _direct), charged to `cpu`.
   */
  shrinkBatch(nid: number, who: Reclaimer, cpu: number): BatchResult {
    const k = this.k;
    const now = k.clock.nowNs;
    const frames = k.alloc.frames;
    const lru = this.lru(nid);
    const r: BatchResult = { scanned: 0, deactivated: 0, demoted: 0, swapped: 0, passed: 0, ns: 0 };
    if (lru.blocks.length === 0) return r;
    const rmapNs = costNs(k.config, 'rmapWalk');
    const deactivate = inactiveIsLow(k, nid);
    const candidates: number[] = [];
    lru.mark(now);
    while (r.scanned < SWAP_CLUSTER_MAX && r.passed < SKIP_LIMIT) {
      if (lru.bi >= lru.blocks.length) lru.wrap(now);
      const block = lru.blocks[lru.bi]!;
      const f = block.online ? frames.peek(block.startPfn) : undefined;
      if (!f || lru.off >= block.nrPages) {
        r.passed += block.nrPages - Math.min(lru.off, block.nrPages);
        lru.bi++;
        lru.off = 0;
        continue;
      }
      const off = lru.off++;
      r.passed++;
      const flags = f.flags[off]!;
      if ((flags & PG_LRU) === 0) continue;
      if (flags & PG_ACTIVE) {
        // shrink_active_list: anon pages are deactivated whatever their A bit (it is cleared).
        if (deactivate && r.deactivated < SWAP_CLUSTER_MAX) {
          setPageActive(k, block, f.flags, off, false);
          r.deactivated++;
          r.ns += rmapNs;
        }
        continue;
      }
      r.scanned++;
      r.ns += rmapNs; // folio_referenced: an rmap walk testing and clearing the A bits
      const pfn = block.startPfn + off;
      const proc = k.tasks.processOfMm(f.owner[off]!);
      const vpn = f.vpn[off]!;
      const vma = proc?.mm.findVma(vpn);
      if (!proc || !vma) continue;
      const t0 = lru.lastPassed(lru.bi * frames.pagesPerBlock + off);
      // A page faulted in since the hand last passed carries the A bit of its first access.
      const young = t0 === undefined || proc.startNs > t0 || accessedBetween(proc, vma, vpn - vma.startVpn, t0, now, k.rng);
      const wasReferenced = (flags & PG_REFERENCED) !== 0;
      f.flags[off] = flags & ~PG_REFERENCED;
      if (young) {
        f.flags[off]! |= PG_REFERENCED;
        if (wasReferenced) {
          setPageActive(k, block, f.flags, off, true); // FOLIOREF_ACTIVATE
          k.vm.countEvent('pgactivate');
        }
        continue; // FOLIOREF_KEEP: rotate
      }
      candidates.push(pfn); // FOLIOREF_RECLAIM
    }
    k.vm.countEvent(`pgscan_${who}`, r.scanned);
    k.vm.countEvent('pgscan_anon', r.scanned);
    if (r.deactivated > 0) {
      k.vm.countEvent('pgrefill', r.deactivated);
      k.vm.countEvent('pgdeactivate', r.deactivated);
    }
    let rest = candidates;
    if (candidates.length > 0) {
      const dest = this.demotionTarget(nid);
      if (dest) {
        const cpuNid = k.numa.cpuNode(cpu) ?? nid;
        const order = [dest.target, ...dest.allowed.filter((n) => n !== dest.target).sort((a, b) => k.numa.distance(dest.target, a) - k.numa.distance(dest.target, b) || a - b)];
        // alloc_demote_folio: the target node first (__GFP_THISNODE, waking its kswapd), then the
        // allowed lower-tier nodes; GFP_NOWAIT, so never direct reclaim.
        const allocTarget = () => {
          for (const n of order) {
            const pfn = k.alloc.allocMigrationTarget(n, cpuNid);
            if (pfn >= 0) return pfn;
          }
          return -1;
        };
        const m = k.migrator.folios.migrateFolios(candidates, allocTarget, cpu);
        r.demoted = m.moved;
        r.ns += m.ns;
        rest = m.failed;
        if (m.moved > 0) k.vm.modNode(nid, `pgdemote_${who}`, m.moved);
      }
      if (rest.length > 0) {
        if (k.swap.freePages > 0) {
          const s = swapOutPfns(k, rest, cpu);
          r.swapped = s.swapped;
          r.ns += s.ns;
        } else {
          // Nowhere to put them (no swap, demotion failed): back on the list, activated.
          for (const pfn of rest) {
            const f = frames.peek(pfn)!;
            setPageActive(k, f.block, f.flags, pfn - f.block.startPfn, true);
          }
          k.vm.countEvent('pgactivate', rest.length);
        }
      }
    }
    const reclaimed = r.demoted + r.swapped;
    if (reclaimed > 0) {
      k.vm.countEvent(`pgsteal_${who}`, reclaimed);
      k.vm.countEvent('pgsteal_anon', reclaimed);
      this.k.kswapd.resetFailures(nid); // shrink_node: reclaimable progress
    }
    return r;
  }

  /**
   * try_to_free_pages() for the allocator: reclaim about `nrPages` (at least SWAP_CLUSTER_MAX)
   * from the zonelist's nodes in order, in the allocating task, until enough or a node has been
   * scanned round without progress.
   */
  directReclaim(nids: readonly number[], nrPages: number): { reclaimed: number; ns: number } {
    const want = Math.max(SWAP_CLUSTER_MAX, Math.ceil(nrPages / SWAP_CLUSTER_MAX) * SWAP_CLUSTER_MAX);
    const cpu = this.k.numa.cpusOf(nids[0]!)[0] ?? 0;
    let reclaimed = 0;
    let ns = 0;
    for (const nid of nids) {
      let idle = 0;
      const limit = this.noProgressLimit(nid);
      while (reclaimed < want && idle <= limit && this.canReclaim(nid)) {
        const r = this.shrinkBatch(nid, 'direct', cpu);
        ns += r.ns;
        const got = r.demoted + r.swapped;
        reclaimed += got;
        idle = got > 0 ? 0 : idle + r.passed;
        if (r.passed === 0) break;
      }
      if (reclaimed >= want) break;
    }
    trace('direct reclaim on %s: %d of %d pages, %d ns', nids.join(','), reclaimed, want, ns);
    return { reclaimed, ns };
  }

  /** Frames a reclaimer may pass without reclaiming before it gives up on the node (two passes). */
  noProgressLimit(nid: number): number {
    let frames = 0;
    for (const b of this.k.alloc.blocksOf(nid)) if (b.online) frames += b.nrPages;
    return 2 * frames + SWAP_CLUSTER_MAX;
  }
}

// ---------------------------------------------------------------------------------------------
// kswapd.

export type KswapdState = 'sleeping' | 'running' | 'napping';

/** Per-node kswapd state (pgdat->kswapd_*) and its thread. */
export interface KswapdNode {
  readonly nid: number;
  readonly pid: number;
  /** The CPU it runs on: the node's last CPU, or the machine's last for a CPU-less node. */
  readonly cpu: number;
  state: KswapdState;
  /** wakeup_kswapd() calls that found the node unbalanced and woke the thread. */
  wakeups: number;
  /** kswapd_failures: balance_pgdat runs that reclaimed nothing, reset by any progress. */
  failures: number;
  /** CPU time of the thread (simulated ns), never charged to a workload. */
  runtimeNs: number;
  /** kswapd_highest_zoneidx: the highest zone wakeups asked for since the run began (-1: none). */
  pendingZoneIdx: number;
  /** The highest zone the current run balances (read from the pending request at its start). */
  highestZoneIdx: number;
  /** Pages demoted and swapped by this kswapd. */
  demoted: number;
  swapped: number;
  timer: TimerHandle | undefined;
  runReclaimed: number;
  runIdle: number;
  /** Frames this run may pass without reclaiming before it gives up. */
  idleLimit: number;
}

/**
 * kswapd, one per node with memory (mm/vmscan.c kswapd / wakeup_kswapd / balance_pgdat /
 * kswapd_try_to_sleep), as a chain of clock events: each event one shrinkBatch, the next after
 * the batch's CPU time. It reclaims until pgdat_balanced (every request's zones up to its
 * highest zone: some zone above high, or WMARK_PROMO while NUMA balancing's memory-tiering bit is
 * set), naps HZ/10, and sleeps. wakeup() is what the allocator's slow path (wake_all_kswapds) and
 * NUMA balancing's promotion path (a destination that is not migrate_balanced) call.
 */
export class Kswapd {
  private readonly nodes = new Map<number, KswapdNode>();

  constructor(private readonly k: Kernel) {
    const lastCpu = k.numa.nrCpuIds - 1;
    k.config.nodes.forEach((n, i) => {
      const cpus = k.numa.cpusOf(n.id);
      this.nodes.set(n.id, {
        nid: n.id,
        pid: KSWAPD_PID_BASE + i,
        cpu: cpus.length > 0 ? cpus[cpus.length - 1]! : lastCpu,
        state: 'sleeping',
        wakeups: 0,
        failures: 0,
        runtimeNs: 0,
        pendingZoneIdx: -1,
        highestZoneIdx: ZONE_MOVABLE,
        demoted: 0,
        swapped: 0,
        timer: undefined,
        runReclaimed: 0,
        runIdle: 0,
        idleLimit: 0,
      });
    });
    // Enabling demotion resets every node's failure count, so hopeless nodes try again.
    memoryTiers(k).onEnable = () => {
      for (const n of this.nodes.values()) n.failures = 0;
    };
  }

  /** The node's kswapd, if the node exists. */
  node(nid: number): KswapdNode | undefined {
    return this.nodes.get(nid);
  }

  /** Every kswapd, by node. */
  threads(): KswapdNode[] {
    return [...this.nodes.values()];
  }

  /** Is the node's kswapd running (between a wakeup and going back to sleep)? */
  isAwake(nid: number): boolean {
    return this.nodes.get(nid)?.state === 'running';
  }

  /** node_unreclaimable in /proc/zoneinfo: kswapd_failures >= MAX_RECLAIM_RETRIES. */
  nodeUnreclaimable(nid: number): boolean {
    return (this.nodes.get(nid)?.failures ?? 0) >= MAX_RECLAIM_RETRIES;
  }

  /** Reclaim made progress on the node. */
  resetFailures(nid: number): void {
    const n = this.nodes.get(nid);
    if (n) n.failures = 0;
  }

  /**
   * pgdat_balanced(): some managed zone up to `highestZoneIdx` is above its high watermark
   * (WMARK_PROMO when NUMA balancing's memory-tiering bit is set, as mainline checks it) plus
   * its reserve for that zone; a node without such a zone needs no balancing.
   */
  balanced(nid: number, highestZoneIdx: number = ZONE_MOVABLE): boolean {
    const mark = this.k.numaBalancing.tieringEnabled ? 'promo' : 'high';
    let managed = false;
    for (const z of this.k.alloc.zones(nid)) {
      if (z.idx > highestZoneIdx || !z.managed) continue;
      managed = true;
      if (z.watermarkOk(z.wmark(mark), highestZoneIdx)) return true;
    }
    return !managed;
  }

  /** wakeup_kswapd(zone, gfp, order=0, highest_zoneidx). */
  wakeup(nid: number, highestZoneIdx: number = ZONE_MOVABLE): void {
    const n = this.nodes.get(nid);
    if (!n || !this.k.numa.hasMemory(nid)) return;
    n.pendingZoneIdx = Math.max(n.pendingZoneIdx, highestZoneIdx);
    if (n.state === 'running') return; // !waitqueue_active: it is already at work
    // A hopeless node is left to direct reclaim; a balanced one has nothing to do.
    if (n.failures >= MAX_RECLAIM_RETRIES || this.balanced(nid, highestZoneIdx)) return;
    n.wakeups++;
    if (n.state === 'napping') {
      this.k.vm.countEvent('kswapd_low_wmark_hit_quickly'); // woken during the short nap
      n.timer?.cancel();
    }
    trace('wakeup kswapd%d (highest zone %d)', nid, highestZoneIdx);
    this.startRun(n);
  }

  /** balance_pgdat() starts, `delayNs` from now. */
  private startRun(n: KswapdNode, delayNs = 0): void {
    n.state = 'running';
    // kswapd reads and resets kswapd_highest_zoneidx; with none pending it keeps the last one.
    if (n.pendingZoneIdx >= 0) n.highestZoneIdx = n.pendingZoneIdx;
    n.pendingZoneIdx = -1;
    n.runReclaimed = 0;
    n.runIdle = 0;
    n.idleLimit = this.k.reclaim.noProgressLimit(n.nid);
    n.timer = this.k.clock.after(delayNs, () => {
      this.k.vm.countEvent('pageoutrun'); // balance_pgdat() runs once the thread is scheduled
      this.step(n);
    });
  }

  /**
   * Batches of balance_pgdat for about KSWAPD_SLICE_NS of the thread's CPU time, then the next
   * slice after that time (one clock event per slice, not per batch: a batch examines 32 pages).
   */
  private step(n: KswapdNode): void {
    const reclaim = this.k.reclaim;
    let ns = 0;
    while (ns < KSWAPD_SLICE_NS) {
      if (this.balanced(n.nid, n.highestZoneIdx) || !reclaim.canReclaim(n.nid) || n.runIdle > n.idleLimit) {
        n.runtimeNs += ns;
        this.endRun(n, ns);
        return;
      }
      const r = reclaim.shrinkBatch(n.nid, 'kswapd', n.cpu);
      ns += r.ns;
      n.demoted += r.demoted;
      n.swapped += r.swapped;
      const got = r.demoted + r.swapped;
      n.runReclaimed += got;
      n.runIdle = got > 0 ? 0 : n.runIdle + r.passed;
      if (r.passed === 0) {
        n.runtimeNs += ns;
        this.endRun(n, ns);
        return;
      }
    }
    n.runtimeNs += ns;
    n.timer = this.k.clock.after(Math.max(1, Math.round(ns)), () => this.step(n));
  }

  /** balance_pgdat() returns (after `busyNs` more of work); kswapd_try_to_sleep(). */
  private endRun(n: KswapdNode, busyNs: number): void {
    if (n.runReclaimed === 0) n.failures++;
    trace('kswapd%d run ends: %d reclaimed, failures %d, runtime %d ns', n.nid, n.runReclaimed, n.failures, n.runtimeNs);
    if (this.canSleep(n)) {
      n.state = 'napping';
      n.timer = this.k.clock.after(busyNs + KSWAPD_NAP_NS, () => {
        if (this.canSleep(n)) {
          n.state = 'sleeping';
          n.timer = undefined;
        } else {
          this.k.vm.countEvent('kswapd_high_wmark_hit_quickly'); // unbalanced again after the nap
          this.startRun(n);
        }
      });
    } else {
      this.k.vm.countEvent('kswapd_high_wmark_hit_quickly');
      this.startRun(n, busyNs);
    }
  }

  /** prepare_kswapd_sleep(): balanced, or hopeless. */
  private canSleep(n: KswapdNode): boolean {
    return n.failures >= MAX_RECLAIM_RETRIES || this.balanced(n.nid, n.highestZoneIdx);
  }
}
