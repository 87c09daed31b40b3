// The kernel's sscanf (lib/vsprintf.c vsscanf) for the conversions the debugfs interfaces use:
// %d %u %ld %lu %lld %llu %s %n and literal/whitespace matching. Its quirks are the kernel's:
// integers never overflow-fail (simple_strntoull ignores KSTRTOX_OVERFLOW, "FIXME", and
// _parse_integer_limit keeps computing res * 10 + digit mod 2^64), then the value is stored
// in the C type (int and unsigned int truncate to 32 bits); '+' is not a sign; '-' only for %d;
// %s skips leading whitespace and counts as converted even when nothing is left to copy.

/** One converted value: integers as their C type's value, %s as text, %n as characters read. */
export type ScanValue = bigint | string;

export interface ScanResult {
  /** What sscanf returns: the number of conversions assigned (%n excluded). */
  readonly n: number;
  /** The assigned values in format order, %n included. */
  readonly values: readonly ScanValue[];
}

/** isspace() of the kernel's ctype table (lib/ctype.c): \t \n \v \f \r, space and 0xA0. */
export function kIsSpace(c: string | undefined): boolean {
  return c !== undefined && isSpaceCode(c.charCodeAt(0));
}

const isSpaceCode = (x: number) => (x >= 9 && x <= 13) || x === 32 || x === 0xa0;
const isDigitCode = (x: number) => x >= 48 && x <= 57;
const POW10 = Array.from({ length: 16 }, (_, i) => 10n ** BigInt(i));
/** SHRT_MAX: %s's default field width. */
const SHRT_MAX = 32767;

/** Where the C string ends: the first NUL, or the end of the input. */
function cStringEnd(input: string): number {
  const nul = input.indexOf('\0');
  return nul < 0 ? input.length : nul;
}

/**
 * sscanf(`input` from offset `at`, `fmt`), %n counting from `at`. The input ends at its first
 * NUL, as the kernel's C string does. Conversions other than d, u and s (with an optional
 * l/ll) stop the scan, as an unknown conversion does in the kernel.
 */
export function sscanf(input: string, fmt: string, at = 0): ScanResult {
  return scan(input, fmt, at, cStringEnd(input));
}

/** vsscanf over input[at, limit): a character code of 0 past `limit` is the C string's NUL. */
function scan(input: string, fmt: string, at: number, limit: number): ScanResult {
  const code = (i: number) => (i < limit ? input.charCodeAt(i) : 0);
  const values: ScanValue[] = [];
  let n = 0;
  let s = at;
  let f = 0;
  const skipSpaces = () => {
    while (isSpaceCode(code(s))) s++;
  };
  while (f < fmt.length) {
    if (isSpaceCode(fmt.charCodeAt(f))) {
      while (isSpaceCode(fmt.charCodeAt(f))) f++;
      skipSpaces();
    }
    if (f < fmt.length && fmt[f] !== '%') {
      if (fmt.charCodeAt(f++) !== code(s++)) break; // anything that is not a conversion must match exactly
      continue;
    }
    if (f >= fmt.length) break;
    f++;
    let qualifier = '';
    if (fmt[f] === 'l') {
      qualifier = 'l';
      f++;
      if (fmt[f] === 'l') {
        qualifier = 'L';
        f++;
      }
    }
    const conv = fmt[f++];
    if (conv === undefined) break;
    if (conv === 'n') {
      values.push(BigInt(s - at));
      continue;
    }
    if (code(s) === 0) break; // nothing left to convert
    if (conv === 's') {
      skipSpaces();
      const from = s;
      while (code(s) !== 0 && !isSpaceCode(code(s)) && s - from < SHRT_MAX) s++;
      values.push(input.slice(from, s));
      n++;
      continue;
    }
    if (conv !== 'd' && conv !== 'u') return { n, values }; // not a conversion we model: stop
    const signed = conv === 'd';
    skipSpaces();
    const negative = signed && code(s) === 45; // '-'
    const first = negative ? s + 1 : s;
    if (!isDigitCode(code(first))) break;
    let end = first;
    while (isDigitCode(code(end))) end++;
    // res = res * 10 + digit mod 2^64, taken 15 digits at a time (exact in a double).
    let v = 0n;
    for (let i = first; i < end; i += 15) {
      const j = Math.min(end, i + 15);
      v = BigInt.asUintN(64, v * POW10[j - i]! + BigInt(Number(input.slice(i, j))));
    }
    if (negative) v = BigInt.asUintN(64, -v);
    const bits = qualifier === '' ? 32 : 64;
    values.push(signed ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v));
    n++;
    s = end;
  }
  return { n, values };
}

/**
 * The debugfs parsers' loop: `while (pos < len) { ret = sscanf(&str[pos], fmt "%n", ...);
 * if (ret != fields) break; pos += parsed; }`, at most `max` times. `fmt` must end in %n.
 */
export function sscanfEach(input: string, fmt: string, fields: number, max = Infinity): ScanValue[][] {
  const limit = cStringEnd(input);
  const out: ScanValue[][] = [];
  let pos = 0;
  while (out.length < max && pos < input.length) {
    const r = scan(input, fmt, pos, limit);
    if (r.n !== fields) break;
    out.push(r.values.slice(0, fields));
    pos += Number(r.values[fields]);
  }
  return out;
}
