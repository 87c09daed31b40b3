// Figures from a recorded session on a real mount (virtual clock): `damo record paddr` over both
// nodes while a hot set runs on the CXL node, then every damo figure drawn from that record, and
// `tiersim stat --plot` sampling the mount while time advances and pages migrate. Each image is
// checked as a file: PNG signature, IHDR size, under 2 MB; the SVG heatmap names the nodes.
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_FUSE, NO_FUSE_REASON, REPO, TIERSIM, bash, run, startMount, stopMount, type Server } from './helpers.js';

const DAMO = join(REPO, 'bin/damo.js');

/** Signature, IHDR width and height of a PNG file. */
function pngInfo(file: string): { signature: boolean; width: number; height: number; bytes: number } {
  const b = readFileSync(file);
  return {
    signature: b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) && b.subarray(12, 16).toString('latin1') === 'IHDR',
    width: b.readUInt32BE(16),
    height: b.readUInt32BE(20),
    bytes: statSync(file).size,
  };
}

describe.skipIf(!HAS_FUSE)(`figures from a recorded session${HAS_FUSE ? '' : ` — ${NO_FUSE_REASON}`}`, () => {
  let server: Server | undefined;
  let M = '';
  const out = mkdtempSync(join(tmpdir(), 'tiersim-figures-'));
  const damo = (...args: string[]) => run(process.execPath, [DAMO, '--root', M, ...args], { cwd: out, timeoutMs: 60_000 });

  beforeAll(async () => {
    server = await startMount();
    M = server.dir;
    // Node 0's DRAM above 4 GiB up to the end of node 1 (the CXL window), with a hole between.
    const r = await bash(
      `set -e
      exec 3<>"$M/sim/spawn"; echo "hotset size=512M threads=8 node=1" >&3; read -r a <&3; exec 3>&-
      exec 3<>"$M/sim/spawn"; echo "zipf size=1G threads=4 node=0" >&3; read -r b <&3; exec 3>&-
      node "$DAMO" --root "$M" record paddr --regions "4294967296-$END" -o "$OUT/damon.data" >"$OUT/record.log" 2>&1 &
      rec=$!
      for i in $(seq 100); do grep -qs 'Press Ctrl' "$OUT/record.log" && break; sleep 0.2; done
      echo 5s >"$M/sim/advance"
      kill -TERM $rec; wait $rec
      cat "$OUT/record.log"`,
      { env: { M, DAMO, OUT: out, END: String(36 * 1024 ** 3) }, timeoutMs: 90_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/# recorded \d+ snapshots/);
  }, 120_000);
  afterAll(async () => {
    await stopMount(server);
  });

  it.each([
    ['report heats --heatmap', ['report', 'heats', '--heatmap', 'heat.png'], 'heat.png'],
    ['report heats --heatmap --abs_addr --resol 200 100', ['report', 'heats', '--heatmap', 'heat-abs.png', '--abs_addr', '--resol', '200', '100'], 'heat-abs.png'],
    ['report wss --plot', ['report', 'wss', '--plot', 'wss.png'], 'wss.png'],
    ['report wss --plot --sortby time --range 0 101 5', ['report', 'wss', '-p', 'wss-time.png', '-s', 'time', '-r', '0', '101', '5'], 'wss-time.png'],
    ['report nr_regions --plot', ['report', 'nr_regions', '--plot', 'nr_regions.png'], 'nr_regions.png'],
  ])('damo %s draws a PNG (and prints nothing, as damo)', async (_, args, file) => {
    const r = await damo(...args);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const png = pngInfo(join(out, file));
    expect(png.signature).toBe(true);
    expect(png.width).toBeGreaterThan(500);
    expect(png.width).toBeLessThan(1400);
    expect(png.height).toBeGreaterThan(350);
    expect(png.bytes).toBeGreaterThan(5_000);
    expect(png.bytes).toBeLessThan(2 * 1024 * 1024);
  });

  it('the paddr heatmap marks both nodes with their tiers and the hole between them', async () => {
    const r = await damo('report', 'heats', '--heatmap', 'heat.svg');
    expect(r.code).toBe(0);
    const svg = readFileSync(join(out, 'heat.svg'), 'utf8');
    expect(svg).toMatch(/node0 · tier \d+/);
    expect(svg).toMatch(/node1 · tier \d+/);
    expect(svg).toMatch(/no System RAM/);
    expect(svg).toMatch(/Access heatmap of target -?\d+ \(paddr\) over \d+(\.\d+)? s/);
  });

  it('the text reports still print without a figure option', async () => {
    const r = await damo('report', 'wss');
    expect(r.stdout.split('\n').slice(0, 1)).toEqual(['# <percentile> <wss>']);
    expect(r.stdout.trim().split('\n').filter((l) => /^\d+\t\d+$/.test(l))).toHaveLength(5);
  });

  it.each([['heat.pdf'], ['heat']])('an unsupported image type (%s) is refused before any work', async (file) => {
    const r = await damo('report', 'heats', '--heatmap', file);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unsupported plot output type/);
  });

  it('tiersim stat samples the live mount while time advances and pages migrate, and draws the timeline', async () => {
    const r = await bash(
      `node "$TIERSIM" stat --mount "$M" --interval 200ms --count 12 --plot "$OUT/stat.png" >"$OUT/stat.txt" 2>"$OUT/stat.err" &
      st=$!
      sleep 0.5
      exec 3<>"$M/sim/spawn"; echo "idle size=256M node=0" >&3; read -r p <&3; exec 3>&-
      for i in 1 2 3; do echo 300ms >"$M/sim/advance"; sleep 0.2; done
      node "$TIERSIM" migratepages --mount "$M" "$p" 0 1 >/dev/null
      for i in 1 2 3; do echo 300ms >"$M/sim/advance"; sleep 0.2; done
      wait $st; echo "exit $?"; cat "$OUT/stat.err"`,
      { env: { M, TIERSIM, OUT: out }, timeoutMs: 60_000 },
    );
    expect(r.stdout).toMatch(/^exit 0\ntiersim stat: timeline of 12 samples drawn to /);
    const lines = readFileSync(join(out, 'stat.txt'), 'utf8').trimEnd().split('\n');
    expect(lines[0]).toMatch(/node0 MiB.*node1 MiB.*per second/);
    expect(lines[1]!.trim().split(/\s+/)).toEqual(['time_s', 'free', 'used', 'free', 'used', 'promo', 'demo', 'migr', 'hint', 'smpl', 'damon', 'top%', 'progress']);
    expect(lines).toHaveLength(14);
    // The 64 Ki pages moved show as a migration rate in some row.
    expect(lines.slice(3).some((l) => Number(l.trim().split(/\s+/)[7]?.replace(/k$/, '000')) > 0)).toBe(true);
    const png = pngInfo(join(out, 'stat.png'));
    expect(png.signature).toBe(true);
    expect(png.height).toBeGreaterThan(500); // two panels
    expect(png.bytes).toBeLessThan(2 * 1024 * 1024);
  });

  it('tiersim stat --csv prints one header and a row per sample', async () => {
    const r = await run(process.execPath, [TIERSIM, 'stat', '--mount', M, '--count', '2', '--interval', '100ms', '--csv'], { timeoutMs: 30_000 });
    expect(r.code).toBe(0);
    const [head, ...rows] = r.stdout.trimEnd().split('\n');
    expect(head).toBe('time_s,node0_free_mib,node0_used_mib,node1_free_mib,node1_used_mib,promo_per_s,demo_per_s,migr_per_s,hint_per_s,smpl_per_s,damon,toptier_pct,processes');
    expect(rows).toHaveLength(2);
  });
});
