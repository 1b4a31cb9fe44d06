// The invariants of DESIGN §8 by name, how a verdict on one is kept, and the sink every check
// reports to. The simulator checks some of them after every message (world/checkers.ts); both
// runtimes check all of them on the actors' durable records (world/final_checks.ts).
import { type Fen, formatFen } from '../protocol/index.ts';

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

/**
 * The money of every class of the conservation law (docs/ARCHITECTURE.md, "Conservation"):
 * people's (available, held, wallet), the two corrections for money decided at one party and
 * not yet at the other (overlap, returning), the counters money enters or leaves people by
 * (income ≤ 0, spent, contributed), and money between funds (each pooling fund, the
 * national clearing account, and what is on its way between them).
 */
export interface MoneyTotals {
  readonly available: Fen;
  readonly held: Fen;
  readonly wallet: Fen;
  readonly overlap: Fen;
  readonly returning: Fen;
  readonly income: Fen;
  readonly spent: Fen;
  readonly contributed: Fen;
  readonly fund: Fen;
  readonly clearing: Fen;
  /** F2b: the provinces' clearing accounts between their regions: zero between batches. */
  readonly provincial: Fen;
  readonly transit: Fen;
  /** K6: what providers hold, paid by their treatment region's fund and by patients in cash. */
  readonly provider: Fen;
  /** Cash patients paid at providers: from outside the model (≤ 0, a source). */
  readonly cash: Fen;
}

export const MONEY_CLASSES = [
  'available',
  'held',
  'wallet',
  'overlap',
  'returning',
  'income',
  'spent',
  'contributed',
  'fund',
  'clearing',
  'provincial',
  'transit',
  'provider',
  'cash',
] as const satisfies ReadonlyArray<keyof MoneyTotals>;

export const ZERO_MONEY: MoneyTotals = {
  available: 0n,
  held: 0n,
  wallet: 0n,
  overlap: 0n,
  returning: 0n,
  income: 0n,
  spent: 0n,
  contributed: 0n,
  fund: 0n,
  clearing: 0n,
  provincial: 0n,
  transit: 0n,
  provider: 0n,
  cash: 0n,
};

/** The law's left side: every class added up, the overlap taken off once. */
export function lawTotal(m: MoneyTotals): Fen {
  let total = 0n;
  for (const cls of MONEY_CLASSES) total += cls === 'overlap' ? -m[cls] : m[cls];
  return total;
}

/** Every class in yuan, the way the law adds them up: for a violation's detail. */
export function describeMoney(m: MoneyTotals): string {
  return MONEY_CLASSES.map((cls) => `${cls === 'overlap' ? '−' : '+'} ${cls} ${formatFen(m[cls])}`)
    .join(' ')
    .slice(2);
}

/** Per-class money a recount found in the actors' durable records (world/recount.ts). */
export interface Recount extends MoneyTotals {
  /** Ledgers whose accounts do not sum to zero, with their sums. */
  readonly unbalanced: ReadonlyArray<readonly [string, Fen]>;
  /** Accounts below zero. */
  readonly negative: readonly string[];
}
