// Pieces of command-line handling shared by the simulator's commands (sim/cli.ts) and the
// cluster's (cluster/cli.ts), kept apart so neither command module imports the other.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function readScenarioFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      `--scenario: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  try {
    return path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new UsageError(
      `--scenario: ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0]}`,
    );
  }
}
