// Pieces both DAMON sysfs files share (mm/damon/sysfs-common.c in spirit): the 0600/0400
// attributes and the nr_* files that (re)create a directory's numbered children.
import { EINVAL, ENOMEM, StaticDir, attr, type KFile } from '../../../kernfs/index.js';
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

/** Replace the numbered children of `dir` by `make(i)` for i in 0..n-1. */
export function setChildren(dir: StaticDir, n: number, make: (i: number) => StaticDir): void {
  for (const name of dir.list()) if (/^\d+$/.test(name)) dir.delete(name);
  for (let i = 0; i < n; i++) dir.set(String(i), make(i));
}
