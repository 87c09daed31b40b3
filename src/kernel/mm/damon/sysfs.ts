// /sys/kernel/mm/damon/admin (spec/kernel-files.md §2): DAMON's sysfs front end, shaped like
// mm/damon/sysfs.c. The files only hold what the user wrote (kobjects with defaults, every
// nr_* write recreating 0..N-1); `state` `on` builds a fresh DamonCtx from them (validating
// as damon_sysfs_build_ctx does) and starts it in core.ts, the same core the debugfs front end
// (dbgfs.ts) uses. Schemes are sysfs-schemes.ts.
import createDebug from 'debug';
import { EBUSY, EINVAL, EPERM, StaticDir, attr, type KFile, type NumberedDir } from '../../../kernfs/index.js';
import type { Kernel } from '../../kernel.js';
import { kstrtoint, kstrtoul, kstrtouint } from '../../lib/kstrto.js';
import { PAGE_SIZE } from '../../config/machine.js';
import { clampU64, DamonCtx, DamonTarget, type DamonAttrs, type DamosScheme } from './core.js';
import { damonDbgfs } from './dbgfs.js';
import { paddrOps, setRegionBiggestSystemRamDefault } from './paddr.js';
import { damonReclaimRunning } from './reclaim.js';
import { Children, numberedDir, ro, rw } from './sysfs-common.js';
import type { IntervalsGoal } from './quota.js';
import { commitSchemes, kstrtoFile, mkGoals, commitGoals, mkScheme, schemesDir, SysfsScheme, updateTried } from './sysfs-schemes.js';
import { fvaddrOps, vaddrOps } from './vaddr.js';

const trace = createDebug('tiersim:damon:sysfs');

/** damon_sysfs_ops_strs: the names `operations` accepts, in the kernel's order. */
const OPS_NAMES = ['vaddr', 'fvaddr', 'paddr'] as const;
type OpsName = (typeof OPS_NAMES)[number];
/** The operations sets the simulated kernel registers, in enum damon_ops_id order. */
const REGISTERED_OPS: readonly OpsName[] = ['vaddr', 'fvaddr', 'paddr'];

/** The `state` commands (damon_sysfs_cmd_strs plus on/off). */
const STATE_COMMANDS = [
  'on', 'off', 'commit', 'commit_schemes_quota_goals', 'update_schemes_stats', 'update_schemes_tried_bytes',
  'update_schemes_tried_regions', 'clear_schemes_tried_regions', 'update_schemes_effective_quotas', 'update_tuned_intervals',
] as const;

class SysfsRegion {
  start = 0n;
  end = 0n;
}

class SysfsTarget {
  pid = 0;
  readonly regions = new Children(() => new SysfsRegion());
}

class SysfsContext {
  operations: OpsName = 'vaddr';
  /** addr_unit (6.18): 1. */
  addrUnit = 1n;
  attrs: DamonAttrs & { intervalsGoal: IntervalsGoal } = {
    sampleUs: 5000n, aggrUs: 100_000n, updateUs: 60_000_000n, minNrRegions: 10n, maxNrRegions: 1000n,
    intervalsGoal: { accessBp: 0n, aggrs: 0n, minSampleUs: 0n, maxSampleUs: 0n },
  };
  readonly targets = new Children(() => new SysfsTarget());
  readonly schemes = new Children(() => new SysfsScheme());
}

/** update_tuned_intervals: the files take the running context's (tuned) intervals. */
function updTunedIntervals(kd: SysfsKdamond, ctx: DamonCtx): void {
  if (kd.contexts.length === 0) return;
  const c = kd.contexts.at(0);
  c.attrs.sampleUs = ctx.attrs.sampleUs;
  c.attrs.aggrUs = ctx.attrs.aggrUs;
}

/** update_schemes_stats: the stats files take the running schemes' stats. */
function updSchemesStats(kd: SysfsKdamond, ctx: DamonCtx): void {
  if (kd.contexts.length === 0) return;
  const c = kd.contexts.at(0);
  ctx.schemes.forEach((run, i) => {
    if (i < c.schemes.length) c.schemes.at(i).stats = { ...run.stats };
  });
}

/** update_schemes_effective_quotas: quotas/effective_bytes takes each running scheme's esz. */
function updEffectiveQuotas(kd: SysfsKdamond, ctx: DamonCtx): void {
  if (kd.contexts.length === 0) return;
  const c = kd.contexts.at(0);
  ctx.schemes.forEach((run, i) => {
    if (i < c.schemes.length) c.schemes.at(i).effectiveBytes = run.qs.esz;
  });
}

/**
 * damon_sysfs_repeat_call_fn: with refresh_ms set, every refresh_ms of the kdamond's (virtual)
 * time the tuned intervals, the schemes' stats and effective quotas are refreshed, checked once
 * per sample as the kdamond's repeated damon_call is.
 */
function refresh(kd: SysfsKdamond, ctx: DamonCtx): void {
  if (kd.refreshMs === 0) return;
  const now = ctx.k.clock.nowNs;
  if (now < kd.nextRefreshNs) return;
  kd.nextRefreshNs = now + kd.refreshMs * 1e6;
  updTunedIntervals(kd, ctx);
  updSchemesStats(kd, ctx);
  updEffectiveQuotas(kd, ctx);
}

class SysfsKdamond {
  readonly contexts = new Children(() => new SysfsContext());
  /** refresh_ms (6.17+): auto-refresh period of the stats-like files while on; 0 off. */
  refreshMs = 0;
  /** The context the last `on` built (kdamond->damon_ctx); kept after it stops. */
  ctx: DamonCtx | undefined;
  nextRefreshNs = 0;
}

export class DamonSysfs {
  readonly kdamonds = new Children(() => new SysfsKdamond());
  readonly dir: NumberedDir;

  constructor(readonly k: Kernel) {
    this.dir = numberedDir('nr_kdamonds', this.kdamonds, (kd) => kdamondDir(this, kd), () => {
      if (this.running) throw EBUSY; // damon_sysfs_kdamonds_busy: a kdamond is running
    });
    k.dir('sys/kernel/mm/damon/admin').set('kdamonds', this.dir);
  }

  /** Any kdamond of this front end monitoring (only a touched kdamond can have been turned on). */
  get running(): boolean {
    for (const kd of this.kdamonds.built()) if (kd.ctx?.running === true) return true;
    return false;
  }
}

const sysfsOf = new WeakMap<Kernel, DamonSysfs>();

/** The DAMON sysfs state of a kernel. */
export function damonSysfs(k: Kernel): DamonSysfs {
  const s = sysfsOf.get(k);
  if (!s) throw EINVAL; // registerDamonSysfs not called: a boot-order bug
  return s;
}


/** A kstrtoul file: any parse failure is EINVAL (the stores return -EINVAL, not the kstrto error). */
function ulFile(get: () => bigint, set: (v: bigint) => void): KFile {
  return rw(
    () => `${get()}\n`,
    (input) => {
      let v: bigint;
      try {
        v = kstrtoul(input, 0);
      } catch {
        throw EINVAL; // kstrtoul failed
      }
      set(v);
    },
  );
}

/** A sysfs_streq match: the keyword, optionally followed by one newline. */
function streq(input: string, word: string): boolean {
  return input === word || input === `${word}\n`;
}

function regionDir(r: SysfsRegion): StaticDir {
  return new StaticDir({
    start: ulFile(() => r.start, (v) => (r.start = v)),
    end: ulFile(() => r.end, (v) => (r.end = v)),
  });
}

function targetDir(t: SysfsTarget): StaticDir {
  const regions = numberedDir('nr_regions', t.regions, regionDir);
  return new StaticDir({
    pid_target: rw(
      () => `${t.pid}\n`,
      (input) => {
        let pid: number;
        try {
          pid = kstrtoint(input, 0);
        } catch {
          throw EINVAL; // kstrtoint failed
        }
        t.pid = pid;
      },
    ),
    regions,
  });
}

const ul = (x: string) => kstrtoul(x, 0);

function contextDir(c: SysfsContext): StaticDir {
  const a = c.attrs;
  const g = a.intervalsGoal;
  const intervals = new StaticDir({
    sample_us: ulFile(() => a.sampleUs, (v) => (a.sampleUs = v)),
    aggr_us: ulFile(() => a.aggrUs, (v) => (a.aggrUs = v)),
    update_us: ulFile(() => a.updateUs, (v) => (a.updateUs = v)),
    // damon_sysfs_intervals_goal: four kstrtoul files, all 0 (tuning off).
    // (their stores return kstrtoul's error: EINVAL, or ERANGE on overflow).
    intervals_goal: new StaticDir({
      access_bp: kstrtoFile(ul, () => g.accessBp, (v) => (g.accessBp = v)),
      aggrs: kstrtoFile(ul, () => g.aggrs, (v) => (g.aggrs = v)),
      min_sample_us: kstrtoFile(ul, () => g.minSampleUs, (v) => (g.minSampleUs = v)),
      max_sample_us: kstrtoFile(ul, () => g.maxSampleUs, (v) => (g.maxSampleUs = v)),
    }),
  });
  const nrRegions = new StaticDir({
    min: ulFile(() => a.minNrRegions, (v) => (a.minNrRegions = v)),
    max: ulFile(() => a.maxNrRegions, (v) => (a.maxNrRegions = v)),
  });
  const targets = numberedDir('nr_targets', c.targets, targetDir);
  return new StaticDir({
    avail_operations: ro(() => REGISTERED_OPS.map((o) => `${o}\n`).join('')),
    // addr_unit_store: kstrtoul's error returned; 0 is EINVAL.
    addr_unit: rw(
      () => `${c.addrUnit}\n`,
      (input) => {
        const v = kstrtoul(input, 0);
        if (v === 0n) throw EINVAL; // a zero address unit
        c.addrUnit = v;
      },
    ),
    operations: rw(
      () => `${c.operations}\n`,
      (input) => {
        const op = OPS_NAMES.find((o) => streq(input, o));
        if (op === undefined) throw EINVAL; // not an operations set name
        c.operations = op;
      },
    ),
    monitoring_attrs: new StaticDir({ intervals, nr_regions: nrRegions }),
    targets,
    schemes: schemesDir(c),
  });
}

function isTargetPid(k: Kernel, pid: number): boolean {
  const p = k.tasks.get(pid);
  return (p !== undefined && p.alive) || (k.hostProcs?.alive(pid) ?? false);
}

/**
 * The monitoring inputs of `c` as core objects, validated as damon_sysfs_apply_inputs does
 * (damon_set_attrs, damon_select_ops, damon_sysfs_add_targets, damon_sysfs_set_regions).
 * @throws EINVAL for any invalid input
 */
function buildInputs(k: Kernel, c: SysfsContext): { attrs: DamonAttrs; ops: OpsName; addrUnit: number; targets: DamonTarget[]; schemes: DamosScheme[] } {
  const a = c.attrs;
  if (a.minNrRegions < 3n) throw EINVAL; // damon_set_attrs: min_nr_regions < 3
  if (a.minNrRegions > a.maxNrRegions) throw EINVAL; // min_nr_regions > max_nr_regions
  if (a.sampleUs > a.aggrUs) throw EINVAL; // sample interval above the aggregation interval
  const g = a.intervalsGoal;
  if (g.aggrs > 0n && (a.sampleUs < g.minSampleUs || a.sampleUs > g.maxSampleUs)) throw EINVAL; // tuning: sample_us outside [min, max]
  if (!REGISTERED_OPS.includes(c.operations)) throw EINVAL; // damon_select_ops: not registered
  const vaddr = c.operations !== 'paddr';
  if (!vaddr && c.targets.length > 1) throw EINVAL; // paddr monitors one physical address space
  const targets = c.targets.map((st) => {
    if (vaddr && !isTargetPid(k, st.pid)) throw EINVAL; // find_get_pid found no such process
    const t = new DamonTarget(vaddr ? st.pid : -1);
    let prevEnd = 0n;
    st.regions.map((r, i) => {
      if (r.start > r.end) throw EINVAL; // damon_sysfs_set_regions: start > end
      if (i > 0 && prevEnd > r.start) throw EINVAL; // unsorted or overlapping
      prevEnd = r.end;
      t.initRegions.push([r.start, r.end]);
    });
    if (!vaddr && t.initRegions.length === 0) {
      setRegionBiggestSystemRamDefault(k, t);
      // damon_set_region_biggest_system_ram_default: the range in core address units.
      t.initRegions = t.initRegions.map(([a, b]) => [a / c.addrUnit, b / c.addrUnit]);
    }
    return t;
  });
  const schemes = c.schemes.map(mkScheme);
  // addr_unit is respected by paddr only (as a core unit it is at most 2^52: beyond, no simulated address).
  const addrUnit = vaddr ? 1 : clampU64(c.addrUnit);
  return { attrs: { ...a, intervalsGoal: { ...g } }, ops: c.operations, addrUnit, targets, schemes };
}

function opsOf(k: Kernel, name: OpsName) {
  return name === 'paddr' ? paddrOps(k) : name === 'fvaddr' ? fvaddrOps(k) : vaddrOps(k);
}

/** damon_sysfs_turn_damon_on. */
function turnOn(s: DamonSysfs, kd: SysfsKdamond): void {
  const { k } = s;
  if (kd.ctx?.running) throw EBUSY; // already running
  if (kd.contexts.length !== 1) throw EINVAL; // exactly one context per kdamond
  if (damonDbgfs(k).running || damonReclaimRunning(k)) throw EBUSY; // damon_start: an exclusive (debugfs, DAMON_RECLAIM) kdamond runs
  const inputs = buildInputs(k, kd.contexts.get(0));
  const ctx = new DamonCtx(k, opsOf(k, inputs.ops), inputs.attrs, { len: 0, path: 'none' });
  ctx.targets = inputs.targets;
  ctx.schemes = inputs.schemes;
  ctx.addrUnit = inputs.addrUnit;
  ctx.afterSample = () => refresh(kd, ctx);
  ctx.start(k.tasks.allocPid());
  kd.ctx = ctx;
  kd.nextRefreshNs = 0;
  trace('kdamond %d on: %s, %d targets', ctx.kdamondPid, inputs.ops, ctx.targets.length);
}

/**
 * commit (damon_sysfs_commit_input → damon_commit_ctx): the files' inputs become the running
 * context's. Targets that keep their pid and give no regions keep their monitoring regions;
 * others start from their inputs, as newly added targets do.
 */
function commit(s: DamonSysfs, kd: SysfsKdamond, ctx: DamonCtx): void {
  if (kd.contexts.length === 0) throw EINVAL; // no context to commit
  const c = kd.contexts.get(0);
  const inputs = buildInputs(s.k, c);
  // damon_commit_ctx: min_sz_region (PAGE_SIZE / addr_unit for paddr) must be a power of 2.
  const minSz = inputs.ops === 'paddr' ? Math.max(1, Math.floor(PAGE_SIZE / inputs.addrUnit)) : PAGE_SIZE;
  if ((minSz & (minSz - 1)) !== 0) throw EINVAL; // not a power of 2
  const sameOps = inputs.ops === ctx.ops.name;
  const old = ctx.targets;
  const fresh: DamonTarget[] = [];
  const merged = inputs.targets.map((t, i) => {
    const prev = old[i];
    if (sameOps && prev !== undefined && prev.id === t.id && c.targets.get(i).regions.length === 0) return prev;
    fresh.push(t);
    return t;
  });
  ctx.attrs = inputs.attrs;
  ctx.addrUnit = inputs.addrUnit;
  ctx.schemes = commitSchemes(ctx.schemes, inputs.schemes);
  if (!sameOps) ctx.ops = opsOf(s.k, inputs.ops);
  ctx.targets = fresh;
  ctx.ops.init(ctx);
  ctx.targets = merged;
}

function stateFile(s: DamonSysfs, kd: SysfsKdamond): KFile {
  return rw(
    () => (kd.ctx?.running ? 'on\n' : 'off\n'),
    (input) => {
      const cmd = STATE_COMMANDS.find((w) => streq(input, w));
      if (cmd === undefined) throw EINVAL; // unknown command
      if (cmd === 'on') return turnOn(s, kd);
      if (cmd === 'off') {
        if (kd.ctx === undefined) throw EINVAL; // never turned on
        if (!kd.ctx.running) throw EPERM; // __damon_stop: already stopped
        kd.ctx.stop();
        return;
      }
      const ctx = kd.ctx;
      if (ctx === undefined || !ctx.running) throw EINVAL; // commands need a running kdamond
      if (cmd === 'commit') commit(s, kd, ctx);
      else if (cmd === 'update_schemes_stats' || cmd === 'update_schemes_effective_quotas' || cmd === 'update_tuned_intervals') {
        if (kd.contexts.length === 0) throw EINVAL; // no context directory to update
        if (cmd === 'update_schemes_stats') updSchemesStats(kd, ctx);
        else if (cmd === 'update_schemes_effective_quotas') updEffectiveQuotas(kd, ctx);
        else updTunedIntervals(kd, ctx);
      } else if (cmd === 'commit_schemes_quota_goals') {
        // damon_sysfs_commit_schemes_quota_goals: only the goals (user_input's current_value).
        if (kd.contexts.length === 0) throw EINVAL; // no context directory to commit
        const c = kd.contexts.get(0);
        const goals = c.schemes.map(mkGoals); // validated before anything changes
        goals.forEach((g, i) => {
          const run = ctx.schemes[i];
          if (run) run.qs.goals = commitGoals(run.qs.goals, g);
        });
      } else if (cmd === 'update_schemes_tried_bytes' || cmd === 'update_schemes_tried_regions' || cmd === 'clear_schemes_tried_regions') {
        if (kd.contexts.length === 0) throw EINVAL; // no context directory to update
        const c = kd.contexts.at(0);
        const what = cmd === 'update_schemes_tried_bytes' ? 'bytes' : cmd === 'clear_schemes_tried_regions' ? 'clear' : 'regions';
        for (let i = 0; i < c.schemes.length; i++) updateTried(c.schemes.at(i), ctx.schemes[i], what);
      }
    },
  );
}

function kdamondDir(s: DamonSysfs, kd: SysfsKdamond): StaticDir {
  const contexts = numberedDir('nr_contexts', kd.contexts, contextDir, (n) => {
    if (n > 1) throw EINVAL; // only one context per kdamond is supported
  });
  return new StaticDir({
    state: stateFile(s, kd),
    pid: ro(() => `${kd.ctx?.kdamondPid ?? -1}\n`),
    // refresh_ms_store: kstrtouint, its error passed back (EINVAL, ERANGE).
    refresh_ms: rw(
      () => `${kd.refreshMs}\n`,
      (input) => {
        kd.refreshMs = kstrtouint(input, 0);
      },
    ),
    contexts,
  });
}

export function registerDamonSysfs(k: Kernel): void {
  const s = new DamonSysfs(k);
  sysfsOf.set(k, s);
  damonDbgfs(k).otherRunning.push(() => s.running);
}
