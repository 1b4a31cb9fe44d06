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
  // A node kept every write it acknowledged (a wipe or a lying disk is named here).
  'durability',
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
 * people's (available, held), the counters money enters people by (income ≤ 0) or waits in on
 * its way to a fund (contributed), each origin region's backing of its wallet money, and money
 * between funds (each pooling fund, the national and provincial clearing accounts, and what is
 * on its way between them), the providers', and cash from outside (≤ 0).
 */
export interface MoneyTotals {
  readonly available: Fen;
  readonly held: Fen;
  readonly income: Fen;
  readonly contributed: Fen;
  /** K9: what origin regions hold for their wallets' balances and unbacked wallet lines. */
  readonly backing: Fen;
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
  'income',
  'contributed',
  'backing',
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
  income: 0n,
  contributed: 0n,
  backing: 0n,
  fund: 0n,
  clearing: 0n,
  provincial: 0n,
  transit: 0n,
  provider: 0n,
  cash: 0n,
};

/** The law's left side: every class added up. */
export function lawTotal(m: MoneyTotals): Fen {
  let total = 0n;
  for (const cls of MONEY_CLASSES) total += m[cls];
  return total;
}

/** Every class in yuan, the way the law adds them up: for a violation's detail. */
export function describeMoney(m: MoneyTotals): string {
  return MONEY_CLASSES.map((cls) => `+ ${cls} ${formatFen(m[cls])}`)
    .join(' ')
    .slice(2);
}

/**
 * K9, each transfer's money counted once: the wallet ledger's claims (wallet balances, and the
 * wallet money spent on payments) are backed by the origin regions. Claims = backing + what
 * backing gave the funds for wallet lines (`backed`) + transfers credited at the recipient and
 * still held at the donor's province (`overlap`) − transfers a wallet returned (W11) that the
 * donor's province has not yet refunded (`returning`) − transfers committed at the donor's
 * province and not credited (`ahead`: the debitFirst design, between its charge and its credit
 * or its compensating refund; always zero in the reference design, which commits after the
 * credit) + transfers credited with nothing held or committed behind them (`unbacked`: the
 * optimisticCredit design, until the charge's hold or the claw-back; a credit the claw-back
 * came too late for stays unbacked, and the lifecycle check names it).
 */
export interface WalletClaims {
  readonly wallet: Fen;
  readonly spent: Fen;
  readonly backed: Fen;
  readonly overlap: Fen;
  readonly returning: Fen;
  readonly ahead: Fen;
  readonly unbacked: Fen;
}

export const ZERO_CLAIMS: WalletClaims = {
  wallet: 0n,
  spent: 0n,
  backed: 0n,
  overlap: 0n,
  returning: 0n,
  ahead: 0n,
  unbacked: 0n,
};

/** Claims less what backs them: zero when every claim is backed exactly once. */
export function claimsGap(claims: WalletClaims, backing: Fen): Fen {
  const { wallet, spent, backed, overlap, returning, ahead, unbacked } = claims;
  return wallet + spent - (backing + backed + overlap - returning - ahead + unbacked);
}

/** The identity in yuan, for a violation's detail. */
export function describeClaims(claims: WalletClaims, backing: Fen): string {
  const { wallet, spent, backed, overlap, returning, ahead, unbacked } = claims;
  const f = formatFen;
  return (
    `wallet ${f(wallet)} + spent ${f(spent)} ≠ backing ${f(backing)} + backed ${f(backed)} ` +
    `+ overlap ${f(overlap)} − returning ${f(returning)} − ahead ${f(ahead)} ` +
    `+ unbacked ${f(unbacked)} ` +
    `(off by ${f(claimsGap(claims, backing))})`
  );
}

/** Per-class money a recount found in the actors' durable records (world/recount.ts). */
export interface Recount extends MoneyTotals {
  readonly claims: WalletClaims;
  /** Ledgers whose accounts do not sum to zero, with their sums. */
  readonly unbalanced: ReadonlyArray<readonly [string, Fen]>;
  /** Accounts below zero. */
  readonly negative: readonly string[];
}
