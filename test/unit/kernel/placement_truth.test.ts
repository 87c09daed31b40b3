// sim/truth/{placement,nodes,interval_ms}: the placement-quality time series — its stable text
// format, the hot-page definition, the sampling interval's rules.
import { describe, expect, it } from 'vitest';
import { EINVAL } from '../../../src/kernfs/index.js';
import { NODES_HEADER, PLACEMENT_HEADER } from '../../../src/kernel/sim/placement.js';
import { advance, bootPreset, errnoOf, spawn } from './boot.js';

const rows = (text: string) => text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split(' '));

describe('sim/truth/interval_ms', () => {
  it.each([
    ['500', '500\n'],
    ['0', '0\n'],
    ['3600000\n', '3600000\n'],
  ])('%j is accepted and reads back %j', (input, out) => {
    const k = bootPreset();
    k.fs.writeFile('sim/truth/interval_ms', input);
    expect(k.fs.readFile('sim/truth/interval_ms')).toBe(out);
  });

  it.each([['abc'], ['-1'], ['1.5'], ['1s'], ['3600001'], ['']])('%j is EINVAL and changes nothing', (input) => {
    const k = bootPreset();
    expect(errnoOf(() => k.fs.writeFile('sim/truth/interval_ms', `${input}\n`))).toBe(EINVAL);
    expect(k.fs.readFile('sim/truth/interval_ms')).toBe('1000\n');
  });
});

describe('sim/truth/placement and nodes', () => {
  it('one line per live process and per node every interval, under fixed headers', async () => {
    const k = bootPreset();
    k.fs.writeFile('proc/sys/kernel/numa_balancing', '0\n');
    const a = await spawn(k, 'hotset size=64M threads=2 node=1');
    const b = await spawn(k, 'zipf size=32M threads=1 node=0');
    await advance(k, '3s');
    const place = k.fs.readFile('sim/truth/placement');
    expect(place.startsWith(PLACEMENT_HEADER)).toBe(true);
    expect(PLACEMENT_HEADER).toBe('# time_ms pid pages toptier_pages access_toptier hot_pages hot_toptier cold_toptier migrated_per_s\n');
    const p = rows(place);
    expect(p.map((r) => `${r[0]} ${r[1]}`)).toEqual([`1000 ${a}`, `1000 ${b}`, `2000 ${a}`, `2000 ${b}`, `3000 ${a}`, `3000 ${b}`]);
    for (const r of p) expect(r).toHaveLength(9);
    const lastA = p.filter((r) => r[1] === String(a)).at(-1)!;
    // 64 MiB on CXL: nothing in the top tier; the hot set is its 10 %.
    expect(lastA.slice(2)).toEqual(['16384', '0', '0.0000', '1638', '0.0000', '0.0000', '0.0']);
    const lastB = p.filter((r) => r[1] === String(b)).at(-1)!;
    expect(lastB.slice(2, 5)).toEqual(['8192', '8192', '1.0000']);
    expect(Number(lastB[5])).toBeGreaterThan(0); // zipf: the pages above the mean rate
    expect(Number(lastB[5])).toBeLessThan(8192);
    const n = rows(k.fs.readFile('sim/truth/nodes'));
    expect(k.fs.readFile('sim/truth/nodes').startsWith(NODES_HEADER)).toBe(true);
    expect(n.map((r) => `${r[0]} ${r[1]} ${r[2]}`)).toEqual(['1000 0 1', '1000 1 0', '2000 0 1', '2000 1 0', '3000 0 1', '3000 1 0']);
    const last = n.slice(-2);
    expect(last.map((r) => Number(r[3]))).toEqual([8192, 16384]);
    expect(Number(last[0]![4]) + Number(last[1]![4])).toBeCloseTo(1, 3); // access shares add up
    expect(k.fs.readFile(`sim/processes/${a}/placement`)).toBe(PLACEMENT_HEADER + p.filter((r) => r[1] === String(a)).map((r) => `${r.join(' ')}\n`).join(''));
  });

  it('a uniform workload’s pages are all hot; promotions show per second on the target node', async () => {
    const k = bootPreset();
    k.fs.writeFile('proc/sys/kernel/numa_balancing', '2\n');
    const pid = await spawn(k, 'abench size=64M threads=4 iters=0 node=1');
    await advance(k, '3s');
    const last = rows(k.fs.readFile(`sim/processes/${pid}`.concat('/placement'))).at(-1)!;
    expect(last[5]).toBe('16384');
    const node0 = rows(k.fs.readFile('sim/truth/nodes')).filter((r) => r[1] === '0');
    const promoted = node0.reduce((s, r) => s + Number(r[5]), 0);
    expect(promoted).toBe(k.vm.node(0, 'pgpromote_success'));
  });

  it('interval_ms=0 stops sampling; a new interval starts again', async () => {
    const k = bootPreset();
    await spawn(k, 'idle size=16M');
    await advance(k, '2s');
    k.fs.writeFile('sim/truth/interval_ms', '0\n');
    await advance(k, '3s');
    expect(rows(k.fs.readFile('sim/truth/placement'))).toHaveLength(2);
    k.fs.writeFile('sim/truth/interval_ms', '500\n');
    await advance(k, '1s');
    expect(rows(k.fs.readFile('sim/truth/placement')).map((r) => r[0])).toEqual(['1000', '2000', '5500', '6000']);
  });
});

describe('sim/truth/nodes access shares under NUMA balancing', () => {
  it('every sample splits the accesses among the nodes (sum 1, none negative), even when it lands in a hint-fault stall', async () => {
    const k = bootPreset();
    k.fs.writeFile('proc/sys/kernel/numa_balancing', '2\n');
    await spawn(k, 'hotset size=256M node=1');
    await advance(k, '3s');
    const byTime = new Map<string, number>();
    for (const r of rows(k.fs.readFile('sim/truth/nodes'))) {
      expect(r[4]).not.toBe('-');
      expect(Number(r[4])).toBeGreaterThanOrEqual(0);
      expect(r[4]!.startsWith('-')).toBe(false);
      byTime.set(r[0]!, (byTime.get(r[0]!) ?? 0) + Number(r[4]));
    }
    expect(byTime.size).toBe(3);
    for (const sum of byTime.values()) expect(sum).toBeCloseTo(1, 3);
    // the promoted hot set's accesses end up served by the top tier (node 0)
    const last = rows(k.fs.readFile('sim/truth/nodes')).filter((r) => r[0] === '3000' && r[2] === '1');
    expect(Number(last[0]![4])).toBeGreaterThan(0.9);
  });
});
