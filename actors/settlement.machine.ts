// The national clearing agent. For transfers it books each committed transfer's origin liability
// (K9: the donor's region owes the wallet ledger), exactly once per transfer id; for bills and
// wallet-funded contributions it keeps the clearing lines (F5 input, idempotent per line id);
// and it runs one clearing batch per month (actors/clearing_batch.ts: allocation, K10
// confirmation, statements with prepayments, funding, disbursal, reconciliation).
import { setup } from 'xstate';
import type { Envelope, Fen } from '../protocol/index.ts';
import type { Effects } from './effects.ts';
import type { BatchBook, ClearingDesk } from './clearing_batch.ts';
import { RECORDS, type ClearingLine } from './records.ts';

/** The settlement agent's books: liabilities by origin region and the transfers behind them. */
export interface SettlementBook {
  readonly liabilities: Map<string, Fen>;
  readonly recorded: Set<string>;
  /** Transfers returned unreceived (W11) whose liability was reversed. */
  readonly reversed: Set<string>;
  /** F5 input: what one region owes another, line by line, from settled bills and contributions. */
  readonly lines: Map<string, ClearingLine>;
}

type Carried<K extends SettlementKind> = {
  readonly type: K;
  readonly env: Envelope<K>;
  readonly book: BatchBook;
  readonly desk: ClearingDesk;
  readonly now: number;
  readonly fx: Effects;
};

export type SettlementKind =
  | 'settlement.record'
  | 'settlement.unrecord'
  | 'liability.record'
  | 'liability.reverse'
  | 'clearing.confirm'
  | 'clearing.dispute'
  | 'clearing.funded'
  | 'clearing.received';

export type SettlementEvent = { [K in SettlementKind]: Carried<K> }[SettlementKind];

type Of<K extends SettlementKind> = Carried<K>;
const provinceOf = (from: string) => from.slice('province.'.length);

export const settlementMachine = setup({
  types: { events: {} as SettlementEvent },
  guards: {
    recorded: ({ event }) => event.book.recorded.has(event.env.corr),
    reversed: ({ event }) => event.book.reversed.has(event.env.corr),
  },
  actions: {
    replyRecorded: ({ event }) => {
      const { env, fx } = event;
      fx.send(env.from, 'liability.recorded', env.corr, { transferId: env.corr });
    },
    recordLine: ({ event }) => {
      const { env, book, desk, now, fx } = event as Of<'settlement.record'>;
      const { lineId, month, ledger, payerRegion, payeeRegion, amount } = env.body;
      if (!book.lines.has(lineId)) {
        const batch = desk.batchFor(book, month, now, fx);
        const line: ClearingLine = {
          month,
          ledger,
          payerRegion,
          payeeRegion,
          amount,
          undone: false,
          batch,
          dropped: false,
          reversal: false,
        };
        book.lines.set(lineId, line);
        fx.write(RECORDS.clearingLine.key(lineId), line);
        fx.emit({ type: 'clearing.line', corr: lineId, ledger, payerRegion, payeeRegion, amount });
      }
      fx.send(env.from, 'settlement.recorded', env.corr, { lineId });
    },
    unrecordLine: ({ event }) => {
      const { env, book, desk, now, fx } = event as Of<'settlement.unrecord'>;
      const { lineId } = env.body;
      const line = book.lines.get(lineId);
      if (line !== undefined && !line.undone) {
        const dropped = desk.isOpen(book, line.batch);
        const undone = { ...line, undone: true, dropped };
        book.lines.set(lineId, undone);
        fx.write(RECORDS.clearingLine.key(lineId), undone);
        if (!dropped) {
          // Its batch is allocated already: take it back in the batch of this month.
          const batch = desk.batchFor(book, desk.currentMonth(now), now, fx);
          const reversal: ClearingLine = { ...line, batch, reversal: true };
          book.lines.set(`${lineId}.r`, reversal);
          fx.write(RECORDS.clearingLine.key(`${lineId}.r`), reversal);
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
    },
    confirm: ({ event }) => {
      const { env, book, desk, now, fx } = event as Of<'clearing.confirm'>;
      desk.confirm(book, env.body.month, provinceOf(env.from), now, fx);
    },
    dispute: ({ event }) => {
      const { env, book, desk, now, fx } = event as Of<'clearing.dispute'>;
      desk.dispute(book, env.body.month, now, fx);
    },
    funded: ({ event }) => {
      const { env, book, desk, now, fx } = event as Of<'clearing.funded'>;
      desk.funded(book, env.body.month, provinceOf(env.from), now, fx);
    },
    received: ({ event }) => {
      const { env, book, desk, now, fx } = event as Of<'clearing.received'>;
      desk.received(book, env.body.month, provinceOf(env.from), now, fx);
    },
    replyReversed: ({ event }) => {
      const { env, fx } = event;
      fx.send(env.from, 'liability.reversed', env.corr, { transferId: env.corr });
    },
    reverse: ({ event }) => {
      const { env, book, fx } = event as Of<'liability.reverse'>;
      const { originRegion, amount } = env.body;
      const total = (book.liabilities.get(originRegion) ?? 0n) - amount;
      book.liabilities.set(originRegion, total);
      book.reversed.add(env.corr);
      fx.write(RECORDS.originLiability.key(originRegion), total);
      fx.write(RECORDS.liabilityReversed.key(env.corr), true);
      fx.emit({ type: 'liability.reversed', corr: env.corr, originRegion, amount });
    },
    record: ({ event }) => {
      const { env, book, fx } = event as Of<'liability.record'>;
      const { originRegion, amount } = env.body;
      const total = (book.liabilities.get(originRegion) ?? 0n) + amount;
      book.liabilities.set(originRegion, total);
      book.recorded.add(env.corr);
      fx.write(RECORDS.originLiability.key(originRegion), total);
      fx.write(RECORDS.liabilityRecorded.key(env.corr), true);
      fx.emit({ type: 'liability.recorded', corr: env.corr, originRegion, amount });
    },
  },
}).createMachine({
  id: 'settlement',
  initial: 'open',
  states: {
    open: {
      on: {
        'liability.record': [
          { guard: 'recorded', actions: 'replyRecorded' },
          { actions: ['record', 'replyRecorded'] },
        ],
        'settlement.record': { actions: 'recordLine' },
        'settlement.unrecord': { actions: 'unrecordLine' },
        'clearing.confirm': { actions: 'confirm' },
        'clearing.dispute': { actions: 'dispute' },
        'clearing.funded': { actions: 'funded' },
        'clearing.received': { actions: 'received' },
        'liability.reverse': [
          { guard: 'reversed', actions: 'replyReversed' },
          { actions: ['reverse', 'replyReversed'] },
        ],
      },
    },
  },
});

export type SettlementMachine = typeof settlementMachine;
