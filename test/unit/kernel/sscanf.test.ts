// The kernel's sscanf (lib/vsprintf.c vsscanf), as the debugfs parsers use it: conversions,
// overflow (wraps, never fails), signs, whitespace, NUL, %n, and the repeated-parse loop.
import { describe, expect, it } from 'vitest';
import { sscanf, sscanfEach } from '../../../src/kernel/lib/sscanf.js';

describe('sscanf', () => {
  it.each([
    ['5 6', '%lu %lu', 2, [5n, 6n]],
    ['  5\t\n6', '%lu %lu', 2, [5n, 6n]], // a format space matches any whitespace run
    ['56', '%lu %lu', 1, [56n]],
    ['5x 6', '%lu %lu', 1, [5n]], // the number ends at 'x'; 'x' is not a number
    ['18446744073709551615', '%lu', 1, [18446744073709551615n]],
    ['18446744073709551616', '%lu', 1, [0n]], // ULONG_MAX + 1 wraps (KSTRTOX_OVERFLOW ignored)
    ['36893488147419103237', '%lu', 1, [5n]], // 2 * 2^64 + 5
    ['4294967296', '%u', 1, [0n]], // unsigned int: the low 32 bits
    ['4294967295', '%d', 1, [-1n]], // int: the low 32 bits, signed
    ['-1', '%d', 1, [-1n]],
    ['-1', '%lu', 0, []], // no sign for unsigned conversions
    ['+1', '%d', 0, []], // '+' is no sign to the kernel's sscanf
    ['- 1', '%d', 0, []],
    ['-', '%d', 0, []],
    ['-9223372036854775809', '%ld', 1, [9223372036854775807n]], // wraps through u64
    ['0x10', '%lu', 1, [0n]], // base 10 only: "0", then 'x'
    ['007', '%lu', 1, [7n]],
    ['  name  rest', '%s', 1, ['name']],
    ['\n', '%s', 1, ['']], // whitespace only still converts, to ""
    ['', '%s', 0, []],
    ['\0abc', '%s', 0, []], // the C string ends at the NUL
    ['a\0b', '%s', 1, ['a']],
    ['12\0 34', '%lu %lu', 1, [12n]],
    ['a\u00a0b', '%s', 1, ['a']], // 0xA0 is a space in the kernel's ctype table
    ['7 abc', '%lu%n', 1, [7n, 1n]],
    ['7', '%lu%n', 1, [7n, 1n]], // %n at the end of the input still assigns
    ['1024 /tmp/x', '%u %s', 2, [1024n, '/tmp/x']],
    ['5', '%x', 0, []], // a conversion the simulator does not model stops the scan
  ])('sscanf(%j, %j) converts %d', (input, fmt, n, values) => {
    const r = sscanf(input, fmt);
    expect(r.n).toBe(n);
    expect(r.values).toEqual(values);
  });

  it('starts at an offset; %n counts from there', () => {
    expect(sscanf('1 22 333', '%lu%n', 1)).toEqual({ n: 1, values: [22n, 3n] }); // ' 22': the skipped space counts
  });
});

describe('sscanfEach (the dbgfs `while (pos < len)` loop)', () => {
  it.each([
    ['1 2 3 4', '%d%n', 1, Infinity, [[1n], [2n], [3n], [4n]]],
    ['1 2 abc 4', '%d%n', 1, Infinity, [[1n], [2n]]], // stops at the first miss
    ['1 2 3 4', '%d%n', 1, 2, [[1n], [2n]]], // at most max
    ['-1 1 2\n-1 3 4\n-1 5', '%d %lu %lu%n', 3, Infinity, [[-1n, 1n, 2n], [-1n, 3n, 4n]]], // an incomplete last line is ignored
    ['\n', '%d%n', 1, Infinity, []],
  ])('%j with %j', (input, fmt, fields, max, want) => {
    expect(sscanfEach(input, fmt, fields, max)).toEqual(want);
  });

  it('is linear in the input: 100 000 numbers parse in one pass', () => {
    const input = Array.from({ length: 100_000 }, (_, i) => i).join(' ');
    expect(sscanfEach(input, '%lu%n', 1)).toHaveLength(100_000);
  });
});
