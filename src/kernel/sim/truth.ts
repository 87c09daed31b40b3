// DIR/sim/truth: ground truth no real kernel can show — the true access rate of any address
// range of a simulated process or of physical memory, from the lazy access model (what
// DAMON's estimate is measured against), and placement quality over time (placement.ts).
import { EINVAL, ESRCH, debugfsFile, subdir } from '../../kernfs/index.js';
import { PAGE_SIZE } from '../config/machine.js';
import { parseDurationNs } from '../lib/units.js';
import type { Kernel } from '../kernel.js';
import { NO_OWNER } from '../mm/frames.js';
import type { Process } from '../sched/process.js';
import { expectedAccesses } from '../workload/access_model.js';
import { registerPlacementFiles } from './placement.js';

const MAX_SLICES = 4096;

/** Expected accesses to virtual [start, end) of `p` over [t0, t1]. */
export function trueVirtualAccesses(p: Process, start: number, end: number, t0: number, t1: number): number {
  let sum = 0;
  for (const vma of p.mm.vmas) {
    const a = Math.max(start, vma.start);
    const b = Math.min(end, vma.end);
    if (a >= b) continue;
    const i0 = Math.floor((a - vma.start) / PAGE_SIZE);
    const i1 = Math.ceil((b - vma.start) / PAGE_SIZE);
    // Split at phase boundaries; within a phase the range's share is the pattern's range weight.
    let t = t0;
    while (t < t1) {
      const phase = p.phaseAt(t);
      const end2 = p.spec.phaseNs > 0 ? Math.min(t1, p.startNs + (phase + 1) * p.spec.phaseNs) : t1;
      sum += (p.doneAt(end2) - p.doneAt(t)) * vma.pattern.rangeWeight(i0, i1, phase);
      t = end2;
    }
  }
  return sum;
}

/** Expected accesses to physical [start, end) over [t0, t1], through the reverse map. */
export function truePhysicalAccesses(k: Kernel, start: number, end: number, t0: number, t1: number): number {
  const frames = k.alloc.frames;
  let sum = 0;
  for (let pfn = Math.floor(start / PAGE_SIZE); pfn < Math.ceil(end / PAGE_SIZE); pfn++) {
    const owner = frames.ownerOf(pfn);
    if (owner === NO_OWNER) continue;
    const proc = k.tasks.processOfMm(owner);
    const vpn = frames.vpnOf(pfn);
    const vma = proc?.mm.findVma(vpn);
    if (proc && vma) sum += expectedAccesses(proc, vma, vma.indexOf(vpn), t0, t1);
  }
  return sum;
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
      store: (input, ctx) => {
        const [target, s, e, w, n] = input.trim().split(/\s+/);
        const start = s !== undefined && /^(0x[0-9a-f]+|\d+)$/i.test(s) ? Number(s) : NaN;
        const end = e !== undefined && /^(0x[0-9a-f]+|\d+)$/i.test(e) ? Number(e) : NaN;
        const windowNs = w === undefined ? undefined : parseDurationNs(w);
        const slices = n === undefined ? 1 : /^\d+$/.test(n) ? Number(n) : NaN;
        if (!(start < end) || windowNs === undefined || windowNs <= 0 || !(slices >= 1 && slices <= MAX_SLICES)) {
          k.log.printk(`tiersim: truth: expected "TARGET START END WINDOW [SLICES]", got ${JSON.stringify(input.trim())}`);
          throw EINVAL; // malformed query
        }
        const now = k.clock.nowNs;
        const t0 = Math.max(0, now - windowNs);
        let count: (a: number, b: number) => number;
        if (target === 'paddr') {
          count = (a, b) => truePhysicalAccesses(k, a, b, t0, now);
        } else {
          const p = target !== undefined && /^\d+$/.test(target) ? k.tasks.get(Number(target)) : undefined;
          if (!p) throw ESRCH; // no such simulated process
          count = (a, b) => trueVirtualAccesses(p, a, b, t0, now);
        }
        const step = Math.max(PAGE_SIZE, Math.ceil((end - start) / slices / PAGE_SIZE) * PAGE_SIZE);
        let out = '';
        for (let a = start; a < end; a += step) {
          const b = Math.min(end, a + step);
          out += `${a.toString(16)} ${b.toString(16)} ${(count(a, b) / ((now - t0) / 1e9 || 1)).toFixed(3)}\n`;
        }
        ctx.respond(out);
      },
    }),
  );
}
