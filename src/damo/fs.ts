// Every kernel path the damo port touches, under a root prefix (--root, default /): the same
// code drives a tiersim mount, `tiersim shell` and a real kernel. Writes are one write(2) of
// the whole text, as `echo text > file` does; errors keep their errno code.
import { closeSync, existsSync, openSync, readFileSync, readdirSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export class KernelFiles {
  constructor(
    /** Root prefix: "/" for the real kernel, a tiersim mount otherwise. */
    readonly root: string,
    /** debugfs mount point (damo's -d/--debugfs), relative to the root. */
    readonly debugfs = '/sys/kernel/debug',
  ) {}

  path(p: string): string {
    return join(this.root, p);
  }

  get damonDir(): string {
    return join(this.debugfs, 'damon');
  }

  exists(p: string): boolean {
    return existsSync(this.path(p));
  }

  isDir(p: string): boolean {
    try {
      return statSync(this.path(p)).isDirectory();
    } catch {
      return false;
    }
  }

  read(p: string): string {
    return readFileSync(this.path(p), 'latin1');
  }

  list(p: string): string[] {
    return readdirSync(this.path(p));
  }

  /** One write(2) of `text` (O_WRONLY|O_TRUNC, as bash's `>`). */
  write(p: string, text: string): void {
    const fd = openSync(this.path(p), 'w');
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
  }

  damon(file: string): string {
    return join(this.damonDir, file);
  }
}

/** The errno code of a failed file operation ("EINVAL"), or undefined. */
export function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}
