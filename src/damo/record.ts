// `damo record TARGET` and `damo schemes FILE`: the flow of the 2020 record.py — save the
// kernel's attrs/record/schemes, apply ours, set the target, turn monitoring on, wait for
// Ctrl-C, SIGTERM or the target's exit, turn it off and restore what was there.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, renameSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Damon, DamoError, type MonitorAttrs, type MonitorIntervals, type Target } from './damon.js';
import type { KernelFiles } from './fs.js';
import { defaultPaddrRegion, formatSz, paddrRegionsOf } from './layout.js';
import { parseRecord } from './recfile.js';

export interface RecordOptions extends MonitorIntervals {
  rbufLen: number;
  out: string;
  regions?: string;
  numaNode?: number;
  /** Stop after this many wall seconds (besides Ctrl-C and target exit). */
  timeoutS?: number;
}

function intervalsOf(o: MonitorIntervals): MonitorIntervals {
  return { sampleUs: o.sampleUs, aggrUs: o.aggrUs, updateUs: o.updateUs, minNrRegions: o.minNrRegions, maxNrRegions: o.maxNrRegions };
}

/** "4096-8192 16384-32768" (decimal, ascending, non-overlapping) → pairs. */
export function parseRegions(text: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const word of text.trim().split(/\s+/).filter((w) => w !== '')) {
    const m = /^(\d+)-(\d+)$/.exec(word);
    if (!m) throw new DamoError(`--regions: '${word}' is not START-END in decimal bytes`);
    const [s, e] = [Number(m[1]), Number(m[2])];
    if (s >= e) throw new DamoError(`--regions: ${word} is empty`);
    const prev = out[out.length - 1];
    if (prev && prev[1] > s) throw new DamoError(`--regions: ${word} overlaps or precedes the region before it`);
    out.push([s, e]);
  }
  return out;
}

function ensureRoot(): void {
  if (process.geteuid?.() !== 0) throw new DamoError('Run as root');
}

/** Resolve TARGET: paddr, a pid, or a command to run. */
function resolveTarget(target: string[], fs: KernelFiles, opts: Pick<RecordOptions, 'regions' | 'numaNode'>): { target: Target; regions: Array<[number, number]>; command?: string[] } {
  const first = target[0];
  if (first === undefined) throw new DamoError('name a target: paddr, a pid, or a command');
  if (first === 'paddr' && target.length === 1) {
    const regions = opts.regions ? parseRegions(opts.regions) : opts.numaNode !== undefined ? paddrRegionsOf(fs, opts.numaNode) : [defaultPaddrRegion(fs)];
    return { target: { kind: 'paddr' }, regions };
  }
  const regions = opts.regions ? parseRegions(opts.regions) : [];
  if (target.length === 1 && /^\d+$/.test(first)) return { target: { kind: 'pid', pid: Number(first) }, regions };
  return { target: { kind: 'pid', pid: -1 }, regions, command: target };
}

/** Wait until monitoring turns off by itself, a signal arrives, or the timeout passes. */
async function waitForEnd(damon: Damon, stop: { requested: boolean }, started: number, timeoutS: number | undefined, progress: () => string): Promise<void> {
  const tty = process.stderr.isTTY;
  let lastPrint = 0;
  while (!stop.requested && damon.running()) {
    const elapsed = (Date.now() - started) / 1000;
    if (timeoutS !== undefined && elapsed >= timeoutS) break;
    if (tty && Date.now() - lastPrint >= 1000) {
      process.stderr.write(`\r${progress()}   `);
      lastPrint = Date.now();
    }
    await sleep(200);
  }
  if (tty) process.stderr.write('\n');
}

function snapshotsIn(file: string): number {
  try {
    return parseRecord(readFileSync(file)).snapshots.length;
  } catch {
    return 0;
  }
}

export async function runRecord(fs: KernelFiles, target: string[], opts: RecordOptions): Promise<void> {
  ensureRoot();
  const damon = new Damon(fs);
  if (!damon.hasRecord) throw new DamoError(`${fs.path(fs.damon('record'))} not found: this kernel cannot write record files (damo >= 1.8.3 would need perf)`);
  if (damon.running()) throw new DamoError('DAMON is already running; turn it off first (echo off > monitor_on)');
  const out = resolve(opts.out);
  const resolved = resolveTarget(target, fs, opts);
  const orig = damon.current();
  if (existsSync(out)) renameSync(out, `${out}.old`);
  const attrs: MonitorAttrs = { ...intervalsOf(opts), rbufLen: opts.rbufLen, recordPath: out, schemes: [] };
  await monitor(damon, resolved, attrs, orig, opts.timeoutS, () => {
    const n = snapshotsIn(out);
    return `# recording: ${n} snapshots flushed to ${out}`;
  });
  if (!existsSync(out)) throw new DamoError(`the kernel wrote no record file at ${out} (check dmesg for a failed flush)`);
  chmodSync(out, 0o600);
  const n = snapshotsIn(out);
  process.stdout.write(`# recorded ${n} snapshots (${formatSz(statSync(out).size)}) to ${out}\n`);
}

/** Apply attrs, start the target, monitor until done, always restore the original attrs. */
async function monitor(damon: Damon, r: ReturnType<typeof resolveTarget>, attrs: MonitorAttrs, orig: MonitorAttrs, timeoutS: number | undefined, progress: () => string): Promise<void> {
  const stop = { requested: false };
  const onSignal = () => {
    stop.requested = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let child: ChildProcess | undefined;
  try {
    damon.apply(attrs);
    process.stdout.write(`# damon attrs: ${attrs.sampleUs} ${attrs.aggrUs} ${attrs.updateUs} ${attrs.minNrRegions} ${attrs.maxNrRegions} ${attrs.rbufLen} ${attrs.recordPath}\n`);
    let target = r.target;
    if (r.command) {
      child = spawn('bash', ['-c', r.command.join(' ')], { stdio: 'inherit' });
      target = { kind: 'pid', pid: child.pid! };
    }
    damon.setTarget(target, r.regions);
    await damon.turn(true);
    if (!damon.running()) throw new DamoError('monitoring did not start (monitor_on stays off)');
    process.stdout.write('Press Ctrl+C to stop\n');
    const started = Date.now();
    const childExit = child ? new Promise<void>((res) => child!.on('exit', () => res())) : undefined;
    await Promise.race([waitForEnd(damon, stop, started, timeoutS, () => `${progress()}, ${((Date.now() - started) / 1000).toFixed(0)} s elapsed`), ...(childExit ? [childExit.then(() => waitForEnd(damon, stop, started, 10, progress))] : [])]);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (damon.running()) await damon.turn(false);
    damon.apply(orig);
    if (child && child.exitCode === null) child.kill('SIGTERM');
  }
}

// -----------------------------------------------------------------------------------------
// schemes

const ACTIONS = ['willneed', 'cold', 'pageout', 'hugepage', 'nohugepage', 'stat'];
const SIZE_UNITS: Record<string, number> = { B: 1, K: 1024, KB: 1024, M: 1024 ** 2, MB: 1024 ** 2, G: 1024 ** 3, GB: 1024 ** 3, T: 1024 ** 4, TB: 1024 ** 4 };
const TIME_UNITS_US: Record<string, number> = { us: 1, ms: 1000, s: 1e6, m: 60e6, h: 3600e6, d: 86400e6 };
const ULONG_MAX = '18446744073709551615';
const UINT_MAX = '4294967295';

/**
 * One human-readable 2020 scheme line (`<min sz> <max sz> <min freq%> <max freq%> <min age>
 * <max age> <action>`, units B/K/M/G/T and us/ms/s/m/h/d, min/max keywords) in kernel form.
 */
export function convertScheme(line: string, sampleUs: number, aggrUs: number, fields: number): string {
  const w = line.trim().split(/\s+/);
  if (w.length !== 7) throw new DamoError(`scheme '${line.trim()}': expected 7 fields (min_sz max_sz min_freq max_freq min_age max_age action)`);
  const size = (t: string, max: string) => {
    if (t === 'min') return '0';
    if (t === 'max') return max;
    const m = /^(\d+(?:\.\d+)?)([A-Za-z]*)$/.exec(t);
    const unit = m ? SIZE_UNITS[m[2]!.toUpperCase() || 'B'] : undefined;
    if (!m || unit === undefined) throw new DamoError(`scheme size '${t}': use a number with B/K/M/G/T, or min/max`);
    return String(Math.floor(Number(m[1]) * unit));
  };
  const maxNr = Math.floor(aggrUs / sampleUs);
  const freq = (t: string) => {
    if (t === 'min') return '0';
    if (t === 'max') return String(maxNr);
    const m = /^(\d+(?:\.\d+)?)%?$/.exec(t);
    if (!m) throw new DamoError(`scheme frequency '${t}': use a percentage, or min/max`);
    return String(Math.floor((Number(m[1]) * maxNr) / 100));
  };
  const age = (t: string) => {
    if (t === 'min') return '0';
    if (t === 'max') return UINT_MAX;
    const m = /^(\d+(?:\.\d+)?)([a-z]*)$/.exec(t);
    const unit = m ? TIME_UNITS_US[m[2]! || 'us'] : undefined;
    if (!m || unit === undefined) throw new DamoError(`scheme age '${t}': use a time with us/ms/s/m/h/d, or min/max`);
    return String(Math.floor((Number(m[1]) * unit) / aggrUs));
  };
  const action = ACTIONS.indexOf(w[6]!);
  if (action < 0) throw new DamoError(`scheme action '${w[6]}': one of ${ACTIONS.join(', ')}`);
  const base = [size(w[0]!, ULONG_MAX), size(w[1]!, ULONG_MAX), freq(w[2]!), freq(w[3]!), age(w[4]!), age(w[5]!), String(action)];
  // 18-field kernels: no quotas and no watermarks.
  return (fields === 18 ? [...base, '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0'] : base).join('\t');
}

export async function runSchemes(fs: KernelFiles, file: string, target: string[], opts: RecordOptions): Promise<void> {
  ensureRoot();
  const damon = new Damon(fs);
  if (damon.running()) throw new DamoError('DAMON is already running; turn it off first (echo off > monitor_on)');
  const lines = readFileSync(file, 'latin1').split('\n').map((l) => l.replace(/#.*/, '').trim()).filter((l) => l !== '');
  const schemes = lines.map((l) => convertScheme(l, opts.sampleUs, opts.aggrUs, damon.schemeFields));
  const resolved = resolveTarget(target, fs, opts);
  const orig = damon.current();
  const attrs: MonitorAttrs = { ...intervalsOf(opts), rbufLen: 0, recordPath: 'null', schemes };
  await monitor(damon, resolved, attrs, orig, opts.timeoutS, () => `# schemes applied: ${damon.read('schemes').trim().split('\n').map((l) => l.trim().split(/\s+/).slice(-2).join('/')).join(' ')}`);
  process.stdout.write(`# applied ${schemes.length} schemes\n`);
}
