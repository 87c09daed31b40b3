// The swap device (mm/swapfile.c): one swap area of the machine's `swapBytes`, as a distro
// installer makes it (Ubuntu's /swap.img). Slots are counted, not placed: a swapped-out anon
// page takes one slot until its process exits (free_swap_and_cache at unmap). Swap-in is not
// modelled: a swapped page is never touched again by the access model.
import { PAGE_SIZE } from '../config/machine.js';

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

  /** The mm is torn down: its swap entries are freed. */
  releaseMm(mmId: number): void {
    this.usedPages -= this.byMm.get(mmId) ?? 0;
    this.byMm.delete(mmId);
  }
}
