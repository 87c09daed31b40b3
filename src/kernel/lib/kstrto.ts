// The kernel's string-to-number and keyword helpers used by sysfs and debugfs stores:
// kstrtoint/kstrtoul/kstrtol (lib/kstrtox.c), kstrtobool (lib/kstrtox.c), sysfs_streq
// (lib/string.c). They throw EINVAL/ERANGE exactly where the kernel returns them.
import { EINVAL, ERANGE } from '../../kernfs/index.js';

/** Strip the one trailing newline kstrto* tolerate. */
function chompOne(s: string): string {
  return s.endsWith('\n') ? s.slice(0, -1) : s;
}

/**
 * Parse an unsigned integer the way _kstrtoull does: base 0 detects `0x` (hex) and a leading
 * `0` (octal); an optional leading `+`; one optional trailing newline; nothing else.
 * @throws EINVAL on any malformed input, ERANGE when the value exceeds `max`
 */
export function kstrtoull(input: string, base = 0, max: bigint = 0xffffffffffffffffn): bigint {
  return parseUnsigned(chompOne(input), base, max);
}

function parseUnsigned(text: string, base: number, max: bigint): bigint {
  let s = text;
  if (s.startsWith('+')) s = s.slice(1);
  let radix = base;
  if (radix === 0) {
    if (/^0[xX][0-9a-fA-F]/.test(s)) radix = 16;
    else if (s.startsWith('0') && s.length > 1) radix = 8;
    else radix = 10;
  }
  if (radix === 16 && /^0[xX]/.test(s)) s = s.slice(2);
  const digits = radix === 16 ? /^[0-9a-fA-F]+$/ : radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!digits.test(s)) throw EINVAL;
  const prefix = radix === 16 ? '0x' : radix === 8 ? '0o' : '';
  const value = BigInt(prefix + s);
  if (value > 0xffffffffffffffffn) throw ERANGE;
  if (value > max) throw ERANGE;
  return value;
}

/** Signed variant (kstrtoll): an optional `-` before the digits. */
export function kstrtoll(input: string, base = 0, min = -(1n << 63n), max = (1n << 63n) - 1n): bigint {
  const s = chompOne(input);
  if (s.startsWith('-')) {
    const mag = parseUnsigned(s.slice(1), base, 1n << 63n);
    const value = -mag;
    if (value < min) throw ERANGE;
    return value;
  }
  const value = parseUnsigned(s, base, 0xffffffffffffffffn);
  if (value > max) throw ERANGE;
  return value;
}

/** kstrtoint: 32-bit signed. */
export function kstrtoint(input: string, base = 0): number {
  return Number(kstrtoll(input, base, -(1n << 31n), (1n << 31n) - 1n));
}

/** kstrtouint: 32-bit unsigned. */
export function kstrtouint(input: string, base = 0): number {
  return Number(kstrtoull(input, base, 0xffffffffn));
}

/** kstrtol: `long` on a 64-bit kernel; returned as number (exact below 2^53). */
export function kstrtol(input: string, base = 0): number {
  return Number(kstrtoll(input, base));
}

/** kstrtoul: `unsigned long` as bigint (users may write ULONG_MAX). */
export function kstrtoul(input: string, base = 0): bigint {
  return kstrtoull(input, base);
}

/**
 * kstrtobool: only the first character matters (two for on/off): `1 y Y t T` / `0 n N f F`,
 * `on`/`off` in any case. Anything else is EINVAL. So `yes`, `true` and `1x` are true.
 */
export function kstrtobool(input: string): boolean {
  const c = input[0];
  switch (c) {
    case 'y': case 'Y': case 't': case 'T': case '1':
      return true;
    case 'n': case 'N': case 'f': case 'F': case '0':
      return false;
    case 'o': case 'O': {
      const d = input[1];
      if (d === 'n' || d === 'N') return true;
      if (d === 'f' || d === 'F') return false;
      break;
    }
  }
  throw EINVAL;
}

/** sysfs_streq: equal, ignoring one trailing newline on either side. */
export function sysfsStreq(a: string, b: string): boolean {
  return chompOne(a) === chompOne(b);
}
