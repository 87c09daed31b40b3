// The damo port's command line: `damo record|schemes|report|status|pa_layout` (debugfs) and
// `damo start|tune|stop|status|report damon|report access` (sysfs), installed as
// `damo` and as `tiersim damo`. A user-space program: it only opens paths under --root, so it
// works against a tiersim mount, inside `tiersim shell`, and on a real kernel alike.
import yargs, { type Argv } from 'yargs';
import { DamoError } from './damon.js';
import { KernelFiles } from './fs.js';
import { PlotError } from '../plot/style.js';
import { runRecord, runSchemes, type RecordOptions } from './record.js';
import { runReportDist, runReportHeats } from './figures.js';
import { loadRecord, reportRaw, type DistOptions } from './report.js';
import { damonStatus, paLayout } from './status.js';
import { defaultPaddrRegion, paddrRegionsOf } from './layout.js';
import { parseRegions } from './record.js';
import { startConfig } from './start.js';
import { KDAMONDS, startKdamond, stopKdamonds, sysRead, sysfsSupported, tuneKdamond } from './sysfs.js';
import { formatAccessReport, reportDamon, snapshotRegions } from './sysfs-report.js';

const files = (a: { root: string; debugfs: string }) => new KernelFiles(a.root, a.debugfs);

function monitorOptions<T>(y: Argv<T>) {
  return y
    .option('sample', { alias: 's', type: 'number', default: 5000, describe: 'sampling interval (us)' })
    .option('aggr', { alias: 'a', type: 'number', default: 100000, describe: 'aggregation interval (us)' })
    .option('updr', { alias: 'u', type: 'number', default: 1000000, describe: 'regions update interval (us)' })
    .option('minr', { alias: 'n', type: 'number', default: 10, describe: 'minimum number of regions' })
    .option('maxr', { alias: 'm', type: 'number', default: 1000, describe: 'maximum number of regions' })
    .option('regions', { alias: 'r', type: 'string', describe: 'initial regions, "START-END START-END" in decimal bytes' })
    .option('numa_node', { type: 'number', describe: 'monitor the System RAM of this NUMA node (paddr)' })
    .option('timeout', { type: 'number', describe: 'stop after this many seconds (besides Ctrl-C and target exit)' });
}

function recordOptions(a: { sample: number; aggr: number; updr: number; minr: number; maxr: number; rbuf: number; out: string; regions?: string; numa_node?: number; timeout?: number }): RecordOptions {
  return { sampleUs: a.sample, aggrUs: a.aggr, updateUs: a.updr, minNrRegions: a.minr, maxNrRegions: a.maxr, rbufLen: a.rbuf, out: a.out, regions: a.regions, numaNode: a.numa_node, timeoutS: a.timeout };
}

/** `damo start`'s options beyond the monitoring ones (damo 2.x/3.x names). */
function startOptions<T>(y: Argv<T>) {
  return monitorOptions(y)
    .positional('target', { type: 'string', describe: 'paddr or the pid of the target process' })
    .option('target_pid', { type: 'number', describe: 'pid of the virtual address space to monitor' })
    .option('ops', { choices: ['vaddr', 'fvaddr', 'paddr'] as const, describe: 'operations set (default: vaddr with a pid, else paddr)' })
    .option('damos_action', { type: 'string', array: true, describe: 'DAMOS action [target node] (one scheme; default: a stat scheme on every region)' })
    .option('damos_access_rate', { type: 'string', array: true, describe: 'min and max access rate of the scheme (e.g. 0% 0%, 50% max)' })
    .option('damos_sz_region', { type: 'string', array: true, describe: 'min and max region size of the scheme (e.g. 4K max)' })
    .option('damos_age', { type: 'string', array: true, describe: 'min and max age of the scheme (e.g. 5s max)' })
    .option('damos_quotas', { type: 'string', array: true, describe: '<time (ms)> <size> <reset interval (ms)> [<sz> <nr_accesses> <age> weights]' });
}

/** `-r/--regions`, else for paddr the node's (`--numa_node`) or the largest System RAM. */
function initRegions(fs: KernelFiles, a: { target?: string; target_pid?: number; ops?: string; regions?: string; numa_node?: number }): Array<[number, number]> {
  if (a.regions) return parseRegions(a.regions);
  const paddr = a.target === 'paddr' || (a.target === undefined && a.target_pid === undefined && (a.ops ?? 'paddr') === 'paddr');
  if (!paddr) return [];
  return a.numa_node !== undefined ? paddrRegionsOf(fs, a.numa_node) : [defaultPaddrRegion(fs)];
}

function distOptions<T>(y: Argv<T>, what: 'wss' | 'nr_regions') {
  const z = y
    .option('input', { alias: 'i', type: 'string', default: 'damon.data', describe: 'record file' })
    .option('range', { alias: 'r', type: 'number', array: true, default: [0, 101, 25], describe: "percentiles to print, as Python's range(START, STOP, STEP)" })
    .option('sortby', { alias: 's', choices: ['size', 'time'] as const, default: 'size' as const, describe: 'sort the values by size (percentiles) or keep them in time order' })
    .option('exclude_samples', { type: 'number', default: 20, describe: 'number of first snapshots to be excluded' })
    .option('plot', { alias: 'p', type: 'string', describe: 'plot the distribution to an image file (.png or .svg) instead of printing it' });
  return what === 'wss'
    ? z
        .option('acc_thres', { alias: 't', type: 'number', default: 1, describe: 'minimal nr_accesses of a working-set region' })
        .option('sz_thres', { type: 'number', default: 1, describe: 'minimal size of a working-set region (bytes)' })
    : z.option('acc_thres', { hidden: true, type: 'number', default: 1 }).option('sz_thres', { hidden: true, type: 'number', default: 1 });
}

function dist(a: { range: number[]; sortby: 'size' | 'time'; exclude_samples: number; acc_thres: number; sz_thres: number }): DistOptions {
  if (a.range.length !== 3 || a.range.some((v) => !Number.isInteger(v))) throw new DamoError('--range takes three integers: START STOP STEP');
  const [from, to, step] = a.range as [number, number, number];
  if (step === 0) throw new DamoError('--range STEP must not be zero');
  return { range: [from, to, step], sortby: a.sortby, excludeSamples: a.exclude_samples, accThres: a.acc_thres, szThres: a.sz_thres };
}

/** A pair option (damo's nargs=2) as [a, b], or undefined. */
function pair(v: number[] | undefined, name: string): [number, number] | undefined {
  if (v === undefined) return undefined;
  if (v.length !== 2 || v.some((x) => !Number.isFinite(x))) throw new DamoError(`--${name} takes two numbers`);
  return [v[0]!, v[1]!];
}

export async function damoMain(argv: string[], scriptName = 'damo'): Promise<number> {
  try {
    await yargs(argv)
      .scriptName(scriptName)
      .usage('$0 <command> [options]\n\nThe DAMON user-space tool (a TypeScript port of damo), talking to the kernel only through files under --root.')
      .parserConfiguration({ 'duplicate-arguments-array': false })
      .option('root', { type: 'string', default: '/', describe: 'prefix of every kernel path (a tiersim mount, or / for the real kernel)' })
      .option('damon_interface', { choices: ['sysfs', 'debugfs', 'auto'] as const, default: 'auto' as const, describe: "DAMON interface of 'status' (auto: sysfs when it has a kdamond or debugfs has no damon directory)" })
      .option('debugfs', { alias: 'd', type: 'string', default: '/sys/kernel/debug', describe: 'debugfs mount point (under --root)' })
      .command(
        'record <target..>',
        'record the access pattern of TARGET (paddr, a pid, or a command) into a record file',
        (y) =>
          monitorOptions(y)
            .positional('target', { type: 'string', array: true, demandOption: true })
            .option('rbuf', { alias: 'l', type: 'number', default: 1048576, describe: 'record buffer size (bytes)' })
            .option('out', { alias: 'o', type: 'string', default: 'damon.data', describe: 'record file (an existing one is renamed .old)' }),
        async (a) => runRecord(files(a), a.target.map(String), recordOptions(a)),
      )
      .command(
        'schemes <file> <target..>',
        'apply the data access monitoring-based operation schemes in FILE to TARGET',
        (y) => monitorOptions(y).positional('file', { type: 'string', demandOption: true }).positional('target', { type: 'string', array: true, demandOption: true }),
        async (a) => runSchemes(files(a), a.file, a.target.map(String), recordOptions({ ...a, rbuf: 0, out: 'null' })),
      )
      .command('report <kind>', 'report a record file: raw, wss, nr_regions or heats', (y) =>
        y
          .command('raw', 'every snapshot as text', (z) => z.option('input', { alias: 'i', type: 'string', default: 'damon.data' }), (a) => void process.stdout.write(reportRaw(loadRecord(a.input))))
          .command('wss', 'working set size distribution', (z) => distOptions(z, 'wss'), async (a) => runReportDist('wss', a.input, dist(a), a.plot))
          .command('nr_regions', 'number of regions distribution', (z) => distOptions(z, 'nr_regions'), async (a) => runReportDist('nr_regions', a.input, dist(a), a.plot))
          .command(
            'heats',
            'access heat over time and address (--heatmap FILE.png|svg draws it)',
            (z) =>
              z
                .option('input', { alias: 'i', type: 'string', default: 'damon.data' })
                .option('tid', { type: 'string', describe: 'target id' })
                .option('resol', { type: 'number', array: true, describe: 'resolutions for time and address axes (default 500 500)' })
                .option('tres', { type: 'number', describe: 'time resolution (the 2020 option; same as the first --resol)' })
                .option('ares', { type: 'number', describe: 'address resolution (the 2020 option; same as the second --resol)' })
                .option('time_range', { type: 'number', array: true, describe: 'start and end time (ns since boot) of the output' })
                .option('address_range', { type: 'number', array: true, describe: 'start and end address of the output' })
                .option('tmin', { type: 'number', describe: 'minimal time of the output (2020 option)' })
                .option('tmax', { type: 'number', describe: 'maximum time of the output (2020 option)' })
                .option('amin', { type: 'number', describe: 'minimal address of the output (2020 option)' })
                .option('amax', { type: 'number', describe: 'maximum address of the output (2020 option)' })
                .option('abs_time', { type: 'boolean', default: false, describe: 'display absolute time in output' })
                .option('abs_addr', { type: 'boolean', default: false, describe: 'display absolute address in output' })
                .option('guide', { type: 'boolean', default: false, describe: 'print the time and address ranges of each target' })
                .option('heatmap', { type: 'string', describe: 'heatmap image file to create (.png or .svg) instead of printing the cells' })
                .option('node_boundaries', { type: 'boolean', default: true, describe: 'on a paddr heatmap, mark NUMA node and memory tier boundaries (layout read under --root)' }),
            async (a) => {
              const resol = pair(a.resol, 'resol');
              const time = pair(a.time_range, 'time_range');
              const addr = pair(a.address_range, 'address_range');
              await runReportHeats(
                files(a),
                a.input,
                {
                  tid: a.tid,
                  tres: resol?.[0] ?? a.tres ?? 500,
                  ares: resol?.[1] ?? a.ares ?? 500,
                  tmin: time?.[0] ?? a.tmin,
                  tmax: time?.[1] ?? a.tmax,
                  amin: addr?.[0] ?? a.amin,
                  amax: addr?.[1] ?? a.amax,
                  absTime: a.abs_time,
                  absAddr: a.abs_addr,
                  guide: a.guide,
                },
                a.heatmap,
                a.node_boundaries,
              );
            },
          )
          .command('damon', 'the running DAMON through sysfs: kdamonds, contexts, targets, schemes and their stats', (z) => z, (a) => void process.stdout.write(reportDamon(files(a))))
          .command(
            'access',
            "a snapshot of the running DAMON's regions (sysfs update_schemes_tried_regions)",
            (z) => z.option('raw_number', { type: 'boolean', default: false, describe: 'print addresses, sizes and ages (ns) as plain numbers' }),
            (a) => {
              const { regions, iv } = snapshotRegions(files(a));
              process.stdout.write(formatAccessReport(regions, iv, a.raw_number));
            },
          )
          .demandCommand(1, 'name a report: raw, wss, nr_regions, heats, damon or access'),
      )
      .command(
        'start [target]',
        'start DAMON through sysfs on TARGET (paddr or a pid, or --target_pid) and return',
        (y) => startOptions(y),
        (a) => {
          const fs = files(a);
          startKdamond(fs, startConfig(a, initRegions(fs, a)));
        },
      )
      .command(
        'tune [target]',
        "apply new parameters to the running kdamond 0 (sysfs 'commit'); unspecified ones return to their defaults",
        (y) => startOptions(y),
        (a) => {
          const fs = files(a);
          tuneKdamond(fs, startConfig(a, initRegions(fs, a)));
        },
      )
      .command('stop', 'turn every running kdamond off (sysfs)', (y) => y, (a) => void stopKdamonds(files(a)))
      .command(
        'status',
        'the running DAMON (sysfs, as report damon), or the DAMON debugfs directory as JSON',
        (y) => y,
        (a) => {
          const fs = files(a);
          // auto: sysfs when it holds a kdamond, or when there is no DAMON debugfs to dump.
          const auto = sysfsSupported(fs) && (!fs.isDir(fs.damonDir) || sysRead(fs, `${KDAMONDS}/nr_kdamonds`) !== '0');
          const sysfs = a.damon_interface === 'sysfs' || (a.damon_interface === 'auto' && auto);
          process.stdout.write(sysfs ? reportDamon(fs) : `${JSON.stringify(damonStatus(fs), null, 2)}\n`);
        },
      )
      .command('pa_layout', 'physical address layout: System RAM by node and memory-block state', (y) => y, (a) => void process.stdout.write(paLayout(files(a))))
      .demandCommand(1, 'name a command; see --help')
      .strict()
      .fail((msg, err) => {
        throw err ?? new DamoError(msg);
      })
      .help()
      .parseAsync();
    return 0;
  } catch (err) {
    if (err instanceof DamoError || err instanceof PlotError) {
      process.stderr.write(`${scriptName}: ${err.message}\n`);
      return 1;
    }
    const e = err as NodeJS.ErrnoException;
    if (e.code) {
      process.stderr.write(`${scriptName}: ${e.message}\n`);
      return 1;
    }
    throw err;
  }
}
