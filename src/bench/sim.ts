// A simulated machine booted in process on a virtual clock for the reproduction benches, driven
// only through its files as a script on a mounted tiersim would: sysctls, sim/spawn,
// sim/advance, sim/migrate, /proc/vmstat, the per-process NUMA-balancing statistics,
// sim/kthreads and the placement truth.
import createDebug from 'debug';
import { bootKernel, type Kernel } from '../kernel/kernel.js';
import { loadMachine } from '../cli/machine.js';

const trace = createDebug('tiersim:bench');

/** DAMON_SYSFS's kdamonds directory, and ULONG_MAX as its unbounded access-pattern maximum. */
export const ADMIN = 'sys/kernel/mm/damon/admin/kdamonds';
export const UL = '18446744073709551615';

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

  /** Advance in `stepS` slices until the process is done (at most `maxS` simulated seconds). */
  async runToEnd(pid: number, opts: { stepS?: number; maxS?: number; onStep?: (simS: number) => void } = {}): Promise<void> {
    const { stepS = 10, maxS = 4000 } = opts;
    for (let t = 0; t < maxS && this.state(pid) !== 'done'; t += stepS) {
      await this.advance(`${stepS}s`);
      opts.onStep?.(t + stepS);
    }
  }

  /** `sim/migrate` (migratepages PID FROM TO): its answer as numbers. */
  async migratePages(pid: number, from: string, to: string): Promise<Record<string, number>> {
    return nameValues(await this.k.fs.transact('sim/migrate', `${pid} ${from} ${to}`));
  }

  /** Simulated seconds since boot (`sim/clock`). */
  nowS(): number {
    return Number(this.read('sim/clock').split(' ')[0]) / 1e9;
  }

  /** /proc/vmstat as numbers. */
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

  /** The process's simulated run time in seconds. */
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
