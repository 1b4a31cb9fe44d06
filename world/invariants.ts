// The invariants of DESIGN §8 by name, how a verdict on one is kept, and the sink every check
// reports to. The simulator checks some of them after every message (world/checkers.ts); both
// runtimes check all of them on the actors' durable records (world/final_checks.ts).
import type { Fen } from '../protocol/index.ts';

const INVARIANTS = [
  'conservation',
  'ledgerBalance',
  'noNegativeBalance',
  'exactlyOnce',
  'lifecycle',
  'allRequestsAnswered',
  'liabilityMatches',
  'walletLiability',
  'clearing',
] as const;
export type InvariantName = (typeof INVARIANTS)[number];

export interface InvariantResult {
  ok: boolean;
  detail?: string;
  violations?: number;
}

/**
 * Where a check reports a violation: the simulator's checkers, or the cluster checker's results.
 */
export type Fail = (name: InvariantName, detail: string) => void;

/** A fresh verdict per invariant, every one ok, and the sink that records violations into it. */
export function verdicts(prefix: () => string = () => ''): {
  results: Map<InvariantName, InvariantResult>;
  fail: Fail;
} {
  const results = new Map<InvariantName, InvariantResult>(
    INVARIANTS.map((name) => [name, { ok: true }]),
  );
  const fail: Fail = (name, detail) => {
    const result = results.get(name) as InvariantResult;
    result.violations = (result.violations ?? 0) + 1;
    if (result.ok) {
      result.ok = false;
      result.detail = `${prefix()}${detail}`;
    }
  };
  return { results, fail };
}

/** Per-class money a recount found in the actors' durable records (world/recount.ts). */
export interface Recount {
  readonly available: Fen;
  readonly held: Fen;
  readonly wallet: Fen;
  readonly overlap: Fen;
  readonly returning: Fen;
  /**
   * Σ of the counters money enters or leaves people by: income (≤ 0), payable, spent, contributed.
   */
  readonly outside: Fen;
  /** Ledgers whose accounts do not sum to zero, with their sums. */
  readonly unbalanced: ReadonlyArray<readonly [string, Fen]>;
  /** Accounts below zero. */
  readonly negative: readonly string[];
}
