// Pieces both DAMON sysfs files share (mm/damon/sysfs-common.c in spirit): the 0600/0400
// attributes and the nr_* files that (re)create a directory's numbered children.
import { EINVAL, ENOMEM, NumberedDir, StaticDir, attr, type KDir, type KFile, type KNode } from '../../../kernfs/index.js';
import { kstrtoint } from '../../lib/kstrto.js';

export const rw = (show: () => string, store: (input: string) => void): KFile => attr({ mode: 0o600, show, store });
export const ro = (show: () => string): KFile => attr({ mode: 0o400, show });

/**
 * The most children one nr_* write can ask for: every *_add_dirs() first takes an array of N
 * pointers with kmalloc_array(GFP_KERNEL | __GFP_NOWARN), which fails past KMALLOC_MAX_SIZE
 * (4 MiB with x86's MAX_PAGE_ORDER 10), so a larger N is ENOMEM before anything changes.
 */
export const NR_DIRS_MAX = (4 * 1024 * 1024) / 8;

/**
 * An nr_* file: kstrtoint base 0 (its error passed back: EINVAL or ERANGE), negative EINVAL,
 * more than NR_DIRS_MAX ENOMEM, then `rebuild(n)` destroys the children and creates 0..n-1
 * with defaults.
 */
export function nrFile(get: () => number, rebuild: (n: number) => void, check: (n: number) => void = () => {}): KFile {
  return rw(
    () => `${get()}\n`,
    (input) => {
      const n = kstrtoint(input, 0);
      if (n < 0) throw EINVAL; // a negative count
      check(n);
      if (n > NR_DIRS_MAX) throw ENOMEM; // kmalloc_array of the children's pointers fails
      rebuild(n);
    },
  );
}


/**
 * The kobjects behind a directory's numbered children, created on first use: an nr_* write
 * of N makes `length` N at once, and `at(i)` builds child i (with the kernel's defaults) when
 * its directory is first touched. Readers that must not build (`state on` reading the inputs)
 * take `get(i)`: an untouched child reads as a fresh default.
 */
export class Children<T> {
  private made = new Map<number, T>();
  private n = 0;

  constructor(private readonly create: () => T) {}

  get length(): number {
    return this.n;
  }

  /** Destroy all children; 0..n-1 exist again with defaults. */
  reset(n: number): void {
    this.n = n;
    this.made = new Map();
  }

  /** Child i, built (and kept) if untouched. */
  at(i: number): T {
    let c = this.made.get(i);
    if (c === undefined) this.made.set(i, (c = this.create()));
    return c;
  }

  /** Child i as it reads now: the built one, or a fresh default that is not kept. */
  get(i: number): T {
    return this.made.get(i) ?? this.create();
  }

  /** The built children (the untouched ones all hold defaults). */
  built(): IterableIterator<T> {
    return this.made.values();
  }

  /** `fn` over every child 0..length-1 in order, untouched ones as defaults. */
  map<R>(fn: (c: T, i: number) => R): R[] {
    const out: R[] = [];
    for (let i = 0; i < this.n; i++) out.push(fn(this.get(i), i));
    return out;
  }
}

/**
 * A directory holding the nr_* file `nrName` (plus `entries`) and the numbered children of
 * `children`, each one's directory made by `make` when first looked up (NumberedDir). An
 * nr_* write resets both: every old child is gone, 0..N-1 read as defaults.
 */
export function numberedDir<T>(
  nrName: string,
  children: Children<T>,
  make: (c: T, i: number) => KDir,
  check: (n: number) => void = () => {},
  entries: Record<string, KNode> = {},
): NumberedDir {
  const dir = new NumberedDir((i) => make(children.at(i), i));
  dir.volatile = true; // nr_* writes remove the directories below
  dir.set(
    nrName,
    nrFile(
      () => children.length,
      (n) => {
        children.reset(n);
        dir.setCount(n);
      },
      check,
    ),
  );
  for (const [name, node] of Object.entries(entries)) dir.set(name, node);
  return dir;
}
