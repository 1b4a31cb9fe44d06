// Every timer an actor arms, in one table: its key prefix, the actor role that arms it, and what
// it waits for. A key is `<prefix>:<id>` (or the prefix alone for an actor's only timer of that
// kind); the host keeps one live timer per key, so re-arming a key replaces its timer. Actors
// build keys with `key` and route a fired timer with `timerOf`; prefixes are unique
// (timers.test.ts).
import type { Owner } from './records.ts';

export interface TimerKind {
  readonly prefix: string;
  readonly owner: Owner | 'app';
  /** What it waits for, for the docs and for error messages. */
  readonly about: string;
  /** The key of one timer; without an id, the actor's only timer of this kind. */
  key(id?: string): string;
}

function timer(prefix: string, owner: TimerKind['owner'], about: string): TimerKind {
  const head = `${prefix}:`;
  return { prefix, owner, about, key: (id) => (id === undefined ? prefix : head + id) };
}

/** Every timer kind. A new timer is one entry here (and its arming and firing actor). */
export const TIMERS = {
  transferSaga: timer('transfer', 'wallet', "a transfer saga's retry, W13 deadline or 06:00 (W11)"),
  bindSaga: timer('bind', 'wallet', "a binding saga's retry or its face deadline (F1)"),
  billSaga: timer('bill', 'wallet', "a bill saga's retry or its pre-settlement expiry (F3)"),
  contributionSaga: timer('pay', 'wallet', "a contribution saga's retry (F4)"),
  month: timer('month', 'province', 'the next 1st of the month: its credits (P4)'),
  holds: timer('holds', 'province', 'the oldest open hold to check with its owner'),
  provincial: timer('provincial', 'province', "the next month's provincial clearing (F2b)"),
  clearingBatch: timer('batch', 'settlement', "a clearing batch's next step or retry (F5)"),
  clearingDispute: timer('dispute', 'settlement', "an open dispute's next reconciliation (K10)"),
  request: timer('request', 'app', "a request's retry until it is answered"),
  face: timer('face', 'app', "a relative's look at the phone (E5)"),
  receipt: timer('receipt', 'app', "a recipient's tap on an SMS (W11)"),
  pos: timer('pos', 'app', "a provider's POS retry or its settle timeout (F3)"),
} as const;

export type TimerName = keyof typeof TIMERS;

const BY_PREFIX: ReadonlyMap<string, TimerName> = new Map(
  (Object.keys(TIMERS) as TimerName[]).map((name) => [TIMERS[name].prefix, name]),
);

/** The kind and id of a fired timer's key, or undefined for a key of no kind. */
export function timerOf(
  key: string,
): { readonly name: TimerName; readonly id: string } | undefined {
  const colon = key.indexOf(':');
  const name = BY_PREFIX.get(colon < 0 ? key : key.slice(0, colon));
  return name === undefined ? undefined : { name, id: colon < 0 ? '' : key.slice(colon + 1) };
}
