// Access distributions over a workload's buffer (DESIGN.md §3, the lazy access model). A
// pattern says which share of the workload's accesses lands on each page; the workload's
// progress says how many accesses happened by when. Together they answer "was this page
// accessed between t0 and t1" without simulating accesses one by one.

/** How accesses are ordered in time: independent random draws, or one sequential sweep. */
export type AccessOrder = 'random' | 'sweep' | 'none';

export interface AccessPattern {
  readonly order: AccessOrder;
  readonly nrPages: number;
  /** Share of accesses that land on page `i` during phase `phase` (sums to 1 over pages). */
  weight(i: number, phase: number): number;
  /** Share of accesses landing on pages [i0, i1) during `phase`. */
  rangeWeight(i0: number, i1: number, phase: number): number;
  /**
   * For a pattern with two weight levels (hot set): which page ranges carry the higher one in
   * `phase`. Lets a phase change and a ground-truth query cost O(ranges), not O(pages).
   */
  levels?(phase: number): WeightLevels;
}

/** Every page weighs `cold`, except the pages of `hotRanges` ([i0, i1) each), which weigh `hot`. */
export interface WeightLevels {
  readonly cold: number;
  readonly hot: number;
  readonly hotRanges: ReadonlyArray<readonly [number, number]>;
}

/** Every page equally likely (abench's random 4 KiB accesses, memhog's sweeps). */
export class UniformPattern implements AccessPattern {
  constructor(
    readonly nrPages: number,
    readonly order: 'random' | 'sweep',
  ) {}

  weight(): number {
    return 1 / this.nrPages;
  }

  rangeWeight(i0: number, i1: number): number {
    return (Math.min(i1, this.nrPages) - Math.max(i0, 0)) / this.nrPages;
  }
}

/** No accesses at all (an idle process holding memory). */
export class IdlePattern implements AccessPattern {
  readonly order = 'none';
  constructor(readonly nrPages: number) {}
  weight(): number {
    return 0;
  }
  rangeWeight(): number {
    return 0;
  }
}

/**
 * A hot set of `hotFraction` of the pages takes `hotShare` of the accesses; the rest share
 * the remainder evenly. Each phase change moves the hot set to the pages just after it
 * (wrapping), the way a program moves on to a new working set.
 */
export class HotsetPattern implements AccessPattern {
  readonly order = 'random';
  readonly hotPages: number;
  private readonly hotW: number;
  private readonly coldW: number;

  constructor(
    readonly nrPages: number,
    readonly hotFraction: number,
    readonly hotShare: number,
  ) {
    this.hotPages = Math.max(1, Math.min(nrPages, Math.round(nrPages * hotFraction)));
    const cold = nrPages - this.hotPages;
    this.hotW = cold === 0 ? 1 / nrPages : hotShare / this.hotPages;
    this.coldW = cold === 0 ? 0 : (1 - hotShare) / cold;
  }

  /** First page of the hot set in `phase`. */
  hotStart(phase: number): number {
    return (phase * this.hotPages) % this.nrPages;
  }

  levels(phase: number): WeightLevels {
    const s = this.hotStart(phase);
    const e = s + this.hotPages;
    const hotRanges: Array<[number, number]> = [[s, Math.min(e, this.nrPages)]];
    if (e > this.nrPages) hotRanges.push([0, e - this.nrPages]);
    return { cold: this.coldW, hot: this.hotW, hotRanges };
  }

  weight(i: number, phase: number): number {
    const off = (i - this.hotStart(phase) + this.nrPages) % this.nrPages;
    return off < this.hotPages ? this.hotW : this.coldW;
  }

  rangeWeight(i0: number, i1: number, phase: number): number {
    const lo = Math.max(i0, 0);
    const hi = Math.min(i1, this.nrPages);
    if (hi <= lo) return 0;
    // Hot pages inside [lo, hi): the hot set is one interval, possibly wrapped into two.
    const s = this.hotStart(phase);
    const e = s + this.hotPages;
    const overlap = (a: number, b: number) => Math.max(0, Math.min(hi, b) - Math.max(lo, a));
    const hot = overlap(s, Math.min(e, this.nrPages)) + (e > this.nrPages ? overlap(0, e - this.nrPages) : 0);
    return hot * this.hotW + (hi - lo - hot) * this.coldW;
  }
}

/**
 * Zipf over pages: page i has rank i+1 and weight ∝ 1/(i+1)^skew, so the buffer's start is
 * hottest. The normalising prefix sums are computed once per pattern.
 */
export class ZipfPattern implements AccessPattern {
  readonly order = 'random';
  private readonly prefix: Float64Array;

  constructor(
    readonly nrPages: number,
    readonly skew: number,
  ) {
    this.prefix = new Float64Array(nrPages + 1);
    let sum = 0;
    for (let i = 0; i < nrPages; i++) {
      sum += 1 / Math.pow(i + 1, skew);
      this.prefix[i + 1] = sum;
    }
  }

  weight(i: number): number {
    return 1 / Math.pow(i + 1, this.skew) / this.prefix[this.nrPages]!;
  }

  rangeWeight(i0: number, i1: number): number {
    const lo = Math.max(i0, 0);
    const hi = Math.min(i1, this.nrPages);
    if (hi <= lo) return 0;
    return (this.prefix[hi]! - this.prefix[lo]!) / this.prefix[this.nrPages]!;
  }
}
