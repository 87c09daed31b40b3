// The kernel log (kernel/printk): a bounded ring of timestamped lines, shown as sim/dmesg. The
// simulator's own messages land here too — e.g. why a sim/spawn write was refused — since an
// errno cannot carry a sentence through write(2).
import createDebug from 'debug';
import type { Clock } from './time/clock.js';

const trace = createDebug('tiersim:printk');
const MAX_LINES = 1024;

export class KernelLog {
  private lines: string[] = [];
  /** Lines dropped off the front of the ring since boot (the ring's sequence base). */
  dropped = 0;

  constructor(private readonly clock: Clock) {}

  /** Log one line, prefixed `[seconds.micros]` like dmesg. */
  printk(msg: string): void {
    const us = Math.floor(this.clock.nowNs / 1000);
    const stamp = `[${String(Math.floor(us / 1e6)).padStart(5, ' ')}.${String(us % 1e6).padStart(6, '0')}]`;
    this.lines.push(`${stamp} ${msg}`);
    trace('%s', msg);
    if (this.lines.length > MAX_LINES) {
      const cut = this.lines.length - MAX_LINES;
      this.lines = this.lines.slice(cut);
      this.dropped += cut;
    }
  }

  /** Total lines ever logged (the next line's sequence number). */
  get sequence(): number {
    return this.dropped + this.lines.length;
  }

  show(): string {
    return this.lines.map((l) => `${l}\n`).join('');
  }

  /** The last line logged, or ''. */
  get last(): string {
    return this.lines[this.lines.length - 1] ?? '';
  }
}
