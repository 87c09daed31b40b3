// The kselftest-style bash harness (test/shell/run.sh) run as part of `npm test`: it starts its
// own mount, runs every script, and must report only `ok` lines.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HAS_FUSE, NO_FUSE_REASON, REPO, run } from './helpers.js';

describe.skipIf(!HAS_FUSE)(`test/shell harness${HAS_FUSE ? '' : ` — ${NO_FUSE_REASON}`}`, () => {
  it('bash test/shell/run.sh passes (TAP)', async () => {
    const env: Record<string, string> = { TIERSIM_ROOT: '', TIERSIM_ALLOW_WRITES: '', TIERSIM_FRESH: '' };
    const r = await run('bash', [join(REPO, 'test/shell/run.sh')], { env, timeoutMs: 280_000 });
    const tap = r.stdout;
    expect(tap).toMatch(/^TAP version 13\n/);
    const plan = Number(tap.match(/^1\.\.(\d+)$/m)?.[1]);
    const results = tap.split('\n').filter((l) => /^(not )?ok \d+ - /.test(l));
    expect(results.length).toBe(plan);
    expect(plan).toBeGreaterThanOrEqual(6);
    // Show the failing scripts' diagnostics in the assertion message.
    expect(results.filter((l) => l.startsWith('not ok')), tap).toEqual([]);
    expect(r.code, tap + r.stderr).toBe(0);
  }, 300_000);
});
