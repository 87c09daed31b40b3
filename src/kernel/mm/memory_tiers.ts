// Memory tiers and the demotion switch (mm/memory-tiers.c, 6.1+): tier = abstract distance >> 7,
// and establish_demotion_targets(): each memory node outside the last tier demotes to the nodes
// of the next lower tier at the smallest node distance (a random one of them per demotion), with
// every node of the lower tiers as the allowed fallback (lower_tier_mask).
import { attr, dynamicDir, indexOfName, type KDir } from '../../kernfs/index.js';
import { formatRangeList } from '../lib/bitmap.js';
import { kstrtobool } from '../lib/kstrto.js';
import createDebug from 'debug';
import type { Kernel } from '../kernel.js';

const trace = createDebug('tiersim:memory_tiers');

/** MEMTIER_ADISTANCE_DRAM; dax/kmem without performance data is 5x that. */
export const ADISTANCE_DRAM = 576;
export const ADISTANCE_KMEM_DEFAULT = 5 * ADISTANCE_DRAM;
const MEMTIER_CHUNK_BITS = 7;

/** A node's demotion targets (struct demotion_nodes + its tier's lower_tier_mask). */
export interface DemotionTargets {
  /** Nodes of the next lower tier at the smallest distance: next_demotion_node picks among them. */
  readonly preferred: readonly number[];
  /** Every node in a lower tier (node_get_allowed_targets): where a demoted page may go. */
  readonly allowed: readonly number[];
}

export class MemoryTiers {
  private enabled = false;
  /** Called when demotion is switched on (kswapd forgets its failures). */
  onEnable: (() => void) | undefined;
  constructor(private readonly k: Kernel) {}

  /** /sys/kernel/mm/numa/demotion_enabled (numa_demotion_enabled). */
  get demotionEnabled(): boolean {
    return this.enabled;
  }

  set demotionEnabled(on: boolean) {
    const was = this.enabled;
    this.enabled = on;
    if (on && !was) this.onEnable?.();
  }

  /**
   * establish_demotion_targets() for `nid`: undefined for a node in the last tier (or without
   * memory), which has nowhere to demote to.
   */
  demotionTargets(nid: number): DemotionTargets | undefined {
    if (!this.k.numa.hasMemory(nid)) return undefined;
    const tiers = [...this.tiers()];
    const at = tiers.findIndex(([, nodes]) => nodes.includes(nid));
    if (at < 0 || at === tiers.length - 1) return undefined;
    const lower = tiers[at + 1]![1];
    const best = Math.min(...lower.map((n) => this.k.numa.distance(nid, n)));
    const preferred = lower.filter((n) => this.k.numa.distance(nid, n) === best);
    const allowed = tiers.slice(at + 1).flatMap(([, nodes]) => nodes).sort((a, b) => a - b);
    return { preferred, allowed };
  }

  tierOf(nid: number): number {
    const kind = this.k.numa.node(nid)?.kind;
    return (kind === 'cxl' ? ADISTANCE_KMEM_DEFAULT : ADISTANCE_DRAM) >> MEMTIER_CHUNK_BITS;
  }

  /** tier id → nodes with online memory, only non-empty tiers. */
  tiers(): Map<number, number[]> {
    const m = new Map<number, number[]>();
    for (const nid of this.k.numa.online) {
      if (!this.k.numa.hasMemory(nid)) continue;
      const t = this.tierOf(nid);
      m.set(t, [...(m.get(t) ?? []), nid]);
    }
    return new Map([...m].sort((a, b) => a[0] - b[0]));
  }

  /** The highest tier with memory, cached until online memory changes (PageAllocator.generation). */
  private topTier = { generation: -1, tier: -1 };

  isTopTier(nid: number): boolean {
    const g = this.k.alloc.generation;
    if (this.topTier.generation !== g) {
      const first = this.tiers().keys().next();
      this.topTier = { generation: g, tier: first.done ? -1 : first.value };
    }
    return this.topTier.tier >= 0 && this.tierOf(nid) <= this.topTier.tier;
  }
}

const tiersOf = new WeakMap<Kernel, MemoryTiers>();
export function memoryTiers(k: Kernel): MemoryTiers {
  let t = tiersOf.get(k);
  if (!t) tiersOf.set(k, (t = new MemoryTiers(k)));
  return t;
}

export function registerMemoryTiers(k: Kernel): void {
  const tiers = memoryTiers(k);
  const tierDirs = new Map<number, KDir>(); // one node per live tier device
  k.dir('sys/devices/virtual').set(
    'memory_tiering',
    dynamicDir({
      volatile: true, // a tier whose last node goes offline is removed
      list: () => [...tiers.tiers().keys()].map((t) => `memory_tier${t}`),
      lookup: (name) => {
        const id = indexOfName(name, 'memory_tier');
        if (id === undefined) return undefined;
        if (!tiers.tiers().has(id)) {
          tierDirs.delete(id);
          return undefined;
        }
        let d = tierDirs.get(id);
        if (!d) {
          const nodelist = attr({ mode: 0o444, show: () => `${formatRangeList(tiers.tiers().get(id) ?? [])}\n` });
          tierDirs.set(id, (d = dynamicDir({ list: () => ['nodelist'], lookup: (f) => (f === 'nodelist' ? nodelist : undefined) })));
        }
        return d;
      },
    }),
  );
  k.dir('sys/kernel/mm/numa').set(
    'demotion_enabled',
    attr({
      mode: 0o644,
      show: () => `${tiers.demotionEnabled ? 'true' : 'false'}\n`,
      store: (input) => {
        tiers.demotionEnabled = kstrtobool(input); // kstrtobool failure → EINVAL
        trace('demotion_enabled = %s', tiers.demotionEnabled);
      },
    }),
  );
}
