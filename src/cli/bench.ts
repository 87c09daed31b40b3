// `tiersim bench NAME`: run a reproduction bench in process (virtual clock) and print its table,
// `--json` or `--plot`. Progress goes to stderr only when stderr is a terminal.
import { BENCHES, benchNames, findBench } from '../bench/index.js';
import { BenchError, plotBench, reportJson, reportLines, runBench } from '../bench/runner.js';
import { PlotError } from '../plot/style.js';
import { CliError } from './machine.js';

export interface BenchArgs {
  name?: string;
  list?: boolean;
  seeds?: number;
  quick?: boolean;
  json?: boolean;
  plot?: string;
}

export function benchList(): string {
  return BENCHES.map((b) => `${b.name.padEnd(24)} ${b.title} [${b.presets.join(', ')}; ${b.defaultSeeds} seed${b.defaultSeeds > 1 ? 's' : ''}]\n`).join('');
}

export async function runBenchCommand(a: BenchArgs): Promise<void> {
  if (a.list || !a.name) {
    if (!a.list) throw new CliError(`name a bench (tiersim bench NAME); benches: ${benchNames().join(', ')}`, 2);
    process.stdout.write(benchList());
    return;
  }
  const bench = findBench(a.name);
  if (!bench) throw new CliError(`unknown bench "${a.name}"; benches: ${benchNames().join(', ')} (tiersim bench --list describes them)`, 2);
  if (a.seeds !== undefined && !(Number.isInteger(a.seeds) && a.seeds >= 1)) throw new CliError(`--seeds must be a whole number ≥ 1, got ${a.seeds}`, 2);
  if (a.plot !== undefined) {
    const { imageFormatOf } = await import('../plot/style.js');
    try {
      imageFormatOf(a.plot);
    } catch (err) {
      if (err instanceof PlotError) throw new CliError(err.message, 2);
      throw err;
    }
    if (!bench.plot) throw new CliError(`${bench.name} draws no figure; run it without --plot`, 2);
  }
  const tty = process.stderr.isTTY === true;
  const onProgress = tty ? (line: string) => process.stderr.write(`\r\x1b[K${line}`) : undefined;
  try {
    const result = await runBench(bench, { seeds: a.seeds, quick: a.quick, onProgress });
    if (tty) process.stderr.write('\r\x1b[K');
    if (a.json) process.stdout.write(`${JSON.stringify(reportJson(result))}\n`);
    else process.stdout.write(`${reportLines(result).join('\n')}\n`);
    if (a.plot !== undefined) {
      const bytes = await plotBench(result, a.plot);
      if (!a.json) process.stdout.write(`figure: ${a.plot} (${bytes} bytes)\n`);
    }
  } catch (err) {
    if (err instanceof BenchError || err instanceof PlotError) throw new CliError(err.message, 2);
    throw err;
  }
}
