// Benchmarks of NUMA balancing (issue 10): the kmmscand RFC's abench under numa_balancing=2 and
// the same tiering workload driven by SPE samples, printed with wall time, CPU time, simulated
// time, hint faults, promotions and the overhead counters. Figures only; nothing fails on a
// timing. Imported by run.js.
const wallMs = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const cpuMs = (c0) => {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};

export function numabBenches({ preset, bootKernel }) {
  const boot = (name) => bootKernel(preset(name), { seed: 1, clock: 'virtual' });
  const spawn = async (k, spec) => Number((await k.fs.transact('sim/spawn', spec)).trim());
  const vmstat = (k) => Object.fromEntries(k.fs.readFile('proc/vmstat').trim().split('\n').map((l) => l.split(' ')).map(([n, v]) => [n, Number(v)]));
  const stats = (k, pid) => Object.fromEntries(k.fs.readFile(`sim/processes/${pid}/numa_balancing`).trim().split('\n').map((l) => l.split(' ')));

  async function runToEnd(k, pid) {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    let steps = 0;
    while (k.fs.readFile(`sim/processes/${pid}/state`) !== 'done\n' && steps++ < 100) await k.fs.writeFileAsync('sim/advance', '10s');
    return { wall: wallMs(t0), cpu: cpuMs(c0) };
  }

  async function numab() {
    console.log('## numab: abench 8 GiB (2M pages) on CXL, 64 threads, 512 iterations, 1 µs delay, epyc-2node-256g, numa_balancing=2 (target ≤ 5 s wall)');
    for (const mode of [2, 0]) {
      const k = boot('epyc-2node-256g');
      k.fs.writeFile('proc/sys/kernel/numa_balancing', `${mode}\n`);
      const pid = await spawn(k, 'abench size=8G threads=64 iters=512 delay_us=1 node=1');
      const { wall, cpu } = await runToEnd(k, pid);
      const v = vmstat(k);
      const s = stats(k, pid);
      const runtime = Number(k.fs.readFile(`sim/processes/${pid}/runtime_ns`)) / 1e9;
      const simulated = k.clock.nowNs / 1e9;
      console.log(`numa_balancing=${mode}: runtime ${runtime.toFixed(2)} s simulated (${simulated.toFixed(0)} s advanced) in ${wall.toFixed(0)} ms wall, ${cpu.toFixed(0)} ms CPU`);
      console.log(`  numa_pte_updates ${v.numa_pte_updates}, numa_hint_faults ${v.numa_hint_faults}, pgpromote_success ${v.pgpromote_success}, numa_pages_migrated ${v.numa_pages_migrated}`);
      console.log(`  overhead: numa_task_work_oh ${(k.vm.event('numa_task_work_oh') / 1e6).toFixed(3)} s, numa_hf_migration_oh ${(k.vm.event('numa_hf_migration_oh') / 1e6).toFixed(3)} s (task_work ${s.task_work_us} µs, hint faults ${s.hint_fault_us} µs); scan period now ${s.numa_scan_period_ms} ms`);
    }
    console.log('(RFC V0, 8 GB, real machine: 133.66 s with NUMA balancing tiering; numa_task_work_oh 0.883 s, numa_hf_migration_oh 64.86 s — spec/mechanisms.md §6.5. Predictions here, not calibrated.)');
  }

  async function numabSpe() {
    console.log('## numab-spe: hotset 1 GiB on CXL, 8 threads, arm64-2node-128c-cxl, 20 s: PROT_NONE hint faults vs SPE samples');
    for (const source of ['hint faults', 'SPE samples']) {
      const k = boot('arm64-2node-128c-cxl');
      k.fs.writeFile('proc/sys/kernel/numa_balancing', '2\n');
      if (source === 'SPE samples') {
        k.fs.writeFile('proc/sys/kernel/mem_sampling_enable', '1\n');
        k.fs.writeFile('proc/sys/kernel/numa_balancing_mem_sampling', '1\n');
      }
      const pid = await spawn(k, 'hotset size=1G threads=8 node=2');
      const t0 = process.hrtime.bigint();
      const c0 = process.cpuUsage();
      await k.fs.writeFileAsync('sim/advance', '20s');
      const v = vmstat(k);
      const s = stats(k, pid);
      console.log(`${source.padEnd(11)}: ${wallMs(t0).toFixed(0)} ms wall, ${cpuMs(c0).toFixed(0)} ms CPU; pte_updates ${v.numa_pte_updates}, hint faults ${v.numa_hint_faults}, samples ${s.samples}, promoted ${v.pgpromote_success}; task_work ${s.task_work_us} µs, hint faults ${s.hint_fault_us} µs, samples ${s.sample_us} µs; progress ${k.fs.readFile(`sim/processes/${pid}/progress`).split(' ')[0]}`);
    }
  }

  return { numab, 'numab-spe': numabSpe };
}
