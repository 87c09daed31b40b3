// Memory tiers and the demotion switch (mm/memory-tiers.c, 6.1+): tier = abstract distance >> 7.
import { attr, dynamicDir, indexOfName, type KDir } from '../../kernfs/index.js';
import { formatRangeList } from '../lib/bitmap.js';
import { kstrtobool } from '../lib/kstrto.js';
import type { Kernel } from '../kernel.js';

/** MEMTIER_ADISTANCE_DRAM; dax/kmem without performance data is 5x that. */
export const ADISTANCE_DRAM = 576;
export const ADISTANCE_KMEM_DEFAULT = 5 * ADISTANCE_DRAM;
const MEMTIER_CHUNK_BITS = 7;

export class MemoryTiers {
  demotionEnabled = false;
  constructor(private readonly k: Kernel) {}

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

  isTopTier(nid: number): boolean {
    const first = this.tiers().keys().next();
    return !first.done && this.tierOf(nid) <= first.value;
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
      },
    }),
  );
}
