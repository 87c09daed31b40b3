// DIR/sim/processes/<pid>: one simulated process — its workload spec, state, progress,
// run time, /proc/<pid>/numa_maps-style placement, and a kill file.
import { ESRCH, EINVAL, attr, debugfsFile, dir, type KDir } from '../../kernfs/index.js';
import type { Kernel } from '../kernel.js';
import type { Process } from '../sched/process.js';
import { formatWorkloadSpec, policyString } from '../workload/spec.js';
import { placementTruth } from './placement.js';

/** Signals `kill` accepts: all of them end a simulated process (it has no handlers). */
const SIGNALS = new Map<string, number>([
  ['0', 0],
  ['1', 1], ['HUP', 1], ['2', 2], ['INT', 2], ['9', 9], ['KILL', 9], ['15', 15], ['TERM', 15],
]);

/** /proc/<pid>/numa_maps (fs/proc/task_mmu.c show_numa_map) for the process's VMAs. */
export function formatNumaMaps(p: Process): string {
  if (!p.alive) return '';
  let out = '';
  for (const vma of p.mm.vmas) {
    let pages = 0;
    let nodes = '';
    vma.nodePages.forEach((n, nid) => {
      if (n > 0) nodes += ` N${nid}=${n}`;
      pages += n;
    });
    out += `${vma.start.toString(16)} ${policyString(vma.policy)}`;
    if (pages > 0) out += ` anon=${pages} dirty=${pages} active=0${nodes}`;
    out += ' kernelpagesize_kB=4\n';
  }
  return out;
}

/**
 * The process's NUMA balancing state (task_struct/mm_struct numa_* fields, the counters
 * /proc/vmstat sums, and the CPU time each path cost it), one `name value` per line.
 */
export function formatNumaBalancing(k: Kernel, p: Process): string {
  const t = k.numab.task(p.pid);
  if (!t) return '';
  const us = (ns: number) => Math.round(ns / 1000);
  const rows: Array<[string, number | string]> = [
    ['numa_scan_seq', t.scanSeq],
    ['numa_scan_period_ms', t.scanPeriodMs],
    ['numa_scan_offset', `0x${t.scanOffset.toString(16)}`],
    ['numa_preferred_nid', t.preferredNid],
    ['scans', t.scans],
    ['pte_updates', t.pteUpdates],
    ['hint_faults', t.hintFaults],
    ['hint_faults_local', t.hintFaultsLocal],
    ['pages_migrated', t.pagesMigrated],
    ['samples', t.samples],
    ['samples_used', t.samplesUsed],
    ['task_work_us', us(t.taskWorkNs)],
    ['hint_fault_us', us(t.hintFaultNs)],
    ['sample_us', us(t.sampleNs)],
  ];
  return rows.map(([name, v]) => `${name} ${v}\n`).join('');
}

/** Each process's directory, built once (lookups run on every path walk through FUSE). */
const dirs = new WeakMap<Process, KDir>();

export function processDir(k: Kernel, p: Process): KDir {
  let d = dirs.get(p);
  if (!d) {
    d = buildProcessDir(k, p);
    dirs.set(p, d);
  }
  return d;
}

function buildProcessDir(k: Kernel, p: Process): KDir {
  return dir(
    {
      workload: attr({ mode: 0o444, show: () => `${formatWorkloadSpec(p.spec)}\n` }),
      state: attr({ mode: 0o444, show: () => `${p.state}\n` }),
      progress: attr({
        mode: 0o444,
        show: () => {
          const total = Number.isFinite(p.totalAccesses) ? p.totalAccesses : 0;
          return `${Math.floor(p.doneAt(k.clock.nowNs))} ${total}\n`;
        },
      }),
      runtime_ns: attr({ mode: 0o444, show: () => `${p.runtimeNs}\n` }),
      stall_ns: attr({ mode: 0o444, show: () => `${Math.round(p.stallNs)}\n` }),
      numa_maps: attr({ mode: 0o444, show: () => formatNumaMaps(p) }),
      numa_balancing: attr({ mode: 0o444, show: () => formatNumaBalancing(k, p) }),
      placement: debugfsFile({ mode: 0o444, show: () => placementTruth(k)?.placement(p.pid) ?? '' }),
      kill: attr({
        mode: 0o200,
        store: (input) => {
          const sig = SIGNALS.get(input.trim().toUpperCase().replace(/^SIG/, ''));
          if (sig === undefined) throw EINVAL; // kill(2): not a signal we deliver
          if (!p.alive) throw ESRCH; // kill(2): the process is gone
          if (sig === 0) return; // kill(2) with signal 0 only checks that the process exists
          k.tasks.kill(p.pid);
        },
      }),
    },
    0o555,
  );
}
