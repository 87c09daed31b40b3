// Figures for damo and `tiersim stat`: a Vega spec (the chart grammar) rendered without a
// browser by Vega's headless SVG renderer, and PNG from that SVG by resvg with the DejaVu Sans
// file loaded explicitly, so text renders the same on any machine that ran scripts/setup.sh.
// Why Vega and resvg (measured against ECharts' SSR renderer): docs/DESIGN.md, "Figures".
import { existsSync, writeFileSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';
import createDebug from 'debug';
import * as vega from 'vega';
import { parse, View, type Spec } from 'vega';
import { textWidth } from './metrics.js';
import { FONT_FAMILY, PlotError, imageFormatOf } from './style.js';

export { PlotError, imageFormatOf } from './style.js';

const trace = createDebug('tiersim:plot');

/** Vega's text measuring hook (exported by vega-scenegraph, absent from vega's typings). */
interface TextMetrics {
  width: (item: { fontSize?: number; fontWeight?: string | number }, text: string | number) => number;
}
// Lay text out with the widths of the font the PNG is drawn with (Vega would guess 0.8 em/char).
(vega as unknown as { textMetrics: TextMetrics }).textMetrics.width = (item, text) =>
  textWidth(String(text), item.fontSize ?? 11, item.fontWeight === 'bold' || Number(item.fontWeight) >= 600);

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
  // Vega marks an unsmoothed image 'optimizeSpeed' then 'pixelated' (for browsers); resvg knows
  // only the first and resets to smoothing on the second, blurring heatmap cells.
  const resvg = new Resvg(svg.replaceAll('image-rendering: pixelated;', ''), {
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
