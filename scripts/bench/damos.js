// Benchmark of DAMOS scheme application with ops filters (paddr): one paddr context over node 0
// of epyc-2node-256g while a 16 GiB hot set (1 GiB hot) runs there; each case is one scheme
// (action + filter) run for a simulated second (10 applies at the default 100 ms aggregation).
// Prints wall ms per apply per GiB of user pages walked (timed around the ops' applyScheme) and
// the kdamond's simulated CPU per apply. Figures only; nothing here fails on a timing.
const wallNs = () => process.hrtime.bigint();
const UL = '18446744073709551615';
const A = 'sys/kernel/mm/damon/admin/kdamonds';
const K0 = `${A}/0`;
const C0 = `${K0}/contexts/0`;
const S0 = `${C0}/schemes/0`;

/** [name, action, filters: [type, matching, allow, extra files]] */
const CASES = [
  ['stat, no filter', 'stat', []],
  ['stat, anon allow', 'stat', [['anon', 'Y', 'Y']]],
  ['stat, active allow', 'stat', [['active', 'Y', 'Y']]],
  ['stat, young allow', 'stat', [['young', 'Y', 'Y']]],
  ['stat, memcg / allow', 'stat', [['memcg', 'Y', 'Y', { memcg_path: '/' }]]],
  ['stat, unmapped reject', 'stat', [['unmapped', 'Y', 'N']]],
  ['stat, hugepage_size 4K allow', 'stat', [['hugepage_size', 'Y', 'Y', { min: '4096', max: '4096' }]]],
  ['stat, addr (core) + anon allow', 'stat', [['addr', 'Y', 'Y', { addr_start: '0', addr_end: String(2 ** 40) }], ['anon', 'Y', 'N']]],
  ['stat, active reject + young allow', 'stat', [['active', 'Y', 'N'], ['young', 'Y', 'Y']]],
  ['migrate_hot young allow (to node 1)', 'migrate_hot', [['young', 'Y', 'Y']]],
  ['pageout (temporary reject-young), active reject', 'pageout', [['active', 'Y', 'N']]],
];

export function damosBenches({ preset, bootKernel, damonSysfs }) {
  async function damosFilters() {
    // TIERSIM_BENCH_DAMOS_SIZE (default 16G, hot 1/16 of it) and TIERSIM_BENCH_DAMOS_CASES (a
    // substring of the case names, e.g. "stat") scale and narrow the bench.
    const seconds = Number(process.env.TIERSIM_BENCH_DAMOS_S ?? 1);
    const size = process.env.TIERSIM_BENCH_DAMOS_SIZE ?? '16G';
    const only = process.env.TIERSIM_BENCH_DAMOS_CASES ?? '';
    console.log(`## damos-filters: paddr schemes over node 0 of epyc-2node-256g, hotset ${size} (1/16 hot), ${seconds} s simulated per case`);
    const k = bootKernel(preset('epyc-2node-256g'), { seed: 1, clock: 'virtual' });
    const w = (f, t) => k.fs.writeFile(f, t);
    const t0 = wallNs();
    await k.fs.transact('sim/spawn', `hotset size=${size} threads=8 hot=0.0625 node=0`);
    console.log(`spawn ${(Number(wallNs() - t0) / 1e6).toFixed(0)} ms wall`);
    w(`${A}/nr_kdamonds`, '1\n');
    w(`${K0}/contexts/nr_contexts`, '1\n');
    w(`${C0}/operations`, 'paddr\n');
    w(`${C0}/targets/nr_targets`, '1\n');
    const ram = k.layout.ram.filter((r) => r.nid === 0);
    w(`${C0}/targets/0/regions/nr_regions`, `${ram.length}\n`);
    ram.forEach((r, i) => {
      w(`${C0}/targets/0/regions/${i}/start`, `${r.start}\n`);
      w(`${C0}/targets/0/regions/${i}/end`, `${r.end + 1}\n`);
    });
    for (const [name, action, filters] of CASES) {
      if (!name.includes(only)) continue;
      w(`${C0}/schemes/nr_schemes`, '0\n');
      w(`${C0}/schemes/nr_schemes`, '1\n');
      for (const p of ['sz', 'nr_accesses', 'age']) w(`${S0}/access_pattern/${p}/max`, `${UL}\n`);
      w(`${S0}/action`, `${action}\n`);
      w(`${S0}/target_nid`, '1\n');
      w(`${S0}/filters/nr_filters`, `${filters.length}\n`);
      filters.forEach(([type, matching, allow, extra = {}], i) => {
        w(`${S0}/filters/${i}/type`, `${type}\n`);
        for (const [f, v] of Object.entries(extra)) w(`${S0}/filters/${i}/${f}`, `${v}\n`);
        w(`${S0}/filters/${i}/matching`, `${matching}\n`);
        w(`${S0}/filters/${i}/allow`, `${allow}\n`);
      });
      const userGiB = Number(/AnonPages:\s+(\d+)/.exec(k.fs.readFile('sys/devices/system/node/node0/meminfo'))[1]) / 2 ** 20;
      w(`${K0}/state`, 'on\n');
      const ctx = damonSysfs(k).kdamonds[0].ctx;
      const ops = ctx.ops;
      const apply = ops.applyScheme;
      let applyNs = 0n;
      let maxApplyNs = 0n;
      let applies = 0;
      let lastNow = -1;
      let cur = 0n;
      ops.applyScheme = (...args) => {
        if (k.clock.nowNs !== lastNow) {
          if (lastNow >= 0 && cur > maxApplyNs) maxApplyNs = cur;
          lastNow = k.clock.nowNs;
          cur = 0n;
          applies++;
        }
        const a = wallNs();
        const r = apply.apply(ops, args);
        const d = wallNs() - a;
        applyNs += d;
        cur += d;
        return r;
      };
      const cpu0 = ctx.cpuNs;
      const t1 = wallNs();
      await k.fs.writeFileAsync('sim/advance', `${seconds}s`);
      const total = Number(wallNs() - t1) / 1e6;
      if (cur > maxApplyNs) maxApplyNs = cur;
      w(`${K0}/state`, 'update_schemes_stats\n');
      const passed = Number(k.fs.readFile(`${S0}/stats/sz_ops_filter_passed`)) / 2 ** 30;
      const cpu = (ctx.cpuNs - cpu0) / 1e6;
      w(`${K0}/state`, 'off\n');
      ops.applyScheme = apply;
      const per = applies ? Number(applyNs) / 1e6 / applies : 0;
      console.log(`${name.padEnd(48)} ${applies} applies over ${userGiB.toFixed(1)} GiB user: ${per.toFixed(1).padStart(7)} ms/apply (max ${(Number(maxApplyNs) / 1e6).toFixed(1)}), ${(per / userGiB).toFixed(2).padStart(6)} ms/apply/GiB; passed ${passed.toFixed(1)} GiB; kdamond CPU ${cpu.toFixed(1)} ms simulated; advance ${total.toFixed(0)} ms wall`);
    }
  }
  return { 'damos-filters': damosFilters };
}
