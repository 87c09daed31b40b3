// The simulator's control files (sim/sim_files.ts, sim/process_files.ts): the clock and its
// stepping in virtual time only, the spawn help, file modes, and a process's state, run time
// and progress.
import { describe, expect, it } from 'vitest';
import { EAGAIN, EINVAL, ENOENT, ENOMEM, EOVERFLOW, ERANGE } from '../../../src/kernfs/index.js';
import { MAX_FINISHED } from '../../../src/kernel/sched/tasks.js';
import { bootKernel, type Kernel } from '../../../src/kernel/kernel.js';
import { WORKLOAD_KINDS, isProblem, parseWorkloadSpec, type WorkloadSpec } from '../../../src/kernel/workload/spec.js';
import { advance, bootPreset, presetConfig, spawn } from './boot.js';

const IDLE = parseWorkloadSpec('idle', [0, 1]);
if (isProblem(IDLE)) throw new Error(IDLE.message);
const IDLE_SPEC: WorkloadSpec = IDLE;
const lastDmesg = (k: Kernel) => k.fs.readFile('sim/dmesg').trimEnd().split('\n').at(-1)!;
const now = (k: Kernel) => {
  const m = /^(\d+) virtual\n$/.exec(k.fs.readFile('sim/clock'));
  expect(m).not.toBeNull();
  return Number(m![1]);
};

describe('sim/clock and sim/advance', () => {
  it('boots at 0 and reads "<now_ns> virtual"', () => {
    const k = bootPreset();
    expect(k.fs.readFile('sim/clock')).toBe('0 virtual\n');
  });

  it.each([
    ['250ms', 250_000_000],
    ['10s', 10_000_000_000],
    ['1500us', 1_500_000],
    ['7ns', 7],
    ['2', 2_000_000_000],
    ['0.5ms', 500_000],
    ['1500us\n', 1_500_000],
  ])('echo %j > sim/advance moves the clock by exactly %i ns', async (text, ns) => {
    const k = bootPreset();
    await advance(k, '3ms');
    const t0 = now(k);
    await k.fs.writeFileAsync('sim/advance', text);
    expect(now(k)).toBe(t0 + ns);
    expect(k.clock.nowNs).toBe(t0 + ns);
  });

  it('successive advances add up, with processes running meanwhile', async () => {
    const k = bootPreset();
    await spawn(k, 'hotset size=16M node=1 threads=4');
    for (const d of ['1ms', '2ms', '3ms']) await advance(k, d);
    expect(k.fs.readFile('sim/clock')).toBe('6000000 virtual\n');
  });

  it.each(['abc', '10 parsecs', '-5ms', '1e3ms', 'ms'])('%j is EINVAL, the clock stays and dmesg says why', async (text) => {
    const k = bootPreset();
    await advance(k, '1ms');
    await expect(k.fs.writeFileAsync('sim/advance', text)).rejects.toBe(EINVAL);
    expect(now(k)).toBe(1_000_000);
    expect(lastDmesg(k)).toMatch(/tiersim: advance: .* is not a duration/);
  });

  it('a realtime kernel cannot be stepped: EINVAL and dmesg names the wall clock', async () => {
    const k = bootKernel(presetConfig(), { clock: 'realtime' });
    expect(k.fs.readFile('sim/clock')).toMatch(/^\d+ realtime\n$/);
    const t = k.clock.nowNs;
    await expect(k.fs.writeFileAsync('sim/advance', '10ms')).rejects.toBe(EINVAL);
    expect(k.clock.nowNs).toBe(t);
    expect(lastDmesg(k)).toMatch(/advance: the clock follows the wall clock/);
  });
});

describe('sim/spawn help', () => {
  it('reading without a write lists every workload kind with its keys', () => {
    const k = bootPreset();
    const lines = k.fs.readFile('sim/spawn').trimEnd().split('\n');
    expect(lines.map((l) => l.split(' ')[0])).toEqual([...WORKLOAD_KINDS]);
    for (const l of lines) expect(l).toMatch(/ size= .*node= policy= interleave= cpunode=$/);
    expect(lines.find((l) => l.startsWith('memhog '))).toContain(' repeat=');
    expect(lines.find((l) => l.startsWith('hotset '))).toContain(' hot= share= phase=');
  });

  it('the spawn answer is the pid, read back on the same open file', async () => {
    const k = bootPreset();
    expect(await k.fs.transact('sim/spawn', 'idle size=4M')).toBe('1000\n');
    expect(await k.fs.transact('sim/spawn', 'idle size=4M')).toBe('1001\n');
    expect(k.fs.readdir('sim/processes')).toEqual(['1000', '1001']);
  });
});

describe('modes', () => {
  it.each([
    ['sim/clock', 0o444],
    ['sim/advance', 0o200],
    ['sim/spawn', 0o600],
    ['sim/migrate', 0o600],
    ['sim/migrate_flow', 0o644],
    ['sim/dmesg', 0o444],
  ])('%s is %o', (path, mode) => {
    const k = bootPreset();
    expect(k.fs.stat(path).mode & 0o7777).toBe(mode);
  });

  it.each([
    ['workload', 0o444],
    ['state', 0o444],
    ['progress', 0o444],
    ['runtime_ns', 0o444],
    ['numa_maps', 0o444],
    ['kill', 0o200],
  ])('sim/processes/PID/%s is %o', async (name, mode) => {
    const k = bootPreset();
    const pid = await spawn(k, 'idle size=4M');
    expect(k.fs.stat(`sim/processes/${pid}`).mode & 0o7777).toBe(0o555);
    expect(k.fs.stat(`sim/processes/${pid}/${name}`).mode & 0o7777).toBe(mode);
  });
});

describe('process state, runtime and progress', () => {
  it('an abench finishes as done with runtime_ns = its completion time, and stays there', async () => {
    const k = bootPreset();
    await advance(k, '1ms');
    const pid = await spawn(k, 'abench size=4M node=1 iters=3');
    const p = k.tasks.get(pid)!;
    const total = 3 * 1024;
    const expectedRuntime = Math.ceil(total / p.rate);
    expect(k.fs.readFile(`sim/processes/${pid}/state`)).toBe('running\n');
    expect(k.fs.readFile(`sim/processes/${pid}/progress`)).toBe(`0 ${total}\n`);
    await advance(k, '1s');
    expect(k.fs.readFile(`sim/processes/${pid}/state`)).toBe('done\n');
    expect(k.fs.readFile(`sim/processes/${pid}/runtime_ns`)).toBe(`${expectedRuntime}\n`);
    expect(p.endNs).toBe(1_000_000 + expectedRuntime);
    expect(k.fs.readFile(`sim/processes/${pid}/progress`)).toBe(`${total} ${total}\n`);
    expect(lastDmesg(k)).toBe(`[    ${((1_000_000 + expectedRuntime) / 1e9).toFixed(6)}] tiersim: pid ${pid} (abench) exited after ${(expectedRuntime / 1e9).toFixed(6)} s`);
    await advance(k, '1s');
    expect(k.fs.readFile(`sim/processes/${pid}/runtime_ns`)).toBe(`${expectedRuntime}\n`);
    // A finished process's memory is back.
    expect(k.fs.readFile(`sim/processes/${pid}/numa_maps`)).toBe('');
    expect(k.alloc.freePages(1)).toBe(k.alloc.managedPages(1));
  });

  it('runtime_ns of a running process grows with the clock', async () => {
    const k = bootPreset();
    const pid = await spawn(k, 'hotset size=8M node=1');
    await advance(k, '5ms');
    expect(k.fs.readFile(`sim/processes/${pid}/runtime_ns`)).toBe('5000000\n');
  });

  it.each([
    ['abench size=4M node=1 iters=0', 0],
    ['hotset size=4M node=1', 0],
    ['zipf size=4M node=0 iters=2 accesses=100', 200],
    ['memhog size=4M node=0 repeat=5', 5 * 1024],
  ])('%s: progress reads "<done> <total>" with total %i', async (spec, total) => {
    const k = bootPreset();
    const pid = await spawn(k, spec);
    const p = k.tasks.get(pid)!;
    const rate = p.rate;
    await advance(k, '100us');
    const done = Math.min(Math.floor(rate * 100_000), total === 0 ? Infinity : total);
    expect(k.fs.readFile(`sim/processes/${pid}/progress`)).toBe(`${done} ${total}\n`);
    expect(done).toBeGreaterThan(0);
  });

  it('an idle process sleeps, makes no progress, and ends after its duration', async () => {
    const k = bootPreset();
    const pid = await spawn(k, 'idle size=4M duration=20ms');
    expect(k.fs.readFile(`sim/processes/${pid}/state`)).toBe('sleeping\n');
    await advance(k, '10ms');
    expect(k.fs.readFile(`sim/processes/${pid}/progress`)).toBe('0 0\n');
    await advance(k, '10ms');
    expect(k.fs.readFile(`sim/processes/${pid}/state`)).toBe('done\n');
    expect(k.fs.readFile(`sim/processes/${pid}/runtime_ns`)).toBe('20000000\n');
  });

  it('an unknown pid directory does not exist', () => {
    const k = bootPreset();
    expect(() => k.fs.readFile('sim/processes/1000/state')).toThrow();
    expect(() => k.fs.readFile('sim/processes/abc/state')).toThrow();
  });
});

describe('node lists are bitmap_parselist over MAX_NUMNODES bits (nodelist_parse)', () => {
  it.each([
    ['a range past MAX_NUMNODES is ERANGE, never expanded', '1000 0-999999999 0', ERANGE],
    ['a node id of MAX_NUMNODES is ERANGE', '1000 1 1024', ERANGE],
    ['a number over UINT_MAX is EOVERFLOW', '1000 1 0-99999999999999999999', EOVERFLOW],
    ['a malformed list is EINVAL', '1000 1-x 0', EINVAL],
    ['a node below MAX_NUMNODES without memory is EINVAL', '1000 1 1023', EINVAL],
    ['N (MAX_NUMNODES - 1) names a node without memory: EINVAL', '1000 N 0', EINVAL],
    ['all names nodes without memory: EINVAL', '1000 all 0', EINVAL],
  ])('sim/migrate: %s (%j)', async (_rule, request, errno) => {
    const k = bootPreset();
    await spawn(k, 'hotset size=4M node=1');
    const moved = k.vm.event('pgmigrate_success');
    await expect(k.fs.transact('sim/migrate', request)).rejects.toBe(errno);
    expect(k.vm.event('pgmigrate_success')).toBe(moved);
    expect(lastDmesg(k)).toMatch(/tiersim: migrate: /);
    // The kernel still answers: a good request right after moves the pages.
    expect(await k.fs.transact('sim/migrate', '1000 1 0')).toMatch(/^pages_moved 1024$/m);
  });

  it.each([
    ['0-999999999', /bad interleave=0-999999999: ERANGE/],
    ['1024', /bad interleave=1024: ERANGE/],
    ['0-4294967296', /bad interleave=0-4294967296: EOVERFLOW/],
    ['0-1023', /bad interleave=0-1023: must be a list of nodes/],
    ['', /bad interleave=: must be a list of nodes/],
  ])('sim/spawn interleave=%s is EINVAL, dmesg says why, nothing is spawned', (list, message) => {
    const k = bootPreset();
    expect(() => k.fs.writeFile('sim/spawn', `idle size=4M interleave=${list}\n`)).toThrow(EINVAL);
    expect(lastDmesg(k)).toMatch(message);
    expect(k.tasks.list()).toEqual([]);
  });

  it('interleave takes the parser\'s full syntax: 0-1:1/2 is node 0 only', async () => {
    const k = bootPreset();
    const pid = await spawn(k, 'idle size=4M interleave=0-1:1/2');
    expect(k.fs.readFile(`sim/processes/${pid}/numa_maps`)).toMatch(/interleave:0 anon=1024 .* N0=1024 /);
  });
});

describe('spawn values that set an event rate or a size are bounded by what the model serves', () => {
  it.each([
    ['hotset size=4M phase=1ns', /bad phase=1ns: must be 0 \(the hot set never moves\) or at least 1ms/],
    ['hotset size=4M phase=999us', /bad phase=999us/],
    ['abench size=4M delay_us=1000000001', /bad delay_us=1000000001: must be an integer in 0\.\.1000000000/],
    ['abench size=4K iters=9007199254740991 accesses=2', /iters × accesses must be at most 2\^53 - 1/],
  ])('%j is EINVAL and dmesg gives the bound', (spec, message) => {
    const k = bootPreset();
    expect(() => k.fs.writeFile('sim/spawn', `${spec}\n`)).toThrow(EINVAL);
    expect(lastDmesg(k)).toMatch(message);
    expect(k.tasks.list()).toEqual([]);
  });

  it.each(['hotset size=4M phase=1ms', 'hotset size=4M phase=0', 'abench size=4M delay_us=1000000000'])('%j is accepted', async (spec) => {
    const k = bootPreset();
    expect(await spawn(k, spec)).toBe(1000);
  });

  it.each(['abench size=1000T', 'zipf size=100G'])('%j asks for more than all memory: ENOMEM before anything is built for it', (spec) => {
    const k = bootPreset();
    const free = k.fs.readFile('proc/meminfo');
    expect(() => k.fs.writeFile('sim/spawn', spec)).toThrow(ENOMEM);
    expect(lastDmesg(k)).toMatch(/out of memory: \d+ pages is more than all memory \(\d+ pages\)/);
    expect(k.fs.readFile('proc/meminfo')).toBe(free);
    expect(k.tasks.list()).toEqual([]);
  });

  it('a hot-set phase change gives every node the weight sum a page walk gives (chunk counts, not a walk)', async () => {
    const k = bootPreset();
    const pid = await spawn(k, 'hotset size=8M hot=0.3 phase=1ms interleave=0-1');
    await k.fs.transact('sim/migrate', `${pid} 0 1`); // pages move: the counts follow map/unmap
    await k.fs.transact('sim/migrate', `${pid} 1 0`);
    const p = k.tasks.get(pid)!;
    for (const phase of [1, 2, 3, 7]) {
      p.vma.setPhase(phase, k.alloc.frames);
      const walk = new Float64Array(p.vma.nodeWeight.length);
      for (let i = 0; i < p.vma.nrPages; i++) {
        const pfn = p.vma.pt[i]!;
        if (pfn >= 0) walk[k.alloc.frames.blockOf(pfn)!.nid]! += p.vma.pattern.weight(i, phase);
      }
      walk.forEach((w, nid) => expect(p.vma.nodeWeight[nid]).toBeCloseTo(w, 12));
    }
  });
});

describe('finished processes: the last MAX_FINISHED stay listed with their result, older ones are reaped', () => {
  it(`after ${MAX_FINISHED + 100} spawn/kill cycles only the last ${MAX_FINISHED} finished ones and the live ones are listed`, async () => {
    const k = bootPreset();
    const keeper = await spawn(k, 'idle size=4M'); // alive throughout: never reaped
    const pids: number[] = [];
    for (let i = 0; i < MAX_FINISHED + 100; i++) {
      const pid = await spawn(k, 'abench size=4K iters=0');
      k.fs.writeFile(`sim/processes/${pid}/kill`, '9');
      pids.push(pid);
    }
    const listed = k.fs.readdir('sim/processes').map(Number);
    expect(listed).toHaveLength(MAX_FINISHED + 1);
    expect(listed).toContain(keeper);
    expect(listed).toEqual(expect.arrayContaining(pids.slice(-MAX_FINISHED)));
    expect(() => k.fs.readFile(`sim/processes/${pids[99]}/state`)).toThrow(ENOENT);
    expect(k.fs.readFile(`sim/processes/${pids[100]}/state`)).toBe('killed\n');
    expect(k.fs.readFile(`sim/processes/${keeper}/state`)).toBe('sleeping\n');
    expect(() => k.fs.writeFile(`sim/processes/${pids[0]}/kill`, '9')).toThrow(ENOENT);
  });

  it('a finished process keeps its result but not its page table, pattern tables or progress history', async () => {
    const k = bootPreset();
    const pid = await spawn(k, 'zipf size=16M node=1');
    const p = k.tasks.get(pid)!;
    await advance(k, '10ms');
    const before = k.fs.readFile(`sim/processes/${pid}/workload`);
    k.fs.writeFile(`sim/processes/${pid}/kill`, '9');
    const progress = k.fs.readFile(`sim/processes/${pid}/progress`);
    expect(p.mm.vmas).toEqual([]);
    expect(p.vma.nrPages).toBe(0);
    expect(p.vma.pt.length).toBe(0);
    expect(p.historyStartNs).toBe(p.endNs);
    await advance(k, '10ms');
    expect(k.fs.readFile(`sim/processes/${pid}/workload`)).toBe(before);
    expect(k.fs.readFile(`sim/processes/${pid}/progress`)).toBe(progress);
    expect(k.fs.readFile(`sim/processes/${pid}/runtime_ns`)).toBe('10000000\n');
  });
});

describe('pids: handed out cyclically below pid_max; live processes are bounded by it', () => {
  it('pid_max = max(32768, 1024 × CPUs) (pid_idr_init)', () => {
    expect(bootPreset().tasks.pidMax).toBe(32768);
  });

  it('when every pid is taken a spawn is EAGAIN with the reason in dmesg; a kill frees a pid for the next spawn', async () => {
    const k = bootPreset();
    const room = k.tasks.pidMax - 1000;
    for (let i = 0; i < room; i++) k.tasks.spawn({ ...IDLE_SPEC });
    expect(() => k.fs.writeFile('sim/spawn', 'idle')).toThrow(EAGAIN);
    expect(lastDmesg(k)).toMatch(/every pid below pid_max \(32768\) is in use/);
    // A finished process holds its pid until it is reaped (as a zombie does)...
    k.fs.writeFile('sim/processes/20000/kill', '9');
    expect(() => k.fs.writeFile('sim/spawn', 'idle')).toThrow(EAGAIN);
    // ...so once MAX_FINISHED newer ones have finished, its pid is free again.
    for (let pid = 1000; pid < 1000 + MAX_FINISHED; pid++) k.fs.writeFile(`sim/processes/${pid}/kill`, '9');
    expect(() => k.fs.readFile('sim/processes/20000/state')).toThrow(ENOENT);
    expect(await spawn(k, 'idle')).toBe(20000);
  });

  it('after the last pid the next one wraps to the first free pid', async () => {
    const k = bootPreset();
    const room = k.tasks.pidMax - 1000;
    for (let i = 0; i < room - 1; i++) k.tasks.spawn({ ...IDLE_SPEC });
    expect(await spawn(k, 'idle')).toBe(32767);
    k.fs.writeFile('sim/processes/1005/kill', '9');
    for (let pid = 2000; pid < 2000 + MAX_FINISHED; pid++) k.fs.writeFile(`sim/processes/${pid}/kill`, '9');
    expect(await spawn(k, 'idle')).toBe(1005);
  });
});
