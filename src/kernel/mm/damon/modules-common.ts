// What the DAMON modules share (mm/damon/modules-common.{c,h} and the shape reclaim.c and
// lru_sort.c have in 6.18): the module_param files, the DEFINE_DAMON_MODULES_* parameter groups
// (monitoring attrs, watermarks, quotas, scheme stats), one paddr context for the module's life,
// damon_<module>_apply_parameters validating the inputs and committing attrs, target and
// schemes into it (damon_commit_ctx: schemes keep their stats and quota state), the exclusive
// damon_start, and commit_inputs handled by the kdamond's repeated damon_call.
import createDebug from 'debug';
import { EBUSY, EINVAL, StaticDir, attr, type KFile } from '../../../kernfs/index.js';
import type { Kernel } from '../../kernel.js';
import { kstrtobool, kstrtoul } from '../../lib/kstrto.js';
import { DamonCtx, DamonTarget, type DamonAttrs, type DamosScheme, type DamosStats, type DamosWatermarks } from './core.js';
import { damonDbgfs } from './dbgfs.js';
import { biggestSystemRam, paddrOps } from './paddr.js';
import { commitSchemes } from './sysfs-schemes.js';

/** DAMOS_WMARK_FREE_MEM_RATE. */
export const WMARK_FREE_MEM_RATE = 1;
export const ULONG_MAX = (1n << 64n) - 1n;
export const UINT_MAX = 0xffffffff;

/** (unsigned int) of an unsigned long. */
export const u32 = (v: bigint): number => Number(BigInt.asUintN(32, v));

/** A module parameter file: 0600 with a setter, 0400 without (param_attr_store is NULL then). */
export function param(show: () => string, store?: (input: string) => void): KFile {
  return store ? attr({ mode: 0o600, show: () => `${show()}\n`, store }) : attr({ mode: 0o400, show: () => `${show()}\n` });
}

/** module_param(ulong): param_set_ulong is kstrtoul(val, 0), its error (EINVAL or ERANGE) returned. */
export function ulong(get: () => bigint, set: (v: bigint) => void): KFile {
  return param(() => `${get()}`, (input) => set(kstrtoul(input, 0)));
}

/** module_param(bool): param_set_bool is kstrtobool; param_get_bool prints Y or N. */
export function bool(get: () => boolean, set: (v: boolean) => void): KFile {
  return param(() => (get() ? 'Y' : 'N'), (input) => set(kstrtobool(input)));
}

/**
 * The inputs every module has: DEFINE_DAMON_MODULES_MON_ATTRS_PARAMS, _WMARKS_PARAMS,
 * monitor_region_{start,end}, addr_unit, and the enabled/commit_inputs/kdamond_pid trio.
 */
export class ModuleParams {
  enabled = false;
  commitInputs = false;
  kdamondPid = -1;
  sampleInterval = 5000n;
  aggrInterval = 100_000n;
  minNrRegions = 10n;
  maxNrRegions = 1000n;
  wmarksInterval = 5_000_000n;
  monitorRegionStart = 0n;
  monitorRegionEnd = 0n;
  addrUnit = 1n;
  quotaMs = 10n;
  quotaResetIntervalMs = 1000n;

  constructor(
    public wmarksHigh: bigint,
    public wmarksMid: bigint,
    public wmarksLow: bigint,
  ) {}

  attrs(): DamonAttrs {
    return { sampleUs: this.sampleInterval, aggrUs: this.aggrInterval, updateUs: 0n, minNrRegions: this.minNrRegions, maxNrRegions: this.maxNrRegions };
  }

  /** The module's free_mem_rate watermarks. */
  wmarks(): DamosWatermarks {
    return { metric: WMARK_FREE_MEM_RATE, intervalUs: this.wmarksInterval, high: this.wmarksHigh, mid: this.wmarksMid, low: this.wmarksLow };
  }
}

/** Every module's kdamond, for the exclusivity checks of the other DAMON front ends. */
const modulesOf = new WeakMap<Kernel, DamonModule[]>();

/** Whether a DAMON module's (exclusive) kdamond runs: sysfs's `on` is EBUSY then. */
export function damonModulesRunning(k: Kernel): boolean {
  return (modulesOf.get(k) ?? []).some((m) => m.running);
}

/**
 * A DAMON module: the context made at init (damon_modules_new_paddr_ctx_target) and kept for the
 * module's life, so its schemes' stats add up across enable/disable as damos_commit keeps them.
 */
export abstract class DamonModule {
  readonly ctx: DamonCtx;
  protected readonly trace: createDebug.Debugger;

  constructor(
    readonly k: Kernel,
    readonly name: string,
    readonly p: ModuleParams,
  ) {
    this.trace = createDebug(`tiersim:damon:${name.replace(/^damon_/, '')}`); // tiersim:damon:reclaim, tiersim:damon:lru_sort
    this.ctx = new DamonCtx(k, paddrOps(k), p.attrs(), { len: 0, path: 'none' });
    // The repeated damon_call the module registers at turn-on (damon_<module>_damon_call_fn):
    // the kdamond runs it after every sample, and it handles commit_inputs.
    this.ctx.afterSample = () => this.handleCommitInputs();
    const list = modulesOf.get(k) ?? [];
    list.push(this);
    modulesOf.set(k, list);
    damonDbgfs(k).otherRunning.push(() => this.running);
  }

  get running(): boolean {
    return this.ctx.running;
  }

  /** Module-specific input checks before damon_set_attrs. @throws EINVAL */
  protected abstract checkInputs(): void;

  /** The module's schemes from the current inputs (called after the attrs validated). */
  protected abstract newSchemes(): DamosScheme[];

  /**
   * damon_<module>_apply_parameters: validate the inputs and commit attrs, schemes and the
   * target's range into the context (damon_commit_ctx). Nothing changes on failure.
   * @throws EINVAL for invalid inputs
   */
  applyParameters(): void {
    const p = this.p;
    // With no monitoring region given, addr_unit silently goes back to 1.
    if (p.monitorRegionStart === 0n && p.monitorRegionEnd === 0n) p.addrUnit = 1n;
    this.checkInputs();
    const a = p.attrs();
    if (a.minNrRegions < 3n) throw EINVAL; // damon_set_attrs: min_nr_regions < 3
    if (a.minNrRegions > a.maxNrRegions) throw EINVAL; // min_nr_regions > max_nr_regions
    if (a.sampleUs > a.aggrUs) throw EINVAL; // sampling interval above the aggregation interval
    let start = p.monitorRegionStart;
    let end = p.monitorRegionEnd;
    if (start > end) throw EINVAL; // damon_set_region_biggest_system_ram_default: start > end
    if (start === 0n && end === 0n) {
      // the largest System RAM range, written back into the parameters
      const [s, e] = biggestSystemRam(this.k);
      start = BigInt(s) / p.addrUnit;
      end = BigInt(e) / p.addrUnit;
    }
    const range: [bigint, bigint] = [start * p.addrUnit, end * p.addrUnit];
    const schemes = this.newSchemes();
    p.monitorRegionStart = start;
    p.monitorRegionEnd = end;
    const ctx = this.ctx;
    ctx.attrs = a;
    ctx.schemes = commitSchemes(ctx.schemes, schemes); // damos_commit keeps stats and quota state
    const old = ctx.targets[0];
    const sameRange = old !== undefined && old.regions.length > 0 && old.regions[0]!.start === Number(range[0]) && old.regions[old.regions.length - 1]!.end === Number(range[1]);
    if (ctx.running && sameRange) return;
    const t = new DamonTarget(-1);
    t.initRegions = [range];
    ctx.targets = [t];
    if (ctx.running) ctx.ops.init(ctx);
  }

  /** damon_<module>_turn. @throws EINVAL (inputs), EBUSY (another DAMON runs) */
  turn(on: boolean): void {
    const p = this.p;
    if (!on) {
      this.ctx.stop();
      p.kdamondPid = -1;
      this.trace('off');
      return;
    }
    const dbgfs = damonDbgfs(this.k);
    if (dbgfs.running || dbgfs.otherRunning.some((r) => r())) throw EBUSY; // damon_start(exclusive): DAMON already runs
    this.applyParameters();
    this.ctx.start(this.k.tasks.allocPid());
    p.kdamondPid = this.ctx.kdamondPid!;
    this.trace('on: kdamond %d over [%d, %d)', p.kdamondPid, this.ctx.targets[0]!.initRegions[0]?.[0], this.ctx.targets[0]!.initRegions[0]?.[1]);
  }

  /**
   * damon_<module>_handle_commit_inputs, run by the kdamond after a sample: the inputs are
   * applied and commit_inputs reads N again. The repeated damon_call's return code is dropped
   * (kdamond_call in 6.17/6.18), so invalid inputs leave the running ones in place.
   */
  private handleCommitInputs(): void {
    const p = this.p;
    if (!p.commitInputs) return;
    try {
      this.applyParameters();
      this.trace('commit_inputs applied');
    } catch {
      this.trace('commit_inputs: invalid inputs ignored');
    }
    p.commitInputs = false;
  }

  /** The files every module has; `extra` adds the module's own. */
  files(extra: Record<string, KFile>): Record<string, KFile> {
    const p = this.p;
    return {
      enabled: bool(
        () => p.enabled,
        (on) => {
          // damon_<module>_enabled_store: nothing to do when unchanged; a failed turn leaves it
          if (on === p.enabled) return;
          this.turn(on);
          p.enabled = on;
        },
      ),
      commit_inputs: bool(() => p.commitInputs, (v) => (p.commitInputs = v)),
      ...extra,
      quota_ms: ulong(() => p.quotaMs, (v) => (p.quotaMs = v)),
      quota_reset_interval_ms: ulong(() => p.quotaResetIntervalMs, (v) => (p.quotaResetIntervalMs = v)),
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
      // damon_<module>_addr_unit_store: kstrtoul, then 0 is EINVAL (no address unit)
      addr_unit: param(
        () => `${p.addrUnit}`,
        (input) => {
          const v = kstrtoul(input, 0);
          if (v === 0n) throw EINVAL;
          p.addrUnit = v;
        },
      ),
      kdamond_pid: param(() => `${p.kdamondPid}`),
    };
  }

  /** Serve the files under /sys/module/<name>/parameters. */
  register(files: Record<string, KFile>): void {
    this.k.dir(`sys/module/${this.name}`).set('parameters', new StaticDir(files));
  }
}

/**
 * DEFINE_DAMON_MODULES_DAMOS_STATS_PARAMS(stat, try_name, succ_name, qt_exceed_name): the
 * scheme's stats as five read-only parameters (the copy the repeated damon_call makes each
 * sample; read live here, which is the same between samples).
 */
export function statsParams(stat: () => DamosStats | undefined, tryName: string, succName: string, qtName: string): Record<string, KFile> {
  return {
    [`nr_${tryName}`]: param(() => `${stat()?.nrTried ?? 0}`),
    [`bytes_${tryName}`]: param(() => `${stat()?.szTried ?? 0}`),
    [`nr_${succName}`]: param(() => `${stat()?.nrApplied ?? 0}`),
    [`bytes_${succName}`]: param(() => `${stat()?.szApplied ?? 0}`),
    [`nr_${qtName}`]: param(() => `${stat()?.qtExceeds ?? 0}`),
  };
}
