// The damo port's sysfs backend against an in-process kernel: every file `damo start` writes and
// the value it reads back, the stat scheme damo adds, command-line DAMOS options converted as damo
// converts them, errnos reaching the user as "<path>: <strerror>" with the tree left off, and
// `damo status` / `damo report access` read back from a running kdamond.
import { describe, expect, it } from 'vitest';
import { DamoError } from '../../../src/damo/damon.js';
import { startConfig, type StartArgs } from '../../../src/damo/start.js';
import { KDAMONDS, ULONG_MAX, kdamondWrites, startKdamond, stopKdamonds, tuneKdamond, tuneWrites, type DamonFiles } from '../../../src/damo/sysfs.js';
import { formatAccessReport, formatTimeNs, reportDamon, snapshotRegions } from '../../../src/damo/sysfs-report.js';
import type { Kernel } from '../../../src/kernel/kernel.js';
import { advance, bootPreset, spawn } from '../kernel/boot.js';

/** KernelFiles' operations on the in-process tree (paths are root-relative there). */
function files(k: Kernel): DamonFiles {
  const rel = (p: string) => p.replace(/^\/+/, '');
  const isDir = (p: string) => {
    try {
      return (k.fs.stat(rel(p)).mode & 0o170000) === 0o040000;
    } catch {
      return false;
    }
  };
  return {
    path: (p) => `/mnt${p}`,
    exists: (p) => isDir(p) || (() => { try { k.fs.stat(rel(p)); return true; } catch { return false; } })(),
    isDir,
    read: (p) => k.fs.readFile(rel(p)),
    list: (p) => [...k.fs.readdir(rel(p))],
    write: (p, t) => void k.fs.writeFile(rel(p), t),
  };
}

const DEFAULTS: StartArgs = { sample: 5000, aggr: 100000, updr: 1000000, minr: 10, maxr: 1000 };
const K = `${KDAMONDS}/0`;
const C = `${K}/contexts/0`;
const S = `${C}/schemes/0`;
const rd = (k: Kernel, p: string) => k.fs.readFile(p.slice(1)).trim();

describe('damo start: the kdamond config writer', () => {
  it('writes every file of a vaddr kdamond, and each reads back as written', async () => {
    const k = bootPreset();
    const pid = await spawn(k, 'hotset size=16M node=1');
    const cfg = startConfig({ ...DEFAULTS, target_pid: pid, sample: 10000, aggr: 200000, updr: 2000000, minr: 20, maxr: 500 }, []);
    startKdamond(files(k), cfg);
    const want: Array<[string, string]> = [
      [`${KDAMONDS}/nr_kdamonds`, '1'],
      [`${K}/contexts/nr_contexts`, '1'],
      [`${C}/operations`, 'vaddr'],
      [`${C}/monitoring_attrs/intervals/sample_us`, '10000'],
      [`${C}/monitoring_attrs/intervals/aggr_us`, '200000'],
      [`${C}/monitoring_attrs/intervals/update_us`, '2000000'],
      [`${C}/monitoring_attrs/nr_regions/min`, '20'],
      [`${C}/monitoring_attrs/nr_regions/max`, '500'],
      [`${C}/targets/nr_targets`, '1'],
      [`${C}/targets/0/pid_target`, `${pid}`],
      [`${C}/targets/0/regions/nr_regions`, '0'],
      [`${C}/schemes/nr_schemes`, '1'],
      [`${S}/action`, 'stat'],
      [`${S}/access_pattern/sz/min`, '0'],
      [`${S}/access_pattern/sz/max`, ULONG_MAX],
      [`${S}/access_pattern/nr_accesses/min`, '0'],
      [`${S}/access_pattern/nr_accesses/max`, ULONG_MAX],
      [`${S}/access_pattern/age/min`, '0'],
      [`${S}/access_pattern/age/max`, ULONG_MAX],
      [`${K}/state`, 'on'],
    ];
    expect(kdamondWrites(cfg)).toEqual(want);
    for (const [p, v] of want) expect([p, rd(k, p)]).toEqual([p, v]);
  });

  it('paddr: no pid_target, the init regions given', () => {
    const k = bootPreset();
    startKdamond(files(k), startConfig({ ...DEFAULTS, target: 'paddr' }, [[2 ** 30, 2 * 2 ** 30]]));
    expect(rd(k, `${C}/operations`)).toBe('paddr');
    expect(rd(k, `${C}/targets/0/regions/nr_regions`)).toBe('1');
    expect([rd(k, `${C}/targets/0/regions/0/start`), rd(k, `${C}/targets/0/regions/0/end`)]).toEqual([`${2 ** 30}`, `${2 * 2 ** 30}`]);
    expect(kdamondWrites(startConfig({ ...DEFAULTS, target: 'paddr' }, [])).some(([p]) => p.endsWith('pid_target'))).toBe(false);
  });

  // [damo options, scheme file, value]: access rate % of aggr/sample samples, age in aggregations.
  it.each([
    [['pageout'], {}, 'action', 'pageout'],
    [['migrate_cold', '1'], {}, 'target_nid', '1'],
    [['pageout'], { damos_access_rate: ['50%', 'max'] }, 'access_pattern/nr_accesses/min', '10'],
    [['pageout'], { damos_access_rate: ['0%', '0%'] }, 'access_pattern/nr_accesses/max', '0'],
    [['pageout'], { damos_age: ['5s', 'max'] }, 'access_pattern/age/min', '50'],
    [['pageout'], { damos_age: ['500ms', '1m'] }, 'access_pattern/age/max', '600'],
    [['pageout'], { damos_sz_region: ['4K', '2 MiB'] }, 'access_pattern/sz/min', '4096'],
    [['pageout'], { damos_sz_region: ['4K', '2 MiB'] }, 'access_pattern/sz/max', '2097152'],
    [['pageout'], { damos_quotas: ['100', '1G', '1000'] }, 'quotas/bytes', '1073741824'],
    [['pageout'], { damos_quotas: ['10ms', '1G', '1s', '1', '2', '3'] }, 'quotas/reset_interval_ms', '1000'],
    [['pageout'], { damos_quotas: ['10ms', '1G', '1s', '1', '2', '3'] }, 'quotas/weights/nr_accesses_permil', '2'],
  ] as Array<[string[], Partial<StartArgs>, string, string]>)('--damos_action %j %j: %s = %s', (action, opts, file, want) => {
    const k = bootPreset();
    startKdamond(files(k), startConfig({ ...DEFAULTS, target: 'paddr', damos_action: action, ...opts }, [[0, 1 << 30]]));
    expect(rd(k, `${S}/${file}`)).toBe(want);
  });

  // [args, error]: damo refuses before writing anything.
  it.each([
    [{ target: 'sleep 5' }, /command target is not supported/],
    [{ target: '1', target_pid: 1 }, /not both/],
    [{ ops: 'vaddr' }, /needs a target pid/],
    [{ damos_age: ['1s', 'max'] }, /need --damos_action/],
    [{ damos_action: ['pageout'], damos_age: ['1s'] }, /two values/],
    [{ damos_action: ['pageout'], damos_sz_region: ['4Q', 'max'] }, /not a size/],
  ] as Array<[Partial<StartArgs>, RegExp]>)('%j is refused: %s', (args, msg) => {
    expect(() => startConfig({ ...DEFAULTS, ...args }, [])).toThrow(msg);
  });
});

describe('kernel errnos reach the user as "<path>: <strerror>"', () => {
  // [config change, failing file, strerror]
  it.each([
    ['a pid with no process', (pid: number) => ({ target_pid: pid + 1000 }), `${K}/state`, 'Invalid argument'],
    ['min nr_regions under 3', (pid: number) => ({ target_pid: pid, minr: 2 }), `${K}/state`, 'Invalid argument'],
    ['an unknown DAMOS action', (pid: number) => ({ target_pid: pid, damos_action: ['bogus'] }), `${S}/action`, 'Invalid argument'],
    ['an unknown --ops, refused before any write', (pid: number) => ({ target_pid: pid, ops: 'bogus' }), undefined, undefined],
  ] as Array<[string, (pid: number) => Partial<StartArgs>, string | undefined, string | undefined]>)('%s', async (_, args, path, err) => {
    const k = bootPreset();
    const pid = await spawn(k, 'idle size=4M node=0');
    let thrown: unknown;
    try {
      startKdamond(files(k), startConfig({ ...DEFAULTS, ...args(pid) }, []));
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(DamoError);
    if (path) expect((thrown as Error).message).toBe(`/mnt${path}: ${err}`);
    expect(k.fs.readdir(KDAMONDS.slice(1)).includes('0') ? rd(k, `${K}/state`) : 'off').toBe('off');
  });

  it('a second start is refused while kdamond 0 runs; stop turns it off, a second stop fails', async () => {
    const k = bootPreset();
    const pid = await spawn(k, 'idle size=4M node=0');
    const fs = files(k);
    startKdamond(fs, startConfig({ ...DEFAULTS, target_pid: pid }, []));
    expect(() => startKdamond(fs, startConfig({ ...DEFAULTS, target_pid: pid }, []))).toThrow(/kdamond 0 is running/);
    expect(stopKdamonds(fs)).toBe(1);
    expect(rd(k, `${K}/state`)).toBe('off');
    expect(() => stopKdamonds(fs)).toThrow('DAMON is not running');
  });
});

describe('damo status and report access read a running kdamond', () => {
  it('status refreshes the stats; report access lists the tried regions covering the target', async () => {
    const k = bootPreset();
    const pid = await spawn(k, 'hotset size=16M node=1');
    const fs = files(k);
    startKdamond(fs, startConfig({ ...DEFAULTS, target_pid: pid }, []));
    const kpid = rd(k, `${K}/pid`);
    await advance(k, '1s');
    expect(rd(k, `${S}/stats/nr_tried`)).toBe('0');
    const text = reportDamon(fs);
    const tried = Number(rd(k, `${S}/stats/nr_tried`));
    expect(tried).toBeGreaterThan(0);
    expect(text).toContain(`kdamond 0\n    state: on, pid: ${kpid}\n    context 0\n        ops: vaddr\n        target 0\n            pid: ${pid}\n`);
    expect(text).toContain('        intervals: sample 5 ms, aggr 100 ms, update 1 s\n        nr_regions: [10, 1,000]\n');
    expect(text).toContain(`tried ${tried.toLocaleString('en-US')} regions`);
    const { regions, iv } = snapshotRegions(fs);
    expect(regions.length).toBe(k.fs.readdir(`${S.slice(1)}/tried_regions`).filter((n) => /^\d+$/.test(n)).length);
    expect(regions.reduce((a, r) => a + r.end - r.start, 0)).toBe(Number(rd(k, `${S}/tried_regions/total_bytes`)));
    const out = formatAccessReport(regions, iv, true).split('\n');
    expect(out[0]).toMatch(new RegExp(`^0 +addr ${regions[0]!.start} +size ${regions[0]!.end - regions[0]!.start} +access \\d+ % +age \\d+$`));
    expect(out.at(-2)).toBe(`total size: ${Number(rd(k, `${S}/tried_regions/total_bytes`))}`);
  });

  it('report access needs a running kdamond', () => {
    expect(() => snapshotRegions(files(bootPreset()))).toThrow(/kdamonds not found|not running/);
  });

  it.each([
    [0, '0 ns'],
    [5e6, '5 ms'],
    [1e9, '1 s'],
    [3.4e9, '3.400 s'],
    [(3600 + 49 * 60 + 49.5) * 1e9, '1 h 49 m 49.500 s'],
  ])('damo time format: %d ns is "%s"', (ns, want) => expect(formatTimeNs(ns)).toBe(want));

  it('report access in damo detailed style: columns aligned, rate from nr_accesses, age in aggregations', () => {
    const iv = { sampleUs: 5000, aggrUs: 100000 };
    expect(formatAccessReport([{ start: 4 * 2 ** 30, end: (4 * 2 ** 30) + 8192, nrAccesses: 20, age: 7 }, { start: (4 * 2 ** 30) + 8192, end: 5 * 2 ** 30, nrAccesses: 0, age: 34 }], iv)).toBe(
      '0 addr 4.000 GiB size 8.000 KiB    access 100 % age 700 ms\n1 addr 4.000 GiB size 1023.992 MiB access 0 %   age 3.400 s\ntotal size: 1.000 GiB\n',
    );
  });
});

describe('damo tune: new parameters on the running kdamond through commit', () => {
  it('writes no nr_kdamonds/nr_contexts, ends with commit, and the kdamond keeps running with them', async () => {
    const k = bootPreset();
    const pid = await spawn(k, 'idle size=16M node=0');
    const fs = files(k);
    startKdamond(fs, startConfig({ ...DEFAULTS, target_pid: pid }, []));
    const kpid = rd(k, `${K}/pid`);
    const cfg = startConfig({ ...DEFAULTS, target_pid: pid, aggr: 200000, damos_action: ['pageout'], damos_age: ['1s', 'max'] }, []);
    const w = tuneWrites(cfg);
    expect(w.some(([p]) => /nr_kdamonds|nr_contexts/.test(p))).toBe(false);
    expect(w.at(-1)).toEqual([`${K}/state`, 'commit']);
    tuneKdamond(fs, cfg);
    expect([rd(k, `${K}/state`), rd(k, `${K}/pid`)]).toEqual(['on', kpid]);
    expect([rd(k, `${C}/monitoring_attrs/intervals/aggr_us`), rd(k, `${S}/action`), rd(k, `${S}/access_pattern/age/min`)]).toEqual(['200000', 'pageout', '5']);
    // The kernel applies it: the idle target's regions get paged out (a stat scheme applies none).
    await advance(k, '3s');
    expect(reportDamon(fs)).toContain('action: pageout per aggr interval');
    expect(Number(rd(k, `${S}/stats/sz_applied`))).toBeGreaterThan(0);
  });

  it('refuses when kdamond 0 is off', () => {
    expect(() => tuneKdamond(files(bootPreset()), startConfig({ ...DEFAULTS, target: 'paddr' }, [[0, 2 ** 30]]))).toThrow(/not running/);
  });
});
