// The reconciliation query: each actor answers, over NATS request/reply, what it has in flight
// and where its journal stands. The checker polls every actor until all are quiet and agree
// twice in a row, then reads the journals themselves (cluster/check.ts).
import { BILL_AT_REST } from '../actors/bill_saga.machine.ts';
import { visitRecords } from '../actors/records.ts';
import { type Fen, formatFen } from '../protocol/index.ts';
import type { Refusal } from '../world/outcomes.ts';

export interface ActorReport {
  readonly address: string;
  /** Serving (false once fenced by another owner or stopped). */
  readonly up: boolean;
  /** Nothing staged, in flight or waiting to be sent. */
  readonly settled: boolean;
  /** Business work not yet terminal: sagas not done, holds still reserved, requests unanswered. */
  readonly openWork: number;
  /** The actor's clock (virtual ms) when it answered. */
  readonly now: number;
  readonly journalSeq: number;
  readonly records: number;
  readonly received: number;
  readonly rejected: Record<string, number>;
  /** Accepted → terminal, wall ms, encoded hdr histogram (hosts with sagas). */
  readonly latency?: string | undefined;
  // The load generator only: what the app says of its requests.
  /** Requests it was to offer, and has. */
  readonly total?: number;
  readonly submitted?: number;
  readonly accepted?: number;
  /** Of `accepted`, the transfer requests: each has a saga in a journal. */
  readonly acceptedTransfers?: number;
  readonly refused?: number;
  /** Requests without an answer yet, and the first few of their ids. */
  readonly unanswered?: number;
  readonly firstUnanswered?: readonly string[];
  /** Every refused request: no saga exists for it, so only the app can tell. */
  readonly refusals?: readonly Refusal[];
  /** The requests it was to offer, by kind. */
  readonly requestsByKind?: Record<string, number>;
  /** A province only: the holds still open, oldest first (at most 5), each with owner and age. */
  readonly holds?: readonly string[];
}

/**
 * Saga states with no machine work left: terminal, or waiting for a person or the clock (a
 * receipt until 06:00, W11; a relative's face until the binding's TTL, F1).
 */
const QUIET_TRANSFER = new Set([
  'completed',
  'rejected',
  'received',
  'returned',
  'awaitingReceipt',
]);
const QUIET_BIND = new Set(['active', 'refused', 'rejected', 'expired', 'challenging']);
/** Contributions done (bills rest in `BILL_AT_REST`: a pre-settlement waits for its TTL). */
const QUIET_PAYMENT = new Set(['paid', 'rejected']);

/** Count unfinished business in an actor's durable records. */
export function openWork(records: ReadonlyMap<string, unknown>): number {
  let open = 0;
  const count = (quiet: ReadonlySet<string>) => (_: string, saga: { value: unknown }) => {
    if (!quiet.has(String(saga.value))) open++;
  };
  visitRecords(records, {
    transferSaga: count(QUIET_TRANSFER),
    bindSaga: count(QUIET_BIND),
    billSaga: count(BILL_AT_REST),
    contributionSaga: count(QUIET_PAYMENT),
    txn: (_, txn) => {
      if (txn.state === 'reserved') open++;
    },
  });
  return open;
}

/**
 * The holds still open in a province's records, oldest first (at most `max`): what a check that
 * finds money held names, with the owner that asked for each and its age at `now`.
 */
export function openHolds(
  records: ReadonlyMap<string, unknown>,
  now: number,
  max = 5,
): readonly string[] {
  const holds: Array<{ id: string; amount: Fen; owner: string; at: number | undefined }> = [];
  visitRecords(records, {
    txn: (id, txn) => {
      if (txn.state === 'reserved')
        holds.push({ id, amount: txn.amount, owner: txn.owner ?? '?', at: txn.at });
    },
    insuredBill: (id, bill) => {
      if (bill.state === 'reserved' && bill.acctPay > 0n)
        holds.push({ id, amount: bill.acctPay, owner: bill.owner ?? '?', at: bill.at });
    },
  });
  holds.sort((a, b) => (a.at ?? 0) - (b.at ?? 0) || (a.id < b.id ? -1 : 1));
  return holds.slice(0, max).map(({ id, amount, owner, at }) => {
    const age = at === undefined ? 'age unknown' : `${Math.round((now - at) / 1000)} s old`;
    return `hold ${id}: ${formatFen(amount)} yuan for ${owner}, ${age}`;
  });
}
