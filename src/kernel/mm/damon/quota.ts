// DAMOS quotas, quota goals and intervals auto-tuning (mm/damon/core.c damos_adjust_quota,
// damos_set_effective_quota, damon_feed_loop_next_input, damos_quota_score,
// damos_skip_charged_region; mm/damon/ops-common.c damon_hot_score/damon_cold_score;
// core.c kdamond_tune_intervals; spec/mechanisms.md §1.6, §1.8). The core's apply loop
// (core.ts applySchemes) calls in here; both front ends (debugfs, sysfs) feed the same fields.
import createDebug from 'debug';
import { PAGE_SIZE } from '../../config/machine.js';
import type { Kernel } from '../../kernel.js';
import type { DamonCtx, DamonRegion, DamonTarget, DamosScheme } from './core.js';

const trace = createDebug('tiersim:damon:quota');

const ULONG_MAX = (1n << 64n) - 1n;
/** DAMOS_MAX_SCORE (damon.h): scores are 0..99. */
export const DAMOS_MAX_SCORE = 99;
/** ops-common.c: subscores are 0..100, ages counted in up to 32 doublings of a second. */
const DAMON_MAX_SUBSCORE = 100;
const DAMON_MAX_AGE_IN_LOG = 32;

/** damos_sysfs_qgoal_metric_names of 6.18, in the kernel's order (the memcg ones need a cgroup). */
export const GOAL_METRICS = ['user_input', 'some_mem_psi_us', 'node_mem_used_bp', 'node_mem_free_bp', 'node_memcg_used_bp', 'node_memcg_free_bp'] as const;
export type GoalMetric = (typeof GOAL_METRICS)[number];

/** struct damos_quota_goal: target and current values are unsigned longs. */
export interface DamosQuotaGoal {
  metric: GoalMetric;
  targetValue: bigint;
  currentValue: bigint;
  nid: number;
  /** some_mem_psi_us: the stall total (µs) at the last evaluation. */
  lastPsiTotal: bigint;
}

/** Quota state the kernel keeps in struct damos_quota besides the user's inputs. */
export interface DamosQuotaState {
  goals: DamosQuotaGoal[];
  /** Effective size quota in bytes (0: unlimited, as the kernel reads esz == 0). */
  esz: bigint;
  /** The feedback loop's last input (esz in bp of a byte). */
  eszBp: bigint;
  chargedSz: bigint;
  totalChargedSz: bigint;
  totalChargedNs: bigint;
  /** Start of the charge window (ns); undefined before the first window (charged_from 0). */
  chargedFromNs: number | undefined;
  /** Where the previous window stopped charging (charge_target_from, charge_addr_from). */
  chargeTargetFrom: DamonTarget | undefined;
  chargeAddrFrom: number;
  minScore: number;
}

export function newQuotaState(goals: DamosQuotaGoal[] = []): DamosQuotaState {
  return {
    goals,
    esz: 0n,
    eszBp: 0n,
    chargedSz: 0n,
    totalChargedSz: 0n,
    totalChargedNs: 0n,
    chargedFromNs: undefined,
    chargeTargetFrom: undefined,
    chargeAddrFrom: 0,
    minScore: 0,
  };
}

/**
 * damon_feed_loop_next_input: the next input of a proportional loop whose goal score is 10000,
 * assuming input and score grow together; at least 10000, ULONG_MAX at most.
 */
export function feedLoopNextInput(lastInput: bigint, score: bigint): bigint {
  const goal = 10000n;
  const minInput = 10000n;
  if (score === goal) return lastInput;
  if (score >= goal * 2n) return minInput;
  const diff = score < goal ? goal - score : score - goal;
  const compensation = lastInput < ULONG_MAX / diff ? (lastInput * diff) / goal : (lastInput / goal) * diff;
  if (score < goal) return lastInput < ULONG_MAX - compensation ? lastInput + compensation : ULONG_MAX;
  return lastInput > compensation + minInput ? lastInput - compensation : minInput;
}

/**
 * The simulated "some" memory pressure total in µs (psi_system.total[PSI_AVGS][PSI_MEM * 2]):
 * time tasks spent stalled in direct reclaim, as the allocator accumulates it. The simulator has
 * no PSI accounting of its own; direct reclaim is where its tasks wait for memory.
 */
export function someMemPsiTotalUs(k: Kernel): bigint {
  return BigInt(Math.floor(k.alloc.memStallNs / 1000));
}

/** damos_get_node_mem_bp: used or free pages of `nid` in bp of its managed pages (0 without memory). */
export function nodeMemBp(k: Kernel, nid: number, used: boolean): bigint {
  if (nid < 0 || !k.config.nodes.some((n) => n.id === nid)) return 0n;
  const total = k.alloc.managedPages(nid);
  if (total === 0) return 0n;
  const free = k.alloc.freePages(nid);
  return (BigInt(used ? total - free : free) * 10000n) / BigInt(total);
}

/** damos_set_quota_goal_current_value. */
function setGoalCurrentValue(k: Kernel, g: DamosQuotaGoal): void {
  switch (g.metric) {
    case 'user_input':
      break; // the user wrote current_value
    case 'some_mem_psi_us': {
      const now = someMemPsiTotalUs(k);
      g.currentValue = now - g.lastPsiTotal;
      g.lastPsiTotal = now;
      break;
    }
    case 'node_mem_used_bp':
    case 'node_mem_free_bp':
      g.currentValue = nodeMemBp(k, g.nid, g.metric === 'node_mem_used_bp');
      break;
    default:
      // node_memcg_*: every simulated page belongs to the root cgroup, which sysfs refuses to
      // name as a goal's path (see sysfs-schemes.ts); no goal of these kinds reaches here.
      break;
  }
}

/** damos_quota_score: the highest current/target ratio in bp (the least aggressive goal wins). */
export function quotaScore(k: Kernel, goals: readonly DamosQuotaGoal[]): bigint {
  let highest = 0n;
  for (const g of goals) {
    setGoalCurrentValue(k, g);
    // mult_frac(current, 10000, target); a zero target divides by zero in the kernel: treat as ∞.
    const score = g.targetValue === 0n ? ULONG_MAX : (g.currentValue / g.targetValue) * 10000n + ((g.currentValue % g.targetValue) * 10000n) / g.targetValue;
    if (score > highest) highest = score;
  }
  return highest;
}

/** damos_set_effective_quota: goals' feedback, then the time quota, then the size quota. */
export function setEffectiveQuota(k: Kernel, s: DamosScheme): void {
  const q = s.quota;
  const st = s.qs;
  if (q.ms === 0n && st.goals.length === 0) {
    st.esz = q.sz;
    return;
  }
  let esz = ULONG_MAX;
  if (st.goals.length > 0) {
    const score = quotaScore(k, st.goals);
    st.eszBp = feedLoopNextInput(st.eszBp > 10000n ? st.eszBp : 10000n, score);
    esz = st.eszBp / 10000n;
  }
  if (q.ms > 0n) {
    // Bytes per ms; PAGE_SIZE * 1024 (4 MiB/ms) before anything was measured.
    const throughput = st.totalChargedNs > 0n ? (st.totalChargedSz * 1000000n) / st.totalChargedNs : BigInt(PAGE_SIZE * 1024);
    const t = BigInt.asUintN(64, throughput * q.ms);
    if (t < esz) esz = t;
  }
  if (q.sz > 0n && q.sz < esz) esz = q.sz;
  st.esz = esz;
}

/** damon_hot_score: frequency and age subscores weighted by the quota's weights, 0..99. */
export function hotScore(ctx: DamonCtx, r: DamonRegion, s: DamosScheme): number {
  const wFreq = s.quota.weightNrAccesses;
  const wAge = s.quota.weightAge;
  const freq = Math.floor((r.nrAccesses * DAMON_MAX_SUBSCORE) / ctx.maxNrAccesses);
  // (unsigned long)age * aggr_interval / 1000000, stored in an unsigned int.
  let ageSec = Number(BigInt.asUintN(32, BigInt.asUintN(64, BigInt(r.age) * ctx.attrs.aggrUs) / 1000000n));
  let ageLog = 0;
  while (ageLog < DAMON_MAX_AGE_IN_LOG && ageSec > 0) {
    ageLog++;
    ageSec = Math.floor(ageSec / 2);
  }
  if (freq === 0) ageLog = -ageLog; // never accessed: older is colder
  const ageSub = Math.floor(((ageLog + DAMON_MAX_AGE_IN_LOG) * DAMON_MAX_SUBSCORE) / DAMON_MAX_AGE_IN_LOG / 2);
  // The kernel computes in unsigned int: weights up to 2^32 - 1 wrap as it does.
  let hot = Number(BigInt.asUintN(32, BigInt(wFreq) * BigInt(freq) + BigInt(wAge) * BigInt(ageSub)));
  const wSum = (wFreq + wAge) >>> 0;
  if (wSum !== 0) hot = Math.floor(hot / wSum);
  return Math.floor((hot * DAMOS_MAX_SCORE) / DAMON_MAX_SUBSCORE);
}

/** damon_cold_score. */
export function coldScore(ctx: DamonCtx, r: DamonRegion, s: DamosScheme): number {
  return DAMOS_MAX_SCORE - hotScore(ctx, r, s);
}

/**
 * ops.get_scheme_score: paddr scores pageout/lru_deprio/migrate_cold cold and lru_prio/migrate_hot
 * hot; vaddr/fvaddr score pageout/migrate_cold cold and migrate_hot hot; anything else is 99.
 */
export function schemeScore(ctx: DamonCtx, r: DamonRegion, s: DamosScheme): number {
  const paddr = ctx.ops.name === 'paddr';
  switch (s.action) {
    case 'pageout':
    case 'migrate_cold':
      return coldScore(ctx, r, s);
    case 'migrate_hot':
      return hotScore(ctx, r, s);
    case 'lru_prio':
      return paddr ? hotScore(ctx, r, s) : DAMOS_MAX_SCORE;
    case 'lru_deprio':
      return paddr ? coldScore(ctx, r, s) : DAMOS_MAX_SCORE;
    default:
      return DAMOS_MAX_SCORE;
  }
}

/** __damos_valid_target: the access pattern, frequency from the pseudo moving sum. */
export function patternMatches(s: DamosScheme, r: DamonRegion): boolean {
  const sz = BigInt(r.size);
  const nr = Math.floor(r.nrAccessesBp / 10000);
  return sz >= s.minSz && sz <= s.maxSz && nr >= s.minNrAccesses && nr <= s.maxNrAccesses && r.age >= s.minAge && r.age <= s.maxAge;
}

/** The lowest score whose regions, with every higher-scored one, fill `esz` (the histogram walk). */
export function minScoreFor(histogram: readonly number[], maxScore: number, esz: bigint): number {
  let cumulated = 0n;
  let score = maxScore;
  for (;;) {
    cumulated += BigInt(histogram[score] ?? 0);
    if (cumulated >= esz || score === 0) break;
    score--;
  }
  return score;
}

/** damos_adjust_quota: the charge window, the effective quota and the minimum score. */
export function adjustQuota(ctx: DamonCtx, s: DamosScheme): void {
  const q = s.quota;
  const st = s.qs;
  if (q.ms === 0n && q.sz === 0n && st.goals.length === 0) return;
  const now = ctx.k.clock.nowNs;
  if (st.totalChargedSz === 0n && st.chargedFromNs === undefined) {
    st.chargedFromNs = now; // the first charge window
    setEffectiveQuota(ctx.k, s);
  }
  if (now >= st.chargedFromNs! + Number(q.resetIntervalMs > 1n << 40n ? 1n << 40n : q.resetIntervalMs) * 1e6) {
    if (st.esz > 0n && st.chargedSz >= st.esz) s.stats.qtExceeds++;
    st.totalChargedSz += st.chargedSz;
    st.chargedFromNs = now;
    st.chargedSz = 0n;
    setEffectiveQuota(ctx.k, s);
    trace('scheme %s: new window, esz %s', s.action, st.esz);
  }
  const histogram = new Array<number>(DAMOS_MAX_SCORE + 1).fill(0);
  let maxScore = 0;
  for (const t of ctx.targets) {
    for (const r of t.regions) {
      if (!patternMatches(s, r)) continue;
      const score = schemeScore(ctx, r, s);
      histogram[score]! += r.size;
      if (score > maxScore) maxScore = score;
    }
  }
  st.minScore = minScoreFor(histogram, maxScore, st.esz);
}

/** damos_valid_target: the pattern, then (under a quota) a score at least the minimum. */
export function validTarget(ctx: DamonCtx, r: DamonRegion, s: DamosScheme): boolean {
  if (!patternMatches(s, r)) return false;
  if (s.qs.esz === 0n) return true;
  return schemeScore(ctx, r, s) >= s.qs.minScore;
}

/** damon_split_region_at: `r` keeps the first `sz` bytes; the rest follows it in t's list. */
export function splitRegionAt(t: DamonTarget, r: DamonRegion, sz: number, make: (start: number, end: number) => DamonRegion): DamonRegion {
  const right = make(r.start + sz, r.end);
  right.age = r.age;
  right.lastNrAccesses = r.lastNrAccesses;
  right.nrAccesses = r.nrAccesses;
  right.nrAccessesBp = r.nrAccessesBp;
  r.end = r.start + sz;
  t.regions.splice(t.regions.indexOf(r) + 1, 0, right);
  return right;
}

/**
 * damos_skip_charged_region: after a window ran out, the next one resumes where it stopped.
 * @returns the region to go on with (the right part when `r` was split), or undefined to skip
 */
export function skipChargedRegion(t: DamonTarget, r: DamonRegion, s: DamosScheme, minSz: number, make: (start: number, end: number) => DamonRegion): DamonRegion | undefined {
  const st = s.qs;
  if (st.chargeTargetFrom === undefined) return r;
  if (t !== st.chargeTargetFrom) return undefined;
  if (r === t.regions[t.regions.length - 1]) {
    st.chargeTargetFrom = undefined;
    st.chargeAddrFrom = 0;
    return undefined;
  }
  if (st.chargeAddrFrom !== 0 && r.end <= st.chargeAddrFrom) return undefined;
  if (st.chargeAddrFrom !== 0 && r.start < st.chargeAddrFrom) {
    let skip = Math.floor((st.chargeAddrFrom - r.start) / minSz) * minSz;
    if (skip === 0) {
      if (r.size <= minSz) return undefined;
      skip = minSz;
    }
    r = splitRegionAt(t, r, skip, make);
  }
  st.chargeTargetFrom = undefined;
  st.chargeAddrFrom = 0;
  return r;
}

/** The intervals auto-tuning goal (damon_intervals_goal); aggrs 0 turns tuning off. */
export interface IntervalsGoal {
  accessBp: bigint;
  aggrs: bigint;
  minSampleUs: bigint;
  maxSampleUs: bigint;
}

/** damon_get_intervals_score: observed access events against the goal's share of the maximum, in bp. */
export function intervalsScore(regions: Iterable<DamonRegion>, aggrSamples: bigint, accessBp: bigint): bigint {
  let max = 0n;
  let events = 0n;
  for (const r of regions) {
    max += BigInt(r.size) * aggrSamples;
    events += BigInt(r.size) * BigInt(r.nrAccesses);
  }
  let target = (max * accessBp) / 10000n;
  if (target === 0n) target = 1n;
  return (events * 10000n) / target;
}

/** damon_get_intervals_adaptation_bp: the feed loop from 1e8, [1, 10000] squeezed to [5000, 10000]. */
export function intervalsAdaptationBp(scoreBp: bigint): bigint {
  const bp = feedLoopNextInput(100000000n, scoreBp) / 10000n;
  return bp <= 10000n ? 5000n + bp / 2n : bp;
}

/** kdamond_tune_intervals: the new sample interval (aggr follows as sample × aggr_samples), or undefined. */
export function tunedSampleUs(sampleUs: bigint, goal: IntervalsGoal, adaptationBp: bigint): bigint | undefined {
  if (adaptationBp === 10000n) return undefined;
  let next = (sampleUs * adaptationBp) / 10000n;
  if (next > goal.maxSampleUs) next = goal.maxSampleUs;
  if (next < goal.minSampleUs) next = goal.minSampleUs;
  return next;
}
