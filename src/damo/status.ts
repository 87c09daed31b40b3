// `damo status` (a JSON dump of the damon debugfs directory) and `damo pa_layout` (the
// physical address layout table and the default paddr monitoring range).
import type { KernelFiles } from './fs.js';
import { defaultPaddrRegion, formatSz, paddrRanges } from './layout.js';

type Tree = { [name: string]: string | null | Tree };

/** Every readable file under the damon directory; unreadable ones (write-only, EBUSY) are null. */
export function damonStatus(fs: KernelFiles): Tree {
  const walk = (dir: string): Tree => {
    const out: Tree = {};
    for (const name of fs.list(dir).sort()) {
      const p = `${dir}/${name}`;
      if (fs.isDir(p)) out[name] = walk(p);
      else {
        try {
          out[name] = fs.read(p);
        } catch {
          out[name] = null;
        }
      }
    }
    return out;
  };
  return walk(fs.damonDir);
}

export function paLayout(fs: KernelFiles): string {
  const rows = paddrRanges(fs).map((r) => [`[${formatSz(r.start)}, ${formatSz(r.end)})`, formatSz(r.end - r.start), `node ${r.nid}`, r.state ?? '', r.name ?? '']);
  const head = ['# physical address range', 'size', 'node', 'state', 'iomem'];
  const all = [head, ...rows];
  const widths = head.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
  let out = all.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n') + '\n';
  const [s, e] = defaultPaddrRegion(fs);
  out += `Default paddr monitoring range: [${formatSz(s)}, ${formatSz(e)}) (${s}-${e})\n`;
  return out;
}
