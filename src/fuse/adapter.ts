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
}

/**
 * libfuse options fuse-native's whitelist cannot express: direct_io (reads are never clipped
 * at st_size, DESIGN.md §5), zero entry/attr/negative timeouts (directories appear and vanish),
 * and nonempty (the default mount point may hold a placeholder file).
 */
const EXTRA_OPTIONS = 'direct_io,entry_timeout=0,attr_timeout=0,negative_timeout=0,nonempty';

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
  private fuse: Fuse | undefined;
  private readonly epoch = new Date();

  constructor(
    private readonly fs: Kernfs,
    readonly mountpoint: string,
    private readonly opts: FuseMountOptions = {},
  ) {}

  private ops(): Record<string, (...args: any[]) => void> {
    const fs = this.fs;
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
      chmod: (path: string, mode: number, cb: Done) => answer(cb, () => fs.setattr(path, { mode }, undefined, Date.now())),
      chown: (path: string, uid: number, gid: number, cb: Done) =>
        answer(cb, () => fs.setattr(path, { uid: uid === ID_UNCHANGED ? undefined : uid, gid: gid === ID_UNCHANGED ? undefined : gid }, undefined, Date.now())),
      utimens: (path: string, atime: number, _mtime: number, cb: Done) => {
        const now = Date.now();
        answer(cb, () => fs.setattr(path, { atimeMs: utimeMs(atime, now), mtimeMs: utimeMs(atime, now) }, undefined, now));
      },
      statfs: (_path: string, cb: (err: number, st?: object) => void) =>
        cb(0, { bsize: 4096, frsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, favail: 0, fsid: 0, flag: 0, namemax: 255 }),
    };
  }

  /** Mount; resolves once the kernel has accepted the mount. A stale (ENOTCONN) mount is cleared first. */
  mount(): Promise<void> {
    const fuse = new Fuse(this.mountpoint, this.ops(), {
      force: true,
      mkdir: true,
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
      return o ? `${o},${EXTRA_OPTIONS}` : `-o${EXTRA_OPTIONS}`;
    };
    trace('mounting %s with %s', this.mountpoint, fuse._fuseOptions());
    return new Promise((resolve, reject) => {
      fuse.mount((err) => {
        if (err) return reject(err);
        this.fuse = fuse;
        resolve();
      });
    });
  }

  /** Unmount (fusermount -uz). Safe to call twice. */
  unmount(): Promise<void> {
    const fuse = this.fuse;
    this.fuse = undefined;
    if (!fuse) return Promise.resolve();
    return new Promise((resolve, reject) => fuse.unmount((err) => (err ? reject(err) : resolve())));
  }
}
