// Benchmarks of bounded inputs (issue 9): memory over many spawn/kill cycles (finished
// processes are reaped past the last MAX_FINISHED), and the wall cost of a hot set moving every
// 1 ms (the shortest phase a spec may ask for). Figures only; imported by run.js.
const mib = (x) => (x / 1048576).toFixed(1);
const wallMs = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

export function processBenches({ preset, bootKernel }) {
  const boot = (name) => bootKernel(preset(name), { seed: 1, clock: 'virtual' });
  const spawn = async (k, spec) => Number((await k.fs.transact('sim/spawn', spec)).trim());

  async function reap() {
    const cycles = Number(process.env.TIERSIM_BENCH_CYCLES ?? 100_000);
    console.log(`## reap: ${cycles} spawn/kill cycles of \`abench size=4K iters=0\` through sim/spawn and sim/processes/PID/kill (cxl-2node, in process)`);
    const k = boot('cxl-2node');
    const sample = (i, t0) => {
      global.gc?.();
      const m = process.memoryUsage();
      console.log(`${String(i).padStart(7)} cycles: rss ${mib(m.rss).padStart(6)} MiB, heap ${mib(m.heapUsed).padStart(6)} MiB, listed ${String(k.fs.readdir('sim/processes').length).padStart(5)}; ${(wallMs(t0) * 1000 / Math.max(1, i)).toFixed(1)} µs/cycle`);
    };
    const t0 = process.hrtime.bigint();
    console.log(`      0 cycles: rss ${mib(process.memoryUsage().rss).padStart(6)} MiB, heap ${mib(process.memoryUsage().heapUsed).padStart(6)} MiB`);
    for (let i = 1; i <= cycles; i++) {
      const pid = await spawn(k, 'abench size=4K iters=0');
      k.fs.writeFile(`sim/processes/${pid}/kill`, '9');
      if (i % (cycles / 10) === 0) sample(i, t0);
    }
    console.log('(RSS and heap stay flat once the first MAX_FINISHED finished processes are listed: older ones are reaped.)');
  }

  async function phases() {
    console.log('## phases: wall time to advance 1 simulated second of a hot set that moves every 1 ms (1,000 phase changes)');
    for (const size of ['64M', '1G', '8G']) {
      const k = boot('cxl-2node');
      await spawn(k, `hotset size=${size} phase=1ms interleave=0-1`);
      const t0 = process.hrtime.bigint();
      await k.fs.writeFileAsync('sim/advance', '1s');
      const ms = wallMs(t0);
      console.log(`size=${size.padEnd(4)} ${ms.toFixed(1).padStart(7)} ms wall per simulated second = ${(ms * 1000 / 1000).toFixed(1)} µs per phase change`);
    }
  }

  async function truth() {
    console.log('## truth: sim/truth/rate over 0..2^64-1 (clipped to what exists), 4096 slices, an 8 GiB hot set moving every 1 ms (epyc-2node-256g)');
    const k = boot('epyc-2node-256g');
    const pid = await spawn(k, 'hotset size=8G phase=1ms interleave=0-1');
    await k.fs.writeFileAsync('sim/advance', '5s');
    for (const q of [`paddr 0 0xffffffffffffffff 1s 4096`, `${pid} 0 0xffffffffffffffff 1000000s 4096`]) {
      const samples = [];
      for (let i = 0; i < 5; i++) {
        const t0 = process.hrtime.bigint();
        await k.fs.transact('sim/truth/rate', q);
        samples.push(wallMs(t0));
      }
      samples.sort((a, b) => a - b);
      console.log(`${q.padEnd(44)} median ${samples[2].toFixed(1)} ms, max ${samples[4].toFixed(1)} ms (2 M mapped pages; the paddr walk yields every 256 K pages)`);
    }
  }

  async function damonSysfs() {
    const A = 'sys/kernel/mm/damon/admin/kdamonds';
    console.log('## damon-sysfs: `echo N > nr_*` at the kmalloc_array limit (N = 524288), then readdir and one high child (cxl-2node, in process)');
    for (const nr of [`${A}/nr_kdamonds`, `${A}/0/contexts/0/targets/nr_targets`, `${A}/0/contexts/0/schemes/nr_schemes`]) {
      const k = boot('cxl-2node');
      if (!nr.endsWith('nr_kdamonds')) {
        k.fs.writeFile(`${A}/nr_kdamonds`, '1');
        k.fs.writeFile(`${A}/0/contexts/nr_contexts`, '1');
      }
      global.gc?.();
      const h0 = process.memoryUsage().heapUsed;
      let t0 = process.hrtime.bigint();
      k.fs.writeFile(nr, '524288');
      const writeMs = wallMs(t0);
      global.gc?.();
      const h1 = process.memoryUsage().heapUsed;
      const dir = nr.slice(0, nr.lastIndexOf('/'));
      t0 = process.hrtime.bigint();
      const n = k.fs.readdir(dir).length;
      const lsMs = wallMs(t0);
      t0 = process.hrtime.bigint();
      k.fs.stat(`${dir}/524287`);
      const lookupUs = wallMs(t0) * 1000;
      console.log(`${nr.slice(A.length + 1).padEnd(34)} write ${writeMs.toFixed(2).padStart(8)} ms, heap +${mib(h1 - h0).padStart(6)} MiB; readdir ${n} names ${lsMs.toFixed(1)} ms; first lookup of 524287 ${lookupUs.toFixed(0)} µs`);
    }
  }

  return { reap, phases, truth, 'damon-sysfs': damonSysfs };
}
