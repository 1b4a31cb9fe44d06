// Structured logs (pino) on stderr, separate from the human summary on stdout. Level from
// GONGJI_LOG (default 'warn': failed invariants and frames refused at the boundary).
import pino from 'pino';

export const log = pino(
  {
    name: 'gongji',
    level: process.env.GONGJI_LOG ?? 'warn',
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
