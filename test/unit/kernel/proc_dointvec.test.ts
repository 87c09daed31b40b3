// proc_dointvec / proc_dointvec_minmax write rules (spec kernel-files.md §0.4), on the pure
// parser and through /proc/sys/kernel/numa_balancing (offset and truncation rules of fd.ts).
import { describe, expect, it } from 'vitest';
import { EINVAL, O_RDONLY, O_WRONLY } from '../../../src/kernfs/index.js';
import { procDointvecMinmax, procDouintvecMinmax } from '../../../src/kernel/sysctl/proc_dointvec.js';
import { bootPreset as boot } from './boot.js';

const NB = 'proc/sys/kernel/numa_balancing';

type Case = [rule: string, input: string, expected: { value: number; consumed: number } | typeof EINVAL];

// Range [0, 4] as kernel.numa_balancing has it, unless the rule says otherwise.
const nb: Case[] = [
  ['leading whitespace incl. newline is skipped: " 2\\n"', ' 2\n', { value: 2, consumed: 3 }],
  ['"\\n\\t 3" skips newlines and tabs too', '\n\t 3', { value: 3, consumed: 4 }],
  ['a plain number without newline', '1', { value: 1, consumed: 1 }],
  ['"+1": the first byte must be a digit', '+1', EINVAL],
  ['"abc" is not a number', 'abc', EINVAL],
  ['"on" is not a number', 'on', EINVAL],
  ['"2abc": junk right after the number', '2abc', EINVAL],
  ['"2,3": a comma is not a separator', '2,3', EINVAL],
  ['"2 " trailing space is fine', '2 ', { value: 2, consumed: 2 }],
  ['"08": parsed as octal 0 then a bad terminator', '08', EINVAL],
  ['"0x3" is hex', '0x3', { value: 3, consumed: 3 }],
  ['"04" is octal 4', '04', { value: 4, consumed: 2 }],
  ['"0x" without a hex digit is octal 0 then junk', '0x', EINVAL],
  ['"-1" is below min 0', '-1', EINVAL],
  ['"-" alone is not a number', '-', EINVAL],
  ['"4" is accepted (extra2 = 4)', '4\n', { value: 4, consumed: 2 }],
  ['"5" is above max', '5\n', EINVAL],
  ['"2 3\\n" stores 2, a short write of the number and its whitespace', '2 3\n', { value: 2, consumed: 2 }],
  ['"1\\t\\t9" consumes the tabs', '1\t\t9', { value: 1, consumed: 3 }],
  ['empty write', '', EINVAL],
  ['whitespace-only write', ' \n\t', EINVAL],
  ['a NUL right after the number is a bad terminator', '1\0', EINVAL],
];

const unbounded: Case[] = [
  ['"0x10" = 16', '0x10', { value: 16, consumed: 4 }],
  ['"010" = 8', '010', { value: 8, consumed: 3 }],
  ['"-5" is fine without a min', '-5\n', { value: -5, consumed: 3 }],
  ['INT_MAX is accepted', '2147483647', { value: 2147483647, consumed: 10 }],
  ['INT_MIN is accepted', '-2147483648', { value: -2147483648, consumed: 11 }],
  ['INT_MAX + 1 overflows int', '2147483648', EINVAL],
  ['INT_MIN - 1 overflows int', '-2147483649', EINVAL],
  ['overflow of unsigned long (20 digits)', '99999999999999999999', EINVAL],
  ['a 20-character token is still parsed', '00000000000000000007', { value: 7, consumed: 20 }],
  ['a 21-character token is refused', '000000000000000000007', EINVAL],
  ['a 30-digit token is refused', '0'.repeat(29) + '1', EINVAL],
  ['"-" plus 20 digits is a 21-character token', '-' + '0'.repeat(19) + '1', EINVAL],
  ['only the first 4095 bytes are looked at', ' '.repeat(4095) + '1', EINVAL],
  ['"-0" is 0', '-0', { value: 0, consumed: 2 }],
];

describe('procDointvecMinmax, range [0, 4] (kernel.numa_balancing)', () => {
  it.each(nb)('%s', (_rule, input, expected) => {
    if (expected === EINVAL) expect(() => procDointvecMinmax(input, { min: 0, max: 4 })).toThrow(EINVAL);
    else expect(procDointvecMinmax(input, { min: 0, max: 4 })).toEqual(expected);
  });
});

describe('procDointvecMinmax without bounds (proc_dointvec)', () => {
  it.each(unbounded)('%s', (_rule, input, expected) => {
    if (expected === EINVAL) expect(() => procDointvecMinmax(input)).toThrow(EINVAL);
    else expect(procDointvecMinmax(input)).toEqual(expected);
  });
});

describe('procDouintvecMinmax', () => {
  it('accepts a value in range and consumes the whole write, extra numbers included', () => {
    expect(procDouintvecMinmax('3 4\n', { min: 0, max: 10 })).toEqual({ value: 3, consumed: 4 });
  });
  it.each([
    ['negative numbers', '-1'],
    ['above UINT_MAX', '4294967296'],
    ['out of [min, max]: ERANGE from the conv becomes EINVAL in do_proc_douintvec_w', '11'],
    ['empty', ''],
  ])('%s → EINVAL', (_rule, input) => {
    expect(() => procDouintvecMinmax(input, { min: 0, max: 10 })).toThrow(EINVAL);
  });
});

describe('through the FD layer', () => {
  it('every errno case leaves the value unchanged', () => {
    const k = boot();
    for (const [, input, expected] of nb) {
      if (expected !== EINVAL || input === '') continue;
      let err: unknown;
      try {
        k.fs.writeFile(NB, input);
      } catch (e) {
        err = e;
      }
      expect(err).toBe(EINVAL);
      expect(k.fs.readFile(NB)).toBe('1\n');
    }
  });

  it('an empty write(2) returns 0 before the handler runs', () => {
    const k = boot();
    expect(k.fs.writeFile(NB, '')).toBe(0);
    expect(k.fs.readFile(NB)).toBe('1\n');
  });

  it('"2 3\\n" stores 2 and write(2) returns 2', () => {
    const k = boot();
    expect(k.fs.writeFile(NB, '2 3\n')).toBe(2);
    expect(k.fs.readFile(NB)).toBe('2\n');
  });

  it('a write at offset > 0 is ignored: returns 0, nothing changes', () => {
    const k = boot();
    const fh = k.fs.open(NB, O_WRONLY);
    try {
      expect(k.fs.write(fh, Buffer.from('3\n'), 1)).toBe(0);
      expect(k.fs.write(fh, Buffer.from('junk'), 5)).toBe(0);
    } finally {
      k.fs.release(fh);
    }
    expect(k.fs.readFile(NB)).toBe('1\n');
  });

  it('the strict-mode retry of a short write lands at pos > 0 and is ignored', () => {
    const k = boot();
    const fh = k.fs.open(NB, O_WRONLY);
    try {
      const n = k.fs.write(fh, Buffer.from('2 3\n'), 0) as number;
      expect(n).toBe(2);
      expect(k.fs.write(fh, Buffer.from('3\n'), n)).toBe(0);
    } finally {
      k.fs.release(fh);
    }
    expect(k.fs.readFile(NB)).toBe('2\n');
  });

  it('a 1-byte read returns the digit and loses the newline; offset 1 is EOF', () => {
    const k = boot();
    const fh = k.fs.open(NB, O_RDONLY);
    try {
      expect(k.fs.read(fh, 1, 0).toString()).toBe('1');
      expect(k.fs.read(fh, 100, 1).length).toBe(0);
    } finally {
      k.fs.release(fh);
    }
  });
});
