// DAMON operations for process virtual address spaces (mm/damon/vaddr.c): initial regions
// from the two largest gaps between VMAs (three big ranges, split evenly), a periodic update
// that trims regions to the mappings, and page-table lookups for the Accessed bit.
import { PAGE_SIZE, costNs } from '../../config/machine.js';
import type { Kernel } from '../../kernel.js';
import type { Process } from '../../sched/process.js';
import { accessedBetween } from '../../workload/access_model.js';
import { NO_PFN } from '../mm.js';
import { reclaimPages, setActive } from '../vmscan.js';
import type { Vma } from '../mm.js';
import { pickSamplingAddrs, simRanges, splitRanges, updateRegionAccessRate, type DamonCtx, type DamonRegion, type DamonTarget, type DamosAction, type DamosScheme } from './core.js';
import { opsHasFilter, pickDest, type DamosMigrateDest } from './filters.js';
import { forEachMappedRun, migratePfns, OpsFilterWalk } from './ops-common.js';
import type { DamonOperations } from './ops.js';

/**
 * __damon_va_three_regions: the address ranges left after cutting at the two largest gaps
 * between VMAs. With fewer than three VMAs each VMA is a range of its own.
 */
export function threeRegions(mappings: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
  const vmas = [...mappings].sort((a, b) => a[0] - b[0]).map(([a, b]) => [a, b] as [number, number]);
  if (vmas.length < 3) return vmas;
  const gaps = vmas.slice(1).map((v, i) => ({ at: i, size: v[0] - vmas[i]![1] }));
  const cuts = gaps.sort((a, b) => b.size - a.size).slice(0, 2).map((g) => g.at).sort((a, b) => a - b);
  const [c1, c2] = cuts as [number, number];
  return [
    [vmas[0]![0], vmas[c1]![1]],
    [vmas[c1 + 1]![0], vmas[c2]![1]],
    [vmas[c2 + 1]![0], vmas[vmas.length - 1]![1]],
  ];
}

/**
 * Accesses per second to each page of a live host process target: its real access pattern is
 * unknown to the simulator, so every mapped page is touched now and then.
 */
export const HOST_PAGE_ACCESSES_PER_SEC = 1;

const vmaRanges = (proc: Process) => proc.mm.vmas.map((v) => [v.start, v.end] as [number, number]);

export function vaddrOps(k: Kernel): DamonOperations {
  const procOf = (t: DamonTarget) => {
    const p = k.tasks.get(t.id);
    return p && p.alive ? p : undefined;
  };
  const hostAlive = (t: DamonTarget) => procOf(t) === undefined && (k.hostProcs?.alive(t.id) ?? false);
  const rangesOf = (t: DamonTarget): Array<[number, number]> => {
    const proc = procOf(t);
    if (proc) return threeRegions(vmaRanges(proc));
    return hostAlive(t) ? threeRegions(k.hostProcs!.maps(t.id)) : [];
  };
  /** Mapped pages of `proc` in [start, end): callback per (vma, first, last) index range. */
  const eachRange = (proc: Process, start: number, end: number, fn: (vma: Process['vma'], i0: number, i1: number) => void) => {
    for (const vma of proc.mm.vmas) {
      const a = Math.max(start, vma.start);
      const b = Math.min(end, vma.end);
      if (a < b) fn(vma, Math.floor((a - vma.start) / PAGE_SIZE), Math.ceil((b - vma.start) / PAGE_SIZE));
    }
  };
  /**
   * damos_va_migrate: the region's mapped pages the ops filters pass go to `targetNid`, or with
   * dests, each to the destination its interleave index picks (damos_va_migrate_dests_add;
   * pages already there stay), one migrate_pages per destination (MR_DAMON).
   */
  const migrate = (ctx: DamonCtx, proc: Process, r: DamonRegion, targetNid: number, dests: readonly DamosMigrateDest[], walk: OpsFilterWalk): number => {
    const lists: number[][] = dests.length === 0 ? [[]] : dests.map(() => []);
    const frames = k.alloc.frames;
    eachRun(proc, r, walk, (vma, j0, j1) => {
      for (let i = j0; i < j1; i++) {
        const pfn = vma.pt[i]!;
        const nid = frames.blockOf(pfn)?.nid;
        if (dests.length === 0) {
          if (nid !== targetNid) lists[0]!.push(pfn);
          continue;
        }
        // ilx: vm_pgoff (an anonymous VMA's is its first virtual page number) plus the offset.
        const d = pickDest(dests, vma.startVpn + i);
        if (d >= 0 && nid !== dests[d]!.id) lists[d]!.push(pfn);
      }
    });
    let moved = 0;
    lists.forEach((pfns, i) => (moved += migratePfns(k, ctx, pfns, dests.length === 0 ? targetNid : dests[i]!.id)));
    return moved;
  };
  /** The mapped pages of `r` the ops filters pass, in runs (damos_va_filter_out per PTE, in bulk). */
  const eachRun = (proc: Process, r: DamonRegion, walk: OpsFilterWalk, pass: (vma: Vma, j0: number, j1: number) => void) =>
    eachRange(proc, r.start, r.end, (vma, i0, i1) =>
      forEachMappedRun(k, proc, vma, i0, i1, walk.needsActive, (p, v, j, n, active) => walk.run(p, v, j, n, active, (j0, j1) => pass(vma, j0, j1))));
  return {
    name: 'vaddr',
    init(ctx: DamonCtx) {
      for (const t of ctx.targets) {
        const ranges = t.initRegions.length > 0 ? simRanges(t.initRegions) : rangesOf(t);
        t.regions = splitRanges(ranges, ctx.minNrRegions);
      }
    },
    update(ctx: DamonCtx) {
      // damon_va_update: keep the regions inside the current mappings (ours do not move).
      for (const t of ctx.targets) {
        if (t.initRegions.length > 0) continue;
        const ranges = rangesOf(t);
        if (ranges.length === 0) continue;
        t.regions = t.regions.filter((r) => ranges.some(([a, b]) => r.start < b && r.end > a));
        for (const r of t.regions) {
          const [a, b] = ranges.find(([x, y]) => r.start < y && r.end > x)!;
          r.start = Math.max(r.start, a);
          r.end = Math.min(r.end, b);
        }
      }
    },
    // The Accessed bit is cleared lazily: the access model is asked about [sampledAtNs, now].
    prepareAccessChecks: pickSamplingAddrs,
    checkAccesses(ctx: DamonCtx) {
      const now = k.clock.nowNs;
      const walk = 4 * costNs(k.config, 'pteScan'); // a four-level walk to one PTE
      let max = 0;
      for (const t of ctx.targets) {
        const proc = procOf(t);
        const host = !proc && hostAlive(t);
        for (const r of t.regions) {
          ctx.charge(walk);
          let accessed = false;
          if (host) {
            accessed = k.rng.nextFloat() < 1 - Math.exp((-HOST_PAGE_ACCESSES_PER_SEC * (now - r.sampledAtNs)) / 1e9);
          } else if (proc) {
            const vpn = Math.floor(r.samplingAddr / PAGE_SIZE);
            const vma = proc.mm.findVma(vpn);
            const i = vma ? vma.indexOf(vpn) : -1;
            accessed = vma !== undefined && i >= 0 && vma.pt[i] !== NO_PFN && accessedBetween(proc, vma, i, r.sampledAtNs, now, k.rng);
          }
          updateRegionAccessRate(ctx, r, accessed);
          if (r.nrAccesses > max) max = r.nrAccesses;
        }
      }
      return max;
    },
    applyScheme(ctx: DamonCtx, t: DamonTarget, r: DamonRegion, action: DamosAction, targetNid: number, s?: DamosScheme, passed = { sz: 0 }) {
      const proc = procOf(t);
      if (!proc) return 0;
      const now = k.clock.nowNs;
      // damos_va_filter_out (young from the page table: the last sampling interval's A bit); the
      // kdamond pays a PTE read per page walked and per young check.
      const pte = costNs(k.config, 'pteScan');
      const walk = new OpsFilterWalk(k, s, undefined, now - ctx.sampleNs, now, (ns) => ctx.charge(ns), pte, pte);
      if (action === 'migrate_hot' || action === 'migrate_cold') return migrate(ctx, proc, r, targetNid, s?.migrateDests ?? [], walk);
      if (action === 'stat') {
        // damos_va_stat: counts the pages the ops filters pass, only when there are some.
        if (s && opsHasFilter(s)) eachRun(proc, r, walk, () => {});
        passed.sz += walk.passed * PAGE_SIZE;
        return 0;
      }
      let pages = 0;
      eachRange(proc, r.start, r.end, (vma, i0, i1) => {
        switch (action) {
          case 'willneed':
            setActive(k, vma, i0, i1, true);
            pages += countMapped(vma, i0, i1);
            break;
          case 'cold':
            setActive(k, vma, i0, i1, false);
            pages += countMapped(vma, i0, i1);
            break;
          case 'pageout':
            pages += reclaimPages(k, proc, vma, i0, i1);
            break;
          case 'hugepage':
          case 'nohugepage':
            vma.advice = action;
            pages += i1 - i0;
            break;
          default:
            // lru_prio, lru_deprio: vaddr does not support them (damon_va_apply_scheme), so
            // nothing is applied.
            break;
        }
      });
      return pages * PAGE_SIZE;
    },
    targetValid: (_ctx, t) => procOf(t) !== undefined || hostAlive(t),
  };
}

function countMapped(vma: Process['vma'], i0: number, i1: number): number {
  let n = 0;
  for (let i = i0; i < i1; i++) if (vma.pt[i] !== NO_PFN) n++;
  return n;
}

/**
 * fvaddr (5.19+): vaddr with fixed, user-given regions. The kernel registers a copy of the
 * vaddr ops without .init and .update, so the regions are what the user set (none: nothing)
 * and are never re-derived from the mappings.
 */
export function fvaddrOps(k: Kernel): DamonOperations {
  return {
    ...vaddrOps(k),
    name: 'fvaddr',
    init(ctx: DamonCtx) {
      for (const t of ctx.targets) t.regions = splitRanges(simRanges(t.initRegions), ctx.minNrRegions);
    },
    update() {},
  };
}
