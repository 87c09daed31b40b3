// errno values as the kernel returns them (include/uapi/asm-generic/errno-base.h).
// One error type, frozen sentinels compared by identity: `expect(err).toBe(EINVAL)`.

/** A kernel rule violation. Only the frozen sentinels below are ever thrown. */
export class KernelError extends Error {
  constructor(
    readonly errno: number,
    readonly code: string,
    readonly strerror: string,
  ) {
    super(`${code}: ${strerror}`);
    this.name = 'KernelError';
  }
}

function sentinel(errno: number, code: string, strerror: string): KernelError {
  return Object.freeze(new KernelError(errno, code, strerror));
}

export const EPERM = sentinel(1, 'EPERM', 'Operation not permitted');
export const ENOENT = sentinel(2, 'ENOENT', 'No such file or directory');
export const ESRCH = sentinel(3, 'ESRCH', 'No such process');
export const EIO = sentinel(5, 'EIO', 'Input/output error');
export const EBADF = sentinel(9, 'EBADF', 'Bad file descriptor');
export const EAGAIN = sentinel(11, 'EAGAIN', 'Resource temporarily unavailable');
export const ENOMEM = sentinel(12, 'ENOMEM', 'Cannot allocate memory');
export const EACCES = sentinel(13, 'EACCES', 'Permission denied');
export const EFAULT = sentinel(14, 'EFAULT', 'Bad address');
export const EBUSY = sentinel(16, 'EBUSY', 'Device or resource busy');
export const EEXIST = sentinel(17, 'EEXIST', 'File exists');
export const EXDEV = sentinel(18, 'EXDEV', 'Invalid cross-device link');
export const ENOTDIR = sentinel(20, 'ENOTDIR', 'Not a directory');
export const EISDIR = sentinel(21, 'EISDIR', 'Is a directory');
export const EINVAL = sentinel(22, 'EINVAL', 'Invalid argument');
export const ENOSPC = sentinel(28, 'ENOSPC', 'No space left on device');
export const ESPIPE = sentinel(29, 'ESPIPE', 'Illegal seek');
export const EROFS = sentinel(30, 'EROFS', 'Read-only file system');
export const ERANGE = sentinel(34, 'ERANGE', 'Numerical result out of range');
export const ENAMETOOLONG = sentinel(36, 'ENAMETOOLONG', 'File name too long');
export const ENODEV = sentinel(19, 'ENODEV', 'No such device');
export const EOVERFLOW = sentinel(75, 'EOVERFLOW', 'Value too large for defined data type');
export const ENOTSUP = sentinel(95, 'EOPNOTSUPP', 'Operation not supported');
export const ETIMEDOUT = sentinel(110, 'ETIMEDOUT', 'Connection timed out');

/** True when `err` is one of our kernel errors (any sentinel). */
export function isKernelError(err: unknown): err is KernelError {
  return err instanceof KernelError;
}
