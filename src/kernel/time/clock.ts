// Simulated time: nanoseconds since boot, one clock and one event queue per kernel instance
// (the simulator's jiffies + hrtimer base). Kernel threads, timers and workload phases are
// events; nothing in src/kernel reads the wall clock. In `realtime` mode the host side
// (src/cli) calls advanceTo() from the wall clock; in `virtual` mode only explicit advances
// move time.

export type ClockMode = 'realtime' | 'virtual';

export type TimerCallback = (nowNs: number) => void;

interface Timer {
  atNs: number;
  seq: number;
  fn: TimerCallback;
  cancelled: boolean;
}

/** Handle returned by schedule(); cancel() is idempotent. */
export interface TimerHandle {
  cancel(): void;
  readonly atNs: number;
}

export class Clock {
  private now = 0;
  private seq = 0;
  private heap: Timer[] = [];
  /** Cancelled timers still in the heap (removed lazily; compacted when they dominate). */
  private cancelled = 0;

  constructor(readonly mode: ClockMode) {}

  get nowNs(): number {
    return this.now;
  }

  /** Run `fn` when simulated time reaches `atNs`, rounded up to whole ns (FIFO among equal times). */
  schedule(atNs: number, fn: TimerCallback): TimerHandle {
    const timer: Timer = { atNs: Math.max(Math.ceil(atNs), this.now), seq: this.seq++, fn, cancelled: false };
    this.push(timer);
    return {
      atNs: timer.atNs,
      cancel: () => {
        if (timer.cancelled) return;
        timer.cancelled = true;
        if (++this.cancelled > 1024 && this.cancelled > this.heap.length / 2) this.compact();
      },
    };
  }

  /** Run `fn` after `delayNs`. */
  after(delayNs: number, fn: TimerCallback): TimerHandle {
    return this.schedule(this.now + delayNs, fn);
  }

  /** Time of the next pending event, or undefined. */
  nextEventNs(): number | undefined {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) {
      this.pop();
      this.cancelled--;
    }
    return this.heap[0]?.atNs;
  }

  /**
   * Advance to `targetNs`, running every event due on the way in time order.
   * @param maxEvents stop early after this many events (so a caller can yield to I/O);
   *   returns true when `targetNs` was reached.
   */
  advanceTo(targetNs: number, maxEvents = Infinity): boolean {
    let ran = 0;
    for (;;) {
      const next = this.nextEventNs();
      if (next === undefined || next > targetNs) break;
      if (ran >= maxEvents) return false;
      const timer = this.pop()!;
      this.now = Math.max(this.now, timer.atNs);
      timer.cancelled = true; // fired: a later cancel() is a no-op
      timer.fn(this.now);
      ran++;
    }
    if (targetNs > this.now) this.now = Math.floor(targetNs);
    return true;
  }

  /** Drop cancelled timers and rebuild the heap (a sorted array is a valid heap). */
  private compact(): void {
    this.heap = this.heap.filter((t) => !t.cancelled).sort((a, b) => (before(a, b) ? -1 : 1));
    this.cancelled = 0;
  }

  private push(t: Timer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): Timer | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.atNs < b.atNs || (a.atNs === b.atNs && a.seq < b.seq);
}
