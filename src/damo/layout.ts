// The physical address layout damo derives (damo's _paddr_layout): memory-block ranges with
// node and state from /sys/devices/system/{node,memory}, /proc/iomem names, their
// intersection, the default paddr region and the regions of one NUMA node.
import type { KernelFiles } from './fs.js';

export interface PaRange {
  start: number;
  /** Exclusive. */
  end: number;
  nid?: number;
  state?: string;
  name?: string;
}

/** Memory blocks grouped into runs of the same node and state. */
export function memblockRanges(fs: KernelFiles): PaRange[] {
  if (!fs.exists('/sys/devices/system/memory/block_size_bytes')) {
    throw new Error('/sys/devices/system/memory is missing: damo reads the memory-block layout there (the kernel needs CONFIG_MEMORY_HOTPLUG)');
  }
  const bs = parseInt(fs.read('/sys/devices/system/memory/block_size_bytes').trim(), 16);
  const blocks: PaRange[] = [];
  for (const node of fs.list('/sys/devices/system/node').filter((n) => /^node\d+$/.test(n))) {
    const nid = Number(node.slice(4));
    for (const m of fs.list(`/sys/devices/system/node/${node}`).filter((n) => /^memory\d+$/.test(n))) {
      const idx = Number(m.slice(6));
      const state = fs.read(`/sys/devices/system/node/${node}/${m}/state`).trim();
      blocks.push({ start: idx * bs, end: (idx + 1) * bs, nid, state });
    }
  }
  blocks.sort((a, b) => a.start - b.start);
  const out: PaRange[] = [];
  for (const b of blocks) {
    const prev = out[out.length - 1];
    if (prev && prev.end === b.start && prev.nid === b.nid && prev.state === b.state) prev.end = b.end;
    else out.push({ ...b });
  }
  return out;
}

/** Every /proc/iomem line (nested ones too): `start-end : name`, end inclusive → exclusive. */
export function iomemRanges(fs: KernelFiles): PaRange[] {
  const out: PaRange[] = [];
  for (const line of fs.read('/proc/iomem').split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const m = /^\s*([0-9a-fA-F]+)-([0-9a-fA-F]+)\s*$/.exec(line.slice(0, colon));
    if (!m) continue;
    out.push({ start: parseInt(m[1]!, 16), end: parseInt(m[2]!, 16) + 1, name: line.slice(colon + 1).trim() });
  }
  return out;
}

/** iomem "System RAM" ranges cut by memory blocks, each with a node and a state. */
export function paddrRanges(fs: KernelFiles): PaRange[] {
  const blocks = memblockRanges(fs);
  const out: PaRange[] = [];
  for (const r of iomemRanges(fs).filter((x) => x.name?.startsWith('System RAM'))) {
    for (const b of blocks) {
      const start = Math.max(r.start, b.start);
      const end = Math.min(r.end, b.end);
      if (start < end) out.push({ start, end, nid: b.nid, state: b.state, name: r.name });
    }
  }
  return out.sort((a, b) => a.start - b.start);
}

/** The largest single System RAM range of /proc/iomem (end exclusive). */
export function defaultPaddrRegion(fs: KernelFiles): [number, number] {
  let best: PaRange | undefined;
  for (const r of iomemRanges(fs)) {
    if (!r.name?.startsWith('System RAM')) continue;
    if (!best || r.end - r.start > best.end - best.start) best = r;
  }
  if (!best) throw new Error('no System RAM in /proc/iomem');
  return [best.start, best.end];
}

/** System RAM of node `nid` (node 0 included), adjacent pieces merged. */
export function paddrRegionsOf(fs: KernelFiles, nid: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const r of paddrRanges(fs)) {
    if (r.nid !== nid) continue;
    const prev = out[out.length - 1];
    if (prev && prev[1] === r.start) prev[1] = r.end;
    else out.push([r.start, r.end]);
  }
  if (out.length === 0) throw new Error(`node ${nid} has no System RAM`);
  return out;
}

/** damo's size notation: "4.000 KiB", "10.000 GiB". */
export function formatSz(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${bytes} B` : `${v.toFixed(3)} ${units[i]}`;
}

/**
 * Memory tier of each node from /sys/devices/virtual/memory_tiering/memory_tierN/nodelist
 * (N is the tier id: lower is faster). Empty when the kernel has no memory tiers.
 */
export function nodeTiers(fs: KernelFiles): Map<number, number> {
  const dir = '/sys/devices/virtual/memory_tiering';
  const out = new Map<number, number>();
  if (!fs.isDir(dir)) return out;
  for (const name of fs.list(dir).filter((n) => /^memory_tier\d+$/.test(n))) {
    const tier = Number(name.slice('memory_tier'.length));
    for (const part of fs.read(`${dir}/${name}/nodelist`).trim().split(',').filter((p) => p !== '')) {
      const [a, b] = part.split('-').map(Number);
      for (let n = a!; n <= (b ?? a!); n++) out.set(n, tier);
    }
  }
  return out;
}

/** System RAM in address order as runs of one node each (adjacent ranges of a node merged). */
export function nodeRuns(fs: KernelFiles): Array<{ start: number; end: number; nid: number }> {
  const out: Array<{ start: number; end: number; nid: number }> = [];
  for (const r of paddrRanges(fs)) {
    if (r.nid === undefined) continue;
    const prev = out[out.length - 1];
    if (prev && prev.nid === r.nid && prev.end === r.start) prev.end = r.end;
    else out.push({ start: r.start, end: r.end, nid: r.nid });
  }
  return out;
}
