// A wallet shard: the wallets whose id hashes to it, and the sagas of the transfers they start.
// Wallets and sagas are XState snapshots in plain maps, advanced through one shared scope each
// (TECH.md §1.2): never thousands of children under one parent (O(N²) spawning).
import type { SnapshotFrom } from 'xstate';
import type { AnyEnvelope, Envelope, Fen } from '../protocol/index.ts';
import type { Actor, Effects, TransferScope } from './effects.ts';
import type { ProtocolConfig } from './config.ts';
import { provinceAddress, provinceOfRegion, walletShardAddress, walletShardOf } from './addresses.ts';
import { MachineDriver } from './machine_driver.ts';
import {
  createTransferSagaMachine,
  sagaTimerKey,
  type SagaEvent,
  type SagaInput,
  type TransferSagaMachine,
} from './transfer_saga.machine.ts';
import {
  createWalletMachine,
  initialWalletContext,
  type ShardPort,
  type WalletContext,
  type WalletEvent,
  type WalletInput,
  type WalletMachine,
} from './wallet.machine.ts';
import { UnroutableError } from './errors.ts';

export type WalletSnapshot = SnapshotFrom<WalletMachine>;
export type SagaSnapshot = SnapshotFrom<TransferSagaMachine>;

export const walletKey = (id: string) => `w:${id}`;
export const sagaKey = (id: string) => `s:${id}`;
export const liabilityKey = (region: string) => `l:${region}`;

/** The machines of one protocol configuration, shared by every shard that uses it. */
export class WalletMachines {
  readonly wallets: MachineDriver<WalletMachine>;
  readonly sagas: MachineDriver<TransferSagaMachine>;
  constructor(readonly config: ProtocolConfig) {
    this.wallets = new MachineDriver(createWalletMachine(config));
    this.sagas = new MachineDriver(createTransferSagaMachine(config));
  }

  /** A wallet's first snapshot, in the state its input names. */
  openingSnapshot(input: WalletInput): WalletSnapshot {
    return this.wallets.restore({ value: input.status, context: initialWalletContext(input) });
  }
}

export function scopeOf(donorRegion: string, recipientRegion: string): TransferScope {
  if (donorRegion === recipientRegion) return 'sameRegion';
  if (provinceOfRegion(donorRegion) === provinceOfRegion(recipientRegion)) return 'sameProvince';
  return 'crossProvince';
}

export class WalletShardActor implements Actor, ShardPort {
  readonly wallets = new Map<string, WalletSnapshot>();
  readonly sagas = new Map<string, SagaSnapshot>();
  readonly liabilities = new Map<string, Fen>();
  readonly ledger: string;
  readonly config: ProtocolConfig;

  constructor(
    readonly address: string,
    records: ReadonlyMap<string, unknown>,
    readonly machines: WalletMachines,
  ) {
    this.config = machines.config;
    this.ledger = `ledger.${address}`;
    for (const [key, value] of records) {
      const id = key.slice(2);
      if (key.startsWith('w:')) this.wallets.set(id, machines.wallets.revive(value));
      else if (key.startsWith('s:')) this.sagas.set(id, machines.sagas.revive(value));
      else if (key.startsWith('l:')) this.liabilities.set(id, value as Fen);
    }
  }

  handle(env: AnyEnvelope, now: number, fx: Effects): void {
    switch (env.kind) {
      case 'transfer.request':
        return this.request(env, now, fx);
      case 'wallet.credit':
        return this.credit(env, now, fx);
      case 'account.reserved':
      case 'account.committed':
      case 'account.released':
      case 'wallet.credited':
      case 'liability.recorded':
        return this.stepSaga(env.corr, { type: env.kind, now, fx }, fx);
      case 'account.rejected':
      case 'wallet.rejected':
        return this.stepSaga(env.corr, { type: env.kind, reason: env.body.reason, now, fx }, fx);
      default:
        throw new UnroutableError(this.address, env.kind);
    }
  }

  timer(key: string, arg: number, now: number, fx: Effects): void {
    this.stepSaga(key.slice('saga:'.length), { type: 'timeout', seq: arg, now, fx }, fx);
  }

  recover(now: number, fx: Effects): void {
    for (const [id, saga] of this.sagas) {
      if (saga.status !== 'done') this.stepSaga(id, { type: 'resume', now, fx }, fx);
    }
  }

  hasSaga(transferId: string): boolean {
    return this.sagas.has(transferId);
  }

  startSaga(donor: WalletContext, request: Envelope<'transfer.request'>, now: number, fx: Effects): void {
    const { recipientId, amount } = request.body;
    const relation = Object.hasOwn(donor.relations, recipientId) ? donor.relations[recipientId] : undefined;
    if (relation === undefined) throw new Error(`startSaga: ${donor.walletId} has no relation ${recipientId}`);
    const input: SagaInput = {
      transferId: request.corr,
      donorId: donor.walletId,
      recipientId,
      donorRegion: donor.region,
      recipientRegion: relation.region,
      donorProvince: provinceAddress(provinceOfRegion(donor.region)),
      recipientShard: walletShardAddress(walletShardOf(recipientId, this.config.walletShardCount)),
      amount,
      scope: scopeOf(donor.region, relation.region),
      startedAt: now,
    };
    fx.emit({ type: 'transfer.accepted', corr: input.transferId, scope: input.scope, amount });
    this.sagas.set(input.transferId, this.machines.sagas.initial(input));
    this.stepSaga(input.transferId, { type: 'start', now, fx }, fx);
  }

  bookCredit(wallet: WalletContext, credit: Envelope<'wallet.credit'>, fx: Effects): void {
    const { originRegion, amount } = credit.body;
    const liability = (this.liabilities.get(originRegion) ?? 0n) - amount;
    this.liabilities.set(originRegion, liability);
    fx.write(liabilityKey(originRegion), liability);
    fx.emit({
      type: 'posting',
      ledger: this.ledger,
      op: 'credit',
      corr: credit.corr,
      debit: `liab:${originRegion}`,
      debitClass: 'liability',
      debitAfter: liability,
      credit: `wallet:${wallet.walletId}`,
      creditClass: 'wallet',
      amount,
    });
  }

  private request(env: Envelope<'transfer.request'>, now: number, fx: Effects): void {
    if (!this.wallets.has(env.body.donorId)) {
      fx.send(env.from, 'transfer.refused', env.corr, { transferId: env.corr, reason: 'NO_WALLET' });
      return;
    }
    this.stepWallet(env.body.donorId, { type: 'transfer.request', env, shard: this, now, fx }, fx);
  }

  private credit(env: Envelope<'wallet.credit'>, now: number, fx: Effects): void {
    if (!this.wallets.has(env.body.walletId)) {
      fx.send(env.from, 'wallet.rejected', env.corr, { transferId: env.corr, reason: 'NO_WALLET' });
      return;
    }
    this.stepWallet(env.body.walletId, { type: 'wallet.credit', env, shard: this, now, fx }, fx);
  }

  private stepWallet(walletId: string, event: WalletEvent, fx: Effects): void {
    const before = this.wallets.get(walletId);
    if (before === undefined) throw new Error(`stepWallet: unknown wallet ${walletId}`);
    const after = this.machines.wallets.step(before, event);
    if (after !== before) {
      this.wallets.set(walletId, after);
      fx.write(walletKey(walletId), after);
    }
  }

  private stepSaga(transferId: string, event: SagaEvent, fx: Effects): void {
    const before = this.sagas.get(transferId);
    if (before === undefined || before.status === 'done') return; // stale or duplicate reply
    const after = this.machines.sagas.step(before, event);
    if (after === before) return;
    this.sagas.set(transferId, after);
    fx.write(sagaKey(transferId), after);
    if (after.status === 'done') this.finish(after, fx);
  }

  private finish(saga: SagaSnapshot, fx: Effects): void {
    const { transferId, donorId, recipientId, scope, reason } = saga.context;
    const outcome = saga.value === 'completed' ? 'completed' : 'rejected';
    fx.cancelTimer(sagaTimerKey(transferId));
    fx.emit({ type: 'transfer.outcome', corr: transferId, scope, outcome, reason });
    this.stepWallet(donorId, { type: 'saga.done', recipientId }, fx);
  }
}
