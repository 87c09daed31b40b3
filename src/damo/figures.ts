// The report commands that may draw: text to stdout as damo prints it, or — with --plot or
// --heatmap — only the image, as damo (whose text then went to gnuplot instead). The chart
// modules (vega, resvg) load only when a figure is drawn.
import { imageFormatOf } from '../plot/style.js';
import type { KernelFiles } from './fs.js';
import { nodeRuns, nodeTiers } from './layout.js';
import {
  distFigure,
  heatGrid,
  heatmapFigure,
  isPaddrTarget,
  loadRecord,
  nrRegionsDistributions,
  reportHeats,
  reportNrRegions,
  reportWss,
  wssDistributions,
  type DistOptions,
  type HeatsOptions,
  type NodeRun,
} from './report.js';

export async function runReportDist(what: 'wss' | 'nr_regions', input: string, o: DistOptions, plot?: string): Promise<void> {
  if (plot) imageFormatOf(plot); // refuse an unsupported type before reading the record
  const rec = loadRecord(input);
  if (!plot) {
    process.stdout.write(what === 'wss' ? reportWss(rec, o) : reportNrRegions(rec, o));
    return;
  }
  const dists = what === 'wss' ? wssDistributions(rec, o) : nrRegionsDistributions(rec, o);
  const [{ lineChartSpec }, { renderToFile }] = await Promise.all([import('../plot/lines.js'), import('../plot/render.js')]);
  await renderToFile(lineChartSpec(distFigure(what, dists, o, input)), plot);
}

/**
 * The machine's System RAM runs by node with their memory tier, read under --root; empty when
 * the layout files are not there (a record reported away from the machine that made it).
 */
export function readNodeRuns(fs: KernelFiles): NodeRun[] {
  try {
    const tiers = nodeTiers(fs);
    return nodeRuns(fs).map((r) => ({ ...r, tier: tiers.get(r.nid) }));
  } catch {
    return [];
  }
}

export async function runReportHeats(fs: KernelFiles, input: string, o: HeatsOptions, heatmap: string | undefined, nodeBoundaries: boolean): Promise<void> {
  if (heatmap) imageFormatOf(heatmap);
  const rec = loadRecord(input);
  if (!heatmap || o.guide) {
    process.stdout.write(reportHeats(rec, o));
    return;
  }
  const grid = heatGrid(rec, o);
  const nodes = nodeBoundaries && isPaddrTarget(grid.id) ? readNodeRuns(fs) : [];
  const [{ heatmapSpec }, { renderToFile }] = await Promise.all([import('../plot/heatmap.js'), import('../plot/render.js')]);
  await renderToFile(heatmapSpec(heatmapFigure(grid, o, input, nodes)), heatmap);
}
