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
import type { Vma } from '../mm.js';
import { setActive, swapOutPfns } from '../vmscan.js';
import { DamonRegion, pickSamplingAddrs, SIM_ADDR_LIMIT, simRanges, splitRanges, updateRegionAccessRate, type DamonCtx, type DamonTarget, type DamosAction, type DamosScheme } from './core.js';
import { opsHasFilter, pageoutExtraFilter, REJECT_YOUNG } from './filters.js';
import { forEachUserRun, migratePfns, OpsFilterWalk } from './ops-common.js';
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
      // paddr pageout: a temporary "reject young" filter goes after the user's ops filters unless
      // they have a young filter, so pages found young are not reclaimed (damon_pa_pageout).
      const extra = action === 'pageout' ? (s ? pageoutExtraFilter(s) : REJECT_YOUNG) : undefined;
      // damos_pa_filter_out on every folio of the region, in bulk; the kdamond pays the folio
      // walk per folio and an rmap walk per young check.
      const walk = new OpsFilterWalk(k, s, extra, now - ctx.sampleNs, now, (ns) => ctx.charge(ns), costNs(k.config, 'pteScan'), costNs(k.config, 'rmapWalk'));
      // The kernel's loop visits every pfn of the region (damon_get_folio(PHYS_PFN(addr)), then
      // addr += folio_size, or PAGE_SIZE when no LRU folio is there); the walk here visits only
      // the user runs and charges the other pfns in one sum: `pfnSkip` each.
      const each = (pass: (vma: Vma, j0: number, j1: number) => void) => {
        forEachUserRun(k, r.start, r.end, walk.needsActive, (proc, vma, i0, n, active) => walk.run(proc, vma, i0, n, active, (j0, j1) => pass(vma, j0, j1)));
        const others = Math.max(0, Math.ceil(r.end / PAGE_SIZE) - Math.floor(r.start / PAGE_SIZE) - walk.inspected);
        ctx.charge(others * costNs(k.config, 'pfnSkip'));
        trace('%s walk [%d, %d): %d user folios, %d other pfns', action, r.start, r.end, walk.inspected, others);
      };
      let bytes = 0;
      switch (action) {
        case 'migrate_hot':
        case 'migrate_cold': {
          // damon_pa_migrate: what passes and is not on target_nid goes there (migrate_pages).
          const pfns: number[] = [];
          const frames = k.alloc.frames;
          each((vma, j0, j1) => {
            for (let i = j0; i < j1; i++) if (frames.blockOf(vma.pt[i]!)?.nid !== targetNid) pfns.push(vma.pt[i]!);
          });
          bytes = migratePfns(k, ctx, pfns, targetNid);
          break;
        }
        case 'lru_prio':
        case 'lru_deprio':
          // damon_pa_mark_accessed / damon_pa_deactivate_pages: what passes moves to the active
          // (prio) or inactive (deprio) list.
          each((vma, j0, j1) => setActive(k, vma, j0, j1, action === 'lru_prio'));
          bytes = walk.passed * PAGE_SIZE;
          break;
        case 'stat':
          // damon_pa_stat: only counts what the ops filters pass, and only when there are some.
          if (s && opsHasFilter(s)) each(() => {});
          break;
        case 'pageout': {
          const pfns: number[] = [];
          each((vma, j0, j1) => {
            for (let i = j0; i < j1; i++) pfns.push(vma.pt[i]!);
          });
          bytes = (pfns.length === 0 ? 0 : swapOutPfns(k, pfns).swapped) * PAGE_SIZE;
          trace('pageout [%d, %d): %d bytes, %d bytes passed the filters', r.start, r.end, bytes, walk.passed * PAGE_SIZE);
          break;
        }
        default:
          return 0; // paddr supports pageout, lru_(de)prio, migrate and stat
      }
      passed.sz += walk.passed * PAGE_SIZE;
      return bytes;
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

type Mapping = NonNullable<ReturnType<typeof resolve>>;
