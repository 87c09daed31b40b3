// damo's DAMON sysfs backend (/sys/kernel/mm/damon/admin, mm/damon/sysfs.c), as damo 2.x/3.x's
// _damon_sysfs.py drives it: one kdamond, one context, one target, optional init regions and
// one DAMOS scheme written file by file, then `state on` (`damo tune`: the same files, then
// `commit`); `state off`; `update_schemes_stats` and `update_schemes_tried_regions` before
// reading stats and tried regions back.
// A failing kernel file reaches the user as "damo: <path>: <strerror>".
import { DamoError } from './damon.js';

/** The file operations the backend needs: KernelFiles (a mount), or an in-process adapter. */
export interface DamonFiles {
  path(p: string): string;
  exists(p: string): boolean;
  isDir(p: string): boolean;
  read(p: string): string;
  list(p: string): string[];
  write(p: string, text: string): void;
}

export const ADMIN = '/sys/kernel/mm/damon/admin';
export const KDAMONDS = `${ADMIN}/kdamonds`;
/** ULONG_MAX as the kernel prints it: "no upper limit" in an access pattern or quota. */
export const ULONG_MAX = '18446744073709551615';

// glibc's strerror(3) texts for the errnos DAMON's sysfs files return.
const STRERROR: Record<string, string> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  ESRCH: 'No such process',
  EIO: 'Input/output error',
  E2BIG: 'Argument list too long',
  ENOMEM: 'Cannot allocate memory',
  EACCES: 'Permission denied',
  EBUSY: 'Device or resource busy',
  ENODEV: 'No such device',
  EINVAL: 'Invalid argument',
  ENOSPC: 'No space left on device',
  ERANGE: 'Numerical result out of range',
  EOPNOTSUPP: 'Operation not supported',
};

/** `damo: <path>: <strerror>` for a failed kernel file operation; other errors pass through. */
function fileError(fs: DamonFiles, p: string, err: unknown): Error {
  const e = err as { code?: string; strerror?: string };
  if (typeof e.code !== 'string') return err as Error;
  return new DamoError(`${fs.path(p)}: ${e.strerror ?? STRERROR[e.code] ?? e.code}`);
}

export function sysRead(fs: DamonFiles, p: string): string {
  try {
    return fs.read(p).trim();
  } catch (err) {
    throw fileError(fs, p, err);
  }
}

export function sysWrite(fs: DamonFiles, p: string, value: string | number): void {
  try {
    fs.write(p, `${value}\n`);
  } catch (err) {
    throw fileError(fs, p, err);
  }
}

/** damo's `auto` interface choice: sysfs whenever admin/kdamonds is a directory. */
export function sysfsSupported(fs: DamonFiles): boolean {
  return fs.isDir(KDAMONDS);
}

export interface SchemeConfig {
  action: string;
  /** migrate_hot/migrate_cold destination node. */
  targetNid?: number;
  /** [min, max] as the kernel's decimal text (nr_accesses per aggregation, age in aggregations). */
  sz: [string, string];
  nrAccesses: [string, string];
  age: [string, string];
  quotas?: { ms: number; bytes: number; resetMs: number; weights?: [number, number, number] };
}

export interface KdamondConfig {
  ops: 'vaddr' | 'paddr' | 'fvaddr';
  /** vaddr targets' pids; one entry (ignored) for paddr. */
  pids: number[];
  regions: Array<[number, number]>;
  sampleUs: number;
  aggrUs: number;
  updateUs: number;
  minNrRegions: number;
  maxNrRegions: number;
  schemes: SchemeConfig[];
}

/** The stat scheme damo adds when none is given: every region, so tried_regions is a snapshot. */
export function statScheme(): SchemeConfig {
  return { action: 'stat', sz: ['0', ULONG_MAX], nrAccesses: ['0', ULONG_MAX], age: ['0', ULONG_MAX] };
}

export function kdamondDir(idx = 0): string {
  return `${KDAMONDS}/${idx}`;
}

/** The kdamond indexes whose state reads `on`. */
export function runningKdamonds(fs: DamonFiles): number[] {
  const n = Number(sysRead(fs, `${KDAMONDS}/nr_kdamonds`));
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (sysRead(fs, `${kdamondDir(i)}/state`) === 'on') out.push(i);
  return out;
}

/** Every write `damo start` makes, in order: [path, value]. */
export function kdamondWrites(c: KdamondConfig): Array<[string, string]> {
  const w: Array<[string, string]> = [];
  const put = (p: string, v: string | number) => w.push([p, String(v)]);
  put(`${KDAMONDS}/nr_kdamonds`, 1);
  const K = kdamondDir(0);
  put(`${K}/contexts/nr_contexts`, 1);
  const C = `${K}/contexts/0`;
  put(`${C}/operations`, c.ops);
  const A = `${C}/monitoring_attrs`;
  put(`${A}/intervals/sample_us`, c.sampleUs);
  put(`${A}/intervals/aggr_us`, c.aggrUs);
  put(`${A}/intervals/update_us`, c.updateUs);
  put(`${A}/nr_regions/min`, c.minNrRegions);
  put(`${A}/nr_regions/max`, c.maxNrRegions);
  put(`${C}/targets/nr_targets`, c.pids.length);
  c.pids.forEach((pid, t) => {
    const T = `${C}/targets/${t}`;
    if (c.ops !== 'paddr') put(`${T}/pid_target`, pid);
    put(`${T}/regions/nr_regions`, c.regions.length);
    c.regions.forEach(([s, e], r) => {
      put(`${T}/regions/${r}/start`, s);
      put(`${T}/regions/${r}/end`, e);
    });
  });
  put(`${C}/schemes/nr_schemes`, c.schemes.length);
  c.schemes.forEach((s, i) => {
    const S = `${C}/schemes/${i}`;
    put(`${S}/action`, s.action);
    if (s.targetNid !== undefined) put(`${S}/target_nid`, s.targetNid);
    for (const [name, [min, max]] of [['sz', s.sz], ['nr_accesses', s.nrAccesses], ['age', s.age]] as const) {
      put(`${S}/access_pattern/${name}/min`, min);
      put(`${S}/access_pattern/${name}/max`, max);
    }
    if (s.quotas) {
      put(`${S}/quotas/ms`, s.quotas.ms);
      put(`${S}/quotas/bytes`, s.quotas.bytes);
      put(`${S}/quotas/reset_interval_ms`, s.quotas.resetMs);
      if (s.quotas.weights) {
        const [sz, acc, age] = s.quotas.weights;
        put(`${S}/quotas/weights/sz_permil`, sz);
        put(`${S}/quotas/weights/nr_accesses_permil`, acc);
        put(`${S}/quotas/weights/age_permil`, age);
      }
    }
  });
  put(`${K}/state`, 'on');
  return w;
}

/** `damo start`: refuse a running DAMON, write the config, turn kdamond 0 on. */
export function startKdamond(fs: DamonFiles, c: KdamondConfig): void {
  if (!sysfsSupported(fs)) throw new DamoError(`${fs.path(KDAMONDS)} not found: DAMON sysfs (CONFIG_DAMON_SYSFS) is not there (--root)`);
  const on = runningKdamonds(fs);
  if (on.length > 0) throw new DamoError(`kdamond ${on[0]} is running; 'damo stop' first`);
  for (const [p, v] of kdamondWrites(c)) sysWrite(fs, p, v);
}

/**
 * `damo tune`: the same files, minus nr_kdamonds and nr_contexts (a running kdamond keeps its
 * directories), then `state commit` — the kernel applies them to the running context.
 */
export function tuneWrites(c: KdamondConfig): Array<[string, string]> {
  const w = kdamondWrites(c).slice(2, -1);
  w.push([`${kdamondDir(0)}/state`, 'commit']);
  return w;
}

export function tuneKdamond(fs: DamonFiles, c: KdamondConfig): void {
  if (!sysfsSupported(fs) || !runningKdamonds(fs).includes(0)) throw new DamoError('DAMON is not running (kdamond 0 is off); damo start first');
  for (const [p, v] of tuneWrites(c)) sysWrite(fs, p, v);
}

/** `damo stop`: `state off` on every running kdamond. */
export function stopKdamonds(fs: DamonFiles): number {
  const on = runningKdamonds(fs);
  if (on.length === 0) throw new DamoError('DAMON is not running');
  for (const i of on) sysWrite(fs, `${kdamondDir(i)}/state`, 'off');
  return on.length;
}
