// DAMON's monitoring core through its files: accuracy against the ground truth (paddr and
// vaddr), the record file (format, bounds, timing), schemes acting on the model, the kdamond
// stopping by itself, record-flush failures, and determinism.
import { Volume } from 'memfs';
import { describe, expect, it } from 'vitest';
import { bootKernel, type Kernel, MemoryHostFs } from '../../../src/kernel/kernel.js';
import { damonDbgfs } from '../../../src/kernel/mm/damon/dbgfs.js';
import { mergeRegionsOf, DamonRegion } from '../../../src/kernel/mm/damon/core.js';
import { biggestSystemRam, setRegionBiggestSystemRamDefault } from '../../../src/kernel/mm/damon/paddr.js';
import type { DamonAbi } from '../../../src/kernel/mm/damon/dbgfs.js';
import { EINVAL, ENOMEM } from '../../../src/kernfs/index.js';
import { parseRecord } from '../../../src/damo/recfile.js';
import type { HotsetPattern } from '../../../src/kernel/workload/pattern.js';
import { advance, bootPreset, errnoOf, presetConfig, spawn } from './boot.js';

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
    w(k, 'init_regions', `-1 ${biggestSystemRam(k).join(' ')}\n`); // node 1's System RAM (kmem)
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
  it('is damo’s format: header v2 (targets set through target_ids), one snapshot per aggregation, regions inside the init region, nr_accesses <= aggr/sample', async () => {
    const vol = new Volume();
    vol.mkdirSync('/tmp', { recursive: true });
    const hostFs = { appendFile: (path: string, data: Uint8Array) => vol.appendFileSync(path, data) };
    const k = bootKernel(presetConfig(), { seed: 1, clock: 'virtual', hostFs });
    await spawn(k, 'hotset size=256M threads=4 node=1');
    const start = k.alloc.blocksOf(1)[0]!.startPfn * 4096;
    const end = start + 512 * 1024 * 1024;
    w(k, 'target_ids', 'paddr\n');
    w(k, 'init_regions', `42 ${start} ${end}\n`);
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
      expect(t.id).toBe(42n); // mainline's paddr target id, 8 bytes
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
    w(k, 'init_regions', `-1 ${biggestSystemRam(k).join(' ')}\n`);
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
      w(k, 'init_regions', `-1 ${biggestSystemRam(k).join(' ')}\n`);
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
    // The union ABI's two stats are the 2020 stat_count/stat_sz: every region the scheme was
    // applied to, whatever pageout did. The buffer stays idle, so each 6th aggregation (age back
    // to 5 after the reset) applies it again: 3 times in 20 aggregations, once with an effect.
    const [line] = k.fs.readFile(`${D}/schemes`).split('\n');
    const f = line!.split(' ').map(Number);
    expect(f.slice(7)[1]).toBe(3 * 64 * 1024 * 1024);
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
    // The kdamond's end destroyed the pid target: each run sets it again, as on a kernel.
    w(k, 'pids', `${pid}\n`);
    w(k, 'schemes', '4096 18446744073709551615 0 4294967295 0 4294967295 1\n');
    w(k, 'monitor_on', 'on\n');
    await advance(k, '300ms');
    w(k, 'monitor_on', 'off\n');
    expect(active()).toBe(0);
    w(k, 'pids', `${pid}\n`);
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

describe('kdamond end: regions destroyed, pid targets put (kdamond_fn exit, dbgfs_before_terminate)', () => {
  const bootAbi = (abi: DamonAbi) => (abi === 'union' ? bootPreset() : bootKernel(presetConfig(), { seed: 1, clock: 'virtual', damonAbi: abi }));
  const noRecord = (k: Kernel) => (k.fs.readdir(D).includes('record') ? w(k, 'record', '0 none\n') : undefined);

  it.each([
    ['union', 'target_ids'],
    ['union', 'pids'],
    ['2020', 'pids'],
    ['5.15', 'target_ids'],
    ['5.18', 'target_ids'],
  ] as const)('%s %s: after monitor_on off the pid targets are gone and the file reads an empty line', async (abi, file) => {
    const k = bootAbi(abi);
    const pid = await spawn(k, 'idle size=4M node=0');
    w(k, file, `${pid}\n`);
    noRecord(k);
    w(k, 'monitor_on', 'on\n');
    await advance(k, '200ms');
    w(k, 'monitor_on', 'off\n');
    expect(k.fs.readFile(`${D}/${file}`)).toBe('\n');
    expect(k.fs.readFile(`${D}/init_regions`)).toBe('');
    expect(errnoOf(() => w(k, 'monitor_on', 'on\n'))).toBe(EINVAL); // nothing left to monitor
  });

  it('when every vaddr target exits the kdamond stops, target_ids reads empty, and writing the read-back value back works', async () => {
    const k = bootPreset();
    const pid = await spawn(k, 'abench size=4M iters=2 node=0');
    w(k, 'target_ids', `${pid}\n`);
    w(k, 'record', '0 none\n');
    w(k, 'monitor_on', 'on\n');
    await advance(k, '1s');
    expect(k.fs.readFile(`${D}/monitor_on`)).toBe('off\n');
    const saved = k.fs.readFile(`${D}/target_ids`);
    expect(saved).toBe('\n');
    expect(errnoOf(() => w(k, 'target_ids', saved))).toBe(undefined); // save/restore round trips
    expect(k.fs.readFile(`${D}/target_ids`)).toBe('\n');
  });

  it('pids reads an empty line too; writing it back is ENOMEM, the 2020 parser’s quirk for no number', async () => {
    const k = bootKernel(presetConfig(), { seed: 1, clock: 'virtual', damonAbi: '2020' });
    const pid = await spawn(k, 'abench size=4M iters=2 node=0');
    w(k, 'pids', `${pid}\n`);
    w(k, 'record', '0 none\n');
    w(k, 'monitor_on', 'on\n');
    await advance(k, '1s');
    expect(k.fs.readFile(`${D}/pids`)).toBe('\n');
    expect(errnoOf(() => w(k, 'pids', '\n'))).toBe(ENOMEM);
  });

  it('the paddr target stays (dbgfs_before_terminate puts pid targets only); its regions go', async () => {
    const k = bootPreset();
    w(k, 'target_ids', 'paddr\n');
    w(k, 'init_regions', `42 ${0x500000000} ${0x600000000}\n`);
    w(k, 'record', '0 none\n');
    w(k, 'monitor_on', 'on\n');
    await advance(k, '200ms');
    w(k, 'monitor_on', 'off\n');
    expect(k.fs.readFile(`${D}/target_ids`)).toBe('42\n');
    expect(k.fs.readFile(`${D}/init_regions`)).toBe('');
  });
});

describe('paddr on the debugfs interfaces monitors only init_regions', () => {
  it.each([
    ['union', 'pids', 1],
    ['union', 'target_ids', 2],
    ['2020', 'pids', 1],
  ] as const)('%s, paddr through %s and no init_regions: every snapshot has the target with no region', async (abi, file, version) => {
    const k = abi === 'union' ? bootPreset() : bootKernel(presetConfig(), { seed: 1, clock: 'virtual', damonAbi: abi });
    await spawn(k, 'hotset size=256M node=1');
    w(k, file, 'paddr\n');
    w(k, 'record', '4096 /rec.data\n');
    w(k, 'monitor_on', 'on\n');
    await advance(k, '1s');
    expect(damonDbgfs(k).defaultCtx.nrRegions()).toBe(0);
    w(k, 'monitor_on', 'off\n');
    const rec = parseRecord((k.hostFs as MemoryHostFs).files.get('/rec.data')!);
    expect(rec.version).toBe(version);
    expect(rec.snapshots.length).toBeGreaterThanOrEqual(9);
    for (const s of rec.snapshots) expect(s.targets.map((t) => t.regions.length)).toEqual([0]);
  });

  it.each(['5.15', '5.18'] as const)('%s: paddr with no init_regions has no region while running', async (abi) => {
    const k = bootKernel(presetConfig(), { seed: 1, clock: 'virtual', damonAbi: abi });
    w(k, 'target_ids', 'paddr\n');
    w(k, 'monitor_on', 'on\n');
    await advance(k, '500ms');
    expect(k.fs.readFile(`${D}/monitor_on`)).toBe('on\n');
    expect(damonDbgfs(k).defaultCtx.nrRegions()).toBe(0);
  });

  it('the DAMON modules’ default (damon_set_region_biggest_system_ram_default) is kept for other front ends: the largest System RAM range, kmem included', async () => {
    const k = bootPreset();
    const ctx = damonDbgfs(k).defaultCtx;
    w(k, 'target_ids', 'paddr\n');
    w(k, 'record', '0 none\n');
    setRegionBiggestSystemRamDefault(k, ctx.targets[0]!);
    expect(ctx.targets[0]!.initRegions).toEqual([[20n << 30n, 36n << 30n]]); // node 1's System RAM (kmem) on cxl-2node
    w(k, 'monitor_on', 'on\n');
    await advance(k, '200ms');
    const regions = ctx.targets[0]!.regions;
    expect(regions.length).toBeGreaterThanOrEqual(10);
    expect(regions[0]!.start).toBe(20 * 2 ** 30);
    expect(regions[regions.length - 1]!.end).toBe(36 * 2 ** 30);
  });
});

describe('record format version follows the file that set the targets', () => {
  it.each([
    ['union', 'pids', 'paddr', 1, -1n], // the pids era wrote 4-byte int pids: paddr's -1 stays -1
    ['union', 'target_ids', 'paddr', 2, 42n],
    ['union', 'pids', 'pid', 1, undefined],
    ['union', 'target_ids', 'pid', 2, undefined],
    ['2020', 'pids', 'paddr', 1, -1n],
  ] as const)('%s %s %s → version %d', async (abi, file, kind, version, id) => {
    const k = abi === 'union' ? bootPreset() : bootKernel(presetConfig(), { seed: 1, clock: 'virtual', damonAbi: abi });
    const pid = await spawn(k, 'hotset size=64M node=0');
    w(k, file, kind === 'paddr' ? 'paddr\n' : `${pid}\n`);
    if (kind === 'paddr') w(k, 'init_regions', `${k.fs.readFile(`${D}/${file}`).trim()} ${4n << 30n} ${5n << 30n}\n`);
    w(k, 'record', '1024 /rec.data\n');
    w(k, 'monitor_on', 'on\n');
    await advance(k, '500ms');
    w(k, 'monitor_on', 'off\n');
    const data = (k.hostFs as MemoryHostFs).files.get('/rec.data')!;
    expect(data.subarray(0, 16).toString('latin1')).toBe('damon_recfmt_ver');
    expect(data.readInt32LE(16)).toBe(version);
    const rec = parseRecord(data); // the damo port reads both versions
    expect(rec.version).toBe(version);
    expect(rec.snapshots.length).toBeGreaterThanOrEqual(4);
    for (const s of rec.snapshots) {
      expect(s.targets.map((t) => t.id)).toEqual([id ?? BigInt(pid)]);
      expect(s.targets[0]!.regions.length).toBeGreaterThan(0);
    }
  });
});

describe('allocation order: a node-0 hot set shows in a paddr record over the largest System RAM range', () => {
  it('cxl-2node, 1 GiB hotset on node 0: the record over the largest "System RAM" range sees the hot set', async () => {
    const k = bootPreset();
    const pid = await spawn(k, 'hotset size=1G threads=8 node=0');
    const p = k.tasks.get(pid)!;
    // The largest range named "System RAM" in /proc/iomem, as the 2020 damo's default_paddr_region
    // picks it (exact name, so CXL's "System RAM (kmem)" is not a candidate): node 0 above 4 GiB.
    let best: [bigint, bigint] = [0n, 0n];
    for (const m of k.fs.readFile('proc/iomem').matchAll(/^([0-9a-f]+)-([0-9a-f]+) : System RAM$/gm)) {
      const r: [bigint, bigint] = [BigInt(`0x${m[1]}`), BigInt(`0x${m[2]}`) + 1n];
      if (r[1] - r[0] > best[1] - best[0]) best = r;
    }
    expect(best).toEqual([4n << 30n, 17n << 30n]);
    w(k, 'pids', 'paddr\n');
    w(k, 'init_regions', `-1 ${best[0]} ${best[1]}\n`);
    w(k, 'record', '1048576 /damon.data\n');
    w(k, 'monitor_on', 'on\n');
    await advance(k, '3s');
    w(k, 'monitor_on', 'off\n');
    // The hot set's physical pages: the first hotPages pages of the buffer.
    const hotPages = (p.vma.pattern as HotsetPattern).hotPages;
    const hot = Array.from({ length: hotPages }, (_, i) => p.vma.pt[i]! * 4096);
    const hotLo = Math.min(...hot);
    const hotHi = Math.max(...hot) + 4096;
    const { snapshots } = parseRecord((k.hostFs as MemoryHostFs).files.get('/damon.data')!);
    const last = snapshots.slice(-5);
    let hotAccesses = 0;
    for (const s of last) for (const r of s.targets[0]!.regions) if (r.start < hotHi && r.end > hotLo) hotAccesses += r.nrAccesses;
    expect(hotAccesses).toBeGreaterThan(0);
    expect(hotLo).toBeGreaterThanOrEqual(Number(best[0])); // ZONE_NORMAL: inside the monitored range
    expect(Math.max(...last.flatMap((s) => s.targets[0]!.regions.map((r) => r.nrAccesses)))).toBeGreaterThanOrEqual(10);
  });
});
