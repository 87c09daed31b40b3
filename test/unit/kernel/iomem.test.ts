// /proc/iomem (spec kernel-files.md §5.1): the x86 firmware map, the PCI hole and the CXL chain.
import { describe, expect, it } from 'vitest';
import { S_IFREG } from '../../../src/kernfs/index.js';
import type { Kernel } from '../../../src/kernel/kernel.js';
import { LOW_RESERVED } from '../../../src/kernel/mm/memblock.js';
import { offlineBlock } from '../../../src/kernel/mm/memory_hotplug.js';
import { bootPreset as boot } from './boot.js';

interface Line {
  depth: number;
  start: number;
  end: number;
  name: string;
}

function parse(text: string): Line[] {
  return text.split('\n').filter((l) => l !== '').map((l) => {
    const m = /^((?: {2})*)([0-9a-f]{8,})-([0-9a-f]{8,}) : (.+)$/.exec(l);
    expect(m, l).not.toBeNull();
    return { depth: m![1]!.length / 2, start: parseInt(m![2]!, 16), end: parseInt(m![3]!, 16), name: m![4]! };
  });
}

const CXL_2NODE = `00000000-00000fff : Reserved
00001000-0009fbff : System RAM
0009fc00-000fffff : Reserved
  000c0000-000c7fff : Video ROM
  000f0000-000fffff : System ROM
00100000-bfffffff : System RAM
  01000000-022090c7 : Kernel code
  02400000-02e08fff : Kernel rodata
  03000000-0327c03f : Kernel data
  03b34000-03c57fff : Kernel bss
c0000000-febfffff : PCI Bus 0000:00
  e0000000-efffffff : PCI ECAM 0000 [bus 00-ff]
fec00000-fec003ff : IOAPIC 0
fed00000-fed003ff : HPET 0
  fed00000-fed003ff : PNP0103:00
fee00000-fee00fff : Local APIC
fffc0000-ffffffff : Reserved
100000000-43fffffff : System RAM
500000000-8ffffffff : CXL Window 0
  500000000-8ffffffff : region0
    500000000-8ffffffff : dax0.0
      500000000-8ffffffff : System RAM (kmem)
`;

describe('/proc/iomem', () => {
  it('is a 0444 seq file of size 0', () => {
    expect(boot().fs.stat('proc/iomem')).toMatchObject({ mode: S_IFREG | 0o444, size: 0 });
  });

  it('cxl-2node: the exact text', () => {
    expect(boot().fs.readFile('proc/iomem')).toBe(CXL_2NODE);
  });

  it('offlining a CXL block does not change it (only remove_memory releases the resource)', () => {
    const k = boot();
    offlineBlock(k.alloc, k.vm, k.alloc.blocksOf(1)[0]!);
    expect(k.fs.readFile('proc/iomem')).toBe(CXL_2NODE);
  });

  it('2socket-cxl: one IOAPIC per socket, one e820 System RAM over both sockets above 4 GiB', () => {
    const k = boot('2socket-cxl');
    const lines = parse(k.fs.readFile('proc/iomem'));
    expect(lines.filter((l) => l.name.startsWith('IOAPIC')).map((l) => l.name)).toEqual(['IOAPIC 0', 'IOAPIC 1']);
    const top = lines.filter((l) => l.depth === 0 && l.start >= 2 ** 32);
    expect(top.map((l) => l.name)).toEqual(['System RAM', 'CXL Window 0']);
    const node1 = k.layout.ram.find((r) => r.nid === 1)!;
    expect(top[0]).toMatchObject({ start: 2 ** 32, end: node1.end });
  });

  describe.each(['cxl-2node', '2socket-cxl', 'epyc-2node-256g'])('%s layout', (preset) => {
    const k = boot(preset);
    const lines = parse(k.fs.readFile('proc/iomem'));

    it('siblings are sorted and non-overlapping, children nest inside their parent', () => {
      const stack: Line[] = []; // the ancestors of the current line
      const lastChild = new Map<Line | undefined, Line>(); // previous sibling, by parent
      for (const l of lines) {
        expect(l.start).toBeLessThanOrEqual(l.end);
        expect(l.depth).toBeLessThanOrEqual(stack.length); // no level is skipped
        stack.length = l.depth;
        const parent = stack[stack.length - 1];
        if (parent) {
          expect(l.start).toBeGreaterThanOrEqual(parent.start);
          expect(l.end).toBeLessThanOrEqual(parent.end);
        }
        const prev = lastChild.get(parent);
        if (prev) expect(l.start, l.name).toBeGreaterThan(prev.end);
        lastChild.set(parent, l);
        stack.push(l);
      }
    });

    it('System RAM totals the memory blocks minus the firmware holes', () => {
      const ramBytes = lines
        .filter((l) => l.name === 'System RAM' || l.name === 'System RAM (kmem)')
        .reduce((s, l) => s + (l.end - l.start + 1), 0);
      const blockBytes = k.layout.blocks.length * k.layout.blockBytes;
      const holes = LOW_RESERVED.reduce((s, r) => s + (r.end - r.start + 1), 0);
      expect(ramBytes).toBe(blockBytes - holes);
    });

    it('every CXL range is the Window > region > dax > System RAM (kmem) chain', () => {
      const cxl = k.layout.ram.filter((r) => r.kind === 'cxl');
      expect(cxl.length).toBeGreaterThan(0);
      for (const r of cxl) {
        const n = r.cxlIndex;
        const chain = lines.filter((l) => l.start === r.start && l.end === r.end);
        expect(chain.map((l) => [l.depth, l.name])).toEqual([
          [0, `CXL Window ${n}`], [1, `region${n}`], [2, `dax${n}.0`], [3, 'System RAM (kmem)'],
        ]);
      }
    });

    it('the kernel image sits under the first System RAM above 1 MiB', () => {
      const i = lines.findIndex((l) => l.name === 'Kernel code');
      expect(lines[i - 1]).toMatchObject({ depth: 0, start: 0x100000, name: 'System RAM' });
      expect(lines.slice(i, i + 4).map((l) => [l.depth, l.name])).toEqual([
        [1, 'Kernel code'], [1, 'Kernel rodata'], [1, 'Kernel data'], [1, 'Kernel bss'],
      ]);
    });
  });
});
