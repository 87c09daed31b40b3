// What the reproduction benches share: boot a preset in process on a virtual clock and drive it
// through its files (sysctl, sim/spawn, sim/advance, sim/migrate), as a script on a mount would.
import { readFileSync } from 'node:fs';
import { parseMachineConfig } from '../kernel/config/machine.js';
import { bootKernel, type Kernel } from '../kernel/kernel.js';

const PRESETS = new URL('../../presets/', import.meta.url);

export function bootPreset(name: string, seed: number): Kernel {
  const raw: unknown = JSON.parse(readFileSync(new URL(`${name}.json`, PRESETS), 'utf8'));
  return bootKernel(parseMachineConfig(raw), { seed, clock: 'virtual' });
}

export async function spawn(k: Kernel, spec: string): Promise<number> {
  return Number((await k.fs.transact('sim/spawn', spec)).trim());
}

/** /proc/vmstat as numbers. */
export function vmstat(k: Kernel): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of k.fs.readFile('proc/vmstat').trim().split('\n')) {
    const [name, value] = line.split(' ');
    if (name) out[name] = Number(value);
  }
  return out;
}

/** Advance in `stepS` slices until the process is done (at most `maxS` simulated seconds). */
export async function runToEnd(k: Kernel, pid: number, onStep?: (simS: number) => void, stepS = 10, maxS = 4000): Promise<void> {
  for (let t = 0; t < maxS && k.fs.readFile(`sim/processes/${pid}/state`) !== 'done\n'; t += stepS) {
    await k.fs.writeFileAsync('sim/advance', `${stepS}s`);
    onStep?.(k.clock.nowNs / 1e9);
  }
}

/** The process's simulated run time in seconds. */
export function runtimeS(k: Kernel, pid: number): number {
  return Number(k.fs.readFile(`sim/processes/${pid}/runtime_ns`)) / 1e9;
}

/** `sim/migrate` answer as numbers. */
export async function migratePages(k: Kernel, pid: number, from: string, to: string): Promise<Record<string, number>> {
  const text = await k.fs.transact('sim/migrate', `${pid} ${from} ${to}`);
  return Object.fromEntries(text.trim().split('\n').map((l) => l.split(' ')).map(([n, v]) => [n!, Number(v)]));
}
