// Axis units for figures: sizes in binary units (KiB, MiB, GiB as the kernel prints them),
// addresses as hex at power-of-two steps, durations in s/ms/us.

export interface Unit {
  readonly name: string;
  readonly bytes: number;
}

const BYTE_UNITS: readonly Unit[] = [
  { name: 'B', bytes: 1 },
  { name: 'KiB', bytes: 1024 },
  { name: 'MiB', bytes: 1024 ** 2 },
  { name: 'GiB', bytes: 1024 ** 3 },
  { name: 'TiB', bytes: 1024 ** 4 },
];

/** The largest binary unit in which `bytes` is at least 1 (B for 0). */
export function byteUnitFor(bytes: number): Unit {
  let best = BYTE_UNITS[0]!;
  for (const u of BYTE_UNITS) if (Math.abs(bytes) >= u.bytes) best = u;
  return best;
}

/** "512 MiB", "1.5 GiB", "4 KiB": at most 3 significant digits, trailing zeros dropped. */
export function formatBytes(bytes: number): string {
  const u = byteUnitFor(bytes);
  return `${trim(bytes / u.bytes)} ${u.name}`;
}

/** "5 s", "250 ms", "100 us", "30 ns". */
export function formatDurationNs(ns: number): string {
  if (ns >= 1e9) return `${trim(ns / 1e9)} s`;
  if (ns >= 1e6) return `${trim(ns / 1e6)} ms`;
  if (ns >= 1e3) return `${trim(ns / 1e3)} us`;
  return `${trim(ns)} ns`;
}

function trim(v: number): string {
  return String(Number(v.toPrecision(v >= 100 ? 4 : 3)));
}

export const hex = (n: number) => `0x${n.toString(16)}`;

/**
 * Tick values for an address axis over [lo, hi]: multiples of a power of two, 5 to 10 of them,
 * so hex labels read 0x100000000, 0x140000000, ... instead of decimal-round odd hex.
 */
export function binaryTicks(lo: number, hi: number): number[] {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  let step = 2 ** Math.floor(Math.log2(span / 5));
  while (span / step > 10) step *= 2;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi; v += step) out.push(v);
  return out;
}
