// The FUSE adapter: fuse-native operations mapped onto a Kernfs tree, errno mapping and the
// mount lifecycle. It knows no file by name and nothing about the kernel behind the tree.
import createDebug from 'debug';
import Fuse from 'fuse-native';
import { isKernelError, type Kernfs } from '../kernfs/index.js';

const trace = createDebug('tiersim:fuse');

export interface FuseMountOptions {
  /** Let other users in (allow_other); default: only the mounting user. */
  readonly allowOther?: boolean;
  /** Extra libfuse tracing on stderr (-o debug). */
  readonly debug?: boolean;
  /**
   * Let the host kernel cache lookups and attributes outside the tree's volatile subtrees,
   * which are served by stacked uncached mounts (default true; needs root to mount them).
   */
  readonly kernelCache?: boolean;
}

/**
 * libfuse options fuse-native's whitelist cannot express: direct_io (reads are never clipped
 * at st_size, DESIGN.md §5), zero negative timeout (names appear at runtime), and nonempty (the
 * default mount point may hold a placeholder file; libfuse also skips reading the mount point,
 * which for a subtree mount would be a request to this very thread).
 */
const BASE_OPTIONS = 'direct_io,negative_timeout=0,nonempty';
/**
 * Seconds the host kernel may keep a positive lookup or an inode's attributes outside the
 * volatile subtrees (DESIGN.md §3): there no name ever disappears, content is never cached
 * (direct_io), and a chmod/chown/utimes through the mount refreshes the cache from its reply.
 */
const CACHE_SECONDS = 60;
const CACHED_OPTIONS = `${BASE_OPTIONS},entry_timeout=${CACHE_SECONDS},attr_timeout=${CACHE_SECONDS}`;
const UNCACHED_OPTIONS = `${BASE_OPTIONS},entry_timeout=0,attr_timeout=0`;

/**
 * FUSE hands a write(2) over in pieces of at most max_write (128 KiB) spanning at most 32 pages
 * of the caller's buffer (fuse_direct_io), so every piece but the last is longer than
 * 128 KiB − 4 KiB. A longer piece may be followed by more of the same write(2).
 */
const WHOLE_WRITE_MAX = 128 * 1024 - 4096;

/** chown(2)'s "leave unchanged" ((uid_t)-1) as fuse-native passes it. */
const ID_UNCHANGED = 0xffffffff;

/**
 * fuse-native (FUSE 2.9 API) hands utimens one time in ms, the access time twice, and encodes
 * UTIME_NOW/UTIME_OMIT as tv_sec 0, i.e. a value under 2 s: that is taken as now, and the
 * access time stands for both times (DESIGN.md §3).
 */
function utimeMs(ms: number, nowMs: number): number {
  return ms < 2000 ? nowMs : ms;
}

function errnoOf(err: unknown): number {
  if (isKernelError(err)) return -err.errno;
  trace('internal error: %O', err);
  return -5; // EIO: a bug in the simulator, not a kernel rule
}

/** Run `fn`, answering `cb` with its result or with the kernel's negative errno. */
function answer<T>(cb: (err: number, value?: T) => void, fn: () => T): void {
  let value: T;
  try {
    value = fn();
  } catch (err) {
    cb(errnoOf(err));
    return;
  }
  cb(0, value);
}

export class FuseMount {
  /** The mount at `mountpoint` first, then one per uncached subtree mounted inside it. */
  private fuses: Fuse[] = [];
  private readonly epoch = new Date();
  /** Whether the host kernel caches lookups and attributes outside the volatile subtrees. */
  private cachingOn = false;

  constructor(
    private readonly fs: Kernfs,
    readonly mountpoint: string,
    private readonly opts: FuseMountOptions = {},
  ) {}

  /** True once mounted with the host kernel caching the static structure. */
  get caching(): boolean {
    return this.cachingOn;
  }

  /** Operations for a mount of the tree's subtree at `prefix` ('' or '/a/b'). */
  private ops(prefix: string): Record<string, (...args: any[]) => void> {
    const tree = this.fs;
    const at = (path: string) => (prefix === '' ? path : path === '/' ? prefix : prefix + path);
    // The tree's operations on paths of this mount.
    const fs = {
      stat: (p: string) => tree.stat(at(p)),
      readdir: (p: string) => tree.readdir(at(p)),
      readlink: (p: string) => tree.readlink(at(p)),
      open: (p: string, flags: number) => tree.open(at(p), flags),
      release: (fh: number) => tree.release(fh),
      read: (fh: number, len: number, pos: number) => tree.read(fh, len, pos),
      write: (fh: number, data: Buffer, pos: number, partial: boolean) => tree.write(fh, data, pos, partial),
      create: (p: string) => tree.create(at(p)),
      mknod: (p: string, mode: number) => tree.mknod(at(p), mode),
      mkdir: (p: string) => tree.mkdir(at(p)),
      symlink: (p: string) => tree.symlink(at(p)),
      link: (from: string, to: string) => tree.link(at(from), at(to)),
      unlink: (p: string) => tree.unlink(at(p)),
      rmdir: (p: string) => tree.rmdir(at(p)),
      rename: (from: string, to: string) => tree.rename(at(from), at(to)),
      setattr: (p: string, change: Parameters<Kernfs['setattr']>[1], nowMs: number) => tree.setattr(at(p), change, undefined, nowMs),
    };
    const epoch = this.epoch.getTime();
    const getattr = (path: string, cb: (err: number, st?: object) => void) =>
      answer(cb, () => {
        const st = fs.stat(path);
        return { ...st, atime: st.atimeMs ?? epoch, mtime: st.mtimeMs ?? epoch, ctime: st.ctimeMs ?? epoch };
      });
    type Done = (err: number) => void;
    return {
      getattr,
      fgetattr: (path: string, _fd: number, cb: (err: number, st?: object) => void) => getattr(path, cb),
      readdir: (path: string, cb: (err: number, names?: readonly string[]) => void) => answer(cb, () => ['.', '..', ...fs.readdir(path)]),
      readlink: (path: string, cb: (err: number, target?: string) => void) => answer(cb, () => fs.readlink(path)),
      open: (path: string, flags: number, cb: (err: number, fh?: number) => void) => answer(cb, () => fs.open(path, flags)),
      release: (_path: string, fh: number, cb: (err: number) => void) => {
        fs.release(fh);
        cb(0);
      },
      read: (_path: string, fh: number, buf: Buffer, len: number, pos: number, cb: (n: number) => void) => {
        try {
          const data = fs.read(fh, len, pos);
          data.copy(buf);
          cb(data.length);
        } catch (err) {
          cb(errnoOf(err));
        }
      },
      write: (_path: string, fh: number, buf: Buffer, len: number, pos: number, cb: (n: number) => void) => {
        try {
          const n = fs.write(fh, Buffer.from(buf.subarray(0, len)), pos, len > WHOLE_WRITE_MAX);
          if (typeof n === 'number') cb(n);
          else n.then(cb, (err: unknown) => cb(errnoOf(err)));
        } catch (err) {
          cb(errnoOf(err));
        }
      },
      // O_TRUNC arrives as a truncate to 0: pseudo-files ignore it, as sysfs and procfs do.
      truncate: (_path: string, _size: number, cb: (err: number) => void) => cb(0),
      ftruncate: (_path: string, _fd: number, _size: number, cb: (err: number) => void) => cb(0),
      // Namespace changes: the tree answers each with the errno its filesystem gives.
      create: (path: string, _mode: number, cb: Done) => answer(cb, () => fs.create(path)),
      mknod: (path: string, mode: number, _dev: number, cb: Done) => answer(cb, () => fs.mknod(path, mode)),
      mkdir: (path: string, _mode: number, cb: Done) => answer(cb, () => fs.mkdir(path)),
      symlink: (_target: string, path: string, cb: Done) => answer(cb, () => fs.symlink(path)),
      link: (existing: string, path: string, cb: Done) => answer(cb, () => fs.link(existing, path)),
      unlink: (path: string, cb: Done) => answer(cb, () => fs.unlink(path)),
      rmdir: (path: string, cb: Done) => answer(cb, () => fs.rmdir(path)),
      rename: (from: string, to: string, cb: Done) => answer(cb, () => fs.rename(from, to)),
      chmod: (path: string, mode: number, cb: Done) => answer(cb, () => fs.setattr(path, { mode }, Date.now())),
      chown: (path: string, uid: number, gid: number, cb: Done) =>
        answer(cb, () => fs.setattr(path, { uid: uid === ID_UNCHANGED ? undefined : uid, gid: gid === ID_UNCHANGED ? undefined : gid }, Date.now())),
      utimens: (path: string, atime: number, _mtime: number, cb: Done) => {
        const now = Date.now();
        answer(cb, () => fs.setattr(path, { atimeMs: utimeMs(atime, now), mtimeMs: utimeMs(atime, now) }, now));
      },
      statfs: (_path: string, cb: (err: number, st?: object) => void) =>
        cb(0, { bsize: 4096, frsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, favail: 0, fsid: 0, flag: 0, namemax: 255 }),
    };
  }

  /**
   * Mount; resolves once the kernel has accepted the mount. A stale (ENOTCONN) mount is cleared
   * first. With kernel caching, each volatile subtree of the tree gets its own uncached mount
   * stacked on its directory; when one cannot be mounted, everything is served uncached.
   */
  async mount(): Promise<void> {
    const subtrees = this.uncachedSubtrees();
    if (subtrees === undefined) {
      await this.mountOne(this.mountpoint, '', UNCACHED_OPTIONS);
      return;
    }
    await this.mountOne(this.mountpoint, '', CACHED_OPTIONS);
    try {
      for (const sub of subtrees) await this.mountOne(`${this.mountpoint}/${sub}`, `/${sub}`, UNCACHED_OPTIONS);
    } catch (err) {
      trace('stacked mount failed (%s): serving everything uncached', (err as Error).message);
      await this.unmount();
      await this.mountOne(this.mountpoint, '', UNCACHED_OPTIONS);
      return;
    }
    this.cachingOn = true;
  }

  /**
   * The tree's volatile subtrees, or undefined when the whole mount must go uncached: caching
   * is off, the root itself is volatile, or we are not root. A non-root mount goes through
   * fusermount, which refuses a mount point it does not own (the tree's are root's) and would
   * ask this thread, blocked in fuse-native's synchronous mount call, about it.
   */
  private uncachedSubtrees(): string[] | undefined {
    if (this.opts.kernelCache === false || process.getuid?.() !== 0) return undefined;
    const subtrees = this.fs.volatileDirs();
    return subtrees.includes('') ? undefined : subtrees;
  }

  private mountOne(mountpoint: string, prefix: string, options: string): Promise<void> {
    const top = prefix === '';
    const fuse = new Fuse(mountpoint, this.ops(prefix), {
      force: top,
      mkdir: top,
      defaultPermissions: true,
      allowOther: this.opts.allowOther ?? false,
      debug: this.opts.debug ?? false,
      fsname: 'tiersim',
      subtype: 'tiersim',
      // A write may run long (advancing virtual time, a big migration) while the event loop
      // keeps serving other requests; fuse-native's 15 s watchdog would answer it ETIMEDOUT.
      timeout: { default: 15_000, write: false },
    });
    const base = fuse._fuseOptions.bind(fuse);
    fuse._fuseOptions = () => {
      const o = base();
      return o ? `${o},${options}` : `-o${options}`;
    };
    trace('mounting %s with %s', mountpoint, fuse._fuseOptions());
    return new Promise((resolve, reject) => {
      fuse.mount((err) => {
        if (err) return reject(err);
        this.fuses.push(fuse);
        resolve();
      });
    });
  }

  /** Unmount (fusermount -uz), stacked mounts first. Safe to call twice. */
  async unmount(): Promise<void> {
    const fuses = this.fuses.reverse();
    this.fuses = [];
    this.cachingOn = false;
    for (const fuse of fuses) await new Promise<void>((resolve, reject) => fuse.unmount((err) => (err ? reject(err) : resolve())));
  }
}
