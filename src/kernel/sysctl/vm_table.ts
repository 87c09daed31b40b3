// /proc/sys/vm entries the simulated mm uses: mm/page_alloc.c page_alloc_sysctl_table
// (min_free_kbytes: proc_dointvec_minmax with extra1 = SYSCTL_ZERO, then
// min_free_kbytes_sysctl_handler sets user_min_free_kbytes and setup_per_zone_wmarks();
// watermark_scale_factor: extra1 = SYSCTL_ONE, extra2 = SYSCTL_THREE_THOUSAND, then
// setup_per_zone_wmarks()). The other vm files pass through from the host, read-only.
import type { Kernel } from '../kernel.js';
import { intSysctl, procDir } from './kernel_table.js';

/** SYSCTL_THREE_THOUSAND: watermark_scale_factor's ceiling (30% of a zone) since 5.19. */
export const WATERMARK_SCALE_FACTOR_MAX = 3000;

export function registerVmSysctls(k: Kernel): void {
  const dir = procDir(k, 'sys/vm');
  const p = k.alloc.wmarkParams;
  dir.set('min_free_kbytes', intSysctl({
    range: { min: 0 }, // below 0 is EINVAL (extra1); no ceiling
    needsCapSysAdmin: false,
    get: () => p.minFreeKbytes,
    set: (v) => k.alloc.setMinFreeKbytes(v),
  }));
  dir.set('watermark_scale_factor', intSysctl({
    range: { min: 1, max: WATERMARK_SCALE_FACTOR_MAX }, // outside [1, 3000] is EINVAL
    needsCapSysAdmin: false,
    get: () => p.watermarkScaleFactor,
    set: (v) => k.alloc.setWatermarkScaleFactor(v),
  }));
}
