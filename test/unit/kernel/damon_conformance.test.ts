// One conformance suite for every DAMON front end (issue 12, "Observable results"): the same
// cases run against the debugfs interface (the 5.18 generation, whose schemes file shows every
// stat) and the sysfs interface through an adapter each, checking what the shared core must
// give both: the intervals honoured (aggregations per simulated second), the region bounds
// (min/max nr_regions), and scheme application with its stats — which, for one seed and one
// workload, agree exactly between the front ends.
import { describe, expect, it } from 'vitest';
import { bootKernel, type Kernel } from '../../../src/kernel/kernel.js';
import type { DamonCtx } from '../../../src/kernel/mm/damon/core.js';
import { damonDbgfs } from '../../../src/kernel/mm/damon/dbgfs.js';
import { damonSysfs } from '../../../src/kernel/mm/damon/sysfs.js';
import { advance, presetConfig, spawn } from './boot.js';

const ULONG_MAX = '18446744073709551615';
const UINT_MAX = '4294967295';

interface Attrs {
  sampleUs: number;
  aggrUs: number;
  updateUs: number;
  minNrRegions: number;
  maxNrRegions: number;
}

/** A scheme as both interfaces can say it: an access pattern (max undefined: no limit) and an action. */
interface Scheme {
  action: 'pageout' | 'stat';
  nrAccesses: [number, number | undefined];
  age: [number, number | undefined];
}

interface Stats {
  nrTried: number;
  szTried: number;
  nrApplied: number;
  szApplied: number;
  qtExceeds: number;
}

/** What the suite needs of a front end: configure, start, stop, read the stats, see the context. */
interface FrontEnd {
  readonly name: string;
  setup(k: Kernel, pid: number, attrs: Attrs, schemes: Scheme[]): void;
  on(k: Kernel): void;
  off(k: Kernel): void;
  /** The schemes' stats as the interface shows them now. */
  stats(k: Kernel): Stats[];
  /** The running context (the core both front ends feed). */
  ctx(k: Kernel): DamonCtx;
}

const DBG = 'sys/kernel/debug/damon';
const dbgfs: FrontEnd = {
  name: 'debugfs (5.18)',
  setup(k, pid, a, schemes) {
    k.fs.writeFile(`${DBG}/attrs`, `${a.sampleUs} ${a.aggrUs} ${a.updateUs} ${a.minNrRegions} ${a.maxNrRegions}\n`);
    k.fs.writeFile(`${DBG}/target_ids`, `${pid}\n`);
    // min_sz max_sz min_nr max_nr min_age max_age action, quota (ms sz reset weights), watermarks
    const action = { pageout: 2, stat: 5 };
    const line = (s: Scheme) =>
      `0 ${ULONG_MAX} ${s.nrAccesses[0]} ${s.nrAccesses[1] ?? UINT_MAX} ${s.age[0]} ${s.age[1] ?? UINT_MAX} ${action[s.action]} 0 0 0 0 0 0 0 0 0 0 0`;
    k.fs.writeFile(`${DBG}/schemes`, `${schemes.map(line).join('\n')}\n`);
  },
  on: (k) => void k.fs.writeFile(`${DBG}/monitor_on`, 'on\n'),
  off: (k) => void k.fs.writeFile(`${DBG}/monitor_on`, 'off\n'),
  stats(k) {
    // 5.18 appends nr_tried sz_tried nr_applied sz_applied qt_exceeds to each scheme's 18 fields
    return k.fs
      .readFile(`${DBG}/schemes`)
      .trim()
      .split('\n')
      .map((l) => {
        const f = l.split(' ').slice(18).map(Number);
        return { nrTried: f[0]!, szTried: f[1]!, nrApplied: f[2]!, szApplied: f[3]!, qtExceeds: f[4]! };
      });
  },
  ctx: (k) => damonDbgfs(k).defaultCtx,
};

const KD = 'sys/kernel/mm/damon/admin/kdamonds';
const C = `${KD}/0/contexts/0`;
const sysfs: FrontEnd = {
  name: 'sysfs',
  setup(k, pid, a, schemes) {
    const w = (f: string, v: string | number) => k.fs.writeFile(`${C}/${f}`, `${v}\n`);
    k.fs.writeFile(`${KD}/nr_kdamonds`, '1\n');
    k.fs.writeFile(`${KD}/0/contexts/nr_contexts`, '1\n');
    w('operations', 'vaddr');
    w('monitoring_attrs/intervals/sample_us', a.sampleUs);
    w('monitoring_attrs/intervals/aggr_us', a.aggrUs);
    w('monitoring_attrs/intervals/update_us', a.updateUs);
    w('monitoring_attrs/nr_regions/min', a.minNrRegions);
    w('monitoring_attrs/nr_regions/max', a.maxNrRegions);
    w('targets/nr_targets', 1);
    w('targets/0/pid_target', pid);
    w('schemes/nr_schemes', schemes.length);
    schemes.forEach((s, i) => {
      const p = `schemes/${i}`;
      w(`${p}/action`, s.action);
      w(`${p}/access_pattern/sz/max`, ULONG_MAX);
      w(`${p}/access_pattern/nr_accesses/min`, s.nrAccesses[0]);
      w(`${p}/access_pattern/nr_accesses/max`, s.nrAccesses[1] ?? UINT_MAX);
      w(`${p}/access_pattern/age/min`, s.age[0]);
      w(`${p}/access_pattern/age/max`, s.age[1] ?? UINT_MAX);
    });
  },
  on: (k) => void k.fs.writeFile(`${KD}/0/state`, 'on\n'),
  off: (k) => void k.fs.writeFile(`${KD}/0/state`, 'off\n'),
  stats(k) {
    k.fs.writeFile(`${KD}/0/state`, 'update_schemes_stats\n');
    const n = Number(k.fs.readFile(`${C}/schemes/nr_schemes`));
    return Array.from({ length: n }, (_, i) => {
      const r = (f: string) => Number(k.fs.readFile(`${C}/schemes/${i}/stats/${f}`));
      return { nrTried: r('nr_tried'), szTried: r('sz_tried'), nrApplied: r('nr_applied'), szApplied: r('sz_applied'), qtExceeds: r('qt_exceeds') };
    });
  },
  ctx: (k) => damonSysfs(k).kdamonds.at(0).ctx!,
};

const FRONT_ENDS = [dbgfs, sysfs];
const boot = (seed = 1) => bootKernel(presetConfig('cxl-2node'), { seed, clock: 'virtual', damonAbi: '5.18' });
const ATTRS: Attrs = { sampleUs: 5000, aggrUs: 100_000, updateUs: 1_000_000, minNrRegions: 10, maxNrRegions: 1000 };
const ALL: Scheme = { action: 'stat', nrAccesses: [0, undefined], age: [0, undefined] };
const vmstat = (k: Kernel, name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(k.fs.readFile('proc/vmstat'))![1]);

/** Boot, spawn `workload`, configure `fe` and turn it on. */
async function start(fe: FrontEnd, workload: string, attrs: Attrs, schemes: Scheme[], seed = 1): Promise<Kernel> {
  const k = boot(seed);
  const pid = await spawn(k, workload);
  fe.setup(k, pid, attrs, schemes);
  fe.on(k);
  return k;
}

describe.each(FRONT_ENDS)('DAMON conformance: $name', (fe) => {
  it.each([
    [5000, 100_000],
    [5000, 50_000],
    [10_000, 200_000],
  ])('sample %i us, aggr %i us: aggregations per simulated second follow aggr_us', async (sampleUs, aggrUs) => {
    const k = await start(fe, 'hotset size=64M node=0', { ...ATTRS, sampleUs, aggrUs }, []);
    const before = fe.ctx(k).snapshots;
    await advance(k, '2s');
    const perSecond = (fe.ctx(k).snapshots - before) / 2;
    const want = 1e6 / aggrUs;
    // kdamond's own CPU time delays its next sample, so slightly fewer, never more.
    expect(perSecond).toBeLessThanOrEqual(want);
    expect(perSecond).toBeGreaterThanOrEqual(want * 0.9);
    fe.off(k);
  });

  it.each([
    [10, 1000],
    [3, 8],
    [20, 30],
  ])('nr_regions min %i max %i: the target keeps between min and max regions at every aggregation', async (min, max) => {
    const k = await start(fe, 'hotset size=256M node=0 phase=300ms', { ...ATTRS, minNrRegions: min, maxNrRegions: max }, []);
    const seen: number[] = [];
    for (let i = 0; i < 20; i++) {
      await advance(k, '100ms');
      seen.push(fe.ctx(k).targets[0]!.regions.length);
    }
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(min);
    expect(Math.max(...seen)).toBeLessThanOrEqual(max);
    fe.off(k);
  });

  it('a stat scheme over everything tries every region at every aggregation and applies nothing to the pages', async () => {
    const k = await start(fe, 'hotset size=64M node=0', ATTRS, [ALL]);
    await advance(k, '1s');
    const ctx = fe.ctx(k);
    const [st] = fe.stats(k);
    // every region of every aggregation (the first aggregation comes after aggr_us)
    expect(st!.nrTried).toBeGreaterThanOrEqual(ctx.snapshots * ATTRS.minNrRegions);
    expect(st!.szTried).toBeGreaterThanOrEqual((ctx.snapshots - 1) * 64 * 1024 * 1024);
    expect(st!.szTried).toBeLessThanOrEqual(ctx.snapshots * 64 * 1024 * 1024);
    expect(vmstat(k, 'pswpout')).toBe(0);
    // every ops' stat returns 0 bytes applied (damon_pa_stat, damos_va_stat): nothing counts as applied
    expect([st!.nrApplied, st!.szApplied]).toEqual([0, 0]);
    fe.off(k);
  });

  it('pageout of never-accessed regions swaps out exactly the idle buffer: sz_applied = its size = pswpout pages', async () => {
    const k = await start(fe, 'idle size=32M', ATTRS, [{ action: 'pageout', nrAccesses: [0, 0], age: [0, undefined] }]);
    await advance(k, '500ms');
    const [st] = fe.stats(k);
    expect(st!.szApplied).toBe(32 * 1024 * 1024);
    expect(vmstat(k, 'pswpout')).toBe(8192);
    expect(st!.nrApplied).toBeGreaterThanOrEqual(ATTRS.minNrRegions);
    expect(st!.szTried).toBeGreaterThanOrEqual(st!.szApplied);
    fe.off(k);
  });
});

describe('DAMON conformance: the front ends agree', () => {
  const cases: Array<[string, Scheme[]]> = [
    ['hotset size=64M node=0', [ALL, { action: 'pageout', nrAccesses: [0, 10], age: [3, undefined] }]],
    // every region once it is 3 aggregations old: pages go out and the workload faults them back
    ['abench size=32M iters=0', [{ action: 'pageout', nrAccesses: [0, undefined], age: [3, undefined] }]],
  ];
  it.each(cases)('%s: nr_tried, sz_tried, nr_applied and sz_applied are the same for the same seed', async (workload, schemes) => {
    const results = [];
    for (const fe of FRONT_ENDS) {
      const k = await start(fe, workload, ATTRS, schemes);
      await advance(k, '1500ms');
      results.push({ stats: fe.stats(k), snapshots: fe.ctx(k).snapshots, pswpout: vmstat(k, 'pswpout'), pswpin: vmstat(k, 'pswpin') });
      fe.off(k);
    }
    results[0]!.stats.forEach((st, i) => {
      expect(st.nrTried).toBeGreaterThan(0);
      if (schemes[i]!.action === 'pageout') expect(st.nrApplied).toBeGreaterThan(0);
      else expect(st.nrApplied).toBe(0);
    });
    expect(results[0]!.pswpin).toBeGreaterThan(0); // paged-out pages the workload touches come back
    expect(results[1]).toEqual(results[0]);
  });
});
