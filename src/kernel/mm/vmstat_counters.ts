// The kernel's own event and state counters behind /proc/vmstat, nodeN/vmstat and
// nodeN/numastat (mm/vmstat.c: vm_event_states, node_stat, NUMA events). Mechanisms bump them
// by name; the interface files in vmstat.ts decide which names exist and in what order.

export class VmCounters {
  /** Global vm events (count_vm_event): pgmigrate_success, numa_hint_faults, ... */
  private readonly events = new Map<string, number>();
  /** Per-node counters (mod_node_page_state / NUMA events): pgpromote_success, numa_hit, ... */
  private readonly nodes = new Map<number, Map<string, number>>();

  event(name: string): number {
    return this.events.get(name) ?? 0;
  }

  countEvent(name: string, delta = 1): void {
    this.events.set(name, (this.events.get(name) ?? 0) + delta);
  }

  node(nid: number, name: string): number {
    return this.nodes.get(nid)?.get(name) ?? 0;
  }

  /** Sum of a node counter over all nodes (the global /proc/vmstat value). */
  nodeSum(name: string): number {
    let sum = 0;
    for (const m of this.nodes.values()) sum += m.get(name) ?? 0;
    return sum;
  }

  modNode(nid: number, name: string, delta: number): void {
    let m = this.nodes.get(nid);
    if (m === undefined) {
      m = new Map();
      this.nodes.set(nid, m);
    }
    m.set(name, (m.get(name) ?? 0) + delta);
  }

  /**
   * NUMA placement events of zone_statistics(): `preferred` is the node the policy asked for,
   * `actual` where the pages came from, `cpuNid` the allocating CPU's node.
   */
  accountNumaAlloc(preferred: number, actual: number, cpuNid: number, pages: number): void {
    if (actual === preferred) {
      this.modNode(actual, 'numa_hit', pages);
    } else {
      this.modNode(actual, 'numa_miss', pages);
      this.modNode(preferred, 'numa_foreign', pages);
    }
    this.modNode(actual, actual === cpuNid ? 'numa_local' : 'numa_other', pages);
  }

  /** A copy of every counter, to put back when an operation is undone (spawn that hit ENOMEM). */
  snapshot(): () => void {
    const events = new Map(this.events);
    const nodes = new Map([...this.nodes].map(([nid, m]) => [nid, new Map(m)] as const));
    return () => {
      this.events.clear();
      for (const [k, v] of events) this.events.set(k, v);
      this.nodes.clear();
      for (const [nid, m] of nodes) this.nodes.set(nid, m);
    };
  }
}
