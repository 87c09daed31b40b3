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
      echo 0 > "$M/proc/sys/kernel/numa_balancing" # on by default: it would promote the hot set out of the region
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
    expect(version).toBe(1); // targets set through pids: the pids era's format, 4-byte int ids
    expect(snapshots.length).toBeGreaterThanOrEqual(25);
    for (const s of snapshots) {
      expect(s.targets.map((t) => t.id)).toEqual([-1n]);
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

  it('mk_contexts: a/b is EACCES and the damon directory still lists; a good name works', async () => {
    const r = await sh(
      `echo a/b > "$D/mk_contexts"
      echo .. > "$D/mk_contexts"
      echo "$(printf 'x%.0s' $(seq 256))" > "$D/mk_contexts"
      ls "$D" | tr '\n' ' '; echo
      echo good > "$D/mk_contexts"
      ls "$D/good" | tr '\n' ' '; echo
      echo good > "$D/rm_contexts"
      ls "$D" | grep -c good`,
    );
    expect(r.stderr.split('\n').filter((l) => l !== '')).toEqual([
      expect.stringMatching(/write error: Permission denied/),
      expect.stringMatching(/write error: Permission denied/),
      expect.stringMatching(/write error: File name too long/),
    ]);
    expect(r.stdout).toBe('attrs init_regions kdamond_pid mk_contexts monitor_on pids record rm_contexts schemes target_ids \nattrs init_regions kdamond_pid pids record schemes target_ids \n0\n');
  });

  it('after monitor_on off, target_ids reads an empty line and takes it back (save/restore)', async () => {
    const r = await sh(
      `exec 3<>"$M/sim/spawn"; echo "idle size=4M node=0" >&3; read -r pid <&3; exec 3>&-
      echo $pid > "$D/target_ids"
      echo "0 none" > "$D/record"
      echo on > "$D/monitor_on"
      echo 200ms > "$M/sim/advance"
      echo off > "$D/monitor_on"
      saved=$(cat "$D/target_ids")
      echo "[$saved]"
      echo "$saved" > "$D/target_ids" && echo restored
      echo 9 > "$M/sim/processes/$pid/kill"`,
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('[]\nrestored\n');
  });

  it('init_regions: one write(2) with an overlap leaves no region; bash’s echo writes line by line, so its second line is a write at offset 13 (EINVAL) after the first applied, as on a kernel', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'tiersim-ir-'));
    const r = await sh(
      `echo paddr > "$D/pids"
      echo "-1 4096 8192" > "$D/init_regions"
      printf -- '-1 4096 8192\n-1 5000 9000\n' > "$T/two"
      cat "$T/two" > "$D/init_regions"
      echo "[$(cat "$D/init_regions")]"
      echo -e "-1 4096 8192\n-1 5000 9000" > "$D/init_regions"
      echo "[$(cat "$D/init_regions")]"`,
      { T: tmp },
    );
    expect(r.stderr.split('\n').filter((l) => l !== '')).toEqual([expect.stringMatching(/cat: write error: Invalid argument/), expect.stringMatching(/write error: Invalid argument/)]);
    expect(r.stdout).toBe('[]\n[-1 4096 8192]\n');
  });

  it('unsigned longs read back exactly; over-range input wraps as sscanf does', async () => {
    const r = await sh(
      `echo "18446744073709551615 18446744073709551615 9007199254740993 10 18446744073709551615" > "$D/attrs"
      cat "$D/attrs"
      echo "18446744073709551616 100000 1000000 10 1000" > "$D/attrs"
      cat "$D/attrs"
      echo "5000 100000 1000000 10 1000" > "$D/attrs"
      echo 99999999999 > "$D/pids"
      cat "$D/pids"
      echo "4096 18446744073709551615 0 4294967296 0 4294967295 5" > "$D/schemes"
      cat "$D/schemes"
      echo > "$D/schemes"`,
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      '18446744073709551615 18446744073709551615 9007199254740993 10 18446744073709551615\n0 100000 1000000 10 1000\n1215752191\n4096 18446744073709551615 0 0 0 4294967295 5 0 0\n',
    );
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
