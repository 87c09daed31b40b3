// A read-only view of a host directory as a kernfs tree, for the parts of a bound directory
// tiersim does not model (e.g. /proc/sys/kernel/pid_max), so ordinary tools keep working
// inside `tiersim shell`. Files are sysctl-kind without a store: writes are refused with
// EACCES at open, as proc_sys_permission does for a read-only table entry.
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import {
  EACCES, EINVAL, EIO, ENOENT, dynamicDir, symlink, sysctlFile, type KDir, type KNode,
} from '../kernfs/index.js';

function hostError(err: unknown): never {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') throw ENOENT;
  if (code === 'EACCES' || code === 'EPERM') throw EACCES;
  if (code === 'EINVAL') throw EINVAL;
  throw EIO;
}

function nodeFor(hostPath: string): KNode | undefined {
  let st;
  try {
    st = lstatSync(hostPath);
  } catch {
    return undefined;
  }
  if (st.isDirectory()) return hostPassthroughDir(hostPath);
  if (st.isSymbolicLink()) return symlink(() => readlinkSync(hostPath));
  return sysctlFile({
    // Read-only view: write bits dropped, except on write-only files (vm/drop_caches is 0200),
    // which keep their mode and are refused at open (no store method) like the rest.
    mode: st.mode & 0o555 || st.mode & 0o777,
    show: () => {
      try {
        return readFileSync(hostPath, 'latin1');
      } catch (err) {
        hostError(err);
      }
    },
  });
}

/** The host directory `hostPath`, read-only, looked up lazily on every access. */
export function hostPassthroughDir(hostPath: string): KDir {
  let mode = 0o555;
  try {
    mode = lstatSync(hostPath).mode & 0o555;
  } catch {
    // an absent host directory reads as empty
  }
  return dynamicDir({
    mode,
    list: () => {
      try {
        return readdirSync(hostPath);
      } catch {
        return [];
      }
    },
    lookup: (name) => nodeFor(join(hostPath, name)),
  });
}
