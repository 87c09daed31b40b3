// What paddr and vaddr share (mm/damon/ops-common.c): the page as DAMOS ops filters see it
// (damos_folio_filter_match's inputs) and damon_migrate_pages.
import createDebug from 'debug';
import { PAGE_SIZE } from '../../config/machine.js';
import type { Kernel } from '../../kernel.js';
import type { Process } from '../../sched/process.js';
import { accessedBetween } from '../../workload/access_model.js';
import { NO_OWNER, PG_ACTIVE } from '../frames.js';
import type { Vma } from '../mm.js';
import type { DamonCtx } from './core.js';
import { ROOT_MEMCG_ID, type PageProps } from './filters.js';

const trace = createDebug('tiersim:damon:migrate');

/** damon_migrate_pages: move `pfns` to `targetNid` (none when it is no node with memory). */
export function migratePfns(k: Kernel, ctx: DamonCtx, pfns: readonly number[], targetNid: number): number {
  if (pfns.length === 0 || targetNid < 0 || targetNid >= k.config.nodes.length || k.alloc.managedPages(targetNid) === 0) return 0;
  const m = k.migrator.folios.migrateFolios(pfns, () => k.alloc.allocMigrationTarget(targetNid, targetNid), 0);
  ctx.charge(m.ns);
  trace('migrate to node %d: %d of %d pages', targetNid, m.moved, pfns.length);
  return m.moved * PAGE_SIZE;
}

/**
 * The page as the ops filters see it, one reusable probe per walk (no allocation per page).
 * Every simulated user page is an anonymous, mapped, base-size page charged to the root memcg;
 * `young` asks the access model about [sinceNs, nowNs] (the last sampling interval: the A bit
 * the previous check left), only when a young filter is reached.
 */
export class PageProbe implements PageProps {
  readonly anon = true;
  readonly memcgId = ROOT_MEMCG_ID;
  readonly folioSize = PAGE_SIZE;
  readonly unmapped = false;
  active = false;
  private proc!: Process;
  private vma!: Vma;
  private index = 0;

  constructor(
    private readonly k: Kernel,
    private readonly sinceNs: number,
    private readonly nowNs: number,
    /** The kdamond pays for each young check: `youngNs` (an rmap walk for paddr, a PTE read for vaddr). */
    private readonly ctx?: DamonCtx,
    private readonly youngNs = 0,
  ) {}

  /** Point the probe at page `index` of `vma` in `proc`, mapped at `pfn`. */
  at(proc: Process, vma: Vma, index: number, pfn: number): this {
    this.proc = proc;
    this.vma = vma;
    this.index = index;
    this.active = (this.k.alloc.frames.flagsOf(pfn) & PG_ACTIVE) !== 0;
    return this;
  }

  young(): boolean {
    this.ctx?.charge(this.youngNs);
    return accessedBetween(this.proc, this.vma, this.index, this.sinceNs, this.nowNs, this.k.rng);
  }
}

/**
 * Call `fn` for each user (LRU) page in [start, end), in address order: damon_get_folio finds
 * only those. Blocks whose frames were never materialized hold none and are skipped whole, so
 * a walk over an untouched node costs nothing.
 */
export function forEachUserPfn(k: Kernel, start: number, end: number, fn: (pfn: number) => void): void {
  const frames = k.alloc.frames;
  const per = frames.pagesPerBlock;
  const last = Math.ceil(end / PAGE_SIZE);
  for (let pfn = Math.floor(start / PAGE_SIZE); pfn < last; ) {
    const blockEnd = Math.min(last, (Math.floor(pfn / per) + 1) * per);
    const f = frames.peek(pfn);
    if (f) {
      const base = f.block.startPfn;
      for (; pfn < blockEnd; pfn++) if (f.owner[pfn - base] !== NO_OWNER) fn(pfn);
    }
    pfn = blockEnd;
  }
}
