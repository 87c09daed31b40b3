// Thin CLI wrappers over DIR/sim: advance, spawn, ps, kill, migratepages. They are ordinary
// clients of the mount (open/read/write through node:fs, in their own process), so whatever
// they do a shell script can do with echo and cat.
import { closeSync, openSync, readFileSync, readSync, readdirSync, writeSync, existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseDurationNs } from '../kernel/lib/units.js';
import { CliError } from './machine.js';

function simPath(mount: string, ...parts: string[]): string {
  const dir = resolve(mount, 'sim');
  if (!existsSync(join(dir, 'clock'))) {
    throw new CliError(`${resolve(mount)} is not a tiersim mount (no sim/clock). Start one with 'npx tiersim mount ${mount}' in another terminal.`);
  }
  return join(dir, ...parts);
}

function dmesgLines(mount: string): string[] {
  return readFileSync(simPath(mount, 'dmesg'), 'latin1').split('\n').filter((l) => l !== '');
}

/** Kernel log lines written since `before` (a dmesg line count), for error messages. */
function newLogLines(mount: string, before: number): string {
  const lines = dmesgLines(mount).slice(before);
  return lines.map((l) => l.replace(/^\[[^\]]*\]\s*/, '').replace(/^tiersim: /, '')).join('; ');
}

/** open(O_RDWR), one write, read the answer back on the same fd. */
function transact(path: string, request: string): string {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, request);
    const chunks: Buffer[] = [];
    const buf = Buffer.alloc(65536);
    for (let pos = 0; ; ) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) break;
      chunks.push(Buffer.from(buf.subarray(0, n)));
      pos += n;
    }
    return Buffer.concat(chunks).toString('latin1');
  } finally {
    closeSync(fd);
  }
}

function writeOnce(path: string, text: string): void {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/** Run a file operation, turning errno failures into a message with the kernel log's reason. */
function withReason<T>(mount: string, what: string, fn: () => T, hints: Record<string, string> = {}): T {
  const before = dmesgLines(mount).length;
  try {
    return fn();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!code) throw err;
    const reason = newLogLines(mount, before);
    throw new CliError(`${what}: ${code}${reason ? ` (${reason})` : ''}${hints[code] ? `. ${hints[code]}` : ''}`);
  }
}

const clockNs = (mount: string) => Number(readFileSync(simPath(mount, 'clock'), 'latin1').split(' ')[0]);

/** Wall time one slice of `tiersim advance` aims at: a Ctrl-C is obeyed after at most about this. */
const ADVANCE_SLICE_WALL_MS = 200;
/** First slice of simulated time; later ones are scaled to the wall time the last one took. */
const ADVANCE_FIRST_SLICE_NS = 10_000_000;

/** One `echo DURATION > sim/advance`, on a worker thread (node:fs/promises). */
async function writeAdvance(path: string, text: string): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.write(text);
  } finally {
    await fh.close();
  }
}

/**
 * Advance a virtual clock by `duration` in slices of simulated time sized to take about
 * ADVANCE_SLICE_WALL_MS each, so SIGINT/SIGTERM stop it between two slices: a FUSE write the
 * server already took cannot be interrupted (fs/fuse/dev.c request_wait_answer() waits it out,
 * and fuse-native never sees FUSE_INTERRUPT). A raw `echo 1000s > sim/advance` runs to completion.
 */
export async function runAdvance(mount: string, duration: string): Promise<void> {
  const path = simPath(mount, 'advance');
  const before = dmesgLines(mount).length;
  const start = clockNs(mount);
  const totalNs = parseDurationNs(duration.trim());
  let stopBy: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    stopBy = sig;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let doneNs = 0;
  let lastProgress = performance.now();
  try {
    // A malformed duration goes to the kernel as written, which refuses it and says why.
    if (totalNs === undefined) await writeAdvance(path, duration);
    let sliceNs = ADVANCE_FIRST_SLICE_NS;
    while (totalNs !== undefined && doneNs < totalNs && stopBy === undefined) {
      const ns = Math.min(sliceNs, totalNs - doneNs);
      const t0 = performance.now();
      await writeAdvance(path, `${ns}ns`);
      doneNs += ns;
      const wallMs = Math.max(performance.now() - t0, 1);
      // Scale to the wall-time target, at most ×4 per step either way.
      sliceNs = Math.max(1000, Math.round(Math.min(4 * ns, Math.max(ns / 4, (ns * ADVANCE_SLICE_WALL_MS) / wallMs))));
      if (process.stderr.isTTY && performance.now() - lastProgress > 500) {
        process.stderr.write(`\radvancing ${duration}: ${(doneNs / 1e9).toFixed(3)} s done   `);
        lastProgress = performance.now();
      }
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!code) throw err;
    const reason = newLogLines(mount, before);
    throw new CliError(`advance ${duration}: ${code}${reason ? ` (${reason})` : ''}. Durations look like 250ms, 10s or 1500us; stepping time needs a mount started with --clock virtual.`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (process.stderr.isTTY && doneNs > 0) process.stderr.write('\n');
  }
  process.stdout.write(readFileSync(simPath(mount, 'clock'), 'latin1'));
  if (stopBy !== undefined) {
    const exitCode = 128 + (stopBy === 'SIGINT' ? 2 : 15);
    throw new CliError(`advance ${duration}: stopped by ${stopBy} after ${((clockNs(mount) - start) / 1e9).toFixed(6)} s of simulated time`, exitCode);
  }
}

export function runSpawn(mount: string, words: readonly string[]): void {
  const spec = words.join(' ');
  const answer = withReason(mount, `spawn ${spec}`, () => transact(simPath(mount, 'spawn'), spec), {
    EINVAL: `Workloads and their keys: 'cat ${join(mount, 'sim/spawn')}'.`,
    ENOMEM: 'Not enough free memory under that policy; see the nodes\' MemFree in sys/devices/system/node/node*/meminfo.',
  });
  process.stdout.write(answer);
}

export function runKill(mount: string, pid: string): void {
  const path = simPath(mount, 'processes', pid, 'kill');
  if (!existsSync(path)) throw new CliError(`kill ${pid}: no such process (see 'npx tiersim ps')`);
  withReason(mount, `kill ${pid}`, () => writeOnce(path, '9'), { ESRCH: 'It has already finished.' });
}

export function runPs(mount: string): void {
  const dir = simPath(mount, 'processes');
  const rows = [['PID', 'STATE', 'RUNTIME_S', 'PROGRESS', 'WORKLOAD']];
  const pids = readdirSync(dir).map(Number).sort((a, b) => a - b);
  for (const pid of pids) {
    const read = (f: string) => readFileSync(join(dir, String(pid), f), 'latin1').trim();
    const [done, total] = read('progress').split(' ').map(Number);
    const pct = total ? `${((100 * done!) / total).toFixed(1)}%` : `${done}`;
    rows.push([String(pid), read('state'), (Number(read('runtime_ns')) / 1e9).toFixed(6), pct, read('workload')]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) process.stdout.write(`${r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')}\n`);
}

export function runMigratePages(mount: string, pid: string, from: string, to: string): void {
  const answer = withReason(mount, `migratepages ${pid} ${from} ${to}`, () => transact(simPath(mount, 'migrate'), `${pid} ${from} ${to}`), {
    ESRCH: "No such running process; see 'npx tiersim ps'.",
    EINVAL: 'Node lists look like 0 or 0-1,3 and must name nodes with memory.',
  });
  const v = new Map(answer.trim().split('\n').map((l) => l.split(' ') as [string, string]));
  const flow = readFileSync(simPath(mount, 'migrate_flow'), 'latin1').match(/\[(\w+)\]/)?.[1] ?? '?';
  process.stdout.write(
    `migrated ${v.get('pages_moved')} pages (${v.get('pages_failed')} failed, ${v.get('pages_skipped')} not tried) in ` +
      `${(Number(v.get('elapsed_ns')) / 1e6).toFixed(3)} ms simulated; ${v.get('tlb_remote_flushes')} TLB shootdowns (${flow})\n`,
  );
}
