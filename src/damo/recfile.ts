// Reading DAMON record files (the 2020 kernel-written binary format, versions 0–2; damo's
// _recfile.py / _damon_result.py): an optional "damon_recfmt_ver" + int32 header, then
// snapshots of (timespec64, nr_targets, per target: id, nr_regions, regions). A later
// monitoring session appending to the same file starts with its own header.

export const RECFMT_MAGIC = 'damon_recfmt_ver';

export interface RecordRegion {
  readonly start: number;
  readonly end: number;
  readonly nrAccesses: number;
}

export interface RecordTarget {
  /** Target id as written: a pid, 42 or ULONG_MAX (-1) for paddr. */
  readonly id: bigint;
  readonly regions: RecordRegion[];
}

export interface RecordSnapshot {
  readonly timeNs: number;
  readonly targets: RecordTarget[];
}

export interface DamonRecord {
  readonly version: number;
  readonly snapshots: RecordSnapshot[];
}

function hasMagic(data: Uint8Array, at: number): boolean {
  if (data.length - at < RECFMT_MAGIC.length + 4) return false;
  for (let i = 0; i < RECFMT_MAGIC.length; i++) if (data[at + i] !== RECFMT_MAGIC.charCodeAt(i)) return false;
  return true;
}

/**
 * Parse a record file.
 * @throws Error naming the byte offset when the file is truncated or not a record file
 */
export function parseRecord(data: Uint8Array): DamonRecord {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let o = 0;
  let version = 0;
  const snapshots: RecordSnapshot[] = [];
  const need = (n: number) => {
    if (o + n > data.length) throw new Error(`record file truncated at byte ${o} (needs ${n} more bytes)`);
  };
  while (o < data.length) {
    if (hasMagic(data, o)) {
      version = v.getInt32(o + RECFMT_MAGIC.length, true);
      if (version < 0 || version > 2) throw new Error(`unknown record format version ${version} at byte ${o}`);
      o += RECFMT_MAGIC.length + 4;
      continue;
    }
    need(20);
    const timeNs = Number(v.getBigInt64(o, true)) * 1e9 + Number(v.getBigInt64(o + 8, true));
    const nrTargets = v.getUint32(o + 16, true);
    o += 20;
    const targets: RecordTarget[] = [];
    for (let t = 0; t < nrTargets; t++) {
      const idBytes = version === 1 ? 4 : 8;
      need(idBytes + 4);
      const id = version === 1 ? BigInt(v.getInt32(o, true)) : v.getBigUint64(o, true);
      o += idBytes;
      const nr = v.getUint32(o, true);
      o += 4;
      need(nr * 20);
      const regions: RecordRegion[] = [];
      for (let i = 0; i < nr; i++, o += 20) {
        regions.push({ start: Number(v.getBigUint64(o, true)), end: Number(v.getBigUint64(o + 8, true)), nrAccesses: v.getUint32(o + 16, true) });
      }
      targets.push({ id, regions });
    }
    snapshots.push({ timeNs, targets });
  }
  return { version, snapshots };
}

/** A target id as damo prints it: paddr's ULONG_MAX shows as -1. */
export function formatTargetId(id: bigint): string {
  return id === 2n ** 64n - 1n ? '-1' : String(id);
}
