// The lazy access model (workload/access_model.ts, pattern.ts): empirical Accessed-bit rates
// match the distribution over many samples with a fixed seed; sweeps are exact; hot sets and
// zipf skew the weights as declared; next-access draws have the right mean; progress and the
// completion time follow placement.
import { describe, expect, it } from 'vitest';
import { Prng } from '../../../src/kernel/lib/prng.js';
import { accessRatePerSec, accessedBetween, expectedAccesses, nextAccessAfter } from '../../../src/kernel/workload/access_model.js';
import { HotsetPattern, ZipfPattern } from '../../../src/kernel/workload/pattern.js';
import { advance, bootPreset, spawn } from './boot.js';

describe('Accessed-bit draws', () => {
  it('uniform (abench): the fraction of pages found accessed is 1 - e^(-expected) within 0.02 over 20000 samples', async () => {
    const k = bootPreset();
    const p = k.tasks.get(await spawn(k, 'abench size=256M threads=8 iters=0 node=0'))!;
    const rng = new Prng(42);
    // Pick a window in which each page expects about one access.
    const perPage = p.rate / p.vma.nrPages; // accesses per ns per page
    const window = Math.round(1 / perPage);
    await advance(k, `${window * 3}ns`);
    const t0 = k.clock.nowNs - window * 2;
    const t1 = t0 + window;
    const x = expectedAccesses(p, p.vma, 0, t0, t1);
    expect(x).toBeCloseTo(1, 2);
    let hits = 0;
    const N = 20000;
    for (let s = 0; s < N; s++) if (accessedBetween(p, p.vma, s % p.vma.nrPages, t0, t1, rng)) hits++;
    expect(Math.abs(hits / N - (1 - Math.exp(-x)))).toBeLessThan(0.02);
  });

  it('hot set: a hot page expects share/hot ÷ (1-share)/(1-hot) = 81 times a cold page, and is found accessed more often', async () => {
    const k = bootPreset();
    const p = k.tasks.get(await spawn(k, 'hotset size=64M hot=0.1 share=0.9 node=0'))!;
    await advance(k, '1ms');
    const hot = p.vma.pattern as HotsetPattern;
    const t0 = k.clock.nowNs - 1_000_000;
    const t1 = k.clock.nowNs;
    const xh = expectedAccesses(p, p.vma, 0, t0, t1);
    const xc = expectedAccesses(p, p.vma, hot.hotPages + 1, t0, t1);
    const cold = p.vma.nrPages - hot.hotPages;
    expect(xh / xc).toBeCloseTo((0.9 / hot.hotPages) / (0.1 / cold), 6); // 81 up to rounding of the hot page count
    expect(xh / xc).toBeCloseTo(81, 1);
    const rng = new Prng(3);
    const frac = (lo: number, hi: number) => {
      let n = 0;
      for (let i = lo; i < hi; i++) if (accessedBetween(p, p.vma, i, t0, t1, rng)) n++;
      return n / (hi - lo);
    };
    const fh = frac(0, hot.hotPages);
    const fc = frac(hot.hotPages, p.vma.nrPages);
    expect(Math.abs(fh - (1 - Math.exp(-xh)))).toBeLessThan(0.03);
    expect(Math.abs(fc - (1 - Math.exp(-xc)))).toBeLessThan(0.03);
  });

  it('hot set phases move the hot set to the next pages, and expected accesses split at the boundary', async () => {
    const k = bootPreset();
    const p = k.tasks.get(await spawn(k, 'hotset size=4M hot=0.25 share=1 phase=10ms node=0'))!;
    await advance(k, '20ms');
    const hot = p.vma.pattern as HotsetPattern;
    const inPhase0 = 0;
    const inPhase1 = hot.hotPages;
    expect(expectedAccesses(p, p.vma, inPhase0, p.startNs, p.startNs + 10e6)).toBeGreaterThan(0);
    expect(expectedAccesses(p, p.vma, inPhase1, p.startNs, p.startNs + 10e6)).toBe(0);
    expect(expectedAccesses(p, p.vma, inPhase0, p.startNs + 10e6, p.startNs + 20e6)).toBe(0);
    expect(expectedAccesses(p, p.vma, inPhase1, p.startNs + 10e6, p.startNs + 20e6)).toBeGreaterThan(0);
  });

  it('memhog (sweep) is exact: within less than one sweep, exactly the pages the sweep passed are accessed', async () => {
    const k = bootPreset();
    const p = k.tasks.get(await spawn(k, 'memhog size=16M repeat=100 node=0'))!;
    const sweepNs = p.vma.nrPages / p.rate;
    await advance(k, `${Math.round(sweepNs * 2.5)}ns`);
    const t0 = p.startNs + Math.round(sweepNs * 1.25);
    const t1 = p.startNs + Math.round(sweepNs * 1.5);
    const [d0, d1] = [p.doneAt(t0), p.doneAt(t1)].map(Math.floor) as [number, number];
    const rng = new Prng(1);
    for (let i = 0; i < p.vma.nrPages; i++) {
      const pos = i + 1 + p.vma.nrPages; // the access number that touches page i in the second sweep
      expect(accessedBetween(p, p.vma, i, t0, t1, rng)).toBe(pos > d0 && pos <= d1);
    }
    expect(expectedAccesses(p, p.vma, 7, p.startNs, p.startNs + Math.round(sweepNs * 2.5))).toBe(3);
  });

  it('idle processes are never accessed and never fault', async () => {
    const k = bootPreset();
    const p = k.tasks.get(await spawn(k, 'idle size=1M'))!;
    await advance(k, '1s');
    const rng = new Prng(1);
    expect(accessedBetween(p, p.vma, 0, 0, k.clock.nowNs, rng)).toBe(false);
    expect(nextAccessAfter(p, p.vma, 0, k.clock.nowNs, rng)).toBe(Infinity);
    expect(k.fs.readFile(`sim/processes/${p.pid}/state`)).toBe('sleeping\n');
  });

  it('nextAccessAfter for a uniform page has mean 1/(rate × weight) within 3% over 20000 draws', async () => {
    const k = bootPreset();
    const p = k.tasks.get(await spawn(k, 'abench size=4M threads=2 iters=0 node=0'))!;
    const rng = new Prng(9);
    const now = k.clock.nowNs;
    let sum = 0;
    const N = 20000;
    for (let s = 0; s < N; s++) sum += nextAccessAfter(p, p.vma, 5, now, rng) - now;
    const mean = 1 / (p.rate / p.vma.nrPages);
    expect(Math.abs(sum / N / mean - 1)).toBeLessThan(0.03);
  });

  it('the same seed gives the same answers', async () => {
    const answers = async () => {
      const k = bootPreset();
      const p = k.tasks.get(await spawn(k, 'zipf size=4M node=1'))!;
      await advance(k, '5ms');
      const rng = new Prng(5);
      return Array.from({ length: 500 }, (_, i) => accessedBetween(p, p.vma, i, 0, k.clock.nowNs, rng));
    };
    expect(await answers()).toEqual(await answers());
  });
});

describe('patterns and ground truth', () => {
  it('zipf weights sum to 1, page 0 is the hottest, and weights fall with rank', () => {
    const z = new ZipfPattern(1000, 1.1);
    expect(z.rangeWeight(0, 1000)).toBeCloseTo(1, 12);
    expect(z.weight(0)).toBeGreaterThan(z.weight(1));
    expect(z.weight(1) / z.weight(3)).toBeCloseTo(Math.pow(2, 1.1), 9);
    expect(z.rangeWeight(10, 20)).toBeCloseTo(Array.from({ length: 10 }, (_, i) => z.weight(10 + i)).reduce((a, b) => a + b), 12);
  });

  it('hot-set range weights count a wrapped hot set on both ends', () => {
    const h = new HotsetPattern(100, 0.2, 0.8);
    expect(h.rangeWeight(0, 100, 0)).toBeCloseTo(1, 12);
    // Phase 4 starts the hot set at page 80: pages 80..99 are hot.
    expect(h.rangeWeight(80, 100, 4)).toBeCloseTo(0.8, 12);
    // Phase 5 wraps: hot set at 0..19 again (100 mod 100).
    expect(h.rangeWeight(0, 20, 5)).toBeCloseTo(0.8, 12);
  });

  it('the true access rate of the whole buffer is the process rate; of the hot set, its share', async () => {
    const k = bootPreset();
    const p = k.tasks.get(await spawn(k, 'hotset size=16M hot=0.1 share=0.9 node=1'))!;
    const hot = (p.vma.pattern as HotsetPattern).hotPages;
    expect(accessRatePerSec(p, p.vma, 0, p.vma.nrPages, k.clock.nowNs)).toBeCloseTo(p.rate * 1e9, 3);
    expect(accessRatePerSec(p, p.vma, 0, hot, k.clock.nowNs) / (p.rate * 1e9)).toBeCloseTo(0.9, 3);
  });

  it('a process progresses at its rate and completes when its accesses are done', async () => {
    const k = bootPreset();
    const p = k.tasks.get(await spawn(k, 'abench size=4M threads=2 iters=3 node=0'))!;
    const total = 3 * 1024;
    expect(p.totalAccesses).toBe(total);
    const expectedNs = total / p.rate;
    await advance(k, `${Math.floor(expectedNs / 2)}ns`);
    expect(p.doneAt(k.clock.nowNs)).toBeCloseTo(total / 2, 0);
    await advance(k, `${Math.ceil(expectedNs)}ns`);
    expect(p.state).toBe('done');
    expect(Math.abs(p.runtimeNs - expectedNs)).toBeLessThanOrEqual(1);
    expect(k.fs.readFile(`sim/processes/${p.pid}/progress`)).toBe(`${total} ${total}\n`);
  });
});
