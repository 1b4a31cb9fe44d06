// Frames refused at a host's boundary, logged so that garbage cannot flood the log: every
// refusal is counted per code (the host's report carries the counts), the first of each code is
// logged at once, and after that at most one line per code per interval, saying how many were
// refused since the last line. 115,000 garbage frames in two minutes give a dozen lines, not
// 115,000.
import type { Logger } from 'pino';

const REFUSAL_LOG_INTERVAL_MS = 10_000;

interface CodeState {
  lastLoggedAt: number;
  /** Refused since the last line. */
  since: number;
}

export class RefusalLog {
  private readonly codes = new Map<string, CodeState>();

  constructor(
    private readonly log: Pick<Logger, 'warn'>,
    private readonly now: () => number = Date.now,
    private readonly intervalMs = REFUSAL_LOG_INTERVAL_MS,
  ) {}

  refused(address: string, code: string, detail: string): void {
    const at = this.now();
    const state = this.codes.get(code);
    if (state === undefined) {
      this.codes.set(code, { lastLoggedAt: at, since: 0 });
      this.log.warn({ address, code, detail }, 'frame refused at the boundary');
      return;
    }
    state.since++;
    if (at - state.lastLoggedAt < this.intervalMs) return;
    this.log.warn(
      { address, code, detail, refused: state.since, seconds: (at - state.lastLoggedAt) / 1000 },
      'frames refused at the boundary (the last of them)',
    );
    state.lastLoggedAt = at;
    state.since = 0;
  }
}
