// `tiersim shell`: unmodified sysctl, lsmem, cat and numactl see the simulated machine at the
// real /sys and /proc paths inside a private mount namespace, while the host's files are
// neither written nor changed and no mount leaks out of the namespace.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHELL_SETUP_SCRIPT } from '../../src/cli/shell.js';
import { REPO, HAS_FUSE, NO_FUSE_REASON, TIERSIM, bash, run, startMount, stopMount, tempDir, type RunResult, type Server } from './helpers.js';

/** `tiersim shell --mount DIR -- bash -c SCRIPT`. */
function inShell(dir: string, script: string, env: Record<string, string> = {}): Promise<RunResult> {
  return run(process.execPath, [TIERSIM, 'shell', '--mount', dir, '--', 'bash', '-c', script], { env: { M: dir, ...env }, timeoutMs: 30_000 });
}

/**
 * Host mounts the shell could leak: anything under /sys or /proc, or a staging directory. Other
 * test files mount and unmount FUSE servers under /tmp concurrently, so those are not counted.
 */
const hostShellMounts = () =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p.startsWith('/sys') || p.startsWith('/proc') || p.includes('tiersim-shell-stage'))
    .sort();
const hostFile = (path: string) => readFileSync(path, 'latin1');

describe.skipIf(!HAS_FUSE)(`tiersim shell${HAS_FUSE ? '' : ` — ${NO_FUSE_REASON}`}`, () => {
  describe('refuses what is not a live tiersim mount', () => {
    it('a plain directory: exit 1, telling the user to run tiersim mount first', async () => {
      const dir = tempDir();
      const r = await run(process.execPath, [TIERSIM, 'shell', '--mount', dir, '--', 'true']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${dir} is not a tiersim mount`);
      expect(r.stderr).toContain(`tiersim mount ${dir}`);
    });

    it('a dead mount left by a killed server: exit 1, telling the user to mount again', async () => {
      const server = await startMount();
      try {
        server.proc.kill('SIGKILL');
        await server.exited;
        const r = await run(process.execPath, [TIERSIM, 'shell', '--mount', server.dir, '--', 'true']);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain('dead tiersim mount');
        expect(r.stderr).toContain(`tiersim mount ${server.dir}`);
      } finally {
        await stopMount(server);
      }
    });
  });

  describe('on cxl-2node', () => {
    let server: Server;
    let mountsBefore: string[];
    const hostNumaBalancing = hostFile('/proc/sys/kernel/numa_balancing');
    const hostPidMax = hostFile('/proc/sys/kernel/pid_max');
    const out = async (script: string) => {
      const r = await inShell(server.dir, script);
      expect(r.stderr, script).toBe('');
      expect(r.code, script).toBe(0);
      return r.stdout;
    };

    beforeAll(async () => {
      server = await startMount();
      mountsBefore = hostShellMounts();
    });
    afterAll(async () => {
      await stopMount(server);
    });

    it('passes the exit status of CMD through', async () => {
      expect((await inShell(server.dir, 'exit 42')).code).toBe(42);
      expect((await inShell(server.dir, 'kill -TERM $$')).code).toBe(128 + 15);
      const missing = await run(process.execPath, [TIERSIM, 'shell', '--mount', server.dir, '--', 'no-such-command-tiersim']);
      expect(missing.code).toBe(127);
      expect(missing.stderr).toContain('no-such-command-tiersim: command not found');
    });

    it('DAMON at the real debugfs path: echo paddr > pids verbatim, a debugfs line in /proc/mounts, and the damo port with its defaults', async () => {
      expect(await out('echo paddr > /sys/kernel/debug/damon/pids; cat /sys/kernel/debug/damon/pids')).toBe('-1\n');
      expect(await out('grep -c " /sys/kernel/debug debugfs " /proc/mounts')).toMatch(/^[1-9]\d*\n$/);
      const damo = `node ${join(REPO, 'bin/damo.js')}`;
      const status = JSON.parse(await out(`${damo} status`)) as Record<string, string>;
      expect(status['pids']).toBe('-1\n');
      expect(status['monitor_on']).toBe('off\n');
      const layout = await out(`${damo} pa_layout`);
      expect(layout).toContain('System RAM (kmem)'); // the simulator's CXL window, not the host's memory
      expect(layout).toMatch(/^Default paddr monitoring range: \[20\.000 GiB, 36\.000 GiB\)/m);
      // DAMON's sysfs is the simulator's too
      expect(await out('ls -A /sys/kernel/mm/damon')).toBe('admin\n');
    });

    it('sysctl -w kernel.numa_balancing=2 and sysctl kernel.numa_balancing talk to the simulator', async () => {
      expect(await out('sysctl -w kernel.numa_balancing=2')).toBe('kernel.numa_balancing = 2\n');
      expect(await out('sysctl kernel.numa_balancing')).toBe('kernel.numa_balancing = 2\n');
      expect(await out('sysctl -n kernel.numa_balancing')).toBe('2\n');
      expect(hostFile(join(server.dir, 'proc/sys/kernel/numa_balancing'))).toBe('2\n');
      const bad = await inShell(server.dir, 'sysctl -w kernel.numa_balancing=7');
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain('sysctl: setting key "kernel.numa_balancing": Invalid argument');
      expect(await out('sysctl -n kernel.numa_balancing')).toBe('2\n');
      expect(await out('sysctl -n kernel.numa_balancing_promote_rate_limit_MBps')).toBe('65536\n');
      // the host's own value never moved
      expect(hostFile('/proc/sys/kernel/numa_balancing')).toBe(hostNumaBalancing);
    });

    it('the kmmscand RFC group at /sys/kernel/mm/kmmscand (absent on the host): reads, writes and errnos reach the simulator', async () => {
      expect(await out('ls /sys/kernel/mm/kmmscand')).toBe('mm_scan_period_ms\nmms_to_scan\nscan_enabled\nscan_sleep_ms\ntarget_node\n');
      expect(await out('echo 100 > /sys/kernel/mm/kmmscand/mm_scan_period_ms; cat /sys/kernel/mm/kmmscand/mm_scan_period_ms')).toBe('400\n');
      expect(hostFile(join(server.dir, 'sys/kernel/mm/kmmscand/mm_scan_period_ms'))).toBe('400\n');
      const bad = await inShell(server.dir, 'echo 1 > /sys/kernel/mm/kmmscand/target_node');
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain('write error: Invalid argument');
      // the other entries of /sys/kernel/mm are still the host's
      expect(await out('ls /sys/kernel/mm | grep -c -x -e ksm -e transparent_hugepage')).toBe('2\n');
      expect(readdirSync('/sys/kernel/mm')).not.toContain('kmmscand');
    });

    it('cat /proc/iomem, /proc/meminfo, /proc/vmstat, /proc/swaps and the debugfs files read the simulator', async () => {
      for (const f of ['proc/iomem', 'proc/meminfo', 'proc/vmstat', 'proc/swaps', 'sys/kernel/debug/sched/numa_balancing/scan_size_mb', 'sys/kernel/mm/numa/demotion_enabled']) {
        expect(await out(`cat /${f}`), f).toBe(hostFile(join(server.dir, f)));
      }
      expect(await out('grep -c "CXL Window 0" /proc/iomem')).toBe('1\n');
      expect(await out('awk \'$1 == "MemTotal:" { print $2 }\' /proc/meminfo')).toBe(`${hostFile(join(server.dir, 'proc/meminfo')).match(/^MemTotal: +(\d+)/)?.[1]}\n`);
    });

    it('lsmem reports the simulated memory blocks', async () => {
      const lsmem = await out('lsmem --summary=only');
      expect(lsmem).toMatch(/^Memory block size: +128M$/m);
      expect(lsmem).toMatch(/^Total online memory: +32G$/m);
      expect(lsmem).toMatch(/^Total offline memory: +0B$/m);
      const ranges = await out('lsmem -o RANGE,SIZE,STATE,NODE --summary=never');
      expect(ranges).toMatch(/^0x[0-9a-f]+-0x[0-9a-f]+ +16G online +1$/m);
    });

    it('numactl -H prints the simulated nodes, CPUs, sizes and distances (the host has 1 node, 2 CPUs)', async () => {
      const h = await out('numactl -H');
      const kb = (n: number) => Number(hostFile(join(server.dir, `sys/devices/system/node/node${n}/meminfo`)).match(/MemTotal: +(\d+) kB/)?.[1]);
      expect(h).toContain('available: 2 nodes (0-1)\n');
      expect(h).toContain('node 0 cpus: 0 1 2 3 4 5 6 7\n');
      expect(h).toContain('node 1 cpus:\n');
      expect(h).toContain(`node 0 size: ${Math.floor(kb(0) / 1024)} MB\n`);
      expect(h).toContain(`node 1 size: ${Math.floor(kb(1) / 1024)} MB\n`);
      expect(h).toMatch(/node distances:\nnode +0 +1 *\n +0: +10 +20 *\n +1: +20 +10 *\n/);
      expect(h).not.toContain('libnuma: Warning');
    });

    it('numactl -H drops a CPU taken offline through the mount, and shows it again once online', async () => {
      const cpu = (n: number) => `"$M/sys/devices/system/cpu/cpu${n}/online"`;
      const M = { env: { M: server.dir } };
      expect((await bash(`echo 0 > ${cpu(3)} && echo 0 > ${cpu(6)}`, M)).code).toBe(0);
      try {
        expect(await out('numactl -H')).toContain('node 0 cpus: 0 1 2 4 5 7\n');
        expect(await out('cat /sys/devices/system/node/node0/cpulist')).toBe('0-2,4-5,7\n');
      } finally {
        await bash(`echo 1 > ${cpu(3)}; echo 1 > ${cpu(6)}`, M);
      }
      expect(await out('numactl -H')).toContain('node 0 cpus: 0 1 2 3 4 5 6 7\n');
    });

    it('host /proc/sys/kernel files read through; writing one fails and the host is untouched', async () => {
      expect(await out('cat /proc/sys/kernel/pid_max')).toBe(hostPidMax);
      expect(await out('cat /proc/sys/kernel/osrelease')).toBe(hostFile('/proc/sys/kernel/osrelease'));
      const w = await inShell(server.dir, 'echo 1 > /proc/sys/kernel/pid_max');
      expect(w.code).not.toBe(0);
      expect(w.stderr).toContain('/proc/sys/kernel/pid_max: Permission denied');
      expect(hostFile('/proc/sys/kernel/pid_max')).toBe(hostPidMax);
      // ordinary tools keep working
      expect(await out('ps -o pid= -p $$ | tr -d " "')).toMatch(/^\d+\n$/);
      expect(await out('python3 -c "print(1)"')).toBe('1\n');
    });

    it("/sys/kernel/mm/damon is the simulator's admin tree: usage.rst's writes reach the mount, never the host", async () => {
      const simulated = await bash('ls -A "$M/sys/kernel/mm/damon/admin/kdamonds"', { env: { M: server.dir } });
      expect(await out('ls -A /sys/kernel/mm/damon/admin/kdamonds')).toBe(simulated.stdout);
      // Guard: write only when the path is the FUSE mount (never the host's sysfs).
      const K = '/sys/kernel/mm/damon/admin/kdamonds';
      const session = `[ "$(stat -f -c %T ${K})" != sysfs ] || exit 99
echo 1 > ${K}/nr_kdamonds && echo 1 > ${K}/0/contexts/nr_contexts && echo paddr > ${K}/0/contexts/0/operations
echo 1 > ${K}/0/contexts/0/targets/nr_targets && echo on > ${K}/0/state && cat ${K}/0/state
echo off > ${K}/0/state; cat ${K}/0/state ${K}/0/pid; echo 0 > ${K}/nr_kdamonds; ls ${K}`;
      expect(await out(session)).toBe('on\noff\n-1\nnr_kdamonds\n');
      const mkdir = await inShell(server.dir, 'mkdir /sys/kernel/mm/damon/admin2');
      expect(mkdir.code).not.toBe(0);
    });

    it('debugfs is the simulator\'s: /sys/kernel/debug holds sched/numa_balancing', async () => {
      expect(await out('ls /sys/kernel/debug')).toBe(`${(await bash('ls "$M/sys/kernel/debug"', { env: { M: server.dir } })).stdout}`);
      expect(await out('cat /sys/kernel/debug/sched/numa_balancing/hot_threshold_ms')).toBe('1000\n');
    });

    it('binds the node, memory and memory_tiering trees; exports TIERSIM_MOUNT', async () => {
      expect(await out('cat /sys/devices/system/node/has_memory /sys/devices/system/node/has_cpu')).toBe('0-1\n0\n');
      expect(await out('cat /sys/devices/system/memory/block_size_bytes')).toBe('8000000\n');
      expect(await out('ls /sys/devices/virtual/memory_tiering | grep memory_tier')).toBe('memory_tier22\nmemory_tier4\n');
      expect(await out('echo "$TIERSIM_MOUNT"')).toBe(`${server.dir}\n`);
    });

    it('runs $SHELL when no command is given (commands from stdin here), with a banner on stderr', async () => {
      const r = await run(process.execPath, [TIERSIM, 'shell', '--mount', server.dir], {
        env: { SHELL: '/bin/bash' },
        input: 'cat /proc/sys/kernel/numa_balancing_promote_rate_limit_MBps\nexit 3\n',
      });
      expect(r.code).toBe(3);
      expect(r.stdout).toBe('65536\n');
      expect(r.stderr).toContain(`simulated machine served at ${server.dir}`);
    });

    it('forwards SIGTERM to CMD and exits 128+15', async () => {
      // CMD says when it runs: the shell has set up the namespace and its signal handlers by then
      // (a fixed delay lost the race on a loaded machine).
      const child = spawn(process.execPath, [TIERSIM, 'shell', '--mount', server.dir, '--', 'sh', '-c', 'echo ready; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      await new Promise<void>((r) => child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && r()));
      child.kill('SIGTERM');
      expect(await exited).toBe(128 + 15);
    });

    it('creates a bind target missing on the host over a tmpfs that keeps every host entry (only under /sys)', async () => {
      // Exercised with made-up targets: this host has /sys/devices/virtual/memory_tiering.
      const hostEntries = readdirSync('/sys/devices/virtual').sort();
      const ops = ['bind', 'sys/kernel/debug', '/sys/devices/virtual/tiersim-test/deep', 'bind', 'proc/iomem', '/sys/devices/virtual/tiersim-test-file'];
      const script = 'LC_ALL=C ls /sys/devices/virtual; ls /sys/devices/virtual/tiersim-test/deep; head -1 /sys/devices/virtual/tiersim-test-file; cat /sys/devices/virtual/net/lo/address';
      const stageDir = tempDir('tiersim-stage-'); // the staging directory's parent ($TMPDIR), this test's own
      const r = await run('unshare', ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', SHELL_SETUP_SCRIPT, 'test', server.dir, ...ops, '--', 'sh', '-c', script], { env: { TMPDIR: stageDir } });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const want = [...hostEntries, 'tiersim-test', 'tiersim-test-file'].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const debugfs = readdirSync(join(server.dir, 'sys/kernel/debug')).sort().join('\n'); // damon, sched
      expect(r.stdout).toBe(`${want.join('\n')}\n${debugfs}\n${hostFile(join(server.dir, 'proc/iomem')).split('\n')[0]}\n${hostFile('/sys/devices/virtual/net/lo/address')}`);
      // nothing changed on the host, and the staging directory is gone
      expect(readdirSync('/sys/devices/virtual').sort()).toEqual(hostEntries);
      expect(readdirSync(stageDir)).toEqual([]);
      const proc = await run('unshare', ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', SHELL_SETUP_SCRIPT, 'test', server.dir, 'bind', 'proc/iomem', '/proc/tiersim-test', '--', 'true']);
      expect(proc.code).toBe(125);
      expect(proc.stderr).toBe('tiersim shell: /proc/tiersim-test does not exist on this host\n');
    });

    it('leaves no mount behind on the host', async () => {
      await out('true');
      expect(hostShellMounts()).toEqual(mountsBefore);
    });
  });

  describe('on epyc-2node-256g (512 CPUs, more than the host kernel cpumask)', () => {
    let server: Server;
    beforeAll(async () => {
      server = await startMount(['--machine', 'epyc-2node-256g']);
    });
    afterAll(async () => {
      await stopMount(server);
    });

    it('numactl -H still prints both nodes with their sizes and distances', async () => {
      const r = await inShell(server.dir, 'numactl -H');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('available: 2 nodes (0-1)\n');
      const kb = (n: number) => Number(hostFile(join(server.dir, `sys/devices/system/node/node${n}/meminfo`)).match(/MemTotal: +(\d+) kB/)?.[1]);
      expect(r.stdout).toContain(`node 0 size: ${Math.floor(kb(0) / 1024)} MB\n`);
      expect(r.stdout).toContain(`node 1 size: ${Math.floor(kb(1) / 1024)} MB\n`);
      expect(r.stdout).toMatch(/node distances:\nnode +0 +1 *\n +0: +10 +32 *\n +1: +32 +10 *\n/);
      // libnuma sizes CPU masks from sched_getaffinity(2): the host kernel's cpumask (NR_CPUS
      // here, kernel_max + 1) decides whether 512 CPUs parse; tiersim shell warns when not.
      const hostBits = Number(readFileSync('/sys/devices/system/cpu/kernel_max', 'latin1')) + 1;
      if (hostBits < 512) expect(r.stderr).toContain("'numactl -H' will show node sizes and distances but no CPU lists");
      else expect(r.stdout).toMatch(/^node 0 cpus: 0 1 2 /m);
    });
  });
});
