// The settlement actor: its books and its machine snapshot behind the Actor contract.
import type { SnapshotFrom } from 'xstate';
import type { AnyEnvelope, Fen } from '../protocol/index.ts';
import type { Actor, Effects } from './effects.ts';
import { UnroutableError } from './errors.ts';
import { MachineDriver } from './machine_driver.ts';
import {
  settlementMachine,
  type ClearingLine,
  type SettlementBook,
  type SettlementMachine,
} from './settlement.machine.ts';

const driver = new MachineDriver(settlementMachine);

export class SettlementActor implements Actor {
  readonly book: SettlementBook = { liabilities: new Map(), recorded: new Set(), reversed: new Set(), lines: new Map() };
  private snapshot: SnapshotFrom<SettlementMachine>;

  constructor(
    readonly address: string,
    records: ReadonlyMap<string, unknown>,
    readonly machines = driver,
  ) {
    for (const [key, value] of records) {
      if (key.startsWith('l:')) this.book.liabilities.set(key.slice(2), value as Fen);
      else if (key.startsWith('x:')) this.book.recorded.add(key.slice(2));
      else if (key.startsWith('v:')) this.book.reversed.add(key.slice(2));
      else if (key.startsWith('n:')) this.book.lines.set(key.slice(2), value as ClearingLine);
    }
    this.snapshot = machines.initial(undefined);
  }

  handle(env: AnyEnvelope, _now: number, fx: Effects): void {
    if (env.kind !== 'liability.record' && env.kind !== 'liability.reverse' && env.kind !== 'settlement.record' &&
      env.kind !== 'settlement.unrecord') {
      throw new UnroutableError(this.address, env.kind);
    }
    this.snapshot = this.machines.step(this.snapshot, { type: env.kind, env, book: this.book, fx } as never);
  }

  timer(): void {}

  recover(): void {}
}
