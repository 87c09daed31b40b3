// The files' physics through a real mount, with the tools a user has: sizes and modes
// (`stat`), whole reads whatever the reader, bash's write errors, O_TRUNC, and the
// cross-file invariants of spec/peers-and-fuse.md §5.4 checked with bash and awk.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_FUSE, NO_FUSE_REASON, bash, libEnv, startMount, stopMount, type Server } from './helpers.js';

const GiB = 2 ** 30;

describe.skipIf(!HAS_FUSE)(`files through the mount (cxl-2node)${HAS_FUSE ? '' : ` — ${NO_FUSE_REASON}`}`, () => {
  let server: Server;
  const sh = (script: string) => bash(`source "$LIB"\n${script}`, { env: libEnv(server.dir) });
  /** stdout of a script that must succeed. */
  const out = async (script: string) => {
    const r = await sh(script);
    expect(r.stderr, script).toBe('');
    expect(r.code, script).toBe(0);
    return r.stdout;
  };

  beforeAll(async () => {
    server = await startMount();
  });
  afterAll(async () => {
    await stopMount(server);
  });

  describe('stat: sizes and modes as the kernel reports them', () => {
    it.each([
      // sysfs attributes: 4096 whatever they hold; node cpulist is a binary attribute of
      // max(PAGE_SIZE, NR_CPUS*7/2) = 28672 bytes (NR_CPUS=8192)
      ['sys/devices/system/node/possible', '444 4096'],
      ['sys/devices/system/node/online', '444 4096'],
      ['sys/devices/system/node/has_cpu', '444 4096'],
      ['sys/devices/system/node/has_memory', '444 4096'],
      ['sys/devices/system/node/has_normal_memory', '444 4096'],
      ['sys/devices/system/node/has_generic_initiator', '444 4096'],
      ['sys/devices/system/node/node0/cpulist', '444 28672'],
      ['sys/devices/system/node/node0/cpumap', '444 4096'],
      ['sys/devices/system/node/node0/distance', '444 4096'],
      ['sys/devices/system/node/node0/meminfo', '444 4096'],
      ['sys/devices/system/node/node0/numastat', '444 4096'],
      ['sys/devices/system/node/node0/vmstat', '444 4096'],
      ['sys/devices/system/node/node1/migration_path', '644 4096'],
      ['sys/devices/system/memory/block_size_bytes', '444 4096'],
      ['sys/devices/system/memory/auto_online_blocks', '644 4096'],
      ['sys/devices/system/memory/memory0/state', '644 4096'],
      ['sys/devices/system/memory/memory0/online', '644 4096'],
      ['sys/devices/system/memory/memory0/phys_index', '444 4096'],
      ['sys/devices/system/memory/memory0/valid_zones', '444 4096'],
      ['sys/devices/system/memory/memory0/phys_device', '444 4096'],
      ['sys/devices/system/memory/memory0/removable', '444 4096'],
      ['sys/devices/virtual/memory_tiering/memory_tier4/nodelist', '444 4096'],
      ['sys/kernel/mm/numa/demotion_enabled', '644 4096'],
      // procfs seq files and sysctls: size 0
      ['proc/iomem', '444 0'],
      ['proc/meminfo', '444 0'],
      ['proc/vmstat', '444 0'],
      ['proc/sys/kernel/numa_balancing', '644 0'],
      ['proc/sys/kernel/numa_balancing_promote_rate_limit_MBps', '644 0'],
      // debugfs u32 files: size 0
      ['sys/kernel/debug/sched/numa_balancing/scan_delay_ms', '644 0'],
      ['sys/kernel/debug/sched/numa_balancing/hot_threshold_ms', '644 0'],
      // directories
      ['sys', '755 0'],
      ['sys/devices/system/node', '755 0'],
      ['sys/devices/system/node/node1', '755 0'],
      ['sys/devices/system/memory', '755 0'],
      ['sys/devices/system/memory/memory0', '755 0'],
      ['sys/devices/virtual/memory_tiering', '755 0'],
      ['sys/kernel/mm/numa', '755 0'],
      ['sys/kernel/debug', '700 0'],
      ['sys/kernel/debug/sched', '755 0'],
      ['proc', '555 0'],
      ['proc/sys', '555 0'],
      ['proc/sys/kernel', '555 0'],
    ])('%s is %s', async (path, expected) => {
      expect(await out(`stat -c '%a %s' "$M/${path}"`)).toBe(`${expected}\n`);
    });

    it('every file has a kernel mode and the size of its kind; every directory is 0755 (0555 in /proc, 0700 for debugfs root)', async () => {
      // /proc/sys/kernel also shows the host's files through a read-only passthrough: skip them,
      // except the simulator's own ones listed above.
      const listing = await out(String.raw`cd "$M" && find sys proc -path proc/sys/kernel -prune -o -printf '%y %m %s %p\n'`);
      const bad: string[] = [];
      for (const line of listing.trim().split('\n')) {
        const [type, mode, size, path = ''] = line.split(' ');
        // tracefs (5.17+): root 0700, directories 0750, files TRACE_MODE_WRITE/READ 0640/0440.
        const tracefs = /^sys\/kernel\/(debug\/)?tracing(\/|$)/.test(path);
        if (type === 'd') {
          const want = path.startsWith('proc') ? '555' : path === 'sys/kernel/debug' || /^sys\/kernel\/(debug\/)?tracing$/.test(path) ? '700' : tracefs ? '750' : '755';
          if (mode !== want) bad.push(`${line} (want mode ${want})`);
        } else if (type === 'f') {
          if (!['444', '644', '600', '400', '200', ...(tracefs ? ['640', '440'] : [])].includes(mode ?? '')) bad.push(`${line} (not a kernel mode)`);
          const debugOrProc = path.startsWith('proc/') || path.startsWith('sys/kernel/debug/') || tracefs;
          if (debugOrProc && size !== '0') bad.push(`${line} (procfs/debugfs size must be 0)`);
          if (!debugOrProc && size !== '4096' && !/\/cpulist$/.test(path)) bad.push(`${line} (sysfs size must be 4096)`);
        } else if (type !== 'l') {
          bad.push(`${line} (unexpected file type)`);
        }
      }
      expect(bad).toEqual([]);
    });

    it('write-only (0200) attributes refuse reads with EACCES even for root, as kernfs does', async () => {
      const files = (await out(String.raw`cd "$M" && find sys -type f -perm 0200`)).trim().split('\n').filter((f) => f !== '');
      for (const f of files) {
        const r = await sh(`cat "$M/${f}"`);
        expect(r.code, f).not.toBe(0);
        expect(r.stderr, f).toContain('Permission denied');
      }
    });

    it('node links point where sysfs points: nodeN/memoryM -> ../../memory/memoryM, memoryM/nodeN -> ../../node/nodeN', async () => {
      const links = await out(String.raw`cd "$M/sys/devices/system/node/node1" && for l in memory*; do readlink "$l"; readlink "../../memory/$l/node1"; done | sort -u`);
      expect(links).toMatch(/^\.\.\/\.\.\/memory\/memory\d+\n/);
      expect(links).toContain('../../node/node1\n');
    });
  });

  describe('every read is whole (direct_io), whatever the reader', () => {
    it('cat, head -c, dd bs=1, python3 and node readFileSync return the same full /proc/vmstat (~4 KB though its size is 0)', async () => {
      const f = '"$M/proc/vmstat"';
      expect(await out(`stat -c %s ${f}`)).toBe('0\n');
      const cat = await out(`cat ${f}`);
      expect(cat.length).toBeGreaterThan(3000); // the mount's self-test covers a 12 KB size-0 file
      expect(cat.endsWith('\n')).toBe(true);
      // virtual clock: nothing ticks between the reads, so every reader sees the same bytes
      expect(await out(`head -c 100000 ${f}`)).toBe(cat);
      expect(await out(`dd if=${f} bs=1 status=none`)).toBe(cat);
      expect(await out(`python3 -c 'import sys; sys.stdout.write(open(sys.argv[1]).read())' ${f}`)).toBe(cat);
      expect(await out(`node -e 'process.stdout.write(require("fs").readFileSync(process.argv[1], "latin1"))' ${f}`)).toBe(cat);
      expect(await out(`python3 -c 'import sys; print(len(open(sys.argv[1]).read()))' ${f}`)).toBe(`${cat.length}\n`);
    });

    it('a 1-byte-at-a-time read of a sysfs file and of /proc/iomem matches cat', async () => {
      for (const f of ['proc/iomem', 'proc/meminfo', 'sys/devices/system/node/node0/meminfo']) {
        const cat = await out(`cat "$M/${f}"`);
        expect(cat.length, f).toBeGreaterThan(0);
        expect(await out(`dd if="$M/${f}" bs=1 status=none`), f).toBe(cat);
      }
    });
  });

  describe('writes: one store per write(2), errors as bash prints them, O_TRUNC ignored', () => {
    it.each([
      ['proc/sys/kernel/numa_balancing', 'bad'],
      ['proc/sys/kernel/numa_balancing', '5'],
      ['sys/kernel/mm/numa/demotion_enabled', 'maybe'],
      ['sys/devices/system/node/node0/migration_path', 'bad'],
      ['sys/devices/system/memory/memory0/state', 'bad'],
    ])('echo %s <- %s fails with "write error: Invalid argument" and changes nothing', async (path, value) => {
      const before = await out(`cat "$M/${path}"`);
      const r = await sh(`echo ${value} > "$M/${path}"`);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^bash: line \d+: echo: write error: Invalid argument\n$/);
      expect(await out(`cat "$M/${path}"`)).toBe(before);
    });

    it('O_TRUNC on open is a no-op: `: > file` keeps the value, `echo 3 > file` stores 3', async () => {
      const f = '"$M/proc/sys/kernel/numa_balancing"';
      const before = await out(`cat ${f}`);
      expect(await out(`: > ${f}; cat ${f}`)).toBe(before);
      expect(await out(`echo 3 > ${f}; cat ${f}`)).toBe('3\n');
      expect(await out(`printf 0 > ${f}; cat ${f}`)).toBe('0\n');
      expect(await out(`python3 -c 'open("'"$M"'/sys/kernel/mm/numa/demotion_enabled", "w").write("1")'; cat "$M/sys/kernel/mm/numa/demotion_enabled"`)).toBe('true\n');
      await out(`echo ${before.trim()} > ${f}; echo 0 > "$M/sys/kernel/mm/numa/demotion_enabled"`);
    });
  });

  describe('writes over FUSE max_write (128 KiB) arrive split', () => {
    /** One write(2) of `text` padded with spaces to `total` bytes; prints its result or errno name. */
    const writeOnce = (path: string, text: string, total: number) =>
      out(`python3 - "$M/${path}" ${total} <<'EOF'
import errno, os, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
try:
    print(os.write(fd, ${JSON.stringify(text)}.encode().ljust(int(sys.argv[2]), b' ')))
except OSError as e:
    print(errno.errorcode[e.errno])
EOF`);
    const procs = async () => (await out('ls "$M/sim/processes" | wc -l')).trim();

    it('a whole-buffer file (sim/spawn) refuses a 200 KiB write with EINVAL and spawns nothing', async () => {
      const before = await procs();
      expect(await writeOnce('sim/spawn', 'idle size=4M', 200 * 1024)).toBe('EINVAL\n');
      expect(await procs()).toBe(before);
    });

    it('a write of up to 124 KiB reaches sim/spawn whole', async () => {
      const before = Number(await procs());
      expect(await writeOnce('sim/spawn', 'idle size=4M', 128 * 1024 - 4096)).toBe(`${128 * 1024 - 4096}\n`);
      expect(Number(await procs())).toBe(before + 1);
    });

    it('DAMON target_ids refuses a 200 KiB write with EINVAL and keeps its targets', async () => {
      const f = 'sys/kernel/debug/damon/target_ids';
      const before = await out(`cat "$M/${f}"`);
      expect(await writeOnce(f, 'paddr', 200 * 1024)).toBe('EINVAL\n');
      expect(await out(`cat "$M/${f}"`)).toBe(before);
    });

    it('a sysfs store takes one page and returns a short write, as kernfs_fop_write_iter does', async () => {
      expect(await writeOnce('sim/migrate_flow', 'unbatched', 200 * 1024)).toBe('4096\n');
      expect(await out('cat "$M/sim/migrate_flow"')).toBe('batched [unbatched]\n');
      await out('echo batched > "$M/sim/migrate_flow"');
    });
  });

  describe('cross-file invariants', () => {
    it('node MemTotal sums to /proc/meminfo MemTotal (and MemFree likewise)', async () => {
      const script = String.raw`
        cd "$M"
        for k in MemTotal MemFree; do
          nodes=$(cat sys/devices/system/node/node*/meminfo | awk -v k="$k:" '$3 == k { s += $4 } END { print s }')
          total=$(awk -v k="$k:" '$1 == k { print $2 }' proc/meminfo)
          echo "$k $nodes $total"
        done`;
      for (const line of (await out(script)).trim().split('\n')) {
        const [key, nodes, total] = line.split(' ');
        expect(Number(nodes), `${key}: ${line}`).toBeGreaterThan(0);
        expect(nodes, `${key}: ${line}`).toBe(total);
      }
    });

    it('online ⊆ possible; has_memory, has_normal_memory, has_cpu ⊆ online and agree with the nodes', async () => {
      const script = String.raw`
        cd "$NODE"
        for n in $(online_nodes); do in_list "$n" "$(cat possible)" || echo "online node $n not possible"; done
        for f in has_memory has_normal_memory has_cpu; do
          for n in $(expand_list "$(cat $f)"); do in_list "$n" "$(cat online)" || echo "$f: node $n is not online"; done
        done
        for n in $(online_nodes); do
          if [ "$(node_kb $n MemTotal)" -gt 0 ]; then has=1; else has=0; fi
          if in_list $n "$(cat has_memory)"; then listed=1; else listed=0; fi
          [ $has = $listed ] || echo "node$n: MemTotal $(node_kb $n MemTotal) kB but has_memory=$(cat has_memory)"
          if [ -n "$(cat node$n/cpulist)" ]; then has=1; else has=0; fi
          if in_list $n "$(cat has_cpu)"; then listed=1; else listed=0; fi
          [ $has = $listed ] || echo "node$n: cpulist '$(cat node$n/cpulist)' but has_cpu=$(cat has_cpu)"
        done
        echo "has_memory=$(cat has_memory) has_normal_memory=$(cat has_normal_memory) has_cpu=$(cat has_cpu)"`;
      // cxl-2node: node1 is CPU-less CXL memory onlined movable.
      expect(await out(script)).toBe('has_memory=0-1 has_normal_memory=0 has_cpu=0\n');
    });

    it('per node, memoryM links x block_size_bytes equals the preset node size (16 GiB each)', async () => {
      const script = String.raw`
        for n in $(online_nodes); do echo "node$n $(( $(node_blocks $n | wc -l) * $(block_size) ))"; done`;
      expect(await out(script)).toBe(`node0 ${16 * GiB}\nnode1 ${16 * GiB}\n`);
    });

    it('System RAM ranges in /proc/iomem lie in the memory blocks and cover every block (block 0 has the firmware holes)', async () => {
      // Per block, the bytes of System RAM inside it: every block but block 0 (real-mode holes,
      // BIOS ROMs) must be fully System RAM, and no System RAM may fall outside the blocks.
      const script = String.raw`
        bs=$(block_size) && [ "$bs" -gt 0 ] || exit 1
        blocks=$(ls "$MEM" | sed -n 's/^memory\([0-9][0-9]*\)$/\1/p' | tr '\n' ' ')
        sed -n 's/^ *\([0-9a-f]*\)-\([0-9a-f]*\) : System RAM\( (kmem)\)\{0,1\}$/\1 \2/p' "$PROC/iomem" |
          while read -r s e; do echo "$((16#$s)) $((16#$e))"; done |
          awk -v bs=$bs -v blocks="$blocks" '
            { for (b = int($1 / bs); b <= int($2 / bs); b++) {
                lo = $1 > b * bs ? $1 : b * bs; hi = $2 < (b + 1) * bs - 1 ? $2 : (b + 1) * bs - 1
                ram[b] += hi - lo + 1 } }
            END { nb = split(blocks, list, " ")
                  for (i = 1; i <= nb; i++) { b = list[i]; seen[b] = 1
                    if (b == 0 && ram[b] <= 0) print "block 0 has no System RAM"
                    if (b != 0 && ram[b] != bs) printf "block %d: %d of %d bytes are System RAM\n", b, ram[b], bs }
                  for (b in ram) if (!(b in seen)) printf "System RAM in block %d, which does not exist\n", b
                  n = 0; for (b in seen) n++; print "blocks=" n }'`;
      expect(await out(script)).toBe(`blocks=${(32 * GiB) / (128 * 2 ** 20)}\n`);
    });

    it('offlining a CXL block takes exactly block_size/1024 kB out of node1 and /proc/meminfo; onlining puts it back', async () => {
      const script = String.raw`
        set -e
        blk=$(node_blocks 1 | tail -1)
        state=$MEM/memory$blk/state
        t0=$(node_kb 1 MemTotal); s0=$(meminfo_kb MemTotal)
        echo "state $(cat $state)"
        echo offline > $state
        echo "state $(cat $state) online=$(cat $MEM/memory$blk/online)"
        echo "node1 drop $((t0 - $(node_kb 1 MemTotal))) system drop $((s0 - $(meminfo_kb MemTotal))) want $(( $(block_size) / 1024 ))"
        echo offline > $state 2>/dev/null || echo "offline again refused"
        echo online > $state
        echo "state $(cat $state) node1 back $(( $(node_kb 1 MemTotal) == t0 )) system back $(( $(meminfo_kb MemTotal) == s0 ))"`;
      const kb = (128 * 2 ** 20) / 1024;
      expect(await out(script)).toBe(
        `state online\nstate offline online=0\nnode1 drop ${kb} system drop ${kb} want ${kb}\noffline again refused\nstate online node1 back 1 system back 1\n`,
      );
    });
  });
});
