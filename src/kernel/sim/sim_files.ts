// DIR/sim: the simulator's own control files (no kernel counterpart). Time (clock, advance),
// processes (spawn, processes/<pid>/...), page migration (migrate, migrate_flow) and the
// kernel log (dmesg). Transaction files answer on the same open file: write a request, read
// the result back (race-free between processes).
import createDebug from 'debug';
import { EINVAL, ESRCH, attr, debugfsFile, dynamicDir, indexOfName, isKernelError, seqFile, type KNode } from '../../kernfs/index.js';
import { MAX_NUMNODES } from '../config/machine.js';
import { parseBitmapList } from '../lib/bitmap.js';
import { parseDurationNs } from '../lib/units.js';
import type { Kernel } from '../kernel.js';
import type { MigrateStats } from '../mm/migrate.js';
import type { Process } from '../sched/process.js';
import { formatWorkloadSpec, isProblem, parseWorkloadSpec, workloadKeys, WORKLOAD_KINDS } from '../workload/spec.js';
import { processDir } from './process_files.js';
import { registerTruthFiles } from './truth.js';

const trace = createDebug('tiersim:sim');
/** Clock events run between yields to the host while a write drives virtual time. */
const EVENTS_PER_SLICE = 1_000;
/** Events between yields while driving one operation (a migration batch is ~1 ms of work). */
const OP_EVENTS_PER_SLICE = 4;
/** The CPU a migratepages caller runs on. */
export const CALLER_CPU = 0;

/**
 * Advance virtual time to `targetNs`, yielding to the host between slices so the mount keeps
 * answering other processes while a long advance runs.
 */
export async function driveClockTo(k: Kernel, targetNs: number): Promise<void> {
  while (!k.clock.advanceTo(targetNs, EVENTS_PER_SLICE)) await k.yieldToHost();
}

/** Run virtual time event by event until `isDone()`, yielding between slices. */
async function driveClockUntil(k: Kernel, isDone: () => boolean): Promise<void> {
  let ran = 0;
  while (!isDone()) {
    const next = k.clock.nextEventNs();
    if (next === undefined) return;
    k.clock.advanceTo(next, 1);
    if (++ran % OP_EVENTS_PER_SLICE === 0) await k.yieldToHost();
  }
}

function spawnHelp(): string {
  return WORKLOAD_KINDS.map((kind) => `${kind} ${workloadKeys(kind).map((key) => `${key}=`).join(' ')}\n`).join('');
}

/** Parse `PID FROM TO` (numactl migratepages order); node lists like 0-1,3. */
function parseMigrateRequest(k: Kernel, input: string): { proc: Process; from: number[]; to: number[] } {
  const words = input.trim().split(/\s+/);
  if (words.length !== 3 || !/^\d+$/.test(words[0]!)) {
    k.log.printk(`tiersim: migrate: expected "PID FROM-NODES TO-NODES", got ${JSON.stringify(input.trim())}`);
    throw EINVAL; // malformed request
  }
  const [from, to] = [words[1]!, words[2]!].map((list) => {
    const ids = parseBitmapList(list, MAX_NUMNODES);
    if (isKernelError(ids)) {
      k.log.printk(`tiersim: migrate: node list ${JSON.stringify(list)}: ${ids.code} (lists look like 0-1,3; ids below MAX_NUMNODES = ${MAX_NUMNODES})`);
      throw ids; // nodelist_parse()'s errno, passed on as cpuset's update_nodemask() does
    }
    return ids;
  }) as [number[], number[]];
  const bad = (list: number[]) => list.length === 0 || list.some((n) => !k.numa.hasMemory(n));
  if (bad(from) || bad(to)) {
    k.log.printk(`tiersim: migrate: node lists must name online nodes with memory, got ${words[1]} ${words[2]}`);
    throw EINVAL; // migrate_pages(2): a node not online or without memory
  }
  const proc = k.tasks.get(Number(words[0]));
  if (!proc || !proc.alive) throw ESRCH; // migrate_pages(2): no such process
  return { proc, from, to };
}

function formatMigrateStats(s: MigrateStats): string {
  return (
    `pages_moved ${s.moved}\n` +
    `pages_failed ${s.failed}\n` +
    `pages_skipped ${s.skipped}\n` +
    `elapsed_ns ${s.elapsedNs}\n` +
    `tlb_remote_flushes ${s.remoteFlushes}\n`
  );
}

export function registerSimFiles(k: Kernel): void {
  const sim = k.dir('sim');
  const procs = dynamicDir({
    volatile: true, // processes are reaped
    list: () => k.tasks.list().map((p) => String(p.pid)),
    lookup: (name) => {
      const pid = indexOfName(name); // a pid, exactly as procfs names it (name_to_int)
      const p = pid === undefined ? undefined : k.tasks.get(pid);
      return p ? processDir(k, p) : undefined;
    },
  });
  const files: Record<string, KNode> = {
    clock: attr({ mode: 0o444, show: () => `${k.clock.nowNs} ${k.clock.mode}\n` }),
    advance: attr({
      mode: 0o200,
      store: async (input) => {
        const ns = parseDurationNs(input.trim());
        if (ns === undefined) {
          k.log.printk(`tiersim: advance: ${JSON.stringify(input.trim())} is not a duration such as 250ms, 10s or 1500us`);
          throw EINVAL; // not a duration
        }
        if (k.clock.mode !== 'virtual') {
          k.log.printk('tiersim: advance: the clock follows the wall clock (mount with --clock virtual to step time)');
          throw EINVAL; // realtime clocks cannot be stepped
        }
        trace('advance %d ns from %d', ns, k.clock.nowNs);
        await driveClockTo(k, k.clock.nowNs + ns);
      },
    }),
    spawn: debugfsFile({
      mode: 0o600,
      rejectOffsetWrite: true, // one request per write(2) at offset 0, as DAMON's files
      show: spawnHelp,
      store: (input, ctx) => {
        const spec = parseWorkloadSpec(input, k.config.nodes.map((n) => n.id));
        if (isProblem(spec)) {
          k.log.printk(`tiersim: spawn: ${spec.message}`);
          throw EINVAL; // bad spec: the log names the key
        }
        const proc = k.tasks.spawn(spec); // ENOMEM: nothing allocated
        k.log.printk(`tiersim: spawned pid ${proc.pid}: ${formatWorkloadSpec(spec)}`);
        ctx.respond(`${proc.pid}\n`);
      },
    }),
    migrate: debugfsFile({
      mode: 0o600,
      rejectOffsetWrite: true,
      show: () => 'PID FROM-NODES TO-NODES\n',
      store: async (input, ctx) => {
        const { proc, from, to } = parseMigrateRequest(k, input);
        const job = k.migrator.migratePages(proc, from, to, CALLER_CPU);
        if (k.clock.mode === 'virtual') await driveClockUntil(k, () => job.finished);
        // Like migrate_pages(2), pages that could not move are a count, not an error.
        const stats = await job.done;
        ctx.respond(formatMigrateStats(stats));
      },
    }),
    migrate_flow: attr({
      mode: 0o644,
      show: () => (k.migrator.flow === 'batched' ? '[batched] unbatched\n' : 'batched [unbatched]\n'),
      store: (input) => {
        const want = input.trim();
        if (want !== 'batched' && want !== 'unbatched') throw EINVAL; // not one of the choices
        k.migrator.flow = want;
      },
    }),
    dmesg: seqFile(0o444, () => k.log.show()),
    processes: procs,
  };
  for (const [name, node] of Object.entries(files)) sim.set(name, node);
  registerTruthFiles(k);
}
