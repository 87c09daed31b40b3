// sim/truth/rate (sim/truth.ts): a query is clipped to what exists — present memory for paddr,
// the mapped span for a pid — so no address range makes it loop; the per-window sums equal the
// page-by-page sums of the access model, over many hot-set phases too.
import { describe, expect, it } from 'vitest';
import { EINVAL, ESRCH } from '../../../src/kernfs/index.js';
import { PAGE_SIZE } from '../../../src/kernel/config/machine.js';
import type { Kernel } from '../../../src/kernel/kernel.js';
import { expectedAccesses } from '../../../src/kernel/workload/access_model.js';
import { advance, bootPreset, spawn } from './boot.js';

interface Line {
  start: number;
  end: number;
  rate: number;
}

async function rate(k: Kernel, query: string): Promise<Line[]> {
  const text = await k.fs.transact('sim/truth/rate', query);
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [a, b, r] = l.split(' ');
      return { start: parseInt(a!, 16), end: parseInt(b!, 16), rate: Number(r) };
    });
}

const sum = (lines: Line[]) => lines.reduce((s, l) => s + l.rate, 0);
const U64_MAX = '0xffffffffffffffff';

describe('sim/truth/rate is bounded by what exists', () => {
  it('paddr over 0..2^64-1 is clipped to present memory and sums to the process rate', async () => {
    const k = bootPreset();
    const pid = await spawn(k, 'abench size=64M iters=0 node=1');
    await advance(k, '100ms');
    const lines = await rate(k, `paddr 0 ${U64_MAX} 50ms 16`);
    const ram = k.layout.ram;
    expect(lines).toHaveLength(16);
    expect(lines[0]!.start).toBe(Math.min(...ram.map((r) => r.start)));
    expect(lines.at(-1)!.end).toBe(Math.max(...ram.map((r) => r.end + 1)));
    expect(sum(lines) / (k.tasks.get(pid)!.rate * 1e9)).toBeCloseTo(1, 6);
  });

  it('a pid over 0..2^64-1 is clipped to the mapped span and sums to the process rate', async () => {
    const k = bootPreset();
    const pid = await spawn(k, 'hotset size=16M hot=0.25 node=0');
    const p = k.tasks.get(pid)!;
    await advance(k, '20ms');
    const lines = await rate(k, `${pid} 0 ${U64_MAX} 10ms 4`);
    expect(lines.map((l) => [l.start, l.end])).toEqual([0, 1, 2, 3].map((i) => [p.vma.start + i * 4 * 2 ** 20, p.vma.start + (i + 1) * 4 * 2 ** 20]));
    expect(sum(lines) / (p.rate * 1e9)).toBeCloseTo(1, 6);
    // The hot quarter is the first slice in phase 0.
    expect(lines[0]!.rate / sum(lines)).toBeCloseTo(0.9, 6);
  });

  it('a range with nothing in it answers no lines', async () => {
    const k = bootPreset();
    const pid = await spawn(k, 'idle size=4M');
    expect(await k.fs.transact('sim/truth/rate', `paddr 0xffff000000000000 ${U64_MAX} 1s`)).toBe('');
    expect(await k.fs.transact('sim/truth/rate', `${pid} 0 4096 1s`)).toBe('');
  });

  it.each([
    ['END over 2^64 - 1', 'paddr 0 0x10000000000000000 1s'],
    ['a 30-digit START', 'paddr 999999999999999999999999999999 0xffffffffffffffff 1s'],
    ['START = END', 'paddr 4096 4096 1s'],
    ['SLICES over 4096', 'paddr 0 4096 1s 4097'],
    ['SLICES 0', 'paddr 0 4096 1s 0'],
    ['a zero window', 'paddr 0 4096 0s'],
    ['a word too many', 'paddr 0 4096 1s 1 1'],
  ])('%s is EINVAL', async (_rule, query) => {
    const k = bootPreset();
    await expect(k.fs.transact('sim/truth/rate', query)).rejects.toBe(EINVAL);
  });

  it('an unknown pid is ESRCH', async () => {
    const k = bootPreset();
    await expect(k.fs.transact('sim/truth/rate', `4242 0 ${U64_MAX} 1s`)).rejects.toBe(ESRCH);
  });

  it('a window of a million seconds over a hot set that moved every 1 ms is answered from the retained history', async () => {
    const k = bootPreset();
    const pid = await spawn(k, 'hotset size=8M phase=1ms node=1');
    await advance(k, '10s'); // 10,000 phases: more than the progress history keeps
    const lines = await rate(k, `${pid} 0 ${U64_MAX} 1000000s 8`);
    expect(lines).toHaveLength(8);
    expect(sum(lines)).toBeGreaterThan(0);
    // Once it is killed its mappings are gone: nothing exists to be accessed.
    k.fs.writeFile(`sim/processes/${pid}/kill`, '9');
    expect(await k.fs.transact('sim/truth/rate', `${pid} 0 ${U64_MAX} 1000000s 8`)).toBe('');
  });
});

describe('sim/truth/rate equals the page-by-page sum of the access model', () => {
  it.each([
    ['hotset over 40 phases', 'hotset size=8M hot=0.3 phase=1ms interleave=0-1', '40ms'],
    ['hotset with a wrapped hot set', 'hotset size=4M hot=0.7 phase=2ms node=1', '30ms'],
    ['zipf', 'zipf size=4M skew=1.1 node=0', '10ms'],
    ['memhog sweeps', 'memhog size=4M repeat=100 node=1', '10ms'],
  ])('%s: virtual and physical slices', async (_name, spec, window) => {
    const k = bootPreset();
    const pid = await spawn(k, spec);
    const p = k.tasks.get(pid)!;
    await advance(k, '50ms');
    const now = k.clock.nowNs;
    const t0 = now - Number(window.replace('ms', '')) * 1e6;
    const vma = p.vma;
    const perPage = Array.from({ length: vma.nrPages }, (_, i) => expectedAccesses(p, vma, i, t0, now));
    const seconds = (now - t0) / 1e9;

    const virt = await rate(k, `${pid} ${vma.start} ${vma.end} ${window} 7`);
    for (const l of virt) {
      const i0 = (l.start - vma.start) / PAGE_SIZE;
      const i1 = (l.end - vma.start) / PAGE_SIZE;
      const want = perPage.slice(i0, i1).reduce((a, b) => a + b, 0) / seconds;
      expect(l.rate).toBeCloseTo(want, 2);
    }

    const ram = k.layout.ram;
    const phys = await rate(k, `paddr 0 ${U64_MAX} ${window} 5`);
    for (const l of phys) {
      let want = 0;
      for (let i = 0; i < vma.nrPages; i++) {
        const addr = vma.pt[i]! * PAGE_SIZE;
        if (addr >= l.start && addr < l.end) want += perPage[i]!;
      }
      expect(l.rate).toBeCloseTo(want / seconds, 2);
    }
    expect(phys[0]!.start).toBe(Math.min(...ram.map((r) => r.start)));
  });
});
