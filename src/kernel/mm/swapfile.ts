// The swap device (mm/swapfile.c): one swap area of the machine's `swapBytes`, as a distro
// installer makes it (Ubuntu's /swap.img). Slots are counted, not placed: a swapped-out anon
// page takes one slot until it is swapped back in (swap_in.ts) or its process exits
// (free_swap_and_cache at unmap). /proc/swaps shows the area.
import { seqFile } from '../../kernfs/index.js';
import { PAGE_SIZE } from '../config/machine.js';
import type { Kernel } from '../kernel.js';
import { procDir } from '../sysctl/kernel_table.js';

/** The swap file a distro installer sets up (Ubuntu's curtin: /swap.img). */
const SWAP_FILE = '/swap.img';
/** Priority of the first area swapped on without one (swapon's --least_priority: -2). */
const SWAP_PRIO = -2;

export class SwapSpace {
  /** total_swap_pages: the area minus its header page (mkswap's swap_header). */
  readonly totalPages: number;
  /** Slots in use (total_swap_pages - nr_swap_pages). */
  usedPages = 0;
  private readonly byMm = new Map<number, number>();

  constructor(swapBytes: number) {
    this.totalPages = swapBytes >= 2 * PAGE_SIZE ? Math.floor(swapBytes / PAGE_SIZE) - 1 : 0;
  }

  /** get_nr_swap_pages(). */
  get freePages(): number {
    return this.totalPages - this.usedPages;
  }

  /** Take up to `nrPages` slots for `mmId`'s pages; returns how many were granted. */
  allocate(mmId: number, nrPages: number): number {
    const n = Math.max(0, Math.min(nrPages, this.freePages));
    if (n > 0) {
      this.usedPages += n;
      this.byMm.set(mmId, (this.byMm.get(mmId) ?? 0) + n);
    }
    return n;
  }

  /** `nrPages` of `mmId`'s slots are freed (swap_free after a swap-in). */
  free(mmId: number, nrPages: number): void {
    const held = this.byMm.get(mmId) ?? 0;
    const n = Math.min(nrPages, held);
    this.usedPages -= n;
    if (held - n > 0) this.byMm.set(mmId, held - n);
    else this.byMm.delete(mmId);
  }

  /** The mm is torn down: its swap entries are freed. */
  releaseMm(mmId: number): void {
    this.usedPages -= this.byMm.get(mmId) ?? 0;
    this.byMm.delete(mmId);
  }
}

/**
 * /proc/swaps (swap_show): a header, then per active area its path padded to 40 columns,
 * type, size and used KiB (an extra tab under 10^7) and priority. No swap: the header only.
 */
export function procSwapsText(k: Kernel): string {
  let out = 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n';
  const s = k.swap;
  if (s.totalPages === 0) return out;
  const bytes = s.totalPages * (PAGE_SIZE / 1024);
  const inuse = s.usedPages * (PAGE_SIZE / 1024);
  const len = SWAP_FILE.length;
  out += `${SWAP_FILE}${' '.repeat(len < 40 ? 40 - len : 1)}file\t\t${bytes}\t${bytes < 10000000 ? '\t' : ''}${inuse}\t${inuse < 10000000 ? '\t' : ''}${SWAP_PRIO}\n`;
  return out;
}

export function registerProcSwaps(k: Kernel): void {
  procDir(k).set('swaps', seqFile(0o444, () => procSwapsText(k)));
}
