// The national clearing agent (settlement.0). For transfers it books each committed transfer's
// origin liability (K9: the donor's region owes the wallet ledger), exactly once per transfer id,
// and reverses it once if the transfer came back (W11); for bills and wallet-funded
// contributions it keeps the clearing lines (F5 input, idempotent per line id); and it runs one
// clearing batch per settlement month (actors/clearing_batch.machine.ts), several months in
// flight at once. Its books are plain data (actors/settlement_book.ts); it has no lifecycle of
// its own, so each message goes to its decision there, or to the batch it answers. K10's
// disputes are its own too: a province's dispute over a month's figures is reconciled line by
// line (3202) and checked again at each daily reconciliation until the province confirms; its
// lines withheld from that month's statements then move to the batch still open.
import type { SnapshotFrom } from 'xstate';

import type { AnyEnvelope, Envelope } from '../protocol/index.ts';
import { provinceAddress, provinceOfAddress } from './addresses.ts';
import { Calendar, parseDate } from './calendar.ts';
import { nextReconciliationAt } from './clearing.ts';
import {
  type BatchEvent,
  type ClearingBatchMachine,
  createClearingBatchMachine,
} from './clearing_batch.machine.ts';
import { FRESH, type LineBatches } from './clearing_lines.ts';
import { PROTOCOL_DEFAULTS, type ProtocolConfig } from './config.ts';
import type { Actor, Effects } from './effects.ts';
import { UnroutableError } from './errors.ts';
import { MachineDriver } from './machine_driver.ts';
import { type ClearingLine, provinceLineOf, RECORDS, visitRecords } from './records.ts';
import { provinceOfRegion } from './regions.ts';
import { SagaTable } from './saga_table.ts';
import { SettlementBook, touches } from './settlement_book.ts';
import { timerOf, TIMERS } from './timers.ts';

export type BatchSnapshot = SnapshotFrom<ClearingBatchMachine>;

/** The provinces' answers a month's batch collects. */
type BatchAnswer =
  'clearing.confirm' | 'clearing.dispute' | 'clearing.funded' | 'clearing.received';
/** K10: after a correction, the month's figure is offered again this long after the last. */
const RECHECK_AFTER_CORRECTION_MS = 60_000;
/** Batch states from the statements on: the lines in them are cleared (or being cleared). */
const ISSUED: ReadonlySet<string> = new Set([
  'STATEMENTS_ISSUED',
  'FUNDED',
  'DISBURSED',
  'RECONCILED',
]);

export class SettlementActor implements Actor {
  readonly book = new SettlementBook();
  /** Each settlement month's clearing batch, by month (YYYYMM). */
  readonly batches: SagaTable<ClearingBatchMachine, number>;
  private readonly calendar: Calendar;

  constructor(
    readonly address: string,
    records: ReadonlyMap<string, unknown>,
    readonly config: ProtocolConfig = PROTOCOL_DEFAULTS,
  ) {
    this.calendar = new Calendar(parseDate(config.startDate));
    this.batches = new SagaTable({
      driver: new MachineDriver(createClearingBatchMachine(config)),
      record: RECORDS.clearingBatch,
      timer: TIMERS.clearingBatch,
    });
    const book = this.book;
    visitRecords(
      records,
      {
        originLiability: (origin, amount) => book.liabilities.set(origin, amount),
        liabilityRecorded: (id) => book.recorded.add(id),
        liabilityReversed: (id) => book.reversed.add(id),
        clearingLine: (id, line) => book.lines.set(id, line),
        clearingBatch: (month, batch) => this.batches.restore(month, batch),
        prepayment: (province, prepayment) => book.prepayments.set(province, prepayment),
        clearingAccount: (_, balance) => {
          book.clearingAccount = balance;
        },
        clearingDispute: (id, dispute) => book.disputes.set(id, dispute),
      },
      'settlement',
    );
  }

  handle(env: AnyEnvelope, now: number, fx: Effects): void {
    switch (env.kind) {
      case 'liability.record':
        return this.recordLiability(env, fx);
      case 'liability.reverse':
        return this.reverseLiability(env, fx);
      case 'settlement.record':
        return this.book.lineBook.record(env, this.lineBatches(now, fx), fx);
      case 'settlement.unrecord':
        return this.book.lineBook.unrecord(env, this.lineBatches(now, fx), fx);
      case 'clearing.confirm':
        if (!this.confirmsCurrent(env, fx)) return;
        this.resolve(env.body.month, provinceOfAddress(env.from), now, fx);
        return this.answerBatch(env, now, fx);
      case 'clearing.dispute':
        this.dispute(env, now, fx);
        return this.answerBatch(env, now, fx);
      case 'clearing.correct':
        return this.correctLine(env, now, fx);
      case 'clearing.funded':
      case 'clearing.received':
        return this.answerBatch(env, now, fx);
      default:
        throw new UnroutableError(this.address, env.kind);
    }
  }

  /** A clearing batch's scheduled step (K8) or retry; an open dispute's daily check (K10). */
  timer(key: string, arg: number, now: number, fx: Effects): void {
    const timer = timerOf(key);
    if (timer?.name === 'clearingDispute') return this.reconcileDispute(timer.id, now, fx);
    if (timer?.name !== 'clearingBatch') return;
    this.batches.step(
      Number(timer.id),
      { type: 'timeout', seq: arg, ...this.carrier(now, fx) },
      fx,
    );
  }

  /**
   * After a start or a crash: this month's batch exists, every unfinished batch re-arms, and
   * so does every open dispute's daily check.
   */
  recover(now: number, fx: Effects): void {
    this.ensure(this.calendar.monthKeyAt(now), now, fx);
    for (const [id, dispute] of this.book.disputes) {
      if (dispute.state === 'open')
        fx.timer(TIMERS.clearingDispute.key(id), nextReconciliationAt(now), 0);
    }
    this.batches.resume(() => ({ type: 'resume', ...this.carrier(now, fx) }), fx);
  }

  private answerBatch(env: Envelope<BatchAnswer>, now: number, fx: Effects): void {
    const province = provinceOfAddress(env.from);
    const event = { type: env.kind, province, ...this.carrier(now, fx) };
    this.batches.step(env.body.month, event, fx);
  }

  /**
   * 3262 (K10): the province's figure for the month disagrees. The dispute is opened (or takes
   * the new figure), and settlement sends its lines of the month for the province to check
   * (3202); the province has sent its own figure of each bill with the dispute.
   */
  private dispute(env: Envelope<'clearing.dispute'>, now: number, fx: Effects): void {
    const { month, medicalReceivable } = env.body;
    const province = provinceOfAddress(env.from);
    // A duplicate or late dispute whose figure is settlement's own figure now says nothing is
    // wrong any more: a resolved dispute stays resolved.
    const ours = this.book.medicalReceivableByProvince(month).get(province) ?? 0n;
    if (medicalReceivable === ours && !this.book.disputeOpen(month, province)) return;
    this.book.openDispute(month, province, medicalReceivable, now, fx);
    for (const [lineId, line] of this.book.medicalLinesOf(month, province)) {
      const { payerRegion, payeeRegion, amount } = line;
      fx.send(env.from, 'clearing.detail', env.corr, {
        month,
        lineId,
        payerRegion,
        payeeRegion,
        amount,
      });
    }
  }

  /**
   * 3261 confirms the figure it was offered. One settlement no longer has (a line came or went
   * since the offer, or a late confirmation of an earlier offer overtaken by a dispute) is no
   * answer: it resolves nothing and counts for no batch. While the month still waits for the
   * province (its batch allocating, or its dispute open) the figure of now is offered again;
   * otherwise it is ignored.
   */
  private confirmsCurrent(env: Envelope<'clearing.confirm'>, fx: Effects): boolean {
    const { month, medicalReceivable } = env.body;
    const province = provinceOfAddress(env.from);
    const current = this.book.medicalReceivableByProvince(month).get(province) ?? 0n;
    if (medicalReceivable === current) return true;
    const waiting =
      this.batches.get(month)?.value === 'ALLOCATED' || this.book.disputeOpen(month, province);
    if (waiting) {
      const body = { month, medicalReceivable: current };
      fx.send(env.from, 'clearing.allocate', `batch.${month}`, body);
    }
    return false;
  }

  /** An open dispute's daily reconciliation: the month's figure goes to the province again. */
  private reconcileDispute(id: string, now: number, fx: Effects): void {
    const dispute = this.book.disputes.get(id);
    if (dispute?.state !== 'open') return;
    const { month, province } = dispute;
    const medicalReceivable = this.book.medicalReceivableByProvince(month).get(province) ?? 0n;
    fx.send(provinceAddress(province), 'clearing.allocate', `batch.${month}`, {
      month,
      medicalReceivable,
    });
    fx.timer(TIMERS.clearingDispute.key(id), nextReconciliationAt(now), 0);
  }

  /**
   * The province confirms the month (K10): its dispute is resolved, and if the month's
   * statements withheld its lines, they move to the batch still open and clear with it (a line
   * whose other side is still withheld in dispute waits for that side).
   */
  private resolve(month: number, province: string, now: number, fx: Effects): void {
    if (!this.book.disputeOpen(month, province)) return;
    this.book.resolveDispute(month, province, now, fx);
    const batch = this.batches.get(month);
    if (batch === undefined || !batch.context.withheld.includes(province)) return;
    const stillOut = batch.context.withheld.filter((p) => this.book.disputeOpen(month, p));
    const target = this.batchFor(this.calendar.monthKeyAt(now), now, fx);
    for (const [lineId, line] of this.book.lines) {
      if (line.batch !== month || line.dropped || !touches(line, [province])) continue;
      if (provinceOfRegion(line.payerRegion) === provinceOfRegion(line.payeeRegion)) continue;
      if (touches(line, stillOut)) continue;
      this.book.putLine(lineId, { ...line, batch: target }, fx);
    }
  }

  /**
   * 3202 (K2, K10): the treatment province's figure for one medical line of a bill it paid its
   * provider for (the split the hub gave it at the settle, which the insured place computed,
   * D2). A line settlement never got is recorded; one with another amount is set to the
   * province's, or voided (0.00: the province paid no such bill), while its batch has not
   * cleared it (not yet issued, or withheld for this dispute).
   */
  private correctLine(env: Envelope<'clearing.correct'>, now: number, fx: Effects): void {
    const { month, lineId, payerRegion, payeeRegion, amount } = env.body;
    const province = provinceOfAddress(env.from);
    const payee = provinceOfRegion(payeeRegion);
    if (payee !== province || payee === provinceOfRegion(payerRegion)) return;
    if (provinceLineOf(lineId) === undefined) return;
    const line = this.book.lines.get(lineId);
    let delta: bigint;
    if (line === undefined) {
      if (amount === 0n) return;
      const batch = this.batchFor(month, now, fx);
      this.book.putLine(
        lineId,
        { month, ledger: 'medical', payerRegion, payeeRegion, amount, ...FRESH, batch },
        fx,
      );
      delta = amount;
    } else {
      const mine = line.ledger === 'medical' && provinceOfRegion(line.payeeRegion) === province;
      if (!mine || line.undone || line.reversal || line.amount === amount) return;
      if (!this.clearable(line)) return;
      const next = amount === 0n ? { ...line, undone: true, dropped: true } : { ...line, amount };
      this.book.putLine(lineId, next, fx);
      delta = amount - line.amount;
    }
    const id = `${month}.${province}`;
    const dispute = this.book.disputes.get(id);
    if (dispute?.state === 'open') {
      this.book.putDispute({ ...dispute, corrected: dispute.corrected + 1 }, fx);
      // Corrected: check the month again shortly (re-armed by each correction), not tomorrow.
      fx.timer(TIMERS.clearingDispute.key(id), now + RECHECK_AFTER_CORRECTION_MS, 0);
    }
    fx.emit({
      type: 'clearing.line',
      corr: lineId,
      ledger: 'medical',
      payerRegion,
      payeeRegion,
      amount: delta,
    });
  }

  /** Whether a line is not cleared yet: its batch has not issued, or withheld it (K10). */
  private clearable(line: ClearingLine): boolean {
    return !this.issued(line.batch) || this.withheldIn(line);
  }

  /** K10: whether a line's batch issued its statements without it (a side withheld). */
  private withheldIn(line: ClearingLine): boolean {
    const batch = this.batches.get(line.batch);
    return this.issued(line.batch) && touches(line, batch?.context.withheld ?? []);
  }

  /** Whether a month's batch has issued its statements: its lines are cleared or clearing. */
  private issued(month: number): boolean {
    const batch = this.batches.get(month);
    return batch !== undefined && ISSUED.has(String(batch.value));
  }

  private carrier(now: number, fx: Effects) {
    return { now, fx, book: this.book };
  }

  private recordLiability(env: Envelope<'liability.record'>, fx: Effects): void {
    if (!this.book.recorded.has(env.corr)) {
      this.book.recordLiability(env.corr, env.body.originRegion, env.body.amount, fx);
    }
    fx.send(env.from, 'liability.recorded', env.corr, { transferId: env.corr });
  }

  private reverseLiability(env: Envelope<'liability.reverse'>, fx: Effects): void {
    if (!this.book.reversed.has(env.corr)) {
      this.book.reverseLiability(env.corr, env.body.originRegion, env.body.amount, fx);
    }
    fx.send(env.from, 'liability.reversed', env.corr, { transferId: env.corr });
  }

  /** The batches a line lands in, as the line book asks (actors/clearing_lines.ts). */
  private lineBatches(now: number, fx: Effects): LineBatches {
    return {
      batchFor: (month) => this.batchFor(month, now, fx),
      // A line its batch withheld (K10) was never cleared: it is dropped, not reversed.
      droppable: (line) => this.isOpen(line.batch) || this.withheldIn(line),
      current: () => this.batchFor(this.calendar.monthKeyAt(now), now, fx),
    };
  }

  /** The batch month a new line counts in: its own month unless that batch is allocated already. */
  private batchFor(lineMonth: number, now: number, fx: Effects): number {
    if (this.isOpen(lineMonth)) {
      this.ensure(lineMonth, now, fx);
      return lineMonth;
    }
    const current = this.calendar.monthKeyAt(now);
    this.ensure(current, now, fx);
    return current;
  }

  /** Whether a month's batch still takes lines (or drops them): not yet allocated. */
  private isOpen(month: number): boolean {
    const batch = this.batches.get(month);
    return (
      batch === undefined ||
      batch.value === 'new' ||
      batch.value === 'OPEN' ||
      batch.value === 'CLOSED'
    );
  }

  private ensure(month: number, now: number, fx: Effects): void {
    if (this.batches.has(month)) return;
    const start: BatchEvent = { type: 'start', ...this.carrier(now, fx) };
    this.batches.start(month, { month }, start, fx);
  }
}
