// The national clearing agent (settlement.0). For transfers it books each committed transfer's
// origin liability (K9: the donor's region owes the wallet ledger), exactly once per transfer id,
// and reverses it once if the transfer came back (W11); for bills and wallet-funded
// contributions it keeps the clearing lines (F5 input, idempotent per line id); and it runs one
// clearing batch per settlement month (actors/clearing_batch.machine.ts), several months in
// flight at once. Its books are plain data (actors/settlement_book.ts); it has no lifecycle of
// its own, so each message goes to its decision there, or to the batch it answers.
import type { SnapshotFrom } from 'xstate';

import type { AnyEnvelope, Envelope } from '../protocol/index.ts';
import { provinceOfAddress } from './addresses.ts';
import { Calendar, parseDate } from './calendar.ts';
import {
  type BatchEvent,
  type ClearingBatchMachine,
  createClearingBatchMachine,
} from './clearing_batch.machine.ts';
import { PROTOCOL_DEFAULTS, type ProtocolConfig } from './config.ts';
import type { Actor, Effects } from './effects.ts';
import { UnroutableError } from './errors.ts';
import { MachineDriver } from './machine_driver.ts';
import { type ClearingLine, RECORDS, visitRecords } from './records.ts';
import { SagaTable } from './saga_table.ts';
import { SettlementBook } from './settlement_book.ts';
import { timerOf, TIMERS } from './timers.ts';

export type BatchSnapshot = SnapshotFrom<ClearingBatchMachine>;

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
        return this.recordLine(env, now, fx);
      case 'settlement.unrecord':
        return this.unrecordLine(env, now, fx);
      case 'clearing.confirm':
      case 'clearing.funded':
      case 'clearing.received': {
        const province = provinceOfAddress(env.from);
        return this.batches.step(
          env.body.month,
          { type: env.kind, province, ...this.carrier(now, fx) },
          fx,
        );
      }
      case 'clearing.dispute':
        return this.batches.step(env.body.month, { type: env.kind, ...this.carrier(now, fx) }, fx);
      default:
        throw new UnroutableError(this.address, env.kind);
    }
  }

  /** A clearing batch's scheduled step (K8) or retry. */
  timer(key: string, arg: number, now: number, fx: Effects): void {
    const timer = timerOf(key);
    if (timer?.name !== 'clearingBatch') return;
    this.batches.step(
      Number(timer.id),
      { type: 'timeout', seq: arg, ...this.carrier(now, fx) },
      fx,
    );
  }

  /** After a start or a crash: this month's batch exists, and every unfinished batch re-arms. */
  recover(now: number, fx: Effects): void {
    this.ensure(this.calendar.monthKeyAt(now), now, fx);
    this.batches.resume(() => ({ type: 'resume', ...this.carrier(now, fx) }), fx);
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

  /** A new line counts in its own month's batch unless that batch is allocated already. */
  private recordLine(env: Envelope<'settlement.record'>, now: number, fx: Effects): void {
    const { lineId, month, ledger, payerRegion, payeeRegion, amount } = env.body;
    if (!this.book.lines.has(lineId)) {
      const batch = this.batchFor(month, now, fx);
      const line: ClearingLine = {
        ...{ month, ledger, payerRegion, payeeRegion, amount },
        ...{ undone: false, batch, dropped: false, reversal: false },
      };
      this.book.putLine(lineId, line, fx);
      fx.emit({ type: 'clearing.line', corr: lineId, ledger, payerRegion, payeeRegion, amount });
    }
    fx.send(env.from, 'settlement.recorded', env.corr, { lineId });
  }

  /**
   * An undone bill's line: dropped from its batch if that is not allocated yet, otherwise taken
   * back by a reversal line in the batch of the month the undo came in.
   */
  private unrecordLine(env: Envelope<'settlement.unrecord'>, now: number, fx: Effects): void {
    const { lineId } = env.body;
    const line = this.book.lines.get(lineId);
    if (line !== undefined && !line.undone) {
      const dropped = this.isOpen(line.batch);
      this.book.putLine(lineId, { ...line, undone: true, dropped }, fx);
      if (!dropped) {
        const batch = this.batchFor(this.calendar.monthKeyAt(now), now, fx);
        this.book.putLine(`${lineId}.r`, { ...line, batch, reversal: true }, fx);
      }
      const { ledger, payerRegion, payeeRegion, amount } = line;
      fx.emit({
        type: 'clearing.line',
        corr: lineId,
        ledger,
        payerRegion,
        payeeRegion,
        amount: -amount,
      });
    }
    fx.send(env.from, 'settlement.unrecorded', env.corr, { lineId });
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
