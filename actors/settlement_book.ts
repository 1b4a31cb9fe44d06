// The national clearing agent's books: plain data, like a province's AccountBook. Each transfer's
// origin liability (K9: the donor's region owes the wallet ledger), booked exactly once per
// transfer id and reversed once if the transfer came back (W11); the clearing lines of settled
// bills and wallet-funded contributions (F5 input, idempotent per line id); each province's
// prepayment (K1, K7) and the national clearing account that holds them. Every change is written
// (write-ahead) through the step's Effects. The monthly batches that clear the lines are
// machines of their own (actors/clearing_batch.machine.ts).
import type { ClearingLedger, Fen } from '../protocol/index.ts';
import { type Obligation, type Prepayment, splitByScope } from './clearing.ts';
import type { Effects } from './effects.ts';
import { type ClearingLine, RECORDS } from './records.ts';
import { provinceOfRegion } from './regions.ts';

export class SettlementBook {
  /** K9: per origin region, what it owes the wallet ledger (issued − returned). */
  readonly liabilities = new Map<string, Fen>();
  /** Transfers whose liability is booked. */
  readonly recorded = new Set<string>();
  /** Transfers returned unreceived (W11) whose liability was reversed. */
  readonly reversed = new Set<string>();
  /** F5 input: what one region owes another, line by line. */
  readonly lines = new Map<string, ClearingLine>();
  /** K1, K7: each province's prepayment, held in the national clearing account. */
  readonly prepayments = new Map<string, Prepayment>();
  /** The national clearing account: prepayments held and money in transit through it. */
  clearingAccount: Fen = 0n;

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
    this.lines.set(lineId, line);
    fx.write(RECORDS.clearingLine.key(lineId), line);
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

  /** K10: settlement's cumulative medical payable per insured province, from every live line. */
  medicalPayableByProvince(): Map<string, Fen> {
    const payable = new Map<string, Fen>();
    for (const line of this.lines.values()) {
      if (line.ledger !== 'medical' || line.undone || line.reversal) continue;
      const province = provinceOfRegion(line.payerRegion);
      payable.set(province, (payable.get(province) ?? 0n) + line.amount);
    }
    return payable;
  }

  /** A batch's obligations between provinces (national clearing; F2b's intra-province stay). */
  obligations(month: number): Obligation[] {
    const byPair = new Map<string, Fen>();
    for (const line of this.lines.values()) {
      if (line.batch !== month || line.dropped) continue;
      const key = `${line.ledger}|${line.payerRegion}|${line.payeeRegion}`;
      byPair.set(key, (byPair.get(key) ?? 0n) + line.amount * (line.reversal ? -1n : 1n));
    }
    const obligations: Obligation[] = [];
    for (const [key, amount] of byPair) {
      const [ledger, payer, payee] = key.split('|') as [ClearingLedger, string, string];
      if (amount > 0n) obligations.push({ payer, payee, ledger, amount });
      else if (amount < 0n)
        obligations.push({ payer: payee, payee: payer, ledger, amount: -amount });
    }
    return splitByScope(obligations).national;
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
