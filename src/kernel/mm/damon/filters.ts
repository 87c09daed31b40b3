// DAMOS filters and action destinations (mm/damon/core.c damos_filter_match / damos_filter_out /
// damos_set_filters_default_reject, mm/damon/ops-common.c damos_folio_filter_match,
// include/linux/damon.h struct damos_filter and struct damos_migrate_dests; spec
// mechanisms.md §1.9). Core-handled filters (addr, target) judge whole regions before the ops
// are called; ops-handled filters (anon, active, memcg, young, hugepage_size, unmapped) judge
// each page in the ops. The first filter that matches decides (allow or reject); memory no
// filter matched gets the opposite of the last filter's `allow`.
import { PAGE_SIZE } from '../../config/machine.js';
import { DamonRegion, type DamonTarget } from './core.js';

/** enum damos_filter_type, in the kernel's order (damon_sysfs_scheme_filter_type_strs). */
export const DAMOS_FILTER_TYPES = ['anon', 'active', 'memcg', 'young', 'hugepage_size', 'unmapped', 'addr', 'target'] as const;
export type DamosFilterType = (typeof DAMOS_FILTER_TYPES)[number];

/**
 * The simulator's memory cgroups: simulated processes have no cgroups, so every user page is
 * charged to the root memcg, the only one there is. Its cgroup_path is "/" and its id 1
 * (mem_cgroup_id of root_mem_cgroup); a memcg filter can name only it, and then matches every
 * user page.
 */
export const ROOT_MEMCG_PATH = '/';
export const ROOT_MEMCG_ID = 1;

export interface DamosFilter {
  type: DamosFilterType;
  matching: boolean;
  allow: boolean;
  /** memcg: mem_cgroup_id of the memcg memcg_path named. */
  memcgId: number;
  /** addr: [start, end) (unsigned longs). */
  addrStart: bigint;
  addrEnd: bigint;
  /** target: index of the target in the context's target list. */
  targetIdx: number;
  /** hugepage_size: folio size range in bytes, inclusive. */
  szMin: bigint;
  szMax: bigint;
}

export function newFilter(type: DamosFilterType, matching: boolean, allow: boolean, p: Partial<DamosFilter> = {}): DamosFilter {
  return { type, matching, allow, memcgId: 0, addrStart: 0n, addrEnd: 0n, targetIdx: 0, szMin: 0n, szMax: 0n, ...p };
}

/** damos_filter_for_ops: every type but addr and target is handled by the operations set. */
export function damosFilterForOps(type: DamosFilterType): boolean {
  return type !== 'addr' && type !== 'target';
}

/** The filter state of a scheme (struct damos's filters, ops_filters and their defaults). */
export interface DamosFilterLists {
  coreFilters: DamosFilter[];
  opsFilters: DamosFilter[];
  coreFiltersDefaultReject: boolean;
  opsFiltersDefaultReject: boolean;
  /** Set by coreFilterOut: the region was allowed by a core filter, so the ops allow it too. */
  coreFiltersAllowed: boolean;
}

/** damos_add_filter: to the core or the ops list by type, at the tail. */
export function damosAddFilter(s: DamosFilterLists, f: DamosFilter): void {
  (damosFilterForOps(f.type) ? s.opsFilters : s.coreFilters).push(f);
}

/** damos_filters_default_reject: reject what no filter matched iff the last filter allows. */
function defaultReject(filters: readonly DamosFilter[]): boolean {
  const last = filters[filters.length - 1];
  return last !== undefined && last.allow;
}

/**
 * damos_set_filters_default_reject: with ops filters installed, the core stage allows by
 * default (its last filter is not the last of the whole filtering).
 */
export function setFiltersDefaultReject(s: DamosFilterLists): void {
  s.coreFiltersDefaultReject = s.opsFilters.length > 0 ? false : defaultReject(s.coreFilters);
  s.opsFiltersDefaultReject = defaultReject(s.opsFilters);
}

/** Split `r` of `t` at `sz` bytes from its start (damon_split_region_at): the rest follows it. */
function splitRegionAt(t: DamonTarget, r: DamonRegion, sz: number): void {
  const rest = new DamonRegion(r.start + sz, r.end);
  rest.age = r.age;
  rest.nrAccesses = r.nrAccesses;
  rest.lastNrAccesses = r.lastNrAccesses;
  r.end = r.start + sz;
  t.regions.splice(t.regions.indexOf(r) + 1, 0, rest);
}

const alignDown = (v: bigint): number => {
  const a = v - (v % BigInt(PAGE_SIZE));
  return a > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(a);
};

/**
 * damos_filter_match for the core types. An addr filter that cuts `r` splits it at the cut
 * (page-aligned bounds, DAMON_MIN_REGION): the first piece is judged, the rest is a new region.
 */
function coreFilterMatch(targets: readonly DamonTarget[], t: DamonTarget, r: DamonRegion, f: DamosFilter): boolean {
  let matched: boolean;
  if (f.type === 'target') {
    matched = targets.indexOf(t) === f.targetIdx;
  } else {
    const start = alignDown(f.addrStart);
    const end = alignDown(f.addrEnd);
    if (start <= r.start && r.end <= end) matched = true; // inside the range
    else if (r.end <= start || end <= r.start) matched = false; // outside of it
    else if (r.start < start) {
      splitRegionAt(t, r, start - r.start); // starts before the range and overlaps
      matched = false;
    } else {
      splitRegionAt(t, r, end - r.start); // starts inside the range
      matched = true;
    }
  }
  return matched === f.matching;
}

/**
 * damos_filter_out: does the core stage reject region `r` of `t`? Records whether a core
 * filter allowed it (core_filters_allowed), which makes the ops stage allow it too.
 */
export function coreFilterOut(targets: readonly DamonTarget[], t: DamonTarget, r: DamonRegion, s: DamosFilterLists): boolean {
  s.coreFiltersAllowed = false;
  for (const f of s.coreFilters) {
    if (coreFilterMatch(targets, t, r, f)) {
      if (f.allow) s.coreFiltersAllowed = true;
      return !f.allow;
    }
  }
  return s.coreFiltersDefaultReject;
}

/**
 * What the ops filters ask of a page (folio). `young` is a function: it is asked only when a
 * young filter is reached, as the kernel's rmap walk is only done then.
 */
export interface PageProps {
  anon: boolean;
  active: boolean;
  memcgId: number;
  folioSize: number;
  unmapped: boolean;
  young: () => boolean;
}

/** damos_folio_filter_match. */
export function pageFilterMatch(f: DamosFilter, p: PageProps): boolean {
  let matched: boolean;
  switch (f.type) {
    case 'anon': matched = p.anon; break;
    case 'active': matched = p.active; break;
    case 'memcg': matched = p.memcgId === f.memcgId; break;
    case 'young': matched = p.young(); break;
    case 'hugepage_size': matched = f.szMin <= BigInt(p.folioSize) && BigInt(p.folioSize) <= f.szMax; break;
    case 'unmapped': matched = p.unmapped; break;
    default: matched = false; // core types never reach the ops
  }
  return matched === f.matching;
}

/** The temporary filter paddr's pageout installs when the user gave no young filter: reject young. */
export const REJECT_YOUNG: DamosFilter = Object.freeze(newFilter('young', true, false));

/**
 * damos_pa_filter_out / damos_va_filter_out: does the ops stage reject this page? Skipped when
 * a core filter allowed the region. `extra` is appended after the user's filters (paddr
 * pageout's temporary young filter) without changing the default computed without it.
 */
export function opsFilterOut(s: DamosFilterLists, p: PageProps, extra?: DamosFilter): boolean {
  if (s.coreFiltersAllowed) return false;
  for (const f of s.opsFilters) if (pageFilterMatch(f, p)) return !f.allow;
  if (extra && pageFilterMatch(extra, p)) return !extra.allow;
  return s.opsFiltersDefaultReject;
}

/** damos_ops_has_filter. */
export function opsHasFilter(s: DamosFilterLists): boolean {
  return s.opsFilters.length > 0;
}

/** paddr pageout installs REJECT_YOUNG unless the user already gave a young ops filter. */
export function pageoutExtraFilter(s: DamosFilterLists): DamosFilter | undefined {
  return s.opsFilters.some((f) => f.type === 'young') ? undefined : REJECT_YOUNG;
}

/** struct damos_migrate_dests: node ids and weights (unsigned ints). */
export interface DamosMigrateDest {
  id: number;
  weight: number;
}

/**
 * damos_va_migrate_dests_add's choice: the page's interleave index (vm_pgoff plus the page
 * offset in the VMA; for an anonymous VMA, its virtual page number) modulo the total weight
 * picks a destination, as weighted_interleave_nid does. Total weight 0 migrates nothing.
 * @returns the index into `dests`, or -1
 */
export function pickDest(dests: readonly DamosMigrateDest[], ilx: number): number {
  let total = 0;
  for (const d of dests) total += d.weight;
  total >>>= 0; // unsigned int arithmetic
  if (total === 0) return -1;
  let target = ilx % total;
  for (let i = 0; i < dests.length; i++) {
    if (target < dests[i]!.weight) return i;
    target -= dests[i]!.weight;
  }
  return dests.length - 1;
}
