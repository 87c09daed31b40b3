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
 * The page as the ops filters see it. Every simulated user page is an anonymous, mapped,
 * base-size page charged to the root memcg; young asks the access model about the last
 * sampling interval (the A bit the previous check left).
 */
export function pageProps(k: Kernel, m: { proc: Process; vma: Vma; index: number; pfn: number }, sinceNs: number, nowNs: number): PageProps {
  return {
    anon: true,
    active: (k.alloc.frames.flagsOf(m.pfn) & PG_ACTIVE) !== 0,
    memcgId: ROOT_MEMCG_ID,
    folioSize: PAGE_SIZE,
    unmapped: false,
    young: () => accessedBetween(m.proc, m.vma, m.index, sinceNs, nowNs, k.rng),
  };
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
