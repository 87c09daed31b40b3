// The boot memory map: x86 low memory split around the PCI hole, CXL windows after DRAM,
// blocks numbered by address, zones by address and medium.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseMachineConfig } from '../../../src/kernel/config/machine.js';
import { buildPhysLayout, GiB } from '../../../src/kernel/mm/memblock.js';

const layoutOf = (name: string) => buildPhysLayout(parseMachineConfig(JSON.parse(readFileSync(`presets/${name}.json`, 'utf8'))));

describe('physical layout', () => {
  it('cxl-2node: node 0 at 0..3G and 4G..17G, CXL window on the next 4 GiB boundary', () => {
    const l = layoutOf('cxl-2node');
    expect(l.ram.map((r) => [r.start / GiB, (r.end + 1) / GiB, r.nid, r.kind])).toEqual([
      [0, 3, 0, 'dram'],
      [4, 17, 0, 'dram'],
      [20, 36, 1, 'cxl'],
    ]);
    const n0 = l.blocks.filter((b) => b.nid === 0).map((b) => b.index);
    expect(n0[0]).toBe(0);
    expect(n0).not.toContain(24); // the PCI hole has no blocks
    expect(n0).toContain(32);
    expect(n0).toHaveLength(128);
    expect(l.blocks.filter((b) => b.nid === 1)).toHaveLength(128);
  });

  it('zones: block 0 spans DMA and DMA32, low blocks DMA32, high Normal, CXL Movable', () => {
    const l = layoutOf('cxl-2node');
    const byIndex = new Map(l.blocks.map((b) => [b.index, b]));
    expect(byIndex.get(0)).toMatchObject({ spansZones: true });
    expect(byIndex.get(1)).toMatchObject({ zone: 'DMA32', spansZones: false });
    expect(byIndex.get(32)).toMatchObject({ zone: 'Normal' });
    expect(byIndex.get(160)).toMatchObject({ zone: 'Movable', kind: 'cxl' });
  });

  it('reserves the firmware holes and kernel image in block 0 only', () => {
    const l = layoutOf('cxl-2node');
    const reserved = l.blocks.filter((b) => b.reservedPages > 0);
    expect(reserved.map((b) => b.index)).toEqual([0]);
    // page 0, pages 0x9f..0xff, and the kernel image 0x1000000..0x3c57fff
    expect(reserved[0]!.reservedPages).toBe(1 + (0x100 - 0x9f) + (0x3c58000 - 0x1000000) / 4096);
  });

  it('epyc-2node-256g uses 2 GiB blocks and keeps low memory on a block boundary', () => {
    const l = layoutOf('epyc-2node-256g');
    expect(l.blockBytes).toBe(2 * GiB);
    expect(l.ram[0]).toMatchObject({ start: 0, end: 2 * GiB - 1 });
    expect(l.blocks).toHaveLength(128);
    for (const r of l.ram) expect((r.end + 1 - r.start) % l.blockBytes).toBe(0);
  });
});
