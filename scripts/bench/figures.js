// Figures bench: a 500×500 damo heatmap (the target: under 2 s, under 2 MB) from a
// synthetic record of 600 snapshots × 300 regions, timed step by step in-process and end to end
// as `damo report heats --heatmap` in a fresh node (module loading included); plus the wss plot
// and a 300-sample stat timeline. Prints figures; never fails on a timing.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A v2 record file: a drifting hot band over 8 GiB of paddr, 100 ms aggregation. */
export function syntheticRecord(snapshots = 600, regions = 300) {
  const span = 8 * 1024 ** 3;
  const base = 4 * 1024 ** 3;
  const parts = [Buffer.concat([Buffer.from('damon_recfmt_ver', 'latin1'), Buffer.from([2, 0, 0, 0])])];
  for (let i = 0; i < snapshots; i++) {
    const t = 10e9 + i * 100e6;
    const head = Buffer.alloc(32);
    head.writeBigInt64LE(BigInt(Math.floor(t / 1e9)), 0);
    head.writeBigInt64LE(BigInt(t % 1e9), 8);
    head.writeUInt32LE(1, 16);
    head.writeBigUInt64LE(2n ** 64n - 1n, 20);
    head.writeUInt32LE(regions, 28);
    parts.push(head);
    const hot = (0.5 + 0.4 * Math.sin(i / 60)) * regions;
    const body = Buffer.alloc(20 * regions);
    for (let r = 0; r < regions; r++) {
      const a = base + Math.floor((span / regions) * r / 4096) * 4096;
      const b = base + Math.floor((span / regions) * (r + 1) / 4096) * 4096;
      body.writeBigUInt64LE(BigInt(a), r * 20);
      body.writeBigUInt64LE(BigInt(b), r * 20 + 8);
      body.writeUInt32LE(Math.max(0, Math.round(20 * Math.exp(-(((r - hot) / 12) ** 2)) + ((r * 7 + i * 3) % 5) - 2)), r * 20 + 16);
    }
    parts.push(body);
  }
  return Buffer.concat(parts);
}

export function figureBenches({ root }) {
  const dist = (p) => join(root, 'dist', p);
  return {
    async figures() {
      console.log('## figures (vega headless SVG + resvg PNG)');
      const dir = mkdtempSync(join(tmpdir(), 'tiersim-bench-fig-'));
      const recFile = join(dir, 'damon.data');
      writeFileSync(recFile, syntheticRecord());
      const { parseRecord } = await import(dist('damo/recfile.js'));
      const { heatGrid, heatmapFigure, wssDistributions, distFigure } = await import(dist('damo/report.js'));
      const { heatmapSpec } = await import(dist('plot/heatmap.js'));
      const { lineChartSpec } = await import(dist('plot/lines.js'));
      const { renderSvg, svgToPng } = await import(dist('plot/render.js'));
      const rec = parseRecord(await import('node:fs').then((fs) => fs.readFileSync(recFile)));
      const o = { tres: 500, ares: 500, guide: false, absTime: false, absAddr: false };
      for (let run = 0; run < 3; run++) {
        const t0 = performance.now();
        const grid = heatGrid(rec, o);
        const t1 = performance.now();
        const spec = heatmapSpec(heatmapFigure(grid, o, 'damon.data'));
        const t2 = performance.now();
        const svg = await renderSvg(spec);
        const t3 = performance.now();
        const png = svgToPng(svg);
        const t4 = performance.now();
        const f = (x) => x.toFixed(0).padStart(4);
        console.log(
          `heatmap 500x500 run ${run}: bin ${f(t1 - t0)} ms, spec+cell raster ${f(t2 - t1)} ms, vega SVG ${f(t3 - t2)} ms, resvg PNG ${f(t4 - t3)} ms; ` +
            `total ${f(t4 - t0)} ms; PNG ${(png.length / 1e6).toFixed(3)} MB, SVG ${(svg.length / 1e6).toFixed(3)} MB`,
        );
      }
      for (const ext of ['png', 'svg']) {
        const out = join(dir, `heat.${ext}`);
        const t0 = performance.now();
        execFileSync(process.execPath, [join(root, 'bin/damo.js'), 'report', 'heats', '-i', recFile, '--heatmap', out, '--no-node_boundaries']);
        console.log(`damo report heats --heatmap heat.${ext} (fresh node, 600 snapshots x 300 regions): ${(performance.now() - t0).toFixed(0)} ms, ${(statSync(out).size / 1e6).toFixed(3)} MB`);
      }
      const d = { range: [0, 101, 1], sortby: 'size', excludeSamples: 20, accThres: 1, szThres: 1 };
      const t0 = performance.now();
      const wss = svgToPng(await renderSvg(lineChartSpec(distFigure('wss', wssDistributions(rec, d), d, 'damon.data'))));
      console.log(`wss plot (101 percentiles): ${(performance.now() - t0).toFixed(0)} ms, PNG ${(wss.length / 1e6).toFixed(3)} MB`);
      const { statFigure, statRow } = await import(dist('cli/stat.js'));
      const samples = Array.from({ length: 300 }, (_, i) => ({
        wallMs: i * 1000,
        simNs: i * 1e9,
        nodes: [0, 1].map((nid) => ({ nid, totalKb: 16 << 20, freeKb: (8 << 20) + nid * (i << 10), usedKb: (8 << 20) - nid * (i << 10) })),
        vmstat: new Map([['pgpromote_success', i * i * 10], ['pgdemote_kswapd', i * 100], ['pgmigrate_success', i * i * 10], ['numa_hint_faults', i * 500]]),
        damon: 'off',
        processes: [],
      }));
      const rows = samples.map((s, i) => statRow(s, samples[i - 1], samples[0]));
      const t5 = performance.now();
      const tl = svgToPng(await renderSvg(statFigure(samples, rows, { mount: 'mount', intervalMs: 1000, format: 'table' })));
      console.log(`stat timeline (300 samples, 2 nodes, 4 rates): ${(performance.now() - t5).toFixed(0)} ms, PNG ${(tl.length / 1e6).toFixed(3)} MB`);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
