// The 2020 DAMON record file format (spec/kernel-files.md §1c), as kdamond writes it and as
// damo reads it: optional "damon_recfmt_ver" + int32 version header, then one snapshot per
// aggregation interval. Little-endian (x86), packed. Version 2: 8-byte target ids.
import type { DamonTarget } from './core.js';

export const RECFMT_HEADER = new TextEncoder().encode('damon_recfmt_ver');

/**
 * One snapshot: timespec64 (seconds, nanoseconds) of the aggregation time, nr_targets, and
 * per target its id (u64; -1 wraps to ULONG_MAX) and regions (start, end, nr_accesses).
 */
export function encodeSnapshot(nowNs: number, targets: readonly DamonTarget[]): Uint8Array {
  let size = 8 + 8 + 4;
  for (const t of targets) size += 8 + 4 + t.regions.length * 20;
  const buf = new ArrayBuffer(size);
  const v = new DataView(buf);
  let o = 0;
  v.setBigInt64(o, BigInt(Math.floor(nowNs / 1e9)), true);
  v.setBigInt64(o + 8, BigInt(nowNs % 1e9), true);
  v.setUint32(o + 16, targets.length, true);
  o += 20;
  for (const t of targets) {
    v.setBigUint64(o, BigInt.asUintN(64, BigInt(t.id)), true);
    v.setUint32(o + 8, t.regions.length, true);
    o += 12;
    for (const r of t.regions) {
      v.setBigUint64(o, BigInt(r.start), true);
      v.setBigUint64(o + 8, BigInt(r.end), true);
      v.setUint32(o + 16, r.nrAccesses, true);
      o += 20;
    }
  }
  return new Uint8Array(buf);
}

export interface RecordRegion {
  start: number;
  end: number;
  nrAccesses: number;
}
export interface RecordSnapshot {
  timeNs: number;
  targets: Array<{ id: bigint; regions: RecordRegion[] }>;
}

/**
 * Parse a record file (versions 0–2, as damo's _damon_result.py does).
 * @returns the format version and the snapshots
 */
export function parseRecord(data: Uint8Array): { version: number; snapshots: RecordSnapshot[] } {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let o = 0;
  let version = 0;
  if (data.length >= 20 && RECFMT_HEADER.every((b, i) => data[i] === b)) {
    version = v.getInt32(16, true);
    o = 20;
  }
  const snapshots: RecordSnapshot[] = [];
  while (o + 20 <= data.length) {
    // A later session appends its own header: skip it.
    if (data.length - o >= 20 && RECFMT_HEADER.every((b, i) => data[o + i] === b)) {
      version = v.getInt32(o + 16, true);
      o += 20;
      continue;
    }
    const timeNs = Number(v.getBigInt64(o, true)) * 1e9 + Number(v.getBigInt64(o + 8, true));
    const nrTargets = v.getUint32(o + 16, true);
    o += 20;
    const targets: RecordSnapshot['targets'] = [];
    for (let t = 0; t < nrTargets; t++) {
      const id = version === 1 ? BigInt(v.getInt32(o, true)) : v.getBigUint64(o, true);
      o += version === 1 ? 4 : 8;
      const nr = v.getUint32(o, true);
      o += 4;
      const regions: RecordRegion[] = [];
      for (let i = 0; i < nr; i++) {
        regions.push({ start: Number(v.getBigUint64(o, true)), end: Number(v.getBigUint64(o + 8, true)), nrAccesses: v.getUint32(o + 16, true) });
        o += 20;
      }
      targets.push({ id, regions });
    }
    snapshots.push({ timeNs, targets });
  }
  return { version, snapshots };
}
