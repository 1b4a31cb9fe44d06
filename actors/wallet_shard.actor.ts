// A wallet shard: the wallets whose id hashes to it, and the sagas of the transfers and bindings
// they start.
// Wallets and sagas are XState snapshots in plain maps, advanced through one shared scope each
// (TECH.md §1.2): never thousands of children under one parent (O(N²) spawning).
import type { SnapshotFrom } from 'xstate';
import type { AnyEnvelope, Envelope, Fen, Reason, RelationEnding } from '../protocol/index.ts';
import type { Actor, Effects, TransferScope } from './effects.ts';
import type { ProtocolConfig } from './config.ts';
import {
  APP_ADDRESS,
  provinceAddress,
  provinceOfRegion,
  walletShardAddress,
  walletShardOf,
} from './addresses.ts';
import {
  bindTimerKey,
  createBindSagaMachine,
  type BindEvent,
  type BindInput,
  type BindSagaMachine,
} from './bind_saga.machine.ts';
import { policyFor } from './domain_policy.ts';
import {
  BILL_OUTCOME_OF_STATE,
  billTimerKey,
  createBillSagaMachine,
  type BillEvent,
  type BillInput,
  type BillSagaMachine,
  type BillWalletPort,
} from './bill_saga.machine.ts';
import {
  contributionTimerKey,
  createContributionSagaMachine,
  type ContributionEvent,
  type ContributionInput,
  type ContributionSagaMachine,
  type ContributionWalletPort,
} from './contribution_saga.machine.ts';
import { Calendar, parseDate } from './calendar.ts';
import type { BillScope } from './effects.ts';
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
  type Piece,
  type Relation,
  type ShardPort,
  type Tranche,
  type WalletContext,
  type WalletEvent,
  type WalletInput,
  type WalletMachine,
  type WalletPolicy,
  own,
} from './wallet.machine.ts';
import { UnroutableError } from './errors.ts';
import { RECORDS, visitRecords } from './records.ts';

export type WalletSnapshot = SnapshotFrom<WalletMachine>;
export type SagaSnapshot = SnapshotFrom<TransferSagaMachine>;
export type BindSnapshot = SnapshotFrom<BindSagaMachine>;
export type BillSnapshot = SnapshotFrom<BillSagaMachine>;
export type ContributionSnapshot = SnapshotFrom<ContributionSagaMachine>;

/** The machines of one protocol configuration, shared by every shard that uses it. */
export class WalletMachines {
  readonly wallets: MachineDriver<WalletMachine>;
  readonly sagas: MachineDriver<TransferSagaMachine>;
  readonly binds: MachineDriver<BindSagaMachine>;
  readonly bills: MachineDriver<BillSagaMachine>;
  readonly contributions: MachineDriver<ContributionSagaMachine>;
  readonly policy: WalletPolicy;
  readonly calendar: Calendar;
  constructor(readonly config: ProtocolConfig) {
    this.wallets = new MachineDriver(createWalletMachine(config));
    this.sagas = new MachineDriver(createTransferSagaMachine(config));
    this.binds = new MachineDriver(createBindSagaMachine(config));
    this.bills = new MachineDriver(createBillSagaMachine(config));
    this.contributions = new MachineDriver(createContributionSagaMachine(config));
    this.policy = policyFor(config);
    this.calendar = new Calendar(parseDate(config.startDate));
  }

  /** A wallet's first snapshot, in the state its input names. */
  openingSnapshot(input: WalletInput): WalletSnapshot {
    return this.wallets.restore({ value: input.status, context: initialWalletContext(input) });
  }
}

/** F3: where care happened relative to the patient's insured region. */
export function billScopeOf(insuredRegion: string, treatmentRegion: string): BillScope {
  if (insuredRegion === treatmentRegion) return 'local';
  return provinceOfRegion(insuredRegion) === provinceOfRegion(treatmentRegion)
    ? 'sameProvince'
    : 'crossProvince';
}

export function scopeOf(donorRegion: string, recipientRegion: string): TransferScope {
  if (donorRegion === recipientRegion) return 'sameRegion';
  if (provinceOfRegion(donorRegion) === provinceOfRegion(recipientRegion)) return 'sameProvince';
  return 'crossProvince';
}

export class WalletShardActor implements Actor, ShardPort {
  readonly wallets = new Map<string, WalletSnapshot>();
  readonly sagas = new Map<string, SagaSnapshot>();
  readonly binds = new Map<string, BindSnapshot>();
  readonly bills = new Map<string, BillSnapshot>();
  readonly contributions = new Map<string, ContributionSnapshot>();
  readonly liabilities = new Map<string, Fen>();
  readonly spent = new Map<string, Fen>();
  readonly ledger: string;
  readonly config: ProtocolConfig;
  readonly policy: WalletPolicy;

  constructor(
    readonly address: string,
    records: ReadonlyMap<string, unknown>,
    readonly machines: WalletMachines,
  ) {
    this.config = machines.config;
    this.policy = machines.policy;
    this.ledger = `ledger.${address}`;
    visitRecords(
      records,
      {
        wallet: (id, wallet) => this.wallets.set(id, machines.wallets.revive(wallet)),
        transferSaga: (id, saga) => this.sagas.set(id, machines.sagas.revive(saga)),
        bindSaga: (id, saga) => this.binds.set(id, machines.binds.revive(saga)),
        billSaga: (id, saga) => this.bills.set(id, machines.bills.revive(saga)),
        contributionSaga: (id, saga) =>
          this.contributions.set(id, machines.contributions.revive(saga)),
        spent: (origin, spent) => this.spent.set(origin, spent),
        originCounter: (origin, counter) => this.liabilities.set(origin, counter),
      },
      'wallet',
    );
  }

  handle(env: AnyEnvelope, now: number, fx: Effects): void {
    switch (env.kind) {
      case 'transfer.request':
        return this.toWallet(env.body.donorId, env, now, fx, 'transfer.refused');
      case 'bind.request':
        return this.toWallet(env.body.donorId, env, now, fx, 'bind.refused');
      case 'wallet.credit':
        return this.toWallet(env.body.walletId, env, now, fx, 'wallet.rejected');
      case 'transfer.receive':
      case 'wallet.settle':
        return this.toWallet(env.body.walletId, env, now, fx);
      case 'relation.add':
        return this.toWallet(env.body.recipientId, env, now, fx);
      case 'relation.end': {
        const party =
          env.body.ending === 'REVOKED_BY_DONOR' ? env.body.donorId : env.body.recipientId;
        return this.toWallet(party, env, now, fx);
      }
      case 'relation.ended':
        // A notice from the party that ended it; the other party, on this shard, applies it
        // (the party that sent it, if also here, has already ended its side: a no-op).
        for (const id of [env.body.donorId, env.body.recipientId]) {
          if (this.wallets.has(id)) this.toWallet(id, env, now, fx);
        }
        return;
      case 'enrolment.change':
        return this.toWallet(env.body.personId, env, now, fx);
      case 'wallet.received':
      case 'wallet.returned':
        // A receipt pushed by the recipient's wallet, or the answer to a settle step.
        return this.stepSaga(env.corr, { type: env.kind, now, fx }, fx);
      case 'transfer.auth':
        return this.stepSaga(env.corr, { type: env.kind, verdict: env.body.verdict, now, fx }, fx);
      case 'account.reserved':
      case 'account.committed':
      case 'account.released':
      case 'account.refunded':
      case 'wallet.credited':
      case 'liability.recorded':
      case 'liability.reversed':
        return this.stepSaga(env.corr, { type: env.kind, now, fx }, fx);
      case 'account.rejected':
      case 'wallet.rejected':
        return this.stepSaga(env.corr, { type: env.kind, reason: env.body.reason, now, fx }, fx);
      case 'identity.verified':
        return this.stepBind(env.corr, { type: env.kind, region: env.body.region, now, fx }, fx);
      case 'identity.refused':
        return this.stepBind(env.corr, { type: env.kind, reason: env.body.reason, now, fx }, fx);
      case 'bind.confirm':
        return this.stepBind(env.corr, { type: env.kind, verdict: env.body.verdict, now, fx }, fx);
      case 'relation.added':
        return this.stepBind(env.corr, { type: env.kind, now, fx }, fx);
      case 'bill.presettle':
        return this.presettle(env, now, fx);
      case 'bill.settle':
      case 'bill.cancel':
      case 'bill.reverse':
        return this.billRequest(env, now, fx);
      case 'bill.reserved': {
        const { fundPay, acctPay, remainder } = env.body;
        return this.stepBill(
          env.corr,
          { type: env.kind, fundPay, acctPay, remainder, ...this.billCarrier(env.corr, now, fx) },
          fx,
        );
      }
      case 'bill.rejected':
        return this.stepBill(
          env.corr,
          { type: env.kind, reason: env.body.reason, ...this.billCarrier(env.corr, now, fx) },
          fx,
        );
      case 'bill.committed':
      case 'bill.released':
      case 'bill.refunded':
        return this.stepBill(
          env.corr,
          { type: env.kind, ...this.billCarrier(env.corr, now, fx) },
          fx,
        );
      case 'settlement.recorded':
      case 'settlement.unrecorded':
        if (this.bills.has(env.corr)) {
          return this.stepBill(
            env.corr,
            { type: env.kind, lineId: env.body.lineId, ...this.billCarrier(env.corr, now, fx) },
            fx,
          );
        }
        if (env.kind === 'settlement.recorded') {
          return this.stepContribution(
            env.corr,
            { type: env.kind, lineId: env.body.lineId, ...this.payCarrier(env.corr, now, fx) },
            fx,
          );
        }
        return;
      case 'contribution.pay':
        return this.contribution(env, now, fx);
      case 'tax.claimed':
        return this.stepContribution(
          env.corr,
          { type: env.kind, amount: env.body.amount, ...this.payCarrier(env.corr, now, fx) },
          fx,
        );
      case 'tax.refused':
      case 'account.debitRefused':
        return this.stepContribution(
          env.corr,
          { type: env.kind, reason: env.body.reason, ...this.payCarrier(env.corr, now, fx) },
          fx,
        );
      case 'tax.confirmed':
      case 'tax.released':
      case 'account.debited':
        return this.stepContribution(
          env.corr,
          { type: env.kind, ...this.payCarrier(env.corr, now, fx) },
          fx,
        );
      default:
        throw new UnroutableError(this.address, env.kind);
    }
  }

  timer(key: string, arg: number, now: number, fx: Effects): void {
    if (key.startsWith('bind:'))
      this.stepBind(key.slice('bind:'.length), { type: 'timeout', seq: arg, now, fx }, fx);
    else if (key.startsWith('billsaga:')) {
      const id = key.slice('billsaga:'.length);
      this.stepBill(id, { type: 'timeout', seq: arg, ...this.billCarrier(id, now, fx) }, fx);
    } else if (key.startsWith('pay:')) {
      const id = key.slice('pay:'.length);
      this.stepContribution(id, { type: 'timeout', seq: arg, ...this.payCarrier(id, now, fx) }, fx);
    } else this.stepSaga(key.slice('saga:'.length), { type: 'timeout', seq: arg, now, fx }, fx);
  }

  recover(now: number, fx: Effects): void {
    for (const [id, saga] of this.sagas) {
      if (saga.status !== 'done') this.stepSaga(id, { type: 'resume', now, fx }, fx);
    }
    for (const [id, bind] of this.binds) {
      if (bind.status !== 'done') this.stepBind(id, { type: 'resume', now, fx }, fx);
    }
    for (const [id, bill] of this.bills) {
      if (bill.status !== 'done')
        this.stepBill(id, { type: 'resume', ...this.billCarrier(id, now, fx) }, fx);
    }
    for (const [id, pay] of this.contributions) {
      if (pay.status !== 'done')
        this.stepContribution(id, { type: 'resume', ...this.payCarrier(id, now, fx) }, fx);
    }
  }

  bookSpend(
    wallet: WalletContext,
    id: string,
    pieces: readonly Piece[],
    undo: boolean,
    fx: Effects,
  ): void {
    pieces.forEach((p, i) => {
      const spent = (this.spent.get(p.originRegion) ?? 0n) + (undo ? -p.amount : p.amount);
      this.spent.set(p.originRegion, spent);
      fx.write(RECORDS.spent.key(p.originRegion), spent);
      const corr = `${id}.w${i}`;
      if (undo) {
        fx.emit({
          type: 'posting',
          ledger: this.ledger,
          op: 'unpay',
          corr,
          debit: `spent:${p.originRegion}`,
          debitClass: 'spent',
          debitAfter: spent,
          credit: `wallet:${wallet.walletId}`,
          creditClass: 'wallet',
          amount: p.amount,
        });
      } else {
        fx.emit({
          type: 'posting',
          ledger: this.ledger,
          op: 'pay',
          corr,
          debit: `wallet:${wallet.walletId}`,
          debitClass: 'wallet',
          debitAfter: wallet.balance,
          credit: `spent:${p.originRegion}`,
          creditClass: 'spent',
          amount: p.amount,
        });
      }
    });
  }

  /** The patient's wallet, as a bill saga sees it (W16: only the patient's own). */
  private billCarrier(
    billId: string,
    now: number,
    fx: Effects,
  ): { now: number; fx: Effects; wallet: BillWalletPort } {
    const personId = this.bills.get(billId)?.context.personId ?? '';
    return { now, fx, wallet: this.walletPort(personId, fx) };
  }

  private payCarrier(
    payId: string,
    now: number,
    fx: Effects,
  ): { now: number; fx: Effects; wallet: ContributionWalletPort } {
    const personId = this.contributions.get(payId)?.context.personId ?? '';
    const port = this.walletPort(personId, fx);
    return {
      now,
      fx,
      wallet: {
        pay: (id, amount, region) => {
          if (port.hold(id, amount, region) !== amount) {
            port.release(id);
            return undefined;
          }
          return port.commit(id);
        },
      },
    };
  }

  private walletPort(personId: string, fx: Effects): BillWalletPort {
    const ctx = () => this.wallets.get(personId)?.context;
    const step = (event: WalletEvent) => {
      if (this.wallets.has(personId)) this.stepWallet(personId, event, fx);
    };
    return {
      hold: (id, max, spendRegion) => {
        step({ type: 'spend.hold', id, max, spendRegion });
        return (ctx()?.holds[id] ?? []).reduce((sum, p) => sum + p.amount, 0n);
      },
      commit: (id) => {
        step({ type: 'spend.commit', id, fx, shard: this });
        return ctx()?.paid[id] ?? [];
      },
      release: (id) => step({ type: 'spend.release', id, fx, shard: this }),
      undo: (id) => step({ type: 'spend.undo', id, fx, shard: this }),
    };
  }

  /** F3: a POS asks to pre-settle a bill (msgid = bill id); the patient's wallet shard hubs it. */
  private presettle(env: Envelope<'bill.presettle'>, now: number, fx: Effects): void {
    const billId = env.corr;
    const known = this.bills.get(billId);
    if (known !== undefined) return this.answerBill(known, env.from, 'bill.presettle', fx);
    const patient = this.wallets.get(env.body.personId);
    if (patient === undefined) {
      fx.send(env.from, 'bill.refused', billId, { billId, reason: 'NO_WALLET' });
      return;
    }
    const {
      personId,
      treatmentRegion,
      care,
      disease,
      total,
      eligible,
      emergency,
      networked,
      useWallet,
    } = env.body;
    const insuredRegion = patient.context.region;
    const input: BillInput = {
      billId,
      personId,
      treatmentRegion,
      care,
      disease,
      total,
      eligible,
      emergency,
      networked,
      useWallet,
      insuredProvince: provinceAddress(provinceOfRegion(insuredRegion)),
      requester: env.from,
      startedAt: now,
      month: this.machines.calendar.monthKeyAt(now),
      scope: billScopeOf(insuredRegion, treatmentRegion),
      insuredRegion,
    };
    this.bills.set(billId, this.machines.bills.initial(input));
    fx.emit({
      type: 'bill.outcome',
      corr: billId,
      scope: input.scope,
      outcome: 'started',
      reason: undefined,
      acctMulaidPay: 0n,
    });
    this.stepBill(billId, { type: 'start', ...this.billCarrier(billId, now, fx) }, fx);
  }

  /** F3: settle, cancel or reverse a pre-settled bill; an unknown msgid was never pre-settled. */
  private billRequest(
    env: Envelope<'bill.settle' | 'bill.cancel' | 'bill.reverse'>,
    now: number,
    fx: Effects,
  ): void {
    const billId = env.corr;
    const bill = this.bills.get(billId);
    if (bill === undefined) {
      fx.send(env.from, 'bill.refused', billId, { billId, reason: 'D11' });
      return;
    }
    if (bill.status === 'done') return this.answerBill(bill, env.from, env.kind, fx);
    if (bill.value === 'settled' && env.kind === 'bill.settle')
      return this.answerBill(bill, env.from, env.kind, fx);
    this.stepBill(billId, { type: env.kind, ...this.billCarrier(billId, now, fx) }, fx);
  }

  /** Answer a POS about a bill whose saga has moved on: what it said, or D11 for a dead msgid. */
  private answerBill(bill: BillSnapshot, to: string, asked: string, fx: Effects): void {
    const { billId, fundPay, acctPay, acctMulaidPay, cashPay, reason } = bill.context;
    switch (bill.value) {
      case 'presettled':
        if (asked === 'bill.presettle')
          fx.send(to, 'bill.presettled', billId, {
            billId,
            fundPay,
            acctPay,
            acctMulaidPay,
            cashPay,
          });
        return;
      case 'settled':
        fx.send(to, 'bill.settled', billId, { billId });
        return;
      case 'refused':
        fx.send(to, 'bill.refused', billId, { billId, reason: reason ?? 'E3' });
        return;
      case 'cancelled':
      case 'reversed':
      case 'expired':
        // D11: after a cancellation or reversal the same msgid never settles.
        if (asked === 'bill.cancel' && bill.value === 'cancelled')
          fx.send(to, 'bill.cancelled', billId, { billId });
        else if (asked === 'bill.reverse' && bill.value !== 'cancelled')
          fx.send(to, 'bill.reversed', billId, { billId });
        else if (asked === 'bill.reverse' || asked === 'bill.cancel')
          fx.send(to, 'bill.cancelled', billId, { billId });
        else
          fx.send(to, 'bill.refused', billId, {
            billId,
            reason: bill.value === 'expired' ? 'PRESETTLE_EXPIRED' : 'D11',
          });
        return;
      default:
        return; // a step is in flight: the answer comes when it lands
    }
  }

  private stepBill(billId: string, event: BillEvent, fx: Effects): void {
    const before = this.bills.get(billId);
    if (before === undefined || before.status === 'done') return;
    const after = this.machines.bills.step(before, event);
    if (after === before) return;
    this.bills.set(billId, after);
    fx.write(RECORDS.billSaga.key(billId), after);
    const value = String(after.value);
    if (value === before.value) return;
    const { scope, reason, acctMulaidPay } = after.context;
    const outcome = value === 'presettled' ? 'presettled' : BILL_OUTCOME_OF_STATE[value];
    if (outcome !== undefined)
      fx.emit({ type: 'bill.outcome', corr: billId, scope, outcome, reason, acctMulaidPay });
    if (after.status === 'done') fx.cancelTimer(billTimerKey(billId));
  }

  /** F4: a payment of a resident contribution; the payer's shard runs it. */
  private contribution(env: Envelope<'contribution.pay'>, now: number, fx: Effects): void {
    const payId = env.corr;
    if (this.contributions.has(payId)) {
      fx.send(env.from, 'contribution.accepted', payId, { payId });
      return;
    }
    const { payerId, personId, year, source } = env.body;
    const payer = this.wallets.get(payerId)?.context;
    const refuse = (reason: Reason) =>
      fx.send(env.from, 'contribution.refused', payId, { payId, reason });
    if (payer === undefined) return refuse('NO_WALLET');
    let personRegion = payer.region;
    if (source === 'WALLET') {
      // W16/C3: wallet money pays only its holder's own contribution.
      if (payerId !== personId) return refuse('W16');
    } else {
      if (!payer.ebmi) return refuse('E1');
      const relation = own(payer.relations, personId);
      if (relation === undefined) return refuse('NO_RELATION');
      if (relation.status !== 'active') return refuse('W19');
      // C2/C3: a personal account pays a relative's contribution within its province only.
      if (provinceOfRegion(relation.region) !== provinceOfRegion(payer.region)) return refuse('C3');
      personRegion = relation.region;
    }
    const input: ContributionInput = {
      payId,
      payerId,
      personId,
      year,
      source,
      fund: provinceAddress(provinceOfRegion(personRegion)),
      payerProvince: provinceAddress(provinceOfRegion(payer.region)),
      personRegion,
      requester: env.from,
      month: this.machines.calendar.monthKeyAt(now),
      scope: scopeOf(payer.region, personRegion),
    };
    this.contributions.set(payId, this.machines.contributions.initial(input));
    fx.send(env.from, 'contribution.accepted', payId, { payId });
    this.stepContribution(payId, { type: 'start', ...this.payCarrier(payId, now, fx) }, fx);
  }

  private stepContribution(payId: string, event: ContributionEvent, fx: Effects): void {
    const before = this.contributions.get(payId);
    if (before === undefined || before.status === 'done') return;
    const after = this.machines.contributions.step(before, event);
    if (after === before) return;
    this.contributions.set(payId, after);
    fx.write(RECORDS.contributionSaga.key(payId), after);
    if (after.status !== 'done') return;
    fx.cancelTimer(contributionTimerKey(payId));
    const { scope, reason } = after.context;
    const outcome = after.value === 'paid' ? 'paid' : 'rejected';
    fx.emit({ type: 'contribution.outcome', corr: payId, scope, outcome, reason });
  }

  /** The address of the shard that holds a wallet. */
  private shardOf(walletId: string): string {
    return walletShardAddress(walletShardOf(walletId, this.config.walletShardCount));
  }

  hasSaga(transferId: string): boolean {
    return this.sagas.has(transferId);
  }

  hasBind(bindId: string): boolean {
    return this.binds.has(bindId);
  }

  startBind(
    donor: WalletContext,
    request: Envelope<'bind.request'>,
    now: number,
    fx: Effects,
  ): void {
    const { relativeId, name, idNo, kinship } = request.body;
    // An ID number begins with the admdvs code of the holder's region; the registry that can
    // answer for it is that province's.
    const region = /^\d{6}/.test(idNo) ? idNo.slice(0, 6) : donor.region;
    const input: BindInput = {
      bindId: request.corr,
      donorId: donor.walletId,
      donorRegion: donor.region,
      relativeId,
      name,
      idNo,
      kinship,
      registry: provinceAddress(provinceOfRegion(region)),
      relativeShard: this.shardOf(relativeId),
      requester: request.from,
      startedAt: now,
    };
    fx.emit({ type: 'bind.accepted', corr: input.bindId, scope: scopeOf(donor.region, region) });
    this.binds.set(input.bindId, this.machines.binds.initial(input));
    this.stepBind(input.bindId, { type: 'start', now, fx }, fx);
  }

  bookReturn(wallet: WalletContext, tranche: Tranche, fx: Effects): void {
    const { originRegion, amount, transferId } = tranche;
    const liability = (this.liabilities.get(originRegion) ?? 0n) + amount;
    this.liabilities.set(originRegion, liability);
    fx.write(RECORDS.originCounter.key(originRegion), liability);
    fx.emit({
      type: 'posting',
      ledger: this.ledger,
      op: 'return',
      corr: transferId,
      debit: `wallet:${wallet.walletId}`,
      debitClass: 'wallet',
      debitAfter: wallet.balance,
      credit: `liab:${originRegion}`,
      creditClass: 'liability',
      amount,
    });
  }

  tellReceived(tranche: Tranche, fx: Effects): void {
    const donorShard = this.shardOf(tranche.donorId);
    fx.send(donorShard, 'wallet.received', tranche.transferId, { transferId: tranche.transferId });
  }

  relationEnded(
    wallet: WalletContext,
    role: 'donor' | 'recipient',
    otherId: string,
    relation: Relation,
    ending: RelationEnding,
    fx: Effects,
  ): void {
    const donorId = role === 'donor' ? wallet.walletId : otherId;
    const recipientId = role === 'donor' ? otherId : wallet.walletId;
    const other = this.shardOf(otherId);
    fx.send(other, 'relation.ended', relation.bindId, {
      donorId,
      recipientId,
      ending,
      bindId: relation.bindId,
    });
    fx.emit({
      type: 'relation.ended',
      corr: relation.bindId,
      scope: scopeOf(wallet.region, relation.region),
      ending,
    });
  }

  startSaga(
    donor: WalletContext,
    request: Envelope<'transfer.request'>,
    now: number,
    fx: Effects,
  ): void {
    const { recipientId, amount } = request.body;
    const relation = Object.hasOwn(donor.relations, recipientId)
      ? donor.relations[recipientId]
      : undefined;
    if (relation === undefined)
      throw new Error(`startSaga: ${donor.walletId} has no relation ${recipientId}`);
    const input: SagaInput = {
      transferId: request.corr,
      donorId: donor.walletId,
      recipientId,
      donorRegion: donor.region,
      recipientRegion: relation.region,
      donorProvince: provinceAddress(provinceOfRegion(donor.region)),
      recipientShard: this.shardOf(recipientId),
      requester: request.from,
      amount,
      scope: scopeOf(donor.region, relation.region),
      startedAt: now,
    };
    fx.emit({ type: 'transfer.accepted', corr: input.transferId, scope: input.scope, amount });
    this.sagas.set(input.transferId, this.machines.sagas.initial(input));
    this.stepSaga(input.transferId, { type: 'start', now, fx }, fx);
  }

  bookCredit(wallet: WalletContext, credit: Envelope<'wallet.credit'>, fx: Effects): void {
    const { originRegion, amount, walletId } = credit.body;
    // W14: "您的共济账户已收到{amount}元", a recorded outbound effect to the recipient's phone.
    fx.send(APP_ADDRESS, 'notice.sms', credit.corr, {
      transferId: credit.corr,
      personId: walletId,
      amount,
    });
    fx.emit({ type: 'notice.sms', corr: credit.corr, personId: walletId, amount });
    const liability = (this.liabilities.get(originRegion) ?? 0n) - amount;
    this.liabilities.set(originRegion, liability);
    fx.write(RECORDS.originCounter.key(originRegion), liability);
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

  /** Hand a message to the wallet it names; an unknown wallet refuses with NO_WALLET. */
  private toWallet(
    walletId: string,
    env: AnyEnvelope,
    now: number,
    fx: Effects,
    refusal?: 'transfer.refused' | 'bind.refused' | 'wallet.rejected',
  ): void {
    if (!this.wallets.has(walletId)) {
      if (refusal === 'bind.refused')
        fx.send(env.from, refusal, env.corr, { bindId: env.corr, reason: 'NO_WALLET' });
      else if (refusal !== undefined)
        fx.send(env.from, refusal, env.corr, { transferId: env.corr, reason: 'NO_WALLET' });
      return;
    }
    this.stepWallet(
      walletId,
      { type: env.kind, env, shard: this, now, fx } as unknown as WalletEvent,
      fx,
    );
  }

  private stepWallet(walletId: string, event: WalletEvent, fx: Effects): void {
    const before = this.wallets.get(walletId);
    if (before === undefined) throw new Error(`stepWallet: unknown wallet ${walletId}`);
    const after = this.machines.wallets.step(before, event);
    if (after !== before) {
      this.wallets.set(walletId, after);
      fx.write(RECORDS.wallet.key(walletId), after);
    }
  }

  private stepSaga(transferId: string, event: SagaEvent, fx: Effects): void {
    const before = this.sagas.get(transferId);
    if (before === undefined || before.status === 'done') return; // stale or duplicate reply
    const after = this.machines.sagas.step(before, event);
    if (after === before) return;
    this.sagas.set(transferId, after);
    fx.write(RECORDS.transferSaga.key(transferId), after);
    if (
      before.value === 'recording' &&
      (after.value === 'awaitingReceipt' || after.value === 'received')
    ) {
      // The transfer itself is complete; its receipt (or return, W11) is reported later.
      const { scope } = after.context;
      fx.emit({
        type: 'transfer.outcome',
        corr: transferId,
        scope,
        outcome: 'completed',
        reason: undefined,
      });
    }
    if (after.status === 'done') this.finish(after, fx);
  }

  private finish(saga: SagaSnapshot, fx: Effects): void {
    const { transferId, donorId, recipientId, scope, reason } = saga.context;
    fx.cancelTimer(sagaTimerKey(transferId));
    if (saga.value === 'received' || saga.value === 'returned') {
      fx.emit({ type: 'transfer.receipt', corr: transferId, scope, outcome: saga.value });
    } else {
      const outcome = saga.value === 'completed' ? 'completed' : 'rejected';
      fx.emit({ type: 'transfer.outcome', corr: transferId, scope, outcome, reason });
    }
    this.stepWallet(donorId, { type: 'saga.done', recipientId }, fx);
    // The recipient's wallet decides whether a relation is active; a W19 there means the
    // donor's copy missed a notice that it ended.
    if (saga.value === 'rejected' && reason === 'W19')
      this.stepWallet(donorId, { type: 'relation.stale', recipientId }, fx);
  }

  private stepBind(bindId: string, event: BindEvent, fx: Effects): void {
    const before = this.binds.get(bindId);
    if (before === undefined || before.status === 'done') return; // stale or duplicate reply
    const after = this.machines.binds.step(before, event);
    if (after === before) return;
    this.binds.set(bindId, after);
    fx.write(RECORDS.bindSaga.key(bindId), after);
    if (after.status !== 'done') return;
    const { donorId, relativeId, relativeRegion, kinship, donorRegion, idNo, reason } =
      after.context;
    fx.cancelTimer(bindTimerKey(bindId));
    const outcome = String(after.value) as 'active' | 'refused' | 'rejected' | 'expired';
    const region = relativeRegion ?? (/^\d{6}/.test(idNo) ? idNo.slice(0, 6) : donorRegion);
    fx.emit({
      type: 'bind.outcome',
      corr: bindId,
      scope: scopeOf(donorRegion, region),
      outcome,
      reason,
    });
    if (outcome === 'active') {
      const relation: Relation = { kinship, region, status: 'active', bindId };
      this.stepWallet(
        donorId,
        { type: 'relation.activate', recipientId: relativeId, relation },
        fx,
      );
    }
    this.stepWallet(donorId, { type: 'bind.done', recipientId: relativeId }, fx);
  }
}
