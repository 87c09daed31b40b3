// kernfs: the pseudo-file vocabulary the simulated kernel declares its files with.
export {
  KernelError, isKernelError,
  EPERM, ENOENT, ESRCH, EIO, EBADF, EAGAIN, ENOMEM, EACCES, EFAULT, EBUSY, EEXIST, EXDEV, ENOTDIR, EISDIR,
  EINVAL, ENOSPC, ESPIPE, EROFS, ERANGE, ENODEV, EOVERFLOW, ENOTSUP, ETIMEDOUT,
} from './errno.js';
export { ENAMETOOLONG } from './errno.js';
export {
  ROOT, StaticDir, NumberedDir, mkdirp, subdir, attr, seqFile, sysctlFile, debugfsFile, symlink, dir, dynamicDir, overlayDir, indexOfName,
  type Cred, type WriteCtx, type FileKind, type FsKind, type KFile, type KLink, type KDir, type KNode,
} from './node.js';
export { OpenFile, fileSize, SYSFS_WRITE_MAX, SYSCTL_WRITE_MAX, O_RDONLY, O_WRONLY, O_RDWR } from './fd.js';
export { Kernfs, S_IFMT, S_IFDIR, S_IFREG, S_IFLNK, type KStat, type SetAttr } from './tree.js';
