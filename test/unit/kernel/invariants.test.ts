// Cross-file invariants, read through the files exactly as a user would, on every preset and
// after a seeded sequence of block offline/online operations.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EBUSY, EINVAL, isKernelError } from '../../../src/kernfs/index.js';
import { parseMachineConfig, type MachineConfig } from '../../../src/kernel/config/machine.js';
import { parseRangeList } from '../../../src/kernel/lib/bitmap.js';
import { Prng } from '../../../src/kernel/lib/prng.js';
import { bootKernel, type Kernel } from '../../../src/kernel/kernel.js';

const PRESETS = ['cxl-2node', '2socket-cxl', 'epyc-2node-256g'];
const load = (name: string) => parseMachineConfig(JSON.parse(readFileSync(`presets/${name}.json`, 'utf8')));

const NODE = 'sys/devices/system/node';
const MEM = 'sys/devices/system/memory';

function meminfoKb(text: string, key: string): number {
  const m = new RegExp(`^(?:Node \\d+ )?${key.replace(/[()]/g, '\\$&')}:\\s+(\\d+) kB$`, 'm').exec(text);
  if (!m) throw new Error(`no ${key} in:\n${text}`);
  return Number(m[1]);
}

function list(k: Kernel, path: string): number[] {
  const ids = parseRangeList(k.fs.readFile(path).trimEnd(), 8192);
  if (!ids) throw new Error(`bad range list in ${path}`);
  return ids;
}

function checkInvariants(k: Kernel, config: MachineConfig): void {
  const online = list(k, `${NODE}/online`);
  const possible = list(k, `${NODE}/possible`);
  for (const n of online) expect(possible).toContain(n);

  let total = 0;
  let free = 0;
  const withMemory: number[] = [];
  const withCpu: number[] = [];
  const blockBytes = parseInt(k.fs.readFile(`${MEM}/block_size_bytes`).trim(), 16);
  for (const nid of online) {
    const info = k.fs.readFile(`${NODE}/node${nid}/meminfo`);
    const t = meminfoKb(info, 'MemTotal');
    const f = meminfoKb(info, 'MemFree');
    expect(meminfoKb(info, 'MemUsed')).toBe(t - f);
    expect(f).toBeLessThanOrEqual(t);
    total += t;
    free += f;
    if (t > 0) withMemory.push(nid);
    if (k.fs.readFile(`${NODE}/node${nid}/cpulist`) !== '\n') withCpu.push(nid);
    const links = k.fs.readdir(`${NODE}/node${nid}`).filter((n) => /^memory\d+$/.test(n));
    expect(links.length * blockBytes).toBe(config.nodes.find((n) => n.id === nid)!.memBytes);
  }
  const global = k.fs.readFile('proc/meminfo');
  expect(meminfoKb(global, 'MemTotal')).toBe(total);
  expect(meminfoKb(global, 'MemFree')).toBe(free);
  expect(list(k, `${NODE}/has_memory`)).toEqual(withMemory);
  expect(list(k, `${NODE}/has_cpu`)).toEqual(withCpu);
}

/** [start, end] of every System RAM resource (any depth) in /proc/iomem. */
function systemRam(k: Kernel): Array<[number, number]> {
  return k.fs
    .readFile('proc/iomem')
    .split('\n')
    .filter((l) => /: System RAM( \(kmem\))?$/.test(l))
    .map((l) => {
      const [a, b] = l.trim().split(' ')[0]!.split('-');
      return [parseInt(a!, 16), parseInt(b!, 16)] as [number, number];
    });
}

describe.each(PRESETS)('%s', (name) => {
  it('holds the cross-file invariants at boot', () => {
    const config = load(name);
    checkInvariants(bootKernel(config, { seed: 1 }), config);
  });

  it('System RAM in /proc/iomem covers exactly the memory blocks (less the firmware holes)', () => {
    const k = bootKernel(load(name), { seed: 1 });
    const ram = systemRam(k);
    const B = k.layout.blockBytes;
    const touched = new Set<number>();
    let bytes = 0;
    for (const [s, e] of ram) {
      bytes += e - s + 1;
      for (let b = Math.floor(s / B); b <= Math.floor(e / B); b++) touched.add(b);
    }
    const blocks = k.layout.blocks.map((b) => b.index);
    expect([...touched].sort((a, b) => a - b)).toEqual(blocks);
    const holes = 0x1000 + (0x100000 - 0x9fc00); // page 0 and 0x9fc00-0xfffff are Reserved
    expect(bytes).toBe(blocks.length * B - holes);
  });

  it('keeps the invariants through a seeded run of block offline/online writes', () => {
    const config = load(name);
    const k = bootKernel(config, { seed: 1 });
    const r = new Prng(99);
    const blocks = k.fs.readdir(MEM).filter((n) => /^memory\d+$/.test(n));
    const iomem = k.fs.readFile('proc/iomem');
    for (let i = 0; i < 60; i++) {
      const block = blocks[r.nextInt(0, blocks.length)]!;
      const want = r.nextFloat() < 0.6 ? 'offline' : 'online';
      try {
        k.fs.writeFile(`${MEM}/${block}/state`, want);
      } catch (err) {
        if (!isKernelError(err) || (err !== EINVAL && err !== EBUSY)) throw err;
      }
      checkInvariants(k, config);
    }
    // Offlining never releases the System RAM resource (only remove_memory does).
    expect(k.fs.readFile('proc/iomem')).toBe(iomem);
  });
});
