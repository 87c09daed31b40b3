// `tiersim bench perf`'s FUSE figures (issue 14's loops, moved from scripts/bench/perf.js):
// open + read-to-EOF + close per second from a python3 reader, and a bash `cat` loop, against a
// tmpfs file, the host's sysfs and a tiersim mount served by a separate `tiersim mount` process
// (the server never reads its own mount). Figures only.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TIERSIM = fileURLToPath(new URL('../../bin/tiersim.js', import.meta.url));
const ATTR = 'sys/devices/system/node/node0/cpulist';
const READER = String.raw`
import os, sys, time
path, seconds = sys.argv[1], float(sys.argv[2])
n, t0 = 0, time.monotonic()
while time.monotonic() < t0 + seconds:
    fd = os.open(path, os.O_RDONLY)
    while os.read(fd, 131072):
        pass
    os.close(fd)
    n += 1
print(n / (time.monotonic() - t0))
`;

/** open+read+close per second of one python3 reader over `seconds`. */
function rate(work: string, path: string, seconds: number): number {
  return Number(execFileSync('python3', [join(work, 'reader.py'), path, String(seconds)], { encoding: 'utf8' }).trim());
}

/** µs per `cat` in a bash loop of n (fork/exec included). */
function catUs(path: string, n: number): number {
  const t0 = performance.now();
  execFileSync('bash', ['-c', `for i in $(seq ${n}); do cat ${path} >/dev/null; done`]);
  return ((performance.now() - t0) * 1000) / n;
}

async function startMount(dir: string): Promise<() => Promise<void>> {
  const server = spawn(process.execPath, [TIERSIM, 'mount', dir, '--clock', 'virtual'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('mounted at')) resolve();
    });
    server.on('exit', (code) => reject(new Error(`tiersim mount exited ${code}`)));
  });
  return () =>
    new Promise<void>((resolve) => {
      server.removeAllListeners('exit');
      server.on('exit', () => resolve());
      server.kill('SIGTERM');
    });
}

/** Rows of figures, or undefined (with the reason) when there is no FUSE or no python3. */
export async function fuseFigures(seconds: number, cats: number): Promise<{ rows: Record<string, Record<string, number>> } | { unavailable: string }> {
  if (!existsSync('/dev/fuse')) return { unavailable: '/dev/fuse is absent' };
  const work = mkdtempSync(join(tmpdir(), 'tiersim-perf-'));
  const tmpfs = join(existsSync('/dev/shm') ? '/dev/shm' : work, `tiersim-perf-${process.pid}`);
  writeFileSync(tmpfs, '0-1\n');
  writeFileSync(join(work, 'reader.py'), READER);
  const mnt = join(work, 'mnt');
  try {
    const stop = await startMount(mnt);
    try {
      const targets: Array<[string, string]> = [
        ['tmpfs file', tmpfs],
        [`host sysfs /${ATTR}`, `/${ATTR}`],
        [`tiersim mount ${ATTR}`, join(mnt, ATTR)],
      ];
      const rows: Record<string, Record<string, number>> = {};
      for (const [name, path] of targets) rows[name] = { opens_per_s: rate(work, path, seconds), us_per_cat: catUs(path, cats) };
      return { rows };
    } finally {
      await stop();
    }
  } catch (err) {
    return { unavailable: (err as Error).message };
  } finally {
    rmSync(tmpfs, { force: true });
    rmSync(work, { recursive: true, force: true });
  }
}
