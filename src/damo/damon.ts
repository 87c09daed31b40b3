// Talking to DAMON's debugfs files as damo's _damon.py does: check the interface, save and
// restore attrs/record/schemes, set the target (pids or target_ids, paddr) and its initial
// regions, turn monitoring on and off, and wait.
import { setTimeout as sleep } from 'node:timers/promises';
import { errnoOf, type KernelFiles } from './fs.js';

/** The five numbers of the `attrs` file. */
export interface MonitorIntervals {
  sampleUs: number;
  aggrUs: number;
  updateUs: number;
  minNrRegions: number;
  maxNrRegions: number;
}

/** Everything damo saves before a run and restores after it. */
export interface MonitorAttrs extends MonitorIntervals {
  rbufLen: number;
  recordPath: string;
  /** Scheme lines in the kernel's input format (no stats columns). */
  schemes: string[];
  /**
   * The five attrs numbers as the kernel printed them, when saved from it: restored verbatim,
   * so unsigned longs above 2^53 (up to ULONG_MAX) come back exactly, as Python's ints do.
   */
  attrsText?: string;
}

export type Target = { kind: 'paddr' } | { kind: 'pid'; pid: number };

/** A damo error: printed as `damo: <message>`, exit 1. */
export class DamoError extends Error {}

export class Damon {
  /** The file holding the target list: `target_ids` (later kernels) or `pids` (2020). */
  readonly targetFile: string;
  readonly hasRecord: boolean;
  readonly hasInitRegions: boolean;
  /** Fields per scheme line the kernel takes (7 in 2020, 18 later). */
  readonly schemeFields: number;

  constructor(readonly fs: KernelFiles) {
    if (!fs.isDir(fs.damonDir)) throw new DamoError(`${fs.path(fs.damonDir)} not found: is debugfs mounted and DAMON's debugfs interface (CONFIG_DAMON_DBGFS) there? (-d/--debugfs, --root)`);
    this.targetFile = fs.exists(fs.damon('target_ids')) ? 'target_ids' : 'pids';
    for (const f of ['attrs', 'schemes', 'monitor_on', this.targetFile]) {
      if (!fs.exists(fs.damon(f))) throw new DamoError(`damon debugfs file (${fs.path(fs.damon(f))}) not found`);
    }
    this.hasRecord = fs.exists(fs.damon('record'));
    this.hasInitRegions = fs.exists(fs.damon('init_regions'));
    this.schemeFields = this.probeSchemeFields();
  }

  /** 7 fields (2020) or 18 (5.16+): from what the kernel reads back, else by probing. */
  private probeSchemeFields(): number {
    const cur = this.fs.read(this.fs.damon('schemes')).trim();
    if (cur !== '') {
      const n = cur.split('\n')[0]!.trim().split(/\s+/).length;
      return n === 9 ? 7 : 18;
    }
    if (this.running()) return 7;
    try {
      this.write('schemes', '4096 8192 0 5 10 20 5\n');
      const back = this.fs.read(this.fs.damon('schemes')).trim().split(/\s+/).length;
      this.write('schemes', '\n');
      return back === 9 ? 7 : 18;
    } catch {
      return 18;
    }
  }

  write(file: string, text: string): void {
    try {
      this.fs.write(this.fs.damon(file), text);
    } catch (err) {
      throw new DamoError(`writing ${JSON.stringify(text.trim())} to ${this.fs.path(this.fs.damon(file))} failed: ${errnoOf(err) ?? (err as Error).message}`);
    }
  }

  read(file: string): string {
    return this.fs.read(this.fs.damon(file));
  }

  running(): boolean {
    return this.read('monitor_on').trim() === 'on';
  }

  current(): MonitorAttrs {
    const attrsText = this.read('attrs').trim().split(/\s+/).join(' ');
    const [s, a, u, n, m] = attrsText.split(' ').map(Number) as [number, number, number, number, number];
    const [len, path] = this.hasRecord ? this.read('record').trim().split(/\s+/) : ['0', 'none'];
    const stats = this.schemeFields === 7 ? 2 : this.read('schemes').trim().split('\n')[0]?.trim().split(/\s+/).length === 23 ? 5 : 2;
    const schemes = this.read('schemes')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => l.trim().split(/\s+/).slice(0, -stats).join(' '));
    return { sampleUs: s, aggrUs: a, updateUs: u, minNrRegions: n, maxNrRegions: m, rbufLen: Number(len), recordPath: path ?? 'none', schemes, attrsText };
  }

  /** Attrs.apply(): attrs, record, schemes, each with a trailing space as damo writes them. */
  apply(a: MonitorAttrs): void {
    this.write('attrs', `${a.attrsText ?? `${a.sampleUs} ${a.aggrUs} ${a.updateUs} ${a.minNrRegions} ${a.maxNrRegions}`} \n`);
    if (this.hasRecord) this.write('record', `${a.rbufLen} ${a.recordPath} \n`);
    this.write('schemes', a.schemes.length === 0 ? '\n' : `${a.schemes.join('\n')}\n`);
  }

  /** Set the one target and its initial regions. */
  setTarget(t: Target, regions: Array<[number, number]>): void {
    this.write(this.targetFile, t.kind === 'paddr' ? 'paddr\n' : `${t.pid}\n`);
    if (!this.hasInitRegions) {
      if (regions.length > 0) throw new DamoError('this kernel has no init_regions file: --regions and paddr layouts need it');
      return;
    }
    // The kernel reads the paddr id back in its own form (-1 or 42); index-based kernels take 0.
    const id = t.kind === 'paddr' ? this.read(this.targetFile).trim() : String(t.pid);
    const text = regions.map(([s, e]) => `${id} ${s} ${e}`).join(' ');
    try {
      this.write('init_regions', `${text}\n`);
    } catch (err) {
      if (regions.length === 0) throw err;
      this.write('init_regions', `${regions.map(([s, e]) => `0 ${s} ${e}`).join(' ')}\n`);
    }
  }

  async turn(on: boolean): Promise<void> {
    if (this.running() === on) return;
    this.write('monitor_on', on ? 'on\n' : 'off\n');
    for (let i = 0; i < 100 && this.running() !== on; i++) await sleep(100);
  }
}
