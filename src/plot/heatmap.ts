// The access heatmap (damo report heats --heatmap): time on x, address on y (low addresses at
// the bottom, as damo's gnuplot heatmaps), colour = access frequency with a colour bar. The
// cells are one raster image (a PNG inside the SVG, one pixel per cell, drawn unsmoothed):
// 250,000 SVG rectangles took 10 s to lay out and rasterise, the image takes milliseconds.
import { encode } from 'fast-png';
import { scheme, type Spec } from 'vega';
import { BASE_CONFIG } from './style.js';
import { binaryTicks, byteUnitFor, hex } from './units.js';

/** The colour scheme of cells and colour bar (black → purple → red → yellow, as gnuplot's default palette). */
export const HEAT_SCHEME = 'inferno';

/** A run of addresses that belongs to one NUMA node, for the labels and boundary lines. */
export interface AddressBand {
  /** Bytes, in the same convention as `HeatmapInput.addr` (absolute, or offset from its start). */
  readonly start: number;
  readonly end: number;
  readonly label: string;
  /** The band starts a new memory tier (drawn solid), not only a new node (dashed). */
  readonly newTier: boolean;
}

export interface HeatmapInput {
  /** heat[t * ares + a]: time column t (0 = earliest), address row a (0 = lowest). */
  readonly heat: ArrayLike<number>;
  readonly tres: number;
  readonly ares: number;
  /** Time covered by the columns, in seconds as displayed. */
  readonly timeS: readonly [number, number];
  readonly timeTitle: string;
  /** Address range of the rows, bytes as displayed. */
  readonly addr: readonly [number, number];
  /** Absolute addresses get hex ticks; offsets get binary units (KiB..TiB). */
  readonly absoluteAddr: boolean;
  /** Offset axes say what the offset is from (the absolute start). */
  readonly addrOrigin: number;
  readonly addrKind: 'physical' | 'virtual';
  readonly bands: readonly AddressBand[];
  /** Address ranges that are no System RAM (holes between node runs), shaded grey. */
  readonly holes: ReadonlyArray<{ readonly start: number; readonly end: number }>;
  readonly title: string;
  readonly subtitle: readonly string[];
  readonly colorTitle: readonly string[];
}

const PLOT_W = 600;
const PLOT_H = 450;

/** 256 RGB entries of the heat scheme, so cells and colour bar use the same colours. */
function palette(): Uint8Array {
  const interp = scheme(HEAT_SCHEME) as (t: number) => string;
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const m = /rgb\((\d+),\s*(\d+),\s*(\d+)\)/.exec(interp(i / 255));
    if (!m) throw new Error(`unexpected colour ${interp(i / 255)} from the ${HEAT_SCHEME} scheme`);
    lut.set([Number(m[1]), Number(m[2]), Number(m[3])], i * 3);
  }
  return lut;
}

export function maxHeat(heat: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < heat.length; i++) if (heat[i]! > max) max = heat[i]!;
  return max;
}

/** The cells as a tres × ares RGB PNG (row 0 = highest address), as a data: URL. */
export function heatRaster(heat: ArrayLike<number>, tres: number, ares: number, max: number): string {
  const lut = palette();
  const data = new Uint8Array(tres * ares * 3);
  for (let t = 0; t < tres; t++) {
    for (let a = 0; a < ares; a++) {
      const k = max > 0 ? Math.round((heat[t * ares + a]! / max) * 255) * 3 : 0;
      const o = ((ares - 1 - a) * tres + t) * 3;
      data[o] = lut[k]!;
      data[o + 1] = lut[k + 1]!;
      data[o + 2] = lut[k + 2]!;
    }
  }
  const png = encode({ width: tres, height: ares, data, channels: 3, depth: 8 });
  return `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
}

/** The y axis: scale domain, tick values and labels, title. */
function addressAxis(input: HeatmapInput) {
  const [lo, hi] = input.addr;
  const kind = input.addrKind === 'physical' ? 'Physical address' : 'Virtual address';
  if (input.absoluteAddr) {
    return { factor: 1, domain: [lo, hi], values: binaryTicks(lo, hi), label: "'0x' + format(datum.value, 'x')", title: kind };
  }
  const unit = byteUnitFor((hi - lo) / 2);
  return {
    factor: unit.bytes,
    domain: [lo / unit.bytes, hi / unit.bytes],
    values: undefined,
    label: "format(datum.value, '~g')",
    title: `${kind} − ${hex(input.addrOrigin)} (${unit.name})`,
  };
}

export function heatmapSpec(input: HeatmapInput): Spec {
  const max = maxHeat(input.heat);
  const y = addressAxis(input);
  const [lo, hi] = input.addr;
  const bands = input.bands
    .map((b) => ({ ...b, start: Math.max(lo, b.start), end: Math.min(hi, b.end) }))
    .filter((b) => b.start < b.end)
    .map((b) => ({ y0: b.start / y.factor, label: b.label, boundary: b.start > lo, newTier: b.newTier }));
  const holes = input.holes
    .map((h) => ({ y0: Math.max(lo, h.start) / y.factor, y1: Math.min(hi, h.end) / y.factor }))
    .filter((h) => h.y0 < h.y1);
  return {
    width: PLOT_W,
    height: PLOT_H,
    padding: 12,
    autosize: { type: 'pad' },
    config: BASE_CONFIG,
    title: { text: input.title, subtitle: [...input.subtitle] },
    data: [
      { name: 'bands', values: bands },
      { name: 'holes', values: holes },
    ],
    scales: [
      { name: 'x', type: 'linear', domain: [...input.timeS], range: 'width', zero: false, nice: false },
      { name: 'y', type: 'linear', domain: y.domain, range: 'height', zero: false, nice: false },
      { name: 'color', type: 'linear', domain: [0, max > 0 ? max : 1], range: { scheme: HEAT_SCHEME }, zero: true, nice: false },
    ],
    axes: [
      { orient: 'bottom', scale: 'x', title: input.timeTitle, tickCount: 10, labelFlush: true },
      {
        orient: 'left',
        scale: 'y',
        title: y.title,
        ...(y.values ? { values: y.values } : { tickCount: 8 }),
        encode: { labels: { update: { text: { signal: y.label } } } },
      },
    ],
    legends: [{ fill: 'color', type: 'gradient', title: [...input.colorTitle], gradientLength: PLOT_H - 60, direction: 'vertical', tickCount: 6 }],
    marks: [
      {
        type: 'image',
        name: 'cells',
        encode: {
          enter: {
            x: { value: 0 },
            y: { value: 0 },
            width: { signal: 'width' },
            height: { signal: 'height' },
            url: { value: heatRaster(input.heat, input.tres, input.ares, max) },
            aspect: { value: false },
            smooth: { value: false },
          },
        },
      },
      {
        type: 'rect',
        name: 'hole_shading',
        from: { data: 'holes' },
        encode: {
          enter: {
            x: { value: 0 },
            x2: { signal: 'width' },
            y: { scale: 'y', field: 'y1' },
            y2: { scale: 'y', field: 'y0' },
            fill: { value: '#9e9e9e' },
            fillOpacity: { value: 0.45 },
          },
        },
      },
      {
        type: 'text',
        name: 'hole_labels',
        from: { data: 'holes' },
        encode: {
          enter: {
            x: { signal: 'width', offset: -6 },
            y: { scale: 'y', signal: '(datum.y0 + datum.y1) / 2' },
            text: { value: 'no System RAM' },
            align: { value: 'right' },
            baseline: { value: 'middle' },
            fill: { value: '#e0e0e0' },
            fontSize: { value: 11 },
          },
        },
      },
      {
        type: 'rule',
        name: 'node_boundaries',
        from: { data: 'bands' },
        encode: {
          enter: {
            x: { value: 0 },
            x2: { signal: 'width' },
            y: { scale: 'y', field: 'y0' },
            stroke: { value: '#00e5ff' },
            strokeWidth: { value: 1 },
            strokeDash: { signal: 'datum.newTier ? [] : [6, 4]' },
            opacity: { signal: 'datum.boundary ? 1 : 0' },
          },
        },
      },
      {
        type: 'text',
        name: 'node_labels',
        from: { data: 'bands' },
        encode: {
          enter: {
            x: { value: 6 },
            y: { scale: 'y', field: 'y0', offset: -5 },
            text: { field: 'label' },
            fill: { value: '#00e5ff' },
            fontSize: { value: 12 },
            fontWeight: { value: 'bold' },
            baseline: { value: 'bottom' },
          },
        },
      },
    ],
  };
}
