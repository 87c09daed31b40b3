// Bitmap printers of lib/bitmap-str.c / lib/vsprintf.c: `%*pbl` (range list, "0-3,8") and
// `%*pb` (hex mask in 32-bit groups, "00000000,0000ffff").

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

/** Parse a range list ("0-3,8") into ids; throws on malformed input (config use only). */
export function parseRangeList(text: string): number[] | undefined {
  const out: number[] = [];
  const trimmed = text.trim();
  if (trimmed === '') return out;
  for (const part of trimmed.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return undefined;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) return undefined;
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}
