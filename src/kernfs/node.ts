// The pseudo-file vocabulary: directories, attributes and symlinks, the way kernfs, debugfs,
// procfs and ctl_table let a subsystem declare its files (fs/kernfs, fs/sysfs/file.c,
// fs/debugfs/file.c, fs/proc/proc_sysctl.c). A file is a show/store pair over state it does
// not own; offsets, per-open buffers and partial writes belong to the FD layer (fd.ts).
import { ENOTDIR } from './errno.js';

/** Who is making the call. Through FUSE every caller that passed DAC is treated as root. */
export interface Cred {
  readonly uid: number;
  /** CAP_SYS_ADMIN in the init user namespace. */
  readonly capSysAdmin: boolean;
}

export const ROOT: Cred = Object.freeze({ uid: 0, capSysAdmin: true });

/** Context handed to `store`. */
export interface WriteCtx {
  readonly cred: Cred;
  /**
   * Set what the next read on this same open file returns (a transaction file: write a
   * request, read its answer back on the same fd, race-free between processes).
   */
  respond(text: string): void;
}

/** What a store returns: bytes consumed (or all), possibly later for long operations. */
export type StoreResult = number | void | Promise<number | void>;

/**
 * How the file behaves under open/read/write, one per kernel filesystem:
 * - `sysfs`: size 4096; show once per read at offset 0, later offsets from that snapshot;
 *   each write(2) is one store (offset ignored), at most 4096 bytes taken.
 * - `seq`: procfs seq_file; size 0; regenerated at offset 0, served from the snapshot.
 * - `sysctl`: /proc/sys; size 0; a read at offset > 0 is EOF and a short first read truncates;
 *   a write at offset > 0 is ignored (sysctl_writes_strict=1); store may consume less.
 * - `debugfs`: size 0; the file's own read handler formats into a snapshot at offset 0.
 */
export type FileKind = 'sysfs' | 'seq' | 'sysctl' | 'debugfs';

export interface KFile {
  readonly type: 'file';
  readonly kind: FileKind;
  readonly mode: number;
  /** st_size override (binary sysfs attributes such as cpulist). */
  readonly size?: number;
  /** Render the whole content. Throwing a KernelError fails the read with that errno. */
  readonly show?: () => string;
  /**
   * Parse one write(2). Throw a KernelError to reject it (no state may change).
   * Return the number of bytes consumed when less than the whole input (sysctl short writes).
   */
  readonly store?: (input: string, ctx: WriteCtx) => StoreResult;
  /** debugfs: reject writes at a non-zero position with EINVAL (DAMON's rule). */
  readonly rejectOffsetWrite?: boolean;
}

export interface KLink {
  readonly type: 'link';
  /** Target relative to the link's directory, like sysfs links: `../../memory/memory32`. */
  readonly target: () => string;
}

/**
 * The kernel filesystem serving a directory's subtree. The VFS asks the filesystem's
 * inode_operations for namespace changes and setattr, so the errno of mkdir, unlink, rename,
 * chmod... depends on it (vfs.ts). Set where a filesystem is mounted (`sys`, `proc`,
 * `sys/kernel/debug`) and where procfs hands over to proc_sysctl (`proc/sys`); children inherit.
 * - `sysfs`: kernfs without syscall_ops; also the default for a tree that names none.
 * - `procfs`: proc_dir_entry directories and files.
 * - `sysctl`: /proc/sys, ctl_table directories and entries.
 * - `debugfs`: debugfs directories and files.
 */
export type FsKind = 'sysfs' | 'procfs' | 'sysctl' | 'debugfs';

export interface KDir {
  readonly type: 'dir';
  readonly mode: number;
  /** Filesystem of this subtree when it differs from the parent's (a mount point). */
  readonly fs?: FsKind;
  /** Names of the children, in the order readdir returns them. */
  list(): readonly string[];
  /** One child by name, or undefined. Must be cheap: getattr calls it on every path step. */
  lookup(name: string): KNode | undefined;
  /**
   * Names below this directory may vanish or change while the machine runs (a process reaped,
   * a DAMON context removed, a memory tier emptied). A transport that lets the host kernel
   * cache lookups and attributes must serve this subtree without that cache (DESIGN.md §3);
   * names that only ever appear need no flag, as negative lookups are never cached.
   */
  readonly volatile?: boolean;
}

export type KNode = KFile | KLink | KDir;

// ---------------------------------------------------------------------------------------------
// Constructors. A subsystem's interface file declares its files with these.

type FileSpec = Omit<KFile, 'type' | 'kind'>;

/** A sysfs attribute (DEVICE_ATTR_RO/RW and friends). */
export function attr(spec: FileSpec): KFile {
  return { type: 'file', kind: 'sysfs', ...spec };
}

/** A procfs seq_file (proc_create_single / seq_operations). */
export function seqFile(mode: number, show: () => string): KFile {
  return { type: 'file', kind: 'seq', mode, show };
}

/** A /proc/sys entry (ctl_table). */
export function sysctlFile(spec: Omit<FileSpec, 'size'>): KFile {
  return { type: 'file', kind: 'sysctl', ...spec };
}

/** A debugfs file (debugfs_create_file / debugfs_create_u32). */
export function debugfsFile(spec: Omit<FileSpec, 'size'>): KFile {
  return { type: 'file', kind: 'debugfs', ...spec };
}

export function symlink(target: string | (() => string)): KLink {
  return { type: 'link', target: typeof target === 'string' ? () => target : target };
}

/** A directory whose children are a mutable table, in insertion order. */
export class StaticDir implements KDir {
  readonly type = 'dir' as const;
  private readonly children = new Map<string, KNode>();
  /** Children are deleted at runtime (KDir.volatile); set by the subsystem that deletes them. */
  volatile = false;

  constructor(
    entries: Record<string, KNode> = {},
    readonly mode = 0o755,
    readonly fs?: FsKind,
  ) {
    for (const [name, node] of Object.entries(entries)) this.children.set(name, node);
  }

  list(): readonly string[] {
    return [...this.children.keys()];
  }

  lookup(name: string): KNode | undefined {
    return this.children.get(name);
  }

  /** Add or replace a child. */
  set(name: string, node: KNode): this {
    this.children.set(name, node);
    return this;
  }

  delete(name: string): boolean {
    return this.children.delete(name);
  }
}

/**
 * A directory of named entries followed by numbered children `0..count-1` that are built only
 * when first looked up (kernfs has them all; building 512 Ki subtrees eagerly costs seconds and
 * GiBs). A built child is kept, so it stays the same node (and keeps its attributes) until
 * `setCount` destroys them all. readdir lists the named entries, then the numbers in order.
 */
/**
 * "0", "1", ... as far as any NumberedDir has counted, shared by all: building 512 Ki name
 * strings takes ~70 ms, copying them ~2 ms.
 */
const numberNames: string[] = [];

export class NumberedDir implements KDir {
  readonly type = 'dir' as const;
  private readonly named = new Map<string, KNode>();
  private readonly built = new Map<number, KNode>();
  private n = 0;
  /** Children are deleted at runtime (KDir.volatile). */
  volatile = false;

  constructor(
    private readonly make: (i: number) => KNode,
    entries: Record<string, KNode> = {},
    readonly mode = 0o755,
  ) {
    for (const [name, node] of Object.entries(entries)) this.named.set(name, node);
  }

  /** How many numbered children there are. */
  get count(): number {
    return this.n;
  }

  /** Destroy every numbered child; `0..n-1` exist again, unbuilt. */
  setCount(n: number): void {
    this.n = n;
    this.built.clear();
  }

  /** Add or replace a named entry. */
  set(name: string, node: KNode): this {
    this.named.set(name, node);
    return this;
  }

  list(): readonly string[] {
    for (let i = numberNames.length; i < this.n; i++) numberNames.push(String(i));
    return [...this.named.keys()].concat(numberNames.slice(0, this.n));
  }

  lookup(name: string): KNode | undefined {
    const named = this.named.get(name);
    if (named !== undefined) return named;
    const i = indexOfName(name);
    if (i === undefined || i >= this.n) return undefined;
    let child = this.built.get(i);
    if (child === undefined) this.built.set(i, (child = this.make(i)));
    return child;
  }
}

export function dir(entries: Record<string, KNode> = {}, mode = 0o755, fs?: FsKind): StaticDir {
  return new StaticDir(entries, mode, fs);
}

/**
 * The number N in a child name `<prefix>N` (`memory32`, `cpu3`, `memory_tier4`, a pid), or
 * undefined. The kernel prints these names with %d and looks them up as exact strings
 * (kernfs_find_ns compares names; procfs name_to_int refuses a leading '0'), so `memory032`,
 * `cpu+1` or `cpu1 ` name nothing. Every dynamic directory that derives children from numbers
 * looks names up through this.
 */
export function indexOfName(name: string, prefix = ''): number | undefined {
  if (!name.startsWith(prefix)) return undefined;
  const digits = name.slice(prefix.length);
  if (!/^(0|[1-9][0-9]{0,14})$/.test(digits)) return undefined;
  return Number(digits);
}

/** A directory computed from live state (one child per node, per memory block, ...). */
export function dynamicDir(spec: {
  list: () => readonly string[];
  lookup: (name: string) => KNode | undefined;
  mode?: number;
  fs?: FsKind;
  /** Names may vanish (KDir.volatile). */
  volatile?: boolean;
}): KDir {
  return { type: 'dir', mode: spec.mode ?? 0o755, fs: spec.fs, list: spec.list, lookup: spec.lookup, volatile: spec.volatile };
}

/**
 * Two directories seen as one: names from `upper` win, `lower` fills in the rest. Used to lay
 * the simulator's /proc/sys/kernel over a read-only view of the host's. A merged subdirectory
 * is the same object while `upper`'s child is (so attributes set on it stay, as on an inode).
 */
export function overlayDir(upper: KDir, lower: KDir): KDir {
  const merged = new Map<string, { mine: KDir; dir: KDir }>();
  return {
    type: 'dir',
    mode: upper.mode,
    fs: upper.fs ?? lower.fs,
    volatile: upper.volatile || lower.volatile,
    list() {
      const names = [...upper.list()];
      const seen = new Set(names);
      for (const name of lower.list()) if (!seen.has(name)) names.push(name);
      return names;
    },
    lookup(name) {
      const mine = upper.lookup(name);
      if (mine === undefined) return lower.lookup(name);
      if (mine.type !== 'dir' || lower.lookup(name)?.type !== 'dir') return mine;
      let m = merged.get(name);
      if (m?.mine !== mine) merged.set(name, (m = { mine, dir: overlayDir(mine, liveSubdir(lower, name)) }));
      return m.dir;
    },
  };
}

/** `parent`'s child directory `name`, looked up afresh on every use (an empty one while absent). */
function liveSubdir(parent: KDir, name: string): KDir {
  const now = (): KDir | undefined => {
    const d = parent.lookup(name);
    return d?.type === 'dir' ? d : undefined;
  };
  return {
    type: 'dir',
    get mode() {
      return now()?.mode ?? 0o555;
    },
    get fs() {
      return now()?.fs;
    },
    get volatile() {
      return now()?.volatile;
    },
    list: () => now()?.list() ?? [],
    lookup: (n) => now()?.lookup(n),
  };
}

/**
 * The static directory at `path` under `root`, created (0755) along the way if missing.
 * @throws ENOTDIR when a component exists and is not a static directory
 */
export function mkdirp(root: StaticDir, path: string): StaticDir {
  let cur = root;
  for (const name of path.split('/').filter((c) => c !== '')) cur = subdir(cur, name);
  return cur;
}

/**
 * The static directory `name` under `parent`, created with `mode` (and `fs` when it is a mount
 * point) if missing (debugfs_create_dir, proc_mkdir).
 * @throws ENOTDIR when `name` exists and is not a static directory (a registration bug)
 */
export function subdir(parent: StaticDir, name: string, mode = 0o755, fs?: FsKind): StaticDir {
  const found = parent.lookup(name);
  if (found === undefined) {
    const made = new StaticDir({}, mode, fs);
    parent.set(name, made);
    return made;
  }
  if (!(found instanceof StaticDir)) throw ENOTDIR;
  return found;
}
