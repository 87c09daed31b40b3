// Reading a running DAMON back through sysfs as damo 2.x/3.x does: `damo status` / `damo report
// damon` (update_schemes_stats, then the kdamond tree as damo's "report" text) and `damo report
// access` (update_schemes_tried_regions, then one line per tried region, damo's detailed style).
import { DamoError } from './damon.js';
import { formatSz } from './layout.js';
import { KDAMONDS, ULONG_MAX, kdamondDir, sysRead, sysWrite, sysfsSupported, type DamonFiles } from './sysfs.js';

const commas = (n: number | string) => Number(n).toLocaleString('en-US');
/** No upper limit: ULONG_MAX, or its (unsigned int) cut where the kernel keeps a u32. */
const isMax = (v: string) => v === ULONG_MAX || v === '4294967295';

/** damo's time format: "0 ns", "5 ms", "3.400 s", "1 h 49 m 49.500 s". */
export function formatTimeNs(ns: number): string {
  const dec = (v: number) => (Number.isInteger(v) ? `${v}` : v.toFixed(3));
  if (ns < 1e3) return `${ns} ns`;
  if (ns < 1e6) return `${dec(ns / 1e3)} us`;
  if (ns < 1e9) return `${dec(ns / 1e6)} ms`;
  const s = ns / 1e9;
  if (s < 60) return `${dec(s)} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s - h * 3600) / 60);
  const rest = s - h * 3600 - m * 60;
  const parts = [...(h > 0 ? [`${h} h`] : []), `${m} m`, ...(rest > 0 ? [`${dec(Number(rest.toFixed(3)))} s`] : [])];
  return parts.join(' ');
}

const usTime = (us: string | number) => formatTimeNs(Number(us) * 1000);
const szOrMax = (v: string) => (isMax(v) ? 'max' : formatSz(Number(v)));

interface Intervals {
  sampleUs: number;
  aggrUs: number;
}

/** nr_accesses (per aggregation) as damo's access rate, in percent of the samples. */
function ratePct(nr: string, iv: Intervals): string {
  if (isMax(nr)) return 'max';
  return `${commas(Math.floor((Number(nr) * 100 * iv.sampleUs) / iv.aggrUs))} %`;
}

function ageTime(age: string, iv: Intervals): string {
  return isMax(age) ? 'max' : usTime(Number(age) * iv.aggrUs);
}

function indexes(fs: DamonFiles, dir: string): number[] {
  return fs
    .list(dir)
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .sort((a, b) => a - b);
}

function requireSysfs(fs: DamonFiles): void {
  if (!sysfsSupported(fs)) throw new DamoError(`${fs.path(KDAMONDS)} not found: DAMON sysfs (CONFIG_DAMON_SYSFS) is not there (--root)`);
}

function schemeText(fs: DamonFiles, S: string, i: number, iv: Intervals): string[] {
  const r = (f: string) => sysRead(fs, `${S}/${f}`);
  const action = r('action');
  const dest = action.startsWith('migrate_') ? ` to node ${r('target_nid')}` : '';
  const pat = (f: string) => [r(`access_pattern/${f}/min`), r(`access_pattern/${f}/max`)] as const;
  const [szMin, szMax] = pat('sz');
  const [nrMin, nrMax] = pat('nr_accesses');
  const [ageMin, ageMax] = pat('age');
  const reset = Number(r('quotas/reset_interval_ms'));
  const st = (f: string) => r(`stats/${f}`);
  return [
    `scheme ${i}`,
    `    action: ${action}${dest} per aggr interval`,
    '    target access pattern',
    `        sz: [${szOrMax(szMin)}, ${szOrMax(szMax)}]`,
    `        nr_accesses: [${ratePct(nrMin, iv)}, ${ratePct(nrMax, iv)}]`,
    `        age: [${ageTime(ageMin, iv)}, ${ageTime(ageMax, iv)}]`,
    '    quotas',
    `        ${usTime(Number(r('quotas/ms')) * 1000)} / ${formatSz(Number(r('quotas/bytes')))} / ${formatSz(Number(r('quotas/effective_bytes')))} per ${reset === 0 ? 'max' : usTime(reset * 1000)}`,
    `        priority: sz ${r('quotas/weights/sz_permil')} permil, nr_accesses ${r('quotas/weights/nr_accesses_permil')} permil, age ${r('quotas/weights/age_permil')} permil`,
    '    watermarks',
    `        metric ${r('watermarks/metric')}, interval ${usTime(r('watermarks/interval_us'))}`,
    `        ${r('watermarks/high')} permil, ${r('watermarks/mid')} permil, ${r('watermarks/low')} permil`,
    '    statistics',
    `        tried ${commas(st('nr_tried'))} regions (${formatSz(Number(st('sz_tried')))}), applied ${commas(st('nr_applied'))} regions (${formatSz(Number(st('sz_applied')))}), quota exceeded ${commas(st('qt_exceeds'))} times`,
  ];
}

function intervalsOf(fs: DamonFiles, C: string): Intervals & { updateUs: number } {
  const I = `${C}/monitoring_attrs/intervals`;
  return { sampleUs: Number(sysRead(fs, `${I}/sample_us`)), aggrUs: Number(sysRead(fs, `${I}/aggr_us`)), updateUs: Number(sysRead(fs, `${I}/update_us`)) };
}

/** `damo status` / `damo report damon`: refresh running kdamonds' scheme stats, then the tree. */
export function reportDamon(fs: DamonFiles): string {
  requireSysfs(fs);
  const ind = (n: number, lines: string[]) => lines.map((l) => ' '.repeat(n) + l);
  const out: string[] = [];
  for (const k of indexes(fs, KDAMONDS)) {
    const K = kdamondDir(k);
    const state = sysRead(fs, `${K}/state`);
    if (state === 'on') sysWrite(fs, `${K}/state`, 'update_schemes_stats');
    out.push(`kdamond ${k}`, `    state: ${state}, pid: ${sysRead(fs, `${K}/pid`)}`);
    for (const c of indexes(fs, `${K}/contexts`)) {
      const C = `${K}/contexts/${c}`;
      const iv = intervalsOf(fs, C);
      const ops = sysRead(fs, `${C}/operations`);
      const lines = [`context ${c}`, `    ops: ${ops}`];
      for (const t of indexes(fs, `${C}/targets`)) {
        const T = `${C}/targets/${t}`;
        lines.push(`    target ${t}`);
        if (ops !== 'paddr') lines.push(`        pid: ${sysRead(fs, `${T}/pid_target`)}`);
        for (const r of indexes(fs, `${T}/regions`)) {
          const [s, e] = [Number(sysRead(fs, `${T}/regions/${r}/start`)), Number(sysRead(fs, `${T}/regions/${r}/end`))];
          lines.push(`        region [${commas(s)}, ${commas(e)}) (${formatSz(e - s)})`);
        }
      }
      const nr = `${C}/monitoring_attrs/nr_regions`;
      lines.push(
        `    intervals: sample ${usTime(iv.sampleUs)}, aggr ${usTime(iv.aggrUs)}, update ${usTime(iv.updateUs)}`,
        `    nr_regions: [${commas(sysRead(fs, `${nr}/min`))}, ${commas(sysRead(fs, `${nr}/max`))}]`,
      );
      for (const s of indexes(fs, `${C}/schemes`)) lines.push(...ind(4, schemeText(fs, `${C}/schemes/${s}`, s, iv)));
      out.push(...ind(4, lines));
    }
  }
  if (out.length === 0) return 'no kdamond\n';
  return `${out.join('\n')}\n`;
}

export interface TriedRegion {
  start: number;
  end: number;
  nrAccesses: number;
  age: number;
}

/** The scheme `report access` reads: the first `stat` scheme, else scheme 0. */
function accessScheme(fs: DamonFiles, C: string): string {
  const all = indexes(fs, `${C}/schemes`);
  if (all.length === 0) throw new DamoError("the running context has no DAMOS scheme to snapshot through; start DAMON with 'damo start' (it adds a stat scheme)");
  const stat = all.find((s) => sysRead(fs, `${C}/schemes/${s}/action`) === 'stat');
  return `${C}/schemes/${stat ?? all[0]}`;
}

/** update_schemes_tried_regions on kdamond 0, then its regions, lowest address first. */
export function snapshotRegions(fs: DamonFiles): { regions: TriedRegion[]; iv: Intervals } {
  requireSysfs(fs);
  const K = kdamondDir(0);
  if (!fs.isDir(K) || sysRead(fs, `${K}/state`) !== 'on') throw new DamoError('DAMON is not running (kdamond 0 is off)');
  const C = `${K}/contexts/0`;
  const S = accessScheme(fs, C);
  sysWrite(fs, `${K}/state`, 'update_schemes_tried_regions');
  const TR = `${S}/tried_regions`;
  const regions = indexes(fs, TR).map((i) => {
    const r = (f: string) => Number(sysRead(fs, `${TR}/${i}/${f}`));
    return { start: r('start'), end: r('end'), nrAccesses: r('nr_accesses'), age: r('age') };
  });
  regions.sort((a, b) => a.start - b.start);
  return { regions, iv: intervalsOf(fs, C) };
}

/** damo's detailed access report: index, addr, size, access rate, age; then the total size. */
export function formatAccessReport(regions: TriedRegion[], iv: Intervals, rawNumber = false): string {
  const sz = (v: number) => (rawNumber ? `${v}` : formatSz(v));
  const rows = regions.map((r, i) => [
    `${i}`,
    `addr ${sz(r.start)}`,
    `size ${sz(r.end - r.start)}`,
    `access ${Math.floor((r.nrAccesses * 100 * iv.sampleUs) / iv.aggrUs)} %`,
    `age ${rawNumber ? `${r.age * iv.aggrUs * 1000}` : usTime(r.age * iv.aggrUs)}`,
  ]);
  const widths = [0, 1, 2, 3].map((c) => Math.max(0, ...rows.map((r) => r[c]!.length)));
  const lines = rows.map((r) => r.map((cell, c) => (c < 4 ? cell.padEnd(widths[c]!) : cell)).join(' '));
  const total = regions.reduce((a, r) => a + r.end - r.start, 0);
  lines.push(`total size: ${sz(total)}`);
  return `${lines.join('\n')}\n`;
}
