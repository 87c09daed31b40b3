// Zones (include/linux/mmzone.h struct zone) and how the kernel sizes their reserves:
// mm/page_alloc.c calculate_min_free_kbytes, __setup_per_zone_wmarks (min/low/high/promo),
// setup_per_zone_lowmem_reserve, calculate_totalreserve_pages, zone_batchsize/zone_highsize
// (per-cpu pagesets), mm/khugepaged.c set_recommended_min_free_kbytes, and mm/vmstat.c
// calculate_normal_threshold / calculate_pressure_threshold.
//
// A zone here is the set of online memory blocks of one node onlined into one zone type; block 0
// on x86 spans DMA and DMA32 and counts in both. The free-page counter of each zone is the
// kernel's NR_FREE_PAGES zone counter, kept by the page allocator.
import { PAGE_SIZE } from '../config/machine.js';
import { HIGH_MEMORY_START, KERNEL_IMAGE, LOW_RESERVED, ZONE_DMA_END, type MemoryBlock, type ZoneType } from './memblock.js';

/** enum zone_type (x86_64 distro build: CONFIG_ZONE_DMA, DMA32, ZONE_DEVICE): MAX_NR_ZONES = 5. */
export const ZONE_NAMES = ['DMA', 'DMA32', 'Normal', 'Movable', 'Device'] as const;
export type ZoneName = (typeof ZONE_NAMES)[number];
export const MAX_NR_ZONES = ZONE_NAMES.length;
export const ZONE_NORMAL = 2;
export const ZONE_MOVABLE = 3;

/** enum zone_watermarks: WMARK_MIN, WMARK_LOW, WMARK_HIGH, WMARK_PROMO. */
export const WMARK_NAMES = ['min', 'low', 'high', 'promo'] as const;
export type WmarkName = (typeof WMARK_NAMES)[number];

/** sysctl_lowmem_reserve_ratio defaults, per zone (vm.lowmem_reserve_ratio: 256 256 32 0 0). */
export const LOWMEM_RESERVE_RATIO = [256, 256, 32, 0, 0] as const;
/** vm.watermark_scale_factor default: the low-min and high-low gaps are 0.1% of the zone. */
export const DEFAULT_WATERMARK_SCALE_FACTOR = 10;
export const SWAP_CLUSTER_MAX = 32;
/** x86_64: pageblock_order = HPAGE_PMD_ORDER (2 MiB). */
export const PAGEBLOCK_NR_PAGES = 512;
const MIGRATE_PCPTYPES = 3;
/** percpu_pagelist_high_fraction's floor, the default used for pcp->high_max. */
const MIN_PERCPU_PAGELIST_HIGH_FRACTION = 8;

const PFN_DMA_END = ZONE_DMA_END / PAGE_SIZE;
const PFN_4G = HIGH_MEMORY_START / PAGE_SIZE;
/** [lo, hi) pfn limits of the kernel zones (arch_zone_{lowest,highest}_possible_pfn). */
const ARCH_ZONE_LIMITS: Partial<Record<ZoneName, [number, number]>> = {
  DMA: [0, PFN_DMA_END],
  DMA32: [PFN_DMA_END, PFN_4G],
  Normal: [PFN_4G, Number.MAX_SAFE_INTEGER],
};

export class Zone {
  /** Online blocks with pages in this zone, by address. */
  blocks: MemoryBlock[] = [];
  startPfn = 0;
  spannedPages = 0;
  presentPages = 0;
  managedPages = 0;
  /** NR_FREE_PAGES. */
  freePages = 0;
  /** Index in `blocks` where single-page allocations look first (a free-list head). */
  cursor = 0;
  /** _watermark[], by enum zone_watermarks. */
  readonly watermark = [0, 0, 0, 0];
  /** lowmem_reserve[]: pages kept from allocations whose highest usable zone is the index. */
  readonly lowmemReserve: number[] = new Array<number>(MAX_NR_ZONES).fill(0);

  constructor(
    readonly nid: number,
    readonly idx: number,
  ) {}

  get name(): ZoneName {
    return ZONE_NAMES[this.idx]!;
  }

  /** populated_zone(): the zone has present pages. */
  get populated(): boolean {
    return this.presentPages > 0;
  }

  /** managed_zone(): the buddy allocator manages pages here. */
  get managed(): boolean {
    return this.managedPages > 0;
  }

  wmark(mark: WmarkName): number {
    return this.watermark[WMARK_NAMES.indexOf(mark)]!;
  }

  /**
   * __zone_watermark_ok for order 0 without ALLOC_HARDER/HIGH: the zone may hand out a page
   * while its free pages stay above `mark` plus the reserve kept from `highestZoneIdx` requests.
   */
  watermarkOk(mark: number, highestZoneIdx: number, freePages = this.freePages): boolean {
    return freePages > mark + this.lowmemReserve[highestZoneIdx]!;
  }
}

/** Pages of [lo, hi] (inclusive bytes) that touch [start, end]. */
function pagesOverlapping(start: number, end: number, lo: number, hi: number): number {
  const s = Math.max(start, lo);
  const e = Math.min(end, hi);
  return s > e ? 0 : Math.floor(e / PAGE_SIZE) - Math.floor(s / PAGE_SIZE) + 1;
}

const KERNEL_IMAGE_RANGE = { start: KERNEL_IMAGE[0]!.start, end: KERNEL_IMAGE[KERNEL_IMAGE.length - 1]!.end };

/** One zone's share of a block: first present pfn, end pfn, present and managed pages. */
interface ZonePart {
  readonly zone: ZoneType;
  readonly firstPfn: number;
  readonly endPfn: number;
  readonly present: number;
  readonly managed: number;
}

/**
 * The zone shares of an online block. Firmware holes (e820 reserved, LOW_RESERVED) are not
 * present; the kernel image is present but never managed. Block 0 on x86 splits at 16 MiB.
 */
export function blockZoneParts(b: MemoryBlock): ZonePart[] {
  const part = (zone: ZoneType, lo: number, hi: number): ZonePart => {
    const loB = lo * PAGE_SIZE;
    const hiB = hi * PAGE_SIZE - 1;
    let holes = 0;
    let first = lo;
    for (const r of LOW_RESERVED) {
      holes += pagesOverlapping(r.start, r.end, loB, hiB);
      if (Math.floor(r.start / PAGE_SIZE) <= first && Math.floor(r.end / PAGE_SIZE) >= first) first = Math.floor(r.end / PAGE_SIZE) + 1;
    }
    const image = pagesOverlapping(KERNEL_IMAGE_RANGE.start, KERNEL_IMAGE_RANGE.end, loB, hiB);
    const present = hi - lo - holes;
    return { zone, firstPfn: first, endPfn: hi, present, managed: present - image };
  };
  const end = b.startPfn + b.nrPages;
  if (!b.spansZones) return [part(b.zone, b.startPfn, end)];
  return [part('DMA', b.startPfn, PFN_DMA_END), part(b.zone, PFN_DMA_END, end)];
}

/** The zone index a block's pages are counted in (a spanning block: its upper zone, DMA32). */
export function zoneIdxOfBlock(b: MemoryBlock): number {
  return ZONE_NAMES.indexOf(b.zone);
}

const dmaManagedCache = new WeakMap<MemoryBlock, number>();

/** Managed pages of a spanning block that belong to ZONE_DMA (0 for any other block). */
export function dmaManagedPages(b: MemoryBlock): number {
  if (!b.spansZones) return 0;
  let n = dmaManagedCache.get(b);
  if (n === undefined) dmaManagedCache.set(b, (n = blockZoneParts(b)[0]!.managed));
  return n;
}

/** How a spanning block's free pages split: DMA keeps its pages longest (it is tried last). */
export function dmaFreeShare(b: MemoryBlock, freePages: number): number {
  return Math.min(dmaManagedPages(b), freePages);
}

/** Build every node's zones from the online blocks (free_area_init + online_pages/offline_pages). */
export function buildZones(nids: readonly number[], blocksOf: (nid: number) => readonly MemoryBlock[]): Map<number, Zone[]> {
  const out = new Map<number, Zone[]>();
  for (const nid of nids) {
    const zones = ZONE_NAMES.map((_, i) => new Zone(nid, i));
    const first = new Array<number>(MAX_NR_ZONES).fill(Infinity);
    const last = new Array<number>(MAX_NR_ZONES).fill(0);
    let nodeEnd = 0;
    for (const b of blocksOf(nid)) {
      if (!b.online) continue;
      for (const p of blockZoneParts(b)) {
        const z = zones[ZONE_NAMES.indexOf(p.zone)]!;
        z.blocks.push(b);
        z.presentPages += p.present;
        z.managedPages += p.managed;
        first[z.idx] = Math.min(first[z.idx]!, p.firstPfn);
        last[z.idx] = Math.max(last[z.idx]!, p.endPfn);
        if (p.zone !== 'Movable') nodeEnd = Math.max(nodeEnd, p.endPfn);
        z.freePages += p.zone === 'DMA' ? dmaFreeShare(b, b.freePages) : b.spansZones ? b.freePages - dmaFreeShare(b, b.freePages) : b.freePages;
      }
    }
    for (const z of zones) {
      if (z.blocks.length === 0) continue;
      const limits = ARCH_ZONE_LIMITS[z.name];
      // A kernel zone spans from its first present page to the zone limit or the node's end
      // (holes such as the PCI hole included); ZONE_MOVABLE spans its onlined range.
      const end = limits ? Math.min(limits[1], Math.max(nodeEnd, last[z.idx]!)) : last[z.idx]!;
      z.startPfn = first[z.idx]!;
      z.spannedPages = end - z.startPfn;
    }
    out.set(nid, zones);
  }
  return out;
}

/** The tunables and derived state of the watermark setup. */
export class WatermarkParams {
  /** vm.min_free_kbytes. */
  minFreeKbytes = 1024;
  /** user_min_free_kbytes: -1 until written through the sysctl. */
  userMinFreeKbytes = -1;
  /** vm.watermark_scale_factor. */
  watermarkScaleFactor = DEFAULT_WATERMARK_SCALE_FACTOR;
  /** totalreserve_pages: high watermarks plus lowmem reserves, never handed out. */
  totalreservePages = 0;
}

function allZones(zones: Map<number, Zone[]>): Zone[] {
  return [...zones.values()].flat();
}

/** nr_free_buffer_pages(): managed pages above the high watermark in zones ≤ ZONE_NORMAL. */
function nrFreeBufferPages(zones: Map<number, Zone[]>): number {
  let n = 0;
  for (const z of allZones(zones)) if (z.idx <= ZONE_NORMAL) n += Math.max(0, z.managedPages - z.wmark('high'));
  return n;
}

/** calculate_min_free_kbytes(): sqrt(lowmem kB × 16) within [128, 262144], unless the user's value is larger. */
function calculateMinFreeKbytes(zones: Map<number, Zone[]>, p: WatermarkParams): void {
  const lowmemKb = nrFreeBufferPages(zones) * (PAGE_SIZE / 1024);
  const next = Math.floor(Math.sqrt(lowmemKb * 16));
  if (next > p.userMinFreeKbytes) p.minFreeKbytes = Math.min(Math.max(next, 128), 262144);
}

/** __setup_per_zone_wmarks() + calculate_totalreserve_pages(). */
export function setupPerZoneWmarks(zones: Map<number, Zone[]>, p: WatermarkParams): void {
  const pagesMin = Math.floor(p.minFreeKbytes / (PAGE_SIZE / 1024));
  let lowmemPages = 0;
  for (const z of allZones(zones)) if (z.idx !== ZONE_MOVABLE) lowmemPages += z.managedPages;
  for (const z of allZones(zones)) {
    const m = z.managedPages;
    const tmp = lowmemPages === 0 ? 0 : Math.floor((pagesMin * m) / lowmemPages);
    // ZONE_MOVABLE (like highmem) only gets a token minimum: clamp(managed / 1024, 32, 128).
    const min = z.idx === ZONE_MOVABLE ? Math.min(Math.max(Math.floor(m / 1024), SWAP_CLUSTER_MAX), 128) : tmp;
    const step = Math.max(tmp >> 2, Math.floor((m * p.watermarkScaleFactor) / 10000));
    z.watermark[0] = min;
    z.watermark[1] = min + step;
    z.watermark[2] = min + 2 * step;
    z.watermark[3] = min + 3 * step;
  }
  calculateTotalreservePages(zones, p);
}

/** setup_per_zone_lowmem_reserve(). */
export function setupPerZoneLowmemReserve(zones: Map<number, Zone[]>, p: WatermarkParams): void {
  for (const nodeZones of zones.values()) {
    for (let i = 0; i < MAX_NR_ZONES - 1; i++) {
      const z = nodeZones[i]!;
      const ratio = LOWMEM_RESERVE_RATIO[i]!;
      const clear = ratio === 0 || z.managedPages === 0;
      let upper = 0;
      for (let j = i + 1; j < MAX_NR_ZONES; j++) {
        upper += nodeZones[j]!.managedPages;
        z.lowmemReserve[j] = clear ? 0 : Math.floor(upper / ratio);
      }
    }
  }
  calculateTotalreservePages(zones, p);
}

function calculateTotalreservePages(zones: Map<number, Zone[]>, p: WatermarkParams): void {
  let total = 0;
  for (const z of allZones(zones)) {
    let max = 0;
    for (let j = z.idx; j < MAX_NR_ZONES; j++) max = Math.max(max, z.lowmemReserve[j]!);
    total += Math.min(max + z.wmark('high'), z.managedPages);
  }
  p.totalreservePages = total;
}

/**
 * set_recommended_min_free_kbytes() with THP enabled: 2 + MIGRATE_PCPTYPES² pageblocks per
 * populated zone up to ZONE_NORMAL, at most 5% of lowmem; raises min_free_kbytes only.
 */
function setRecommendedMinFreeKbytes(zones: Map<number, Zone[]>, p: WatermarkParams): void {
  let nrZones = 0;
  for (const z of allZones(zones)) if (z.populated && z.idx <= ZONE_NORMAL) nrZones++;
  const recommendedPages = Math.min(
    PAGEBLOCK_NR_PAGES * nrZones * (2 + MIGRATE_PCPTYPES * MIGRATE_PCPTYPES),
    Math.floor(nrFreeBufferPages(zones) / 20),
  );
  const recommendedKb = recommendedPages * (PAGE_SIZE / 1024);
  if (recommendedKb > p.minFreeKbytes) p.minFreeKbytes = recommendedKb;
  setupPerZoneWmarks(zones, p);
}

/**
 * init_per_zone_wmark_min(): at boot (postcore initcall, then khugepaged's start raises it) and
 * after every memory online/offline.
 */
export function initPerZoneWmarkMin(zones: Map<number, Zone[]>, p: WatermarkParams): void {
  calculateMinFreeKbytes(zones, p);
  setupPerZoneWmarks(zones, p);
  setupPerZoneLowmemReserve(zones, p);
  setRecommendedMinFreeKbytes(zones, p);
}

/** zone_batchsize() as zone_set_pageset_high_and_batch uses it (at least 1). */
export function zoneBatchsize(z: Zone): number {
  let batch = Math.min(z.managedPages >> 10, (1024 * 1024) / PAGE_SIZE);
  batch = Math.floor(batch / 4);
  if (batch < 1) batch = 1;
  const x = batch + Math.floor(batch / 2);
  batch = 2 ** Math.floor(Math.log2(x)) - 1; // rounddown_pow_of_two(...) - 1
  return Math.max(1, batch);
}

/**
 * zone_highsize(): pcp->high_min from the low watermark, pcp->high_max from managed/8, split
 * over the node's CPUs (all online CPUs for a CPU-less node), at least 4 batches.
 */
export function zoneHighsize(z: Zone, batch: number, nodeCpus: number, onlineCpus: number, fraction: number): number {
  const total = fraction === 0 ? z.wmark('low') : Math.floor(z.managedPages / fraction);
  const split = nodeCpus > 0 ? nodeCpus : onlineCpus;
  return Math.max(Math.floor(total / split), batch << 2);
}

/** The per-cpu pageset limits of a zone: batch, high_min, high_max. */
export function zonePageset(z: Zone, nodeCpus: number, onlineCpus: number): { batch: number; highMin: number; highMax: number } {
  const batch = zoneBatchsize(z);
  return {
    batch,
    highMin: zoneHighsize(z, batch, nodeCpus, onlineCpus, 0),
    highMax: zoneHighsize(z, batch, nodeCpus, onlineCpus, MIN_PERCPU_PAGELIST_HIGH_FRACTION),
  };
}

function fls(x: number): number {
  return x <= 0 ? 0 : Math.floor(Math.log2(x)) + 1;
}

/** calculate_normal_threshold(): the per-cpu vmstat drift allowed while kswapd sleeps. */
export function normalThreshold(z: Zone, onlineCpus: number): number {
  const mem = Math.floor(z.managedPages / ((1 << 27) / PAGE_SIZE)); // 128 MiB units
  return Math.min(125, 2 * fls(onlineCpus) * (1 + fls(mem)));
}

/** calculate_pressure_threshold(): the smaller drift used while the node's kswapd is awake. */
export function pressureThreshold(z: Zone, onlineCpus: number): number {
  const distance = z.wmark('low') - z.wmark('min');
  return Math.min(125, Math.max(1, Math.floor(distance / onlineCpus)));
}
