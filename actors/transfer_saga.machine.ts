// The donor-side saga of one transfer (DESIGN §4, DOMAIN F2): the donor confirms by face or
// password (W13), then reserve at the donor's province, credit at the recipient's wallet, commit
// or release the hold, and record the origin liability (K9). With `requireReceipt` (W11) it then
// waits for the recipient to receive the money until 06:00 the next day; what is still
// unreceived then comes back: the wallet returns it, the province refunds the donor's account
// and settlement reverses the liability.
// The debitFirst design (decision 53) charges the donor's account in one step first, then
// credits, and compensates a refused credit with a refund; optimisticCredit credits first, then
// charges, and claws a credit back when the charge is refused.
// Each step is retried with backoff until it is answered; a timeout never decides an outcome
// (only the 'timeoutFails' variant does, so the properties can show why that is wrong).
import { and, setup } from 'xstate';

import type { Fen, Reason } from '../protocol/index.ts';
import { SETTLEMENT_ADDRESS } from './addresses.ts';
import { retryDelayMs } from './backoff.ts';
import { returnAtMs } from './calendar.ts';
import type { ProtocolConfig } from './config.ts';
import type { Effects } from './effects.ts';
import { assignerOf } from './machine_driver.ts';
import type { TransferScope } from './regions.ts';
import { retrying, stepState } from './saga_steps.ts';
import { TIMERS } from './timers.ts';

export interface SagaInput {
  readonly transferId: string;
  readonly donorId: string;
  readonly recipientId: string;
  readonly donorRegion: string;
  readonly recipientRegion: string;
  /** Address of the donor's province (the reserve decision point). */
  readonly donorProvince: string;
  /** Address of the recipient's wallet shard (the credit decision point). */
  readonly recipientShard: string;
  /** Who asked: the donor's app, which answers the W13 challenge. */
  readonly requester: string;
  readonly amount: Fen;
  readonly scope: TransferScope;
  readonly startedAt: number;
}

interface SagaContext extends SagaInput {
  /** Attempts at the current step: drives the backoff, reset on every new step. */
  readonly attempt: number;
  /** Increments with every armed timer, so a stale timer is recognised and ignored. */
  readonly timerSeq: number;
  readonly reason: Reason | undefined;
  /** W11: the recipient's receipt arrived before the saga waited for it (a retried step). */
  readonly receivedEarly: boolean;
}

/** Every saga event carries the clock and the effects of the step that delivers it. */
interface Carrier {
  readonly now: number;
  readonly fx: Effects;
}

export type SagaEvent = Carrier &
  (
    | {
        readonly type:
          'account.reserved' | 'account.committed' | 'account.released' | 'account.refunded';
      }
    | { readonly type: 'start' | 'wallet.credited' | 'liability.recorded' | 'resume' }
    | { readonly type: 'wallet.received' | 'wallet.returned' | 'liability.reversed' }
    | { readonly type: 'transfer.auth'; readonly verdict: 'PASS' | 'FAIL' }
    | { readonly type: 'account.rejected' | 'wallet.rejected'; readonly reason: Reason }
    | { readonly type: 'timeout'; readonly seq: number }
  );

type StepKind =
  | 'transfer.challenge'
  | 'account.reserve'
  | 'account.charge'
  | 'wallet.credit'
  | 'account.commit'
  | 'account.release'
  | 'liability.record'
  | 'wallet.settle'
  | 'account.refund'
  | 'liability.reverse';

function sendStep(
  context: SagaContext,
  event: SagaEvent,
  kind: StepKind,
  config: ProtocolConfig,
): void {
  const { fx, now } = event;
  const id = context.transferId;
  switch (kind) {
    case 'transfer.challenge':
      fx.send(context.requester, kind, id, { transferId: id, donorId: context.donorId });
      break;
    case 'account.reserve':
    case 'account.charge':
      fx.send(context.donorProvince, kind, id, {
        transferId: id,
        accountId: context.donorId,
        amount: context.amount,
      });
      break;
    case 'wallet.credit':
      fx.send(context.recipientShard, kind, id, {
        transferId: id,
        walletId: context.recipientId,
        donorId: context.donorId,
        originRegion: context.donorRegion,
        amount: context.amount,
      });
      break;
    case 'account.commit':
    case 'account.release':
    case 'account.refund':
      fx.send(context.donorProvince, kind, id, { transferId: id });
      break;
    case 'wallet.settle':
      fx.send(context.recipientShard, kind, id, { transferId: id, walletId: context.recipientId });
      break;
    case 'liability.reverse':
      fx.send(SETTLEMENT_ADDRESS, kind, id, {
        transferId: id,
        originRegion: context.donorRegion,
        amount: context.amount,
      });
      break;
    case 'liability.record':
      fx.send(SETTLEMENT_ADDRESS, kind, id, {
        transferId: id,
        originRegion: context.donorRegion,
        useRegion: context.recipientRegion,
        amount: context.amount,
      });
      break;
  }
  fx.timer(
    TIMERS.transferSaga.key(id),
    now + retryDelayMs(config, id, context.attempt),
    context.timerSeq,
  );
}

type Args = { readonly context: SagaContext; readonly event: SagaEvent };
const change = assignerOf<SagaContext, SagaEvent>();
const RETRY = retrying<SagaContext, SagaEvent>();

/** What a transfer saga does: its steps out and what it keeps of each answer. */
function transferActions(config: ProtocolConfig) {
  return {
    send: ({ context, event }: Args, kind: StepKind) => sendStep(context, event, kind, config),
    keepReason: change(({ event }) => ({ reason: 'reason' in event ? event.reason : undefined })),
    gaveUp: change(() => ({ reason: 'GAVE_UP' })),
    authFailed: change(() => ({ reason: 'W13' })),
    receivedEarly: change(() => ({ receivedEarly: true })),
    // W11: wait for the receipt until 06:00 after the transfer's day; a restart re-arms it.
    armReturn: ({ context, event }: Args) =>
      event.fx.timer(
        TIMERS.transferSaga.key(context.transferId),
        returnAtMs(context.startedAt, config),
        context.timerSeq,
      ),
  };
}

/** What a transfer saga asks of an answer or of itself. */
function transferGuards(config: ProtocolConfig) {
  const giveUpOnTimeout = config.variant === 'timeoutFails';
  return {
    passed: ({ event }: Args) => event.type === 'transfer.auth' && event.verdict === 'PASS',
    debitFirst: () => config.variant === 'debitFirst',
    creditFirst: () => config.variant === 'optimisticCredit',
    receiptRequired: () => config.requireReceipt,
    alreadyReceived: ({ context }: Args) => context.receivedEarly,
    authExpired: ({ context, event }: Args) => event.now >= context.startedAt + config.authTtlMs,
    giveUp: ({ context }: Args) =>
      giveUpOnTimeout && context.attempt + 1 >= config.giveUpAfterAttempts,
  };
}

const retry = (kind: StepKind) =>
  ({ guard: 'currentTimer', actions: ['nextAttempt', { type: 'send', params: kind }] }) as const;
// A waiting state: send the step on entry, resend on its own timer or after a restart.
const waiting = <On extends object>(kind: StepKind, on: On) => stepState(kind, on);

export function createTransferSagaMachine(config: ProtocolConfig) {
  return setup({
    types: {
      context: {} as SagaContext,
      input: {} as SagaInput,
      events: {} as SagaEvent,
    },
    actions: { ...RETRY.actions, ...transferActions(config) },
    guards: { ...RETRY.guards, ...transferGuards(config) },
  }).createMachine({
    id: 'transferSaga',
    // 'new' waits for 'start', whose event carries the effects the first step needs.
    initial: 'new',
    context: ({ input }) => ({
      ...input,
      attempt: 0,
      timerSeq: 0,
      reason: undefined,
      receivedEarly: false,
    }),
    // A receipt pushed while a step is still retried is kept, so the pair is freed at once after.
    on: { 'wallet.received': { actions: 'receivedEarly' } },
    states: {
      new: { on: { start: 'authenticating' } },
      authenticating: waiting('transfer.challenge', {
        'transfer.auth': [
          { guard: and(['passed', 'debitFirst']), target: 'charging' },
          { guard: and(['passed', 'creditFirst']), target: 'creditingFirst' },
          { guard: 'passed', target: 'reserving' },
          { target: 'rejected', actions: 'authFailed' },
        ],
        timeout: [
          {
            guard: and(['currentTimer', 'authExpired']),
            target: 'rejected',
            actions: 'authFailed',
          },
          retry('transfer.challenge'),
        ],
      } as const),
      reserving: waiting('account.reserve', {
        'account.reserved': 'crediting',
        'account.rejected': { target: 'rejected', actions: 'keepReason' },
      } as const),
      crediting: waiting('wallet.credit', {
        timeout: [
          { guard: and(['currentTimer', 'giveUp']), target: 'releasing', actions: 'gaveUp' },
          retry('wallet.credit'),
        ],
        'wallet.credited': 'committing',
        'wallet.rejected': { target: 'releasing', actions: 'keepReason' },
      } as const),
      committing: waiting('account.commit', { 'account.committed': 'recording' }),
      // debitFirst: the donor's account is charged (held and committed at once), then the
      // wallet credited; a refused credit is compensated by refunding the charge.
      charging: waiting('account.charge', {
        'account.committed': 'creditingCharged',
        'account.rejected': { target: 'rejected', actions: 'keepReason' },
      } as const),
      creditingCharged: waiting('wallet.credit', {
        'wallet.credited': 'recording',
        'wallet.rejected': { target: 'compensating', actions: 'keepReason' },
      } as const),
      compensating: waiting('account.refund', { 'account.refunded': 'rejected' }),
      // optimisticCredit: the wallet is credited with no hold behind it, then the account is
      // charged; a refused charge claws the credit back unless the recipient received it.
      creditingFirst: waiting('wallet.credit', {
        'wallet.credited': 'chargingCredited',
        'wallet.rejected': { target: 'rejected', actions: 'keepReason' },
      } as const),
      chargingCredited: waiting('account.charge', {
        'account.committed': 'recording',
        'account.rejected': { target: 'clawingBack', actions: 'keepReason' },
      } as const),
      // wallet.returned: clawed back, nothing moved. wallet.received: too late, the recipient
      // has the money and no donor paid it; the saga ends rejected, and the checks say so.
      clawingBack: waiting('wallet.settle', {
        'wallet.returned': 'rejected',
        'wallet.received': 'rejected',
      }),
      releasing: waiting('account.release', { 'account.released': 'rejected' }),
      recording: waiting('liability.record', {
        'liability.recorded': [
          { guard: and(['receiptRequired', 'alreadyReceived']), target: 'received' },
          { guard: 'receiptRequired', target: 'awaitingReceipt' },
          { target: 'completed' },
        ],
      } as const),
      awaitingReceipt: {
        entry: ['resetAttempt', 'armReturn'],
        on: {
          'wallet.received': 'received',
          timeout: { guard: 'currentTimer', target: 'settling' },
          resume: { actions: ['nextAttempt', 'armReturn'] },
        },
      },
      settling: waiting('wallet.settle', {
        'wallet.received': 'received',
        'wallet.returned': 'refunding',
      }),
      refunding: waiting('account.refund', { 'account.refunded': 'unrecording' }),
      unrecording: waiting('liability.reverse', { 'liability.reversed': 'returned' }),
      completed: { type: 'final' },
      received: { type: 'final' },
      returned: { type: 'final' },
      rejected: { type: 'final' },
    },
  });
}

export type TransferSagaMachine = ReturnType<typeof createTransferSagaMachine>;
