// The kernel's own event and state counters behind /proc/vmstat, nodeN/vmstat and
// nodeN/numastat (mm/vmstat.c: vm_event_states, node_stat, NUMA events). Mechanisms bump them
// by name; the interface files in vmstat.ts decide which names exist and in what order.
// Each counter is a cell created on first use, so a hot path can hold it (eventCell/nodeCell)
// and bump it without a lookup, as the kernel's per-cpu counters are bumped by index.

/** One counter. */
export interface CounterCell {
  v: number;
}

export class VmCounters {
  /** Global vm events (count_vm_event): pgmigrate_success, numa_hint_faults, ... */
  private readonly events = new Map<string, CounterCell>();
  /** Per-node counters (mod_node_page_state / NUMA events): pgpromote_success, numa_hit, ... */
  private readonly nodes = new Map<number, Map<string, CounterCell>>();

  event(name: string): number {
    return this.events.get(name)?.v ?? 0;
  }

  /** The cell of a global event, for a hot path to bump directly. */
  eventCell(name: string): CounterCell {
    let c = this.events.get(name);
    if (c === undefined) {
      c = { v: 0 };
      this.events.set(name, c);
    }
    return c;
  }

  countEvent(name: string, delta = 1): void {
    this.eventCell(name).v += delta;
  }

  node(nid: number, name: string): number {
    return this.nodes.get(nid)?.get(name)?.v ?? 0;
  }

  /** The cell of a node counter, for a hot path to bump directly. */
  nodeCell(nid: number, name: string): CounterCell {
    let m = this.nodes.get(nid);
    if (m === undefined) {
      m = new Map();
      this.nodes.set(nid, m);
    }
    let c = m.get(name);
    if (c === undefined) {
      c = { v: 0 };
      m.set(name, c);
    }
    return c;
  }

  /** Sum of a node counter over all nodes (the global /proc/vmstat value). */
  nodeSum(name: string): number {
    let sum = 0;
    for (const m of this.nodes.values()) sum += m.get(name)?.v ?? 0;
    return sum;
  }

  modNode(nid: number, name: string, delta: number): void {
    this.nodeCell(nid, name).v += delta;
  }

  /**
   * A zone counter (zone_page_state / the zone's NUMA events): kept per zone under
   * `name#zoneIdx` and summed per node under `name`, as node and vmstat files print the sum.
   */
  zone(nid: number, zoneIdx: number, name: string): number {
    return this.node(nid, this.zoneKey(name, zoneIdx));
  }

  modZone(nid: number, zoneIdx: number, name: string, delta: number): void {
    this.modNode(nid, this.zoneKey(name, zoneIdx), delta);
    this.modNode(nid, name, delta);
  }

  /** `name#zoneIdx`, built once per pair (hot paths bump zone counters per page). */
  private zoneKey(name: string, zoneIdx: number): string {
    let keys = this.zoneKeys.get(name);
    if (keys === undefined) {
      keys = [];
      this.zoneKeys.set(name, keys);
    }
    return (keys[zoneIdx] ??= `${name}#${zoneIdx}`);
  }

  private readonly zoneKeys = new Map<string, string[]>();

  /**
   * Anon pages entering (+) or leaving (−) an LRU list of a zone: the node counter
   * (nr_active_anon / nr_inactive_anon) and the zone's nr_zone_* counter move together.
   */
  modLru(nid: number, zoneIdx: number, lru: 'nr_active_anon' | 'nr_inactive_anon', delta: number): void {
    this.modNode(nid, lru, delta);
    this.modZone(nid, zoneIdx, lru === 'nr_active_anon' ? 'nr_zone_active_anon' : 'nr_zone_inactive_anon', delta);
  }

  /**
   * NUMA placement events of zone_statistics(): `preferred` is the node the policy asked for,
   * `actual` where the pages came from (zone `zoneIdx` of it), `cpuNid` the allocating CPU's node;
   * numa_foreign goes to the preferred zone (the first of the zonelist).
   */
  accountNumaAlloc(preferred: number, actual: number, cpuNid: number, pages: number, zoneIdx = 0, preferredZoneIdx = zoneIdx): void {
    if (actual === preferred) {
      this.modZone(actual, zoneIdx, 'numa_hit', pages);
    } else {
      this.modZone(actual, zoneIdx, 'numa_miss', pages);
      this.modZone(preferred, preferredZoneIdx, 'numa_foreign', pages); // on the preferred zone
    }
    this.modZone(actual, zoneIdx, actual === cpuNid ? 'numa_local' : 'numa_other', pages);
  }

  /** A copy of every counter, to put back when an operation is undone (spawn that hit ENOMEM). */
  snapshot(): () => void {
    const events = new Map([...this.events].map(([k, c]) => [k, c.v] as const));
    const nodes = new Map([...this.nodes].map(([nid, m]) => [nid, new Map([...m].map(([k, c]) => [k, c.v] as const))] as const));
    return () => {
      // Cells stay the same objects (hot paths hold them); only their values go back.
      for (const [k, c] of this.events) c.v = events.get(k) ?? 0;
      for (const [nid, m] of this.nodes) for (const [k, c] of m) c.v = nodes.get(nid)?.get(k) ?? 0;
    };
  }
}
