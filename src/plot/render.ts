// Figures for damo and `tiersim stat`: a Vega spec (the chart grammar) rendered without a
// browser by Vega's headless SVG renderer, and PNG from that SVG by resvg with the DejaVu Sans
// file loaded explicitly, so text renders the same on any machine that ran scripts/setup.sh.
// Why Vega and resvg (measured against ECharts' SSR renderer): docs/DESIGN.md §11.
import { existsSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import createDebug from 'debug';
import { parse, View, type Config, type Spec } from 'vega';

const trace = createDebug('tiersim:plot');

/** A figure could not be drawn (bad file type, no font); the message says what to do. */
export class PlotError extends Error {}

/** Font family every spec asks for; the rasteriser is given exactly this font's files. */
export const FONT_FAMILY = 'DejaVu Sans';

/** Where Debian's fonts-dejavu-core (installed by scripts/setup.sh), Fedora and Arch put DejaVu Sans. */
const FONT_DIRS = ['/usr/share/fonts/truetype/dejavu', '/usr/share/fonts/dejavu-sans-fonts', '/usr/share/fonts/dejavu', '/usr/share/fonts/TTF'];
const FONT_FILES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'];

/** The DejaVu Sans files to load (regular first), or a PlotError naming the package. */
export function fontFiles(): string[] {
  for (const dir of FONT_DIRS) {
    const files = FONT_FILES.map((f) => `${dir}/${f}`).filter((f) => existsSync(f));
    if (files.length > 0 && files[0]!.endsWith(FONT_FILES[0]!)) return files;
  }
  throw new PlotError(`no DejaVu Sans font (looked in ${FONT_DIRS.join(', ')}); install it with 'apt-get install fonts-dejavu-core' (scripts/setup.sh does)`);
}

/** Shared look: one font everywhere, gnuplot-like sizes, white background. */
export const BASE_CONFIG: Config = {
  background: 'white',
  title: { font: FONT_FAMILY, fontSize: 14, subtitleFont: FONT_FAMILY, subtitleFontSize: 11, subtitleColor: '#444', anchor: 'middle', offset: 10 },
  axis: { labelFont: FONT_FAMILY, titleFont: FONT_FAMILY, labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', grid: false, tickColor: '#333', domainColor: '#333' },
  legend: { labelFont: FONT_FAMILY, titleFont: FONT_FAMILY, labelFontSize: 11, titleFontSize: 11, titleFontWeight: 'normal' },
  text: { font: FONT_FAMILY },
};

export type ImageFormat = 'svg' | 'png';

/**
 * The image type a file name asks for. damo's gnuplot terminals were pdf, jpeg, png and svg;
 * this port draws png and svg.
 */
export function imageFormatOf(file: string): ImageFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.png' || ext === '.svg') return ext.slice(1) as ImageFormat;
  throw new PlotError(`unsupported plot output type '${ext || file}': name the file .png or .svg`);
}

/** The spec drawn as an SVG document (Vega's headless renderer; no canvas, no browser). */
export async function renderSvg(spec: Spec): Promise<string> {
  const view = new View(parse(spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** An SVG document rasterised to PNG at `scale` (resvg, DejaVu Sans loaded from its file). */
export function svgToPng(svg: string, scale = 1): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: scale === 1 ? { mode: 'original' } : { mode: 'zoom', value: scale },
    background: 'white',
    font: { fontFiles: fontFiles(), loadSystemFonts: false, defaultFontFamily: FONT_FAMILY, sansSerifFamily: FONT_FAMILY },
  });
  return resvg.render().asPng();
}

/** Draw `spec` into `file` (.png or .svg); returns the bytes written. */
export async function renderToFile(spec: Spec, file: string): Promise<number> {
  const format = imageFormatOf(file);
  if (format === 'png') fontFiles(); // fail before the work when PNG text could not render
  const t0 = performance.now();
  const svg = await renderSvg(spec);
  const data = format === 'svg' ? svg : svgToPng(svg);
  writeFileSync(file, data);
  trace('%s: %d bytes in %d ms', file, data.length, Math.round(performance.now() - t0));
  return data.length;
}
