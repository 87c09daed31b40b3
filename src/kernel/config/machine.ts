// Machine description: what a preset file (presets/*.json) declares and how it is checked.
// The firmware view of the hardware — nodes, CPUs, SLIT distances, memory-block size, memory
// media performance and the cost constants of DESIGN.md §4 — before the kernel boots on it.
import { parseRangeList } from '../lib/bitmap.js';
import { formatSize, parseSize } from '../lib/units.js';

export const PAGE_SIZE = 4096;
export const MAX_NUMNODES = 1024; // CONFIG_NODES_SHIFT=10, as x86_64 distro kernels
/** CONFIG_NR_CPUS of the same distro kernels (cpu/kernel_max reads NR_CPUS − 1). */
export const NR_CPUS = 8192;

export type MemoryKind = 'dram' | 'cxl';
/** The CPUs' instruction set: decides which PMU features exist (SPE is Arm only). */
export type CpuArch = 'x86_64' | 'arm64';

export interface NodeConfig {
  readonly id: number;
  readonly kind: MemoryKind;
  readonly memBytes: number;
  /** CPU ids on this node (empty for a CPU-less CXL node). */
  readonly cpus: readonly number[];
  /** Unmovable kernel memory allocated on this node at boot (slab, stacks, page tables). */
  readonly bootKernelBytes: number;
}

/** Performance of one memory medium, per the preset's sources. */
export interface MemoryMedium {
  readonly readLatencyNs: number;
  readonly bandwidthMBps: number;
  /** Single-thread 4 KiB page copy bandwidth when this medium is the slower end. */
  readonly copyBandwidthMBps: number;
  readonly source: string;
}

/** One cost constant with its provenance. */
export interface CostConstant {
  readonly value: number;
  readonly unit: 'ns' | 'us';
  readonly source: string;
}

export const COST_NAMES = [
  'tlbFlushIpiBase',
  'tlbFlushIpiPerCpu',
  'tlbFlushLocal',
  'rmapWalk',
  'migrateIsolateAlloc',
  'remap',
  'pteScan',
  'hintFaultTrap',
  'speSampleProcess',
] as const;
/**
 * Costs a preset may leave out, with what they default to: `tlbFlushSync` (the wait for a flush
 * round to complete that a profile charges to the code after it — arm64's DSB ISH; 0 where the
 * IPI round trip already holds it) and `pteClearYoung` (kmmscand's per-PTE A-bit test-and-clear
 * plus the folio's idle/young flags; pteScan when absent) and `pfnSkip` (a DAMON paddr walk's
 * step over a pfn that holds no LRU folio: pfn_to_online_page plus damon_get_folio's failed
 * LRU test / folio_try_get on its struct page; pteScan when absent).
 */
export const OPTIONAL_COST_NAMES = ['tlbFlushSync', 'pteClearYoung', 'pfnSkip'] as const;
export type CostName = (typeof COST_NAMES)[number] | (typeof OPTIONAL_COST_NAMES)[number];

export interface MachineConfig {
  readonly name: string;
  readonly description: string;
  readonly memoryBlockSizeBytes: number;
  /** Nodes in `possible` (≥ the configured nodes; CXL windows can add offline ones). */
  readonly possibleNodes: readonly number[];
  readonly nodes: readonly NodeConfig[];
  /** SLIT: distances[i][j] between nodes[i] and nodes[j]. */
  readonly distances: readonly (readonly number[])[];
  readonly media: Readonly<Record<MemoryKind, MemoryMedium>>;
  readonly costs: Readonly<Record<CostName, CostConstant>>;
  /** numa_balancing at boot (distro default: 1 with more than one node). */
  readonly numaBalancingDefault: number;
  /** CPU architecture (default x86_64). */
  readonly arch: CpuArch;
  /**
   * The CPUs implement the Arm Statistical Profiling Extension (FEAT_SPE): the openEuler
   * mem_sampling driver initialises and registers its sysctls only then.
   */
  readonly spe: boolean;
  /** CPU clock, for latencies counted in cycles (SPE records). */
  readonly cpuMHz: number;
  /** Size of the swap area (0: none); defaults to what a distro installer makes (distroSwapBytes). */
  readonly swapBytes: number;
}

/** A problem in a preset, naming the field: `nodes[1].memBytes: must be ...`. */
export class ConfigError extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
    this.name = 'ConfigError';
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function need<T>(v: T | undefined, field: string, problem: string): T {
  if (v === undefined) throw new ConfigError(field, problem);
  return v;
}

function str(obj: Record<string, unknown>, key: string, path: string, fallback?: string): string {
  const v = obj[key];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'string' || v === '') throw new ConfigError(`${path}${key}`, 'must be a non-empty string');
  return v;
}

function num(obj: Record<string, unknown>, key: string, path: string, opts: { min?: number; int?: boolean; fallback?: number } = {}): number {
  const v = obj[key];
  if (v === undefined && opts.fallback !== undefined) return opts.fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new ConfigError(`${path}${key}`, v === undefined ? 'is missing (a number)' : `must be a number, got ${JSON.stringify(v)}`);
  }
  if (opts.int && !Number.isSafeInteger(v)) throw new ConfigError(`${path}${key}`, `must be an integer, got ${v}`);
  if (opts.min !== undefined && v < opts.min) throw new ConfigError(`${path}${key}`, `must be >= ${opts.min}, got ${v}`);
  return v;
}

function size(obj: Record<string, unknown>, key: string, path: string, fallback?: number): number {
  const v = obj[key];
  if (v === undefined && fallback !== undefined) return fallback;
  return need(parseSize(v), `${path}${key}`, v === undefined ? 'is missing (bytes, or a size such as "16G")' : `must be bytes or a size such as "16G", got ${JSON.stringify(v)}`);
}

function parseCpus(v: unknown, field: string, nextCpu: number): number[] {
  if (v === undefined) return [];
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) throw new ConfigError(field, `must be a CPU count or a list such as "0-7", got ${v}`);
    return Array.from({ length: v }, (_, i) => nextCpu + i);
  }
  if (typeof v === 'string') return need(parseRangeList(v, NR_CPUS), field, `must be a CPU list such as "0-7,16-23", got ${JSON.stringify(v)}`);
  throw new ConfigError(field, `must be a CPU count or a list such as "0-7", got ${JSON.stringify(v)}`);
}

/**
 * Check a parsed preset and return the typed machine.
 * @throws ConfigError naming the first bad field and what is wrong with it
 */
export function parseMachineConfig(raw: unknown): MachineConfig {
  if (!isObject(raw)) throw new ConfigError('(top level)', 'must be a JSON object');
  const name = str(raw, 'name', '');
  const description = str(raw, 'description', '', name);
  const blockBytes = size(raw, 'memoryBlockSizeBytes', '', 128 * 1024 * 1024);
  if (blockBytes < 2 * 1024 * 1024 || (blockBytes & (blockBytes - 1)) !== 0) {
    throw new ConfigError('memoryBlockSizeBytes', `must be a power of two of at least 2 MiB, got ${blockBytes}`);
  }

  const rawNodes = raw['nodes'];
  if (!Array.isArray(rawNodes) || rawNodes.length === 0) throw new ConfigError('nodes', 'must be a non-empty array of nodes');
  const nodes: NodeConfig[] = [];
  const seenCpus = new Set<number>();
  let nextCpu = 0;
  rawNodes.forEach((n, i) => {
    const path = `nodes[${i}].`;
    if (!isObject(n)) throw new ConfigError(`nodes[${i}]`, 'must be an object');
    const id = num(n, 'id', path, { int: true, min: 0, fallback: i });
    if (id >= MAX_NUMNODES) throw new ConfigError(`${path}id`, `must be < MAX_NUMNODES (${MAX_NUMNODES}), got ${id}`);
    if (nodes.some((m) => m.id === id)) throw new ConfigError(`${path}id`, `node ${id} is declared twice`);
    const kind = n['kind'];
    if (kind !== 'dram' && kind !== 'cxl') throw new ConfigError(`${path}kind`, `must be "dram" or "cxl", got ${JSON.stringify(kind)}`);
    const memBytes = size(n, 'memBytes', path);
    if (memBytes === 0 || memBytes % blockBytes !== 0) {
      throw new ConfigError(`${path}memBytes`, `must be a positive multiple of memoryBlockSizeBytes (${formatSize(blockBytes)}), got ${memBytes} (${formatSize(memBytes)})`);
    }
    const cpus = parseCpus(n['cpus'], `${path}cpus`, nextCpu);
    for (const c of cpus) {
      if (seenCpus.has(c)) throw new ConfigError(`${path}cpus`, `CPU ${c} already belongs to another node`);
      seenCpus.add(c);
    }
    if (kind === 'cxl' && cpus.length > 0) throw new ConfigError(`${path}cpus`, 'a CXL memory node has no CPUs');
    nextCpu = Math.max(nextCpu, ...cpus.map((c) => c + 1));
    const defaultKernel = cpus.length > 0 ? 64 * 1024 * 1024 + cpus.length * 1024 * 1024 : 0;
    const bootKernelBytes = size(n, 'bootKernelBytes', path, defaultKernel);
    if (bootKernelBytes > memBytes / 2) throw new ConfigError(`${path}bootKernelBytes`, `must be at most half the node's memory, got ${formatSize(bootKernelBytes)}`);
    nodes.push({ id, kind, memBytes, cpus, bootKernelBytes });
  });
  if (!nodes.some((n) => n.cpus.length > 0)) throw new ConfigError('nodes', 'at least one node needs CPUs');
  if (nodes[0]!.kind !== 'dram') throw new ConfigError('nodes[0].kind', 'the first node must be DRAM (it holds the kernel and low memory)');
  const cpuIds = [...seenCpus].sort((a, b) => a - b);
  if (cpuIds.some((c, i) => c !== i)) throw new ConfigError('nodes', `CPU ids must be 0..N-1 without gaps, got ${cpuIds.join(',')}`);

  const rawDist = raw['distances'];
  let distances: number[][];
  if (rawDist === undefined) {
    distances = nodes.map((a) => nodes.map((b) => (a === b ? 10 : a.kind === 'cxl' || b.kind === 'cxl' ? 20 : 21)));
  } else {
    if (!Array.isArray(rawDist) || rawDist.length !== nodes.length) throw new ConfigError('distances', `must be a ${nodes.length}x${nodes.length} matrix`);
    distances = rawDist.map((row, i) => {
      if (!Array.isArray(row) || row.length !== nodes.length) throw new ConfigError(`distances[${i}]`, `must have ${nodes.length} entries`);
      return row.map((d, j) => {
        if (typeof d !== 'number' || !Number.isInteger(d) || d < 10 || d > 254) throw new ConfigError(`distances[${i}][${j}]`, `must be an integer in 10..254, got ${JSON.stringify(d)}`);
        if (i === j && d !== 10) throw new ConfigError(`distances[${i}][${j}]`, `local distance must be 10, got ${d}`);
        if (i !== j && d === 10) throw new ConfigError(`distances[${i}][${j}]`, 'remote distance must be greater than 10');
        return d;
      });
    });
  }

  const ids = nodes.map((n) => n.id);
  let possibleNodes: number[] = ids;
  if (raw['possibleNodes'] !== undefined) {
    const p = raw['possibleNodes'];
    const list = typeof p === 'string' ? parseRangeList(p, MAX_NUMNODES) : undefined;
    possibleNodes = need(list, 'possibleNodes', `must be a node list such as "0-3", got ${JSON.stringify(p)}`);
    for (const id of ids) if (!possibleNodes.includes(id)) throw new ConfigError('possibleNodes', `must include every configured node (missing ${id})`);
  }

  const rawMedia = raw['media'];
  if (!isObject(rawMedia)) throw new ConfigError('media', 'must be an object with "dram" and "cxl" entries');
  const media = {} as Record<MemoryKind, MemoryMedium>;
  for (const kind of ['dram', 'cxl'] as const) {
    const m = rawMedia[kind];
    if (!isObject(m)) throw new ConfigError(`media.${kind}`, 'is missing (readLatencyNs, bandwidthMBps, copyBandwidthMBps, source)');
    const p = `media.${kind}.`;
    media[kind] = {
      readLatencyNs: num(m, 'readLatencyNs', p, { min: 1 }),
      bandwidthMBps: num(m, 'bandwidthMBps', p, { min: 1 }),
      copyBandwidthMBps: num(m, 'copyBandwidthMBps', p, { min: 1 }),
      source: str(m, 'source', p),
    };
  }

  const rawCosts = raw['costs'];
  if (!isObject(rawCosts)) throw new ConfigError('costs', `must be an object with ${COST_NAMES.join(', ')}`);
  const costs = {} as Record<CostName, CostConstant>;
  for (const key of COST_NAMES) {
    const c = rawCosts[key];
    if (!isObject(c)) throw new ConfigError(`costs.${key}`, 'is missing ({ "value": n, "unit": "ns"|"us", "source": "..." })');
    const unit = c['unit'];
    if (unit !== 'ns' && unit !== 'us') throw new ConfigError(`costs.${key}.unit`, `must be "ns" or "us", got ${JSON.stringify(unit)}`);
    costs[key] = { value: num(c, 'value', `costs.${key}.`, { min: 0 }), unit, source: str(c, 'source', `costs.${key}.`) };
  }
  for (const key of OPTIONAL_COST_NAMES) {
    const c = rawCosts[key];
    if (c === undefined) {
      costs[key] = key !== 'tlbFlushSync' ? { ...costs.pteScan, source: `not given: pteScan (${costs.pteScan.source})` } : { value: 0, unit: 'us', source: 'not given: 0 (the flush round trip holds the wait)' };
      continue;
    }
    if (!isObject(c)) throw new ConfigError(`costs.${key}`, 'must be { "value": n, "unit": "ns"|"us", "source": "..." }');
    const unit = c['unit'];
    if (unit !== 'ns' && unit !== 'us') throw new ConfigError(`costs.${key}.unit`, `must be "ns" or "us", got ${JSON.stringify(unit)}`);
    costs[key] = { value: num(c, 'value', `costs.${key}.`, { min: 0 }), unit, source: str(c, 'source', `costs.${key}.`) };
  }
  const known: readonly string[] = [...COST_NAMES, ...OPTIONAL_COST_NAMES];
  for (const key of Object.keys(rawCosts)) {
    if (!known.includes(key)) throw new ConfigError(`costs.${key}`, `unknown cost constant (known: ${known.join(', ')})`);
  }

  const numaBalancingDefault = num(raw, 'numaBalancingDefault', '', { int: true, min: 0, fallback: nodes.length > 1 ? 1 : 0 });
  if (numaBalancingDefault > 4) throw new ConfigError('numaBalancingDefault', `must be 0..4, got ${numaBalancingDefault}`);

  const arch = raw['arch'] ?? 'x86_64';
  if (arch !== 'x86_64' && arch !== 'arm64') throw new ConfigError('arch', `must be "x86_64" or "arm64", got ${JSON.stringify(arch)}`);
  const spe = raw['spe'] ?? false;
  if (typeof spe !== 'boolean') throw new ConfigError('spe', `must be true or false, got ${JSON.stringify(spe)}`);
  if (spe && arch !== 'arm64') throw new ConfigError('spe', 'SPE (Statistical Profiling Extension) is an Arm feature: set "arch": "arm64"');
  const cpuMHz = num(raw, 'cpuMHz', '', { min: 1, fallback: 2600 });
  const ramBytes = nodes.reduce((n, node) => n + node.memBytes, 0);
  const swapBytes = size(raw, 'swapBytes', '', distroSwapBytes(ramBytes));
  if (swapBytes % PAGE_SIZE !== 0) throw new ConfigError('swapBytes', `must be a multiple of the page size (4096), got ${swapBytes}`);

  return { name, description, memoryBlockSizeBytes: blockBytes, possibleNodes, nodes, distances, media, costs, numaBalancingDefault, swapBytes, arch, spe, cpuMHz };
}

/** A cost constant in nanoseconds. */
export function costNs(config: MachineConfig, name: CostName): number {
  const c = config.costs[name];
  return c.unit === 'us' ? c.value * 1000 : c.value;
}

/**
 * The swap a distro installer sets up for `ramBytes` of memory: Ubuntu's curtin
 * (curtin/swap.py suggested_swapsize): 2× below 1 GiB, 2 GiB up to 2 GiB, = RAM up to 4 GiB,
 * 4 GiB up to 16 GiB, RAM/2 up to 64 GiB, never more than 8 GiB nor less than RAM/4 (when RAM/4
 * is below that ceiling).
 */
export function distroSwapBytes(ramBytes: number): number {
  const GiB = 1024 ** 3;
  const max = 8 * GiB;
  const rules: Array<[number, (m: number) => number]> = [
    [1 * GiB, (m) => m * 2],
    [2 * GiB, () => 2 * GiB],
    [4 * GiB, (m) => m],
    [16 * GiB, () => 4 * GiB],
    [64 * GiB, (m) => m / 2],
  ];
  for (const [top, f] of rules) {
    if (ramBytes > top) continue;
    let size = Math.min(f(ramBytes), max);
    if (size < ramBytes / 4 && ramBytes / 4 < max) size = ramBytes / 4;
    return Math.floor(size / PAGE_SIZE) * PAGE_SIZE;
  }
  return max;
}
