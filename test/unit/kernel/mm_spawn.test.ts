// Processes and their memory (sched/tasks.ts, mm/mm.ts, mm/frames.ts, mm/page_alloc.ts):
// spawning accounts exactly the buffer and page tables, policies place pages as the kernel's
// mempolicies do, ENOMEM changes nothing, exit frees everything, and the reverse map agrees
// with the page tables.
import { describe, expect, it } from 'vitest';
import { EINVAL, ENOMEM, ESRCH } from '../../../src/kernfs/index.js';
import { NO_OWNER, PG_FREE, PG_KERNEL, PG_LRU } from '../../../src/kernel/mm/frames.js';
import { pageTablePages } from '../../../src/kernel/mm/mm.js';
import type { Kernel } from '../../../src/kernel/kernel.js';
import { bootPreset, spawn } from './boot.js';

const NODE = 'sys/devices/system/node';
const kb = (k: Kernel, nid: number, label: string) => Number(new RegExp(`^Node ${nid} ${label.replace(/[()]/g, '\\$&')}: +(\\d+) kB$`, 'm').exec(k.fs.readFile(`${NODE}/node${nid}/meminfo`))![1]);
const numastat = (k: Kernel, nid: number, name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(k.fs.readFile(`${NODE}/node${nid}/numastat`))![1]);
const vmstat = (k: Kernel, name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(k.fs.readFile('proc/vmstat'))![1]);
const meminfo = (k: Kernel, label: string) => Number(new RegExp(`^${label}: +(\\d+) kB$`, 'm').exec(k.fs.readFile('proc/meminfo'))![1]);

/** Every file whose content must not change when a spawn fails. */
function snapshot(k: Kernel): string {
  const files = ['proc/meminfo', 'proc/vmstat'];
  for (const nid of [0, 1]) for (const f of ['meminfo', 'numastat', 'vmstat']) files.push(`${NODE}/node${nid}/${f}`);
  return files.map((f) => `${f}\n${k.fs.readFile(f)}`).join('\n');
}

describe('frames', () => {
  it('materialize lazily: an idle machine holds no frame state; a touched block costs 13 bytes per frame', async () => {
    const k = bootPreset();
    const boot = k.alloc.frames.bytes;
    const blockPages = k.layout.blocks[0]!.nrPages;
    expect(boot).toBeLessThanOrEqual(2 * 13 * blockPages); // the boot slab's block(s) only
    await spawn(k, 'idle size=4K node=1');
    expect(k.alloc.frames.bytes - boot).toBe(13 * blockPages);
  });

  it('movable pages are LRU frames with an owner; page tables are kernel frames; free frames are free', async () => {
    const k = bootPreset();
    const p = k.tasks.get(await spawn(k, 'idle size=8M node=1'))!;
    const pfn = p.vma.pt[0]!;
    expect(k.alloc.frames.flagsOf(pfn) & PG_LRU).toBe(PG_LRU);
    expect(k.alloc.frames.ownerOf(pfn)).toBe(p.mm.id);
    const pt = p.mm.pageTables!.pfns[0]!;
    expect(k.alloc.frames.flagsOf(pt)).toBe(PG_KERNEL);
    expect(k.alloc.frames.ownerOf(pt)).toBe(NO_OWNER);
    k.tasks.kill(p.pid);
    expect(k.alloc.frames.flagsOf(pfn)).toBe(PG_FREE);
    expect(k.alloc.frames.ownerOf(pfn)).toBe(NO_OWNER);
  });

  it('hands out distinct pfns inside their blocks, and pgalloc_movable / pgfree count them', async () => {
    const k = bootPreset();
    const movable0 = vmstat(k, 'pgalloc_movable');
    const free0 = vmstat(k, 'pgfree');
    const p = k.tasks.get(await spawn(k, 'idle size=64M node=1'))!;
    const pfns = [...p.vma.pt];
    expect(new Set(pfns).size).toBe(16384);
    for (const pfn of pfns) {
      const b = k.alloc.frames.blockOf(pfn)!;
      expect(b.nid).toBe(1);
      expect(pfn - b.startPfn).toBeLessThan(b.nrPages);
    }
    expect(vmstat(k, 'pgalloc_movable') - movable0).toBe(16384); // CXL memory is ZONE_MOVABLE
    k.tasks.kill(p.pid);
    expect(vmstat(k, 'pgfree') - free0).toBe(16384 + pageTablePages(16384));
  });

  it('allocMigrationTarget stays on its node and answers -1 when the node is at its min watermark', async () => {
    const k = bootPreset();
    const free = k.alloc.allocatablePages(1, true, 'min');
    await spawn(k, `idle size=${free * 4}K node=1 policy=bind`);
    expect(k.alloc.freePages(1)).toBe(k.alloc.wmarkPages(1, 'min'));
    expect(k.alloc.allocMigrationTarget(1, 0)).toBe(-1);
    const pfn = k.alloc.allocMigrationTarget(0, 0);
    expect(k.alloc.frames.blockOf(pfn)!.nid).toBe(0);
  });
});

describe('spawn', () => {
  it('1 GiB on node 1: node1 MemFree falls by exactly 1 GiB, page tables land on the CPU node, numastat counts it', async () => {
    const k = bootPreset();
    const [free1, free0, pt0, global, hit1] = [kb(k, 1, 'MemFree'), kb(k, 0, 'MemFree'), kb(k, 0, 'PageTables'), meminfo(k, 'MemFree'), numastat(k, 1, 'numa_hit')];
    await spawn(k, 'abench size=1G node=1');
    const ptKb = pageTablePages(262144) * 4;
    expect(kb(k, 1, 'MemFree')).toBe(free1 - 1048576);
    expect(kb(k, 1, 'AnonPages')).toBe(1048576);
    expect(kb(k, 1, 'Inactive(anon)')).toBe(1048576);
    expect(kb(k, 0, 'PageTables') - pt0).toBe(ptKb);
    expect(kb(k, 0, 'MemFree')).toBe(free0 - ptKb);
    expect(meminfo(k, 'MemFree')).toBe(global - 1048576 - ptKb);
    expect(numastat(k, 1, 'numa_hit') - hit1).toBe(262144);
  });

  it('a preferred node at its low watermark falls back along the zonelist (numa_miss / numa_foreign)', async () => {
    const k = bootPreset();
    const room = k.alloc.allocatablePages(1, true, 'low');
    const [miss0, foreign1] = [numastat(k, 0, 'numa_miss'), numastat(k, 1, 'numa_foreign')];
    const p = k.tasks.get(await spawn(k, `idle size=${(room + 1000) * 4}K node=1`))!;
    expect(p.mm.residentPages(1)).toBe(room);
    expect(p.mm.residentPages(0)).toBe(1000);
    expect(numastat(k, 0, 'numa_miss') - miss0).toBe(1000);
    expect(numastat(k, 1, 'numa_foreign') - foreign1).toBe(1000);
  });

  it.each([
    ['bind larger than the node', (room: number) => `idle size=${(room + 1) * 4}K node=1 policy=bind`],
    ['larger than all memory', () => 'abench size=100G'],
    ['interleave larger than both nodes', () => 'idle size=40G interleave=0-1'],
  ])('ENOMEM (%s) leaves every meminfo, numastat and vmstat file byte-identical', async (_name, spec) => {
    const k = bootPreset();
    const before = snapshot(k);
    await expect(spawn(k, spec(k.alloc.usableFreePages(1, true)))).rejects.toBe(ENOMEM);
    expect(snapshot(k)).toBe(before);
    expect(k.tasks.list()).toEqual([]);
    expect(k.log.last).toMatch(/out of memory/);
  });

  it('interleave=0-1 alternates pages between the nodes (interleave_hit counts them)', async () => {
    const k = bootPreset();
    const p = k.tasks.get(await spawn(k, 'idle size=4M interleave=0-1'))!;
    const nodes = [...p.vma.pt].map((pfn) => k.alloc.frames.blockOf(pfn)!.nid);
    expect(nodes.every((n, i) => n === i % 2)).toBe(true);
    expect(k.fs.readFile(`sim/processes/${p.pid}/numa_maps`)).toBe('7f0000000000 interleave:0-1 anon=1024 dirty=1024 active=0 N0=512 N1=512 kernelpagesize_kB=4\n');
    expect(numastat(k, 1, 'interleave_hit')).toBe(512);
  });

  it('the reverse map agrees with the page table for every page', async () => {
    const k = bootPreset();
    const p = k.tasks.get(await spawn(k, 'zipf size=16M interleave=0-1'))!;
    const f = k.alloc.frames;
    p.vma.pt.forEach((pfn, i) => {
      expect(f.ownerOf(pfn)).toBe(p.mm.id);
      expect(f.vpnOf(pfn)).toBe(p.vma.startVpn + i);
    });
    expect(k.tasks.processOfMm(p.mm.id)).toBe(p);
  });

  it('threads run on the CPUs of the policy node, or of the nearest CPU node for a CPU-less one', async () => {
    const k = bootPreset('2socket-cxl');
    const cpus1 = k.numa.cpusOf(1);
    const onSocket1 = k.tasks.get(await spawn(k, 'idle size=4K node=1'))!;
    expect(onSocket1.cpuNode).toBe(1);
    const cxl = k.config.nodes.find((n) => n.kind === 'cxl')!.id;
    const onCxl = k.tasks.get(await spawn(k, `abench size=4M threads=2 node=${cxl}`))!;
    const nearest = [0, 1].sort((a, b) => k.numa.distance(cxl, a) - k.numa.distance(cxl, b) || a - b)[0]!;
    expect(onCxl.cpuNode).toBe(nearest);
    expect(onCxl.mm.cpus).toEqual(k.numa.cpusOf(nearest).slice(0, 2));
    expect(cpus1.length).toBeGreaterThan(0);
  });

  it('kill frees memory and page tables; a second kill is ESRCH; bad signals are EINVAL', async () => {
    const k = bootPreset();
    const before = [kb(k, 0, 'MemFree'), kb(k, 1, 'MemFree'), kb(k, 0, 'PageTables')];
    const pid = await spawn(k, 'hotset size=256M node=1');
    expect(() => k.fs.writeFile(`sim/processes/${pid}/kill`, 'STOP\n')).toThrow(EINVAL);
    k.fs.writeFile(`sim/processes/${pid}/kill`, '0\n'); // signal 0: only checks the process exists
    expect(k.fs.readFile(`sim/processes/${pid}/state`)).toBe('running\n');
    k.fs.writeFile(`sim/processes/${pid}/kill`, 'SIGKILL\n');
    expect(k.fs.readFile(`sim/processes/${pid}/state`)).toBe('killed\n');
    expect([kb(k, 0, 'MemFree'), kb(k, 1, 'MemFree'), kb(k, 0, 'PageTables')]).toEqual(before);
    expect(kb(k, 1, 'AnonPages')).toBe(0);
    expect(() => k.fs.writeFile(`sim/processes/${pid}/kill`, '9\n')).toThrow(ESRCH);
    expect(() => k.fs.writeFile(`sim/processes/${pid}/kill`, '0\n')).toThrow(ESRCH);
    expect(() => k.tasks.kill(999999)).toThrow(ESRCH);
  });
});

describe('workload specs', () => {
  it.each([
    ['abench sze=1G', /unknown key 'sze'/],
    ['abench size=1G threads=0', /bad threads=0/],
    ['abench size=abc', /bad size=abc/],
    ['abench size=1G node=7', /bad node=7: no such node/],
    ['foo size=1G', /unknown workload 'foo'/],
    ['memhog threads=2', /size= is required/],
    ['hotset size=1G hot=1.5', /bad hot=1.5/],
    ['zipf size=1G skew=-1', /bad skew=-1/],
    ['idle duration=soon', /bad duration=soon/],
    ['abench size=1G interleave=0-1 node=1', /cannot be combined/],
    ['abench size=1G policy=bind', /bind needs node=N/],
    ['abench size=1G iters', /'iters' is not key=value/],
    ['abench size=1G size=2G', /given twice/],
    ['', /empty spec/],
  ])('%j is EINVAL and dmesg names the problem', (spec, message) => {
    const k = bootPreset();
    expect(() => k.fs.writeFile('sim/spawn', `${spec}\n`)).toThrow(EINVAL);
    expect(k.log.last).toMatch(message);
    expect(k.tasks.list()).toEqual([]);
  });

  it.each([
    ['abench size=8G threads=64 iters=512 delay_us=1 node=1', 'abench size=8G threads=64 iters=512 accesses=2097152 delay_us=1 access_bytes=4096 node=1 policy=preferred'],
    ['memhog size=1G repeat=3 node=0 policy=bind', 'memhog size=1G threads=1 repeat=3 delay_us=0 node=0 policy=bind'],
    ['hotset size=64M phase=2s interleave=0-1', 'hotset size=64M threads=1 iters=0 accesses=16384 delay_us=0 access_bytes=64 hot=0.1 share=0.9 phase=2000ms interleave=0,1'],
    ['zipf size=4M skew=1.2 cpunode=0', 'zipf size=4M threads=1 iters=0 accesses=1024 delay_us=0 access_bytes=64 skew=1.2 cpunode=0'],
    ['idle', 'idle duration=0ms'],
  ])('%j reads back in canonical form', async (spec, canonical) => {
    const k = bootPreset('epyc-2node-256g');
    const pid = await spawn(k, spec);
    expect(k.fs.readFile(`sim/processes/${pid}/workload`)).toBe(`${canonical}\n`);
  });
});
