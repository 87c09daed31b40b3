// DIR/sim/truth/{placement,nodes,interval_ms}: placement quality over time, the ground truth
// no kernel can show. Every interval (1 s by default) a sample records, per live process, how
// much of its access stream the top tier serves and where its hot pages (accessed at least as
// often as its average page) are; and per node, the pages it holds, its share of all accesses,
// and promotions into / demotions out of it per second. The text format is stable (one line
// per process or node per sample, a `#` header naming the columns) so scripts can plot how fast
// a mechanism brings the hot set into DRAM. Bounded: the last MAX_SAMPLES samples are kept.
import { EINVAL, attr, debugfsFile, type StaticDir } from '../../kernfs/index.js';
import type { Kernel } from '../kernel.js';
import type { Process } from '../sched/process.js';
import type { TimerHandle } from '../time/clock.js';

export const MAX_SAMPLES = 3600;
export const PLACEMENT_HEADER = '# time_ms pid pages toptier_pages access_toptier hot_pages hot_toptier cold_toptier migrated_per_s\n';
export const NODES_HEADER = '# time_ms nid toptier pages access_share promote_per_s demote_per_s\n';
const DEMOTE_EVENTS = ['pgdemote_kswapd', 'pgdemote_direct', 'pgdemote_khugepaged', 'pgdemote_proactive'];

interface Sample {
  readonly procs: Array<{ pid: number; line: string }>;
  readonly nodes: string;
}

/** Fraction with 4 decimals, "-" when undefined (no pages of that kind). */
function frac(num: number, den: number): string {
  return den > 0 ? (Math.max(0, num) / den).toFixed(4) : '-'; // float drift of a node's emptied weight must not print -0.0000
}

export class PlacementTruth {
  intervalMs = 1000;
  private readonly samples: Sample[] = [];
  private timer: TimerHandle | undefined;
  private lastNs = 0;
  private readonly lastPromote = new Map<number, number>();
  private readonly lastDemote = new Map<number, number>();
  private readonly lastMigrated = new Map<number, number>();

  constructor(private readonly k: Kernel) {
    k.tasks.mmHooks.push({ enter: () => this.arm(), exit: () => undefined });
  }

  /** Sample every interval while some process lives; a new process restarts it. */
  arm(): void {
    if (this.timer || this.intervalMs === 0) return;
    const ns = this.intervalMs * 1e6;
    const at = (Math.floor(this.k.clock.nowNs / ns) + 1) * ns;
    this.timer = this.k.clock.schedule(at, () => {
      this.timer = undefined;
      this.sample();
      if (this.k.tasks.list().some((p) => p.alive)) this.arm();
    });
  }

  setInterval(ms: number): void {
    this.intervalMs = ms;
    this.timer?.cancel();
    this.timer = undefined;
    if (this.k.tasks.list().some((p) => p.alive)) this.arm();
  }

  private sample(): void {
    const k = this.k;
    const now = k.clock.nowNs;
    const dt = (now - this.lastNs) / 1e9 || 1;
    this.lastNs = now;
    const nb = k.numab;
    nb.refreshTiersNow();
    const t = Math.round(now / 1e6);
    const nodeIds = k.config.nodes.map((n) => n.id);
    const nodePages = new Map<number, number>(nodeIds.map((n) => [n, 0]));
    const nodeAccess = new Map<number, number>(nodeIds.map((n) => [n, 0]));
    let totalAccess = 0;
    const procs: Sample['procs'] = [];
    for (const p of k.tasks.list()) {
      if (!p.alive) continue;
      procs.push({ pid: p.pid, line: this.processLine(p, t, dt, nodePages, nodeAccess) });
      totalAccess += p.runningRate; // a sample that lands in a stall still splits the workload's accesses
    }
    let nodes = '';
    for (const nid of nodeIds) {
      const promote = k.vm.node(nid, 'pgpromote_success');
      let demote = 0;
      for (const e of DEMOTE_EVENTS) demote += k.vm.node(nid, e);
      const pPerS = (promote - (this.lastPromote.get(nid) ?? 0)) / dt;
      const dPerS = (demote - (this.lastDemote.get(nid) ?? 0)) / dt;
      this.lastPromote.set(nid, promote);
      this.lastDemote.set(nid, demote);
      nodes += `${t} ${nid} ${nb.isTopTier(nid) ? 1 : 0} ${nodePages.get(nid)} ${frac(nodeAccess.get(nid)!, totalAccess)} ${pPerS.toFixed(1)} ${dPerS.toFixed(1)}\n`;
    }
    this.samples.push({ procs, nodes });
    if (this.samples.length > MAX_SAMPLES) this.samples.shift();
  }

  private processLine(p: Process, t: number, dt: number, nodePages: Map<number, number>, nodeAccess: Map<number, number>): string {
    const nb = this.k.numab;
    let pages = 0;
    let top = 0;
    let weight = 0;
    let topWeight = 0;
    let hot = 0;
    let hotTop = 0;
    for (const vma of p.mm.vmas) {
      vma.nodePages.forEach((n, nid) => {
        const w = vma.nodeWeight[nid]!;
        const h = vma.nodeHotPages[nid]!;
        pages += n;
        weight += w;
        hot += h;
        nodePages.set(nid, (nodePages.get(nid) ?? 0) + n);
        if (nb.isTopTier(nid)) {
          top += n;
          topWeight += w;
          hotTop += h;
        }
      });
    }
    // This process's accesses per ns, split by node in proportion to the weight there.
    for (const vma of p.mm.vmas) vma.nodeWeight.forEach((w, nid) => nodeAccess.set(nid, (nodeAccess.get(nid) ?? 0) + (weight > 0 ? (p.runningRate * w) / weight : 0)));
    const migrated = nb.task(p.pid)?.pagesMigrated ?? 0;
    const mPerS = (migrated - (this.lastMigrated.get(p.pid) ?? 0)) / dt;
    this.lastMigrated.set(p.pid, migrated);
    return `${t} ${p.pid} ${pages} ${top} ${frac(topWeight, weight)} ${hot} ${frac(hotTop, hot)} ${frac(top - hotTop, pages - hot)} ${mPerS.toFixed(1)}\n`;
  }

  /** sim/truth/placement, or one process's lines. */
  placement(pid?: number): string {
    let out = PLACEMENT_HEADER;
    for (const s of this.samples) for (const r of s.procs) if (pid === undefined || r.pid === pid) out += r.line;
    return out;
  }

  nodes(): string {
    let out = NODES_HEADER;
    for (const s of this.samples) out += s.nodes;
    return out;
  }
}

const truths = new WeakMap<Kernel, PlacementTruth>();

/** The kernel's placement sampler (registered with sim/truth). */
export function placementTruth(k: Kernel): PlacementTruth | undefined {
  return truths.get(k);
}

/** The placement files in sim/truth. */
export function registerPlacementFiles(k: Kernel, dir: StaticDir): PlacementTruth {
  const truth = new PlacementTruth(k);
  truths.set(k, truth);
  dir.set('placement', debugfsFile({ mode: 0o444, show: () => truth.placement() }));
  dir.set('nodes', debugfsFile({ mode: 0o444, show: () => truth.nodes() }));
  dir.set('interval_ms', attr({
    mode: 0o644,
    show: () => `${truth.intervalMs}\n`,
    store: (input) => {
      const t = input.trim();
      if (!/^\d+$/.test(t) || Number(t) > 3_600_000) throw EINVAL; // a whole number of ms, at most an hour; 0 stops sampling
      truth.setInterval(Number(t));
    },
  }));
  return truth;
}
