// DAMON_RECLAIM (mm/damon/reclaim.c, Documentation/admin-guide/mm/damon/reclaim.rst): the
// built-in module that pages out cold physical memory, configured through
// /sys/module/damon_reclaim/parameters/*. One paddr context over monitor_region_start..end
// (default: the largest System RAM range, written back into the two parameters) with one
// pageout scheme for regions of at least a page not accessed for min_age (nr_accesses 0,
// age ≥ min_age / aggr_interval), under a time/size quota that pages the oldest out first
// (weights 0/0/1), free_mem_rate watermarks, the quota goals quota_mem_pressure_us and
// quota_autotune_feedback ask for, and an anon-rejecting filter with skip_anon. The shared
// lifecycle (exclusive start, commit_inputs at the kdamond's next sample) is modules-common.ts.
import type { KFile } from '../../../kernfs/index.js';
import { EINVAL } from '../../../kernfs/index.js';
import { PAGE_SIZE } from '../../config/machine.js';
import type { Kernel } from '../../kernel.js';
import { newScheme, type DamosScheme } from './core.js';
import { newFilter } from './filters.js';
import { DamonModule, ModuleParams, UINT_MAX, ULONG_MAX, bool, damonModulesRunning, statsParams, ulong } from './modules-common.js';
import type { DamosQuotaGoal } from './quota.js';

/** DAMON_RECLAIM's own parameters with reclaim.c's defaults. */
class ReclaimParams extends ModuleParams {
  minAge = 120_000_000n; // 120 s
  quotaSz = 128n * 1024n * 1024n;
  quotaMemPressureUs = 0n;
  quotaAutotuneFeedback = 0n;
  skipAnon = false;

  constructor() {
    super(500n, 400n, 200n); // free memory rate 50 %, 40 %, 20 %
  }
}

/** A quota goal as damos_new_quota_goal makes it. */
function goal(metric: DamosQuotaGoal['metric'], targetValue: bigint, currentValue = 0n): DamosQuotaGoal {
  return { metric, targetValue, currentValue, nid: 0, lastPsiTotal: 0n };
}

export class DamonReclaim extends DamonModule {
  declare readonly p: ReclaimParams;

  constructor(k: Kernel) {
    super(k, 'damon_reclaim', new ReclaimParams());
  }

  protected checkInputs(): void {
    if (this.p.aggrInterval === 0n) throw EINVAL; // min_age / aggr_interval would divide by zero
  }

  /**
   * damon_reclaim_new_scheme, then what damon_reclaim_apply_parameters adds to it: a
   * some_mem_psi_us goal of quota_mem_pressure_us, a user_input goal of 10000 whose current
   * value is quota_autotune_feedback (each only when nonzero, in that order), and with
   * skip_anon a filter rejecting anon pages (damos_new_filter(ANON, matching, !allow)).
   */
  protected newSchemes(): DamosScheme[] {
    const p = this.p;
    const minAge = p.minAge / p.aggrInterval;
    const goals: DamosQuotaGoal[] = [];
    if (p.quotaMemPressureUs !== 0n) goals.push(goal('some_mem_psi_us', p.quotaMemPressureUs));
    if (p.quotaAutotuneFeedback !== 0n) goals.push(goal('user_input', 10000n, p.quotaAutotuneFeedback));
    return [
      newScheme({
        minSz: BigInt(PAGE_SIZE), maxSz: ULONG_MAX,
        minNrAccesses: 0, maxNrAccesses: 0,
        minAge: Number(minAge > BigInt(UINT_MAX) ? BigInt(UINT_MAX) : minAge), maxAge: UINT_MAX,
        action: 'pageout',
        quota: { ms: p.quotaMs, sz: p.quotaSz, resetIntervalMs: p.quotaResetIntervalMs, weightSz: 0, weightNrAccesses: 0, weightAge: 1 },
        wmarks: p.wmarks(),
        goals,
        filters: p.skipAnon ? [newFilter('anon', true, false)] : [],
      }),
    ];
  }
}

const reclaimOf = new WeakMap<Kernel, DamonReclaim>();

/** The DAMON_RECLAIM module of a kernel. */
export function damonReclaim(k: Kernel): DamonReclaim {
  const r = reclaimOf.get(k);
  if (!r) throw EINVAL; // registerDamonReclaim not called: a boot-order bug
  return r;
}

/** Whether a DAMON module's (exclusive) kdamond runs (DAMON_RECLAIM or DAMON_LRU_SORT). */
export const damonReclaimRunning = damonModulesRunning;

export function registerDamonReclaim(k: Kernel): void {
  const r = new DamonReclaim(k);
  reclaimOf.set(k, r);
  const p = r.p;
  const own: Record<string, KFile> = {
    min_age: ulong(() => p.minAge, (v) => (p.minAge = v)),
    quota_sz: ulong(() => p.quotaSz, (v) => (p.quotaSz = v)),
    quota_mem_pressure_us: ulong(() => p.quotaMemPressureUs, (v) => (p.quotaMemPressureUs = v)),
    quota_autotune_feedback: ulong(() => p.quotaAutotuneFeedback, (v) => (p.quotaAutotuneFeedback = v)),
    skip_anon: bool(() => p.skipAnon, (v) => (p.skipAnon = v)),
  };
  r.register({
    ...r.files(own),
    // DEFINE_DAMON_MODULES_DAMOS_STATS_PARAMS(reclaim_tried_regions, reclaimed_regions, quota_exceeds)
    ...statsParams(() => r.ctx.schemes[0]?.stats, 'reclaim_tried_regions', 'reclaimed_regions', 'quota_exceeds'),
  });
}
