// A small ftrace (kernel/trace/trace.c, trace_events.c): a bounded ring of event lines in the
// `trace` file's format, the events the simulated kernel defines (the openEuler mem_sampling
// events of include/trace/events/kmem.h), and their tracefs switches: tracing_on,
// available_events, set_event, events/enable, events/<system>/enable,
// events/<system>/<event>/enable. Served at sys/kernel/tracing and sys/kernel/debug/tracing.
// The ring keeps the last TRACE_MAX_ENTRIES lines (the real buffer is sized in kB per CPU).
import createDebug from 'debug';
import { EINVAL, StaticDir, debugfsFile, subdir } from '../../kernfs/index.js';
import type { Kernel } from '../kernel.js';

const trace = createDebug('tiersim:trace');

/** Lines kept: older ones are overwritten, as the ring buffer overwrites (overwrite mode). */
export const TRACE_MAX_ENTRIES = 16384;

/** The events this kernel defines, by system. */
export const TRACE_EVENTS: Record<string, readonly string[]> = {
  kmem: ['mm_spe_record', 'mm_mem_sampling_access_record', 'mm_numa_migrating'],
};

/** Where an event fires: the task (comm, pid) running on `cpu`, and the context flags. */
export interface TraceContext {
  readonly comm: string;
  readonly pid: number;
  readonly cpu: number;
  readonly tNs: number;
  /** irqs-off / need-resched / hardirq-softirq / preempt-depth / migrate-disable: "d.h.." in an IRQ handler. */
  readonly irq?: boolean;
}

export class TraceBuffer {
  private readonly ring: string[] = [];
  private head = 0;
  /** entries-written: every event since the last clear, kept or not. */
  private written = 0;
  tracingOn = true;
  private readonly enabled = new Set<string>();

  constructor(private readonly nrCpus: number) {}

  /** Is `system:event` being recorded (so the caller can skip formatting)? */
  wants(system: string, event: string): boolean {
    return this.tracingOn && this.enabled.has(`${system}:${event}`);
  }

  isEnabled(system: string, event: string): boolean {
    return this.enabled.has(`${system}:${event}`);
  }

  setEnabled(system: string, event: string, on: boolean): void {
    const key = `${system}:${event}`;
    if (on) this.enabled.add(key);
    else this.enabled.delete(key);
    trace('%s %s', key, on ? 'enabled' : 'disabled');
  }

  enabledEvents(): string[] {
    return [...this.enabled];
  }

  /** Record one event line, as trace_event_raw_event_<event> + the default output would print it. */
  emit(system: string, event: string, ctx: TraceContext, text: string): void {
    if (!this.wants(system, event)) return;
    const secs = Math.floor(ctx.tNs / 1e9);
    const usecs = Math.floor((ctx.tNs % 1e9) / 1e3);
    const task = `${ctx.comm.slice(0, 16).padStart(16)}-${String(ctx.pid).padEnd(7)}`;
    const line = `${task} [${String(ctx.cpu).padStart(3, '0')}] ${ctx.irq ? 'd.h1.' : '.....'} ${String(secs).padStart(5)}.${String(usecs).padStart(6, '0')}: ${event}: ${text}\n`;
    if (this.ring.length < TRACE_MAX_ENTRIES) this.ring.push(line);
    else {
      this.ring[this.head] = line;
      this.head = (this.head + 1) % TRACE_MAX_ENTRIES;
    }
    this.written++;
  }

  /** tracing_reset_online_cpus(): what opening `trace` with O_TRUNC does. */
  clear(): void {
    this.ring.length = 0;
    this.head = 0;
    this.written = 0;
  }

  /** The `trace` file: the nop tracer's header, then the kept lines, oldest first. */
  show(): string {
    const n = this.ring.length;
    let out =
      '# tracer: nop\n' +
      '#\n' +
      `# entries-in-buffer/entries-written: ${n}/${this.written}   #P:${this.nrCpus}\n` +
      '#\n' +
      '#                                _-----=> irqs-off/BH-disabled\n' +
      '#                               / _----=> need-resched\n' +
      '#                              | / _---=> hardirq/softirq\n' +
      '#                              || / _--=> preempt-depth\n' +
      '#                              ||| / _-=> migrate-disable\n' +
      '#                              |||| /     delay\n' +
      '#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n' +
      '#              | |         |   |||||     |         |\n';
    for (let j = 0; j < n; j++) out += this.ring[(this.head + j) % n];
    return out;
  }
}

/** kstrtoul base 10 of a whole write (trailing newline allowed). */
function parseUlong(input: string): number {
  const t = input.replace(/\n$/, '');
  if (!/^\d+$/.test(t)) throw EINVAL; // kstrtoul_from_user: not a decimal number
  return Number(t);
}

/** An enable file: "0" or "1" ("X" for a system with some events on), EINVAL for anything else. */
function enableFile(get: () => string, set: (on: boolean) => void) {
  return debugfsFile({
    mode: 0o644,
    show: () => `${get()}\n`,
    store: (input) => {
      const v = parseUlong(input);
      if (v !== 0 && v !== 1) throw EINVAL; // event_enable_write / system_enable_write: only 0 or 1
      set(v === 1);
    },
  });
}

/** tracefs for the kernel's trace buffer (both mount points show the same tree). */
export function registerTracing(k: Kernel): void {
  const buf = k.trace;
  const dir = new StaticDir({}, 0o700);
  dir.set('trace', debugfsFile({
    mode: 0o644,
    show: () => buf.show(),
    // `echo > trace` truncates (O_TRUNC resets the buffer); tracing_write_stub accepts the data.
    store: () => buf.clear(),
  }));
  dir.set('tracing_on', debugfsFile({
    mode: 0o644,
    show: () => `${buf.tracingOn ? 1 : 0}\n`,
    store: (input) => {
      buf.tracingOn = parseUlong(input) !== 0; // rb_simple_write: any non-zero value turns it on
    },
  }));
  const all = Object.entries(TRACE_EVENTS).flatMap(([sys, evs]) => evs.map((e) => [sys, e] as const));
  dir.set('available_events', debugfsFile({ mode: 0o444, show: () => all.map(([s, e]) => `${s}:${e}\n`).join('') }));
  dir.set('set_event', debugfsFile({
    mode: 0o644,
    show: () => buf.enabledEvents().map((e) => `${e}\n`).join(''),
    store: (input) => {
      const words = input.split(/\s+/).filter((w) => w !== '');
      // An empty write is what `echo > set_event` leaves after O_TRUNC cleared every event.
      if (words.length === 0) {
        for (const [s, e] of all) buf.setEnabled(s, e, false);
        return;
      }
      for (const w of words) {
        const off = w.startsWith('!');
        const name = off ? w.slice(1) : w;
        const [sys, ev] = name.includes(':') ? name.split(':', 2) as [string, string] : ['*', name];
        const hits = all.filter(([s, e]) => (sys === '*' || s === sys) && (ev === '*' || e === ev));
        if (hits.length === 0) throw EINVAL; // ftrace_set_clr_event: no event matched
        for (const [s, e] of hits) buf.setEnabled(s, e, !off);
      }
    },
  }));
  const events = subdir(dir, 'events', 0o755);
  const mixed = (list: ReadonlyArray<readonly [string, string]>) => {
    const on = list.filter(([s, e]) => buf.isEnabled(s, e)).length;
    return on === 0 ? '0' : on === list.length ? '1' : 'X';
  };
  events.set('enable', enableFile(() => mixed(all), (on) => all.forEach(([s, e]) => buf.setEnabled(s, e, on))));
  for (const [sys, evs] of Object.entries(TRACE_EVENTS)) {
    const sdir = subdir(events, sys, 0o755);
    const list = evs.map((e) => [sys, e] as const);
    sdir.set('enable', enableFile(() => mixed(list), (on) => list.forEach(([s, e]) => buf.setEnabled(s, e, on))));
    for (const ev of evs) {
      subdir(sdir, ev, 0o755).set('enable', enableFile(() => (buf.isEnabled(sys, ev) ? '1' : '0'), (on) => buf.setEnabled(sys, ev, on)));
    }
  }
  subdir(k.dir('sys/kernel'), 'debug', 0o700).set('tracing', dir);
  k.dir('sys/kernel').set('tracing', dir);
}
