// DAMON's monitoring core through its files: accuracy against the ground truth (paddr and
// vaddr), the record file (format, bounds, timing), schemes acting on the model, the kdamond
// stopping by itself, record-flush failures, and determinism.
import { Volume } from 'memfs';
import { describe, expect, it } from 'vitest';
import { bootKernel, type Kernel, MemoryHostFs } from '../../../src/kernel/kernel.js';
import { damonDbgfs } from '../../../src/kernel/mm/damon/dbgfs.js';
import { mergeRegionsOf, DamonRegion } from '../../../src/kernel/mm/damon/core.js';
import { parseRecord } from '../../../src/damo/recfile.js';
import type { HotsetPattern } from '../../../src/kernel/workload/pattern.js';
import { advance, bootPreset, presetConfig, spawn } from './boot.js';

const D = 'sys/kernel/debug/damon';
const w = (k: Kernel, f: string, t: string) => k.fs.writeFile(`${D}/${f}`, t);

/** Precision and recall (by bytes) of the regions DAMON sees as hot against the true hot range. */
function hotAccuracy(k: Kernel, hot: [number, number]): { precision: number; recall: number } {
  const regions = damonDbgfs(k).defaultCtx.targets[0]!.regions;
  const max = Math.max(...regions.map((r) => r.lastNrAccesses));
  let tp = 0;
  let fp = 0;
  for (const r of regions) {
    if (r.lastNrAccesses < max / 2) continue;
    const ov = Math.max(0, Math.min(r.end, hot[1]) - Math.max(r.start, hot[0]));
    tp += ov;
    fp += r.size - ov;
  }
  return { precision: tp / Math.max(1, tp + fp), recall: tp / (hot[1] - hot[0]) };
}

describe('accuracy (DAMON against the ground truth)', () => {
  it('paddr, default attrs, 5 s: hot regions match the hotset’s true hot set with precision and recall >= 0.9', async () => {
    const k = bootPreset();
    k.fs.writeFile('proc/sys/kernel/numa_balancing', '0\n'); // on by default: it would promote the hot set
    const p = k.tasks.get(await spawn(k, 'hotset size=1G threads=8 node=1'))!;
    const hotPages = (p.vma.pattern as HotsetPattern).hotPages;
    const first = p.vma.pt[0]!;
    expect(p.vma.pt[hotPages - 1]).toBe(first + hotPages - 1); // physically contiguous on a fresh node
    w(k, 'pids', 'paddr\n');
    w(k, 'record', '0 none\n');
    w(k, 'monitor_on', 'on\n');
    await advance(k, '5s');
    const acc = hotAccuracy(k, [first * 4096, (first + hotPages) * 4096]);
    expect(acc.precision).toBeGreaterThanOrEqual(0.9);
    expect(acc.recall).toBeGreaterThanOrEqual(0.9);
  });

  it('vaddr, default attrs, 5 s: the same for the process’s virtual hot set', async () => {
    const k = bootPreset();
    const pid = await spawn(k, 'hotset size=1G threads=8 node=0');
    const p = k.tasks.get(pid)!;
    const hotPages = (p.vma.pattern as HotsetPattern).hotPages;
    w(k, 'pids', `${pid}\n`);
    w(k, 'record', '0 none\n');
    w(k, 'monitor_on', 'on\n');
    await advance(k, '5s');
    const acc = hotAccuracy(k, [p.vma.start, p.vma.start + hotPages * 4096]);
    expect(acc.precision).toBeGreaterThanOrEqual(0.9);
    expect(acc.recall).toBeGreaterThanOrEqual(0.9);
  });

  it('sim/truth/rate reports the hot set’s true rate, matching the process rate × share', async () => {
    const k = bootPreset();
    k.fs.writeFile('proc/sys/kernel/numa_balancing', '0\n'); // no scan stalls, no promotion
    const pid = await spawn(k, 'hotset size=64M hot=0.1 share=0.9 node=1');
    const p = k.tasks.get(pid)!;
    await advance(k, '1s');
    const hotEnd = p.vma.start + (p.vma.pattern as HotsetPattern).hotPages * 4096;
    const answer = await k.fs.transact('sim/truth/rate', `${pid} ${p.vma.start} ${hotEnd} 500ms`);
    const rate = Number(answer.trim().split(' ')[2]);
    expect(rate / (p.rate * 1e9 * 0.9)).toBeCloseTo(1, 3);
    const phys = await k.fs.transact('sim/truth/rate', `paddr ${p.vma.pt[0]! * 4096} ${(p.vma.pt[0]! + 1) * 4096} 500ms`);
    expect(Number(phys.trim().split(' ')[2])).toBeGreaterThan(0);
  });
});

describe('record file', () => {
  it('is damo’s format: header v2, one snapshot per aggregation, regions inside the init region, nr_accesses <= aggr/sample', async () => {
    const vol = new Volume();
    vol.mkdirSync('/tmp', { recursive: true });
    const hostFs = { appendFile: (path: string, data: Uint8Array) => vol.appendFileSync(path, data) };
    const k = bootKernel(presetConfig(), { seed: 1, clock: 'virtual', hostFs });
    await spawn(k, 'hotset size=256M threads=4 node=1');
    const start = k.alloc.blocksOf(1)[0]!.startPfn * 4096;
    const end = start + 512 * 1024 * 1024;
    w(k, 'pids', 'paddr\n');
    w(k, 'init_regions', `-1 ${start} ${end}\n`);
    w(k, 'record', '4096 /tmp/damon.data\n');
    w(k, 'monitor_on', 'on\n');
    await advance(k, '3s');
    expect(vol.existsSync('/tmp/damon.data')).toBe(true); // flushed when the 4 KiB buffer filled
    w(k, 'monitor_on', 'off\n');
    const { version, snapshots } = parseRecord(vol.readFileSync('/tmp/damon.data') as Buffer);
    expect(version).toBe(2);
    expect(snapshots.length).toBeGreaterThanOrEqual(25);
    for (const s of snapshots) {
      expect(s.targets).toHaveLength(1);
      const t = s.targets[0]!;
      expect(t.id).toBe(2n ** 64n - 1n); // -1 as an unsigned long
      expect(t.regions.length).toBeGreaterThanOrEqual(1);
      expect(t.regions.length).toBeLessThanOrEqual(1000);
      for (const r of t.regions) {
        expect(r.start).toBeGreaterThanOrEqual(start);
        expect(r.end).toBeLessThanOrEqual(end);
        expect(r.nrAccesses).toBeLessThanOrEqual(20);
      }
    }
    snapshots.slice(1).forEach((s, i) => {
      const gap = s.timeNs - snapshots[i]!.timeNs;
      expect(Math.abs(gap - 100e6) / 100e6).toBeLessThan(0.15);
    });
    // After the first few aggregations the region count stays within [min, max].
    for (const s of snapshots.slice(5)) expect(s.targets[0]!.regions.length).toBeGreaterThanOrEqual(10);
  });

  it('a path that cannot be opened is a logged failed flush, never a crash; relative paths resolve against /', async () => {
    const k = bootPreset();
    const pid = await spawn(k, 'hotset size=16M node=1');
    expect(pid).toBeGreaterThan(0);
    w(k, 'pids', 'paddr\n');
    w(k, 'record', '4242 foo.bar\n');
    w(k, 'monitor_on', 'on\n');
    await advance(k, '1s');
    w(k, 'monitor_on', 'off\n');
    expect((k.hostFs as MemoryHostFs).files.get('/foo.bar')?.length).toBeGreaterThan(0);

    const bad = bootKernel(presetConfig(), { seed: 1, clock: 'virtual', hostFs: { appendFile: () => { throw Object.assign(new Error('no dir'), { code: 'ENOENT' }); } } });
    w(bad, 'pids', 'paddr\n');
    w(bad, 'record', '1024 /nonexistent/dir/x\n');
    w(bad, 'monitor_on', 'on\n');
    await advance(bad, '1s');
    w(bad, 'monitor_on', 'off\n');
    expect(bad.log.show()).toMatch(/damon: failed to flush \d+ bytes of records to \/nonexistent\/dir\/x \(ENOENT\)/);
  });
});

describe('kdamond', () => {
  it('stops by itself when every vaddr target has exited; paddr never does', async () => {
    const k = bootPreset();
    const pid = await spawn(k, 'abench size=4M iters=2 node=0');
    w(k, 'pids', `${pid}\n`);
    w(k, 'record', '0 none\n');
    w(k, 'monitor_on', 'on\n');
    await advance(k, '1s');
    expect(k.fs.readFile(`sim/processes/${pid}/state`)).toBe('done\n');
    expect(k.fs.readFile(`${D}/monitor_on`)).toBe('off\n');
    expect(k.fs.readFile(`${D}/kdamond_pid`)).toBe('none\n');
    w(k, 'pids', 'paddr\n');
    w(k, 'monitor_on', 'on\n');
    await advance(k, '2s');
    expect(k.fs.readFile(`${D}/monitor_on`)).toBe('on\n');
  });

  it('charges its own CPU time: about one rmap walk per region per sample for paddr', async () => {
    const k = bootPreset();
    await spawn(k, 'hotset size=64M node=1');
    w(k, 'pids', 'paddr\n');
    w(k, 'record', '0 none\n');
    w(k, 'monitor_on', 'on\n');
    await advance(k, '1s');
    const ctx = damonDbgfs(k).defaultCtx;
    expect(ctx.cpuNs).toBeGreaterThan(0);
    expect(ctx.cpuNs).toBeLessThanOrEqual(200 * 1000 * 500); // ≤ 200 samples × max regions × 0.5 µs
  });

  it('merging takes size-weighted averages and resets the age of regions whose frequency changed', () => {
    const mk = (s: number, e: number, nr: number, last: number, age: number) => Object.assign(new DamonRegion(s, e), { nrAccesses: nr, lastNrAccesses: last, age });
    const out = mergeRegionsOf([mk(0, 4096, 10, 10, 4), mk(4096, 3 * 4096, 13, 2, 9), mk(3 * 4096, 4 * 4096, 0, 0, 1)], 5, 1 << 30);
    // A ages to 5 (steady), B's age resets (13 vs 2 > 5) and B merges into A: nr (10·1 + 13·2)/3 = 12,
    // age (5·1 + 0·2)/3 = 1. C ages to 2 and stays apart (12 vs 0 > 5).
    expect(out.map((r) => [r.start, r.end, r.nrAccesses, r.age])).toEqual([
      [0, 3 * 4096, 12, 1],
      [3 * 4096, 4 * 4096, 0, 2],
    ]);
  });

  it('the same seed and commands give identical records', async () => {
    const run = async () => {
      const k = bootPreset('cxl-2node', 3);
      await spawn(k, 'zipf size=128M threads=2 node=1');
      w(k, 'pids', 'paddr\n');
      w(k, 'record', '1048576 /damon.data\n');
      w(k, 'monitor_on', 'on\n');
      await advance(k, '2s');
      w(k, 'monitor_on', 'off\n');
      return (k.hostFs as MemoryHostFs).files.get('/damon.data')!.toString('hex');
    };
    expect(await run()).toBe(await run());
  });
});

describe('schemes act on the model', () => {
  it('pageout (vaddr) on a cold idle buffer frees memory: MemFree rises, swap-outs are counted, stats count regions and bytes', async () => {
    const k = bootPreset();
    const pid = await spawn(k, 'idle size=64M node=0');
    const free0 = k.alloc.freePages(0);
    w(k, 'pids', `${pid}\n`);
    w(k, 'record', '0 none\n');
    w(k, 'schemes', '4096 18446744073709551615 0 0 5 4294967295 2\n'); // pageout what stayed idle for 5 aggregations
    w(k, 'monitor_on', 'on\n');
    await advance(k, '2s');
    w(k, 'monitor_on', 'off\n');
    expect(k.alloc.freePages(0) - free0).toBe(16384);
    expect(k.fs.readFile('proc/vmstat')).toMatch(/^pswpout 16384$/m);
    const [line] = k.fs.readFile(`${D}/schemes`).split('\n');
    const f = line!.split(' ').map(Number);
    expect(f.slice(7)[1]).toBe(64 * 1024 * 1024);
    expect(f[7]).toBeGreaterThan(0);
  });

  it('willneed marks pages active and cold deactivates them (Active(anon) moves); stat only counts', async () => {
    const k = bootPreset();
    const pid = await spawn(k, 'hotset size=32M node=0');
    const active = () => Number(/^Active\(anon\): +(\d+) kB$/m.exec(k.fs.readFile('proc/meminfo'))![1]);
    w(k, 'pids', `${pid}\n`);
    w(k, 'record', '0 none\n');
    w(k, 'schemes', '4096 18446744073709551615 0 4294967295 0 4294967295 0\n');
    w(k, 'monitor_on', 'on\n');
    await advance(k, '300ms');
    w(k, 'monitor_on', 'off\n');
    expect(active()).toBe(32 * 1024);
    w(k, 'schemes', '4096 18446744073709551615 0 4294967295 0 4294967295 1\n');
    w(k, 'monitor_on', 'on\n');
    await advance(k, '300ms');
    w(k, 'monitor_on', 'off\n');
    expect(active()).toBe(0);
    w(k, 'schemes', '4096 18446744073709551615 0 4294967295 0 4294967295 5\n');
    w(k, 'monitor_on', 'on\n');
    await advance(k, '300ms');
    w(k, 'monitor_on', 'off\n');
    const f = k.fs.readFile(`${D}/schemes`).trim().split(' ').map(Number);
    expect(f[7]).toBeGreaterThan(0);
    expect(f[8]).toBeGreaterThan(0);
    expect(active()).toBe(0);
  });
});
