// Structured logs (pino) on stderr, separate from the human summary on stdout. Level from
// GONGJI_LOG (default 'warn': failed invariants and frames refused at the boundary).
import pino from 'pino';

const LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const asked = process.env.GONGJI_LOG;
const level = asked !== undefined && LEVELS.includes(asked) ? asked : 'warn';

export const log = pino(
  {
    name: 'gongji',
    level,
    // Money is bigint fen inside; JSON cannot hold a bigint.
    // An Error's fields are not enumerable: keep its name and message.
    formatters: {
      log: (fields) =>
        JSON.parse(
          JSON.stringify(fields, (_k, v) =>
            typeof v === 'bigint'
              ? v.toString()
              : v instanceof Error
                ? { name: v.name, message: v.message }
                : v,
          ),
        ),
    },
  },
  pino.destination(2),
);

if (asked !== undefined && asked !== level) {
  log.warn({ GONGJI_LOG: asked, levels: LEVELS }, 'GONGJI_LOG names no log level: using warn');
}
