// Child names are exact strings: the kernel prints them with %d and compares them whole
// (kernfs_find_ns; procfs name_to_int refuses a leading '0'), so no other spelling resolves.
import { describe, expect, it } from 'vitest';
import { ENOENT, indexOfName } from '../../../src/kernfs/index.js';
import { bootPreset, errnoOf, spawn } from './boot.js';

describe('indexOfName', () => {
  it.each([
    ['memory32', 'memory', 32],
    ['memory0', 'memory', 0],
    ['cpu7', 'cpu', 7],
    ['1000', '', 1000],
    ['memory032', 'memory', undefined],
    ['memory00', 'memory', undefined],
    ['memory', 'memory', undefined],
    ['memory+1', 'memory', undefined],
    ['memory1 ', 'memory', undefined],
    ['memory1e3', 'memory', undefined],
    ['memory0x10', 'memory', undefined],
    ['cpu-1', 'cpu', undefined],
    ['0001000', '', undefined],
    ['node1', 'memory', undefined],
    ['memory99999999999999999999', 'memory', undefined],
  ])('%s with prefix %j is %s', (name, prefix, want) => {
    expect(indexOfName(name, prefix)).toBe(want);
  });
});

describe('names with extra leading zeros are ENOENT (the kernel compares names whole)', async () => {
  const k = bootPreset();
  const pid = await spawn(k, 'idle size=4M');
  const block = k.alloc.blocksOf(1)[0]!.index; // a block number > 0 (CXL starts high)
  const tier = 4; // DRAM's tier
  it.each([
    [`sys/devices/system/memory/memory${block}`, `sys/devices/system/memory/memory0${block}`],
    [`sys/devices/system/node/node1/memory${block}`, `sys/devices/system/node/node1/memory00${block}`],
    ['sys/devices/system/node/node0/cpu0', 'sys/devices/system/node/node0/cpu00'],
    ['sys/devices/system/node/node0/cpu3', 'sys/devices/system/node/node0/cpu03'],
    [`sys/devices/virtual/memory_tiering/memory_tier${tier}`, `sys/devices/virtual/memory_tiering/memory_tier0${tier}`],
    [`sim/processes/${pid}`, `sim/processes/000${pid}`],
    [`sim/processes/${pid}/state`, `sim/processes/0${pid}/state`],
  ])('%s exists, %s is ENOENT', (canonical, padded) => {
    expect(() => k.fs.stat(canonical)).not.toThrow();
    expect(errnoOf(() => k.fs.stat(padded))).toBe(ENOENT);
  });
});
