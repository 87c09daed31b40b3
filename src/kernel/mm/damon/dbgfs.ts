// /sys/kernel/debug/damon (spec/kernel-files.md §1): the debugfs interface of DAMON. The
// default ABI is the 2020 patch series (attrs, pids, init_regions, record, schemes,
// monitor_on) united with the later generation's names (target_ids, kdamond_pid,
// mk_contexts, rm_contexts): the paddr target answers to both `-1` (pids) and `42`
// (target_ids) and reads back in the form of the file that last set the targets.
// `--damon-abi 2020|5.15|5.18` presents one generation exactly. Files parse and format only;
// the monitoring is core.ts.
import { EBUSY, EEXIST, EINVAL, ENOENT, ENOMEM, EPERM, StaticDir, debugfsFile, subdir, type KFile } from '../../../kernfs/index.js';
import type { Kernel } from '../../kernel.js';
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
const ULONG_MAX = 2n ** 64n - 1n;

/** One DAMON context as the debugfs files see it. */
interface DbgfsCtx {
  readonly ctx: DamonCtx;
  /** Which file set the current targets: decides how paddr's id reads back. */
  idForm: 'pids' | 'target_ids';
}

export class DamonDbgfs {
  readonly contexts = new Map<string, DbgfsCtx>();
  readonly dir: StaticDir;

  constructor(
    readonly k: Kernel,
    readonly abi: DamonAbi,
  ) {
    this.dir = subdir(debugfsRoot(k), 'damon', 0o755);
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
    const defaults: DamonAttrs = { sampleUs: 5000, aggrUs: 100_000, updateUs: this.abi === '5.18' || this.abi === '5.15' ? 60_000_000 : 1_000_000, minNrRegions: 10, maxNrRegions: 1000 };
    const record = this.abi === '2020' || this.abi === 'union' ? { len: 1048576, path: '/damon.data' } : { len: 0, path: 'none' };
    return { ctx: new DamonCtx(this.k, vaddrOps(this.k), defaults, record), idForm: this.abi === '2020' ? 'pids' : 'target_ids' };
  }
}

const dbgfsOf = new WeakMap<Kernel, DamonDbgfs>();

/** The DAMON debugfs state of a kernel. */
export function damonDbgfs(k: Kernel): DamonDbgfs {
  const d = dbgfsOf.get(k);
  if (!d) throw EINVAL; // registerDamonDbgfs not called: a boot-order bug
  return d;
}

/** sscanf-style unsigned decimals from the start of `input`; stops at the first non-number. */
function scanNumbers(input: string, signed = false): number[] {
  const out: number[] = [];
  for (const tok of input.trim().split(/\s+/)) {
    if (!(signed ? /^[-+]?\d+$/ : /^\+?\d+$/).test(tok)) break;
    out.push(Number(tok));
  }
  return out;
}

/** "%lu" of a value held as number: clamp ULONG_MAX-style inputs that exceed 2^53. */
function ulong(tok: string): number | undefined {
  if (!/^\d+$/.test(tok)) return undefined;
  const v = BigInt(tok);
  if (v > ULONG_MAX) return undefined;
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
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
    ctx.ops = paddrOps(k);
    ctx.targets = [new DamonTarget(form === 'pids' ? -1 : PADDR_TARGET_ID)];
  };
  const setVaddr = (form: DbgfsCtx['idForm'], pids: number[]) => {
    c.idForm = form;
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
      const n = input.trim().split(/\s+/).slice(0, 5).map(ulong);
      if (n.length < 5 || n.some((x) => x === undefined)) throw EINVAL; // sscanf found fewer than five numbers
      const [sampleUs, aggrUs, updateUs, minNrRegions, maxNrRegions] = n as number[];
      if (ctx.running) throw EBUSY; // the context is monitoring
      if (minNrRegions! < 3) throw EINVAL; // min_nr_regions < 3
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
        const pids = scanNumbers(input, true).slice(0, MAX_TARGETS);
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
      const pids = scanNumbers(input, true).slice(0, MAX_TARGETS);
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
      for (const t of ctx.targets) t.initRegions = [];
      const toks = input.trim().split(/\s+/).filter((x) => x !== '');
      try {
        for (let i = 0; i + 3 <= toks.length; i += 3) {
          const [idTok, sTok, eTok] = toks.slice(i, i + 3) as [string, string, string];
          const start = ulong(sTok);
          const end = ulong(eTok);
          if (!/^[-+]?\d+$/.test(idTok) || start === undefined || end === undefined) break; // parsing stops here
          const id = Number(idTok);
          const target =
            abi === '5.18' ? ctx.targets[id] : isPaddr() ? ((abi === 'union' ? id === -1 || id === PADDR_TARGET_ID : id === paddrId()) ? ctx.targets[0] : undefined) : ctx.targets.find((t) => t.id === id);
          if (!target) throw EINVAL; // not a current target
          if (start >= end) throw EINVAL; // empty or inverted region
          const prev = target.initRegions[target.initRegions.length - 1];
          if (prev && prev[1] > start) throw EINVAL; // overlaps or is before the previous region
          target.initRegions.push([start, end]);
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
        const toks = input.trim().split(/\s+/);
        const len = toks[0] !== undefined && /^\d+$/.test(toks[0]) ? Number(toks[0]) : undefined;
        const path = toks[1];
        if (len === undefined || path === undefined || path === '') throw EINVAL; // "%u %s" needs both
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
  files.schemes = file(
    () => ctx.schemes.map((s) => formatScheme(s, abi)).join(''),
    (input) => {
      if (ctx.running) throw EBUSY; // the context is monitoring
      const toks = input.trim().split(/\s+/).filter((x) => x !== '');
      const schemes: DamosScheme[] = [];
      for (let i = 0; i + fields <= toks.length; i += fields) {
        const f = toks.slice(i, i + fields);
        const n = f.map((t, j) => (j === 6 || j === 13 ? (/^[-+]?\d+$/.test(t) ? Number(t) : undefined) : ulong(t)));
        if (n.some((x) => x === undefined)) break; // parsing stops at the first incomplete line
        const v = n as number[];
        if (!(v[6]! >= 0 && v[6]! < DAMOS_ACTIONS.length)) throw EINVAL; // unknown action
        if (fields === 18) {
          if (v[0]! > v[1]! || v[2]! > v[3]! || v[4]! > v[5]!) throw EINVAL; // min above max
          if (v[13]! !== 0 && v[13]! !== 1) throw EINVAL; // unknown watermark metric
          if (!(v[15]! >= v[16]! && v[16]! >= v[17]!)) throw EINVAL; // watermarks need high >= mid >= low
        }
        const scheme = newScheme({
            minSz: v[0]!, maxSz: v[1]!, minNrAccesses: v[2]!, maxNrAccesses: v[3]!, minAge: v[4]!, maxAge: v[5]!, action: DAMOS_ACTIONS[v[6]!]!,
            ...(fields === 18
              ? {
                  quota: { ms: v[7]!, sz: v[8]!, resetIntervalMs: v[9]!, weightSz: v[10]!, weightNrAccesses: v[11]!, weightAge: v[12]! },
                  wmarks: { metric: v[13]!, intervalUs: v[14]!, high: v[15]!, mid: v[16]!, low: v[17]! },
                }
              : {}),
        });
        // Numbers above 2^53 are held clamped for matching but read back as written.
        scheme.shownInputs = f.map((t) => (/^[-+]?\d+$/.test(t) ? BigInt(t).toString() : t));
        schemes.push(scheme);
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
  const shown = s.shownInputs;
  const p = shown ? shown.slice(0, 7).join(' ') : `${s.minSz} ${s.maxSz} ${s.minNrAccesses} ${s.maxNrAccesses} ${s.minAge} ${s.maxAge} ${DAMOS_ACTIONS.indexOf(s.action)}`;
  if (abi === 'union' || abi === '2020') return `${p} ${s.stats.nrApplied} ${s.stats.szApplied}\n`;
  const q = s.quota;
  const w = s.wmarks;
  const mid = shown && shown.length === 18 ? ` ${shown.slice(7).join(' ')}` : ` ${q.ms} ${q.sz} ${q.resetIntervalMs} ${q.weightSz} ${q.weightNrAccesses} ${q.weightAge} ${w.metric} ${w.intervalUs} ${w.high} ${w.mid} ${w.low}`;
  if (abi === '5.15') return `${p}${mid} ${s.stats.nrApplied} ${s.stats.szApplied}\n`;
  const st = s.stats;
  return `${p}${mid} ${st.nrTried} ${st.szTried} ${st.nrApplied} ${st.szApplied} ${st.qtExceeds}\n`;
}

function populate(dir: StaticDir, files: Record<string, KFile>): void {
  for (const [name, f] of Object.entries(files)) dir.set(name, f);
}

/**
 * The context name a mk_contexts/rm_contexts write gives: its first word.
 * @throws EINVAL for no name, EBUSY while any context runs
 */
function contextName(d: DamonDbgfs, input: string): string {
  const name = input.trim().split(/\s+/)[0] ?? '';
  if (name === '') throw EINVAL; // no name given
  if (d.running) throw EBUSY; // contexts change only while nothing runs
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
        const name = contextName(d, input);
        if (d.dir.lookup(name) !== undefined) throw EEXIST; // a file or context of that name exists
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
        const name = contextName(d, input);
        const node = d.dir.lookup(name);
        if (node === undefined) throw ENOENT; // no such context
        if (!d.contexts.has(name) || name === '') throw EINVAL; // exists but is not a context directory
        d.contexts.delete(name);
        d.dir.delete(name);
      },
    }),
  );
}
