// A mounted pseudo-filesystem: path resolution, stat, readdir, readlink, the attributes that
// chmod/chown/utimes store, the VFS's answers to namespace changes (vfs.ts) and the table of
// open file descriptions. Consumed by the FUSE adapter and, in-process, by tests and tools.
import createDebug from 'debug';
import { EACCES, EBADF, EBUSY, EISDIR, ENOENT, ENOTDIR, EPERM, EXDEV, KernelError } from './errno.js';
import { fileSize, O_ACCMODE, O_RDONLY, O_RDWR, O_WRONLY, OpenFile } from './fd.js';
import { ROOT, type Cred, type FsKind, type KDir, type KNode } from './node.js';
import { createErrno, newNameErrno, removeErrno, setattrErrno, type CreateKind } from './vfs.js';

const trace = createDebug('tiersim:kernfs');

export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;

export interface KStat {
  readonly mode: number; // with type bits
  readonly size: number;
  readonly nlink: number;
  readonly uid: number;
  readonly gid: number;
  /** Times set by utimes/chmod/chown (ms since the epoch); undefined: never set. */
  readonly atimeMs?: number;
  readonly mtimeMs?: number;
  readonly ctimeMs?: number;
}

/** What one setattr changes (undefined fields stay). */
export interface SetAttr {
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  readonly atimeMs?: number;
  readonly mtimeMs?: number;
}

/** Attributes stored on a node by setattr, like kernfs_iattrs or a proc_dir_entry's mode. */
interface NodeAttrs {
  mode?: number;
  uid?: number;
  gid?: number;
  atimeMs?: number;
  mtimeMs?: number;
  ctimeMs?: number;
}

/** A node found by a path walk, with the filesystem serving it and its mount point. */
interface Walked {
  readonly node: KNode;
  readonly fs: FsKind;
  /** Path of the mount point (a `fs` that is not /proc/sys starts a new mount). */
  readonly mount: string;
  /** The node is itself a mount point. */
  readonly isMountPoint: boolean;
}

function splitPath(path: string): string[] {
  return path.split('/').filter((c) => c !== '' && c !== '.');
}

/** Permission bits a node declares (symlinks are 0777). */
function declaredMode(node: KNode): number {
  return node.type === 'link' ? 0o777 : node.mode;
}

export class Kernfs {
  private readonly files = new Map<number, OpenFile>();
  private nextFh = 1;
  /** Attributes set through setattr, by node identity (a node that is gone takes them along). */
  private readonly attrs = new WeakMap<KNode, NodeAttrs>();

  constructor(readonly root: KDir) {}

  /**
   * Walk `path` from the root without following symlinks (the FUSE kernel resolves links
   * itself and hands us link-free paths).
   * @throws ENOENT, ENOTDIR, or EACCES when a non-root caller lacks search permission
   */
  resolve(path: string, cred: Cred = ROOT): KNode {
    return this.walk(path, cred).node;
  }

  private walk(path: string, cred: Cred): Walked {
    let node: KNode = this.root;
    let fs: FsKind = this.root.fs ?? 'sysfs';
    let mount = '';
    let isMountPoint = true;
    const parts = splitPath(path);
    for (let i = 0; i < parts.length; i++) {
      if (node.type !== 'dir') throw ENOTDIR;
      if (!this.may(node, cred, 0o1)) throw EACCES;
      const next: KNode | undefined = node.lookup(parts[i]!);
      if (next === undefined) throw ENOENT;
      node = next;
      isMountPoint = node.type === 'dir' && node.fs !== undefined && node.fs !== 'sysctl';
      if (node.type === 'dir' && node.fs !== undefined) fs = node.fs;
      if (isMountPoint) mount = parts.slice(0, i + 1).join('/');
    }
    return { node, fs, mount, isMountPoint };
  }

  /** The directory holding `path`'s last component, and that name. @throws as walk */
  private walkParent(path: string, cred: Cred): Walked & { readonly dir: KDir; readonly name: string } {
    const parts = splitPath(path);
    const name = parts.pop();
    if (name === undefined) throw EBUSY; // the root itself: a mount point
    const w = this.walk(parts.join('/'), cred);
    if (w.node.type !== 'dir') throw ENOTDIR;
    return { ...w, dir: w.node, name };
  }

  /** Current permission bits and owner of `node` (declared, or as setattr left them). */
  private perm(node: KNode): { mode: number; uid: number; gid: number } {
    const a = this.attrs.get(node);
    return { mode: a?.mode ?? declaredMode(node), uid: a?.uid ?? 0, gid: a?.gid ?? 0 };
  }

  /** DAC for a non-root caller (owner bits if it owns the node, else other bits); root passes. */
  private may(node: KNode, cred: Cred, rwx: number): boolean {
    if (cred.uid === 0) return true;
    const { mode, uid } = this.perm(node);
    const bits = (cred.uid === uid ? mode >> 6 : mode) & 0o7;
    return (bits & rwx) === rwx;
  }

  stat(path: string): KStat {
    const node = this.resolve(path);
    const { mode, uid, gid } = this.perm(node);
    const a = this.attrs.get(node);
    const times = { atimeMs: a?.atimeMs, mtimeMs: a?.mtimeMs, ctimeMs: a?.ctimeMs };
    switch (node.type) {
      case 'dir':
        return { mode: S_IFDIR | mode, size: 0, nlink: 2, uid, gid, ...times };
      case 'link':
        return { mode: S_IFLNK | mode, size: 0, nlink: 1, uid, gid, ...times };
      case 'file':
        return { mode: S_IFREG | mode, size: fileSize(node), nlink: 1, uid, gid, ...times };
    }
  }

  // -------------------------------------------------------------------------------------------
  // Namespace changes: each one fails with the errno the kernel's VFS gives (vfs.ts).

  /** mkdir(2). @throws always: EEXIST, ENOENT (procfs), EACCES, EPERM */
  mkdir(path: string, cred: Cred = ROOT): never {
    throw this.createError(path, 'dir', cred);
  }

  /** mknod(2): S_IFREG (or no type) is a create, other types a mknod. @throws always */
  mknod(path: string, mode: number, cred: Cred = ROOT): never {
    const type = mode & S_IFMT;
    throw this.createError(path, type === 0 || type === S_IFREG ? 'reg' : 'special', cred);
  }

  /** open(O_CREAT) of a name that does not exist. @throws always: EACCES, ENOENT (procfs), EEXIST */
  create(path: string, cred: Cred = ROOT): never {
    throw this.createError(path, 'reg', cred);
  }

  /** symlink(2) making `path`. @throws always */
  symlink(path: string, cred: Cred = ROOT): never {
    throw this.createError(path, 'symlink', cred);
  }

  /** link(2) of `existing` as `path`. @throws always: ENOENT, EEXIST, EXDEV, EACCES, EPERM */
  link(existing: string, path: string, cred: Cred = ROOT): never {
    const from = this.walk(existing, cred);
    const to = this.walkParent(path, cred);
    const early = newNameErrno(to.fs, to.dir.lookup(to.name) !== undefined);
    if (early) throw early;
    if (from.mount !== to.mount) throw EXDEV; // do_linkat: another mount
    throw createErrno('link', this.may(to.dir, cred, 0o3));
  }

  /** unlink(2). @throws always: ENOENT, EISDIR, EACCES, EPERM */
  unlink(path: string, cred: Cred = ROOT): never {
    const p = this.walkParent(path, cred);
    const node = p.dir.lookup(p.name);
    if (node === undefined) throw ENOENT;
    if (node.type === 'dir') throw EISDIR; // may_delete
    throw removeErrno(p.fs, this.may(p.dir, cred, 0o3));
  }

  /** rmdir(2). @throws always: ENOENT, ENOTDIR, EACCES, EPERM, EBUSY (a mount point) */
  rmdir(path: string, cred: Cred = ROOT): never {
    const p = this.walkParent(path, cred);
    const node = p.dir.lookup(p.name);
    if (node === undefined) throw ENOENT;
    if (node.type !== 'dir') throw ENOTDIR; // may_delete
    const w = this.walk(path, cred);
    if (w.isMountPoint) throw EBUSY; // the parent is another filesystem, which finds a mount here
    throw removeErrno(p.fs, this.may(p.dir, cred, 0o3));
  }

  /**
   * rename(2). Renaming a name onto itself succeeds (vfs_rename: source == target).
   * @throws otherwise: ENOENT, EXDEV, ENOTDIR, EISDIR, EACCES, EBUSY, EPERM
   */
  rename(from: string, to: string, cred: Cred = ROOT): void {
    const src = this.walkParent(from, cred);
    const dst = this.walkParent(to, cred);
    if (src.mount !== dst.mount) throw EXDEV; // do_renameat2: different mounts
    const node = src.dir.lookup(src.name);
    if (node === undefined) throw ENOENT;
    const target = dst.dir.lookup(dst.name);
    if (target === undefined && (dst.fs === 'procfs' || dst.fs === 'sysctl')) throw ENOENT; // proc lookups fail
    if (target === node) return;
    if (target !== undefined && node.type === 'dir' && target.type !== 'dir') throw ENOTDIR;
    if (target !== undefined && node.type !== 'dir' && target.type === 'dir') throw EISDIR;
    // may_delete on the source directory, may_create/may_delete on the target's
    const err = removeErrno(src.fs, this.may(src.dir, cred, 0o3));
    if (err === EACCES || removeErrno(dst.fs, this.may(dst.dir, cred, 0o3)) === EACCES) throw EACCES;
    if (this.walk(from, cred).isMountPoint) throw EBUSY;
    throw err;
  }

  private createError(path: string, kind: CreateKind, cred: Cred): KernelError {
    const p = this.walkParent(path, cred);
    return newNameErrno(p.fs, p.dir.lookup(p.name) !== undefined) ?? createErrno(kind, this.may(p.dir, cred, 0o3));
  }

  // -------------------------------------------------------------------------------------------
  // setattr: chmod, chown, utimes (and truncate, which pseudo-files ignore).

  /**
   * Store attributes on the node at `path`, as kernfs, debugfs and procfs do; a later stat and
   * open see them. `nowMs` is the change time to record (the caller's clock).
   * @throws EPERM for chmod/chown on /proc/sys (proc_sys_setattr), or when a non-root caller
   *   chowns or changes a node it does not own (setattr_prepare)
   */
  setattr(path: string, change: SetAttr, cred: Cred = ROOT, nowMs?: number): void {
    const { node, fs } = this.walk(path, cred);
    const ownerOrMode = change.mode !== undefined || change.uid !== undefined || change.gid !== undefined;
    const sysctl = node.type === 'file' ? node.kind === 'sysctl' : fs === 'sysctl';
    const err = setattrErrno(sysctl, ownerOrMode);
    if (err) throw err;
    const cur = this.perm(node);
    if (cred.uid !== 0) {
      if ((change.uid !== undefined && change.uid !== cur.uid) || (change.gid !== undefined && change.gid !== cur.gid)) throw EPERM; // chown needs CAP_CHOWN
      if (cred.uid !== cur.uid) throw EPERM; // inode_owner_or_capable
    }
    const a: NodeAttrs = { ...this.attrs.get(node) };
    if (change.mode !== undefined) a.mode = change.mode & 0o7777;
    if (change.uid !== undefined) a.uid = change.uid;
    if (change.gid !== undefined) a.gid = change.gid;
    if (change.atimeMs !== undefined) a.atimeMs = change.atimeMs;
    if (change.mtimeMs !== undefined) a.mtimeMs = change.mtimeMs;
    if (nowMs !== undefined) a.ctimeMs = nowMs;
    this.attrs.set(node, a);
    trace('setattr %s %j', path, change);
  }

  /**
   * Paths (no leading '/') of the outermost volatile directories (KDir.volatile): the subtrees a
   * caching transport must serve uncached. Walks every directory outside them once, following
   * no symlink; call it after the tree is built.
   */
  volatileDirs(): string[] {
    const found: string[] = [];
    const visit = (d: KDir, path: string) => {
      for (const name of d.list()) {
        const child = d.lookup(name);
        if (child?.type !== 'dir') continue;
        const p = path === '' ? name : `${path}/${name}`;
        if (child.volatile) found.push(p);
        else visit(child, p);
      }
    };
    if (this.root.volatile) return [''];
    visit(this.root, '');
    return found;
  }

  readdir(path: string, cred: Cred = ROOT): readonly string[] {
    const node = this.resolve(path, cred);
    if (node.type !== 'dir') throw ENOTDIR;
    if (!this.may(node, cred, 0o5)) throw EACCES;
    return node.list();
  }

  readlink(path: string): string {
    const node = this.resolve(path);
    if (node.type !== 'link') throw ENOENT;
    return node.target();
  }

  /** @returns a file handle (> 0) for read/write/release */
  open(path: string, flags: number, cred: Cred = ROOT): number {
    const node = this.resolve(path, cred);
    if (node.type === 'dir') throw EISDIR;
    if (node.type !== 'file') throw ENOENT;
    const file = OpenFile.open(node, flags, cred, this.perm(node));
    const fh = this.nextFh++;
    if (this.nextFh > 0x7fffffff) this.nextFh = 1;
    this.files.set(fh, file);
    return fh;
  }

  read(fh: number, len: number, pos: number): Buffer {
    return this.handle(fh).read(pos, len);
  }

  /**
   * write(2); a long store (advancing time, migrating) answers with a promise. `partial`: the
   * transport may deliver more of this write(2) after `data` (OpenFile.write).
   */
  write(fh: number, data: Buffer, pos: number, partial = false): number | Promise<number> {
    return this.handle(fh).write(data, pos, partial);
  }

  release(fh: number): void {
    this.files.delete(fh);
  }

  /** Open file descriptions currently held (a leak check for tests). */
  get openCount(): number {
    return this.files.size;
  }

  private handle(fh: number): OpenFile {
    const file = this.files.get(fh);
    if (file === undefined) throw EBADF;
    return file;
  }

  // -------------------------------------------------------------------------------------------
  // Whole-file helpers, each one open/read-or-write/close: what `cat` and `echo >` do.

  /** Read the whole file the way `cat` does (reads until EOF). */
  readFile(path: string, cred: Cred = ROOT): string {
    const fh = this.open(path, O_RDONLY, cred);
    try {
      return this.readToEof(fh);
    } finally {
      this.release(fh);
    }
  }

  /**
   * One write(2) of `text` at offset 0, like `echo text > file`.
   * @returns bytes accepted
   * @throws the file's KernelError
   */
  writeFile(path: string, text: string, cred: Cred = ROOT): number {
    const fh = this.open(path, O_WRONLY, cred);
    try {
      const n = this.write(fh, Buffer.from(text, 'latin1'), 0);
      if (typeof n !== 'number') throw new TypeError(`${path}: a long-running file; use transact()`);
      trace('write %s %j -> %d', path, text, n);
      return n;
    } catch (err) {
      if (err instanceof KernelError) trace('write %s %j -> %s', path, text, err.code);
      throw err;
    } finally {
      this.release(fh);
    }
  }

  /** `echo text > file` for files whose write may take simulated time: awaits the store. */
  async writeFileAsync(path: string, text: string, cred: Cred = ROOT): Promise<number> {
    const fh = this.open(path, O_WRONLY, cred);
    try {
      return await this.write(fh, Buffer.from(text, 'latin1'), 0);
    } finally {
      this.release(fh);
    }
  }

  /**
   * open(O_RDWR), one write(2) of `text`, then read the answer back on the same description
   * (what `exec 3<>file; echo ... >&3; cat <&3` does). Awaits long-running stores.
   * @returns the content read back after the write
   * @throws the file's KernelError
   */
  async transact(path: string, text: string, cred: Cred = ROOT): Promise<string> {
    const fh = this.open(path, O_RDWR, cred);
    try {
      await this.write(fh, Buffer.from(text, 'latin1'), 0);
      return this.readToEof(fh);
    } finally {
      this.release(fh);
    }
  }

  /** read(2) from offset 0 until EOF in 128 KiB requests, as `cat` does. */
  private readToEof(fh: number): string {
    const parts: Buffer[] = [];
    for (let pos = 0; ; ) {
      const chunk = this.read(fh, 131072, pos);
      if (chunk.length === 0) break;
      parts.push(Buffer.from(chunk));
      pos += chunk.length;
    }
    return Buffer.concat(parts).toString('latin1');
  }
}
