// `tiersim stat`: vmstat(8)/numastat(8) for a tiered machine. A user-space client that only
// reads files under --mount (a tiersim mount, or / for the real kernel): per-node memory from
// nodeN/meminfo, page-movement rates from /proc/vmstat counters read by name (absent ones are
// skipped, so new mechanisms' counters show up when they land), DAMON state, simulated
// processes' progress and, where a sim/ placement file offers it, the top tier's share of
// accesses. One line per interval; --plot draws the timeline when sampling ends.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { timelineSpec, type LineSeries } from '../plot/lines.js';
import { imageFormatOf } from '../plot/style.js';
import { CliError } from './machine.js';

export interface StatOptions {
  readonly mount: string;
  readonly intervalMs: number;
  /** Samples to take (vmstat's count, the first included); undefined = until SIGINT/SIGTERM. */
  readonly count?: number;
  readonly format: 'table' | 'csv' | 'json';
  readonly plot?: string;
}

export interface NodeMem {
  readonly nid: number;
  readonly totalKb: number;
  readonly freeKb: number;
  readonly usedKb: number;
}

export interface ProcProgress {
  readonly pid: number;
  readonly state: string;
  readonly done: number;
  readonly total: number;
}

export interface StatSample {
  readonly wallMs: number;
  /** sim/clock, when the mount is a simulator. */
  readonly simNs?: number;
  /** /proc/uptime in ns on a real kernel. */
  readonly uptimeNs?: number;
  readonly nodes: NodeMem[];
  readonly vmstat: Map<string, number>;
  readonly damon: string;
  readonly processes: ProcProgress[];
  /** Percent of accesses served by the top tier, from a sim/ placement file. */
  readonly toptierPct?: number;
}

/** The rate columns: a name, the /proc/vmstat counters summed (any absent ones are skipped). */
export interface RateColumn {
  readonly name: string;
  readonly label: string;
  readonly counters: (names: readonly string[]) => string[];
}

const exact = (...want: string[]) => (names: readonly string[]) => want.filter((w) => names.includes(w));

export const RATE_COLUMNS: readonly RateColumn[] = [
  { name: 'promo', label: 'promotions', counters: exact('pgpromote_success') },
  { name: 'demo', label: 'demotions', counters: (n) => n.filter((c) => c.startsWith('pgdemote_')) },
  { name: 'migr', label: 'migrations', counters: exact('pgmigrate_success') },
  { name: 'hint', label: 'hint faults', counters: exact('numa_hint_faults') },
  // Access samples: any vmstat counter named *sample* (hardware-sampling mechanisms), and the folios kmmscand examined.
  { name: 'smpl', label: 'samples', counters: (n) => [...n.filter((c) => c.includes('sample')), ...exact('nr_kmmscand_slowtier', 'nr_kmmscand_toptier', 'nr_kmmscand_idlepage')(n)] },
];

/** Parse "1s", "500ms", "250us", or a plain number of seconds (as vmstat's delay). */
export function parseIntervalMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|ms|us)?$/.exec(text.trim());
  const ms = m ? Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'us' ? 1e-3 : 1000) : NaN;
  if (!(ms >= 1)) throw new CliError(`--interval ${text}: give a duration of at least 1 ms, like 1s, 500ms or 2`, 2);
  return ms;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return undefined;
  }
}

function list(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

export function parseVmstat(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [k, v] = line.split(' ');
    if (k && v !== undefined && /^\d+$/.test(v)) out.set(k, Number(v));
  }
  return out;
}

/** "Node 1 MemFree:   16777216 kB" lines of nodeN/meminfo. */
export function parseNodeMeminfo(nid: number, text: string): NodeMem {
  const kb = (field: string) => Number(new RegExp(`^Node \\d+ ${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  const totalKb = kb('MemTotal');
  const freeKb = kb('MemFree');
  const used = kb('MemUsed');
  return { nid, totalKb, freeKb, usedKb: Number.isNaN(used) ? totalKb - freeKb : used };
}

/**
 * The top tier's share of all workloads' accesses from the simulator's ground truth
 * (sim/truth/nodes: `# time_ms nid toptier pages access_share promote_per_s demote_per_s`, a
 * line per node per sample): the newest sample's access shares summed over top-tier nodes.
 * Undefined when the file has no sample yet or the shares are `-` (no access to share).
 */
export function parseToptierPct(text: string): number | undefined {
  const rows = text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.trim().split(/\s+/));
  const last = rows[rows.length - 1]?.[0];
  if (last === undefined) return undefined;
  let pct = 0;
  let known = false;
  for (const [t, , top, , share] of rows) {
    if (t !== last || share === undefined || share === '-') continue;
    known = true;
    if (top === '1') pct += Number(share) * 100;
  }
  return known && Number.isFinite(pct) ? pct : undefined;
}

function damonState(mount: string): string {
  const kdamonds = join(mount, 'sys/kernel/mm/damon/admin/kdamonds');
  const running = list(kdamonds).filter((k) => /^\d+$/.test(k) && readText(join(kdamonds, k, 'state'))?.trim() === 'on');
  if (running.length > 0) {
    // Regions DAMOS last reported (tried_regions/<n> directories), where schemes have them.
    let regions = 0;
    for (const k of running) {
      for (const c of list(join(kdamonds, k, 'contexts'))) {
        for (const s of list(join(kdamonds, k, 'contexts', c, 'schemes'))) regions += list(join(kdamonds, k, 'contexts', c, 'schemes', s, 'tried_regions')).filter((r) => /^\d+$/.test(r)).length;
      }
    }
    return `on:${running.length}k${regions > 0 ? `/${regions}r` : ''}`;
  }
  const dbgfs = readText(join(mount, 'sys/kernel/debug/damon/monitor_on'))?.trim();
  return dbgfs === 'on' ? 'on' : dbgfs === 'off' || existsSync(kdamonds) ? 'off' : '-';
}

/** One sample of everything stat shows; only reads files under `mount`. */
export function takeSample(mount: string, wallMs: number): StatSample {
  const vmstatText = readText(join(mount, 'proc/vmstat'));
  if (vmstatText === undefined) throw new CliError(`${resolve(mount)}/proc/vmstat is not readable: is ${mount} a tiersim mount (npx tiersim mount ${mount}) or / ?`);
  const clock = readText(join(mount, 'sim/clock'));
  const uptime = clock === undefined ? readText(join(mount, 'proc/uptime')) : undefined;
  const nodeDir = join(mount, 'sys/devices/system/node');
  const nodes = list(nodeDir)
    .filter((n) => /^node\d+$/.test(n))
    .map((n) => Number(n.slice(4)))
    .sort((a, b) => a - b)
    .flatMap((nid) => {
      const text = readText(join(nodeDir, `node${nid}`, 'meminfo'));
      return text === undefined ? [] : [parseNodeMeminfo(nid, text)];
    });
  const procDir = join(mount, 'sim/processes');
  const processes = list(procDir)
    .filter((p) => /^\d+$/.test(p))
    .map(Number)
    .sort((a, b) => a - b)
    .flatMap((pid) => {
      const [done, total] = (readText(join(procDir, String(pid), 'progress')) ?? '').trim().split(/\s+/).map(Number);
      const state = readText(join(procDir, String(pid), 'state'))?.trim();
      return state === undefined ? [] : [{ pid, state, done: done ?? 0, total: total ?? 0 }];
    });
  let toptierPct: number | undefined;
  const truth = readText(join(mount, 'sim/truth/nodes'));
  if (truth !== undefined) toptierPct = parseToptierPct(truth);
  return {
    wallMs,
    simNs: clock === undefined ? undefined : Number(clock.split(' ')[0]),
    uptimeNs: uptime === undefined ? undefined : Number(uptime.split(' ')[0]) * 1e9,
    nodes,
    vmstat: parseVmstat(vmstatText),
    damon: damonState(mount),
    processes,
    toptierPct,
  };
}

/** The time axis of a sample in seconds: simulated time, else uptime, else wall time. */
export function sampleTimeS(s: StatSample, first: StatSample): number {
  if (s.simNs !== undefined) return s.simNs / 1e9;
  if (s.uptimeNs !== undefined) return s.uptimeNs / 1e9;
  return (s.wallMs - first.wallMs) / 1000;
}

/** A row: everything stat prints for a sample, rates over the interval since `prev` (since boot for the first). */
export interface StatRow {
  readonly timeS: number;
  readonly nodes: ReadonlyArray<{ nid: number; freeMiB: number; usedMiB: number }>;
  /** Per column name; undefined when the time did not move (rate unknown). */
  readonly rates: ReadonlyMap<string, number | undefined>;
  readonly damon: string;
  readonly toptierPct?: number;
  readonly processes: ReadonlyArray<{ pid: number; state: string; progress: string }>;
}

export function rateColumns(vmstat: ReadonlyMap<string, number>): Array<RateColumn & { names: string[] }> {
  const names = [...vmstat.keys()];
  return RATE_COLUMNS.map((c) => ({ ...c, names: c.counters(names) })).filter((c) => c.names.length > 0);
}

export function statRow(s: StatSample, prev: StatSample | undefined, first: StatSample): StatRow {
  const t = sampleTimeS(s, first);
  const dt = prev ? t - sampleTimeS(prev, first) : s.simNs !== undefined || s.uptimeNs !== undefined ? t : 0;
  const rates = new Map<string, number | undefined>();
  for (const c of rateColumns(s.vmstat)) {
    const sum = (x: StatSample | undefined) => c.names.reduce((acc, n) => acc + (x?.vmstat.get(n) ?? 0), 0);
    rates.set(c.name, dt > 0 ? (sum(s) - sum(prev)) / dt : undefined);
  }
  return {
    timeS: t,
    nodes: s.nodes.map((n) => ({ nid: n.nid, freeMiB: Math.floor(n.freeKb / 1024), usedMiB: Math.floor(n.usedKb / 1024) })),
    rates,
    damon: s.damon,
    toptierPct: s.toptierPct,
    // A workload without an end (iters=0) shows its work done so far.
    processes: s.processes.map((p) => ({ pid: p.pid, state: p.state, progress: p.total > 0 ? `${((100 * p.done) / p.total).toFixed(1)}%` : si(p.done) })),
  };
}

/** 1234 → "1234", 98765 → "99k", 7.04e8 → "704M" (vmstat-width numbers). */
function si(v: number): string {
  if (v >= 1e10) return `${(v / 1e9).toFixed(0)}G`;
  if (v >= 1e7) return `${(v / 1e6).toFixed(0)}M`;
  if (v >= 1e4) return `${(v / 1e3).toFixed(0)}k`;
  return v.toFixed(0);
}

const fmtRate = (v: number | undefined) => (v === undefined ? '-' : si(v));
const procText = (r: StatRow) => r.processes.map((p) => `${p.pid}:${p.state === 'running' ? p.progress : p.state}`).join(' ');

/** A group label centred in dashes over `width` columns (the first one a space). */
function group(width: number, label: string): string {
  const l = Math.max(1, (width - label.length) >> 1);
  return ` ${'-'.repeat(l - 1)}${label}${'-'.repeat(Math.max(0, width - l - label.length))}`;
}

/** The two header lines of the table (group names over column names), as vmstat prints them. */
export function tableHeader(r: StatRow): string {
  let groups = ''.padStart(10);
  let cols = 'time_s'.padStart(10);
  for (const n of r.nodes) {
    groups += group(16, `node${n.nid} MiB`);
    cols += ` ${'free'.padStart(7)} ${'used'.padStart(7)}`;
  }
  const names = [...r.rates.keys()];
  if (names.length) {
    groups += group(names.length * 7, 'per second');
    cols += names.map((n) => ` ${`${n}`.padStart(6)}`).join('');
  }
  cols += ` ${'damon'.padStart(6)} ${'top%'.padStart(5)}  progress`;
  return `${groups.trimEnd()}\n${cols}\n`;
}

export function tableLine(r: StatRow): string {
  let line = r.timeS.toFixed(3).padStart(10);
  for (const n of r.nodes) line += ` ${String(n.freeMiB).padStart(7)} ${String(n.usedMiB).padStart(7)}`;
  for (const v of r.rates.values()) line += ` ${fmtRate(v).padStart(6)}`;
  line += ` ${r.damon.padStart(6)} ${(r.toptierPct === undefined ? '-' : r.toptierPct.toFixed(1)).padStart(5)}  ${procText(r)}`;
  return `${line.trimEnd()}\n`;
}

export function csvHeader(r: StatRow): string {
  const cols = ['time_s', ...r.nodes.flatMap((n) => [`node${n.nid}_free_mib`, `node${n.nid}_used_mib`]), ...[...r.rates.keys()].map((k) => `${k}_per_s`), 'damon', 'toptier_pct', 'processes'];
  return `${cols.join(',')}\n`;
}

export function csvLine(r: StatRow): string {
  const cells = [
    r.timeS.toFixed(6),
    ...r.nodes.flatMap((n) => [String(n.freeMiB), String(n.usedMiB)]),
    ...[...r.rates.values()].map((v) => (v === undefined ? '' : String(Number(v.toFixed(3))))),
    r.damon,
    r.toptierPct === undefined ? '' : String(r.toptierPct),
    procText(r),
  ];
  return `${cells.join(',')}\n`;
}

export function jsonLine(r: StatRow): string {
  return `${JSON.stringify({
    time_s: r.timeS,
    nodes: r.nodes.map((n) => ({ node: n.nid, free_mib: n.freeMiB, used_mib: n.usedMiB })),
    rates_per_s: Object.fromEntries([...r.rates].map(([k, v]) => [k, v ?? null])),
    damon: r.damon,
    toptier_pct: r.toptierPct ?? null,
    processes: r.processes,
  })}\n`;
}

/** The timeline figure of a run: stacked used memory per node over the page-event rates. */
export function statFigure(samples: readonly StatSample[], rows: readonly StatRow[], o: StatOptions) {
  const first = samples[0]!;
  // A virtual clock may stand still between samples: one point per distinct time (the latest).
  const byTime = new Map<number, StatSample>();
  for (const s of samples) byTime.set(sampleTimeS(s, first), s);
  const memory: LineSeries[] = first.nodes.map((n) => ({ name: `node${n.nid}`, points: [...byTime].map(([t, s]) => [t, (s.nodes.find((x) => x.nid === n.nid)?.usedKb ?? 0) * 1024] as [number, number]) }));
  const labels = new Map(RATE_COLUMNS.map((c) => [c.name, c.label]));
  // The first row is the average since boot: the timeline starts at the second.
  const rated = rows.slice(1);
  const rates: LineSeries[] = [...(rows[0]?.rates.keys() ?? [])].map((k) => ({
    name: labels.get(k) ?? k,
    points: rated.flatMap((r) => (r.rates.get(k) === undefined ? [] : [[r.timeS, r.rates.get(k)!] as [number, number]])),
  }));
  const clock = first.simNs !== undefined ? 'simulated time (s)' : first.uptimeNs !== undefined ? 'time since boot (s)' : 'time (s)';
  return timelineSpec({
    title: `tiersim stat: ${resolve(o.mount)}`,
    subtitle: [`${samples.length} samples every ${o.intervalMs >= 1000 ? `${o.intervalMs / 1000} s` : `${o.intervalMs} ms`} of wall time; rates per second of ${clock.replace(' (s)', '')}`],
    timeTitle: clock,
    memory,
    rates,
    rateTitle: 'events/s',
  });
}

/** Sample until `count` samples or a signal, printing each row; then draw the timeline if asked. */
export async function runStat(o: StatOptions): Promise<void> {
  if (o.plot) imageFormatOf(o.plot);
  const samples: StatSample[] = [];
  const rows: StatRow[] = [];
  let stop = false;
  let wake: (() => void) | undefined;
  const onSignal = () => {
    stop = true;
    wake?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const start = performance.now();
    for (let i = 0; !stop && (o.count === undefined || i < o.count); i++) {
      if (i > 0) {
        // Ticks on a fixed schedule from the start, as vmstat's delay (sampling time does not accumulate).
        const due = start + i * o.intervalMs - performance.now();
        if (due > 0) await new Promise<void>((r) => ((wake = r), setTimeout(r, due)));
        if (stop) break;
      }
      const s = takeSample(o.mount, performance.now());
      const row = statRow(s, samples[samples.length - 1], samples[0] ?? s);
      samples.push(s);
      rows.push(row);
      if (o.format === 'json') process.stdout.write(jsonLine(row));
      else if (o.format === 'csv') process.stdout.write(`${i === 0 ? csvHeader(row) : ''}${csvLine(row)}`);
      else process.stdout.write(`${i % 20 === 0 ? tableHeader(row) : ''}${tableLine(row)}`);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (o.plot && samples.length > 0) {
    const { renderToFile } = await import('../plot/render.js');
    await renderToFile(statFigure(samples, rows, o), o.plot);
    process.stderr.write(`tiersim stat: timeline of ${samples.length} samples drawn to ${o.plot}\n`);
  }
}
