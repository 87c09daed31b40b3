// sys/kernel/debug/sched/numa_balancing/*: debugfs_create_u32 files (spec kernel-files.md
// §0.2, §4.3): "%llu\n" reads, kstrtoull base-0 writes of at most 23 bytes, u32 truncation.
import { describe, expect, it } from 'vitest';
import { EACCES, EINVAL, ERANGE, S_IFDIR, S_IFREG } from '../../../src/kernfs/index.js';
import { bootPreset as boot, errnoOf } from './boot.js';

const DIR = 'sys/kernel/debug/sched/numa_balancing';

const defaults: Array<[string, string]> = [
  ['scan_delay_ms', '1000\n'],
  ['scan_period_min_ms', '1000\n'],
  ['scan_period_max_ms', '60000\n'],
  ['scan_size_mb', '256\n'],
  ['hot_threshold_ms', '1000\n'],
];

describe('layout', () => {
  it('lists the five tunables', () => {
    expect(boot().fs.readdir(DIR)).toEqual(defaults.map(([f]) => f));
  });

  it.each([
    ['sys/kernel/debug', 0o700],
    ['sys/kernel/debug/sched', 0o755],
    [DIR, 0o755],
  ])('%s is a directory of mode %o', (path, mode) => {
    expect(boot().fs.stat(path).mode).toBe(S_IFDIR | mode);
  });

  it('a non-root user cannot look inside the 0700 debugfs root', () => {
    const k = boot();
    expect(errnoOf(() => k.fs.readFile(`${DIR}/scan_size_mb`, { uid: 1000, capSysAdmin: false }))).toBe(EACCES);
  });
});

describe.each(defaults)('%s', (file, dflt) => {
  const path = `${DIR}/${file}`;

  it('is 0644, size 0, with its default', () => {
    const k = boot();
    expect(k.fs.stat(path)).toMatchObject({ mode: S_IFREG | 0o644, size: 0 });
    expect(k.fs.readFile(path)).toBe(dflt);
  });

  it.each([
    ['decimal with newline', '500\n', '500\n'],
    ['0 is accepted: no range check', '0', '0\n'],
    ['hex', '0x10', '16\n'],
    ['octal', '010', '8\n'],
    ['a leading + (kstrtoull)', '+7', '7\n'],
    ['UINT_MAX', '4294967295', '4294967295\n'],
    ['2^32 is silently truncated to 0', '4294967296', '0\n'],
    ['2^32 + 5 is truncated to 5', '0x100000005', '5\n'],
    ['ULLONG_MAX is truncated to UINT_MAX', '18446744073709551615', '4294967295\n'],
  ])('%s: %j reads back %j', (_rule, input, out) => {
    const k = boot();
    expect(k.fs.writeFile(path, input)).toBe(input.length);
    expect(k.fs.readFile(path)).toBe(out);
  });

  it.each([
    ['negative', '-1', EINVAL],
    ['junk', 'abc', EINVAL],
    ['trailing junk', '12x', EINVAL],
    ['a trailing space (only one newline is allowed)', '12 ', EINVAL],
    ['leading whitespace', ' 12', EINVAL],
    ['"08" is bad octal', '08', EINVAL],
    ['empty after the newline', '\n', EINVAL],
    ['a number that only ends past byte 23', '1' + ' '.repeat(30), EINVAL],
    ['beyond u64 (kstrtoull -ERANGE passes through)', '18446744073709551616', ERANGE],
  ])('%s → %s, value unchanged', (_rule, input, errno) => {
    const k = boot();
    expect(errnoOf(() => k.fs.writeFile(path, input))).toBe(errno);
    expect(k.fs.readFile(path)).toBe(dflt);
  });
});

describe('values reach NumaBalancingParams', () => {
  it('scan_size_mb and hot_threshold_ms', () => {
    const k = boot();
    k.fs.writeFile(`${DIR}/scan_size_mb`, '0\n');
    k.fs.writeFile(`${DIR}/hot_threshold_ms`, '250\n');
    expect(k.numaBalancing.scanSizeMb).toBe(0);
    expect(k.numaBalancing.hotThresholdMs).toBe(250);
    k.numaBalancing.scanPeriodMaxMs = 12345;
    expect(k.fs.readFile(`${DIR}/scan_period_max_ms`)).toBe('12345\n');
  });
});
