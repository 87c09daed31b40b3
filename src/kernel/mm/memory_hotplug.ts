// Memory block onlining and offlining (mm/memory_hotplug.c: online_pages / offline_pages).
// Offlining isolates the block, migrates its movable pages elsewhere and fails with EBUSY when
// an unmovable page pins it or when there is nowhere to put the movable ones. The /proc/iomem
// System RAM resource is untouched: only remove_memory() releases it, as in the kernel.
import createDebug from 'debug';
import { EBUSY } from '../../kernfs/index.js';
import { NO_OWNER } from './frames.js';
import type { MemoryBlock, ZoneType } from './memblock.js';
import type { PageAllocator } from './page_alloc.js';
import type { VmCounters } from './vmstat_counters.js';

const trace = createDebug('tiersim:hotplug');

/**
 * Take a block's memory out of its node.
 * @throws EBUSY when the block holds unmovable pages or its movable pages cannot be migrated
 */
export function offlineBlock(alloc: PageAllocator, vm: VmCounters, block: MemoryBlock, relocate?: (oldPfn: number, newPfn: number) => void): void {
  // has_unmovable_pages(): kernel allocations, and PageReserved pages (the kernel image,
  // firmware holes) that memblock never gave to the buddy allocator, pin the block.
  if (block.unmovablePages > 0 || block.reservedPages > 0) {
    trace('memory%d: %d unmovable, %d reserved pages, EBUSY', block.index, block.unmovablePages, block.reservedPages);
    throw EBUSY;
  }
  const toMove = block.movablePages;
  if (toMove > 0) {
    // do_migrate_range(): mtc.nid is the block's node but the nodemask excludes it unless it is
    // the only node with memory, so pages leave the node, nearest node first; the targets are
    // ordinary movable allocations, down to the min watermark.
    const others = (alloc.zonelists.get(block.nid) ?? []).filter((n) => n !== block.nid && alloc.blocksOf(n).some((b) => b.online));
    const order = others.length > 0 ? others : [block.nid];
    let room = 0;
    for (const nid of order) room += alloc.allocatablePages(nid, true, 'min');
    if (order[0] === block.nid) room -= block.freePages;
    if (room < toMove || !relocate) {
      trace('memory%d: %d movable pages, only %d free elsewhere, EBUSY', block.index, toMove, room);
      throw EBUSY;
    }
    const frames = alloc.frames.of(block);
    for (let off = 0; off < block.nrPages; off++) {
      if (frames.owner[off] === NO_OWNER) continue;
      let newPfn = -1;
      for (const nid of order) {
        newPfn = alloc.allocMigrationTarget(nid, block.nid, block);
        if (newPfn >= 0) break;
      }
      relocate(block.startPfn + off, newPfn);
    }
    vm.countEvent('pgmigrate_success', toMove);
  }
  block.freePages = 0;
  block.online = false;
  alloc.zonesChanged(); // offline_pages: zone spans, present pages, init_per_zone_wmark_min()
  trace('memory%d offline (%d pages migrated)', block.index, toMove);
}

/** Give a block's memory back to its node, into `zone`. */
export function onlineBlock(alloc: PageAllocator, block: MemoryBlock, zone: ZoneType): void {
  block.zone = zone;
  block.online = true;
  block.freePages = block.nrPages - block.reservedPages - block.unmovablePages - block.movablePages;
  alloc.zonesChanged(); // online_pages: zone spans, present pages, init_per_zone_wmark_min()
  trace('memory%d online in %s', block.index, zone);
}
