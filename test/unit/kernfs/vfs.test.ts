// The VFS's answers on each pseudo filesystem: namespace changes fail with the errno the
// filesystem's inode_operations give (sysfs/kernfs, procfs, /proc/sys, debugfs), and
// chmod/chown/utimes are stored where the kernel stores them (EPERM on /proc/sys).
import { describe, expect, it } from 'vitest';
import {
  EACCES, EBUSY, EEXIST, EISDIR, ENOENT, ENOTDIR, EPERM, EXDEV, O_RDONLY, O_WRONLY, S_IFREG, Kernfs, dir, overlayDir, seqFile, type Cred,
} from '../../../src/kernfs/index.js';
import { bootPreset, errnoOf } from '../kernel/boot.js';

const NODE = 'sys/devices/system/node';
const DAMON = 'sys/kernel/debug/damon';
const KSYS = 'proc/sys/kernel';
const S_IFIFO = 0o010000;
const USER = { uid: 1000, capSysAdmin: false };

type Op = (fs: Kernfs, cred?: Cred) => unknown;
const mkdir = (p: string): Op => (fs, cred) => fs.mkdir(p, cred);
const create = (p: string): Op => (fs, cred) => fs.create(p, cred);
const mknod = (p: string, mode: number): Op => (fs, cred) => fs.mknod(p, mode, cred);
const symlink = (p: string): Op => (fs, cred) => fs.symlink(p, cred);
const link = (a: string, b: string): Op => (fs, cred) => fs.link(a, b, cred);
const unlink = (p: string): Op => (fs, cred) => fs.unlink(p, cred);
const rmdir = (p: string): Op => (fs, cred) => fs.rmdir(p, cred);
const rename = (a: string, b: string): Op => (fs, cred) => fs.rename(a, b, cred);

describe('namespace changes as root: the errno of each filesystem', () => {
  const k = bootPreset();
  const before = JSON.stringify([k.fs.readdir(NODE), k.fs.readdir('proc'), k.fs.readdir(DAMON), k.fs.readdir(KSYS)]);
  it.each<[string, Op, unknown]>([
    // sysfs: kernfs leaves a negative dentry; no syscall_ops -> EPERM, no ->create -> EACCES
    ['mkdir in a sysfs directory is EPERM (kernfs_iop_mkdir)', mkdir(`${NODE}/foo`), EPERM],
    ['mkdir of an existing sysfs name is EEXIST', mkdir(`${NODE}/node0`), EEXIST],
    ['creating a sysfs file is EACCES (no ->create)', create(`${NODE}/newfile`), EACCES],
    ['mknod S_IFREG in sysfs is a create: EACCES', mknod(`${NODE}/f`, S_IFREG | 0o644), EACCES],
    ['mknod of a FIFO in sysfs is EPERM (no ->mknod)', mknod(`${NODE}/f`, S_IFIFO | 0o644), EPERM],
    ['symlink in sysfs is EPERM (no ->symlink)', symlink(`${NODE}/l`), EPERM],
    ['link within sysfs is EPERM (no ->link)', link(`${NODE}/possible`, `${NODE}/p2`), EPERM],
    ['unlink of a sysfs attribute is EPERM (no ->unlink)', unlink(`${NODE}/possible`), EPERM],
    ['unlink of a sysfs directory is EISDIR', unlink(`${NODE}/node0`), EISDIR],
    ['unlink of a missing name is ENOENT', unlink(`${NODE}/nothing`), ENOENT],
    ['rmdir of a sysfs directory is EPERM (kernfs_iop_rmdir)', rmdir(`${NODE}/node0`), EPERM],
    ['rmdir of a sysfs attribute is ENOTDIR', rmdir(`${NODE}/possible`), ENOTDIR],
    ['rmdir of the sysfs mount point is EBUSY', rmdir('sys'), EBUSY],
    ['rename within sysfs is EPERM (kernfs_iop_rename)', rename(`${NODE}/possible`, `${NODE}/p2`), EPERM],
    ['mkdir under a sysfs attribute is ENOTDIR', mkdir(`${NODE}/possible/x`), ENOTDIR],
    ['mkdir under a missing directory is ENOENT', mkdir(`${NODE}/none/x`), ENOENT],
    // procfs: proc_lookup returns -ENOENT for a missing name, before any permission or method
    ['mkdir in /proc is ENOENT (proc_lookup)', mkdir('proc/foo'), ENOENT],
    ['creating a /proc file is ENOENT', create('proc/newfile'), ENOENT],
    ['mknod in /proc is ENOENT', mknod('proc/f', S_IFIFO | 0o600), ENOENT],
    ['symlink in /proc is ENOENT', symlink('proc/l'), ENOENT],
    ['link into /proc is ENOENT (the new name is looked up first)', link(`${NODE}/possible`, 'proc/x'), ENOENT],
    ['mkdir of an existing /proc name is EEXIST', mkdir('proc/meminfo'), EEXIST],
    ['unlink of a /proc file is EPERM (no ->unlink)', unlink('proc/meminfo'), EPERM],
    ['rmdir of /proc/sys is EPERM (procfs has no ->rmdir)', rmdir('proc/sys'), EPERM],
    ['rename to a missing /proc name is ENOENT', rename('proc/meminfo', 'proc/x'), ENOENT],
    ['rename onto an existing /proc name is EPERM (no ->rename)', rename('proc/meminfo', 'proc/vmstat'), EPERM],
    // /proc/sys: proc_sys_lookup is ENOENT too; its directories refuse MAY_WRITE even to root
    ['mkdir in /proc/sys/kernel is ENOENT', mkdir(`${KSYS}/foo`), ENOENT],
    ['creating a /proc/sys file is ENOENT', create(`${KSYS}/newfile`), ENOENT],
    ['unlink of a sysctl is EACCES (proc_sys_permission: r-x directory)', unlink(`${KSYS}/numa_balancing`), EACCES],
    ['rmdir of /proc/sys/kernel is EACCES', rmdir(KSYS), EACCES],
    ['rename of a /proc file onto a sysctl is EACCES (the target directory refuses MAY_WRITE)', rename('proc/meminfo', `${KSYS}/numa_balancing`), EACCES],
    ['rename between sysctls is EACCES', rename(`${KSYS}/numa_balancing`, `${KSYS}/numa_balancing_promote_rate_limit_MBps`), EACCES],
    // debugfs: simple_lookup leaves a negative dentry; directories have only ->lookup/->setattr
    ['mkdir in debugfs is EPERM', mkdir(`${DAMON}/foo`), EPERM],
    ['creating a debugfs file is EACCES', create(`${DAMON}/newfile`), EACCES],
    ['unlink of a debugfs file is EPERM', unlink(`${DAMON}/attrs`), EPERM],
    ['rename within debugfs is EPERM', rename(`${DAMON}/attrs`, `${DAMON}/attrs2`), EPERM],
    // across filesystems
    ['rename from sysfs to the simulator tree is EXDEV', rename(`${NODE}/possible`, 'sim/p'), EXDEV],
    ['rename from sysfs into debugfs is EXDEV (debugfs is mounted on sysfs)', rename(`${NODE}/possible`, `${DAMON}/p`), EXDEV],
    ['rename from /proc/sys to /proc stays on one mount (the missing name is ENOENT, not EXDEV)', rename(`${KSYS}/numa_balancing`, 'proc/x'), ENOENT],
    ['link from sysfs into debugfs is EXDEV', link(`${NODE}/possible`, `${DAMON}/p`), EXDEV],
  ])('%s', (_rule, op, want) => {
    expect(errnoOf(() => op(k.fs))).toBe(want);
  });

  it('renaming a name onto itself succeeds and changes nothing (vfs_rename: source == target)', () => {
    expect(errnoOf(() => k.fs.rename('proc/meminfo', 'proc/meminfo'))).toBeUndefined();
  });

  it('no attempt changed any directory', () => {
    expect(JSON.stringify([k.fs.readdir(NODE), k.fs.readdir('proc'), k.fs.readdir(DAMON), k.fs.readdir(KSYS)])).toBe(before);
  });
});

describe('namespace changes by a non-root caller', () => {
  const k = bootPreset();
  it.each<[string, Op, unknown]>([
    ['mkdir in a root-owned 0755 sysfs directory is EACCES (may_create)', mkdir(`${NODE}/foo`), EACCES],
    ['unlink in a root-owned sysfs directory is EACCES (may_delete)', unlink(`${NODE}/possible`), EACCES],
    ['mkdir in /proc is still ENOENT (the lookup comes first)', mkdir('proc/foo'), ENOENT],
  ])('%s', (_rule, op, want) => {
    expect(errnoOf(() => op(k.fs, USER))).toBe(want);
  });
});

describe('setattr: stored on sysfs, debugfs and procfs; chmod/chown on /proc/sys are EPERM', () => {
  it.each<[string, string]>([
    ['a sysfs attribute', `${NODE}/possible`],
    ['a sysfs directory', `${NODE}/node0`],
    ['a debugfs file', `${DAMON}/attrs`],
    ['a procfs file', 'proc/meminfo'],
    ['a memory block directory (computed)', 'sys/devices/system/memory/memory0'],
    ['a memory block attribute', 'sys/devices/system/memory/memory0/state'],
    ['a memory tier directory (computed)', 'sys/devices/virtual/memory_tiering/memory_tier4'],
  ])('chmod, chown and utimes of %s show in a later stat', (_what, path) => {
    const k = bootPreset();
    const type = k.fs.stat(path).mode & ~0o7777;
    k.fs.setattr(path, { mode: 0o640 }, undefined, 5000);
    k.fs.setattr(path, { uid: 1000, gid: 100 });
    k.fs.setattr(path, { atimeMs: 1_600_000_000_000, mtimeMs: 1_600_000_001_000 });
    expect(k.fs.stat(path)).toMatchObject({ mode: type | 0o640, uid: 1000, gid: 100, atimeMs: 1_600_000_000_000, mtimeMs: 1_600_000_001_000, ctimeMs: 5000 });
  });

  it.each<[string, string]>([
    ['a sysctl file', `${KSYS}/numa_balancing`],
    ['a /proc/sys directory', KSYS],
  ])('chmod and chown of %s are EPERM (proc_sys_setattr); times are kept', (_what, path) => {
    const k = bootPreset();
    const st = k.fs.stat(path);
    expect(errnoOf(() => k.fs.setattr(path, { mode: 0o600 }))).toBe(EPERM);
    expect(errnoOf(() => k.fs.setattr(path, { uid: 1000 }))).toBe(EPERM);
    expect(k.fs.stat(path)).toEqual(st);
    k.fs.setattr(path, { atimeMs: 1_600_000_000_000, mtimeMs: 1_600_000_000_000 });
    expect(k.fs.stat(path).mtimeMs).toBe(1_600_000_000_000);
  });

  it('a sysfs attribute chmod-ed to 0200 cannot be opened for reading, even by root (kernfs_fop_open)', () => {
    const k = bootPreset();
    const path = 'sys/kernel/mm/numa/demotion_enabled';
    k.fs.setattr(path, { mode: 0o200 });
    expect(errnoOf(() => k.fs.open(path, O_RDONLY))).toBe(EACCES);
    k.fs.setattr(path, { mode: 0o444 });
    expect(errnoOf(() => k.fs.open(path, O_WRONLY))).toBe(EACCES);
    k.fs.setattr(path, { mode: 0o644 });
    k.fs.writeFile(path, '1');
    expect(k.fs.readFile(path)).toBe('true\n');
  });

  it('chown gives a user the owner bits; chmod 0700 on a directory shuts other users out', () => {
    const k = bootPreset();
    const path = 'sys/kernel/mm/numa/demotion_enabled';
    expect(errnoOf(() => k.fs.writeFile(path, '1', USER))).toBe(EACCES);
    k.fs.setattr(path, { uid: USER.uid });
    k.fs.writeFile(path, '1', USER);
    expect(k.fs.readFile(path)).toBe('true\n');
    k.fs.setattr(NODE, { mode: 0o700 });
    expect(errnoOf(() => k.fs.readFile(`${NODE}/possible`, USER))).toBe(EACCES);
  });

  it('a non-root caller cannot chown, nor chmod what it does not own (setattr_prepare)', () => {
    const k = bootPreset();
    expect(errnoOf(() => k.fs.setattr(`${NODE}/possible`, { mode: 0o777 }, USER))).toBe(EPERM);
    expect(errnoOf(() => k.fs.setattr(`${NODE}/possible`, { uid: USER.uid }, USER))).toBe(EPERM);
    expect(k.fs.stat(`${NODE}/possible`)).toMatchObject({ mode: S_IFREG | 0o444, uid: 0 });
  });

  it('lchown and utimes of a computed link (nodeN/cpuN) show in a later stat', () => {
    const k = bootPreset();
    k.fs.setattr(`${NODE}/node0/cpu1`, { uid: 1000, mtimeMs: 1_600_000_000_000 });
    expect(k.fs.stat(`${NODE}/node0/cpu1`)).toMatchObject({ uid: 1000, mtimeMs: 1_600_000_000_000 });
  });

  it('a merged overlay directory keeps its attributes across lookups', () => {
    const fs = new Kernfs(overlayDir(dir({ proc: dir({ a: seqFile(0o444, () => '') }, 0o555, 'procfs') }), dir({ proc: dir({ b: seqFile(0o444, () => '') }) })));
    fs.setattr('proc', { mode: 0o700 });
    expect(fs.stat('proc').mode & 0o7777).toBe(0o700);
    expect(fs.readdir('proc')).toEqual(['a', 'b']);
    expect(errnoOf(() => fs.mkdir('proc/x'))).toBe(ENOENT); // the overlay keeps the upper's filesystem
  });

  it('attributes stay with the node: a DAMON context made again starts from its defaults', () => {
    const k = bootPreset();
    k.fs.writeFile(`${DAMON}/mk_contexts`, 'c1');
    k.fs.setattr(`${DAMON}/c1`, { mode: 0o700 });
    expect(k.fs.stat(`${DAMON}/c1`).mode & 0o7777).toBe(0o700);
    k.fs.writeFile(`${DAMON}/rm_contexts`, 'c1');
    k.fs.writeFile(`${DAMON}/mk_contexts`, 'c1');
    expect(k.fs.stat(`${DAMON}/c1`).mode & 0o7777).toBe(0o755);
  });
});
