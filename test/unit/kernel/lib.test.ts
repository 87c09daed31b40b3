// kstrto*, bitmap printers, units, the PRNG and the clock.
import { describe, expect, it } from 'vitest';
import { EINVAL, EOVERFLOW, ERANGE } from '../../../src/kernfs/index.js';
import { formatHexMask, formatRangeList, parseBitmapList, parseRangeList } from '../../../src/kernel/lib/bitmap.js';
import { kstrtobool, kstrtoint, kstrtol, kstrtoul, sysfsStreq } from '../../../src/kernel/lib/kstrto.js';
import { Prng } from '../../../src/kernel/lib/prng.js';
import { parseDurationNs, parseSize } from '../../../src/kernel/lib/units.js';
import { Clock } from '../../../src/kernel/time/clock.js';

describe('kstrto*', () => {
  it.each([
    ['1', 1], ['1\n', 1], ['+7', 7], ['-3', -3], ['0x10', 16], ['010', 8], ['0', 0],
  ])('kstrtol(%j) = %d', (input, value) => expect(kstrtol(input)).toBe(value));

  it.each([
    ['empty', ''], ['leading space', ' 1'], ['trailing space', '1 '], ['two newlines', '1\n\n'],
    ['junk after the number', '1x'], ['two numbers', '1 2'], ['bad octal', '08'], ['bare 0x', '0x'], ['word', 'abc'],
  ])('%s is EINVAL', (_name, input) => expect(() => kstrtol(input)).toThrow(EINVAL));

  it('overflow is ERANGE', () => {
    expect(() => kstrtoint('2147483648')).toThrow(ERANGE);
    expect(kstrtoint('-2147483648')).toBe(-2147483648);
    expect(kstrtoul('18446744073709551615')).toBe(0xffffffffffffffffn);
    expect(() => kstrtoul('18446744073709551616')).toThrow(ERANGE);
  });

  it.each([
    ['1', true], ['y', true], ['Yes', true], ['true', true], ['1x', true], ['on', true], ['ON\n', true],
    ['0', false], ['n', false], ['no', false], ['false', false], ['off', false], ['oFf', false],
  ])('kstrtobool(%j) = %s (only the first one or two characters count)', (input, value) => expect(kstrtobool(input)).toBe(value));

  it.each([[''], ['2'], ['o'], ['ox'], ['maybe'], [' 1']])('kstrtobool(%j) is EINVAL', (input) => expect(() => kstrtobool(input)).toThrow(EINVAL));

  it('sysfs_streq ignores one trailing newline on either side', () => {
    expect(sysfsStreq('on\n', 'on')).toBe(true);
    expect(sysfsStreq('on', 'on\n')).toBe(true);
    expect(sysfsStreq('on\n\n', 'on')).toBe(false);
    expect(sysfsStreq(' on', 'on')).toBe(false);
  });
});

describe('bitmap printers', () => {
  it.each([
    [[], ''], [[0], '0'], [[0, 1, 2, 3], '0-3'], [[0, 2, 3, 8], '0,2-3,8'], [[3, 1, 2], '1-3'],
  ])('%%*pbl of %j is %j', (ids, text) => expect(formatRangeList(ids)).toBe(text));

  it.each([
    [[0, 1, 2, 3, 4, 5, 6, 7], 8, 'ff'],
    [[], 8, '00'],
    [Array.from({ length: 16 }, (_, i) => i), 64, '00000000,0000ffff'],
    [[0], 2, '1'],
    [[32], 40, '01,00000000'],
  ])('%%*pb of %j over %d bits is %j', (ids, nbits, text) => expect(formatHexMask(ids, nbits)).toBe(text));

  it('parses range lists back', () => {
    expect(parseRangeList('0-2,5', 64)).toEqual([0, 1, 2, 5]);
    expect(parseRangeList('', 64)).toEqual([]);
    expect(parseRangeList('3-1', 64)).toBeUndefined();
  });
});

describe('bitmap_parselist over MAX_NUMNODES (1024) bits', () => {
  it.each([
    ['0', [0]],
    ['0-2,5', [0, 1, 2, 5]],
    ['', []],
    ['\n', []],
    ['1,0', [0, 1]],
    ['1 3', [1, 3]],
    [',,2,', [2]],
    ['0-7:2/4', [0, 1, 4, 5]],
    ['N', [1023]],
    ['1020-N', [1020, 1021, 1022, 1023]],
    ['0-1023:1/256', [0, 256, 512, 768]],
    ['2\n5', [2]],
    ['2,\n5', [2, 5]],
  ])('%j sets %j', (text, ids) => expect(parseBitmapList(text, 1024)).toEqual(ids));

  it('"all" sets every bit and nothing more', () => {
    expect(parseBitmapList('all', 1024)).toEqual(Array.from({ length: 1024 }, (_, i) => i));
    expect(parseBitmapList('ALL:1/512', 1024)).toEqual([0, 512]);
  });

  it.each([
    ['a bit at nbits is ERANGE', '1024', ERANGE],
    ['a range past nbits is ERANGE, checked before any bit is set', '0-999999999', ERANGE],
    ['a range ending at UINT_MAX is ERANGE', '0-4294967295', ERANGE],
    ['a number over UINT_MAX is EOVERFLOW', '4294967296', EOVERFLOW],
    ['a 30-digit number is EOVERFLOW', '0-999999999999999999999999999999', EOVERFLOW],
    ['start > end is EINVAL', '3-1', EINVAL],
    ['a word is EINVAL', 'abc', EINVAL],
    ['a sign is EINVAL', '-1', EINVAL],
    ['a dangling dash is EINVAL', '1-', EINVAL],
    ['junk after a number is EINVAL', '1x', EINVAL],
    ['group 0 is EINVAL', '0-7:1/0', EINVAL],
    ['used > group is EINVAL', '0-7:3/2', EINVAL],
    ['a pattern without a group is EINVAL', '0-7:2', EINVAL],
    ['a later bad region fails the list', '0,1-x', EINVAL],
  ])('%s (%j)', (_rule, text, errno) => expect(parseBitmapList(text, 1024)).toBe(errno));
});

describe('units', () => {
  it('parses sizes and durations', () => {
    expect(parseSize('16G')).toBe(16 * 1024 ** 3);
    expect(parseSize('128MiB')).toBe(128 * 1024 ** 2);
    expect(parseSize(4096)).toBe(4096);
    expect(parseSize('12 parsecs')).toBeUndefined();
    expect(parseDurationNs('250ms')).toBe(250e6);
    expect(parseDurationNs('1500us')).toBe(1.5e6);
    expect(parseDurationNs('10s')).toBe(10e9);
    expect(parseDurationNs('ten')).toBeUndefined();
  });
});

describe('Prng', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const c = new Prng(43);
    const sa = Array.from({ length: 5 }, () => a.nextU32());
    expect(Array.from({ length: 5 }, () => b.nextU32())).toEqual(sa);
    expect(Array.from({ length: 5 }, () => c.nextU32())).not.toEqual(sa);
  });

  it('draws uniform floats (mean and bucket counts within tolerance over 100k draws)', () => {
    const r = new Prng(7);
    const buckets = new Array(10).fill(0);
    let sum = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const x = r.nextFloat();
      expect(x >= 0 && x < 1).toBe(true);
      sum += x;
      buckets[Math.floor(x * 10)]++;
    }
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.01);
    for (const b of buckets) expect(Math.abs(b - n / 10)).toBeLessThan(n / 100);
  });
});

describe('Clock', () => {
  it('runs events in time order (FIFO at equal times) and stops at the target', () => {
    const c = new Clock('virtual');
    const seen: string[] = [];
    c.schedule(30, () => seen.push('c'));
    c.schedule(10, () => seen.push('a'));
    c.schedule(10, () => seen.push('b'));
    const cancelled = c.schedule(20, () => seen.push('x'));
    cancelled.cancel();
    c.advanceTo(25);
    expect(seen).toEqual(['a', 'b']);
    expect(c.nowNs).toBe(25);
    c.after(5, (now) => seen.push(`d@${now}`));
    c.advanceTo(100);
    expect(seen).toEqual(['a', 'b', 'c', 'd@30']); // c was queued first for t=30
    expect(c.nowNs).toBe(100);
  });

  it('stops after maxEvents so a caller can yield, and resumes', () => {
    const c = new Clock('virtual');
    for (let i = 1; i <= 5; i++) c.schedule(i, () => {});
    expect(c.advanceTo(10, 2)).toBe(false);
    expect(c.nowNs).toBe(2);
    expect(c.advanceTo(10)).toBe(true);
    expect(c.nowNs).toBe(10);
  });
});
