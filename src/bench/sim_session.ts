// A simulated machine booted in process on a virtual clock, driven only through its files (as a
// script on a mounted tiersim would), for the reproduction benches: spawn, advance, /proc/vmstat,
// the per-process NUMA-balancing statistics, sim/kthreads and the placement truth. Plus the few
// statistics the benches' tables share (mean, %stdev, error against a published value).
import createDebug from 'debug';
import { bootKernel, type Kernel } from '../kernel/kernel.js';
import { loadMachine } from '../cli/machine.js';

const trace = createDebug('tiersim:bench');

export class SimSession {
  readonly k: Kernel;

  constructor(
    readonly preset: string,
    seed: number,
  ) {
    this.k = bootKernel(loadMachine(preset).config, { seed, clock: 'virtual' });
    trace('boot %s seed %d', preset, seed);
  }

  read(path: string): string {
    return this.k.fs.readFile(path);
  }

  write(path: string, text: string): void {
    this.k.fs.writeFile(path, text.endsWith('\n') ? text : `${text}\n`);
  }

  /** `sim/spawn` on one open file: the spec in, the pid back. */
  async spawn(spec: string): Promise<number> {
    const pid = Number((await this.k.fs.transact('sim/spawn', spec)).trim());
    trace('%s: spawned %d: %s', this.preset, pid, spec);
    return pid;
  }

  /** `echo DURATION > sim/advance`. */
  async advance(duration: string): Promise<void> {
    await this.k.fs.writeFileAsync('sim/advance', duration);
  }

  /** Simulated seconds since boot (`sim/clock`). */
  nowS(): number {
    return Number(this.read('sim/clock').split(' ')[0]) / 1e9;
  }

  vmstat(): Record<string, number> {
    return nameValues(this.read('proc/vmstat'));
  }

  /** `sim/processes/PID/numa_balancing` (hex values such as the scan offset read as NaN). */
  numab(pid: number): Record<string, number> {
    return nameValues(this.read(`sim/processes/${pid}/numa_balancing`));
  }

  /** `sim/kthreads`: CPU ns per kernel-thread name. */
  kthreadsNs(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const line of this.read('sim/kthreads').trim().split('\n').slice(1)) {
      const [, comm, , ns] = line.split(' ');
      if (comm) out[comm] = Number(ns);
    }
    return out;
  }

  state(pid: number): string {
    return this.read(`sim/processes/${pid}/state`).trim();
  }

  runtimeS(pid: number): number {
    return Number(this.read(`sim/processes/${pid}/runtime_ns`)) / 1e9;
  }

  stallS(pid: number): number {
    return Number(this.read(`sim/processes/${pid}/stall_ns`)) / 1e9;
  }

  /** The latest `sim/processes/PID/placement` sample: the top tier's share of its accesses. */
  topTierShare(pid: number): number | undefined {
    const lines = this.read(`sim/processes/${pid}/placement`).trim().split('\n').filter((l) => l && !l.startsWith('#'));
    const last = lines.at(-1);
    return last === undefined ? undefined : Number(last.split(' ')[4]);
  }
}

/** `name value` lines into a record. */
export function nameValues(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.trim().split('\n')) {
    const [n, v] = line.split(' ');
    if (n) out[n] = Number(v);
  }
  return out;
}

export function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

/** Sample standard deviation (0 for a single run). */
export function stdev(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

/** Sample standard deviation as % of the mean (0 for a single run). */
export function stdevPct(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  const v = xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1);
  return m === 0 ? 0 : (100 * Math.sqrt(v)) / Math.abs(m);
}

/** Signed error of a prediction against a published value, in %. */
export function errorPct(predicted: number, published: number): number {
  return (100 * (predicted - published)) / published;
}

/** Mean of column `col` of row `row` over the seeds' runs. */
export function cell(runs: ReadonlyArray<{ rows: Record<string, Record<string, number>> }>, row: string, col: string): number[] {
  return runs.map((r) => r.rows[row]?.[col]).filter((x): x is number => x !== undefined && Number.isFinite(x));
}

/** `mean ±stdev%` with `digits` decimals, or `-` when no run has the figure. */
export function meanText(xs: readonly number[], digits = 2): string {
  if (!xs.length) return '-';
  const m = mean(xs).toFixed(digits);
  return xs.length > 1 ? `${m} ±${stdevPct(xs).toFixed(1)}%` : m;
}

/** Pad columns of a table (rows of cells) to their widest cell; the first column left-aligned. */
export function formatTable(rows: ReadonlyArray<readonly string[]>): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd());
}
