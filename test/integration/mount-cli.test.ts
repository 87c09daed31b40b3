// The `tiersim mount` contract, through a real mount driven from child processes: readiness
// line, clean unmount on SIGINT/SIGTERM, stale-mount recovery, live-mount refusal, bad presets.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HAS_FUSE, NO_FUSE_REASON, TIERSIM, bash, isMounted, run, spawnMount, startMount, stopMount, tempDir, type Server } from './helpers.js';

describe.skipIf(!HAS_FUSE)(`tiersim mount (CLI contract)${HAS_FUSE ? '' : ` — ${NO_FUSE_REASON}`}`, () => {
  const servers: Server[] = [];
  const track = (s: Server) => (servers.push(s), s);
  afterEach(async () => {
    for (const s of servers.splice(0)) await stopMount(s);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('prints "mounted at DIR", serves, and on %s unmounts and exits 0', async (signal) => {
    const server = track(await startMount());
    expect(server.stdout).toMatch(new RegExp(`mounted at ${server.dir}\\b`));
    expect(isMounted(server.dir)).toBe(true);
    const cat = await bash('cat "$M/proc/meminfo"', { env: { M: server.dir } });
    expect(cat.stdout).toMatch(/^MemTotal: +\d+ kB\n/);
    const exit = await server.stop(signal);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(server.stdout).toContain(`unmounted ${server.dir}`);
    expect(isMounted(server.dir)).toBe(false);
  });

  // DESIGN.md §3: the host kernel caches the static tree; subtrees whose names vanish are
  // stacked uncached mounts (needs root); --no-kernel-cache serves everything from one mount.
  it.each<[string, string[], string[]]>([
    ['default: one mount per volatile subtree', [], ['', 'sim/processes', 'sys/devices/virtual/memory_tiering', 'sys/kernel/debug/damon', 'sys/kernel/mm/damon/admin/kdamonds']],
    ['--no-kernel-cache: one mount', ['--no-kernel-cache'], ['']],
  ])('%s', async (_name, args, expected) => {
    const server = track(await startMount(args));
    const r = await bash(`awk -v d="$M" '$5 == d || index($5, d "/") == 1 { print substr($5, length(d) + 2) }' /proc/self/mountinfo | sort`, { env: { M: server.dir } });
    expect(r.stdout.split('\n').slice(0, -1)).toEqual(process.getuid?.() === 0 ? expected : ['']);
  });

  // -z: the uncached subtrees are mounts stacked inside this one (DESIGN.md §3), which a plain
  // `fusermount -u` refuses to leave behind (EBUSY); a lazy unmount takes them all.
  it('exits 0 by itself when the mount is unmounted from outside (fusermount -uz)', async () => {
    const server = track(await startMount());
    const r = await bash('fusermount -uz "$M"', { env: { M: server.dir } });
    expect(r.code).toBe(0);
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.stdout).toContain(`${server.dir} was unmounted from outside; exiting`);
  });

  it('clears a stale mount left by a SIGKILLed server and mounts again', async () => {
    const first = track(await startMount());
    const dir = first.dir;
    first.proc.kill('SIGKILL');
    await first.exited;
    // Without auto_unmount the kernel keeps the dead connection: the path is a stale mount.
    const stale = await bash('ls "$M" 2>&1', { env: { M: dir } });
    expect(stale.code).not.toBe(0);
    expect(stale.stdout).toMatch(/Transport endpoint is not connected|No such file or directory/);
    const second = track(spawnMount(dir));
    await second.ready();
    const cat = await bash('cat "$M/proc/sys/kernel/numa_balancing_promote_rate_limit_MBps"', { env: { M: dir } });
    expect(cat.stdout).toBe('65536\n');
  });

  it('refuses a live mount point with exit code 1 and a clear message', async () => {
    const server = track(await startMount());
    const again = await run(process.execPath, [TIERSIM, 'mount', server.dir, '--clock', 'virtual'], { timeoutMs: 20_000 });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`${server.dir} is already a mount point`);
    // The first server is unharmed.
    expect(server.alive).toBe(true);
    const cat = await bash('cat "$M/sys/kernel/debug/sched/numa_balancing/scan_size_mb"', { env: { M: server.dir } });
    expect(cat.stdout).toBe('256\n');
  });

  it('rejects a bad machine file with a message naming the field, and mounts nothing', async () => {
    const dir = tempDir();
    const file = join(dir, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({ name: 'bad', memoryBlockSizeBytes: '128M', nodes: [{ id: 0, kind: 'dram', memBytes: 'lots', cpus: 2 }], distances: [[10]] }),
    );
    const mnt = join(dir, 'mnt');
    const r = await run(process.execPath, [TIERSIM, 'mount', mnt, '--machine', file, '--clock', 'virtual'], { timeoutMs: 20_000 });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('nodes[0].memBytes');
    expect(r.stderr).toContain('lots');
    expect(isMounted(mnt)).toBe(false);
  });

  it('rejects an unknown preset and lists the presets', async () => {
    const mnt = join(tempDir(), 'mnt');
    const r = await run(process.execPath, [TIERSIM, 'mount', mnt, '--machine', 'no-such-machine', '--clock', 'virtual'], { timeoutMs: 20_000 });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('no-such-machine');
    for (const preset of ['cxl-2node', '2socket-cxl', 'epyc-2node-256g']) expect(r.stderr).toContain(preset);
    expect(isMounted(mnt)).toBe(false);
  });
});
