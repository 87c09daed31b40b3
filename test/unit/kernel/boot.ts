// Boot a preset in process, in virtual time, for unit tests.
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { EBUSY, EINVAL, type KernelError } from '../../../src/kernfs/index.js';
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

/** `echo INPUT > F` leaves `want` in F, or fails with the errno `want` and changes nothing. */
export function writeGives(k: Kernel, f: string, input: string, want: string | KernelError): void {
  const before = k.fs.readFile(f);
  const err = errnoOf(() => k.fs.writeFile(f, input));
  if (typeof want === 'string') expect(k.fs.readFile(f)).toBe(want);
  else {
    expect(err).toBe(want);
    expect(k.fs.readFile(f)).toBe(before);
  }
}

/**
 * A DAMON module's parameter files (`/sys/module/<module>/parameters`): read, write (a line),
 * the errno of a failing write, watermarks that keep its schemes active on a mostly free
 * machine, and one row of a store table — a written value that reads back, or an errno with the
 * file unchanged.
 */
export function moduleParams(module: string) {
  const P = `sys/module/${module}/parameters`;
  const read = (k: Kernel, f: string) => k.fs.readFile(`${P}/${f}`);
  const write = (k: Kernel, f: string, v: string) => k.fs.writeFile(`${P}/${f}`, `${v}\n`);
  const fails = (k: Kernel, f: string, v: string) => errnoOf(() => write(k, f, v)) as KernelError | undefined;
  return {
    P,
    read,
    write,
    fails,
    alwaysActive(k: Kernel): void {
      write(k, 'wmarks_high', '1000');
      write(k, 'wmarks_mid', '0');
      write(k, 'wmarks_low', '0');
    },
    /** The file's mode and size (sysfs: 4096) and what it reads at boot. */
    expectFile(name: string, mode: number, value: string): void {
      const k = bootPreset();
      expect(k.fs.stat(`${P}/${name}`).mode & 0o777).toBe(mode);
      expect(k.fs.stat(`${P}/${name}`).size).toBe(4096);
      expect(read(k, name)).toBe(`${value}\n`);
    },
    /** `enabled Y` after writing `value` to `name` is EINVAL, and the module stays off. */
    expectStartRefused(name: string, value: string): void {
      const k = bootPreset();
      write(k, name, value);
      expect(fails(k, 'enabled', 'Y')).toBe(EINVAL);
      expect(read(k, 'enabled')).toBe('N\n');
      expect(read(k, 'kdamond_pid')).toBe('-1\n');
    },
    /**
     * While the module runs, a sysfs kdamond and the debugfs monitor targeting `pid` cannot
     * start (EBUSY); returns the sysfs kdamond's state file so the caller can start it later.
     */
    expectFrontEndsBusy(k: Kernel, pid: number): string {
      const KD = 'sys/kernel/mm/damon/admin/kdamonds';
      k.fs.writeFile(`${KD}/nr_kdamonds`, '1');
      k.fs.writeFile(`${KD}/0/contexts/nr_contexts`, '1');
      k.fs.writeFile(`${KD}/0/contexts/0/targets/nr_targets`, '1');
      k.fs.writeFile(`${KD}/0/contexts/0/targets/0/pid_target`, `${pid}`);
      expect(errnoOf(() => k.fs.writeFile(`${KD}/0/state`, 'on'))).toBe(EBUSY);
      k.fs.writeFile('sys/kernel/debug/damon/target_ids', `${pid}`);
      expect(errnoOf(() => k.fs.writeFile('sys/kernel/debug/damon/monitor_on', 'on'))).toBe(EBUSY);
      return `${KD}/0/state`;
    },
    expectStore(name: string, input: string, want: string | KernelError): void {
      const k = bootPreset();
      const before = read(k, name);
      if (typeof want === 'string') {
        write(k, name, input);
        expect(read(k, name)).toBe(`${want}\n`);
      } else {
        expect(fails(k, name, input)).toBe(want);
        expect(read(k, name)).toBe(before);
      }
    },
  };
}
