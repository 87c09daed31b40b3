// Benchmark of kswapd demotion (issue 11): fill the 16 GiB DRAM node of cxl-2node with a cold
// workload, raise vm.watermark_scale_factor to 3000 (high = min + 60% of each zone) and let one
// kernel allocation's slow path wake kswapd0, which demotes GiBs to the CXL node. Prints the
// wall time per simulated second and the pages demoted per simulated and per wall second.
// Figures only; nothing here fails on a timing. Imported by run.js.
const wallMs = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

export function reclaimBenches({ preset, bootKernel, pageTablePages }) {
  async function reclaim() {
    console.log('## reclaim: kswapd0 demotes a cold 16 GiB DRAM node to CXL (cxl-2node, demotion_enabled, watermark_scale_factor 3000)');
    const k = bootKernel(preset('cxl-2node'), { seed: 1, clock: 'virtual' });
    const spawn = async (spec) => Number((await k.fs.transact('sim/spawn', spec)).trim());
    const vm = (name) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(k.fs.readFile('proc/vmstat'))[1]);
    k.fs.writeFile('sys/kernel/mm/numa/demotion_enabled', '1');
    const room = k.alloc.allocatablePages(0, true, 'low') - 10;
    let n = room;
    while (n + pageTablePages(n) > room) n--;
    let t0 = process.hrtime.bigint();
    await spawn(`idle size=${n * 4}K node=0`);
    console.log(`fill: ${(n / 262144).toFixed(2)} GiB cold on node 0 in ${wallMs(t0).toFixed(0)} ms wall`);
    k.fs.writeFile('proc/sys/vm/watermark_scale_factor', '3000');
    await spawn('idle size=4K node=0'); // its page tables take the slow path: wake_all_kswapds
    t0 = process.hrtime.bigint();
    const simStart = k.clock.nowNs;
    let steps = 0;
    while (k.kswapd.node(0).state !== 'sleeping' && steps++ < 60) await k.fs.writeFileAsync('sim/advance', '1s');
    const ms = wallMs(t0);
    const sim = (k.clock.nowNs - simStart) / 1e9;
    const demoted = vm('pgdemote_kswapd');
    const thread = k.kswapd.node(0);
    console.log(`demoted ${demoted} pages (${(demoted / 262144).toFixed(2)} GiB), scanned ${vm('pgscan_kswapd')}, in ${sim.toFixed(0)} simulated s (kswapd0 CPU ${(thread.runtimeNs / 1e9).toFixed(2)} s)`);
    console.log(`wall ${ms.toFixed(0)} ms = ${(ms / sim).toFixed(0)} ms wall per simulated second; ${(demoted / (thread.runtimeNs / 1e9)).toFixed(0)} pages demoted per second of kswapd CPU, ${(demoted / (ms / 1e3)).toFixed(0)} per wall second`);
  }
  return { reclaim };
}
