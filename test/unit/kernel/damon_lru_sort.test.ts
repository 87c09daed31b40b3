// DAMON_LRU_SORT (mm/damon/lru_sort.c, admin-guide/mm/damon/lru_sort.rst): the module
// parameters under /sys/module/damon_lru_sort/parameters with their defaults, modes and
// parsing, enabled's rules (inputs validated at start, exclusive start), the two schemes as
// lru_sort.c builds them, and the schemes at work on the LRU model: hot pages end up on the
// active list, pages gone cold on the inactive one.
import { describe, expect, it } from 'vitest';
import { EACCES, EBUSY, EINVAL, ERANGE } from '../../../src/kernfs/index.js';
import type { Kernel } from '../../../src/kernel/kernel.js';
import { PG_ACTIVE } from '../../../src/kernel/mm/frames.js';
import { damonLruSort } from '../../../src/kernel/mm/damon/lru_sort.js';
import { biggestSystemRam } from '../../../src/kernel/mm/damon/paddr.js';
import { advance, bootPreset, errnoOf, moduleParams, spawn } from './boot.js';

const { P, read, write, fails, alwaysActive, expectFile, expectStore, expectStartRefused, expectFrontEndsBusy } = moduleParams('damon_lru_sort');
const UINT_MAX = 0xffffffff;


describe('parameters (lru_sort.c defaults, module_param modes)', () => {
  it.each([
    ['enabled', 0o600, 'N'],
    ['commit_inputs', 0o600, 'N'],
    ['hot_thres_access_freq', 0o600, '500'],
    ['cold_min_age', 0o600, '120000000'],
    ['quota_ms', 0o600, '10'],
    ['quota_reset_interval_ms', 0o600, '1000'],
    ['wmarks_interval', 0o600, '5000000'],
    ['wmarks_high', 0o600, '200'],
    ['wmarks_mid', 0o600, '150'],
    ['wmarks_low', 0o600, '50'],
    ['sample_interval', 0o600, '5000'],
    ['aggr_interval', 0o600, '100000'],
    ['min_nr_regions', 0o600, '10'],
    ['max_nr_regions', 0o600, '1000'],
    ['monitor_region_start', 0o600, '0'],
    ['monitor_region_end', 0o600, '0'],
    ['addr_unit', 0o600, '1'],
    ['kdamond_pid', 0o400, '-1'],
    ['nr_lru_sort_tried_hot_regions', 0o400, '0'],
    ['bytes_lru_sort_tried_hot_regions', 0o400, '0'],
    ['nr_lru_sorted_hot_regions', 0o400, '0'],
    ['bytes_lru_sorted_hot_regions', 0o400, '0'],
    ['nr_hot_quota_exceeds', 0o400, '0'],
    ['nr_lru_sort_tried_cold_regions', 0o400, '0'],
    ['bytes_lru_sort_tried_cold_regions', 0o400, '0'],
    ['nr_lru_sorted_cold_regions', 0o400, '0'],
    ['bytes_lru_sorted_cold_regions', 0o400, '0'],
    ['nr_cold_quota_exceeds', 0o400, '0'],
  ] as const)('%s: mode %o, reads %j', (name, mode, value) => expectFile(name, mode, value));

  it('has exactly the parameters of 6.18 (no quota_sz, skip_anon or quota goals)', () => {
    const k = bootPreset();
    const names = [...k.fs.readdir(P)];
    expect(names).toHaveLength(28);
    for (const absent of ['quota_sz', 'skip_anon', 'min_age', 'quota_mem_pressure_us', 'quota_autotune_feedback']) expect(names).not.toContain(absent);
  });

  it.each([
    // [parameter, input, errno | what it reads back]
    ['hot_thres_access_freq', '800', '800'],
    ['hot_thres_access_freq', '0x10', '16'],
    ['hot_thres_access_freq', '-1', EINVAL],
    ['cold_min_age', '18446744073709551615', '18446744073709551615'],
    ['cold_min_age', '18446744073709551616', ERANGE],
    ['cold_min_age', 'abc', EINVAL],
    ['quota_ms', ' 5', EINVAL],
    ['addr_unit', '4096', '4096'],
    ['addr_unit', '0', EINVAL], // damon_lru_sort_addr_unit_store
    ['commit_inputs', 'x', EINVAL],
    ['enabled', 'maybe', EINVAL],
    ['kdamond_pid', '5', EACCES],
    ['nr_lru_sorted_hot_regions', '0', EACCES],
    ['bytes_lru_sorted_cold_regions', '0', EACCES],
  ] as const)('%s %j → %s (kstrtoul / kstrtobool; bad input changes nothing)', (name, input, want) => expectStore(name, input, want));
});

describe('enabled', () => {
  it('Y starts a kdamond over the largest System RAM range (written back into monitor_region_*); N stops it', () => {
    const k = bootPreset();
    write(k, 'addr_unit', '4096'); // no region given: silently back to 1
    write(k, 'enabled', 'Y');
    expect(read(k, 'enabled')).toBe('Y\n');
    expect(Number(read(k, 'kdamond_pid'))).toBeGreaterThan(0);
    const [start, end] = biggestSystemRam(k);
    expect(read(k, 'monitor_region_start')).toBe(`${start}\n`);
    expect(read(k, 'monitor_region_end')).toBe(`${end}\n`);
    expect(read(k, 'addr_unit')).toBe('1\n');
    write(k, 'enabled', 'N');
    expect(read(k, 'enabled')).toBe('N\n');
    expect(read(k, 'kdamond_pid')).toBe('-1\n');
  });

  it.each([
    ['sample_interval', '0'], // damon_max_nr_accesses would divide by zero
    ['aggr_interval', '0'], // damon_set_attrs: sampling interval above it
    ['min_nr_regions', '2'], // damon_set_attrs: below 3
    ['max_nr_regions', '5'], // below min_nr_regions (10)
    ['monitor_region_start', '8192'], // above monitor_region_end (0)
  ] as const)('Y with %s %s is EINVAL and leaves it off', (name, value) => expectStartRefused(name, value));

  it('starts exclusively: not beside DAMON_RECLAIM, sysfs or debugfs DAMON', async () => {
    const k = bootPreset();
    const pid = await spawn(k, 'hotset size=16M node=0');
    write(k, 'enabled', 'Y');
    const RP = 'sys/module/damon_reclaim/parameters';
    expect(errnoOf(() => k.fs.writeFile(`${RP}/enabled`, 'Y'))).toBe(EBUSY);
    const state = expectFrontEndsBusy(k, pid);
    write(k, 'enabled', 'N');
    k.fs.writeFile(`${RP}/enabled`, 'Y');
    expect(fails(k, 'enabled', 'Y')).toBe(EBUSY);
    expect(read(k, 'enabled')).toBe('N\n');
  });
});

describe('the schemes (damon_lru_sort_apply_parameters)', () => {
  it.each([
    // [sample_interval, aggr_interval, hot_thres_access_freq, cold_min_age, quota_ms, hot min_nr_accesses, cold min_age]
    ['5000', '100000', '500', '120000000', '10', 10, 1200],
    ['5000', '100000', '1000', '1000000', '7', 20, 10],
    ['1000', '100000', '333', '250000', '1', 33, 2],
    ['5000', '5000', '500', '0', '0', 0, 0], // one sample per aggregation: 1 × 500 / 1000
    ['1', '18446744073709551615', '1000', '0', '10', UINT_MAX, 0], // aggr / sample capped at UINT_MAX
    ['1', '8589934592', '4294967297', '0', '10', 1271310319, 0], // the quotient kept as an unsigned int
    ['1', '8589934592', '1099511627776', '0', '10', 171798691, 0], // the product wraps as an unsigned long
  ] as const)('sample %s aggr %s freq %s cold_min_age %s quota_ms %s: hot needs %d accesses, cold an age of %d', (sample, aggr, freq, coldAge, quotaMs, hotThres, coldThres) => {
    const k = bootPreset();
    write(k, 'sample_interval', sample);
    write(k, 'aggr_interval', aggr);
    write(k, 'hot_thres_access_freq', freq);
    write(k, 'cold_min_age', coldAge);
    write(k, 'quota_ms', quotaMs);
    write(k, 'enabled', 'Y');
    const [hot, cold] = damonLruSort(k).ctx.schemes;
    expect(damonLruSort(k).ctx.schemes).toHaveLength(2);
    const pattern = (s: typeof hot) => [s!.action, s!.minSz, s!.maxSz, s!.minNrAccesses, s!.maxNrAccesses, s!.minAge, s!.maxAge];
    expect(pattern(hot)).toEqual(['lru_prio', 4096n, (1n << 64n) - 1n, hotThres, UINT_MAX, 0, UINT_MAX]);
    expect(pattern(cold)).toEqual(['lru_deprio', 4096n, (1n << 64n) - 1n, 0, 0, coldThres, UINT_MAX]);
    for (const s of [hot!, cold!]) {
      // half the time quota each, no size quota, hotter (colder) regions first
      expect(s.quota).toEqual({ ms: BigInt(quotaMs) / 2n, sz: 0n, resetIntervalMs: 1000n, weightSz: 0, weightNrAccesses: 1, weightAge: 0 });
      expect(s.wmarks).toEqual({ metric: 1, intervalUs: 5000000n, high: 200n, mid: 150n, low: 50n });
      expect([s.qs.goals, s.opsFilters, s.coreFilters, s.applyIntervalUs]).toEqual([[], [], [], 0n]);
    }
  });
});

/** Active and total mapped pages of `pid`, split by whether the page is in the current hot set. */
function lruOf(k: Kernel, pid: number): { hot: number; hotActive: number; other: number; otherActive: number } {
  const proc = k.tasks.get(pid)!;
  const vma = proc.vma;
  const phase = proc.phaseAt(k.clock.nowNs);
  const out = { hot: 0, hotActive: 0, other: 0, otherActive: 0 };
  for (let i = 0; i < vma.nrPages; i++) {
    const pfn = vma.pt[i]!;
    if (pfn < 0) continue;
    const active = (k.alloc.frames.flagsOf(pfn) & PG_ACTIVE) !== 0;
    if (vma.pattern.weight(i, phase) > 0) {
      out.hot++;
      if (active) out.hotActive++;
    } else {
      out.other++;
      if (active) out.otherActive++;
    }
  }
  return out;
}

describe('sorting the LRU lists', () => {
  it('hot pages end up on the active list; pages that went cold go back to the inactive list', async () => {
    const k = bootPreset();
    k.fs.writeFile('proc/sys/kernel/numa_balancing', '0'); // keep the hot set on the CXL node
    // 16 MiB hot out of 256 MiB, every access to it; the hot set moves after 4 s
    const pid = await spawn(k, 'hotset size=256M hot=0.0625 share=1 phase=4s node=1');
    alwaysActive(k);
    write(k, 'cold_min_age', '1000000'); // 1 s
    // The default time quota (quota_ms 10, 5 ms each scheme): the walk pays for the free pfns
    // too, so from the second window the quota covers gigabytes per second (DESIGN §8.2).
    expect(read(k, 'quota_ms')).toBe('10\n');
    const before = lruOf(k, pid);
    expect(before.hotActive + before.otherActive).toBe(0); // new anon pages start inactive
    write(k, 'enabled', 'Y');
    await advance(k, '3500ms'); // the first hot set
    const first = lruOf(k, pid);
    expect(first.hot).toBe(4096);
    expect(first.hotActive / first.hot).toBeGreaterThan(0.95);
    expect(first.otherActive / first.other).toBeLessThan(0.01);
    await advance(k, '4s'); // the hot set moved at 4 s; the old one is 3.5 s cold
    const second = lruOf(k, pid);
    expect(second.hotActive / second.hot).toBeGreaterThan(0.95);
    expect(second.otherActive / second.other).toBeLessThan(0.01); // the first hot set deprioritized
    expect(Number(read(k, 'bytes_lru_sorted_hot_regions'))).toBeGreaterThanOrEqual(2 * 4096 * 4096);
    expect(Number(read(k, 'bytes_lru_sorted_cold_regions'))).toBeGreaterThanOrEqual(first.hotActive * 4096);
    expect(Number(read(k, 'nr_lru_sort_tried_cold_regions'))).toBeGreaterThan(0);
  });

  it('with the default watermarks (high 200‰ free) a mostly free machine sorts nothing', async () => {
    const k = bootPreset();
    const pid = await spawn(k, 'hotset size=64M hot=0.25 share=1 node=1');
    write(k, 'enabled', 'Y');
    await advance(k, '2s');
    expect(read(k, 'nr_lru_sort_tried_hot_regions')).toBe('0\n');
    expect(lruOf(k, pid).hotActive).toBe(0);
  });

  it('commit_inputs Y reaches the running kdamond after its next sample', async () => {
    const k = bootPreset();
    write(k, 'enabled', 'Y');
    const pid = read(k, 'kdamond_pid');
    write(k, 'hot_thres_access_freq', '1000');
    write(k, 'cold_min_age', '1000000');
    write(k, 'commit_inputs', 'Y');
    expect(damonLruSort(k).ctx.schemes.map((s) => [s.minNrAccesses, s.minAge])).toEqual([[10, 0], [0, 1200]]); // not yet
    await advance(k, '5ms');
    expect(read(k, 'commit_inputs')).toBe('N\n');
    expect(read(k, 'kdamond_pid')).toBe(pid);
    expect(damonLruSort(k).ctx.schemes.map((s) => [s.minNrAccesses, s.minAge])).toEqual([[20, 0], [0, 10]]);
  });
});
