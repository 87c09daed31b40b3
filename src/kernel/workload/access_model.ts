// The lazy access model (DESIGN.md §3): answers what a page-table walker, a hint fault or a
// hardware sampler would observe about a page, from the owning workload's access distribution
// and its progress — never by replaying accesses. Used by DAMON (paddr/vaddr access checks),
// NUMA balancing (hint faults) and kmmscand (A-bit harvesting).
//
// For a random-order pattern, accesses to page i form a Poisson stream whose expected count over
// [t0, t1] is (done(t1) − done(t0)) × weight(i). For a sweep, page i is touched when the sweep
// position (done mod pages) passes it.
import type { Prng } from '../lib/prng.js';
import { UniformPattern } from './pattern.js';
import type { Vma } from '../mm/mm.js';
import type { Process } from '../sched/process.js';

/** Expected accesses to page `index` of `vma` between t0 and t1 (ground truth). */
export function expectedAccesses(p: Process, vma: Vma, index: number, t0Ns: number, t1Ns: number): number {
  // Progress is flat before the retained history and after the end: phases there add nothing.
  t0Ns = Math.max(t0Ns, p.historyStartNs);
  t1Ns = Math.min(t1Ns, p.endNs ?? t1Ns);
  if (t1Ns <= t0Ns || vma.pattern.order === 'none') return 0;
  const n = p.doneAt(t1Ns) - p.doneAt(t0Ns);
  if (n <= 0) return 0;
  if (vma.pattern.order === 'sweep') return sweepTouches(vma.nrPages, p.doneAt(t0Ns), p.doneAt(t1Ns), index);
  let sum = 0;
  for (const [phase, done] of progressByPhase(p, t0Ns, t1Ns)) sum += done * vma.pattern.weight(index, phase);
  return sum;
}

/**
 * Accesses done over [t0, t1] split at the pattern's phase boundaries, so a hot set that moved
 * is credited to the right pages: [phase, accesses done in it] in time order.
 */
function progressByPhase(p: Process, t0Ns: number, t1Ns: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let t = t0Ns;
  while (t < t1Ns) {
    const phase = p.phaseAt(t);
    const phaseEnd = p.spec.phaseNs > 0 ? Math.min(t1Ns, p.startNs + (phase + 1) * p.spec.phaseNs) : t1Ns;
    out.push([phase, p.doneAt(phaseEnd) - p.doneAt(t)]);
    t = phaseEnd;
  }
  return out;
}

/**
 * The A-bit question for many pages of one VMA whose bits were all cleared at t0 (a page-table
 * walker such as kmmscand): progress is looked up once for the window, so each page costs one
 * weight lookup. `probability(i)` is the chance that page i was accessed in (t0, t1], the same
 * law as accessedBetween (1 − e^(−expected) for random patterns, 0 or 1 for sweeps), for the
 * caller to draw from in bulk.
 */
export function accessWindow(p: Process, vma: Vma, t0Ns: number, t1Ns: number): (index: number) => number {
  const order = vma.pattern.order;
  if (t1Ns <= t0Ns || order === 'none' || p.doneAt(t1Ns) - p.doneAt(t0Ns) <= 0) return () => 0;
  if (order === 'sweep') {
    const d0 = p.doneAt(t0Ns);
    const d1 = p.doneAt(t1Ns);
    return (index) => (sweepTouches(vma.nrPages, d0, d1, index) >= 1 ? 1 : 0);
  }
  const phases = progressByPhase(p, t0Ns, t1Ns);
  const pattern = vma.pattern;
  if (phases.length === 1) {
    const [phase, done] = phases[0]!;
    return (index) => 1 - Math.exp(-(done * pattern.weight(index, phase)));
  }
  return (index) => {
    let sum = 0;
    for (const [phase, done] of phases) sum += done * pattern.weight(index, phase);
    return 1 - Math.exp(-sum);
  };
}

/** Expected accesses to the pages of one VMA over a fixed window (ground truth, sim/truth). */
export interface WindowAccesses {
  /** Expected accesses to page `i`; ascending calls cost O(1) each. */
  at(i: number): number;
  /** Expected accesses to pages [i0, i1). */
  range(i0: number, i1: number): number;
}

const NO_ACCESSES: WindowAccesses = { at: () => 0, range: () => 0 };

/**
 * Expected accesses per page of `vma` over [t0, t1], built once per query so that a query
 * over many pages or slices costs O(pages + phases), never O(pages × phases). Phases are
 * those inside the retained progress history (at most a few thousand).
 */
export function windowAccesses(p: Process, vma: Vma, t0Ns: number, t1Ns: number): WindowAccesses {
  // Progress is flat before the retained history and after the end: phases there add nothing.
  const t0 = Math.max(t0Ns, p.historyStartNs);
  t1Ns = Math.min(t1Ns, p.endNs ?? t1Ns);
  const n = vma.nrPages;
  const pattern = vma.pattern;
  if (t1Ns <= t0 || pattern.order === 'none') return NO_ACCESSES;
  const d0 = p.doneAt(t0);
  const d1 = p.doneAt(t1Ns);
  if (d1 <= d0) return NO_ACCESSES;
  const clip = (i0: number, i1: number): [number, number] => [Math.max(0, i0), Math.min(n, i1)];
  if (pattern.order === 'sweep') {
    // Access m (1-based) touches page (m − 1) mod n: count those in (d0, d1] landing in [i0, i1).
    const upTo = (d: number, i0: number, i1: number) => Math.floor(d / n) * (i1 - i0) + Math.max(0, Math.min(d % n, i1) - i0);
    return {
      at: (i) => sweepTouches(n, d0, d1, i),
      range: (a, b) => {
        const [i0, i1] = clip(a, b);
        return i1 <= i0 ? 0 : upTo(Math.floor(d1), i0, i1) - upTo(Math.floor(d0), i0, i1);
      },
    };
  }
  // Progress per phase inside the window.
  const phases: Array<{ phase: number; done: number }> = [];
  for (let t = t0; t < t1Ns; ) {
    const phase = p.phaseAt(t);
    const end = p.spec.phaseNs > 0 ? Math.min(t1Ns, p.startNs + (phase + 1) * p.spec.phaseNs) : t1Ns;
    const done = p.doneAt(end) - p.doneAt(t);
    if (done > 0) phases.push({ phase, done });
    t = end;
  }
  const total = d1 - d0;
  const first = phases[0]?.phase ?? 0;
  const lv = pattern.levels?.(first);
  if (phases.length === 0) return NO_ACCESSES;
  if (phases.length === 1) {
    const { phase, done } = phases[0]!;
    return { at: (i) => done * pattern.weight(i, phase), range: (a, b) => done * pattern.rangeWeight(a, b, phase) };
  }
  if (!lv) {
    const sum = (f: (phase: number) => number) => {
      let v = 0;
      for (const ph of phases) v += ph.done * f(ph.phase);
      return v;
    };
    return { at: (i) => sum((ph) => pattern.weight(i, ph)), range: (a, b) => sum((ph) => pattern.rangeWeight(a, b, ph)) };
  }
  // Two weight levels: page i gets cold × total + (hot − cold) × H(i), where H(i) sums the
  // progress of the phases whose hot ranges hold i — a step function with ≤ 4 steps per phase.
  const edges = new Map<number, number>();
  const addEdge = (i: number, dv: number) => edges.set(i, (edges.get(i) ?? 0) + dv);
  for (const ph of phases) {
    for (const [a, b] of pattern.levels!(ph.phase).hotRanges) {
      addEdge(a, ph.done);
      addEdge(b, -ph.done);
    }
  }
  const pos = [...edges.keys()].sort((x, y) => x - y);
  const level = new Float64Array(pos.length); // H on [pos[j], pos[j + 1])
  const integral = new Float64Array(pos.length); // ∫ H over [0, pos[j])
  let h = 0;
  for (let j = 0; j < pos.length; j++) {
    if (j > 0) integral[j] = integral[j - 1]! + level[j - 1]! * (pos[j]! - pos[j - 1]!);
    h += edges.get(pos[j]!)!;
    level[j] = h;
  }
  // Index of the last edge ≤ i, or −1.
  const seg = (i: number): number => {
    let lo = -1;
    let hi = pos.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (pos[mid]! <= i) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const H = (x: number): number => {
    const j = seg(x);
    return j < 0 ? 0 : integral[j]! + level[j]! * (x - pos[j]!);
  };
  let cursor = -1;
  return {
    at: (i) => {
      if (i < 0 || i >= n) return 0;
      if (cursor >= 0 && pos[cursor]! > i) cursor = -1;
      while (cursor + 1 < pos.length && pos[cursor + 1]! <= i) cursor++;
      return lv.cold * total + (lv.hot - lv.cold) * (cursor < 0 ? 0 : level[cursor]!);
    },
    range: (a, b) => {
      const [i0, i1] = clip(a, b);
      return i1 <= i0 ? 0 : lv.cold * total * (i1 - i0) + (lv.hot - lv.cold) * (H(i1) - H(i0));
    },
  };
}

/** Times a sequential sweep over `nrPages` touches page `index` while progress goes d0 → d1. */
function sweepTouches(nrPages: number, d0: number, d1: number, index: number): number {
  // Touch k of page i is access number k·N + i + 1; count those done in (d0, d1].
  const upTo = (d: number) => (d < index + 1 ? 0 : Math.floor((d - index - 1) / nrPages) + 1);
  return upTo(Math.floor(d1)) - upTo(Math.floor(d0));
}

/** Stretches of pages [j0, j1) with one chance `prob` each of having been accessed. */
export type AccessStretches = (i0: number, i1: number, fn: (j0: number, j1: number, prob: number) => void) => void;

/**
 * accessedBetween's law for the pages of one VMA over one window, in stretches of pages that
 * share one probability (the A bits a walker such as a DAMOS young filter finds): `prob` is
 * exactly what accessedBetween draws against for each page of the stretch (1 − e^(−expected),
 * 0 when nothing is expected; 0 or 1 for sweeps). Hot-set patterns give a stretch per edge of
 * the window's hot ranges, uniform ones one per query, sweeps one per touched range; other
 * patterns one per page. Progress is looked up once per window.
 */
export function accessStretches(p: Process, vma: Vma, t0Ns: number, t1Ns: number): AccessStretches {
  t0Ns = Math.max(t0Ns, p.historyStartNs);
  t1Ns = Math.min(t1Ns, p.endNs ?? t1Ns);
  const N = vma.nrPages;
  const none: AccessStretches = (i0, i1, fn) => {
    if (i0 < i1) fn(i0, i1, 0);
  };
  if (t1Ns <= t0Ns || vma.pattern.order === 'none') return none;
  const d0 = p.doneAt(t0Ns);
  const d1 = p.doneAt(t1Ns);
  if (d1 - d0 <= 0) return none;
  const pattern = vma.pattern;
  let cuts: number[];
  let probAt: (i: number) => number;
  if (pattern.order === 'sweep') {
    // Accesses m in (a, b] touch page (m − 1) mod N: the pages from a mod N, b − a of them.
    const a = Math.floor(d0);
    const b = Math.floor(d1);
    const s0 = a % N;
    const e0 = s0 + (b - a);
    cuts = b - a >= N ? [0, N] : e0 <= N ? [0, s0, e0, N] : [0, e0 - N, s0, N];
    probAt = (i) => (sweepTouches(N, d0, d1, i) >= 1 ? 1 : 0);
  } else {
    const phases = progressByPhase(p, t0Ns, t1Ns);
    probAt = (i) => {
      let n = 0;
      for (const [phase, done] of phases) n += done * pattern.weight(i, phase);
      return n <= 0 ? 0 : 1 - Math.exp(-n);
    };
    if (pattern.levels) {
      // Every page weighs hot or cold in each phase: the weight changes only at hot-range edges.
      const edges = new Set<number>([0, N]);
      for (const [phase] of phases) for (const [x, y] of pattern.levels(phase).hotRanges) edges.add(x).add(y);
      cuts = [...edges].filter((x) => x >= 0 && x <= N).sort((x, y) => x - y);
    } else if (pattern instanceof UniformPattern) {
      cuts = [0, N];
    } else {
      return (i0, i1, fn) => {
        for (let i = i0; i < i1; i++) fn(i, i + 1, probAt(i));
      };
    }
  }
  return (i0, i1, fn) => {
    // The first cut above i0, then stretch by stretch.
    let lo = 0;
    let hi = cuts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cuts[mid]! > i0) hi = mid;
      else lo = mid + 1;
    }
    for (let j0 = i0, c = lo; j0 < i1; c++) {
      const j1 = Math.min(i1, cuts[c] ?? i1);
      if (j1 > j0) fn(j0, j1, probAt(j0));
      j0 = Math.max(j0, j1);
    }
  };
}

/**
 * Was the Accessed bit of page `index` set again between t0 (when it was cleared) and t1?
 * Random patterns draw from `rng` with probability 1 − e^(−expected); sweeps are exact.
 */
export function accessedBetween(p: Process, vma: Vma, index: number, t0Ns: number, t1Ns: number, rng: Prng): boolean {
  const n = expectedAccesses(p, vma, index, t0Ns, t1Ns);
  if (n <= 0) return false;
  if (vma.pattern.order === 'sweep') return n >= 1;
  return rng.nextFloat() < 1 - Math.exp(-n);
}

/**
 * When page `index` is next accessed after `tNs` at the workload's current rate (a NUMA
 * hint fault's time), or Infinity when it never is.
 */
export function nextAccessAfter(p: Process, vma: Vma, index: number, tNs: number, rng: Prng): number {
  const rate = p.rate;
  if (rate <= 0 || vma.pattern.order === 'none') return Infinity;
  if (vma.pattern.order === 'sweep') {
    const d = p.doneAt(tNs);
    const lap = d < index + 1 ? 0 : Math.floor((d - index - 1) / vma.nrPages) + 1;
    const next = lap * vma.nrPages + index + 1; // the access number that touches the page next
    return next > p.totalAccesses ? Infinity : tNs + (next - d) / rate;
  }
  const lambda = rate * vma.pattern.weight(index, p.phaseAt(tNs));
  if (lambda <= 0) return Infinity;
  return tNs - Math.log(1 - rng.nextFloat()) / lambda;
}

/** Ground truth: accesses per second to pages [i0, i1) of `vma` right now. */
export function accessRatePerSec(p: Process, vma: Vma, i0: number, i1: number, nowNs: number): number {
  return p.rate * 1e9 * vma.pattern.rangeWeight(i0, i1, p.phaseAt(nowNs));
}
