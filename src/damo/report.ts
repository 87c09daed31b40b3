// `damo report raw | wss | nr_regions | heats` over a record file (damo's bin2txt.py, wss.py,
// nr_regions.py, heats.py, and the v1.x damo_heats.py options): the same output lines, binned and
// sorted as damo does, and the figures damo drew with gnuplot (src/plot draws them here).
import { readFileSync } from 'node:fs';
import type { HeatmapInput } from '../plot/heatmap.js';
import type { LineChartInput } from '../plot/lines.js';
import { formatBytes, formatDurationNs, hex } from '../plot/units.js';
import { DamoError } from './damon.js';
import { formatTargetId, parseRecord, type DamonRecord, type RecordSnapshot } from './recfile.js';

export function loadRecord(file: string): DamonRecord {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (err) {
    throw new DamoError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; record one with 'damo record'`);
  }
  try {
    return parseRecord(data);
  } catch (err) {
    throw new DamoError(`${file}: ${(err as Error).message}`);
  }
}

const hex12 = (n: number) => n.toString(16).padStart(12, '0');

/** How damo names a target: paddr's ids (-1 as written by the kernel, 42 in damo's probes) or a pid. */
export function targetLabel(id: string): string {
  return id === '-1' || id === '42' ? `${id} (paddr)` : `${id} (pid)`;
}

/** bin2txt: every snapshot, every region. */
export function reportRaw(rec: DamonRecord): string {
  const first = rec.snapshots[0];
  if (!first) return '';
  let out = `start_time: ${first.timeNs}\n`;
  for (const s of rec.snapshots) {
    out += `rel time: ${s.timeNs - first.timeNs}\n`;
    out += `nr_tasks: ${s.targets.length}\n`;
    for (const t of s.targets) {
      out += `target_id: ${formatTargetId(t.id)}\n`;
      out += `nr_regions: ${t.regions.length}\n`;
      for (const r of t.regions) out += `${hex12(r.start)}-${hex12(r.end)}(${String(r.end - r.start).padStart(10)}):\t${r.nrAccesses}\n`;
    }
    out += '\n';
  }
  return out;
}

export interface DistOptions {
  /** Percentiles as Python's range(START, STOP, STEP) (damo's --range; default 0 101 25). */
  range: [number, number, number];
  sortby: 'size' | 'time';
  /** Snapshots skipped at the start (warm-up; damo's nr_regions always skips 20). */
  excludeSamples: number;
  accThres: number;
  szThres: number;
}

/** Python's range(start, stop, step). */
export function pyRange(start: number, stop: number, step: number): number[] {
  if (step === 0) throw new DamoError('--range STEP must not be zero');
  const out: number[] = [];
  for (let v = start; step > 0 ? v < stop : v > stop; v += step) out.push(v);
  return out;
}

export interface Distribution {
  readonly id: string;
  readonly values: number[];
  readonly average: number;
  readonly points: Array<[number, number]>;
}

/** Per target: one value per snapshot (wss bytes or nr_regions), sorted unless by time. */
function distributions(rec: DamonRecord, what: 'wss' | 'nr_regions', o: DistOptions): Distribution[] {
  const exclude = Math.min(o.excludeSamples, Math.max(0, rec.snapshots.length - 1));
  const perTarget = new Map<string, number[]>();
  rec.snapshots.forEach((s, i) => {
    if (i < exclude) return;
    for (const t of s.targets) {
      const v = what === 'wss' ? t.regions.reduce((sum, r) => (r.nrAccesses >= o.accThres && r.end - r.start >= o.szThres ? sum + r.end - r.start : sum), 0) : t.regions.length;
      const id = formatTargetId(t.id);
      const list = perTarget.get(id);
      if (list) list.push(v);
      else perTarget.set(id, [v]);
    }
  });
  const percentiles = pyRange(...o.range);
  return [...perTarget].map(([id, list]) => {
    const values = o.sortby === 'size' ? [...list].sort((a, b) => a - b) : list;
    // damo: idx = int(percentile / 100.0 * len), the last one for 100.
    const at = (p: number) => values[Math.max(0, Math.min(values.length - 1, Math.trunc((p / 100) * values.length)))] ?? 0;
    return { id, values, average: Math.floor(list.reduce((a, b) => a + b, 0) / Math.max(1, list.length)), points: percentiles.map((p) => [p, at(p)] as [number, number]) };
  });
}

function distText(dists: Distribution[], header: string): string {
  let out = `# <percentile> <${header}>\n`;
  for (const d of dists) {
    out += `# target_id\t${d.id}\n# avr:\t${d.average}\n`;
    for (const [p, v] of d.points) out += `${p}\t${v}\n`;
  }
  return out;
}

export const wssDistributions = (rec: DamonRecord, o: DistOptions) => distributions(rec, 'wss', o);
export const nrRegionsDistributions = (rec: DamonRecord, o: DistOptions) => distributions(rec, 'nr_regions', o);
export const reportWss = (rec: DamonRecord, o: DistOptions) => distText(wssDistributions(rec, o), 'wss');
export const reportNrRegions = (rec: DamonRecord, o: DistOptions) => distText(nrRegionsDistributions(rec, o), '# regions');

/** The figure of a distribution: percentile (or runtime share) × value, one line per target. */
export function distFigure(what: 'wss' | 'nr_regions', dists: Distribution[], o: DistOptions, input: string): LineChartInput {
  const wss = what === 'wss';
  const conditions = wss ? [`regions with nr_accesses ≥ ${o.accThres} and size ≥ ${formatBytes(o.szThres)}`] : [];
  return {
    title: wss ? 'Working set size distribution' : 'Number of monitoring regions',
    subtitle: [
      `${input}: target ${dists.map((d) => targetLabel(d.id)).join(', ')}; ${o.sortby === 'size' ? 'sorted by size' : 'in time order'}; first ${o.excludeSamples} snapshots excluded`,
      ...conditions,
    ],
    xTitle: o.sortby === 'size' ? 'percentile' : 'runtime (percent)',
    yTitle: wss ? 'working set size' : 'number of monitoring target regions',
    yBytes: wss,
    series: dists.map((d) => ({ name: `target ${d.id}`, points: d.points })),
  };
}

export interface HeatsOptions {
  tid?: string;
  tres: number;
  ares: number;
  tmin?: number;
  tmax?: number;
  amin?: number;
  amax?: number;
  /** Print (and draw) absolute time / addresses instead of offsets from the range start (damo's --abs_time, --abs_addr). */
  absTime: boolean;
  absAddr: boolean;
  guide: boolean;
}

/** Regions of a target in every snapshot, and the span of time it covers. */
function targetSeries(rec: DamonRecord, id: string) {
  const snaps = rec.snapshots.map((s) => ({ timeNs: s.timeNs, t: s.targets.find((t) => formatTargetId(t.id) === id) })).filter((x) => x.t !== undefined);
  return snaps as Array<{ timeNs: number; t: RecordSnapshot['targets'][number] }>;
}

/**
 * Address ranges the target's snapshots cover, split at the gaps common to all (the union of
 * every snapshot's regions). Starts and ends are swept as two sorted typed arrays: a record of
 * 10^5+ regions makes no garbage here.
 */
function commonRegions(series: ReturnType<typeof targetSeries>): Array<[number, number]> {
  const n = series.reduce((sum, s) => sum + s.t.regions.length, 0);
  const starts = new Float64Array(n);
  const ends = new Float64Array(n);
  let k = 0;
  for (const s of series) {
    for (const r of s.t.regions) {
      starts[k] = r.start;
      ends[k++] = r.end;
    }
  }
  starts.sort();
  ends.sort();
  const out: Array<[number, number]> = [];
  let depth = 0;
  let start = 0;
  // At equal addresses an end comes first, so touching regions join across the sweep.
  for (let i = 0, j = 0; j < n; ) {
    if (i < n && starts[i]! < ends[j]!) {
      if (depth++ === 0) start = starts[i]!;
      i++;
    } else {
      if (--depth === 0) {
        const prev = out[out.length - 1];
        if (prev && prev[1] === start) prev[1] = ends[j]!;
        else out.push([start, ends[j]!]);
      }
      j++;
    }
  }
  return out;
}

function targetIds(rec: DamonRecord): string[] {
  const ids = [...new Set(rec.snapshots.flatMap((s) => s.targets.map((t) => formatTargetId(t.id))))];
  if (ids.length === 0) throw new DamoError('the record has no snapshots');
  return ids;
}

/** heats --guide: each target's time span and the address ranges it covers. */
export function reportHeatsGuide(rec: DamonRecord): string {
  let out = '';
  for (const id of targetIds(rec)) {
    const series = targetSeries(rec, id);
    const t0 = series[0]!.timeNs;
    const t1 = series[series.length - 1]!.timeNs;
    out += `target_id:${id}\n`;
    out += `time: ${t0}-${t1} (${t1 - t0})\n`;
    commonRegions(series).forEach(([a, b], i) => (out += `region\t${i}: 0x${hex12(a)}-0x${hex12(b)} (${b - a})\n`));
  }
  return out;
}

/** The heat grid as damo bins it. */
export interface HeatGrid {
  readonly id: string;
  readonly tmin: number;
  /** tmin + tunit × tres: damo shrinks the range to whole cells. */
  readonly tmax: number;
  readonly amin: number;
  readonly amax: number;
  readonly tunit: number;
  readonly aunit: number;
  readonly tres: number;
  readonly ares: number;
  /** heat[t * ares + a]: nr_accesses averaged over the cell's time × address area. */
  readonly heat: Float64Array;
}

/**
 * Bin a target's snapshots into tres × ares cells as damo's heats does: integer cell sizes
 * (range // resolution, the range shrunk to whole cells), snapshot i covering (t[i-1], t[i]],
 * each cell the time·space-weighted mean of the nr_accesses over it. Defaults: the target with
 * the most address space, its whole time span, its largest contiguous region.
 */
export function heatGrid(rec: DamonRecord, o: HeatsOptions): HeatGrid {
  const ids = targetIds(rec);
  let id = o.tid;
  if (id === undefined) {
    const space = ids.map((x) => commonRegions(targetSeries(rec, x)).reduce((s, [a, b]) => s + b - a, 0));
    id = ids[space.indexOf(Math.max(...space))]!; // the first of the largest, as damo's stable sort
  }
  const series = targetSeries(rec, id);
  if (series.length === 0) throw new DamoError(`no snapshot of target ${id} in the record (targets: ${ids.join(', ')})`);
  if (series.length < 2) throw new DamoError(`target ${id} needs at least two snapshots for a heatmap`);
  const largest = o.amin === undefined || o.amax === undefined ? commonRegions(series).reduce((a, b) => (b[1] - b[0] > a[1] - a[0] ? b : a)) : [0, 0];
  const tmin = o.tmin ?? series[0]!.timeNs;
  const amin = o.amin ?? largest[0]!;
  const tunit = Math.floor(((o.tmax ?? series[series.length - 1]!.timeNs) - tmin) / o.tres);
  const aunit = Math.floor(((o.amax ?? largest[1]!) - amin) / o.ares);
  if (!(tunit >= 1)) throw new DamoError(`the time range is shorter than --tres ${o.tres} ns`);
  if (!(aunit >= 1)) throw new DamoError(`the address range is smaller than --ares ${o.ares} bytes`);
  const tmax = tmin + tunit * o.tres;
  const amax = amin + aunit * o.ares;
  const heat = new Float64Array(o.tres * o.ares);
  for (let i = 1; i < series.length; i++) {
    const ts = Math.max(tmin, series[i - 1]!.timeNs);
    const te = Math.min(tmax, series[i]!.timeNs);
    if (te <= ts) continue;
    for (let c = Math.floor((ts - tmin) / tunit); c <= Math.floor((te - 1 - tmin) / tunit); c++) {
      const tOver = Math.min(te, tmin + (c + 1) * tunit) - Math.max(ts, tmin + c * tunit);
      for (const r of series[i]!.t.regions) {
        const rs = Math.max(amin, r.start);
        const re = Math.min(amax, r.end);
        if (re <= rs || r.nrAccesses === 0) continue;
        for (let a = Math.floor((rs - amin) / aunit); a <= Math.floor((re - 1 - amin) / aunit); a++) {
          const aOver = Math.min(re, amin + (a + 1) * aunit) - Math.max(rs, amin + a * aunit);
          heat[c * o.ares + a]! += (r.nrAccesses * tOver * aOver) / (tunit * aunit);
        }
      }
    }
  }
  return { id, tmin, tmax, amin, amax, tunit, aunit, tres: o.tres, ares: o.ares, heat };
}

/** A float as Python's str() prints it (damo prints the heat that way). */
const pyFloat = (v: number) => (Number.isInteger(v) ? `${v}.0` : String(v));

/** heats' text: `<time> <address> <heat>` per cell, offsets from the range start unless absolute. */
export function reportHeats(rec: DamonRecord, o: HeatsOptions): string {
  if (o.guide) return reportHeatsGuide(rec);
  const g = heatGrid(rec, o);
  const lines: string[] = [];
  for (let c = 0; c < g.tres; c++) {
    const time = c * g.tunit + (o.absTime ? g.tmin : 0);
    for (let a = 0; a < g.ares; a++) lines.push(`${time}\t${a * g.aunit + (o.absAddr ? g.amin : 0)}\t${pyFloat(g.heat[c * g.ares + a]!)}`);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** A NUMA node's System RAM run, for marking node and tier boundaries on a paddr heatmap. */
export interface NodeRun {
  readonly start: number;
  readonly end: number;
  readonly nid: number;
  readonly tier?: number;
}

export function isPaddrTarget(id: string): boolean {
  return id === '-1' || id === '42';
}

/** The heatmap figure of a grid: title with target and time span, node bands for paddr. */
export function heatmapFigure(g: HeatGrid, o: HeatsOptions, input: string, nodes: readonly NodeRun[] = []): HeatmapInput {
  const t0 = o.absTime ? g.tmin / 1e9 : 0;
  const shift = o.absAddr ? 0 : g.amin;
  const runs = isPaddrTarget(g.id) ? nodes : [];
  const bands: Array<{ start: number; end: number; label: string; newTier: boolean }> = [];
  const holes: Array<{ start: number; end: number }> = [];
  runs.forEach((n, i) => {
    const prev = runs[i - 1];
    if (prev && prev.end < n.start) holes.push({ start: prev.end - shift, end: n.start - shift });
    const band = bands[bands.length - 1];
    // One band per node across its holes (node 0 around the PCI gap).
    if (band && prev?.nid === n.nid) band.end = n.end - shift;
    else bands.push({ start: n.start - shift, end: n.end - shift, label: `node${n.nid}${n.tier === undefined ? '' : ` · tier ${n.tier}`}`, newTier: prev !== undefined && n.tier !== prev.tier });
  });
  return {
    heat: g.heat,
    tres: g.tres,
    ares: g.ares,
    timeS: [t0, t0 + (g.tmax - g.tmin) / 1e9],
    timeTitle: o.absTime ? 'Time since boot (s)' : 'Time (s)',
    addr: [g.amin - shift, g.amax - shift],
    absoluteAddr: o.absAddr,
    addrOrigin: g.amin,
    addrKind: isPaddrTarget(g.id) ? 'physical' : 'virtual',
    bands,
    holes,
    title: `Access heatmap of target ${targetLabel(g.id)} over ${formatDurationNs(g.tmax - g.tmin)}`,
    subtitle: [
      `${input}: time ${formatDurationNs(g.tmin)}–${formatDurationNs(g.tmax)} since boot, addresses ${hex(g.amin)}–${hex(g.amax)} (${formatBytes(g.amax - g.amin)})`,
      `${g.tres}×${g.ares} cells of ${formatDurationNs(g.tunit)} × ${formatBytes(g.aunit)}`,
    ],
    colorTitle: ['access frequency', '(nr_accesses)'],
  };
}
