// A small ftrace (kernel/trace/trace.c, trace_events.c): a bounded ring of event lines in the
// `trace` file's format, the events the simulated kernel defines (the openEuler mem_sampling
// events of include/trace/events/kmem.h), and their tracefs switches: tracing_on,
// available_events, set_event, events/enable, events/<system>/enable,
// events/<system>/<event>/enable. Served at sys/kernel/tracing and sys/kernel/debug/tracing.
// The ring keeps the last TRACE_MAX_ENTRIES lines (the real buffer is sized in kB per CPU).
import createDebug from 'debug';
import { EINVAL, StaticDir, debugfsFile, subdir } from '../../kernfs/index.js';
import type { Kernel } from '../kernel.js';
import { debugfsRoot } from '../sched/numa_balancing.js';

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
  /** irqs-off / need-resched / hardirq-softirq / preempt-depth / migrate-disable: "d.h1." in an IRQ handler. */
  readonly irq?: boolean;
}

/** TP_printk of each event, from its raw fields. */
const FORMATS: Record<string, (a: Float64Array, at: number) => string> = {
  'kmem:mm_spe_record': (a, j) => `vaddr=${a[j]} paddr=${a[j + 1]} pid=${a[j + 2]}`,
  'kmem:mm_mem_sampling_access_record': (a, j) => `vaddr=${a[j]} paddr=${a[j + 1]} cpuid=${a[j + 2]} pid=${a[j + 3]}`,
  'kmem:mm_numa_migrating': (a, j) => `vaddr=${a[j]} page_nid=${a[j + 1]} target_nid=${a[j + 2]} migrate_success=${a[j + 3]}`,
};
const EVENT_KEYS = Object.entries(TRACE_EVENTS).flatMap(([sys, evs]) => evs.map((e) => `${sys}:${e}`));
const ARGS = 4;

/**
 * The ring buffer: raw event fields in typed arrays (as ftrace stores binary entries), formatted
 * only when `trace` is read, so tracing costs no strings per event.
 */
export class TraceBuffer {
  private readonly event = new Uint8Array(TRACE_MAX_ENTRIES);
  private readonly pid = new Int32Array(TRACE_MAX_ENTRIES);
  private readonly cpu = new Int32Array(TRACE_MAX_ENTRIES);
  private readonly irq = new Uint8Array(TRACE_MAX_ENTRIES);
  private readonly tNs = new Float64Array(TRACE_MAX_ENTRIES);
  private readonly args = new Float64Array(TRACE_MAX_ENTRIES * ARGS);
  private readonly comms = new Map<number, string>();
  private count = 0;
  private head = 0;
  /** entries-written: every event since the last clear, kept or not. */
  private written = 0;
  tracingOn = true;
  /** Enabled flag per event id (index in EVENT_KEYS). */
  private readonly enabled = new Uint8Array(EVENT_KEYS.length);

  constructor(private readonly nrCpus: number) {}

  private id(system: string, event: string): number {
    return EVENT_KEYS.indexOf(`${system}:${event}`);
  }

  /** Is the event with this id being recorded (so the caller can skip work)? */
  wants(id: number): boolean {
    return this.tracingOn && this.enabled[id] === 1;
  }

  /** The id of `system:event` for emit() and wants(). */
  eventId(system: string, event: string): number {
    const id = this.id(system, event);
    if (id < 0) throw new RangeError(`no trace event ${system}:${event}`);
    return id;
  }

  isEnabled(system: string, event: string): boolean {
    return this.enabled[this.id(system, event)] === 1;
  }

  setEnabled(system: string, event: string, on: boolean): void {
    this.enabled[this.id(system, event)] = on ? 1 : 0;
    trace('%s:%s %s', system, event, on ? 'enabled' : 'disabled');
  }

  enabledEvents(): string[] {
    return EVENT_KEYS.filter((_, id) => this.enabled[id] === 1);
  }

  /** Record one event with up to four numeric fields (trace_event_raw_event_<event>). */
  emit(id: number, ctx: TraceContext, a0: number, a1: number, a2: number, a3 = 0): void {
    if (!this.wants(id)) return;
    const j = this.count < TRACE_MAX_ENTRIES ? this.count++ : this.head;
    if (this.count === TRACE_MAX_ENTRIES && j === this.head) this.head = (this.head + 1) % TRACE_MAX_ENTRIES;
    this.event[j] = id;
    this.pid[j] = ctx.pid;
    this.cpu[j] = ctx.cpu;
    this.irq[j] = ctx.irq ? 1 : 0;
    this.tNs[j] = ctx.tNs;
    const b = j * ARGS;
    this.args[b] = a0;
    this.args[b + 1] = a1;
    this.args[b + 2] = a2;
    this.args[b + 3] = a3;
    if (!this.comms.has(ctx.pid)) this.comms.set(ctx.pid, ctx.comm);
    this.written++;
  }

  /** tracing_reset_online_cpus(): what opening `trace` with O_TRUNC does. */
  clear(): void {
    this.count = 0;
    this.head = 0;
    this.written = 0;
  }

  private line(j: number): string {
    const key = EVENT_KEYS[this.event[j]!]!;
    const t = this.tNs[j]!;
    const secs = Math.floor(t / 1e9);
    const usecs = Math.floor((t % 1e9) / 1e3);
    const pid = this.pid[j]!;
    const task = `${(this.comms.get(pid) ?? '<...>').slice(0, 16).padStart(16)}-${String(pid).padEnd(7)}`;
    const flags = this.irq[j] ? 'd.h1.' : '.....';
    return `${task} [${String(this.cpu[j]).padStart(3, '0')}] ${flags} ${String(secs).padStart(5)}.${String(usecs).padStart(6, '0')}: ${key.split(':')[1]}: ${FORMATS[key]!(this.args, j * ARGS)}\n`;
  }

  /** The `trace` file: the nop tracer's header, then the kept lines, oldest first. */
  show(): string {
    const n = this.count;
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
    for (let k = 0; k < n; k++) out += this.line((this.head + k) % n);
    return out;
  }
}

/** kstrtoul base 10 of a whole write (trailing newline allowed). */
function parseUlong(input: string): number {
  const t = input.replace(/\n$/, '');
  if (!/^\d+$/.test(t)) throw EINVAL; // kstrtoul_from_user: not a decimal number
  return Number(t);
}

/** TRACE_MODE_WRITE / TRACE_MODE_READ (5.17+: no permission bits for others). */
const TRACE_MODE_WRITE = 0o640;
const TRACE_MODE_READ = 0o440;
/** tracefs_create_dir(): rwxr-x---; the tracefs root itself is TRACEFS_DEFAULT_MODE, 0700. */
const TRACE_DIR_MODE = 0o750;
const TRACEFS_DEFAULT_MODE = 0o700;

/** An enable file: "0" or "1" ("X" for a system with some events on), EINVAL for anything else. */
function enableFile(get: () => string, set: (on: boolean) => void) {
  return debugfsFile({
    mode: TRACE_MODE_WRITE,
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
  // tracefs answers the VFS like debugfs (no create, no unlink outside instances/).
  const dir = new StaticDir({}, TRACEFS_DEFAULT_MODE, 'debugfs');
  dir.set('trace', debugfsFile({
    mode: TRACE_MODE_WRITE,
    show: () => buf.show(),
    // `echo > trace` truncates (O_TRUNC resets the buffer); tracing_write_stub accepts the data.
    store: () => buf.clear(),
  }));
  dir.set('tracing_on', debugfsFile({
    mode: TRACE_MODE_WRITE,
    show: () => `${buf.tracingOn ? 1 : 0}\n`,
    store: (input) => {
      buf.tracingOn = parseUlong(input) !== 0; // rb_simple_write: any non-zero value turns it on
    },
  }));
  const all = Object.entries(TRACE_EVENTS).flatMap(([sys, evs]) => evs.map((e) => [sys, e] as const));
  dir.set('available_events', debugfsFile({ mode: TRACE_MODE_READ, show: () => all.map(([s, e]) => `${s}:${e}\n`).join('') }));
  dir.set('set_event', debugfsFile({
    mode: TRACE_MODE_WRITE,
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
  const events = subdir(dir, 'events', TRACE_DIR_MODE);
  const mixed = (list: ReadonlyArray<readonly [string, string]>) => {
    const on = list.filter(([s, e]) => buf.isEnabled(s, e)).length;
    return on === 0 ? '0' : on === list.length ? '1' : 'X';
  };
  events.set('enable', enableFile(() => mixed(all), (on) => all.forEach(([s, e]) => buf.setEnabled(s, e, on))));
  for (const [sys, evs] of Object.entries(TRACE_EVENTS)) {
    const sdir = subdir(events, sys, TRACE_DIR_MODE);
    const list = evs.map((e) => [sys, e] as const);
    sdir.set('enable', enableFile(() => mixed(list), (on) => list.forEach(([s, e]) => buf.setEnabled(s, e, on))));
    for (const ev of evs) {
      subdir(sdir, ev, TRACE_DIR_MODE).set('enable', enableFile(() => (buf.isEnabled(sys, ev) ? '1' : '0'), (on) => buf.setEnabled(sys, ev, on)));
    }
  }
  debugfsRoot(k).set('tracing', dir);
  k.dir('sys/kernel').set('tracing', dir);
}
