// /sys/devices/system/cpu (drivers/base/cpu.c): the CPU masks, and per CPU its node link and,
// except for the boot CPU, the hotplug switch `online` (drivers/base/core.c online_show/store).
import { attr, dir, symlink } from '../../kernfs/index.js';
import { formatRangeList } from '../lib/bitmap.js';
import { kstrtobool } from '../lib/kstrto.js';
import type { Kernel } from '../kernel.js';
import { cpuDown, cpuUp } from './cpu_hotplug.js';

export function registerCpuSysfs(k: Kernel): void {
  const root = k.dir('sys/devices/system/cpu');
  const all = Array.from({ length: k.numa.nrCpuIds }, (_, i) => i);
  const mask = (cpus: () => readonly number[]) => attr({ mode: 0o444, show: () => `${formatRangeList(cpus())}\n` });
  root.set('possible', mask(() => all)).set('present', mask(() => all));
  root.set('online', mask(() => k.numa.onlineCpus()));
  root.set('offline', mask(() => k.numa.offlineCpus())); // print_cpus_offline: possible and not online
  root.set('kernel_max', attr({ mode: 0o444, show: () => '8191\n' }));
  for (const cpu of all) {
    const nid = k.numa.cpuNode(cpu)!;
    const d = dir({ [`node${nid}`]: symlink(`../../node/node${nid}`) });
    // x86 cannot hot-remove the boot CPU: cpu0 has no online file (as on the host)
    if (cpu > 0) {
      d.set('online', attr({
        mode: 0o644,
        show: () => `${k.numa.cpuOnline(cpu) ? 1 : 0}\n`,
        store: (input) => {
          const on = kstrtobool(input); // online_store: kstrtobool failure is EINVAL
          if (on) cpuUp(k, cpu);
          else cpuDown(k, cpu); // EBUSY: the last online CPU
        },
      }));
    }
    root.set(`cpu${cpu}`, d);
  }
}
