// The simulated kernel instance: boots a machine description into memory, nodes, counters and
// the pseudo-files that expose them. The composition root of src/kernel: each subsystem owns
// its mechanism and registers its own files here, as initcalls do.
import createDebug from 'debug';
import { Kernfs, StaticDir, mkdirp, subdir } from '../kernfs/index.js';
import { PAGE_SIZE, type MachineConfig } from './config/machine.js';
import { Prng } from './lib/prng.js';
import { buildPhysLayout, type PhysLayout } from './mm/memblock.js';
import { PageAllocator, type Allocation } from './mm/page_alloc.js';
import { VmCounters } from './mm/vmstat_counters.js';
import { NumaTopology } from './numa/topology.js';
import { Clock, type ClockMode } from './time/clock.js';
import { registerCpuSysfs } from './drivers/cpu_sysfs.js';
import { registerMemorySysfs } from './mm/memory_sysfs.js';
import { registerMeminfo } from './mm/meminfo.js';
import { registerMemoryTiers } from './mm/memory_tiers.js';
import { registerVmstat } from './mm/vmstat.js';
import { registerNodeSysfs } from './numa/node_sysfs.js';
import { registerIomem } from './resource/iomem.js';
import { NumaBalancingParams, registerNumaBalancing } from './sched/numa_balancing.js';
import { registerKernelSysctls, KernelSysctls } from './sysctl/kernel_table.js';
import { registerVmSysctls } from './sysctl/vm_table.js';
import { registerZoneinfo } from './mm/zoneinfo.js';
import { Migrator } from './mm/migrate.js';
import { Kswapd, Reclaim } from './mm/vmscan.js';
import { registerProcSwaps, SwapSpace } from './mm/swapfile.js';
import { KernelLog } from './printk.js';
import { Tasks } from './sched/tasks.js';
import { registerSimFiles } from './sim/sim_files.js';
import { registerKthreads } from './sim/kthreads.js';
import type { HostFs } from './mm/damon/core.js';
import { registerDamonDbgfs, type DamonAbi } from './mm/damon/dbgfs.js';
import { registerDamonLruSort } from './mm/damon/lru_sort.js';
import { registerDamonReclaim } from './mm/damon/reclaim.js';
import { registerDamonSysfs } from './mm/damon/sysfs.js';
import { Kmmscand } from './mm/kmmscand.js';
import { registerKmmscand } from './mm/kmmscand_sysfs.js';
import { NumaBalancer } from './sched/fair_numa.js';
import { registerTaskNumaWork } from './sched/task_numa_work.js';
import { MemSampling } from './mm/mem_sampling.js';
import { TraceBuffer, registerTracing } from './trace/trace.js';

const trace = createDebug('tiersim:kernel');

export interface BootOptions {
  readonly seed?: number;
  readonly clock?: ClockMode;
  /**
   * Let the host's event loop run (setImmediate in the mount): long operations behind a
   * write — advancing virtual time, a big migration — call it between slices so other
   * processes' reads are served meanwhile. Defaults to a resolved promise (in-process use).
   */
  readonly yieldToHost?: () => Promise<void>;
  /** Where kdamond writes record files (default: an in-memory store, `MemoryHostFs`). */
  readonly hostFs?: HostFs;
  /** Live host processes, so their pids are valid DAMON vaddr targets (none by default). */
  readonly hostProcs?: HostProcs;
  /** Which generation of the DAMON debugfs interface to present (default: the union). */
  readonly damonAbi?: DamonAbi;
  /**
   * kmmscand's scan_enabled at boot. The RFC boots with 1; the simulated kernel boots with 0 so
   * that a machine without the RFC in use behaves as mainline (echo 1 > scan_enabled opts in).
   */
  readonly kmmscand?: boolean;
}

/** Host processes as DAMON targets: liveness and mappings from /proc/<pid>/maps. */
export interface HostProcs {
  alive(pid: number): boolean;
  /** [start, end) of each mapping, in address order. */
  maps(pid: number): Array<[number, number]>;
}

/** HostFs kept in memory: what a kernel without a host port writes its record files to. */
export class MemoryHostFs implements HostFs {
  readonly files = new Map<string, Buffer>();
  appendFile(path: string, data: Uint8Array): void {
    this.files.set(path, Buffer.concat([this.files.get(path) ?? Buffer.alloc(0), data]));
  }
}

/** Kernel memory allocated at boot on one node, by kind (for meminfo/vmstat). */
export interface BootKernelMemory {
  readonly slabReclaimablePages: number;
  readonly slabUnreclaimablePages: number;
  readonly kernelStackKb: number;
  readonly pageTablePages: number;
  readonly percpuPages: number;
  readonly allocation: Allocation;
}

export class Kernel {
  readonly clock: Clock;
  readonly rng: Prng;
  readonly layout: PhysLayout;
  readonly vm = new VmCounters();
  readonly alloc: PageAllocator;
  readonly numa: NumaTopology;
  /** Boot-time kernel allocations per node. */
  readonly bootMemory = new Map<number, BootKernelMemory>();
  /** NUMA balancing tunables (sysctl + debugfs sched). */
  readonly numaBalancing: NumaBalancingParams;
  /** Other /proc/sys/kernel values modelled (openEuler mem_sampling). */
  readonly sysctls: KernelSysctls;
  /** The root of every pseudo-file: `sys/...`, `proc/...`, `sim/...`. */
  readonly root = new StaticDir();
  readonly fs: Kernfs;
  /** The kernel log (sim/dmesg). */
  readonly log: KernelLog;
  /** Simulated processes. */
  readonly tasks: Tasks;
  /** Page migration (migrate_pages) and its kernel flavour. */
  readonly migrator: Migrator;
  /** The per-node kswapd threads (mm/vmscan.c). */
  readonly kswapd: Kswapd;
  /** The kmmscand RFC's A-bit scanning thread. */
  readonly kmmscand: Kmmscand;
  /** Page reclaim: the LRU scanner, demotion, swap-out, direct reclaim (mm/vmscan.c). */
  readonly reclaim: Reclaim;
  /** The swap area (mm/swapfile.c). */
  readonly swap: SwapSpace;
  /** NUMA balancing: per-process scan and fault state, per-node promotion state. */
  readonly numab: NumaBalancer;
  /** openEuler mem_sampling over Arm SPE, on machines that have it. */
  readonly memSampling: MemSampling | undefined;
  /** The ftrace ring buffer (sys/kernel/tracing). */
  readonly trace: TraceBuffer;
  readonly yieldToHost: () => Promise<void>;
  readonly hostFs: HostFs;
  readonly hostProcs: HostProcs | undefined;
  readonly damonAbi: DamonAbi;

  constructor(
    readonly config: MachineConfig,
    opts: BootOptions = {},
  ) {
    this.clock = new Clock(opts.clock ?? 'virtual');
    this.rng = new Prng(opts.seed ?? 1);
    this.layout = buildPhysLayout(config);
    this.alloc = new PageAllocator(this.layout, config, this.vm);
    this.numa = new NumaTopology(config, this.alloc);
    this.numaBalancing = new NumaBalancingParams(config.numaBalancingDefault);
    this.sysctls = new KernelSysctls();
    this.log = new KernelLog(this.clock);
    this.yieldToHost = opts.yieldToHost ?? (() => Promise.resolve());
    this.hostFs = opts.hostFs ?? new MemoryHostFs();
    this.hostProcs = opts.hostProcs;
    this.damonAbi = opts.damonAbi ?? 'union';
    this.bootAllocations();
    this.tasks = new Tasks(this);
    this.migrator = new Migrator(this);
    this.swap = new SwapSpace(config.swapBytes);
    this.reclaim = new Reclaim(this);
    this.kswapd = new Kswapd(this);
    this.alloc.reclaim = {
      wakeupKswapd: (nid, highestZoneIdx) => this.kswapd.wakeup(nid, highestZoneIdx),
      directReclaim: (nids, nrPages) => this.reclaim.directReclaim(nids, nrPages),
      canReclaim: (nid) => this.reclaim.canReclaim(nid),
    };
    this.kmmscand = new Kmmscand(this, opts.kmmscand ?? false);
    this.numab = new NumaBalancer(this);
    this.trace = new TraceBuffer(this.numa.nrCpuIds);
    this.memSampling = config.spe ? new MemSampling(this) : undefined;
    this.fs = new Kernfs(this.root);
    subdir(this.root, 'sys', 0o755, 'sysfs'); // procDir and debugfsRoot mark procfs, proc/sys and debugfs

    registerNodeSysfs(this);
    registerCpuSysfs(this);
    registerMemorySysfs(this);
    registerMemoryTiers(this);
    registerIomem(this);
    registerMeminfo(this);
    registerProcSwaps(this);
    registerVmstat(this);
    registerNumaBalancing(this);
    registerKernelSysctls(this);
    registerVmSysctls(this);
    registerZoneinfo(this);
    registerSimFiles(this);
    registerKthreads(this);
    registerDamonDbgfs(this);
    registerDamonSysfs(this);
    registerDamonReclaim(this);
    registerDamonLruSort(this);
    registerKmmscand(this);
    registerTaskNumaWork(this);
    registerTracing(this);
    trace('booted %s: %d nodes, %d blocks, seed %d', config.name, config.nodes.length, this.layout.blocks.length, opts.seed ?? 1);
  }

  /** The static directory at `path` (created if missing), for a subsystem to add files to. */
  dir(path: string): StaticDir {
    return mkdirp(this.root, path);
  }

  /** Slab, kernel stacks, page tables and per-cpu areas every node with CPUs allocates at boot. */
  private bootAllocations(): void {
    for (const node of this.config.nodes) {
      const pages = Math.floor(node.bootKernelBytes / PAGE_SIZE);
      if (pages === 0) continue;
      const allocation = this.alloc.alloc(node.id, pages, { movable: false, thisNode: true });
      const kernelStackKb = Math.min(node.cpus.length * 128, Math.floor((pages * 4) / 4)); // ~8 kthreads x 16 KiB per CPU
      const stackPages = kernelStackKb / 4;
      const pageTablePages = Math.floor((pages - stackPages) * 0.05);
      const percpuPages = Math.floor((pages - stackPages) * 0.05);
      const slab = pages - stackPages - pageTablePages - percpuPages;
      const slabReclaimablePages = Math.floor(slab * 0.55);
      const slabUnreclaimablePages = slab - slabReclaimablePages;
      this.bootMemory.set(node.id, { slabReclaimablePages, slabUnreclaimablePages, kernelStackKb, pageTablePages, percpuPages, allocation });
      this.vm.modNode(node.id, 'nr_slab_reclaimable', slabReclaimablePages);
      this.vm.modNode(node.id, 'nr_slab_unreclaimable', slabUnreclaimablePages);
      this.vm.modNode(node.id, 'nr_kernel_stack', kernelStackKb);
      this.vm.modNode(node.id, 'nr_page_table_pages', pageTablePages);
    }
  }
}

/** Boot a kernel on a machine. */
export function bootKernel(config: MachineConfig, opts: BootOptions = {}): Kernel {
  return new Kernel(config, opts);
}
