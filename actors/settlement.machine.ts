// The national clearing agent. For transfers it books each committed transfer's origin liability
// (K9: the donor's region owes the wallet ledger), exactly once per transfer id. Its lifecycle
// (open → closed → statementsIssued → … per month, DESIGN §3) arrives with monthly clearing.
import { setup } from 'xstate';
import type { Envelope, Fen } from '../protocol/index.ts';
import type { Effects } from './effects.ts';

/** The settlement agent's books: liabilities by origin region and the transfers behind them. */
export interface SettlementBook {
  readonly liabilities: Map<string, Fen>;
  readonly recorded: Set<string>;
  /** Transfers returned unreceived (W11) whose liability was reversed. */
  readonly reversed: Set<string>;
  /** F5 input: what one region owes another, line by line, from settled bills and contributions. */
  readonly lines: Map<string, ClearingLine>;
}

/** One line of a month's obligations; `undone` once its bill was cancelled or reversed. */
export interface ClearingLine {
  readonly month: number;
  readonly ledger: 'medical' | 'wallet';
  readonly payerRegion: string;
  readonly payeeRegion: string;
  readonly amount: Fen;
  readonly undone: boolean;
}

export const lineKey = (lineId: string) => `n:${lineId}`;

export const liabilityRecordKey = (region: string) => `l:${region}`;
export const recordedKey = (transferId: string) => `x:${transferId}`;
export const reversedKey = (transferId: string) => `v:${transferId}`;

export type SettlementEvent =
  | {
      readonly type: 'settlement.record' | 'settlement.unrecord';
      readonly env: Envelope<'settlement.record' | 'settlement.unrecord'>;
      readonly book: SettlementBook;
      readonly fx: Effects;
    }
  | {
      readonly type: 'liability.record';
      readonly env: Envelope<'liability.record'>;
      readonly book: SettlementBook;
      readonly fx: Effects;
    }
  | {
      readonly type: 'liability.reverse';
      readonly env: Envelope<'liability.reverse'>;
      readonly book: SettlementBook;
      readonly fx: Effects;
    };

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
      const { env, book, fx } = event as { env: Envelope<'settlement.record'>; book: SettlementBook; fx: Effects };
      const { lineId, month, ledger, payerRegion, payeeRegion, amount } = env.body;
      if (!book.lines.has(lineId)) {
        const line: ClearingLine = { month, ledger, payerRegion, payeeRegion, amount, undone: false };
        book.lines.set(lineId, line);
        fx.write(lineKey(lineId), line);
        fx.emit({ type: 'clearing.line', corr: lineId, ledger, payerRegion, payeeRegion, amount });
      }
      fx.send(env.from, 'settlement.recorded', env.corr, { lineId });
    },
    unrecordLine: ({ event }) => {
      const { env, book, fx } = event as { env: Envelope<'settlement.unrecord'>; book: SettlementBook; fx: Effects };
      const { lineId } = env.body;
      const line = book.lines.get(lineId);
      if (line !== undefined && !line.undone) {
        const undone = { ...line, undone: true };
        book.lines.set(lineId, undone);
        fx.write(lineKey(lineId), undone);
        const { ledger, payerRegion, payeeRegion, amount } = line;
        fx.emit({ type: 'clearing.line', corr: lineId, ledger, payerRegion, payeeRegion, amount: -amount });
      }
      fx.send(env.from, 'settlement.unrecorded', env.corr, { lineId });
    },
    replyReversed: ({ event }) => {
      const { env, fx } = event;
      fx.send(env.from, 'liability.reversed', env.corr, { transferId: env.corr });
    },
    reverse: ({ event }) => {
      const { env, book, fx } = event as Extract<SettlementEvent, { type: 'liability.reverse' }>;
      const { originRegion, amount } = env.body;
      const total = (book.liabilities.get(originRegion) ?? 0n) - amount;
      book.liabilities.set(originRegion, total);
      book.reversed.add(env.corr);
      fx.write(liabilityRecordKey(originRegion), total);
      fx.write(reversedKey(env.corr), true);
      fx.emit({ type: 'liability.reversed', corr: env.corr, originRegion, amount });
    },
    record: ({ event }) => {
      const { env, book, fx } = event as Extract<SettlementEvent, { type: 'liability.record' }>;
      const { originRegion, amount } = env.body;
      const total = (book.liabilities.get(originRegion) ?? 0n) + amount;
      book.liabilities.set(originRegion, total);
      book.recorded.add(env.corr);
      fx.write(liabilityRecordKey(originRegion), total);
      fx.write(recordedKey(env.corr), true);
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
        'liability.reverse': [
          { guard: 'reversed', actions: 'replyReversed' },
          { actions: ['reverse', 'replyReversed'] },
        ],
      },
    },
  },
});

export type SettlementMachine = typeof settlementMachine;
