// DAMON's monitoring core (mm/damon/core.c, spec/mechanisms.md §1): one context per kdamond,
// adaptive regions (random 2–3 way split between 10 % and 90 %, merge under a threshold that
// doubles until nr_regions ≤ max, sz_limit, age), nr_accesses per aggregation interval, DAMOS
// schemes, and the 2020 record buffer. The kdamond is a chain of clock events, one per
// sampling interval, whose CPU time is charged to the thread. Address spaces are behind
// DamonOperations (ops.ts); the file interfaces (dbgfs.ts) only parse and call in here.
import createDebug from 'debug';
import { PAGE_SIZE } from '../../config/machine.js';
import type { Kernel } from '../../kernel.js';
import type { TimerHandle } from '../../time/clock.js';
import { coreFilterOut, setFiltersDefaultReject, type DamosFilter, type DamosFilterLists, type DamosMigrateDest } from './filters.js';
import type { DamonOperations } from './ops.js';
import { adjustQuota, newQuotaState, skipChargedRegion, splitRegionAt, tunedSampleUs, intervalsAdaptationBp, intervalsScore, validTarget, type DamosQuotaState, type IntervalsGoal } from './quota.js';
import { encodeSnapshot, RECFMT_HEADER } from './record.js';

const trace = createDebug('tiersim:damon');

/** The monitoring attributes: the kernel's unsigned longs, exact up to ULONG_MAX. */
export interface DamonAttrs {
  sampleUs: bigint;
  aggrUs: bigint;
  updateUs: bigint;
  minNrRegions: bigint;
  maxNrRegions: bigint;
  /** intervals_goal (6.15+): auto-tuning of the intervals; absent or aggrs 0 is off. */
  intervalsGoal?: IntervalsGoal;
}

/**
 * The simulator's ceiling on regions per context: attrs accept any unsigned long (and read it
 * back), but a kernel given min_nr_regions = ULONG_MAX would allocate regions until memory
 * runs out; the simulator monitors with at most this many.
 */
export const SIM_MAX_NR_REGIONS = 1 << 16;

/** A u64 as a number for the mechanism: exact below 2^53, clamped above (explicitly, never rounded). */
export function clampU64(v: bigint): number {
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

/**
 * Every simulated address (physical or virtual) lies below 2^52, so regions are numbers that
 * stay exact under addition. User ranges (init_regions, u64 up to ULONG_MAX) are clipped to it
 * when monitoring starts; nothing simulated lives above, so no access is lost.
 */
export const SIM_ADDR_LIMIT = 2 ** 52;

/** Address ranges given as u64 pairs, clipped to the simulated address space. */
export function simRanges(ranges: ReadonlyArray<readonly [bigint, bigint]>): Array<[number, number]> {
  const lim = BigInt(SIM_ADDR_LIMIT);
  const out: Array<[number, number]> = [];
  for (const [a, b] of ranges) if (a < lim) out.push([Number(a), Number(b < lim ? b : lim)]);
  return out;
}

export class DamonRegion {
  /** Address picked for this sampling interval, and when its Accessed bit was cleared. */
  samplingAddr = 0;
  sampledAtNs = 0;
  nrAccesses = 0;
  /** The pseudo moving sum of nr_accesses in bp (damon_moving_sum), what DAMOS matches on. */
  nrAccessesBp = 0;
  lastNrAccesses = 0;
  age = 0;

  constructor(
    public start: number,
    public end: number,
  ) {}

  get size(): number {
    return this.end - this.start;
  }
}

export class DamonTarget {
  regions: DamonRegion[] = [];
  /**
   * Regions the user gave through init_regions (u64 start, end), used when monitoring starts.
   * The kernel keeps them in the target's region list, so they go when the kdamond ends.
   */
  initRegions: Array<[bigint, bigint]> = [];

  constructor(
    /** The pid for vaddr; for paddr the id the interface shows (-1 or 42). */
    public id: number,
  ) {}
}

/** The debugfs generations' enum damos_action, whose index is the schemes file's action number. */
export const DAMOS_ACTIONS = ['willneed', 'cold', 'pageout', 'hugepage', 'nohugepage', 'stat'] as const;
/** Every action: the debugfs ones plus lru_prio/lru_deprio (6.0) and migrate_hot/cold (6.11). */
export type DamosAction = (typeof DAMOS_ACTIONS)[number] | 'lru_prio' | 'lru_deprio' | 'migrate_hot' | 'migrate_cold';

/** Quota: ms, sz and the reset interval are unsigned longs (bigint), the weights unsigned ints. */
export interface DamosQuota {
  ms: bigint;
  sz: bigint;
  resetIntervalMs: bigint;
  weightSz: number;
  weightNrAccesses: number;
  weightAge: number;
}

export interface DamosWatermarks {
  /** 0 none, 1 free memory rate in permil. */
  metric: number;
  intervalUs: bigint;
  high: bigint;
  mid: bigint;
  low: bigint;
}

export interface DamosStats {
  nrTried: number;
  szTried: number;
  nrApplied: number;
  szApplied: number;
  qtExceeds: number;
  /** Bytes the ops filters passed (sz_ops_filter_passed, 6.14+). */
  szOpsFilterPassed: number;
}

/** A scheme: sizes are unsigned longs (bigint, exact to ULONG_MAX), the rest unsigned ints. */
export interface DamosScheme extends DamosFilterLists {
  minSz: bigint;
  maxSz: bigint;
  minNrAccesses: number;
  maxNrAccesses: number;
  minAge: number;
  maxAge: number;
  action: DamosAction;
  quota: DamosQuota;
  wmarks: DamosWatermarks;
  stats: DamosStats;
  /**
   * apply_interval_us (sysfs, 6.7+): 0 applies at every aggregation; otherwise every this many
   * µs, at its own sampling boundary, matching on the pseudo moving sum (damos_set_next_apply_sis).
   */
  applyIntervalUs: bigint;
  nextApplySis: number;
  /** target_nid (6.11+): where migrate_hot/migrate_cold move pages; -1 (NUMA_NO_NODE) none. */
  targetNid: number;
  /** dests (6.17+): migrate_hot/migrate_cold destinations and weights; empty uses targetNid. */
  migrateDests: DamosMigrateDest[];
  /**
   * Regions tried at the scheme's last apply: [start, end, nr_accesses, age, sz_filter_passed]
   * (tried_regions).
   */
  lastTried: Array<[number, number, number, number, number]>;
  /** The quota's goals, charge window, effective size and minimum score (quota.ts). */
  qs: DamosQuotaState;
  wmarkActive: boolean;
}

type FilterState = keyof DamosFilterLists | 'migrateDests';

/** A scheme with kernel defaults; `filters` go to the core or ops list by type (damos_add_filter). */
export function newScheme(
  p: Omit<DamosScheme, 'stats' | 'qs' | 'wmarkActive' | 'quota' | 'wmarks' | 'applyIntervalUs' | 'nextApplySis' | 'targetNid' | 'lastTried' | FilterState> &
    Partial<Pick<DamosScheme, 'quota' | 'wmarks' | 'applyIntervalUs' | 'targetNid' | 'migrateDests'>> & { filters?: readonly DamosFilter[]; goals?: DamosQuotaState['goals'] },
): DamosScheme {
  const { filters = [], goals, ...rest } = p;
  const s: DamosScheme = {
    ...rest,
    coreFilters: filters.filter((f) => f.type === 'addr' || f.type === 'target'),
    opsFilters: filters.filter((f) => f.type !== 'addr' && f.type !== 'target'),
    coreFiltersDefaultReject: false,
    opsFiltersDefaultReject: false,
    coreFiltersAllowed: false,
    migrateDests: p.migrateDests ?? [],
    applyIntervalUs: p.applyIntervalUs ?? 0n,
    targetNid: p.targetNid ?? -1,
    lastTried: [],
    nextApplySis: 0,
    quota: p.quota ?? { ms: 0n, sz: 0n, resetIntervalMs: 0n, weightSz: 0, weightNrAccesses: 0, weightAge: 0 },
    wmarks: p.wmarks ?? { metric: 0, intervalUs: 0n, high: 0n, mid: 0n, low: 0n },
    stats: { nrTried: 0, szTried: 0, nrApplied: 0, szApplied: 0, qtExceeds: 0, szOpsFilterPassed: 0 },
    qs: newQuotaState(goals),
    wmarkActive: true,
  };
  setFiltersDefaultReject(s);
  return s;
}

/** Host file port for the record file (memfs in tests, the real filesystem in a mount). */
export interface HostFs {
  /** Append `data` to `path` (O_CREAT|O_APPEND, 0644); throw with a `code` on failure. */
  appendFile(path: string, data: Uint8Array): void;
}

export class DamonCtx {
  attrs: DamonAttrs;
  targets: DamonTarget[] = [];
  schemes: DamosScheme[] = [];
  rbufLen: number;
  rbufPath: string;
  /** Cumulative CPU time of this context's kdamond (simulated ns). */
  cpuNs = 0;
  kdamondPid: number | undefined;
  /** Snapshots recorded since start (for progress displays). */
  snapshots = 0;
  /**
   * Record format version: 1 (4-byte int pid) for targets set through the 2020 `pids` file,
   * 2 (8-byte target id) for `target_ids` (spec kernel-files.md §1c).
   */
  recfmtVersion: 1 | 2 = 2;
  /** A front end's repeated damon_call, run once per sample (sysfs refresh_ms). */
  afterSample: ((ctx: DamonCtx) => void) | undefined;
  /**
   * addr_unit (sysfs, 6.18): paddr's region addresses are physical addresses / addr_unit, so
   * a 32-bit kernel can name memory above 4 GiB. Other ops ignore it.
   */
  addrUnit = 1;
  /** ctx->callback.before_terminate: the front end's hook after the regions are destroyed. */
  beforeTerminate: ((ctx: DamonCtx) => void) | undefined;
  private rbuf: Uint8Array[] = [];
  private rbufUsed = 0;
  private timer: TimerHandle | undefined;
  private passedSis = 0;
  private nextAggregationSis = 0;
  private nextUpdateSis = 0;
  private szLimit = PAGE_SIZE;
  private lastSplitNr = 0;
  private nextTuneSis = 0;

  constructor(
    readonly k: Kernel,
    public ops: DamonOperations,
    attrs: DamonAttrs,
    record: { len: number; path: string },
  ) {
    this.attrs = { ...attrs };
    this.rbufLen = record.len;
    this.rbufPath = record.path;
  }

  get running(): boolean {
    return this.kdamondPid !== undefined;
  }

  /** damon_max_nr_accesses: aggregation / sampling interval, at least 1. */
  get maxNrAccesses(): number {
    return this.sis(this.attrs.aggrUs);
  }

  /** Sampling intervals per `us` (at least 1; a zero sampling interval counts as 1 µs). */
  private sis(us: bigint): number {
    const s = this.attrs.sampleUs > 0n ? this.attrs.sampleUs : 1n;
    const n = us / s;
    return n > 0n ? clampU64(n) : 1;
  }

  /**
   * The kdamond's sleep between samples in ns. usleep_range(0, 1) still sleeps, so a zero
   * interval sleeps 1 µs: simulated time always moves between two samples.
   */
  get sampleNs(): number {
    return clampU64((this.attrs.sampleUs > 0n ? this.attrs.sampleUs : 1n) * 1000n);
  }

  /** min_sz_region: the smallest region, PAGE_SIZE in core units (PAGE_SIZE / addr_unit for paddr, at least 1). */
  get minSzRegion(): number {
    return this.ops.name === 'paddr' ? Math.max(1, Math.floor(PAGE_SIZE / this.addrUnit)) : PAGE_SIZE;
  }

  /** min_nr_regions as the mechanism uses it (at most SIM_MAX_NR_REGIONS). */
  get minNrRegions(): number {
    return Math.min(SIM_MAX_NR_REGIONS, clampU64(this.attrs.minNrRegions));
  }

  /** max_nr_regions as the mechanism uses it (at most SIM_MAX_NR_REGIONS). */
  get maxNrRegions(): number {
    return Math.min(SIM_MAX_NR_REGIONS, clampU64(this.attrs.maxNrRegions));
  }

  /** Start the kdamond (the front ends check their own target rules first). */
  start(pid: number): void {
    this.kdamondPid = pid;
    this.passedSis = 0;
    this.snapshots = 0;
    this.cpuNs = 0;
    this.nextAggregationSis = this.sis(this.attrs.aggrUs);
    this.nextUpdateSis = this.sis(this.attrs.updateUs);
    this.rbuf = [];
    this.rbufUsed = 0;
    if (this.rbufLen > 0) {
      const v = new DataView(new ArrayBuffer(4));
      v.setInt32(0, this.recfmtVersion, true);
      this.writeRbuf(Buffer.concat([RECFMT_HEADER, new Uint8Array(v.buffer)]));
    }
    this.nextTuneSis = this.intervalsTuneSis();
    for (const s of this.schemes) {
      s.qs = newQuotaState(s.qs.goals);
      this.nextApplySisOf(s);
    }
    this.ops.init(this);
    for (const t of this.targets) for (const r of t.regions) r.nrAccesses = r.nrAccessesBp = r.lastNrAccesses = r.age = 0;
    this.updateSzLimit();
    trace('kdamond %d starts: %s, %d targets, %d regions', pid, this.ops.name, this.targets.length, this.nrRegions());
    this.ops.prepareAccessChecks(this);
    this.timer = this.k.clock.after(this.sampleNs, () => this.step());
  }

  /**
   * Stop the kdamond (monitor_on off, or every target gone): flush the record buffer, destroy
   * every target's regions (init regions included: kdamond_fn's exit path), then run the
   * front end's before_terminate, as kdamond_fn ends.
   */
  stop(reason = 'stopped'): void {
    if (!this.running) return;
    this.timer?.cancel();
    this.timer = undefined;
    this.flushRbuf();
    trace('kdamond %d %s after %d snapshots, cpu %d ns', this.kdamondPid, reason, this.snapshots, this.cpuNs);
    for (const t of this.targets) {
      t.regions = [];
      t.initRegions = [];
    }
    this.beforeTerminate?.(this);
    this.kdamondPid = undefined;
  }

  nrRegions(): number {
    let n = 0;
    for (const t of this.targets) n += t.regions.length;
    return n;
  }

  private updateSzLimit(): void {
    let total = 0;
    for (const t of this.targets) for (const r of t.regions) total += r.size;
    const min = this.minSzRegion;
    this.szLimit = Math.max(min, Math.floor(total / this.minNrRegions / min) * min);
  }

  /** One sampling interval has passed: check, aggregate, apply schemes, split, update. */
  private step(): void {
    this.passedSis++;
    const before = this.cpuNs;
    const maxNr = this.ops.checkAccesses(this);
    const aggregating = this.passedSis >= this.nextAggregationSis;
    if (aggregating) {
      this.mergeRegions(Math.floor(maxNr / 10));
      this.recordSnapshot();
    }
    // kdamond_apply_schemes runs every sample; each scheme acts when its own interval is due.
    this.applySchemes();
    if (aggregating) {
      const g = this.attrs.intervalsGoal;
      if (g !== undefined && g.aggrs > 0n && this.passedSis >= this.nextTuneSis) {
        this.nextTuneSis += this.intervalsTuneSis();
        this.tuneIntervals(g);
      }
      this.nextAggregationSis = this.passedSis + this.sis(this.attrs.aggrUs);
      for (const t of this.targets) {
        for (const r of t.regions) {
          r.lastNrAccesses = r.nrAccesses;
          r.nrAccesses = 0;
        }
      }
      this.splitRegions();
    }
    if (this.passedSis >= this.nextUpdateSis) {
      this.nextUpdateSis += this.sis(this.attrs.updateUs);
      this.ops.update(this);
      this.updateSzLimit();
    }
    // kdamond_need_stop: every target invalid. paddr has no target_valid, so a paddr kdamond
    // (even one without targets, which only sysfs can start) runs until stopped.
    if (this.ops.name !== 'paddr' && this.targets.every((t) => !this.ops.targetValid(this, t))) {
      this.stop('stops: every target is gone');
      return;
    }
    this.afterSample?.(this);
    this.ops.prepareAccessChecks(this);
    // kdamond sleeps sample_interval after doing its work: its CPU time delays the next sample.
    const work = Math.round(this.cpuNs - before);
    this.timer = this.k.clock.after(this.sampleNs + work, () => this.step());
  }

  /** Charge kdamond CPU time. */
  charge(ns: number): void {
    this.cpuNs += ns;
  }

  /** kdamond_merge_regions: age, then merge neighbours with similar nr_accesses. */
  private mergeRegions(threshold: number): void {
    let thres = threshold;
    const maxNr = this.maxNrAccesses;
    do {
      for (const t of this.targets) t.regions = mergeRegionsOf(t.regions, thres, this.szLimit);
      thres = Math.max(1, thres * 2);
    } while (this.nrRegions() > this.maxNrRegions && thres / 2 < maxNr);
  }

  /** kdamond_split_regions: 2 (or 3 when the count is stable and small) random pieces each. */
  private splitRegions(): void {
    const n = this.nrRegions();
    if (n > this.maxNrRegions / 2) return;
    const nrSubs = n === this.lastSplitNr && n < this.maxNrRegions / 3 ? 3 : 2;
    const min = this.minSzRegion;
    for (const t of this.targets) {
      const out: DamonRegion[] = [];
      for (const r of t.regions) {
        const pieces: DamonRegion[] = [r];
        let left = r;
        for (let i = 0; i < nrSubs - 1 && left.size > 2 * min; i++) {
          const szSub = Math.floor((this.k.rng.nextInt(1, 10) * left.size) / 10 / min) * min;
          if (szSub === 0 || szSub >= left.size) continue;
          const right = new DamonRegion(left.start + szSub, left.end);
          right.age = left.age;
          right.lastNrAccesses = left.lastNrAccesses;
          right.nrAccesses = left.nrAccesses;
          right.nrAccessesBp = left.nrAccessesBp;
          left.end = left.start + szSub;
          pieces.splice(1, 0, right);
        }
        out.push(...pieces.sort((a, b) => a.start - b.start));
      }
      t.regions = out;
    }
    this.lastSplitNr = n;
  }

  /** damos_set_next_apply_sis: the scheme's next apply, apply_interval_us (or aggr) from now. */
  private nextApplySisOf(s: DamosScheme): void {
    s.nextApplySis = this.passedSis + this.sis(s.applyIntervalUs > 0n ? s.applyIntervalUs : this.attrs.aggrUs);
  }

  /** Sampling intervals between two intervals tunings: aggr_samples × intervals_goal.aggrs. */
  private intervalsTuneSis(): number {
    const g = this.attrs.intervalsGoal;
    return g === undefined || g.aggrs === 0n ? 0 : this.sis(this.attrs.aggrUs) * clampU64(g.aggrs);
  }

  /**
   * kdamond_tune_intervals: scale the sampling interval by the feedback on observed access
   * events (aggr keeps its number of samples), then damon_set_attrs: the next ops update and
   * scheme applies count from now, and nr_accesses and age are rescaled to the new intervals.
   */
  private tuneIntervals(g: IntervalsGoal): void {
    const samples = this.attrs.sampleUs > 0n ? this.attrs.aggrUs / this.attrs.sampleUs : this.attrs.aggrUs;
    const regions = this.targets.flatMap((t) => t.regions);
    const next = tunedSampleUs(this.attrs.sampleUs, g, intervalsAdaptationBp(intervalsScore(regions, samples, g.accessBp)));
    if (next === undefined) return;
    const oldMax = this.maxNrAccesses;
    const oldAggr = this.attrs.aggrUs;
    this.attrs = { ...this.attrs, sampleUs: next, aggrUs: next * samples };
    const newMax = this.maxNrAccesses;
    for (const r of regions) {
      // damon_update_monitoring_result (aggregation done: the last window's counts rescale).
      r.lastNrAccesses = Math.floor((Math.floor((r.lastNrAccesses * 10000) / oldMax) * newMax) / 10000);
      r.nrAccessesBp = r.lastNrAccesses * 10000;
      r.nrAccesses = Math.floor((Math.floor((r.nrAccesses * 10000) / oldMax) * newMax) / 10000);
      if (this.attrs.aggrUs > 0n) r.age = clampU64((BigInt(r.age) * oldAggr) / this.attrs.aggrUs);
    }
    this.nextUpdateSis = this.passedSis + this.sis(this.attrs.updateUs);
    for (const s of this.schemes) this.nextApplySisOf(s);
    trace('kdamond %d: intervals tuned to sample %s us, aggr %s us', this.kdamondPid, next, this.attrs.aggrUs);
  }

  /**
   * kdamond_apply_schemes: each due scheme adjusts its quota (window, effective size, minimum
   * score), then every region meets every due scheme in address order (damon_do_apply_schemes),
   * then the due schemes take their next apply time.
   */
  private applySchemes(): void {
    const due = this.schemes.filter((s) => this.passedSis >= s.nextApplySis);
    if (due.length === 0) return;
    const active = due.filter((s) => this.watermarksAllow(s));
    for (const s of active) {
      s.lastTried = [];
      // A charge point in a target a commit removed would skip every region: start over.
      if (s.qs.chargeTargetFrom !== undefined && !this.targets.includes(s.qs.chargeTargetFrom)) s.qs.chargeTargetFrom = undefined;
      adjustQuota(this, s);
    }
    const make = (a: number, b: number) => new DamonRegion(a, b);
    for (const t of this.targets) {
      // damon_for_each_region_safe: pieces split off during this walk (by a quota or an addr
      // filter) are not visited until the next apply; a charged-region skip moves `r` itself.
      for (const r0 of [...t.regions]) {
        let r = r0;
        for (const s of active) {
          const st = s.qs;
          if (st.esz > 0n && st.chargedSz >= st.esz) continue; // the quota is used up
          const next = skipChargedRegion(t, r, s, this.minSzRegion, make);
          if (next === undefined) continue;
          r = next;
          if (!validTarget(this, r, s)) continue;
          this.applyScheme(t, r, s);
        }
      }
    }
    for (const s of due) this.nextApplySisOf(s);
  }

  /**
   * damos_apply_scheme: split a region that would overrun the quota at esz − charged, apply the
   * action, charge the whole region and the time it took, reset the age, count the stats.
   */
  private applyScheme(t: DamonTarget, r: DamonRegion, s: DamosScheme): void {
    const st = s.qs;
    let sz = r.size;
    if (st.esz > 0n && st.chargedSz + BigInt(sz) > st.esz) {
      const min = BigInt(this.minSzRegion);
      sz = Number(((st.esz - st.chargedSz) / min) * min);
      if (sz === 0) {
        s.stats.nrTried++; // damos_update_stat with nothing tried or applied
        return;
      }
      splitRegionAt(t, r, sz, (a, b) => new DamonRegion(a, b));
    }
    // Rejected by a core filter: not tried, not charged, age kept (damos_apply_scheme).
    if (coreFilterOut(this.targets, t, r, s)) return;
    const cpu = this.cpuNs;
    const passed = { sz: 0 };
    // What the ops report: 0 for stat, as every ops' stat returns (damon_pa_stat, damos_va_stat).
    const applied = this.ops.applyScheme(this, t, r, s.action, s.targetNid, s, passed);
    s.lastTried.push([r.start, r.end, r.nrAccesses, r.age, passed.sz]);
    st.totalChargedNs += BigInt(Math.max(0, Math.round(this.cpuNs - cpu)));
    st.chargedSz += BigInt(sz);
    if (st.esz > 0n && st.chargedSz >= st.esz) {
      st.chargeTargetFrom = t;
      st.chargeAddrFrom = r.end + 1;
    }
    if (s.action !== 'stat') r.age = 0;
    s.stats.nrTried++;
    s.stats.szTried += sz;
    s.stats.szOpsFilterPassed += passed.sz;
    if (applied > 0) {
      s.stats.nrApplied++;
      s.stats.szApplied += applied;
    }
  }

  /** Watermarks on the free memory rate (permil of total RAM). */
  private watermarksAllow(s: DamosScheme): boolean {
    const w = s.wmarks;
    if (w.metric !== 1) return true;
    let free = 0;
    let total = 0;
    for (const n of this.k.config.nodes) {
      free += this.k.alloc.freePages(n.id);
      total += this.k.alloc.managedPages(n.id);
    }
    const metric = total === 0 ? 0 : Math.floor((free * 1000) / total);
    if (metric > w.high || metric < w.low) s.wmarkActive = false;
    else if (!s.wmarkActive && metric >= w.mid) s.wmarkActive = false;
    else s.wmarkActive = true;
    return s.wmarkActive;
  }

  private recordSnapshot(): void {
    this.snapshots++;
    if (this.rbufLen === 0) return;
    this.writeRbuf(encodeSnapshot(this.k.clock.nowNs, this.targets, this.recfmtVersion));
  }

  private writeRbuf(data: Uint8Array): void {
    if (this.rbufUsed + data.length > this.rbufLen) this.flushRbuf();
    this.rbuf.push(data);
    this.rbufUsed += data.length;
  }

  /** Append the buffer to the record file; a failure is logged, never fatal. */
  private flushRbuf(): void {
    if (this.rbufUsed === 0) return;
    const data = Buffer.concat(this.rbuf);
    this.rbuf = [];
    this.rbufUsed = 0;
    // The kernel thread resolves a relative path against its own cwd, the root directory.
    const path = this.rbufPath.startsWith('/') ? this.rbufPath : `/${this.rbufPath}`;
    try {
      this.k.hostFs.appendFile(path, data);
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'EIO';
      this.k.log.printk(`damon: failed to flush ${data.length} bytes of records to ${path} (${code})`);
    }
  }
}

/**
 * damon_update_region_access_rate: one sample's result into nr_accesses and the pseudo moving
 * sum nr_accesses_bp (window max_nr_accesses samples, 1 when sample_interval is 0).
 */
export function updateRegionAccessRate(ctx: DamonCtx, r: DamonRegion, accessed: boolean): void {
  const w = ctx.attrs.sampleUs > 0n ? ctx.maxNrAccesses : 1;
  // damon_moving_sum in unsigned int arithmetic.
  r.nrAccessesBp = (r.nrAccessesBp - Math.floor((r.lastNrAccesses * 10000) / w) + (accessed ? 10000 : 0)) >>> 0;
  if (accessed) r.nrAccesses++;
}

/** damon_merge_regions_of: age update, then merge into the previous region when close enough. */
export function mergeRegionsOf(regions: DamonRegion[], thres: number, szLimit: number): DamonRegion[] {
  const out: DamonRegion[] = [];
  for (const r of regions) {
    if (Math.abs(r.nrAccesses - r.lastNrAccesses) > thres) r.age = 0;
    else r.age++;
    const prev = out[out.length - 1];
    if (prev && prev.end === r.start && Math.abs(prev.nrAccesses - r.nrAccesses) <= thres && prev.size + r.size <= szLimit) {
      const sp = prev.size;
      const sr = r.size;
      prev.nrAccesses = Math.floor((prev.nrAccesses * sp + r.nrAccesses * sr) / (sp + sr));
      prev.age = Math.floor((prev.age * sp + r.age * sr) / (sp + sr));
      prev.nrAccessesBp = prev.nrAccesses * 10000;
      prev.end = r.end;
      continue;
    }
    out.push(r);
  }
  return out;
}

/**
 * Pick each region's sampling address (a random page in it) and note when its Accessed bit
 * was cleared: the common half of paddr's and vaddr's prepare_access_checks.
 */
export function pickSamplingAddrs(ctx: DamonCtx): void {
  const now = ctx.k.clock.nowNs;
  for (const t of ctx.targets) {
    for (const r of t.regions) {
      const min = ctx.minSzRegion;
      r.samplingAddr = r.start + Math.floor(ctx.k.rng.nextInt(0, r.size) / min) * min;
      r.sampledAtNs = now;
    }
  }
}

/**
 * Initial regions over `ranges`: about `n` in all, each range getting its share by size (at
 * least one), each split evenly.
 */
export function splitRanges(ranges: ReadonlyArray<readonly [number, number]>, n: number, minSz = PAGE_SIZE): DamonRegion[] {
  const total = ranges.reduce((s, [a, b]) => s + (b - a), 0);
  return ranges.flatMap(([a, b]) => evenRegions(a, b, Math.max(1, Math.round((n * (b - a)) / total)), minSz));
}

/** Split [start, end) evenly into `n` page-aligned regions (vaddr/paddr initial regions). */
export function evenRegions(start: number, end: number, n: number, minSz = PAGE_SIZE): DamonRegion[] {
  const size = end - start;
  const piece = Math.max(minSz, Math.floor(size / n / minSz) * minSz);
  const out: DamonRegion[] = [];
  for (let s = start; s < end; s += piece) out.push(new DamonRegion(s, Math.min(end, s + piece)));
  // Fold a sliver at the end into its neighbour.
  if (out.length > n && out.length > 1) {
    const last = out.pop()!;
    out[out.length - 1]!.end = last.end;
  }
  return out;
}
