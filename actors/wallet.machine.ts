// A wallet on the national platform (W4): lifecycle unopened → active ⇄ frozen → closed.
// - As a donor it checks a transfer request (W5, W8, W7, W6, E1, the relation, E2, E7, W12, E8)
//   and starts the saga, and it starts bindings (F1).
// - As a recipient it is the credit decision point, exactly once per transfer id (W10 when
//   inactive, W19 when the relation has ended), the receipt decision point (W11: received, or
//   returned at 06:00 the next day), and the authority on which donors are bound to it.
import { assign, setup } from 'xstate';
import type { DeclaredKinship, Envelope, Fen, Reason, RelationEnding } from '../protocol/index.ts';
import { KINSHIPS } from '../protocol/index.ts';
import type { Effects } from './effects.ts';
import type { ProtocolConfig } from './config.ts';
import { DAY_MS, HOUR_MS } from './config.ts';

export type RelationStatus = 'active' | 'ended';

/** A relation as one party keeps it. The donor's copy is a cache; the recipient's decides (W19). */
export interface Relation {
  readonly kinship: DeclaredKinship | string;
  /** The other party's insured region. */
  readonly region: string;
  readonly status: RelationStatus;
  readonly bindId: string;
  readonly ending?: RelationEnding | undefined;
}

/** Wallet money by origin region (K9): spends later draw FIFO by origin. */
export interface Tranche {
  readonly originRegion: string;
  readonly transferId: string;
  readonly donorId: string;
  readonly amount: Fen;
  /** W11: money not yet received cannot be spent, and goes back at 06:00 the next day. */
  readonly received: boolean;
}

/** Part of a tranche set aside for a bill or contribution (F3, F4), or spent by it. */
export interface Piece {
  readonly originRegion: string;
  readonly transferId: string;
  readonly donorId: string;
  readonly amount: Fen;
}

export type WalletStatus = 'unopened' | 'active' | 'frozen' | 'closed';

export interface WalletInput {
  readonly walletId: string;
  readonly region: string;
  readonly status: WalletStatus;
  /** E1: an employee member with a personal account, who may donate. */
  readonly ebmi: boolean;
  /** As a donor: recipients by wallet id. */
  readonly relations: Readonly<Record<string, Relation>>;
  /** As a recipient: donors by wallet id. */
  readonly donors: Readonly<Record<string, Relation>>;
}

export interface WalletContext {
  readonly walletId: string;
  readonly region: string;
  readonly ebmi: boolean;
  readonly balance: Fen;
  readonly tranches: readonly Tranche[];
  /** W6: transfers started on `day` (virtual day index, Beijing time). */
  readonly day: number;
  readonly sentToday: number;
  /** W12: recipients with a transfer from this wallet still unreceived (or in flight). */
  readonly pendingTo: readonly string[];
  readonly relations: Readonly<Record<string, Relation>>;
  readonly donors: Readonly<Record<string, Relation>>;
  /**
   * Credits this wallet applied, by transfer id: with `rejected`, the recipient side's dedup
   * record. Arrays, not records keyed by id: a handful per wallet, cheap to copy on assign and
   * to scan, and no object shape per distinct set of ids.
   */
  readonly credited: readonly string[];
  /** Credits this wallet refused (W10, W19), with why, so a retry gets the same answer. */
  readonly rejected: Readonly<Record<string, Reason>>;
  /** Credits sent back to the donor unreceived (W11): the receipt decisions that said no. */
  readonly returned: readonly string[];
  /** Request refusals by transfer or bind id, so a retried request gets the same answer. */
  readonly refused: Readonly<Record<string, Reason>>;
  /** F1: relatives this donor has a binding under way to: a second request waits for it (BOUND). */
  readonly bindingTo: readonly string[];
  /** F1: bind ids this wallet has applied as a recipient, so a late duplicate changes nothing. */
  readonly addedBinds: readonly string[];
  /** F3/F4: received money set aside for a payment not yet settled, by payment id. */
  readonly holds: Readonly<Record<string, readonly Piece[]>>;
  /** F3/F4: what each payment spent, by origin (K9), kept so a cancellation can restore it. */
  readonly paid: Readonly<Record<string, readonly Piece[]>>;
}

/** What the wallet needs to know of policy by province and date (E7, E8). */
export interface WalletPolicy {
  /** E7: does the donor's province extend aid to this kinship on this (virtual) day? */
  kinshipAllowed(donorRegion: string, kinship: string, now: number): boolean;
  /** E8: may a transfer go between these regions now (same province always may)? */
  transferAllowed(donorRegion: string, recipientRegion: string, now: number): boolean;
}

/** What the wallet machine needs from the shard that hosts it. */
export interface ShardPort {
  readonly config: ProtocolConfig;
  readonly policy: WalletPolicy;
  hasSaga(transferId: string): boolean;
  startSaga(
    donor: WalletContext,
    request: Envelope<'transfer.request'>,
    now: number,
    fx: Effects,
  ): void;
  bookCredit(wallet: WalletContext, credit: Envelope<'wallet.credit'>, fx: Effects): void;
  /** W11: the tranche goes back; the wallet ledger's claim on its origin is restored. */
  bookReturn(wallet: WalletContext, tranche: Tranche, fx: Effects): void;
  /** A receipt reached the recipient's wallet: tell the donor's saga (best effort). */
  tellReceived(tranche: Tranche, fx: Effects): void;
  hasBind(bindId: string): boolean;
  startBind(
    donor: WalletContext,
    request: Envelope<'bind.request'>,
    now: number,
    fx: Effects,
  ): void;
  /** F3/F4: wallet money left (or, undone, came back) for payment `id`: book it by origin (K9). */
  bookSpend(
    wallet: WalletContext,
    id: string,
    pieces: readonly Piece[],
    undo: boolean,
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
  | 'transfer.receive'
  | 'wallet.settle'
  | 'relation.add'
  | 'relation.end'
  | 'relation.ended'
  | 'enrolment.change';

interface Carried<K extends CarriedKind> {
  readonly type: K;
  readonly env: Envelope<K>;
  readonly shard: ShardPort;
  readonly now: number;
  readonly fx: Effects;
}

export type WalletEvent =
  | Carried<'transfer.request'>
  | Carried<'wallet.credit'>
  | Carried<'bind.request'>
  | Carried<'transfer.receive'>
  | Carried<'wallet.settle'>
  | Carried<'relation.add'>
  | Carried<'relation.end'>
  | Carried<'relation.ended'>
  | Carried<'enrolment.change'>
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

type RequestEvent = Carried<'transfer.request'>;
type CreditEvent = Carried<'wallet.credit'>;
type BindEvent = Carried<'bind.request'>;

const CLOSE = new Set<string>(KINSHIPS);

export function inBlackout(config: ProtocolConfig, now: number): boolean {
  const hour = Math.floor((now % DAY_MS) / HOUR_MS);
  const { blackoutHourStart: start, blackoutHourEnd: end } = config;
  return start > end ? hour >= start || hour < end : hour >= start && hour < end;
}

/** W11: a transfer made on virtual day d is returned, if unreceived, at 06:00 of day d + 1. */
export function returnAtMs(startedAt: number, config: ProtocolConfig): number {
  return (Math.floor(startedAt / DAY_MS) + 1) * DAY_MS + config.returnHour * HOUR_MS;
}

/**
 * A record's own entry: ids come from the wire, and an id such as 'constructor' or 'toString'
 * must not find Object.prototype's members (`in` and plain indexing would).
 */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

const req = (event: WalletEvent) => event as RequestEvent;
const credit = (event: WalletEvent) => event as CreditEvent;
const bind = (event: WalletEvent) => event as BindEvent;
const carried = <K extends CarriedKind>(event: WalletEvent) => event as Carried<K>;

function refuse(event: RequestEvent | BindEvent, reason: Reason): void {
  const { env, fx } = event;
  if (env.kind === 'transfer.request') {
    fx.send(env.from, 'transfer.refused', env.corr, { transferId: env.corr, reason });
  } else {
    fx.send(env.from, 'bind.refused', env.corr, { bindId: env.corr, reason });
  }
}

function answerAgain(context: WalletContext, event: RequestEvent | BindEvent): void {
  const { env, fx } = event;
  const reason = own(context.refused, env.corr);
  if (reason !== undefined) refuse(event, reason);
  else if (env.kind === 'transfer.request') {
    fx.send(env.from, 'transfer.accepted', env.corr, { transferId: env.corr });
  } else {
    fx.send(env.from, 'bind.accepted', env.corr, { bindId: env.corr });
  }
}

function answerCreditAgain(context: WalletContext, event: CreditEvent): void {
  const { env, fx } = event;
  const reason = own(context.rejected, env.corr);
  if (reason !== undefined) {
    fx.send(env.from, 'wallet.rejected', env.corr, { transferId: env.corr, reason });
  } else {
    fx.send(env.from, 'wallet.credited', env.corr, { transferId: env.corr });
  }
}

/** Why an active wallet refuses a credit: W19 once the relation has ended on this side. */
function creditRefusal(context: WalletContext, env: Envelope<'wallet.credit'>): Reason | undefined {
  const donor = own(context.donors, env.body.donorId);
  if (donor === undefined) return 'NO_RELATION';
  return donor.status === 'active' ? undefined : 'W19';
}

/** A wallet's starting context; its starting state is `input.status` (see WalletShardActor). */
export function initialWalletContext(input: WalletInput): WalletContext {
  return {
    walletId: input.walletId,
    region: input.region,
    ebmi: input.ebmi,
    balance: 0n,
    tranches: [],
    day: -1,
    sentToday: 0,
    pendingTo: [],
    relations: input.relations,
    donors: input.donors,
    credited: [],
    rejected: {},
    returned: [],
    refused: {},
    bindingTo: [],
    addedBinds: [],
    holds: {},
    paid: {},
  };
}

/** Received money not set aside: what a bill or contribution may draw on (W11, W16). */
export function spendable(context: WalletContext): Fen {
  let total = 0n;
  for (const t of context.tranches) if (t.received) total += t.amount;
  for (const pieces of Object.values(context.holds)) for (const p of pieces) total -= p.amount;
  return total;
}

/** FIFO by credit time (DOMAIN F3b, ASSUMPTION): the oldest received money goes first. */
function takeFifo(context: WalletContext, wanted: Fen): Piece[] {
  const heldOf = new Map<string, Fen>();
  for (const pieces of Object.values(context.holds)) {
    for (const p of pieces) heldOf.set(p.transferId, (heldOf.get(p.transferId) ?? 0n) + p.amount);
  }
  const pieces: Piece[] = [];
  let left = wanted;
  for (const t of context.tranches) {
    if (left === 0n) break;
    if (!t.received) continue;
    const free = t.amount - (heldOf.get(t.transferId) ?? 0n);
    if (free <= 0n) continue;
    const take = free < left ? free : left;
    pieces.push({
      originRegion: t.originRegion,
      transferId: t.transferId,
      donorId: t.donorId,
      amount: take,
    });
    left -= take;
  }
  return pieces;
}

function endAll(
  relations: Readonly<Record<string, Relation>>,
  ending: RelationEnding,
): Record<string, Relation> {
  const next: Record<string, Relation> = {};
  for (const [id, relation] of Object.entries(relations)) {
    next[id] = relation.status === 'active' ? { ...relation, status: 'ended', ending } : relation;
  }
  return next;
}

export function createWalletMachine(config: ProtocolConfig) {
  const dedupCredits = config.variant !== 'noDedup';
  const refusal = (reason: Reason) =>
    [
      { type: 'recordRefusal', params: reason },
      { type: 'refuse', params: reason },
    ] as const;
  const relationTo = (context: WalletContext, event: WalletEvent) =>
    own(context.relations, req(event).env.body.recipientId);
  return setup({
    types: { context: {} as WalletContext, input: {} as WalletInput, events: {} as WalletEvent },
    guards: {
      requestKnown: ({ context, event }) =>
        own(context.refused, req(event).env.corr) !== undefined ||
        req(event).shard.hasSaga(req(event).env.corr),
      bindKnown: ({ context, event }) =>
        own(context.refused, bind(event).env.corr) !== undefined ||
        bind(event).shard.hasBind(bind(event).env.corr),
      // W5: re-transfer of received wallet money is not modelled (the scenario refuses the flag).
      fromWallet: ({ event }) => req(event).env.body.source === 'WALLET',
      inBlackout: ({ event }) => inBlackout(config, req(event).now),
      overAmount: ({ event }) => req(event).env.body.amount > config.amountPerTransferFenMax,
      dailyCountReached: ({ context, event }) =>
        Math.floor(req(event).now / DAY_MS) === context.day &&
        context.sentToday >= config.transfersPerDayMax,
      notEmployee: ({ context }) => !context.ebmi,
      noRelation: ({ context, event }) => relationTo(context, event) === undefined,
      relationEnded: ({ context, event }) => relationTo(context, event)?.status === 'ended',
      notCloseRelative: ({ context, event }) =>
        !CLOSE.has(relationTo(context, event)?.kinship ?? ''),
      kinshipNotYet: ({ context, event }) =>
        !req(event).shard.policy.kinshipAllowed(
          context.region,
          relationTo(context, event)?.kinship ?? '',
          req(event).now,
        ),
      pendingToRecipient: ({ context, event }) =>
        context.pendingTo.includes(req(event).env.body.recipientId),
      notRolledOut: ({ context, event }) =>
        !req(event).shard.policy.transferAllowed(
          context.region,
          relationTo(context, event)?.region ?? '',
          req(event).now,
        ),
      creditDecided: ({ context, event }) =>
        dedupCredits &&
        (context.credited.includes(credit(event).env.corr) ||
          own(context.rejected, credit(event).env.corr) !== undefined),
      creditRefused: ({ context, event }) =>
        creditRefusal(context, credit(event).env) !== undefined,
      bindToSelf: ({ context, event }) => bind(event).env.body.relativeId === context.walletId,
      bindNotClose: ({ event }) => !CLOSE.has(bind(event).env.body.kinship),
      bindKinshipNotYet: ({ context, event }) =>
        !bind(event).shard.policy.kinshipAllowed(
          context.region,
          bind(event).env.body.kinship,
          bind(event).now,
        ),
      alreadyBound: ({ context, event }) =>
        own(context.relations, bind(event).env.body.relativeId)?.status === 'active' ||
        context.bindingTo.includes(bind(event).env.body.relativeId),
    },
    actions: {
      refuse: ({ event }, reason: Reason) => refuse(event as RequestEvent | BindEvent, reason),
      answerAgain: ({ context, event }) => answerAgain(context, event as RequestEvent | BindEvent),
      recordRefusal: assign(({ context, event }, reason: Reason) => ({
        refused: { ...context.refused, [(event as RequestEvent | BindEvent).env.corr]: reason },
      })),
      countTransfer: assign(({ context, event }) => {
        const { now, env } = req(event);
        const day = Math.floor(now / DAY_MS);
        return {
          day,
          sentToday: day === context.day ? context.sentToday + 1 : 1,
          pendingTo: [...context.pendingTo, env.body.recipientId],
        };
      }),
      startSaga: ({ context, event }) => {
        const e = req(event);
        e.shard.startSaga(context, e.env, e.now, e.fx);
        e.fx.send(e.env.from, 'transfer.accepted', e.env.corr, { transferId: e.env.corr });
      },
      startBind: ({ context, event }) => {
        const e = bind(event);
        e.shard.startBind(context, e.env, e.now, e.fx);
        e.fx.send(e.env.from, 'bind.accepted', e.env.corr, { bindId: e.env.corr });
      },
      markBinding: assign(({ context, event }) => ({
        bindingTo: [...context.bindingTo, bind(event).env.body.relativeId],
      })),
      applyCredit: assign(({ context, event }) => {
        const { env } = credit(event);
        const tranche: Tranche = {
          originRegion: env.body.originRegion,
          transferId: env.corr,
          donorId: env.body.donorId,
          amount: env.body.amount,
          received: !config.requireReceipt,
        };
        return {
          balance: context.balance + env.body.amount,
          tranches: [...context.tranches, tranche],
          credited: [...context.credited, env.corr],
        };
      }),
      bookCredit: ({ context, event }) => {
        const e = credit(event);
        e.shard.bookCredit(context, e.env, e.fx);
        e.fx.send(e.env.from, 'wallet.credited', e.env.corr, { transferId: e.env.corr });
      },
      answerCreditAgain: ({ context, event }) => answerCreditAgain(context, credit(event)),
      // Inactive wallets refuse under W10; active ones only when the relation is not active.
      rejectCredit: assign(({ context, event }, inactive: boolean) => {
        const { env, fx } = credit(event);
        const reason: Reason = inactive ? 'W10' : (creditRefusal(context, env) ?? 'W10');
        fx.send(env.from, 'wallet.rejected', env.corr, { transferId: env.corr, reason });
        return { rejected: { ...context.rejected, [env.corr]: reason } };
      }),
      receive: assign(({ context, event }) => {
        const { env, shard, fx } = carried<'transfer.receive'>(event);
        const at = context.tranches.findIndex((t) => t.transferId === env.corr && !t.received);
        if (at < 0) {
          answerReceipt(context, env.from, env.corr, fx);
          return {};
        }
        const tranche = context.tranches[at] as Tranche;
        fx.send(env.from, 'wallet.received', env.corr, { transferId: env.corr });
        shard.tellReceived(tranche, fx);
        const tranches = context.tranches.slice();
        tranches[at] = { ...tranche, received: true };
        return { tranches };
      }),
      settle: assign(({ context, event }) => {
        const { env, shard, fx } = carried<'wallet.settle'>(event);
        const at = context.tranches.findIndex((t) => t.transferId === env.corr && !t.received);
        if (at < 0) {
          answerReceipt(context, env.from, env.corr, fx);
          return {};
        }
        // The receipt decision: still unreceived at the deadline, so it goes back (W11).
        const tranche = context.tranches[at] as Tranche;
        const next = {
          balance: context.balance - tranche.amount,
          tranches: context.tranches.filter((_, i) => i !== at),
          returned: [...context.returned, env.corr],
        };
        shard.bookReturn({ ...context, ...next }, tranche, fx);
        fx.send(env.from, 'wallet.returned', env.corr, { transferId: env.corr });
        return next;
      }),
      addDonor: assign(({ context, event }) => {
        const { env, fx } = carried<'relation.add'>(event);
        const { donorId, kinship, donorRegion, bindId } = env.body;
        fx.send(env.from, 'relation.added', env.corr, { bindId });
        // A duplicate, even a late one from an earlier binding, changes nothing: the latest wins.
        if (context.addedBinds.includes(bindId)) return {};
        const relation: Relation = { kinship, region: donorRegion, status: 'active', bindId };
        return {
          donors: { ...context.donors, [donorId]: relation },
          addedBinds: [...context.addedBinds, bindId],
        };
      }),
      hold: assign(({ context, event }) => {
        const { id, max, spendRegion } = event as Extract<WalletEvent, { type: 'spend.hold' }>;
        if (own(context.holds, id) !== undefined || own(context.paid, id) !== undefined) return {};
        // W17: outside its use region (its holder's insured region) the wallet pays nothing.
        if (spendRegion !== context.region && !config.walletSpendOutsideUseRegion) return {};
        const pieces = takeFifo(context, max);
        if (pieces.length === 0) return {};
        return { holds: { ...context.holds, [id]: pieces } };
      }),
      commitSpend: assign(({ context, event }) => {
        const { id, fx, shard } = event as { id: string; fx: Effects; shard: ShardPort };
        const pieces = own(context.holds, id);
        if (pieces === undefined) return {};
        let balance = context.balance;
        let tranches = context.tranches;
        for (const p of pieces) {
          balance -= p.amount;
          tranches = tranches.flatMap((t) => {
            if (t.transferId !== p.transferId) return [t];
            const amount = t.amount - p.amount;
            return amount > 0n ? [{ ...t, amount }] : [];
          });
        }
        const { [id]: _spent, ...holds } = context.holds;
        const next = { balance, tranches, holds, paid: { ...context.paid, [id]: pieces } };
        shard.bookSpend({ ...context, ...next }, id, pieces, false, fx);
        return next;
      }),
      releaseSpend: assign(({ context, event }) => {
        const { id } = event as { id: string };
        if (own(context.holds, id) === undefined) return {};
        const { [id]: _released, ...holds } = context.holds;
        return { holds };
      }),
      undoSpend: assign(({ context, event }) => {
        const { id, fx, shard } = event as { id: string; fx: Effects; shard: ShardPort };
        const pieces = own(context.paid, id);
        if (pieces === undefined) return {};
        let balance = context.balance;
        const tranches = context.tranches.slice();
        // Newest piece first, each fully spent tranche put back at the front: the restored
        // tranches end in their original order, ahead of newer money (FIFO holds, K9).
        for (const p of [...pieces].reverse()) {
          balance += p.amount;
          const at = tranches.findIndex((t) => t.transferId === p.transferId);
          if (at >= 0) {
            const t = tranches[at] as Tranche;
            tranches[at] = { ...t, amount: t.amount + p.amount };
          } else {
            tranches.unshift({
              originRegion: p.originRegion,
              transferId: p.transferId,
              donorId: p.donorId,
              amount: p.amount,
              received: true,
            });
          }
        }
        const { [id]: _undone, ...paid } = context.paid;
        const next = { balance, tranches, paid };
        shard.bookSpend({ ...context, ...next }, id, pieces, true, fx);
        return next;
      }),
      stale: assign(({ context, event }) => {
        const { recipientId } = event as Extract<WalletEvent, { type: 'relation.stale' }>;
        const relation = own(context.relations, recipientId);
        if (relation === undefined || relation.status === 'ended') return {};
        return {
          relations: {
            ...context.relations,
            [recipientId]: { ...relation, status: 'ended' as const },
          },
        };
      }),
      activate: assign(({ context, event }) => {
        const { recipientId, relation } = event as Extract<
          WalletEvent,
          { type: 'relation.activate' }
        >;
        return { relations: { ...context.relations, [recipientId]: relation } };
      }),
      bindDone: assign(({ context, event }) => {
        const { recipientId } = event as { recipientId: string };
        return { bindingTo: context.bindingTo.filter((id) => id !== recipientId) };
      }),
      end: assign(({ context, event }) => {
        const { env, shard, fx } = carried<'relation.end'>(event);
        const { donorId, recipientId, ending } = env.body;
        const asDonor = ending === 'REVOKED_BY_DONOR';
        const otherId = asDonor ? recipientId : donorId;
        const table = asDonor ? context.relations : context.donors;
        const relation = own(table, otherId);
        fx.send(env.from, 'relation.ended', env.corr, {
          donorId,
          recipientId,
          ending,
          bindId: relation?.bindId ?? '-',
        });
        if (relation === undefined || relation.status === 'ended') return {};
        const ended: Relation = { ...relation, status: 'ended', ending };
        shard.relationEnded(context, asDonor ? 'donor' : 'recipient', otherId, ended, ending, fx);
        return asDonor
          ? { relations: { ...context.relations, [otherId]: ended } }
          : { donors: { ...context.donors, [otherId]: ended } };
      }),
      hearEnded: assign(({ context, event }) => {
        // A notice from the other party: this wallet holds the other side of the relation.
        const { env } = carried<'relation.ended'>(event);
        const { donorId, recipientId, ending, bindId } = env.body;
        if (context.walletId === donorId) {
          const relation = own(context.relations, recipientId);
          if (relation === undefined || relation.bindId !== bindId || relation.status === 'ended')
            return {};
          return {
            relations: {
              ...context.relations,
              [recipientId]: { ...relation, status: 'ended' as const, ending },
            },
          };
        }
        const relation = own(context.donors, donorId);
        if (relation === undefined || relation.bindId !== bindId || relation.status === 'ended')
          return {};
        return {
          donors: {
            ...context.donors,
            [donorId]: { ...relation, status: 'ended' as const, ending },
          },
        };
      }),
      enrolmentChanged: assign(({ context, event }) => {
        // E6: every relation this person is party to ends, on both of its sides.
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
        return {
          relations: endAll(context.relations, ending),
          donors: endAll(context.donors, ending),
        };
      }),
      sagaDone: assign(({ context, event }) => {
        const recipientId = (event as { recipientId: string }).recipientId;
        const at = context.pendingTo.indexOf(recipientId);
        return at < 0 ? {} : { pendingTo: context.pendingTo.filter((_, i) => i !== at) };
      }),
    },
  }).createMachine({
    id: 'wallet',
    initial: 'unopened',
    context: ({ input }) => initialWalletContext(input),
    // Relations and receipts are kept whatever the wallet's state: a relation is the platform's
    // record (NatRel), and money already credited stays its holder's (W19).
    on: {
      'saga.done': { actions: 'sagaDone' },
      'relation.add': { actions: 'addDonor' },
      'relation.activate': { actions: 'activate' },
      'bind.done': { actions: 'bindDone' },
      'relation.stale': { actions: 'stale' },
      'spend.commit': { actions: 'commitSpend' },
      'spend.release': { actions: 'releaseSpend' },
      'spend.undo': { actions: 'undoSpend' },
      'relation.end': { actions: 'end' },
      'relation.ended': { actions: 'hearEnded' },
      'enrolment.change': { actions: 'enrolmentChanged' },
      'transfer.receive': { actions: 'receive' },
      'wallet.settle': { actions: 'settle' },
    },
    states: {
      unopened: { on: { 'wallet.open': 'active', ...inactive() } },
      active: {
        on: {
          // A frozen, closed or unopened wallet pays nothing: its bills go to cash (W16).
          'spend.hold': { actions: 'hold' },
          'wallet.freeze': 'frozen',
          'wallet.close': 'closed',
          'transfer.request': [
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
            { actions: ['countTransfer', 'startSaga'] },
          ],
          'wallet.credit': [
            { guard: 'creditDecided', actions: 'answerCreditAgain' },
            { guard: 'creditRefused', actions: { type: 'rejectCredit', params: false } },
            { actions: ['applyCredit', 'bookCredit'] },
          ],
          'bind.request': [
            { guard: 'bindKnown', actions: 'answerAgain' },
            { guard: 'notEmployee', actions: refusal('E1') },
            { guard: 'bindToSelf', actions: refusal('E2') },
            { guard: 'bindNotClose', actions: refusal('E2') },
            { guard: 'bindKinshipNotYet', actions: refusal('E7') },
            { guard: 'alreadyBound', actions: refusal('BOUND') },
            { actions: ['markBinding', 'startBind'] },
          ],
        },
      },
      frozen: { on: { 'wallet.unfreeze': 'active', 'wallet.close': 'closed', ...inactive() } },
      closed: { on: inactive() },
    },
  });

  // Outside `active`, requests are refused and credits rejected (W10), each decided once.
  function inactive() {
    return {
      'transfer.request': [
        { guard: 'requestKnown', actions: 'answerAgain' },
        { actions: refusal('NO_WALLET') },
      ],
      'bind.request': [
        { guard: 'bindKnown', actions: 'answerAgain' },
        { actions: refusal('NO_WALLET') },
      ],
      'wallet.credit': [
        { guard: 'creditDecided', actions: 'answerCreditAgain' },
        { actions: { type: 'rejectCredit', params: true } },
      ],
    } as const;
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

export type WalletMachine = ReturnType<typeof createWalletMachine>;
