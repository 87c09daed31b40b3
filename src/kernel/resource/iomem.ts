// /proc/iomem: the physical address map as kernel/resource.c shows it (r_show), filled the way
// arch/x86/kernel/e820.c (System RAM, Reserved, kernel image), the legacy ROM probe, ACPI/PCI
// (PCI Bus, ECAM, IOAPIC, HPET, Local APIC) and CXL (drivers/cxl/acpi.c windows, core/region.c
// regions, drivers/dax/kmem.c "System RAM (kmem)") insert their resources.
import { seqFile } from '../../kernfs/index.js';
import type { Kernel } from '../kernel.js';
import { KERNEL_IMAGE, LOW_RESERVED, PCI_HOLE_START, type RamRange } from '../mm/memblock.js';
import { procDir } from '../sysctl/kernel_table.js';
import { ResourceTree, formatResources } from './resource.js';

/** Legacy ROMs found by probe_roms() in the reserved area below 1 MiB. */
const LEGACY_ROMS: readonly { start: number; end: number; name: string }[] = [
  { start: 0x000c0000, end: 0x000c7fff, name: 'Video ROM' },
  { start: 0x000f0000, end: 0x000fffff, name: 'System ROM' },
];

/** The 32-bit PCI window runs from the end of low RAM to just below the IOAPIC. */
const PCI_WINDOW_END = 0xfebfffff;
/** MMCONFIG for buses 00-ff: 256 MiB from the ACPI MCFG table. */
const PCI_ECAM = { start: 0xe0000000, end: 0xefffffff, name: 'PCI ECAM 0000 [bus 00-ff]' };
const IOAPIC_BASE = 0xfec00000;
const IOAPIC_STRIDE = 0x1000;
const IOAPIC_SIZE = 0x400;
const HPET = { start: 0xfed00000, end: 0xfed003ff };
const LOCAL_APIC = { start: 0xfee00000, end: 0xfee00fff };
/** BIOS flash mapped at the top of the 32-bit space, reserved in e820. */
const BIOS_FLASH = { start: 0xfffc0000, end: 0xffffffff };

/**
 * The boot RAM as e820 lists it: firmware reports contiguous DRAM as one entry whatever nodes
 * it spans (the SRAT, not e820, splits it into nodes), so adjacent DRAM ranges merge.
 */
function e820Ram(ram: readonly RamRange[]): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  for (const r of ram) {
    if (r.kind !== 'dram') continue;
    const last = out[out.length - 1];
    if (last !== undefined && last.end + 1 === r.start) last.end = r.end;
    else out.push({ start: r.start, end: r.end });
  }
  return out;
}

/** `r` minus the firmware-reserved ranges: the System RAM pieces e820 reports. */
function ramPieces(r: { start: number; end: number }): Array<{ start: number; end: number }> {
  let pieces = [{ start: r.start, end: r.end }];
  for (const res of LOW_RESERVED) {
    pieces = pieces.flatMap((p) => {
      if (res.end < p.start || res.start > p.end) return [p];
      const out: Array<{ start: number; end: number }> = [];
      if (p.start < res.start) out.push({ start: p.start, end: res.start - 1 });
      if (res.end < p.end) out.push({ start: res.end + 1, end: p.end });
      return out;
    });
  }
  return pieces;
}

/**
 * The resource tree of the booted machine, from k.layout (the e820 map and CXL windows).
 * Offlining a memory block leaves it untouched: only remove_memory() releases the
 * "System RAM (kmem)" resource, and the simulator never removes memory.
 */
export function buildIomemTree(k: Kernel): ResourceTree {
  const tree = new ResourceTree();
  const ram = [...k.layout.ram].sort((a, b) => a.start - b.start);

  // e820: reserved firmware ranges and System RAM, then the kernel image inside System RAM.
  for (const res of LOW_RESERVED) tree.insert(res.start, res.end, res.name);
  const systemRam: Array<{ start: number; end: number }> = [];
  for (const r of e820Ram(ram)) {
    for (const p of ramPieces(r)) {
      tree.insert(p.start, p.end, 'System RAM');
      systemRam.push(p);
    }
  }
  for (const sec of KERNEL_IMAGE) {
    if (systemRam.some((p) => p.start <= sec.start && sec.end <= p.end)) tree.insert(sec.start, sec.end, sec.name);
  }
  for (const rom of LEGACY_ROMS) tree.insert(rom.start, rom.end, rom.name);

  // The 32-bit PCI hole: host bridge window, ECAM, interrupt controllers, timers, BIOS flash.
  tree.insert(PCI_HOLE_START, PCI_WINDOW_END, 'PCI Bus 0000:00');
  tree.insert(PCI_ECAM.start, PCI_ECAM.end, PCI_ECAM.name);
  // One IOAPIC per CPU socket, as ACPI MADT lists them on multi-socket x86 servers.
  const sockets = k.config.nodes.filter((n) => n.cpus.length > 0).length;
  for (let i = 0; i < sockets; i++) {
    const start = IOAPIC_BASE + i * IOAPIC_STRIDE;
    tree.insert(start, start + IOAPIC_SIZE - 1, `IOAPIC ${i}`);
  }
  tree.insert(HPET.start, HPET.end, 'HPET 0');
  tree.insert(HPET.start, HPET.end, 'PNP0103:00');
  tree.insert(LOCAL_APIC.start, LOCAL_APIC.end, 'Local APIC');
  tree.insert(BIOS_FLASH.start, BIOS_FLASH.end, 'Reserved');

  // CXL: CFMWS window > region > dax device > the memory dax/kmem hot-added.
  for (const r of ram) {
    if (r.kind !== 'cxl') continue;
    const n = r.cxlIndex ?? 0;
    tree.insert(r.start, r.end, `CXL Window ${n}`);
    tree.insert(r.start, r.end, `region${n}`);
    tree.insert(r.start, r.end, `dax${n}.0`);
    tree.insert(r.start, r.end, 'System RAM (kmem)');
  }
  return tree;
}

/** The /proc/iomem text as root reads it. */
export function iomemText(k: Kernel): string {
  return formatResources(buildIomemTree(k));
}

export function registerIomem(k: Kernel): void {
  // Content follows k.layout.ram, which memory offlining does not change (see buildIomemTree).
  procDir(k).set('iomem', seqFile(0o444, () => iomemText(k)));
}
