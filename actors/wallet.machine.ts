// A wallet on the national platform (W4): lifecycle unopened → active ⇄ frozen → closed. As a
// donor it checks a transfer request against W8, W7, W6, E2 and W12 and starts the saga; as a
// recipient it is the credit decision point, exactly once per transfer id (W10 when inactive).
import { assign, setup } from 'xstate';
import type { Envelope, Fen, Kinship, Reason } from '../protocol/index.ts';
import { KINSHIPS } from '../protocol/index.ts';
import type { Effects } from './effects.ts';
import type { ProtocolConfig } from './config.ts';
import { DAY_MS, HOUR_MS } from './config.ts';

export interface Relation {
  readonly kinship: Kinship | string;
  readonly region: string;
}

/** Wallet money by origin region (K9): spends later draw FIFO by origin. */
export interface Tranche {
  readonly originRegion: string;
  readonly transferId: string;
  readonly amount: Fen;
}

export type WalletStatus = 'unopened' | 'active' | 'frozen' | 'closed';

export interface WalletInput {
  readonly walletId: string;
  readonly region: string;
  readonly status: WalletStatus;
  readonly relations: Readonly<Record<string, Relation>>;
}

export interface WalletContext {
  readonly walletId: string;
  readonly region: string;
  readonly balance: Fen;
  readonly tranches: readonly Tranche[];
  /** W6: transfers started on `day` (virtual day index, Beijing time). */
  readonly day: number;
  readonly sentToday: number;
  /** W12: recipients with a transfer from this wallet still in flight. */
  readonly pendingTo: readonly string[];
  readonly relations: Readonly<Record<string, Relation>>;
  /**
   * Credits this wallet applied, by transfer id: with `rejected`, the recipient side's dedup
   * record. Arrays, not records keyed by id: a handful per wallet, cheap to copy on assign and
   * to scan, and no object shape per distinct set of ids.
   */
  readonly credited: readonly string[];
  /** Credits this wallet refused (W10), so a retried credit gets the same answer. */
  readonly rejected: readonly string[];
  /** Request refusals by transfer id, so a retried request gets the same answer. */
  readonly refused: Readonly<Record<string, Reason>>;
}

/** What the wallet machine needs from the shard that hosts it. */
export interface ShardPort {
  readonly config: ProtocolConfig;
  hasSaga(transferId: string): boolean;
  startSaga(donor: WalletContext, request: Envelope<'transfer.request'>, now: number, fx: Effects): void;
  bookCredit(wallet: WalletContext, credit: Envelope<'wallet.credit'>, fx: Effects): void;
}

interface Carried<K extends 'transfer.request' | 'wallet.credit'> {
  readonly type: K;
  readonly env: Envelope<K>;
  readonly shard: ShardPort;
  readonly now: number;
  readonly fx: Effects;
}

export type WalletEvent =
  | Carried<'transfer.request'>
  | Carried<'wallet.credit'>
  | { readonly type: 'saga.done'; readonly recipientId: string }
  | { readonly type: 'wallet.open' | 'wallet.freeze' | 'wallet.unfreeze' | 'wallet.close' };

type RequestEvent = Carried<'transfer.request'>;
type CreditEvent = Carried<'wallet.credit'>;

const CLOSE = new Set<string>(KINSHIPS);

export function inBlackout(config: ProtocolConfig, now: number): boolean {
  const hour = Math.floor((now % DAY_MS) / HOUR_MS);
  const { blackoutHourStart: start, blackoutHourEnd: end } = config;
  return start > end ? hour >= start || hour < end : hour >= start && hour < end;
}

/**
 * A record's own entry: ids come from the wire, and an id such as 'constructor' or 'toString'
 * must not find Object.prototype's members (`in` and plain indexing would).
 */
function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

const req = (event: WalletEvent) => event as RequestEvent;
const credit = (event: WalletEvent) => event as CreditEvent;

function refuse(event: RequestEvent, reason: Reason): void {
  const { env, fx } = event;
  fx.send(env.from, 'transfer.refused', env.corr, { transferId: env.corr, reason });
}

function answerRequestAgain(context: WalletContext, event: RequestEvent): void {
  const { env, fx } = event;
  const reason = own(context.refused, env.corr);
  if (reason !== undefined) refuse(event, reason);
  else fx.send(env.from, 'transfer.accepted', env.corr, { transferId: env.corr });
}

function answerCreditAgain(context: WalletContext, event: CreditEvent): void {
  const { env, fx } = event;
  if (context.credited.includes(env.corr)) {
    fx.send(env.from, 'wallet.credited', env.corr, { transferId: env.corr });
  } else {
    fx.send(env.from, 'wallet.rejected', env.corr, { transferId: env.corr, reason: 'W10' });
  }
}

/** A wallet's starting context; its starting state is `input.status` (see WalletShardActor). */
export function initialWalletContext(input: WalletInput): WalletContext {
  return {
    walletId: input.walletId,
    region: input.region,
    balance: 0n,
    tranches: [],
    day: -1,
    sentToday: 0,
    pendingTo: [],
    relations: input.relations,
    credited: [],
    rejected: [],
    refused: {},
  };
}

export function createWalletMachine(config: ProtocolConfig) {
  const dedupCredits = config.variant !== 'noDedup';
  const refusal = (reason: Reason) => [
    { type: 'recordRefusal', params: reason },
    { type: 'refuse', params: reason },
  ] as const;
  return setup({
    types: { context: {} as WalletContext, input: {} as WalletInput, events: {} as WalletEvent },
    guards: {
      requestKnown: ({ context, event }) =>
        own(context.refused, req(event).env.corr) !== undefined || req(event).shard.hasSaga(req(event).env.corr),
      inBlackout: ({ event }) => inBlackout(config, req(event).now),
      overAmount: ({ event }) => req(event).env.body.amount > config.amountPerTransferFenMax,
      dailyCountReached: ({ context, event }) =>
        Math.floor(req(event).now / DAY_MS) === context.day && context.sentToday >= config.transfersPerDayMax,
      noRelation: ({ context, event }) => own(context.relations, req(event).env.body.recipientId) === undefined,
      notCloseRelative: ({ context, event }) =>
        !CLOSE.has(own(context.relations, req(event).env.body.recipientId)?.kinship ?? ''),
      pendingToRecipient: ({ context, event }) => context.pendingTo.includes(req(event).env.body.recipientId),
      creditDecided: ({ context, event }) =>
        dedupCredits && (context.credited.includes(credit(event).env.corr) || context.rejected.includes(credit(event).env.corr)),
    },
    actions: {
      refuse: ({ event }, reason: Reason) => refuse(req(event), reason),
      answerRequestAgain: ({ context, event }) => answerRequestAgain(context, req(event)),
      recordRefusal: assign(({ context, event }, reason: Reason) => ({
        refused: { ...context.refused, [req(event).env.corr]: reason },
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
      applyCredit: assign(({ context, event }) => {
        const { env } = credit(event);
        const tranche = { originRegion: env.body.originRegion, transferId: env.corr, amount: env.body.amount };
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
      rejectCredit: assign(({ context, event }) => ({
        rejected: [...context.rejected, credit(event).env.corr],
      })),
      replyRejected: ({ event }) => {
        const { env, fx } = credit(event);
        fx.send(env.from, 'wallet.rejected', env.corr, { transferId: env.corr, reason: 'W10' });
      },
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
    on: { 'saga.done': { actions: 'sagaDone' } },
    states: {
      unopened: { on: { 'wallet.open': 'active', ...inactive() } },
      active: {
        on: {
          'wallet.freeze': 'frozen',
          'wallet.close': 'closed',
          'transfer.request': [
            { guard: 'requestKnown', actions: 'answerRequestAgain' },
            { guard: 'inBlackout', actions: refusal('W8') },
            { guard: 'overAmount', actions: refusal('W7') },
            { guard: 'dailyCountReached', actions: refusal('W6') },
            { guard: 'noRelation', actions: refusal('NO_RELATION') },
            { guard: 'notCloseRelative', actions: refusal('E2') },
            { guard: 'pendingToRecipient', actions: refusal('W12') },
            { actions: ['countTransfer', 'startSaga'] },
          ],
          'wallet.credit': [
            { guard: 'creditDecided', actions: 'answerCreditAgain' },
            { actions: ['applyCredit', 'bookCredit'] },
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
        { guard: 'requestKnown', actions: 'answerRequestAgain' },
        { actions: refusal('NO_WALLET') },
      ],
      'wallet.credit': [
        { guard: 'creditDecided', actions: 'answerCreditAgain' },
        { actions: ['rejectCredit', 'replyRejected'] },
      ],
    } as const;
  }
}

export type WalletMachine = ReturnType<typeof createWalletMachine>;
