// Address spaces (struct mm_struct, vm_area_struct): VMAs with a flat page table (vpn → pfn)
// each, the mm_cpumask that TLB shootdowns target, and the reverse map kept in the frames
// (owner mm id + vpn, frames.ts). Each VMA keeps per-node page counts and per-node access
// weight sums, updated on every map/unmap, so a workload's speed follows its placement in O(1).
import { PAGE_SIZE } from '../config/machine.js';
import type { AccessPattern } from '../workload/pattern.js';
import type { MemPolicy } from '../workload/spec.js';
import type { FrameTable } from './frames.js';
import type { Allocation } from './page_alloc.js';

/** Where user mappings start (a typical x86_64 mmap_base region). */
export const MMAP_BASE = 0x7f00_0000_0000;
const MMAP_BASE_VPN = MMAP_BASE / PAGE_SIZE;
export const NO_PFN = -1;
/** Pages per chunk of the per-node mapped-page counts: one page-table page (PTRS_PER_PTE). */
const CHUNK_PAGES = 512;
/** What a VMA accesses once its mapping is torn down (exit_mmap): nothing. */
const UNMAPPED: AccessPattern = { order: 'none', nrPages: 0, weight: () => 0, rangeWeight: () => 0 };

export class Vma {
  /** pfn mapped at page i of the VMA, or NO_PFN (empty once the mapping is torn down). */
  private ptes: Int32Array;
  private accessPattern: AccessPattern;
  /** Mapped pages per node id. */
  readonly nodePages: Float64Array;
  /** Sum of the pattern's weights of the pages on each node (current phase). */
  readonly nodeWeight: Float64Array;
  /** Mapped pages per node accessed at least as often as the average page (ground truth). */
  readonly nodeHotPages: Float64Array;
  /** Mapped pages per (512-page chunk, node): a phase change counts per node without a page walk. */
  private chunkPages: Uint32Array;
  phase = 0;
  /** madvise(MADV_HUGEPAGE / MADV_NOHUGEPAGE) advice last applied (DAMOS hugepage/nohugepage). */
  advice: 'hugepage' | 'nohugepage' | undefined;

  constructor(
    readonly startVpn: number,
    nrPages: number,
    pattern: AccessPattern,
    readonly policy: MemPolicy,
    nodeSlots: number,
  ) {
    this.ptes = new Int32Array(nrPages).fill(NO_PFN);
    this.accessPattern = pattern;
    this.nodePages = new Float64Array(nodeSlots);
    this.nodeWeight = new Float64Array(nodeSlots);
    this.nodeHotPages = new Float64Array(nodeSlots);
    this.chunkPages = new Uint32Array(Math.ceil(nrPages / CHUNK_PAGES) * nodeSlots);
  }

  /** A page of weight `w` is hot when accessed at least as often as the average page. */
  isHot(w: number): boolean {
    return w * this.nrPages >= 1 - 1e-9;
  }

  /** The page table: pfn mapped at page i, or NO_PFN. */
  get pt(): Int32Array {
    return this.ptes;
  }

  get nrPages(): number {
    return this.ptes.length;
  }

  get pattern(): AccessPattern {
    return this.accessPattern;
  }

  /**
   * The mapping is gone (exit_mmap, after every page was unmapped): drop the page table, the
   * chunk counts and the pattern's tables so a finished process keeps only its result.
   */
  release(): void {
    this.ptes = new Int32Array(0);
    this.chunkPages = new Uint32Array(0);
    this.accessPattern = UNMAPPED;
  }

  get start(): number {
    return this.startVpn * PAGE_SIZE;
  }

  get end(): number {
    return (this.startVpn + this.nrPages) * PAGE_SIZE;
  }

  /** Page index of `vpn` in this VMA, or -1. */
  indexOf(vpn: number): number {
    const i = vpn - this.startVpn;
    return i >= 0 && i < this.nrPages ? i : -1;
  }

  /**
   * Recompute the weight sums for a new phase of the pattern. A two-level pattern (hot set)
   * costs O(pages / 512 + 1024): chunk counts, and a page walk only at the ranges' ends.
   */
  setPhase(phase: number, frames: FrameTable): void {
    this.phase = phase;
    const lv = this.pattern.levels?.(phase);
    if (!lv) {
      this.nodeWeight.fill(0);
      this.nodeHotPages.fill(0);
      for (let i = 0; i < this.nrPages; i++) {
        const pfn = this.pt[i]!;
        if (pfn === NO_PFN) continue;
        const nid = frames.blockOf(pfn)!.nid;
        const w = this.pattern.weight(i, phase);
        this.nodeWeight[nid]! += w;
        if (this.isHot(w)) this.nodeHotPages[nid]!++;
      }
      return;
    }
    const hot = new Float64Array(this.nodeWeight.length);
    for (const [i0, i1] of lv.hotRanges) this.countMapped(i0, i1, frames, hot);
    const hotIsHot = this.isHot(lv.hot) ? 1 : 0;
    const coldIsHot = this.isHot(lv.cold) ? 1 : 0;
    for (let nid = 0; nid < hot.length; nid++) {
      this.nodeWeight[nid] = lv.cold * this.nodePages[nid]! + (lv.hot - lv.cold) * hot[nid]!;
      this.nodeHotPages[nid] = hotIsHot * hot[nid]! + coldIsHot * (this.nodePages[nid]! - hot[nid]!);
    }
  }

  /** Add the pages of [i0, i1) mapped on each node into `out` (indexed by node id). */
  countMapped(i0: number, i1: number, frames: FrameTable, out: Float64Array): void {
    const slots = this.nodeWeight.length;
    const walk = (a: number, b: number) => {
      for (let i = a; i < b; i++) {
        const pfn = this.pt[i]!;
        if (pfn !== NO_PFN) out[frames.blockOf(pfn)!.nid]!++;
      }
    };
    const c0 = Math.ceil(i0 / CHUNK_PAGES);
    const c1 = Math.floor(i1 / CHUNK_PAGES);
    if (c0 >= c1) return walk(i0, i1);
    walk(i0, c0 * CHUNK_PAGES);
    for (let c = c0; c < c1; c++) for (let nid = 0; nid < slots; nid++) out[nid]! += this.chunkPages[c * slots + nid]!;
    walk(c1 * CHUNK_PAGES, i1);
  }

  /** map/unmap bookkeeping: one page of chunk `i` on `nid` came or went. */
  countPage(i: number, nid: number, delta: 1 | -1): void {
    this.chunkPages[Math.floor(i / CHUNK_PAGES) * this.nodeWeight.length + nid]! += delta;
  }
}

export class Mm {
  readonly vmas: Vma[] = [];
  /** Page-table pages (unmovable, on the CPU's node). */
  pageTables: Allocation | undefined;
  private nextVpn = MMAP_BASE_VPN;

  constructor(
    readonly id: number,
    readonly frames: FrameTable,
    /** CPUs that have run this mm (mm_cpumask): the targets of its TLB shootdowns. */
    public cpus: readonly number[],
    private readonly nodeSlots: number,
  ) {}

  /** mmap an anonymous region; pages are mapped later (populate). */
  mmap(nrPages: number, pattern: AccessPattern, policy: MemPolicy): Vma {
    const vma = new Vma(this.nextVpn, nrPages, pattern, policy, this.nodeSlots);
    // Leave a guard gap of one 2 MiB region between mappings, as mmap's alignment does.
    this.nextVpn += Math.ceil(nrPages / 512) * 512 + 512;
    this.vmas.push(vma);
    return vma;
  }

  /** The VMA containing `vpn`. */
  findVma(vpn: number): Vma | undefined {
    for (const v of this.vmas) if (v.indexOf(vpn) >= 0) return v;
    return undefined;
  }

  /** Install `pfn` at page `i` of `vma` and record the reverse map. */
  map(vma: Vma, i: number, pfn: number): void {
    const f = this.frames.peek(pfn)!;
    const off = pfn - f.block.startPfn;
    f.gen++;
    f.owner[off] = this.id;
    f.vpn[off] = vma.startVpn + i;
    vma.pt[i] = pfn;
    const nid = f.block.nid;
    const w = vma.pattern.weight(i, vma.phase);
    vma.nodePages[nid]!++;
    vma.countPage(i, nid, 1);
    vma.nodeWeight[nid]! += w;
    if (vma.isHot(w)) vma.nodeHotPages[nid]!++;
  }

  /** Clear page `i` of `vma`; returns the pfn that was mapped. */
  unmap(vma: Vma, i: number): number {
    const pfn = vma.pt[i]!;
    if (pfn === NO_PFN) return NO_PFN;
    const nid = this.frames.blockOf(pfn)!.nid;
    const w = vma.pattern.weight(i, vma.phase);
    vma.pt[i] = NO_PFN;
    vma.nodePages[nid]!--;
    vma.countPage(i, nid, -1);
    vma.nodeWeight[nid]! -= w;
    if (vma.isHot(w)) vma.nodeHotPages[nid]!--;
    return pfn;
  }

  /** exit_mmap: tear every mapping down (their pages must already be unmapped and freed). */
  release(): void {
    for (const v of this.vmas) v.release();
    this.vmas.length = 0;
  }

  /** Resident pages per node id over all VMAs. */
  residentPages(nid: number): number {
    let n = 0;
    for (const v of this.vmas) n += v.nodePages[nid] ?? 0;
    return n;
  }

  get totalPages(): number {
    let n = 0;
    for (const v of this.vmas) for (const c of v.nodePages) n += c;
    return n;
  }
}

/** Page-table pages for `nrPages` of mappings: PTE pages, PMD pages, a PUD page and the PGD. */
export function pageTablePages(nrPages: number): number {
  if (nrPages === 0) return 1;
  return Math.ceil(nrPages / 512) + Math.ceil(nrPages / 512 / 512) + 2;
}
