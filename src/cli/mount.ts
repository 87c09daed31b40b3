// `tiersim mount [DIR]`: boot a machine and serve its files over FUSE until SIGINT/SIGTERM.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import createDebug from 'debug';
import { FuseMount } from '../fuse/index.js';
import { hostPassthroughDir } from '../host/passthrough.js';
import { Kernfs, StaticDir, dir, overlayDir, seqFile } from '../kernfs/index.js';
import { bootKernel, type Kernel } from '../kernel/kernel.js';
import type { ClockMode } from '../kernel/time/clock.js';
import { CliError, describeMachine, loadMachine } from './machine.js';
import { RealtimeDriver } from './realtime.js';
import { hostFs, hostProcs } from '../host/ports.js';
import type { DamonAbi } from '../kernel/mm/damon/dbgfs.js';
import { mountAt } from './shell.js';

const trace = createDebug('tiersim:mount');

export interface MountArgs {
  readonly dir: string;
  readonly machine?: string;
  readonly clock: ClockMode;
  readonly seed: number;
  readonly speed: number;
  readonly allowOther: boolean;
  /** Host kernel caching of the static tree's lookups and attributes (default on). */
  readonly kernelCache?: boolean;
  readonly damonAbi?: DamonAbi;
}

const SELFTEST_NAME = '.tiersim-selftest';
const SELFTEST_BYTES = 3 * 4096 + 123;

/**
 * The tree served at the mount point: the kernel's files, over a read-only view of the host
 * directories that are bound whole by `tiersim shell` but only partly modelled.
 */
export function servedTree(kernel: Kernel, extras: StaticDir): Kernfs {
  const host = dir({ proc: dir({ sys: dir({ kernel: hostPassthroughDir('/proc/sys/kernel'), vm: hostPassthroughDir('/proc/sys/vm') }) }) });
  return new Kernfs(overlayDir(overlayDir(kernel.root, extras), host));
}

function readInChild(path: string): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    execFile('cat', [path], { encoding: 'buffer', maxBuffer: 1 << 20 }, (err, stdout) => (err ? reject(err) : resolvePromise(stdout)));
  });
}

/**
 * Check that the kernel serves whole reads of a file longer than its st_size (direct_io took
 * effect): a truncated read here would truncate /proc/vmstat for every user.
 */
async function selfTest(mountpoint: string, extras: StaticDir): Promise<void> {
  const expected = 'tiersim direct_io self-test\n'.padEnd(SELFTEST_BYTES - 1, '.') + '\n';
  extras.set(SELFTEST_NAME, seqFile(0o444, () => expected));
  try {
    const got = await readInChild(resolve(mountpoint, SELFTEST_NAME));
    if (got.toString('latin1') !== expected) {
      throw new CliError(`self-test failed: a ${expected.length}-byte file of size 0 read back as ${got.length} bytes; the FUSE mount is not using direct_io, so files would be truncated`);
    }
  } finally {
    extras.delete(SELFTEST_NAME);
  }
}

function describeMountError(err: Error, dir: string): CliError {
  if (/Mountpoint in use/.test(err.message)) {
    return new CliError(`${dir} is already a mount point (a running tiersim?). Stop that one first (Ctrl-C in its terminal, or 'fusermount -uz ${dir}'), or mount somewhere else.`);
  }
  if (/not a directory/i.test(err.message)) return new CliError(`${dir} is not a directory`);
  return new CliError(`mounting ${dir} failed: ${err.message}. Is FUSE available (/dev/fuse, libfuse2, fusermount)? Run 'npm run setup' as root.`);
}

/** Run the mount in the foreground; resolves after a clean unmount. */
export async function runMount(args: MountArgs): Promise<void> {
  const { config } = loadMachine(args.machine);
  const dir = resolve(args.dir);
  const kernel = bootKernel(config, {
    seed: args.seed,
    clock: args.clock,
    damonAbi: args.damonAbi,
    hostFs,
    hostProcs,
    yieldToHost: () => new Promise((r) => setImmediate(r)),
  });
  const extras = new StaticDir();
  const mount = new FuseMount(servedTree(kernel, extras), dir, { allowOther: args.allowOther, kernelCache: args.kernelCache });
  try {
    await mount.mount();
  } catch (err) {
    throw describeMountError(err as Error, dir);
  }
  trace('mounted %s', dir);

  let stopping = false;
  let watch = () => {};
  let selfTested = false;
  const driver = args.clock === 'realtime' ? new RealtimeDriver(kernel.clock, args.speed) : undefined;
  const done = new Promise<void>((resolveDone, rejectDone) => {
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      trace('%s: unmounting', signal);
      driver?.stop();
      mount.unmount().then(
        () => {
          process.stdout.write(`tiersim: unmounted ${dir}\n`);
          resolveDone();
        },
        (err: Error) => rejectDone(new CliError(`unmounting ${dir} failed: ${err.message}; try 'fusermount -uz ${dir}'`)),
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
    // Keep the process alive (fuse-native's handles do not), and exit when someone else
    // unmounted us (`fusermount -uz DIR`): a server without its mount serves nobody.
    watch = () => {
      if (stopping || !selfTested) return;
      const m = mountAt(dir);
      if (m && m.fstype.startsWith('fuse')) return;
      stopping = true;
      driver?.stop();
      process.stdout.write(`tiersim: ${dir} was unmounted from outside; exiting\n`);
      resolveDone();
    };
  });
  const keepAlive = setInterval(() => watch(), 1000);

  try {
    await selfTest(dir, extras);
  } catch (err) {
    await mount.unmount().catch(() => {});
    clearInterval(keepAlive);
    throw err;
  }
  selfTested = true;
  driver?.start();
  process.stdout.write(
    `tiersim: ${describeMachine(config)}; clock ${args.clock}${args.clock === 'realtime' && args.speed !== 1 ? ` x${args.speed}` : ''}, seed ${args.seed}\n` +
      `tiersim: mounted at ${dir} (pid ${process.pid}); stop with Ctrl-C or 'kill ${process.pid}'\n`,
  );
  try {
    await done;
  } finally {
    clearInterval(keepAlive);
  }
}
