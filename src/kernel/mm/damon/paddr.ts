// DAMON operations for the physical address space (mm/damon/paddr.c): a sampling address is
// a pfn; the reverse map (frame owner + vpn) finds the mapping process, whose access model
// says whether the Accessed bit was set again since it was cleared. Only LRU (user) pages
// count. The ops build no region of their own: a target monitors exactly its init regions
// (none given: nothing), as the 2020 paddr RFC's "does nothing" init and 5.16's paddr ops
// did. The largest-System-RAM default is the DAMON modules' (and sysfs users') helper below.
import createDebug from 'debug';
import { PAGE_SIZE, costNs } from '../../config/machine.js';
import type { Kernel } from '../../kernel.js';
import { accessedBetween } from '../../workload/access_model.js';
import { NO_OWNER } from '../frames.js';
import { reclaimPages, setActive } from '../vmscan.js';
import { DamonRegion, pickSamplingAddrs, SIM_ADDR_LIMIT, simRanges, splitRanges, updateRegionAccessRate, type DamonCtx, type DamonTarget, type DamosAction, type DamosScheme } from './core.js';
import { opsFilterOut, opsHasFilter, pageoutExtraFilter, REJECT_YOUNG, type DamosFilter } from './filters.js';
import { forEachUserPfn, migratePfns, PageProbe } from './ops-common.js';
import type { DamonOperations } from './ops.js';

const trace = createDebug('tiersim:damon:paddr');

/** damon_find_biggest_system_ram: the largest System RAM range (CXL kmem included). */
export function biggestSystemRam(k: Kernel): [number, number] {
  let best: [number, number] = [0, PAGE_SIZE];
  for (const r of k.layout.ram) if (r.end + 1 - r.start > best[1] - best[0]) best = [r.start, r.end + 1];
  return best;
}

/**
 * damon_set_region_biggest_system_ram_default: give `t` the largest System RAM range as its
 * one region. For the front ends that default to it (DAMON modules, sysfs users, issue 12);
 * the debugfs interfaces never call it, so paddr there monitors only what init_regions says.
 */
export function setRegionBiggestSystemRamDefault(k: Kernel, t: DamonTarget): void {
  const [start, end] = biggestSystemRam(k);
  t.initRegions = [[BigInt(start), BigInt(end)]];
}

/** Where a physical address is mapped: the process, its VMA and the page index. */
function resolve(k: Kernel, paddr: number) {
  return resolvePfn(k, Math.floor(paddr / PAGE_SIZE));
}

function resolvePfn(k: Kernel, pfn: number) {
  const owner = k.alloc.frames.ownerOf(pfn);
  if (owner === NO_OWNER) return undefined;
  const proc = k.tasks.processOfMm(owner);
  const vpn = k.alloc.frames.vpnOf(pfn);
  const vma = proc?.mm.findVma(vpn);
  if (!proc || !vma) return undefined;
  return { proc, vma, index: vma.indexOf(vpn), pfn };
}

export function paddrOps(k: Kernel): DamonOperations {
  const ops: DamonOperations = {
    name: 'paddr',
    init(ctx: DamonCtx) {
      for (const t of ctx.targets) t.regions = splitRanges(simRanges(t.initRegions), ctx.minNrRegions, ctx.minSzRegion);
    },
    update() {},
    // The Accessed bit is cleared lazily: the access model is asked about [sampledAtNs, now].
    prepareAccessChecks: pickSamplingAddrs,
    checkAccesses(ctx: DamonCtx) {
      const now = k.clock.nowNs;
      const walk = costNs(k.config, 'rmapWalk');
      let max = 0;
      let lastPfn = -1;
      let lastAccessed = false;
      for (const t of ctx.targets) {
        for (const r of t.regions) {
          const pa = r.samplingAddr * ctx.addrUnit; // damon_pa_phys_addr
          const pfn = Math.floor(pa / PAGE_SIZE);
          // The same folio as the previous check: reuse its answer (paddr.c's last-folio cache).
          if (pfn !== lastPfn) {
            const m = resolve(k, pa);
            lastAccessed = m !== undefined && accessedBetween(m.proc, m.vma, m.index, r.sampledAtNs, now, k.rng);
            lastPfn = pfn;
            ctx.charge(walk);
          }
          updateRegionAccessRate(ctx, r, lastAccessed);
          if (r.nrAccesses > max) max = r.nrAccesses;
        }
      }
      return max;
    },
    applyScheme(ctx: DamonCtx, _t: DamonTarget, r: DamonRegion, action: DamosAction, targetNid: number, s?: DamosScheme, passed = { sz: 0 }) {
      const now = k.clock.nowNs;
      const windowNs = ctx.sampleNs;
      // damos_pa_filter_out for the page at `a` (mapped as `m`); counts what passes (sz_filter_passed).
      const probe = new PageProbe(k, now - windowNs, now, ctx, costNs(k.config, 'rmapWalk'));
      const at = walkResolver(k);
      const filterOut = (m: Mapping, extra?: DamosFilter): boolean => {
        if (s && (extra || opsHasFilter(s)) && opsFilterOut(s, probe.at(m.proc, m.vma, m.index, m.pfn), extra)) return true;
        passed.sz += PAGE_SIZE;
        return false;
      };
      if (action === 'migrate_hot' || action === 'migrate_cold') return migrate(k, ctx, r, targetNid, at, filterOut);
      if (action === 'lru_prio' || action === 'lru_deprio') {
        // damon_pa_mark_accessed / damon_pa_deactivate_pages: the region's LRU pages move to
        // the active (prio) or inactive (deprio) list.
        let pages = 0;
        forEachUserPfn(k, r.start, r.end, (pfn) => {
          const m = at(pfn);
          if (!m || filterOut(m)) return;
          setActive(k, m.vma, m.index, m.index + 1, action === 'lru_prio');
          pages++;
        });
        return pages * PAGE_SIZE;
      }
      if (action === 'stat') {
        // damon_pa_stat: only counts what the ops filters pass, and only when there are some.
        if (s && opsHasFilter(s)) {
          forEachUserPfn(k, r.start, r.end, (pfn) => {
            const m = at(pfn);
            if (m) filterOut(m);
          });
        }
        return 0;
      }
      if (action !== 'pageout') return 0; // paddr supports pageout (and stat, done by the core)
      // damon_pa_pageout: a temporary "reject young" filter goes after the user's ops filters
      // unless they have a young filter, so pages found young are not reclaimed.
      const extra = s ? pageoutExtraFilter(s) : REJECT_YOUNG;
      let reclaimed = 0;
      forEachUserPfn(k, r.start, r.end, (pfn) => {
        const m = at(pfn);
        if (!m) return;
        if (s ? filterOut(m, extra) : accessedBetween(m.proc, m.vma, m.index, now - windowNs, now, k.rng)) return;
        reclaimed += reclaimPages(k, m.proc, m.vma, m.index, m.index + 1);
      });
      trace('pageout [%d, %d): %d pages, %d bytes passed the filters', r.start, r.end, reclaimed, passed.sz);
      return reclaimed * PAGE_SIZE;
    },
    targetValid: () => true,
  };
  // addr_unit: the actions work on the physical range and report bytes in core units
  // (damon_pa_phys_addr / damon_pa_core_addr).
  const applyPhys = ops.applyScheme;
  ops.applyScheme = (ctx, t, r, action, nid, s, passed) => {
    const u = ctx.addrUnit;
    if (u === 1) return applyPhys(ctx, t, r, action, nid, s, passed);
    const phys = new DamonRegion(Math.min(SIM_ADDR_LIMIT, r.start * u), Math.min(SIM_ADDR_LIMIT, r.end * u));
    const physPassed = { sz: 0 };
    const applied = applyPhys(ctx, t, phys, action, nid, s, physPassed);
    if (passed) passed.sz += Math.floor(physPassed.sz / u); // sz_filter_passed in core units too
    return Math.floor(applied / u);
  };
  return ops;
}


/**
 * damon_pa_migrate: the region's user pages the ops filters pass and that are not already on
 * `targetNid` go there through migrate_pages (the batched path's FolioMigrator, MR_DAMON:
 * pgmigrate_success/fail only), the kdamond paying the cost. NUMA_NO_NODE or a node without
 * memory moves nothing. paddr ignores the scheme's dests (only vaddr's migrate uses them).
 * @returns bytes moved
 */
function migrate(k: Kernel, ctx: DamonCtx, r: DamonRegion, targetNid: number, at: (pfn: number) => Mapping | undefined, filterOut: (m: Mapping) => boolean): number {
  const frames = k.alloc.frames;
  const pfns: number[] = [];
  forEachUserPfn(k, r.start, r.end, (pfn) => {
    const m = at(pfn);
    if (!m || filterOut(m)) return;
    if (frames.blockOf(pfn)?.nid === targetNid) return; // already there: put back, not moved
    pfns.push(pfn);
  });
  return migratePfns(k, ctx, pfns, targetNid);
}

type Mapping = NonNullable<ReturnType<typeof resolve>>;

/**
 * resolvePfn for a walk in address order: neighbouring pages mostly share an owner and a VMA,
 * so the last ones are tried first (what the walk would otherwise look up per page).
 */
function walkResolver(k: Kernel): (pfn: number) => Mapping | undefined {
  const frames = k.alloc.frames;
  let lastOwner = NO_OWNER;
  let proc: Mapping['proc'] | undefined;
  let vma: Mapping['vma'] | undefined;
  return (pfn) => {
    const owner = frames.ownerOf(pfn);
    if (owner === NO_OWNER) return undefined;
    if (owner !== lastOwner) {
      lastOwner = owner;
      proc = k.tasks.processOfMm(owner);
      vma = undefined;
    }
    if (!proc) return undefined;
    const vpn = frames.vpnOf(pfn);
    let index = vma ? vma.indexOf(vpn) : -1;
    if (index < 0) {
      vma = proc.mm.findVma(vpn);
      if (!vma) return undefined;
      index = vma.indexOf(vpn);
    }
    return { proc, vma: vma!, index, pfn };
  };
}
