// A wallet on the national platform (W4): lifecycle unopened → active ⇄ frozen → closed.
// - As a donor it checks a transfer request (W5, W8, W7, W6, E1, the relation, E2, E7, W12, E8,
//   W10, asking the recipient's shard when its copy of the relation last heard the wallet was
//   not open) and starts the saga; it starts bindings (F1) and, as a payer, contributions (F4:
//   W16, E1, C2, C3).
// - As a recipient it is the credit decision point, exactly once per transfer id (W10 when
//   inactive, W19 when the relation has ended), the receipt decision point (W11: received, or
//   returned at 06:00 the next day), and the authority on which donors are bound to it.
// Context changes are `assign`s and nothing else; every effect (a reply, a message, a booking
// in the shard's ledger) is a named action, run by the driver in order after the transition.
import { setup } from 'xstate';

import type { Envelope, Fen, Flag, Reason, RelationEnding } from '../protocol/index.ts';
import { isCloseKinship } from '../protocol/index.ts';
import { DAY_MS, type ProtocolConfig } from './config.ts';
import type { Effects } from './effects.ts';
import { assignerOf } from './machine_driver.ts';
import { provinceOfRegion, regionOfIdNo } from './regions.ts';
import {
  balanceOf,
  creditRefusal,
  endAll,
  inBlackout,
  initialWalletContext,
  own,
  type Piece,
  type Relation,
  restorePieces,
  spendPieces,
  takeFifo,
  type Tranche,
  unreceived,
  type WalletContext,
  type WalletInput,
} from './wallet.ts';

/** What the wallet needs to know of policy by province and date (E7, E8). */
export interface WalletPolicy {
  /** E7: does the donor's province extend aid to this kinship on this (virtual) day? */
  kinshipAllowed(donorRegion: string, kinship: string, now: number): boolean;
  /** E8: may a transfer go between these regions now (same province always may)? */
  transferAllowed(donorRegion: string, recipientRegion: string, now: number): boolean;
}

/** What the wallet machine needs from the shard that hosts it. */
export interface ShardPort {
  readonly policy: WalletPolicy;
  hasSaga(transferId: string): boolean;
  startSaga(
    donor: WalletContext,
    request: Envelope<'transfer.request'>,
    now: number,
    fx: Effects,
  ): void;
  /**
   * W10 at the request: ask the recipient's shard whether its wallet is open; the request is
   * fed again with the answer (`checked`), and stays unanswered meanwhile (the app retries).
   */
  checkRecipient(request: Envelope<'transfer.request'>, fx: Effects): void;
  hasBind(bindId: string): boolean;
  startBind(
    donor: WalletContext,
    request: Envelope<'bind.request'>,
    now: number,
    fx: Effects,
  ): void;
  hasContribution(payId: string): boolean;
  /** F4: `payer` pays `request`'s contribution; `personRegion` is the person's insured region. */
  startContribution(
    payer: WalletContext,
    request: Envelope<'contribution.pay'>,
    personRegion: string,
    now: number,
    fx: Effects,
  ): void;
  bookCredit(wallet: WalletContext, credit: Envelope<'wallet.credit'>, fx: Effects): void;
  /** W11: the tranche goes back; the wallet ledger's claim on its origin is restored. */
  bookReturn(wallet: WalletContext, tranche: Tranche, balanceAfter: Fen, fx: Effects): void;
  /** A receipt reached the recipient's wallet: tell the donor's saga (best effort). */
  tellReceived(tranche: Tranche, fx: Effects): void;
  /**
   * F3/F4: wallet money left (or, undone, came back) for payment `id`: book it by origin (K9).
   * `balanceAfter`: what the wallet holds once the pieces have left.
   */
  bookSpend(
    wallet: WalletContext,
    id: string,
    pieces: readonly Piece[],
    undo: boolean,
    balanceAfter: Fen,
    fx: Effects,
  ): void;
  /** A relation ended on this side: tell the other party (best effort), and report it. */
  relationEnded(
    wallet: WalletContext,
    role: 'donor' | 'recipient',
    otherId: string,
    relation: Relation,
    ending: RelationEnding,
    fx: Effects,
  ): void;
}

type CarriedKind =
  | 'transfer.request'
  | 'wallet.credit'
  | 'bind.request'
  | 'contribution.pay'
  | 'transfer.receive'
  | 'wallet.settle'
  | 'relation.add'
  | 'relation.end'
  | 'relation.ended'
  | 'enrolment.change';

/** A message for the wallet, with the step's clock and effects and the shard that hosts it. */
interface Carried<K extends CarriedKind> {
  readonly type: K;
  readonly env: Envelope<K>;
  readonly shard: ShardPort;
  readonly now: number;
  readonly fx: Effects;
  /** A transfer request only: whether the recipient's wallet is open, when its shard said so. */
  readonly checked?: boolean | undefined;
}

export type WalletEvent =
  | { [K in CarriedKind]: Carried<K> }[CarriedKind]
  | { readonly type: 'saga.done'; readonly recipientId: string }
  | {
      readonly type: 'relation.activate';
      readonly recipientId: string;
      readonly relation: Relation;
    }
  /** F1: a binding to this relative ended, whatever its outcome: another may start. */
  | { readonly type: 'bind.done'; readonly recipientId: string }
  /** The recipient's wallet (the authority) turned a credit down W19: this copy is stale. */
  | { readonly type: 'relation.stale'; readonly recipientId: string }
  /** … or W10: its wallet is not open (any more); the next request asks again. */
  | { readonly type: 'relation.unopened'; readonly recipientId: string }
  /** F3/F4, from the shard: set aside up to `max` of received money for payment `id` (FIFO). */
  | {
      readonly type: 'spend.hold';
      readonly id: string;
      readonly max: Fen;
      readonly spendRegion: string;
    }
  /** … spend what was set aside, release it, or (after a cancellation) restore what was spent. */
  | {
      readonly type: 'spend.commit' | 'spend.release' | 'spend.undo';
      readonly id: string;
      readonly fx: Effects;
      readonly shard: ShardPort;
    }
  | { readonly type: 'wallet.open' | 'wallet.freeze' | 'wallet.unfreeze' | 'wallet.close' };

type Asked = Carried<'transfer.request'> | Carried<'bind.request'>;
type Spend = { readonly id: string; readonly fx: Effects; readonly shard: ShardPort };

type Args = { readonly context: WalletContext; readonly event: WalletEvent };

const change = assignerOf<WalletContext, WalletEvent>();

const req = (event: WalletEvent) => event as Carried<'transfer.request'>;
const credit = (event: WalletEvent) => event as Carried<'wallet.credit'>;
const bind = (event: WalletEvent) => event as Carried<'bind.request'>;
const pay = (event: WalletEvent) => event as Carried<'contribution.pay'>;
const carried = <K extends CarriedKind>(event: WalletEvent) => event as Carried<K>;

/**
 * The donor's copy of the relation to `recipientId`, changed by `update`; no change when there
 * is no such copy or `update` leaves it as it is (returns undefined).
 */
function relationChange(
  context: WalletContext,
  recipientId: string,
  update: (relation: Relation) => Relation | undefined,
): Partial<WalletContext> {
  const relation = own(context.relations, recipientId);
  const next = relation === undefined ? undefined : update(relation);
  return next === undefined ? {} : { relations: { ...context.relations, [recipientId]: next } };
}

/** A donor's copy once the recipient's wallet is known to be open. */
function withoutUnopened(relation: Relation): Relation {
  const { unopened: _, ...rest } = relation;
  return rest;
}

function refuse(event: Asked, reason: Reason): void {
  const { env, fx } = event;
  if (env.kind === 'transfer.request') {
    fx.send(env.from, 'transfer.refused', env.corr, { transferId: env.corr, reason });
  } else {
    fx.send(env.from, 'bind.refused', env.corr, { bindId: env.corr, reason });
  }
}

/** A request asked again: the answer it had, recorded refusal or acceptance. */
function answerAgain(context: WalletContext, event: Asked): void {
  const { env, fx } = event;
  const reason = own(context.refused, env.corr);
  if (reason !== undefined) refuse(event, reason);
  else if (env.kind === 'transfer.request') {
    fx.send(env.from, 'transfer.accepted', env.corr, { transferId: env.corr });
  } else {
    fx.send(env.from, 'bind.accepted', env.corr, { bindId: env.corr });
  }
}

/** A credit decided before, or just now: its recorded rejection, or credited. */
function answerCredit(context: WalletContext, event: Carried<'wallet.credit'>): void {
  const { env, fx } = event;
  const reason = own(context.rejected, env.corr);
  if (reason !== undefined) {
    fx.send(env.from, 'wallet.rejected', env.corr, { transferId: env.corr, reason });
  } else {
    fx.send(env.from, 'wallet.credited', env.corr, { transferId: env.corr });
  }
}

/** A receipt question about a transfer already decided: answer with the decision. */
function answerReceipt(context: WalletContext, to: string, transferId: string, fx: Effects): void {
  if (context.returned.includes(transferId)) {
    fx.send(to, 'wallet.returned', transferId, { transferId });
  } else if (context.credited.includes(transferId)) {
    fx.send(to, 'wallet.received', transferId, { transferId });
  }
  // Never credited here: nothing to say (only a forged or misrouted frame gets here).
}

/** The wallet's rules, as guards (each named after what it finds wrong). */
function walletGuards(config: ProtocolConfig) {
  // Stryker disable next-line all: names the noDedup variant; its negative control tests it
  const dedupCredits = config.variant !== 'noDedup';
  const relationTo = ({ context, event }: Args) =>
    own(context.relations, req(event).env.body.recipientId);
  const payerRelation = ({ context, event }: Args) =>
    own(context.relations, pay(event).env.body.personId);
  /** F4a: the person's region: the relation's, or else the ID number's (E3's exception). */
  const personRegion = (args: Args) =>
    payerRelation(args)?.region ?? regionOfIdNo(pay(args.event).env.body.idNo);
  return {
    requestKnown: ({ context, event }: Args) =>
      own(context.refused, req(event).env.corr) !== undefined ||
      req(event).shard.hasSaga(req(event).env.corr),
    bindKnown: ({ context, event }: Args) =>
      own(context.refused, bind(event).env.corr) !== undefined ||
      bind(event).shard.hasBind(bind(event).env.corr),
    // W5: re-transfer of received wallet money is not modelled.
    fromWallet: ({ event }: Args) => req(event).env.body.source === 'WALLET',
    inBlackout: ({ event }: Args) => inBlackout(config, req(event).now),
    overAmount: ({ event }: Args) => req(event).env.body.amount > config.amountPerTransferFenMax,
    dailyCountReached: ({ context, event }: Args) =>
      Math.floor(req(event).now / DAY_MS) === context.day &&
      context.sentToday >= config.transfersPerDayMax,
    notEmployee: ({ context }: Args) => !context.ebmi,
    noRelation: (args: Args) => relationTo(args) === undefined,
    relationEnded: (args: Args) => relationTo(args)?.status === 'ended',
    notCloseRelative: (args: Args) => !isCloseKinship(relationTo(args)?.kinship ?? ''),
    kinshipNotYet: (args: Args) =>
      !req(args.event).shard.policy.kinshipAllowed(
        args.context.region,
        relationTo(args)?.kinship ?? '',
        req(args.event).now,
      ),
    // W10 at the request, last: only a request that passes every other check waits for the
    // recipient's shard, and only when this copy last heard the wallet was not open.
    recipientUnchecked: (args: Args) =>
      relationTo(args)?.unopened === true && req(args.event).checked === undefined,
    recipientNotOpen: (args: Args) => req(args.event).checked === false,
    pendingToRecipient: ({ context, event }: Args) =>
      context.pendingTo.includes(req(event).env.body.recipientId),
    notRolledOut: (args: Args) =>
      !req(args.event).shard.policy.transferAllowed(
        args.context.region,
        relationTo(args)?.region ?? '',
        req(args.event).now,
      ),
    creditDecided: ({ context, event }: Args) =>
      dedupCredits &&
      (context.credited.includes(credit(event).env.corr) ||
        own(context.rejected, credit(event).env.corr) !== undefined),
    creditRefused: ({ context, event }: Args) =>
      creditRefusal(context, credit(event).env) !== undefined,
    bindToSelf: ({ context, event }: Args) => bind(event).env.body.relativeId === context.walletId,
    bindNotClose: ({ event }: Args) => !isCloseKinship(bind(event).env.body.kinship),
    bindKinshipNotYet: ({ context, event }: Args) =>
      !bind(event).shard.policy.kinshipAllowed(
        context.region,
        bind(event).env.body.kinship,
        bind(event).now,
      ),
    alreadyBound: ({ context, event }: Args) =>
      own(context.relations, bind(event).env.body.relativeId)?.status === 'active' ||
      context.bindingTo.includes(bind(event).env.body.relativeId),
    paymentKnown: ({ event }: Args) => pay(event).shard.hasContribution(pay(event).env.corr),
    // W16/C3: wallet money pays only its holder's own contribution.
    walletPaysOther: ({ event }: Args) =>
      pay(event).env.body.source === 'WALLET' &&
      pay(event).env.body.payerId !== pay(event).env.body.personId,
    fromWalletOwn: ({ event }: Args) => pay(event).env.body.source === 'WALLET',
    payerNotEmployee: ({ context }: Args) => !context.ebmi,
    // F4a: "relationship ACTIVE or kinship verified": with no relation the resident fund checks
    // the kinship on its registry (E2); the ID number must name a region to ask.
    payerNoRegion: (args: Args) => personRegion(args) === undefined,
    payerRelationEnded: (args: Args) => payerRelation(args)?.status === 'ended',
    // C2/C3: a personal account pays a relative's contribution within its province only.
    otherProvince: (args: Args) =>
      provinceOfRegion(personRegion(args) ?? '') !== provinceOfRegion(args.context.region),
    creditUnreceived: ({ context, event }: Args) =>
      unreceived(context, carried<'transfer.receive'>(event).env.corr) >= 0,
  };
}

// The wallet's context changes, all pure, in four groups.

/** What a request changes: its refusal kept, a transfer counted, a binding or a donor noted. */
function requestAssigns() {
  return {
    touch: change(() => ({})),
    recordRefusal: change<Reason>(({ context, event }, reason) => ({
      refused: { ...context.refused, [(event as Asked).env.corr]: reason },
    })),
    countTransfer: change(({ context, event }) => {
      const { now, env } = req(event);
      const day = Math.floor(now / DAY_MS);
      return {
        day,
        sentToday: day === context.day ? context.sentToday + 1 : 1,
        pendingTo: [...context.pendingTo, env.body.recipientId],
      };
    }),
    // The recipient's shard said the wallet is open now: this copy forgets it was not.
    forgetUnopened: change(({ context, event }) => {
      const { checked, env } = req(event);
      if (checked !== true) return {};
      return relationChange(context, env.body.recipientId, (r) =>
        r.unopened === true ? withoutUnopened(r) : undefined,
      );
    }),
    markBinding: change(({ context, event }) => ({
      bindingTo: [...context.bindingTo, bind(event).env.body.relativeId],
    })),
    // A duplicate, even a late one from an earlier binding, changes nothing: the latest wins.
    addDonor: change(({ context, event }) => {
      const { donorId, kinship, donorRegion, bindId } = carried<'relation.add'>(event).env.body;
      if (context.addedBinds.includes(bindId)) return {};
      const relation: Relation = { kinship, region: donorRegion, status: 'active', bindId };
      return {
        donors: { ...context.donors, [donorId]: relation },
        addedBinds: [...context.addedBinds, bindId],
      };
    }),
  };
}

/**
 * Money coming in (W11): a credit kept as an unreceived tranche or refused; received or returned.
 */
function creditAssigns(config: ProtocolConfig) {
  return {
    applyCredit: change(({ context, event }) => {
      const { env } = credit(event);
      const { originRegion, donorId, amount } = env.body;
      const tranche: Tranche = {
        originRegion,
        transferId: env.corr,
        donorId,
        amount,
        received: !config.requireReceipt,
      };
      return {
        tranches: [...context.tranches, tranche],
        credited: [...context.credited, env.corr],
      };
    }),
    // Inactive wallets refuse under W10; active ones only when the relation is not active.
    recordRejection: change<boolean>(({ context, event }, inactive) => {
      const { env } = credit(event);
      const reason: Reason = inactive ? 'W10' : (creditRefusal(context, env) ?? 'W10');
      return { rejected: { ...context.rejected, [env.corr]: reason } };
    }),
    markReceived: change(({ context, event }) => {
      const at = unreceived(context, carried<'transfer.receive'>(event).env.corr);
      const tranches = context.tranches.slice();
      tranches[at] = { ...(tranches[at] as Tranche), received: true };
      return { tranches };
    }),
    // The receipt decision: still unreceived at the deadline, so it goes back (W11).
    returnTranche: change(({ context, event }) => {
      const { env } = carried<'wallet.settle'>(event);
      const at = unreceived(context, env.corr);
      return {
        tranches: context.tranches.filter((_, i) => i !== at),
        returned: [...context.returned, env.corr],
      };
    }),
  };
}

/** Money going out to a bill or a contribution (W16, W17): held FIFO, spent, released or undone. */
function spendAssigns(config: ProtocolConfig) {
  return {
    hold: change(({ context, event }) => {
      const { id, max, spendRegion } = event as Extract<WalletEvent, { type: 'spend.hold' }>;
      if (own(context.holds, id) !== undefined || own(context.paid, id) !== undefined) return {};
      // W17: outside its use region (its holder's insured region) the wallet pays nothing.
      if (spendRegion !== context.region && !config.walletSpendOutsideUseRegion) return {};
      const pieces = takeFifo(context, max);
      if (pieces.length === 0) return {};
      return { holds: { ...context.holds, [id]: pieces } };
    }),
    commitSpend: change(({ context, event }) => {
      const { id } = event as Spend;
      const pieces = own(context.holds, id);
      if (pieces === undefined) return {};
      const { [id]: _spent, ...holds } = context.holds;
      return {
        tranches: spendPieces(context.tranches, pieces),
        holds,
        paid: { ...context.paid, [id]: pieces },
      };
    }),
    releaseSpend: change(({ context, event }) => {
      const { id } = event as Spend;
      if (own(context.holds, id) === undefined) return {};
      const { [id]: _released, ...holds } = context.holds;
      return { holds };
    }),
    undoSpend: change(({ context, event }) => {
      const { id } = event as Spend;
      const pieces = own(context.paid, id);
      if (pieces === undefined) return {};
      const { [id]: _undone, ...paid } = context.paid;
      return { tranches: restorePieces(context.tranches, pieces), paid };
    }),
  };
}

function relationAssigns() {
  return {
    stale: change(({ context, event }) => {
      const { recipientId } = event as Extract<WalletEvent, { type: 'relation.stale' }>;
      return relationChange(context, recipientId, (r) =>
        r.status === 'ended' ? undefined : { ...r, status: 'ended' as const },
      );
    }),
    markOpened: change(() => ({ opened: true as const })),
    unopened: change(({ context, event }) => {
      const { recipientId } = event as Extract<WalletEvent, { type: 'relation.unopened' }>;
      return relationChange(context, recipientId, (r) =>
        r.unopened === true ? undefined : { ...r, unopened: true as const },
      );
    }),
    activate: change(({ context, event }) => {
      const { recipientId, relation } = event as Extract<
        WalletEvent,
        { type: 'relation.activate' }
      >;
      return { relations: { ...context.relations, [recipientId]: relation } };
    }),
    bindDone: change(({ context, event }) => {
      const { recipientId } = event as Extract<WalletEvent, { type: 'bind.done' }>;
      return { bindingTo: context.bindingTo.filter((id) => id !== recipientId) };
    }),
    endRelation: change(({ context, event }) => {
      const { donorId, recipientId, ending } = carried<'relation.end'>(event).env.body;
      const asDonor = ending === 'REVOKED_BY_DONOR';
      const otherId = asDonor ? recipientId : donorId;
      const relation = own(asDonor ? context.relations : context.donors, otherId);
      if (relation === undefined || relation.status === 'ended') return {};
      const ended: Relation = { ...relation, status: 'ended', ending };
      return asDonor
        ? { relations: { ...context.relations, [otherId]: ended } }
        : { donors: { ...context.donors, [otherId]: ended } };
    }),
    // A notice from the other party: this wallet holds the other side of the relation.
    hearEnded: change(({ context, event }) => {
      const { donorId, recipientId, ending, bindId } = carried<'relation.ended'>(event).env.body;
      const asDonor = context.walletId === donorId;
      const otherId = asDonor ? recipientId : donorId;
      const relation = own(asDonor ? context.relations : context.donors, otherId);
      if (relation === undefined || relation.bindId !== bindId || relation.status === 'ended')
        return {};
      const ended = { ...relation, status: 'ended' as const, ending };
      return asDonor
        ? { relations: { ...context.relations, [otherId]: ended } }
        : { donors: { ...context.donors, [otherId]: ended } };
    }),
    // E6: every relation this person is party to ends, on both of its sides.
    endAllRelations: change(({ context }) => ({
      relations: endAll(context.relations, 'ENROLMENT_CHANGED'),
      donors: endAll(context.donors, 'ENROLMENT_CHANGED'),
    })),
    sagaDone: change(({ context, event }) => {
      const { recipientId } = event as Extract<WalletEvent, { type: 'saga.done' }>;
      const at = context.pendingTo.indexOf(recipientId);
      return at < 0 ? {} : { pendingTo: context.pendingTo.filter((_, i) => i !== at) };
    }),
  };
}

/** The wallet's effects: replies and the shard's bookings, run in order after the transition. */
function walletEffects() {
  return {
    refuse: ({ event }: Args, reason: Reason) => refuse(event as Asked, reason),
    answerAgain: ({ context, event }: Args) => answerAgain(context, event as Asked),
    startSaga: ({ context, event }: Args) => {
      const e = req(event);
      e.shard.startSaga(context, e.env, e.now, e.fx);
      e.fx.send(e.env.from, 'transfer.accepted', e.env.corr, { transferId: e.env.corr });
    },
    startBind: ({ context, event }: Args) => {
      const e = bind(event);
      e.shard.startBind(context, e.env, e.now, e.fx);
      e.fx.send(e.env.from, 'bind.accepted', e.env.corr, { bindId: e.env.corr });
    },
    acceptPayment: ({ event }: Args) => {
      const { env, fx } = pay(event);
      fx.send(env.from, 'contribution.accepted', env.corr, { payId: env.corr });
    },
    refusePayment: ({ event }: Args, reason: Reason) => {
      const { env, fx } = pay(event);
      fx.send(env.from, 'contribution.refused', env.corr, { payId: env.corr, reason });
    },
    startContribution: ({ context, event }: Args) => {
      const e = pay(event);
      const own = e.env.body.source === 'WALLET';
      const region = own
        ? context.region
        : (context.relations[e.env.body.personId]?.region ??
          (regionOfIdNo(e.env.body.idNo) as string));
      e.shard.startContribution(context, e.env, region, e.now, e.fx);
    },
    bookCredit: ({ context, event }: Args) => {
      const e = credit(event);
      e.shard.bookCredit(context, e.env, e.fx);
      e.fx.send(e.env.from, 'wallet.credited', e.env.corr, { transferId: e.env.corr });
    },
    answerCredit: ({ context, event }: Args) => answerCredit(context, credit(event)),
    answerReceived: ({ context, event }: Args) => {
      const { env, shard, fx } = carried<'transfer.receive'>(event);
      fx.send(env.from, 'wallet.received', env.corr, { transferId: env.corr });
      shard.tellReceived(context.tranches.find((t) => t.transferId === env.corr) as Tranche, fx);
    },
    // Listed before the tranche leaves: it books what goes back, then the answer follows.
    bookReturn: ({ context, event }: Args) => {
      const { env, shard, fx } = carried<'wallet.settle'>(event);
      const tranche = context.tranches[unreceived(context, env.corr)] as Tranche;
      shard.bookReturn(context, tranche, balanceOf(context) - tranche.amount, fx);
    },
    answerReturned: ({ event }: Args) => {
      const { env, fx } = carried<'wallet.settle'>(event);
      fx.send(env.from, 'wallet.returned', env.corr, { transferId: env.corr });
    },
    answerReceipt: ({ context, event }: Args) => {
      const { env, fx } = carried<'transfer.receive'>(event);
      answerReceipt(context, env.from, env.corr, fx);
    },
    /** `open`: this wallet is open (the state that handles the message says so). */
    answerAdded: ({ event }: Args, open: Flag) => {
      const { env, fx } = carried<'relation.add'>(event);
      fx.send(env.from, 'relation.added', env.corr, { bindId: env.body.bindId, open });
    },
    checkRecipient: ({ event }: Args) =>
      req(event).shard.checkRecipient(req(event).env, req(event).fx),
    // Listed before the spend: what is set aside for `id` is what it spends.
    bookPay: ({ context, event }: Args) => {
      const { id, fx, shard } = event as Spend;
      const pieces = own(context.holds, id);
      if (pieces === undefined) return;
      let after = balanceOf(context);
      for (const p of pieces) after -= p.amount;
      shard.bookSpend(context, id, pieces, false, after, fx);
    },
    // Listed before the restore: what `id` paid is what comes back.
    bookUnpay: ({ context, event }: Args) => {
      const { id, fx, shard } = event as Spend;
      const pieces = own(context.paid, id);
      if (pieces !== undefined) shard.bookSpend(context, id, pieces, true, balanceOf(context), fx);
    },
    ...relationEffects(),
  };
}

function relationEffects() {
  return {
    // Before the relation ends: the answer, then the notice to the other party.
    endNotice: ({ context, event }: Args) => {
      const { env, shard, fx } = carried<'relation.end'>(event);
      const { donorId, recipientId, ending } = env.body;
      const asDonor = ending === 'REVOKED_BY_DONOR';
      const otherId = asDonor ? recipientId : donorId;
      const relation = own(asDonor ? context.relations : context.donors, otherId);
      const bindId = relation?.bindId ?? '-';
      fx.send(env.from, 'relation.ended', env.corr, { donorId, recipientId, ending, bindId });
      if (relation === undefined || relation.status === 'ended') return;
      const ended: Relation = { ...relation, status: 'ended', ending };
      shard.relationEnded(context, asDonor ? 'donor' : 'recipient', otherId, ended, ending, fx);
    },
    // E6, before the relations end: the answer, then a notice for every active one.
    enrolmentNotices: ({ context, event }: Args) => {
      const { env, shard, fx } = carried<'enrolment.change'>(event);
      fx.send(env.from, 'enrolment.changed', env.corr, { personId: env.body.personId });
      const ending = 'ENROLMENT_CHANGED' as const;
      for (const [id, relation] of Object.entries(context.relations)) {
        if (relation.status === 'active')
          shard.relationEnded(context, 'donor', id, relation, ending, fx);
      }
      for (const [id, relation] of Object.entries(context.donors)) {
        if (relation.status === 'active')
          shard.relationEnded(context, 'recipient', id, relation, ending, fx);
      }
    },
  };
}

const refusal = (reason: Reason) =>
  [
    { type: 'recordRefusal', params: reason },
    { type: 'refuse', params: reason },
  ] as const;

const refusePayment = (reason: Reason) => ({ type: 'refusePayment', params: reason }) as const;

/**
 * W5, W8, W7, W6, E1, the relation, W19, E2, E7, W12, E8, W10, in that order; then the saga
 * starts. W10 is last (DOMAIN lists it after W6): it may need the recipient's shard, asked only
 * for a request every local check has passed.
 */
const TRANSFER_REQUEST = [
  { guard: 'requestKnown', actions: 'answerAgain' },
  { guard: 'fromWallet', actions: refusal('W5') },
  { guard: 'inBlackout', actions: refusal('W8') },
  { guard: 'overAmount', actions: refusal('W7') },
  { guard: 'dailyCountReached', actions: refusal('W6') },
  { guard: 'notEmployee', actions: refusal('E1') },
  { guard: 'noRelation', actions: refusal('NO_RELATION') },
  { guard: 'relationEnded', actions: refusal('W19') },
  { guard: 'notCloseRelative', actions: refusal('E2') },
  { guard: 'kinshipNotYet', actions: refusal('E7') },
  { guard: 'pendingToRecipient', actions: refusal('W12') },
  { guard: 'notRolledOut', actions: refusal('E8') },
  { guard: 'recipientUnchecked', actions: 'checkRecipient' },
  { guard: 'recipientNotOpen', actions: refusal('W10') },
  { actions: ['countTransfer', 'forgetUnopened', 'startSaga'] },
] as const;

const BIND_REQUEST = [
  { guard: 'bindKnown', actions: 'answerAgain' },
  { guard: 'notEmployee', actions: refusal('E1') },
  { guard: 'bindToSelf', actions: refusal('E2') },
  { guard: 'bindNotClose', actions: refusal('E2') },
  { guard: 'bindKinshipNotYet', actions: refusal('E7') },
  { guard: 'alreadyBound', actions: refusal('BOUND') },
  { actions: ['markBinding', 'startBind'] },
] as const;

/** F4: W16 for the wallet; E1, a region to ask, W19 and C3 for a personal account. */
const CONTRIBUTION = [
  { guard: 'paymentKnown', actions: 'acceptPayment' },
  { guard: 'walletPaysOther', actions: refusePayment('W16') },
  { guard: 'fromWalletOwn', actions: 'startContribution' },
  { guard: 'payerNotEmployee', actions: refusePayment('E1') },
  { guard: 'payerNoRegion', actions: refusePayment('ID_MISMATCH') },
  { guard: 'payerRelationEnded', actions: refusePayment('W19') },
  { guard: 'otherProvince', actions: refusePayment('C3') },
  { actions: 'startContribution' },
] as const;

/** Outside `active`, requests are refused and credits rejected (W10), each decided once. */
const INACTIVE = {
  'transfer.request': [
    { guard: 'requestKnown', actions: 'answerAgain' },
    { actions: refusal('NO_WALLET') },
  ],
  'bind.request': [
    { guard: 'bindKnown', actions: 'answerAgain' },
    { actions: refusal('NO_WALLET') },
  ],
  'wallet.credit': [
    { guard: 'creditDecided', actions: 'answerCredit' },
    { actions: [{ type: 'recordRejection', params: true }, 'answerCredit'] },
  ],
} as const;

export function createWalletMachine(config: ProtocolConfig) {
  return setup({
    types: { context: {} as WalletContext, input: {} as WalletInput, events: {} as WalletEvent },
    guards: walletGuards(config),
    actions: {
      ...requestAssigns(),
      ...creditAssigns(config),
      ...spendAssigns(config),
      ...relationAssigns(),
      ...walletEffects(),
    },
  }).createMachine({
    id: 'wallet',
    initial: 'unopened',
    context: ({ input }) => initialWalletContext(input),
    // Relations and receipts are kept whatever the wallet's state: a relation is the platform's
    // record (NatRel), and money already credited stays its holder's (W19).
    on: {
      'saga.done': { actions: 'sagaDone' },
      'relation.add': { actions: [{ type: 'answerAdded', params: 'N' }, 'addDonor'] },
      'relation.activate': { actions: 'activate' },
      'bind.done': { actions: 'bindDone' },
      'relation.stale': { actions: 'stale' },
      'relation.unopened': { actions: 'unopened' },
      'spend.commit': { actions: ['bookPay', 'commitSpend'] },
      'spend.release': { actions: 'releaseSpend' },
      'spend.undo': { actions: ['bookUnpay', 'undoSpend'] },
      'relation.end': { actions: ['endNotice', 'endRelation'] },
      'relation.ended': { actions: 'hearEnded' },
      'enrolment.change': { actions: ['enrolmentNotices', 'endAllRelations'] },
      'contribution.pay': [...CONTRIBUTION],
      // A receipt asked again is answered from the decision, and rewrites the (unchanged)
      // wallet record as every receipt step has: its answer waits for that sync, as before.
      'transfer.receive': [
        { guard: 'creditUnreceived', actions: ['markReceived', 'answerReceived'] },
        { actions: ['touch', 'answerReceipt'] },
      ],
      'wallet.settle': [
        { guard: 'creditUnreceived', actions: ['bookReturn', 'returnTranche', 'answerReturned'] },
        { actions: ['touch', 'answerReceipt'] },
      ],
    },
    states: {
      unopened: { on: { 'wallet.open': { target: 'active', actions: 'markOpened' }, ...INACTIVE } },
      active: {
        on: {
          // A frozen, closed or unopened wallet pays nothing: its bills go to cash (W16).
          'spend.hold': { actions: 'hold' },
          'wallet.freeze': 'frozen',
          'wallet.close': 'closed',
          'transfer.request': [...TRANSFER_REQUEST],
          'wallet.credit': [
            { guard: 'creditDecided', actions: 'answerCredit' },
            {
              guard: 'creditRefused',
              actions: [{ type: 'recordRejection', params: false }, 'answerCredit'],
            },
            { actions: ['applyCredit', 'bookCredit'] },
          ],
          'bind.request': [...BIND_REQUEST],
          'relation.add': { actions: [{ type: 'answerAdded', params: 'Y' }, 'addDonor'] },
        },
      },
      frozen: { on: { 'wallet.unfreeze': 'active', 'wallet.close': 'closed', ...INACTIVE } },
      closed: { on: INACTIVE },
    },
  });
}

export type WalletMachine = ReturnType<typeof createWalletMachine>;
