// `tiersim stat` against a plain-file tree standing in for a mount: counters read by name
// (absent ones skipped, new ones picked up), rates over simulated time, per-node memory, the
// top-tier share from a placement file, and the table / CSV / JSON lines.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { csvHeader, csvLine, jsonLine, parseIntervalMs, parseNodeMeminfo, parseToptierPct, statFigure, statRow, tableHeader, tableLine, takeSample } from '../../../src/cli/stat.js';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'tiersim-stat-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const meminfo = (nid: number, totalKb: number, freeKb: number) =>
  `Node ${nid} MemTotal:       ${totalKb} kB\nNode ${nid} MemFree:        ${freeKb} kB\nNode ${nid} MemUsed:        ${totalKb - freeKb} kB\n`;

function machine(clockNs: number, vmstat: string, extra: Record<string, string> = {}): string {
  return tree({
    'sim/clock': `${clockNs} virtual\n`,
    'proc/vmstat': vmstat,
    'sys/devices/system/node/node0/meminfo': meminfo(0, 16 * 1024 * 1024, 12 * 1024 * 1024),
    'sys/devices/system/node/node1/meminfo': meminfo(1, 16 * 1024 * 1024, 15 * 1024 * 1024),
    'sys/devices/system/node/online': '0-1\n',
    'sys/kernel/debug/damon/monitor_on': 'on\n',
    'sim/processes/1000/progress': '250 1000\n',
    'sim/processes/1000/state': 'running\n',
    'sim/processes/1001/progress': '123456789 0\n',
    'sim/processes/1001/state': 'running\n',
    ...extra,
  });
}

describe('tiersim stat', () => {
  const vm0 = 'nr_free_pages 1\npgpromote_success 100\npgdemote_kswapd 10\npgdemote_direct 5\npgmigrate_success 1000\nnuma_hint_faults 7\n';
  const vm1 = 'nr_free_pages 1\npgpromote_success 300\npgdemote_kswapd 30\npgdemote_direct 5\npgmigrate_success 1000\nnuma_hint_faults 7\n';
  const a = takeSample(machine(10e9, vm0), 0);
  const b = takeSample(machine(12e9, vm1), 1000);

  it('reads per-node memory, counters, DAMON and processes only from files under the mount', () => {
    expect(a.simNs).toBe(10e9);
    expect(a.nodes).toEqual([
      { nid: 0, totalKb: 16777216, freeKb: 12582912, usedKb: 4194304 },
      { nid: 1, totalKb: 16777216, freeKb: 15728640, usedKb: 1048576 },
    ]);
    expect(a.damon).toBe('on');
    expect(a.processes).toEqual([
      { pid: 1000, state: 'running', done: 250, total: 1000 },
      { pid: 1001, state: 'running', done: 123456789, total: 0 },
    ]);
  });

  it('rates are counter deltas per simulated second; demotions sum every pgdemote_* counter', () => {
    const r = statRow(b, a, a);
    expect(Object.fromEntries(r.rates)).toEqual({ promo: 100, demo: 10, migr: 0, hint: 0 });
    expect(r.nodes).toEqual([
      { nid: 0, freeMiB: 12288, usedMiB: 4096 },
      { nid: 1, freeMiB: 15360, usedMiB: 1024 },
    ]);
    expect(r.processes).toEqual([
      { pid: 1000, state: 'running', progress: '25.0%' },
      { pid: 1001, state: 'running', progress: '123M' },
    ]);
  });

  it('the first row is the average since boot; a clock that did not move gives no rate', () => {
    expect(statRow(a, undefined, a).rates.get('promo')).toBe(10); // 100 pages in 10 s
    expect(statRow(a, a, a).rates.get('promo')).toBeUndefined();
    expect(tableLine(statRow(a, a, a))).toMatch(/^\s+10\.000\s+12288\s+4096\s+15360\s+1024\s+-\s+-\s+-\s+-\s+on\s+-\s+1000:25\.0% 1001:123M\n$/);
  });

  it.each([
    ['absent counters are skipped', 'nr_free_pages 1\npgmigrate_success 5\n', ['migr']],
    ['a new sampling counter and kmmscand’s appear as samples', 'pgmigrate_success 5\nnr_kmmscand_slowtier 3\nnr_kmmscand_idlepage 4\nibs_samples 2\n', ['migr', 'smpl']],
  ])('%s', (_, vmstat, columns) => {
    const s0 = takeSample(machine(1e9, vmstat), 0);
    const s1 = takeSample(machine(2e9, vmstat.replace(/ (\d+)/g, (_m, n: string) => ` ${Number(n) * 2}`)), 1000);
    const r = statRow(s1, s0, s0);
    expect([...r.rates.keys()]).toEqual(columns);
    if (columns.includes('smpl')) expect(r.rates.get('smpl')).toBe(9); // 3 + 4 + 2 more in 1 s
  });

  it.each([
    ['# time_ms nid toptier pages access_share promote_per_s demote_per_s\n1000 0 1 10 0.2500 0.0 0.0\n1000 1 0 30 0.7500 0.0 0.0\n2000 0 1 20 0.6000 5.0 0.0\n2000 1 0 20 0.4000 0.0 0.0\n', 60],
    ['# time_ms nid toptier pages access_share promote_per_s demote_per_s\n1000 0 1 10 0.2500 0.0 0.0\n1000 1 0 30 0.7500 0.0 0.0\n1000 2 1 0 0.0000 0.0 0.0\n', 25],
    ['# time_ms nid toptier pages access_share promote_per_s demote_per_s\n1000 0 1 0 - 0.0 0.0\n1000 1 0 0 - 0.0 0.0\n', undefined],
    ['# time_ms nid toptier pages access_share promote_per_s demote_per_s\n', undefined],
  ])('sim/truth/nodes %j → top%% %s (newest sample, top-tier nodes summed)', (text, pct) => expect(parseToptierPct(text)).toBe(pct));

  it('the top-tier share comes from sim/truth/nodes when that file exists', () => {
    expect(takeSample(machine(1e9, vm0, { 'sim/truth/nodes': '# time_ms nid toptier pages access_share promote_per_s demote_per_s\n1000 0 1 5 0.9000 0.0 0.0\n1000 1 0 5 0.1000 0.0 0.0\n' }), 0).toptierPct).toBe(90);
    expect(a.toptierPct).toBeUndefined();
  });

  it('header names every column under its group, as vmstat; CSV and JSON carry the same values', () => {
    const r = statRow(b, a, a);
    expect(tableHeader(r).split('\n')[1]!.trim().split(/\s+/)).toEqual(['time_s', 'free', 'used', 'free', 'used', 'promo', 'demo', 'migr', 'hint', 'damon', 'top%', 'progress']);
    expect(tableHeader(r).split('\n')[0]).toMatch(/node0 MiB.*node1 MiB.*per second/);
    expect(csvHeader(r)).toBe('time_s,node0_free_mib,node0_used_mib,node1_free_mib,node1_used_mib,promo_per_s,demo_per_s,migr_per_s,hint_per_s,damon,toptier_pct,processes\n');
    expect(csvLine(r)).toBe('12.000000,12288,4096,15360,1024,100,10,0,0,on,,1000:25.0% 1001:123M\n');
    expect(JSON.parse(jsonLine(r))).toMatchObject({ time_s: 12, rates_per_s: { promo: 100, demo: 10 }, nodes: [{ node: 0, used_mib: 4096 }, { node: 1, used_mib: 1024 }], toptier_pct: null });
  });

  it('the timeline has one memory point per distinct time and rates from the second sample on', () => {
    const rows = [statRow(a, undefined, a), statRow(a, a, a), statRow(b, a, a)];
    const spec = statFigure([a, a, b], rows, { mount: '/m', intervalMs: 1000, format: 'table' });
    const mem = (spec.data?.find((d) => d.name === 'mem') as { values: Array<{ t: number; node: string; v: number }> }).values;
    expect(mem.map((m) => [m.t, m.node, m.v])).toEqual([
      [10, 'node0', 4],
      [12, 'node0', 4],
      [10, 'node1', 1],
      [12, 'node1', 1],
    ]);
    const rates = (spec.data?.find((d) => d.name === 'rates') as { values: Array<{ t: number; series: string; v: number }> }).values;
    expect(rates.filter((r) => r.series === 'promotions').map((r) => [r.t, r.v])).toEqual([[12, 100]]);
  });

  it.each([
    ['1s', 1000],
    ['500ms', 500],
    ['2', 2000],
    ['0.25', 250],
  ])('--interval %s is %d ms', (text, ms) => expect(parseIntervalMs(text)).toBe(ms));

  it.each(['0', '-1s', '1h', 'abc', '500us'])('--interval %s is refused', (text) => {
    expect(() => parseIntervalMs(text)).toThrow(/--interval/);
  });

  it('a directory without /proc/vmstat is not a mount', () => {
    expect(() => takeSample(tree({ 'x': '' }), 0)).toThrow(/proc\/vmstat is not readable/);
  });
});

describe('node meminfo', () => {
  it('MemUsed is read, or derived as MemTotal − MemFree when a kernel lacks it', () => {
    expect(parseNodeMeminfo(2, 'Node 2 MemTotal:  100 kB\nNode 2 MemFree:  40 kB\n')).toEqual({ nid: 2, totalKb: 100, freeKb: 40, usedKb: 60 });
  });
});
