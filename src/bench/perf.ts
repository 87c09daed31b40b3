// `tiersim bench perf`: the simulator's own speed (issue 15), printed, never asserted:
// simulated seconds per wall second of the reproduction benches' main runs, and frames per GiB
// of heap, the simulator's CPU to run DAMON paddr over 256 GiB in real time, and FUSE
// open+read+close and `cat` loops against tmpfs and the host's sysfs in the same run.
import { fuseFigures } from './perf_fuse.js';
import { fmt, mean, round, valuesOf } from './runner.js';
import { runAbench, PRESET as EPYC } from './kmmscand_abench.js';
import { bounce, PRESET as PMBENCH_PRESET } from './migrate_batch_pmbench.js';
import { SimSession } from './sim.js';
import type { Bench, BenchContext, RunFigures } from './types.js';

interface Case {
  name: string;
  /** Runs one case; returns simulated seconds it covered. */
  run(ctx: BenchContext): Promise<number>;
}

const CASES: Case[] = [
  ...(['patched', 'base'] as const).map((mode) => ({
    name: mode === 'patched' ? 'kmmscand-abench patched (8 GB; --quick 1 GB)' : 'kmmscand-abench base, numa_balancing=2 (8 GB; --quick 1 GB)',
    async run(ctx: BenchContext) {
      const { s } = await runAbench(ctx.seed, ctx.quick ? 1 : 8, ctx.quick ? 128 : 512, mode);
      return s.k.clock.nowNs / 1e9;
    },
  })),
  {
    name: 'migrate-batch-memhog unbatched migratepages (1 GB)',
    async run(ctx) {
      const s = new SimSession('arm64-2node-128c', ctx.seed);
      s.write('sim/migrate_flow', 'unbatched');
      const pid = await s.spawn(`memhog size=${ctx.quick ? '64M' : '1G'} repeat=100000 node=0 policy=bind cpunode=1`);
      return (await s.migratePages(pid, '0', '1'))['elapsed_ns']! / 1e9;
    },
  },
  {
    name: 'migrate-batch-pmbench batched, 10 s of bouncing (1 GB)',
    async run(ctx) {
      const s = new SimSession(PMBENCH_PRESET, ctx.seed);
      s.write('proc/sys/kernel/numa_balancing', '0');
      const pid = await s.spawn(`abench size=${ctx.quick ? '128M' : '1G'} threads=16 iters=1000000 node=0`);
      return (await bounce(s, pid, ctx.quick ? 0.5 : 10)).elapsed;
    },
  },
];

export const perfBench: Bench = {
  name: 'perf',
  title: "the simulator's own speed: simulated s per wall s, frames per GiB of heap, DAMON paddr 256 GiB realtime cost, FUSE vs tmpfs and sysfs",
  presets: ['epyc-2node-256g', 'arm64-2node-128c', '2socket-cxl'],
  defaultSeeds: 1,
  async run(ctx) {
    const rows: RunFigures['rows'] = {};
    for (const [i, c] of CASES.entries()) {
      ctx.progress(i, CASES.length + 3, c.name);
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const sim = await c.run(ctx);
      const wall = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      rows[c.name] = { simulated_s: sim, wall_s: wall, cpu_s: (cpu.user + cpu.system) / 1e6, sim_per_wall: sim / wall };
    }
    // Frames per GiB of heap: materialise a 32 GiB (--quick 4 GiB) process's frames on epyc.
    ctx.progress(CASES.length, CASES.length + 3, 'frames per GiB of heap');
    const gib = ctx.quick ? 4 : 32;
    (globalThis as { gc?: () => void }).gc?.();
    const m0 = process.memoryUsage();
    const s = new SimSession(EPYC, ctx.seed);
    s.write('proc/sys/kernel/numa_balancing', '0');
    await s.spawn(`idle size=${gib}G node=1`);
    (globalThis as { gc?: () => void }).gc?.();
    const m1 = process.memoryUsage();
    const bytes = m1.heapUsed + m1.arrayBuffers - m0.heapUsed - m0.arrayBuffers;
    const frames = (gib * 2 ** 30) / 4096;
    rows['frames'] = { frames, heap_mib: bytes / 2 ** 20, frames_per_heap_gib: frames / (bytes / 2 ** 30), bytes_per_frame: bytes / frames };
    // DAMON paddr over all 256 GiB of epyc (default attrs, an 8 GiB hot set running): the
    // simulator's CPU per simulated second is the share of a core a realtime mount needs.
    ctx.progress(CASES.length + 1, CASES.length + 3, 'DAMON paddr 256 GiB');
    {
      const sd = new SimSession(EPYC, ctx.seed);
      sd.write('proc/sys/kernel/numa_balancing', '0');
      await sd.spawn('hotset size=8G threads=64 node=1');
      const D = 'sys/kernel/debug/damon';
      const lo = Math.min(...sd.k.layout.ram.map((r) => r.start));
      const hi = Math.max(...sd.k.layout.ram.map((r) => r.end + 1));
      sd.write(`${D}/pids`, 'paddr');
      sd.write(`${D}/init_regions`, `-1 ${lo} ${hi}`);
      sd.write(`${D}/monitor_on`, 'on');
      const simS = ctx.quick ? 2 : 20;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await sd.advance(`${simS}s`);
      const cpu = process.cpuUsage(cpu0);
      const cpuS = (cpu.user + cpu.system) / 1e6;
      rows['damon'] = { simulated_s: simS, wall_s: (performance.now() - t0) / 1000, cpu_s: cpuS, realtime_core_pct: (100 * cpuS) / simS };
    }
    ctx.progress(CASES.length + 2, CASES.length + 3, 'FUSE loops');
    const fuse = await fuseFigures(ctx.quick ? 0.5 : 1.5, ctx.quick ? 20 : 100);
    if ('rows' in fuse) Object.assign(rows, Object.fromEntries(Object.entries(fuse.rows).map(([k, v]) => [`fuse: ${k}`, v])));
    else rows['fuse unavailable'] = {};
    return { rows };
  },
  json(runs) {
    return Object.fromEntries(Object.keys(runs[0]?.rows ?? {}).map((row) => [row, Object.fromEntries(Object.keys(runs[0]!.rows[row]!).map((c) => [c, round(mean(valuesOf(runs, row, c)))]))]));
  },
  table(runs) {
    const m = (row: string, col: string) => mean(valuesOf(runs, row, col));
    const out = [`${'run'.padEnd(62)} ${'simulated s'.padStart(12)} ${'wall s'.padStart(8)} ${'CPU s'.padStart(7)} ${'sim s / wall s'.padStart(15)}`];
    for (const c of CASES) out.push(`${c.name.padEnd(62)} ${fmt(m(c.name, 'simulated_s'), 2, 12)} ${fmt(m(c.name, 'wall_s'), 2, 8)} ${fmt(m(c.name, 'cpu_s'), 2, 7)} ${fmt(m(c.name, 'sim_per_wall'), 2, 15)}`);
    out.push('', `frames: ${fmt(m('frames', 'frames'), 0)} frames in ${fmt(m('frames', 'heap_mib'), 1)} MiB of heap + array buffers: ${fmt(m('frames', 'frames_per_heap_gib'), 0)} frames per GiB (${fmt(m('frames', 'bytes_per_frame'), 1)} bytes per frame; run node with --expose-gc for a clean figure)`);
    const d = (c: string) => m('damon', c);
    out.push(`DAMON paddr over 256 GiB (epyc-2node-256g, default attrs, 8 GiB hot set): ${fmt(d('cpu_s'), 2)} s of CPU for ${fmt(d('simulated_s'), 0)} simulated s = ${fmt(d('realtime_core_pct'), 1)}% of one core in realtime mode`);
    const fuseRows = Object.keys(runs[0]?.rows ?? {}).filter((r) => r.startsWith('fuse: '));
    if (fuseRows.length === 0) out.push('FUSE: unavailable (no /dev/fuse or the mount failed)');
    for (const r of fuseRows) out.push(`${r.padEnd(62)} ${fmt(m(r, 'opens_per_s'), 0, 8)} open+read+close/s ${fmt(m(r, 'us_per_cat'), 0, 7)} µs per cat`);
    return out;
  },
};
