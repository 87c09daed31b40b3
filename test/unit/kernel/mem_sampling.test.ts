// Arm SPE through openEuler mem_sampling (spec mechanisms.md §5.2, kernel-files.md §4.4): the
// sampler's rate, the NUMA-balancing consumer replacing the PROT_NONE scanner, switching back at
// runtime, and the ftrace events of the seed (kmem:mm_spe_record, mm_mem_sampling_access_record,
// mm_numa_migrating) with their tracefs switches.
import { describe, expect, it } from 'vitest';
import { EINVAL, ENOENT } from '../../../src/kernfs/index.js';
import type { Kernel } from '../../../src/kernel/kernel.js';
import { SPE_SAMPLE_PERIOD } from '../../../src/kernel/mm/mem_sampling.js';
import { TRACE_MAX_ENTRIES } from '../../../src/kernel/trace/trace.js';
import { advance, bootPreset, errnoOf, spawn } from './boot.js';

const K = 'proc/sys/kernel';
const T = 'sys/kernel/tracing';
const ARM_CXL = 'arm64-2node-128c-cxl';

function vmstat(k: Kernel, name: string): number {
  return Number(k.fs.readFile('proc/vmstat').split('\n').find((l) => l.startsWith(`${name} `))!.split(' ')[1]);
}

function numaStat(k: Kernel, pid: number, name: string): number {
  return Number(k.fs.readFile(`sim/processes/${pid}/numa_balancing`).split('\n').find((l) => l.startsWith(`${name} `))!.split(' ')[1]);
}

/** Arm+CXL machine in tiering mode with SPE sampling feeding NUMA balancing. */
function bootSpe(consumer = true): Kernel {
  const k = bootPreset(ARM_CXL);
  k.fs.writeFile(`${K}/numa_balancing`, '2\n');
  k.fs.writeFile(`${K}/mem_sampling_enable`, '1\n');
  if (consumer) k.fs.writeFile(`${K}/numa_balancing_mem_sampling`, '1\n');
  return k;
}

describe('SPE sampling as the access source (numa_balancing_mem_sampling=1)', () => {
  it('promotes the CXL hot set with numa_pte_updates flat', async () => {
    const k = bootSpe();
    const pid = await spawn(k, 'hotset size=256M threads=8 node=2');
    await advance(k, '4s');
    expect(vmstat(k, 'numa_pte_updates')).toBe(0);
    expect(vmstat(k, 'pgpromote_success')).toBeGreaterThan(0);
    expect(numaStat(k, pid, 'samples_used')).toBeGreaterThan(0);
    expect(vmstat(k, 'numa_hint_faults')).toBe(numaStat(k, pid, 'samples_used')); // numa_migrate_prep counts them
    expect(k.vm.event('numa_hf_migration_oh')).toBe(0); // no hint fault was taken
    expect(numaStat(k, pid, 'sample_us')).toBeGreaterThan(0);
  });

  it('writing 0 re-enables the PROT_NONE scanner within one scan period', async () => {
    const k = bootSpe();
    const pid = await spawn(k, 'hotset size=1G threads=8 hot=0.1 share=0.5 node=2');
    await advance(k, '3s');
    expect(vmstat(k, 'numa_pte_updates')).toBe(0);
    k.fs.writeFile(`${K}/numa_balancing_mem_sampling`, '0\n');
    const period = numaStat(k, pid, 'numa_scan_period_ms');
    await advance(k, `${period + 1}ms`);
    expect(vmstat(k, 'numa_pte_updates')).toBeGreaterThan(0);
    const used = numaStat(k, pid, 'samples_used');
    await advance(k, '1s');
    expect(numaStat(k, pid, 'samples_used')).toBe(used); // the consumer is unregistered
  });

  it('takes one record per ~1024 accesses of a running task', async () => {
    const k = bootSpe(false);
    const pid = await spawn(k, 'hotset size=256M threads=8 node=0');
    await advance(k, '2s');
    const done = Number(k.fs.readFile(`sim/processes/${pid}/progress`).split(' ')[0]);
    const ratio = numaStat(k, pid, 'samples') / (done / SPE_SAMPLE_PERIOD);
    expect(ratio).toBeGreaterThan(0.95);
    expect(ratio).toBeLessThan(1.02);
  });

  it('sampling without the NUMA consumer decodes records but moves nothing', async () => {
    const k = bootSpe(false);
    k.fs.writeFile(`${K}/numa_balancing`, '0\n');
    const pid = await spawn(k, 'hotset size=256M threads=8 node=2');
    await advance(k, '3s');
    expect(numaStat(k, pid, 'samples')).toBeGreaterThan(0);
    expect(numaStat(k, pid, 'samples_used')).toBe(0);
    expect(vmstat(k, 'numa_pages_migrated')).toBe(0);
    expect(k.memSampling!.recordsProcessed).toBeGreaterThan(0);
  });

  it('mem_sampling_enable=0 stops sampling and turns the consumer off', async () => {
    const k = bootSpe();
    const pid = await spawn(k, 'hotset size=256M threads=8 node=2');
    await advance(k, '1s');
    k.fs.writeFile(`${K}/mem_sampling_enable`, '0\n');
    expect(k.fs.readFile(`${K}/numa_balancing_mem_sampling`)).toBe('0\n');
    await advance(k, '20ms');
    const samples = numaStat(k, pid, 'samples');
    await advance(k, '1s');
    expect(numaStat(k, pid, 'samples')).toBe(samples);
  });

  it('x86 presets have no sampler', () => {
    expect(bootPreset('cxl-2node').memSampling).toBeUndefined();
    expect(errnoOf(() => bootPreset('cxl-2node').fs.readFile(`${K}/mem_sampling_enable`))).toBe(ENOENT);
  });
});

describe('tracefs: the seed’s kmem events', () => {
  const header = /^# tracer: nop\n#\n# entries-in-buffer\/entries-written: (\d+)\/(\d+)   #P:128\n#\n(#.*\n){8}/;

  it('records nothing until an event is enabled; then lines in ftrace’s format', async () => {
    const k = bootSpe();
    await spawn(k, 'hotset size=64M threads=8 node=2');
    await advance(k, '500ms');
    expect(k.fs.readFile(`${T}/trace`)).toMatch(/entries-written: 0\/0 /);
    k.fs.writeFile(`${T}/events/kmem/mm_numa_migrating/enable`, '1\n');
    k.fs.writeFile(`${T}/set_event`, 'kmem:mm_spe_record\n');
    expect(k.fs.readFile(`${T}/events/kmem/enable`)).toBe('X\n');
    await advance(k, '500ms');
    const text = k.fs.readFile(`${T}/trace`);
    expect(text).toMatch(header);
    const lines = text.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(lines.some((l) => /^ +hotset-1000 +\[\d{3}\] d\.h1\. +\d+\.\d{6}: mm_spe_record: vaddr=\d+ paddr=\d+ pid=1000$/.test(l))).toBe(true);
    expect(lines.some((l) => /^ +hotset-1000 +\[\d{3}\] \.{5} +\d+\.\d{6}: mm_numa_migrating: vaddr=\d+ page_nid=\d target_nid=-?\d migrate_success=[01]$/.test(l))).toBe(true);
    expect(lines.some((l) => l.includes('mm_mem_sampling_access_record'))).toBe(false);
    expect(k.fs.readFile(`${T}/set_event`).split('\n').sort()).toEqual(['', 'kmem:mm_numa_migrating', 'kmem:mm_spe_record']);
  });

  it(`keeps the last ${TRACE_MAX_ENTRIES} lines; writing to trace clears it`, async () => {
    const k = bootSpe();
    k.fs.writeFile(`${T}/events/enable`, '1\n');
    await spawn(k, 'hotset size=256M threads=8 node=2');
    await advance(k, '2s');
    const m = /entries-written: (\d+)\/(\d+)/.exec(k.fs.readFile(`${T}/trace`))!;
    expect(Number(m[1])).toBe(TRACE_MAX_ENTRIES);
    expect(Number(m[2])).toBeGreaterThan(TRACE_MAX_ENTRIES);
    k.fs.writeFile(`${T}/trace`, '\n');
    expect(k.fs.readFile(`${T}/trace`)).toMatch(/entries-written: 0\/0 /);
  });

  it('tracing_on=0 stops recording', async () => {
    const k = bootSpe();
    k.fs.writeFile(`${T}/events/kmem/enable`, '1\n');
    k.fs.writeFile(`${T}/tracing_on`, '0\n');
    await spawn(k, 'hotset size=64M threads=8 node=2');
    await advance(k, '1s');
    expect(k.fs.readFile(`${T}/trace`)).toMatch(/entries-written: 0\/0 /);
  });

  it.each([
    ['events/kmem/mm_spe_record/enable', '2', EINVAL],
    ['events/kmem/mm_spe_record/enable', 'on', EINVAL],
    ['events/kmem/enable', '-1', EINVAL],
    ['events/enable', 'X', EINVAL],
    ['tracing_on', 'yes', EINVAL],
    ['set_event', 'kmem:no_such_event', EINVAL],
    ['set_event', 'sched:sched_switch', EINVAL],
  ])('%s ← %j is %s and changes nothing', (file, input, errno) => {
    const k = bootPreset(ARM_CXL);
    const before = k.fs.readFile(`${T}/${file}`);
    expect(errnoOf(() => k.fs.writeFile(`${T}/${file}`, `${input}\n`))).toBe(errno);
    expect(k.fs.readFile(`${T}/${file}`)).toBe(before);
    expect(k.fs.readFile(`${T}/set_event`)).toBe('');
  });

  it('available_events lists the three events; both mount points show one tree', () => {
    const k = bootPreset();
    expect(k.fs.readFile(`${T}/available_events`)).toBe('kmem:mm_spe_record\nkmem:mm_mem_sampling_access_record\nkmem:mm_numa_migrating\n');
    k.fs.writeFile('sys/kernel/debug/tracing/events/kmem/mm_spe_record/enable', '1\n');
    expect(k.fs.readFile(`${T}/events/kmem/mm_spe_record/enable`)).toBe('1\n');
    k.fs.writeFile(`${T}/set_event`, '!kmem:mm_spe_record\n');
    expect(k.fs.readFile(`${T}/events/kmem/mm_spe_record/enable`)).toBe('0\n');
  });
});
