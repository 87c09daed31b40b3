// The damo port's command line: `damo record|schemes|report|status|pa_layout`, installed as
// `damo` and as `tiersim damo`. A user-space program: it only opens paths under --root, so it
// works against a tiersim mount, inside `tiersim shell`, and on a real kernel alike.
import yargs, { type Argv } from 'yargs';
import { DamoError } from './damon.js';
import { KernelFiles } from './fs.js';
import { runRecord, runSchemes, type RecordOptions } from './record.js';
import { loadRecord, reportHeats, reportNrRegions, reportRaw, reportWss, type DistOptions } from './report.js';
import { damonStatus, paLayout } from './status.js';

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

function distOptions<T>(y: Argv<T>) {
  return y
    .option('input', { alias: 'i', type: 'string', default: 'damon.data', describe: 'record file' })
    .option('range', { type: 'number', array: true, default: [0, 101, 25], describe: 'percentiles: FROM TO STEP' })
    .option('sortby', { choices: ['size', 'time'] as const, default: 'size' as const })
    .option('exclude_samples', { type: 'number', default: 20, describe: 'snapshots skipped at the start' })
    .option('acc_thres', { type: 'number', default: 1, describe: 'minimal nr_accesses of a working-set region' })
    .option('sz_thres', { type: 'number', default: 1, describe: 'minimal size of a working-set region' })
    .option('plot', { type: 'string', describe: 'also draw the distribution to FILE (.svg or .png)' });
}

function dist(a: { range: number[]; sortby: 'size' | 'time'; exclude_samples: number; acc_thres: number; sz_thres: number; plot?: string }): DistOptions {
  const [from = 0, to = 101, step = 25] = a.range;
  if (step <= 0) throw new DamoError('--range STEP must be positive');
  return { range: [from, Math.min(to, 100), step], sortby: a.sortby, excludeSamples: a.exclude_samples, accThres: a.acc_thres, szThres: a.sz_thres, plot: a.plot };
}

export async function damoMain(argv: string[], scriptName = 'damo'): Promise<number> {
  try {
    await yargs(argv)
      .scriptName(scriptName)
      .usage('$0 <command> [options]\n\nThe DAMON user-space tool (a TypeScript port of damo), talking to the kernel only through files under --root.')
      .parserConfiguration({ 'duplicate-arguments-array': false })
      .option('root', { type: 'string', default: '/', describe: 'prefix of every kernel path (a tiersim mount, or / for the real kernel)' })
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
          .command('wss', 'working set size distribution', (z) => distOptions(z), (a) => void process.stdout.write(reportWss(loadRecord(a.input), dist(a))))
          .command('nr_regions', 'number of regions distribution', (z) => distOptions(z), (a) => void process.stdout.write(reportNrRegions(loadRecord(a.input), dist(a))))
          .command(
            'heats',
            'access heat over time and address (--heatmap FILE.svg|png draws it)',
            (z) =>
              z
                .option('input', { alias: 'i', type: 'string', default: 'damon.data' })
                .option('tid', { type: 'string', describe: 'target id' })
                .option('tres', { type: 'number', default: 500 })
                .option('ares', { type: 'number', default: 500 })
                .option('tmin', { type: 'number' })
                .option('tmax', { type: 'number' })
                .option('amin', { type: 'number' })
                .option('amax', { type: 'number' })
                .option('guide', { type: 'boolean', default: false, describe: 'print the time and address ranges of each target' })
                .option('heatmap', { type: 'string', describe: 'draw the heatmap to FILE (.svg or .png)' }),
            (a) => void process.stdout.write(reportHeats(loadRecord(a.input), { tid: a.tid, tres: a.tres, ares: a.ares, tmin: a.tmin, tmax: a.tmax, amin: a.amin, amax: a.amax, guide: a.guide, heatmap: a.heatmap })),
          )
          .demandCommand(1, 'name a report: raw, wss, nr_regions or heats'),
      )
      .command('status', 'dump the DAMON debugfs directory as JSON', (y) => y, (a) => void process.stdout.write(`${JSON.stringify(damonStatus(files(a)), null, 2)}\n`))
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
    if (err instanceof DamoError) {
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
