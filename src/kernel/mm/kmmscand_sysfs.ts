// /sys/kernel/mm/kmmscand/: the sysfs group of the kmmscand RFC V0 (patch 07, "sysfs: Add sysfs
// support to tune scanning"; spec/kernel-files.md §6): five 0644 attributes printing "%u\n" or
// "%lu\n". Every store parses base 10 and turns any parse error (ERANGE included) into EINVAL,
// then sets kmmscand_sleep_expire = 0 and wakes the thread.
import { EINVAL, ERANGE, attr, type KFile } from '../../kernfs/index.js';
import type { Kernel } from '../kernel.js';
import { kstrtoint, kstrtoul, kstrtouint } from '../lib/kstrto.js';
import { Kmmscand } from './kmmscand.js';

/** kstrto* with every failure reported as EINVAL, as each kmmscand store does (`if (err) return -EINVAL`). */
function parse<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw err === ERANGE ? EINVAL : err;
  }
}

export function kmmscandFiles(d: Kmmscand): Record<string, KFile> {
  return {
    scan_sleep_ms: attr({
      mode: 0o644,
      show: () => `${d.scanSleepMs}\n`,
      store: (input) => d.setScanSleepMs(parse(() => kstrtouint(input, 10))), // kstrtouint → EINVAL
    }),
    mm_scan_period_ms: attr({
      mode: 0o644,
      show: () => `${d.mmScanPeriodMs}\n`,
      // kstrtouint → EINVAL; a value outside [400, 5000] is clamped, not refused
      store: (input) => d.setMmScanPeriodMs(parse(() => kstrtouint(input, 10))),
    }),
    mms_to_scan: attr({
      mode: 0o644,
      show: () => `${d.mmsToScan}\n`,
      store: (input) => d.setMmsToScan(parse(() => kstrtoul(input, 10))), // kstrtoul → EINVAL
    }),
    scan_enabled: attr({
      mode: 0o644,
      show: () => `${d.scanEnabled ? 1 : 0}\n`,
      store: (input) => {
        const v = parse(() => kstrtouint(input, 10));
        if (v > 1) throw EINVAL; // `if (err || val > 1) return -EINVAL`
        d.setScanEnabled(v === 1);
      },
    }),
    target_node: attr({
      mode: 0o644,
      show: () => `${d.targetNode}\n`, // "%u" of an int that is never negative
      // kstrtoint → EINVAL; !node_is_toptier(node) → EINVAL (setTargetNode)
      store: (input) => d.setTargetNode(parse(() => kstrtoint(input, 10))),
    }),
  };
}

/** kmmscand_init_sysfs: the "kmmscand" group under mm_kobj. */
export function registerKmmscand(k: Kernel): void {
  const dir = k.dir('sys/kernel/mm/kmmscand');
  for (const [name, file] of Object.entries(kmmscandFiles(k.kmmscand))) dir.set(name, file);
}
