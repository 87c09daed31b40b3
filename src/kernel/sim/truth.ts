// DIR/sim/truth: ground truth no real kernel can show — the true access rate of any address
// range of a simulated process or of physical memory, from the lazy access model (what
// DAMON's estimate is measured against), and placement quality over time (placement.ts). A
// rate query is clipped to what exists (present memory for paddr, the process's mapped span for
// a pid), and its cost is O(mapped pages + slices), never O(addresses asked about).
import createDebug from 'debug';
import { EINVAL, ESRCH, debugfsFile, subdir } from '../../kernfs/index.js';
import { PAGE_SIZE } from '../config/machine.js';
import { parseDurationNs } from '../lib/units.js';
import type { Kernel } from '../kernel.js';
import { NO_PFN } from '../mm/mm.js';
import type { Process } from '../sched/process.js';
import { windowAccesses } from '../workload/access_model.js';
import { registerPlacementFiles } from './placement.js';

const trace = createDebug('tiersim:truth');
export const MAX_SLICES = 4096;
const U64_MAX = 0xffff_ffff_ffff_ffffn;
/** Mapped pages visited between yields to the host (a 256 GiB machine is 64 M pages). */
const PAGES_PER_YIELD = 1 << 18;

/** Slices of [start, end): equal page-multiple steps, the last one short. */
function sliceBounds(start: number, end: number, slices: number): number[] {
  const step = Math.max(PAGE_SIZE, Math.ceil((end - start) / slices / PAGE_SIZE) * PAGE_SIZE);
  const bounds = [];
  for (let a = start; a < end; a += step) bounds.push(a);
  bounds.push(end);
  return bounds;
}

/** Expected accesses to each slice of virtual [bounds[0], bounds.at(-1)) of `p` over [t0, t1]. */
export function trueVirtualAccesses(p: Process, bounds: readonly number[], t0: number, t1: number): number[] {
  const out = new Array<number>(bounds.length - 1).fill(0);
  for (const vma of p.mm.vmas) {
    const w = windowAccesses(p, vma, t0, t1);
    for (let s = 0; s + 1 < bounds.length; s++) {
      const a = Math.max(bounds[s]!, vma.start);
      const b = Math.min(bounds[s + 1]!, vma.end);
      if (a < b) out[s]! += w.range(Math.floor((a - vma.start) / PAGE_SIZE), Math.ceil((b - vma.start) / PAGE_SIZE));
    }
  }
  return out;
}

/**
 * Expected accesses to each slice of physical [bounds[0], bounds.at(-1)) over [t0, t1]: every
 * live process's mapped pages, binned by their frame's address (the reverse map read the other
 * way round), yielding to the host every PAGES_PER_YIELD pages.
 */
export async function truePhysicalAccesses(k: Kernel, bounds: readonly number[], t0: number, t1: number): Promise<number[]> {
  const out = new Array<number>(bounds.length - 1).fill(0);
  const lo = bounds[0]!;
  const hi = bounds[bounds.length - 1]!;
  const step = bounds.length > 2 ? bounds[1]! - lo : hi - lo;
  let visited = 0;
  for (const p of k.tasks.list()) {
    if (!p.alive) continue;
    for (const vma of p.mm.vmas) {
      const w = windowAccesses(p, vma, t0, t1);
      for (let i = 0; i < vma.nrPages; i++) {
        if (++visited % PAGES_PER_YIELD === 0) await k.yieldToHost();
        const pfn = vma.pt[i]!;
        if (pfn === NO_PFN) continue;
        const addr = pfn * PAGE_SIZE;
        if (addr + PAGE_SIZE <= lo || addr >= hi) continue;
        out[Math.min(out.length - 1, Math.max(0, Math.floor((addr - lo) / step)))]! += w.at(i);
      }
    }
  }
  return out;
}

/** `0x...` or decimal, as an exact u64; undefined when malformed or over 2^64 − 1. */
function parseU64(word: string | undefined): bigint | undefined {
  if (word === undefined || !/^(0x[0-9a-f]+|\d+)$/i.test(word)) return undefined;
  const v = BigInt(word);
  return v <= U64_MAX ? v : undefined;
}

/** [start, end) ∩ [lo, hi) as numbers, or undefined when empty. */
function clip(start: bigint, end: bigint, lo: number, hi: number): [number, number] | undefined {
  const a = start > BigInt(lo) ? Number(start) : lo;
  const b = end < BigInt(hi) ? Number(end) : hi;
  return a < b ? [a, b] : undefined;
}

export function registerTruthFiles(k: Kernel): void {
  const dir = subdir(k.dir('sim'), 'truth', 0o755);
  registerPlacementFiles(k, dir);
  dir.set(
    'rate',
    debugfsFile({
      mode: 0o600,
      rejectOffsetWrite: true, // one query per write(2) at offset 0
      show: () => 'TARGET(pid|paddr) START END WINDOW(e.g. 100ms) [SLICES]\n',
      store: async (input, ctx) => {
        const [target, s, e, w, n, extra] = input.trim().split(/\s+/);
        const start = parseU64(s);
        const end = parseU64(e);
        const windowNs = w === undefined ? undefined : parseDurationNs(w);
        const slices = n === undefined ? 1 : /^\d+$/.test(n) ? Number(n) : NaN;
        if (start === undefined || end === undefined || !(start < end) || windowNs === undefined || windowNs <= 0 || !(slices >= 1 && slices <= MAX_SLICES) || extra !== undefined) {
          k.log.printk(`tiersim: truth: expected "TARGET START END WINDOW [SLICES]" (START < END ≤ 2^64 − 1, SLICES 1..${MAX_SLICES}), got ${JSON.stringify(input.trim())}`);
          throw EINVAL; // malformed query
        }
        const now = k.clock.nowNs;
        const t0 = Math.max(0, now - windowNs);
        const seconds = (now - t0) / 1e9 || 1;
        const proc = target === 'paddr' ? undefined : target !== undefined && /^\d+$/.test(target) ? k.tasks.get(Number(target)) : undefined;
        if (target !== 'paddr' && !proc) throw ESRCH; // no such simulated process
        // What exists: present memory, or the span of the process's mappings.
        const ram = k.layout.ram;
        const [lo, hi] = proc
          ? [Math.min(...proc.mm.vmas.map((v) => v.start)), Math.max(...proc.mm.vmas.map((v) => v.end))]
          : [Math.min(...ram.map((r) => r.start)), Math.max(...ram.map((r) => r.end + 1))];
        const range = proc && proc.mm.vmas.length === 0 ? undefined : clip(start, end, lo, hi);
        trace('rate %s [%s, %s) clipped to %o, %d slices', target, s, e, range, slices);
        if (!range) return ctx.respond('');
        const bounds = sliceBounds(range[0], range[1], slices);
        const counts = proc ? trueVirtualAccesses(proc, bounds, t0, now) : await truePhysicalAccesses(k, bounds, t0, now);
        ctx.respond(counts.map((c, i) => `${bounds[i]!.toString(16)} ${bounds[i + 1]!.toString(16)} ${(c / seconds).toFixed(3)}\n`).join(''));
      },
    }),
  );
}
