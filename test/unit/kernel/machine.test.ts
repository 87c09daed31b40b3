// Presets: the shipped ones parse, and bad files name the field and the problem.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, distroSwapBytes, parseMachineConfig } from '../../../src/kernel/config/machine.js';

const preset = (name: string) => JSON.parse(readFileSync(`presets/${name}.json`, 'utf8')) as Record<string, unknown>;

describe('shipped presets', () => {
  it.each([
    ['cxl-2node', 2, 8, 32],
    ['2socket-cxl', 3, 32, 128],
    ['epyc-2node-256g', 2, 512, 256],
    ['arm64-2node-128c', 2, 128, 256],
    ['arm64-2node-128c-cxl', 3, 128, 384],
  ])('%s: %d nodes, %d CPUs, %d GiB, every cost constant sourced', (name, nodes, cpus, gib) => {
    const c = parseMachineConfig(preset(name));
    expect(c.nodes).toHaveLength(nodes);
    expect(c.nodes.reduce((s, n) => s + n.cpus.length, 0)).toBe(cpus);
    expect(c.nodes.reduce((s, n) => s + n.memBytes, 0)).toBe(gib * 1024 ** 3);
    for (const cost of Object.values(c.costs)) expect(cost.source.length).toBeGreaterThan(10);
  });

  it('cxl-2node is DRAM with CPUs + CPU-less CXL at distance 20', () => {
    const c = parseMachineConfig(preset('cxl-2node'));
    expect(c.nodes.map((n) => [n.kind, n.cpus.length])).toEqual([['dram', 8], ['cxl', 0]]);
    expect(c.distances).toEqual([[10, 20], [20, 10]]);
  });
});

describe('optional costs: pfnSkip (DAMON paddr\'s step over a pfn with no LRU folio)', () => {
  it.each([
    ['given in the preset', (_p: Record<string, unknown>) => {}, 4, 'struct page'],
    ['left out: pteScan', (p: Record<string, unknown>) => { delete (p['costs'] as Record<string, unknown>)['pfnSkip']; }, 5, 'not given: pteScan'],
  ])('%s', (_n, edit, ns, source) => {
    const p = preset('cxl-2node');
    edit(p);
    const c = parseMachineConfig(p).costs.pfnSkip;
    expect([c.value, c.unit]).toEqual([ns, 'ns']);
    expect(c.source).toContain(source);
  });
});

describe('CPU architecture and SPE', () => {
  it.each([
    ['cxl-2node', 'x86_64', false],
    ['2socket-cxl', 'x86_64', false],
    ['epyc-2node-256g', 'x86_64', false],
    ['arm64-2node-128c', 'arm64', true],
    ['arm64-2node-128c-cxl', 'arm64', true],
  ])('%s: arch %s, SPE %s', (name, arch, spe) => {
    const c = parseMachineConfig(preset(name));
    expect(c.arch).toBe(arch);
    expect(c.spe).toBe(spe);
  });

  it('the Arm presets name the batched-migration source machine', () => {
    for (const name of ['arm64-2node-128c', 'arm64-2node-128c-cxl']) {
      expect(parseMachineConfig(preset(name)).description).toMatch(/Xin Hao.*2023-02-08/);
    }
  });
});

describe('bad presets name the field', () => {
  const base = () => preset('cxl-2node');
  const nodes = (p: Record<string, unknown>) => p['nodes'] as Record<string, unknown>[];
  it.each<[string, (p: Record<string, unknown>) => void, string]>([
    ['memBytes not a multiple of the block size', (p) => { nodes(p)[1]!['memBytes'] = 1000; }, 'nodes[1].memBytes'],
    ['memBytes nonsense', (p) => { nodes(p)[0]!['memBytes'] = 'lots'; }, 'nodes[0].memBytes'],
    ['unknown kind', (p) => { nodes(p)[1]!['kind'] = 'pmem'; }, 'nodes[1].kind'],
    ['CXL node with CPUs', (p) => { nodes(p)[1]!['cpus'] = 2; }, 'nodes[1].cpus'],
    ['duplicate node id', (p) => { nodes(p)[1]!['id'] = 0; }, 'nodes[1].id'],
    ['node id ≥ MAX_NUMNODES', (p) => { nodes(p)[1]!['id'] = 5000; }, 'nodes[1].id'],
    ['asymmetric matrix size', (p) => { p['distances'] = [[10, 20]]; }, 'distances'],
    ['local distance not 10', (p) => { p['distances'] = [[11, 20], [20, 10]]; }, 'distances[0][0]'],
    ['remote distance 10', (p) => { p['distances'] = [[10, 10], [20, 10]]; }, 'distances[0][1]'],
    ['block size not a power of two', (p) => { p['memoryBlockSizeBytes'] = '100M'; }, 'memoryBlockSizeBytes'],
    ['missing medium', (p) => { delete (p['media'] as Record<string, unknown>)['cxl']; }, 'media.cxl'],
    ['cost without a unit', (p) => { (p['costs'] as Record<string, Record<string, unknown>>)['rmapWalk']!['unit'] = 'ms'; }, 'costs.rmapWalk.unit'],
    ['unknown cost', (p) => { (p['costs'] as Record<string, unknown>)['bogus'] = { value: 1, unit: 'us', source: 'x' }; }, 'costs.bogus'],
    ['no nodes', (p) => { p['nodes'] = []; }, 'nodes'],
    ['first node not DRAM', (p) => { p['nodes'] = [nodes(p)[1], nodes(p)[0]]; }, 'nodes[0]'],
    ['unknown arch', (p) => { p['arch'] = 'riscv'; }, 'arch'],
    ['SPE on x86_64', (p) => { p['spe'] = true; }, 'spe'],
    ['spe not a boolean', (p) => { p['arch'] = 'arm64'; p['spe'] = 'yes'; }, 'spe'],
    ['cpuMHz zero', (p) => { p['cpuMHz'] = 0; }, 'cpuMHz'],
    ['swap size nonsense', (p) => { p['swapBytes'] = 'plenty'; }, 'swapBytes'],
    ['swap size not whole pages', (p) => { p['swapBytes'] = 5000; }, 'swapBytes'],
  ])('%s → %s', (_name, mutate, field) => {
    const p = base();
    mutate(p);
    let err: unknown;
    try {
      parseMachineConfig(p);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field.startsWith(field)).toBe(true);
    expect((err as ConfigError).message).toMatch(/must|missing|twice|unknown|already|no CPUs|DRAM|Arm feature/);
  });
});

describe('swap size (swapBytes)', () => {
  const G = 1024 ** 3;
  it.each([
    // curtin suggested_swapsize: [RAM, swap]
    [0.5 * G, 1 * G],
    [1.5 * G, 2 * G],
    [3 * G, 3 * G],
    [12 * G, 4 * G],
    [16 * G, 4 * G],
    [20 * G, 8 * G],
    [32 * G, 8 * G],
    [256 * G, 8 * G],
  ])('%d bytes of RAM get %d bytes of swap, as Ubuntu\'s installer makes it', (ram, swap) => {
    expect(distroSwapBytes(ram)).toBe(swap);
  });

  it('a preset without swapBytes gets the installer default for its total memory; 0 means no swap', () => {
    const p = preset('cxl-2node');
    delete p['swapBytes'];
    expect(parseMachineConfig(p).swapBytes).toBe(8 * G);
    expect(parseMachineConfig({ ...preset('cxl-2node'), swapBytes: 0 }).swapBytes).toBe(0);
    expect(parseMachineConfig(preset('epyc-2node-256g')).swapBytes).toBe(8 * G);
  });
});
