// 32 concurrent bash loops reading and writing through one mount: no error other than the
// kernel's own rules (EINVAL, EBUSY), no hang, no crash, and the server still serves at the end.
// Duration: TIERSIM_STRESS_SECONDS, default 60 s under CI=true, else 10 s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_FUSE, NO_FUSE_REASON, bash, libEnv, startMount, stopMount, type Server } from './helpers.js';

const SECONDS = Number(process.env.TIERSIM_STRESS_SECONDS ?? (process.env.CI === 'true' ? 60 : 10));
const LOOPS = 32;

/**
 * One worker. Every command's stderr is collected; the parent then accepts only bash's
 * "write error: Invalid argument" / "Device or resource busy". Whole-read checks: meminfo
 * starts with MemTotal, vmstat has the same line count every time, iomem ends with a newline.
 */
const WORKER = String.raw`
source "$LIB"
w=$WORKER
blocks=($(node_blocks 1))
nblocks=$(node_blocks 1 | wc -l)
[ "$nblocks" -ge 4 ] || { echo "node1 has $nblocks memory blocks, want at least 4" >&2; exit 1; }
nb=$(cat "$PROC/vmstat" | wc -l)
ops=0
end=$(( $(date +%s) + DURATION )) # after the set-up, which is slow with 32 workers starting at once
while [ "$(date +%s)" -lt "$end" ]; do
  case $(( (ops + w) % 10 )) in
    0) echo $(( RANDOM % 6 )) > "$KSYSCTL/numa_balancing" ;;
    1) echo $(( RANDOM % 3 - 1 )) > "$NODE/node$(( RANDOM % 2 ))/migration_path" ;;
    2) echo $(( RANDOM % 2 )) > "$MMNUMA/demotion_enabled" ;;
    3) b=$(( RANDOM % 4 )); blk=$(( blocks[b] )); echo offline > "$MEM/memory$blk/state" ;;
    4) b=$(( RANDOM % 4 )); blk=$(( blocks[b] )); echo online > "$MEM/memory$blk/state" ;;
    5) n=$(cat "$PROC/vmstat" | wc -l); [ "$n" = "$nb" ] || echo "vmstat read $n lines, not $nb" >&2 ;;
    6) head -c 9 "$PROC/meminfo" | grep -q '^MemTotal:' || echo "meminfo did not start with MemTotal" >&2 ;;
    7) [ "$(tail -c 1 "$PROC/iomem" | od -An -c | tr -d ' ')" = '\n' ] || echo "iomem did not end with a newline" >&2 ;;
    8) cat "$NODE/node1/meminfo" "$MEM/memory$(( blocks[0] ))/state" "$KSYSCTL/numa_balancing" > /dev/null ;;
    9) cat "$DEBUGFS/sched/numa_balancing/scan_size_mb" "$NODE/has_memory" > /dev/null ;;
  esac
  ops=$((ops + 1))
done
echo "ops $ops"
`;

const ALLOWED = /^bash: line \d+: echo: write error: (Invalid argument|Device or resource busy)$/;

describe.skipIf(!HAS_FUSE)(`concurrency${HAS_FUSE ? '' : ` — ${NO_FUSE_REASON}`}`, () => {
  let server: Server;
  beforeAll(async () => {
    server = await startMount();
  });
  afterAll(async () => {
    await stopMount(server);
  });

  it(
    `${LOOPS} bash loops reading and writing for ${SECONDS} s: only EINVAL/EBUSY, no hang, server alive`,
    async () => {
      const workers = Array.from({ length: LOOPS }, (_, w) =>
        bash(WORKER, { env: { ...libEnv(server.dir), WORKER: String(w), DURATION: String(SECONDS) }, timeoutMs: (SECONDS + 60) * 1000 }),
      );
      const results = await Promise.all(workers);
      // unexpected stderr lines, deduplicated (worker and line numbers stripped) with counts
      const unexpected = new Map<string, number>();
      const report = (line: string) => {
        const key = line.replace(/^bash: line \d+: /, 'bash: ');
        unexpected.set(key, (unexpected.get(key) ?? 0) + 1);
      };
      let ops = 0;
      let kernelErrors = 0;
      for (const r of results) {
        if (r.code !== 0) report(`a worker exited ${r.code ?? r.signal}`);
        ops += Number(r.stdout.match(/^ops (\d+)$/m)?.[1] ?? 0);
        for (const line of r.stderr.split('\n').filter((l) => l !== '')) {
          if (ALLOWED.test(line)) kernelErrors++;
          else report(line);
        }
      }
      expect([...unexpected].map(([line, n]) => `${n} x ${line}`).slice(0, 20)).toEqual([]);
      expect(ops).toBeGreaterThan(LOOPS * 10);
      expect(kernelErrors).toBeGreaterThan(0); // numa_balancing=5 and repeated states do fail
      // Still alive and serving, with the invariants intact.
      expect(server.alive).toBe(true);
      const after = await bash(
        String.raw`source "$LIB"; for b in $(node_blocks 1); do [ "$(cat $MEM/memory$b/state)" = online ] || echo online > $MEM/memory$b/state; done
          total=0; for n in $(online_nodes); do total=$((total + $(node_kb $n MemTotal))); done
          [ "$total" = "$(meminfo_kb MemTotal)" ] && echo consistent`,
        { env: libEnv(server.dir) },
      );
      expect(after.stderr).toBe('');
      expect(after.stdout).toBe('consistent\n');
    },
    (SECONDS + 90) * 1000,
  );
});
