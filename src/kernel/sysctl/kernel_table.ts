// /proc/sys/kernel entries for NUMA balancing and tiering: kernel/sched/core.c
// (sysctl_numa_balancing, range [0,4] since 5.18), kernel/sched/fair.c
// (numa_balancing_promote_rate_limit_MBps, 6.0+) and openEuler mm/mem_sampling.c revision A
// (mem_sampling_enable, numa_balancing_mem_sampling: only on machines with Arm SPE).
import createDebug from 'debug';
import { subdir, EPERM, StaticDir, sysctlFile, type WriteCtx } from '../../kernfs/index.js';
import type { Kernel } from '../kernel.js';
import { formatIntvec, procDointvecMinmax, type IntRange } from './proc_dointvec.js';

const trace = createDebug('tiersim:sysctl');

/** openEuler SPE sampling switches (CONFIG_MEM_SAMPLING, CONFIG_NUMABALANCING_MEM_SAMPLING). */
export class KernelSysctls {
  /** static key mem_sampling_access_hints. */
  private memSampling = false;
  /** static key sched_numabalancing_mem_sampling. */
  private numaMemSampling = false;
  private readonly listeners: Array<() => void> = [];

  /** Be told after either switch was written. */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** kernel.mem_sampling_enable: 1 while SPE sampling runs. */
  get memSamplingEnable(): number {
    return this.memSampling ? 1 : 0;
  }

  /**
   * kernel.numa_balancing_mem_sampling: 1 when NUMA balancing takes its access information from
   * SPE samples. Always 0 while sampling is off.
   */
  get numaBalancingMemSampling(): number {
    return this.memSampling && this.numaMemSampling ? 1 : 0;
  }

  /** set_mem_sampling_state(): turning sampling off also turns the NUMA-balancing consumer off. */
  setMemSamplingEnable(on: boolean): void {
    this.memSampling = on;
    if (!on) this.numaMemSampling = false;
    trace('mem_sampling_enable %d', on ? 1 : 0);
    for (const l of this.listeners) l();
  }

  /** sysctl_numabalancing_mem_sampling(): only takes effect while sampling is enabled. */
  setNumaBalancingMemSampling(on: boolean): void {
    if (!this.memSampling) return;
    this.numaMemSampling = on;
    trace('numa_balancing_mem_sampling %d', on ? 1 : 0);
    for (const l of this.listeners) l();
  }
}

/** A child directory of `parent`, created with `mode` if absent. */
/**
 * The procfs directory `proc/<path>`, creating missing components 0555 as procfs has them
 * (proc_root, proc_sys_root and every ctl_table directory are dr-xr-xr-x).
 */
export function procDir(k: Kernel, path = ''): StaticDir {
  let cur = subdir(k.root, 'proc', 0o555, 'procfs');
  // proc/sys is proc_sysctl's (its own inode_operations: kernfs/vfs.ts)
  for (const name of path.split('/').filter((c) => c !== '')) cur = subdir(cur, name, 0o555, cur.fs === 'procfs' && name === 'sys' ? 'sysctl' : undefined);
  return cur;
}

/** One int in a ctl_table handled by proc_dointvec_minmax, with an optional CAP_SYS_ADMIN check. */
export function intSysctl(spec: {
  range: IntRange;
  needsCapSysAdmin: boolean;
  get: () => number;
  set: (value: number) => void;
}) {
  return sysctlFile({
    mode: 0o644,
    show: () => formatIntvec(spec.get()),
    store: (input: string, ctx: WriteCtx) => {
      if (spec.needsCapSysAdmin && !ctx.cred.capSysAdmin) throw EPERM; // handler: write && !capable(CAP_SYS_ADMIN)
      const { value, consumed } = procDointvecMinmax(input, spec.range); // EINVAL per proc_dointvec rules
      spec.set(value);
      return consumed;
    },
  });
}

export function registerKernelSysctls(k: Kernel): void {
  const dir = procDir(k, 'sys/kernel');
  const nb = k.numaBalancing;
  const s = k.sysctls;
  // sched_numa_balancing_sysctls: extra1 = SYSCTL_ZERO, extra2 = SYSCTL_FOUR (4 is storable).
  dir.set('numa_balancing', intSysctl({
    range: { min: 0, max: 4 },
    needsCapSysAdmin: true,
    get: () => nb.mode,
    set: (v) => nb.setMode(v),
  }));
  // sched_fair_sysctls: proc_dointvec_minmax with only extra1 = SYSCTL_ZERO (so up to INT_MAX).
  dir.set('numa_balancing_promote_rate_limit_MBps', intSysctl({
    range: { min: 0 },
    needsCapSysAdmin: false,
    get: () => nb.promoteRateLimitMBps,
    set: (v) => {
      nb.promoteRateLimitMBps = v;
    },
  }));
  // openEuler revision A: both 0..1, both check CAP_SYS_ADMIN in their handlers. They are
  // registered only when the sampling hardware initialised (mem_sampling_init returns -ENODEV
  // before register_sysctl_table without SPE), so elsewhere they do not exist (ENOENT).
  if (!k.config.spe) return;
  dir.set('mem_sampling_enable', intSysctl({
    range: { min: 0, max: 1 },
    needsCapSysAdmin: true,
    get: () => s.memSamplingEnable,
    set: (v) => s.setMemSamplingEnable(v === 1),
  }));
  dir.set('numa_balancing_mem_sampling', intSysctl({
    range: { min: 0, max: 1 },
    needsCapSysAdmin: true,
    get: () => s.numaBalancingMemSampling,
    set: (v) => s.setNumaBalancingMemSampling(v === 1),
  }));
}
