// The I/O memory resource tree of kernel/resource.c: struct resource nesting (insert_resource),
// and the r_show format /proc/iomem prints it with.
import { EBUSY } from '../../kernfs/index.js';

/** One struct resource: an inclusive [start, end] byte range with a name and nested children. */
export interface Resource {
  readonly name: string;
  readonly start: number;
  readonly end: number;
  /** Sorted by start, non-overlapping (the sibling list). */
  readonly children: Resource[];
}

/** r_show shows nesting up to this depth (MAX_IORES_LEVEL). */
const MAX_IORES_LEVEL = 5;

/** The tree under iomem_resource. */
export class ResourceTree {
  readonly root: Resource = { name: 'PCI mem', start: 0, end: Number.MAX_SAFE_INTEGER, children: [] };

  /**
   * insert_resource(): place [start, end] under the deepest resource that contains it, adopting
   * the siblings it covers. A range containing another exactly becomes the inner one's child.
   * @throws EBUSY when the range partly overlaps an existing one (a resource conflict)
   */
  insert(start: number, end: number, name: string): Resource {
    let parent = this.root;
    for (;;) {
      const inner = parent.children.find((c) => c.start <= start && end <= c.end);
      if (inner === undefined) break;
      parent = inner;
    }
    const covered = parent.children.filter((c) => start <= c.start && c.end <= end);
    const clash = parent.children.some((c) => c.start <= end && start <= c.end && !covered.includes(c));
    if (clash) throw EBUSY; // __insert_resource returns the conflicting resource: -EBUSY
    const res: Resource = { name, start, end, children: covered };
    const kept = parent.children.filter((c) => !covered.includes(c));
    kept.push(res);
    kept.sort((a, b) => a.start - b.start);
    parent.children.splice(0, parent.children.length, ...kept);
    return res;
  }

  /** Pre-order walk: every resource with its depth (0 for top level). */
  *walk(): Generator<{ res: Resource; depth: number }> {
    function* visit(list: readonly Resource[], depth: number): Generator<{ res: Resource; depth: number }> {
      for (const res of list) {
        yield { res, depth };
        yield* visit(res.children, depth + 1);
      }
    }
    yield* visit(this.root.children, 0);
  }
}

/** An address as r_show prints it: lowercase hex, at least `width` digits. */
function hex(addr: number, width: number): string {
  return addr.toString(16).padStart(width, '0');
}

/**
 * The /proc/iomem text: `<2 spaces per level><start>-<end> : <name>\n`, pre-order, at least 8
 * hex digits (4 for a root ending below 0x10000, i.e. /proc/ioports).
 */
export function formatResources(tree: ResourceTree): string {
  const width = tree.root.end < 0x10000 ? 4 : 8;
  let out = '';
  for (const { res, depth } of tree.walk()) {
    const indent = '  '.repeat(Math.min(depth, MAX_IORES_LEVEL));
    out += `${indent}${hex(res.start, width)}-${hex(res.end, width)} : ${res.name}\n`;
  }
  return out;
}
