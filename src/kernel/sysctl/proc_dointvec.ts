// The integer write parsers of /proc/sys: proc_dointvec, proc_dointvec_minmax and
// proc_douintvec_minmax (kernel/sysctl.c: proc_skip_spaces, proc_get_long, __do_proc_dointvec,
// do_proc_douintvec_w), as pure functions over the bytes of one write(2).
// The offset rule (a write at pos > 0 is ignored under sysctl_writes_strict=1) belongs to the
// FD layer (kernfs/fd.ts); everything after that is here.
import { EINVAL } from '../../kernfs/index.js';

export const INT_MAX = 0x7fffffff;
export const INT_MIN = -0x80000000;
export const UINT_MAX = 0xffffffff;

/** Bytes of one write the handlers look at (PAGE_SIZE - 1). */
const SYSCTL_WRITE_LIMIT = 4095;
/** proc_get_long copies at most TMPBUFLEN - 1 bytes; a token that fills them is refused. */
const TMPBUFLEN = 22;
const ULONG_MAX = 0xffffffffffffffffn;

/** extra1 / extra2 of a ctl_table entry: absent means unbounded on that side. */
export interface IntRange {
  readonly min?: number;
  readonly max?: number;
}

/** One value taken from a write, and how many bytes write(2) reports as consumed. */
export interface ParsedWrite {
  readonly value: number;
  readonly consumed: number;
}

/** isspace() of lib/ctype.c: \t \n \v \f \r, space, and Latin-1 NBSP (0xa0). */
function isSpace(c: number): boolean {
  return (c >= 0x09 && c <= 0x0d) || c === 0x20 || c === 0xa0;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isXDigit(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/** proc_wspace_sep: the only bytes allowed right after a number. */
function isWspaceSep(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a;
}

/** A cursor over the write buffer: `p` is the next byte, `left` how many remain to look at. */
interface Cursor {
  p: number;
  left: number;
}

function skipSpaces(buf: string, cur: Cursor): void {
  while (cur.left > 0 && isSpace(buf.charCodeAt(cur.p))) {
    cur.p++;
    cur.left--;
  }
}

/**
 * proc_get_long: one optionally negative number in base 0, followed by a separator or the end.
 * Advances the cursor over the number (not over what follows).
 * @throws EINVAL on every rule the kernel refuses
 */
function procGetLong(buf: string, cur: Cursor): { neg: boolean; value: bigint } {
  const len = Math.min(cur.left, TMPBUFLEN - 1);
  const tmp = buf.slice(cur.p, cur.p + len);
  let i = 0;
  let neg = false;
  if (tmp.charCodeAt(0) === 0x2d /* - */ && cur.left > 1) {
    neg = true;
    i = 1;
  }
  if (!isDigit(tmp.charCodeAt(i))) throw EINVAL; // "+1", "abc", "-x": the first byte must be a digit

  // _parse_integer_fixup_radix: base 0 means 0x.. is hex when a hex digit follows, 0.. octal.
  let base = 10n;
  if (tmp.charCodeAt(i) === 0x30) {
    const x = tmp.charCodeAt(i + 1) | 0x20;
    if (x === 0x78 /* x */ && isXDigit(tmp.charCodeAt(i + 2))) {
      base = 16n;
      i += 2;
    } else {
      base = 8n;
    }
  }
  // _parse_integer: consume digits valid in the base; note overflow of unsigned long long.
  let value = 0n;
  let overflow = false;
  for (; i < tmp.length; i++) {
    const c = tmp.charCodeAt(i);
    const lc = c | 0x20;
    const digit = isDigit(c) ? c - 0x30 : lc >= 0x61 && lc <= 0x66 ? lc - 0x61 + 10 : 99;
    if (BigInt(digit) >= base) break;
    value = value * base + BigInt(digit);
    if (value > ULONG_MAX) overflow = true;
  }
  if (overflow) throw EINVAL; // strtoul_lenient's -ERANGE becomes EINVAL in proc_get_long
  if (i === TMPBUFLEN - 1) throw EINVAL; // a 21-byte token may hide more digits: refused
  if (i < cur.left && !isWspaceSep(tmp.charCodeAt(i))) throw EINVAL; // "2abc", "2,3", "08": bad terminator
  cur.p += i;
  cur.left -= i;
  return { neg, value };
}

/**
 * proc_dointvec_minmax for a table of one int.
 * @param input the bytes of one write(2) (latin1)
 * @returns the value to store and the byte count write(2) returns: the number and the
 *   whitespace after it, so `"2 3\n"` stores 2 and reports 2 bytes (a short write)
 * @throws EINVAL for an empty or whitespace-only write, a malformed number, a value outside int,
 *   or outside [range.min, range.max] (nothing is stored then)
 */
export function procDointvecMinmax(input: string, range: IntRange = {}): ParsedWrite {
  const cur: Cursor = { p: 0, left: Math.min(input.length, SYSCTL_WRITE_LIMIT) };
  skipSpaces(input, cur);
  if (cur.left === 0) throw EINVAL; // nothing parsed at all ("first" still set): -EINVAL
  const { neg, value: lval } = procGetLong(input, cur);
  // do_proc_dointvec_conv: the magnitude must fit an int of that sign.
  if (neg ? lval > BigInt(INT_MAX) + 1n : lval > BigInt(INT_MAX)) throw EINVAL; // outside int range
  const value = neg ? -Number(lval) : Number(lval);
  if (range.min !== undefined && value < range.min) throw EINVAL; // below extra1 (minmax conv)
  if (range.max !== undefined && value > range.max) throw EINVAL; // above extra2 (minmax conv)
  skipSpaces(input, cur);
  // *lenp -= left: the unparsed rest of the write is not consumed.
  return { value: value === 0 ? 0 : value, consumed: input.length - cur.left };
}

/** proc_dointvec: the same parser without bounds (any int). */
export function procDointvec(input: string): ParsedWrite {
  return procDointvecMinmax(input);
}

/**
 * proc_douintvec_minmax (one unsigned int). do_proc_douintvec_w turns every conversion failure,
 * the range check's -ERANGE included, into EINVAL, and never reports a short write.
 * @throws EINVAL for empty input, a malformed or negative number, > UINT_MAX, or out of range
 */
export function procDouintvecMinmax(input: string, range: IntRange = {}): ParsedWrite {
  const cur: Cursor = { p: 0, left: Math.min(input.length, SYSCTL_WRITE_LIMIT) };
  skipSpaces(input, cur);
  if (cur.left === 0) throw EINVAL; // empty or whitespace-only write
  const { neg, value: lval } = procGetLong(input, cur);
  if (neg) throw EINVAL; // an unsigned table refuses '-'
  if (lval > BigInt(UINT_MAX)) throw EINVAL; // do_proc_douintvec_conv: > UINT_MAX
  const value = Number(lval);
  // do_proc_douintvec_minmax_conv says -ERANGE; do_proc_douintvec_w returns -EINVAL for it.
  if (range.min !== undefined && value < range.min) throw EINVAL;
  if (range.max !== undefined && value > range.max) throw EINVAL; // same -ERANGE → -EINVAL mapping
  return { value, consumed: input.length };
}

/** The read side of a one-int table: "%d\n" (proc_put_long plus the final newline). */
export function formatIntvec(value: number): string {
  return `${value}\n`;
}
