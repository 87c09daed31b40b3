// DIR/sim through a real mount (virtual clock): spawn with the pid read back on the same fd,
// advance, kill, migratepages, and the meminfo/numastat/vmstat changes they cause — driven by
// bash and by the tiersim CLI wrappers, each in its own process.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_FUSE, NO_FUSE_REASON, TIERSIM, bash, run, startMount, stopMount, tempDir, useMount, type Server } from './helpers.js';

const GiB_KB = 1024 * 1024;

describe.skipIf(!HAS_FUSE)(`sim/ control files${HAS_FUSE ? '' : ` — ${NO_FUSE_REASON}`}`, () => {
  let server: Server | undefined;
  let M = '';
  const sh = (script: string) => bash(script, { env: { M }, timeoutMs: 60_000 });
  const cli = (...args: string[]) => run('node', [TIERSIM, ...args, '--mount', M], { timeoutMs: 60_000 });
  const memFreeKb = async (nid: number) => Number((await sh(`awk '/MemFree/ {print $4}' "$M/sys/devices/system/node/node${nid}/meminfo"`)).stdout);
  const vmstat = async (name: string) => Number((await sh(`awk '$1 == "${name}" {print $2}' "$M/proc/vmstat"`)).stdout);

  beforeAll(async () => {
    server = await startMount(); // the helper mounts with --clock virtual
    M = server.dir;
  });
  afterAll(async () => {
    await stopMount(server);
  });

  it('bash spawns on the same fd, reads the pid back, and node 1 MemFree drops by exactly 1 GiB', async () => {
    const before1 = await memFreeKb(1);
    const before0 = await memFreeKb(0);
    const r = await sh('exec 3<>"$M/sim/spawn"; echo "hotset size=1G node=1 threads=8" >&3; read -r pid <&3; exec 3>&-; echo "$pid"');
    expect(r.stderr).toBe('');
    const pid = r.stdout.trim();
    expect(pid).toMatch(/^\d+$/);
    expect(await memFreeKb(1)).toBe(before1 - GiB_KB);
    const pageTablesKb = Number((await sh(`awk '$3 == "PageTables:" {print $4}' "$M/sys/devices/system/node/node0/meminfo"`)).stdout);
    expect(pageTablesKb).toBeGreaterThan(0);
    expect(await memFreeKb(0)).toBeLessThan(before0); // page tables live on the CPU's node
    const maps = await sh(`cat "$M/sim/processes/${pid}/numa_maps"`);
    expect(maps.stdout).toMatch(/^7f0000000000 prefer:1 anon=262144 dirty=262144 active=0 N1=262144 kernelpagesize_kB=4\n$/);
    const state = await sh(`cat "$M/sim/processes/${pid}/state"`);
    expect(state.stdout).toBe('running\n');
    await sh(`echo 9 > "$M/sim/processes/${pid}/kill"`);
    expect(await memFreeKb(1)).toBe(before1);
    expect((await sh(`cat "$M/sim/processes/${pid}/state"`)).stdout).toBe('killed\n');
    const again = await sh(`echo 9 > "$M/sim/processes/${pid}/kill"`);
    expect(again.stderr).toMatch(/write error: No such process/);
  });

  it('a bad spec is EINVAL in bash and the CLI names the key; ENOMEM leaves MemFree unchanged', async () => {
    const bad = await sh('echo "abench sze=1G" > "$M/sim/spawn"');
    expect(bad.stderr).toMatch(/write error: Invalid argument/);
    const c = await cli('spawn', 'abench', 'size=1G', 'threds=4');
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/EINVAL.*unknown key 'threds'/);
    const before = [await memFreeKb(0), await memFreeKb(1)];
    const big = await cli('spawn', 'idle', 'size=100G');
    expect(big.code).toBe(1);
    expect(big.stderr).toMatch(/ENOMEM/);
    expect([await memFreeKb(0), await memFreeKb(1)]).toEqual(before);
  });

  it('advance moves the clock by exactly the duration; a bad duration is EINVAL', async () => {
    const t0 = Number((await sh('cut -d" " -f1 "$M/sim/clock"')).stdout);
    expect((await sh('echo 250ms > "$M/sim/advance"')).code).toBe(0);
    const a = await cli('advance', '1500us');
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(`${t0 + 250_000_000 + 1_500_000} virtual\n`);
    const bad = await sh('echo soon > "$M/sim/advance"');
    expect(bad.stderr).toMatch(/write error: Invalid argument/);
  });

  it('an abench on CXL finishes with its simulated completion time; ps lists it', async () => {
    const s = await cli('spawn', 'abench', 'size=64M', 'threads=4', 'iters=4', 'node=1');
    const pid = s.stdout.trim();
    await cli('advance', '10s');
    const state = await sh(`cat "$M/sim/processes/${pid}/state" "$M/sim/processes/${pid}/runtime_ns" "$M/sim/processes/${pid}/progress"`);
    const [st, runtime, progress] = state.stdout.split('\n');
    expect(st).toBe('done');
    expect(Number(runtime)).toBeGreaterThan(0);
    expect(Number(runtime)).toBeLessThan(10e9);
    expect(progress).toBe(`${4 * 16384} ${4 * 16384}`);
    const ps = await cli('ps');
    expect(ps.stdout).toMatch(new RegExp(`^${pid} +done +\\d+\\.\\d{6} +100\\.0% +abench size=64M`, 'm'));
  });

  it('migratepages moves every page, advances the clock by the elapsed time, and counts batched shootdowns', async () => {
    const pid = (await cli('spawn', 'hotset', 'size=256M', 'threads=8', 'node=1')).stdout.trim();
    const flushes0 = await vmstat('nr_tlb_remote_flush');
    const success0 = await vmstat('pgmigrate_success');
    const t0 = Number((await sh('cut -d" " -f1 "$M/sim/clock"')).stdout);
    const m = await cli('migratepages', pid, '1', '0');
    expect(m.code).toBe(0);
    expect(m.stdout).toMatch(/^migrated 65536 pages \(0 failed, 0 not tried\) in \d+\.\d{3} ms simulated; 128 TLB shootdowns \(batched\)\n$/);
    expect(await vmstat('pgmigrate_success')).toBe(success0 + 65536);
    expect(await vmstat('nr_tlb_remote_flush')).toBe(flushes0 + 128);
    expect(Number((await sh('cut -d" " -f1 "$M/sim/clock"')).stdout)).toBeGreaterThan(t0);
    const maps = await sh(`cat "$M/sim/processes/${pid}/numa_maps"`);
    expect(maps.stdout).toMatch(/ N0=65536 kernelpagesize_kB=4\n$/);
    await sh(`echo unbatched > "$M/sim/migrate_flow"`);
    const back = await sh(`exec 3<>"$M/sim/migrate"; echo "${pid} 0 1" >&3; cat <&3`);
    expect(back.stdout).toMatch(/^pages_moved 65536\npages_failed 0\npages_skipped 0\nelapsed_ns \d+\ntlb_remote_flushes 65536\n$/);
    expect((await sh('cat "$M/sim/migrate_flow"')).stdout).toBe('batched [unbatched]\n');
    await sh(`echo batched > "$M/sim/migrate_flow"; echo 9 > "$M/sim/processes/${pid}/kill"`);
  });

  it('keeps serving other readers while a long migration runs', async () => {
    const pid = (await cli('spawn', 'hotset', 'size=1G', 'threads=8', 'node=1')).stdout.trim();
    const t0 = Number((await sh('cut -d" " -f1 "$M/sim/clock"')).stdout);
    const done = join(tempDir(), 'migration-done');
    // Poll the clock until the migration has returned: some reads land while it drives time.
    const poll = bash('until [ -e "$DONE" ]; do cut -d" " -f1 "$M/sim/clock"; done', { env: { M, DONE: done }, timeoutMs: 60_000 });
    const m = await cli('migratepages', pid, '1', '0');
    writeFileSync(done, '');
    const seen = await poll;
    expect(m.code).toBe(0);
    const t1 = Number((await sh('cut -d" " -f1 "$M/sim/clock"')).stdout);
    const mid = seen.stdout.split('\n').filter((l) => l !== '').map(Number).filter((t) => t > t0 && t < t1);
    expect(mid.length).toBeGreaterThan(0);
    await sh(`echo 9 > "$M/sim/processes/${pid}/kill"`);
  });
});

describe.skipIf(!HAS_FUSE)(`sim/ on a realtime clock${HAS_FUSE ? '' : ` — ${NO_FUSE_REASON}`}`, () => {
  const mount = useMount(['--clock', 'realtime']); // the last --clock wins
  const sh = mount.sh;

  it('the clock follows the wall clock and never runs ahead of it', async () => {
    const r = await sh('w0=$(date +%s%N); a=$(cut -d" " -f1 "$M/sim/clock"); sleep 1; b=$(cut -d" " -f1 "$M/sim/clock"); w1=$(date +%s%N); echo "$a $b $w0 $w1"; cat "$M/sim/clock"');
    const [a, b, w0, w1] = r.stdout.split('\n')[0]!.split(' ').map(Number) as [number, number, number, number];
    expect(r.stdout.split('\n')[1]).toMatch(/^\d+ realtime$/);
    expect(b - a).toBeGreaterThan(0.5e9); // it moved by about the second slept
    expect(b - a).toBeLessThanOrEqual(w1 - w0 + 20e6); // the wall time bracketing both reads bounds it (plus a 10 ms tick)
  });

  it('advance is EINVAL with the reason in dmesg; migratepages completes in wall time', async () => {
    const adv = await sh('echo 1s > "$M/sim/advance"; tail -n1 "$M/sim/dmesg"');
    expect(adv.stderr).toMatch(/write error: Invalid argument/);
    expect(adv.stdout).toMatch(/advance: the clock follows the wall clock/);
    const pid = (await sh('exec 3<>"$M/sim/spawn"; echo "hotset size=64M threads=8 node=1" >&3; read -r p <&3; echo $p')).stdout.trim();
    const m = await sh(`exec 3<>"$M/sim/migrate"; echo "${pid} 1 0" >&3; cat <&3`);
    expect(m.stdout).toMatch(/^pages_moved 16384\n/);
    const elapsed = Number(/elapsed_ns (\d+)/.exec(m.stdout)![1]);
    expect(elapsed).toBeGreaterThan(0);
  });
});
