// /proc/meminfo and nodeN/meminfo as Linux 6.18 prints them: fs/proc/meminfo.c
// (meminfo_proc_show, si_mem_available in mm/show_mem.c), drivers/base/node.c
// (node_read_meminfo), mm/hugetlb.c (hugetlb_report_meminfo / _node_meminfo) and
// arch/x86/mm/pat/set_memory.c (arch_report_meminfo: DirectMap*).
// Line set: the 6.18 reference host's (x86_64, THP, zswap, balloon; no CMA, no
// CONFIG_UNACCEPTED_MEMORY, no CONFIG_MEMORY_FAILURE, no highmem).
import { seqFile } from '../../kernfs/index.js';
import { PAGE_SIZE } from '../config/machine.js';
import type { Kernel } from '../kernel.js';
import { procDir } from '../sysctl/kernel_table.js';
import { zoneWatermarks } from './vmstat.js';

const KB_PER_PAGE = PAGE_SIZE / 1024;
/** HPAGE_PMD_NR: base pages per 2 MiB huge page. */
const HPAGE_PMD_NR = 512;
const HUGEPAGE_SIZE_KB = 2048;
/** vm.overcommit_ratio default (mm/util.c). */
const OVERCOMMIT_RATIO = 50;
/** x86_64 4-level paging: VMALLOC_END - VMALLOC_START = 32 TiB - 1, printed >> 10. */
const VMALLOC_TOTAL_KB = 32 * 1024 ** 3 - 1;
/** x86 first-MiB ISA range, always mapped with 4 KiB pages (init_mem_mapping). */
const ISA_END_ADDRESS = 0x100000;
const PMD_SIZE = 2 * 1024 * 1024;
const PUD_SIZE = 1024 * 1024 * 1024;

/** `Label:` padded to 16, the value right-aligned in 8 (show_val_kb / "%8lu kB"). */
function kbLine(label: string, kb: number): string {
  return `${label.padEnd(16)}${String(Math.max(0, kb)).padStart(8)} kB\n`;
}

/** A hugetlb page count line: label padded to 16 plus "   %5lu", i.e. the same columns. */
function countLine(label: string, n: number): string {
  return `${label.padEnd(16)}${String(Math.max(0, n)).padStart(8)}\n`;
}

function roundUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

function roundDown(x: number, a: number): number {
  return Math.floor(x / a) * a;
}

/**
 * DirectMap4k/2M/1G in kB: every RAM range (boot e820 RAM and kmem hot-added CXL) is mapped by
 * init_memory_mapping(), whose split_mem_range() uses 4 KiB pages up to the first 2 MiB
 * boundary, 2 MiB pages up to the first 1 GiB boundary, 1 GiB pages (gbpages) for the aligned
 * middle, then 2 MiB and 4 KiB for the tail. Later splits by set_memory_*() are not modelled.
 */
export function directMapKb(k: Kernel): { k4: number; m2: number; g1: number } {
  const sizes = { k4: ISA_END_ADDRESS, m2: 0, g1: 0 };
  for (const r of k.layout.ram) {
    const end = r.end + 1;
    let pos = Math.max(r.start, ISA_END_ADDRESS);
    if (pos >= end) continue;
    let e = Math.min(roundUp(pos, PMD_SIZE), end);
    if (pos < e) { sizes.k4 += e - pos; pos = e; }
    e = Math.min(roundUp(pos, PUD_SIZE), roundDown(end, PMD_SIZE));
    if (roundUp(pos, PMD_SIZE) < e) { sizes.m2 += e - pos; pos = e; }
    e = roundDown(end, PUD_SIZE);
    if (roundUp(pos, PUD_SIZE) < e) { sizes.g1 += e - pos; pos = e; }
    e = roundDown(end, PMD_SIZE);
    if (roundUp(pos, PMD_SIZE) < e) { sizes.m2 += e - pos; pos = e; }
    if (pos < end) sizes.k4 += end - pos;
  }
  return { k4: sizes.k4 / 1024, m2: sizes.m2 / 1024, g1: sizes.g1 / 1024 };
}

/** Node counters a meminfo needs, for one node or summed over all. */
function counters(k: Kernel, nid: number | 'all') {
  const get = (name: string) => Math.max(0, nid === 'all' ? k.vm.nodeSum(name) : k.vm.node(nid, name));
  const nodes = nid === 'all' ? k.numa.online : [nid];
  let managed = 0;
  let free = 0;
  for (const n of nodes) {
    managed += k.alloc.managedPages(n);
    free += k.alloc.freePages(n);
  }
  return {
    managed,
    free,
    activeAnon: get('nr_active_anon'),
    inactiveAnon: get('nr_inactive_anon'),
    activeFile: get('nr_active_file'),
    inactiveFile: get('nr_inactive_file'),
    unevictable: get('nr_unevictable'),
    mlock: get('nr_mlock'),
    dirty: get('nr_dirty'),
    writeback: get('nr_writeback'),
    filePages: get('nr_file_pages'),
    mapped: get('nr_mapped'),
    anonPages: get('nr_anon_pages'),
    shmem: get('nr_shmem'),
    swapCached: get('nr_swapcached'),
    slabReclaimable: get('nr_slab_reclaimable'),
    slabUnreclaimable: get('nr_slab_unreclaimable'),
    miscReclaimable: get('nr_kernel_misc_reclaimable'),
    kernelStackKb: get('nr_kernel_stack'),
    pageTables: get('nr_page_table_pages'),
    secPageTables: get('nr_sec_page_table_pages'),
    anonThps: get('nr_anon_transparent_hugepages'),
    shmemThps: get('nr_shmem_hugepages'),
    shmemPmdMapped: get('nr_shmem_pmdmapped'),
    fileThps: get('nr_file_hugepages'),
    filePmdMapped: get('nr_file_pmdmapped'),
    hugetlbPages: get('nr_hugetlb'),
    balloonPages: get('nr_balloon_pages'),
  };
}

/**
 * si_mem_available(): free pages above totalreserve_pages, plus the page cache and reclaimable
 * kernel memory each minus min(half, sum of low watermarks), in pages.
 */
export function memAvailablePages(k: Kernel): number {
  const c = counters(k, 'all');
  const wm = zoneWatermarks(k);
  let wmarkLow = 0;
  for (const z of wm.zones) wmarkLow += z.low;
  let available = c.free - wm.totalreservePages;
  let pagecache = c.activeFile + c.inactiveFile;
  pagecache -= Math.min(Math.floor(pagecache / 2), wmarkLow);
  available += pagecache;
  let reclaimable = c.slabReclaimable + c.miscReclaimable;
  reclaimable -= Math.min(Math.floor(reclaimable / 2), wmarkLow);
  available += reclaimable;
  return Math.max(0, available);
}

/** The /proc/meminfo text. */
export function meminfoText(k: Kernel): string {
  const c = counters(k, 'all');
  const kb = (pages: number) => pages * KB_PER_PAGE;
  // Kernel-wide figures without a vmstat line, kept as global counters under the kernel's own
  // variable names; they stay 0 until a mechanism accounts them.
  const buffers = k.vm.event('nr_blockdev_pages');
  const committedAs = k.vm.event('vm_committed_as');
  const vmallocPages = k.vm.event('nr_vmalloc_pages');
  let percpuPages = 0;
  for (const boot of k.bootMemory.values()) percpuPages += boot.percpuPages;
  // No hugetlb faults are simulated: the whole pool (nr_hugetlb) is free.
  const hugeTotal = Math.floor(c.hugetlbPages / HPAGE_PMD_NR);
  const commitLimit = Math.floor(((c.managed - hugeTotal * HPAGE_PMD_NR) * OVERCOMMIT_RATIO) / 100) + k.swap.totalPages;
  const cached = Math.max(0, c.filePages - c.swapCached - buffers);
  const dm = directMapKb(k);
  return (
    kbLine('MemTotal:', kb(c.managed)) +
    kbLine('MemFree:', kb(c.free)) +
    kbLine('MemAvailable:', kb(memAvailablePages(k))) +
    kbLine('Buffers:', kb(buffers)) +
    kbLine('Cached:', kb(cached)) +
    kbLine('SwapCached:', kb(c.swapCached)) +
    kbLine('Active:', kb(c.activeAnon + c.activeFile)) +
    kbLine('Inactive:', kb(c.inactiveAnon + c.inactiveFile)) +
    kbLine('Active(anon):', kb(c.activeAnon)) +
    kbLine('Inactive(anon):', kb(c.inactiveAnon)) +
    kbLine('Active(file):', kb(c.activeFile)) +
    kbLine('Inactive(file):', kb(c.inactiveFile)) +
    kbLine('Unevictable:', kb(c.unevictable)) +
    kbLine('Mlocked:', kb(c.mlock)) +
    kbLine('SwapTotal:', kb(k.swap.totalPages)) +
    kbLine('SwapFree:', kb(k.swap.freePages)) +
    kbLine('Zswap:', kb(k.vm.event('zswap_pool_pages'))) +
    kbLine('Zswapped:', kb(k.vm.event('zswap_stored_pages'))) +
    kbLine('Dirty:', kb(c.dirty)) +
    kbLine('Writeback:', kb(c.writeback)) +
    kbLine('AnonPages:', kb(c.anonPages)) +
    kbLine('Mapped:', kb(c.mapped)) +
    kbLine('Shmem:', kb(c.shmem)) +
    kbLine('KReclaimable:', kb(c.slabReclaimable + c.miscReclaimable)) +
    kbLine('Slab:', kb(c.slabReclaimable + c.slabUnreclaimable)) +
    kbLine('SReclaimable:', kb(c.slabReclaimable)) +
    kbLine('SUnreclaim:', kb(c.slabUnreclaimable)) +
    kbLine('KernelStack:', c.kernelStackKb) +
    kbLine('PageTables:', kb(c.pageTables)) +
    kbLine('SecPageTables:', kb(c.secPageTables)) +
    kbLine('NFS_Unstable:', 0) + // printed as a literal 0 since NR_UNSTABLE_NFS went away (5.8)
    kbLine('Bounce:', 0) + // literal 0 in 6.18: bounce buffering is gone
    kbLine('WritebackTmp:', 0) + // literal 0 in 6.18: NR_WRITEBACK_TEMP went away with FUSE tmp pages
    kbLine('CommitLimit:', kb(commitLimit)) +
    kbLine('Committed_AS:', kb(committedAs)) +
    kbLine('VmallocTotal:', VMALLOC_TOTAL_KB) +
    kbLine('VmallocUsed:', kb(vmallocPages)) +
    kbLine('VmallocChunk:', 0) + // literal 0 since 4.0: the largest free chunk is no longer computed
    kbLine('Percpu:', kb(percpuPages)) +
    kbLine('AnonHugePages:', kb(c.anonThps * HPAGE_PMD_NR)) +
    kbLine('ShmemHugePages:', kb(c.shmemThps * HPAGE_PMD_NR)) +
    kbLine('ShmemPmdMapped:', kb(c.shmemPmdMapped * HPAGE_PMD_NR)) +
    kbLine('FileHugePages:', kb(c.fileThps * HPAGE_PMD_NR)) +
    kbLine('FilePmdMapped:', kb(c.filePmdMapped * HPAGE_PMD_NR)) +
    kbLine('Balloon:', kb(c.balloonPages)) +
    countLine('HugePages_Total:', hugeTotal) +
    countLine('HugePages_Free:', hugeTotal) +
    countLine('HugePages_Rsvd:', 0) +
    countLine('HugePages_Surp:', 0) +
    kbLine('Hugepagesize:', HUGEPAGE_SIZE_KB) +
    kbLine('Hugetlb:', hugeTotal * HUGEPAGE_SIZE_KB) +
    kbLine('DirectMap4k:', dm.k4) +
    kbLine('DirectMap2M:', dm.m2) +
    kbLine('DirectMap1G:', dm.g1)
  );
}

/**
 * nodeN/meminfo: `Node N ` + the label padded to 16 + "%8lu kB"; the hugetlb counts use a
 * 17-column label and "%5u". MemTotal is the node's managed (onlined) pages.
 */
export function nodeMeminfoText(k: Kernel, nid: number): string {
  const c = counters(k, nid);
  const kb = (pages: number) => pages * KB_PER_PAGE;
  const p = `Node ${nid} `;
  const l = (label: string, value: number) => p + kbLine(label, value);
  const hugeTotal = Math.floor(c.hugetlbPages / HPAGE_PMD_NR);
  const h = (label: string, n: number) => `${p}${label.padEnd(17)}${String(n).padStart(5)}\n`;
  return (
    l('MemTotal:', kb(c.managed)) +
    l('MemFree:', kb(c.free)) +
    l('MemUsed:', kb(c.managed - c.free)) +
    l('SwapCached:', kb(c.swapCached)) +
    l('Active:', kb(c.activeAnon + c.activeFile)) +
    l('Inactive:', kb(c.inactiveAnon + c.inactiveFile)) +
    l('Active(anon):', kb(c.activeAnon)) +
    l('Inactive(anon):', kb(c.inactiveAnon)) +
    l('Active(file):', kb(c.activeFile)) +
    l('Inactive(file):', kb(c.inactiveFile)) +
    l('Unevictable:', kb(c.unevictable)) +
    l('Mlocked:', kb(c.mlock)) +
    l('Dirty:', kb(c.dirty)) +
    l('Writeback:', kb(c.writeback)) +
    l('FilePages:', kb(c.filePages)) +
    l('Mapped:', kb(c.mapped)) +
    l('AnonPages:', kb(c.anonPages)) +
    l('Shmem:', kb(c.shmem)) +
    l('KernelStack:', c.kernelStackKb) +
    l('PageTables:', kb(c.pageTables)) +
    l('SecPageTables:', kb(c.secPageTables)) +
    l('NFS_Unstable:', 0) + // literal 0, as in /proc/meminfo
    l('Bounce:', 0) + // literal 0
    l('WritebackTmp:', 0) + // literal 0
    l('KReclaimable:', kb(c.slabReclaimable + c.miscReclaimable)) +
    l('Slab:', kb(c.slabReclaimable + c.slabUnreclaimable)) +
    l('SReclaimable:', kb(c.slabReclaimable)) +
    l('SUnreclaim:', kb(c.slabUnreclaimable)) +
    l('AnonHugePages:', kb(c.anonThps * HPAGE_PMD_NR)) +
    l('ShmemHugePages:', kb(c.shmemThps * HPAGE_PMD_NR)) +
    l('ShmemPmdMapped:', kb(c.shmemPmdMapped * HPAGE_PMD_NR)) +
    l('FileHugePages:', kb(c.fileThps * HPAGE_PMD_NR)) +
    l('FilePmdMapped:', kb(c.filePmdMapped * HPAGE_PMD_NR)) +
    h('HugePages_Total:', hugeTotal) +
    h('HugePages_Free:', hugeTotal) +
    h('HugePages_Surp:', 0)
  );
}

export function registerMeminfo(k: Kernel): void {
  procDir(k).set('meminfo', seqFile(0o444, () => meminfoText(k)));
}
