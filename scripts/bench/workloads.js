// Benchmarks of the memory model (issue 3): frame-state heap for a full 256 GiB machine,
// spawn and migration wall time, and simulated-seconds per wall-second of an abench run.
// Figures only; nothing here fails on a timing. Imported by run.js.
const mib = (x) => (x / 1048576).toFixed(1);
const wallMs = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

export function workloadBenches({ preset, bootKernel }) {
  const boot = (name) => bootKernel(preset(name), { seed: 1, clock: 'virtual' });
  const spawn = async (k, spec) => Number((await k.fs.transact('sim/spawn', spec)).trim());

  async function frames() {
    console.log('## frames: frame state of a fully used 256 GiB machine (epyc-2node-256g, 64 M frames)');
    global.gc?.();
    const m0 = process.memoryUsage();
    const k = boot('epyc-2node-256g');
    const t0 = process.hrtime.bigint();
    for (const nid of [0, 1]) {
      const pages = k.alloc.usableFreePages(nid, true) - 200_000; // leave room for page tables
      await spawn(k, `idle size=${pages * 4}K node=${nid} policy=bind`);
    }
    const ms = wallMs(t0);
    global.gc?.();
    const m1 = process.memoryUsage();
    const frames = k.layout.blocks.reduce((n, b) => n + b.nrPages, 0);
    const used = (m1.heapUsed + m1.arrayBuffers) - (m0.heapUsed + m0.arrayBuffers);
    console.log(`frame arrays ${mib(k.alloc.frames.bytes)} MiB for ${frames} frames = ${(k.alloc.frames.bytes / frames).toFixed(2)} B/frame (budget 16)`);
    console.log(`heap + array buffers grew ${mib(used)} MiB (frames + page tables of the two processes); (the frame arrays are the figure with the <= 1536 MiB target); fill took ${ms.toFixed(0)} ms`);
  }

  async function spawnBench() {
    console.log('## spawn: wall time to spawn `abench size=8G threads=64 iters=512 delay_us=1 node=1` (target < 1 s)');
    for (const name of ['cxl-2node', 'epyc-2node-256g']) {
      const k = boot(name);
      const t0 = process.hrtime.bigint();
      await spawn(k, 'abench size=8G threads=64 iters=512 delay_us=1 node=1');
      console.log(`${name.padEnd(16)} ${wallMs(t0).toFixed(0)} ms`);
    }
  }

  async function migrate() {
    console.log('## migrate: 1 GiB from CXL to DRAM on cxl-2node, 8-thread process (target < 2 s wall)');
    for (const flow of ['batched', 'unbatched']) {
      const k = boot('cxl-2node');
      k.fs.writeFile('sim/migrate_flow', flow);
      const pid = await spawn(k, 'hotset size=1G threads=8 node=1');
      const t0 = process.hrtime.bigint();
      const reply = await k.fs.transact('sim/migrate', `${pid} 1 0`);
      const ms = wallMs(t0);
      const v = Object.fromEntries(reply.trim().split('\n').map((l) => l.split(' ')));
      const simS = Number(v.elapsed_ns) / 1e9;
      console.log(`${flow.padEnd(9)} ${v.pages_moved} pages: ${ms.toFixed(0)} ms wall; ${(simS * 1e3).toFixed(1)} ms simulated = ${(simS * 1e9 / Number(v.pages_moved) / 1e3).toFixed(2)} µs/page, ${(Number(v.pages_moved) / simS / 1e3).toFixed(0)} k pages/s; ${v.tlb_remote_flushes} shootdowns`);
    }
  }

  async function abench() {
    console.log('## abench 8 GiB, 64 threads, 512 iterations, 1 µs delay (the kmmscand RFC setup) on epyc-2node-256g, nothing else running');
    for (const node of [1, 0]) {
      const k = boot('epyc-2node-256g');
      const pid = await spawn(k, `abench size=8G threads=64 iters=512 delay_us=1 node=${node}`);
      const t0 = process.hrtime.bigint();
      let steps = 0;
      while (k.fs.readFile(`sim/processes/${pid}/state`) !== 'done\n' && steps++ < 100) await k.fs.writeFileAsync('sim/advance', '10s');
      const ms = wallMs(t0);
      const runtime = Number(k.fs.readFile(`sim/processes/${pid}/runtime_ns`)) / 1e9;
      const simulated = k.clock.nowNs / 1e9;
      console.log(`node ${node} (${node === 1 ? 'CXL' : 'DRAM'}): runtime ${runtime.toFixed(2)} s simulated; ${simulated.toFixed(0)} s simulated in ${ms.toFixed(1)} ms wall = ${(simulated / (ms / 1e3)).toFixed(0)} simulated s per wall s`);
    }
    console.log('(No promotion runs here: numa_balancing tiering and kmmscand are not built yet, so these are the all-CXL and all-DRAM bounds. RFC V0 on the real machine, pages starting on CXL: 133.66 s with NUMA balancing tiering, 113.77 s with kmmscand.)');
  }

  async function damon() {
    console.log('## DAMON paddr over all 256 GiB of epyc-2node-256g, default attrs, 8 GiB hotset running');
    const k = boot('epyc-2node-256g');
    await spawn(k, 'hotset size=8G threads=64 node=1');
    const D = 'sys/kernel/debug/damon';
    const ram = k.layout.ram;
    const lo = Math.min(...ram.map((r) => r.start));
    const hi = Math.max(...ram.map((r) => r.end + 1));
    k.fs.writeFile(`${D}/pids`, 'paddr\n');
    k.fs.writeFile(`${D}/init_regions`, `-1 ${lo} ${hi}\n`);
    k.fs.writeFile(`${D}/record`, '0 none\n');
    k.fs.writeFile(`${D}/monitor_on`, 'on\n');
    const { damonDbgfs } = await import('../../dist/kernel/mm/damon/dbgfs.js');
    const ctx = damonDbgfs(k).defaultCtx;
    const seconds = 20;
    const t0 = process.hrtime.bigint();
    await k.fs.writeFileAsync('sim/advance', `${seconds}s`);
    const ms = wallMs(t0);
    console.log(`${ctx.nrRegions()} regions at the end; kdamond CPU ${(ctx.cpuNs / seconds / 1e6).toFixed(2)} ms per simulated second (${((ctx.cpuNs / seconds / 1e9) * 100).toFixed(3)} % of a CPU); ${(ms / seconds).toFixed(1)} ms wall per simulated second`);
  }

  return { frames, spawn: spawnBench, migrate, abench, damon };
}

