// /sys/devices/system/cpu, minimal (drivers/base/cpu.c): masks and per-CPU node links.
import { attr, dir, symlink } from '../../kernfs/index.js';
import { formatRangeList } from '../lib/bitmap.js';
import type { Kernel } from '../kernel.js';

export function registerCpuSysfs(k: Kernel): void {
  const root = k.dir('sys/devices/system/cpu');
  const all = Array.from({ length: k.numa.nrCpuIds }, (_, i) => i);
  const mask = attr({ mode: 0o444, show: () => `${formatRangeList(all)}\n` });
  root.set('possible', mask).set('present', mask).set('online', mask);
  root.set('kernel_max', attr({ mode: 0o444, show: () => '8191\n' }));
  for (const cpu of all) {
    const nid = k.numa.cpuNode(cpu)!;
    const d = dir({ [`node${nid}`]: symlink(`../../node/node${nid}`) });
    // x86: cpu0 has no online file (not hot-removable)
    if (cpu > 0) d.set('online', attr({ mode: 0o644, show: () => '1\n', store: () => {} }));
    root.set(`cpu${cpu}`, d);
  }
}
