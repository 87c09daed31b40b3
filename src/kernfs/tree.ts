// A mounted pseudo-filesystem: path resolution, stat, readdir, readlink and the table of open
// file descriptions. Consumed by the FUSE adapter and, in-process, by tests and tools.
import createDebug from 'debug';
import { EACCES, EBADF, EISDIR, ENOENT, ENOTDIR, KernelError } from './errno.js';
import { fileSize, O_ACCMODE, O_RDONLY, O_RDWR, O_WRONLY, OpenFile } from './fd.js';
import { ROOT, type Cred, type KDir, type KNode } from './node.js';

const trace = createDebug('tiersim:kernfs');

export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;

export interface KStat {
  readonly mode: number; // with type bits
  readonly size: number;
  readonly nlink: number;
  readonly uid: number;
  readonly gid: number;
}

function splitPath(path: string): string[] {
  return path.split('/').filter((c) => c !== '' && c !== '.');
}

export class Kernfs {
  private readonly files = new Map<number, OpenFile>();
  private nextFh = 1;

  constructor(readonly root: KDir) {}

  /**
   * Walk `path` from the root without following symlinks (the FUSE kernel resolves links
   * itself and hands us link-free paths).
   * @throws ENOENT, ENOTDIR, or EACCES when a non-root caller lacks search permission
   */
  resolve(path: string, cred: Cred = ROOT): KNode {
    let node: KNode = this.root;
    for (const name of splitPath(path)) {
      if (node.type !== 'dir') throw ENOTDIR;
      if (cred.uid !== 0 && (node.mode & 0o001) === 0) throw EACCES;
      const next: KNode | undefined = node.lookup(name);
      if (next === undefined) throw ENOENT;
      node = next;
    }
    return node;
  }

  stat(path: string): KStat {
    const node = this.resolve(path);
    switch (node.type) {
      case 'dir':
        return { mode: S_IFDIR | node.mode, size: 0, nlink: 2, uid: 0, gid: 0 };
      case 'link':
        return { mode: S_IFLNK | 0o777, size: 0, nlink: 1, uid: 0, gid: 0 };
      case 'file':
        return { mode: S_IFREG | node.mode, size: fileSize(node), nlink: 1, uid: 0, gid: 0 };
    }
  }

  readdir(path: string, cred: Cred = ROOT): readonly string[] {
    const node = this.resolve(path, cred);
    if (node.type !== 'dir') throw ENOTDIR;
    if (cred.uid !== 0 && (node.mode & 0o005) !== 0o005) throw EACCES;
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
    const file = OpenFile.open(node, flags, cred);
    const fh = this.nextFh++;
    if (this.nextFh > 0x7fffffff) this.nextFh = 1;
    this.files.set(fh, file);
    return fh;
  }

  read(fh: number, len: number, pos: number): Buffer {
    return this.handle(fh).read(pos, len);
  }

  /** write(2); a long store (advancing time, migrating) answers with a promise. */
  write(fh: number, data: Buffer, pos: number): number | Promise<number> {
    return this.handle(fh).write(data, pos);
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
