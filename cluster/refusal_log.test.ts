// Refused frames are logged at most once per code per interval, each line counting what it
// stands for, so that a peer sending garbage cannot flood the log.
import { describe, expect, it } from 'vitest';

import { RefusalLog } from './refusal_log.ts';

describe('RefusalLog', () => {
  it('logs the first of each code, then one line per code per interval with the count', () => {
    const lines: Array<Record<string, unknown>> = [];
    let now = 0;
    const log = new RefusalLog(
      { warn: (obj: Record<string, unknown>) => lines.push(obj) } as never,
      () => now,
      10_000,
    );
    for (let i = 0; i < 115_000; i++) {
      now = i; // a frame per millisecond: 115 s of garbage
      log.refused('wallet.00', i % 2 === 0 ? 'BAD_FRAME' : 'FORGED_SENDER', `frame ${i}`);
    }
    // Per code: the first at once, then one line per 10 s: 12 lines each over 115 s.
    expect(lines.filter((l) => l.code === 'BAD_FRAME')).toHaveLength(12);
    expect(lines.filter((l) => l.code === 'FORGED_SENDER')).toHaveLength(12);
    // Every refusal is in some line: the first lines stand for one each, the rest say how many.
    const counted = lines.reduce((n, l) => n + ((l.refused as number | undefined) ?? 1), 0);
    const lastLine = (code: string) => lines.filter((l) => l.code === code).at(-1);
    const tail = 115_000 - counted;
    expect(tail).toBeGreaterThanOrEqual(0);
    expect(tail).toBeLessThan(2 * 5_000); // what came after each code's last line, < 10 s each
    expect(lastLine('BAD_FRAME')?.detail).toMatch(/^frame \d+$/);
  });
});
