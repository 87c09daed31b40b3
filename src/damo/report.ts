// `damo report raw | wss | nr_regions | heats` over a record file (damo's bin2txt.py, wss.py,
// nr_regions.py, heats.py): the same output lines, computed from the parsed snapshots.
import { readFileSync } from 'node:fs';
import { DamoError } from './damon.js';
import { formatTargetId, parseRecord, type DamonRecord, type RecordSnapshot } from './recfile.js';
import { writeHeatmap, writePlot } from './plot.js';

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
  /** Percentiles to print (default 0 25 50 75 100). */
  range: [number, number, number];
  sortby: 'size' | 'time';
  /** Snapshots skipped at the start (warm-up). */
  excludeSamples: number;
  accThres: number;
  szThres: number;
  plot?: string;
}

/** Per target: one value per snapshot (wss bytes or nr_regions). */
function perTarget(rec: DamonRecord, value: (t: RecordSnapshot['targets'][number]) => number, exclude: number): Map<string, number[]> {
  const out = new Map<string, number[]>();
  rec.snapshots.forEach((s, i) => {
    if (i < exclude) return;
    for (const t of s.targets) {
      const id = formatTargetId(t.id);
      const list = out.get(id) ?? [];
      list.push(value(t));
      out.set(id, list);
    }
  });
  return out;
}

function distribution(rec: DamonRecord, what: 'wss' | 'nr_regions', o: DistOptions): string {
  const exclude = Math.min(o.excludeSamples, Math.max(0, rec.snapshots.length - 1));
  const values =
    what === 'wss'
      ? perTarget(rec, (t) => t.regions.reduce((sum, r) => (r.nrAccesses >= o.accThres && r.end - r.start >= o.szThres ? sum + r.end - r.start : sum), 0), exclude)
      : perTarget(rec, (t) => t.regions.length, exclude);
  let out = `# <percentile> <${what}>\n`;
  const [from, to, step] = o.range;
  for (const [id, list] of values) {
    const sorted = o.sortby === 'size' ? [...list].sort((a, b) => a - b) : list;
    out += `# target_id\t${id}\n`;
    out += `# avr:\t${Math.floor(list.reduce((a, b) => a + b, 0) / Math.max(1, list.length))}\n`;
    const points: Array<[number, number]> = [];
    for (let p = from; p <= to; p += step) {
      const idx = Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100));
      const v = sorted[Math.max(0, idx)] ?? 0;
      points.push([p, v]);
      out += `${p}\t${v}\n`;
    }
    if (o.plot) writePlot(o.plot, points, `${what} of target ${id} by percentile`);
  }
  return out;
}

export const reportWss = (rec: DamonRecord, o: DistOptions) => distribution(rec, 'wss', o);
export const reportNrRegions = (rec: DamonRecord, o: DistOptions) => distribution(rec, 'nr_regions', o);

export interface HeatsOptions {
  tid?: string;
  tres: number;
  ares: number;
  tmin?: number;
  tmax?: number;
  amin?: number;
  amax?: number;
  guide: boolean;
  heatmap?: string;
}

/** Regions of a target in every snapshot, and the span of time it covers. */
function targetSeries(rec: DamonRecord, id: string) {
  const snaps = rec.snapshots.map((s) => ({ timeNs: s.timeNs, t: s.targets.find((t) => formatTargetId(t.id) === id) })).filter((x) => x.t !== undefined);
  return snaps as Array<{ timeNs: number; t: RecordSnapshot['targets'][number] }>;
}

/** Address ranges every snapshot of the target covers, split at the gaps common to all. */
function commonRegions(series: ReturnType<typeof targetSeries>): Array<[number, number]> {
  const events: Array<[number, number]> = [];
  for (const s of series) for (const r of s.t.regions) events.push([r.start, +1], [r.end, -1]);
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: Array<[number, number]> = [];
  let depth = 0;
  let start = 0;
  for (const [at, d] of events) {
    if (depth === 0 && d > 0) start = at;
    depth += d;
    if (depth === 0) {
      const prev = out[out.length - 1];
      if (prev && prev[1] === start) prev[1] = at;
      else out.push([start, at]);
    }
  }
  return out;
}

export function reportHeats(rec: DamonRecord, o: HeatsOptions): string {
  const ids = [...new Set(rec.snapshots.flatMap((s) => s.targets.map((t) => formatTargetId(t.id))))];
  if (ids.length === 0) throw new DamoError('the record has no snapshots');
  if (o.guide) {
    let out = '';
    for (const id of ids) {
      const series = targetSeries(rec, id);
      const t0 = series[0]!.timeNs;
      const t1 = series[series.length - 1]!.timeNs;
      out += `target_id:${id}\n`;
      out += `time: ${t0}-${t1} (${t1 - t0})\n`;
      commonRegions(series).forEach(([a, b], i) => (out += `region\t${i}: 0x${hex12(a)}-0x${hex12(b)} (${b - a})\n`));
    }
    return out;
  }
  // Default: the target with the most address space, its whole time span, its largest region.
  const id =
    o.tid ??
    ids.reduce((best, cur) => {
      const space = (x: string) => commonRegions(targetSeries(rec, x)).reduce((s, [a, b]) => s + b - a, 0);
      return space(cur) > space(best) ? cur : best;
    });
  const series = targetSeries(rec, id);
  if (series.length < 2) throw new DamoError(`target ${id} needs at least two snapshots for a heatmap`);
  const regions = commonRegions(series);
  const largest = regions.reduce((a, b) => (b[1] - b[0] > a[1] - a[0] ? b : a));
  const tmin = o.tmin ?? series[0]!.timeNs;
  const tmax = o.tmax ?? series[series.length - 1]!.timeNs;
  const amin = o.amin ?? largest[0];
  const amax = o.amax ?? largest[1];
  if (!(tmax > tmin && amax > amin)) throw new DamoError('empty time or address range');
  const tw = (tmax - tmin) / o.tres;
  const aw = (amax - amin) / o.ares;
  const grid = Array.from({ length: o.tres }, () => new Array<number>(o.ares).fill(0));
  // Snapshot i describes (t[i-1], t[i]]: its nr_accesses are spread over that time and the region.
  for (let i = 1; i < series.length; i++) {
    const ts = series[i - 1]!.timeNs;
    const te = series[i]!.timeNs;
    const c0 = Math.max(0, Math.floor((ts - tmin) / tw));
    const c1 = Math.min(o.tres - 1, Math.floor((te - tmin) / tw));
    for (let c = c0; c <= c1; c++) {
      const tOver = Math.min(te, tmin + (c + 1) * tw) - Math.max(ts, tmin + c * tw);
      if (tOver <= 0) continue;
      for (const r of series[i]!.t.regions) {
        if (r.end <= amin || r.start >= amax || r.nrAccesses === 0) continue;
        const a0 = Math.max(0, Math.floor((r.start - amin) / aw));
        const a1 = Math.min(o.ares - 1, Math.floor((r.end - 1 - amin) / aw));
        for (let a = a0; a <= a1; a++) {
          const aOver = Math.min(r.end, amin + (a + 1) * aw) - Math.max(r.start, amin + a * aw);
          if (aOver > 0) grid[c]![a]! += (r.nrAccesses * tOver * aOver) / (tw * aw);
        }
      }
    }
  }
  if (o.heatmap) writeHeatmap(o.heatmap, grid, `target ${id} access heatmap`);
  let out = '';
  for (let c = 0; c < o.tres; c++) {
    for (let a = 0; a < o.ares; a++) out += `${Math.floor(tmin + c * tw)}\t${Math.floor(amin + a * aw)}\t${grid[c]![a]!.toFixed(3)}\n`;
  }
  return out;
}
