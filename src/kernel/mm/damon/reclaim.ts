// DAMON_RECLAIM (mm/damon/reclaim.c, Documentation/admin-guide/mm/damon/reclaim.rst): the
// built-in module that pages out cold physical memory, configured through
// /sys/module/damon_reclaim/parameters/*. One paddr context over monitor_region_start..end
// (default: the largest System RAM range, written back into the two parameters) with one
// pageout scheme for regions of at least a page not accessed for min_age (nr_accesses 0,
// age ≥ min_age / aggr_interval), under a time/size quota that pages the oldest out first
// (weights 0/0/1) and free_mem_rate watermarks. The context lives as long as the module
// (ctx is made at init), so the stats parameters add up over enable/disable cycles.
// `enabled` starts it exclusively (damon_start(&ctx, 1, true)): no other DAMON runs alongside.
import createDebug from 'debug';
import { EBUSY, EINVAL, StaticDir, attr, type KFile } from '../../../kernfs/index.js';
import { PAGE_SIZE } from '../../config/machine.js';
import type { Kernel } from '../../kernel.js';
import { kstrtobool, kstrtoul } from '../../lib/kstrto.js';
import { DamonCtx, DamonTarget, newScheme, type DamonAttrs, type DamosScheme } from './core.js';
import { damonDbgfs } from './dbgfs.js';
import { biggestSystemRam, paddrOps } from './paddr.js';
import { commitSchemes } from './sysfs-schemes.js';

const trace = createDebug('tiersim:damon:reclaim');

const ULONG_MAX = (1n << 64n) - 1n;
const UINT_MAX = 0xffffffff;
/** DAMOS_WMARK_FREE_MEM_RATE. */
const WMARK_FREE_MEM_RATE = 1;

/** The module's parameters with reclaim.c's defaults. */
class ReclaimParams {
  enabled = false;
  commitInputs = false;
  minAge = 120_000_000n; // 120 s
  quotaMs = 10n;
  quotaSz = 128n * 1024n * 1024n;
  quotaResetIntervalMs = 1000n;
  quotaMemPressureUs = 0n;
  quotaAutotuneFeedback = 0n;
  wmarksInterval = 5_000_000n;
  wmarksHigh = 500n;
  wmarksMid = 400n;
  wmarksLow = 200n;
  sampleInterval = 5000n;
  aggrInterval = 100_000n;
  minNrRegions = 10n;
  maxNrRegions = 1000n;
  monitorRegionStart = 0n;
  monitorRegionEnd = 0n;
  skipAnon = false;
  addrUnit = 1n;
  kdamondPid = -1;
}

export class DamonReclaim {
  readonly p = new ReclaimParams();
  /** The module's context (made at init, kept across enable/disable). */
  readonly ctx: DamonCtx;

  constructor(readonly k: Kernel) {
    this.ctx = new DamonCtx(k, paddrOps(k), this.attrs(), { len: 0, path: 'none' });
  }

  get running(): boolean {
    return this.ctx.running;
  }

  private attrs(): DamonAttrs {
    const p = this.p;
    return { sampleUs: p.sampleInterval, aggrUs: p.aggrInterval, updateUs: 0n, minNrRegions: p.minNrRegions, maxNrRegions: p.maxNrRegions };
  }

  /**
   * damon_reclaim_apply_parameters: validate the inputs and build the context's attrs, target
   * and scheme from them. Nothing changes on failure.
   * @throws EINVAL for invalid inputs
   */
  applyParameters(): void {
    const p = this.p;
    if (p.aggrInterval === 0n) throw EINVAL; // min_age / aggr_interval would divide by zero
    if (p.addrUnit === 0n) throw EINVAL; // no address unit
    const a = this.attrs();
    if (a.minNrRegions < 3n) throw EINVAL; // damon_set_attrs: min_nr_regions < 3
    if (a.minNrRegions > a.maxNrRegions) throw EINVAL; // min_nr_regions > max_nr_regions
    if (a.sampleUs > a.aggrUs) throw EINVAL; // sampling interval above the aggregation interval
    let start = p.monitorRegionStart;
    let end = p.monitorRegionEnd;
    if (start > end) throw EINVAL; // damon_set_region_biggest_system_ram_default: start > end
    if (start === 0n && end === 0n) {
      // the largest System RAM range in addr_unit units, written back into the parameters
      const [s, e] = biggestSystemRam(this.k);
      start = BigInt(s) / p.addrUnit;
      end = BigInt(e) / p.addrUnit;
    }
    const range: [bigint, bigint] = [start * p.addrUnit, end * p.addrUnit];
    const scheme = this.newScheme();
    p.monitorRegionStart = start;
    p.monitorRegionEnd = end;
    const ctx = this.ctx;
    ctx.attrs = a;
    ctx.schemes = commitSchemes(ctx.schemes, [scheme]); // damos_commit keeps stats and quota state
    const old = ctx.targets[0];
    const sameRange = old !== undefined && old.regions.length > 0 && old.regions[0]!.start === Number(range[0]) && old.regions[old.regions.length - 1]!.end === Number(range[1]);
    if (ctx.running && sameRange) return;
    const t = new DamonTarget(-1);
    t.initRegions = [range];
    ctx.targets = [t];
    if (ctx.running) ctx.ops.init(ctx);
  }

  /** damon_reclaim_new_scheme. */
  private newScheme(): DamosScheme {
    const p = this.p;
    const minAge = p.minAge / p.aggrInterval;
    return newScheme({
      minSz: BigInt(PAGE_SIZE), maxSz: ULONG_MAX,
      minNrAccesses: 0, maxNrAccesses: 0,
      minAge: Number(minAge > BigInt(UINT_MAX) ? BigInt(UINT_MAX) : minAge), maxAge: UINT_MAX,
      action: 'pageout',
      quota: { ms: p.quotaMs, sz: p.quotaSz, resetIntervalMs: p.quotaResetIntervalMs, weightSz: 0, weightNrAccesses: 0, weightAge: 1 },
      wmarks: { metric: WMARK_FREE_MEM_RATE, intervalUs: p.wmarksInterval, high: p.wmarksHigh, mid: p.wmarksMid, low: p.wmarksLow },
    });
  }

  /** damon_reclaim_turn. @throws EINVAL (inputs), EBUSY (another DAMON runs) */
  turn(on: boolean): void {
    const p = this.p;
    if (!on) {
      this.ctx.stop();
      p.kdamondPid = -1;
      trace('off');
      return;
    }
    if (damonDbgfs(this.k).running || damonDbgfs(this.k).otherRunning.some((r) => r())) throw EBUSY; // damon_start(exclusive): DAMON already runs
    this.applyParameters();
    p.commitInputs = false; // the start applied every input
    this.ctx.start(this.k.tasks.allocPid());
    p.kdamondPid = this.ctx.kdamondPid!;
    trace('on: kdamond %d over [%d, %d)', p.kdamondPid, this.ctx.targets[0]!.initRegions[0]?.[0], this.ctx.targets[0]!.initRegions[0]?.[1]);
  }
}

const reclaimOf = new WeakMap<Kernel, DamonReclaim>();

/** The DAMON_RECLAIM module of a kernel. */
export function damonReclaim(k: Kernel): DamonReclaim {
  const r = reclaimOf.get(k);
  if (!r) throw EINVAL; // registerDamonReclaim not called: a boot-order bug
  return r;
}

/** Whether DAMON_RECLAIM's (exclusive) kdamond runs: other DAMON users' `on` is EBUSY then. */
export function damonReclaimRunning(k: Kernel): boolean {
  return reclaimOf.get(k)?.running ?? false;
}

/** A module parameter file: 0600 with a setter, 0400 without (param_attr_store is NULL then). */
function param(show: () => string, store?: (input: string) => void): KFile {
  return store ? attr({ mode: 0o600, show: () => `${show()}\n`, store }) : attr({ mode: 0o400, show: () => `${show()}\n` });
}

/** module_param(ulong): param_set_ulong is kstrtoul(val, 0), its error (EINVAL or ERANGE) returned. */
function ulong(get: () => bigint, set: (v: bigint) => void): KFile {
  return param(() => `${get()}`, (input) => set(kstrtoul(input, 0)));
}

/** module_param(bool): param_set_bool is kstrtobool; param_get_bool prints Y or N. */
function bool(get: () => boolean, set: (v: boolean) => void): KFile {
  return param(() => (get() ? 'Y' : 'N'), (input) => set(kstrtobool(input)));
}

export function registerDamonReclaim(k: Kernel): void {
  const r = new DamonReclaim(k);
  reclaimOf.set(k, r);
  damonDbgfs(k).otherRunning.push(() => r.running);
  const p = r.p;
  const stat = () => r.ctx.schemes[0]?.stats;
  const files: Record<string, KFile> = {
    enabled: bool(
      () => p.enabled,
      (on) => {
        // damon_reclaim_enabled_store: nothing to do when unchanged; a failed turn leaves it
        if (on === p.enabled) return;
        r.turn(on);
        p.enabled = on;
      },
    ),
    commit_inputs: bool(
      () => p.commitInputs,
      (v) => {
        p.commitInputs = v;
        if (!v || !r.running) return;
        // damon_reclaim_handle_commit_inputs, run by the kdamond after its next aggregation:
        // applied at once here. Invalid inputs stop DAMON_RECLAIM, as the callback's error does.
        try {
          r.applyParameters();
        } catch {
          r.ctx.stop('stopped: invalid inputs');
          p.kdamondPid = -1;
          trace('commit_inputs: invalid inputs, kdamond stopped');
        }
        p.commitInputs = false;
      },
    ),
    min_age: ulong(() => p.minAge, (v) => (p.minAge = v)),
    quota_ms: ulong(() => p.quotaMs, (v) => (p.quotaMs = v)),
    quota_sz: ulong(() => p.quotaSz, (v) => (p.quotaSz = v)),
    quota_reset_interval_ms: ulong(() => p.quotaResetIntervalMs, (v) => (p.quotaResetIntervalMs = v)),
    quota_mem_pressure_us: ulong(() => p.quotaMemPressureUs, (v) => (p.quotaMemPressureUs = v)),
    quota_autotune_feedback: ulong(() => p.quotaAutotuneFeedback, (v) => (p.quotaAutotuneFeedback = v)),
    wmarks_interval: ulong(() => p.wmarksInterval, (v) => (p.wmarksInterval = v)),
    wmarks_high: ulong(() => p.wmarksHigh, (v) => (p.wmarksHigh = v)),
    wmarks_mid: ulong(() => p.wmarksMid, (v) => (p.wmarksMid = v)),
    wmarks_low: ulong(() => p.wmarksLow, (v) => (p.wmarksLow = v)),
    sample_interval: ulong(() => p.sampleInterval, (v) => (p.sampleInterval = v)),
    aggr_interval: ulong(() => p.aggrInterval, (v) => (p.aggrInterval = v)),
    min_nr_regions: ulong(() => p.minNrRegions, (v) => (p.minNrRegions = v)),
    max_nr_regions: ulong(() => p.maxNrRegions, (v) => (p.maxNrRegions = v)),
    monitor_region_start: ulong(() => p.monitorRegionStart, (v) => (p.monitorRegionStart = v)),
    monitor_region_end: ulong(() => p.monitorRegionEnd, (v) => (p.monitorRegionEnd = v)),
    skip_anon: bool(() => p.skipAnon, (v) => (p.skipAnon = v)),
    addr_unit: ulong(() => p.addrUnit, (v) => (p.addrUnit = v)),
    kdamond_pid: param(() => `${p.kdamondPid}`),
    // DEFINE_DAMON_MODULES_DAMOS_STATS_PARAMS(reclaim_tried_regions, reclaimed_regions, quota_exceeds)
    nr_reclaim_tried_regions: param(() => `${stat()?.nrTried ?? 0}`),
    bytes_reclaim_tried_regions: param(() => `${stat()?.szTried ?? 0}`),
    nr_reclaimed_regions: param(() => `${stat()?.nrApplied ?? 0}`),
    bytes_reclaimed_regions: param(() => `${stat()?.szApplied ?? 0}`),
    nr_quota_exceeds: param(() => `${stat()?.qtExceeds ?? 0}`),
  };
  k.dir('sys/module/damon_reclaim').set('parameters', new StaticDir(files));
}
