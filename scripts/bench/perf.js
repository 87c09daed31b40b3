// `npm run bench -- perf`: what a user polling kernel files pays through the FUSE mount, side by
// side in one run (issue 14). Prints figures, asserts nothing. Readers are separate processes
// (python3 and bash), as the server must never read its own mount.
//   rate    open + read-to-EOF + close of one file, one python3 reader, for SECONDS
//   cat     `for i in $(seq N); do cat F; done` in bash (fork/exec included)
//   32x     32 python3 readers at once on the same file: total ops/s
//   reqs    FUSE requests per `cat`, counted from libfuse's own debug trace (-o debug)
import { spawn, execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SECONDS = Number(process.env.TIERSIM_BENCH_SECONDS ?? 1.5);
const CATS = Number(process.env.TIERSIM_BENCH_CATS ?? 100);
const READERS = 32;
/** A static sysfs attribute at depth 6 below the mount root. */
const ATTR = 'sys/devices/system/node/node0/cpulist';

const READER = String.raw`
import os, sys, time
path, seconds, start_at = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
while time.time() < start_at:
    time.sleep(0.001)
n, t0 = 0, time.monotonic()
end = t0 + seconds
while time.monotonic() < end:
    fd = os.open(path, os.O_RDONLY)
    while os.read(fd, 131072):
        pass
    os.close(fd)
    n += 1
print(n, time.monotonic() - t0)
`;

/** Total open+read+close per second of `procs` concurrent python3 readers of `path`. */
async function rate(work, path, procs = 1) {
  const startAt = Date.now() / 1000 + 0.3 + procs * 0.02;
  const runs = [];
  for (let i = 0; i < procs; i++) {
    runs.push(
      new Promise((resolve, reject) => {
        const child = spawn('python3', [join(work, 'reader.py'), path, String(SECONDS), String(startAt)], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.on('exit', (code) => {
          if (code !== 0) return reject(new Error(`reader exited ${code}`));
          const [n, secs] = out.trim().split(' ').map(Number);
          resolve(n / secs);
        });
      }),
    );
  }
  const rates = await Promise.all(runs);
  return rates.reduce((a, b) => a + b, 0);
}

/** Seconds for `n` cats of `path` in one bash loop. */
function catLoop(path, n) {
  const t0 = process.hrtime.bigint();
  execFileSync('bash', ['-c', `for i in $(seq ${n}); do cat ${path} >/dev/null; done`]);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/**
 * Seconds for `n` cats of `a` and of `b`, alternating in chunks so that the machine's load
 * (fork/exec dominates a `cat`) weighs on both alike.
 */
function pairedCats(a, b, n, chunks = 5) {
  let ta = 0;
  let tb = 0;
  for (let i = 0; i < chunks; i++) {
    ta += catLoop(a, n / chunks);
    tb += catLoop(b, n / chunks);
  }
  return [ta, tb];
}

/** Start `tiersim mount` at `mnt`; resolves when it serves. stderr goes to `errFile` when given. */
async function startServer(root, mnt, args = [], env = {}, errFile) {
  const errFd = errFile ? openSync(errFile, 'w') : 'inherit';
  const server = spawn(process.execPath, [join(root, 'bin/tiersim.js'), 'mount', mnt, '--clock', 'virtual', ...args], {
    stdio: ['ignore', 'pipe', errFd],
    env: { ...process.env, ...env },
  });
  if (typeof errFd === 'number') closeSync(errFd);
  await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
      if (out.includes('mounted at')) resolve();
    });
    server.on('exit', (code) => reject(new Error(`tiersim mount exited ${code}`)));
  });
  return {
    stop: () =>
      new Promise((resolve) => {
        server.removeAllListeners('exit');
        server.on('exit', resolve);
        server.kill('SIGTERM');
      }),
  };
}

/**
 * FUSE requests per `cat` of `rel`, from a server running with libfuse's debug trace: one warm-up
 * cat, then `n` cats; every "opcode: NAME" line the trace printed for them is counted.
 */
async function requestsPerCat(root, work, label, args, rel, n = 20) {
  const mnt = join(work, `mnt-trace-${label}`);
  const log = join(work, `trace-${label}.log`);
  // fuse-native turns on libfuse's `-o debug` for DEBUG matching ",fuse-bindings," (index.js).
  const server = await startServer(root, mnt, args, { DEBUG: ',fuse-bindings,' }, log);
  try {
    const path = join(mnt, rel);
    execFileSync('cat', [path]);
    await new Promise((r) => setTimeout(r, 200));
    const from = statSync(log).size;
    execFileSync('bash', ['-c', `for i in $(seq ${n}); do cat ${path} >/dev/null; done`]);
    await new Promise((r) => setTimeout(r, 300));
    const text = readFileSync(log).subarray(from).toString('latin1');
    const ops = new Map();
    for (const m of text.matchAll(/opcode: ([A-Z_]+)/g)) ops.set(m[1], (ops.get(m[1]) ?? 0) + 1);
    const total = [...ops.values()].reduce((a, b) => a + b, 0);
    const detail = [...ops].map(([op, c]) => `${op} ${(c / n).toFixed(1)}`).join(', ');
    return { perCat: total / n, detail };
  } finally {
    await server.stop();
  }
}

const row = (name, value) => console.log(`${name.padEnd(58)} ${value}`);
const perSec = (x) => `${x.toFixed(0).padStart(8)} ops/s`;

export function perfBench({ root }) {
  return async function perf() {
    console.log(`## perf: FUSE round trips (issue 14); rate loops ${SECONDS} s, cat loops x${CATS}`);
    const work = mkdtempSync(join(tmpdir(), 'tiersim-perf-'));
    writeFileSync(join(work, 'reader.py'), READER);
    const tmpfsFile = join('/dev/shm', `tiersim-perf-${process.pid}`);
    writeFileSync(tmpfsFile, '0-1\n');
    const hostAttr = join('/', ATTR);
    try {
      const tmpfsRate = await rate(work, tmpfsFile);
      row('rate  tmpfs file (4 bytes)', perSec(tmpfsRate));
      row(`rate  host sysfs /${ATTR}`, perSec(await rate(work, hostAttr)));
      // Each variant of the mount: [label, extra `tiersim mount` arguments].
      const variants = [
        ['uncached', ['--no-kernel-cache']],
        ['cached', []],
      ];
      const results = [];
      for (const [label, args] of variants) {
        const mnt = join(work, `mnt-${label}`);
        const server = await startServer(root, mnt, args);
        try {
          const path = join(mnt, ATTR);
          const one = await rate(work, path);
          const many = await rate(work, path, READERS);
          const [tmpfsCat, cat] = pairedCats(tmpfsFile, path, CATS);
          results.push({ label, one, many, cat, tmpfsCat });
          row(`rate  ${label}: ${ATTR}`, perSec(one));
          row(`rate  ${label}: proc/vmstat`, perSec(await rate(work, join(mnt, 'proc/vmstat'))));
          row(`${READERS}x   ${label}: ${ATTR} (total)`, `${perSec(many)}  (${(many / one).toFixed(2)}x one reader)`);
          row(`cat   tmpfs file (alternating with the next)`, `${((tmpfsCat / CATS) * 1e6).toFixed(0).padStart(8)} µs per cat`);
          row(`cat   ${label}: ${ATTR}`, `${((cat / CATS) * 1e6).toFixed(0).padStart(8)} µs per cat  (${(cat / tmpfsCat).toFixed(2)}x tmpfs)`);
        } finally {
          await server.stop();
        }
        const reqs = await requestsPerCat(root, work, label, args, ATTR);
        row(`reqs  ${label}: per cat of ${ATTR}`, `${reqs.perCat.toFixed(1).padStart(8)}  (${reqs.detail})`);
      }
      if (results.length === 2) {
        const [before, after] = results;
        row(`ratio ${after.label} / ${before.label}: single-reader rate`, `${(after.one / before.one).toFixed(2)}x`);
        row(`ratio ${after.label} / ${before.label}: ${READERS} readers`, `${(after.many / before.many).toFixed(2)}x`);
        row(`ratio ${after.label} / ${before.label}: cat loop time (each against its tmpfs loop)`, `${(after.cat / after.tmpfsCat / (before.cat / before.tmpfsCat)).toFixed(2)}x`);
      }
    } finally {
      rmSync(tmpfsFile, { force: true });
      rmSync(work, { recursive: true, force: true });
    }
  };
}
