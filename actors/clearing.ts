// The arithmetic of monthly inter-province clearing (DOMAIN F5, K1–K10), for the Settlement actor:
// obligations → gross matrix → netting (pairwise or multilateral; the same positions either
// way) → prepayment draw-down → one statement per province per month. Also the batch lifecycle,
// the K8 timetable and cleared = settled per province. K10 is the provinces' confirmation at
// allocation (actors/clearing_batch.machine.ts) and the settlement's disputes. Pure: no clock,
// no I/O; every list is in code-unit order so a month's batch is reproducible byte for byte.
import type { ClearingLedger, Fen } from '../protocol/index.ts';
import { DAY_MS, HOUR_MS } from './config.ts';
import { provinceOfRegion } from './regions.ts';

export type Ledger = ClearingLedger;
const LEDGERS: readonly Ledger[] = ['medical', 'wallet'];

/**
 * `payer` owes `payee` `amount` in one ledger. medical: fund + acct of the insured place, owed to
 * the treatment place (F3a). wallet: the origin region of the spent tranche owes the place where
 * it was spent (K9, F3b/F4b). Codes are regions (6 digits) before `splitByScope`, provinces
 * (2 digits) in the national batch; the arithmetic below accepts any codes.
 */
export interface Obligation {
  readonly payer: string;
  readonly payee: string;
  readonly ledger: Ledger;
  readonly amount: Fen;
}

// Bad arguments are the caller's error (RangeError naming the API); a failed invariant is a bug.
function expectArg(condition: boolean, message: string): asserts condition {
  if (!condition) throw new RangeError(message);
}
function invariant(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`clearing invariant: ${message}`);
}

// Code-unit order, not localeCompare: the order must not depend on the host's locale.
const byCode = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const sortedKeys = <V>(map: ReadonlyMap<string, V>): string[] => [...map.keys()].sort(byCode);
const add = (map: Map<string, Fen>, key: string, amount: Fen): void => {
  map.set(key, (map.get(key) ?? 0n) + amount);
};

function checkObligation(o: Obligation, api: string): void {
  const ok =
    typeof o.payer === 'string' &&
    o.payer !== '' &&
    typeof o.payee === 'string' &&
    o.payee !== '' &&
    LEDGERS.includes(o.ledger) &&
    typeof o.amount === 'bigint' &&
    o.amount >= 0n;
  expectArg(ok, `${api}: bad obligation ${o.payer} → ${o.payee} ${o.ledger} ${String(o.amount)}`);
}

// ---------------------------------------------------------------------------------------------
// Scope: which batch an obligation belongs to.

const REGION_CODE = /^\d{6}$/;

export interface ScopedObligations {
  /** Province pairs, codes cut to the province: the national batch. */
  readonly national: Obligation[];
  /** Region pairs inside one province, by province: that province's own batch (F2b). */
  readonly provincial: Map<string, Obligation[]>;
  /** Same region on both sides: a ledger move inside the region, nothing to clear (F2a). */
  readonly internal: Obligation[];
}

/** Splits region-level obligations (6-digit codes) by the level that clears them. */
export function splitByScope(obligations: readonly Obligation[]): ScopedObligations {
  const national: Obligation[] = [];
  const byProvince = new Map<string, Obligation[]>();
  const internal: Obligation[] = [];
  for (const o of obligations) {
    checkObligation(o, 'splitByScope');
    expectArg(
      REGION_CODE.test(o.payer) && REGION_CODE.test(o.payee),
      `splitByScope: region codes have 6 digits, got ${o.payer} → ${o.payee}`,
    );
    const from = provinceOfRegion(o.payer);
    const to = provinceOfRegion(o.payee);
    if (o.payer === o.payee) internal.push(o);
    else if (from !== to) national.push({ ...o, payer: from, payee: to });
    else byProvince.set(from, [...(byProvince.get(from) ?? []), o]);
  }
  const provincial = new Map(sortedKeys(byProvince).map((p) => [p, byProvince.get(p) ?? []]));
  return { national, provincial, internal };
}

// ---------------------------------------------------------------------------------------------
// The gross matrix.

type Owed = ReadonlyMap<string, ReadonlyMap<string, Fen>>;

export interface ClearingMatrix {
  /** Every payer and payee, sorted. */
  readonly parties: readonly string[];
  /** Gross owed per ledger: `owed.medical.get(payer)?.get(payee)`; keys sorted at both levels. */
  readonly owed: Readonly<Record<Ledger, Owed>>;
}

/** owed[payer][payee] per ledger, summed. A self-obligation is rejected: it is not cleared. */
export function buildMatrix(obligations: readonly Obligation[]): ClearingMatrix {
  type Rows = Map<string, Map<string, Fen>>;
  const raw: Record<Ledger, Rows> = { medical: new Map(), wallet: new Map() };
  const parties = new Set<string>();
  for (const o of obligations) {
    checkObligation(o, 'buildMatrix');
    expectArg(o.payer !== o.payee, `buildMatrix: ${o.payer} cannot owe itself; see splitByScope`);
    const row = raw[o.ledger].get(o.payer) ?? new Map<string, Fen>();
    raw[o.ledger].set(o.payer, row);
    add(row, o.payee, o.amount);
    parties.add(o.payer).add(o.payee);
  }
  // Rebuilt in sorted order: Map iteration is insertion order, so this fixes every later loop.
  const sorted = (m: Map<string, Map<string, Fen>>): Owed =>
    new Map(
      sortedKeys(m).map((payer) => {
        const row = m.get(payer) ?? new Map<string, Fen>();
        return [payer, new Map(sortedKeys(row).map((payee) => [payee, row.get(payee) ?? 0n]))];
      }),
    );
  const owed = { medical: sorted(raw.medical), wallet: sorted(raw.wallet) };
  return { parties: [...parties].sort(byCode), owed };
}

/** Gross owed by `payer` to `payee` in one ledger, or in both when `ledger` is omitted. */
export function grossOwed(m: ClearingMatrix, payer: string, payee: string, ledger?: Ledger): Fen {
  const one = (l: Ledger): Fen => m.owed[l].get(payer)?.get(payee) ?? 0n;
  return ledger === undefined ? one('medical') + one('wallet') : one(ledger);
}

/** The matrix's cells as obligations, by ledger, payer, payee: one per non-empty cell. */
export function matrixObligations(m: ClearingMatrix): Obligation[] {
  return LEDGERS.flatMap((ledger) =>
    [...m.owed[ledger]].flatMap(([payer, row]) =>
      [...row].map(([payee, amount]) => ({ payer, payee, ledger, amount })),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Netting. Both methods give the same net position per party (positive = receives).

export interface PairTransfer {
  readonly payer: string;
  readonly payee: string;
  /** Net payer → payee per ledger, signed: a pair may net medical one way and wallet the other. */
  readonly medical: Fen;
  readonly wallet: Fen;
  /** medical + wallet, always > 0. */
  readonly amount: Fen;
}

export interface PairwiseNetting {
  readonly positions: ReadonlyMap<string, Fen>;
  readonly transfers: readonly PairTransfer[];
}

export interface MultilateralNetting {
  readonly positions: ReadonlyMap<string, Fen>;
}

export const sumPositions = (positions: ReadonlyMap<string, Fen>): Fen =>
  [...positions.values()].reduce((a, b) => a + b, 0n);

const zeroPositions = (m: ClearingMatrix) => new Map(m.parties.map((p) => [p, 0n] as const));

/** One directed transfer per pair whose two directions differ: owed(A,B) − owed(B,A). */
export function netPairwise(m: ClearingMatrix): PairwiseNetting {
  const transfers: PairTransfer[] = [];
  for (const [i, a] of m.parties.entries()) {
    for (const b of m.parties.slice(i + 1)) {
      const medical = grossOwed(m, a, b, 'medical') - grossOwed(m, b, a, 'medical');
      const wallet = grossOwed(m, a, b, 'wallet') - grossOwed(m, b, a, 'wallet');
      const amount = medical + wallet;
      if (amount > 0n) transfers.push({ payer: a, payee: b, medical, wallet, amount });
      if (amount < 0n) {
        transfers.push({ payer: b, payee: a, medical: -medical, wallet: -wallet, amount: -amount });
      }
    }
  }
  transfers.sort((x, y) => byCode(x.payer, y.payer) || byCode(x.payee, y.payee));
  const positions = zeroPositions(m);
  for (const t of transfers) {
    add(positions, t.payee, t.amount);
    add(positions, t.payer, -t.amount);
  }
  invariant(sumPositions(positions) === 0n, 'pairwise positions do not sum to 0');
  return { positions, transfers };
}

/** One position per party against the clearing house: Σ owed to it − Σ it owes. */
export function netMultilateral(m: ClearingMatrix): MultilateralNetting {
  const positions = zeroPositions(m);
  for (const o of matrixObligations(m)) {
    add(positions, o.payee, o.amount);
    add(positions, o.payer, -o.amount);
  }
  invariant(sumPositions(positions) === 0n, 'multilateral positions do not sum to 0');
  return { positions };
}

// ---------------------------------------------------------------------------------------------
// Prepayments (K1, K7). Semantic chosen: each insured province's prepayment sits in the national
// clearing account (DOMAIN F5 allows that or per-treatment-province; one account keeps the
// statements per province). A net payer's due is drawn from it first; only the rest is funded
// fresh. After the draw, if usage is over the warning level, the province tops it back up to
// size. ASSUMPTION: the draw covers the whole net due (both ledgers), not only the fund share K7
// sizes it on, because one net figure is what moves.

// K7's sizing: 2 × the average monthly cross-province medical spend on record, reset with the
// statements of each December's batch (issued in January); the opening size comes from the
// national history (world/build.ts). ASSUMPTION: the spend is the province's medical payable on
// the statements (fund and account shares together: one line carries both).
/** ASSUMPTION (DOMAIN F5): a top-up is due once more than 70.00 % of the prepayment is used. */
export const PREPAYMENT_WARNING_BP = 7_000;
const BP_PER_WHOLE = 10_000n;
/** K7: months of spend a prepayment remembers (a year). */
const HISTORY_MONTHS = 12;

export interface Prepayment {
  /** This year's size (K7). */
  readonly size: Fen;
  /** Still held in the national clearing account; size − balance is this year's usage. */
  readonly balance: Fen;
  /** K7: the province's cross-province medical spend per cleared month, [YYYYMM, fen], last 12. */
  readonly history?: ReadonlyArray<readonly [number, Fen]> | undefined;
}

/** K7: 2 × the average monthly spend of the months given (fen, rounded down); 0 with none. */
export function prepaymentSizeOf(monthly: readonly Fen[]): Fen {
  if (monthly.length === 0) return 0n;
  let sum = 0n;
  for (const m of monthly) sum += m;
  return (2n * sum) / BigInt(monthly.length);
}

/** The history with one month's spend added (replacing a month already there), the last 12. */
export function withSpend(p: Prepayment, month: number, spend: Fen): Prepayment {
  const kept = (p.history ?? []).filter(([m]) => m !== month);
  const history = [...kept, [month, spend] as const].sort((a, b) => a[0] - b[0]);
  return { ...p, history: history.slice(-HISTORY_MONTHS) };
}

/** K7: the December batch's statements reset each prepayment to its size from history. */
export function resetsPrepayments(month: number): boolean {
  return month % 100 === 12;
}

function checkPrepayment(p: Prepayment, api: string): void {
  expectArg(
    p.size >= 0n && p.balance >= 0n && p.balance <= p.size,
    `${api}: prepayment balance ${p.balance} outside 0..${p.size}`,
  );
}

/** What brings the prepayment back to full size, once usage exceeds the warning level; else 0. */
export function prepaymentTopUp(p: Prepayment, warningBp = PREPAYMENT_WARNING_BP): Fen {
  checkPrepayment(p, 'prepaymentTopUp');
  // Cross-multiplied so 70.004 % is over 70 %: no rounding decides a top-up.
  const over = (p.size - p.balance) * BP_PER_WHOLE > BigInt(warningBp) * p.size;
  return over ? p.size - p.balance : 0n;
}

export interface PrepaymentApplication {
  readonly province: string;
  readonly net: Fen;
  /** Taken from the prepayment toward this month's due: min(due, balance). */
  readonly prepaymentDrawn: Fen;
  /** Due that the province must wire fresh to the national clearing account. */
  readonly toFund: Fen;
  /** Paid by the national clearing account to a net receiver. */
  readonly toReceive: Fen;
  /** Balance after the draw, and the top-up (K7) the province owes on top of toFund. */
  readonly prepaymentBalance: Fen;
  readonly prepaymentTopUp: Fen;
  /** K7's January reset: the new size, and what comes back to the province above it. */
  readonly prepaymentSize: Fen;
  readonly prepaymentReturned: Fen;
}

/**
 * Draws each net payer's due from its prepayment. Covers every province in either map, sorted.
 * Money is conserved: Σ toFund + Σ prepaymentDrawn = Σ due = Σ toReceive.
 */
export function applyPrepayments(
  positions: ReadonlyMap<string, Fen>,
  prepayments: ReadonlyMap<string, Prepayment>,
  /** K7's reset: each province's new size (absent: no reset this month). */
  resized: ReadonlyMap<string, Fen> = new Map(),
): PrepaymentApplication[] {
  expectArg(sumPositions(positions) === 0n, 'applyPrepayments: positions do not sum to 0');
  const provinces = [...new Set([...positions.keys(), ...prepayments.keys()])].sort(byCode);
  const out = provinces.map((province): PrepaymentApplication => {
    const net = positions.get(province) ?? 0n;
    const held = prepayments.get(province) ?? { size: 0n, balance: 0n };
    checkPrepayment(held, 'applyPrepayments');
    const due = net < 0n ? -net : 0n;
    const prepaymentDrawn = due < held.balance ? due : held.balance;
    const prepaymentBalance = held.balance - prepaymentDrawn;
    const size = resized.get(province);
    // A reset brings the prepayment to its new size whatever the usage: up by a top-up, or
    // down by what is returned to the province.
    const topUp =
      size === undefined
        ? prepaymentTopUp({ size: held.size, balance: prepaymentBalance })
        : size > prepaymentBalance
          ? size - prepaymentBalance
          : 0n;
    const returned = size !== undefined && size < prepaymentBalance ? prepaymentBalance - size : 0n;
    const toReceive = net > 0n ? net : 0n;
    return {
      province,
      net,
      prepaymentDrawn,
      toFund: due - prepaymentDrawn,
      toReceive,
      prepaymentBalance,
      prepaymentTopUp: topUp,
      prepaymentSize: size ?? held.size,
      prepaymentReturned: returned,
    };
  });
  const sum = (f: (a: PrepaymentApplication) => Fen) => out.reduce((t, a) => t + f(a), 0n);
  const due = sum((a) => (a.net < 0n ? -a.net : 0n));
  invariant(sum((a) => a.toFund) + sum((a) => a.prepaymentDrawn) === due, 'funded + drawn ≠ due');
  invariant(sum((a) => a.toReceive) === due, 'received ≠ due');
  return out;
}

// ---------------------------------------------------------------------------------------------
// Statements: one per province per month.

interface LedgerTotals {
  readonly medicalPayable: Fen;
  readonly medicalReceivable: Fen;
  readonly walletPayable: Fen;
  readonly walletReceivable: Fen;
}

export interface ClearingStatement extends LedgerTotals, PrepaymentApplication {
  /** YYYYMM of the cleared month M (issued in M+1, K8). */
  readonly month: number;
}

function checkMonth(month: number, api: string): number {
  const mm = month % 100;
  const ok = Number.isSafeInteger(month) && month >= 100_001 && month <= 999_912;
  expectArg(ok && mm >= 1 && mm <= 12, `${api}: month must be YYYYMM, got ${month}`);
  return month;
}

const NO_TOTALS: LedgerTotals = {
  medicalPayable: 0n,
  medicalReceivable: 0n,
  walletPayable: 0n,
  walletReceivable: 0n,
};

/** Gross payable and receivable per party and ledger, sorted by party. */
function ledgerTotals(obligations: readonly Obligation[]): Map<string, LedgerTotals> {
  const totals = new Map<string, LedgerTotals>();
  const bump = (party: string, field: keyof LedgerTotals, amount: Fen) => {
    const t = totals.get(party) ?? NO_TOTALS;
    totals.set(party, { ...t, [field]: t[field] + amount });
  };
  for (const o of obligations) {
    checkObligation(o, 'ledgerTotals');
    bump(o.payer, o.ledger === 'medical' ? 'medicalPayable' : 'walletPayable', o.amount);
    bump(o.payee, o.ledger === 'medical' ? 'medicalReceivable' : 'walletReceivable', o.amount);
  }
  return new Map(sortedKeys(totals).map((p) => [p, totals.get(p) ?? NO_TOTALS]));
}

/**
 * The month's statements: gross totals per ledger, the net position (multilateral; pairwise
 * gives the same) and the prepayment draw. Every statement settles through the national clearing
 * account; pairwise transfers are the per-pair rows of the batch, not extra bank movements.
 */
export function buildStatements(
  month: number,
  m: ClearingMatrix,
  prepayments: ReadonlyMap<string, Prepayment>,
): ClearingStatement[] {
  checkMonth(month, 'buildStatements');
  const totals = ledgerTotals(matrixObligations(m));
  // K7: December's statements reset every prepayment to 2× its average month on record,
  // December's own spend included.
  const resized = new Map<string, Fen>();
  if (resetsPrepayments(month)) {
    for (const [province, p] of prepayments) {
      const spend = (totals.get(province) ?? NO_TOTALS).medicalPayable;
      const history = withSpend(p, month, spend).history ?? [];
      resized.set(province, prepaymentSizeOf(history.map(([, fen]) => fen)));
    }
  }
  return applyPrepayments(netMultilateral(m).positions, prepayments, resized).map((a) => {
    const t = totals.get(a.province) ?? NO_TOTALS;
    const gross = t.medicalReceivable + t.walletReceivable - t.medicalPayable - t.walletPayable;
    invariant(gross === a.net, `${a.province}: gross totals disagree with the net position`);
    return { month, ...t, ...a };
  });
}

// ---------------------------------------------------------------------------------------------
// Batch lifecycle (DOMAIN F5 states): the machine is actors/clearing_batch.machine.ts.

export const BATCH_STATES = [
  'OPEN',
  'CLOSED',
  'ALLOCATED',
  'CONFIRMED',
  'STATEMENTS_ISSUED',
  'FUNDED',
  'DISBURSED',
  'RECONCILED',
] as const;
export type BatchState = (typeof BATCH_STATES)[number];

// ---------------------------------------------------------------------------------------------
// K8 timetable (ASSUMPTION: shape recalled, days invented). Month M closes at the end of M; days
// below are calendar days of M+1 unless named working days. The calendar module turns them
// into dates (holidays, 调休) — nothing here computes one.

/**
 * Providers apply for clearing (3203) and treatment places audit, days 1–10 of M+1; allocation
 * follows on day 10, or the next working day when day 10 is not one.
 */
export const APPLICATION_DAY_LAST = 10;
/** National statements issued on this day of M+1, or the next working day. */
export const STATEMENT_ISSUE_DAY_LAST = 20;
/** Insured provinces pay their statements within this many working days of the issue. */
export const FUND_WORKING_DAYS = 5;
/** Treatment provinces are paid within this many working days after every payer funded. */
export const PAY_WORKING_DAYS = 5;
/** K10: the daily reconciliation (3201/3202) runs at 02:00; allocation follows it on day 10. */
export const RECONCILE_HOUR = 2;

/** K10: the next daily reconciliation after `now` (02:00 of the next day). */
export function nextReconciliationAt(now: number): number {
  return (Math.floor(now / DAY_MS) + 1) * DAY_MS + RECONCILE_HOUR * HOUR_MS;
}
// Confirmation (3260/3261, by day 15 in K8), funding and disbursal happen as soon as the
// provinces answer; an answer after its deadline is counted late (clearing_batch.machine.ts).
