// The schemes directory of a DAMON sysfs context (mm/damon/sysfs-schemes.c, spec/kernel-files.md
// §2): nr_schemes, and per scheme action, apply_interval_us, target_nid, access_pattern,
// quotas (with weights), watermarks and stats. The files hold what the user wrote; `on` and
// `commit` turn them into core DamosSchemes (the ones the debugfs front end also feeds), and
// `update_schemes_stats` copies the running schemes' stats into the stats files.
import { EINVAL, StaticDir, type KDir, type KFile, type NumberedDir } from '../../../kernfs/index.js';
import { kstrtoint, kstrtoul, kstrtouint } from '../../lib/kstrto.js';
import { Children, numberedDir, ro, rw } from './sysfs-common.js';
import { newScheme, type DamosScheme, type DamosStats } from './core.js';
import { destsDir, filtersDir, mkDests, mkFilters, SysfsSchemeFilters } from './sysfs-filters.js';
import { GOAL_METRICS, type DamosQuotaGoal, type GoalMetric } from './quota.js';

/** damon_sysfs_damos_action_names, in the kernel's order. */
export const SYSFS_DAMOS_ACTIONS = ['willneed', 'cold', 'pageout', 'hugepage', 'nohugepage', 'lru_prio', 'lru_deprio', 'migrate_hot', 'migrate_cold', 'stat'] as const;
type SysfsAction = (typeof SYSFS_DAMOS_ACTIONS)[number];
const WMARK_METRICS = ['none', 'free_mem_rate'] as const;
const NUMA_NO_NODE = -1;

class Range {
  min = 0n;
  max = 0n;
}

export class SysfsScheme {
  action: SysfsAction = 'stat';
  applyIntervalUs = 0n;
  targetNid = NUMA_NO_NODE;
  readonly sz = new Range();
  readonly nrAccesses = new Range();
  readonly age = new Range();
  quota = { ms: 0n, bytes: 0n, resetIntervalMs: 0n, szPermil: 0, nrAccessesPermil: 0, agePermil: 0 };
  /** quotas/goals/N, and quotas/effective_bytes as update_schemes_effective_quotas left it. */
  readonly goals = new Children(() => new SysfsGoal());
  effectiveBytes = 0n;
  wmarks = { metric: 0, intervalUs: 0n, high: 0n, mid: 0n, low: 0n };
  /** What the stats files show: the running scheme's stats at the last update_schemes_stats. */
  stats: DamosStats = { nrTried: 0, szTried: 0, nrApplied: 0, szApplied: 0, qtExceeds: 0, szOpsFilterPassed: 0 };
  /** tried_regions/total_bytes as the last update_schemes_tried_{bytes,regions} left it. */
  triedBytes = 0;
  /** tried_regions/, whose N/ directories the update/clear commands rebuild. */
  readonly triedDir = new StaticDir();
  /** filters/, core_filters/, ops_filters/ and dests/ (sysfs-filters.ts). */
  readonly filters = new SysfsSchemeFilters();
}


/** quotas/goals/N (damos_sysfs_quota_goal): all zero, user_input, nid 0 and an empty path. */
export class SysfsGoal {
  metric: GoalMetric = 'user_input';
  targetValue = 0n;
  currentValue = 0n;
  nid = 0;
  path = '';
}

/** A kstrto* file whose store returns the kstrto error itself (EINVAL, or ERANGE on overflow). */
export function kstrtoFile<T extends bigint | number>(parse: (s: string) => T, get: () => T, set: (v: T) => void): KFile {
  return rw(() => `${get()}\n`, (input) => set(parse(input)));
}

function goalDir(g: SysfsGoal): StaticDir {
  return new StaticDir({
    target_metric: keywordFile(GOAL_METRICS, () => g.metric, (m) => (g.metric = m)),
    target_value: kstrtoFile((x) => kstrtoul(x, 0), () => g.targetValue, (v) => (g.targetValue = v)),
    current_value: kstrtoFile((x) => kstrtoul(x, 0), () => g.currentValue, (v) => (g.currentValue = v)),
    nid: kstrtoFile((x) => kstrtoint(x, 0), () => g.nid, (v) => (g.nid = v)),
    // path_store keeps the bytes as written (strscpy), newline included; show adds one.
    path: rw(() => `${g.path}\n`, (input) => (g.path = input)),
  });
}

function goalsDir(s: SysfsScheme): NumberedDir {
  return numberedDir('nr_goals', s.goals, goalDir);
}

/** A file parsed with `parse` (a kstrto*); any parse failure is EINVAL, as the stores return. */
function numFile<T extends bigint | number>(parse: (s: string) => T, get: () => T, set: (v: T) => void): KFile {
  return rw(
    () => `${get()}\n`,
    (input) => {
      let v: T;
      try {
        v = parse(input);
      } catch {
        throw EINVAL; // the kstrto* failed
      }
      set(v);
    },
  );
}
const ul = (get: () => bigint, set: (v: bigint) => void) => numFile((s) => kstrtoul(s, 0), get, set);
const uint = (get: () => number, set: (v: number) => void) => numFile((s) => kstrtouint(s, 0), get, set);

/** A keyword file matched with sysfs_streq (an optional trailing newline). */
function keywordFile<W extends string>(words: readonly W[], get: () => W, set: (w: W) => void): KFile {
  return rw(
    () => `${get()}\n`,
    (input) => {
      const w = words.find((x) => input === x || input === `${x}\n`);
      if (w === undefined) throw EINVAL; // not a known keyword
      set(w);
    },
  );
}

function rangeDir(r: Range): StaticDir {
  return new StaticDir({ min: ul(() => r.min, (v) => (r.min = v)), max: ul(() => r.max, (v) => (r.max = v)) });
}

function schemeDir(s: SysfsScheme): StaticDir {
  const q = s.quota;
  const w = s.wmarks;
  const st = () => s.stats;
  return new StaticDir({
    action: keywordFile(SYSFS_DAMOS_ACTIONS, () => s.action, (a) => (s.action = a)),
    target_nid: numFile((x) => kstrtoint(x, 0), () => s.targetNid, (v) => (s.targetNid = v)),
    apply_interval_us: ul(() => s.applyIntervalUs, (v) => (s.applyIntervalUs = v)),
    access_pattern: new StaticDir({ sz: rangeDir(s.sz), nr_accesses: rangeDir(s.nrAccesses), age: rangeDir(s.age) }),
    quotas: new StaticDir({
      ms: ul(() => q.ms, (v) => (q.ms = v)),
      bytes: ul(() => q.bytes, (v) => (q.bytes = v)),
      reset_interval_ms: ul(() => q.resetIntervalMs, (v) => (q.resetIntervalMs = v)),
      effective_bytes: ro(() => `${s.effectiveBytes}\n`),
      goals: goalsDir(s),
      weights: new StaticDir({
        sz_permil: uint(() => q.szPermil, (v) => (q.szPermil = v)),
        nr_accesses_permil: uint(() => q.nrAccessesPermil, (v) => (q.nrAccessesPermil = v)),
        age_permil: uint(() => q.agePermil, (v) => (q.agePermil = v)),
      }),
    }),
    watermarks: new StaticDir({
      metric: keywordFile(WMARK_METRICS, () => WMARK_METRICS[w.metric]!, (m) => (w.metric = WMARK_METRICS.indexOf(m))),
      interval_us: ul(() => w.intervalUs, (v) => (w.intervalUs = v)),
      high: ul(() => w.high, (v) => (w.high = v)),
      mid: ul(() => w.mid, (v) => (w.mid = v)),
      low: ul(() => w.low, (v) => (w.low = v)),
    }),
    filters: filtersDir(s.filters, 'both'),
    core_filters: filtersDir(s.filters, 'core'),
    ops_filters: filtersDir(s.filters, 'ops'),
    dests: destsDir(s.filters),
    tried_regions: s.triedDir.set('total_bytes', ro(() => `${s.triedBytes}\n`)),
    stats: new StaticDir({
      nr_tried: ro(() => `${st().nrTried}\n`),
      sz_tried: ro(() => `${st().szTried}\n`),
      nr_applied: ro(() => `${st().nrApplied}\n`),
      sz_applied: ro(() => `${st().szApplied}\n`),
      sz_ops_filter_passed: ro(() => `${st().szOpsFilterPassed}\n`),
      qt_exceeds: ro(() => `${st().qtExceeds}\n`),
    }),
  });
}

/** The `schemes` directory of a context: nr_schemes (re)creating 0..N-1 with defaults. */
export function schemesDir(holder: { readonly schemes: Children<SysfsScheme> }): KDir {
  return numberedDir('nr_schemes', holder.schemes, schemeDir);
}

/** (unsigned int) of an unsigned long: damos_access_pattern keeps nr_accesses and age as u32. */
const u32 = (v: bigint) => Number(BigInt.asUintN(32, v));

/**
 * damos_sysfs_add_quota_score: the goals as the core takes them. user_input keeps the written
 * current_value, node_mem_* the nid; node_memcg_* need a memory cgroup named by `path`, and the
 * simulator has none (its processes are in no cgroup), so they are EINVAL as an unknown path is.
 * @throws EINVAL for a memcg goal
 */
export function mkGoals(s: SysfsScheme): DamosQuotaGoal[] {
  return s.goals.map((g) => {
    if (g.metric === 'node_memcg_used_bp' || g.metric === 'node_memcg_free_bp') throw EINVAL; // damon_sysfs_memcg_path_to_id: no such cgroup
    return { metric: g.metric, targetValue: g.targetValue, currentValue: g.metric === 'user_input' ? g.currentValue : 0n, nid: g.nid, lastPsiTotal: 0n };
  });
}

/**
 * damos_commit_quota_goals: the running goals take the new ones by index, keeping their
 * metric-dependent state (the PSI total) when the metric stays.
 */
export function commitGoals(running: DamosQuotaGoal[], next: DamosQuotaGoal[]): DamosQuotaGoal[] {
  return next.map((g, i) => {
    const old = running[i];
    return old !== undefined && old.metric === g.metric ? { ...g, lastPsiTotal: old.lastPsiTotal } : g;
  });
}

/** The core scheme for `s` (damon_sysfs_mk_scheme). */
export function mkScheme(s: SysfsScheme): DamosScheme {
  const q = s.quota;
  const w = s.wmarks;
  return newScheme({
    minSz: s.sz.min, maxSz: s.sz.max, minNrAccesses: u32(s.nrAccesses.min), maxNrAccesses: u32(s.nrAccesses.max), minAge: u32(s.age.min), maxAge: u32(s.age.max),
    action: s.action,
    targetNid: s.targetNid,
    applyIntervalUs: s.applyIntervalUs,
    quota: { ms: q.ms, sz: q.bytes, resetIntervalMs: q.resetIntervalMs, weightSz: q.szPermil, weightNrAccesses: q.nrAccessesPermil, weightAge: q.agePermil },
    wmarks: { metric: w.metric, intervalUs: w.intervalUs, high: w.high, mid: w.mid, low: w.low },
    filters: mkFilters(s.filters),
    migrateDests: mkDests(s.filters),
    goals: mkGoals(s),
  });
}

/**
 * commit (damon_commit_schemes → damos_commit): the running schemes take the new inputs in
 * place, keeping their stats and quota window; extra new ones are added, missing ones removed.
 */
export function commitSchemes(running: DamosScheme[], next: DamosScheme[]): DamosScheme[] {
  return next.map((n, i) => {
    const old = running[i];
    if (old === undefined) return n;
    const { stats, qs, wmarkActive, nextApplySis } = old;
    qs.goals = commitGoals(qs.goals, n.qs.goals);
    Object.assign(old, n, { stats, qs, wmarkActive, nextApplySis });
    return old;
  });
}

/**
 * The tried-regions commands on one scheme (damon_sysfs_schemes_update_regions_*): `bytes`
 * sets total_bytes only, `regions` also recreates N/{start,end,nr_accesses,age}, `clear`
 * removes them. The kernel collects the regions at the scheme's next apply, blocking the
 * write until then; the simulator takes those of its last apply instead (a write cannot wait
 * on a virtual clock).
 */
export function updateTried(s: SysfsScheme, run: DamosScheme | undefined, what: 'bytes' | 'regions' | 'clear'): void {
  const dir = s.triedDir;
  if (what !== 'bytes') for (const name of dir.list()) if (/^\d+$/.test(name)) dir.delete(name);
  if (what === 'clear') {
    s.triedBytes = 0;
    return;
  }
  const tried = run?.lastTried ?? [];
  s.triedBytes = tried.reduce((sum, [a, b]) => sum + (b - a), 0);
  if (what === 'bytes') return;
  tried.forEach(([start, end, nrAccesses, age, szFilterPassed], i) => {
    dir.set(
      String(i),
      new StaticDir({
        start: ro(() => `${start}\n`),
        end: ro(() => `${end}\n`),
        nr_accesses: ro(() => `${nrAccesses}\n`),
        age: ro(() => `${age}\n`),
        sz_filter_passed: ro(() => `${szFilterPassed}\n`),
      }),
    );
  });
}
