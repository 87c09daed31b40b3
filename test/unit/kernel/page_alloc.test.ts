// The block-level page allocator: zonelist fallback, ZONE_MOVABLE rules, ENOMEM without side
// effects, and the NUMA placement events.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENOMEM } from '../../../src/kernfs/index.js';
import { parseMachineConfig } from '../../../src/kernel/config/machine.js';
import { bootKernel } from '../../../src/kernel/kernel.js';

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

  it('falls back along the zonelist when a node is full: numa_miss on the giver, numa_foreign on the preferred', () => {
    const k = boot();
    const free1 = k.alloc.freePages(1);
    const a = k.alloc.alloc(1, free1 + 10, { movable: true });
    expect(k.alloc.freePages(1)).toBe(0);
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
