// The figures as specs and as images: axes titled with units, tick labels, a colour bar or
// legend, the cells as damo bins them, node boundaries on paddr heatmaps; PNG files are real
// PNGs whose text was drawn with the DejaVu font the renderer loads from its file.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { scheme, type Spec } from 'vega';
import { describe, expect, it } from 'vitest';
import { distFigure, heatGrid, heatmapFigure, wssDistributions, type HeatsOptions } from '../../../src/damo/report.js';
import { parseRecord } from '../../../src/damo/recfile.js';
import { HEAT_SCHEME, heatmapSpec } from '../../../src/plot/heatmap.js';
import { lineChartSpec, timelineSpec } from '../../../src/plot/lines.js';
import { PlotError, imageFormatOf, renderSvg, renderToFile, svgToPng } from '../../../src/plot/render.js';
import { binaryTicks, formatBytes, formatDurationNs } from '../../../src/plot/units.js';

/** A v2 record: one paddr target (id ULONG_MAX) over 0x1000-0x10000, three snapshots 100 ms apart. */
function record(): Buffer {
  const parts: Buffer[] = [Buffer.concat([Buffer.from('damon_recfmt_ver', 'latin1'), Buffer.from([2, 0, 0, 0])])];
  const snaps: Array<[number, Array<[number, number, number]>]> = [
    [1.0e9, [[0x1000, 0x3000, 5], [0x3000, 0x10000, 0]]],
    [1.1e9, [[0x1000, 0x2000, 20], [0x2000, 0x10000, 1]]],
    [1.2e9, [[0x1000, 0x2000, 18], [0x2000, 0x8000, 0], [0x8000, 0x10000, 2]]],
  ];
  for (const [t, regions] of snaps) {
    const head = Buffer.alloc(20 + 12);
    head.writeBigInt64LE(BigInt(Math.floor(t / 1e9)), 0);
    head.writeBigInt64LE(BigInt(t % 1e9), 8);
    head.writeUInt32LE(1, 16);
    head.writeBigUInt64LE(2n ** 64n - 1n, 20);
    head.writeUInt32LE(regions.length, 28);
    parts.push(head);
    for (const [a, b, n] of regions) {
      const r = Buffer.alloc(20);
      r.writeBigUInt64LE(BigInt(a), 0);
      r.writeBigUInt64LE(BigInt(b), 8);
      r.writeUInt32LE(n, 16);
      parts.push(r);
    }
  }
  return Buffer.concat(parts);
}

const rec = parseRecord(record());
const heats: HeatsOptions = { tres: 2, ares: 2, guide: false, absTime: false, absAddr: false };

/** Texts of the SVG's <text> elements (each line of a multi-line one), in document order. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>(.*?)<\/text>/g)].flatMap((m) => {
    const lines = [...m[1]!.matchAll(/<tspan[^>]*>([^<]*)<\/tspan>/g)].map((t) => t[1]!);
    return (lines.length ? lines : [m[1]!]).map((t) => t.replace(/&amp;/g, '&'));
  });
}

function dataOf(spec: Spec, name: string): Array<Record<string, unknown>> {
  return (spec.data?.find((d) => d.name === name) as { values: Array<Record<string, unknown>> }).values;
}

/** The heatmap's cell raster, decoded from the image mark's data: URL. */
function cellsOf(spec: Spec) {
  const mark = spec.marks?.find((m) => m.name === 'cells') as { encode: { enter: { url: { value: string } } } };
  return decode(Buffer.from(mark.encode.enter.url.value.replace(/^data:image\/png;base64,/, ''), 'base64'));
}

/** The scheme's colour at t, as [r, g, b]. */
function schemeRgb(t: number): number[] {
  return (scheme(HEAT_SCHEME) as (t: number) => string)(t).match(/\d+/g)!.map(Number);
}

describe('heatmap spec', () => {
  const grid = heatGrid(rec, heats);
  const spec = heatmapSpec(heatmapFigure(grid, heats, 'damon.data'));

  it('axes are time in seconds and address offsets in a binary unit', () => {
    expect(spec.axes?.map((a) => a.title)).toEqual(['Time (s)', 'Physical address − 0x1000 (KiB)']);
    const y = spec.scales?.find((s) => s.name === 'y') as { domain: number[] };
    expect(y.domain).toEqual([0, 60]); // 2 × 30720 bytes = 60 KiB
  });

  it('the title names the target and the time span', () => {
    expect(spec.title).toMatchObject({ text: 'Access heatmap of target -1 (paddr) over 200 ms' });
    expect((spec.title as { subtitle: string[] }).subtitle[0]).toBe('damon.data: time 1 s–1.2 s since boot, addresses 0x1000–0x10000 (60 KiB)');
  });

  it('cells carry damo’s binning: one pixel per cell, low addresses at the bottom, colour ∝ heat', () => {
    const img = cellsOf(spec);
    expect([img.width, img.height, img.channels]).toEqual([2, 2, 3]);
    const max = Math.max(...grid.heat);
    const px = (x: number, y: number) => [...img.data.slice((y * 2 + x) * 3, (y * 2 + x) * 3 + 3)];
    // Column 0 = the first 100 ms; row 1 of the image = the low address cell.
    expect(px(0, 1)).toEqual(schemeRgb(Math.round((grid.heat[0]! / max) * 255) / 255));
    expect(px(0, 0)).toEqual(schemeRgb(Math.round((grid.heat[1]! / max) * 255) / 255));
    expect(px(1, 0)).toEqual(schemeRgb(Math.round((grid.heat[3]! / max) * 255) / 255));
    expect(grid.heat[0]).toBe(max); // the 20-access page in the first interval is the hottest cell
  });

  it('the colour bar is a gradient legend over [0, max heat] in the cells’ scheme', () => {
    expect(spec.legends).toEqual([expect.objectContaining({ fill: 'color', type: 'gradient', title: ['access frequency', '(nr_accesses)'] })]);
    expect(spec.scales?.find((s) => s.name === 'color')).toMatchObject({ domain: [0, Math.max(...grid.heat)], range: { scheme: HEAT_SCHEME } });
  });

  it('renders with tick labels, axis titles and the colour bar', async () => {
    const svg = await renderSvg(spec);
    const t = texts(svg);
    expect(t).toEqual(expect.arrayContaining(['Time (s)', '0.00', '0.20', '0', '10', '60', 'Physical address − 0x1000 (KiB)', 'access frequency', '(nr_accesses)']));
    expect(svg).toMatch(/<linearGradient/);
    expect(svg).toMatch(/<image [^>]*href="data:image\/png;base64,/);
  });

  it('--abs_addr ticks are hex at power-of-two steps; --abs_time counts from boot', async () => {
    const o = { ...heats, absAddr: true, absTime: true };
    const svg = await renderSvg(heatmapSpec(heatmapFigure(heatGrid(rec, o), o, 'damon.data')));
    expect(texts(svg)).toEqual(expect.arrayContaining(['Time since boot (s)', 'Physical address', '0x4000', '0x8000', '0xc000', '1.10']));
    expect(binaryTicks(0x100000000, 0x900000000)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => i * 0x100000000));
  });

  it('a paddr heatmap marks node and tier boundaries and shades holes between System RAM runs', async () => {
    const nodes = [
      { start: 0x1000, end: 0x5000, nid: 0, tier: 4 },
      { start: 0x6000, end: 0x8000, nid: 0, tier: 4 }, // after a hole in node 0
      { start: 0x8000, end: 0x10000, nid: 1, tier: 22 },
    ];
    const fig = heatmapFigure(grid, heats, 'damon.data', nodes);
    expect(fig.bands).toEqual([
      { start: 0, end: 0x7000, label: 'node0 · tier 4', newTier: false },
      { start: 0x7000, end: 0xf000, label: 'node1 · tier 22', newTier: true },
    ]);
    expect(fig.holes).toEqual([{ start: 0x4000, end: 0x5000 }]);
    const s = heatmapSpec(fig);
    expect(dataOf(s, 'bands')).toEqual([
      { y0: 0, label: 'node0 · tier 4', boundary: false, newTier: false },
      { y0: 28, label: 'node1 · tier 22', boundary: true, newTier: true },
    ]);
    expect(dataOf(s, 'holes')).toEqual([{ y0: 16, y1: 20 }]);
    expect(texts(await renderSvg(s))).toEqual(expect.arrayContaining(['node0 · tier 4', 'node1 · tier 22', 'no System RAM']));
    // A vaddr target gets no node bands.
    const pid = { ...grid, id: '1234' };
    expect(heatmapFigure(pid, heats, 'x', nodes).bands).toEqual([]);
  });
});

describe('distribution and timeline specs', () => {
  const dist = { range: [0, 101, 25] as [number, number, number], sortby: 'size' as const, excludeSamples: 0, accThres: 1, szThres: 1 };

  it('wss: percentile × working set size with the size unit of the data, damo’s points as markers', async () => {
    const fig = distFigure('wss', wssDistributions(rec, dist), dist, 'damon.data');
    expect([fig.xTitle, fig.yTitle, fig.yBytes]).toEqual(['percentile', 'working set size', true]);
    const spec = lineChartSpec(fig);
    expect(dataOf(spec, 'points').map((p) => p.y)).toEqual([8, 8, 36, 60, 60]); // KiB; int(p / 100 * 3) picks 0 0 1 2 2 of 8192 36864 61440
    const t = texts(await renderSvg(spec));
    expect(t).toEqual(expect.arrayContaining(['percentile', 'working set size (KiB)', '0', '50', '100', 'Working set size distribution']));
    expect(spec.legends).toEqual([]); // one target: no legend
    expect(distFigure('wss', wssDistributions(rec, dist), { ...dist, sortby: 'time' }, 'x').xTitle).toBe('runtime (percent)');
  });

  it('several targets get one coloured line each and a legend', async () => {
    const spec = lineChartSpec({ title: 't', subtitle: [], xTitle: 'percentile', yTitle: 'number of monitoring target regions', yBytes: false, series: [{ name: 'target 1', points: [[0, 10], [100, 20]] }, { name: 'target 2', points: [[0, 5], [100, 8]] }] });
    const svg = await renderSvg(spec);
    expect(texts(svg)).toEqual(expect.arrayContaining(['target 1', 'target 2', 'number of monitoring target regions']));
    expect(svg.match(/class="mark-line role-mark"/g)).toHaveLength(2);
  });

  it('size ticks print as plain numbers in the axis unit (450, not 4.5e+2)', async () => {
    const M = 1024 ** 2;
    const spec = lineChartSpec({ title: 't', subtitle: [], xTitle: 'percentile', yTitle: 'working set size', yBytes: true, series: [{ name: 'target 1', points: [[0, 50 * M], [100, 500 * M]] }] });
    const t = texts(await renderSvg(spec));
    expect(t).toEqual(expect.arrayContaining(['working set size (MiB)', '50', '450', '500']));
    expect(t.filter((x) => /e[+-]/.test(x))).toEqual([]);
  });

  it('timeline: stacked used memory per node over a rates panel, one time axis', async () => {
    const G = 1024 ** 3;
    const spec = timelineSpec({
      title: 'tiersim stat',
      subtitle: [],
      timeTitle: 'simulated time (s)',
      memory: [
        { name: 'node0', points: [[0, 1 * G], [1, 2 * G]] },
        { name: 'node1', points: [[0, 3 * G], [1, 3 * G]] },
      ],
      rates: [{ name: 'pgpromote_success', points: [[0, 0], [1, 1500]] }],
      rateTitle: 'pages/s',
    });
    const view = await renderSvg(spec);
    expect(texts(view)).toEqual(expect.arrayContaining(['used memory (GiB)', 'pages/s', 'node0', 'node1', 'pgpromote_success', 'simulated time (s)', '1.6k', '0.5']));
    expect(view.match(/class="mark-area role-mark"/g)).toHaveLength(2);
    expect(spec.data?.[0]).toMatchObject({ transform: [{ type: 'stack', groupby: ['t'] }] });
    // Rates below 1000/s print as numbers, not milli-units (0.5, not 500m).
    const slow = timelineSpec({ title: '', subtitle: [], timeTitle: 's', memory: [], rates: [{ name: 'r', points: [[0, 0], [1, 0.8]] }], rateTitle: 'events/s' });
    const t = texts(await renderSvg(slow));
    expect(t).toEqual(expect.arrayContaining(['0.2', '0.8']));
    expect(t.filter((x) => /\dm$/.test(x))).toEqual([]);
  });
});

describe('rendering', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tiersim-fig-'));
  const spec = heatmapSpec(heatmapFigure(heatGrid(rec, heats), heats, 'damon.data'));

  it.each([['x.png', 'png'], ['x.SVG', 'svg'], ['x.pdf', PlotError], ['x', PlotError]] as const)('%s → %s', (file, want) => {
    if (typeof want === 'string') expect(imageFormatOf(file)).toBe(want);
    else expect(() => imageFormatOf(file)).toThrow(want);
  });

  it('PNG: signature and IHDR size of the drawn figure', async () => {
    const bytes = await renderToFile(spec, join(dir, 'h.png'));
    const png = readFileSync(join(dir, 'h.png'));
    expect(png.length).toBe(bytes);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
    expect(png.readUInt32BE(16)).toBeGreaterThan(600); // plot width plus axes and colour bar
    expect(png.readUInt32BE(20)).toBeGreaterThan(450);
  });

  it('SVG: a standalone document', async () => {
    await renderToFile(spec, join(dir, 'h.svg'));
    expect(readFileSync(join(dir, 'h.svg'), 'utf8')).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg".*<\/svg>$/s);
  });

  it('heatmap cells are drawn unsmoothed when scaled up (no blended colours between two cells)', async () => {
    const two = heatmapSpec({ ...heatmapFigure(heatGrid(rec, heats), heats, 'x'), heat: [0, 1, 0, 1], title: '', subtitle: [] });
    const png = decode(svgToPng(await renderSvg(two)));
    const cells = cellsOf(two);
    const colours = new Set([0, 1, 2, 3].map((i) => cells.data.slice(i * 3, i * 3 + 3).join(',')));
    // One row through the middle of the plot's left half crosses the boundary between the two time cells.
    const seen = new Set<string>();
    const plot = { x0: Math.round(png.width * 0.2), x1: Math.round(png.width * 0.6), y: Math.round(png.height * 0.3) };
    for (let x = plot.x0; x < plot.x1; x++) {
      const o = (plot.y * png.width + x) * png.channels;
      seen.add([png.data[o], png.data[o + 1], png.data[o + 2]].join(','));
    }
    expect([...seen].filter((c) => colours.has(c)).length).toBeGreaterThan(0);
    expect([...seen].every((c) => colours.has(c) || c === '255,255,255' || c.startsWith('51,51,51'))).toBe(true);
  });

  it('text is drawn with the font file loaded (dark pixels where only text is)', () => {
    const png = decode(svgToPng('<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><text x="5" y="28" font-family="sans-serif" font-size="24">Time</text></svg>'));
    let dark = 0;
    for (let i = 0; i < png.data.length; i += png.channels) if (png.data[i]! < 100) dark++;
    expect(dark).toBeGreaterThan(50);
  });

  it.each([
    [1536, '1.5 KiB'],
    [512 * 1024 ** 2, '512 MiB'],
    [100, '100 B'],
  ])('%d bytes print as %s', (b, s) => expect(formatBytes(b)).toBe(s));

  it.each([
    [2.5e9, '2.5 s'],
    [19.68e6, '19.7 ms'],
    [1500, '1.5 us'],
  ])('%d ns print as %s', (ns, s) => expect(formatDurationNs(ns)).toBe(s));
});
