// Pieces of command-line handling shared by the simulator's commands (cli/main.ts) and the
// cluster's (cli/cluster.ts).
import { ScenarioError } from '../world/scenario.ts';
import { readScenarioFile } from '../world/scenario_file.ts';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A scenario file's content, or a usage error naming the flag, the file and what is wrong. */
export function readScenarioFlag(path: string): unknown {
  try {
    return readScenarioFile(path);
  } catch (error) {
    if (error instanceof ScenarioError) throw new UsageError(`--scenario: ${error.message}`);
    throw error;
  }
}
