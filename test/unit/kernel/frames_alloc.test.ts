// Page frames (mm/frames.ts) behind the page allocator (mm/page_alloc.ts): frames materialize
// per block on first use (13 bytes a frame), allocations hand out distinct pfns of the right
// node with the right flags, free gives them back, ENOMEM is all-or-nothing, the pgalloc_* /
// pgfree events count pages, and migration targets never leave their node.
import { describe, expect, it } from 'vitest';
import { ENOMEM } from '../../../src/kernfs/index.js';
import type { Kernel } from '../../../src/kernel/kernel.js';
import { NO_OWNER, PG_FREE, PG_KERNEL, PG_LRU } from '../../../src/kernel/mm/frames.js';
import { bootPreset } from './boot.js';

const BYTES_PER_FRAME = 13;
const vmstat = (k: Kernel, name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(k.fs.readFile('proc/vmstat'))![1]);
const nodeFiles = (k: Kernel) =>
  [0, 1].flatMap((n) => ['meminfo', 'numastat', 'vmstat'].map((f) => k.fs.readFile(`sys/devices/system/node/node${n}/${f}`)));

/** Every pfn of `pfns` lies in an online block of `nid`. */
function expectOnNode(k: Kernel, pfns: Int32Array, nid: number): void {
  const off = [...pfns].filter((pfn) => {
    const b = k.alloc.frames.blockOf(pfn);
    return !b || b.nid !== nid || pfn < b.startPfn || pfn >= b.startPfn + b.nrPages;
  });
  expect(off).toEqual([]);
}

/** pfns of `pfns` whose flags are not `flags`. */
const flaggedOtherwise = (k: Kernel, pfns: Iterable<number>, flags: number) => [...pfns].filter((pfn) => k.alloc.frames.flagsOf(pfn) !== flags);

describe('frames materialize lazily', () => {
  it('right after boot only the blocks the boot allocations touched hold frame state', () => {
    const k = bootPreset();
    const perBlock = k.alloc.frames.pagesPerBlock * BYTES_PER_FRAME;
    const bootBlocks = new Set([...k.bootMemory.values()].flatMap((m) => m.allocation.parts.map((p) => p.block.index)));
    expect(k.alloc.frames.bytes).toBe(bootBlocks.size * perBlock);
    // 32 GiB of memory would be 8 Mi frames; a handful of blocks is far less.
    expect(k.alloc.frames.bytes).toBeLessThan(k.layout.blocks.length * perBlock / 16);
  });

  it('grows by 13 bytes per frame of each newly touched block, and not again for the same block', () => {
    const k = bootPreset();
    const perBlock = k.alloc.frames.pagesPerBlock * BYTES_PER_FRAME;
    const b0 = k.alloc.frames.bytes;
    k.alloc.alloc(1, 1, { movable: true });
    expect(k.alloc.frames.bytes).toBe(b0 + perBlock);
    k.alloc.alloc(1, 100, { movable: true });
    expect(k.alloc.frames.bytes).toBe(b0 + perBlock);
    // One more than a block's worth spans a second (and third) block on node 1.
    k.alloc.alloc(1, k.alloc.frames.pagesPerBlock, { movable: true });
    expect(k.alloc.frames.bytes).toBe(b0 + 2 * perBlock);
  });

  it('an untouched block reports its frames by the counters (flagsOf without materializing)', () => {
    const k = bootPreset();
    const b = k.alloc.blocksOf(1)[3]!;
    const before = k.alloc.frames.bytes;
    expect(k.alloc.frames.peek(b.startPfn)).toBeUndefined();
    expect(k.alloc.frames.flagsOf(b.startPfn)).toBe(PG_FREE);
    expect(k.alloc.frames.ownerOf(b.startPfn)).toBe(NO_OWNER);
    expect(k.alloc.frames.bytes).toBe(before);
  });
});

describe('alloc and free', () => {
  it.each([
    ['movable on node 1 (CXL)', 1, true, PG_LRU],
    ['movable on node 0 (DRAM)', 0, true, PG_LRU],
    ['unmovable on node 0', 0, false, PG_KERNEL],
  ] as const)('%s: distinct pfns inside the node\'s blocks, flagged', (_name, nid, movable, flag) => {
    const k = bootPreset();
    const n = 70000; // spans three 128 MiB blocks
    const a = k.alloc.alloc(nid, n, { movable, thisNode: true });
    expect(a.pfns.length).toBe(n);
    expect(new Set(a.pfns).size).toBe(n);
    expectOnNode(k, a.pfns, nid);
    expect(flaggedOtherwise(k, a.pfns, flag)).toEqual([]);
    expect(a.parts.reduce((s, p) => s + p.pages, 0)).toBe(n);
  });

  it('free returns every frame to PG_FREE and restores each block\'s freePages', () => {
    const k = bootPreset();
    const blocks = [...k.alloc.blocksOf(0), ...k.alloc.blocksOf(1)];
    const freeBefore = blocks.map((b) => b.freePages);
    const f0 = k.alloc.freePages(0);
    const a = k.alloc.alloc(0, 50000, { movable: true, thisNode: true });
    const pfns = Int32Array.from(a.pfns);
    const u = k.alloc.alloc(0, 1000, { movable: false });
    const upfns = Int32Array.from(u.pfns);
    expect(k.alloc.freePages(0)).toBe(f0 - 51000);
    k.alloc.free(a);
    k.alloc.free(u);
    expect(flaggedOtherwise(k, [...pfns, ...upfns], PG_FREE)).toEqual([]);
    expect([...pfns, ...upfns].filter((pfn) => k.alloc.frames.ownerOf(pfn) !== NO_OWNER)).toEqual([]);
    expect(blocks.map((b) => b.freePages)).toEqual(freeBefore);
    expect(k.alloc.freePages(0)).toBe(f0);
  });

  it('freed frames are handed out again (the cursor wraps)', () => {
    const k = bootPreset();
    const all = k.alloc.allocatablePages(1, true, 'min'); // everything above the min watermark
    const a = k.alloc.alloc(1, all, { movable: true, thisNode: true });
    const some = Int32Array.from(a.pfns.subarray(0, 10));
    k.alloc.freeUserFrames(some);
    const b = k.alloc.alloc(1, 10, { movable: true, thisNode: true });
    expect([...b.pfns].sort((x, y) => x - y)).toEqual([...some].sort((x, y) => x - y));
  });
});

describe('ENOMEM is all-or-nothing', () => {
  it.each([
    ['larger than every node (fallback allowed)', 0, (k: Kernel) => k.alloc.freePages(0) + k.alloc.freePages(1) + 1, false],
    ['larger than node 1 with __GFP_THISNODE', 1, (k: Kernel) => k.alloc.freePages(1) + 1, true],
    ['unmovable on the CPU-less ZONE_MOVABLE node', 1, () => 1, true],
  ] as const)('%s', (_name, nid, size, thisNode) => {
    const k = bootPreset();
    k.alloc.alloc(1, 1234, { movable: true }); // some prior state
    const free = [k.alloc.freePages(0), k.alloc.freePages(1)];
    const blockFree = k.layout.blocks.map((b) => b.freePages);
    const vm = k.fs.readFile('proc/vmstat');
    const nodes = nodeFiles(k);
    const movable = !(nid === 1 && size(k) === 1);
    expect(() => k.alloc.alloc(nid, size(k), { movable, thisNode })).toThrow(ENOMEM);
    expect([k.alloc.freePages(0), k.alloc.freePages(1)]).toEqual(free);
    expect(k.layout.blocks.map((b) => b.freePages)).toEqual(blockFree);
    expect(k.fs.readFile('proc/vmstat')).toBe(vm);
    expect(nodeFiles(k)).toEqual(nodes);
  });
});

describe('pgalloc_* and pgfree count pages', () => {
  const ZONES = ['pgalloc_dma', 'pgalloc_dma32', 'pgalloc_normal', 'pgalloc_movable'] as const;
  const zoneEvents = (k: Kernel) => Object.fromEntries([...ZONES, 'pgfree'].map((n) => [n, vmstat(k, n)]));

  it('a CXL allocation counts pgalloc_movable only; freeing it counts pgfree', () => {
    const k = bootPreset();
    const before = zoneEvents(k);
    const a = k.alloc.alloc(1, 40000, { movable: true, thisNode: true });
    const mid = zoneEvents(k);
    expect(mid).toEqual({ ...before, pgalloc_movable: before.pgalloc_movable! + 40000 });
    k.alloc.free(a);
    expect(zoneEvents(k)).toEqual({ ...mid, pgfree: mid.pgfree! + 40000 });
  });

  it('a DRAM allocation spanning DMA32 and Normal counts each zone by the pages taken from it', () => {
    const k = bootPreset();
    const before = zoneEvents(k);
    const n = (5 * 1024 ** 3) / 4096;
    const a = k.alloc.alloc(0, n, { movable: true, thisNode: true });
    const want: Record<string, number> = { ...before };
    for (const pfn of a.pfns) want[`pgalloc_${k.alloc.frames.blockOf(pfn)!.zone.toLowerCase()}`]! += 1;
    expect(zoneEvents(k)).toEqual(want);
    expect(want.pgalloc_normal! - before.pgalloc_normal!).toBeGreaterThan(0);
    expect(ZONES.reduce((s, z) => s + want[z]! - before[z]!, 0)).toBe(n);
  });

  it('freeUserFrames counts pgfree by the frames given back', () => {
    const k = bootPreset();
    const a = k.alloc.alloc(1, 300, { movable: true });
    const f0 = vmstat(k, 'pgfree');
    k.alloc.freeUserFrames(a.pfns.subarray(0, 123));
    expect(vmstat(k, 'pgfree')).toBe(f0 + 123);
  });
});

describe('allocMigrationTarget', () => {
  it.each([0, 1])('never returns a frame off node %i, flags it PG_LRU and counts numa_hit there', (nid) => {
    const k = bootPreset();
    const hit = k.vm.node(nid, 'numa_hit');
    const free = k.alloc.freePages(nid);
    const got: number[] = [];
    for (let i = 0; i < 1000; i++) got.push(k.alloc.allocMigrationTarget(nid, 0));
    expect(new Set(got).size).toBe(1000);
    expectOnNode(k, Int32Array.from(got), nid);
    expect(flaggedOtherwise(k, got, PG_LRU)).toEqual([]);
    expect(k.alloc.freePages(nid)).toBe(free - 1000);
    expect(k.vm.node(nid, 'numa_hit')).toBe(hit + 1000);
  });

  it('returns -1 when the node is down to its min watermark, without touching the other node or any counter', () => {
    const k = bootPreset();
    k.alloc.alloc(1, k.alloc.allocatablePages(1, true, 'min'), { movable: true, thisNode: true });
    expect(k.alloc.freePages(1)).toBe(k.alloc.wmarkPages(1, 'min'));
    const free0 = k.alloc.freePages(0);
    const vm = k.fs.readFile('proc/vmstat');
    const nodes = nodeFiles(k);
    expect(k.alloc.allocMigrationTarget(1, 0)).toBe(-1);
    expect(k.alloc.freePages(0)).toBe(free0);
    expect(k.fs.readFile('proc/vmstat')).toBe(vm);
    expect(nodeFiles(k)).toEqual(nodes);
  });

  it('skips the excluded block (memory offlining migrates away from it)', () => {
    const k = bootPreset();
    const first = k.alloc.blocksOf(1)[0]!;
    for (let i = 0; i < 50; i++) {
      const pfn = k.alloc.allocMigrationTarget(1, 0, first);
      expect(k.alloc.frames.blockOf(pfn)).not.toBe(first);
    }
  });
});
