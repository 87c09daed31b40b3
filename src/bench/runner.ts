// The `tiersim bench` runner: repeats a Bench over seeds 1..N in process (virtual clock), then
// prints the publication-shaped table under a header (bench, presets, seeds, tiersim version),
// the published figures beside the model's mean with the error in %, `--json` as one object,
// and `--plot` through src/plot. Benches stay pure: they return figures, the runner formats.
import { readFileSync } from 'node:fs';
import type { Bench, BenchContext, RunFigures } from './types.js';

/** A bench could not run as asked; the message says what to do. */
export class BenchError extends Error {}

export interface RunOptions {
  /** Seeds 1..seeds (default: the bench's defaultSeeds). */
  seeds?: number;
  quick?: boolean;
  /** Progress lines (the CLI passes a terminal writer, or nothing when stderr is no terminal). */
  onProgress?: (line: string) => void;
}

export interface BenchResult {
  bench: Bench;
  seeds: number[];
  quick: boolean;
  runs: RunFigures[];
  /** Wall seconds each seed took (for `tiersim bench perf`, never asserted). */
  wallS: number[];
  version: string;
}

/** Arithmetic mean (NaN for no values). */
export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Sample standard deviation (n − 1); 0 for one value. */
export function stdev(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

/** Standard deviation as % of the mean (the publications' "±x%"); 0 when the mean is 0. */
export function pctStdev(xs: readonly number[]): number {
  const m = mean(xs);
  return m === 0 ? 0 : (100 * stdev(xs)) / Math.abs(m);
}

/** Model error against a published value, in % of the published value. */
export function errorPct(model: number, published: number): number {
  return published === 0 ? NaN : (100 * (model - published)) / Math.abs(published);
}

/** The values of one figure (`row/column`) across runs; runs that lack it (or where it is
 * undefined, NaN) are skipped. */
export function valuesOf(runs: readonly RunFigures[], row: string, col: string): number[] {
  return runs.map((r) => r.rows[row]?.[col]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
}

/** Round to 4 significant decimals for printing and JSON (the model is not more exact). */
export function round(x: number, digits = 4): number {
  if (!Number.isFinite(x)) return x;
  return Number(x.toFixed(digits));
}

/** Fixed-point with `d` decimals, padded to `w`. */
export function fmt(x: number, d = 2, w = 0): string {
  return (Number.isFinite(x) ? x.toFixed(d) : 'n/a').padStart(w);
}

/** `mean ±%stdev` with `digits` decimals (no ± for one run), or `-` when no run has the figure. */
export function meanText(xs: readonly number[], digits = 2): string {
  if (!xs.length) return '-';
  const m = mean(xs).toFixed(digits);
  return xs.length > 1 ? `${m} ±${pctStdev(xs).toFixed(1)}%` : m;
}

/** Pad columns of a table (rows of cells) to their widest cell; the first column left-aligned. */
export function formatTable(rows: ReadonlyArray<readonly string[]>): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd());
}

let cachedVersion: string | undefined;
/** tiersim's version from package.json. */
export function tiersimVersion(): string {
  if (cachedVersion === undefined) {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    cachedVersion = pkg.version ?? 'unknown';
  }
  return cachedVersion;
}

/** Run `bench` once per seed 1..N. */
export async function runBench(bench: Bench, opts: RunOptions = {}): Promise<BenchResult> {
  const n = opts.seeds ?? bench.defaultSeeds;
  if (!Number.isInteger(n) || n < 1) throw new BenchError(`--seeds must be a whole number ≥ 1, got ${n}`);
  const seeds = Array.from({ length: n }, (_, i) => i + 1);
  const quick = opts.quick ?? false;
  const runs: RunFigures[] = [];
  const wallS: number[] = [];
  for (const seed of seeds) {
    const ctx: BenchContext = {
      seed,
      quick,
      progress: (done, total, what) => opts.onProgress?.(`${bench.name}: seed ${seed}/${n}: ${what} ${done}/${total}`),
    };
    const t0 = performance.now();
    runs.push(await bench.run(ctx));
    wallS.push((performance.now() - t0) / 1000);
  }
  return { bench, seeds, quick, runs, wallS, version: tiersimVersion() };
}

/** Header lines: what ran, where, with which seeds and version. */
export function headerLines(r: BenchResult): string[] {
  const lines = [
    `# ${r.bench.name}: ${r.bench.title}`,
    `# preset ${r.bench.presets.join(', ')}; seeds ${r.seeds.join(',')} (${r.seeds.length} run${r.seeds.length > 1 ? 's' : ''}); tiersim ${r.version}; simulated time`,
  ];
  if (r.quick) lines.push('# --quick: scaled-down run for smoke tests; its figures are NOT comparable with the publication');
  return lines;
}

/** One row per published figure: model mean ± %stdev, published value, error %, calibrated or predicted. */
export function comparisonLines(r: BenchResult): string[] {
  const pub = r.bench.published;
  if (!pub || Object.keys(pub).length === 0) return [];
  const lines = ['', 'Published figures beside the model (mean over the seeds; error = (model − published) / published):', `${'figure'.padEnd(40)} ${'model'.padStart(10)} ${'±%'.padStart(6)} ${'published'.padStart(10)} ${'error %'.padStart(8)}  kind [source]`];
  const sources: string[] = [];
  for (const [key, p] of Object.entries(pub)) {
    const [row, col] = splitKey(key);
    const xs = valuesOf(r.runs, row, col);
    const m = mean(xs);
    const kind = p.calibrated ? 'calibrated' : 'prediction';
    if (!sources.includes(p.source)) sources.push(p.source);
    lines.push(`${`${key} (${p.unit})`.padEnd(40)} ${fmt(m, 2, 10)} ${fmt(pctStdev(xs), 1, 6)} ${fmt(p.value, 2, 10)} ${fmt(errorPct(m, p.value), 1, 8)}  ${kind} [${sources.indexOf(p.source) + 1}]`);
  }
  sources.forEach((s, i) => lines.push(`[${i + 1}] ${s}`));
  return lines;
}

export function splitKey(key: string): [string, string] {
  const at = key.lastIndexOf('/');
  if (at < 0) throw new BenchError(`published key ${JSON.stringify(key)} is not row/column`);
  return [key.slice(0, at), key.slice(at + 1)];
}

/** The whole printed report. */
export function reportLines(r: BenchResult): string[] {
  return [...headerLines(r), '', ...r.bench.table(r.runs), ...comparisonLines(r)];
}

/** The `--json` object: what ran, the bench's own figures, and the published comparison. */
export function reportJson(r: BenchResult): Record<string, unknown> {
  const own = r.bench.json(r.runs);
  const comparison = Object.entries(r.bench.published ?? {}).map(([key, p]) => {
    const [row, col] = splitKey(key);
    const xs = valuesOf(r.runs, row, col);
    return { figure: key, model: round(mean(xs)), pct_stdev: round(pctStdev(xs)), published: p.value, unit: p.unit, error_pct: round(errorPct(mean(xs), p.value), 2), calibrated: p.calibrated ?? false, source: p.source };
  });
  const body = own !== null && typeof own === 'object' && !Array.isArray(own) ? (own as Record<string, unknown>) : { result: own };
  return { bench: r.bench.name, presets: r.bench.presets, seeds: r.seeds, tiersim_version: r.version, quick: r.quick, ...body, published: comparison };
}

/** Draw the bench's figure to `file` (.png or .svg). */
export async function plotBench(r: BenchResult, file: string): Promise<number> {
  if (!r.bench.plot) throw new BenchError(`${r.bench.name} draws no figure; run it without --plot`);
  const { imageFormatOf } = await import('../plot/style.js');
  imageFormatOf(file); // a bad extension fails before any work is lost
  const { renderToFile } = await import('../plot/render.js');
  return renderToFile(r.bench.plot(r.runs, { preset: r.bench.presets.join(', '), seeds: r.seeds, quick: r.quick }), file);
}

/** Subtitle naming preset and seeds, for every bench figure. */
export function plotSubtitle(meta: { preset: string; seeds: number[] }, quick = false): string[] {
  return [`preset ${meta.preset}; seeds ${meta.seeds.join(',')}; tiersim ${tiersimVersion()}; whiskers ±1 stdev${quick ? '; --quick (not comparable)' : ''}`];
}
