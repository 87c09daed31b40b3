// DAMOS quotas (mm/damon/core.c, ops-common.c; spec/mechanisms.md §1.3, §1.6, §1.8): the feed
// loop, hot/cold scores, the histogram's minimum score, effective quotas, the pseudo moving sum,
// intervals tuning, and the quota's per-region rules through the sysfs front end, table driven.
import { describe, expect, it } from 'vitest';
import { EINVAL, ERANGE, type KernelError } from '../../../src/kernfs/index.js';
import { costNs, PAGE_SIZE } from '../../../src/kernel/config/machine.js';
import type { Kernel } from '../../../src/kernel/kernel.js';
import { DamonRegion, newScheme, updateRegionAccessRate, type DamonCtx, type DamosScheme } from '../../../src/kernel/mm/damon/core.js';
import {
  coldScore, feedLoopNextInput, hotScore, intervalsAdaptationBp, intervalsScore, minScoreFor, nodeMemBp, setEffectiveQuota, tunedSampleUs, type DamosQuotaGoal,
} from '../../../src/kernel/mm/damon/quota.js';
import { damonSysfs } from '../../../src/kernel/mm/damon/sysfs.js';
import { advance, bootPreset, errnoOf, spawn, writeGives } from './boot.js';

const UL = 18446744073709551615n;
const MiB = 1 << 20;

function scheme(over: Partial<DamosScheme['quota']> = {}, goals: DamosQuotaGoal[] = []): DamosScheme {
  return newScheme({
    minSz: 0n, maxSz: UL, minNrAccesses: 0, maxNrAccesses: 0xffffffff, minAge: 0, maxAge: 0xffffffff, action: 'migrate_hot',
    quota: { ms: 0n, sz: 0n, resetIntervalMs: 0n, weightSz: 0, weightNrAccesses: 0, weightAge: 0, ...over },
    goals,
  });
}

describe('damon_feed_loop_next_input', () => {
  it.each([
    // [last input, score, next]
    [10000n, 10000n, 10000n], // on goal: unchanged
    [100000n, 5000n, 150000n], // half the goal: +50 %
    [100000n, 15000n, 50000n], // 1.5× the goal: −50 %
    [12000n, 15000n, 10000n], // never below the minimum input
    [100000n, 20000n, 10000n], // twice the goal or more: the minimum
    [100000n, 0n, 200000n], // nothing achieved: doubled
    [UL - 1n, 0n, UL], // saturates at ULONG_MAX
    [UL / 2n, 5000n, (UL / 2n / 10000n) * 5000n + UL / 2n], // last_input ≥ ULONG_MAX / diff: divide first
  ])('last %s, score %s → %s', (last, score, next) => {
    expect(feedLoopNextInput(last, score)).toBe(next);
  });
});

describe('damon_hot_score / damon_cold_score (ops-common.c)', () => {
  // [nr_accesses, age, nr_accesses weight, age weight, sample_us, aggr_us, hot]
  it.each([
    [20, 0, 1, 0, 5000n, 100000n, 99], // full frequency
    [0, 0, 0, 0, 5000n, 100000n, 0], // no weights: hotness 0
    [10, 0, 100, 100, 5000n, 100000n, 49], // (50 + 50) / 2 → 50 × 99/100
    [0, 100, 0, 1, 5000n, 100000n, 42], // idle for 10 s: age log 4, negated → 43 → 42
    [20, 100, 0, 1, 5000n, 100000n, 55], // busy for 10 s: age log 4 → 56 → 55
    [1, 10000, 0, 1, 1000000000000n, 1000000000000n, 97], // age_in_sec wraps in an unsigned int (10^10 → 1410065408: 31 bits)
  ])('nr %d age %d weights %d/%d → hot %d', (nr, age, wFreq, wAge, sampleUs, aggrUs, hot) => {
    const ctx = { maxNrAccesses: Number(aggrUs / sampleUs), attrs: { aggrUs, sampleUs } } as unknown as DamonCtx;
    const r = new DamonRegion(0, 4096);
    r.nrAccesses = nr;
    r.age = age;
    const s = scheme({ weightNrAccesses: wFreq, weightAge: wAge });
    expect(hotScore(ctx, r, s)).toBe(hot);
    expect(coldScore(ctx, r, s)).toBe(99 - hot);
  });
});

describe('the score histogram: minimum score whose bytes fill the quota (damos_adjust_quota)', () => {
  const hist = new Array<number>(100).fill(0);
  hist[90] = 4 * MiB;
  hist[50] = 8 * MiB;
  hist[10] = 16 * MiB;
  it.each([
    [0n, 90],
    [BigInt(4 * MiB), 90],
    [BigInt(5 * MiB), 50],
    [BigInt(12 * MiB), 50],
    [BigInt(13 * MiB), 10],
    [BigInt(100 * MiB), 0], // never filled: down to 0
  ])('esz %s → min_score %d', (esz, min) => {
    expect(minScoreFor(hist, 90, esz)).toBe(min);
  });
});

describe('damos_set_effective_quota', () => {
  const goal = (current: bigint, target: bigint): DamosQuotaGoal => ({ metric: 'user_input', targetValue: target, currentValue: current, nid: 0, lastPsiTotal: 0n });
  it.each([
    // [ms, sz, charged bytes, charged ns, goals, esz]
    [0n, 0n, 0n, 0n, [], 0n], // no quota: 0, read as unlimited
    [0n, BigInt(MiB), 0n, 0n, [], BigInt(MiB)],
    [10n, 0n, 0n, 0n, [], 10n * 4096n * 1024n], // nothing measured: 4 MiB/ms
    [10n, BigInt(MiB), 0n, 0n, [], BigInt(MiB)], // the size quota caps the time quota
    [10n, 0n, 1000000000n, 1000000000n, [], 10000000n], // 1 GB in 1 s: 1 MB/ms
    [0n, 0n, 0n, 0n, [goal(5000n, 10000n)], 1n], // feed loop from 10000 bp: 15000 bp → 1 byte
  ])('ms %s sz %s (%s B in %s ns), goals %o → esz %s', (ms, sz, csz, cns, goals, esz) => {
    const s = scheme({ ms, sz }, goals as DamosQuotaGoal[]);
    s.qs.totalChargedSz = csz;
    s.qs.totalChargedNs = cns;
    setEffectiveQuota(bootPreset(), s);
    expect(s.qs.esz).toBe(esz);
  });

  it('goals: the input grows while under the goal and falls to the minimum at twice it', () => {
    const k = bootPreset();
    const g = goal(5000n, 10000n);
    const s = scheme({}, [g]);
    s.qs.eszBp = 1000000000n;
    setEffectiveQuota(k, s);
    expect(s.qs.esz).toBe(150000n);
    g.currentValue = 20000n;
    setEffectiveQuota(k, s);
    expect(s.qs.esz).toBe(1n);
    // Two goals: the higher score (the less aggressive input) wins.
    const both = scheme({}, [goal(5000n, 10000n), goal(15000n, 10000n)]);
    both.qs.eszBp = 1000000000n;
    setEffectiveQuota(k, both);
    expect(both.qs.esz).toBe(50000n);
  });

  it('node_mem_used_bp / node_mem_free_bp: the node\'s pages from the allocator, in bp', async () => {
    const k = bootPreset();
    await spawn(k, 'idle size=4G node=0');
    const total = k.alloc.managedPages(0);
    const free = k.alloc.freePages(0);
    expect(nodeMemBp(k, 0, true)).toBe(BigInt(Math.floor(((total - free) * 10000) / total)));
    expect(nodeMemBp(k, 0, false)).toBe(BigInt(Math.floor((free * 10000) / total)));
    expect(Number(nodeMemBp(k, 0, true))).toBeGreaterThan(2500); // 4 of 16 GiB at least
    expect(nodeMemBp(k, 7, true)).toBe(0n); // no such node
  });
});

describe('nr_accesses_bp: the pseudo moving sum (damon_update_region_access_rate)', () => {
  // [last nr_accesses, bp before, samples accessed of 20, bp after, nr_accesses after]
  it.each([
    [10, 100000, 20, 200000, 20],
    [10, 100000, 0, 0, 0],
    [0, 0, 5, 50000, 5],
    [20, 200000, 10, 100000, 10],
  ])('last %d, bp %d, %d of 20 samples accessed → bp %d', (last, bp, hits, want, nr) => {
    const ctx = { maxNrAccesses: 20, attrs: { sampleUs: 5000n, aggrUs: 100000n } } as unknown as DamonCtx;
    const r = new DamonRegion(0, 4096);
    r.lastNrAccesses = last;
    r.nrAccessesBp = bp;
    for (let i = 0; i < 20; i++) updateRegionAccessRate(ctx, r, i < hits);
    expect(r.nrAccessesBp).toBe(want);
    expect(r.nrAccesses).toBe(nr);
  });
});

describe('intervals auto-tuning (kdamond_tune_intervals)', () => {
  const goal = { accessBp: 400n, aggrs: 3n, minSampleUs: 5000n, maxSampleUs: 10000000n };
  it.each([
    // [nr_accesses of two 4 KiB regions, score bp, adaptation bp, next sample_us from 5000]
    [[1, 0], 6250n, 13750n, 6875n], // 4096 of 6553 target events: lengthen
    [[20, 20], 250022n, 5000n, 5000n], // far above: halve, clamped at min_sample_us
    [[0, 0], 0n, 20000n, 10000n], // nothing seen: double
  ])('nr %j → score %s, adaptation %s, sample %s', (nrs, score, adapt, sample) => {
    const regions = nrs.map((n) => Object.assign(new DamonRegion(0, 4096), { nrAccesses: n }));
    expect(intervalsScore(regions, 20n, goal.accessBp)).toBe(score);
    expect(intervalsAdaptationBp(score)).toBe(adapt);
    expect(tunedSampleUs(5000n, goal, adapt)).toBe(sample);
  });
  it('an adaptation of exactly 10000 leaves the intervals', () => {
    expect(tunedSampleUs(5000n, goal, 10000n)).toBeUndefined();
  });
});

// Through the sysfs front end: one paddr kdamond over the RAM ranges.
const A = 'sys/kernel/mm/damon/admin/kdamonds';
const K0 = `${A}/0`;
const C0 = `${K0}/contexts/0`;
const S0 = `${C0}/schemes/0`;
const read = (k: Kernel, f: string) => k.fs.readFile(f);
const write = (k: Kernel, f: string, text: string) => k.fs.writeFile(f, text);
const fails = (k: Kernel, f: string, text: string) => errnoOf(() => write(k, f, text)) as KernelError | undefined;

function paddrKdamond(k: Kernel, nrSchemes = 1): void {
  write(k, `${A}/nr_kdamonds`, '1\n');
  write(k, `${K0}/contexts/nr_contexts`, '1\n');
  write(k, `${C0}/operations`, 'paddr\n');
  write(k, `${C0}/targets/nr_targets`, '1\n');
  // Every RAM range, DRAM and CXL, as the tiering setups monitor.
  const ram = k.layout.ram;
  write(k, `${C0}/targets/0/regions/nr_regions`, `${ram.length}\n`);
  ram.forEach((r, i) => {
    write(k, `${C0}/targets/0/regions/${i}/start`, `${r.start}\n`);
    write(k, `${C0}/targets/0/regions/${i}/end`, `${r.end + 1}\n`);
  });
  write(k, `${C0}/schemes/nr_schemes`, `${nrSchemes}\n`);
  for (let i = 0; i < nrSchemes; i++) for (const p of ['sz', 'nr_accesses', 'age']) write(k, `${C0}/schemes/${i}/access_pattern/${p}/max`, `${UL}\n`);
}
const running = (k: Kernel) => damonSysfs(k).kdamonds.get(0).ctx!;

/** Scheme 0 promotes to node 0 under `quota` (quotas/bytes or quotas/ms), hottest first by
 * nr_accesses, a new quota window every 100 ms; then the kdamond is turned on. */
function migrateHotUnderQuota(k: Kernel, quota: 'bytes' | 'ms', value: number): void {
  write(k, `${S0}/action`, 'migrate_hot\n');
  write(k, `${S0}/target_nid`, '0\n');
  write(k, `${S0}/quotas/${quota}`, `${value}\n`);
  write(k, `${S0}/quotas/reset_interval_ms`, '100\n'); // every apply opens a window
  write(k, `${S0}/quotas/weights/nr_accesses_permil`, '1000\n');
  write(k, `${K0}/state`, 'on\n');
}

describe('quotas/goals, effective_bytes, intervals_goal, refresh_ms: files and errnos', () => {
  it('modes, size 4096 and defaults', () => {
    const k = bootPreset();
    paddrKdamond(k);
    write(k, `${S0}/quotas/goals/nr_goals`, '1\n');
    const G = `${S0}/quotas/goals/0`;
    const I = `${C0}/monitoring_attrs/intervals/intervals_goal`;
    const table: Array<[string, number, string]> = [
      [`${K0}/refresh_ms`, 0o600, '0\n'],
      [`${S0}/quotas/effective_bytes`, 0o400, '0\n'],
      [`${S0}/quotas/goals/nr_goals`, 0o600, '1\n'],
      [`${G}/target_metric`, 0o600, 'user_input\n'],
      [`${G}/target_value`, 0o600, '0\n'],
      [`${G}/current_value`, 0o600, '0\n'],
      [`${G}/nid`, 0o600, '0\n'],
      [`${G}/path`, 0o600, '\n'],
      [`${I}/access_bp`, 0o600, '0\n'],
      [`${I}/aggrs`, 0o600, '0\n'],
      [`${I}/min_sample_us`, 0o600, '0\n'],
      [`${I}/max_sample_us`, 0o600, '0\n'],
    ];
    for (const [path, mode, text] of table) {
      expect(k.fs.stat(path), path).toMatchObject({ mode: 0o100000 | mode, size: 4096 });
      expect(read(k, path), path).toBe(text);
    }
    expect(fails(k, `${S0}/quotas/effective_bytes`, '1\n')).toBeDefined();
    write(k, `${S0}/quotas/goals/nr_goals`, '0\n');
    expect([...k.fs.readdir(`${S0}/quotas/goals`)]).toEqual(['nr_goals']);
  });

  it.each([
    ['quotas/goals/nr_goals', '-1', EINVAL],
    ['quotas/goals/nr_goals', 'x', EINVAL],
    ['quotas/goals/nr_goals', '2147483648', ERANGE],
    ['quotas/goals/0/target_metric', 'node_mem_used_bp\n', 'node_mem_used_bp\n'],
    ['quotas/goals/0/target_metric', 'some_mem_psi_us', 'some_mem_psi_us\n'],
    ['quotas/goals/0/target_metric', 'node_memcg_free_bp', 'node_memcg_free_bp\n'],
    ['quotas/goals/0/target_metric', 'node_mem', EINVAL],
    ['quotas/goals/0/target_value', '9970', '9970\n'],
    ['quotas/goals/0/target_value', '18446744073709551616', ERANGE],
    ['quotas/goals/0/target_value', '-1', EINVAL],
    ['quotas/goals/0/current_value', '0x10', '16\n'],
    ['quotas/goals/0/nid', '-1', '-1\n'],
    ['quotas/goals/0/nid', '2147483648', ERANGE],
    ['quotas/goals/0/nid', '1x', EINVAL],
    ['quotas/goals/0/path', '/a/b\n', '/a/b\n\n'],
  ] as const)('%s %j → %j', (file, input, want) => {
    const k = bootPreset();
    paddrKdamond(k);
    write(k, `${S0}/quotas/goals/nr_goals`, '1\n');
    const f = `${S0}/${file}`;
    writeGives(k, f, input, want);
  });

  it.each([
    [`${K0}/refresh_ms`, '1000', '1000\n'],
    [`${K0}/refresh_ms`, '4294967296', ERANGE],
    [`${K0}/refresh_ms`, '-1', EINVAL],
    [`${C0}/monitoring_attrs/intervals/intervals_goal/access_bp`, '400', '400\n'],
    [`${C0}/monitoring_attrs/intervals/intervals_goal/aggrs`, '18446744073709551616', ERANGE],
    [`${C0}/monitoring_attrs/intervals/intervals_goal/min_sample_us`, 'x', EINVAL],
  ] as const)('%s %j → %j', (f, input, want) => {
    const k = bootPreset();
    paddrKdamond(k);
    writeGives(k, f, input, want);
  });

  it('on: a memcg goal (no cgroup to name) and a tuned sample_us outside [min, max] are EINVAL', () => {
    const k = bootPreset();
    paddrKdamond(k);
    write(k, `${S0}/quotas/goals/nr_goals`, '1\n');
    write(k, `${S0}/quotas/goals/0/target_metric`, 'node_memcg_used_bp\n');
    expect(fails(k, `${K0}/state`, 'on\n')).toBe(EINVAL);
    write(k, `${S0}/quotas/goals/0/target_metric`, 'node_mem_used_bp\n');
    const I = `${C0}/monitoring_attrs/intervals/intervals_goal`;
    write(k, `${I}/aggrs`, '3\n');
    write(k, `${I}/min_sample_us`, '10000\n');
    write(k, `${I}/max_sample_us`, '100000\n');
    expect(fails(k, `${K0}/state`, 'on\n')).toBe(EINVAL); // 5000 < min_sample_us
    write(k, `${I}/min_sample_us`, '5000\n');
    write(k, `${K0}/state`, 'on\n');
    expect(read(k, `${K0}/state`)).toBe('on\n');
    write(k, `${K0}/state`, 'off\n');
    for (const cmd of ['update_schemes_effective_quotas', 'commit_schemes_quota_goals', 'update_tuned_intervals']) {
      expect(fails(k, `${K0}/state`, `${cmd}\n`), cmd).toBe(EINVAL); // not running
    }
  });
});

describe('quotas in the core (through sysfs)', () => {
  it('a size quota: each window charges exactly esz, splitting the last region; the next window resumes after the charge point; qt_exceeds counts exhausted windows', async () => {
    const k = bootPreset();
    await spawn(k, 'hotset size=256M node=1');
    paddrKdamond(k);
    write(k, `${S0}/quotas/bytes`, `${MiB}\n`);
    write(k, `${S0}/quotas/reset_interval_ms`, '100\n');
    write(k, `${K0}/state`, 'on\n');
    const s = running(k).schemes[0]!;
    const windows: Array<Array<[number, number, number, number, number]>> = [];
    await advance(k, '50ms');
    for (let i = 0; i < 5; i++) {
      await advance(k, '100ms');
      windows.push(s.lastTried.slice());
    }
    for (const w of windows) expect(w.reduce((sum, [a, b]) => sum + b - a, 0)).toBe(MiB);
    for (let i = 1; i < windows.length; i++) {
      const prevEnd = windows[i - 1]!.at(-1)![1];
      const start = windows[i]![0]![0];
      // Resumes past the previous window's charge point (or wraps to the start at the last region).
      expect(start >= prevEnd || start < windows[i - 1]![0]![0]).toBe(true);
    }
    write(k, `${K0}/state`, 'update_schemes_stats\n');
    expect(Number(read(k, `${S0}/stats/qt_exceeds`))).toBeGreaterThanOrEqual(3);
    write(k, `${K0}/state`, 'update_schemes_effective_quotas\n');
    expect(read(k, `${S0}/quotas/effective_bytes`)).toBe(`${MiB}\n`);
    write(k, `${K0}/state`, 'off\n');
  });

  it('prioritisation: under a quota only regions scoring at least min_score are tried, and those above it hold less than the quota', async () => {
    const k = bootPreset();
    await spawn(k, 'hotset size=512M node=1');
    paddrKdamond(k);
    migrateHotUnderQuota(k, 'bytes', 8 * MiB);
    await advance(k, '1050ms');
    const ctx = running(k);
    const s = ctx.schemes[0]!;
    const score = (nr: number, age: number) => hotScore(ctx, Object.assign(new DamonRegion(0, 4096), { nrAccesses: nr, age }), s);
    expect(s.qs.minScore).toBeGreaterThan(0);
    expect(s.lastTried.length).toBeGreaterThan(0);
    for (const [, , nr, age] of s.lastTried) expect(score(nr, age)).toBeGreaterThanOrEqual(s.qs.minScore);
    write(k, `${K0}/state`, 'off\n');
  });

  it('a time quota: 4 MiB/ms before anything is measured, then the measured throughput', async () => {
    const k = bootPreset();
    await spawn(k, 'hotset size=256M node=1');
    paddrKdamond(k);
    migrateHotUnderQuota(k, 'ms', 1);
    await advance(k, '150ms');
    write(k, `${K0}/state`, 'update_schemes_effective_quotas\n');
    expect(read(k, `${S0}/quotas/effective_bytes`)).toBe(`${4 * MiB}\n`);
    await advance(k, '1s');
    const st = running(k).schemes[0]!.qs;
    expect(st.totalChargedNs).toBeGreaterThan(0n);
    write(k, `${K0}/state`, 'update_schemes_effective_quotas\n');
    // Measured at the last window's start: the throughput since (bytes per ms of apply time) is close.
    const esz = Number(read(k, `${S0}/quotas/effective_bytes`).trim());
    const now = Number((st.totalChargedSz * 1000000n) / st.totalChargedNs);
    expect(esz).not.toBe(4 * MiB);
    expect(esz / now).toBeGreaterThan(0.8);
    expect(esz / now).toBeLessThan(1.25);
    write(k, `${K0}/state`, 'off\n');
  });

  it('a time quota over a mostly free node: the walk pays pfnSkip per pfn holding no user folio, so the measured throughput covers far more than the 4 MiB/ms prior', async () => {
    const k = bootPreset();
    await spawn(k, 'hotset size=64M node=1'); // 64 MiB of user pages in ~32 GiB of RAM
    paddrKdamond(k);
    write(k, `${S0}/action`, 'lru_prio\n'); // no young filter: pteScan per user folio, pfnSkip per other pfn
    write(k, `${S0}/quotas/ms`, '1\n');
    write(k, `${S0}/quotas/reset_interval_ms`, '100\n');
    write(k, `${K0}/state`, 'on\n');
    const prior = 4 * MiB; // PAGE_SIZE * 1024 bytes/ms × 1 ms: the first window's
    await advance(k, '150ms');
    write(k, `${K0}/state`, 'update_schemes_effective_quotas\n');
    expect(read(k, `${S0}/quotas/effective_bytes`)).toBe(`${prior}\n`);
    await advance(k, '500ms');
    write(k, `${K0}/state`, 'update_schemes_effective_quotas\n');
    const esz = Number(read(k, `${S0}/quotas/effective_bytes`).trim());
    // Each charged page cost pfnSkip (no user folio) or pteScan (a user folio): the throughput
    // lies between PAGE_SIZE per pteScan and PAGE_SIZE per pfnSkip, bytes per ms.
    const perMs = (ns: number) => (PAGE_SIZE * 1e6) / ns;
    const [skip, scan] = [costNs(k.config, 'pfnSkip'), costNs(k.config, 'pteScan')];
    expect(esz).toBeGreaterThan(100 * prior);
    expect(esz).toBeGreaterThanOrEqual(Math.floor(perMs(Math.max(skip, scan))));
    expect(esz).toBeLessThanOrEqual(Math.ceil(perMs(Math.min(skip, scan))));
    // Mostly free: the free pfns dominate the measure.
    expect(esz / perMs(skip)).toBeGreaterThan(0.95);
    write(k, `${K0}/state`, 'off\n');
  });

  it('user_input goal: the effective quota grows under the goal; commit_schemes_quota_goals with twice the goal drops it to 1 byte', async () => {
    const k = bootPreset();
    paddrKdamond(k);
    write(k, `${S0}/quotas/reset_interval_ms`, '100\n');
    write(k, `${S0}/quotas/goals/nr_goals`, '1\n');
    write(k, `${S0}/quotas/goals/0/target_value`, '10000\n');
    write(k, `${S0}/quotas/goals/0/current_value`, '0\n');
    write(k, `${K0}/state`, 'on\n');
    await advance(k, '1s');
    const bp = running(k).schemes[0]!.qs.eszBp;
    expect(bp).toBeGreaterThan(10000n * 2n ** 8n); // doubled at each of about ten windows
    write(k, `${S0}/quotas/goals/0/current_value`, '20000\n');
    write(k, `${K0}/state`, 'commit_schemes_quota_goals\n');
    await advance(k, '200ms');
    write(k, `${K0}/state`, 'update_schemes_effective_quotas\n');
    expect(read(k, `${S0}/quotas/effective_bytes`)).toBe('1\n');
    write(k, `${K0}/state`, 'off\n');
  });

  it('apply_interval_us shorter than aggr_us: the scheme applies at its own samples, before the first aggregation', async () => {
    const k = bootPreset();
    await spawn(k, 'hotset size=64M node=1');
    paddrKdamond(k);
    write(k, `${S0}/apply_interval_us`, '30000\n');
    write(k, `${K0}/state`, 'on\n');
    await advance(k, '95ms');
    expect(running(k).schemes[0]!.stats.nrTried).toBeGreaterThan(0);
    write(k, `${K0}/state`, 'off\n');
  });

  it('intervals_goal: a mostly idle machine lengthens sample_us; update_tuned_intervals writes it back, aggr_us keeping 20 samples', async () => {
    const k = bootPreset();
    await spawn(k, 'idle size=256M node=0');
    paddrKdamond(k);
    const I = `${C0}/monitoring_attrs/intervals/intervals_goal`;
    write(k, `${I}/access_bp`, '400\n');
    write(k, `${I}/aggrs`, '3\n');
    write(k, `${I}/min_sample_us`, '5000\n');
    write(k, `${I}/max_sample_us`, '10000000\n');
    write(k, `${K0}/state`, 'on\n');
    await advance(k, '3s');
    write(k, `${K0}/state`, 'update_tuned_intervals\n');
    const sample = BigInt(read(k, `${C0}/monitoring_attrs/intervals/sample_us`).trim());
    expect(sample).toBeGreaterThan(5000n);
    expect(read(k, `${C0}/monitoring_attrs/intervals/aggr_us`)).toBe(`${sample * 20n}\n`);
    write(k, `${K0}/state`, 'off\n');
  });

  it('refresh_ms: stats, effective_bytes and tuned intervals refresh by themselves while on', async () => {
    const k = bootPreset();
    await spawn(k, 'hotset size=64M node=1');
    paddrKdamond(k);
    write(k, `${S0}/quotas/bytes`, `${MiB}\n`);
    write(k, `${K0}/refresh_ms`, '100\n');
    write(k, `${K0}/state`, 'on\n');
    await advance(k, '500ms');
    expect(Number(read(k, `${S0}/stats/nr_tried`))).toBeGreaterThan(0);
    expect(read(k, `${S0}/quotas/effective_bytes`)).toBe(`${MiB}\n`);
    write(k, `${K0}/state`, 'off\n');
  });
});

describe('contexts/0/addr_unit (paddr address unit, 6.18)', () => {
  it.each([
    ['4096', '4096\n'],
    ['0x10', '16\n'],
    ['0', EINVAL], // addr_unit_store refuses a zero unit
    ['x', EINVAL],
    ['18446744073709551616', ERANGE],
  ] as const)('%j → %j', (input, want) => {
    const k = bootPreset();
    paddrKdamond(k);
    const f = `${C0}/addr_unit`;
    expect(k.fs.stat(f)).toMatchObject({ mode: 0o100600, size: 4096 });
    expect(read(k, f)).toBe('1\n');
    writeGives(k, f, input, want);
  });

  it('paddr with addr_unit 4096: the default region in page units, stats in core units (pages), pages really moved', async () => {
    const k = bootPreset();
    const hot = await spawn(k, 'hotset size=64M node=1');
    write(k, `${A}/nr_kdamonds`, '1\n');
    write(k, `${K0}/contexts/nr_contexts`, '1\n');
    write(k, `${C0}/operations`, 'paddr\n');
    write(k, `${C0}/addr_unit`, '4096\n');
    write(k, `${C0}/targets/nr_targets`, '1\n');
    write(k, `${C0}/schemes/nr_schemes`, '1\n');
    for (const p of ['sz', 'age']) write(k, `${S0}/access_pattern/${p}/max`, `${UL}\n`);
    write(k, `${S0}/access_pattern/nr_accesses/min`, '1\n');
    write(k, `${S0}/access_pattern/nr_accesses/max`, `${UL}\n`);
    write(k, `${S0}/action`, 'migrate_hot\n');
    write(k, `${S0}/target_nid`, '0\n');
    const moved = k.vm.event('pgmigrate_success');
    write(k, `${K0}/state`, 'on\n');
    const ctx = running(k);
    // The largest System RAM range (the CXL kmem range here), in 4 KiB units.
    const big = k.layout.ram.reduce((a, r) => (r.end + 1 - r.start > a.end + 1 - a.start ? r : a));
    const regions = ctx.targets[0]!.regions;
    expect(regions[0]!.start).toBe(big.start / 4096);
    expect(regions.at(-1)!.end).toBe((big.end + 1) / 4096);
    await advance(k, '2s');
    write(k, `${K0}/state`, 'update_schemes_stats\n');
    const applied = Number(read(k, `${S0}/stats/sz_applied`));
    expect(k.tasks.get(hot)!.mm.residentPages(0)).toBeGreaterThan(0);
    expect(applied).toBe(k.vm.event('pgmigrate_success') - moved); // one unit per 4 KiB page
    write(k, `${K0}/state`, 'off\n');
  });

  it('commit: addr_unit 3 makes min_sz_region 1365, not a power of 2: EINVAL, nothing changes', async () => {
    const k = bootPreset();
    paddrKdamond(k);
    write(k, `${K0}/state`, 'on\n');
    write(k, `${C0}/addr_unit`, '3\n');
    expect(fails(k, `${K0}/state`, 'commit\n')).toBe(EINVAL);
    expect(running(k).addrUnit).toBe(1);
    write(k, `${C0}/addr_unit`, '4\n');
    write(k, `${K0}/state`, 'commit\n');
    expect(running(k).addrUnit).toBe(4);
    write(k, `${K0}/state`, 'off\n');
  });
});
