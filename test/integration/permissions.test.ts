// DAC through the mount (default_permissions): without --allow-other no other user may enter;
// with it, a non-root user gets EACCES exactly where a real kernel gives it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_FUSE, NO_FUSE_REASON, asNobody, bash, run, startMount, stopMount, type Server } from './helpers.js';

const nobody = (script: string, dir: string) => {
  const [file, args] = asNobody(script);
  return run(file, args, { env: { M: dir }, cwd: '/' });
};

describe.skipIf(!HAS_FUSE)(`permissions for a non-root user${HAS_FUSE ? '' : ` — ${NO_FUSE_REASON}`}`, () => {
  describe('without --allow-other', () => {
    let server: Server;
    beforeAll(async () => {
      server = await startMount();
    });
    afterAll(async () => {
      await stopMount(server);
    });

    it('nobody cannot enter the mount at all (Permission denied)', async () => {
      const ls = await nobody('ls "$M"', server.dir);
      expect(ls.code).not.toBe(0);
      expect(ls.stderr).toContain('Permission denied');
      const cat = await nobody('cat "$M/proc/meminfo"', server.dir);
      expect(cat.code).not.toBe(0);
      expect(cat.stderr).toContain('Permission denied');
    });

    it('root still can', async () => {
      expect((await bash('cat "$M/proc/sys/kernel/numa_balancing"', { env: { M: server.dir } })).code).toBe(0);
    });
  });

  describe('with --allow-other', () => {
    let server: Server;
    beforeAll(async () => {
      server = await startMount(['--allow-other']);
    });
    afterAll(async () => {
      await stopMount(server);
    });

    it.each([
      'sys/devices/system/node/possible',
      'sys/devices/system/node/node0/meminfo',
      'sys/devices/system/memory/block_size_bytes',
      'sys/kernel/mm/numa/demotion_enabled',
      'proc/vmstat',
      'proc/iomem',
      'proc/sys/kernel/numa_balancing',
    ])('nobody reads %s', async (path) => {
      const r = await nobody(`cat "$M/${path}"`, server.dir);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout.length).toBeGreaterThan(0);
    });

    it.each([
      ['proc/sys/kernel/numa_balancing', '0'],
      ['sys/kernel/mm/numa/demotion_enabled', '1'],
      ['sys/devices/system/node/node0/migration_path', '1'],
      ['sys/devices/system/memory/memory0/state', 'offline'],
    ])('nobody writing root-owned 0644 %s gets EACCES and nothing changes', async (path, value) => {
      const before = await bash(`cat "$M/${path}"`, { env: { M: server.dir } });
      const r = await nobody(`echo ${value} > "$M/${path}"`, server.dir);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('Permission denied');
      expect((await bash(`cat "$M/${path}"`, { env: { M: server.dir } })).stdout).toBe(before.stdout);
    });

    it('nobody cannot look into /sys/kernel/debug (0700 root)', async () => {
      const ls = await nobody('ls "$M/sys/kernel/debug"', server.dir);
      expect(ls.code).not.toBe(0);
      expect(ls.stderr).toContain('Permission denied');
      const cat = await nobody('cat "$M/sys/kernel/debug/sched/numa_balancing/scan_size_mb"', server.dir);
      expect(cat.code).not.toBe(0);
      expect(cat.stderr).toContain('Permission denied');
    });
  });
});
