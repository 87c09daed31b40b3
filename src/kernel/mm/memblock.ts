// The physical address map the kernel boots with: e820-style DRAM ranges (low memory below
// the 3 GiB PCI hole, the rest from 4 GiB), CXL windows onlined by dax/kmem, and the memory
// blocks (drivers/base/memory.c, SPARSEMEM sections grouped by block size) that carve it up.
// Node and block membership derive from the pfn, as in the kernel.
import { PAGE_SIZE, type MachineConfig, type MemoryKind } from '../config/machine.js';

export const GiB = 1024 * 1024 * 1024;
/** Start of the 32-bit PCI hole (x86 e820 layout). */
export const PCI_HOLE_START = 3 * GiB;
/** First address above the 32-bit PCI hole. */
export const HIGH_MEMORY_START = 4 * GiB;
/** Firmware-reserved bytes at the bottom of memory: page 0, and 0x9fc00-0xfffff. */
export const LOW_RESERVED: readonly { start: number; end: number; name: string }[] = [
  { start: 0x0, end: 0xfff, name: 'Reserved' },
  { start: 0x9fc00, end: 0xfffff, name: 'Reserved' },
];
/** Kernel image sections inside the first System RAM range (as /proc/iomem shows them). */
export const KERNEL_IMAGE: readonly { start: number; end: number; name: string }[] = [
  { start: 0x01000000, end: 0x022090c7, name: 'Kernel code' },
  { start: 0x02400000, end: 0x02e08fff, name: 'Kernel rodata' },
  { start: 0x03000000, end: 0x0327c03f, name: 'Kernel data' },
  { start: 0x03b34000, end: 0x03c57fff, name: 'Kernel bss' },
];

export type ZoneType = 'DMA' | 'DMA32' | 'Normal' | 'Movable';
export const ZONE_DMA_END = 16 * 1024 * 1024;

/** One range of RAM as firmware (e820) or CXL (CFMWS window) presents it. Inclusive end. */
export interface RamRange {
  readonly start: number;
  readonly end: number;
  readonly nid: number;
  readonly kind: MemoryKind;
  /** Index among CXL windows (CXL Window N / regionN / daxN.0), for kind 'cxl'. */
  readonly cxlIndex?: number;
}

/** A memory block: /sys/devices/system/memory/memoryN. */
export interface MemoryBlock {
  /** N in memoryN = start address / block size. */
  readonly index: number;
  readonly startPfn: number;
  readonly nrPages: number;
  readonly nid: number;
  readonly kind: MemoryKind;
  online: boolean;
  /** Zone while online; for an offline block the zone it would default to. */
  zone: ZoneType;
  /** True when the block spans two zones (block 0 on x86: DMA + DMA32); valid_zones is "none". */
  readonly spansZones: boolean;
  /** Pages never given to the buddy allocator (firmware holes, the kernel image). */
  readonly reservedPages: number;
  /** Free pages in the buddy allocator (0 while offline). */
  freePages: number;
  /** Unmovable kernel allocations (slab, stacks, page tables): they pin the block online. */
  unmovablePages: number;
  /** Movable (user) pages: migrated away when the block goes offline. */
  movablePages: number;
}

/** The boot memory map. */
export interface PhysLayout {
  readonly blockBytes: number;
  readonly ram: readonly RamRange[];
  /** Blocks sorted by index. */
  readonly blocks: readonly MemoryBlock[];
}

function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

function pagesOverlapping(start: number, end: number, lo: number, hi: number): number {
  // pages of [lo, hi] (inclusive bytes) that touch [start, end]
  const s = Math.max(start, lo);
  const e = Math.min(end, hi);
  if (s > e) return 0;
  return Math.floor(e / PAGE_SIZE) - Math.floor(s / PAGE_SIZE) + 1;
}

/**
 * Lay out the machine's memory the way x86 firmware and the CXL driver would: node 0's DRAM
 * starts at 0 and is split around the PCI hole, later DRAM nodes follow, CXL windows come after
 * all DRAM on a 4 GiB boundary.
 */
export function buildPhysLayout(config: MachineConfig): PhysLayout {
  const B = config.memoryBlockSizeBytes;
  const ram: RamRange[] = [];
  let cursor = 0;
  let cxlIndex = 0;
  const dram = config.nodes.filter((n) => n.kind === 'dram');
  const cxl = config.nodes.filter((n) => n.kind === 'cxl');
  for (const node of dram) {
    let left = node.memBytes;
    if (cursor < PCI_HOLE_START) {
      const lowEnd = Math.min(cursor + left, Math.floor(PCI_HOLE_START / B) * B);
      if (lowEnd > cursor) {
        ram.push({ start: cursor, end: lowEnd - 1, nid: node.id, kind: 'dram' });
        left -= lowEnd - cursor;
      }
      cursor = HIGH_MEMORY_START;
    }
    if (left > 0) {
      ram.push({ start: cursor, end: cursor + left - 1, nid: node.id, kind: 'dram' });
      cursor += left;
    }
  }
  cursor = alignUp(cursor, 4 * GiB);
  for (const node of cxl) {
    ram.push({ start: cursor, end: cursor + node.memBytes - 1, nid: node.id, kind: 'cxl', cxlIndex: cxlIndex++ });
    cursor = alignUp(cursor + node.memBytes, 4 * GiB);
  }

  const blocks: MemoryBlock[] = [];
  const reservedRanges = [...LOW_RESERVED, { start: KERNEL_IMAGE[0]!.start, end: KERNEL_IMAGE[KERNEL_IMAGE.length - 1]!.end, name: 'kernel' }];
  for (const r of ram) {
    for (let addr = r.start; addr < r.end; addr += B) {
      const hi = addr + B - 1;
      let reserved = 0;
      // Only the byte ranges actually inside System RAM are reserved pages of this block.
      for (const res of reservedRanges) reserved += pagesOverlapping(res.start, res.end, addr, hi);
      const spansZones = r.kind === 'dram' && addr < ZONE_DMA_END && hi >= ZONE_DMA_END;
      const zone: ZoneType = r.kind === 'cxl' ? 'Movable' : hi < ZONE_DMA_END ? 'DMA' : hi < HIGH_MEMORY_START ? 'DMA32' : 'Normal';
      const nrPages = B / PAGE_SIZE;
      blocks.push({
        index: addr / B,
        startPfn: addr / PAGE_SIZE,
        nrPages,
        nid: r.nid,
        kind: r.kind,
        online: true,
        zone,
        spansZones,
        reservedPages: reserved,
        freePages: nrPages - reserved,
        unmovablePages: 0,
        movablePages: 0,
      });
    }
  }
  return { blockBytes: B, ram, blocks };
}

/** Pages the buddy allocator manages in a block while it is online. */
export function managedPages(block: MemoryBlock): number {
  return block.online ? block.nrPages - block.reservedPages : 0;
}
