// Page frames (struct page / the memmap), struct-of-arrays per memory block and allocated only
// when a block first hands out a page after boot, so an idle 256 GiB machine costs nothing.
// 13 bytes per frame: flags (u8), owner mm id (i32, the anon_vma in one word) and the virtual
// page number the owner maps it at (f64: user addresses reach 2^47). Owner + vpn is the
// reverse map that paddr access checks and migration walk (mm/rmap.c).
import type { MemoryBlock } from './memblock.js';

/** Page flags modelled (include/linux/page-flags.h, page_idle.h). */
export const PG_FREE = 1 << 0; // in the buddy allocator
export const PG_KERNEL = 1 << 1; // in use by the kernel (slab, page tables): no owner, unmovable
export const PG_LRU = 1 << 2;
export const PG_ACTIVE = 1 << 3;
export const PG_REFERENCED = 1 << 4;
export const PG_YOUNG = 1 << 5; // page_idle's PG_young: an A bit was harvested since idle was set
export const PG_IDLE = 1 << 6;
export const PG_ISOLATED = 1 << 7; // off the LRU for migration

/** No owner: free or kernel pages. */
export const NO_OWNER = 0;

export class BlockFrames {
  readonly flags: Uint8Array;
  readonly owner: Int32Array;
  readonly vpn: Float64Array;
  /** Next offset to look at when allocating (a roving cursor, like a buddy free list head). */
  cursor = 0;
  /** Bumped whenever a frame's owner or vpn (the reverse map) changes: walkers may cache runs. */
  gen = 0;

  /**
   * Materialize a block's frames from its counters: pages already in use (reserved, boot
   * allocations) take the lowest offsets as kernel pages; the rest are free.
   */
  constructor(readonly block: MemoryBlock) {
    const n = block.nrPages;
    this.flags = new Uint8Array(n);
    this.owner = new Int32Array(n);
    this.vpn = new Float64Array(n);
    const used = n - block.freePages;
    this.flags.fill(PG_KERNEL, 0, used);
    this.flags.fill(PG_FREE, used);
    this.cursor = used;
  }

  /** Bytes held by the arrays (the per-frame budget of DESIGN.md §3). */
  get bytes(): number {
    return this.flags.byteLength + this.owner.byteLength + this.vpn.byteLength;
  }

  /**
   * Take up to `want` free frames, marking them with `flags`; their pfns go to `out` from `at`.
   * @returns how many were taken
   */
  take(want: number, flags: number, out: Int32Array, at: number): number {
    const n = this.block.nrPages;
    const f = this.flags;
    const base = this.block.startPfn;
    let got = 0;
    let i = this.cursor;
    for (let scanned = 0; scanned < n && got < want; scanned++, i++) {
      if (i === n) i = 0;
      if ((f[i]! & PG_FREE) === 0) continue;
      f[i] = flags;
      out[at + got] = base + i;
      got++;
    }
    this.cursor = i === n ? 0 : i;
    return got;
  }

  /** Return one frame to the free pool. */
  release(offset: number): void {
    this.gen++;
    this.flags[offset] = PG_FREE;
    this.owner[offset] = NO_OWNER;
    this.vpn[offset] = 0;
  }
}

/** The frames of every block, looked up by pfn. */
export class FrameTable {
  private readonly byBlock: (BlockFrames | undefined)[];
  private readonly blockOfIndex: (MemoryBlock | undefined)[];
  readonly pagesPerBlock: number;

  constructor(blocks: readonly MemoryBlock[]) {
    const first = blocks[0];
    this.pagesPerBlock = first ? first.nrPages : 1;
    const maxIndex = blocks.reduce((m, b) => Math.max(m, b.index), 0);
    this.byBlock = new Array<BlockFrames | undefined>(maxIndex + 1);
    this.blockOfIndex = new Array<MemoryBlock | undefined>(maxIndex + 1);
    for (const b of blocks) this.blockOfIndex[b.index] = b;
  }

  /** The frames of `block`, materializing them on first use. */
  of(block: MemoryBlock): BlockFrames {
    let f = this.byBlock[block.index];
    if (f === undefined) {
      f = new BlockFrames(block);
      this.byBlock[block.index] = f;
    }
    return f;
  }

  /** Frames of the block holding `pfn`, if materialized. */
  peek(pfn: number): BlockFrames | undefined {
    return this.byBlock[Math.floor(pfn / this.pagesPerBlock)];
  }

  /** The block holding `pfn` (undefined in holes). */
  blockOf(pfn: number): MemoryBlock | undefined {
    return this.blockOfIndex[Math.floor(pfn / this.pagesPerBlock)];
  }

  /** Owner mm id of `pfn` (NO_OWNER for free, kernel, hole or never-touched frames). */
  ownerOf(pfn: number): number {
    const f = this.peek(pfn);
    return f ? f.owner[pfn - f.block.startPfn]! : NO_OWNER;
  }

  /** Virtual page number `pfn` is mapped at by its owner. */
  vpnOf(pfn: number): number {
    const f = this.peek(pfn);
    return f ? f.vpn[pfn - f.block.startPfn]! : 0;
  }

  flagsOf(pfn: number): number {
    const f = this.peek(pfn);
    if (f) return f.flags[pfn - f.block.startPfn]!;
    const b = this.blockOf(pfn);
    if (!b) return 0;
    return pfn - b.startPfn < b.nrPages - b.freePages ? PG_KERNEL : PG_FREE;
  }

  /** Total bytes of materialized frame state. */
  get bytes(): number {
    let n = 0;
    for (const f of this.byBlock) if (f) n += f.bytes;
    return n;
  }
}

/** The anon LRU list (node counter) a user page with these flags is on. */
export function anonLru(flags: number): 'nr_active_anon' | 'nr_inactive_anon' {
  return flags & PG_ACTIVE ? 'nr_active_anon' : 'nr_inactive_anon';
}
