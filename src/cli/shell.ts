// `tiersim shell [--mount DIR] [-- CMD ARGS...]`: run CMD in a private mount namespace where the
// simulator's trees are bind-mounted over the real /sys and /proc paths (the LXCFS model,
// spec/peers-and-fuse.md §5.6), so unmodified sysctl, lsmem and numactl talk to the simulated
// kernel. Every mount lives and dies with the namespace; the host's files are never written.
//
// numactl/libnuma (checked with numactl 2.0.16 under strace): `numactl -H` reads only
// /sys/devices/system/node (node dirs, nodeN/meminfo, nodeN/cpumap, nodeN/distance), so binding
// the node tree is enough for it to print the simulated nodes, CPUs, sizes and distances on a
// host with 2 CPUs and 1 node. The other inputs libnuma reads do not change that output:
// /proc/self/status (Mems_allowed/Cpus_allowed: only the size of its node masks and the
// task's own affinity, used by --show and the policy options) and /sys/devices/system/cpu
// (via glibc's sysconf(_SC_NPROCESSORS_CONF): numa_num_configured_cpus, not used by -H). We
// therefore leave /sys/devices/system/cpu and /proc/self alone: binding the simulated cpu
// tree would also make glibc, Python and others size thread pools for the simulated CPUs
// (512 on epyc-2node-256g) while they run on the host's. One limit no bind can lift: libnuma
// sizes its CPU masks from the sched_getaffinity(2) syscall (the host kernel's cpumask size),
// and a cpumap with more CPUs than that fails to parse ("Cannot parse cpumap"), so on such
// machines `numactl -H` prints the node sizes and distances but no CPU lists; we say so at start.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { resolve } from 'node:path';
import { CliError } from './machine.js';

/** One tree of the mount placed over a real path inside the shell. */
export interface ShellBind {
  /** Path inside the tiersim mount. */
  readonly source: string;
  /** Absolute path it covers inside the shell. */
  readonly target: string;
  /**
   * Optional trees: bound when the mount has them, otherwise the host's target is masked with
   * an empty read-only tmpfs (the host's real DAMON sysfs must never be reached by accident).
   */
  readonly optional?: boolean;
}

export const SHELL_BINDS: readonly ShellBind[] = [
  { source: 'sys/devices/system/node', target: '/sys/devices/system/node' },
  { source: 'sys/devices/system/memory', target: '/sys/devices/system/memory' },
  { source: 'sys/devices/virtual/memory_tiering', target: '/sys/devices/virtual/memory_tiering' },
  { source: 'sys/kernel/mm/numa', target: '/sys/kernel/mm/numa' },
  // DAMON's sysfs (admin/kdamonds): the simulator's tree, so current DAMON tools run unmodified
  // and the host's real one is never reached.
  { source: 'sys/kernel/mm/damon', target: '/sys/kernel/mm/damon' },
  // The kmmscand RFC's group: no host kernel has it, so the shell creates the mount point.
  { source: 'sys/kernel/mm/kmmscand', target: '/sys/kernel/mm/kmmscand' },
  // debugfs: the host may have it unmounted (an empty directory) or mounted; a bind covers both.
  { source: 'sys/kernel/debug', target: '/sys/kernel/debug' },
  { source: 'proc/iomem', target: '/proc/iomem' },
  { source: 'proc/meminfo', target: '/proc/meminfo' },
  { source: 'proc/swaps', target: '/proc/swaps' }, // swapon --show, free's swap line comes from meminfo
  { source: 'proc/vmstat', target: '/proc/vmstat' },
  { source: 'proc/zoneinfo', target: '/proc/zoneinfo' },
  // The mount's proc/sys/kernel is the simulator's sysctls over a read-only passthrough of the
  // host's directory, so pid_max, osrelease and friends still read as on the host.
  { source: 'proc/sys/kernel', target: '/proc/sys/kernel' },
  // proc/sys/vm likewise: min_free_kbytes and watermark_scale_factor are simulated, the rest
  // (swappiness, overcommit_memory, ...) read through from the host.
  { source: 'proc/sys/vm', target: '/proc/sys/vm' },
];

/**
 * The namespace set-up, run by /bin/sh as root inside `unshare --mount --propagation private`:
 *   sh -c SCRIPT tiersim-shell ROOT [bind SRC DST | mask DST]... -- CMD [ARGS...]
 * It binds, masks, then execs CMD, so CMD's exit status is the shell's. A set-up failure exits
 * 125 (as env(1) and chroot(1) do for their own failures); a CMD that is not found exits 127.
 *
 * A target missing on the host (e.g. /sys/devices/virtual/memory_tiering on a kernel before
 * 6.1) cannot be created on sysfs, so its parent is covered by a tmpfs holding re-binds of every
 * host entry of the parent (nothing disappears) plus the new mount point. This is done only
 * under /sys; a missing /proc path is an error.
 */
export const SHELL_SETUP_SCRIPT = String.raw`
set -u
die() { printf 'tiersim shell: %s\n' "$*" >&2; exit 125; }

# cover_dir DIR: replace DIR by a writable tmpfs that shows the same entries (re-bound from a
# staging bind of the original), so a missing mount point can be created in it.
cover_dir() {
  tmp=$(printenv TMPDIR) || tmp=/tmp
  stage=$(mktemp -d "$tmp/tiersim-shell-stage.XXXXXX") || die "cannot create a staging directory in $tmp"
  # A termination request during the set-up must not leave the staging directory on the host.
  trap 'umount -l "$stage" 2>/dev/null; rmdir "$stage" 2>/dev/null; exit 143' TERM
  trap 'umount -l "$stage" 2>/dev/null; rmdir "$stage" 2>/dev/null; exit 129' HUP
  mount --rbind "$1" "$stage" || die "cannot bind $1 for covering"
  mount -t tmpfs -o "mode=$(stat -c %a "$stage")" tiersim "$1" || die "cannot mount a tmpfs over $1"
  for entry in "$stage"/* "$stage"/.[!.]*; do
    [ -e "$entry" ] || [ -L "$entry" ] || continue
    name=$(basename "$entry")
    if [ -L "$entry" ]; then
      ln -s "$(readlink "$entry")" "$1/$name"
    elif [ -d "$entry" ]; then
      mkdir "$1/$name" && mount --rbind "$entry" "$1/$name"
    else
      : > "$1/$name" && mount --bind "$entry" "$1/$name"
    fi || die "cannot re-bind $1/$name over the tmpfs"
  done
  umount -l "$stage"
  rmdir "$stage"
  trap - TERM HUP
}

# ensure_target PATH KIND: PATH exists as a KIND (d or f) mount point, created over a tmpfs
# when missing (only under /sys). Recursive; sh has no locals, so recompute after the call.
ensure_target() {
  if [ -e "$1" ]; then return 0; fi
  case $1 in
    /sys/?*/*) ;;
    *) die "$1 does not exist on this host" ;;
  esac
  ensure_target "$(dirname "$1")" d
  # a parent we covered earlier is a tmpfs and takes the new entry directly
  if [ "$2" = d ]; then mkdir "$1" 2>/dev/null; else (: > "$1") 2>/dev/null; fi && return 0
  cover_dir "$(dirname "$1")"
  if [ "$2" = d ]; then mkdir "$1"; else : > "$1"; fi || die "cannot create $1"
}

root=$1
shift
while [ $# -gt 0 ]; do
  case $1 in
    bind)
      src="$root/$2" dst=$3
      shift 3
      if [ -d "$src" ]; then kind=d; else kind=f; fi
      ensure_target "$dst" "$kind"
      # --rbind: the tree's uncached subtrees are mounts stacked inside it (DESIGN.md §3)
      mount --rbind "$src" "$dst" || die "cannot bind $src over $dst"
      ;;
    debugfs)
      # damo (>= 2.1.9) finds debugfs by an fstype "debugfs" line in /proc/mounts: mount a real
      # one under our bind when the host has none (the bind on top is what paths resolve to).
      dst=$2
      shift 2
      grep -q " $dst debugfs " /proc/mounts || mount -t debugfs debugfs "$dst" 2>/dev/null || :
      ;;
    mask)
      dst=$2
      shift 2
      mount -t tmpfs -o ro,mode=0755,size=4k tiersim-masked "$dst" || die "cannot mask $dst"
      ;;
    --)
      shift
      break
      ;;
    *) die "internal error: bad set-up operation '$1'" ;;
  esac
done
if ! command -v "$1" >/dev/null 2>&1; then
  printf 'tiersim shell: %s: command not found\n' "$1" >&2
  exit 127
fi
exec "$@"
`;

/** The fstype and source of the mount at exactly `dir`, from /proc/self/mountinfo. */
export function mountAt(dir: string): { fstype: string; source: string } | undefined {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
  let found: { fstype: string; source: string } | undefined;
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (left === undefined || right === undefined) continue;
    if (unescape(left.split(' ')[4] ?? '') !== dir) continue;
    const [fstype = '', source = ''] = right.split(' ');
    found = { fstype, source }; // the last entry wins: it is the one on top
  }
  return found;
}

/**
 * Check that `dir` is a live tiersim mount holding every tree the shell binds.
 * @throws CliError (exit 1) telling the user to run `tiersim mount` first
 */
export function checkLiveMount(dir: string): void {
  const hint = `start one first with 'tiersim mount ${dir}' (in another terminal), then run 'tiersim shell --mount ${dir}'`;
  const m = mountAt(dir);
  if (m === undefined && !existsSync(dir)) throw new CliError(`${dir} does not exist, so no tiersim mount is there; ${hint}`);
  if (m === undefined) throw new CliError(`${dir} is not a tiersim mount (nothing is mounted there); ${hint}`);
  if (m.fstype !== 'fuse.tiersim' && !(m.fstype === 'fuse' && m.source === 'tiersim')) {
    throw new CliError(`${dir} is a ${m.fstype} mount, not a tiersim one; ${hint}`);
  }
  try {
    statSync(resolve(dir, 'proc'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTCONN' || code === 'ECONNABORTED') {
      throw new CliError(`${dir} is a dead tiersim mount (its server has exited); run 'tiersim mount ${dir}' again (it clears the stale mount), then retry`);
    }
    throw new CliError(`${dir} is not usable: ${(err as Error).message}; ${hint}`);
  }
  for (const b of SHELL_BINDS) {
    if (!b.optional && !existsSync(resolve(dir, b.source))) {
      throw new CliError(`the tiersim mount at ${dir} has no ${b.source}; is it an older or incomplete tiersim? Restart it with 'tiersim mount ${dir}'`);
    }
  }
}

/** The set-up operations for a mount at `dir`: binds, and masks for optional trees it lacks. */
export function setupOperations(dir: string, binds: readonly ShellBind[] = SHELL_BINDS): string[] {
  const ops: string[] = [];
  for (const b of binds) {
    if (b.target === '/sys/kernel/debug') ops.push('debugfs', b.target);
    if (!b.optional || existsSync(resolve(dir, b.source))) ops.push('bind', b.source, b.target);
    else if (existsSync(b.target)) ops.push('mask', b.target);
  }
  return ops;
}

/**
 * The largest CPU number in the simulated machine, for the libnuma warning (0 when unknown).
 * Reads the node tree the same way libnuma does.
 */
function maxSimulatedCpu(dir: string): number {
  try {
    const ranges = readFileSync(resolve(dir, 'sys/devices/system/node/has_cpu'), 'latin1').trim();
    let max = 0;
    for (const node of ranges === '' ? [] : expandList(ranges)) {
      const cpus = readFileSync(resolve(dir, `sys/devices/system/node/node${node}/cpulist`), 'latin1').trim();
      for (const cpu of cpus === '' ? [] : expandList(cpus)) max = Math.max(max, cpu);
    }
    return max;
  } catch {
    return 0;
  }
}

function expandList(list: string): number[] {
  const out: number[] = [];
  for (const part of list.split(',')) {
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || Number.isNaN(a)) continue;
    for (let i = a; i <= (b ?? a); i++) out.push(i);
  }
  return out;
}

/** Bits in the host kernel's cpumask (what sched_getaffinity(2) reports): NR_CPUS, bounded below by 64. */
function hostCpumaskBits(): number {
  try {
    const kernelMax = Number(readFileSync('/sys/devices/system/cpu/kernel_max', 'latin1').trim());
    return Math.max(64, Math.ceil((kernelMax + 1) / 64) * 64);
  } catch {
    return 64;
  }
}

export interface ShellArgs {
  /** The tiersim mount (default ./mount). */
  readonly mount: string;
  /** Command and arguments; empty runs $SHELL (or /bin/bash). */
  readonly command: readonly string[];
}

/** Run the shell; resolves with the exit status to give (CMD's, or 128 + signal). */
export async function runShell(args: ShellArgs): Promise<number> {
  const dir = resolve(args.mount);
  if (process.getuid?.() !== 0) {
    throw new CliError('tiersim shell needs root: it creates a mount namespace and bind-mounts over /sys and /proc (try sudo)');
  }
  checkLiveMount(dir);
  const interactive = args.command.length === 0;
  const command = interactive ? [process.env.SHELL || (existsSync('/bin/bash') ? '/bin/bash' : '/bin/sh')] : [...args.command];
  const maxCpu = maxSimulatedCpu(dir);
  if (maxCpu >= hostCpumaskBits()) {
    process.stderr.write(
      `tiersim shell: note: the simulated machine has CPUs up to ${maxCpu}, beyond this host kernel's cpumask (${hostCpumaskBits()} bits); libnuma sizes its CPU masks from sched_getaffinity(2), so 'numactl -H' will show node sizes and distances but no CPU lists\n`,
    );
  }
  if (interactive) {
    process.stderr.write(`tiersim shell: /sys and /proc now show the simulated machine served at ${dir}; 'exit' leaves\n`);
  }
  const argv = ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', SHELL_SETUP_SCRIPT, 'tiersim-shell', dir, ...setupOperations(dir), '--', ...command];
  const child = spawn('unshare', argv, {
    stdio: 'inherit',
    env: { ...process.env, TIERSIM_SHELL: '1', TIERSIM_MOUNT: dir },
  });
  // Like system(3): the terminal's SIGINT/SIGQUIT are for CMD; termination requests are forwarded.
  const ignore = () => {};
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', ignore);
  process.on('SIGQUIT', ignore);
  process.on('SIGTERM', forward);
  process.on('SIGHUP', forward);
  try {
    return await new Promise<number>((resolveStatus, reject) => {
      child.on('error', (err: NodeJS.ErrnoException) =>
        reject(err.code === 'ENOENT' ? new CliError('tiersim shell needs unshare(1) (Debian package util-linux)') : err),
      );
      child.on('exit', (code, signal) => {
        if (code !== null) resolveStatus(code);
        else resolveStatus(128 + (signal ? (constants.signals[signal] ?? 0) : 0));
      });
    });
  } finally {
    process.off('SIGINT', ignore);
    process.off('SIGQUIT', ignore);
    process.off('SIGTERM', forward);
    process.off('SIGHUP', forward);
  }
}
