// DAMOS ops filters judged in bulk (ops-common.ts OpsFilterWalk, forEachUserRun,
// forEachMappedRun; access_model.ts accessStretches) against a straightforward per-page
// reference: damos_pa_filter_out / damos_va_filter_out called for every folio with opsFilterOut.
// Filters other than young must pass exactly the same pages; young must give each page exactly
// the per-page law's probability, and the sampled pages must follow it.
import { describe, expect, it } from 'vitest';
import type { Kernel } from '../../../src/kernel/kernel.js';
import { PAGE_SIZE } from '../../../src/kernel/config/machine.js';
import { Prng } from '../../../src/kernel/lib/prng.js';
import { newFilter, opsFilterOut, setFiltersDefaultReject, REJECT_YOUNG, DAMOS_FILTER_TYPES, type DamosFilter, type DamosFilterLists } from '../../../src/kernel/mm/damon/filters.js';
import { forEachMappedRun, forEachUserRun, OpsFilterWalk } from '../../../src/kernel/mm/damon/ops-common.js';
import { NO_OWNER, PG_ACTIVE } from '../../../src/kernel/mm/frames.js';
import { NO_PFN, type Vma } from '../../../src/kernel/mm/mm.js';
import { setActive } from '../../../src/kernel/mm/vmscan.js';
import type { Process } from '../../../src/kernel/sched/process.js';
import { accessStretches, expectedAccesses } from '../../../src/kernel/workload/access_model.js';
import { HotsetPattern, UniformPattern, ZipfPattern, type AccessPattern } from '../../../src/kernel/workload/pattern.js';
import { advance, bootPreset, spawn } from './boot.js';

const OPS_TYPES = DAMOS_FILTER_TYPES.filter((t) => t !== 'addr' && t !== 'target' && t !== 'young');

function lists(filters: DamosFilter[], coreAllowed = false): DamosFilterLists {
  const l: DamosFilterLists = { coreFilters: [], opsFilters: filters, coreFiltersDefaultReject: false, opsFiltersDefaultReject: false, coreFiltersAllowed: false };
  setFiltersDefaultReject(l);
  l.coreFiltersAllowed = coreAllowed;
  return l;
}

/** A random ops filter list without young (0–4 filters, every type, both memcgs, sizes either side of 4 KiB). */
function randomFilters(rng: Prng, types: readonly DamosFilter['type'][] = OPS_TYPES): DamosFilter[] {
  const n = rng.nextU32() % 5;
  const out: DamosFilter[] = [];
  for (let i = 0; i < n; i++) {
    const type = types[rng.nextU32() % types.length]!;
    const szMin = [0n, 4096n, 8192n][rng.nextU32() % 3]!;
    out.push(newFilter(type, rng.nextU32() % 2 === 0, rng.nextU32() % 2 === 0, { memcgId: 1 + (rng.nextU32() % 2), szMin, szMax: szMin + [0n, 4096n, 2097152n][rng.nextU32() % 3]! }));
  }
  return out;
}

/** A kernel with three processes on node 0 and random PG_active stretches on their pages. */
async function machine(seed: number): Promise<Kernel> {
  const k = bootPreset('cxl-2node', seed);
  await spawn(k, 'hotset size=2M node=0');
  await spawn(k, 'abench size=1M threads=1 iters=0 node=0');
  await spawn(k, 'hotset size=3M node=0');
  await advance(k, '20ms');
  const rng = new Prng(seed);
  for (const p of k.tasks.list()) {
    for (const vma of p.mm.vmas) {
      for (let j = 0; j < 20; j++) {
        const i0 = rng.nextU32() % vma.nrPages;
        setActive(k, vma, i0, i0 + 1 + (rng.nextU32() % 64), rng.nextU32() % 2 === 0);
      }
    }
  }
  return k;
}

/** The per-page reference: every user frame of [start, end) judged by opsFilterOut, in pfn order. */
function referencePaddr(k: Kernel, start: number, end: number, s: DamosFilterLists, extra?: DamosFilter): number[] {
  const frames = k.alloc.frames;
  const out: number[] = [];
  for (let pfn = start / PAGE_SIZE; pfn < end / PAGE_SIZE; pfn++) {
    const owner = frames.ownerOf(pfn);
    if (owner === NO_OWNER) continue;
    const proc = k.tasks.processOfMm(owner);
    const vma = proc?.mm.findVma(frames.vpnOf(pfn));
    if (!proc || !vma) continue;
    const page = { anon: true, active: (frames.flagsOf(pfn) & PG_ACTIVE) !== 0, memcgId: 1, folioSize: PAGE_SIZE, unmapped: false, young: () => false };
    if (!opsFilterOut(s, page, extra)) out.push(pfn);
  }
  return out;
}

function bulkPaddr(k: Kernel, start: number, end: number, s: DamosFilterLists, extra?: DamosFilter) {
  let ns = 0;
  const walk = new OpsFilterWalk(k, s, extra, 0, 0, (x) => (ns += x), 5, 500);
  const out: number[] = [];
  let folios = 0;
  forEachUserRun(k, start, end, walk.needsActive, (proc, vma, i0, n, active) => {
    folios += n;
    walk.run(proc, vma, i0, n, active, (j0, j1) => {
      for (let i = j0; i < j1; i++) out.push(vma.pt[i]!);
    });
  });
  return { out, ns, folios, passed: walk.passed };
}

describe('bulk ops filters equal the per-page reference (filters other than young; randomized)', () => {
  it('paddr: the same pages pass, in the same order, over random filter lists, PG_active stretches and region bounds; the kdamond pays a folio walk per user folio', async () => {
    for (let seed = 1; seed <= 3; seed++) {
      const k = await machine(seed);
      const rng = new Prng(100 + seed);
      const node0 = k.layout.ram.filter((r) => r.nid === 0);
      const ram = { start: Math.min(...node0.map((r) => r.start)), end: Math.max(...node0.map((r) => r.end)) };
      const userPfns = () => k.tasks.list().flatMap((p) => p.mm.vmas.flatMap((v) => [...v.pt].filter((x) => x !== NO_PFN)));
      let users = userPfns();
      let lo = Math.min(...users) * PAGE_SIZE;
      let hi = (Math.max(...users) + 1) * PAGE_SIZE;
      for (let c = 0; c < 60; c++) {
        if (c % 20 === 10 || c === 45) {
          // The reverse map changes under the cached runs: pages move away and back, a process
          // comes or goes; the walk must see it.
          const pid = k.tasks.list()[c % k.tasks.list().length]!.pid;
          if (c === 10) await k.fs.transact('sim/migrate', `${pid} 0 1`);
          else if (c === 30) await k.fs.transact('sim/migrate', `${pid} 1 0`);
          else if (c === 45) await spawn(k, 'hotset size=1M node=0');
          else k.tasks.kill(pid);
          users = userPfns().filter((x) => k.alloc.frames.blockOf(x)?.nid === 0);
          lo = Math.min(...users) * PAGE_SIZE;
          hi = (Math.max(...users) + 1) * PAGE_SIZE;
        }
        const s = lists(randomFilters(rng), rng.nextU32() % 8 === 0);
        // Region bounds: all of node 0, or random page-aligned cuts through the user frames.
        const a = c % 3 === 0 ? ram.start : lo + (rng.nextU32() % ((hi - lo) / PAGE_SIZE)) * PAGE_SIZE;
        const b = c % 3 === 0 ? ram.end + 1 : a + (1 + (rng.nextU32() % ((hi - a) / PAGE_SIZE))) * PAGE_SIZE;
        const ref = referencePaddr(k, a, b, s);
        const got = bulkPaddr(k, a, b, s);
        expect(got.out, JSON.stringify({ seed, c, filters: s.opsFilters, allowed: s.coreFiltersAllowed }, (_k, v) => (typeof v === "bigint" ? String(v) : v))).toEqual(ref);
        expect(got.passed).toBe(ref.length);
        expect(got.ns).toBe(got.folios * 5);
        if (c % 3 === 0) expect(got.folios).toBe(users.length);
      }
    }
  });

  it('vaddr: the same mapped pages pass as a PTE-by-PTE walk', async () => {
    const k = await machine(7);
    const rng = new Prng(7);
    const frames = k.alloc.frames;
    for (let c = 0; c < 60; c++) {
      const s = lists(randomFilters(rng));
      for (const proc of k.tasks.list()) {
        for (const vma of proc.mm.vmas) {
          const i0 = rng.nextU32() % vma.nrPages;
          const i1 = i0 + (rng.nextU32() % (vma.nrPages - i0 + 1));
          const ref: number[] = [];
          for (let i = i0; i < i1; i++) {
            const pfn = vma.pt[i]!;
            if (pfn === NO_PFN) continue;
            const page = { anon: true, active: (frames.flagsOf(pfn) & PG_ACTIVE) !== 0, memcgId: 1, folioSize: PAGE_SIZE, unmapped: false, young: () => false };
            if (!opsFilterOut(s, page)) ref.push(i);
          }
          const walk = new OpsFilterWalk(k, s, undefined, 0, 0, () => {}, 5, 5);
          const got: number[] = [];
          forEachMappedRun(k, proc, vma, i0, i1, walk.needsActive, (p, v, j, n, active) =>
            walk.run(p, v, j, n, active, (j0, j1) => {
              for (let i = j0; i < j1; i++) got.push(i);
            }));
          expect(got).toEqual(ref);
        }
      }
    }
  });
});

/** A process whose progress is `rate` accesses per ns from 0, in one phase or phases of `phaseNs`. */
function fakeProcess(rate: number, phaseNs = 0): Process {
  return {
    historyStartNs: 0,
    endNs: undefined,
    startNs: 0,
    spec: { phaseNs, kind: 'hotset' },
    doneAt: (t: number) => t * rate,
    phaseAt: (t: number) => (phaseNs > 0 ? Math.floor(t / phaseNs) : 0),
  } as unknown as Process;
}
const fakeVma = (pattern: AccessPattern) => ({ nrPages: pattern.nrPages, pattern }) as unknown as Vma;
const fakeKernel = (seed: number) => ({ rng: new Prng(seed) }) as unknown as Kernel;

describe('young in bulk: accessStretches gives each page exactly the per-page law (1 − e^(−expected), 0/1 for sweeps)', () => {
  const cases: Array<[string, AccessPattern, number, number]> = [
    ['hot set, one phase', new HotsetPattern(1000, 0.1, 0.9), 0.5, 0],
    ['hot set moving: several phases in the window, wrapping', new HotsetPattern(1000, 0.3, 0.9), 0.5, 1500],
    ['uniform random', new UniformPattern(777, 'random'), 0.2, 0],
    ['zipf (no stretches: one per page)', new ZipfPattern(300, 1.1), 0.5, 0],
    ['sweep, part of a lap (wraps)', new UniformPattern(1000, 'sweep'), 0.1, 0],
    ['sweep, more than a lap', new UniformPattern(100, 'sweep'), 0.1, 0],
  ];
  it.each(cases)('%s', (_n, pattern, rate, phaseNs) => {
    const p = fakeProcess(rate, phaseNs);
    const vma = fakeVma(pattern);
    for (const [t0, t1] of [[9200, 14000], [0, 5000], [123, 124]] as const) {
      const law = (i: number) => {
        const n = expectedAccesses(p, vma, i, t0, t1);
        return pattern.order === 'sweep' ? (n >= 1 ? 1 : 0) : n <= 0 ? 0 : 1 - Math.exp(-n);
      };
      const seen = new Array<number>(pattern.nrPages).fill(-1);
      const [i0, i1] = [3, pattern.nrPages - 2];
      let next = i0;
      accessStretches(p, vma, t0, t1)(i0, i1, (j0, j1, prob) => {
        expect(j0).toBe(next); // in order, no gap, no overlap
        expect(j1).toBeGreaterThan(j0);
        next = j1;
        for (let i = j0; i < j1; i++) seen[i] = prob;
      });
      expect(next).toBe(i1);
      for (let i = i0; i < i1; i++) expect(seen[i], `page ${i} [${t0}, ${t1}]`).toBe(law(i));
    }
  });
});

describe('young in bulk: sampled pages follow the law, the rest of the filters decide as per page', () => {
  const young = (allow: boolean, matching = true) => newFilter('young', matching, allow);
  /** Pages of a run of `n` with constant young chance q that pass `filters`. */
  function sample(q: number, filters: DamosFilter[], seed: number, n = 20000) {
    const p = fakeProcess(1);
    const pattern = new UniformPattern(n, 'random');
    const vma = fakeVma(pattern);
    const t1 = -Math.log(1 - q) * n; // expected accesses per page = t1 / n
    let ns = 0;
    const walk = new OpsFilterWalk(fakeKernel(seed), lists(filters), undefined, 0, t1, (x) => (ns += x), 1, 1000);
    const pass = new Uint8Array(n);
    walk.run(p, vma, 0, n, false, (j0, j1) => pass.fill(1, j0, j1));
    return { pass, ns, passed: walk.passed };
  }
  it.each([0.0003, 0.05, 0.3, 0.5, 0.7, 0.97])('chance %f: young allow passes a binomial share, spread evenly over the run', (q) => {
    const n = 20000;
    let total = 0;
    let firstHalf = 0;
    const trials = 20;
    for (let seed = 1; seed <= trials; seed++) {
      const { pass, passed } = sample(q, [young(true)], seed, n);
      total += passed;
      for (let i = 0; i < n / 2; i++) firstHalf += pass[i]!;
      expect(pass.reduce((a, b) => a + b, 0)).toBe(passed);
    }
    const mean = total / trials / n;
    const sd = Math.sqrt((q * (1 - q)) / (n * trials));
    expect(Math.abs(mean - q)).toBeLessThan(5 * sd + 1e-12);
    expect(Math.abs(firstHalf / (total || 1) - 0.5)).toBeLessThan(q * n * trials < 50 ? 0.5 : 5 * Math.sqrt(0.25 / total));
  });

  it('young allow and young reject over the same draws split the run exactly (complementary pass sets)', () => {
    const a = sample(0.3, [young(true)], 5);
    const b = sample(0.3, [young(false)], 5);
    for (let i = 0; i < a.pass.length; i++) expect(a.pass[i]! + b.pass[i]!).toBe(1);
  });

  it('a young page is made old by its check (damos_folio_filter_match mkolds it): a second young filter sees it old', () => {
    // young N allow (old pages pass); young pages reach "young Y reject", now old: no match, and
    // the default (the last filter rejects) passes them. Without the mkold they would be rejected.
    const r = sample(1 - 1e-12, [young(true, false), young(false, true)], 1, 100);
    expect(r.passed).toBe(100);
  });

  it('the kdamond pays a folio walk per page and an rmap walk per young check: 2 checks where the first young filter does not decide', () => {
    const { ns, passed } = sample(0.4, [young(true, true), young(true, true)], 3, 1000);
    // young pages: decided by the first check (1 check); old pages: checked twice, then the
    // default (the last filter allows: reject).
    const nYoung = passed;
    expect(ns).toBe(1000 * 1 + (nYoung * 1 + (1000 - nYoung) * 2) * 1000);
  });

  it('paddr pageout’s temporary reject-young filter in bulk: with p = 0 or 1 (sweeps) the same pages as per page', async () => {
    const k = bootPreset('cxl-2node', 3);
    const pid = await spawn(k, 'memhog size=4M repeat=1000000 node=0');
    await advance(k, '3ms');
    const proc = k.tasks.get(pid)!;
    const now = k.clock.nowNs;
    const since = now - Math.round(300 / proc.rate); // about 300 pages swept in the window
    const law = (v: Vma, i: number) => expectedAccesses(proc, v, i, since, now) >= 1;
    const ref: number[] = [];
    for (const v of proc.mm.vmas) for (let i = 0; i < v.nrPages; i++) if (v.pt[i] !== NO_PFN && !law(v, i)) ref.push(v.pt[i]!);
    ref.sort((x, y) => x - y);
    const walk = new OpsFilterWalk(k, lists([]), REJECT_YOUNG, since, now, () => {}, 0, 0);
    const got: number[] = [];
    const node0 = k.layout.ram.filter((r) => r.nid === 0);
    const ram = { start: Math.min(...node0.map((r) => r.start)), end: Math.max(...node0.map((r) => r.end)) };
    forEachUserRun(k, ram.start, ram.end + 1, false, (p, v, i0, n, act) => walk.run(p, v, i0, n, act, (j0, j1) => {
      for (let i = j0; i < j1; i++) got.push(v.pt[i]!);
    }));
    got.sort((x, y) => x - y);
    expect(ref.length).toBeGreaterThan(0);
    expect(ref.length).toBeLessThan(1024); // part of the buffer was swept in the window
    expect(got).toEqual(ref);
  });
});

describe('the kdamond pays the walk (DESIGN §8.2): pteScan per user folio inspected, rmapWalk per young check, pfnSkip per other pfn of the region', () => {
  const A = 'sys/kernel/mm/damon/admin/kdamonds';
  const C0 = `${A}/0/contexts/0`;
  const S0 = `${C0}/schemes/0`;
  it.each([
    ['stat, anon allow: a folio walk per user page', 'stat', 'anon', 1, 0],
    ['stat, young allow: a folio walk and an rmap walk per user page', 'stat', 'young', 1, 1],
    ['lru_prio without filters: a folio walk per user page', 'lru_prio', '', 1, 0],
    ['stat without ops filters: no walk (damon_pa_stat returns at once)', 'stat', '', 0, 0],
  ] as const)('%s', async (_n, action, filter, folioWalks, rmapWalks) => {
    const { damonSysfs } = await import('../../../src/kernel/mm/damon/sysfs.js');
    const { costNs } = await import('../../../src/kernel/config/machine.js');
    const k = bootPreset();
    await spawn(k, 'hotset size=8M node=0');
    const w = (f: string, t: string) => k.fs.writeFile(f, t);
    w(`${A}/nr_kdamonds`, '1\n');
    w(`${A}/0/contexts/nr_contexts`, '1\n');
    w(`${C0}/operations`, 'paddr\n');
    w(`${C0}/targets/nr_targets`, '1\n');
    w(`${C0}/schemes/nr_schemes`, '1\n');
    w(`${S0}/action`, `${action}\n`);
    if (filter) {
      w(`${S0}/ops_filters/nr_filters`, '1\n');
      w(`${S0}/ops_filters/0/type`, `${filter}\n`);
      w(`${S0}/ops_filters/0/allow`, 'Y\n');
    }
    w(`${A}/0/state`, 'on\n');
    const ctx = damonSysfs(k).kdamonds.get(0).ctx!;
    const t = ctx.targets[0]!;
    const node0 = k.layout.ram.filter((r) => r.nid === 0);
    const start = Math.min(...node0.map((r) => r.start));
    const end = Math.max(...node0.map((r) => r.end + 1));
    let folios = 0;
    for (let pfn = start / PAGE_SIZE; pfn < end / PAGE_SIZE; pfn++) if (k.alloc.frames.ownerOf(pfn) !== NO_OWNER) folios++;
    expect(folios).toBeGreaterThanOrEqual(2048);
    const { DamonRegion } = await import('../../../src/kernel/mm/damon/core.js');
    const before = ctx.cpuNs;
    ctx.ops.applyScheme(ctx, t, new DamonRegion(start, end), action, -1, ctx.schemes[0], { sz: 0 });
    const paid = ctx.cpuNs - before;
    // damon_get_folio visits every pfn of the region: those holding no user folio cost pfnSkip.
    const others = folioWalks * ((end - start) / PAGE_SIZE - folios);
    expect(paid).toBeCloseTo(folios * (folioWalks * costNs(k.config, 'pteScan') + rmapWalks * costNs(k.config, 'rmapWalk')) + others * costNs(k.config, 'pfnSkip'), 6);
    w(`${A}/0/state`, 'off\n');
  });
});
