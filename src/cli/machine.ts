// Loading a machine description for the CLI: a preset name (presets/NAME.json) or a JSON file.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { ConfigError, parseMachineConfig, type MachineConfig } from '../kernel/config/machine.js';
import { formatSize } from '../kernel/lib/units.js';

/** The presets folder shipped with tiersim (two levels above src/cli and dist/cli). */
export const PRESETS_DIR = fileURLToPath(new URL('../../presets/', import.meta.url));
export const DEFAULT_MACHINE = 'cxl-2node';

/** A user-facing failure: printed as `tiersim: <message>`, exit code as given. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function listPresets(): string[] {
  return readdirSync(PRESETS_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

/**
 * Resolve `--machine` (a preset name or a path to a JSON file) into a checked machine.
 * @throws CliError naming the file, the field and the problem
 */
export function loadMachine(spec: string = DEFAULT_MACHINE): { config: MachineConfig; source: string } {
  const looksLikePath = spec.includes('/') || spec.endsWith('.json');
  const file = looksLikePath ? resolve(spec) : resolve(PRESETS_DIR, `${spec}.json`);
  if (!existsSync(file)) {
    if (looksLikePath) throw new CliError(`machine file ${spec} does not exist`, 2);
    throw new CliError(`unknown machine preset "${spec}"; presets: ${listPresets().join(', ')} (or pass a JSON file path)`, 2);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CliError(`${spec}: not valid JSON: ${(err as Error).message}`, 2);
  }
  try {
    return { config: parseMachineConfig(raw), source: file };
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(`${spec}: ${err.message}`, 2);
    throw err;
  }
}

/** One line describing a machine: "cxl-2node: 2 nodes (1 DRAM, 1 CXL), 32 GiB, 8 CPUs". */
export function describeMachine(config: MachineConfig): string {
  const total = config.nodes.reduce((s, n) => s + n.memBytes, 0);
  const cpus = config.nodes.reduce((s, n) => s + n.cpus.length, 0);
  const dram = config.nodes.filter((n) => n.kind === 'dram').length;
  return `${config.name}: ${config.nodes.length} nodes (${dram} DRAM, ${config.nodes.length - dram} CXL), ${formatSize(total)}, ${cpus} CPUs`;
}
