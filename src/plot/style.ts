// What every figure shares and what a command checks before it loads the renderer: the font,
// the base Vega config, the image types, the error type. Light on purpose (no vega, no resvg at
// run time), so commands that may draw start fast.
import { extname } from 'node:path';
import type { Config } from 'vega';

/** A figure could not be drawn (bad file type, no font); the message says what to do. */
export class PlotError extends Error {}

/** Font family every spec asks for; the rasteriser is given exactly this font's files. */
export const FONT_FAMILY = 'DejaVu Sans';

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
