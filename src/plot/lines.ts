// Line figures: damo's distributions (wss and nr_regions by percentile, "linespoints" as damo's
// gnuplot plots them) and the `tiersim stat` timeline (stacked per-node memory over rates).
import type { GroupMark, Scale, Spec } from 'vega';
import { BASE_CONFIG } from './style.js';
import { byteUnitFor } from './units.js';

export interface LineSeries {
  readonly name: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
}

export interface LineChartInput {
  readonly title: string;
  readonly subtitle: readonly string[];
  readonly xTitle: string;
  /** Without a unit when `yBytes`: the unit is chosen from the data and appended. */
  readonly yTitle: string;
  readonly yBytes: boolean;
  readonly xDomain?: readonly [number, number];
  readonly series: readonly LineSeries[];
}

const W = 560;
const H = 380;

/** y values in bytes are drawn in the binary unit of their maximum; returns the factor and its name. */
export function yUnit(series: readonly LineSeries[], bytes: boolean): { factor: number; suffix: string } {
  if (!bytes) return { factor: 1, suffix: '' };
  const max = Math.max(0, ...series.flatMap((s) => s.points.map((p) => p[1])));
  const u = byteUnitFor(max);
  return { factor: u.bytes, suffix: ` (${u.name})` };
}

export function lineChartSpec(input: LineChartInput): Spec {
  const { factor, suffix } = yUnit(input.series, input.yBytes);
  const values = input.series.flatMap((s, i) => s.points.map(([x, y]) => ({ series: s.name, order: i, x, y: y / factor })));
  const many = input.series.length > 1;
  return {
    width: W,
    height: H,
    padding: 12,
    autosize: { type: 'pad' },
    config: BASE_CONFIG,
    title: { text: input.title, subtitle: [...input.subtitle] },
    data: [{ name: 'points', values }],
    scales: [
      { name: 'x', type: 'linear', domain: input.xDomain ? [...input.xDomain] : { data: 'points', field: 'x' }, range: 'width', nice: !input.xDomain, zero: false },
      { name: 'y', type: 'linear', domain: { data: 'points', field: 'y' }, range: 'height', nice: true, zero: true },
      { name: 'color', type: 'ordinal', domain: { data: 'points', field: 'series', sort: { field: 'order', op: 'min' } }, range: 'category' },
    ],
    axes: [
      { orient: 'bottom', scale: 'x', title: input.xTitle, grid: true, gridOpacity: 0.3 },
      { orient: 'left', scale: 'y', title: `${input.yTitle}${suffix}`, grid: true, gridOpacity: 0.3, encode: { labels: { update: { text: { signal: "format(datum.value, '~g')" } } } } },
    ],
    legends: many ? [{ stroke: 'color', title: 'target', symbolType: 'stroke' }] : [],
    marks: [
      {
        type: 'group',
        from: { facet: { name: 'series_points', data: 'points', groupby: 'series' } },
        marks: [
          {
            type: 'line',
            from: { data: 'series_points' },
            sort: { field: 'datum.x' },
            encode: { enter: { x: { scale: 'x', field: 'x' }, y: { scale: 'y', field: 'y' }, stroke: { scale: 'color', field: 'series' }, strokeWidth: { value: 2 } } },
          },
          {
            type: 'symbol',
            from: { data: 'series_points' },
            encode: { enter: { x: { scale: 'x', field: 'x' }, y: { scale: 'y', field: 'y' }, stroke: { scale: 'color', field: 'series' }, fill: { value: 'white' }, size: { value: 36 }, strokeWidth: { value: 1.5 } } },
          },
        ],
      },
    ],
  };
}

export interface TimelineInput {
  readonly title: string;
  readonly subtitle: readonly string[];
  readonly timeTitle: string;
  /** Used memory per node over time (bytes), stacked bottom-up in this order. */
  readonly memory: readonly LineSeries[];
  /** Events per second over time, one line each. */
  readonly rates: readonly LineSeries[];
  readonly rateTitle: string;
}

/** Two panels over one time axis: stacked used memory per node, then event rates. */
export function timelineSpec(input: TimelineInput): Spec {
  const { factor, suffix } = yUnit([{ name: 'total', points: stackTotals(input.memory) }], true);
  const mem = input.memory.flatMap((s, i) => s.points.map(([t, v]) => ({ t, node: s.name, order: i, v: v / factor })));
  const rates = input.rates.flatMap((s, i) => s.points.map(([t, v]) => ({ t, series: s.name, order: i, v })));
  const times = [...mem, ...rates].map((d) => d.t);
  const t0 = times.length ? Math.min(...times) : 0;
  const t1 = times.length ? Math.max(...times) : 1;
  const panel = (name: string, title: string, marks: GroupMark['marks'], yScale: Scale, colorDomain: string, legendTitle: string, legendKind: 'fill' | 'stroke'): GroupMark => ({
    type: 'group',
    name,
    encode: { update: { width: { value: W }, height: { value: 220 } } },
    title: { text: title, anchor: 'start', fontSize: 12, font: BASE_CONFIG.text?.font as string, fontWeight: 'normal' },
    scales: [
      yScale,
      { name: 'color', type: 'ordinal', domain: { data: colorDomain, field: legendKind === 'fill' ? 'node' : 'series', sort: { field: 'order', op: 'min' } }, range: 'category' },
    ],
    axes: [
      { orient: 'bottom', scale: 'x', title: input.timeTitle, grid: true, gridOpacity: 0.3 },
      { orient: 'left', scale: 'y', title: name === 'memory_panel' ? `used memory${suffix}` : input.rateTitle, grid: true, gridOpacity: 0.3, encode: { labels: { update: { text: { signal: name === 'memory_panel' ? "format(datum.value, '~g')" : "abs(datum.value) >= 1000 ? format(datum.value, '~s') : format(datum.value, '~g')" } } } } },
    ],
    legends: [{ [legendKind]: 'color', title: legendTitle, orient: 'right', ...(legendKind === 'stroke' ? { symbolType: 'stroke' } : { symbolType: 'square' }) }],
    marks,
  });
  return {
    padding: 12,
    autosize: { type: 'pad' },
    config: BASE_CONFIG,
    title: { text: input.title, subtitle: [...input.subtitle] },
    layout: { columns: 1, padding: 24, bounds: 'full', align: 'each' },
    data: [
      { name: 'mem', values: mem, transform: [{ type: 'stack', groupby: ['t'], sort: { field: 'order' }, field: 'v' }] },
      { name: 'rates', values: rates },
    ],
    scales: [{ name: 'x', type: 'linear', domain: [t0, t1 > t0 ? t1 : t0 + 1], range: [0, W], zero: false, nice: false }],
    marks: [
      panel(
        'memory_panel',
        'Memory used per node (stacked)',
        [
          {
            type: 'group',
            from: { facet: { name: 'node_mem', data: 'mem', groupby: 'node' } },
            marks: [
              {
                type: 'area',
                from: { data: 'node_mem' },
                sort: { field: 'datum.t' },
                encode: { enter: { x: { scale: 'x', field: 't' }, y: { scale: 'y', field: 'y0' }, y2: { scale: 'y', field: 'y1' }, fill: { scale: 'color', field: 'node' }, fillOpacity: { value: 0.85 } } },
              },
            ],
          },
        ],
        { name: 'y', type: 'linear', domain: { data: 'mem', field: 'y1' }, range: [220, 0], nice: true, zero: true },
        'mem',
        'node',
        'fill',
      ),
      panel(
        'rates_panel',
        'Pages moved, hint faults and samples per second',
        [
          {
            type: 'group',
            from: { facet: { name: 'series_rates', data: 'rates', groupby: 'series' } },
            marks: [
              {
                type: 'line',
                from: { data: 'series_rates' },
                sort: { field: 'datum.t' },
                encode: { enter: { x: { scale: 'x', field: 't' }, y: { scale: 'y', field: 'v' }, stroke: { scale: 'color', field: 'series' }, strokeWidth: { value: 1.8 } } },
              },
            ],
          },
        ],
        { name: 'y', type: 'linear', domain: { data: 'rates', field: 'v' }, range: [220, 0], nice: true, zero: true },
        'rates',
        'counter',
        'stroke',
      ),
    ],
  };
}

/** Per time point, the sum over series (for the memory panel's unit). */
function stackTotals(series: readonly LineSeries[]): Array<[number, number]> {
  const sums = new Map<number, number>();
  for (const s of series) for (const [t, v] of s.points) sums.set(t, (sums.get(t) ?? 0) + v);
  return [...sums.entries()];
}
