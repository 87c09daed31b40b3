// /sys/kernel/mm/damon/admin (spec/kernel-files.md §2): tree, modes, defaults, nr_* rebuilds,
// kstrto parsing and errnos, and the state commands' rules, table driven.
import { describe, expect, it } from 'vitest';
import { EBUSY, EINVAL, ENOMEM, EPERM, ERANGE, type KernelError } from '../../../src/kernfs/index.js';
import type { Kernel } from '../../../src/kernel/kernel.js';
import { biggestSystemRam } from '../../../src/kernel/mm/damon/paddr.js';
import { damonSysfs } from '../../../src/kernel/mm/damon/sysfs.js';
import { advance, bootPreset, errnoOf, spawn, writeGives } from './boot.js';

const A = 'sys/kernel/mm/damon/admin/kdamonds';
const K0 = `${A}/0`;
const C0 = `${K0}/contexts/0`;
const read = (k: Kernel, f: string) => k.fs.readFile(f);
const write = (k: Kernel, f: string, text: string) => k.fs.writeFile(f, text);
const fails = (k: Kernel, f: string, text: string) => errnoOf(() => write(k, f, text)) as KernelError | undefined;
const UL = '18446744073709551615';

/** One kdamond, one context, `nrTargets` targets (usage.rst's first steps). */
function setup(k: Kernel, nrTargets = 1, kd = 0): string {
  const c = `${A}/${kd}/contexts/0`;
  write(k, `${A}/${kd}/contexts/nr_contexts`, '1\n');
  write(k, `${c}/targets/nr_targets`, `${nrTargets}\n`);
  return c;
}

describe('tree, modes and defaults', () => {
  it('admin/kdamonds holds only nr_kdamonds (0) at boot', () => {
    const k = bootPreset();
    expect([...k.fs.readdir('sys/kernel/mm/damon')]).toEqual(['admin']);
    expect([...k.fs.readdir(A)]).toEqual(['nr_kdamonds']);
    expect(read(k, `${A}/nr_kdamonds`)).toBe('0\n');
  });

  it('every file of a kdamond with one context, target and region: mode, size 4096 and default', () => {
    const k = bootPreset();
    write(k, `${A}/nr_kdamonds`, '1\n');
    setup(k);
    write(k, `${C0}/targets/0/regions/nr_regions`, '1\n');
    const table: Array<[string, number, string]> = [
      [`${A}/nr_kdamonds`, 0o600, '1\n'],
      [`${K0}/state`, 0o600, 'off\n'],
      [`${K0}/pid`, 0o400, '-1\n'],
      [`${K0}/contexts/nr_contexts`, 0o600, '1\n'],
      [`${C0}/avail_operations`, 0o400, 'vaddr\nfvaddr\npaddr\n'],
      [`${C0}/operations`, 0o600, 'vaddr\n'],
      [`${C0}/monitoring_attrs/intervals/sample_us`, 0o600, '5000\n'],
      [`${C0}/monitoring_attrs/intervals/aggr_us`, 0o600, '100000\n'],
      [`${C0}/monitoring_attrs/intervals/update_us`, 0o600, '60000000\n'],
      [`${C0}/monitoring_attrs/nr_regions/min`, 0o600, '10\n'],
      [`${C0}/monitoring_attrs/nr_regions/max`, 0o600, '1000\n'],
      [`${C0}/targets/nr_targets`, 0o600, '1\n'],
      [`${C0}/targets/0/pid_target`, 0o600, '0\n'],
      [`${C0}/targets/0/regions/nr_regions`, 0o600, '1\n'],
      [`${C0}/targets/0/regions/0/start`, 0o600, '0\n'],
      [`${C0}/targets/0/regions/0/end`, 0o600, '0\n'],
    ];
    for (const [path, mode, text] of table) {
      expect(k.fs.stat(path), path).toMatchObject({ mode: 0o100000 | mode, size: 4096 });
      expect(read(k, path), path).toBe(text);
    }
    for (const d of [K0, `${K0}/contexts`, C0, `${C0}/monitoring_attrs`, `${C0}/monitoring_attrs/intervals`, `${C0}/targets/0/regions/0`]) {
      expect(k.fs.stat(d).mode, d).toBe(0o040755);
    }
  });
});

describe('nr_* files: kstrtoint, negative EINVAL, (re)create 0..N-1 with defaults', () => {
  const nrFiles: Array<[string, string, string]> = [
    // [nr file, a child's file that holds state, that child's default]
    [`${A}/nr_kdamonds`, `${A}/0/contexts/nr_contexts`, '0\n'],
    [`${K0}/contexts/nr_contexts`, `${C0}/operations`, 'vaddr\n'],
    [`${C0}/targets/nr_targets`, `${C0}/targets/0/pid_target`, '0\n'],
    [`${C0}/targets/0/regions/nr_regions`, `${C0}/targets/0/regions/0/end`, '0\n'],
  ];
  const prepare = (k: Kernel) => {
    write(k, `${A}/nr_kdamonds`, '1\n');
    setup(k);
    write(k, `${C0}/targets/0/regions/nr_regions`, '1\n');
  };
  const stateOf: Record<string, string> = {
    [`${A}/0/contexts/nr_contexts`]: '1\n',
    [`${C0}/operations`]: 'paddr\n',
    [`${C0}/targets/0/pid_target`]: '7\n',
    [`${C0}/targets/0/regions/0/end`]: '4096\n',
  };

  it.each([
    ['-1', EINVAL],
    ['abc', EINVAL],
    ['', EINVAL],
    ['1 2', EINVAL],
    ['2147483648', ERANGE],
    ['0x1', undefined],
    ['+1', undefined],
  ] as const)('%j → %s, and bad input changes nothing', (input, errno) => {
    for (const [nr, child] of nrFiles) {
      const k = bootPreset();
      prepare(k);
      if (!nr.endsWith('nr_contexts')) write(k, child, stateOf[child]!);
      expect(fails(k, nr, `${input}\n`), nr).toBe(errno);
      if (errno) expect(read(k, nr)).toBe('1\n');
      else expect(read(k, nr)).toBe('1\n');
    }
  });

  it.each([...nrFiles.filter(([nr]) => !nr.endsWith('nr_contexts')), [`${C0}/schemes/nr_schemes`, `${C0}/schemes/0/action`, 'stat\n'] as [string, string, string]])(
    '%s: more children than kmalloc_array can point to (524289 > 4 MiB / 8) is ENOMEM and changes nothing',
    (nr, child) => {
      const k = bootPreset();
      prepare(k);
      write(k, `${C0}/schemes/nr_schemes`, '1\n');
      const before = read(k, child);
      expect(fails(k, nr, '524289\n')).toBe(ENOMEM);
      expect(read(k, nr)).toBe('1\n');
      expect(read(k, child)).toBe(before);
    },
  );

  it.each(nrFiles)('%s: writing the same number again resets %s to %j; 0 removes the directory', (nr, child, def) => {
    const k = bootPreset();
    prepare(k);
    write(k, child, stateOf[child]!);
    expect(read(k, child)).toBe(stateOf[child]);
    write(k, nr, '1\n');
    expect(read(k, child)).toBe(def);
    const many = nr.endsWith('nr_contexts') ? ['0'] : ['0', '1', '2'];
    write(k, nr, `${many.length}\n`);
    const parent = nr.slice(0, nr.lastIndexOf('/'));
    expect([...k.fs.readdir(parent)].filter((n) => /^\d+$/.test(n))).toEqual(many);
    write(k, nr, '0\n');
    expect([...k.fs.readdir(parent)].filter((n) => /^\d+$/.test(n))).toEqual([]);
    expect(errnoOf(() => k.fs.stat(`${parent}/0`))).toBeDefined();
  });

  it.each([['2', EINVAL], ['1', undefined], ['0', undefined]] as const)('nr_contexts %s → %s (0 or 1 only)', (input, errno) => {
    const k = bootPreset();
    write(k, `${A}/nr_kdamonds`, '1\n');
    expect(fails(k, `${K0}/contexts/nr_contexts`, `${input}\n`)).toBe(errno);
    expect(read(k, `${K0}/contexts/nr_contexts`)).toBe(errno ? '0\n' : `${input}\n`);
  });
});

describe('nr_* children are built when first touched (kernfs has all N; building 512 Ki eagerly took seconds and ~0.8 GB)', () => {
  const MAX = 524288; // NR_DIRS_MAX: the largest N kmalloc_array allows
  it.each([
    // [nr file, a file of child N-1 and its default]
    [`${A}/nr_kdamonds`, 'contexts/nr_contexts', '0\n'],
    [`${C0}/targets/nr_targets`, 'pid_target', '0\n'],
    [`${C0}/targets/0/regions/nr_regions`, 'end', '0\n'],
    [`${C0}/schemes/nr_schemes`, 'action', 'stat\n'],
    [`${C0}/schemes/0/quotas/goals/nr_goals`, 'target_metric', 'user_input\n'],
    [`${C0}/schemes/0/filters/nr_filters`, 'type', 'anon\n'],
    [`${C0}/schemes/0/ops_filters/nr_filters`, 'allow', 'N\n'],
    [`${C0}/schemes/0/dests/nr_dests`, 'weight', '0\n'],
  ] as const)('%s 524288: readdir lists N children in order, child N-1 reads defaults and keeps writes', (nr, file, def) => {
    const k = bootPreset();
    if (!nr.startsWith(`${A}/nr_`)) {
      write(k, `${A}/nr_kdamonds`, '1\n');
      setup(k);
      if (nr.includes('/schemes/0/')) write(k, `${C0}/schemes/nr_schemes`, '1\n');
    }
    write(k, nr, `${MAX}\n`);
    const parent = nr.slice(0, nr.lastIndexOf('/'));
    const names = k.fs.readdir(parent).filter((n) => /^\d+$/.test(n));
    expect(names.length).toBe(MAX);
    expect(names.slice(0, 3)).toEqual(['0', '1', '2']);
    expect(names[MAX - 1]).toBe(String(MAX - 1));
    const child = `${parent}/${MAX - 1}`;
    expect(read(k, `${child}/${file}`)).toBe(def);
    expect(errnoOf(() => k.fs.stat(`${parent}/${MAX}`))).toBeDefined();
    expect(errnoOf(() => k.fs.stat(`${parent}/0${MAX - 1}`))).toBeDefined(); // names are exact %d
    // The same node on every lookup: attributes set on it stay, like an inode's.
    k.fs.setattr(child, { mode: 0o700 });
    expect(k.fs.stat(child).mode & 0o777).toBe(0o700);
    write(k, nr, `${MAX}\n`); // a rewrite destroys every child
    expect(k.fs.stat(child).mode & 0o777).toBe(0o755);
  });

  it('nr_kdamonds 524288 builds only the kdamonds looked up; state on reads untouched ones as defaults', async () => {
    const k = bootPreset();
    const pid = await spawn(k, 'hotset size=16M node=1');
    write(k, `${A}/nr_kdamonds`, `${MAX}\n`);
    expect([...damonSysfs(k).kdamonds.built()]).toHaveLength(0);
    const last = `${A}/${MAX - 1}`;
    write(k, `${last}/contexts/nr_contexts`, '1\n');
    write(k, `${last}/contexts/0/targets/nr_targets`, '1\n');
    write(k, `${last}/contexts/0/targets/0/pid_target`, `${pid}\n`);
    write(k, `${last}/state`, 'on\n');
    expect(read(k, `${last}/state`)).toBe('on\n');
    expect([...damonSysfs(k).kdamonds.built()]).toHaveLength(1);
    expect(fails(k, `${A}/0/state`, 'on\n')).toBe(EINVAL); // an untouched kdamond: no context
    expect(fails(k, `${A}/nr_kdamonds`, '1\n')).toBe(EBUSY);
    write(k, `${last}/state`, 'off\n');
    // nr_targets N: on reads the untouched targets as pid 0, which names no process
    write(k, `${last}/contexts/0/targets/nr_targets`, `${MAX}\n`);
    write(k, `${last}/contexts/0/targets/0/pid_target`, `${pid}\n`);
    expect(fails(k, `${last}/state`, 'on\n')).toBe(EINVAL);
  });
});

describe('value files: kstrtoul/kstrtoint, any parse failure EINVAL, no range check at write', () => {
  const ulFiles = ['monitoring_attrs/intervals/sample_us', 'monitoring_attrs/intervals/aggr_us', 'monitoring_attrs/intervals/update_us', 'monitoring_attrs/nr_regions/min', 'monitoring_attrs/nr_regions/max', 'targets/0/regions/0/start', 'targets/0/regions/0/end'];
  it.each([
    ['0x10', '16\n'],
    ['010', '8\n'],
    [UL, `${UL}\n`],
    ['18446744073709551616', EINVAL], // ERANGE from kstrtoul, returned as EINVAL
    ['-1', EINVAL],
    ['1.5', EINVAL],
    ['', EINVAL],
  ] as const)('kstrtoul files: %j → %j', (input, want) => {
    const k = bootPreset();
    write(k, `${A}/nr_kdamonds`, '1\n');
    setup(k);
    write(k, `${C0}/targets/0/regions/nr_regions`, '1\n');
    for (const f of ulFiles) {
      const before = read(k, `${C0}/${f}`);
      const err = fails(k, `${C0}/${f}`, `${input}\n`);
      if (typeof want === 'string') expect(read(k, `${C0}/${f}`), f).toBe(want);
      else {
        expect(err, f).toBe(want);
        expect(read(k, `${C0}/${f}`), f).toBe(before);
      }
    }
  });

  it.each([
    ['123', '123\n'],
    ['-5', '-5\n'],
    ['0x10', '16\n'],
    ['2147483648', EINVAL],
    ['x', EINVAL],
  ] as const)('pid_target (kstrtoint): %j → %j', (input, want) => {
    const k = bootPreset();
    write(k, `${A}/nr_kdamonds`, '1\n');
    setup(k);
    const f = `${C0}/targets/0/pid_target`;
    const err = fails(k, f, `${input}\n`);
    if (typeof want === 'string') expect(read(k, f)).toBe(want);
    else {
      expect(err).toBe(want);
      expect(read(k, f)).toBe('0\n');
    }
  });

  it.each([
    ['vaddr', 'vaddr\n'],
    ['paddr\n', 'paddr\n'],
    ['paddr', 'paddr\n'],
    ['fvaddr', 'fvaddr\n'],
    ['paddr\n\n', EINVAL],
    ['PADDR', EINVAL],
    ['\n', EINVAL],
  ] as const)('operations (sysfs_streq): %j → %j', (input, want) => {
    const k = bootPreset();
    write(k, `${A}/nr_kdamonds`, '1\n');
    setup(k);
    const f = `${C0}/operations`;
    const err = fails(k, f, input);
    if (typeof want === 'string') expect(read(k, f)).toBe(want);
    else {
      expect(err).toBe(want);
      expect(read(k, f)).toBe('vaddr\n');
    }
  });

  it('read-only files refuse writes', () => {
    const k = bootPreset();
    write(k, `${A}/nr_kdamonds`, '1\n');
    setup(k);
    expect(fails(k, `${K0}/pid`, '1\n')).toBeDefined();
    expect(fails(k, `${C0}/avail_operations`, 'paddr\n')).toBeDefined();
  });
});

describe('state: on/off/commit rules', () => {
  it.each([
    ['bogus', EINVAL],
    ['off', EINVAL], // never turned on
    ['commit', EINVAL], // not running
    ['update_schemes_stats', EINVAL],
    ['clear_schemes_tried_regions', EINVAL],
    ['on\n\n', EINVAL],
  ] as const)('while never started: %j → %s', (input, errno) => {
    const k = bootPreset();
    write(k, `${A}/nr_kdamonds`, '1\n');
    setup(k);
    write(k, `${C0}/operations`, 'paddr\n');
    expect(fails(k, `${K0}/state`, input)).toBe(errno);
    expect(read(k, `${K0}/state`)).toBe('off\n');
  });

  const invalid: Array<[string, (k: Kernel) => void]> = [
    ['nr_contexts 0', (k) => write(k, `${K0}/contexts/nr_contexts`, '0\n')],
    ['min_nr_regions < 3', (k) => write(k, `${C0}/monitoring_attrs/nr_regions/min`, '2\n')],
    ['min > max', (k) => write(k, `${C0}/monitoring_attrs/nr_regions/max`, '5\n')],
    ['sample > aggr', (k) => write(k, `${C0}/monitoring_attrs/intervals/sample_us`, '100001\n')],
    ['fvaddr pid that does not exist', (k) => write(k, `${C0}/operations`, 'fvaddr\n')],
    ['vaddr pid that does not exist', (k) => write(k, `${C0}/operations`, 'vaddr\n')],
    ['paddr with two targets', (k) => write(k, `${C0}/targets/nr_targets`, '2\n')],
    ['region start > end', (k) => {
      write(k, `${C0}/targets/0/regions/nr_regions`, '1\n');
      write(k, `${C0}/targets/0/regions/0/start`, '8192\n');
      write(k, `${C0}/targets/0/regions/0/end`, '4096\n');
    }],
    ['overlapping regions', (k) => {
      write(k, `${C0}/targets/0/regions/nr_regions`, '2\n');
      write(k, `${C0}/targets/0/regions/0/end`, '8192\n');
      write(k, `${C0}/targets/0/regions/1/start`, '4096\n');
      write(k, `${C0}/targets/0/regions/1/end`, '16384\n');
    }],
  ];
  it.each(invalid)('on with %s → EINVAL, stays off', (_name, spoil) => {
    const k = bootPreset();
    write(k, `${A}/nr_kdamonds`, '1\n');
    setup(k);
    write(k, `${C0}/operations`, 'paddr\n');
    write(k, `${C0}/targets/0/pid_target`, '999999\n');
    spoil(k);
    expect(fails(k, `${K0}/state`, 'on\n')).toBe(EINVAL);
    expect(read(k, `${K0}/state`)).toBe('off\n');
    expect(read(k, `${K0}/pid`)).toBe('-1\n');
  });

  it('paddr with no region monitors the biggest System RAM; on twice EBUSY; nr_kdamonds EBUSY while on; off, then off EPERM', async () => {
    const k = bootPreset();
    write(k, `${A}/nr_kdamonds`, '1\n');
    setup(k);
    write(k, `${C0}/operations`, 'paddr\n');
    write(k, `${K0}/state`, 'on\n');
    expect(read(k, `${K0}/state`)).toBe('on\n');
    const pid = Number(read(k, `${K0}/pid`));
    expect(pid).toBeGreaterThan(0);
    const ctx = damonSysfs(k).kdamonds.at(0).ctx!;
    const [lo, hi] = biggestSystemRam(k);
    const regions = ctx.targets[0]!.regions;
    expect(regions[0]!.start).toBe(lo);
    expect(regions[regions.length - 1]!.end).toBe(hi);
    expect(fails(k, `${K0}/state`, 'on\n')).toBe(EBUSY);
    expect(fails(k, `${A}/nr_kdamonds`, '1\n')).toBe(EBUSY);
    expect(read(k, `${A}/nr_kdamonds`)).toBe('1\n');
    expect(fails(k, 'sys/kernel/debug/damon/monitor_on', 'on\n')).toBe(EBUSY); // debugfs starts exclusively
    await advance(k, '300ms');
    expect(ctx.snapshots).toBeGreaterThanOrEqual(2);
    // files written while on are stored, and apply only at commit
    write(k, `${C0}/monitoring_attrs/intervals/aggr_us`, '200000\n');
    expect(ctx.attrs.aggrUs).toBe(100_000n);
    write(k, `${K0}/state`, 'commit\n');
    expect(ctx.attrs.aggrUs).toBe(200_000n);
    expect(fails(k, `${K0}/state`, 'update_schemes_stats\n')).toBeUndefined();
    write(k, `${C0}/monitoring_attrs/nr_regions/min`, '1\n');
    expect(fails(k, `${K0}/state`, 'commit\n')).toBe(EINVAL); // invalid input: nothing committed
    expect(ctx.attrs.minNrRegions).toBe(10n);
    write(k, `${K0}/state`, 'off\n');
    expect(read(k, `${K0}/state`)).toBe('off\n');
    expect(read(k, `${K0}/pid`)).toBe('-1\n');
    expect(fails(k, `${K0}/state`, 'off\n')).toBe(EPERM);
    expect(fails(k, `${K0}/state`, 'commit\n')).toBe(EINVAL);
  });

  it('no targets (kdamond_need_stop): vaddr starts and stops at once (off then EPERM); paddr runs until turned off', async () => {
    const k = bootPreset();
    write(k, `${A}/nr_kdamonds`, '2\n');
    for (const i of [0, 1]) write(k, `${A}/${i}/contexts/nr_contexts`, '1\n');
    write(k, `${A}/1/contexts/0/operations`, 'paddr\n');
    write(k, `${A}/0/state`, 'on\n');
    write(k, `${A}/1/state`, 'on\n');
    await advance(k, '1s');
    expect(read(k, `${A}/0/state`)).toBe('off\n');
    expect(fails(k, `${A}/0/state`, 'off\n')).toBe(EPERM);
    expect(read(k, `${A}/1/state`)).toBe('on\n');
    write(k, `${A}/1/state`, 'off\n');
  });

  it('on while debugfs DAMON runs → EBUSY', () => {
    const k = bootPreset();
    write(k, 'sys/kernel/debug/damon/pids', 'paddr\n');
    write(k, 'sys/kernel/debug/damon/init_regions', '-1 0 1073741824\n');
    write(k, 'sys/kernel/debug/damon/monitor_on', 'on\n');
    write(k, `${A}/nr_kdamonds`, '1\n');
    setup(k);
    write(k, `${C0}/operations`, 'paddr\n');
    expect(fails(k, `${K0}/state`, 'on\n')).toBe(EBUSY);
    expect(read(k, `${K0}/state`)).toBe('off\n');
  });

  it('several kdamonds run at once; a vaddr kdamond whose target exits stops by itself (state off, pid -1, off EPERM)', async () => {
    const k = bootPreset();
    const short = await spawn(k, 'abench size=4M iters=2 node=0');
    const long = await spawn(k, 'hotset size=16M node=1');
    write(k, `${A}/nr_kdamonds`, '3\n');
    for (const [i, pid] of [[0, short], [1, long]] as const) {
      const c = setup(k, 1, i);
      write(k, `${c}/targets/0/pid_target`, `${pid}\n`);
      write(k, `${A}/${i}/state`, 'on\n');
    }
    const c2 = setup(k, 1, 2);
    write(k, `${c2}/operations`, 'paddr\n');
    write(k, `${A}/2/state`, 'on\n');
    const pids = [0, 1, 2].map((i) => read(k, `${A}/${i}/pid`));
    expect(new Set(pids).size).toBe(3);
    await advance(k, '1s');
    expect(k.fs.readFile(`sim/processes/${short}/state`)).toBe('done\n');
    expect(read(k, `${A}/0/state`)).toBe('off\n');
    expect(read(k, `${A}/0/pid`)).toBe('-1\n');
    expect(fails(k, `${A}/0/state`, 'off\n')).toBe(EPERM);
    expect(read(k, `${A}/1/state`)).toBe('on\n');
    expect(read(k, `${A}/2/state`)).toBe('on\n');
    expect(damonSysfs(k).kdamonds.at(1).ctx!.snapshots).toBeGreaterThanOrEqual(5);
    write(k, `${A}/1/state`, 'off\n');
    write(k, `${A}/2/state`, 'off\n');
    write(k, `${A}/nr_kdamonds`, '0\n');
    expect([...k.fs.readdir(A)]).toEqual(['nr_kdamonds']);
  });
});

describe('schemes (sysfs-schemes.c)', () => {
  const S0 = `${C0}/schemes/0`;
  const withScheme = (k: Kernel) => {
    write(k, `${A}/nr_kdamonds`, '1\n');
    setup(k);
    write(k, `${C0}/operations`, 'paddr\n');
    write(k, `${C0}/schemes/nr_schemes`, '1\n');
  };

  it('every scheme file: mode, size 4096 and default', () => {
    const k = bootPreset();
    withScheme(k);
    const table: Array<[string, number, string]> = [
      [`${C0}/schemes/nr_schemes`, 0o600, '1\n'],
      [`${S0}/action`, 0o600, 'stat\n'],
      [`${S0}/target_nid`, 0o600, '-1\n'],
      [`${S0}/apply_interval_us`, 0o600, '0\n'],
      ...(['sz', 'nr_accesses', 'age'] as const).flatMap((p) => (['min', 'max'] as const).map((m): [string, number, string] => [`${S0}/access_pattern/${p}/${m}`, 0o600, '0\n'])),
      [`${S0}/quotas/ms`, 0o600, '0\n'],
      [`${S0}/quotas/bytes`, 0o600, '0\n'],
      [`${S0}/quotas/reset_interval_ms`, 0o600, '0\n'],
      [`${S0}/quotas/weights/sz_permil`, 0o600, '0\n'],
      [`${S0}/quotas/weights/nr_accesses_permil`, 0o600, '0\n'],
      [`${S0}/quotas/weights/age_permil`, 0o600, '0\n'],
      [`${S0}/watermarks/metric`, 0o600, 'none\n'],
      ...(['interval_us', 'high', 'mid', 'low'] as const).map((f): [string, number, string] => [`${S0}/watermarks/${f}`, 0o600, '0\n']),
      ...(['nr_tried', 'sz_tried', 'nr_applied', 'sz_applied', 'sz_ops_filter_passed', 'qt_exceeds'] as const).map((f): [string, number, string] => [`${S0}/stats/${f}`, 0o400, '0\n']),
    ];
    for (const [path, mode, text] of table) {
      expect(k.fs.stat(path), path).toMatchObject({ mode: 0o100000 | mode, size: 4096 });
      expect(read(k, path), path).toBe(text);
    }
  });

  it.each([
    ['action', 'pageout', 'pageout\n'],
    ['action', 'migrate_hot\n', 'migrate_hot\n'],
    ['action', 'lru_deprio', 'lru_deprio\n'],
    ['action', 'Pageout', EINVAL],
    ['action', 'stat\n\n', EINVAL],
    ['watermarks/metric', 'free_mem_rate', 'free_mem_rate\n'],
    ['watermarks/metric', 'free', EINVAL],
    ['target_nid', '1', '1\n'],
    ['target_nid', '-1', '-1\n'],
    ['target_nid', '2147483648', EINVAL],
    ['quotas/weights/sz_permil', '4294967295', '4294967295\n'],
    ['quotas/weights/sz_permil', '4294967296', EINVAL],
    ['quotas/weights/sz_permil', '-1', EINVAL],
    ['access_pattern/age/max', UL, `${UL}\n`],
    ['access_pattern/sz/min', 'x', EINVAL],
    ['quotas/bytes', '0x1000', '4096\n'],
  ] as const)('%s %j → %j', (file, input, want) => {
    const k = bootPreset();
    withScheme(k);
    writeGives(k, `${S0}/${file}`, input, want);
  });

  it('nr_schemes: errnos, and a rewrite resets a scheme to defaults', () => {
    const k = bootPreset();
    withScheme(k);
    expect(fails(k, `${C0}/schemes/nr_schemes`, '-1\n')).toBe(EINVAL);
    expect(fails(k, `${C0}/schemes/nr_schemes`, '99999999999\n')).toBe(ERANGE);
    write(k, `${S0}/action`, 'pageout\n');
    write(k, `${C0}/schemes/nr_schemes`, '2\n');
    expect(read(k, `${S0}/action`)).toBe('stat\n');
    expect([...k.fs.readdir(`${C0}/schemes`)].sort()).toEqual(['0', '1', 'nr_schemes']);
  });

  it('a stat scheme runs in the core; stats files change only at update_schemes_stats; commit keeps the stats', async () => {
    const k = bootPreset();
    await spawn(k, 'hotset size=64M node=1');
    withScheme(k);
    for (const p of ['sz', 'nr_accesses', 'age']) write(k, `${S0}/access_pattern/${p}/max`, `${UL}\n`);
    write(k, `${K0}/state`, 'on\n');
    await advance(k, '1s');
    const run = damonSysfs(k).kdamonds.at(0).ctx!.schemes[0]!;
    expect(run.stats.nrTried).toBeGreaterThan(0);
    expect(read(k, `${S0}/stats/nr_tried`)).toBe('0\n');
    write(k, `${K0}/state`, 'update_schemes_stats\n');
    const tried = Number(read(k, `${S0}/stats/nr_tried`));
    expect(tried).toBe(run.stats.nrTried);
    expect(Number(read(k, `${S0}/stats/sz_tried`))).toBe(run.stats.szTried);
    expect(Number(read(k, `${S0}/stats/nr_applied`))).toBe(run.stats.nrApplied);
    // tried_regions: total_bytes alone, then the regions of the last apply, then cleared
    const T = `${S0}/tried_regions`;
    expect([...k.fs.readdir(T)]).toEqual(['total_bytes']);
    expect(read(k, `${T}/total_bytes`)).toBe('0\n');
    write(k, `${K0}/state`, 'update_schemes_tried_bytes\n');
    const total = run.lastTried.reduce((sum, [a, b]) => sum + b - a, 0);
    expect(total).toBeGreaterThan(0);
    expect(read(k, `${T}/total_bytes`)).toBe(`${total}\n`);
    expect([...k.fs.readdir(T)]).toEqual(['total_bytes']);
    write(k, `${K0}/state`, 'update_schemes_tried_regions\n');
    const names = [...k.fs.readdir(T)].filter((n) => n !== 'total_bytes');
    expect(names.length).toBe(run.lastTried.length);
    let prevEnd = 0;
    for (const [i, [start, end, nr, age]] of run.lastTried.entries()) {
      expect(k.fs.stat(`${T}/${i}/start`)).toMatchObject({ mode: 0o100400, size: 4096 });
      expect(read(k, `${T}/${i}/start`)).toBe(`${start}\n`);
      expect(read(k, `${T}/${i}/end`)).toBe(`${end}\n`);
      expect(read(k, `${T}/${i}/nr_accesses`)).toBe(`${nr}\n`);
      expect(read(k, `${T}/${i}/age`)).toBe(`${age}\n`);
      expect(start).toBeGreaterThanOrEqual(prevEnd);
      prevEnd = end;
    }
    write(k, `${K0}/state`, 'clear_schemes_tried_regions\n');
    expect([...k.fs.readdir(T)]).toEqual(['total_bytes']);
    expect(read(k, `${T}/total_bytes`)).toBe('0\n');
    // commit: a new access pattern takes effect in place, the stats go on counting
    write(k, `${S0}/access_pattern/nr_accesses/min`, '1\n');
    write(k, `${K0}/state`, 'commit\n');
    expect(damonSysfs(k).kdamonds.at(0).ctx!.schemes[0]).toBe(run);
    expect(run.minNrAccesses).toBe(1);
    await advance(k, '500ms');
    write(k, `${K0}/state`, 'update_schemes_stats\n');
    expect(Number(read(k, `${S0}/stats/nr_tried`))).toBeGreaterThan(tried);
    write(k, `${K0}/state`, 'off\n');
  });

  it('a size quota caps what a pageout scheme applies per reset interval (vaddr, same core as debugfs)', async () => {
    const k = bootPreset();
    const pid = await spawn(k, 'idle size=64M node=0');
    write(k, `${A}/nr_kdamonds`, '1\n');
    setup(k);
    write(k, `${C0}/targets/0/pid_target`, `${pid}\n`);
    write(k, `${C0}/schemes/nr_schemes`, '1\n');
    write(k, `${S0}/action`, 'pageout\n');
    for (const p of ['sz', 'nr_accesses', 'age']) write(k, `${S0}/access_pattern/${p}/max`, `${UL}\n`);
    write(k, `${S0}/quotas/bytes`, `${4 << 20}\n`);
    write(k, `${S0}/quotas/reset_interval_ms`, '1000\n');
    write(k, `${K0}/state`, 'on\n');
    await advance(k, '2500ms');
    write(k, `${K0}/state`, 'update_schemes_stats\n');
    const applied = Number(read(k, `${S0}/stats/sz_applied`));
    expect(applied).toBeGreaterThan(0);
    expect(applied).toBeLessThanOrEqual(3 * ((4 << 20) + (64 << 20) / 10));
    expect(Number(read(k, `${S0}/stats/qt_exceeds`))).toBeGreaterThan(0);
    write(k, `${K0}/state`, 'off\n');
  });

  it('apply_interval_us: a scheme with 500 ms is applied once per 500 ms, one with 0 at every 100 ms aggregation', async () => {
    const k = bootPreset();
    await spawn(k, 'hotset size=64M node=1');
    withScheme(k);
    write(k, `${C0}/schemes/nr_schemes`, '2\n');
    for (const i of [0, 1]) for (const p of ['sz', 'nr_accesses', 'age']) write(k, `${C0}/schemes/${i}/access_pattern/${p}/max`, `${UL}\n`);
    write(k, `${C0}/schemes/1/apply_interval_us`, '500000\n');
    write(k, `${K0}/state`, 'on\n');
    await advance(k, '2050ms');
    const [every, slow] = damonSysfs(k).kdamonds.at(0).ctx!.schemes.map((x) => x.stats.nrTried) as [number, number];
    expect(slow).toBeGreaterThan(0);
    expect(slow * 3).toBeLessThan(every); // about a fifth as many tries
    write(k, `${K0}/state`, 'off\n');
  });

  it('DAMON-based tiering on cxl-2node: migrate_hot promotes the CXL hot set to node 0, migrate_cold demotes cold DRAM pages to node 1', async () => {
    const k = bootPreset();
    const hot = await spawn(k, 'hotset size=32M node=1');
    const cold = await spawn(k, 'idle size=32M node=0');
    const mmOf = (pid: number) => k.tasks.get(pid)!.mm;
    expect(mmOf(hot).residentPages(0)).toBe(0);
    expect(mmOf(cold).residentPages(1)).toBe(0);
    write(k, `${A}/nr_kdamonds`, '1\n');
    setup(k);
    write(k, `${C0}/operations`, 'paddr\n');
    const ram = k.layout.ram;
    write(k, `${C0}/targets/0/regions/nr_regions`, `${ram.length}\n`);
    ram.forEach((r, i) => {
      write(k, `${C0}/targets/0/regions/${i}/start`, `${r.start}\n`);
      write(k, `${C0}/targets/0/regions/${i}/end`, `${r.end + 1}\n`);
    });
    write(k, `${C0}/schemes/nr_schemes`, '2\n');
    const S = (i: number, f: string, v: string) => write(k, `${C0}/schemes/${i}/${f}`, `${v}\n`);
    for (const i of [0, 1]) for (const p of ['sz', 'age']) S(i, `access_pattern/${p}/max`, UL);
    S(0, 'action', 'migrate_hot');
    S(0, 'access_pattern/nr_accesses/min', '5');
    S(0, 'access_pattern/nr_accesses/max', UL);
    S(0, 'target_nid', '0');
    S(1, 'action', 'migrate_cold');
    S(1, 'access_pattern/age/min', '10');
    S(1, 'target_nid', '1');
    const migrated = k.vm.event('pgmigrate_success');
    write(k, `${K0}/state`, 'on\n');
    await advance(k, '5s');
    write(k, `${K0}/state`, 'update_schemes_stats\n');
    const hotOn0 = mmOf(hot).residentPages(0);
    const coldOn1 = mmOf(cold).residentPages(1);
    expect(hotOn0).toBeGreaterThan(0);
    expect(coldOn1).toBeGreaterThan(0);
    expect(Number(read(k, `${C0}/schemes/0/stats/sz_applied`))).toBeGreaterThan(0);
    expect(Number(read(k, `${C0}/schemes/1/stats/sz_applied`))).toBeGreaterThan(0);
    expect(k.vm.event('pgmigrate_success') - migrated).toBeGreaterThanOrEqual(hotOn0 + coldOn1);
    expect(damonSysfs(k).kdamonds.at(0).ctx!.cpuNs).toBeGreaterThan(0);
    write(k, `${K0}/state`, 'off\n');
  });
});
