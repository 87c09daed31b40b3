// The kernel's host ports, implemented on the real machine (the mount): record files written
// with O_APPEND|O_CREAT 0644 as kdamond does, and live host processes with their mappings
// from /proc/<pid>/maps, so a real pid is a DAMON vaddr target.
import { appendFileSync, readFileSync } from 'node:fs';
import type { HostProcs } from '../kernel/kernel.js';
import type { HostFs } from '../kernel/mm/damon/core.js';

export const hostFs: HostFs = {
  appendFile(path, data) {
    appendFileSync(path, data, { mode: 0o644 });
  },
};

/** A host process is alive while /proc/<pid>/stat exists and it is not a zombie. */
function alive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function maps(pid: number): Array<[number, number]> {
  try {
    return readFileSync(`/proc/${pid}/maps`, 'latin1')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.split(' ')[0]!.split('-').map((h) => parseInt(h, 16)) as [number, number])
      .filter(([a, b]) => Number.isSafeInteger(a) && Number.isSafeInteger(b) && a < b);
  } catch {
    return [];
  }
}

export const hostProcs: HostProcs = { alive, maps };
