// Workload specs as written to sim/spawn: `abench size=8G threads=64 iters=512 delay_us=1 node=1`.
// Parsing and the canonical form shown in sim/processes/<pid>/workload. A bad spec is EINVAL
// with a message naming the key, which the caller puts in the kernel log.
import { isKernelError } from '../../kernfs/index.js';
import { formatRangeList, parseBitmapList } from '../lib/bitmap.js';
import { formatSize, parseDurationNs, parseSize } from '../lib/units.js';
import { MAX_NUMNODES, PAGE_SIZE } from '../config/machine.js';

export const WORKLOAD_KINDS = ['abench', 'memhog', 'hotset', 'zipf', 'idle'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/** Initial memory policy (set_mempolicy): where the buffer's pages are allocated. */
export type MemPolicy =
  | { readonly mode: 'local' }
  | { readonly mode: 'preferred' | 'bind'; readonly node: number }
  | { readonly mode: 'interleave'; readonly nodes: readonly number[] };

export interface WorkloadSpec {
  readonly kind: WorkloadKind;
  readonly sizeBytes: number;
  readonly threads: number;
  readonly policy: MemPolicy;
  /** Node whose CPUs run the threads; undefined = chosen from the policy. */
  readonly cpuNode: number | undefined;
  /** Iterations; 0 = run until killed. */
  readonly iters: number;
  /** Accesses per iteration (default: one per page of the buffer). */
  readonly accessesPerIter: number;
  /** Bytes each access moves (64 = one cache line; abench and memhog touch whole 4 KiB pages). */
  readonly accessBytes: number;
  /** Pause of each thread between iterations. */
  readonly delayNs: number;
  readonly hotFraction: number;
  readonly hotShare: number;
  /** Hot-set phase length (0 = one phase). */
  readonly phaseNs: number;
  readonly skew: number;
  /** idle: lifetime (0 = until killed). */
  readonly durationNs: number;
}

/** A spec the kernel refuses; `message` names the bad key for the kernel log. */
export interface SpecProblem {
  readonly message: string;
}

const KEYS: Record<WorkloadKind, readonly string[]> = {
  abench: ['size', 'threads', 'iters', 'accesses', 'delay_us', 'access_bytes'],
  memhog: ['size', 'threads', 'repeat', 'delay_us'],
  hotset: ['size', 'threads', 'iters', 'accesses', 'delay_us', 'access_bytes', 'hot', 'share', 'phase'],
  zipf: ['size', 'threads', 'iters', 'accesses', 'delay_us', 'access_bytes', 'skew'],
  idle: ['size', 'duration'],
};
const POLICY_KEYS = ['node', 'policy', 'interleave', 'cpunode'];

/**
 * Shortest hot-set phase: each move is a clock event, so this bounds a workload's event rate at
 * 1,000 per simulated second, which a realtime mount serves with room to spare.
 */
export const MIN_PHASE_NS = 1_000_000;
/** Longest pause between iterations (1,000 s); a longer one is an idle workload. */
export const MAX_DELAY_US = 1_000_000_000;

/** The keys a kind accepts, for messages and `sim/spawn`'s help. */
export function workloadKeys(kind: WorkloadKind): readonly string[] {
  return [...KEYS[kind], ...POLICY_KEYS];
}

/**
 * Parse one spec line.
 * @returns the spec, or a problem naming the offending key
 */
export function parseWorkloadSpec(line: string, nodeIds: readonly number[]): WorkloadSpec | SpecProblem {
  const words = line.trim().split(/\s+/).filter((w) => w !== '');
  const kind = words[0];
  if (kind === undefined) return { message: `empty spec; expected one of ${WORKLOAD_KINDS.join(', ')} followed by key=value` };
  if (!(WORKLOAD_KINDS as readonly string[]).includes(kind)) return { message: `unknown workload '${kind}' (known: ${WORKLOAD_KINDS.join(', ')})` };
  const k = kind as WorkloadKind;
  const allowed = workloadKeys(k);
  const kv = new Map<string, string>();
  for (const w of words.slice(1)) {
    const eq = w.indexOf('=');
    const key = eq < 0 ? w : w.slice(0, eq);
    if (eq <= 0) return { message: `'${w}' is not key=value` };
    if (!allowed.includes(key)) return { message: `${k}: unknown key '${key}' (known: ${allowed.join(', ')})` };
    if (kv.has(key)) return { message: `${k}: key '${key}' given twice` };
    kv.set(key, w.slice(eq + 1));
  }
  const bad = (key: string, want: string): SpecProblem => ({ message: `${k}: bad ${key}=${kv.get(key) ?? ''}: ${want}` });

  const int = (key: string, def: number, min: number, max = Number.MAX_SAFE_INTEGER): number | SpecProblem => {
    const v = kv.get(key);
    if (v === undefined) return def;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) return bad(key, `must be an integer in ${min}..${max}`);
    return Number(v);
  };
  const frac = (key: string, def: number): number | SpecProblem => {
    const v = kv.get(key);
    if (v === undefined) return def;
    const n = Number(v);
    if (!/^\d*\.?\d+$/.test(v) || !(n > 0 && n <= 1)) return bad(key, 'must be a fraction in (0, 1]');
    return n;
  };
  const dur = (key: string): number | SpecProblem => {
    const v = kv.get(key);
    if (v === undefined) return 0;
    const ns = parseDurationNs(v);
    return ns === undefined ? bad(key, 'must be a duration such as 250ms, 10s or 1500us') : ns;
  };

  const sizeText = kv.get('size');
  let sizeBytes = 0;
  if (sizeText !== undefined) {
    const s = parseSize(sizeText);
    if (s === undefined || s === 0) return bad('size', 'must be a size such as 512M or 8G');
    sizeBytes = Math.ceil(s / PAGE_SIZE) * PAGE_SIZE;
  } else if (k !== 'idle') {
    return { message: `${k}: size= is required (e.g. size=1G)` };
  }
  const nrPages = sizeBytes / PAGE_SIZE;

  const node = int('node', -1, 0);
  if (isProblem(node)) return node;
  if (node >= 0 && !nodeIds.includes(node)) return bad('node', `no such node (nodes: ${nodeIds.join(',')})`);
  const cpunode = int('cpunode', -1, 0);
  if (isProblem(cpunode)) return cpunode;
  if (cpunode >= 0 && !nodeIds.includes(cpunode)) return bad('cpunode', `no such node (nodes: ${nodeIds.join(',')})`);
  const policyWord = kv.get('policy');
  const il = kv.get('interleave');
  let policy: MemPolicy;
  if (il !== undefined) {
    // mpol_parse_str(): nodelist_parse() over MAX_NUMNODES bits, then a subset of N_MEMORY.
    const nodes = parseBitmapList(il, MAX_NUMNODES);
    if (isKernelError(nodes)) return bad('interleave', `${nodes.code}: must be a node list such as 0-1 with ids below MAX_NUMNODES (${MAX_NUMNODES}) (nodes: ${nodeIds.join(',')})`);
    if (nodes.length === 0 || nodes.some((n) => !nodeIds.includes(n))) return bad('interleave', `must be a list of nodes such as 0-1 (nodes: ${nodeIds.join(',')})`);
    if (node >= 0 || policyWord !== undefined) return bad('interleave', 'cannot be combined with node= or policy=');
    policy = { mode: 'interleave', nodes };
  } else if (policyWord !== undefined && policyWord !== 'preferred' && policyWord !== 'bind' && policyWord !== 'local') {
    return bad('policy', 'must be preferred, bind or local');
  } else if (policyWord === 'local') {
    if (node >= 0) return bad('policy', 'local takes no node=');
    policy = { mode: 'local' };
  } else if (node >= 0) {
    policy = { mode: policyWord ?? 'preferred', node };
  } else if (policyWord !== undefined) {
    return bad('policy', `${policyWord} needs node=N`);
  } else {
    policy = { mode: 'local' };
  }

  const threads = int('threads', 1, 1, 4096);
  if (isProblem(threads)) return threads;
  const iters = int(k === 'memhog' ? 'repeat' : 'iters', k === 'hotset' || k === 'zipf' ? 0 : 1, 0);
  if (isProblem(iters)) return iters;
  const accesses = int('accesses', nrPages, 1);
  if (isProblem(accesses)) return accesses;
  const delayUs = int('delay_us', 0, 0, MAX_DELAY_US);
  if (isProblem(delayUs)) return delayUs;
  const accessBytes = int('access_bytes', k === 'memhog' || k === 'abench' ? PAGE_SIZE : 64, 1, PAGE_SIZE);
  if (isProblem(accessBytes)) return accessBytes;
  const hot = frac('hot', 0.1);
  if (isProblem(hot)) return hot;
  const share = frac('share', 0.9);
  if (isProblem(share)) return share;
  const phaseNs = dur('phase');
  if (isProblem(phaseNs)) return phaseNs;
  if (phaseNs !== 0 && phaseNs < MIN_PHASE_NS) return bad('phase', `must be 0 (the hot set never moves) or at least ${MIN_PHASE_NS / 1e6}ms: each move is a simulated event`);
  const durationNs = dur('duration');
  if (isProblem(durationNs)) return durationNs;
  const skewText = kv.get('skew');
  const skew = skewText === undefined ? 1 : Number(skewText);
  if (skewText !== undefined && (!/^\d*\.?\d+$/.test(skewText) || !(skew > 0 && skew <= 4))) return bad('skew', 'must be a number in (0, 4]');
  const accessesPerIter = k === 'memhog' ? nrPages : accesses;
  // Progress is counted in doubles: the total must stay an exact integer.
  if (iters * accessesPerIter > Number.MAX_SAFE_INTEGER) return { message: `${k}: iters × accesses must be at most 2^53 - 1, got ${iters} × ${accessesPerIter}` };

  return {
    kind: k,
    sizeBytes,
    threads: k === 'idle' ? 1 : threads,
    policy,
    cpuNode: cpunode >= 0 ? cpunode : undefined,
    iters: k === 'idle' ? 0 : iters,
    accessesPerIter,
    accessBytes,
    delayNs: delayUs * 1000,
    hotFraction: hot,
    hotShare: share,
    phaseNs,
    skew,
    durationNs,
  };
}

export function isProblem<T>(v: T | SpecProblem): v is SpecProblem {
  return typeof v === 'object' && v !== null && 'message' in v;
}

function formatPolicy(p: MemPolicy): string {
  switch (p.mode) {
    case 'local': return '';
    case 'interleave': return ` interleave=${p.nodes.join(',')}`;
    default: return ` node=${p.node} policy=${p.mode}`;
  }
}

/** The canonical spec, every default filled in (what sim/processes/<pid>/workload shows). */
export function formatWorkloadSpec(s: WorkloadSpec): string {
  const size = s.sizeBytes === 0 ? '' : ` size=${formatSize(s.sizeBytes).replace(/ /g, '').replace(/iB$/, '')}`;
  const cpu = s.cpuNode === undefined ? '' : ` cpunode=${s.cpuNode}`;
  const common = `${size} threads=${s.threads}`;
  switch (s.kind) {
    case 'abench':
      return `abench${common} iters=${s.iters} accesses=${s.accessesPerIter} delay_us=${s.delayNs / 1000} access_bytes=${s.accessBytes}${formatPolicy(s.policy)}${cpu}`;
    case 'memhog':
      return `memhog${common} repeat=${s.iters} delay_us=${s.delayNs / 1000}${formatPolicy(s.policy)}${cpu}`;
    case 'hotset':
      return `hotset${common} iters=${s.iters} accesses=${s.accessesPerIter} delay_us=${s.delayNs / 1000} access_bytes=${s.accessBytes} hot=${s.hotFraction} share=${s.hotShare} phase=${s.phaseNs / 1e6}ms${formatPolicy(s.policy)}${cpu}`;
    case 'zipf':
      return `zipf${common} iters=${s.iters} accesses=${s.accessesPerIter} delay_us=${s.delayNs / 1000} access_bytes=${s.accessBytes} skew=${s.skew}${formatPolicy(s.policy)}${cpu}`;
    case 'idle':
      return `idle${size} duration=${s.durationNs / 1e6}ms${formatPolicy(s.policy)}${cpu}`;
  }
}

/** A policy as numa_maps shows it (mpol_to_str). */
export function policyString(p: MemPolicy): string {
  switch (p.mode) {
    case 'local': return 'default';
    case 'preferred': return `prefer:${p.node}`;
    case 'bind': return `bind:${p.node}`;
    case 'interleave': return `interleave:${formatRangeList(p.nodes)}`;
  }
}
