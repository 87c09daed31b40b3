// The block-level page allocator: zonelist fallback, ZONE_MOVABLE rules, ENOMEM without side
// effects, and the NUMA placement events.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENOMEM } from '../../../src/kernfs/index.js';
import { parseMachineConfig } from '../../../src/kernel/config/machine.js';
import { bootKernel } from '../../../src/kernel/kernel.js';
import { bootPreset, spawn } from './boot.js';

const boot = (name = 'cxl-2node') => bootKernel(parseMachineConfig(JSON.parse(readFileSync(`presets/${name}.json`, 'utf8'))), { seed: 1 });

describe('page allocator', () => {
  it('boots with the kernel allocation on node 0 and CXL entirely free', () => {
    const k = boot();
    const n1 = k.alloc.managedPages(1);
    expect(n1).toBe((16 * 1024 ** 3) / 4096);
    expect(k.alloc.freePages(1)).toBe(n1);
    expect(k.alloc.freePages(0)).toBeLessThan(k.alloc.managedPages(0));
  });

  it('takes pages from the preferred node and counts numa_hit / numa_local / numa_other', () => {
    const k = boot();
    const before = k.alloc.freePages(1);
    k.alloc.alloc(1, 1000, { movable: true, cpuNid: 0 });
    expect(k.alloc.freePages(1)).toBe(before - 1000);
    expect(k.vm.node(1, 'numa_hit')).toBe(1000);
    expect(k.vm.node(1, 'numa_other')).toBe(1000);
    expect(k.vm.node(1, 'numa_local')).toBe(0);
  });

  it('falls back along the zonelist when a node reaches its low watermark: numa_miss on the giver, numa_foreign on the preferred', () => {
    const k = boot();
    const free1 = k.alloc.freePages(1);
    const room1 = k.alloc.allocatablePages(1, true, 'low');
    const a = k.alloc.alloc(1, room1 + 10, { movable: true });
    expect(k.alloc.freePages(1)).toBe(k.alloc.wmarkPages(1, 'low'));
    expect(k.vm.node(0, 'numa_miss')).toBe(10);
    expect(k.vm.node(1, 'numa_foreign')).toBe(10);
    k.alloc.free(a);
    expect(k.alloc.freePages(1)).toBe(free1);
  });

  it('unmovable allocations never use ZONE_MOVABLE (the CXL node)', () => {
    const k = boot();
    expect(() => k.alloc.alloc(1, 1, { movable: false, thisNode: true })).toThrow(ENOMEM);
  });

  it('ENOMEM when nothing can hold the request, leaving every node unchanged', () => {
    const k = boot();
    const f0 = k.alloc.freePages(0);
    const f1 = k.alloc.freePages(1);
    const hits = k.vm.node(0, 'numa_hit');
    expect(() => k.alloc.alloc(0, f0 + f1 + 1, { movable: true })).toThrow(ENOMEM);
    expect([k.alloc.freePages(0), k.alloc.freePages(1)]).toEqual([f0, f1]);
    expect(k.vm.node(0, 'numa_hit')).toBe(hits);
  });

  it('zonelists order nodes by distance (2socket-cxl)', () => {
    const k = boot('2socket-cxl');
    expect(k.alloc.zonelists.get(0)).toEqual([0, 1, 2]);
    expect(k.alloc.zonelists.get(1)).toEqual([1, 0, 2]);
    expect(k.alloc.zonelists.get(2)).toEqual([2, 0, 1]);
  });

  it('is deterministic: two boots with one seed give identical counters', () => {
    const a = boot();
    const b = boot();
    expect(a.alloc.freePages(0)).toBe(b.alloc.freePages(0));
    expect(a.vm.node(0, 'nr_slab_reclaimable')).toBe(b.vm.node(0, 'nr_slab_reclaimable'));
  });
});

describe('zone order inside a node', () => {
  it('user pages on node 0 come from ZONE_NORMAL before ZONE_DMA32 (zonelists try the highest zone first)', async () => {
    const k = bootPreset();
    const vmstat = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(k.fs.readFile('proc/vmstat'))![1]);
    const dma32 = vmstat('pgalloc_dma32');
    const normal = vmstat('pgalloc_normal');
    const p = k.tasks.get(await spawn(k, 'idle size=1G node=0'))!;
    expect(vmstat('pgalloc_dma32')).toBe(dma32);
    expect(vmstat('pgalloc_normal') - normal).toBeGreaterThanOrEqual((1024 ** 3) / 4096);
    // every page of the buffer sits above 4 GiB, in the largest System RAM range of node 0
    const vma = p.mm.vmas[0]!;
    let below4g = 0;
    for (const pfn of vma.pt) if (pfn * 4096 < 4 * 1024 ** 3) below4g++;
    expect(below4g).toBe(0);
  });

  it('falls to ZONE_DMA32 only when ZONE_NORMAL of the node is at its low watermark', async () => {
    const k = bootPreset();
    const normal = k.alloc.zones(0)[2]!;
    const normalRoom = normal.freePages - normal.wmark('low') - normal.lowmemReserve[3]!;
    const before = Number(/^pgalloc_dma32 (\d+)$/m.exec(k.fs.readFile('proc/vmstat'))![1]);
    k.alloc.alloc(0, normalRoom + 5, { movable: true });
    expect(Number(/^pgalloc_dma32 (\d+)$/m.exec(k.fs.readFile('proc/vmstat'))![1]) - before).toBe(5);
  });
});
