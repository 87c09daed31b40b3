// The filter and destination directories of a DAMON sysfs scheme (mm/damon/sysfs-schemes.c,
// "filter directory", "filters directory" and "dests directory"; Documentation/admin-guide/mm/
// damon/usage.rst "schemes/<N>/{core_,ops_,}filters/" and "schemes/<N>/dests/"): nr_filters,
// N/{type,matching,allow,memcg_path,addr_start,addr_end,min,max,damon_target_idx}, and
// nr_dests, N/{id,weight}. The files hold what the user wrote; `on` and `commit` turn them into
// core filters (filters.ts) through mkFilters / mkDests.
import { EINVAL, ENOMEM, StaticDir, type NumberedDir } from '../../../kernfs/index.js';
import { kstrtobool, kstrtoint, kstrtoul, kstrtouint, sysfsStreq } from '../../lib/kstrto.js';
import { DAMOS_FILTER_TYPES, damosFilterForOps, newFilter, ROOT_MEMCG_ID, ROOT_MEMCG_PATH, type DamosFilter, type DamosFilterType, type DamosMigrateDest } from './filters.js';
import { Children, numberedDir, rw } from './sysfs-common.js';

/** enum damos_sysfs_filter_handle_layer: which filter types a directory takes. */
export type FilterLayer = 'core' | 'ops' | 'both';

export class SysfsFilter {
  type: DamosFilterType = 'anon';
  matching = false;
  allow = false;
  /** NULL until written: the kernel keeps the written bytes, trailing newline included. */
  memcgPath: string | undefined;
  addrStart = 0n;
  addrEnd = 0n;
  min = 0n;
  max = 0n;
  targetIdx = 0;
  constructor(readonly layer: FilterLayer) {}
}

export class SysfsDest {
  id = 0;
  weight = 0;
}

/** The filter lists of one scheme directory, in the kernel's installation order. */
export class SysfsSchemeFilters {
  readonly core = new Children(() => new SysfsFilter('core'));
  readonly ops = new Children(() => new SysfsFilter('ops'));
  readonly both = new Children(() => new SysfsFilter('both'));
  readonly dests = new Children(() => new SysfsDest());
}

/** damos_sysfs_scheme_filter_valid_type: core_filters takes addr/target, ops_filters the rest. */
function validType(layer: FilterLayer, type: DamosFilterType): boolean {
  if (layer === 'both') return true;
  return damosFilterForOps(type) === (layer === 'ops');
}

const yn = (v: boolean) => (v ? 'Y\n' : 'N\n');

/** A file whose store is a kstrto* that passes its error back (`err ? err : count`). */
function parsed<T>(show: () => T, parse: (s: string) => T, set: (v: T) => void) {
  return rw(() => `${String(show())}\n`, (input) => set(parse(input)));
}

function filterDir(f: SysfsFilter): StaticDir {
  return new StaticDir({
    type: rw(
      () => `${f.type}\n`,
      (input) => {
        const type = DAMOS_FILTER_TYPES.find((w) => sysfsStreq(input, w));
        if (type === undefined) throw EINVAL; // type_store: not a filter type keyword
        if (!validType(f.layer, type)) throw EINVAL; // a type the directory's layer does not handle
        f.type = type;
      },
    ),
    matching: rw(() => yn(f.matching), (input) => (f.matching = kstrtobool(input))), // kstrtobool's EINVAL
    allow: rw(() => yn(f.allow), (input) => (f.allow = kstrtobool(input))), // kstrtobool's EINVAL
    // memcg_path_store copies the bytes (strscpy stops at a NUL); show adds a newline.
    memcg_path: rw(() => `${f.memcgPath ?? ''}\n`, (input) => (f.memcgPath = input.split('\0')[0]!)),
    addr_start: parsed(() => f.addrStart, (s) => kstrtoul(s, 0), (v) => (f.addrStart = v)), // EINVAL or ERANGE
    addr_end: parsed(() => f.addrEnd, (s) => kstrtoul(s, 0), (v) => (f.addrEnd = v)), // EINVAL or ERANGE
    min: parsed(() => f.min, (s) => kstrtoul(s, 0), (v) => (f.min = v)), // EINVAL or ERANGE
    max: parsed(() => f.max, (s) => kstrtoul(s, 0), (v) => (f.max = v)), // EINVAL or ERANGE
    damon_target_idx: parsed(() => f.targetIdx, (s) => kstrtoint(s, 0), (v) => (f.targetIdx = v)), // EINVAL or ERANGE
  });
}

/** A `filters`, `core_filters` or `ops_filters` directory: nr_filters (re)creating 0..N-1. */
export function filtersDir(holder: SysfsSchemeFilters, layer: FilterLayer): NumberedDir {
  return numberedDir('nr_filters', holder[layer], filterDir);
}

/** The `dests` directory: nr_dests (re)creating 0..N-1 with id and weight (kstrtouint). */
export function destsDir(holder: SysfsSchemeFilters): NumberedDir {
  return numberedDir(
    'nr_dests',
    holder.dests,
    (d) =>
      new StaticDir({
        id: parsed(() => d.id, (s) => kstrtouint(s, 0), (v) => (d.id = v)), // EINVAL or ERANGE
        weight: parsed(() => d.weight, (s) => kstrtouint(s, 0), (v) => (d.weight = v)), // EINVAL or ERANGE
      }),
  );
}

/**
 * damon_sysfs_memcg_path_to_id: the memcg whose cgroup_path equals the path (sysfs_streq).
 * The simulator has only the root memcg (filters.ts).
 */
function memcgPathToId(path: string | undefined): number {
  if (path === undefined || !sysfsStreq(path, ROOT_MEMCG_PATH)) throw ENOMEM; // no memcg has this path: -EINVAL, reported as ENOMEM (mkFilters)
  return ROOT_MEMCG_ID;
}

/**
 * damon_sysfs_add_scheme_filters for core_filters, ops_filters, then filters (usage.rst: the
 * first two install before the last). A memcg filter naming no memcg, an addr filter ending
 * before it starts or a hugepage_size filter with min > max fails the scheme, and
 * damon_sysfs_add_schemes reports any scheme it could not make as ENOMEM, so `on` and `commit`
 * fail with ENOMEM, not EINVAL.
 */
export function mkFilters(h: SysfsSchemeFilters): DamosFilter[] {
  return [...h.core.map((f) => f), ...h.ops.map((f) => f), ...h.both.map((f) => f)].map((f) => {
    const p: Partial<DamosFilter> = {};
    if (f.type === 'memcg') p.memcgId = memcgPathToId(f.memcgPath);
    else if (f.type === 'addr') {
      if (f.addrEnd < f.addrStart) throw ENOMEM; // addr_range.end < start: -EINVAL, reported as ENOMEM
      Object.assign(p, { addrStart: f.addrStart, addrEnd: f.addrEnd });
    } else if (f.type === 'target') p.targetIdx = f.targetIdx;
    else if (f.type === 'hugepage_size') {
      if (f.min > f.max) throw ENOMEM; // sz_range.min > max: -EINVAL, reported as ENOMEM
      Object.assign(p, { szMin: f.min, szMax: f.max });
    }
    return newFilter(f.type, f.matching, f.allow, p);
  });
}

/** damos_sysfs_add_migrate_dest: node ids and weights as written (no check). */
export function mkDests(h: SysfsSchemeFilters): DamosMigrateDest[] {
  return h.dests.map((d) => ({ id: d.id, weight: d.weight }));
}
