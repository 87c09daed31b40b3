#!/usr/bin/env node
// tiersim benchmarks: print figures, never fail on a timing. Needs `npm run build` first.
//   node scripts/bench/run.js [boot|kernfs|fuse|frames|spawn|migrate|abench|damon|reap|phases|truth|damon-sysfs|kmmscand|figures|reclaim|numab|numab-spe|perf|damos-filters ...]   (default: all)
import { spawn, execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dist = (p) => join(root, 'dist', p);
const { parseMachineConfig } = await import(dist('kernel/config/machine.js'));
const { bootKernel } = await import(dist('kernel/kernel.js'));

const preset = (name) => parseMachineConfig(JSON.parse(readFileSync(join(root, 'presets', `${name}.json`), 'utf8')));
const ms = (ns) => (Number(ns) / 1e6).toFixed(2);

function quantiles(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { p50: q(0.5), p99: q(0.99), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

function benchBoot() {
  console.log('## boot (in-process, virtual clock)');
  for (const name of ['cxl-2node', '2socket-cxl', 'epyc-2node-256g']) {
    const config = preset(name);
    global.gc?.();
    const heap0 = process.memoryUsage();
    const t0 = process.hrtime.bigint();
    const k = bootKernel(config, { seed: 1 });
    const t1 = process.hrtime.bigint();
    const heap1 = process.memoryUsage();
    const mb = (x) => (x / 1048576).toFixed(1);
    console.log(`${name.padEnd(16)} boot ${ms(t1 - t0)} ms; ${k.layout.blocks.length} memory blocks; heap +${mb(heap1.heapUsed - heap0.heapUsed)} MiB, external +${mb(heap1.external + heap1.arrayBuffers - heap0.external - heap0.arrayBuffers)} MiB`);
  }
}

function benchKernfs() {
  console.log('## kernfs in-process: open + read-to-EOF + close');
  const k = bootKernel(preset('epyc-2node-256g'), { seed: 1 });
  const paths = ['proc/vmstat', 'proc/meminfo', 'proc/iomem', 'sys/devices/system/node/node0/meminfo', 'sys/devices/system/node/node0/cpumap', 'sys/devices/system/node/has_memory'];
  for (const p of paths) {
    let text = '';
    try {
      text = k.fs.readFile(p);
    } catch (err) {
      console.log(`${p.padEnd(42)} unavailable (${err.code ?? err})`);
      continue;
    }
    const n = 2000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) k.fs.readFile(p);
    const per = Number(process.hrtime.bigint() - t0) / n / 1000;
    console.log(`${p.padEnd(42)} ${per.toFixed(1).padStart(7)} us/read (${text.length} bytes)`);
  }
}

function readLoop(path, n) {
  const buf = Buffer.alloc(131072);
  const samples = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const fd = openSync(path, 'r');
    while (readSync(fd, buf, 0, buf.length, null) > 0);
    closeSync(fd);
    samples.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return quantiles(samples);
}

async function benchFuse() {
  console.log('## FUSE: open + read-to-EOF + close from a client process (µs)');
  const dir = mkdtempSync(join(tmpdir(), 'tiersim-bench-'));
  const mnt = join(dir, 'mnt');
  const server = spawn(process.execPath, [join(root, 'bin/tiersim.js'), 'mount', mnt, '--clock', 'virtual'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
      if (out.includes('mounted at')) resolve();
    });
    server.on('exit', (code) => reject(new Error(`mount exited ${code}`)));
  });
  const tmpfsFile = join('/dev/shm', `tiersim-bench-${process.pid}`);
  writeFileSync(tmpfsFile, '0-1\n');
  const targets = [
    ['tmpfs file', tmpfsFile],
    ['host sysfs node0/cpulist', '/sys/devices/system/node/node0/cpulist'],
    ['tiersim node/has_memory', join(mnt, 'sys/devices/system/node/has_memory')],
    ['tiersim node0/meminfo', join(mnt, 'sys/devices/system/node/node0/meminfo')],
    ['tiersim proc/vmstat', join(mnt, 'proc/vmstat')],
    ['tiersim proc/sys/kernel/numa_balancing', join(mnt, 'proc/sys/kernel/numa_balancing')],
  ];
  const n = Number(process.env.TIERSIM_BENCH_N ?? 2000);
  for (const [name, path] of targets) {
    try {
      readLoop(path, 50);
      const q = readLoop(path, n);
      console.log(`${name.padEnd(40)} p50 ${q.p50.toFixed(1).padStart(7)}  p99 ${q.p99.toFixed(1).padStart(7)}  mean ${q.mean.toFixed(1).padStart(7)}  (${(1e6 / q.mean).toFixed(0)} ops/s)`);
    } catch (err) {
      console.log(`${name.padEnd(40)} unavailable (${err.code ?? err.message})`);
    }
  }
  const catN = 200;
  for (const [name, path] of [['cat tmpfs', tmpfsFile], ['cat tiersim has_memory', join(mnt, 'sys/devices/system/node/has_memory')]]) {
    const t0 = process.hrtime.bigint();
    execFileSync('bash', ['-c', `for i in $(seq ${catN}); do cat ${path} >/dev/null; done`]);
    console.log(`${name.padEnd(40)} ${(Number(process.hrtime.bigint() - t0) / catN / 1e3).toFixed(0)} µs per cat (fork/exec included)`);
  }
  server.kill('SIGTERM');
  await new Promise((resolve) => server.on('exit', resolve));
  execFileSync('rm', ['-f', tmpfsFile]);
}

const which = process.argv.slice(2);
const all = which.length === 0;
const { workloadBenches } = await import('./workloads.js');
const wl = workloadBenches({ preset, bootKernel });
const { processBenches } = await import('./processes.js');
const pb = processBenches({ preset, bootKernel });
if (all || which.includes('boot')) benchBoot();
if (all || which.includes('kernfs')) benchKernfs();
if (all || which.includes('fuse')) await benchFuse();
for (const name of ['frames', 'spawn', 'migrate', 'abench', 'damon']) if (all || which.includes(name)) await wl[name]();
for (const name of ['reap', 'phases', 'truth', 'damon-sysfs']) if (all || which.includes(name)) await pb[name]();
const { kmmscandBench } = await import('./kmmscand.js');
if (all || which.includes('kmmscand')) await kmmscandBench({ preset, bootKernel })();
const { figureBenches } = await import('./figures.js');
if (all || which.includes('figures')) await figureBenches({ root }).figures();
const { reclaimBenches } = await import('./reclaim.js');
const { pageTablePages } = await import(dist('kernel/mm/mm.js'));
if (all || which.includes('reclaim')) await reclaimBenches({ preset, bootKernel, pageTablePages }).reclaim();
const { numabBenches } = await import('./numab.js');
const nb = numabBenches({ preset, bootKernel });
for (const name of ['numab', 'numab-spe']) if (all || which.includes(name)) await nb[name]();
const { damosBenches } = await import('./damos.js');
const { damonSysfs } = await import(dist('kernel/mm/damon/sysfs.js'));
if (all || which.includes('damos-filters')) await damosBenches({ preset, bootKernel, damonSysfs })['damos-filters']();
const { perfBench } = await import('./perf.js');
if (all || which.includes('perf')) await perfBench({ root })();
