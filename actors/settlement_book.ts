// The national clearing agent's books: plain data, like a province's AccountBook. Each transfer's
// origin liability (K9: the donor's region owes the wallet ledger), booked exactly once per
// transfer id and reversed once if the transfer came back (W11); the clearing lines of settled
// bills and wallet-funded contributions (F5 input, idempotent per line id); each province's
// prepayment (K1, K7) and the national clearing account that holds them. Every change is written
// (write-ahead) through the step's Effects. The monthly batches that clear the lines are
// machines of their own (actors/clearing_batch.machine.ts).
import type { Fen } from '../protocol/index.ts';
import {
  nextReconciliationAt,
  type Obligation,
  type Prepayment,
  splitByScope,
} from './clearing.ts';
import { LineBook, obligationsOf } from './clearing_lines.ts';
import type { Effects } from './effects.ts';
import { type ClearingLine, type DisputeRecord, RECORDS } from './records.ts';
import { provinceOfRegion } from './regions.ts';
import { TIMERS } from './timers.ts';

export class SettlementBook {
  /** K9: per origin region, what it owes the wallet ledger (issued − returned). */
  readonly liabilities = new Map<string, Fen>();
  /** Transfers whose liability is booked. */
  readonly recorded = new Set<string>();
  /** Transfers returned unreceived (W11) whose liability was reversed. */
  readonly reversed = new Set<string>();
  /** F5 input: what one region of a province owes one of another, line by line. */
  readonly lineBook = new LineBook((lineId, line, fx) =>
    fx.write(RECORDS.clearingLine.key(lineId), line),
  );
  readonly lines = this.lineBook.lines;
  /** K1, K7: each province's prepayment, held in the national clearing account. */
  readonly prepayments = new Map<string, Prepayment>();
  /** The national clearing account: prepayments held and money in transit through it. */
  clearingAccount: Fen = 0n;
  /** K10: disputes by `<month>.<province>`, open or resolved. */
  readonly disputes = new Map<string, DisputeRecord>();

  /** K10: whether a province's figures for a month are in dispute now. */
  disputeOpen(month: number, province: string): boolean {
    return this.disputes.get(`${month}.${province}`)?.state === 'open';
  }

  /**
   * K10: a province disputes a month (with its figure), or its lines are withheld without an
   * answer (`figure` undefined). A new dispute is reported and checked again at the next daily
   * reconciliation; an open one only takes the province's latest figure.
   */
  openDispute(month: number, province: string, figure: Fen | undefined, now: number, fx: Effects) {
    const id = `${month}.${province}`;
    const open = this.disputes.get(id);
    if (open?.state === 'open') {
      if (figure !== undefined) this.putDispute({ ...open, figure }, fx);
      return;
    }
    this.putDispute({ month, province, state: 'open', figure, openedAt: now, corrected: 0 }, fx);
    fx.timer(TIMERS.clearingDispute.key(id), nextReconciliationAt(now), 0);
    fx.emit({ type: 'clearing.dispute', corr: `batch.${month}`, month, province, state: 'open' });
  }

  resolveDispute(month: number, province: string, now: number, fx: Effects): void {
    const open = this.disputes.get(`${month}.${province}`);
    if (open?.state !== 'open') return;
    this.putDispute({ ...open, state: 'resolved', resolvedAt: now }, fx);
    const corr = `batch.${month}`;
    fx.emit({ type: 'clearing.dispute', corr, month, province, state: 'resolved' });
  }

  putDispute(dispute: DisputeRecord, fx: Effects): void {
    const id = `${dispute.month}.${dispute.province}`;
    this.disputes.set(id, dispute);
    fx.write(RECORDS.clearingDispute.key(id), dispute);
  }

  /** K9: a committed transfer's liability, once per transfer id. */
  recordLiability(transferId: string, originRegion: string, amount: Fen, fx: Effects): void {
    const total = (this.liabilities.get(originRegion) ?? 0n) + amount;
    this.liabilities.set(originRegion, total);
    this.recorded.add(transferId);
    fx.write(RECORDS.originLiability.key(originRegion), total);
    fx.write(RECORDS.liabilityRecorded.key(transferId), true);
    fx.emit({ type: 'liability.recorded', corr: transferId, originRegion, amount });
  }

  /** W11: a transfer that came back unreceived takes its liability back, once. */
  reverseLiability(transferId: string, originRegion: string, amount: Fen, fx: Effects): void {
    const total = (this.liabilities.get(originRegion) ?? 0n) - amount;
    this.liabilities.set(originRegion, total);
    this.reversed.add(transferId);
    fx.write(RECORDS.originLiability.key(originRegion), total);
    fx.write(RECORDS.liabilityReversed.key(transferId), true);
    fx.emit({ type: 'liability.reversed', corr: transferId, originRegion, amount });
  }

  putLine(lineId: string, line: ClearingLine, fx: Effects): void {
    this.lineBook.set(lineId, line, fx);
  }

  putPrepayment(province: string, prepayment: Prepayment, fx: Effects): void {
    this.prepayments.set(province, prepayment);
    fx.write(RECORDS.prepayment.key(province), prepayment);
  }

  /**
   * The clearing account takes a funded statement out of transit (delta > 0), or pays a batch's
   * disbursals out into transit (delta < 0): one posting each, under `corr`.
   */
  moveClearing(delta: Fen, fx: Effects, corr: string): void {
    this.clearingAccount += delta;
    fx.write(RECORDS.clearingAccount.key(), this.clearingAccount);
    if (delta === 0n) return;
    const take = delta > 0n;
    fx.emit({
      type: 'posting',
      ledger: 'ledger.settlement',
      op: take ? 'take' : 'payOut',
      corr,
      debit: take ? 'transit' : 'clearing',
      debitClass: take ? 'transit' : 'clearing',
      credit: take ? 'clearing' : 'transit',
      creditClass: take ? 'clearing' : 'transit',
      amount: take ? delta : -delta,
      debitAfter: take ? 0n : this.clearingAccount,
    });
  }

  /**
   * K2, K10: settlement's medical receivable of one settlement month per treatment province:
   * its live medical lines from other provinces filed under that month, whichever batch
   * clears them.
   */
  medicalReceivableByProvince(month: number): Map<string, Fen> {
    const receivable = new Map<string, Fen>();
    for (const [, line] of this.medicalLinesOf(month)) {
      const province = provinceOfRegion(line.payeeRegion);
      receivable.set(province, (receivable.get(province) ?? 0n) + line.amount);
    }
    return receivable;
  }

  /**
   * K10: the live cross-province medical lines of one month (a bill's medical share, a
   * relative's family aid), all or those treated in one province: 3202's details.
   */
  *medicalLinesOf(month: number, province?: string): Generator<[string, ClearingLine]> {
    for (const entry of this.lines) {
      const line = entry[1];
      if (line.month !== month || line.ledger !== 'medical' || line.undone || line.reversal)
        continue;
      const payee = provinceOfRegion(line.payeeRegion);
      if (payee === provinceOfRegion(line.payerRegion)) continue;
      if (province === undefined || payee === province) yield entry;
    }
  }

  /**
   * A batch's obligations between provinces (national clearing; F2b's intra-province stay),
   * without the lines of the provinces it withholds (K10).
   */
  obligations(month: number, withheld: readonly string[] = []): Obligation[] {
    const held = (line: ClearingLine) => withheld.length > 0 && touches(line, withheld);
    return splitByScope(obligationsOf(this.lines.values(), month, held)).national;
  }

  /** The provinces a batch clears: any of its national obligations, either side, sorted. */
  provincesOf(month: number): string[] {
    const provinces = new Set<string>();
    for (const o of this.obligations(month)) {
      provinces.add(o.payer);
      provinces.add(o.payee);
    }
    return [...provinces].sort();
  }
}

/** Whether a line has a side in one of the provinces given. */
export function touches(line: ClearingLine, provinces: readonly string[]): boolean {
  return (
    provinces.includes(provinceOfRegion(line.payerRegion)) ||
    provinces.includes(provinceOfRegion(line.payeeRegion))
  );
}
