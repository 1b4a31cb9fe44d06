// The host environment of a real process: the wall clock, real timers, and syncs that append the
// batch to the actor's JetStream journal (or, for an actor with no durable state such as the
// load generator's app client, complete at once).
import { HOUR_MS } from '../actors/config.ts';
import type { ActorHost, HostEnvironment } from '../host/actor_host.ts';
import type { Journal } from './journal.ts';

/**
 * Where a live cluster's day starts on the actors' clock: D0 10:00 (Beijing), clear of W8's night.
 */
const LIVE_DAY_START_MS = 10 * HOUR_MS;

/**
 * The actors' clock in a live cluster: D0 10:00 at `originMs` (wall, ms since the Unix epoch),
 * then wall time. Every process of one cluster gets the same origin from its launcher, so their
 * clocks agree as far as the machines' clocks do; the actors' day rules (W6, W8) read it.
 */
export function liveClock(originMs: number): () => number {
  return () => LIVE_DAY_START_MS + (Date.now() - originMs);
}

/** The longest delay setTimeout honours. */
const TIMEOUT_MAX_MS = 2_147_483_647;

export class LiveEnvironment implements HostEnvironment {
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly clock: () => number,
    private readonly journals: ReadonlyMap<string, Journal>,
    /**
     * A sync that failed for good (fenced by another owner, journal closed): the host must stop.
     */
    private readonly onSyncFailure: (host: ActorHost, error: unknown) => void,
  ) {}

  now(): number {
    return this.clock();
  }

  timer(host: ActorHost, at: number, key: string, token: number, epoch: number): void {
    if (this.stopped) return;
    // setTimeout fires at once for delays past 2^31 − 1 ms (24.8 days): a month's timer (P4, F5)
    // waits in steps of at most that long instead.
    const delay = Math.max(0, at - this.clock());
    const handle = setTimeout(
      () => {
        this.timers.delete(handle);
        if (delay > TIMEOUT_MAX_MS) this.timer(host, at, key, token, epoch);
        else host.fire(key, token, epoch);
      },
      Math.min(delay, TIMEOUT_MAX_MS),
    );
    this.timers.add(handle);
  }

  sync(host: ActorHost, epoch: number, keys: readonly string[], values: readonly unknown[]): void {
    const journal = this.journals.get(host.address);
    if (journal === undefined) {
      queueMicrotask(() => host.synced(epoch));
      return;
    }
    journal
      .append(keys, values, host.store.durable)
      .then(() => host.synced(epoch))
      .catch((error: unknown) => this.onSyncFailure(host, error));
  }

  /** Cancel every timer: the process is draining and its actors will resume from their journals. */
  stop(): void {
    this.stopped = true;
    for (const handle of this.timers) clearTimeout(handle);
    this.timers.clear();
  }
}
