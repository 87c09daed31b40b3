// The file-description layer written once for every pseudo-file: per-open snapshots, offsets,
// partial writes and the open-time permission rules of fs/kernfs/file.c, fs/seq_file.c,
// fs/proc/proc_sysctl.c and fs/debugfs/file.c. Files themselves never see an offset.
import { EACCES, EINVAL, EIO } from './errno.js';
import type { Cred, KFile, StoreResult } from './node.js';

/** Bytes of one write(2) a sysfs store sees (PAGE_SIZE; kernfs_fop_write_iter). */
export const SYSFS_WRITE_MAX = 4096;
/** Bytes of one write(2) a sysctl handler looks at (PAGE_SIZE - 1; proc_sys_call_handler). */
export const SYSCTL_WRITE_MAX = 4095;

export const O_ACCMODE = 3;
export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_RDWR = 2;

/** st_size as the kernel reports it for a file of this kind. */
export function fileSize(file: KFile): number {
  if (file.kind === 'sysfs') return file.size ?? 4096;
  return 0;
}

/** One open file description. */
export class OpenFile {
  private snapshot: Buffer | undefined;
  /** A transaction file's answer to the last write on this description (WriteCtx.respond). */
  private reply: Buffer | undefined;
  /**
   * File position the answer starts at: the first read's. A shell reads on from where its
   * write left the offset (`read <&3`), a program may pread from 0; both see the whole answer.
   */
  private replyBase: number | undefined;

  private constructor(
    readonly file: KFile,
    readonly readable: boolean,
    readonly writable: boolean,
    readonly cred: Cred,
  ) {}

  /**
   * open(2) on a pseudo-file whose current mode and owner (after any chmod/chown) are `perm`.
   * @throws EACCES when DAC forbids it (non-root caller), or when a sysfs attribute's mode has
   *   no bit for the direction or it lacks the show/store (kernfs_fop_open, even for root).
   */
  static open(file: KFile, flags: number, cred: Cred, perm: { mode: number; uid: number } = { mode: file.mode, uid: 0 }): OpenFile {
    const acc = flags & O_ACCMODE;
    const readable = acc === O_RDONLY || acc === O_RDWR;
    const writable = acc === O_WRONLY || acc === O_RDWR;
    // DAC (owner or other bits; no groups in Cred); FUSE's default_permissions does the same.
    if (cred.uid !== 0) {
      const bits = cred.uid === perm.uid ? perm.mode >> 6 : perm.mode;
      if (readable && (bits & 0o4) === 0) throw EACCES;
      if (writable && (bits & 0o2) === 0) throw EACCES;
    }
    // kernfs_fop_open with KERNFS_ROOT_EXTRA_OPEN_PERM_CHECK (sysfs): the inode's mode needs a
    // bit for the direction and the attribute the method, root included.
    if (file.kind === 'sysfs') {
      if (readable && ((perm.mode & 0o444) === 0 || !file.show)) throw EACCES;
      if (writable && ((perm.mode & 0o222) === 0 || !file.store)) throw EACCES;
    }
    // sysctl: proc_sys_permission tests the table's own mode bits, root included.
    if (file.kind === 'sysctl') {
      if (readable && !file.show) throw EACCES;
      if (writable && !file.store) throw EACCES;
    }
    return new OpenFile(file, readable, writable, cred);
  }

  /**
   * read(2) at `pos`. Content is generated when a read starts at offset 0 (or on the first
   * read) and later offsets are served from that snapshot, so one open file reads consistently
   * while the simulation moves on.
   */
  read(pos: number, len: number): Buffer {
    const { file } = this;
    if (!this.readable) throw EINVAL; // read(2) on an O_WRONLY fd is EBADF in the VFS; FUSE never sends it
    if (this.reply !== undefined) {
      this.replyBase ??= pos;
      const off = Math.max(0, pos - this.replyBase);
      return this.reply.subarray(off, off + len);
    }
    if (!file.show) throw file.kind === 'seq' ? EIO : EINVAL; // debugfs without .read: the VFS says EINVAL
    if (file.kind === 'sysctl') {
      // proc_sys_call_handler: a read at offset > 0 is EOF, and a short buffer truncates.
      if (pos > 0) return Buffer.alloc(0);
      return Buffer.from(file.show(), 'latin1').subarray(0, len);
    }
    if (pos === 0 || this.snapshot === undefined) this.snapshot = Buffer.from(file.show(), 'latin1');
    return this.snapshot.subarray(pos, pos + len);
  }

  /**
   * write(2) of `data` at `pos`: one store call per write. `partial` says the transport may
   * deliver more of the same write(2) after this piece (FUSE splits large writes): a file that
   * takes at most a page per store does not care (the rest is a short write, as in the
   * kernel), but a handler that takes the whole buffer (debugfs) must not see half of it.
   * @returns bytes consumed (may be short: sysfs caps at 4096, sysctl reports what it parsed)
   * @throws the store's KernelError, EINVAL for DAMON-style offset rules and for a whole-buffer
   *   file given a piece, EIO for read-only procfs
   */
  write(data: Buffer, pos: number, partial = false): number | Promise<number> {
    const { file } = this;
    if (!this.writable) throw EINVAL;
    if (data.length === 0) return 0; // the VFS returns 0 before any handler runs
    if (!file.store) throw file.kind === 'seq' ? EIO : EINVAL;
    this.snapshot = undefined;
    this.reply = undefined;
    this.replyBase = undefined;
    const ctx = {
      cred: this.cred,
      respond: (text: string) => {
        this.reply = Buffer.from(text, 'latin1');
      },
    };
    switch (file.kind) {
      case 'sysfs': {
        const take = Math.min(data.length, SYSFS_WRITE_MAX);
        return settle(file.store(data.subarray(0, take).toString('latin1'), ctx), () => take);
      }
      case 'sysctl': {
        if (pos > 0) return 0; // sysctl_writes_strict=1: writes past the start are ignored
        const take = Math.min(data.length, SYSCTL_WRITE_MAX);
        return settle(file.store(data.subarray(0, take).toString('latin1'), ctx), (used) => (typeof used === 'number' ? Math.min(used, take) : data.length));
      }
      case 'debugfs':
      case 'seq': {
        if (file.rejectOffsetWrite && pos !== 0) throw EINVAL;
        // The handler copies the whole user buffer at once (DAMON's user_input_str,
        // simple_attr_write): a piece that may not be all of it is refused, not taken for it.
        if (partial) throw EINVAL;
        return settle(file.store(data.toString('latin1'), ctx), (used) => (typeof used === 'number' ? used : data.length));
      }
    }
  }
}

/** Map a store's result to the byte count, now or when a long store finishes. */
function settle(result: StoreResult, bytes: (used: number | void) => number): number | Promise<number> {
  return result instanceof Promise ? result.then(bytes) : bytes(result);
}
