// `tiersim bench` as a user runs it: a separate node process, --quick runs of
// migrate-batch-memhog as JSON and as an SVG figure, --list, and an unknown name. No mount
// needed: benches boot their machine in process on a virtual clock.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TIERSIM, run } from './helpers.js';

const tiersim = (...args: string[]) => run(process.execPath, [TIERSIM, ...args], { timeoutMs: 60_000 });

describe('tiersim bench', () => {
  it('migrate-batch-memhog --quick --json prints one JSON object with unbatched_s, batched_s, speedup_pct', async () => {
    const r = await tiersim('bench', 'migrate-batch-memhog', '--quick', '--json', '--seeds', '2');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(''); // no progress when stderr is not a terminal
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const j = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(j).toMatchObject({ bench: 'migrate-batch-memhog', presets: ['arm64-2node-128c'], seeds: [1, 2], quick: true });
    expect(j['batched_s'] as number).toBeLessThan(j['unbatched_s'] as number);
    expect(j['speedup_pct'] as number).toBeGreaterThan(0);
    const pub = j['published'] as Array<Record<string, unknown>>;
    expect(pub.find((p) => p['figure'] === 'flow=unbatched/elapsed_s')).toMatchObject({ published: 2.068, calibrated: true });
  });

  it('--plot x.svg draws bars with axis titles, a title naming preset and seeds, and a legend', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tiersim-bench-'));
    const file = join(dir, 'x.svg');
    const r = await tiersim('bench', 'migrate-batch-memhog', '--quick', '--seeds', '1', '--plot', file);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('# preset arm64-2node-128c; seeds 1 (1 run)');
    expect(r.stdout).toContain(`figure: ${file}`);
    const svg = readFileSync(file, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    for (const text of ['Time per page (simulated µs)', 'migrate_pages() flow (elapsed time of migratepages)', 'preset arm64-2node-128c; seeds 1', 'TLB flush', 'published value']) expect(svg).toContain(text);
  });

  it('--list names every bench; an unknown name says which exist (exit 2)', async () => {
    const list = await tiersim('bench', '--list');
    expect(list.code).toBe(0);
    for (const name of ['kmmscand-abench', 'migrate-batch-memhog', 'migrate-batch-pmbench', 'sampling-vs-hintfaults', 'damon-accuracy', 'tiering-shootout', 'perf']) expect(list.stdout).toMatch(new RegExp(`^${name} `, 'm'));
    const bad = await tiersim('bench', 'memhog');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('tiersim: unknown bench "memhog"; benches: kmmscand-abench, migrate-batch-memhog, migrate-batch-pmbench, sampling-vs-hintfaults, damon-accuracy, tiering-shootout, perf (tiersim bench --list describes them)\n');
  });
});
