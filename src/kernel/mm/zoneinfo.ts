// /proc/zoneinfo as Linux 6.18 prints it (mm/vmstat.c zoneinfo_show / zoneinfo_show_print):
// every zone of every online node, populated or not; the node's counters under its first
// populated zone; watermarks, spans and lowmem protection; the zone counters and NUMA events,
// the per-cpu pagesets of every online CPU, node_unreclaimable and start_pfn for populated zones.
import { seqFile } from '../../kernfs/index.js';
import type { Kernel } from '../kernel.js';
import { procDir } from '../sysctl/kernel_table.js';
import { dmaFreeShare, normalThreshold, PAGEBLOCK_NR_PAGES, pressureThreshold, zonePageset, type Zone } from './mmzone.js';
import { NODE_STAT_NAMES, NUMA_EVENT_NAMES, ZONE_STAT_NAMES } from './vmstat.js';

/** "\n      %-12s %lu": one counter line. */
function stat(name: string, value: number): string {
  return `\n      ${name.padEnd(12)} ${Math.max(0, value)}`;
}

/** NR_FREE_PAGES_BLOCKS of a zone: free pages in whole free pageblocks, block by block. */
function zoneFreeBlocks(z: Zone): number {
  let n = 0;
  for (const b of z.blocks) {
    const dma = dmaFreeShare(b, b.freePages);
    const share = !b.spansZones ? b.freePages : z.name === 'DMA' ? dma : b.freePages - dma;
    n += Math.floor(share / PAGEBLOCK_NR_PAGES) * PAGEBLOCK_NR_PAGES;
  }
  return n;
}

function zoneCounter(k: Kernel, z: Zone, name: string): number {
  if (name === 'nr_free_pages') return z.freePages;
  if (name === 'nr_free_pages_blocks') return zoneFreeBlocks(z);
  return k.vm.zone(z.nid, z.idx, name);
}

/** One zone's record (zoneinfo_show_print). */
export function zoneText(k: Kernel, z: Zone, firstPopulated: boolean): string {
  let out = `Node ${z.nid}, zone ${z.name.padStart(8)}`;
  if (firstPopulated) {
    out += '\n  per-node stats';
    for (const name of NODE_STAT_NAMES) out += stat(name, k.vm.node(z.nid, name));
  }
  out +=
    `\n  pages free     ${z.freePages}` +
    `\n        boost    0` + // watermark_boost: no fragmentation events are modelled
    `\n        min      ${z.wmark('min')}` +
    `\n        low      ${z.wmark('low')}` +
    `\n        high     ${z.wmark('high')}` +
    `\n        promo    ${z.wmark('promo')}` +
    `\n        spanned  ${z.spannedPages}` +
    `\n        present  ${z.presentPages}` +
    `\n        managed  ${z.managedPages}` +
    `\n        cma      0` +
    `\n        protection: (${z.lowmemReserve.join(', ')})`;
  if (!z.populated) return `${out}\n`;
  for (const name of ZONE_STAT_NAMES) out += stat(name, zoneCounter(k, z, name));
  for (const name of NUMA_EVENT_NAMES) out += stat(name, k.vm.zone(z.nid, z.idx, name));
  out += '\n  pagesets';
  const onlineCpus = k.numa.nrCpuIds;
  const pcp = zonePageset(z, k.numa.cpusOf(z.nid).length, onlineCpus);
  // While the node's kswapd is awake the per-cpu drift threshold is the pressure one.
  const threshold = k.kswapd.isAwake(z.nid) ? pressureThreshold(z, onlineCpus) : normalThreshold(z, onlineCpus);
  const cpu =
    `\n              count:    0` + // pages are not kept on per-cpu lists here
    `\n              high:     ${pcp.highMin}` +
    `\n              batch:    ${pcp.batch}` +
    `\n              high_min: ${pcp.highMin}` +
    `\n              high_max: ${pcp.highMax}` +
    `\n  vm stats threshold: ${threshold}`;
  for (let c = 0; c < onlineCpus; c++) out += `\n    cpu: ${c}${cpu}`;
  out += `\n  node_unreclaimable:  ${k.kswapd.nodeUnreclaimable(z.nid) ? 1 : 0}` + `\n  start_pfn:           ${z.startPfn}\n`;
  return out;
}

/** The /proc/zoneinfo text. */
export function zoneinfoText(k: Kernel): string {
  let out = '';
  for (const nid of k.numa.online) {
    const zones = k.alloc.zones(nid);
    const first = zones.find((z) => z.populated);
    for (const z of zones) out += zoneText(k, z, z === first);
  }
  return out;
}

export function registerZoneinfo(k: Kernel): void {
  procDir(k).set('zoneinfo', seqFile(0o444, () => zoneinfoText(k)));
}
