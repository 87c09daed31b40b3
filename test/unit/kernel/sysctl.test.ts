// /proc/sys/kernel tiering sysctls (spec kernel-files.md §4.1, §4.2, §4.4, §0.4, §7).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EACCES, EINVAL, ENOENT, EPERM, O_WRONLY, S_IFDIR, S_IFREG, type Cred } from '../../../src/kernfs/index.js';
import { parseMachineConfig } from '../../../src/kernel/config/machine.js';
import { bootKernel, type Kernel } from '../../../src/kernel/kernel.js';
import { errnoOf } from './boot.js';

const DIR = 'proc/sys/kernel';
const NO_CAP: Cred = { uid: 0, capSysAdmin: false };
const USER: Cred = { uid: 1000, capSysAdmin: false };

function bootWith(overrides: Record<string, unknown> = {}): Kernel {
  const raw = { ...JSON.parse(readFileSync('presets/cxl-2node.json', 'utf8')), ...overrides };
  return bootKernel(parseMachineConfig(raw), { seed: 1 });
}

/** cxl-2node with SPE-capable Arm CPUs: the openEuler mem_sampling sysctls exist. */
const SPE = { arch: 'arm64', spe: true };
const boot = (overrides: Record<string, unknown> = {}) => bootWith(overrides);

interface FileCase {
  file: string;
  boot?: Record<string, unknown>;
  dflt: string;
  accepted: Array<[string, string]>; // [written, read back]
  rejected: Array<[rule: string, input: string]>;
  needsCap: boolean;
}

const files: FileCase[] = [
  {
    file: 'numa_balancing',
    dflt: '1\n', // more than one node: CONFIG_NUMA_BALANCING_DEFAULT_ENABLED default
    accepted: [['0', '0\n'], ['1\n', '1\n'], ['2\n', '2\n'], ['3', '3\n'], ['4\n', '4\n'], [' 2\n', '2\n'], ['0x2', '2\n']],
    rejected: [['5 is above extra2 = 4', '5'], ['-1 is below 0', '-1'], ['junk', 'tiering'], ['"+2"', '+2']],
    needsCap: true,
  },
  {
    file: 'numa_balancing_promote_rate_limit_MBps',
    dflt: '65536\n',
    accepted: [['0', '0\n'], ['100\n', '100\n'], ['2147483647', '2147483647\n']],
    rejected: [['negative', '-1'], ['above INT_MAX', '2147483648'], ['junk', '100MB']],
    needsCap: false,
  },
  {
    file: 'mem_sampling_enable',
    boot: SPE,
    dflt: '0\n',
    accepted: [['1', '1\n'], ['0\n', '0\n']],
    rejected: [['2 is outside 0..1', '2'], ['-1', '-1'], ['junk', 'on']],
    needsCap: true,
  },
];

describe.each(files)('$file', ({ file, boot: overrides, dflt, accepted, rejected, needsCap }) => {
  const path = `${DIR}/${file}`;
  const boot = () => bootWith(overrides);

  it('is a 0644 file of size 0 with the default value', () => {
    const k = boot();
    const st = k.fs.stat(path);
    expect(st.mode).toBe(S_IFREG | 0o644);
    expect(st.size).toBe(0);
    expect(k.fs.readFile(path)).toBe(dflt);
  });

  it.each(accepted)('write %j reads back %j', (input, out) => {
    const k = boot();
    expect(k.fs.writeFile(path, input)).toBe(input.length);
    expect(k.fs.readFile(path)).toBe(out);
  });

  it.each(rejected)('%s → EINVAL, value unchanged', (_rule, input) => {
    const k = boot();
    expect(errnoOf(() => k.fs.writeFile(path, input))).toBe(EINVAL);
    expect(k.fs.readFile(path)).toBe(dflt);
  });

  it(`root without CAP_SYS_ADMIN → ${needsCap ? 'EPERM' : 'accepted'}`, () => {
    const k = boot();
    const err = errnoOf(() => k.fs.writeFile(path, '1\n', NO_CAP));
    if (needsCap) {
      expect(err).toBe(EPERM);
      expect(k.fs.readFile(path)).toBe(dflt);
    } else {
      expect(err).toBeUndefined();
      expect(k.fs.readFile(path)).toBe('1\n');
    }
  });

  it.runIf(needsCap)('EPERM comes before parsing: junk without the capability is EPERM', () => {
    const k = boot();
    expect(errnoOf(() => k.fs.writeFile(path, 'junk', NO_CAP))).toBe(EPERM);
  });

  it('a non-root user cannot open it for writing (EACCES) but can read it', () => {
    const k = boot();
    expect(errnoOf(() => k.fs.open(path, O_WRONLY, USER))).toBe(EACCES);
    expect(k.fs.readFile(path, USER)).toBe(dflt);
  });
});

describe('numa_balancing', () => {
  it('defaults to the machine configuration (0 on request)', () => {
    expect(boot({ numaBalancingDefault: 0 }).fs.readFile(`${DIR}/numa_balancing`)).toBe('0\n');
  });

  it('a write reaches NumaBalancingParams and its listeners', () => {
    const k = boot();
    const seen: Array<[number, number]> = [];
    k.numaBalancing.onModeChange((mode, old) => seen.push([mode, old]));
    k.fs.writeFile(`${DIR}/numa_balancing`, '2\n');
    expect(k.numaBalancing.mode).toBe(2);
    expect(k.numaBalancing.tieringEnabled).toBe(true);
    expect(k.numaBalancing.normalEnabled).toBe(false);
    expect(seen).toEqual([[2, 1]]);
  });

  it('a rejected write does not call the listeners', () => {
    const k = boot();
    let calls = 0;
    k.numaBalancing.onModeChange(() => calls++);
    expect(errnoOf(() => k.fs.writeFile(`${DIR}/numa_balancing`, '7'))).toBe(EINVAL);
    expect(calls).toBe(0);
  });
});

describe('numa_balancing_mem_sampling (openEuler revision A)', () => {
  const MS = `${DIR}/mem_sampling_enable`;
  const NBMS = `${DIR}/numa_balancing_mem_sampling`;
  const boot = () => bootWith(SPE);

  it.each(['cxl-2node', '2socket-cxl', 'epyc-2node-256g'])('%s has no SPE: both files are absent (ENOENT), as mem_sampling_init fails with -ENODEV', (name) => {
    const k = bootKernel(parseMachineConfig(JSON.parse(readFileSync(`presets/${name}.json`, 'utf8'))), { seed: 1 });
    expect(errnoOf(() => k.fs.stat(MS))).toBe(ENOENT);
    expect(errnoOf(() => k.fs.stat(NBMS))).toBe(ENOENT);
    expect(k.fs.readdir(DIR)).not.toContain('mem_sampling_enable');
  });

  it.each(['arm64-2node-128c', 'arm64-2node-128c-cxl'])('%s has SPE: both files exist, 0644, reading 0', (name) => {
    const k = bootKernel(parseMachineConfig(JSON.parse(readFileSync(`presets/${name}.json`, 'utf8'))), { seed: 1 });
    expect(k.fs.stat(MS).mode).toBe(S_IFREG | 0o644);
    expect(k.fs.readFile(NBMS)).toBe('0\n');
  });

  it('reads 0 by default; a write of 1 while sampling is off is accepted and has no effect', () => {
    const k = boot();
    expect(k.fs.readFile(NBMS)).toBe('0\n');
    expect(k.fs.writeFile(NBMS, '1\n')).toBe(2);
    expect(k.fs.readFile(NBMS)).toBe('0\n');
  });

  it('takes effect while sampling is on, and mem_sampling_enable=0 switches it off', () => {
    const k = boot();
    k.fs.writeFile(MS, '1');
    k.fs.writeFile(NBMS, '1');
    expect(k.fs.readFile(NBMS)).toBe('1\n');
    k.fs.writeFile(MS, '0');
    expect(k.fs.readFile(NBMS)).toBe('0\n');
    k.fs.writeFile(MS, '1');
    expect(k.fs.readFile(NBMS)).toBe('0\n'); // not restored when sampling comes back
  });

  it.each([['2', EINVAL], ['-1', EINVAL], ['x', EINVAL]])('write %j → %s, value unchanged', (input, errno) => {
    const k = boot();
    k.fs.writeFile(MS, '1');
    k.fs.writeFile(NBMS, '1');
    expect(errnoOf(() => k.fs.writeFile(NBMS, input))).toBe(errno);
    expect(k.fs.readFile(NBMS)).toBe('1\n');
  });

  it('needs CAP_SYS_ADMIN (EPERM) and root (EACCES at open)', () => {
    const k = boot();
    k.fs.writeFile(MS, '1');
    expect(errnoOf(() => k.fs.writeFile(NBMS, '1', NO_CAP))).toBe(EPERM);
    expect(errnoOf(() => k.fs.open(NBMS, O_WRONLY, USER))).toBe(EACCES);
    expect(k.fs.readFile(NBMS)).toBe('0\n');
  });
});

describe('directories', () => {
  it.each(['proc', 'proc/sys', 'proc/sys/kernel'])('%s is 0555', (path) => {
    expect(boot().fs.stat(path).mode).toBe(S_IFDIR | 0o555);
  });

  it('the old scan tunables are not in /proc/sys/kernel since 5.13', () => {
    const names = boot().fs.readdir(DIR);
    expect(names).not.toContain('numa_balancing_scan_delay_ms');
    expect(names).not.toContain('numa_balancing_hot_threshold_ms');
  });
});
