// Grouped bars with error bars: the publication-style figure of the `tiersim bench` tables
// (one group per row of the table, one bar per series, whiskers at mean ± one standard
// deviation over the seeds, an optional published value as a black tick on its bar). The chart
// widens with the number of groups and angles their labels when there are many; a bar whose
// mean is not finite (a figure no seed produced) is left out, its slot kept.
import type { Spec } from 'vega';
import { BASE_CONFIG } from './style.js';

export interface Bar {
  /** The x-axis group (a row of the table: "8 GB"). */
  readonly group: string;
  /** The legend entry (a column: "base (NUMAB=2)"). */
  readonly series: string;
  readonly mean: number;
  /** One standard deviation over the seeds (0 with one seed). */
  readonly stdev: number;
  /** The published value for this bar, drawn as a tick. */
  readonly published?: number;
}

export interface BarChartInput {
  readonly title: string;
  readonly subtitle: readonly string[];
  readonly xTitle: string;
  /** With its unit: "Run time (s)". */
  readonly yTitle: string;
  readonly bars: readonly Bar[];
  /** A fixed y domain (e.g. [0, 1] for a fraction); else from 0 to the data, rounded. */
  readonly yDomain?: readonly [number, number];
}

const W = 560;
const H = 360;
/** More groups than this and their labels are angled. */
const FLAT_LABELS = 4;

export function barChartSpec(input: BarChartInput): Spec {
  const groups = [...new Set(input.bars.map((b) => b.group))];
  const series = [...new Set(input.bars.map((b) => b.series))];
  const values = input.bars.filter((b) => Number.isFinite(b.mean)).map((b) => ({
    group: b.group,
    series: b.series,
    mean: b.mean,
    lo: b.mean - b.stdev,
    hi: b.mean + b.stdev,
    published: b.published ?? null,
  }));
  const hasPublished = input.bars.some((b) => b.published !== undefined);
  const angled = groups.length > FLAT_LABELS;
  return {
    width: Math.max(W, groups.length * (series.length * 22 + 30)),
    height: H,
    padding: 12,
    autosize: { type: 'pad' },
    config: BASE_CONFIG,
    title: { text: input.title, subtitle: [...input.subtitle] },
    data: [
      { name: 'bars', values },
      { name: 'published', source: 'bars', transform: [{ type: 'filter', expr: 'datum.published !== null' }] },
      // One legend entry for the published ticks.
      { name: 'pubkey', values: hasPublished ? [{ label: 'published value' }] : [] },
    ],
    scales: [
      { name: 'x', type: 'band', domain: groups, range: 'width', padding: 0.2 },
      input.yDomain
        ? { name: 'y', type: 'linear', domain: [...input.yDomain], range: 'height', zero: true, clamp: true }
        : { name: 'y', type: 'linear', domain: { fields: [{ data: 'bars', field: 'hi' }, { data: 'bars', field: 'published' }] }, range: 'height', nice: true, zero: true },
      { name: 'color', type: 'ordinal', domain: series, range: 'category' },
      { name: 'pub', type: 'ordinal', domain: { data: 'pubkey', field: 'label' }, range: ['black'] },
    ],
    axes: [
      { orient: 'bottom', scale: 'x', title: input.xTitle, ...(angled ? { labelAngle: -30, labelAlign: 'right' as const, labelLimit: 220 } : {}) },
      { orient: 'left', scale: 'y', title: input.yTitle, grid: true, gridOpacity: 0.3 },
    ],
    legends: [
      { fill: 'color', title: 'series', orient: 'right', labelLimit: 320 },
      ...(hasPublished ? [{ stroke: 'pub', symbolType: 'stroke', orient: 'right' as const, labelLimit: 320 }] : []),
    ],
    marks: [
      {
        type: 'group',
        from: { facet: { name: 'in_group', data: 'bars', groupby: 'group' } },
        encode: { enter: { x: { scale: 'x', field: 'group' }, width: { scale: 'x', band: 1 } } },
        signals: [{ name: 'gw', update: 'bandwidth("x")' }],
        scales: [{ name: 's', type: 'band', domain: series, range: { signal: '[0, gw]' }, padding: 0.08 }],
        marks: [
          {
            type: 'rect',
            from: { data: 'in_group' },
            encode: {
              enter: {
                x: { scale: 's', field: 'series' },
                width: { scale: 's', band: 1 },
                y: { scale: 'y', field: 'mean' },
                y2: { scale: 'y', value: 0 },
                fill: { scale: 'color', field: 'series' },
              },
            },
          },
          {
            type: 'rule',
            from: { data: 'in_group' },
            encode: {
              enter: {
                x: { scale: 's', field: 'series', band: 0.5 },
                y: { scale: 'y', field: 'lo' },
                y2: { scale: 'y', field: 'hi' },
                stroke: { value: '#222' },
                strokeWidth: { value: 1.5 },
              },
            },
          },
          // the whiskers' caps
          ...['hi', 'lo'].map((end) => ({
            type: 'rule' as const,
            from: { data: 'in_group' },
            encode: {
              enter: {
                x: { scale: 's', field: 'series', band: 0.3 },
                x2: { scale: 's', field: 'series', band: 0.7 },
                y: { scale: 'y', field: end },
                stroke: { value: '#222' },
              },
            },
          })),
          {
            type: 'rule',
            from: { data: 'in_group' },
            encode: {
              enter: {
                x: { scale: 's', field: 'series' },
                x2: { scale: 's', field: 'series', band: 1 },
                y: { scale: 'y', field: 'published' },
                stroke: { value: 'black' },
                strokeWidth: { value: 2.5 },
                strokeDash: { value: [4, 2] },
                opacity: { signal: 'datum.published === null ? 0 : 1' },
              },
            },
          },
        ],
      },
    ],
  };
}
