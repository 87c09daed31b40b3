// Integration-test helpers: start `tiersim mount` as a child process (fuse-native serves on its
// main thread, so the serving process must never be the one reading), wait for `mounted at`,
// and run bash against the mount the way a user would.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll } from 'vitest';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const TIERSIM = join(REPO, 'bin/tiersim.js');
/** The bash harness's helpers (expand_list, node_kb, block_size, ...); scripts `source "$LIB"`. */
export const SHELL_LIB = join(REPO, 'test/shell/lib.sh');

/** Environment for a script that sources the harness library against mount `dir`. */
export function libEnv(dir: string): Record<string, string> {
  return { M: dir, LIB: SHELL_LIB, TIERSIM_ROOT: dir, TIERSIM_ALLOW_WRITES: '1' };
}

/** Integration tests need a real FUSE mount; the only reason to skip them. */
export const HAS_FUSE = existsSync('/dev/fuse');
export const NO_FUSE_REASON = 'skipped: /dev/fuse is absent (this container has no FUSE), so nothing can be mounted';

if (HAS_FUSE && !existsSync(join(REPO, 'dist/cli/main.js'))) {
  throw new Error("tiersim is not built: run 'npm run build' (npm test does it) before the integration tests");
}

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly env?: Record<string, string>;
  readonly timeoutMs?: number;
  readonly cwd?: string;
  readonly input?: string;
}

/** Run a program to completion; never rejects on a non-zero exit (the result says). */
export function run(file: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: opts.cwd ?? REPO,
      env: { ...process.env, ...opts.env },
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('latin1').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('latin1').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out after ${opts.timeoutMs ?? 20_000} ms: ${file} ${args.join(' ')}\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 20_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    if (opts.input !== undefined) {
      child.stdin?.on('error', () => {}); // a child that exits without reading its input is not an error
      child.stdin?.end(opts.input);
    }
  });
}

/** `bash -c script`, with the mount (and anything else) passed in the environment, never spliced. */
export function bash(script: string, opts: RunOptions = {}): Promise<RunResult> {
  return run('bash', ['-c', script], opts);
}

/** The command prefix that runs a program as `nobody` (setpriv if present, else su). */
export function asNobody(script: string): [string, string[]] {
  if (existsSync('/usr/bin/setpriv') || existsSync('/bin/setpriv')) {
    return ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'bash', '-c', script]];
  }
  return ['su', ['nobody', '-s', '/bin/bash', '-c', script]];
}

/** Is `dir` a mount point right now (any filesystem)? From /proc/self/mountinfo. */
export function isMounted(dir: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((line) => line.split(' ')[4] === dir);
}

/** A tiersim server running in a child process. */
export class Server {
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly dir: string,
    readonly proc: ChildProcess,
  ) {
    proc.stdout?.setEncoding('utf8').on('data', (d: string) => (this.stdout += d));
    proc.stderr?.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Resolves once stdout has a line with `mounted at DIR`; rejects if the server exits first. */
  ready(timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no 'mounted at' within ${timeoutMs} ms\nstdout: ${this.stdout}\nstderr: ${this.stderr}`)), timeoutMs);
      const check = () => {
        if (this.stdout.includes(`mounted at ${this.dir}`)) {
          clearTimeout(timer);
          resolve();
        }
      };
      this.proc.stdout?.on('data', check);
      check();
      void this.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`tiersim mount exited (code ${code}, signal ${signal}) before mounting\nstdout: ${this.stdout}\nstderr: ${this.stderr}`));
      });
    });
  }

  /**
   * Stop with `signal` and wait for the exit; SIGKILL after `timeoutMs`. Always leaves the mount
   * point unmounted (fusermount -uz as a fallback).
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.alive) this.proc.kill(signal);
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref());
    let result = await Promise.race([this.exited, timeout]);
    if (result === 'timeout') {
      this.proc.kill('SIGKILL');
      result = await this.exited;
    }
    await unmountFallback(this.dir);
    return result;
  }
}

/** `fusermount -uz DIR` if DIR is still a mount point. */
export async function unmountFallback(dir: string): Promise<void> {
  if (isMounted(dir)) await run('fusermount', ['-uz', dir], { timeoutMs: 10_000 }).catch(() => {});
}

/** A fresh temporary directory that other users can traverse (for the --allow-other tests). */
export function tempDir(prefix = 'tiersim-it-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

/** Spawn `tiersim mount DIR --clock virtual ...args` without waiting. */
export function spawnMount(dir: string, args: readonly string[] = []): Server {
  const proc = spawn(process.execPath, [TIERSIM, 'mount', dir, '--clock', 'virtual', ...args], {
    cwd: REPO,
    env: { ...process.env, DEBUG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Server(dir, proc);
}

/** Start a server on a fresh directory and wait until it serves. */
export async function startMount(args: readonly string[] = []): Promise<Server> {
  const dir = join(tempDir(), 'mnt');
  const server = spawnMount(dir, args);
  try {
    await server.ready();
  } catch (err) {
    await server.stop('SIGKILL');
    throw err;
  }
  return server;
}

/** Stop a server and remove its temporary directory. */
export async function stopMount(server: Server | undefined): Promise<void> {
  if (server === undefined) return;
  await server.stop();
  const parent = join(server.dir, '..');
  if (!isMounted(server.dir) && existsSync(parent) && statSync(parent).isDirectory()) rmSync(parent, { recursive: true, force: true });
}

/**
 * A mount for one describe block: started before its tests, stopped after them. `sh` runs bash
 * with $M set to the mount point.
 */
export function useMount(args: readonly string[] = []): { readonly dir: string; readonly server: Server | undefined; sh(script: string): Promise<RunResult> } {
  let server: Server | undefined;
  beforeAll(async () => {
    server = await startMount(args);
  });
  afterAll(async () => {
    await stopMount(server);
  });
  return {
    get dir() {
      return server?.dir ?? '';
    },
    get server() {
      return server;
    },
    sh: (script) => bash(script, { env: { M: server?.dir ?? '' }, timeoutMs: 60_000 }),
  };
}

/** Expand a kernel range list ("0-2,5") into numbers. */
export function expandList(list: string): number[] {
  const out: number[] = [];
  for (const part of list.trim().split(',').filter((p) => p !== '')) {
    const [a, b] = part.split('-').map(Number);
    if (a === undefined) continue;
    for (let i = a; i <= (b ?? a); i++) out.push(i);
  }
  return out;
}
