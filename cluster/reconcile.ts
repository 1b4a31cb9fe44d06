// The reconciliation query: each actor answers, over NATS request/reply, what it has in flight
// and where its journal stands. The checker polls every actor until all are quiet and agree
// twice in a row, then reads the journals themselves (cluster/check.ts).
import type { SagaSnapshot } from '../actors/wallet_shard.actor.ts';
import type { TxnRecord } from '../actors/records.ts';

export interface ActorReport {
  readonly address: string;
  /** Serving (false once fenced by another owner or stopped). */
  readonly up: boolean;
  /** Nothing staged, in flight or waiting to be sent. */
  readonly settled: boolean;
  /** Business work not yet terminal: sagas not done, holds still reserved, requests unanswered. */
  readonly openWork: number;
  readonly journalSeq: number;
  readonly records: number;
  readonly received: number;
  readonly rejected: Record<string, number>;
  /** Load generator only. */
  readonly submitted?: number;
  readonly accepted?: number;
  /** Of `accepted`, the transfer requests: each has a saga in a journal. */
  readonly acceptedTransfers?: number;
  readonly refused?: number;
  /** Refused requests per `<scope>.<reason>`. */
  readonly refusedByScope?: Record<string, number>;
  /** Accepted → terminal, wall ms, encoded hdr histogram (hosts with sagas). */
  readonly latency?: string;
}

/**
 * Saga states with no machine work left: terminal, or waiting for a person or the clock (a
 * receipt until 06:00, W11; a relative's face until the binding's TTL, F1).
 */
const QUIET_SAGA = new Set(['completed', 'rejected', 'received', 'returned', 'awaitingReceipt']);
const QUIET_BIND = new Set(['active', 'refused', 'rejected', 'expired', 'challenging']);
/** Bills at rest (a pre-settlement the POS left waits for its TTL); contributions done. */
const QUIET_BILL = new Set([
  'settled',
  'refused',
  'cancelled',
  'reversed',
  'expired',
  'presettled',
]);
const QUIET_PAYMENT = new Set(['paid', 'rejected']);

/** Count unfinished business in an actor's durable records. */
export function openWork(records: ReadonlyMap<string, unknown>): number {
  let open = 0;
  records.forEach((value, key) => {
    if (key.startsWith('s:')) {
      if (!QUIET_SAGA.has(String((value as SagaSnapshot).value))) open++;
    } else if (key.startsWith('b:')) {
      if (!QUIET_BIND.has(String((value as SagaSnapshot).value))) open++;
    } else if (key.startsWith('g:')) {
      if (!QUIET_BILL.has(String((value as SagaSnapshot).value))) open++;
    } else if (key.startsWith('y:')) {
      if (!QUIET_PAYMENT.has(String((value as SagaSnapshot).value))) open++;
    } else if (key.startsWith('t:')) {
      if ((value as TxnRecord).state === 'reserved') open++;
    }
  });
  return open;
}
