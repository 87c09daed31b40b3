// /proc/vmstat, nodeN/vmstat and nodeN/numastat (spec kernel-files.md §3.4, §5.2).
import { describe, expect, it } from 'vitest';
import { S_IFREG } from '../../../src/kernfs/index.js';
import {
  NODE_VMSTAT_NAMES, VMSTAT_NAMES, VM_EVENT_NAMES, globalDirtyLimits, nodeVmstatText, numastatText, zoneWatermarks,
} from '../../../src/kernel/mm/vmstat.js';
import { bootPreset as boot } from './boot.js';

function parse(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of text.split('\n').filter((x) => x !== '')) {
    const match = /^([a-z0-9_]+) (\d+)$/.exec(l);
    expect(match, `line ${JSON.stringify(l)}`).not.toBeNull();
    m.set(match![1]!, Number(match![2]));
  }
  return m;
}

function names(text: string): string[] {
  return text.split('\n').filter((x) => x !== '').map((l) => l.split(' ')[0]!);
}

// Every tiering counter of spec §5.2.
const TIERING = [
  'numa_hit', 'numa_miss', 'numa_foreign', 'numa_interleave', 'numa_local', 'numa_other',
  'numa_pte_updates', 'numa_huge_pte_updates', 'numa_hint_faults', 'numa_hint_faults_local', 'numa_pages_migrated',
  'pgmigrate_success', 'pgmigrate_fail', 'thp_migration_success', 'thp_migration_fail', 'thp_migration_split',
  'pgpromote_success', 'pgpromote_candidate',
  'pgdemote_kswapd', 'pgdemote_direct', 'pgdemote_khugepaged', 'pgdemote_proactive',
  'nr_tlb_remote_flush', 'nr_tlb_remote_flush_received', 'nr_tlb_local_flush_all', 'nr_tlb_local_flush_one',
];

describe('/proc/vmstat', () => {
  it('is a 0444 seq file of size 0', () => {
    expect(boot().fs.stat('proc/vmstat')).toMatchObject({ mode: S_IFREG | 0o444, size: 0 });
  });

  it('prints every name once, in VMSTAT_NAMES order, as "name value"', () => {
    const text = boot().fs.readFile('proc/vmstat');
    expect(names(text)).toEqual([...VMSTAT_NAMES]);
    expect(new Set(VMSTAT_NAMES).size).toBe(VMSTAT_NAMES.length);
    parse(text);
  });

  it.each(TIERING)('has %s', (name) => {
    expect(VMSTAT_NAMES).toContain(name);
  });

  it('keeps the 6.18 section order', () => {
    const order = [...VMSTAT_NAMES];
    const at = (n: string) => order.indexOf(n);
    expect(order[0]).toBe('nr_free_pages');
    expect(at('nr_free_cma')).toBeLessThan(at('numa_hit'));
    expect(at('numa_other')).toBeLessThan(at('nr_inactive_anon'));
    expect(at('pgdemote_proactive')).toBeLessThan(at('nr_dirty_threshold'));
    expect(at('nr_dirty_background_threshold')).toBe(at('nr_dirty_threshold') + 1);
    expect(at('nr_memmap_boot_pages')).toBeLessThan(at('pgpgin'));
    // kmmscand RFC V0: patch 10 puts its NUMA overhead counters after numa_pages_migrated and
    // its kmmscand ones after patch 08's nr_kmmscand_*, which come before pgmigrate_success.
    expect(order.slice(at('numa_pages_migrated'), at('pgmigrate_success') + 1)).toEqual([
      'numa_pages_migrated', 'numa_task_work_oh', 'numa_hf_migration_oh',
      'nr_kmmscand_mm_scans', 'nr_kmmscand_vma_scans', 'nr_kmmscand_migadded', 'nr_kmmscand_migrated',
      'nr_kmmscand_migrate_failed', 'nr_kmmscand_slowtier', 'nr_kmmscand_toptier', 'nr_kmmscand_idlepage',
      'kmmscand_scan_oh', 'kmmscand_migration_oh', 'pgmigrate_success',
    ]);
    // CONFIG_DEBUG_TLBFLUSH: between the balloon and swap readahead events (vm_event_item.h).
    expect(order.slice(at('balloon_migrate'), at('swap_ra') + 1)).toEqual([
      'balloon_migrate', 'nr_tlb_remote_flush', 'nr_tlb_remote_flush_received',
      'nr_tlb_local_flush_all', 'nr_tlb_local_flush_one', 'swap_ra',
    ]);
    expect(order[order.length - 1]).toBe('nr_unstable');
  });

  it('vm events follow k.vm (0 until bumped)', () => {
    const k = boot();
    expect(parse(k.fs.readFile('proc/vmstat')).get('pgmigrate_success')).toBe(0);
    k.vm.countEvent('pgmigrate_success', 7);
    k.vm.countEvent('nr_tlb_remote_flush');
    const v = parse(k.fs.readFile('proc/vmstat'));
    expect(v.get('pgmigrate_success')).toBe(7);
    expect(v.get('nr_tlb_remote_flush')).toBe(1);
  });

  it('node counters are summed over nodes', () => {
    const k = boot();
    k.vm.modNode(0, 'pgpromote_success', 3);
    k.vm.modNode(1, 'pgdemote_kswapd', 5);
    k.vm.modNode(0, 'pgdemote_kswapd', 1);
    const v = parse(k.fs.readFile('proc/vmstat'));
    expect(v.get('pgpromote_success')).toBe(3);
    expect(v.get('pgdemote_kswapd')).toBe(6);
  });

  it('boot-time slab, stack and page tables come from the counters', () => {
    const k = boot();
    const v = parse(k.fs.readFile('proc/vmstat'));
    const boot0 = k.bootMemory.get(0)!;
    expect(v.get('nr_slab_reclaimable')).toBe(boot0.slabReclaimablePages);
    expect(v.get('nr_slab_unreclaimable')).toBe(boot0.slabUnreclaimablePages);
    expect(v.get('nr_kernel_stack')).toBe(boot0.kernelStackKb);
    expect(v.get('nr_page_table_pages')).toBe(boot0.pageTablePages);
  });

  it('nr_free_pages is the allocator free count; dirty thresholds follow the 20/10 ratios', () => {
    const k = boot();
    const v = parse(k.fs.readFile('proc/vmstat'));
    const free = k.alloc.freePages(0) + k.alloc.freePages(1);
    expect(v.get('nr_free_pages')).toBe(free);
    const available = free - zoneWatermarks(k).totalreservePages + 1;
    expect(v.get('nr_dirty_threshold')).toBe(Math.floor((819 * available) / 4096));
    expect(v.get('nr_dirty_background_threshold')).toBe(Math.floor((409 * available) / 4096));
    expect(globalDirtyLimits(k)).toEqual({ thresh: v.get('nr_dirty_threshold'), bgThresh: v.get('nr_dirty_background_threshold') });
  });

  it('min_free_kbytes is raised to the THP recommendation (11 pageblocks per kernel zone)', () => {
    // cxl-2node: DMA, DMA32, Normal populated on node 0 → 3 * 11 * 512 pages.
    expect(zoneWatermarks(boot()).minFreeKbytes).toBe(3 * 11 * 512 * 4);
  });
});

describe('allocation moves the NUMA counters', () => {
  it('1000 movable pages preferred on node 1 by a CPU of node 0', () => {
    const k = boot();
    const before = parse(k.fs.readFile('proc/vmstat'));
    const n1 = parse(nodeVmstatText(k, 1));
    k.alloc.alloc(1, 1000, { movable: true, cpuNid: 0 });
    const after = parse(k.fs.readFile('proc/vmstat'));
    const n1after = parse(nodeVmstatText(k, 1));
    expect(after.get('numa_hit')! - before.get('numa_hit')!).toBe(1000);
    expect(after.get('numa_other')! - before.get('numa_other')!).toBe(1000);
    expect(after.get('numa_local')).toBe(before.get('numa_local'));
    expect(before.get('nr_free_pages')! - after.get('nr_free_pages')!).toBe(1000);
    expect(n1.get('nr_free_pages')! - n1after.get('nr_free_pages')!).toBe(1000);
    expect(n1after.get('numa_hit')! - n1.get('numa_hit')!).toBe(1000);
    expect(numastatText(k, 1)).toBe(
      `numa_hit ${n1after.get('numa_hit')}\nnuma_miss 0\nnuma_foreign 0\ninterleave_hit 0\nlocal_node 0\nother_node 1000\n`,
    );
  });
});

describe('nodeN/vmstat', () => {
  it('has zone counters, NUMA events and node counters, in order', () => {
    const k = boot();
    expect(names(nodeVmstatText(k, 0))).toEqual([...NODE_VMSTAT_NAMES]);
  });

  it('has no vm events and no dirty thresholds', () => {
    const text = nodeVmstatText(boot(), 0);
    const ns = names(text);
    for (const e of VM_EVENT_NAMES) expect(ns).not.toContain(e);
    expect(ns).not.toContain('nr_dirty_threshold');
    expect(ns).not.toContain('numa_hint_faults');
    expect(ns).toContain('pgpromote_success');
    expect(ns).toContain('pgdemote_kswapd');
  });

  it('shows only its own node counters and free pages; nodes sum to the global value', () => {
    const k = boot();
    k.vm.modNode(1, 'pgdemote_direct', 4);
    const n0 = parse(nodeVmstatText(k, 0));
    const n1 = parse(nodeVmstatText(k, 1));
    const g = parse(k.fs.readFile('proc/vmstat'));
    expect(n0.get('pgdemote_direct')).toBe(0);
    expect(n1.get('pgdemote_direct')).toBe(4);
    expect(n0.get('nr_free_pages')).toBe(k.alloc.freePages(0));
    for (const name of NODE_VMSTAT_NAMES) expect(n0.get(name)! + n1.get(name)!, name).toBe(g.get(name));
  });
});

describe('nodeN/numastat', () => {
  it('has exactly the six lines with the old names', () => {
    const text = numastatText(boot(), 0);
    expect(names(text)).toEqual(['numa_hit', 'numa_miss', 'numa_foreign', 'interleave_hit', 'local_node', 'other_node']);
  });

  it('maps numa_interleave to interleave_hit and numa_local/other to local_node/other_node', () => {
    const k = boot();
    k.vm.modNode(0, 'numa_interleave', 9);
    k.vm.accountNumaAlloc(0, 1, 0, 5); // preferred 0, got 1, CPU on 0
    const s0 = parse(numastatText(k, 0));
    const s1 = parse(numastatText(k, 1));
    expect(s0.get('interleave_hit')).toBe(9);
    expect(s0.get('numa_foreign')).toBe(5);
    expect(s1.get('numa_miss')).toBe(5);
    expect(s1.get('other_node')).toBe(5);
  });
});
