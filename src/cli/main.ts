// The tiersim command line (yargs): mount, shell, bench, presets.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { CliError, DEFAULT_MACHINE, describeMachine, listPresets, loadMachine } from './machine.js';
import { runMount } from './mount.js';
import { runShell } from './shell.js';
import { damoMain } from '../damo/main.js';
import { runAdvance, runKill, runMigratePages, runPs, runSpawn } from './control.js';
import { DAMON_ABIS, type DamonAbi } from '../kernel/mm/damon/dbgfs.js';
import { parseIntervalMs, runStat } from './stat.js';
import { PlotError } from '../plot/style.js';
import { runBenchCommand } from './bench.js';

/**
 * The words after `command` on the command line, verbatim and without `--mount DIR`: yargs
 * folds repeated positional `key=value` words and would turn "08" into a number.
 */
function rawWordsAfter(command: string, fallbackFirst: string): string[] {
  const argv = hideBin(process.argv);
  const at = argv.indexOf(command);
  if (at < 0) return [fallbackFirst];
  const words: string[] = [];
  for (let i = at + 1; i < argv.length; i++) {
    const w = argv[i]!;
    if (w === '--mount') i++;
    else if (!w.startsWith('--mount=') && w !== '--') words.push(w);
  }
  return words;
}

const mountOpt = { type: 'string', default: 'mount', describe: 'a live tiersim mount' } as const;

async function main(argv: string[]): Promise<void> {
  await yargs(argv)
    .scriptName('tiersim')
    // A repeated option takes its last value (as most CLIs), not an array of values.
    .parserConfiguration({ 'duplicate-arguments-array': false })
    .usage('$0 <command> [options]\n\nA simulated Linux tiered-memory machine whose kernel files are served over FUSE.')
    .command(
      'mount [dir]',
      'boot a machine and serve its /sys and /proc files at DIR (foreground; Ctrl-C unmounts)',
      (y) =>
        y
          .positional('dir', { type: 'string', default: 'mount', describe: 'mount point (created if missing)' })
          .option('machine', { alias: 'm', type: 'string', default: DEFAULT_MACHINE, describe: 'preset name or machine JSON file' })
          .option('clock', { choices: ['realtime', 'virtual'] as const, default: 'realtime' as const, describe: 'simulated time follows the wall clock, or only explicit advances' })
          .option('speed', { type: 'number', default: 1, describe: 'realtime clock scale (2 = twice as fast as the wall clock)' })
          .option('seed', { type: 'number', default: 1, describe: 'PRNG seed: same seed, config and inputs give the same results' })
          // type 'string': yargs would parse 2020 and 5.15 as numbers, which then match no choice.
          .option('damon-abi', { type: 'string', choices: DAMON_ABIS, default: 'union' as DamonAbi, describe: 'DAMON debugfs generation: the 2020 series plus later names (union), or exactly one' })
          .option('allow-other', { type: 'boolean', default: false, describe: 'let other users enter the mount (allow_other; needs user_allow_other in /etc/fuse.conf for non-root)' })
          .option('kernel-cache', { type: 'boolean', default: true, describe: 'let the host kernel cache lookups and attributes of the static tree (volatile subtrees are served uncached); --no-kernel-cache sends every lookup to the server' }),
      async (a) => {
        if (!Number.isInteger(a.seed) || a.seed < 0) throw new CliError('--seed must be a non-negative integer', 2);
        if (!(a.speed > 0)) throw new CliError('--speed must be a positive number', 2);
        await runMount({ dir: a.dir, machine: a.machine, clock: a.clock, seed: a.seed, speed: a.speed, allowOther: a['allow-other'], kernelCache: a['kernel-cache'], damonAbi: a['damon-abi'] as DamonAbi });
      },
    )
    .command(
      'shell [command..]',
      'run COMMAND (default: your shell) in a private mount namespace where /sys and /proc show the machine served at --mount',
      (y) =>
        y
          .usage('$0 shell [--mount DIR] [-- CMD ARGS...]')
          .positional('command', { type: 'string', array: true, default: [] as string[], describe: 'command and arguments (after --)' })
          .option('mount', { type: 'string', default: 'mount', describe: 'a live tiersim mount (see tiersim mount)' }),
      async (a) => {
        // Words after `--` are taken verbatim from argv: yargs would turn "08" or "1e3" into numbers.
        const dashes = process.argv.indexOf('--');
        const command = [...a.command.map(String), ...(dashes >= 0 ? process.argv.slice(dashes + 1) : [])];
        process.exit(await runShell({ mount: a.mount, command }));
      },
    )
    .command(
      'advance <duration>',
      'advance a virtual-clock mount by DURATION (250ms, 10s, 1500us); prints the new clock',
      (y) => y.positional('duration', { type: 'string', demandOption: true }).option('mount', mountOpt),
      async (a) => runAdvance(a.mount, a.duration),
    )
    .command(
      'spawn <workload> [keys..]',
      'start a workload (abench, memhog, hotset, zipf, idle) with key=value settings; prints its pid',
      (y) =>
        y
          .usage('$0 spawn [--mount DIR] abench size=8G threads=64 iters=512 delay_us=1 node=1')
          .positional('workload', { type: 'string', demandOption: true })
          .positional('keys', { type: 'string', array: true, default: [] as string[] })
          .option('mount', mountOpt),
      (a) => runSpawn(a.mount, rawWordsAfter('spawn', a.workload)),
    )
    .command('ps', 'list simulated processes', (y) => y.option('mount', mountOpt), (a) => runPs(a.mount))
    .command(
      'kill <pid>',
      'kill a simulated process',
      (y) => y.positional('pid', { type: 'string', demandOption: true }).option('mount', mountOpt),
      (a) => runKill(a.mount, a.pid),
    )
    .command(
      'migratepages <pid> <from> <to>',
      "move a process's pages from nodes FROM to nodes TO (like numactl's migratepages); prints pages moved and simulated time",
      (y) =>
        y
          .positional('pid', { type: 'string', demandOption: true })
          .positional('from', { type: 'string', demandOption: true })
          .positional('to', { type: 'string', demandOption: true })
          .option('mount', mountOpt),
      (a) => runMigratePages(a.mount, a.pid, a.from, a.to),
    )
    .command(
      'stat',
      'sample a mount like vmstat 1 / numastat: per-node memory, promotions, demotions, migrations, hint faults, DAMON, progress',
      (y) =>
        y
          .usage('$0 stat [--interval 1s] [--count N] [--csv|--json] [--plot FILE.png|svg] [--mount DIR]')
          .option('interval', { type: 'string', default: '1s', describe: 'wall time between samples (1s, 500ms, 2); rates are per simulated second' })
          .option('count', { type: 'number', describe: 'number of samples, the first (averages since boot) included; default: until Ctrl-C' })
          .option('csv', { type: 'boolean', describe: 'comma-separated values, one header line' })
          .option('json', { type: 'boolean', describe: 'one JSON object per line' })
          .option('plot', { type: 'string', describe: 'when sampling ends, draw the timeline (stacked per-node memory over rates) to FILE' })
          .option('mount', mountOpt)
          .conflicts('csv', 'json'),
      async (a) => {
        if (a.count !== undefined && !(Number.isInteger(a.count) && a.count > 0)) throw new CliError('--count must be a positive integer', 2);
        try {
          await runStat({ mount: a.mount, intervalMs: parseIntervalMs(a.interval), count: a.count, format: a.json ? 'json' : a.csv ? 'csv' : 'table', plot: a.plot });
        } catch (err) {
          if (err instanceof PlotError) throw new CliError(err.message);
          throw err;
        }
      },
    )
    .command(
      'damo',
      'the DAMON user-space tool (record, schemes, report, status, pa_layout); see tiersim damo --help',
      (y) => y.help(false).version(false).strict(false),
      async () => {
        const at = process.argv.indexOf('damo');
        process.exit(await damoMain(process.argv.slice(at + 1), 'tiersim damo'));
      },
    )
    .command(
      'bench [name]',
      "reproduce a published result in simulated time (kmmscand-abench, migrate-batch-memhog, ...): table with the published values and the model's error",
      (y) =>
        y
          .usage('$0 bench NAME [--seeds N] [--quick] [--json] [--plot FILE.png|svg]\n$0 bench --list')
          .positional('name', { type: 'string', describe: 'the bench (see --list)' })
          .option('list', { type: 'boolean', describe: 'list the benches' })
          .option('seeds', { type: 'number', describe: "repeat with seeds 1..N and report mean and %stdev (default: the bench's)" })
          .option('quick', { type: 'boolean', describe: 'scaled-down run for smoke tests (figures not comparable with the publication)' })
          .option('json', { type: 'boolean', describe: 'print one JSON object instead of the table' })
          .option('plot', { type: 'string', describe: 'draw the publication-style figure to FILE (.png or .svg)' }),
      (a) => runBenchCommand({ name: a.name, list: a.list, seeds: a.seeds, quick: a.quick, json: a.json, plot: a.plot }),
    )
    .command(
      'presets',
      'list the machine presets',
      (y) => y,
      () => {
        for (const name of listPresets()) process.stdout.write(`${describeMachine(loadMachine(name).config)}\n`);
      },
    )
    .demandCommand(1, 'name a command; see --help')
    .strict()
    .fail((msg, err) => {
      if (err) throw err;
      process.stderr.write(`tiersim: ${msg}\nRun 'tiersim --help' for usage.\n`);
      process.exit(2);
    })
    .help()
    .parseAsync();
}

main(hideBin(process.argv)).then(
  () => process.exit(0),
  (err: unknown) => {
    if (err instanceof CliError) {
      process.stderr.write(`tiersim: ${err.message}\n`);
      process.exit(err.exitCode);
    }
    process.stderr.write(`tiersim: internal error: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(70);
  },
);
