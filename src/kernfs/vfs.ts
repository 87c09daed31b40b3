// What the VFS answers when a program tries to change a pseudo filesystem's namespace or
// attributes, by the filesystem's inode_operations (fs/namei.c, fs/kernfs/{dir,inode}.c,
// fs/proc/{generic,proc_sysctl}.c, fs/debugfs/inode.c). Kernel pseudo filesystems only change
// from inside the kernel: no request from user space creates, removes or renames anything.
import { EACCES, EEXIST, ENOENT, EPERM, type KernelError } from './errno.js';
import type { FsKind } from './node.js';

/** What a create-type call makes: `reg` is open(O_CREAT) and mknod(S_IFREG). */
export type CreateKind = 'reg' | 'dir' | 'special' | 'symlink' | 'link';

/**
 * The lookup of a new name, before any permission check or method (filename_create,
 * lookup_open): EEXIST when the name exists; on procfs and /proc/sys a missing name is ENOENT
 * already, because proc_lookup and proc_sys_lookup return -ENOENT instead of a negative dentry.
 */
export function newNameErrno(fs: FsKind, exists: boolean): KernelError | undefined {
  if (exists) return EEXIST;
  if (fs === 'procfs' || fs === 'sysctl') return ENOENT;
  return undefined;
}

/**
 * The create itself, once the name is known to be free (sysfs and debugfs, whose lookups leave
 * a negative dentry): EACCES from may_create without write permission on the directory; then
 * no ->create is EACCES (lookup_open, vfs_create); no ->mkdir, ->mknod, ->symlink or ->link
 * is EPERM (vfs_mkdir & co.; kernfs_iop_mkdir without syscall_ops is EPERM too).
 */
export function createErrno(kind: CreateKind, dirWritable: boolean): KernelError {
  if (!dirWritable) return EACCES;
  return kind === 'reg' ? EACCES : EPERM;
}

/**
 * unlink, rmdir, or rename's source: may_delete needs write permission on the directory, which
 * a /proc/sys directory refuses even to root (proc_sys_permission tests the ctl_table's r-x
 * mode); then no ->unlink is EPERM (vfs_unlink), kernfs rmdir/rename without syscall_ops is
 * EPERM (kernfs_iop_rmdir, kernfs_iop_rename), and procfs/debugfs have no ->rmdir/->rename.
 */
export function removeErrno(fs: FsKind, dirWritable: boolean): KernelError {
  if (fs === 'sysctl' || !dirWritable) return EACCES;
  return EPERM;
}

/**
 * chmod/chown on /proc/sys entries is EPERM (proc_sys_setattr refuses ATTR_MODE, ATTR_UID and
 * ATTR_GID); times may change there. Everywhere else the attributes are stored: kernfs keeps
 * them in the node (__kernfs_setattr), debugfs in the inode (debugfs_setattr ->
 * simple_setattr), procfs in the proc_dir_entry (proc_notify_change).
 */
export function setattrErrno(sysctl: boolean, changesOwnerOrMode: boolean): KernelError | undefined {
  return sysctl && changesOwnerOrMode ? EPERM : undefined;
}
