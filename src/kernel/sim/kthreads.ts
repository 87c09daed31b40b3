// DIR/sim/kthreads: the simulated kernel threads and the CPU time each has used (what
// /proc/<pid>/stat's utime+stime would say). Kernel-thread work is charged to the thread, never to
// a workload; this file makes that time visible. Subsystems add their threads with addKthreads().
import { seqFile } from '../../kernfs/index.js';
import type { Kernel } from '../kernel.js';

export interface KthreadRow {
  readonly pid: number;
  readonly comm: string;
  /** R running, S sleeping (as ps prints the state). */
  readonly state: 'R' | 'S';
  readonly runtimeNs: number;
}

const sources = new WeakMap<Kernel, Array<() => KthreadRow[]>>();

/** Register a provider of kernel-thread rows (kswapd, kmmscand, ...). */
export function addKthreads(k: Kernel, rows: () => KthreadRow[]): void {
  const list = sources.get(k) ?? [];
  list.push(rows);
  sources.set(k, list);
}

/** The sim/kthreads text: a header, then one line per thread by pid. */
export function kthreadsText(k: Kernel): string {
  const rows = (sources.get(k) ?? []).flatMap((f) => f()).sort((a, b) => a.pid - b.pid);
  let out = 'PID COMM STATE RUNTIME_NS\n';
  for (const r of rows) out += `${r.pid} ${r.comm} ${r.state} ${Math.round(r.runtimeNs)}\n`;
  return out;
}

export function registerKthreads(k: Kernel): void {
  k.dir('sim').set('kthreads', seqFile(0o444, () => kthreadsText(k)));
  addKthreads(k, () =>
    k.kswapd.threads()
      .filter((t) => k.numa.hasMemory(t.nid))
      .map((t) => ({ pid: t.pid, comm: `kswapd${t.nid}`, state: t.state === 'running' ? 'R' : 'S', runtimeNs: t.runtimeNs })),
  );
}
