// F5: the national clearing agent's monthly batches, as plain data in the settlement's book and
// functions over it (the arithmetic is clearing.ts). One batch per settlement month M:
//
//   OPEN(M) ──1st of M+1──► CLOSED ──day 10 (K8)──► ALLOCATED ──all provinces confirm (K10)──►
//   CONFIRMED ──day 20──► STATEMENTS_ISSUED ──all payers funded──► FUNDED ──all receivers paid──►
//   DISBURSED ──the clearing account balances──► RECONCILED
//
// A province that disputes its allocation (3262: its own settled bills disagree with
// settlement's lines, e.g. a line still in flight) puts the batch in DISPUTED; the allocation is
// sent again after a retry delay (re-allocation) until every province confirms. Lines for a month
// whose batch is already allocated count in the month they arrive in (清分 of late records), and
// an undo after allocation is booked there as a reversal. Statements net each province
// multilaterally through the national clearing account; each payer's due is drawn from its
// prepayment first (K1, K7), and a prepayment used beyond 70 % is topped up with the statement.
import type { Fen } from '../protocol/index.ts';
import type { Effects } from './effects.ts';
import type { ProtocolConfig } from './config.ts';
import { Calendar, nextMonthKey, parseDate } from './calendar.ts';
import { retryDelayMs } from './backoff.ts';
import { provinceAddress } from './addresses.ts';
import {
  APPLICATION_DAY_LAST,
  STATEMENT_ISSUE_DAY_LAST,
  buildMatrix,
  buildStatements,
  netPairwise,
  nextBatchState,
  isBatchTransitionError,
  splitByScope,
  type BatchEvent,
  type BatchState,
  type Obligation,
  type PairTransfer,
  type Prepayment,
} from './clearing.ts';
import type { SettlementBook } from './settlement.machine.ts';
import { RECORDS, type ClearingLine } from './records.ts';

/** What a province was told to pay or will be paid for one batch. */
export interface StatementRecord {
  readonly toFund: Fen;
  readonly topUp: Fen;
  readonly drawn: Fen;
  readonly toReceive: Fen;
  readonly medicalPayable: Fen;
  readonly walletPayable: Fen;
}

export interface BatchRecord {
  readonly month: number;
  readonly state: BatchState;
  /** Provinces in this batch (any line, either side), sorted. */
  readonly provinces: readonly string[];
  readonly confirmed: readonly string[];
  readonly disputes: number;
  readonly statements: Readonly<Record<string, StatementRecord>>;
  readonly funded: readonly string[];
  readonly disbursed: readonly string[];
  /** The pairwise netting of the batch (when `netting` is pairwise): its per-pair rows. */
  readonly pairs: readonly PairTransfer[];
  readonly attempt: number;
  readonly timerSeq: number;
}

export const batchTimerKey = (month: number) => `batch:${month}`;

/**
 * K8 (ASSUMPTION): allocation at the end of the application window (day 10) at 02:00, after the
 * daily reconciliation; statements on their last day (day 20) at 09:00.
 */
const ALLOCATE_DAY = APPLICATION_DAY_LAST;
const ALLOCATE_HOUR = 2;
const STATEMENT_DAY = STATEMENT_ISSUE_DAY_LAST;
const STATEMENT_HOUR = 9;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export interface BatchBook extends SettlementBook {
  readonly batches: Map<number, BatchRecord>;
  readonly prepayments: Map<string, Prepayment>;
  clearingAccount: Fen;
}

function newBatch(month: number): BatchRecord {
  return {
    month,
    state: 'OPEN',
    provinces: [],
    confirmed: [],
    disputes: 0,
    statements: {},
    funded: [],
    disbursed: [],
    pairs: [],
    attempt: 0,
    timerSeq: 0,
  };
}

export class ClearingDesk {
  private readonly calendar: Calendar;

  constructor(readonly config: ProtocolConfig) {
    this.calendar = new Calendar(parseDate(config.startDate));
  }

  /** The batch month a new line counts in: its own month unless that batch is allocated already. */
  batchFor(book: BatchBook, lineMonth: number, now: number, fx: Effects): number {
    const own = book.batches.get(lineMonth);
    if (own === undefined || own.state === 'OPEN' || own.state === 'CLOSED') {
      this.ensure(book, lineMonth, now, fx);
      return lineMonth;
    }
    const current = this.calendar.monthKeyAt(now);
    this.ensure(book, current, now, fx);
    return current;
  }

  /** Whether an undo can simply drop a line, or must be booked as a reversal in the current batch. */
  isOpen(book: BatchBook, month: number): boolean {
    const batch = book.batches.get(month);
    return batch === undefined || batch.state === 'OPEN' || batch.state === 'CLOSED';
  }

  currentMonth(now: number): number {
    return this.calendar.monthKeyAt(now);
  }

  /** After a start or a crash: every unfinished batch re-arms its next step. */
  recover(book: BatchBook, now: number, fx: Effects): void {
    for (const batch of book.batches.values()) {
      if (batch.state !== 'RECONCILED') this.arm(book, batch, now, fx, true);
    }
  }

  timer(book: BatchBook, month: number, seq: number, now: number, fx: Effects): void {
    const batch = book.batches.get(month);
    if (batch === undefined || batch.timerSeq !== seq) return;
    switch (batch.state) {
      case 'OPEN':
        return this.advance(book, batch, 'close', now, fx);
      case 'CLOSED':
      case 'DISPUTED':
        return this.advance(
          book,
          batch,
          batch.state === 'CLOSED' ? 'allocate' : 'resolve',
          now,
          fx,
        );
      case 'CONFIRMED':
        return this.advance(book, batch, 'issue', now, fx);
      default:
        // A step waiting for answers: send it again to those that have not answered.
        return this.put(book, { ...batch, attempt: batch.attempt + 1 }, now, fx, true);
    }
  }

  confirm(book: BatchBook, month: number, province: string, now: number, fx: Effects): void {
    const batch = book.batches.get(month);
    if (batch === undefined || batch.state !== 'ALLOCATED' || batch.confirmed.includes(province))
      return;
    const confirmed = [...batch.confirmed, province];
    const next = { ...batch, confirmed };
    if (confirmed.length === batch.provinces.length) this.advance(book, next, 'confirm', now, fx);
    else this.put(book, next, now, fx, false);
  }

  /** 3262: the province's own figure disagrees (K10): this month's clearing stops until it agrees. */
  dispute(book: BatchBook, month: number, now: number, fx: Effects): void {
    const batch = book.batches.get(month);
    if (batch === undefined || batch.state !== 'ALLOCATED') return;
    this.advance(book, { ...batch, disputes: batch.disputes + 1 }, 'dispute', now, fx);
  }

  funded(book: BatchBook, month: number, province: string, now: number, fx: Effects): void {
    const batch = book.batches.get(month);
    if (
      batch === undefined ||
      batch.state !== 'STATEMENTS_ISSUED' ||
      batch.funded.includes(province)
    )
      return;
    const statement = batch.statements[province];
    const paid = (statement?.toFund ?? 0n) + (statement?.topUp ?? 0n);
    this.moveClearing(book, paid, fx);
    if (statement !== undefined && statement.topUp > 0n) {
      const held = book.prepayments.get(province) ?? { size: 0n, balance: 0n };
      this.putPrepayment(book, province, { ...held, balance: held.balance + statement.topUp }, fx);
    }
    const funded = [...batch.funded, province];
    const next = { ...batch, funded };
    if (funded.length === batch.provinces.length) this.advance(book, next, 'fund', now, fx);
    else this.put(book, next, now, fx, false);
  }

  received(book: BatchBook, month: number, province: string, now: number, fx: Effects): void {
    const batch = book.batches.get(month);
    if (batch === undefined || batch.state !== 'FUNDED' || batch.disbursed.includes(province))
      return;
    const disbursed = [...batch.disbursed, province];
    const next = { ...batch, disbursed };
    const receivers = batch.provinces.filter((p) => (batch.statements[p]?.toReceive ?? 0n) > 0n);
    if (disbursed.length >= receivers.length) this.advance(book, next, 'disburse', now, fx);
    else this.put(book, next, now, fx, false);
  }

  ensure(book: BatchBook, month: number, now: number, fx: Effects): void {
    if (book.batches.has(month)) return;
    this.put(book, newBatch(month), now, fx, true);
  }

  private advance(
    book: BatchBook,
    batch: BatchRecord,
    event: BatchEvent,
    now: number,
    fx: Effects,
  ): void {
    const state = nextBatchState(batch.state, event);
    if (isBatchTransitionError(state))
      throw new Error(`clearing batch ${batch.month}: ${state.message}`);
    let next: BatchRecord = { ...batch, state, attempt: 0 };
    if (event === 'allocate' || event === 'resolve') {
      next = { ...next, provinces: this.provincesOf(book, batch.month), confirmed: [] };
    } else if (event === 'issue') {
      next = { ...next, ...this.statements(book, batch.month), funded: [], disbursed: [] };
      this.drawPrepayments(book, next, fx);
    } else if (event === 'fund') {
      // Every payer has paid in: pay the receivers out of the clearing account.
      let out = 0n;
      for (const s of Object.values(next.statements)) out += s.toReceive;
      this.moveClearing(book, -out, fx);
    }
    fx.emit({ type: 'clearing.batch', corr: `batch.${batch.month}`, month: batch.month, state });
    // Steps that need nobody's answer follow at once: no receivers to pay, nobody to ask.
    if (
      state === 'FUNDED' &&
      next.provinces.every((p) => (next.statements[p]?.toReceive ?? 0n) === 0n)
    ) {
      return this.advance(book, next, 'disburse', now, fx);
    }
    if (state === 'DISBURSED') return this.advance(book, next, 'reconcile', now, fx);
    if ((state === 'ALLOCATED' || state === 'STATEMENTS_ISSUED') && next.provinces.length === 0) {
      return this.advance(book, next, state === 'ALLOCATED' ? 'confirm' : 'fund', now, fx);
    }
    this.put(book, next, now, fx, true);
    if (state === 'RECONCILED') fx.cancelTimer(batchTimerKey(batch.month));
  }

  /** Write the batch, send what its state asks of those who have not answered, arm its timer. */
  private put(book: BatchBook, batch: BatchRecord, now: number, fx: Effects, send: boolean): void {
    const next = { ...batch, timerSeq: batch.timerSeq + 1 };
    book.batches.set(batch.month, next);
    fx.write(RECORDS.clearingBatch.key(batch.month), next);
    if (send) this.send(book, next, fx);
    this.arm(book, next, now, fx, false);
  }

  private arm(
    book: BatchBook,
    batch: BatchRecord,
    now: number,
    fx: Effects,
    resend: boolean,
  ): void {
    if (resend) this.send(book, batch, fx);
    const start = this.calendar.startOfMonthMs(nextMonthKey(batch.month));
    let at: number;
    switch (batch.state) {
      case 'OPEN':
        at = start;
        break;
      case 'CLOSED':
        at = start + (ALLOCATE_DAY - 1) * DAY_MS + ALLOCATE_HOUR * HOUR_MS;
        break;
      case 'CONFIRMED':
        at = start + (STATEMENT_DAY - 1) * DAY_MS + STATEMENT_HOUR * HOUR_MS;
        break;
      case 'DISPUTED':
        // K10: re-allocated after the next daily reconciliation (02:00), when books may agree.
        at = (Math.floor(now / DAY_MS) + 1) * DAY_MS + ALLOCATE_HOUR * HOUR_MS;
        break;
      case 'RECONCILED':
        return;
      default:
        at = now + retryDelayMs(this.config, `batch.${batch.month}`, batch.attempt);
    }
    fx.timer(batchTimerKey(batch.month), Math.max(at, now), batch.timerSeq);
  }

  private send(book: BatchBook, batch: BatchRecord, fx: Effects): void {
    const month = batch.month;
    if (batch.state === 'ALLOCATED') {
      const payable = this.medicalPayableByProvince(book);
      for (const province of batch.provinces) {
        if (batch.confirmed.includes(province)) continue;
        fx.send(provinceAddress(province), 'clearing.allocate', `batch.${month}`, {
          month,
          medicalPayable: payable.get(province) ?? 0n,
        });
      }
    } else if (batch.state === 'STATEMENTS_ISSUED') {
      for (const province of batch.provinces) {
        if (batch.funded.includes(province)) continue;
        const s = batch.statements[province];
        fx.send(provinceAddress(province), 'clearing.statement', `batch.${month}`, {
          month,
          toFund: s?.toFund ?? 0n,
          topUp: s?.topUp ?? 0n,
        });
      }
    } else if (batch.state === 'FUNDED') {
      for (const province of batch.provinces) {
        const amount = batch.statements[province]?.toReceive ?? 0n;
        if (amount === 0n || batch.disbursed.includes(province)) continue;
        fx.send(provinceAddress(province), 'clearing.disburse', `batch.${month}`, {
          month,
          amount,
        });
      }
    }
  }

  /** K10: settlement's cumulative medical payable per insured province, from every live line. */
  medicalPayableByProvince(book: BatchBook): Map<string, Fen> {
    const payable = new Map<string, Fen>();
    for (const line of book.lines.values()) {
      if (line.ledger !== 'medical' || line.undone || line.reversal) continue;
      const province = line.payerRegion.slice(0, 2);
      payable.set(province, (payable.get(province) ?? 0n) + line.amount);
    }
    return payable;
  }

  /** The batch's obligations between provinces (national clearing; F2b's intra-province stay). */
  obligations(book: BatchBook, month: number): Obligation[] {
    const byPair = new Map<string, Fen>();
    for (const line of book.lines.values()) {
      if (line.batch !== month || line.dropped) continue;
      const key = `${line.ledger}|${line.payerRegion}|${line.payeeRegion}`;
      byPair.set(key, (byPair.get(key) ?? 0n) + line.amount * (line.reversal ? -1n : 1n));
    }
    const obligations: Obligation[] = [];
    for (const [key, amount] of byPair) {
      const [ledger, payer, payee] = key.split('|') as ['medical' | 'wallet', string, string];
      if (amount > 0n) obligations.push({ payer, payee, ledger, amount });
      else if (amount < 0n)
        obligations.push({ payer: payee, payee: payer, ledger, amount: -amount });
    }
    return splitByScope(obligations).national;
  }

  private provincesOf(book: BatchBook, month: number): string[] {
    const provinces = new Set<string>();
    for (const o of this.obligations(book, month)) {
      provinces.add(o.payer);
      provinces.add(o.payee);
    }
    return [...provinces].sort();
  }

  private statements(book: BatchBook, month: number): Pick<BatchRecord, 'statements' | 'pairs'> {
    const matrix = buildMatrix(this.obligations(book, month));
    const statements: Record<string, StatementRecord> = {};
    for (const s of buildStatements(month, matrix, book.prepayments)) {
      statements[s.province] = {
        toFund: s.toFund,
        topUp: s.prepaymentTopUp,
        drawn: s.prepaymentDrawn,
        toReceive: s.toReceive,
        medicalPayable: s.medicalPayable,
        walletPayable: s.walletPayable,
      };
    }
    // The draws leave the prepayments now; top-ups come back with each payer's funding.
    return {
      statements,
      pairs: this.config.netting === 'pairwise' ? netPairwise(matrix).transfers : [],
    };
  }

  /** Apply the prepayment draws of issued statements to the book (called once, at issue). */
  drawPrepayments(book: BatchBook, batch: BatchRecord, fx: Effects): void {
    for (const [province, s] of Object.entries(batch.statements)) {
      if (s.drawn === 0n) continue;
      const held = book.prepayments.get(province) ?? { size: 0n, balance: 0n };
      this.putPrepayment(book, province, { ...held, balance: held.balance - s.drawn }, fx);
    }
  }

  private putPrepayment(
    book: BatchBook,
    province: string,
    prepayment: Prepayment,
    fx: Effects,
  ): void {
    book.prepayments.set(province, prepayment);
    fx.write(RECORDS.prepayment.key(province), prepayment);
  }

  private moveClearing(book: BatchBook, delta: Fen, fx: Effects): void {
    book.clearingAccount += delta;
    fx.write(RECORDS.clearingAccount.key(), book.clearingAccount);
  }
}
