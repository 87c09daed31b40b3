// `damo start`'s command line (damo 2.x/3.x's damon_param_options, the subset the port speaks)
// turned into a KdamondConfig: the target (paddr or a pid), intervals, nr_regions, init regions
// and one DAMOS scheme from --damos_action, --damos_access_rate, --damos_sz_region, --damos_age
// and --damos_quotas; with no --damos_action, the stat scheme `damo report access` reads.
import { DamoError } from './damon.js';
import { ULONG_MAX, statScheme, type KdamondConfig, type SchemeConfig } from './sysfs.js';

export interface StartArgs {
  target?: string;
  target_pid?: number;
  ops?: string;
  sample: number;
  aggr: number;
  updr: number;
  minr: number;
  maxr: number;
  damos_action?: string[];
  damos_access_rate?: string[];
  damos_sz_region?: string[];
  damos_age?: string[];
  damos_quotas?: string[];
}

const SZ_UNITS: Record<string, number> = { b: 1, k: 1024, kib: 1024, m: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gib: 1024 ** 3, t: 1024 ** 4, tib: 1024 ** 4 };
const US_UNITS: Record<string, number> = { ns: 1e-3, us: 1, ms: 1e3, s: 1e6, m: 60e6, h: 3600e6, d: 86400e6 };

/** "4K", "1 MiB", "4096", "min", "max" → bytes as the kernel's decimal text. */
export function parseSize(text: string, opt: string): string {
  const t = text.trim().toLowerCase();
  if (t === 'max') return ULONG_MAX;
  if (t === 'min') return '0';
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/.exec(t);
  const unit = m ? SZ_UNITS[m[2] || 'b'] : undefined;
  if (!m || unit === undefined) throw new DamoError(`--${opt}: '${text}' is not a size (e.g. 4096, 4K, 2 MiB, max)`);
  return String(Math.floor(Number(m[1]) * unit));
}

/** "5s", "100ms", "1m", "500" (us), "min", "max" → microseconds, or undefined for max. */
export function parseTimeUs(text: string, opt: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (t === 'max') return undefined;
  if (t === 'min') return 0;
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/.exec(t);
  const unit = m ? US_UNITS[m[2] || 'us'] : undefined;
  if (!m || unit === undefined) throw new DamoError(`--${opt}: '${text}' is not a time (e.g. 500ms, 5s, 1m, max)`);
  return Number(m[1]) * unit;
}

/** "50%", "50", "min", "max" → nr_accesses per aggregation (damo: pct * (aggr / sample) / 100). */
export function parseAccessRate(text: string, sampleUs: number, aggrUs: number): string {
  const t = text.trim().toLowerCase();
  if (t === 'max') return ULONG_MAX;
  if (t === 'min') return '0';
  const m = /^(\d+(?:\.\d+)?)\s*%?$/.exec(t);
  if (!m) throw new DamoError(`--damos_access_rate: '${text}' is not a percentage (e.g. 0%, 50%, max)`);
  return String(Math.floor((Number(m[1]) * (aggrUs / sampleUs)) / 100));
}

function pairOf(v: string[] | undefined, opt: string): [string, string] | undefined {
  if (v === undefined) return undefined;
  if (v.length !== 2) throw new DamoError(`--${opt} takes two values: MIN MAX`);
  return [v[0]!, v[1]!];
}

function schemeOf(a: StartArgs): SchemeConfig {
  const [action, nid, ...extra] = a.damos_action!;
  if (extra.length > 0 || action === undefined) throw new DamoError('--damos_action takes ACTION [TARGET_NID]');
  const s: SchemeConfig = { ...statScheme(), action };
  if (nid !== undefined) {
    if (!/^\d+$/.test(nid)) throw new DamoError(`--damos_action: target node '${nid}' is not a node id`);
    s.targetNid = Number(nid);
  }
  const rate = pairOf(a.damos_access_rate, 'damos_access_rate');
  if (rate) s.nrAccesses = [parseAccessRate(rate[0], a.sample, a.aggr), parseAccessRate(rate[1], a.sample, a.aggr)];
  const sz = pairOf(a.damos_sz_region, 'damos_sz_region');
  if (sz) s.sz = [parseSize(sz[0], 'damos_sz_region'), parseSize(sz[1], 'damos_sz_region')];
  const age = pairOf(a.damos_age, 'damos_age');
  if (age) {
    const aggrs = (t: string) => {
      const us = parseTimeUs(t, 'damos_age');
      return us === undefined ? ULONG_MAX : String(Math.floor(us / a.aggr));
    };
    s.age = [aggrs(age[0]), aggrs(age[1])];
  }
  if (a.damos_quotas) {
    const q = a.damos_quotas;
    if (q.length !== 3 && q.length !== 6) throw new DamoError('--damos_quotas takes <time (ms)> <size> <reset interval (ms)> [<sz weight> <nr_accesses weight> <age weight>]');
    const ms = (t: string) => Math.floor((parseTimeUs(/^\d+$/.test(t) ? `${t}ms` : t, 'damos_quotas') ?? 0) / 1000);
    const w = q.slice(3).map((x) => {
      if (!/^\d+$/.test(x)) throw new DamoError(`--damos_quotas: weight '${x}' is not a number`);
      return Number(x);
    });
    s.quotas = { ms: ms(q[0]!), bytes: Number(parseSize(q[1]!, 'damos_quotas')), resetMs: ms(q[2]!), weights: w.length === 3 ? [w[0]!, w[1]!, w[2]!] : undefined };
  }
  return s;
}

/** The kdamond `damo start` writes; `regions` are the init regions (paddr's default included). */
export function startConfig(a: StartArgs, regions: Array<[number, number]>): KdamondConfig {
  let pid: number | undefined = a.target_pid;
  let ops = a.ops;
  const t = a.target;
  if (t !== undefined && pid !== undefined) throw new DamoError('give a target or --target_pid, not both');
  if (t === 'paddr') ops ??= 'paddr';
  else if (t !== undefined) {
    if (!/^\d+$/.test(t)) throw new DamoError(`target '${t}': a command target is not supported by this port (the simulated machine runs no host commands); give a pid or paddr`);
    pid = Number(t);
  }
  ops ??= pid !== undefined ? 'vaddr' : 'paddr';
  if (ops !== 'vaddr' && ops !== 'paddr' && ops !== 'fvaddr') throw new DamoError(`--ops: '${ops}' is not vaddr, fvaddr or paddr`);
  if (ops !== 'paddr' && pid === undefined) throw new DamoError(`--ops ${ops} needs a target pid (--target_pid)`);
  const noScheme = a.damos_access_rate ?? a.damos_sz_region ?? a.damos_age ?? a.damos_quotas;
  if (!a.damos_action && noScheme) throw new DamoError('--damos_access_rate, --damos_sz_region, --damos_age and --damos_quotas need --damos_action');
  return {
    ops,
    pids: [pid ?? -1],
    regions,
    sampleUs: a.sample,
    aggrUs: a.aggr,
    updateUs: a.updr,
    minNrRegions: a.minr,
    maxNrRegions: a.maxr,
    schemes: [a.damos_action ? schemeOf(a) : statScheme()],
  };
}
