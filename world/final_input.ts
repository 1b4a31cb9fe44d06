// What the final checks read (world/final_checks.ts, world/payment_checks.ts), and the two
// helpers they share.
import type { ProtocolConfig } from '../actors/config.ts';
import type { Fen } from '../protocol/index.ts';
import type { Fail } from './invariants.ts';
import type { At, Outcomes } from './outcomes.ts';
import type { Parties } from './parties.ts';

/** What the app says of the requests it made. */
export interface Requests {
  /** Requests the workload holds (the load generator's share of it, on a cluster). */
  readonly total: number;
  readonly submitted: number;
  readonly accepted: number;
  readonly refused: number;
  /** Of `accepted`, the transfer requests: each started a saga. */
  readonly acceptedTransfers: number;
  /** Requests still without an answer, and the first few of their ids. */
  readonly unanswered: number;
  readonly firstUnanswered: readonly string[];
}

export interface FinalInput {
  readonly parties: Parties;
  readonly outcomes: Outcomes;
  readonly requests: Requests;
  readonly protocol: ProtocolConfig;
  /** After the last fault heals, every accepted transfer is terminal within this bound. */
  readonly lifecycleBoundMs: number;
  /** When the last fault healed (virtual ms; 0 without faults). */
  readonly lastHealAt: number;
  /** 'end': a finished run; 'cut': a quiet moment of a live cluster. */
  readonly horizon: 'end' | 'cut';
  /** A finished run: the virtual time it ended at (what was due by then must be done). */
  readonly endMs?: number | undefined;
  /** F5: Σ pooling funds + the national clearing account at the start. */
  readonly openingFunds: Fen;
}

/** `at` later than `deadline`, when the runtime kept the time. */
export function late(at: At, deadline: At): at is number {
  return at !== undefined && deadline !== undefined && at > deadline;
}

/** Report the stuck items of one kind as one violation, naming the first few. */
export function reportStuck(fail: Fail, stuck: readonly string[], what: string): void {
  if (stuck.length === 0) return;
  fail('lifecycle', `${stuck.length} ${what}; first: ${stuck.slice(0, 5).join(' | ')}`);
}
