// CPU hotplug through /sys/devices/system/cpu/cpuN/online (drivers/base/core.c online_store,
// kernel/cpu.c): kstrtobool input, the masks an offline CPU leaves (cpu/online, the node's
// cpulist/cpumap, has_cpu with its node's last CPU), and no thread left running on it.
import { describe, expect, it } from 'vitest';
import { EBUSY, EINVAL, ENOENT } from '../../../src/kernfs/index.js';
import { bootPreset, errnoOf, spawn } from './boot.js';

const CPU = 'sys/devices/system/cpu';
const NODE = 'sys/devices/system/node';

function masks(k: ReturnType<typeof bootPreset>) {
  const r = (p: string) => k.fs.readFile(p);
  return { online: r(`${CPU}/online`), offline: r(`${CPU}/offline`), cpulist: r(`${NODE}/node0/cpulist`), cpumap: r(`${NODE}/node0/cpumap`), hasCpu: r(`${NODE}/has_cpu`) };
}

describe('cpuN/online takes kstrtobool input', () => {
  it.each([
    ['0', '0\n'],
    ['0\n', '0\n'],
    ['n', '0\n'],
    ['off', '0\n'],
    ['false', '0\n'],
    ['1', '1\n'],
    ['y', '1\n'],
    ['on', '1\n'],
    ['yes', '1\n'],
  ])('%j from offline and from online leaves it %j', (input, want) => {
    for (const start of ['0', '1']) {
      const k = bootPreset();
      k.fs.writeFile(`${CPU}/cpu3/online`, start);
      k.fs.writeFile(`${CPU}/cpu3/online`, input);
      expect(k.fs.readFile(`${CPU}/cpu3/online`)).toBe(want);
    }
  });

  it.each(['2', 'x', 'o', 'maybe', ' 1', '-1'])('%j is EINVAL and changes nothing', (input) => {
    const k = bootPreset();
    k.fs.writeFile(`${CPU}/cpu2/online`, '0');
    const before = masks(k);
    expect(errnoOf(() => k.fs.writeFile(`${CPU}/cpu2/online`, input))).toBe(EINVAL);
    expect(errnoOf(() => k.fs.writeFile(`${CPU}/cpu5/online`, input))).toBe(EINVAL);
    expect(masks(k)).toEqual(before);
  });

  it('cpu0 has no online file (x86 cannot hot-remove the boot CPU)', () => {
    const k = bootPreset();
    expect(k.fs.readdir(`${CPU}/cpu0`)).not.toContain('online');
    expect(errnoOf(() => k.fs.writeFile(`${CPU}/cpu0/online`, '0'))).toBe(ENOENT);
    expect(k.fs.readdir(`${CPU}/cpu1`)).toContain('online');
  });
});

describe('an offline CPU leaves the masks', () => {
  it('cpu/online, cpu/offline, the node cpulist and cpumap follow; the node link stays', () => {
    const k = bootPreset();
    expect(masks(k)).toEqual({ online: '0-7\n', offline: '\n', cpulist: '0-7\n', cpumap: 'ff\n', hasCpu: '0\n' });
    k.fs.writeFile(`${CPU}/cpu3/online`, '0');
    k.fs.writeFile(`${CPU}/cpu6/online`, '0');
    expect(masks(k)).toEqual({ online: '0-2,4-5,7\n', offline: '3,6\n', cpulist: '0-2,4-5,7\n', cpumap: 'b7\n', hasCpu: '0\n' });
    expect(k.fs.readFile(`${CPU}/cpu3/online`)).toBe('0\n');
    expect(k.fs.readdir(`${NODE}/node0`)).toContain('cpu3');
    expect(k.fs.readlink(`${NODE}/node0/cpu3`)).toBe('../../cpu/cpu3');
    expect(k.fs.readFile('sim/dmesg')).toContain('smpboot: CPU 3 is now offline');
    k.fs.writeFile(`${CPU}/cpu3/online`, '1');
    k.fs.writeFile(`${CPU}/cpu6/online`, '1');
    expect(masks(k)).toEqual({ online: '0-7\n', offline: '\n', cpulist: '0-7\n', cpumap: 'ff\n', hasCpu: '0\n' });
  });

  it('a node whose last CPU goes offline leaves has_cpu, and comes back with one (2socket-cxl)', () => {
    const k = bootPreset('2socket-cxl');
    expect(k.fs.readFile(`${NODE}/has_cpu`)).toBe('0-1\n');
    for (let c = 16; c < 32; c++) k.fs.writeFile(`${CPU}/cpu${c}/online`, '0');
    expect(k.fs.readFile(`${NODE}/has_cpu`)).toBe('0\n');
    expect(k.fs.readFile(`${NODE}/node1/cpulist`)).toBe('\n');
    expect(k.fs.readFile(`${CPU}/offline`)).toBe('16-31\n');
    k.fs.writeFile(`${CPU}/cpu20/online`, '1');
    expect(k.fs.readFile(`${NODE}/has_cpu`)).toBe('0-1\n');
    expect(k.fs.readFile(`${NODE}/node1/cpulist`)).toBe('20\n');
  });

  it('the last online CPU cannot go offline (EBUSY) — unreachable with cpu0 always online, checked in the mechanism', async () => {
    const { cpuDown } = await import('../../../src/kernel/drivers/cpu_hotplug.js');
    const k = bootPreset();
    for (let c = 1; c < 8; c++) k.fs.writeFile(`${CPU}/cpu${c}/online`, '0');
    expect(errnoOf(() => cpuDown(k, 0))).toBe(EBUSY);
    expect(k.fs.readFile(`${CPU}/online`)).toBe('0\n');
  });
});

describe('an offline CPU runs no thread', () => {
  it('a new process never gets an offline CPU', async () => {
    const k = bootPreset();
    for (const c of [1, 2, 3]) k.fs.writeFile(`${CPU}/cpu${c}/online`, '0');
    const pid = await spawn(k, 'hotset size=16M threads=8');
    expect([...k.tasks.get(pid)!.mm.cpus]).toEqual([0, 4, 5, 6, 7]);
  });

  it('threads on a CPU going offline move to the node\'s other online CPUs, and the process runs slower', async () => {
    const k = bootPreset();
    const pid = await spawn(k, 'hotset size=64M threads=8 iters=100'); // latency-bound: fewer CPUs, fewer accesses at once
    const p = k.tasks.get(pid)!;
    const rate = p.rate;
    k.fs.writeFile(`${CPU}/cpu5/online`, '0');
    expect([...p.mm.cpus]).toEqual([0, 1, 2, 3, 4, 6, 7]);
    expect(p.rate).toBeLessThan(rate);
    const few = await spawn(k, 'abench size=64M threads=2 iters=100');
    k.fs.writeFile(`${CPU}/cpu1/online`, '0');
    expect([...k.tasks.get(few)!.mm.cpus]).toEqual([0, 2]);
  });

  it('a process whose node loses every CPU runs on the nearest node with one (2socket-cxl)', async () => {
    const k = bootPreset('2socket-cxl');
    const pid = await spawn(k, 'hotset size=16M threads=4 cpunode=1 node=1');
    const p = k.tasks.get(pid)!;
    expect(p.cpuNode).toBe(1);
    for (let c = 16; c < 32; c++) k.fs.writeFile(`${CPU}/cpu${c}/online`, '0');
    expect(p.cpuNode).toBe(0);
    expect([...p.mm.cpus]).toEqual([0, 1, 2, 3]);
    // asking for that node now gets the nearest node with CPUs, as spawn picks
    const next = await spawn(k, 'idle size=4M cpunode=1');
    expect(k.tasks.get(next)!.cpuNode).toBe(0);
  });
});
