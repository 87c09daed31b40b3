// /sys/devices/system/memory (drivers/base/memory.c, 6.x): block size, policy, per-block state.
import { EINVAL, attr, dynamicDir, indexOfName, symlink, type KDir, type KNode } from '../../kernfs/index.js';
import { kstrtobool, sysfsStreq } from '../lib/kstrto.js';
import type { Kernel } from '../kernel.js';
import type { MemoryBlock, ZoneType } from './memblock.js';
import { offlineBlock, onlineBlock } from './memory_hotplug.js';
import { relocateFrame } from './migrate.js';

const POLICIES = ['offline', 'online', 'online_kernel', 'online_movable'] as const;

/** Allowed zones of an offline block, default first (simplified zone_for_pfn_range). */
function validZones(b: MemoryBlock): ZoneType[] {
  const kernelZone: ZoneType = b.kind === 'cxl' ? 'Normal' : b.zone === 'Movable' ? 'Normal' : b.zone;
  return b.kind === 'cxl' ? ['Movable', kernelZone] : [kernelZone, 'Movable'];
}

function blockDir(k: Kernel, b: MemoryBlock): Record<string, KNode> {
  const setState = (want: string) => {
    const online = b.online;
    if (sysfsStreq(want, 'offline')) {
      if (!online) throw EINVAL; // already in the requested state
      offlineBlock(k.alloc, k.vm, b, (from, to) => relocateFrame(k, from, to)); // EBUSY when pages cannot be moved away
      return;
    }
    let zone: ZoneType;
    const zones = validZones(b);
    if (sysfsStreq(want, 'online')) zone = zones[0]!;
    else if (sysfsStreq(want, 'online_kernel')) zone = zones.find((z) => z !== 'Movable')!;
    else if (sysfsStreq(want, 'online_movable')) zone = 'Movable';
    else throw EINVAL; // unknown keyword
    if (online) throw EINVAL; // already online
    onlineBlock(k.alloc, b, zone);
  };
  return {
    state: attr({ mode: 0o644, show: () => `${b.online ? 'online' : 'offline'}\n`, store: setState }),
    online: attr({
      mode: 0o644,
      show: () => `${b.online ? 1 : 0}\n`,
      store: (input) => {
        const want = kstrtobool(input); // not a bool → EINVAL
        if (want === b.online) return; // device_online/offline of the current state is a no-op
        setState(want ? 'online' : 'offline');
      },
    }),
    phys_index: attr({ mode: 0o444, show: () => `${b.index.toString(16).padStart(8, '0')}\n` }),
    phys_device: attr({ mode: 0o444, show: () => '0\n' }),
    removable: attr({ mode: 0o444, show: () => '1\n' }),
    valid_zones: attr({ mode: 0o444, show: () => `${b.online ? (b.spansZones ? 'none' : b.zone) : validZones(b).join(' ')}\n` }),
    [`node${b.nid}`]: symlink(`../../node/node${b.nid}`),
  };
}

export function registerMemorySysfs(k: Kernel): void {
  const root = k.dir('sys/devices/system/memory');
  let policy: (typeof POLICIES)[number] = 'online_movable';
  root.set('block_size_bytes', attr({ mode: 0o444, show: () => `${k.layout.blockBytes.toString(16)}\n` }));
  root.set(
    'auto_online_blocks',
    attr({
      mode: 0o644,
      show: () => `${policy}\n`,
      store: (input) => {
        const p = POLICIES.find((x) => sysfsStreq(input, x));
        if (!p) throw EINVAL; // mhp_online_type_from_str: unknown keyword
        policy = p;
      },
    }),
  );
  const byIndex = new Map(k.layout.blocks.map((b) => [b.index, b]));
  const cache = new Map<number, KDir>(); // one node per block, so chmod on it stays
  const fixed = root.list();
  const blocks = dynamicDir({
    list: () => [...fixed, ...k.layout.blocks.map((b) => `memory${b.index}`)],
    lookup: (name) => {
      const fixedNode = root.lookup(name);
      if (fixedNode) return fixedNode;
      const index = indexOfName(name, 'memory');
      const b = index === undefined ? undefined : byIndex.get(index);
      if (!b) return undefined;
      let d = cache.get(b.index);
      if (!d) {
        const files = blockDir(k, b);
        cache.set(b.index, (d = dynamicDir({ list: () => Object.keys(files), lookup: (f) => files[f] })));
      }
      return d;
    },
  });
  k.dir('sys/devices/system').set('memory', blocks);
}
