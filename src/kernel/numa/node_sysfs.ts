// /sys/devices/system/node (drivers/base/node.c, Linux 6.x) plus the 2019 migration_path patch.
import { EINVAL, attr, dynamicDir, indexOfName, symlink, type KDir, type KNode } from '../../kernfs/index.js';
import { formatHexMask, formatRangeList } from '../lib/bitmap.js';
import { kstrtol } from '../lib/kstrto.js';
import type { Kernel } from '../kernel.js';
import { nodeMeminfoText } from '../mm/meminfo.js';
import { nodeVmstatText, numastatText } from '../mm/vmstat.js';

const NR_CPUS = 8192;
/** cpulist is a binary attribute: max(PAGE_SIZE, NR_CPUS * 7 / 2) (drivers/base/node.c). */
const CPULIST_SIZE = Math.max(4096, (NR_CPUS * 7) / 2);

const ro = (show: () => string) => attr({ mode: 0o444, show });

function nodeDir(k: Kernel, nid: number): KDir {
  const files: Record<string, KNode> = {
    cpumap: ro(() => `${formatHexMask(k.numa.cpusOf(nid), k.numa.nrCpuIds)}\n`),
    cpulist: attr({ mode: 0o444, size: CPULIST_SIZE, show: () => `${formatRangeList(k.numa.cpusOf(nid))}\n` }),
    distance: ro(() => `${k.numa.online.map((m) => k.numa.distance(nid, m)).join(' ')}\n`),
    meminfo: ro(() => nodeMeminfoText(k, nid)),
    numastat: ro(() => numastatText(k, nid)),
    vmstat: ro(() => nodeVmstatText(k, nid)),
    compact: attr({ mode: 0o200, store: () => {} }),
    migration_path: attr({
      mode: 0o644,
      show: () => `${k.numa.getMigrationPath(nid)}\n`,
      store: (input) => {
        let target: number;
        try {
          target = kstrtol(input, 0);
        } catch {
          throw EINVAL; // the patch maps every kstrtol failure to -EINVAL
        }
        k.numa.setMigrationPath(nid, target);
      },
    }),
  };
  const fixed = Object.keys(files);
  const links = new Map<string, KNode>(); // one node per link name, so lchown on it stays
  const link = (name: string, target: string) => {
    let l = links.get(name);
    if (!l) links.set(name, (l = symlink(target)));
    return l;
  };
  // register_cpu_under_node links every present CPU; offlining does not unlink it
  const cpuNames = () => k.numa.presentCpusOf(nid).map((c) => `cpu${c}`);
  const memNames = () => k.alloc.blocksOf(nid).map((b) => `memory${b.index}`);
  return dynamicDir({
    list: () => [...fixed, ...cpuNames(), ...memNames()],
    lookup: (name) => {
      const f = files[name];
      if (f) return f;
      const cpu = indexOfName(name, 'cpu');
      if (cpu !== undefined && k.numa.presentCpusOf(nid).includes(cpu)) return link(name, `../../cpu/${name}`);
      const block = indexOfName(name, 'memory');
      if (block !== undefined && k.alloc.blocksOf(nid).some((b) => b.index === block)) return link(name, `../../memory/${name}`);
      return undefined;
    },
  });
}

export function registerNodeSysfs(k: Kernel): void {
  const root = k.dir('sys/devices/system/node');
  const states: Record<string, () => number[]> = {
    possible: () => [...k.numa.possible],
    online: () => [...k.numa.online],
    has_normal_memory: () => k.numa.online.filter((n) => k.numa.hasNormalMemory(n)),
    has_memory: () => k.numa.online.filter((n) => k.numa.hasMemory(n)),
    has_cpu: () => k.numa.online.filter((n) => k.numa.hasCpu(n)),
    has_generic_initiator: () => k.numa.online.filter((n) => k.numa.hasGenericInitiator(n)),
  };
  for (const [name, ids] of Object.entries(states)) root.set(name, ro(() => `${formatRangeList(ids())}\n`));
  for (const nid of k.numa.online) root.set(`node${nid}`, nodeDir(k, nid));
}
