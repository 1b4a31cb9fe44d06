// The province actor: one AccountBook and one province machine snapshot, behind the Actor
// contract. Every account message is one transition of the province machine.
import type { AnyEnvelope } from '../protocol/index.ts';
import { AccountBook } from './account_book.ts';
import type { Actor, Effects } from './effects.ts';
import { UnroutableError } from './errors.ts';
import { MachineDriver } from './machine_driver.ts';
import { provinceMachine, type ProvinceMachine } from './province.machine.ts';
import type { SnapshotFrom } from 'xstate';

const driver = new MachineDriver(provinceMachine);

export class ProvinceActor implements Actor {
  private readonly book: AccountBook;
  private snapshot: SnapshotFrom<ProvinceMachine>;

  constructor(readonly address: string, records: ReadonlyMap<string, unknown>, readonly machines = driver) {
    this.book = AccountBook.fromRecords(`ledger.${address}`, records);
    this.snapshot = machines.initial(undefined);
  }

  handle(env: AnyEnvelope, _now: number, fx: Effects): void {
    switch (env.kind) {
      case 'account.reserve':
      case 'account.commit':
      case 'account.release':
      case 'account.refund':
      case 'identity.verify':
        this.snapshot = this.machines.step(this.snapshot, { type: env.kind, env: env as never, book: this.book, fx });
        return;
      default:
        throw new UnroutableError(this.address, env.kind);
    }
  }

  timer(): void {}

  recover(): void {}

  get accountBook(): AccountBook {
    return this.book;
  }
}
