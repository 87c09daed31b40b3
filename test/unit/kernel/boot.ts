// Boot a preset in process, in virtual time, for unit tests.
import { readFileSync } from 'node:fs';
import { parseMachineConfig, type MachineConfig } from '../../../src/kernel/config/machine.js';
import { bootKernel, type Kernel } from '../../../src/kernel/kernel.js';

export function presetConfig(preset = 'cxl-2node'): MachineConfig {
  return parseMachineConfig(JSON.parse(readFileSync(`presets/${preset}.json`, 'utf8')));
}

export function bootPreset(preset = 'cxl-2node', seed = 1): Kernel {
  return bootKernel(presetConfig(preset), { seed, clock: 'virtual' });
}

/** Spawn through sim/spawn and return the pid read back on the same open file. */
export async function spawn(k: Kernel, spec: string): Promise<number> {
  return Number((await k.fs.transact('sim/spawn', spec)).trim());
}

/** `echo DURATION > sim/advance` */
export async function advance(k: Kernel, duration: string): Promise<void> {
  await k.fs.writeFileAsync('sim/advance', duration);
}

/** The error `fn` throws (a KernelError sentinel, compared with toBe), or undefined. */
export function errnoOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}
