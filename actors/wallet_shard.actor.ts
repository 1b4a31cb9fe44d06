// A wallet shard: the wallets whose id hashes to it, and the sagas of the transfers, bindings,
// bills and contributions they start. Wallets and sagas are XState snapshots in plain maps,
// advanced through one shared driver per machine (TECH.md §1.2): never thousands of children
// under one parent (O(N²) spawning). The machines decide; this actor routes each message to the
// wallet or saga it is for, keeps the shard's ledger (actors/shard_ledger.ts), and turns what a
// saga reached into the facts the checkers follow.
import type { SnapshotFrom } from 'xstate';

import type {
  AnyEnvelope,
  Envelope,
  Fen,
  Kind,
  Reason,
  RelationEnding,
} from '../protocol/index.ts';
import { NO_AID } from '../protocol/index.ts';
import { APP_ADDRESS, provinceAddress, walletShardAddress, walletShardOf } from './addresses.ts';
import {
  answerPos,
  BILL_OUTCOME_OF_STATE,
  type BillEvent,
  type BillInput,
  type BillSagaMachine,
  type BillStepDone,
  type BillWalletPort,
  createBillSagaMachine,
  familyAidOf,
  type PosRequest,
} from './bill_saga.machine.ts';
import {
  type BindInput,
  type BindSagaMachine,
  createBindSagaMachine,
} from './bind_saga.machine.ts';
import { Calendar, parseDate } from './calendar.ts';
import type { ProtocolConfig } from './config.ts';
import {
  type ContributionInput,
  type ContributionSagaMachine,
  type ContributionWalletPort,
  createContributionSagaMachine,
} from './contribution_saga.machine.ts';
import { policyFor } from './domain_policy.ts';
import type { Actor, Effects } from './effects.ts';
import { UnroutableError } from './errors.ts';
import { MachineDriver } from './machine_driver.ts';
import { provinceLineOf, RECORDS, visitRecords } from './records.ts';
import { billScopeOf, provinceOfRegion, regionOfIdNo, scopeOf } from './regions.ts';
import { SagaTable } from './saga_table.ts';
import { ShardLedger } from './shard_ledger.ts';
import { timerOf, TIMERS } from './timers.ts';
import {
  createTransferSagaMachine,
  type SagaInput,
  type TransferSagaMachine,
} from './transfer_saga.machine.ts';
import {
  createWalletMachine,
  type ShardPort,
  type WalletEvent,
  type WalletMachine,
  type WalletPolicy,
} from './wallet.machine.ts';
import {
  initialWalletContext,
  type Piece,
  type Relation,
  type Tranche,
  type WalletContext,
  type WalletInput,
} from './wallet.ts';
import { HOT_WALLETS, WalletTable } from './wallet_table.ts';

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
  constructor(
    readonly config: ProtocolConfig,
    /** Live wallets per shard (`WalletTable`); the rest stay packed. Changes no decision. */
    readonly hotWallets = HOT_WALLETS,
  ) {
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

/**
 * The refusal a message for a wallet this shard does not have gets, if its sender waits for one.
 */
const NO_WALLET_ANSWER = {
  'transfer.request': 'transfer.refused',
  'bind.request': 'bind.refused',
  'contribution.pay': 'contribution.refused',
  'wallet.credit': 'wallet.rejected',
} as const satisfies Partial<Record<Kind, Kind>>;

type Route<K extends Kind> = (
  shard: WalletShardActor,
  env: Envelope<K>,
  now: number,
  fx: Effects,
) => void;
type Routes = { readonly [K in Kind]?: Route<K> };

export class WalletShardActor implements Actor, ShardPort {
  readonly wallets: WalletTable;
  readonly transfers: SagaTable<TransferSagaMachine>;
  readonly binds: SagaTable<BindSagaMachine>;
  readonly bills: SagaTable<BillSagaMachine>;
  readonly contributions: SagaTable<ContributionSagaMachine>;
  readonly ledger: ShardLedger;
  readonly config: ProtocolConfig;
  readonly policy: WalletPolicy;

  constructor(
    readonly address: string,
    records: ReadonlyMap<string, unknown>,
    readonly machines: WalletMachines,
  ) {
    this.config = machines.config;
    this.policy = machines.policy;
    this.ledger = new ShardLedger(`ledger.${address}`);
    this.wallets = new WalletTable(machines.wallets, machines.hotWallets);
    this.transfers = new SagaTable({
      driver: machines.sagas,
      record: RECORDS.transferSaga,
      timer: TIMERS.transferSaga,
      moved: (before, after, fx) => this.transferMoved(before, after, fx),
      done: (saga, fx) => this.transferDone(saga, fx),
    });
    this.binds = new SagaTable({
      driver: machines.binds,
      record: RECORDS.bindSaga,
      timer: TIMERS.bindSaga,
      done: (saga, fx) => this.bindDone(saga, fx),
    });
    this.bills = new SagaTable({
      driver: machines.bills,
      record: RECORDS.billSaga,
      timer: TIMERS.billSaga,
      moved: (before, after, fx) => billMoved(before, after, fx),
      // A settled bill waits only for a reversal (D11), which most never get.
      resting: new Set(['settled']),
    });
    this.contributions = new SagaTable({
      driver: machines.contributions,
      record: RECORDS.contributionSaga,
      timer: TIMERS.contributionSaga,
      done: (saga, fx) => contributionDone(saga, fx),
    });
    this.restore(records);
  }

  private restore(records: ReadonlyMap<string, unknown>): void {
    visitRecords(
      records,
      {
        wallet: (id, wallet) => this.wallets.restore(id, wallet),
        transferSaga: (id, saga) => this.transfers.restore(id, saga),
        bindSaga: (id, saga) => this.binds.restore(id, saga),
        billSaga: (id, saga) => this.bills.restore(id, saga),
        contributionSaga: (id, saga) => this.contributions.restore(id, saga),
        spent: (origin, spent) => this.ledger.spent.set(origin, spent),
        originCounter: (origin, counter) => this.ledger.originCounters.set(origin, counter),
      },
      'wallet',
    );
  }

  handle(env: AnyEnvelope, now: number, fx: Effects): void {
    const route = ROUTES[env.kind] as Route<typeof env.kind> | undefined;
    if (route === undefined) throw new UnroutableError(this.address, env.kind);
    route(this, env as never, now, fx);
  }

  timer(key: string, arg: number, now: number, fx: Effects): void {
    const timer = timerOf(key);
    const timeout = { type: 'timeout', seq: arg, now, fx } as const;
    switch (timer?.name) {
      case 'transferSaga':
        return this.transfers.step(timer.id, timeout, fx);
      case 'bindSaga':
        return this.binds.step(timer.id, timeout, fx);
      case 'billSaga':
        return this.bills.step(
          timer.id,
          { ...timeout, ...this.billCarrier(timer.id, now, fx) },
          fx,
        );
      case 'contributionSaga':
        return this.contributions.step(
          timer.id,
          { ...timeout, ...this.payCarrier(timer.id, now, fx) },
          fx,
        );
      default:
        return; // not a timer this actor arms
    }
  }

  recover(now: number, fx: Effects): void {
    this.transfers.resume(() => ({ type: 'resume', now, fx }), fx);
    this.binds.resume(() => ({ type: 'resume', now, fx }), fx);
    this.bills.resume((id) => ({ type: 'resume', ...this.billCarrier(id, now, fx) }), fx);
    this.contributions.resume((id) => ({ type: 'resume', ...this.payCarrier(id, now, fx) }), fx);
  }

  /**
   * W10 at the request: transfer requests waiting for the recipient's shard to say whether its
   * wallet is open, by transfer id. Not durable: after a crash the app's retry asks again.
   */
  private readonly checking = new Map<string, Envelope<'transfer.request'>>();

  /** W10: is this shard's wallet open (active)? */
  isOpen(walletId: string): boolean {
    return this.wallets.status(walletId) === 'active';
  }

  /** A transfer request: a recipient on this shard is checked here and now (W10). */
  request(env: Envelope<'transfer.request'>, now: number, fx: Effects, checked?: boolean): void {
    const { recipientId } = env.body;
    const local = this.shardOf(recipientId) === this.address;
    this.toWallet(env.body.donorId, env, now, fx, local ? this.isOpen(recipientId) : checked);
  }

  checkRecipient(request: Envelope<'transfer.request'>, fx: Effects): void {
    const { transferId, recipientId } = request.body;
    this.checking.set(transferId, request);
    fx.send(this.shardOf(recipientId), 'wallet.check', transferId, {
      transferId,
      walletId: recipientId,
    });
  }

  /** The recipient's shard answered: the waiting request is decided with what it said. */
  checked(env: Envelope<'wallet.checked'>, now: number, fx: Effects): void {
    const request = this.checking.get(env.body.transferId);
    // Only the recipient's own shard may answer for its wallet.
    if (request === undefined || request.body.recipientId !== env.body.walletId) return;
    if (env.from !== this.shardOf(env.body.walletId)) return;
    this.checking.delete(env.body.transferId);
    this.toWallet(request.body.donorId, request, now, fx, env.body.open === 'Y');
  }

  /** W1: the holder opens the wallet; the answer says whether it is open now. */
  open(env: Envelope<'wallet.open'>, fx: Effects): void {
    const { walletId } = env.body;
    const before = this.wallets.status(walletId);
    if (before !== undefined) this.stepWallet(walletId, { type: 'wallet.open' }, fx);
    if (before === 'unopened' && this.isOpen(walletId))
      fx.emit({ type: 'wallet.opened', corr: env.corr, walletId });
    fx.send(env.from, 'wallet.opened', env.corr, {
      walletId,
      open: this.isOpen(walletId) ? 'Y' : 'N',
    });
  }

  /** A message for a wallet: stepped into its machine; an unknown wallet refuses with NO_WALLET. */
  toWallet(walletId: string, env: AnyEnvelope, now: number, fx: Effects, checked?: boolean): void {
    if (!this.wallets.has(walletId)) {
      const answer = NO_WALLET_ANSWER[env.kind as keyof typeof NO_WALLET_ANSWER];
      if (answer === undefined) return;
      const id =
        answer === 'bind.refused'
          ? { bindId: env.corr }
          : answer === 'contribution.refused'
            ? { payId: env.corr }
            : { transferId: env.corr };
      fx.send(env.from, answer, env.corr, { ...id, reason: 'NO_WALLET' } as never);
      return;
    }
    this.stepWallet(
      walletId,
      { type: env.kind, env, shard: this, now, fx, checked } as unknown as WalletEvent,
      fx,
    );
  }

  private stepWallet(walletId: string, event: WalletEvent, fx: Effects): void {
    const before = this.wallets.get(walletId);
    if (before === undefined) throw new Error(`stepWallet: unknown wallet ${walletId}`);
    const after = this.machines.wallets.step(before, event);
    if (after !== before) fx.write(RECORDS.wallet.key(walletId), this.wallets.put(walletId, after));
  }

  /** The address of the shard that holds a wallet. */
  private shardOf(walletId: string): string {
    return walletShardAddress(walletShardOf(walletId, this.config.walletShardCount));
  }

  // ---------------------------------------------------------------------------------------------
  // Transfers (F2) and bindings (F1).

  hasSaga(transferId: string): boolean {
    return this.transfers.has(transferId);
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
    this.transfers.start(input.transferId, input, { type: 'start', now, fx }, fx);
  }

  private transferMoved(before: SagaSnapshot, after: SagaSnapshot, fx: Effects): void {
    // The transfer itself is complete; its receipt (or return, W11) is reported later.
    if (
      before.value === 'recording' &&
      (after.value === 'awaitingReceipt' || after.value === 'received')
    ) {
      const { transferId, scope } = after.context;
      fx.emit({
        type: 'transfer.outcome',
        corr: transferId,
        scope,
        outcome: 'completed',
        reason: undefined,
      });
    }
  }

  private transferDone(saga: SagaSnapshot, fx: Effects): void {
    const { transferId, donorId, recipientId, scope, reason } = saga.context;
    if (saga.value === 'received' || saga.value === 'returned') {
      fx.emit({ type: 'transfer.receipt', corr: transferId, scope, outcome: saga.value });
    } else {
      const outcome = saga.value === 'completed' ? 'completed' : 'rejected';
      fx.emit({ type: 'transfer.outcome', corr: transferId, scope, outcome, reason });
    }
    this.stepWallet(donorId, { type: 'saga.done', recipientId }, fx);
    // The recipient's wallet decides whether a relation is active; a W19 there means the
    // donor's copy missed a notice that it ended.
    if (saga.value === 'rejected' && reason === 'W19') {
      this.stepWallet(donorId, { type: 'relation.stale', recipientId }, fx);
    }
    // A W10 there: the recipient's wallet is not open (any more); the next request asks first.
    if (saga.value === 'rejected' && reason === 'W10') {
      this.stepWallet(donorId, { type: 'relation.unopened', recipientId }, fx);
    }
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
    const region = regionOfIdNo(idNo) ?? donor.region;
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
    this.binds.start(input.bindId, input, { type: 'start', now, fx }, fx);
  }

  private bindDone(saga: BindSnapshot, fx: Effects): void {
    const { bindId, donorId, relativeId, relativeRegion, kinship, donorRegion, idNo, reason } =
      saga.context;
    const { relativeOpen } = saga.context;
    const outcome = String(saga.value) as 'active' | 'refused' | 'rejected' | 'expired';
    const region = relativeRegion ?? regionOfIdNo(idNo) ?? donorRegion;
    fx.emit({
      type: 'bind.outcome',
      corr: bindId,
      scope: scopeOf(donorRegion, region),
      outcome,
      reason,
    });
    if (outcome === 'active') {
      const relation: Relation = {
        kinship,
        region,
        status: 'active',
        bindId,
        ...(relativeOpen === 'N' ? { unopened: true as const } : {}),
      };
      this.stepWallet(
        donorId,
        { type: 'relation.activate', recipientId: relativeId, relation },
        fx,
      );
    }
    this.stepWallet(donorId, { type: 'bind.done', recipientId: relativeId }, fx);
  }

  // ---------------------------------------------------------------------------------------------
  // Bills (F3) and contributions (F4): the patient's or payer's shard runs the saga.

  /** F3: a POS asks to pre-settle a bill (msgid = bill id); the patient's wallet shard hubs it. */
  presettle(env: Envelope<'bill.presettle'>, now: number, fx: Effects): void {
    const billId = env.corr;
    const known = this.bills.get(billId);
    if (known !== undefined)
      return answerPos(known.context, env.from, String(known.value), env.kind, fx);
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
      aidBy,
    } = env.body;
    const insuredRegion = patient.context.region;
    const input: BillInput = {
      ...this.familyAid(patient.context, aidBy, now),
      ...{
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
      },
      insuredProvince: provinceAddress(provinceOfRegion(insuredRegion)),
      requester: env.from,
      startedAt: now,
      month: this.machines.calendar.monthKeyAt(now),
      scope: billScopeOf(insuredRegion, treatmentRegion),
      insuredRegion,
    };
    fx.emit({
      type: 'bill.outcome',
      corr: billId,
      scope: input.scope,
      outcome: 'started',
      reason: undefined,
      acctMulaidPay: 0n,
      aid: undefined,
    });
    this.bills.start(
      billId,
      input,
      { type: 'start', ...this.billCarrier(billId, now, fx, personId) },
      fx,
    );
  }

  /**
   * Family mutual aid at the point of care: may `aidBy`'s account pay part of this patient's
   * bill? The patient's wallet holds the recipient's copy of each relation, which decides (as a
   * credit's W19 does): an active relation from that relative, within the scope the policy
   * allows on the day (E7; across provinces both regions need the wallet, E8).
   */
  private familyAid(patient: WalletContext, aidBy: string, now: number) {
    const relation = Object.hasOwn(patient.donors, aidBy) ? patient.donors[aidBy] : undefined;
    const aidScope = scopeOf(relation?.region ?? patient.region, patient.region);
    const none = { aidBy, aidRegion: '', aidReason: undefined, aidScope };
    if (aidBy === NO_AID) return none;
    let aidReason: Reason | undefined;
    if (relation === undefined) aidReason = 'NO_RELATION';
    else if (relation.status !== 'active') aidReason = 'W19';
    else if (!this.machines.policy.transferAllowed(relation.region, patient.region, now))
      aidReason = 'E8';
    if (relation === undefined || aidReason !== undefined) return { ...none, aidReason };
    return { ...none, aidRegion: relation.region };
  }

  /** F3: settle, cancel or reverse a pre-settled bill; an unknown msgid was never pre-settled. */
  billRequest(env: Envelope<PosRequest>, now: number, fx: Effects): void {
    const billId = env.corr;
    const bill = this.bills.get(billId);
    if (bill === undefined) {
      fx.send(env.from, 'bill.refused', billId, { billId, reason: 'D11' });
      return;
    }
    const answered =
      bill.status === 'done' || (bill.value === 'settled' && env.kind === 'bill.settle');
    if (answered) return answerPos(bill.context, env.from, String(bill.value), env.kind, fx);
    this.bills.step(
      billId,
      { type: env.kind as 'bill.settle', ...this.billCarrier(billId, now, fx) },
      fx,
    );
  }

  /**
   * What a bill's events carry: the clock, the effects and the patient's wallet (W16: only theirs).
   */
  billCarrier(billId: string, now: number, fx: Effects, patient?: string) {
    const personId = patient ?? this.bills.get(billId)?.context.personId ?? '';
    return { now, fx, wallet: this.walletPort(personId, fx), followUp: this.bills.followUp };
  }

  /** What a contribution's events carry: the clock, the effects and the person's wallet. */
  payCarrier(payId: string, now: number, fx: Effects, person?: string) {
    const port = this.walletPort(
      person ?? this.contributions.get(payId)?.context.personId ?? '',
      fx,
    );
    const wallet: ContributionWalletPort = {
      pay: (id, amount, region) => {
        if (port.hold(id, amount, region) !== amount) {
          port.release(id);
          return undefined;
        }
        return port.commit(id);
      },
    };
    return { now, fx, wallet, followUp: this.contributions.followUp };
  }

  /** A person's wallet as a payment's saga uses it: hold, spend, release or restore. */
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

  hasContribution(payId: string): boolean {
    return this.contributions.has(payId);
  }

  startContribution(
    payer: WalletContext,
    request: Envelope<'contribution.pay'>,
    personRegion: string,
    now: number,
    fx: Effects,
  ): void {
    const { payerId, personId, year, source, idNo } = request.body;
    const input: ContributionInput = {
      ...{ payId: request.corr, payerId, personId, year, source, idNo },
      fund: provinceAddress(provinceOfRegion(personRegion)),
      payerProvince: provinceAddress(provinceOfRegion(payer.region)),
      personRegion,
      requester: request.from,
      month: this.machines.calendar.monthKeyAt(now),
      scope: scopeOf(payer.region, personRegion),
    };
    this.contributions.create(request.corr, input);
    fx.send(request.from, 'contribution.accepted', request.corr, { payId: request.corr });
    this.contributions.step(
      request.corr,
      { type: 'start', ...this.payCarrier(request.corr, now, fx, personId) },
      fx,
    );
  }

  // ---------------------------------------------------------------------------------------------
  // The wallet machine's bookings, through the shard's ledger.

  bookCredit(wallet: WalletContext, credit: Envelope<'wallet.credit'>, fx: Effects): void {
    const { originRegion, amount, walletId } = credit.body;
    // W14: "您的共济账户已收到{amount}元", a recorded outbound effect to the recipient's phone.
    fx.send(APP_ADDRESS, 'notice.sms', credit.corr, {
      transferId: credit.corr,
      personId: walletId,
      amount,
    });
    fx.emit({ type: 'notice.sms', corr: credit.corr, personId: walletId, amount });
    this.ledger.credit(wallet.walletId, originRegion, credit.corr, amount, fx);
  }

  bookReturn(wallet: WalletContext, tranche: Tranche, balanceAfter: Fen, fx: Effects): void {
    this.ledger.return(wallet.walletId, tranche, balanceAfter, fx);
  }

  bookSpend(
    wallet: WalletContext,
    id: string,
    pieces: readonly Piece[],
    undo: boolean,
    balanceAfter: Fen,
    fx: Effects,
  ): void {
    this.ledger.spend(wallet.walletId, id, pieces, undo, balanceAfter, fx);
  }

  tellReceived(tranche: Tranche, fx: Effects): void {
    const transferId = tranche.transferId;
    fx.send(this.shardOf(tranche.donorId), 'wallet.received', transferId, { transferId });
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
    const { bindId } = relation;
    fx.send(this.shardOf(otherId), 'relation.ended', bindId, {
      donorId,
      recipientId,
      ending,
      bindId,
    });
    fx.emit({
      type: 'relation.ended',
      corr: bindId,
      scope: scopeOf(wallet.region, relation.region),
      ending,
    });
  }
}

/** F3: a bill reaching a state reports its outcome (pre-settled, settled, refused, undone). */
function billMoved(before: BillSnapshot, after: BillSnapshot, fx: Effects): void {
  const value = String(after.value);
  if (value === String(before.value)) return;
  const outcome = BILL_OUTCOME_OF_STATE[value];
  if (outcome === undefined) return;
  const { billId, scope, reason, acctMulaidPay } = after.context;
  const aid = familyAidOf(after.context);
  fx.emit({ type: 'bill.outcome', corr: billId, scope, outcome, reason, acctMulaidPay, aid });
}

/** F4: a finished contribution reports whether it was paid. */
function contributionDone(saga: ContributionSnapshot, fx: Effects): void {
  const { payId, scope, reason } = saga.context;
  const outcome = saga.value === 'paid' ? 'paid' : 'rejected';
  fx.emit({ type: 'contribution.outcome', corr: payId, scope, outcome, reason });
}

/** A province's answer that says only that a bill's step is done: to the bill's saga. */
const billAnswer = <K extends BillStepDone>(
  s: WalletShardActor,
  env: Envelope<K>,
  now: number,
  fx: Effects,
): void => s.bills.step(env.corr, { type: env.kind, ...s.billCarrier(env.corr, now, fx) }, fx);

/** Where each message kind goes: to a wallet, or to the saga it answers. */
const ROUTES: Routes = {
  'transfer.request': (s, env, now, fx) => s.request(env, now, fx),
  // W10 at the request: a read of this shard's wallet, deciding nothing.
  'wallet.check': (s, env, _now, fx) =>
    fx.send(env.from, 'wallet.checked', env.corr, {
      ...env.body,
      open: s.isOpen(env.body.walletId) ? 'Y' : 'N',
    }),
  'wallet.checked': (s, env, now, fx) => s.checked(env, now, fx),
  'wallet.open': (s, env, _now, fx) => s.open(env, fx),
  // Orphan holds: is a saga of this shard still under way behind a province's hold?
  'hold.query': (s, env, _now, fx) => {
    const { holdId } = env.body;
    // A bill's family aid is held under its line's id, `<bill id>.f` (the bill's own share under
    // the bill's id).
    const line = provinceLineOf(holdId);
    const bill = line?.aid === true ? line.bill : holdId;
    const live = s.transfers.live(holdId) || s.bills.live(bill);
    fx.send(env.from, 'hold.status', holdId, { holdId, live: live ? 'Y' : 'N' });
  },
  'bind.request': (s, env, now, fx) => s.toWallet(env.body.donorId, env, now, fx),
  'contribution.pay': (s, env, now, fx) => s.toWallet(env.body.payerId, env, now, fx),
  'wallet.credit': (s, env, now, fx) => s.toWallet(env.body.walletId, env, now, fx),
  'transfer.receive': (s, env, now, fx) => s.toWallet(env.body.walletId, env, now, fx),
  'wallet.settle': (s, env, now, fx) => s.toWallet(env.body.walletId, env, now, fx),
  'relation.add': (s, env, now, fx) => s.toWallet(env.body.recipientId, env, now, fx),
  'relation.end': (s, env, now, fx) =>
    s.toWallet(
      env.body.ending === 'REVOKED_BY_DONOR' ? env.body.donorId : env.body.recipientId,
      env,
      now,
      fx,
    ),
  // A notice from the party that ended it; the other party, on this shard, applies it (the party
  // that sent it, if also here, has already ended its side: a no-op).
  'relation.ended': (s, env, now, fx) => {
    for (const id of [env.body.donorId, env.body.recipientId]) {
      if (s.wallets.has(id)) s.toWallet(id, env, now, fx);
    }
  },
  'enrolment.change': (s, env, now, fx) => s.toWallet(env.body.personId, env, now, fx),
  // A receipt pushed by the recipient's wallet, or the answer to a settle step.
  'wallet.received': (s, env, now, fx) =>
    s.transfers.step(env.corr, { type: env.kind, now, fx }, fx),
  'wallet.returned': (s, env, now, fx) =>
    s.transfers.step(env.corr, { type: env.kind, now, fx }, fx),
  'transfer.auth': (s, env, now, fx) =>
    s.transfers.step(env.corr, { type: env.kind, verdict: env.body.verdict, now, fx }, fx),
  'account.reserved': (s, env, now, fx) =>
    s.transfers.step(env.corr, { type: env.kind, now, fx }, fx),
  'account.committed': (s, env, now, fx) =>
    s.transfers.step(env.corr, { type: env.kind, now, fx }, fx),
  'account.released': (s, env, now, fx) =>
    s.transfers.step(env.corr, { type: env.kind, now, fx }, fx),
  'account.refunded': (s, env, now, fx) =>
    s.transfers.step(env.corr, { type: env.kind, now, fx }, fx),
  'wallet.credited': (s, env, now, fx) =>
    s.transfers.step(env.corr, { type: env.kind, now, fx }, fx),
  'liability.recorded': (s, env, now, fx) =>
    s.transfers.step(env.corr, { type: env.kind, now, fx }, fx),
  'liability.reversed': (s, env, now, fx) =>
    s.transfers.step(env.corr, { type: env.kind, now, fx }, fx),
  'account.rejected': (s, env, now, fx) =>
    s.transfers.step(env.corr, { type: env.kind, reason: env.body.reason, now, fx }, fx),
  'wallet.rejected': (s, env, now, fx) =>
    s.transfers.step(env.corr, { type: env.kind, reason: env.body.reason, now, fx }, fx),
  'identity.verified': (s, env, now, fx) =>
    s.binds.step(env.corr, { type: env.kind, region: env.body.region, now, fx }, fx),
  'identity.refused': (s, env, now, fx) =>
    s.binds.step(env.corr, { type: env.kind, reason: env.body.reason, now, fx }, fx),
  'bind.confirm': (s, env, now, fx) =>
    s.binds.step(env.corr, { type: env.kind, verdict: env.body.verdict, now, fx }, fx),
  'relation.added': (s, env, now, fx) =>
    s.binds.step(env.corr, { type: env.kind, open: env.body.open, now, fx }, fx),
  'bill.presettle': (s, env, now, fx) => s.presettle(env, now, fx),
  'bill.settle': (s, env, now, fx) => s.billRequest(env, now, fx),
  'bill.cancel': (s, env, now, fx) => s.billRequest(env, now, fx),
  'bill.reverse': (s, env, now, fx) => s.billRequest(env, now, fx),
  'bill.reserved': (s, env, now, fx) => {
    const { fundPay, acctPay, remainder } = env.body;
    const event: BillEvent = {
      type: env.kind,
      fundPay,
      acctPay,
      remainder,
      ...s.billCarrier(env.corr, now, fx),
    };
    s.bills.step(env.corr, event, fx);
  },
  'bill.rejected': (s, env, now, fx) =>
    s.bills.step(
      env.corr,
      { type: env.kind, reason: env.body.reason, ...s.billCarrier(env.corr, now, fx) },
      fx,
    ),
  'bill.committed': billAnswer,
  'bill.released': billAnswer,
  'bill.refunded': billAnswer,
  'aid.reserved': (s, env, now, fx) =>
    s.bills.step(
      env.corr,
      {
        type: env.kind,
        amount: env.body.amount,
        region: env.body.region,
        ...s.billCarrier(env.corr, now, fx),
      },
      fx,
    ),
  'aid.rejected': (s, env, now, fx) =>
    s.bills.step(
      env.corr,
      { type: env.kind, reason: env.body.reason, ...s.billCarrier(env.corr, now, fx) },
      fx,
    ),
  'aid.committed': billAnswer,
  'aid.released': billAnswer,
  'aid.refunded': billAnswer,
  'provider.paid': billAnswer,
  'provider.refunded': billAnswer,
  // A line of a bill, or of a contribution paid from a wallet.
  'settlement.recorded': (s, env, now, fx) => {
    const { lineId } = env.body;
    if (s.bills.has(env.corr)) {
      return s.bills.step(
        env.corr,
        { type: env.kind, lineId, ...s.billCarrier(env.corr, now, fx) },
        fx,
      );
    }
    s.contributions.step(
      env.corr,
      { type: env.kind, lineId, ...s.payCarrier(env.corr, now, fx) },
      fx,
    );
  },
  'settlement.unrecorded': (s, env, now, fx) => {
    if (!s.bills.has(env.corr)) return; // a contribution's lines are never taken back
    s.bills.step(
      env.corr,
      { type: env.kind, lineId: env.body.lineId, ...s.billCarrier(env.corr, now, fx) },
      fx,
    );
  },
  'tax.claimed': (s, env, now, fx) =>
    s.contributions.step(
      env.corr,
      { type: env.kind, amount: env.body.amount, ...s.payCarrier(env.corr, now, fx) },
      fx,
    ),
  'tax.refused': (s, env, now, fx) =>
    s.contributions.step(
      env.corr,
      { type: env.kind, reason: env.body.reason, ...s.payCarrier(env.corr, now, fx) },
      fx,
    ),
  'account.debitRefused': (s, env, now, fx) =>
    s.contributions.step(
      env.corr,
      { type: env.kind, reason: env.body.reason, ...s.payCarrier(env.corr, now, fx) },
      fx,
    ),
  'tax.confirmed': (s, env, now, fx) =>
    s.contributions.step(env.corr, { type: env.kind, ...s.payCarrier(env.corr, now, fx) }, fx),
  'tax.released': (s, env, now, fx) =>
    s.contributions.step(env.corr, { type: env.kind, ...s.payCarrier(env.corr, now, fx) }, fx),
  'account.debited': (s, env, now, fx) =>
    s.contributions.step(env.corr, { type: env.kind, ...s.payCarrier(env.corr, now, fx) }, fx),
};
