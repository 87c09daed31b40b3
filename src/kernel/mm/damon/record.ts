// The 2020 DAMON record file format (spec/kernel-files.md §1c), as kdamond writes it and as
// damo reads it: optional "damon_recfmt_ver" + int32 version header, then one snapshot per
// aggregation interval. Little-endian (x86), packed. Version 1 (the pids era): 4-byte int pids;
// version 2 (target_ids): 8-byte target ids. The reader is the damo port's
// (src/damo/recfile.ts), as in the real world.
import type { DamonTarget } from './core.js';

export const RECFMT_HEADER = new TextEncoder().encode('damon_recfmt_ver');

/**
 * One snapshot: timespec64 (seconds, nanoseconds) of the aggregation time, nr_targets, and
 * per target its id and regions (start, end, nr_accesses). The id is an int32 in version 1
 * (paddr's -1 stays -1) and a u64 in version 2 (-1 wraps to ULONG_MAX).
 */
export function encodeSnapshot(nowNs: number, targets: readonly DamonTarget[], version: 1 | 2 = 2): Uint8Array {
  const idBytes = version === 1 ? 4 : 8;
  let size = 8 + 8 + 4;
  for (const t of targets) size += idBytes + 4 + t.regions.length * 20;
  const buf = new ArrayBuffer(size);
  const v = new DataView(buf);
  let o = 0;
  v.setBigInt64(o, BigInt(Math.floor(nowNs / 1e9)), true);
  v.setBigInt64(o + 8, BigInt(nowNs % 1e9), true);
  v.setUint32(o + 16, targets.length, true);
  o += 20;
  for (const t of targets) {
    if (version === 1) v.setInt32(o, t.id, true);
    else v.setBigUint64(o, BigInt.asUintN(64, BigInt(t.id)), true);
    v.setUint32(o + idBytes, t.regions.length, true);
    o += idBytes + 4;
    for (const r of t.regions) {
      v.setBigUint64(o, BigInt(r.start), true);
      v.setBigUint64(o + 8, BigInt(r.end), true);
      v.setUint32(o + 16, r.nrAccesses, true);
      o += 20;
    }
  }
  return new Uint8Array(buf);
}
