// The settlement actor: its books and its machine snapshot behind the Actor contract.
import type { SnapshotFrom } from 'xstate';
import type { AnyEnvelope } from '../protocol/index.ts';
import type { Actor, Effects } from './effects.ts';
import { UnroutableError } from './errors.ts';
import { MachineDriver } from './machine_driver.ts';
import {
  settlementMachine,
  type SettlementEvent,
  type SettlementKind,
  type SettlementMachine,
} from './settlement.machine.ts';
import { ClearingDesk, type BatchBook } from './clearing_batch.ts';
import { visitRecords } from './records.ts';
import { PROTOCOL_DEFAULTS, type ProtocolConfig } from './config.ts';

const SETTLEMENT_KINDS: ReadonlySet<string> = new Set<SettlementKind>([
  'settlement.record',
  'settlement.unrecord',
  'liability.record',
  'liability.reverse',
  'clearing.confirm',
  'clearing.dispute',
  'clearing.funded',
  'clearing.received',
]);

const driver = new MachineDriver(settlementMachine);

export class SettlementActor implements Actor {
  readonly book: BatchBook = {
    liabilities: new Map(),
    recorded: new Set(),
    reversed: new Set(),
    lines: new Map(),
    batches: new Map(),
    prepayments: new Map(),
    clearingAccount: 0n,
  };
  private readonly desk: ClearingDesk;
  private snapshot: SnapshotFrom<SettlementMachine>;

  constructor(
    readonly address: string,
    records: ReadonlyMap<string, unknown>,
    readonly config: ProtocolConfig = PROTOCOL_DEFAULTS,
    readonly machines = driver,
  ) {
    const book = this.book;
    visitRecords(
      records,
      {
        originLiability: (origin, amount) => book.liabilities.set(origin, amount),
        liabilityRecorded: (id) => book.recorded.add(id),
        liabilityReversed: (id) => book.reversed.add(id),
        clearingLine: (id, line) => book.lines.set(id, line),
        clearingBatch: (month, batch) => book.batches.set(month, batch),
        prepayment: (province, prepayment) => book.prepayments.set(province, prepayment),
        clearingAccount: (_, balance) => {
          book.clearingAccount = balance;
        },
      },
      'settlement',
    );
    this.snapshot = machines.initial(undefined);
    this.desk = new ClearingDesk(config);
  }

  handle(env: AnyEnvelope, now: number, fx: Effects): void {
    if (!SETTLEMENT_KINDS.has(env.kind)) throw new UnroutableError(this.address, env.kind);
    const event = { type: env.kind, env, book: this.book, desk: this.desk, now, fx };
    this.snapshot = this.machines.step(this.snapshot, event as SettlementEvent);
  }

  /** A clearing batch's scheduled step (K8) or retry. */
  timer(key: string, arg: number, now: number, fx: Effects): void {
    if (key.startsWith('batch:'))
      this.desk.timer(this.book, Number(key.slice('batch:'.length)), arg, now, fx);
  }

  /** After a start or a crash: this month's batch exists, and every unfinished batch re-arms. */
  recover(now: number, fx: Effects): void {
    this.desk.ensure(this.book, this.desk.currentMonth(now), now, fx);
    this.desk.recover(this.book, now, fx);
  }
}
