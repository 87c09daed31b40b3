// Drives a kernel's clock from the wall clock (DESIGN.md §2 `realtime` mode): every tick the
// simulation advances to wall time × speed, in slices that yield to the event loop so FUSE
// requests are never starved.
import createDebug from 'debug';
import type { Clock } from '../kernel/time/clock.js';

const trace = createDebug('tiersim:clock');
const TICK_MS = 10;
const EVENTS_PER_SLICE = 10_000;

export class RealtimeDriver {
  private timer: NodeJS.Timeout | undefined;
  private readonly startWall = process.hrtime.bigint();
  private readonly startSim: number;

  constructor(
    private readonly clock: Clock,
    private readonly speed = 1,
  ) {
    this.startSim = clock.nowNs;
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const wallNs = Number(process.hrtime.bigint() - this.startWall);
    const target = this.startSim + Math.floor(wallNs * this.speed);
    if (!this.clock.advanceTo(target, EVENTS_PER_SLICE)) trace('behind wall clock at %d ns', this.clock.nowNs);
  }
}
