// The citizens' app, and the phones behind it. It turns workload intents into requests (transfers,
// bindings, revocations, enrolment changes) and retries each until it is answered, so a request
// is never silently lost. Refusals are reported as outcomes here (the wallet refuses before any
// saga exists). As the people's phones it answers what the platform asks of them: the donor's
// face or password for a transfer (W13), the relative's face for a binding (E5), and it receives
// a credit some time after its SMS (W14, W11), or never.
import { hashId, walletShardAddress, walletShardOf } from '../actors/addresses.ts';
import { retryDelayMs } from '../actors/backoff.ts';
import type { ProtocolConfig } from '../actors/config.ts';
import type { Actor, Effects } from '../actors/effects.ts';
import { UnroutableError } from '../actors/errors.ts';
import type { AnyEnvelope, Fen } from '../protocol/index.ts';
import type { BillIntent } from './payments.ts';
import { PosReconciliation } from './pos_reconciliation.ts';
import { type BindIntent, type Intent, intentId } from './workload.ts';

interface Pending {
  readonly intent: Intent;
  attempt: number;
}

/**
 * What the people behind the app do when asked; each drawn from a hash of the id (deterministic).
 */
export interface AppBehaviour {
  /** W13: share of transfers whose donor fails the face or password check. */
  readonly authFailShare: number;
  /** W11: share of credits the recipient receives (the rest come back at 06:00). */
  readonly receiveShare: number;
  /** How long a person takes to act on a challenge or an SMS: uniform in [min, max). */
  readonly humanDelayMsMin: number;
  readonly humanDelayMsMax: number;
}

export const APP_BEHAVIOUR_DEFAULTS: AppBehaviour = {
  authFailShare: 0.005,
  receiveShare: 0.9,
  humanDelayMsMin: 20_000,
  humanDelayMsMax: 10 * 60_000,
};

type AnswerKind =
  | 'transfer.accepted'
  | 'transfer.refused'
  | 'bind.accepted'
  | 'bind.refused'
  | 'relation.ended'
  | 'enrolment.changed'
  | 'wallet.opened'
  | 'contribution.accepted'
  | 'contribution.refused'
  | 'bill.done';

/** F3: where a provider's POS is with one bill: what it sent last and waits an answer to. */
type PosStep = 'presettle' | 'settle' | 'cancel' | 'reverse' | 'resettle';

/**
 * How long the POS waits for a settle's answer before it reverses (2601), in the 'timeout' case.
 */
const POS_TIMEOUT_MS = 30_000;

const FACE = 'face:';
const RECEIVE = 'rcv:';
const POS = 'pos:';

/** A uniform draw in [0, 1) from an id and a purpose: the same every run, on every runtime. */
function draw(id: string, purpose: string): number {
  return hashId(`${purpose}:${id}`) / 4_294_967_296;
}

export class AppClient implements Actor {
  readonly pending = new Map<string, Pending>();
  /** Bindings by id, for the relative's answer to the face challenge. */
  private readonly binds = new Map<string, BindIntent>();
  /** Credits the SMS told of and the recipient will receive, by transfer id → wallet. */
  private readonly toReceive = new Map<string, string>();
  submitted = 0;
  accepted = 0;
  /** Of `accepted`, transfer requests (each started a saga). */
  acceptedTransfers = 0;
  refused = 0;
  sms = 0;
  /** Timer keys of people's actions armed but not yet taken (a face answer, a receipt). */
  private readonly armed = new Set<string>();
  /** F3: bills at the POS, by bill id (msgid), with the step each waits on. */
  private readonly bills = new Map<
    string,
    {
      readonly intent: BillIntent;
      step: PosStep;
      attempt: number;
      /** K3, 3203: the settlement month it was pre-settled in, and what the fund owes for it. */
      filed?: { readonly month: number; readonly applied: Fen };
    }
  >();
  /** F3: answers the POS saw, by kind (a D11 refusal of a re-sent msgid among them). */
  readonly billAnswers = new Map<string, number>();
  /** K3: the POS's daily reconciliation with its treatment regions. */
  readonly reconciliation: PosReconciliation;

  constructor(
    readonly address: string,
    private readonly config: ProtocolConfig,
    /**
     * Told of each first answer (a load generator times requests with it); no effect on the actor.
     */
    private readonly onAnswer?: (id: string, kind: AnswerKind) => void,
    private readonly behaviour: AppBehaviour = APP_BEHAVIOUR_DEFAULTS,
  ) {
    this.reconciliation = new PosReconciliation(config);
  }

  submit(intent: Intent, now: number, fx: Effects): void {
    this.submitted++;
    if (intent.kind === 'bill') {
      this.bills.set(intent.billId, { intent, step: 'presettle', attempt: 0 });
      return this.pos(intent.billId, now, fx);
    }
    const pending = { intent, attempt: 0 };
    this.pending.set(intentId(intent), pending);
    if (intent.kind === 'bind') this.binds.set(intent.bindId, intent);
    this.request(pending, now, fx);
  }

  handle(env: AnyEnvelope, now: number, fx: Effects): void {
    switch (env.kind) {
      case 'transfer.accepted':
      case 'transfer.refused':
      case 'bind.accepted':
      case 'bind.refused':
      case 'relation.ended':
      case 'enrolment.changed':
      case 'wallet.opened':
      case 'contribution.accepted':
      case 'contribution.refused':
        return this.answered(env, fx);
      case 'bill.presettled':
      case 'bill.settled':
      case 'bill.cancelled':
      case 'bill.reversed':
      case 'bill.refused':
        return this.posAnswer(env, now, fx);
      case 'transfer.challenge':
        return this.authenticate(env.body.transferId, env.from, fx);
      case 'bind.challenge':
        return this.faceLater(env.body.bindId, env.from, now, fx);
      case 'notice.sms':
        return this.smsArrived(env.body.transferId, env.body.personId, now, fx);
      case 'provider.totalsAgreed':
      case 'provider.totalsDiffer':
      case 'provider.applied':
      case 'provider.applyDiffers':
      case 'provider.detailAgreed':
      case 'provider.unrecorded':
        return this.reconciliation.answer(env, now, fx);
      case 'wallet.received':
      case 'wallet.returned':
        return; // the answer to a receipt: nothing more to do
      default:
        throw new UnroutableError(this.address, env.kind);
    }
  }

  timer(key: string, arg: number, now: number, fx: Effects): void {
    if (this.reconciliation.timer(key, arg, now, fx)) return;
    if (key.startsWith(FACE)) {
      this.armed.delete(key);
      return this.faceNow(key.slice(FACE.length), fx);
    }
    if (key.startsWith(RECEIVE)) {
      this.armed.delete(key);
      return this.receiveNow(key.slice(RECEIVE.length), fx);
    }
    if (key.startsWith(POS)) {
      const bill = this.bills.get(key.slice(POS.length));
      if (bill === undefined || bill.attempt !== arg) return;
      if (bill.step === 'settle' && bill.intent.action === 'timeout') {
        // 2601: no answer in time (so the POS believes), so it reverses the transaction.
        bill.step = 'reverse';
        bill.attempt = 0;
      } else {
        bill.attempt++;
      }
      return this.pos(bill.intent.billId, now, fx);
    }
    const pending = this.pending.get(key);
    if (pending === undefined || pending.attempt !== arg) return;
    pending.attempt++;
    this.request(pending, now, fx);
  }

  recover(): void {}

  /** People's actions armed but not yet taken: open work, for a checker waiting on quiescence. */
  get scheduled(): number {
    return this.armed.size;
  }

  /** Bills whose POS still waits for an answer. */
  get billsOpen(): number {
    return this.bills.size;
  }

  /** The first open bills, each with the POS's step and attempt (a liveness diagnosis). */
  openBills(max = 5): string[] {
    return [...this.bills.entries()]
      .slice(0, max)
      .map(([id, b]) => `bill ${id}: the POS at ${b.step}, attempt ${b.attempt}`);
  }

  /** F3: send the POS's current step for a bill, and retry it until answered. */
  private pos(billId: string, now: number, fx: Effects): void {
    const bill = this.bills.get(billId);
    if (bill === undefined) return;
    const { intent } = bill;
    const shard = this.shardOf(intent.personId);
    switch (bill.step) {
      case 'presettle': {
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
        } = intent;
        fx.send(shard, 'bill.presettle', billId, {
          aidBy,
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
        });
        break;
      }
      case 'settle':
      case 'resettle':
        fx.send(shard, 'bill.settle', billId, { billId });
        break;
      case 'cancel':
        fx.send(shard, 'bill.cancel', billId, { billId });
        break;
      case 'reverse':
        fx.send(shard, 'bill.reverse', billId, { billId });
        break;
    }
    // The timeout case: the POS sends settle once and "loses" the answer, then reverses.
    const delay =
      bill.step === 'settle' && intent.action === 'timeout'
        ? POS_TIMEOUT_MS
        : retryDelayMs(this.config, billId, bill.attempt);
    fx.timer(POS + billId, now + delay, bill.attempt);
  }

  /** F3: the POS's next step after an answer, per the intent's action (D11). */
  private posAnswer(env: AnyEnvelope, now: number, fx: Effects): void {
    const bill = this.bills.get(env.corr);
    if (bill === undefined) return;
    const { intent } = bill;
    const next = (step: PosStep | undefined) => {
      fx.cancelTimer(POS + intent.billId);
      this.billAnswers.set(env.kind, (this.billAnswers.get(env.kind) ?? 0) + 1);
      if (step === undefined) {
        this.bills.delete(intent.billId);
        // Refused at pre-settlement or at settlement (the hold expired first) counts as refused;
        // anything else went through.
        if (env.kind === 'bill.refused' && (bill.step === 'presettle' || bill.step === 'settle'))
          this.refused++;
        else this.accepted++;
        this.onAnswer?.(intent.billId, 'bill.done');
        return;
      }
      bill.step = step;
      bill.attempt = 0;
      this.pos(intent.billId, now, fx);
    };
    const step = bill.step;
    if (env.kind === 'bill.refused') {
      // Refused at pre-settlement (a rule), the re-sent msgid after a reversal (D11), or a
      // settlement whose pre-settlement expired first (PRESETTLE_EXPIRED: its hold is released):
      // done. A refusal is an answer; re-sending the step would be answered the same way forever
      // (found by the properties with a paused and skewed shard: a POS re-sent it every 30 s).
      if (step === 'presettle' || step === 'resettle' || step === 'settle') next(undefined);
      return;
    }
    if (step === 'presettle' && env.kind === 'bill.presettled') {
      const { fundPay, acctPay, acctMulaidPay, month } = env.body;
      bill.filed = { month, applied: fundPay + acctPay + acctMulaidPay };
      if (intent.action === 'abandon') return next(undefined); // walks away; the hold expires
      return next(intent.action === 'cancelBefore' ? 'cancel' : 'settle');
    }
    if (step === 'settle' && env.kind === 'bill.settled') {
      if (intent.action === 'timeout') return; // the answer the POS never saw
      const { billId, treatmentRegion, total } = intent;
      this.reconciliation.settled(billId, treatmentRegion, total, now, fx, bill.filed);
      return next(intent.action === 'cancelAfter' ? 'cancel' : undefined);
    }
    if (step === 'cancel' && env.kind === 'bill.cancelled') {
      this.reconciliation.undone(intent.billId);
      return next(undefined);
    }
    if (step === 'reverse' && env.kind === 'bill.reversed') {
      this.reconciliation.undone(intent.billId);
      return next('resettle');
    }
  }

  private answered(env: AnyEnvelope & { kind: AnswerKind }, fx: Effects): void {
    const pending = this.pending.get(env.corr);
    if (pending === undefined) return; // a duplicate answer, or a notice for someone else
    this.pending.delete(env.corr);
    fx.cancelTimer(env.corr);
    this.onAnswer?.(env.corr, env.kind);
    const { intent } = pending;
    if (
      env.kind === 'transfer.refused' ||
      env.kind === 'bind.refused' ||
      env.kind === 'contribution.refused'
    ) {
      this.refused++;
      const scope =
        intent.kind === 'transfer' || intent.kind === 'bind' || intent.kind === 'contribution'
          ? intent.scope
          : 'sameRegion';
      const type =
        env.kind === 'transfer.refused'
          ? 'transfer.outcome'
          : env.kind === 'bind.refused'
            ? 'bind.outcome'
            : 'contribution.outcome';
      fx.emit({
        type,
        corr: env.corr,
        scope,
        outcome: 'refused',
        reason: env.body.reason,
      } as never);
      return;
    }
    this.accepted++;
    if (env.kind === 'transfer.accepted') this.acceptedTransfers++;
  }

  /** W13: the donor's face or password, as the donor's phone answers it. */
  private authenticate(transferId: string, to: string, fx: Effects): void {
    const method = draw(transferId, 'method') < 0.7 ? 'FACE' : 'PASSWORD';
    const verdict = draw(transferId, 'auth') < this.behaviour.authFailShare ? 'FAIL' : 'PASS';
    fx.send(to, 'transfer.auth', transferId, { transferId, method, verdict });
  }

  /** E5: the relative looks at the phone some time later, or never. */
  private faceLater(bindId: string, from: string, now: number, fx: Effects): void {
    const intent = this.binds.get(bindId);
    if (intent === undefined || intent.face === 'NONE') return;
    // The shard that asked is the one to answer. A re-sent challenge is answered again (its
    // first answer may have been lost), once the person has looked again.
    this.replyTo.set(bindId, from);
    const key = FACE + bindId;
    if (this.armed.has(key)) return;
    this.armed.add(key);
    fx.timer(key, now + this.humanDelay(bindId), 0);
  }

  private faceNow(bindId: string, fx: Effects): void {
    const intent = this.binds.get(bindId);
    const to = this.replyTo.get(bindId);
    if (intent === undefined || to === undefined || intent.face === 'NONE') return;
    fx.send(to, 'bind.confirm', bindId, { bindId, verdict: intent.face });
  }

  private readonly replyTo = new Map<string, string>();

  /** W14 then W11: most recipients receive the credit within minutes; some never do. */
  private smsArrived(transferId: string, personId: string, now: number, fx: Effects): void {
    this.sms++;
    if (!this.config.requireReceipt || this.toReceive.has(transferId)) return;
    if (draw(transferId, 'receive') >= this.behaviour.receiveShare) return;
    this.toReceive.set(transferId, personId);
    this.armed.add(RECEIVE + transferId);
    fx.timer(RECEIVE + transferId, now + this.humanDelay(transferId), 0);
  }

  private receiveNow(transferId: string, fx: Effects): void {
    const walletId = this.toReceive.get(transferId);
    if (walletId === undefined) return;
    // One tap: if it is lost, the 06:00 job returns the money (W11), as it would for a person.
    fx.send(this.shardOf(walletId), 'transfer.receive', transferId, { transferId, walletId });
  }

  private humanDelay(id: string): number {
    const { humanDelayMsMin: min, humanDelayMsMax: max } = this.behaviour;
    return min + Math.floor(draw(id, 'delay') * (max - min));
  }

  private shardOf(walletId: string): string {
    return walletShardAddress(walletShardOf(walletId, this.config.walletShardCount));
  }

  private request(pending: Pending, now: number, fx: Effects): void {
    const { intent } = pending;
    const id = intentId(intent);
    switch (intent.kind) {
      case 'transfer': {
        const { transferId, donorId, recipientId, amount, source } = intent;
        fx.send(this.shardOf(donorId), 'transfer.request', transferId, {
          transferId,
          donorId,
          recipientId,
          amount,
          source,
        });
        break;
      }
      case 'bind': {
        const { bindId, donorId, relativeId, name, idNo, kinship } = intent;
        fx.send(this.shardOf(donorId), 'bind.request', bindId, {
          bindId,
          donorId,
          relativeId,
          name,
          idNo,
          kinship,
        });
        break;
      }
      case 'end': {
        const { donorId, recipientId, ending } = intent;
        const party = ending === 'REVOKED_BY_DONOR' ? donorId : recipientId;
        fx.send(this.shardOf(party), 'relation.end', id, { donorId, recipientId, ending });
        break;
      }
      case 'enrolment':
        fx.send(this.shardOf(intent.personId), 'enrolment.change', id, {
          personId: intent.personId,
        });
        break;
      case 'open':
        fx.send(this.shardOf(intent.walletId), 'wallet.open', id, { walletId: intent.walletId });
        break;
      case 'contribution': {
        const { payerId, personId, year, source, idNo } = intent;
        fx.send(this.shardOf(payerId), 'contribution.pay', id, {
          payId: id,
          payerId,
          personId,
          year,
          source,
          idNo,
        });
        break;
      }
      case 'bill':
        return; // the POS keeps its own steps and timers
    }
    fx.timer(id, now + retryDelayMs(this.config, id, pending.attempt), pending.attempt);
  }
}
