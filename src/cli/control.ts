// Thin CLI wrappers over DIR/sim: advance, spawn, ps, kill, migratepages. They are ordinary
// clients of the mount (open/read/write through node:fs, in their own process), so whatever
// they do a shell script can do with echo and cat.
import { closeSync, openSync, readFileSync, readSync, readdirSync, writeSync, existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join, resolve } from 'node:path';
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

export async function runAdvance(mount: string, duration: string): Promise<void> {
  const path = simPath(mount, 'advance');
  const before = dmesgLines(mount).length;
  const start = clockNs(mount);
  // The write runs on a worker thread, so the clock can be polled for a progress line meanwhile.
  const progress = process.stderr.isTTY
    ? setInterval(() => process.stderr.write(`\radvancing ${duration}: ${((clockNs(mount) - start) / 1e9).toFixed(3)} s done   `), 500)
    : undefined;
  try {
    const fh = await open(path, 'w');
    try {
      await fh.write(duration);
    } finally {
      await fh.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!code) throw err;
    const reason = newLogLines(mount, before);
    throw new CliError(`advance ${duration}: ${code}${reason ? ` (${reason})` : ''}. Durations look like 250ms, 10s or 1500us; stepping time needs a mount started with --clock virtual.`);
  } finally {
    if (progress) {
      clearInterval(progress);
      process.stderr.write('\n');
    }
  }
  process.stdout.write(readFileSync(simPath(mount, 'clock'), 'latin1'));
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
