// /proc/vmstat, nodeN/vmstat and nodeN/numastat as Linux 6.18 prints them: mm/vmstat.c
// (vmstat_text, vmstat_show, the zone watermarks /proc/zoneinfo shows), drivers/base/node.c
// (node_read_vmstat, node_read_numastat), mm/page_alloc.c (watermarks, totalreserve_pages) and
// mm/page-writeback.c (global_dirty_limits).
//
// The simulated build: x86_64, CONFIG_NUMA, CONFIG_NUMA_BALANCING, CONFIG_TRANSPARENT_HUGEPAGE,
// CONFIG_ZSWAP, CONFIG_KSM, CONFIG_MEMORY_BALLOON, no CONFIG_CMA alloc events, no
// CONFIG_UNACCEPTED_MEMORY (the same line set as the 6.18 reference host), plus
// CONFIG_DEBUG_TLBFLUSH so the nr_tlb_* events exist for the TLB-flush cost model, and the
// kmmscand RFC V0 (CONFIG_KMMSCAND with its patch 10 overhead counters).
//
// Counters live in k.vm under the name vmstat prints and in the unit it prints: pages, except
// nr_kernel_stack (kB) and the *_hugepages / *_pmdmapped THP counters (huge pages).
import createDebug from 'debug';
import { seqFile } from '../../kernfs/index.js';
import { PAGE_SIZE } from '../config/machine.js';
import type { Kernel } from '../kernel.js';
import { procDir } from '../sysctl/kernel_table.js';
import { PAGEBLOCK_NR_PAGES, type ZoneName } from './mmzone.js';

const trace = createDebug('tiersim:vmstat');

// ---------------------------------------------------------------------------------------------
// The names, in vmstat_text order.

/** enum zone_stat_item: summed over a node's zones in nodeN/vmstat. */
export const ZONE_STAT_NAMES = [
  'nr_free_pages', 'nr_free_pages_blocks', 'nr_zone_inactive_anon', 'nr_zone_active_anon',
  'nr_zone_inactive_file', 'nr_zone_active_file', 'nr_zone_unevictable', 'nr_zone_write_pending',
  'nr_mlock', 'nr_zspages', 'nr_free_cma',
] as const;

/** enum numa_stat_item: page-allocator placement events (zone_statistics). */
export const NUMA_EVENT_NAMES = [
  'numa_hit', 'numa_miss', 'numa_foreign', 'numa_interleave', 'numa_local', 'numa_other',
] as const;

/** enum node_stat_item. pgpromote_* and pgdemote_* are node counters in 6.18. */
export const NODE_STAT_NAMES = [
  'nr_inactive_anon', 'nr_active_anon', 'nr_inactive_file', 'nr_active_file', 'nr_unevictable',
  'nr_slab_reclaimable', 'nr_slab_unreclaimable', 'nr_isolated_anon', 'nr_isolated_file',
  'workingset_nodes', 'workingset_refault_anon', 'workingset_refault_file',
  'workingset_activate_anon', 'workingset_activate_file', 'workingset_restore_anon',
  'workingset_restore_file', 'workingset_nodereclaim', 'nr_anon_pages', 'nr_mapped',
  'nr_file_pages', 'nr_dirty', 'nr_writeback', 'nr_shmem', 'nr_shmem_hugepages',
  'nr_shmem_pmdmapped', 'nr_file_hugepages', 'nr_file_pmdmapped', 'nr_anon_transparent_hugepages',
  'nr_vmscan_write', 'nr_vmscan_immediate_reclaim', 'nr_dirtied', 'nr_written',
  'nr_throttled_written', 'nr_kernel_misc_reclaimable', 'nr_foll_pin_acquired',
  'nr_foll_pin_released', 'nr_kernel_stack', 'nr_page_table_pages', 'nr_sec_page_table_pages',
  'nr_iommu_pages', 'nr_swapcached', 'pgpromote_success', 'pgpromote_candidate',
  'pgpromote_candidate_nrl', 'pgdemote_kswapd', 'pgdemote_direct', 'pgdemote_khugepaged',
  'pgdemote_proactive', 'nr_hugetlb', 'nr_balloon_pages', 'nr_kernel_file_pages',
] as const;

/** enum vm_stat_item: global figures computed at read time or kept globally. */
export const VM_STAT_NAMES = [
  'nr_dirty_threshold', 'nr_dirty_background_threshold', 'nr_memmap_pages', 'nr_memmap_boot_pages',
] as const;

/** enum vm_event_item (CONFIG_VM_EVENT_COUNTERS): global events, bumped with countEvent(). */
export const VM_EVENT_NAMES = [
  'pgpgin', 'pgpgout', 'pswpin', 'pswpout', 'pgalloc_dma', 'pgalloc_dma32', 'pgalloc_normal',
  'pgalloc_movable', 'pgalloc_device', 'allocstall_dma', 'allocstall_dma32', 'allocstall_normal',
  'allocstall_movable', 'allocstall_device', 'pgskip_dma', 'pgskip_dma32', 'pgskip_normal',
  'pgskip_movable', 'pgskip_device', 'pgfree', 'pgactivate', 'pgdeactivate', 'pglazyfree',
  'pgfault', 'pgmajfault', 'pglazyfreed', 'pgrefill', 'pgreuse', 'pgsteal_kswapd',
  'pgsteal_direct', 'pgsteal_khugepaged', 'pgsteal_proactive', 'pgscan_kswapd', 'pgscan_direct',
  'pgscan_khugepaged', 'pgscan_proactive', 'pgscan_direct_throttle', 'pgscan_anon', 'pgscan_file',
  'pgsteal_anon', 'pgsteal_file', 'zone_reclaim_success', 'zone_reclaim_failed', 'pginodesteal',
  'slabs_scanned', 'kswapd_inodesteal', 'kswapd_low_wmark_hit_quickly',
  'kswapd_high_wmark_hit_quickly', 'pageoutrun', 'pgrotated', 'drop_pagecache', 'drop_slab',
  'oom_kill', 'numa_pte_updates', 'numa_huge_pte_updates', 'numa_hint_faults',
  'numa_hint_faults_local', 'numa_pages_migrated',
  // kmmscand RFC V0 (CONFIG_KMMSCAND): patch 10's experimental overhead counters (µs of jiffies
  // deltas) around the NUMA events, and patch 08's nr_kmmscand_* right after them.
  'numa_task_work_oh', 'numa_hf_migration_oh',
  'nr_kmmscand_mm_scans', 'nr_kmmscand_vma_scans', 'nr_kmmscand_migadded', 'nr_kmmscand_migrated',
  'nr_kmmscand_migrate_failed', 'nr_kmmscand_slowtier', 'nr_kmmscand_toptier',
  'nr_kmmscand_idlepage', 'kmmscand_scan_oh', 'kmmscand_migration_oh',
  'pgmigrate_success', 'pgmigrate_fail',
  'thp_migration_success', 'thp_migration_fail', 'thp_migration_split', 'compact_migrate_scanned',
  'compact_free_scanned', 'compact_isolated', 'compact_stall', 'compact_fail', 'compact_success',
  'compact_daemon_wake', 'compact_daemon_migrate_scanned', 'compact_daemon_free_scanned',
  'htlb_buddy_alloc_success', 'htlb_buddy_alloc_fail', 'unevictable_pgs_culled',
  'unevictable_pgs_scanned', 'unevictable_pgs_rescued', 'unevictable_pgs_mlocked',
  'unevictable_pgs_munlocked', 'unevictable_pgs_cleared', 'unevictable_pgs_stranded',
  'thp_fault_alloc', 'thp_fault_fallback', 'thp_fault_fallback_charge', 'thp_collapse_alloc',
  'thp_collapse_alloc_failed', 'thp_file_alloc', 'thp_file_fallback', 'thp_file_fallback_charge',
  'thp_file_mapped', 'thp_split_page', 'thp_split_page_failed', 'thp_deferred_split_page',
  'thp_underused_split_page', 'thp_split_pmd', 'thp_scan_exceed_none_pte',
  'thp_scan_exceed_swap_pte', 'thp_scan_exceed_share_pte', 'thp_split_pud', 'thp_zero_page_alloc',
  'thp_zero_page_alloc_failed', 'thp_swpout', 'thp_swpout_fallback', 'balloon_inflate',
  'balloon_deflate', 'balloon_migrate',
  // CONFIG_DEBUG_TLBFLUSH=y in the simulated build (off in most distro kernels).
  'nr_tlb_remote_flush', 'nr_tlb_remote_flush_received', 'nr_tlb_local_flush_all',
  'nr_tlb_local_flush_one',
  'swap_ra', 'swap_ra_hit', 'swpin_zero', 'swpout_zero',
  'ksm_swpin_copy', 'cow_ksm', 'zswpin', 'zswpout', 'zswpwb', 'direct_map_level2_splits',
  'direct_map_level3_splits', 'direct_map_level2_collapses', 'direct_map_level3_collapses',
] as const;

/** vmstat_show appends deprecated lines after the last item so old parsers keep working. */
export const VMSTAT_LEGACY_NAMES = ['nr_unstable'] as const;

/** Every /proc/vmstat line name, in file order. */
export const VMSTAT_NAMES: readonly string[] = [
  ...ZONE_STAT_NAMES, ...NUMA_EVENT_NAMES, ...NODE_STAT_NAMES, ...VM_STAT_NAMES, ...VM_EVENT_NAMES,
  ...VMSTAT_LEGACY_NAMES,
];

/** Every nodeN/vmstat line name, in file order: no vm events, no dirty thresholds. */
export const NODE_VMSTAT_NAMES: readonly string[] = [...ZONE_STAT_NAMES, ...NUMA_EVENT_NAMES, ...NODE_STAT_NAMES];

// ---------------------------------------------------------------------------------------------
// Zones and watermarks (mm/page_alloc.c, kept by the page allocator: mmzone.ts), which the dirty
// limits and MemAvailable depend on.

/** vm.dirty_ratio and vm.dirty_background_ratio defaults (mm/page-writeback.c). */
const VM_DIRTY_RATIO = 20;
const DIRTY_BACKGROUND_RATIO = 10;
const UINT_MAX = 0xffffffff;

export interface ZoneWatermarks {
  readonly nid: number;
  readonly zone: ZoneName;
  readonly managedPages: number;
  readonly min: number;
  readonly low: number;
  readonly high: number;
  /** WMARK_PROMO: what kswapd keeps free on top-tier nodes in tiering mode. */
  readonly promo: number;
  /** lowmem_reserve[] against allocations that could use higher zones, by zone_idx. */
  readonly lowmemReserve: readonly number[];
}

export interface ZoneReport {
  readonly minFreeKbytes: number;
  readonly zones: readonly ZoneWatermarks[];
  /** totalreserve_pages: high watermarks plus lowmem reserves, never handed out. */
  readonly totalreservePages: number;
}

/** The zone watermarks in force (vm.min_free_kbytes, vm.watermark_scale_factor, hotplug). */
export function zoneWatermarks(k: Kernel): ZoneReport {
  const zones = k.alloc.allZones().map((z) => ({
    nid: z.nid,
    zone: z.name,
    managedPages: z.managedPages,
    min: z.wmark('min'),
    low: z.wmark('low'),
    high: z.wmark('high'),
    promo: z.wmark('promo'),
    lowmemReserve: [...z.lowmemReserve],
  }));
  const p = k.alloc.wmarkParams;
  return { minFreeKbytes: p.minFreeKbytes, zones, totalreservePages: p.totalreservePages };
}

/**
 * global_dirty_limits() for a task that is not realtime, in pages: the dirtyable memory is
 * free pages above totalreserve_pages plus the file LRUs (+1, never 0); domain_dirty_limits()
 * takes dirty_ratio (20%) and dirty_background_ratio (10%) of it, each ratio first scaled to
 * 1/PAGE_SIZE units (ratio * PAGE_SIZE / 100) as the kernel does for precision.
 */
export function globalDirtyLimits(k: Kernel): { thresh: number; bgThresh: number } {
  let free = 0;
  for (const nid of k.numa.online) free += k.alloc.freePages(nid);
  free -= Math.min(free, zoneWatermarks(k).totalreservePages);
  const available = free + k.vm.nodeSum('nr_inactive_file') + k.vm.nodeSum('nr_active_file') + 1;
  const ratio = Math.floor((VM_DIRTY_RATIO * PAGE_SIZE) / 100);
  const bgRatio = Math.floor((DIRTY_BACKGROUND_RATIO * PAGE_SIZE) / 100);
  const thresh = Math.min(Math.floor((ratio * available) / PAGE_SIZE), UINT_MAX);
  let bgThresh = Math.floor((bgRatio * available) / PAGE_SIZE);
  if (bgThresh >= thresh) bgThresh = Math.floor(thresh / 2);
  return { thresh, bgThresh };
}

// ---------------------------------------------------------------------------------------------
// Values.

/**
 * Free pages sitting in whole free pageblocks (NR_FREE_PAGES_BLOCKS). The allocator here
 * takes a block's pages from one end, so a block's free pages are contiguous: count the whole
 * pageblocks they fill.
 */
function freePagesInBlocks(k: Kernel, nid: number): number {
  let n = 0;
  for (const b of k.alloc.blocksOf(nid)) {
    if (b.online) n += Math.floor(b.freePages / PAGEBLOCK_NR_PAGES) * PAGEBLOCK_NR_PAGES;
  }
  return n;
}

/** A zone counter summed over one node's zones. */
function zoneStat(k: Kernel, nid: number, name: string): number {
  switch (name) {
    case 'nr_free_pages': return k.alloc.freePages(nid);
    case 'nr_free_pages_blocks': return freePagesInBlocks(k, nid);
    default: return k.vm.node(nid, name);
  }
}

/** global_zone_page_state / global_node_page_state: the sum over online nodes. */
function globalStat(k: Kernel, name: string): number {
  if (name === 'nr_free_pages' || name === 'nr_free_pages_blocks') {
    let n = 0;
    for (const nid of k.numa.online) n += zoneStat(k, nid, name);
    return n;
  }
  return k.vm.nodeSum(name);
}

/** Per-cpu drift can make a counter read negative in the kernel; it prints the clamp at 0. */
function line(name: string, value: number): string {
  return `${name} ${Math.max(0, value)}\n`;
}

/** The /proc/vmstat text. */
export function vmstatText(k: Kernel): string {
  let out = '';
  for (const name of ZONE_STAT_NAMES) out += line(name, globalStat(k, name));
  for (const name of NUMA_EVENT_NAMES) out += line(name, globalStat(k, name));
  for (const name of NODE_STAT_NAMES) out += line(name, globalStat(k, name));
  const dirty = globalDirtyLimits(k);
  out += line('nr_dirty_threshold', dirty.thresh);
  out += line('nr_dirty_background_threshold', dirty.bgThresh);
  // The memmap (struct page arrays) is not carved out of the simulated RAM: nobody bumps these.
  out += line('nr_memmap_pages', k.vm.event('nr_memmap_pages'));
  out += line('nr_memmap_boot_pages', k.vm.event('nr_memmap_boot_pages'));
  for (const name of VM_EVENT_NAMES) out += line(name, k.vm.event(name));
  for (const name of VMSTAT_LEGACY_NAMES) out += line(name, 0); // printed as a literal 0 by vmstat_show
  trace('vmstat read: %d lines', VMSTAT_NAMES.length);
  return out;
}

/** nodeN/vmstat: zone counters summed over the node's zones, NUMA events, node counters. */
export function nodeVmstatText(k: Kernel, nid: number): string {
  let out = '';
  for (const name of ZONE_STAT_NAMES) out += line(name, zoneStat(k, nid, name));
  for (const name of NUMA_EVENT_NAMES) out += line(name, k.vm.node(nid, name));
  for (const name of NODE_STAT_NAMES) out += line(name, k.vm.node(nid, name));
  return out;
}

/** nodeN/numastat: the NUMA events under their older names, always these six lines. */
export function numastatText(k: Kernel, nid: number): string {
  const v = (name: string) => Math.max(0, k.vm.node(nid, name));
  return (
    `numa_hit ${v('numa_hit')}\n` +
    `numa_miss ${v('numa_miss')}\n` +
    `numa_foreign ${v('numa_foreign')}\n` +
    `interleave_hit ${v('numa_interleave')}\n` +
    `local_node ${v('numa_local')}\n` +
    `other_node ${v('numa_other')}\n`
  );
}

export function registerVmstat(k: Kernel): void {
  procDir(k).set('vmstat', seqFile(0o444, () => vmstatText(k)));
}
