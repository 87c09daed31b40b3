// DAMON_LRU_SORT (mm/damon/lru_sort.c, Documentation/admin-guide/mm/damon/lru_sort.rst, 6.18):
// the built-in module that sorts the LRU lists by DAMON's access information, configured through
// /sys/module/damon_lru_sort/parameters/*. One paddr context over monitor_region_start..end (the
// largest System RAM range by default) with two schemes: lru_prio for regions accessed in at
// least hot_thres_access_freq permil of the samples of an aggregation (hot: to the active list),
// and lru_deprio for regions not accessed for cold_min_age (cold: to the inactive list), each
// under half of quota_ms per quota_reset_interval_ms (no size quota, hotter or colder regions
// first: weights 0/1/0) and free_mem_rate watermarks (200/150/50 permil: it works only when
// memory is short). The shared lifecycle (exclusive start, commit_inputs at the kdamond's next
// sample, stats parameters) is modules-common.ts.
import { EINVAL, type KFile } from '../../../kernfs/index.js';
import { PAGE_SIZE } from '../../config/machine.js';
import type { Kernel } from '../../kernel.js';
import { newScheme, type DamosAction, type DamosScheme } from './core.js';
import { DamonModule, ModuleParams, UINT_MAX, ULONG_MAX, statsParams, u32, ulong } from './modules-common.js';

/** DAMON_LRU_SORT's own parameters with lru_sort.c's defaults. */
class LruSortParams extends ModuleParams {
  hotThresAccessFreq = 500n; // permil of the samples of an aggregation
  coldMinAge = 120_000_000n; // 120 s

  constructor() {
    super(200n, 150n, 50n); // free memory rate 20 %, 15 %, 5 %
  }
}

export class DamonLruSort extends DamonModule {
  declare readonly p: LruSortParams;

  constructor(k: Kernel) {
    super(k, 'damon_lru_sort', new LruSortParams());
  }

  protected checkInputs(): void {
    if (this.p.sampleInterval === 0n) throw EINVAL; // damon_max_nr_accesses would divide by zero
  }

  /** damon_lru_sort_new_scheme: the stub pattern narrowed, half the time quota each. */
  private scheme(action: DamosAction, minNrAccesses: number, maxNrAccesses: number, minAge: number): DamosScheme {
    const p = this.p;
    return newScheme({
      minSz: BigInt(PAGE_SIZE), maxSz: ULONG_MAX,
      minNrAccesses, maxNrAccesses,
      minAge, maxAge: UINT_MAX,
      action,
      quota: { ms: p.quotaMs / 2n, sz: 0n, resetIntervalMs: p.quotaResetIntervalMs, weightSz: 0, weightNrAccesses: 1, weightAge: 0 },
      wmarks: p.wmarks(),
    });
  }

  /**
   * The hot scheme first, then the cold one (damon_set_schemes + damon_add_scheme): hot_thres
   * is damon_max_nr_accesses (aggr / sample, at most UINT_MAX) × hot_thres_access_freq / 1000
   * in unsigned long arithmetic, kept as an unsigned int; cold_thres is cold_min_age /
   * aggr_interval aggregations.
   */
  protected newSchemes(): DamosScheme[] {
    const p = this.p;
    const maxNr = p.aggrInterval / p.sampleInterval;
    const hotThres = u32(BigInt.asUintN(64, (maxNr > BigInt(UINT_MAX) ? BigInt(UINT_MAX) : maxNr) * p.hotThresAccessFreq) / 1000n);
    const coldThres = u32(p.coldMinAge / p.aggrInterval);
    return [this.scheme('lru_prio', hotThres, UINT_MAX, 0), this.scheme('lru_deprio', 0, 0, coldThres)];
  }
}

const lruSortOf = new WeakMap<Kernel, DamonLruSort>();

/** The DAMON_LRU_SORT module of a kernel. */
export function damonLruSort(k: Kernel): DamonLruSort {
  const m = lruSortOf.get(k);
  if (!m) throw EINVAL; // registerDamonLruSort not called: a boot-order bug
  return m;
}

export function registerDamonLruSort(k: Kernel): void {
  const m = new DamonLruSort(k);
  lruSortOf.set(k, m);
  const p = m.p;
  const own: Record<string, KFile> = {
    hot_thres_access_freq: ulong(() => p.hotThresAccessFreq, (v) => (p.hotThresAccessFreq = v)),
    cold_min_age: ulong(() => p.coldMinAge, (v) => (p.coldMinAge = v)),
  };
  // damon_lru_sort_damon_call_fn copies each scheme's stats by its action
  const stat = (action: DamosAction) => () => m.ctx.schemes.find((s) => s.action === action)?.stats;
  m.register({
    ...m.files(own),
    ...statsParams(stat('lru_prio'), 'lru_sort_tried_hot_regions', 'lru_sorted_hot_regions', 'hot_quota_exceeds'),
    ...statsParams(stat('lru_deprio'), 'lru_sort_tried_cold_regions', 'lru_sorted_cold_regions', 'cold_quota_exceeds'),
  });
}
