// What paddr and vaddr share (mm/damon/ops-common.c): the page as DAMOS ops filters see it
// (damos_folio_filter_match's inputs) and damon_migrate_pages.
import createDebug from 'debug';
import { PAGE_SIZE } from '../../config/machine.js';
import type { Kernel } from '../../kernel.js';
import type { Process } from '../../sched/process.js';
import { accessStretches, type AccessStretches } from '../../workload/access_model.js';
import { NO_OWNER, PG_ACTIVE, type BlockFrames } from '../frames.js';
import { NO_PFN, type Vma } from '../mm.js';
import type { DamonCtx } from './core.js';
import { pageFilterMatch, ROOT_MEMCG_ID, type DamosFilter, type DamosFilterLists, type PageProps } from './filters.js';

const trace = createDebug('tiersim:damon:migrate');

/** damon_migrate_pages: move `pfns` to `targetNid` (none when it is no node with memory). */
export function migratePfns(k: Kernel, ctx: DamonCtx, pfns: readonly number[], targetNid: number): number {
  if (pfns.length === 0 || targetNid < 0 || targetNid >= k.config.nodes.length || k.alloc.managedPages(targetNid) === 0) return 0;
  const m = k.migrator.folios.migrateFolios(pfns, () => k.alloc.allocMigrationTarget(targetNid, targetNid), 0);
  ctx.charge(m.ns);
  trace('migrate to node %d: %d of %d pages', targetNid, m.moved, pfns.length);
  return m.moved * PAGE_SIZE;
}

/** A run of user pages: indices [i0, i0 + n) of `vma` in `proc`, all mapped, all with PG_active = `active`. */
export type RunFn = (proc: Process, vma: Vma, i0: number, n: number, active: boolean) => void;

/** The verdict of the ops filters for a page whose young check answered `young` (or was not reached). */
interface Verdict {
  rejected: boolean;
  /** Young checks made (each an rmap walk or a PTE read the kdamond pays). */
  checks: number;
}

/**
 * The ops filters of one apply judged in bulk (damos_pa_filter_out / damos_va_filter_out for
 * every folio of a region): every simulated user page is an anonymous, mapped, base-size page of
 * the root memcg, so within a run of pages sharing a VMA and PG_active the filters before the
 * first young filter decide the same for every page, and what follows it depends only on the
 * page's young answer. Young comes from the access model over the last sampling interval (the
 * A bit the previous check left), in stretches of pages with one probability each
 * (accessStretches): each page is young independently with that probability, as per page, but
 * only the pages of the rarer answer are drawn (geometric gaps). A young check that finds the
 * page young makes it old (damos_folio_filter_match: damon_folio_mkold), so a later young
 * filter in the same pass sees it old. The kdamond pays `folioNs` per folio inspected and
 * `youngNs` per young check, as the kernel's walk pays per folio.
 */
export class OpsFilterWalk {
  /** Does a run have to be split by PG_active (an active filter is reached)? */
  readonly needsActive: boolean;
  /** Per PG_active (0, 1): the verdict without asking young, or [young, old] verdicts. */
  private readonly verdicts: Array<Verdict | [Verdict, Verdict]>;
  private readonly young = new Map<Vma, AccessStretches>();
  /** Pages passed so far (sz_filter_passed / PAGE_SIZE). */
  passed = 0;
  /** Folios inspected so far (each charged `folioNs`). */
  inspected = 0;

  constructor(
    private readonly k: Kernel,
    s: DamosFilterLists | undefined,
    /** Appended after the user's ops filters (paddr pageout's temporary reject-young filter). */
    extra: DamosFilter | undefined,
    private readonly sinceNs: number,
    private readonly nowNs: number,
    private readonly charge: (ns: number) => void,
    private readonly folioNs: number,
    private readonly youngNs: number,
  ) {
    const allowed = s?.coreFiltersAllowed ?? false; // core_filters_allowed: the ops stage allows
    const filters = allowed ? [] : [...(s?.opsFilters ?? []), ...(extra ? [extra] : [])];
    const def = allowed ? false : (s?.opsFiltersDefaultReject ?? false);
    this.needsActive = filters.some((f) => f.type === 'active');
    this.verdicts = [false, true].map((active) => {
      const ask = (young: boolean | undefined) => judge(filters, def, active, young);
      return ask(undefined) ?? [ask(true)!, ask(false)!];
    });
  }

  /**
   * Judge pages [i0, i0 + n) of `vma` (mapped, PG_active = `active`), in index order; `pass` gets
   * each maximal subrange [j0, j1) of indices that passed.
   * @returns pages passed
   */
  run(proc: Process, vma: Vma, i0: number, n: number, active: boolean, pass?: (j0: number, j1: number) => void): number {
    const v = this.verdicts[active ? 1 : 0]!;
    this.inspected += n;
    if (!Array.isArray(v)) {
      this.charge(n * this.folioNs);
      if (v.rejected) return 0;
      pass?.(i0, i0 + n);
      this.passed += n;
      return n;
    }
    const [vy, vo] = v;
    let stretches = this.young.get(vma);
    if (!stretches) this.young.set(vma, (stretches = accessStretches(proc, vma, this.sinceNs, this.nowNs)));
    let from = -1;
    let passed = 0;
    let nYoung = 0;
    // Pages [j0, j1) found young (or old): extend or close the passing subrange.
    const mark = (j0: number, j1: number, young: boolean) => {
      if (j1 <= j0) return;
      if (young) nYoung += j1 - j0;
      if (!(young ? vy : vo).rejected) {
        if (from < 0) from = j0;
        passed += j1 - j0;
      } else if (from >= 0) {
        pass?.(from, j0);
        from = -1;
      }
    };
    const rng = this.k.rng;
    stretches(i0, i0 + n, (j0, j1, prob) => {
      if (prob <= 0 || prob >= 1) return mark(j0, j1, prob >= 1);
      // Each page is young with chance `prob`, independently: draw only the pages of the rarer
      // kind, each after a geometric gap (P(gap ≥ g) = (1 − q)^g), so a stretch costs a draw
      // per rare page rather than one per page.
      const rareYoung = prob <= 0.5;
      const logq = Math.log1p(-(rareYoung ? prob : 1 - prob));
      for (let i = j0; i < j1; ) {
        const gap = Math.floor(Math.log1p(-rng.nextFloat()) / logq);
        if (!(gap < j1 - i)) {
          mark(i, j1, !rareYoung);
          break;
        }
        mark(i, i + gap, !rareYoung);
        mark(i + gap, i + gap + 1, rareYoung);
        i += gap + 1;
      }
    });
    if (from >= 0) pass?.(from, i0 + n);
    this.charge(n * this.folioNs + (nYoung * vy.checks + (n - nYoung) * vo.checks) * this.youngNs);
    this.passed += passed;
    return passed;
  }
}

/** The page the ops filters judge when young is not asked: PageProps of every simulated user page. */
const USER_PAGE = { anon: true, memcgId: ROOT_MEMCG_ID, folioSize: PAGE_SIZE, unmapped: false };

/**
 * opsFilterOut for a user page with PG_active `active` whose first young check answers `young`
 * (later ones: old, the first mkold'ed it); undefined when a young filter is reached and `young`
 * is not given.
 */
function judge(filters: readonly DamosFilter[], def: boolean, active: boolean, young: boolean | undefined): Verdict | undefined {
  let y = young;
  let checks = 0;
  const page: PageProps = { ...USER_PAGE, active, young: () => y! };
  for (const f of filters) {
    if (f.type === 'young') {
      if (y === undefined) return undefined;
      checks++;
    }
    const matched = pageFilterMatch(f, page);
    if (f.type === 'young') y = false; // damon_folio_mkold of a young folio: old from now on
    if (matched) return { rejected: !f.allow, checks };
  }
  return { rejected: def, checks };
}

/**
 * Call `fn` for each run of user (LRU) pages in physical [start, end), in address order
 * (damon_get_folio finds only those): consecutive frames of one block owned by one process,
 * mapped at consecutive pages of one VMA, with the same PG_active when `splitActive`. Blocks
 * whose frames were never materialized hold none and are skipped whole, so a walk over an
 * untouched node costs nothing. A block's owner runs are cached until its reverse map changes
 * (`BlockFrames.gen`), so a walk over memory whose mappings did not move costs a lookup of the
 * owner and VMA per run (plus a scan of PG_active when `splitActive`); otherwise the frame
 * arrays are scanned. Frames whose owner or VMA is gone are skipped, as rmap finds none.
 */
export function forEachUserRun(k: Kernel, start: number, end: number, splitActive: boolean, fn: RunFn): void {
  const frames = k.alloc.frames;
  const per = frames.pagesPerBlock;
  const last = Math.ceil(end / PAGE_SIZE);
  let lastOwner = NO_OWNER;
  let proc: Process | undefined;
  let vma: Vma | undefined;
  // Frames [a, b) of a block, owned by `ow`, mapped at consecutive pages from `v`: split at VMA
  // ends (and PG_active changes) into runs.
  const segment = (flags: Uint8Array, a: number, b: number, ow: number, v: number) => {
    if (ow !== lastOwner) {
      lastOwner = ow;
      proc = k.tasks.processOfMm(ow);
      vma = undefined;
    }
    const p = proc;
    if (!p) return;
    while (a < b) {
      let index = vma ? vma.indexOf(v) : -1;
      if (index < 0) {
        vma = p.mm.findVma(v);
        index = vma ? vma.indexOf(v) : -1;
      }
      const m = vma && index >= 0 ? Math.min(b - a, vma.nrPages - index) : 0;
      if (m === 0) {
        a++;
        v++;
        continue;
      }
      for (const runEnd = a + m; a < runEnd; ) {
        const n = splitActive ? activeRunLength(flags, a, runEnd - a) : runEnd - a;
        fn(p, vma!, index, n, (flags[a]! & PG_ACTIVE) !== 0);
        a += n;
        v += n;
        index += n;
      }
    }
  };
  for (let pfn = Math.floor(start / PAGE_SIZE); pfn < last; ) {
    const blockEnd = Math.min(last, (Math.floor(pfn / per) + 1) * per);
    const f = frames.peek(pfn);
    if (f) {
      const base = f.block.startPfn;
      const o0 = pfn - base;
      const oEnd = blockEnd - base;
      // A walk over a small part of a block scans it rather than (re)building the block's runs.
      const runs = (oEnd - o0) * CACHE_MIN_SHARE >= f.block.nrPages ? blockRuns(f) : undefined;
      if (runs) {
        for (let r = firstRunEndingAfter(runs, o0); r < runs.count && runs.start[r]! < oEnd; r++) {
          const s0 = runs.start[r]!;
          const a = Math.max(o0, s0);
          segment(f.flags, a, Math.min(oEnd, s0 + runs.len[r]!), runs.owner[r]!, runs.vpn[r]! + (a - s0));
        }
      } else {
        const { owner, vpn, flags } = f;
        for (let o = skipFree(owner, o0, oEnd); o < oEnd; ) {
          const n = ownerRunLength(owner, vpn, o, oEnd - o);
          segment(flags, o, o + n, owner[o]!, vpn[o]!);
          o = skipFree(owner, o + n, oEnd);
        }
      }
    }
    pfn = blockEnd;
  }
}

/** A block's runs of frames with one owner at consecutive virtual pages, as of `gen`. */
interface BlockRuns {
  gen: number;
  count: number;
  start: Int32Array;
  len: Int32Array;
  owner: Int32Array;
  vpn: Float64Array;
}

/** Walks covering at least 1/CACHE_MIN_SHARE of a block use (and build) its cached runs. */
const CACHE_MIN_SHARE = 8;
/** Blocks with more runs than nrPages/CACHE_MAX_RUNS_SHARE are not cached (bounded memory). */
const CACHE_MAX_RUNS_SHARE = 64;
/** Cached runs per block, or the gen at which the block was too fragmented to cache. */
const runCache = new WeakMap<BlockFrames, BlockRuns | number>();

/** The block's owner runs for its current reverse map (undefined: too fragmented to cache). */
function blockRuns(f: BlockFrames): BlockRuns | undefined {
  const c = runCache.get(f);
  if (c !== undefined && (typeof c === 'number' ? c : c.gen) === f.gen) return typeof c === 'number' ? undefined : c;
  const n = f.block.nrPages;
  const max = Math.floor(n / CACHE_MAX_RUNS_SHARE);
  const start: number[] = [];
  const len: number[] = [];
  const { owner, vpn } = f;
  for (let o = skipFree(owner, 0, n); o < n; ) {
    if (start.length === max) {
      runCache.set(f, f.gen);
      return undefined;
    }
    const l = ownerRunLength(owner, vpn, o, n - o);
    start.push(o);
    len.push(l);
    o = skipFree(owner, o + l, n);
  }
  const runs: BlockRuns = {
    gen: f.gen,
    count: start.length,
    start: Int32Array.from(start),
    len: Int32Array.from(len),
    owner: Int32Array.from(start, (o) => owner[o]!),
    vpn: Float64Array.from(start, (o) => vpn[o]!),
  };
  runCache.set(f, runs);
  return runs;
}

/** Index of the first run that ends after offset `o`. */
function firstRunEndingAfter(runs: BlockRuns, o: number): number {
  let lo = 0;
  let hi = runs.count;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (runs.start[mid]! + runs.len[mid]! > o) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The first frame at or after `o` (before `end`) with an owner. */
function skipFree(owner: Int32Array, o: number, end: number): number {
  while (o < end && owner[o] === NO_OWNER) o++;
  return o;
}

/** How many frames from `o` (at most `max`) are the next pages of the same owner, at consecutive virtual pages. */
function ownerRunLength(owner: Int32Array, vpn: Float64Array, o: number, max: number): number {
  const ow = owner[o]!;
  const d = vpn[o]! - o;
  let i = o + 1;
  const end = o + max;
  while (i < end && owner[i] === ow && vpn[i]! - i === d) i++;
  return i - o;
}

/** Four frames' flags per word, for scanning PG_active four at a time. */
const flagWords = new WeakMap<Uint8Array, Uint32Array>();
const ACTIVE_X4 = PG_ACTIVE * 0x01010101;

/** How many frames from `o` (at most `max`) have the same PG_active as frame `o`. */
function activeRunLength(flags: Uint8Array, o: number, max: number): number {
  const f0 = flags[o]! & PG_ACTIVE;
  const end = o + max;
  let i = o + 1;
  let words = flagWords.get(flags);
  if (!words && flags.byteOffset % 4 === 0) flagWords.set(flags, (words = new Uint32Array(flags.buffer, flags.byteOffset, flags.length >> 2)));
  if (words) {
    for (; i < end && (i & 3) !== 0; i++) if ((flags[i]! & PG_ACTIVE) !== f0) return i - o;
    const same = f0 === 0 ? 0 : ACTIVE_X4;
    while (i + 4 <= end && (words[i >> 2]! & ACTIVE_X4) === same) i += 4;
  }
  while (i < end && (flags[i]! & PG_ACTIVE) === f0) i++;
  return i - o;
}

/**
 * Call `fn` for each run of mapped pages of `vma` in indices [i0, i1) (a page-table walk),
 * split by PG_active when `splitActive`.
 */
export function forEachMappedRun(k: Kernel, proc: Process, vma: Vma, i0: number, i1: number, splitActive: boolean, fn: RunFn): void {
  const pt = vma.pt;
  const frames = k.alloc.frames;
  const activeOf = (pfn: number) => (frames.flagsOf(pfn) & PG_ACTIVE) !== 0;
  for (let i = Math.max(0, i0), end = Math.min(i1, vma.nrPages); i < end; ) {
    if (pt[i] === NO_PFN) {
      i++;
      continue;
    }
    const act = activeOf(pt[i]!);
    let j = i + 1;
    while (j < end && pt[j] !== NO_PFN && (!splitActive || activeOf(pt[j]!) === act)) j++;
    fn(proc, vma, i, j - i, act);
    i = j;
  }
}
