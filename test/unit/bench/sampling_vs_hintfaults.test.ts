// sampling-vs-hintfaults (issue 15, bench 4), run in process with --quick: the hint-fault run pays
// for scanning and PROT_NONE faults, the SPE run for samples only, and the table prints the IBS
// RFC's breakdown beside the prediction.
import { describe, expect, it } from 'vitest';
import { bench } from '../../../src/bench/sampling_vs_hintfaults.js';
import { renderSvg } from '../../../src/plot/render.js';

describe('sampling-vs-hintfaults --quick', () => {
  it('hint faults scan and trap; SPE takes no PROT_NONE fault and is charged per sample', async () => {
    const progress: number[] = [];
    const run = await bench.run({ seed: 1, quick: true, progress: (done) => progress.push(done) });
    const hf = run.rows['hint_faults']!;
    const spe = run.rows['spe']!;
    expect(hf['done']).toBe(1);
    expect(spe['done']).toBe(1);
    // hint faults: the scanner marked PTEs, every fault trapped through do_numa_page
    expect(hf['pte_updates']).toBeGreaterThan(0);
    expect(hf['hint_faults']).toBeGreaterThan(0);
    expect(hf['scan_s']).toBeGreaterThan(0);
    expect(hf['fault_s']).toBeGreaterThan(0);
    expect(hf['samples']).toBe(0);
    expect(hf['irq_s']).toBe(0);
    // SPE: the scanner stopped, no PROT_NONE PTE, no trap: no scan and no hint-fault overhead
    expect(spe['pte_updates']).toBe(0);
    expect(spe['scan_s']).toBe(0);
    expect(spe['fault_s']).toBe(0);
    expect(spe['fault_s']).toBeLessThan(hf['fault_s']!);
    expect(spe['numa_hf_migration_oh_s']).toBe(0);
    expect(spe['samples']).toBeGreaterThan(0);
    expect(spe['irq_s']).toBeGreaterThan(0);
    expect(spe['taskwork_s']).toBeGreaterThan(0);
    // both promote the hot set off the CXL node
    expect(hf['promoted']).toBeGreaterThan(0);
    expect(spe['promoted']).toBeGreaterThan(0);
    expect(hf['top_tier_share']).toBeGreaterThan(0.5);
    expect(spe['top_tier_share']).toBeGreaterThan(0.5);
    // the summary is computed from the two rows
    expect(run.rows['summary']!['reduction_pct']).toBeCloseTo(100 * (1 - spe['overhead_s']! / hf['overhead_s']!), 9);
    // NUMA balancing between DRAM nodes (the RFC's regime): the same split
    const hfNuma = run.rows['hint_faults_numa']!;
    const speNuma = run.rows['spe_numa']!;
    expect(hfNuma['pte_updates']).toBeGreaterThan(0);
    expect(hfNuma['fault_s']).toBeGreaterThan(0);
    expect(hfNuma['migrated']).toBeGreaterThan(0);
    expect(hfNuma['promoted']).toBe(0); // DRAM to DRAM: no promotion
    expect(speNuma['pte_updates']).toBe(0);
    expect(speNuma['fault_s']).toBe(0);
    expect(speNuma['samples']).toBeGreaterThan(0);
    expect(speNuma['migrated']).toBeGreaterThan(0);
    expect(run.rows['summary']!['numa_reduction_pct']).toBeCloseTo(100 * (1 - speNuma['overhead_s']! / hfNuma['overhead_s']!), 9);
    expect(progress.length).toBeGreaterThan(4);
    const table = bench.table([run]).join('\n');
    expect(table).toContain('arm64-2node-128c-cxl');
    expect(table).toContain('29.9');
    expect(table).toContain('11.9');
    expect(table).toContain('--quick');
    expect((bench.json([run]) as { rows: unknown[] }).rows).toHaveLength(4);
    const svg = await renderSvg(bench.plot!([run], { preset: 'arm64-2node-128c-cxl', seeds: [1] }));
    for (const text of ['CPU time (s)', 'overhead path', 'seeds 1', 'tiering: SPE', 'IBS RFC default (published)']) expect(svg).toContain(text);
  }, 120_000);
});
