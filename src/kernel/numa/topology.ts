// NUMA topology and node states (include/linux/nodemask.h node_states[]: N_POSSIBLE, N_ONLINE,
// N_NORMAL_MEMORY, N_MEMORY, N_CPU) derived from the machine, its online memory and its online
// CPUs (cpu_online_mask; x86 node_to_cpumask_map drops an offline CPU), plus the per-node
// demotion target of the 2019 "node: Define and export memory migration path" patch.
import { EINVAL } from '../../kernfs/index.js';
import { MAX_NUMNODES, type MachineConfig, type NodeConfig } from '../config/machine.js';
import type { PageAllocator } from '../mm/page_alloc.js';

export class NumaTopology {
  readonly possible: readonly number[];
  readonly online: readonly number[];
  /** nr_cpu_ids: CPUs are numbered 0..nrCpuIds-1. */
  readonly nrCpuIds: number;
  private readonly index = new Map<number, number>();
  /** Next node in the demotion chain, -1 = terminal (2019 migration_path patch). */
  private readonly migrationPath = new Map<number, number>();
  /** Present CPUs taken offline (the complement of cpu_online_mask). */
  private readonly offline = new Set<number>();

  constructor(
    readonly config: MachineConfig,
    private readonly alloc: PageAllocator,
  ) {
    this.possible = [...config.possibleNodes].sort((a, b) => a - b);
    this.online = config.nodes.map((n) => n.id).sort((a, b) => a - b);
    config.nodes.forEach((n, i) => this.index.set(n.id, i));
    this.nrCpuIds = config.nodes.reduce((sum, n) => sum + n.cpus.length, 0);
  }

  node(nid: number): NodeConfig | undefined {
    const i = this.index.get(nid);
    return i === undefined ? undefined : this.config.nodes[i];
  }

  isOnline(nid: number): boolean {
    return this.index.has(nid);
  }

  /** The node's CPUs as the machine has them (present; the nodeN/cpuM links stay for offline ones). */
  presentCpusOf(nid: number): readonly number[] {
    return this.node(nid)?.cpus ?? [];
  }

  /**
   * cpumask_of_node: the node's online CPUs (x86 remove_cpu_from_maps -> numa_remove_cpu takes
   * a CPU going offline out of node_to_cpumask_map).
   */
  cpusOf(nid: number): readonly number[] {
    const cpus = this.presentCpusOf(nid);
    return this.offline.size === 0 ? cpus : cpus.filter((c) => !this.offline.has(c));
  }

  cpuOnline(cpu: number): boolean {
    return cpu >= 0 && cpu < this.nrCpuIds && !this.offline.has(cpu);
  }

  /** cpu_online_mask, ascending. */
  onlineCpus(): number[] {
    return Array.from({ length: this.nrCpuIds }, (_, c) => c).filter((c) => !this.offline.has(c));
  }

  /** Present CPUs that are offline, ascending (drivers/base/cpu.c print_cpus_offline). */
  offlineCpus(): number[] {
    return [...this.offline].sort((a, b) => a - b);
  }

  /** set_cpu_online: the mask only; cpu_hotplug.ts does the rest of a hotplug. */
  setCpuOnline(cpu: number, online: boolean): void {
    if (online) this.offline.delete(cpu);
    else this.offline.add(cpu);
  }

  /** Node of a CPU (cpu_to_node). */
  cpuNode(cpu: number): number | undefined {
    return this.config.nodes.find((n) => n.cpus.includes(cpu))?.id;
  }

  /** SLIT distance (node_distance). */
  distance(a: number, b: number): number {
    const i = this.index.get(a);
    const j = this.index.get(b);
    if (i === undefined || j === undefined) return a === b ? 10 : 20;
    return this.config.distances[i]![j]!;
  }

  /** N_CPU: the node has an online CPU (set by vmstat_cpu_online, cleared by vmstat_cpu_dead with its last). */
  hasCpu(nid: number): boolean {
    return this.cpusOf(nid).length > 0;
  }

  /** N_MEMORY: any online memory on the node. */
  hasMemory(nid: number): boolean {
    return this.alloc.blocksOf(nid).some((b) => b.online);
  }

  /** N_NORMAL_MEMORY: online memory in a kernel zone (≤ ZONE_NORMAL; not ZONE_MOVABLE). */
  hasNormalMemory(nid: number): boolean {
    return this.alloc.blocksOf(nid).some((b) => b.online && b.zone !== 'Movable');
  }

  /** N_GENERIC_INITIATOR: ACPI generic initiators; the simulated machines have none. */
  hasGenericInitiator(_nid: number): boolean {
    return false;
  }

  getMigrationPath(nid: number): number {
    return this.migrationPath.get(nid) ?? -1;
  }

  /**
   * Set the next demotion node of `nid` (2019 patch). A negative target makes the node
   * terminal. Unlike the posted patch, which did not pre-mark the writing node and so let a
   * 2-cycle (0→1, then 1→0) or a self-loop through, every cycle is rejected, as the patch's
   * description intends.
   * @throws EINVAL for target ≥ MAX_NUMNODES, an offline target, or a cycle
   */
  setMigrationPath(nid: number, target: number): void {
    if (target < 0) {
      this.migrationPath.set(nid, -1);
      return;
    }
    if (target >= MAX_NUMNODES) throw EINVAL; // "next >= MAX_NUMNODES" check (off by one fixed in the repost)
    if (!this.isOnline(target)) throw EINVAL; // node_online(next) required
    const visited = new Set<number>([nid]);
    for (let n = target; n !== -1; n = this.getMigrationPath(n)) {
      if (visited.has(n)) throw EINVAL; // the chain from `target` comes back: a loop
      visited.add(n);
    }
    this.migrationPath.set(nid, target);
  }
}
