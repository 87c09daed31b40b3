// DAMOS filters and dests (filters.ts, sysfs-filters.ts; spec mechanisms.md §1.9, kernel-files.md
// §2): the filter semantics table, every errno of the filter and dests files, `on` with bad
// filters, and the filters, dests, vaddr migrate and fvaddr acting on the model.
import { describe, expect, it } from 'vitest';
import { EINVAL, ENOMEM, ERANGE, type KernelError } from '../../../src/kernfs/index.js';
import type { Kernel } from '../../../src/kernel/kernel.js';
import { DamonRegion, DamonTarget } from '../../../src/kernel/mm/damon/core.js';
import {
  coreFilterOut, newFilter, opsFilterOut, pageoutExtraFilter, pickDest, setFiltersDefaultReject,
  type DamosFilter, type DamosFilterLists, type PageProps,
} from '../../../src/kernel/mm/damon/filters.js';
import { damonSysfs } from '../../../src/kernel/mm/damon/sysfs.js';
import { PG_ACTIVE } from '../../../src/kernel/mm/frames.js';
import { advance, bootPreset, errnoOf, spawn } from './boot.js';

const A = 'sys/kernel/mm/damon/admin/kdamonds';
const K0 = `${A}/0`;
const C0 = `${K0}/contexts/0`;
const S0 = `${C0}/schemes/0`;
const UL = '18446744073709551615';
const read = (k: Kernel, f: string) => k.fs.readFile(f);
const write = (k: Kernel, f: string, text: string) => k.fs.writeFile(f, text);
const fails = (k: Kernel, f: string, text: string) => errnoOf(() => write(k, f, text)) as KernelError | undefined;

/** A scheme's filter lists from `filters`, split and defaulted as damos_add_filter / commit do. */
function lists(filters: DamosFilter[]): DamosFilterLists {
  const l: DamosFilterLists = {
    coreFilters: filters.filter((f) => f.type === 'addr' || f.type === 'target'),
    opsFilters: filters.filter((f) => f.type !== 'addr' && f.type !== 'target'),
    coreFiltersDefaultReject: false,
    opsFiltersDefaultReject: false,
    coreFiltersAllowed: false,
  };
  setFiltersDefaultReject(l);
  return l;
}

const f = (type: DamosFilter['type'], matching: boolean, allow: boolean, p: Partial<DamosFilter> = {}) => newFilter(type, matching, allow, p);
const page = (p: Partial<Omit<PageProps, 'young'>> & { young?: boolean } = {}): PageProps => ({
  anon: true, active: false, memcgId: 1, folioSize: 4096, unmapped: false, ...p, young: () => p.young ?? false,
});
const REGION: [number, number] = [0x10000, 0x20000];
const KiB = 1024;

describe('filter semantics: [filters, region, page] → rejected (first match decides; default the opposite of the last allow)', () => {
  const cases: Array<[string, DamosFilter[], PageProps, boolean]> = [
    ['no filter passes everything', [], page(), false],
    ['anon reject: an anon page is rejected', [f('anon', true, false)], page(), true],
    ['anon reject: a file page matches nothing, default allows (last filter rejects)', [f('anon', true, false)], page({ anon: false }), false],
    ['anon allow: an anon page passes', [f('anon', true, true)], page(), false],
    ['anon allow: a file page matches nothing, default rejects (last filter allows)', [f('anon', true, true)], page({ anon: false }), true],
    ['matching N inverts: anon matching=N reject passes an anon page', [f('anon', false, false)], page(), false],
    ['matching N inverts: anon matching=N reject rejects a file page', [f('anon', false, false)], page({ anon: false }), true],
    ['first match decides: active allow before anon reject passes an active anon page', [f('active', true, true), f('anon', true, false)], page({ active: true }), false],
    ['first match decides: an inactive anon page reaches anon reject', [f('active', true, true), f('anon', true, false)], page(), true],
    ['young reject rejects a young page', [f('young', true, false)], page({ young: true }), true],
    ['young reject passes an old page', [f('young', true, false)], page(), false],
    ['memcg "/" (the root memcg, id 1) reject rejects every user page', [f('memcg', true, false, { memcgId: 1 })], page(), true],
    ['hugepage_size [4K, 4K] reject rejects a base page', [f('hugepage_size', true, false, { szMin: 4096n, szMax: 4096n })], page(), true],
    ['hugepage_size [2M, 2M] allow rejects a base page by default', [f('hugepage_size', true, true, { szMin: 2097152n, szMax: 2097152n })], page(), true],
    ['unmapped reject passes a mapped page', [f('unmapped', true, false)], page(), false],
    ['unmapped allow rejects a mapped page by default', [f('unmapped', true, true)], page(), true],
    ['core addr allow (region inside) skips the ops filters: anon reject does not apply', [f('addr', true, true, { addrStart: 0n, addrEnd: 0x100000n }), f('anon', true, false)], page(), false],
    ['core addr reject (region inside) rejects the region', [f('addr', true, false, { addrStart: 0n, addrEnd: 0x100000n })], page(), true],
    ['core addr allow only, region outside: core default rejects', [f('addr', true, true, { addrStart: 0x100000n, addrEnd: 0x200000n })], page(), true],
    ['core addr allow + ops anon reject, region outside: core default allows (ops filters exist), anon rejects', [f('addr', true, true, { addrStart: 0x100000n, addrEnd: 0x200000n }), f('anon', true, false)], page(), true],
    ['core addr allow + ops anon reject, region outside: a file page gets the ops default (allow)', [f('addr', true, true, { addrStart: 0x100000n, addrEnd: 0x200000n }), f('anon', true, false)], page({ anon: false }), false],
    ['target 0 reject rejects target 0', [f('target', true, false, { targetIdx: 0 })], page(), true],
    ['target 1 reject passes target 0', [f('target', true, false, { targetIdx: 1 })], page(), false],
    ['filters/ order: an ops filter listed before a core one is still judged after it', [f('anon', true, false), f('target', true, true, { targetIdx: 0 })], page(), false],
  ];
  it.each(cases)('%s', (_name, filters, p, rejected) => {
    const s = lists(filters);
    const t = new DamonTarget(1);
    t.regions = [new DamonRegion(...REGION)];
    const out = coreFilterOut([t], t, t.regions[0]!, s) || opsFilterOut(s, p);
    expect(out).toBe(rejected);
  });

  it('young is asked only when a young filter is reached (the rmap walk is lazy)', () => {
    const s = lists([f('anon', true, false), f('young', true, false)]);
    let asked = 0;
    opsFilterOut(s, { ...page(), young: () => (asked++, true) });
    expect(asked).toBe(0);
    opsFilterOut(s, { ...page({ anon: false }), young: () => (asked++, true) });
    expect(asked).toBe(1);
  });

  it.each([
    ['no user filter: young pages are not reclaimed', [], { young: true }, true],
    ['no user filter: old pages are', [], { young: false }, false],
    ['a user anon allow matches first: young anon pages are reclaimed', [f('anon', true, true)], { young: true }, false],
    ['a user young filter replaces the temporary one: young allow reclaims young pages', [f('young', true, true)], { young: true }, false],
    ['a user young allow rejects old pages by default', [f('young', true, true)], { young: false }, true],
  ] as const)('paddr pageout’s temporary reject-young filter: %s', (_n, filters, p, rejected) => {
    const s = lists([...filters]);
    expect(opsFilterOut(s, page(p), pageoutExtraFilter(s))).toBe(rejected);
  });

  it.each([
    // [start, end] of an addr allow filter → the first piece, whether it matched, regions after
    [0x18000n, 0x30000n, [0x10000, 0x18000], false, 2], // starts before the range: cut at its start, not matched
    [0x8000n, 0x18000n, [0x10000, 0x18000], true, 2], // starts inside: cut at the range's end, matched
    [0x18001n, 0x30000n, [0x10000, 0x18000], false, 2], // bounds align down to pages
    [0x8000n, 0x30000n, [0x10000, 0x20000], true, 1], // inside the range
  ] as const)('addr [%s, %s) splits region [64K, 128K): first piece %j, matched %s, %d regions', (a, b, piece, matched, n) => {
    const s = lists([f('addr', true, true, { addrStart: a, addrEnd: b })]);
    const t = new DamonTarget(1);
    t.regions = [new DamonRegion(...REGION)];
    const r = t.regions[0]!;
    expect(coreFilterOut([t], t, r, s)).toBe(!matched); // allow filter: matched passes, else default rejects
    expect([r.start, r.end]).toEqual(piece);
    expect(t.regions.length).toBe(n);
    expect(t.regions[t.regions.length - 1]!.end).toBe(REGION[1]);
  });
});

describe('dests: weighted interleave over the page index (damos_va_migrate_dests_add)', () => {
  it.each([
    [[[0, 1], [1, 1]], [0, 1, 0, 1]],
    [[[0, 3], [1, 1]], [0, 0, 0, 1, 0, 0, 0, 1]],
    [[[1, 0], [0, 2]], [1, 1]],
    [[[0, 0], [1, 0]], [-1, -1]],
  ] as const)('dests %j: ilx 0.. → %j', (dests, want) => {
    const d = dests.map(([id, weight]) => ({ id, weight }));
    expect(want.map((_, ilx) => pickDest(d, ilx))).toEqual(want);
  });
});

function withScheme(k: Kernel, ops = 'paddr', nrSchemes = 1): void {
  write(k, `${A}/nr_kdamonds`, '1\n');
  write(k, `${K0}/contexts/nr_contexts`, '1\n');
  write(k, `${C0}/operations`, `${ops}\n`);
  write(k, `${C0}/targets/nr_targets`, '1\n');
  write(k, `${C0}/schemes/nr_schemes`, `${nrSchemes}\n`);
  for (let i = 0; i < nrSchemes; i++) for (const p of ['sz', 'nr_accesses', 'age']) write(k, `${C0}/schemes/${i}/access_pattern/${p}/max`, `${UL}\n`);
}

/** The paddr target's regions: node `nid`'s System RAM ranges. */
function nodeRegions(k: Kernel, nid: number): void {
  const ram = k.layout.ram.filter((r) => r.nid === nid);
  write(k, `${C0}/targets/0/regions/nr_regions`, `${ram.length}\n`);
  ram.forEach((r, i) => {
    write(k, `${C0}/targets/0/regions/${i}/start`, `${r.start}\n`);
    write(k, `${C0}/targets/0/regions/${i}/end`, `${r.end + 1}\n`);
  });
}

describe('sysfs: {core_,ops_,}filters/ and dests/ files', () => {
  it('defaults: nr_filters 0 in all three dirs; a filter dir holds nine 0600 files with kzalloc defaults', () => {
    const k = bootPreset();
    withScheme(k);
    for (const d of ['filters', 'core_filters', 'ops_filters']) {
      expect(read(k, `${S0}/${d}/nr_filters`)).toBe('0\n');
      write(k, `${S0}/${d}/nr_filters`, '1\n');
    }
    expect(read(k, `${S0}/dests/nr_dests`)).toBe('0\n');
    const defaults: Array<[string, string]> = [
      ['type', 'anon\n'], ['matching', 'N\n'], ['allow', 'N\n'], ['memcg_path', '\n'], ['addr_start', '0\n'],
      ['addr_end', '0\n'], ['min', '0\n'], ['max', '0\n'], ['damon_target_idx', '0\n'],
    ];
    expect([...k.fs.readdir(`${S0}/filters/0`)].sort()).toEqual(defaults.map(([n]) => n).sort());
    for (const [name, text] of defaults) {
      const p = `${S0}/filters/0/${name}`;
      expect(k.fs.stat(p), p).toMatchObject({ mode: 0o100600, size: 4096 });
      expect(read(k, p), p).toBe(text);
    }
    // core_filters' filter also starts as anon (kzalloc), a type it would refuse to be written.
    expect(read(k, `${S0}/core_filters/0/type`)).toBe('anon\n');
    write(k, `${S0}/dests/nr_dests`, '1\n');
    expect(read(k, `${S0}/dests/0/id`)).toBe('0\n');
    expect(read(k, `${S0}/dests/0/weight`)).toBe('0\n');
    expect(k.fs.stat(`${S0}/dests/0/weight`)).toMatchObject({ mode: 0o100600, size: 4096 });
  });

  const table: Array<[string, string, string | KernelError]> = [
    ['filters/0/type', 'addr', 'addr\n'],
    ['filters/0/type', 'unmapped\n', 'unmapped\n'],
    ['filters/0/type', 'active', 'active\n'],
    ['filters/0/type', 'Anon', EINVAL],
    ['filters/0/type', 'anon\n\n', EINVAL],
    ['filters/0/type', 'bogus', EINVAL],
    ['core_filters/0/type', 'target', 'target\n'],
    ['core_filters/0/type', 'addr\n', 'addr\n'],
    ['core_filters/0/type', 'young', EINVAL], // an ops type in the core dir
    ['ops_filters/0/type', 'hugepage_size', 'hugepage_size\n'],
    ['ops_filters/0/type', 'memcg', 'memcg\n'],
    ['ops_filters/0/type', 'addr', EINVAL], // a core type in the ops dir
    ['filters/0/matching', 'Y', 'Y\n'],
    ['filters/0/matching', 'yes\n', 'Y\n'],
    ['filters/0/matching', 'on', 'Y\n'],
    ['filters/0/matching', 'x', EINVAL],
    ['filters/0/allow', '1', 'Y\n'],
    ['filters/0/allow', 'oops', EINVAL],
    ['filters/0/memcg_path', '/', '/\n'],
    ['filters/0/memcg_path', '/\n', '/\n\n'], // the written newline is kept
    ['filters/0/addr_start', '0x1000', '4096\n'],
    ['filters/0/addr_end', UL, `${UL}\n`],
    ['filters/0/addr_end', '18446744073709551616', ERANGE], // kstrtoul's own errno passes back
    ['filters/0/addr_start', '-1', EINVAL],
    ['filters/0/min', '4096', '4096\n'],
    ['filters/0/max', 'x', EINVAL],
    ['filters/0/max', '99999999999999999999', ERANGE],
    ['filters/0/damon_target_idx', '-1', '-1\n'],
    ['filters/0/damon_target_idx', '2147483648', ERANGE],
    ['filters/0/damon_target_idx', '1x', EINVAL],
    ['filters/nr_filters', '-1', EINVAL],
    ['filters/nr_filters', 'x', EINVAL],
    ['filters/nr_filters', '99999999999', ERANGE],
    ['filters/nr_filters', '1000000', ENOMEM], // past kmalloc_array's limit
    ['dests/nr_dests', '-1', EINVAL],
    ['dests/nr_dests', '99999999999', ERANGE],
    ['dests/nr_dests', '1000000', ENOMEM],
    ['dests/0/id', '1', '1\n'],
    ['dests/0/id', '4294967296', ERANGE],
    ['dests/0/id', '-1', EINVAL],
    ['dests/0/weight', '4294967295', '4294967295\n'],
    ['dests/0/weight', 'w', EINVAL],
  ];
  it.each(table)('%s %j → %j (an error changes nothing)', (file, input, want) => {
    const k = bootPreset();
    withScheme(k);
    for (const d of ['filters', 'core_filters', 'ops_filters']) write(k, `${S0}/${d}/nr_filters`, '1\n');
    write(k, `${S0}/dests/nr_dests`, '1\n');
    const p = `${S0}/${file}`;
    const before = read(k, p);
    const err = fails(k, p, input);
    if (typeof want === 'string') expect(read(k, p)).toBe(want);
    else {
      expect(err).toBe(want);
      expect(read(k, p)).toBe(before);
    }
  });

  it('nr_filters rewrite resets the filters to defaults and keeps only 0..N-1', () => {
    const k = bootPreset();
    withScheme(k);
    write(k, `${S0}/ops_filters/nr_filters`, '2\n');
    write(k, `${S0}/ops_filters/1/type`, 'young\n');
    write(k, `${S0}/ops_filters/nr_filters`, '2\n');
    expect(read(k, `${S0}/ops_filters/1/type`)).toBe('anon\n');
    write(k, `${S0}/ops_filters/nr_filters`, '1\n');
    expect([...k.fs.readdir(`${S0}/ops_filters`)].sort()).toEqual(['0', 'nr_filters']);
  });

  const bad: Array<[string, Array<[string, string]>]> = [
    ['a memcg filter whose path was never written', [['type', 'memcg']]],
    ['a memcg filter naming a cgroup the simulator does not have', [['type', 'memcg'], ['memcg_path', '/system.slice']]],
    ['an addr filter ending before it starts', [['type', 'addr'], ['addr_start', '8192'], ['addr_end', '4096']]],
    ['a hugepage_size filter with min > max', [['type', 'hugepage_size'], ['min', '4096'], ['max', '0']]],
  ];
  it.each(bad)('on with %s → ENOMEM (damon_sysfs_add_schemes), stays off', (_n, files) => {
    const k = bootPreset();
    withScheme(k);
    write(k, `${S0}/filters/nr_filters`, '1\n');
    for (const [file, v] of files) write(k, `${S0}/filters/0/${file}`, `${v}\n`);
    expect(fails(k, `${K0}/state`, 'on\n')).toBe(ENOMEM);
    expect(read(k, `${K0}/state`)).toBe('off\n');
    expect(read(k, `${K0}/pid`)).toBe('-1\n');
  });

  it('a memcg filter naming "/" (the root memcg) starts; commit with a bad filter is ENOMEM and keeps the running filters', () => {
    const k = bootPreset();
    withScheme(k);
    write(k, `${S0}/ops_filters/nr_filters`, '1\n');
    write(k, `${S0}/ops_filters/0/type`, 'memcg\n');
    write(k, `${S0}/ops_filters/0/memcg_path`, '/\n');
    write(k, `${K0}/state`, 'on\n');
    const run = damonSysfs(k).kdamonds.get(0).ctx!.schemes[0]!;
    expect(run.opsFilters.map((x) => [x.type, x.memcgId])).toEqual([['memcg', 1]]);
    write(k, `${S0}/ops_filters/0/memcg_path`, '/nope\n');
    expect(fails(k, `${K0}/state`, 'commit\n')).toBe(ENOMEM);
    expect(run.opsFilters.map((x) => x.type)).toEqual(['memcg']);
    write(k, `${K0}/state`, 'off\n');
  });

  it('filters/ after core_filters/ and ops_filters/: each kind keeps its order, the newer dirs first', () => {
    const k = bootPreset();
    withScheme(k);
    const set = (d: string, i: number, type: string, allow: string) => {
      write(k, `${S0}/${d}/${i}/type`, `${type}\n`);
      write(k, `${S0}/${d}/${i}/allow`, `${allow}\n`);
    };
    write(k, `${S0}/filters/nr_filters`, '2\n');
    set('filters', 0, 'young', 'Y');
    set('filters', 1, 'target', 'N');
    write(k, `${S0}/ops_filters/nr_filters`, '1\n');
    set('ops_filters', 0, 'active', 'N');
    write(k, `${S0}/core_filters/nr_filters`, '1\n');
    set('core_filters', 0, 'addr', 'Y');
    write(k, `${S0}/core_filters/0/addr_end`, '4096\n');
    write(k, `${K0}/state`, 'on\n');
    const run = damonSysfs(k).kdamonds.get(0).ctx!.schemes[0]!;
    expect(run.coreFilters.map((x) => x.type)).toEqual(['addr', 'target']);
    expect(run.opsFilters.map((x) => x.type)).toEqual(['active', 'young']);
    expect(run.coreFiltersDefaultReject).toBe(false); // ops filters exist
    expect(run.opsFiltersDefaultReject).toBe(true); // the last ops filter (young) allows
    write(k, `${K0}/state`, 'off\n');
  });
});

describe('filters and dests acting on the model', () => {
  /** paddr over all System RAM, one stat scheme, with `prep` adding filters. */
  async function paddrStat(prep: (k: Kernel) => void) {
    const k = bootPreset();
    await spawn(k, 'hotset size=16M node=0');
    withScheme(k);
    nodeRegions(k, 0);
    prep(k);
    write(k, `${K0}/state`, 'on\n');
    await advance(k, '1s');
    write(k, `${K0}/state`, 'update_schemes_stats\n');
    write(k, `${K0}/state`, 'update_schemes_tried_regions\n');
    const stat = (n: string) => Number(read(k, `${S0}/stats/${n}`));
    const tried = [...k.fs.readdir(`${S0}/tried_regions`)].filter((n) => /^\d+$/.test(n));
    const triedPassed = tried.reduce((sum, n) => sum + Number(read(k, `${S0}/tried_regions/${n}/sz_filter_passed`)), 0);
    write(k, `${K0}/state`, 'off\n');
    return { nrTried: stat('nr_tried'), szTried: stat('sz_tried'), passed: stat('sz_ops_filter_passed'), tried: tried.length, triedPassed };
  }
  const opsFilter = (type: string, allow: string) => (k: Kernel) => {
    write(k, `${S0}/ops_filters/nr_filters`, '1\n');
    write(k, `${S0}/ops_filters/0/type`, `${type}\n`);
    write(k, `${S0}/ops_filters/0/matching`, 'Y\n');
    write(k, `${S0}/ops_filters/0/allow`, `${allow}\n`);
  };

  it('stat (damon_pa_stat): sz_ops_filter_passed counts user pages an anon allow passes, none for anon reject, none without ops filters', async () => {
    const none = await paddrStat(() => {});
    const allow = await paddrStat(opsFilter('anon', 'Y'));
    const reject = await paddrStat(opsFilter('anon', 'N'));
    expect(none.szTried).toBeGreaterThan(0);
    expect(none.passed).toBe(0);
    expect(allow.passed).toBeGreaterThanOrEqual(16 * 1024 * KiB); // every page of the hot set, at each apply
    expect(allow.passed % 4096).toBe(0);
    expect(allow.passed).toBeLessThan(allow.szTried); // kernel and free pages are not user folios
    expect(reject.passed).toBe(0);
    expect(reject.szTried).toBe(allow.szTried); // ops-filtered bytes are still tried
    expect(allow.tried).toBeGreaterThan(0);
    expect(allow.triedPassed).toBeGreaterThan(0);
    expect(reject.triedPassed).toBe(0);
  });

  it('a core addr reject over all RAM: nothing is tried (no nr_tried, no tried region)', async () => {
    const r = await paddrStat((k) => {
      write(k, `${S0}/core_filters/nr_filters`, '1\n');
      write(k, `${S0}/core_filters/0/type`, 'addr\n');
      write(k, `${S0}/core_filters/0/matching`, 'Y\n');
      write(k, `${S0}/core_filters/0/addr_end`, `${UL}\n`);
    });
    expect(r.nrTried).toBe(0);
    expect(r.szTried).toBe(0);
    expect(r.tried).toBe(0);
  });

  it('paddr migrate_cold with an active filter: rejecting inactive pages keeps an idle buffer (inactive) on node 0; rejecting active ones moves it', async () => {
    const k = bootPreset();
    const pid = await spawn(k, 'idle size=16M node=0');
    const mm = k.tasks.get(pid)!.mm;
    const vma = mm.vmas[0]!;
    const inactive = () => [...vma.pt].filter((pfn) => (k.alloc.frames.flagsOf(pfn) & PG_ACTIVE) === 0).length;
    expect(inactive()).toBe(4096);
    withScheme(k, 'paddr', 1);
    nodeRegions(k, 0);
    write(k, `${S0}/action`, 'migrate_cold\n');
    write(k, `${S0}/target_nid`, '1\n');
    opsFilter('active', 'N')(k);
    write(k, `${S0}/ops_filters/0/matching`, 'N\n'); // matches pages that are not active: reject them
    write(k, `${K0}/state`, 'on\n');
    await advance(k, '500ms');
    expect(mm.residentPages(1)).toBe(0);
    write(k, `${S0}/ops_filters/0/matching`, 'Y\n'); // now reject active pages only
    write(k, `${K0}/state`, 'commit\n');
    await advance(k, '500ms');
    expect(mm.residentPages(1)).toBe(4096);
    write(k, `${K0}/state`, 'off\n');
  });

  async function vaddrMigrate(dests: Array<[number, number]>, targetNid = -1) {
    const k = bootPreset();
    const pid = await spawn(k, 'idle size=16M node=0');
    withScheme(k, 'vaddr');
    write(k, `${C0}/targets/0/pid_target`, `${pid}\n`);
    write(k, `${S0}/action`, 'migrate_cold\n');
    write(k, `${S0}/target_nid`, `${targetNid}\n`);
    write(k, `${S0}/dests/nr_dests`, `${dests.length}\n`);
    dests.forEach(([id, w], i) => {
      write(k, `${S0}/dests/${i}/id`, `${id}\n`);
      write(k, `${S0}/dests/${i}/weight`, `${w}\n`);
    });
    const migrated = k.vm.event('pgmigrate_success');
    write(k, `${K0}/state`, 'on\n');
    await advance(k, '1s');
    write(k, `${K0}/state`, 'update_schemes_stats\n');
    const mm = k.tasks.get(pid)!.mm;
    const out = { on0: mm.residentPages(0), on1: mm.residentPages(1), events: k.vm.event('pgmigrate_success') - migrated, szApplied: Number(read(k, `${S0}/stats/sz_applied`)) };
    write(k, `${K0}/state`, 'off\n');
    return out;
  }

  it.each([
    [[[0, 1], [1, 1]], 2048],
    [[[0, 3], [1, 1]], 1024],
    [[[1, 1]], 4096],
    [[[0, 0], [1, 0]], 0], // total weight 0: nothing moves
  ] as Array<[Array<[number, number]>, number]>)('vaddr migrate_cold with dests %j: exactly %d of 4096 pages go to node 1 (interleave by page index), counted in pgmigrate_success', async (dests, want) => {
    const r = await vaddrMigrate(dests);
    expect(r.on1).toBe(want);
    expect(r.on0 + r.on1).toBe(4096);
    expect(r.events).toBe(want);
    expect(r.szApplied).toBe(want * 4096);
  });

  it('vaddr migrate_cold without dests uses target_nid (6.16+ vaddr migrate)', async () => {
    const r = await vaddrMigrate([], 1);
    expect(r.on1).toBe(4096);
    expect(r.events).toBe(4096);
  });

  it('paddr migrate ignores dests: target_nid decides', async () => {
    const k = bootPreset();
    const pid = await spawn(k, 'idle size=16M node=0');
    withScheme(k, 'paddr');
    nodeRegions(k, 0);
    write(k, `${S0}/action`, 'migrate_cold\n');
    write(k, `${S0}/target_nid`, '-1\n');
    write(k, `${S0}/dests/nr_dests`, '1\n');
    write(k, `${S0}/dests/0/id`, '1\n');
    write(k, `${S0}/dests/0/weight`, '1\n');
    write(k, `${K0}/state`, 'on\n');
    await advance(k, '1s');
    expect(k.tasks.get(pid)!.mm.residentPages(1)).toBe(0);
    write(k, `${K0}/state`, 'off\n');
  });

  it('vaddr stat with an ops filter counts sz_ops_filter_passed (damos_va_stat)', async () => {
    const k = bootPreset();
    const pid = await spawn(k, 'hotset size=16M node=0');
    withScheme(k, 'vaddr');
    write(k, `${C0}/targets/0/pid_target`, `${pid}\n`);
    opsFilter('anon', 'Y')(k);
    write(k, `${K0}/state`, 'on\n');
    await advance(k, '300ms');
    write(k, `${K0}/state`, 'update_schemes_stats\n');
    expect(Number(read(k, `${S0}/stats/sz_ops_filter_passed`))).toBeGreaterThanOrEqual(16 * 1024 * KiB);
    write(k, `${K0}/state`, 'off\n');
  });

  it('fvaddr monitors only the regions given (none: nothing), where vaddr builds its own from the mappings', async () => {
    const k = bootPreset();
    const pid = await spawn(k, 'hotset size=16M node=0');
    const vma = k.tasks.get(pid)!.mm.vmas[0]!;
    for (const [ops, given, check] of [
      ['vaddr', false, (n: number) => expect(n).toBeGreaterThan(0)],
      ['fvaddr', false, (n: number) => expect(n).toBe(0)],
      ['fvaddr', true, (n: number) => expect(n).toBeGreaterThan(0)],
    ] as const) {
      withScheme(k, ops, 0);
      write(k, `${C0}/targets/0/pid_target`, `${pid}\n`);
      const start = vma.start + 1024 * KiB;
      const end = start + 4096 * KiB;
      if (given) {
        write(k, `${C0}/targets/0/regions/nr_regions`, '1\n');
        write(k, `${C0}/targets/0/regions/0/start`, `${start}\n`);
        write(k, `${C0}/targets/0/regions/0/end`, `${end}\n`);
      }
      write(k, `${C0}/monitoring_attrs/intervals/update_us`, '100000\n');
      write(k, `${K0}/state`, 'on\n');
      await advance(k, '500ms');
      const regions = damonSysfs(k).kdamonds.get(0).ctx!.targets[0]!.regions;
      check(regions.length);
      if (given) for (const r of regions) expect(r.start >= start && r.end <= end).toBe(true);
      write(k, `${K0}/state`, 'off\n');
    }
  });
});
