// kmmscand RFC V0 (mm/kmmscand.ts, kmmscand_sysfs.ts; spec mechanisms.md §6, kernel-files.md §6):
// the /sys/kernel/mm/kmmscand knobs with their formats and errnos, the scan_period/scan_size
// table, and the thread on the virtual clock: promotion of slow-tier pages without hint faults,
// scan_enabled, target_node, mms_to_scan, scan_sleep_ms, the lazy A bits' distribution, the
// CPU time charged to the thread, failures on a full target.
import { describe, expect, it } from 'vitest';
import { EINVAL, S_IFDIR, S_IFREG } from '../../../src/kernfs/index.js';
import { costNs } from '../../../src/kernel/config/machine.js';
import { bootKernel, type Kernel } from '../../../src/kernel/kernel.js';
import { PG_YOUNG } from '../../../src/kernel/mm/frames.js';
import { adaptScan, geometricFailures, KMMSCAND_SCAN_SIZE_MAX, type ScanTuning } from '../../../src/kernel/mm/kmmscand.js';
import { NO_PFN, pageTablePages } from '../../../src/kernel/mm/mm.js';
import type { Process } from '../../../src/kernel/sched/process.js';
import { expectedAccesses } from '../../../src/kernel/workload/access_model.js';
import { advance, bootPreset, errnoOf, presetConfig, spawn } from './boot.js';

const DIR = 'sys/kernel/mm/kmmscand';
const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
const vm = (k: Kernel, name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(k.fs.readFile('proc/vmstat'))![1]);
const read = (k: Kernel, file: string) => k.fs.readFile(`${DIR}/${file}`);
const write = (k: Kernel, file: string, value: string) => k.fs.writeFile(`${DIR}/${file}`, value);
const proc = (k: Kernel, pid: number) => k.tasks.get(pid)!;
const numaMaps = (k: Kernel, pid: number) => k.fs.readFile(`sim/processes/${pid}/numa_maps`);

/** A cxl-2node kernel with NUMA balancing off and kmmscand on. */
function kmmscandOn(preset = 'cxl-2node'): Kernel {
  const k = bootPreset(preset);
  k.fs.writeFile('proc/sys/kernel/numa_balancing', '0');
  write(k, 'scan_enabled', '1');
  return k;
}

/** Take every free page of `nid` with an idle process bound there (its page tables fit too). */
/**
 * Fill `nid` as far as its allocator lets a bound request go (each zone down to its min
 * watermark and lowmem reserve): halve the request on ENOMEM, which takes nothing.
 */
async function fillNode(k: Kernel, nid: number): Promise<void> {
  for (let n = k.alloc.usableFreePages(nid, true); n >= 1; ) {
    try {
      k.alloc.alloc(nid, n, { movable: true, thisNode: true });
    } catch {
      n = Math.floor(n / 2);
    }
  }
  expect(k.alloc.migrateBalanced(nid, 1)).toBe(false);
}

describe('/sys/kernel/mm/kmmscand (patch 07)', () => {
  const defaults: Array<[string, string]> = [
    ['scan_sleep_ms', '16\n'],
    ['mm_scan_period_ms', '2000\n'],
    ['mms_to_scan', '4096\n'],
    ['scan_enabled', '0\n'], // the RFC boots with 1; the simulator boots with the scan off (DESIGN.md §11)
    ['target_node', '0\n'],
  ];

  it('is a 0755 directory of five 0644 sysfs attributes, in the group order', () => {
    const k = bootPreset();
    expect(k.fs.stat(DIR).mode).toBe(S_IFDIR | 0o755);
    expect(k.fs.readdir(DIR)).toEqual(defaults.map(([f]) => f));
    for (const [f] of defaults) expect(k.fs.stat(`${DIR}/${f}`)).toMatchObject({ mode: S_IFREG | 0o644, size: 4096 });
  });

  it.each(defaults)('%s reads %j at boot', (file, value) => {
    expect(read(bootPreset(), file)).toBe(value);
  });

  it('a kernel booted with kmmscand: true starts with scan_enabled 1, as the RFC', () => {
    expect(bootPreset().kmmscand.scanEnabled).toBe(false);
    const k = bootKernel(presetConfig(), { clock: 'virtual', kmmscand: true });
    expect(read(k, 'scan_enabled')).toBe('1\n');
    expect(k.kmmscand.state).toBe('idle'); // no mm yet
  });

  // [rule, input, read back | errno]: every store parses base 10 and reports any failure as EINVAL.
  const tables: Record<string, Array<[string, string, string | typeof EINVAL]>> = {
    scan_sleep_ms: [
      ['decimal with a newline', '100\n', '100\n'],
      ['without a newline', '100', '100\n'],
      ['a leading + (kstrtouint)', '+7', '7\n'],
      ['0 is kept (the thread then polls)', '0', '0\n'],
      ['a leading 0 is still decimal (base 10)', '010', '10\n'],
      ['UINT_MAX', '4294967295', '4294967295\n'],
      ['2^32 overflows: ERANGE reported as EINVAL', '4294967296', EINVAL],
      ['negative', '-1', EINVAL],
      ['hex is not base 10', '0x10', EINVAL],
      ['a lone newline', '\n', EINVAL],
      ['leading space', ' 5', EINVAL],
      ['trailing space', '5 ', EINVAL],
      ['two newlines', '5\n\n', EINVAL],
      ['a word', 'fast', EINVAL],
    ],
    mm_scan_period_ms: [
      ['inside the range', '1000', '1000\n'],
      ['below 400 is clamped to 400', '0', '400\n'],
      ['399 is clamped to 400', '399', '400\n'],
      ['the bounds are kept', '5000', '5000\n'],
      ['above 5000 is clamped to 5000', '5001', '5000\n'],
      ['UINT_MAX is clamped', '4294967295', '5000\n'],
      ['2^32 overflows kstrtouint: EINVAL', '4294967296', EINVAL],
      ['negative', '-400', EINVAL],
      ['hex', '0x400', EINVAL],
    ],
    mms_to_scan: [
      ['one', '1', '1\n'],
      ['zero (one mm visit per pass)', '0', '0\n'],
      ['ULONG_MAX (kstrtoul)', '18446744073709551615', '18446744073709551615\n'],
      ['2^64 overflows: EINVAL', '18446744073709551616', EINVAL],
      ['negative', '-1', EINVAL],
      ['a fraction', '1.5', EINVAL],
    ],
    scan_enabled: [
      ['1 enables', '1', '1\n'],
      ['0 disables', '0', '0\n'],
      ['01 is 1 in base 10', '01', '1\n'],
      ['2 is refused (val > 1)', '2', EINVAL],
      ['y is not a number (kstrtouint, not kstrtobool)', 'y', EINVAL],
      ['on is not a number', 'on', EINVAL],
      ['negative', '-1', EINVAL],
    ],
    target_node: [
      ['node 0: DRAM, the top tier', '0', '0\n'],
      ['node 1: CXL, not a top-tier node', '1', EINVAL],
      ['node 2 is not online', '2', EINVAL],
      ['a negative node', '-1', EINVAL],
      ['MAX_NUMNODES', '1024', EINVAL],
      ['above INT_MAX: kstrtoint fails', '2147483648', EINVAL],
      ['hex', '0x0', EINVAL],
      ['a word', 'dram', EINVAL],
    ],
  };

  describe.each(Object.entries(tables))('%s', (file, cases) => {
    it.each(cases)('%s: %j → %j', (_rule, input, want) => {
      const k = bootPreset();
      // Start from a value no case writes, so an accepted write is visible and a refused one
      // shows that nothing changed.
      const start = file === 'scan_enabled' ? '1' : file === 'target_node' ? '0' : '3000';
      write(k, file, start);
      const before = read(k, file);
      if (want === EINVAL) {
        expect(errnoOf(() => write(k, file, input))).toBe(EINVAL);
        expect(read(k, file)).toBe(before);
      } else {
        expect(write(k, file, input)).toBe(input.length);
        expect(read(k, file)).toBe(want);
      }
    });
  });

  it('target_node accepts any top-tier node: node 1 on 2socket-cxl (DRAM), not node 2 (CXL)', () => {
    const k = bootPreset('2socket-cxl');
    write(k, 'target_node', '1');
    expect(read(k, 'target_node')).toBe('1\n');
    expect(errnoOf(() => write(k, 'target_node', '2'))).toBe(EINVAL);
    expect(read(k, 'target_node')).toBe('1\n');
  });

  it('target_node: a node whose memory is all offline has no memory tier, which node_is_toptier() counts as top', () => {
    const k = bootPreset();
    for (const b of k.alloc.blocksOf(1)) k.fs.writeFile(`sys/devices/system/memory/memory${b.index}/state`, 'offline\n');
    write(k, 'target_node', '1');
    expect(read(k, 'target_node')).toBe('1\n');
  });

  it('mm_scan_period_ms is the first scan period of mms entered afterwards', async () => {
    const k = kmmscandOn();
    write(k, 'mm_scan_period_ms', '100');
    const pid = await spawn(k, 'idle size=4M node=0');
    expect(k.kmmscand.slotOf(proc(k, pid))!.scanPeriodMs).toBe(400);
  });
});

describe('scan_period / scan_size adaptation (patches 05/06)', () => {
  const at = (scanPeriodMs: number, scanSizeBytes: number, scanDelta: number): ScanTuning => ({ scanPeriodMs, scanSizeBytes, scanDelta });
  // [rule, previous slot, useful pages found now, slot after]
  it.each<[string, ScanTuning, number, ScanTuning]>([
    ['X=0, Y=0: period +15 %, size halved', at(2000, 4 * GIB, 0), 0, at(2300, 2 * GIB, 0)],
    ['X=0, Y>0: period / 8, size MAX', at(4000, 4 * GIB, 0), 500, at(500, KMMSCAND_SCAN_SIZE_MAX, 500)],
    ['X>0, Y=0: period x 8, size unchanged', at(400, 2 * GIB, 500), 0, at(3200, 2 * GIB, 0)],
    ['X>0, Y>0: period -15 %, size doubled', at(2000, 2 * GIB, 500), 700, at(1700, 4 * GIB, 700)],
    ['Y below 100 useful pages counts as 0', at(2000, 4 * GIB, 0), 99, at(2300, 2 * GIB, 0)],
    ['Y = 100 is useful', at(2000, 4 * GIB, 0), 100, at(400, KMMSCAND_SCAN_SIZE_MAX, 100)],
    ['the period is clamped to 400 ms from below', at(2000, 4 * GIB, 0), 1000, at(400, KMMSCAND_SCAN_SIZE_MAX, 1000)],
    ['the period is clamped to 5000 ms from above', at(4500, 4 * GIB, 0), 0, at(5000, 2 * GIB, 0)],
    ['the size is clamped to 512 MiB from below', at(2000, 512 * MIB, 0), 0, at(2300, 512 * MIB, 0)],
    ['the size is clamped to 16 GiB from above', at(2000, 16 * GIB, 500), 500, at(1700, 16 * GIB, 500)],
    ['integer percent: 2001 x 115 / 100 = 2301', at(2001, 4 * GIB, 0), 0, at(2301, 2 * GIB, 0)],
  ])('%s', (_rule, prev, useful, next) => {
    expect(adaptScan(prev, useful)).toEqual(next);
  });

  it('an mm on the top tier finds nothing useful: the period grows 15 % per scan and the size halves down to 512 MiB', async () => {
    const k = kmmscandOn();
    const pid = await spawn(k, 'idle size=64M node=0');
    const slot = k.kmmscand.slotOf(proc(k, pid))!;
    const seen: Array<[number, number]> = [];
    for (let scans = 1; scans <= 5; scans++) {
      while (vm(k, 'nr_kmmscand_mm_scans') < scans) await advance(k, '16ms');
      seen.push([slot.scanPeriodMs, slot.scanSizeBytes / MIB]);
    }
    expect(seen).toEqual([[2300, 2048], [2645, 1024], [3041, 512], [3497, 512], [4021, 512]]);
  });
});

describe('the kmmscand thread', () => {
  it('numa_balancing=0: a hot set on CXL moves to node 0 without a hint fault, one folio at a time, and the workload runs faster', async () => {
    const runtimes: number[] = [];
    for (const on of [true, false]) {
      const k = bootPreset();
      k.fs.writeFile('proc/sys/kernel/numa_balancing', '0');
      if (on) write(k, 'scan_enabled', '1');
      // The timed one first: its folios head the migration list.
      const timed = await spawn(k, 'hotset size=16M threads=8 iters=400 node=1');
      const forever = await spawn(k, 'hotset size=64M threads=8 node=1');
      await advance(k, '2s');
      expect(k.fs.readFile(`sim/processes/${timed}/state`)).toBe('done\n');
      runtimes.push(Number(k.fs.readFile(`sim/processes/${timed}/runtime_ns`)));
      expect(vm(k, 'numa_hint_faults')).toBe(0);
      if (!on) {
        expect(numaMaps(k, forever)).toContain(' N1=16384 ');
        expect(vm(k, 'nr_kmmscand_mm_scans')).toBe(0);
        continue;
      }
      expect(numaMaps(k, forever)).toMatch(/ N0=16384 kernelpagesize_kB=4\n$/);
      const migrated = vm(k, 'nr_kmmscand_migrated');
      expect(migrated).toBeGreaterThanOrEqual(16384);
      expect(vm(k, 'numa_pages_migrated')).toBe(migrated);
      expect(vm(k, 'pgmigrate_success')).toBe(migrated);
      // migrate_misplaced_folio passes one folio per migrate_pages call: one shootdown each,
      // to the 7 other CPUs of the mm (the thread runs on CPU 7, also in the mm's mask).
      expect(vm(k, 'nr_tlb_remote_flush')).toBe(migrated);
      expect(vm(k, 'nr_tlb_remote_flush_received')).toBe(7 * migrated);
      expect(vm(k, 'pgpromote_success')).toBe(0); // counted only in NUMA balancing's tiering mode
    }
    expect(runtimes[0]!).toBeLessThan(runtimes[1]!);
  });

  it('the first scan of an mm finds every folio accessed (PG_idle not yet set): idle and toptier count from the second', async () => {
    const k = kmmscandOn();
    await spawn(k, 'idle size=8M node=1');
    await advance(k, '1ms');
    expect([vm(k, 'nr_kmmscand_mm_scans'), vm(k, 'nr_kmmscand_vma_scans')]).toEqual([1, 1]);
    expect([vm(k, 'nr_kmmscand_slowtier'), vm(k, 'nr_kmmscand_migadded'), vm(k, 'nr_kmmscand_idlepage'), vm(k, 'nr_kmmscand_toptier')]).toEqual([2048, 2048, 0, 0]);
    await advance(k, '5s');
    expect(vm(k, 'nr_kmmscand_migrated')).toBe(2048);
    // Promoted folios keep PG_young (V0 never clears it), so each later scan counts them
    // accessed on the top tier; each scan counts every top-tier folio.
    const scans = vm(k, 'nr_kmmscand_mm_scans');
    expect(scans).toBeGreaterThan(1);
    expect(vm(k, 'nr_kmmscand_toptier')).toBe((scans - 1) * 2048);
    expect(vm(k, 'nr_kmmscand_idlepage')).toBe(0);
  });

  it('scan_enabled=0 stops promotions within one scan period (the list being drained is finished first)', async () => {
    const k = kmmscandOn();
    await spawn(k, 'hotset size=64M threads=8 node=1');
    await advance(k, '30ms'); // the first scan queued 16384 folios; the drain is under way
    const during = vm(k, 'nr_kmmscand_migrated');
    expect(during).toBeGreaterThan(0);
    expect(during).toBeLessThan(16384);
    write(k, 'scan_enabled', '0');
    await advance(k, '2s');
    expect(vm(k, 'nr_kmmscand_migrated')).toBe(16384);
    expect(k.kmmscand.state).toBe('disabled');
    const scans = vm(k, 'nr_kmmscand_mm_scans');
    const late = await spawn(k, 'hotset size=8M threads=8 node=1');
    await advance(k, '10s');
    expect(vm(k, 'nr_kmmscand_migrated')).toBe(16384);
    expect(vm(k, 'nr_kmmscand_mm_scans')).toBe(scans);
    expect(numaMaps(k, late)).toContain(' N1=2048 ');
    write(k, 'scan_enabled', '1'); // wakes the thread: the new mm is promoted at once
    await advance(k, '100ms');
    expect(numaMaps(k, late)).toContain(' N0=2048 ');
  });

  it('target_node=1 on 2socket-cxl promotes to node 1', async () => {
    const k = kmmscandOn('2socket-cxl');
    write(k, 'target_node', '1');
    const pid = await spawn(k, 'hotset size=16M threads=4 node=2 cpunode=1');
    await advance(k, '1s');
    expect(numaMaps(k, pid)).toMatch(/ N1=4096 kernelpagesize_kB=4\n$/);
  });

  it('a full target: every promotion fails (nr_kmmscand_migrate_failed, pgmigrate_fail) and the pages stay', async () => {
    const k = bootPreset();
    k.fs.writeFile('proc/sys/kernel/numa_balancing', '0');
    const pid = await spawn(k, 'hotset size=16M threads=8 node=1');
    await fillNode(k, 0);
    write(k, 'scan_enabled', '1');
    await advance(k, '30ms');
    expect(vm(k, 'nr_kmmscand_migadded')).toBe(4096);
    expect(vm(k, 'nr_kmmscand_migrate_failed')).toBe(4096);
    expect(vm(k, 'pgmigrate_fail')).toBe(4096);
    expect(vm(k, 'nr_kmmscand_migrated')).toBe(0);
    expect(numaMaps(k, pid)).toContain(' N1=4096 ');
  });

  it('mms_to_scan bounds the mms visited per pass; each pass sleeps scan_sleep_ms (16 ms = 4 jiffies at HZ=250)', async () => {
    const k = kmmscandOn();
    write(k, 'mms_to_scan', '1');
    for (let i = 0; i < 3; i++) await spawn(k, 'idle size=4M node=0');
    const scansAt = async (t: string) => {
      await advance(k, t);
      return vm(k, 'nr_kmmscand_mm_scans');
    };
    // The scan_enabled=1 write left need_wakeup set: the first wait returns at once, so two
    // passes run at t=0; then one pass per 16 ms.
    expect([await scansAt('1ms'), await scansAt('16ms'), await scansAt('16ms')]).toEqual([2, 3, 3]);
    const k2 = kmmscandOn();
    for (let i = 0; i < 3; i++) await spawn(k2, 'idle size=4M node=0');
    await advance(k2, '1ms');
    expect(vm(k2, 'nr_kmmscand_mm_scans')).toBe(3);
  });

  it('scan_enabled=1 releases a parked thread, which waits scan_sleep_ms once more before its pass', async () => {
    const k = bootPreset();
    await spawn(k, 'idle size=4M node=0');
    write(k, 'scan_sleep_ms', '100');
    await advance(k, '1s');
    expect(k.kmmscand.state).toBe('disabled');
    write(k, 'scan_enabled', '1');
    await advance(k, '96ms');
    expect(vm(k, 'nr_kmmscand_mm_scans')).toBe(0);
    await advance(k, '8ms');
    expect(vm(k, 'nr_kmmscand_mm_scans')).toBe(1);
  });

  it('a knob write wakes the sleeping thread; an mm entered while it sleeps waits for the next pass', async () => {
    const k = kmmscandOn();
    write(k, 'scan_sleep_ms', '1000');
    await spawn(k, 'idle size=4M node=0'); // the first mm wakes the thread: scanned at once
    await advance(k, '1ms');
    expect(vm(k, 'nr_kmmscand_mm_scans')).toBe(1);
    await spawn(k, 'idle size=4M node=0');
    await advance(k, '500ms');
    expect(vm(k, 'nr_kmmscand_mm_scans')).toBe(1);
    write(k, 'mms_to_scan', '4096');
    await advance(k, '1ms');
    expect(vm(k, 'nr_kmmscand_mm_scans')).toBe(2);
  });

  it('an exiting mm leaves the list and its queued folios are dropped', async () => {
    const k = kmmscandOn();
    const pid = await spawn(k, 'hotset size=64M threads=8 node=1');
    await advance(k, '20ms');
    k.tasks.kill(pid);
    const migrated = vm(k, 'nr_kmmscand_migrated');
    expect(migrated).toBeLessThan(16384);
    await advance(k, '1s');
    expect(vm(k, 'nr_kmmscand_migrated')).toBe(migrated);
    expect(vm(k, 'nr_kmmscand_migrate_failed')).toBe(0);
    expect(k.kmmscand.slots).toHaveLength(0);
    expect(k.kmmscand.state).toBe('idle');
  });

  it('its CPU time is pteClearYoung per PTE walked plus the migrations, charged to the thread: a top-tier workload runs exactly as fast', async () => {
    const runtimes: number[] = [];
    for (const on of [true, false]) {
      const k = bootPreset();
      if (on) write(k, 'scan_enabled', '1');
      const pid = await spawn(k, 'hotset size=32M threads=8 iters=40000 node=0');
      await advance(k, '10s');
      expect(k.fs.readFile(`sim/processes/${pid}/state`)).toBe('done\n');
      runtimes.push(Number(k.fs.readFile(`sim/processes/${pid}/runtime_ns`)));
      if (on) {
        const scans = vm(k, 'nr_kmmscand_mm_scans');
        expect(scans).toBeGreaterThan(1);
        expect(k.kmmscand.cpuNs).toBeCloseTo(scans * 8192 * costNs(k.config, 'pteClearYoung'), 3);
        expect(vm(k, 'nr_kmmscand_migrated')).toBe(0);
      }
    }
    expect(runtimes[0]).toBe(runtimes[1]);
  });

  it('kmmscand_scan_oh and kmmscand_migration_oh are jiffies deltas in µs (HZ=250: multiples of 4000) spanning the work', async () => {
    const k = kmmscandOn();
    await spawn(k, 'hotset size=256M threads=8 node=1');
    await advance(k, '2s');
    const moved = vm(k, 'nr_kmmscand_migrated');
    expect(moved).toBe(65536);
    const migrationUs = vm(k, 'kmmscand_migration_oh');
    const scanUs = vm(k, 'kmmscand_scan_oh');
    expect(migrationUs % 4000).toBe(0);
    expect(scanUs % 4000).toBe(0);
    // One drain of 65536 folios; its length in ns is the thread's migration time.
    const perFolio = k.migrator.pageCostNs(1, 0) + costNs(k.config, 'tlbFlushIpiBase') + 7 * costNs(k.config, 'tlbFlushIpiPerCpu') + costNs(k.config, 'tlbFlushLocal');
    const drainUs = (moved * perFolio) / 1000;
    expect(Math.abs(migrationUs - drainUs)).toBeLessThanOrEqual(4000);
    const scannedPtes = vm(k, 'nr_kmmscand_mm_scans') * 65536;
    expect(k.kmmscand.cpuNs).toBeCloseTo(scannedPtes * costNs(k.config, 'pteClearYoung') + moved * perFolio, -1);
  });

  it('PTE A bits: after reclaim cleared PG_young, a scan queues each page with the access model\'s probability for the window since the last clear', async () => {
    const k = bootPreset();
    k.fs.writeFile('proc/sys/kernel/numa_balancing', '0');
    // A slow workload (about 1000 accesses/s) with a 10 % hot set taking 90 % of them.
    const pid = await spawn(k, 'hotset size=64M threads=1 accesses=1 delay_us=1000 hot=0.1 share=0.9 node=1');
    await fillNode(k, 0); // promotions fail: the pages stay on node 1 for the next scan
    write(k, 'scan_enabled', '1');
    await advance(k, '30ms');
    const p = proc(k, pid);
    const vma = p.mm.vmas[0]!;
    const slot = k.kmmscand.slotOf(p)!;
    const t0 = slot.stamps.get(vma)![0]!;
    // folio_referenced() in reclaim test-and-clears PG_young.
    const young = () => {
      const out: boolean[] = [];
      for (let i = 0; i < vma.nrPages; i++) out.push((k.alloc.frames.flagsOf(vma.pt[i]!) & PG_YOUNG) !== 0);
      return out;
    };
    for (let i = 0; i < vma.nrPages; i++) {
      const f = k.alloc.frames.peek(vma.pt[i]!)!;
      f.flags[vma.pt[i]! - f.block.startPfn]! &= ~PG_YOUNG;
    }
    const added0 = vm(k, 'nr_kmmscand_migadded');
    const idle0 = vm(k, 'nr_kmmscand_idlepage');
    while (slot.stamps.get(vma)![0] === t0) await advance(k, '16ms');
    const t1 = slot.stamps.get(vma)![0]!;
    expect(t1).toBeGreaterThan(t0);
    const added = vm(k, 'nr_kmmscand_migadded') - added0;
    expect(added + vm(k, 'nr_kmmscand_idlepage') - idle0).toBe(vma.nrPages);
    // Exact in distribution: page i is young with 1 − e^(−E_i), E_i the expected accesses over (t0, t1].
    const hot = (i: number) => vma.pattern.weight(i, 0) > 1 / vma.nrPages;
    const want = { hot: [0, 0], cold: [0, 0] }; // [mean, variance]
    const got = { hot: 0, cold: 0 };
    const y = young();
    for (let i = 0; i < vma.nrPages; i++) {
      const q = 1 - Math.exp(-expectedAccesses(p, vma, i, t0, t1));
      const w = hot(i) ? want.hot : want.cold;
      w[0]! += q;
      w[1]! += q * (1 - q);
      if (y[i]) got[hot(i) ? 'hot' : 'cold']++;
    }
    expect(got.hot + got.cold).toBe(added);
    for (const set of ['hot', 'cold'] as const) expect(Math.abs(got[set] - want[set][0]!)).toBeLessThan(5 * Math.sqrt(want[set][1]!) + 1);
    // The hot set is found far more often, page for page.
    expect(got.hot / 1638).toBeGreaterThan((5 * got.cold) / 14746);
  });

  it('geometric skips: failures before a success, by inversion', () => {
    expect(geometricFailures(1, 0.7)).toBe(0);
    expect(geometricFailures(0, 0.7)).toBe(Infinity);
    expect(geometricFailures(0.5, 0)).toBe(0); // u = 0: success at once
    expect(geometricFailures(0.5, 0.5)).toBe(1); // P(K >= 1) = 0.5
    expect(geometricFailures(0.5, 0.76)).toBe(2); // P(K >= 2) = 0.25
  });

  it('an empty PTE ends the VMA walk (pte_entry returns 1)', async () => {
    const k = kmmscandOn();
    const pid = await spawn(k, 'idle size=4M node=0');
    const vma = proc(k, pid).mm.vmas[0]!;
    // Unmap page 100 as if it were never faulted in.
    k.alloc.freeUserFrames([proc(k, pid).mm.unmap(vma, 100)]);
    expect(vma.pt[100]).toBe(NO_PFN);
    await advance(k, '1ms');
    expect(vm(k, 'nr_kmmscand_toptier')).toBe(100);
    expect(k.kmmscand.cpuNs).toBe(101 * costNs(k.config, 'pteClearYoung'));
  });

  it('is deterministic: the same seed and writes give the same counters', async () => {
    const run = async () => {
      const k = kmmscandOn();
      await spawn(k, 'zipf size=32M threads=8 node=1');
      await spawn(k, 'hotset size=32M threads=2 node=1 hot=0.2');
      await advance(k, '3s');
      return k.fs.readFile('proc/vmstat');
    };
    expect(await run()).toBe(await run());
  });
});
