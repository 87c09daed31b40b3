// DAMON_RECLAIM (mm/damon/reclaim.c, admin-guide/mm/damon/reclaim.rst): the module parameters
// under /sys/module/damon_reclaim/parameters with their defaults, modes and parsing, enabled's
// rules (inputs validated at start, exclusive start), and the scheme at work: cold pages of
// the largest System RAM range paged out under the quota and the free_mem_rate watermarks.
import { describe, expect, it } from 'vitest';
import { EACCES, EBUSY, EINVAL, ERANGE } from '../../../src/kernfs/index.js';
import type { Kernel } from '../../../src/kernel/kernel.js';
import { biggestSystemRam } from '../../../src/kernel/mm/damon/paddr.js';
import { damonReclaim } from '../../../src/kernel/mm/damon/reclaim.js';
import { advance, bootPreset, moduleParams, spawn } from './boot.js';

const { read, write, fails, alwaysActive, expectFile, expectStore, expectStartRefused, expectFrontEndsBusy } = moduleParams('damon_reclaim');
const vmstat = (k: Kernel, name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(k.fs.readFile('proc/vmstat'))![1]);


describe('parameters (reclaim.c defaults, module_param modes)', () => {
  it.each([
    ['enabled', 0o600, 'N'],
    ['commit_inputs', 0o600, 'N'],
    ['min_age', 0o600, '120000000'],
    ['quota_ms', 0o600, '10'],
    ['quota_sz', 0o600, '134217728'],
    ['quota_reset_interval_ms', 0o600, '1000'],
    ['quota_mem_pressure_us', 0o600, '0'],
    ['quota_autotune_feedback', 0o600, '0'],
    ['wmarks_interval', 0o600, '5000000'],
    ['wmarks_high', 0o600, '500'],
    ['wmarks_mid', 0o600, '400'],
    ['wmarks_low', 0o600, '200'],
    ['sample_interval', 0o600, '5000'],
    ['aggr_interval', 0o600, '100000'],
    ['min_nr_regions', 0o600, '10'],
    ['max_nr_regions', 0o600, '1000'],
    ['monitor_region_start', 0o600, '0'],
    ['monitor_region_end', 0o600, '0'],
    ['skip_anon', 0o600, 'N'],
    ['addr_unit', 0o600, '1'],
    ['kdamond_pid', 0o400, '-1'],
    ['nr_reclaim_tried_regions', 0o400, '0'],
    ['bytes_reclaim_tried_regions', 0o400, '0'],
    ['nr_reclaimed_regions', 0o400, '0'],
    ['bytes_reclaimed_regions', 0o400, '0'],
    ['nr_quota_exceeds', 0o400, '0'],
  ] as const)('%s: mode %o, reads %j', (name, mode, value) => expectFile(name, mode, value));

  it.each([
    // [parameter, input, errno | what it reads back]
    ['min_age', '30000000', '30000000'],
    ['min_age', '0x10', '16'],
    ['min_age', '-1', EINVAL],
    ['min_age', 'abc', EINVAL],
    ['quota_sz', '18446744073709551615', '18446744073709551615'],
    ['quota_sz', '18446744073709551616', ERANGE],
    ['skip_anon', 'Y', 'Y'],
    ['skip_anon', 'yes', 'Y'],
    ['skip_anon', 'on', 'Y'],
    ['skip_anon', '0', 'N'],
    ['skip_anon', 'x', EINVAL],
    ['addr_unit', '4096', '4096'],
    ['addr_unit', '0', EINVAL], // damon_reclaim_addr_unit_store: no address unit
    ['addr_unit', '-1', EINVAL],
    ['enabled', 'maybe', EINVAL],
    ['kdamond_pid', '5', EACCES],
    ['nr_reclaimed_regions', '0', EACCES],
  ] as const)('%s %j → %s (kstrtoul / kstrtobool; bad input changes nothing)', (name, input, want) => expectStore(name, input, want));
});

describe('enabled', () => {
  it('Y starts a kdamond over the largest System RAM range (written back into monitor_region_*); N stops it', () => {
    const k = bootPreset();
    write(k, 'enabled', 'Y');
    expect(read(k, 'enabled')).toBe('Y\n');
    const pid = Number(read(k, 'kdamond_pid'));
    expect(pid).toBeGreaterThan(0);
    const [start, end] = biggestSystemRam(k);
    expect(read(k, 'monitor_region_start')).toBe(`${start}\n`);
    expect(read(k, 'monitor_region_end')).toBe(`${end}\n`);
    write(k, 'enabled', 'Y'); // unchanged: nothing happens
    expect(Number(read(k, 'kdamond_pid'))).toBe(pid);
    write(k, 'enabled', 'N');
    expect(read(k, 'enabled')).toBe('N\n');
    expect(read(k, 'kdamond_pid')).toBe('-1\n');
  });

  it.each([
    ['min_nr_regions', '2'], // damon_set_attrs: below 3
    ['max_nr_regions', '5'], // below min_nr_regions (10)
    ['aggr_interval', '0'], // min_age / aggr_interval
    ['sample_interval', '200000'], // above aggr_interval
    ['monitor_region_start', '8192'], // above monitor_region_end (0)
  ] as const)('Y with %s %s is EINVAL and leaves it off', (name, value) => expectStartRefused(name, value));

  it('starts exclusively: while it runs the sysfs and debugfs front ends cannot start, and it cannot start while they run', async () => {
    const k = bootPreset();
    const pid = await spawn(k, 'hotset size=16M node=0');
    write(k, 'enabled', 'Y');
    const state = expectFrontEndsBusy(k, pid);
    write(k, 'enabled', 'N');
    k.fs.writeFile(state, 'on');
    expect(fails(k, 'enabled', 'Y')).toBe(EBUSY);
    expect(read(k, 'enabled')).toBe('N\n');
  });
});

describe('reclaiming', () => {
  it('with the default watermarks (high 500‰) a mostly free machine reclaims nothing', async () => {
    const k = bootPreset();
    await spawn(k, 'idle size=64M node=1'); // on the largest System RAM range (the CXL node)
    write(k, 'min_age', '1000000');
    write(k, 'enabled', 'Y');
    await advance(k, '3s');
    expect(vmstat(k, 'pswpout')).toBe(0);
    expect(read(k, 'nr_reclaim_tried_regions')).toBe('0\n');
  });

  it('pages out memory not accessed for min_age, and not before; the stats parameters count it', async () => {
    const k = bootPreset();
    await spawn(k, 'idle size=64M node=1'); // on the largest System RAM range (the CXL node)
    alwaysActive(k);
    write(k, 'min_age', '2000000'); // 2 s: age 20 aggregations
    write(k, 'enabled', 'Y');
    await advance(k, '1500ms');
    expect(vmstat(k, 'pswpout')).toBe(0);
    await advance(k, '3s');
    const out = vmstat(k, 'pswpout');
    expect(out).toBe(16384); // the idle buffer, never accessed
    expect(Number(read(k, 'bytes_reclaimed_regions'))).toBe(out * 4096);
    expect(Number(read(k, 'nr_reclaimed_regions'))).toBeGreaterThan(0);
    expect(Number(read(k, 'bytes_reclaim_tried_regions'))).toBeGreaterThanOrEqual(out * 4096);
  });

  it.each([
    [`${8 << 20}`, true],
    ['0', false],
  ])('quota_sz %s (quota_ms 0) reaches the scheme: nr_quota_exceeds counts windows that hit it (%s)', async (sz, exceeds) => {
    // Quota-driven region splitting (charging a region only up to the quota) is the quota
    // work's; here only that the parameter reaches the core's quota.
    const k = bootPreset();
    await spawn(k, 'idle size=256M node=1');
    await spawn(k, 'idle size=256M node=1');
    alwaysActive(k);
    write(k, 'min_age', '500000');
    write(k, 'min_nr_regions', '100');
    write(k, 'quota_sz', sz);
    write(k, 'quota_ms', '0');
    write(k, 'enabled', 'Y');
    await advance(k, '4s');
    expect(Number(read(k, 'bytes_reclaimed_regions'))).toBeGreaterThan(0);
    expect(Number(read(k, 'nr_quota_exceeds')) > 0).toBe(exceeds);
  });

  it('commit_inputs Y is applied by the kdamond after its next sample and reads N again; invalid inputs are dropped, the kdamond keeps running', async () => {
    const k = bootPreset();
    await spawn(k, 'idle size=64M node=1'); // on the largest System RAM range (the CXL node)
    alwaysActive(k);
    write(k, 'enabled', 'Y'); // min_age 120 s: nothing within seconds
    const pid = read(k, 'kdamond_pid');
    await advance(k, '2s');
    expect(vmstat(k, 'pswpout')).toBe(0);
    write(k, 'min_age', '500000');
    await advance(k, '2s');
    expect(vmstat(k, 'pswpout')).toBe(0); // not committed yet
    write(k, 'commit_inputs', 'Y');
    expect(read(k, 'commit_inputs')).toBe('Y\n'); // the repeated damon_call has not run yet
    await advance(k, '5ms'); // one sampling interval
    expect(read(k, 'commit_inputs')).toBe('N\n');
    expect(read(k, 'kdamond_pid')).toBe(pid);
    await advance(k, '2s');
    expect(vmstat(k, 'pswpout')).toBe(16384);
    // 6.18's kdamond_call drops a repeated call's error: the inputs stay as they were
    write(k, 'min_nr_regions', '1');
    write(k, 'commit_inputs', 'Y');
    await advance(k, '10ms');
    expect(read(k, 'commit_inputs')).toBe('N\n');
    expect(read(k, 'kdamond_pid')).toBe(pid);
    expect(damonReclaim(k).ctx.attrs.minNrRegions).toBe(10n);
  });

  it('commit_inputs Y while off waits for the kdamond: it reads Y until the first sample after the start', async () => {
    const k = bootPreset();
    write(k, 'commit_inputs', 'Y');
    await advance(k, '100ms');
    expect(read(k, 'commit_inputs')).toBe('Y\n');
    write(k, 'enabled', 'Y');
    expect(read(k, 'commit_inputs')).toBe('Y\n');
    await advance(k, '10ms');
    expect(read(k, 'commit_inputs')).toBe('N\n');
  });

  it('the stats add up over disable and enable (one context for the module\'s life)', async () => {
    const k = bootPreset();
    await spawn(k, 'hotset size=32M node=1');
    alwaysActive(k);
    write(k, 'min_age', '0');
    write(k, 'enabled', 'Y');
    await advance(k, '1s');
    write(k, 'enabled', 'N');
    const tried = Number(read(k, 'nr_reclaim_tried_regions'));
    expect(tried).toBeGreaterThan(0);
    expect(Number(read(k, 'nr_reclaim_tried_regions'))).toBe(tried); // kept while off
    write(k, 'enabled', 'Y');
    await advance(k, '1s');
    expect(Number(read(k, 'nr_reclaim_tried_regions'))).toBeGreaterThan(tried);
  });
});

describe('quota goals and the anon filter (damon_reclaim_apply_parameters)', () => {
  it.each([
    // [quota_mem_pressure_us, quota_autotune_feedback, skip_anon, goals as [metric, target, current], anon filters]
    ['0', '0', 'N', [], 0],
    ['1000', '0', 'N', [['some_mem_psi_us', 1000n, 0n]], 0],
    ['0', '5000', 'N', [['user_input', 10000n, 5000n]], 0],
    ['1000', '5000', 'Y', [['some_mem_psi_us', 1000n, 0n], ['user_input', 10000n, 5000n]], 1],
    ['0', '0', 'Y', [], 1],
  ] as const)('pressure %s, feedback %s, skip_anon %s: goals %o, %d anon-rejecting filter', (psi, feedback, skip, goals, nrFilters) => {
    const k = bootPreset();
    write(k, 'quota_mem_pressure_us', psi);
    write(k, 'quota_autotune_feedback', feedback);
    write(k, 'skip_anon', skip);
    write(k, 'enabled', 'Y');
    const s = damonReclaim(k).ctx.schemes[0]!;
    expect(s.qs.goals.map((g) => [g.metric, g.targetValue, g.currentValue])).toEqual(goals);
    expect(s.opsFilters).toEqual(Array.from({ length: nrFilters }, () => expect.objectContaining({ type: 'anon', matching: true, allow: false })));
    expect(s.coreFilters).toEqual([]);
  });

  it('goals and the filter reach a running kdamond through commit_inputs, and go again', async () => {
    const k = bootPreset();
    write(k, 'enabled', 'Y');
    write(k, 'quota_autotune_feedback', '7000');
    write(k, 'skip_anon', 'Y');
    write(k, 'commit_inputs', 'Y');
    await advance(k, '10ms');
    const r = damonReclaim(k);
    expect(r.ctx.schemes[0]!.qs.goals.map((g) => g.currentValue)).toEqual([7000n]);
    expect(r.ctx.schemes[0]!.opsFilters.length).toBe(1);
    write(k, 'quota_autotune_feedback', '0');
    write(k, 'skip_anon', 'N');
    write(k, 'commit_inputs', 'Y');
    await advance(k, '10ms');
    expect(r.ctx.schemes[0]!.qs.goals).toEqual([]);
    expect(r.ctx.schemes[0]!.opsFilters).toEqual([]);
  });

  it('skip_anon: every simulated user page is anonymous, so cold regions are tried and nothing is paged out', async () => {
    const k = bootPreset();
    await spawn(k, 'idle size=64M node=1');
    alwaysActive(k);
    write(k, 'min_age', '500000');
    write(k, 'skip_anon', 'Y');
    write(k, 'enabled', 'Y');
    await advance(k, '3s');
    expect(Number(read(k, 'nr_reclaim_tried_regions'))).toBeGreaterThan(0);
    expect(Number(read(k, 'bytes_reclaim_tried_regions'))).toBeGreaterThanOrEqual(64 << 20);
    expect(vmstat(k, 'pswpout')).toBe(0);
    expect(read(k, 'bytes_reclaimed_regions')).toBe('0\n');
  });

  it.each([
    ['0', 16384], // no goal: the time and size quotas only
    ['10000', 0], // the goal met: the effective quota stays where the loop starts (one byte)
    ['20000', 0], // twice the goal: the loop's minimum input, one byte: nothing fits
  ])('quota_autotune_feedback %s: the user_input goal drives the effective quota (%d pages out)', async (feedback, pages) => {
    const k = bootPreset();
    await spawn(k, 'idle size=64M node=1');
    alwaysActive(k);
    write(k, 'min_age', '500000');
    write(k, 'quota_autotune_feedback', feedback);
    write(k, 'enabled', 'Y');
    await advance(k, '3s');
    expect(vmstat(k, 'pswpout')).toBe(pages);
    expect(Number(read(k, 'nr_reclaim_tried_regions'))).toBeGreaterThan(0);
  });

  it('quota_mem_pressure_us: with no memory stall the some_mem_psi_us goal grows the effective quota from its minimum', async () => {
    // feedback: score 0 doubles the input each quota window (damon_feed_loop_next_input)
    const k = bootPreset();
    await spawn(k, 'idle size=64M node=1');
    alwaysActive(k);
    write(k, 'min_age', '500000');
    write(k, 'quota_ms', '0');
    write(k, 'quota_reset_interval_ms', '100');
    write(k, 'quota_mem_pressure_us', '1000');
    write(k, 'enabled', 'Y');
    await advance(k, '1s');
    expect(vmstat(k, 'pswpout')).toBe(0); // 2^n bytes after n windows: below a page for the first 12
    // then the quota (capped by quota_sz) goes to the oldest regions first, the node's empty
    // ones included, so the idle buffer's turn comes a few seconds later
    await advance(k, '5s');
    expect(vmstat(k, 'pswpout')).toBe(16384);
    expect(damonReclaim(k).ctx.schemes[0]!.qs.esz).toBe(128n << 20n);
  });
});
