// CPU hotplug as cpu_device_down/cpu_device_up do it (kernel/cpu.c, arch/x86/kernel/smpboot.c,
// mm/vmstat.c): a CPU going offline leaves cpu_online_mask and its node's cpumask
// (remove_cpu_from_maps -> numa_remove_cpu), its node leaves N_CPU with its last CPU
// (vmstat_cpu_dead), and the threads that ran on it move to other online CPUs (migrate_tasks ->
// select_fallback_rq). Onlining puts the CPU back in the masks (vmstat_cpu_online sets N_CPU);
// running threads stay where they are, as no load balancer is modelled.
import createDebug from 'debug';
import { EBUSY, EINVAL } from '../../kernfs/index.js';
import type { Kernel } from '../kernel.js';

const trace = createDebug('tiersim:cpu');

/**
 * Take `cpu` offline; offlining an offline CPU changes nothing (device_offline returns 1).
 * @throws EINVAL for a CPU that is not present; EBUSY for the last online CPU
 */
export function cpuDown(k: Kernel, cpu: number): void {
  if (cpu < 0 || cpu >= k.numa.nrCpuIds) throw EINVAL; // _cpu_down: !cpu_present(cpu)
  if (!k.numa.cpuOnline(cpu)) return;
  if (k.numa.onlineCpus().length === 1) throw EBUSY; // cpu_down_maps_locked: no other online CPU to run on
  k.numa.setCpuOnline(cpu, false);
  const moved = k.tasks.migrateFromCpu(cpu);
  k.log.printk(`smpboot: CPU ${cpu} is now offline`); // arch_cpuhp_cleanup_dead_cpu
  trace('cpu %d offline: %d processes moved, node %d cpus %o', cpu, moved, k.numa.cpuNode(cpu), k.numa.cpusOf(k.numa.cpuNode(cpu) ?? 0));
}

/**
 * Bring `cpu` online; onlining an online CPU changes nothing (device_online returns 1).
 * @throws EINVAL for a CPU that is not present
 */
export function cpuUp(k: Kernel, cpu: number): void {
  if (cpu < 0 || cpu >= k.numa.nrCpuIds) throw EINVAL; // cpu_up: !cpu_possible(cpu)
  if (k.numa.cpuOnline(cpu)) return;
  k.numa.setCpuOnline(cpu, true);
  trace('cpu %d online', cpu);
}
