// /sys/kernel/debug/damon (spec/kernel-files.md §1): the debugfs interface of DAMON. The
// default ABI is the 2020 patch series (attrs, pids, init_regions, record, schemes,
// monitor_on) united with the later generation's names (target_ids, kdamond_pid,
// mk_contexts, rm_contexts): the paddr target answers to both `-1` (pids) and `42`
// (target_ids) and reads back in the form of the file that last set the targets.
// `--damon-abi 2020|5.15|5.18` presents one generation exactly. Files parse and format only;
// the monitoring is core.ts. Every number is read with the kernel's sscanf (lib/sscanf.ts), in
// the conversion each generation's dbgfs used, so over-range input gets the kernel's answer:
// %lu wraps modulo 2^64 and %d/%u keep the low 32 bits (sscanf never fails on overflow), and
// unsigned longs read back exactly up to ULONG_MAX.
import { EACCES, EBUSY, EEXIST, EINVAL, ENAMETOOLONG, ENOENT, ENOMEM, EPERM, StaticDir, debugfsFile, subdir, type KFile } from '../../../kernfs/index.js';
import type { Kernel } from '../../kernel.js';
import { sscanf, sscanfEach } from '../../lib/sscanf.js';
import { debugfsRoot } from '../../sched/numa_balancing.js';
import { DAMOS_ACTIONS, DamonCtx, DamonTarget, newScheme, type DamonAttrs, type DamosScheme } from './core.js';
import { paddrOps } from './paddr.js';
import { vaddrOps } from './vaddr.js';

export type DamonAbi = 'union' | '2020' | '5.15' | '5.18';
export const DAMON_ABIS: readonly DamonAbi[] = ['union', '2020', '5.15', '5.18'];

/** The paddr target's id in target_ids (mainline's dbgfs shows 42). */
export const PADDR_TARGET_ID = 42;
const MAX_TARGETS = 32;
const MAX_SCHEMES = 256;
const RBUF_MAX = 4 * 1024 * 1024;
const RBUF_MIN = 1024;
const PATH_MAX = 256;
/** NAME_MAX: simple_lookup refuses longer names with ENAMETOOLONG. */
const NAME_MAX = 255;

/** One DAMON context as the debugfs files see it. */
interface DbgfsCtx {
  readonly ctx: DamonCtx;
  /** Which file set the current targets: decides how paddr's id reads back. */
  idForm: 'pids' | 'target_ids';
}

export class DamonDbgfs {
  readonly contexts = new Map<string, DbgfsCtx>();
  readonly dir: StaticDir;
  /** Other front ends' "a kdamond runs" (sysfs.ts): debugfs starts exclusively (damon_start). */
  readonly otherRunning: Array<() => boolean> = [];

  constructor(
    readonly k: Kernel,
    readonly abi: DamonAbi,
  ) {
    this.dir = subdir(debugfsRoot(k), 'damon', 0o755);
    this.dir.volatile = true; // rm_contexts deletes context directories
    this.contexts.set('', this.newCtx());
  }

  get defaultCtx(): DamonCtx {
    return this.contexts.get('')!.ctx;
  }

  /** Any context's kdamond running (monitor_on's view). */
  get running(): boolean {
    for (const c of this.contexts.values()) if (c.ctx.running) return true;
    return false;
  }

  newCtx(): DbgfsCtx {
    const defaults: DamonAttrs = { sampleUs: 5000n, aggrUs: 100_000n, updateUs: this.abi === '5.18' || this.abi === '5.15' ? 60_000_000n : 1_000_000n, minNrRegions: 10n, maxNrRegions: 1000n };
    const record = this.abi === '2020' || this.abi === 'union' ? { len: 1048576, path: '/damon.data' } : { len: 0, path: 'none' };
    const ctx = new DamonCtx(this.k, vaddrOps(this.k), defaults, record);
    // dbgfs_before_terminate: when the kdamond ends, pid targets are put and destroyed, so
    // target_ids (and pids) read an empty line; the paddr target stays (mm/damon/dbgfs.c).
    ctx.beforeTerminate = (c) => {
      if (c.ops.name === 'vaddr') c.targets = [];
    };
    const idForm = this.abi === '2020' ? 'pids' : 'target_ids';
    ctx.recfmtVersion = idForm === 'pids' ? 1 : 2;
    return { ctx, idForm };
  }
}

const dbgfsOf = new WeakMap<Kernel, DamonDbgfs>();

/** The DAMON debugfs state of a kernel. */
export function damonDbgfs(k: Kernel): DamonDbgfs {
  const d = dbgfsOf.get(k);
  if (!d) throw EINVAL; // registerDamonDbgfs not called: a boot-order bug
  return d;
}

/** The pids a target write names: `fmt` per number (ending in %n), at most 32, as C ints. */
function scanPids(input: string, fmt: string): number[] {
  // (int) of what was parsed: dbgfs hands the value to find_get_pid() as an int.
  return sscanfEach(input, fmt, 1, MAX_TARGETS).map(([v]) => Number(BigInt.asIntN(32, v as bigint)));
}

function isTargetPid(k: Kernel, pid: number): boolean {
  const p = k.tasks.get(pid);
  return (p !== undefined && p.alive) || (k.hostProcs?.alive(pid) ?? false);
}

function contextFiles(d: DamonDbgfs, c: DbgfsCtx): Record<string, KFile> {
  const { k, abi } = d;
  const ctx = c.ctx;
  const file = (show: (() => string) | undefined, store: ((input: string) => void) | undefined): KFile =>
    debugfsFile({ mode: 0o600, show, store, rejectOffsetWrite: true });
  const isPaddr = () => ctx.ops.name === 'paddr';
  const paddrId = () => (c.idForm === 'pids' ? -1 : PADDR_TARGET_ID);

  const setPaddr = (form: DbgfsCtx['idForm']) => {
    c.idForm = form;
    ctx.recfmtVersion = form === 'pids' ? 1 : 2;
    ctx.ops = paddrOps(k);
    ctx.targets = [new DamonTarget(form === 'pids' ? -1 : PADDR_TARGET_ID)];
  };
  const setVaddr = (form: DbgfsCtx['idForm'], pids: number[]) => {
    c.idForm = form;
    ctx.recfmtVersion = form === 'pids' ? 1 : 2;
    ctx.ops = vaddrOps(k);
    ctx.targets = pids.map((p) => new DamonTarget(p));
  };
  const targetsText = () => `${ctx.targets.map((t) => (isPaddr() ? paddrId() : t.id)).join(' ')}\n`;

  const files: Record<string, KFile> = {};

  files.attrs = file(
    () => {
      const a = ctx.attrs;
      return `${a.sampleUs} ${a.aggrUs} ${a.updateUs} ${a.minNrRegions} ${a.maxNrRegions}\n`;
    },
    (input) => {
      const r = sscanf(input, '%lu %lu %lu %lu %lu');
      if (r.n !== 5) throw EINVAL; // sscanf found fewer than five numbers
      const [sampleUs, aggrUs, updateUs, minNrRegions, maxNrRegions] = r.values as bigint[];
      if (ctx.running) throw EBUSY; // the context is monitoring
      if (minNrRegions! < 3n) throw EINVAL; // min_nr_regions < 3
      if (minNrRegions! > maxNrRegions!) throw EINVAL; // min_nr_regions > max_nr_regions
      if (abi === '5.18' && sampleUs! > aggrUs!) throw EINVAL; // damon_set_attrs: sample > aggr
      ctx.attrs = { sampleUs: sampleUs!, aggrUs: aggrUs!, updateUs: updateUs!, minNrRegions: minNrRegions!, maxNrRegions: maxNrRegions! };
    },
  );

  if (abi === 'union' || abi === '2020') {
    files.pids = file(
      targetsText,
      (input) => {
        if (ctx.running) throw EINVAL; // 2020: pids refuses with EINVAL while monitoring
        if (input === 'paddr\n' || input === 'paddr') {
          setPaddr('pids');
          return;
        }
        const pids = scanPids(input, '%d%n'); // 2020 str_to_pids: sscanf(&str[pos], "%d%n")
        if (pids.length === 0) throw ENOMEM; // the 2020 parser's quirk: no number parsed is ENOMEM
        setVaddr('pids', pids);
      },
    );
  }

  if (abi !== '2020') {
    files.target_ids = file(targetsText, (input) => {
      if (ctx.running) throw EBUSY; // the context is monitoring
      if (input.length > 0 && 'paddr\n'.startsWith(input)) {
        setPaddr('target_ids'); // compares only the bytes written: "paddr", "paddr\n"
        return;
      }
      // 5.16 str_to_target_ids reads "%lu%n" (so "-1" ends the list); 5.18 str_to_pids "%d%n".
      const pids = scanPids(input, abi === '5.18' ? '%d%n' : '%lu%n');
      for (const pid of pids) if (!isTargetPid(k, pid)) throw abi === '5.18' ? ENOMEM : EINVAL; // no such process
      setVaddr('target_ids', pids);
    });
  }

  files.init_regions = file(
    () => {
      if (ctx.running) throw EBUSY; // reading while monitoring
      let out = '';
      ctx.targets.forEach((t, idx) => {
        const id = abi === '5.18' ? idx : isPaddr() ? paddrId() : t.id;
        for (const [a, b] of t.initRegions) out += `${id} ${a} ${b}\n`;
      });
      return out;
    },
    (input) => {
      if (ctx.running) throw EBUSY; // the context is monitoring
      // set_init_regions: clear every region, then add "<target> <start> <end>" triples until one
      // fails to parse; any error clears every region again. The target is "%lu" (an id) in
      // 5.16 and "%d" in the 2020 series (a pid, -1 for paddr) and 5.18 (an index).
      for (const t of ctx.targets) t.initRegions = [];
      const triples = sscanfEach(input, abi === '5.15' ? '%lu %lu %lu%n' : '%d %lu %lu%n', 3);
      try {
        for (const [idv, start, end] of triples as [bigint, bigint, bigint][]) {
          if (start >= end) throw EINVAL; // add_init_region: start >= end
          const matching = ctx.targets.filter((t, idx) => {
            if (abi === '5.18') return BigInt(idx) === BigInt.asUintN(64, idv); // the index, compared as unsigned long
            if (!isPaddr()) return BigInt(t.id) === idv;
            return abi === 'union' ? idv === -1n || idv === BigInt(PADDR_TARGET_ID) : idv === BigInt(paddrId());
          });
          if (matching.length === 0) throw EINVAL; // not a current target
          for (const target of matching) {
            const prev = target.initRegions[target.initRegions.length - 1];
            if (prev && prev[1] > start) throw EINVAL; // overlaps or is before the previous region
            target.initRegions.push([start, end]);
          }
        }
      } catch (err) {
        for (const t of ctx.targets) t.initRegions = [];
        throw err;
      }
    },
  );

  if (abi === 'union' || abi === '2020') {
    files.record = file(
      () => `${ctx.rbufLen} ${ctx.rbufPath}\n`,
      (input) => {
        const r = sscanf(input, '%u %s');
        if (r.n !== 2) throw EINVAL; // "%u %s" needs both
        const len = Number(r.values[0] as bigint);
        const path = r.values[1] as string;
        if (len > RBUF_MAX) throw EINVAL; // rbuf_len above 4 MiB
        if (len !== 0 && len < RBUF_MIN) throw EINVAL; // a non-zero rbuf_len below 1024
        if (path.length >= PATH_MAX) throw EINVAL; // path of 256 characters or more
        if (ctx.running) throw EBUSY; // the context is monitoring
        ctx.rbufLen = len;
        ctx.rbufPath = path;
      },
    );
  }

  const fields = abi === '5.15' || abi === '5.18' ? 18 : 7;
  // str_to_schemes: "%lu" for sizes, quotas and watermark values, "%u" for the rest.
  const schemeFmt = fields === 18 ? '%lu %lu %u %u %u %u %u %lu %lu %lu %u %u %u %u %lu %lu %lu %lu%n' : '%lu %lu %u %u %u %u %u%n';
  files.schemes = file(
    () => ctx.schemes.map((s) => formatScheme(s, abi)).join(''),
    (input) => {
      if (ctx.running) throw EBUSY; // the context is monitoring
      const schemes: DamosScheme[] = [];
      for (const line of sscanfEach(input, schemeFmt, fields, MAX_SCHEMES + 1)) {
        const v = line as bigint[];
        const u = (i: number) => Number(v[i]!); // an unsigned int field
        if (u(6) >= DAMOS_ACTIONS.length) throw EINVAL; // damos_action_valid: unknown action
        if (fields === 18) {
          if (v[0]! > v[1]! || v[2]! > v[3]! || v[4]! > v[5]!) throw EINVAL; // min above max
          if (u(13) !== 0 && u(13) !== 1) throw EINVAL; // unknown watermark metric
          if (!(v[15]! >= v[16]! && v[16]! >= v[17]!)) throw EINVAL; // watermarks need high >= mid >= low
        }
        schemes.push(
          newScheme({
            minSz: v[0]!, maxSz: v[1]!, minNrAccesses: u(2), maxNrAccesses: u(3), minAge: u(4), maxAge: u(5), action: DAMOS_ACTIONS[u(6)]!,
            ...(fields === 18
              ? {
                  quota: { ms: v[7]!, sz: v[8]!, resetIntervalMs: v[9]!, weightSz: u(10), weightNrAccesses: u(11), weightAge: u(12) },
                  wmarks: { metric: u(13), intervalUs: v[14]!, high: v[15]!, mid: v[16]!, low: v[17]! },
                }
              : {}),
          }),
        );
        if (schemes.length > MAX_SCHEMES) throw EINVAL; // more than 256 schemes
      }
      ctx.schemes = schemes;
    },
  );

  if (abi !== '2020') {
    // kdamond_pid has no write method: the VFS answers EINVAL.
    files.kdamond_pid = file(() => (ctx.kdamondPid === undefined ? 'none\n' : `${ctx.kdamondPid}\n`), undefined);
  }
  return files;
}

function formatScheme(s: DamosScheme, abi: DamonAbi): string {
  const p = `${s.minSz} ${s.maxSz} ${s.minNrAccesses} ${s.maxNrAccesses} ${s.minAge} ${s.maxAge} ${(DAMOS_ACTIONS as readonly string[]).indexOf(s.action)}`;
  // Before 5.17's tried/applied split, the two stats (stat_count, stat_sz) counted every region
  // the scheme was applied to, whatever the action did: the tried counters.
  if (abi === 'union' || abi === '2020') return `${p} ${s.stats.nrTried} ${s.stats.szTried}\n`;
  const q = s.quota;
  const w = s.wmarks;
  const mid = ` ${q.ms} ${q.sz} ${q.resetIntervalMs} ${q.weightSz} ${q.weightNrAccesses} ${q.weightAge} ${w.metric} ${w.intervalUs} ${w.high} ${w.mid} ${w.low}`;
  if (abi === '5.15') return `${p}${mid} ${s.stats.nrTried} ${s.stats.szTried}\n`;
  const st = s.stats;
  return `${p}${mid} ${st.nrTried} ${st.szTried} ${st.nrApplied} ${st.szApplied} ${st.qtExceeds}\n`;
}

function populate(dir: StaticDir, files: Record<string, KFile>): void {
  for (const [name, f] of Object.entries(files)) dir.set(name, f);
}

/**
 * The context name a mk_contexts/rm_contexts write gives: sscanf(kbuf, "%s"), so the first
 * word, ending at whitespace or a NUL. Whitespace alone still converts, to an empty name.
 * @returns the name as bytes (one latin1 character each)
 * @throws EINVAL when nothing converts (the input starts with a NUL), EBUSY while any context runs
 */
function contextName(d: DamonDbgfs, input: string): string {
  const r = sscanf(input, '%s');
  if (r.n !== 1) throw EINVAL; // sscanf(kbuf, "%s", ctx_name) != 1
  if (d.running) throw EBUSY; // damon_nr_running_ctxs(): contexts change only while nothing runs
  return r.values[0] as string;
}

/**
 * The directory entry for name bytes: their UTF-8 text, as FUSE hands paths to the tree.
 * Bytes that are not UTF-8 cannot be named through FUSE (fuse-native decodes paths as UTF-8).
 */
function entryName(bytes: string): string | undefined {
  const text = Buffer.from(bytes, 'latin1').toString('utf8');
  return Buffer.from(text, 'utf8').toString('latin1') === bytes ? text : undefined;
}

/**
 * debugfs_create_dir(name, root)'s answer for a new context directory (dbgfs_mk_context checks
 * its IS_ERR since the 2022 fix "dbgfs: avoid duplicate context directory creation").
 * @returns the directory entry name
 * @throws EACCES, ENAMETOOLONG, EINVAL, EEXIST
 */
function newContextEntry(d: DamonDbgfs, bytes: string): string {
  // lookup_one_common (fs/namei.c): an empty name, "." and "..", or a '/' in it are EACCES.
  if (bytes === '' || bytes === '.' || bytes === '..' || bytes.includes('/')) throw EACCES;
  if (bytes.length > NAME_MAX) throw ENAMETOOLONG; // simple_lookup: d_name.len > NAME_MAX
  const name = entryName(bytes);
  if (name === undefined) throw EINVAL; // a FUSE limit: not UTF-8, so no path could reach it
  if (d.dir.lookup(name) !== undefined) throw EEXIST; // start_creating: a positive dentry (file or context)
  return name;
}

export function registerDamonDbgfs(k: Kernel): void {
  const d = new DamonDbgfs(k, k.damonAbi);
  dbgfsOf.set(k, d);
  populate(d.dir, contextFiles(d, d.contexts.get('')!));

  const startAll = () => {
    for (const c of d.contexts.values()) if (c.ctx.targets.length === 0) throw EINVAL; // a context without targets
    for (const c of d.contexts.values()) c.ctx.start(k.tasks.allocPid());
  };
  d.dir.set(
    'monitor_on',
    debugfsFile({
      mode: 0o600,
      rejectOffsetWrite: true,
      show: () => (d.running ? 'on\n' : 'off\n'),
      store: (input) => {
        const word = input.trim().split(/\s+/)[0] ?? '';
        if (word === 'on') {
          if (d.running) throw EBUSY; // already monitoring
          if (d.otherRunning.some((r) => r())) throw EBUSY; // exclusive damon_start while sysfs DAMON runs
          startAll();
        } else if (word === 'off') {
          if (!d.running) throw EPERM; // nothing to stop
          for (const c of d.contexts.values()) c.ctx.stop();
        } else {
          throw EINVAL; // neither on nor off
        }
      },
    }),
  );
  if (k.damonAbi === '2020') return;

  d.dir.set(
    'mk_contexts',
    debugfsFile({
      mode: 0o600,
      rejectOffsetWrite: true,
      store: (input) => {
        const name = newContextEntry(d, contextName(d, input));
        const c = d.newCtx();
        d.contexts.set(name, c);
        const sub = new StaticDir({}, 0o755);
        populate(sub, contextFiles(d, c));
        d.dir.set(name, sub);
      },
    }),
  );
  d.dir.set(
    'rm_contexts',
    debugfsFile({
      mode: 0o600,
      rejectOffsetWrite: true,
      store: (input) => {
        const bytes = contextName(d, input);
        // debugfs_lookup() finds no dentry for a name lookup_one_common refuses: ENOENT.
        const name = bytes === '' || bytes === '.' || bytes === '..' || bytes.includes('/') ? undefined : entryName(bytes);
        const node = name === undefined ? undefined : d.dir.lookup(name);
        if (name === undefined || node === undefined) throw ENOENT; // no such context
        if (!d.contexts.has(name) || name === '') throw EINVAL; // exists but is not a context directory
        d.contexts.delete(name);
        d.dir.delete(name);
      },
    }),
  );
}
