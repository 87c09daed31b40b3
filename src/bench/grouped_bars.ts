// Grouped bars with error bars (mean ± one standard deviation over the seeds) for the tables of
// sampling-vs-hintfaults and damon-accuracy: one group per category on x, one bar per series in
// each group, a legend naming the series. A Vega spec, rendered by src/plot/render.ts. Kept with
// these benches: the shared bar helper of src/plot may replace it when both are merged.
import type { Spec } from 'vega';
import { BASE_CONFIG } from '../plot/style.js';

export interface Bar {
  category: string;
  series: string;
  mean: number;
  /** One standard deviation (0 for a single seed: no whisker). */
  sd: number;
}

export interface GroupedBarsInput {
  title: string;
  subtitle: string[];
  xTitle: string;
  yTitle: string;
  bars: Bar[];
  /** Fixed y domain (e.g. [0, 1] for a fraction); else from 0 to the data. */
  yDomain?: [number, number];
}

export function groupedBarsSpec(input: GroupedBarsInput): Spec {
  const categories = [...new Set(input.bars.map((b) => b.category))];
  const series = [...new Set(input.bars.map((b) => b.series))];
  const values = input.bars.filter((b) => Number.isFinite(b.mean)).map((b) => ({ ...b, lo: b.mean - b.sd, hi: b.mean + b.sd }));
  const width = Math.max(420, categories.length * (series.length * 22 + 30));
  return {
    width,
    height: 320,
    padding: 12,
    autosize: { type: 'pad' },
    config: BASE_CONFIG,
    title: { text: input.title, subtitle: input.subtitle },
    data: [{ name: 'bars', values }],
    scales: [
      { name: 'x', type: 'band', domain: categories, range: 'width', paddingInner: 0.2, paddingOuter: 0.1 },
      { name: 'y', type: 'linear', domain: input.yDomain ?? { data: 'bars', fields: ['hi', 'mean'] }, range: 'height', nice: !input.yDomain, zero: true, clamp: input.yDomain !== undefined },
      { name: 'color', type: 'ordinal', domain: series, range: 'category' },
    ],
    axes: [
      { orient: 'bottom', scale: 'x', title: input.xTitle, labelAngle: categories.length > 4 ? -30 : 0, labelAlign: categories.length > 4 ? 'right' : 'center', labelLimit: 220 },
      { orient: 'left', scale: 'y', title: input.yTitle, grid: true, gridOpacity: 0.3 },
    ],
    legends: [{ fill: 'color', title: 'series', orient: 'right', symbolType: 'square' }],
    marks: [
      {
        type: 'group',
        from: { facet: { name: 'per_category', data: 'bars', groupby: 'category' } },
        encode: { enter: { x: { scale: 'x', field: 'category' }, width: { scale: 'x', band: 1 } } },
        signals: [{ name: 'cw', update: 'bandwidth("x")' }],
        scales: [{ name: 'inner', type: 'band', domain: series, range: [0, { signal: 'cw' }], padding: 0.1 }],
        marks: [
          {
            type: 'rect',
            from: { data: 'per_category' },
            encode: { enter: { x: { scale: 'inner', field: 'series' }, width: { scale: 'inner', band: 1 }, y: { scale: 'y', field: 'mean' }, y2: { scale: 'y', value: 0 }, fill: { scale: 'color', field: 'series' } } },
          },
          {
            type: 'rule',
            from: { data: 'per_category' },
            encode: { enter: { x: { scale: 'inner', field: 'series', band: 0.5 }, y: { scale: 'y', field: 'lo' }, y2: { scale: 'y', field: 'hi' }, stroke: { value: '#222' }, strokeWidth: { value: 1.5 } } },
          },
        ],
      },
    ],
  };
}
