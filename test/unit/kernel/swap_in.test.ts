// Swap-out and swap-in (mm/vmscan.c pageout, mm/memory.c do_swap_page, mm/swapfile.c swap_show):
// a page reclaim wrote to swap comes back at the workload's next access to it, as a major fault
// the workload waits for; /proc/swaps follows the slots in use.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseMachineConfig } from '../../../src/kernel/config/machine.js';
import { bootKernel, type Kernel } from '../../../src/kernel/kernel.js';
import { SWAP_IN_NS } from '../../../src/kernel/mm/swap_in.js';
import { reclaimPages } from '../../../src/kernel/mm/vmscan.js';
import type { Process } from '../../../src/kernel/sched/process.js';
import { advance, bootPreset, spawn } from './boot.js';

const vmstat = (k: Kernel, name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(k.fs.readFile('proc/vmstat'))![1]);
const SWAPS_HEADER = 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n';

/** /proc/swaps' one area: [size KiB, used KiB]. */
function swapsLine(k: Kernel): [number, number] {
  const text = k.fs.readFile('proc/swaps');
  expect(text.startsWith(SWAPS_HEADER)).toBe(true);
  // swap_show: path padded to 40 columns, "file\t", size, used (an extra tab below 10^7), prio
  const m = /^\/swap\.img {31}file\t\t(\d+)\t\t?(\d+)\t\t?-2\n$/.exec(text.slice(SWAPS_HEADER.length));
  expect(m, text).not.toBeNull();
  return [Number(m![1]), Number(m![2])];
}

async function proc(k: Kernel, spec: string): Promise<Process> {
  return k.tasks.get(await spawn(k, spec))!;
}

/** Swap out every page of the process's buffer (DAMOS pageout's reclaim_pages). */
function pageOutAll(k: Kernel, p: Process): number {
  return reclaimPages(k, p, p.vma, 0, p.vma.nrPages);
}

function withSwap(swapBytes: number): Kernel {
  const raw = JSON.parse(readFileSync('presets/cxl-2node.json', 'utf8'));
  return bootKernel(parseMachineConfig({ ...raw, swapBytes }), { seed: 1, clock: 'virtual' });
}

describe('/proc/swaps (swap_show)', () => {
  it('shows the area with its size (header page excluded) and the KiB in use, following swap-out, swap-in and exit', async () => {
    const k = bootPreset();
    const [size, used0] = swapsLine(k);
    expect(size).toBe(k.swap.totalPages * 4);
    expect(size).toBe(k.config.swapBytes / 1024 - 4); // mkswap's header page is not usable
    expect(used0).toBe(0);
    const idle = await proc(k, 'idle size=4M');
    expect(pageOutAll(k, idle)).toBe(1024);
    expect(swapsLine(k)[1]).toBe(4096);
    k.tasks.kill(idle.pid);
    expect(swapsLine(k)[1]).toBe(0);
  });

  it('a machine without swap lists only the header', () => {
    const k = withSwap(0);
    expect(k.fs.readFile('proc/swaps')).toBe(SWAPS_HEADER);
  });
});

describe('swap-in: the next access to a swapped page is a major fault', () => {
  it('a uniform workload faults back the share of its pages its accesses reach (1 − e^(−D/N)), counted in pswpin/pgmajfault/pgpgin, on its local node, each fault stalling it', async () => {
    const k = bootPreset();
    const p = await proc(k, 'abench size=16M iters=0');
    const N = p.vma.nrPages;
    const before = { pswpout: vmstat(k, 'pswpout'), pswpin: vmstat(k, 'pswpin'), maj: vmstat(k, 'pgmajfault'), pgpgin: vmstat(k, 'pgpgin'), stall: p.stallNs };
    expect(pageOutAll(k, p)).toBe(N);
    expect(vmstat(k, 'pswpout') - before.pswpout).toBe(N);
    expect(p.mm.totalPages).toBe(0);
    const d0 = p.doneAt(k.clock.nowNs);
    await advance(k, '20ms');
    const D = p.doneAt(k.clock.nowNs) - d0;
    const back = vmstat(k, 'pswpin') - before.pswpin;
    const expected = N * (1 - Math.exp(-D / N));
    expect(D).toBeGreaterThan(N / 4); // the workload went on (stalled by its faults, not stopped)
    expect(Math.abs(back - expected) / expected).toBeLessThan(0.1);
    expect(vmstat(k, 'pgmajfault') - before.maj).toBe(back);
    expect(vmstat(k, 'pgpgin') - before.pgpgin).toBe(back * 4);
    expect(p.mm.totalPages).toBe(back);
    expect(p.mm.residentPages(p.cpuNode)).toBe(back); // local policy: the faulting CPU's node
    expect(k.swap.usedPages).toBe(N - back); // a swapped-in page's slot is freed
    expect(swapsLine(k)[1]).toBe((N - back) * 4);
    expect(p.stallNs - before.stall).toBe(back * SWAP_IN_NS);
  });

  it('a sweep faults its pages back in sweep order', async () => {
    const k = bootPreset();
    const p = await proc(k, 'memhog size=16M repeat=0');
    await advance(k, '1ms');
    pageOutAll(k, p);
    await advance(k, '5ms');
    const back = p.mm.totalPages;
    expect(back).toBeGreaterThan(0);
    expect(back).toBeLessThan(p.vma.nrPages);
    // The mapped pages form one run after the sweep position at the swap-out (cyclically).
    const mapped = [...p.vma.pt].map((pfn) => (pfn >= 0 ? 1 : 0));
    let runs = 0;
    for (let i = 0; i < mapped.length; i++) if (mapped[i] === 1 && mapped[(i + mapped.length - 1) % mapped.length] === 0) runs++;
    expect(runs).toBe(1);
  });

  it('an idle process never touches its pages: they stay in swap', async () => {
    const k = bootPreset();
    const p = await proc(k, 'idle size=4M');
    pageOutAll(k, p);
    await advance(k, '1s');
    expect(vmstat(k, 'pswpin')).toBe(0);
    expect(k.swap.usedPages).toBe(1024);
    expect(swapsLine(k)[1]).toBe(4096);
  });

  it('swap slots are bounded by the swap size: pages that get none stay mapped (activated)', async () => {
    const k = withSwap(1 << 20); // 256 pages, 255 usable
    const p = await proc(k, 'idle size=4M');
    expect(pageOutAll(k, p)).toBe(255);
    expect(vmstat(k, 'pswpout')).toBe(255);
    expect(p.mm.totalPages).toBe(1024 - 255);
    expect(swapsLine(k)).toEqual([1020, 1020]);
  });

  it('a process that exits with pages in swap frees their slots; none come back', async () => {
    const k = bootPreset();
    const p = await proc(k, 'abench size=16M iters=0');
    pageOutAll(k, p);
    await advance(k, '2ms');
    const after = vmstat(k, 'pswpin');
    expect(after).toBeGreaterThan(0); // some came back before the exit
    expect(k.swap.usedPages).toBe(p.vma.nrPages - after);
    k.tasks.kill(p.pid);
    expect(k.swap.usedPages).toBe(0);
    await advance(k, '100ms');
    expect(vmstat(k, 'pswpin')).toBe(after);
  });
});
