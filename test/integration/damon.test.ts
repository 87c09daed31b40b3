// A DAMON user's shell session through the mount (virtual clock): the 2020 debugfs commands
// verbatim, the record file parsed and checked, a live host pid as a vaddr target, and the
// debugfs errors as bash prints them.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRecord } from '../../src/damo/recfile.js';
import { HAS_FUSE, NO_FUSE_REASON, bash, startMount, stopMount, type Server } from './helpers.js';

describe.skipIf(!HAS_FUSE)(`DAMON debugfs through the mount${HAS_FUSE ? '' : ` — ${NO_FUSE_REASON}`}`, () => {
  let server: Server | undefined;
  let M = '';
  const sh = (script: string, env: Record<string, string> = {}) => bash(script, { env: { M, D: `${M}/sys/kernel/debug/damon`, ...env }, timeoutMs: 60_000 });

  beforeAll(async () => {
    server = await startMount();
    M = server.dir;
  });
  afterAll(async () => {
    await stopMount(server);
  });

  it('a paddr record session writes a record file damo can read, within the kernel’s bounds', async () => {
    const out = mkdtempSync(join(tmpdir(), 'tiersim-damon-'));
    const r = await sh(
      `set -e
      exec 3<>"$M/sim/spawn"; echo "hotset size=512M threads=8 node=1" >&3; read -r pid <&3; exec 3>&-
      echo paddr > "$D/pids"
      cat "$D/pids"
      echo "-1 $A $B" > "$D/init_regions"
      cat "$D/init_regions"
      echo "1024 $OUT/damon.data" > "$D/record"
      echo on > "$D/monitor_on"
      cat "$D/monitor_on" "$D/kdamond_pid"
      echo 3s > "$M/sim/advance"
      echo off > "$D/monitor_on"
      cat "$D/monitor_on"`,
      { OUT: out, A: String(0x500000000), B: String(0x500000000 + 1024 * 1024 * 1024) },
    );
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('-1');
    expect(lines[1]).toBe(`-1 ${0x500000000} ${0x500000000 + 1024 ** 3}`);
    expect(lines[2]).toBe('on');
    expect(lines[3]).toMatch(/^\d+$/);
    expect(lines[4]).toBe('off');
    const { version, snapshots } = parseRecord(readFileSync(join(out, 'damon.data')));
    expect(version).toBe(2);
    expect(snapshots.length).toBeGreaterThanOrEqual(25);
    for (const s of snapshots) {
      const regions = s.targets[0]!.regions;
      expect(regions.length).toBeLessThanOrEqual(1000);
      for (const reg of regions) {
        expect(reg.start).toBeGreaterThanOrEqual(0x500000000);
        expect(reg.end).toBeLessThanOrEqual(0x500000000 + 1024 ** 3);
        expect(reg.nrAccesses).toBeLessThanOrEqual(100000 / 5000);
      }
    }
    for (const s of snapshots.slice(5)) expect(s.targets[0]!.regions.length).toBeGreaterThanOrEqual(10);
    snapshots.slice(1).forEach((s, i) => expect(Math.abs(s.timeNs - snapshots[i]!.timeNs - 100e6)).toBeLessThan(15e6));
    // Some region is hot (the hotset's hot tenth), most are not.
    const last = snapshots[snapshots.length - 1]!.targets[0]!.regions;
    expect(Math.max(...last.map((x) => x.nrAccesses))).toBeGreaterThanOrEqual(15);
  });

  it('bash sees the kernel’s errors', async () => {
    const r = await sh(
      `echo 5000 100000 1000000 2 1000 > "$D/attrs"
      echo abc > "$D/pids"
      echo off > "$D/monitor_on"
      echo bogus > "$D/monitor_on"
      echo 5000 > "$D/record"
      cat "$D/attrs"`,
    );
    expect(r.stderr.split('\n').filter((l) => l !== '')).toEqual([
      expect.stringMatching(/write error: Invalid argument/),
      expect.stringMatching(/write error: Cannot allocate memory/),
      expect.stringMatching(/write error: Operation not permitted/),
      expect.stringMatching(/write error: Invalid argument/),
      expect.stringMatching(/write error: Invalid argument/),
    ]);
    expect(r.stdout).toBe('5000 100000 1000000 10 1000\n');
  });

  it('a live host pid is a vaddr target; monitoring stops by itself when it exits', async () => {
    const r = await sh(
      `sleep 2 & p=$!
      echo $p > "$D/target_ids"
      [ "$(cat "$D/target_ids")" = "$p" ] && echo target-ok
      echo "0 none" > "$D/record"
      echo on > "$D/monitor_on"
      echo 500ms > "$M/sim/advance"
      cat "$D/monitor_on"
      wait $p
      echo 500ms > "$M/sim/advance"
      cat "$D/monitor_on"`,
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('target-ok\non\noff\n');
  });
});

describe.skipIf(!HAS_FUSE)(`tiersim mount --damon-abi${HAS_FUSE ? '' : ` — ${NO_FUSE_REASON}`}`, () => {
  // Every documented choice mounts from the command line and presents its generation's files.
  it.each([
    ['union', 'attrs init_regions kdamond_pid mk_contexts monitor_on pids record rm_contexts schemes target_ids'],
    ['2020', 'attrs init_regions monitor_on pids record schemes'],
    ['5.15', 'attrs init_regions kdamond_pid mk_contexts monitor_on rm_contexts schemes target_ids'],
    ['5.18', 'attrs init_regions kdamond_pid mk_contexts monitor_on rm_contexts schemes target_ids'],
  ])('--damon-abi %s mounts and lists %s', async (abi, files) => {
    const server = await startMount(['--damon-abi', abi]);
    try {
      const r = await bash('ls "$M/sys/kernel/debug/damon" | sort | tr "\\n" " "; cat "$M/sys/kernel/debug/damon/attrs"', { env: { M: server.dir } });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(`${files} ${abi === '5.15' || abi === '5.18' ? '5000 100000 60000000 10 1000' : '5000 100000 1000000 10 1000'}\n`);
    } finally {
      await stopMount(server);
    }
  });
});
