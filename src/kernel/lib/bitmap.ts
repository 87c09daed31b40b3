// Bitmap printers of lib/bitmap-str.c / lib/vsprintf.c: `%*pbl` (range list, "0-3,8") and
// `%*pb` (hex mask in 32-bit groups, "00000000,0000ffff"), and the list parser bitmap_parselist.
import { EINVAL, EOVERFLOW, ERANGE, isKernelError, type KernelError } from '../../kernfs/index.js';

/** `%*pbl`: sorted ids as a range list; an empty set prints as the empty string. */
export function formatRangeList(ids: Iterable<number>): string {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const runs: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    const start = sorted[i]!;
    let end = start;
    while (i + 1 < sorted.length && sorted[i + 1] === end + 1) end = sorted[++i]!;
    runs.push(start === end ? `${start}` : `${start}-${end}`);
    i++;
  }
  return runs.join(',');
}

/**
 * `%*pb` over `nbits` bits: hex, most significant chunk first, comma every 32 bits, the first
 * chunk only as wide as the remaining bits need (nr_cpu_ids = 8 prints "ff").
 */
export function formatHexMask(ids: Iterable<number>, nbits: number): string {
  const words = new Uint32Array(Math.max(1, Math.ceil(nbits / 32)));
  for (const id of ids) {
    if (id < 0 || id >= nbits) continue;
    const w = id >>> 5;
    words[w] = (words[w]! | (1 << (id & 31))) >>> 0;
  }
  const chunks: string[] = [];
  for (let w = words.length - 1; w >= 0; w--) {
    const bitsInChunk = w === words.length - 1 ? nbits - w * 32 : 32;
    const width = Math.max(1, Math.ceil(bitsInChunk / 4));
    chunks.push(words[w]!.toString(16).padStart(width, '0'));
  }
  return chunks.join(',');
}

const UINT_MAX = 0xffffffff;
const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
const endOfStr = (c: string | undefined) => c === undefined || c === '\0' || c === '\n';
const endOfRegion = (c: string | undefined) => endOfStr(c) || isSpace(c!) || c === ',';

/**
 * bitmap_parselist() (lib/bitmap-str.c) over `nbits` bits: comma- or space-separated regions
 * `A`, `A-B`, `A-B:used/group`, `N` (= nbits − 1) and `all`; parsing stops at a NUL or at a
 * newline that ends a region. Every bit is checked against `nbits` before any is set, so a
 * region such as `0-999999999` costs nothing and the work is bounded by `nbits`.
 * @returns the set bits in ascending order, or the kernel's errno: EINVAL (malformed, start >
 *   end, group 0, used > group), ERANGE (a bit ≥ nbits), EOVERFLOW (a number over UINT_MAX)
 */
export function parseBitmapList(text: string, nbits: number): number[] | KernelError {
  const mask = new Uint8Array(nbits);
  const lastbit = nbits - 1;
  let i = 0;
  // bitmap_getnum(): decimal digits (or N); an empty number is EINVAL, one over UINT_MAX EOVERFLOW.
  const getnum = (): number | KernelError => {
    if (text[i] === 'N') {
      i++;
      return lastbit;
    }
    const from = i;
    let n = 0;
    while (i < text.length && text[i]! >= '0' && text[i]! <= '9') {
      if (n <= UINT_MAX) n = n * 10 + (text.charCodeAt(i) - 48);
      i++;
    }
    if (i === from) return EINVAL;
    return n > UINT_MAX ? EOVERFLOW : n;
  };
  for (;;) {
    // bitmap_find_region(): skip separators; the end of the string ends the list.
    while (i < text.length && (isSpace(text[i]!) || text[i] === ',')) i++;
    if (endOfStr(text[i])) break;
    let start: number | KernelError;
    let end: number | KernelError;
    let off: number | KernelError;
    let group: number | KernelError;
    if (text.slice(i, i + 3).toLowerCase() === 'all') {
      i += 3;
      start = 0;
      end = lastbit;
    } else {
      start = getnum();
      if (isKernelError(start)) return start;
      if (endOfRegion(text[i])) end = start;
      else if (text[i] !== '-') return EINVAL;
      else {
        i++;
        end = getnum();
        if (isKernelError(end)) return end;
      }
    }
    if (endOfRegion(text[i])) {
      off = end + 1;
      group = end + 1;
    } else {
      if (text[i] !== ':') return EINVAL;
      i++;
      off = getnum();
      if (isKernelError(off)) return off;
      if (text[i] !== '/') return EINVAL;
      i++;
      group = getnum();
      if (isKernelError(group)) return group;
    }
    // bitmap_check_region(): shape first (EINVAL), then the width of the mask (ERANGE).
    if (start > end || group === 0 || off > group) return EINVAL;
    if (end >= nbits) return ERANGE;
    for (let s = start; s <= end; s += group) mask.fill(1, s, Math.min(end + 1, s + off));
    // A region ended by a newline ends the list (end_of_str in bitmap_parse_region()).
    if (endOfStr(text[i])) break;
  }
  const out: number[] = [];
  for (let b = 0; b < nbits; b++) if (mask[b]) out.push(b);
  return out;
}

/** A range list ("0-3,8") bounded by `nbits`, or undefined when bitmap_parselist refuses it. */
export function parseRangeList(text: string, nbits: number): number[] | undefined {
  const ids = parseBitmapList(text.trim(), nbits);
  return isKernelError(ids) ? undefined : ids;
}
