// Pieces of command-line handling shared by the simulator's commands (cli/main.ts) and the
// cluster's (cli/cluster.ts).
import { ScenarioError } from '../world/scenario.ts';
import { readScenarioFile } from '../world/scenario_file.ts';

/**
 * Exit codes, one scheme for every command (README, docs/CLUSTER.md): bad input is anything the
 * person typing can fix (a flag, a file, a name, a folder in the wrong state); `failed` is what
 * they cannot (NATS or the launcher unreachable, a process that died, a bug).
 */
export const EXIT = { ok: 0, violated: 1, badInput: 2, failed: 3 } as const;

/** Bad input: one line naming what is wrong and what to type instead (exit 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** node:util's parseArgs error, as one line in the words of this command. */
export function flagProblem(error: Error & { code?: string }, help = 'gongji help'): string {
  const option = /'(-[^']*)'/.exec(error.message)?.[1] ?? '';
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option '${option}' (${help} lists the options)`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const flag = option.split(' ')[0] ?? option;
      if (/ambiguous/.test(error.message))
        return `${flag}: a value that starts with '-' is written ${flag}=<value>`;
      return /argument missing/.test(error.message)
        ? `${flag} needs a value`
        : `${flag} takes no value`;
    }
    default:
      return error.message.split('\n')[0] ?? 'bad arguments';
  }
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
