// NUMA balancing tunables and their debugfs files: kernel/sched/fair.c (sysctl_numa_balancing_*,
// 5.13+ scan tunables, 6.0+ hot threshold and promote rate limit), kernel/sched/core.c
// (sysctl_numa_balancing_mode) and kernel/sched/debug.c (sys/kernel/debug/sched/numa_balancing/,
// debugfs_create_u32 files read as "%llu\n" by fs/debugfs/file.c).
import createDebug from 'debug';
import { subdir, StaticDir, debugfsFile } from '../../kernfs/index.js';
import { kstrtoull } from '../lib/kstrto.js';
import type { Kernel } from '../kernel.js';

const trace = createDebug('tiersim:numa_balancing');

/** sysctl_numa_balancing_mode bits (include/linux/sched/sysctl.h). */
export const NUMA_BALANCING_DISABLED = 0;
export const NUMA_BALANCING_NORMAL = 0x1;
export const NUMA_BALANCING_MEMORY_TIERING = 0x2;

/** task_numa_fault() flags (include/linux/sched/numa_balancing.h). */
export const TNF_MIGRATED = 0x01;
export const TNF_NO_GROUP = 0x02;
export const TNF_SHARED = 0x04;
export const TNF_FAULT_LOCAL = 0x08;
export const TNF_MIGRATE_FAIL = 0x10;

/** Called after the mode changed, with the old and new mode (both 0..4). */
export type NumaBalancingModeListener = (mode: number, oldMode: number) => void;

/** The u32 tunables exposed in debugfs, by file name. */
export const NUMA_BALANCING_DEBUGFS_FILES = [
  'scan_delay_ms',
  'scan_period_min_ms',
  'scan_period_max_ms',
  'scan_size_mb',
  'hot_threshold_ms',
] as const;
export type NumaBalancingDebugfsFile = (typeof NUMA_BALANCING_DEBUGFS_FILES)[number];

export class NumaBalancingParams {
  private modeValue: number;
  private readonly listeners: NumaBalancingModeListener[] = [];

  /** numa_balancing_promote_rate_limit_MBps (6.0+): max promotion throughput per node. */
  promoteRateLimitMBps = 65536;
  /** Delay before the first scan of a new task. */
  scanDelayMs = 1000;
  scanPeriodMinMs = 1000;
  scanPeriodMaxMs = 60000;
  /** Address space scanned per scan period. */
  scanSizeMb = 256;
  /** Initial/maximum hint-fault latency for a page to count as hot (6.0+ tiering mode). */
  hotThresholdMs = 1000;

  constructor(mode: number) {
    this.modeValue = mode;
  }

  /** sysctl_numa_balancing_mode: 0 off, bit 0 NORMAL, bit 1 MEMORY_TIERING (4 is storable). */
  get mode(): number {
    return this.modeValue;
  }

  set mode(mode: number) {
    this.setMode(mode);
  }

  /** NUMA_BALANCING_NORMAL: classic locality balancing. */
  get normalEnabled(): boolean {
    return (this.modeValue & NUMA_BALANCING_NORMAL) !== 0;
  }

  /** NUMA_BALANCING_MEMORY_TIERING: hint faults on slow tiers only, promotion of hot pages. */
  get tieringEnabled(): boolean {
    return (this.modeValue & NUMA_BALANCING_MEMORY_TIERING) !== 0;
  }

  /**
   * Switch the mode, as sysctl_numa_balancing does after parsing. Listeners see every write,
   * so a mechanism can do what the kernel does when tiering turns on from off
   * (reset_memory_tiering: per-node threshold and candidate state).
   */
  setMode(mode: number): void {
    const old = this.modeValue;
    this.modeValue = mode;
    trace('mode %d -> %d', old, mode);
    for (const listener of this.listeners) listener(mode, old);
  }

  /** Observe mode writes. */
  onModeChange(listener: NumaBalancingModeListener): void {
    this.listeners.push(listener);
  }

  getTunable(name: NumaBalancingDebugfsFile): number {
    switch (name) {
      case 'scan_delay_ms': return this.scanDelayMs;
      case 'scan_period_min_ms': return this.scanPeriodMinMs;
      case 'scan_period_max_ms': return this.scanPeriodMaxMs;
      case 'scan_size_mb': return this.scanSizeMb;
      case 'hot_threshold_ms': return this.hotThresholdMs;
    }
  }

  /** Store a u32 tunable: no range check, as debugfs_u32_set (0 is fine even for scan size). */
  setTunable(name: NumaBalancingDebugfsFile, value: number): void {
    switch (name) {
      case 'scan_delay_ms': this.scanDelayMs = value; break;
      case 'scan_period_min_ms': this.scanPeriodMinMs = value; break;
      case 'scan_period_max_ms': this.scanPeriodMaxMs = value; break;
      case 'scan_size_mb': this.scanSizeMb = value; break;
      case 'hot_threshold_ms': this.hotThresholdMs = value; break;
    }
    trace('%s = %d', name, value);
  }
}

/** simple_attr_write copies at most sizeof(set_buf) - 1 bytes before parsing. */
const SIMPLE_ATTR_BUF_MAX = 23;

/**
 * Parse a write to a debugfs_create_u32 file: kstrtoull base 0 on the first 23 bytes, then the
 * value is cut to 32 bits by the `*(u32 *)data = val` store.
 * @throws EINVAL for a malformed number, ERANGE beyond u64 (kstrtoull's errors, passed through)
 */
export function parseDebugfsU32(input: string): number {
  const v = kstrtoull(input.slice(0, SIMPLE_ATTR_BUF_MAX), 0);
  return Number(v & 0xffffffffn);
}

/** A child directory of `parent`, created with `mode` if absent. */
/** The debugfs root, /sys/kernel/debug, mode 0700 as debugfs mounts it. */
export function debugfsRoot(k: Kernel): StaticDir {
  return subdir(k.dir('sys/kernel'), 'debug', 0o700, 'debugfs');
}

/** sched_init_debug(): sys/kernel/debug/sched/numa_balancing/{scan_*,hot_threshold_ms}. */
export function registerNumaBalancing(k: Kernel): void {
  const sched = subdir(debugfsRoot(k), 'sched', 0o755);
  const numa = subdir(sched, 'numa_balancing', 0o755);
  const params = k.numaBalancing;
  for (const name of NUMA_BALANCING_DEBUGFS_FILES) {
    numa.set(
      name,
      debugfsFile({
        mode: 0o644,
        show: () => `${params.getTunable(name)}\n`,
        store: (input) => {
          params.setTunable(name, parseDebugfsU32(input));
        },
      }),
    );
  }
}
