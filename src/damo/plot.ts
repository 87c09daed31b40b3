// Images for reports, written without external tools: SVG by hand, PNG with node:zlib (one
// IHDR, one IDAT of 8-bit RGB rows, IEND). Heatmaps are a grid of cells; plots a polyline.
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

/** A cell value in [0, 1] as a colour from dark blue to yellow (heat). */
function heatColor(x: number): [number, number, number] {
  const t = Math.max(0, Math.min(1, x));
  const stops: Array<[number, number, number]> = [[13, 8, 135], [126, 3, 168], [204, 71, 120], [248, 149, 64], [240, 249, 33]];
  const p = t * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(p));
  const f = p - i;
  const [a, b] = [stops[i]!, stops[i + 1]!];
  return [0, 1, 2].map((c) => Math.round(a[c]! + (b[c]! - a[c]!) * f)) as [number, number, number];
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** Encode an RGB image (width × height, row-major [r,g,b] bytes) as PNG. */
export function encodePng(width: number, height: number, rgb: Uint8Array): Buffer {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0; // filter: none
    Buffer.from(rgb.buffer, rgb.byteOffset + y * width * 3, width * 3).copy(raw, y * (width * 3 + 1) + 1);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]);
}

/**
 * Write a heatmap: `grid[t][a]` (time rows, address columns), time on the x axis and address
 * on the y axis as damo's gnuplot heatmaps. The format follows the file name (.svg or .png).
 */
export function writeHeatmap(file: string, grid: number[][], title: string): void {
  const tres = grid.length;
  const ares = grid[0]?.length ?? 0;
  let max = 0;
  for (const row of grid) for (const v of row) max = Math.max(max, v);
  const norm = (v: number) => (max > 0 ? v / max : 0);
  if (file.toLowerCase().endsWith('.png')) {
    const cell = Math.max(1, Math.floor(600 / Math.max(tres, ares)));
    const w = tres * cell;
    const h = ares * cell;
    const rgb = new Uint8Array(w * h * 3);
    for (let t = 0; t < tres; t++) {
      for (let a = 0; a < ares; a++) {
        const c = heatColor(norm(grid[t]![a]!));
        for (let dy = 0; dy < cell; dy++) {
          for (let dx = 0; dx < cell; dx++) {
            const x = t * cell + dx;
            const y = h - 1 - (a * cell + dy); // low addresses at the bottom
            rgb.set(c, (y * w + x) * 3);
          }
        }
      }
    }
    writeFileSync(file, encodePng(w, h, rgb));
    return;
  }
  const W = 800;
  const H = 600;
  const cw = W / Math.max(1, tres);
  const ch = H / Math.max(1, ares);
  let rects = '';
  for (let t = 0; t < tres; t++) {
    for (let a = 0; a < ares; a++) {
      const [r, g, b] = heatColor(norm(grid[t]![a]!));
      rects += `<rect x="${(t * cw).toFixed(2)}" y="${(H - (a + 1) * ch).toFixed(2)}" width="${(cw + 0.05).toFixed(2)}" height="${(ch + 0.05).toFixed(2)}" fill="rgb(${r},${g},${b})"/>`;
    }
  }
  writeFileSync(
    file,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H + 30}" viewBox="0 0 ${W} ${H + 30}">` +
      `<title>${escapeXml(title)}</title><g>${rects}</g>` +
      `<text x="4" y="${H + 20}" font-family="sans-serif" font-size="14">${escapeXml(title)} (x: time, y: address)</text></svg>\n`,
  );
}

/** Write a line plot of (x, y) points (wss by percentile) as SVG or PNG. */
export function writePlot(file: string, points: Array<[number, number]>, title: string): void {
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [0, Math.max(1, ...ys)];
  const W = 640;
  const H = 480;
  const px = (x: number) => ((x - x0) / Math.max(1e-9, x1 - x0)) * (W - 40) + 30;
  const py = (y: number) => H - 30 - ((y - y0) / (y1 - y0)) * (H - 60);
  if (file.toLowerCase().endsWith('.png')) {
    const rgb = new Uint8Array(W * H * 3).fill(255);
    const dot = (x: number, y: number) => {
      const [ix, iy] = [Math.round(x), Math.round(y)];
      if (ix >= 0 && ix < W && iy >= 0 && iy < H) rgb.set([200, 30, 30], (iy * W + ix) * 3);
    };
    for (let i = 1; i < points.length; i++) {
      const [a, b] = [points[i - 1]!, points[i]!];
      for (let s = 0; s <= 200; s++) dot(px(a[0] + ((b[0] - a[0]) * s) / 200), py(a[1] + ((b[1] - a[1]) * s) / 200));
    }
    for (let x = 30; x < W - 10; x++) dot(x, H - 30);
    for (let y = 30; y < H - 30; y++) dot(30, y);
    writeFileSync(file, encodePng(W, H, rgb));
    return;
  }
  const path = points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
  writeFileSync(
    file,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}"><title>${escapeXml(title)}</title>` +
      `<line x1="30" y1="${H - 30}" x2="${W - 10}" y2="${H - 30}" stroke="black"/><line x1="30" y1="30" x2="30" y2="${H - 30}" stroke="black"/>` +
      `<path d="${path}" fill="none" stroke="firebrick" stroke-width="2"/>` +
      `<text x="34" y="20" font-family="sans-serif" font-size="14">${escapeXml(title)}</text></svg>\n`,
  );
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
