// The donor-side saga of one transfer (DESIGN §4): reserve at the donor's province, credit at the
// recipient's wallet, then commit or release the hold, then record the origin liability (K9).
// Each step is retried with backoff until it is answered; a timeout never decides an outcome
// (only the 'timeoutFails' variant does, so the properties can show why that is wrong).
import { assign, setup, and } from 'xstate';
import type { Fen, Reason } from '../protocol/index.ts';
import type { Effects, TransferScope } from './effects.ts';
import type { ProtocolConfig } from './config.ts';
import { retryDelayMs } from './backoff.ts';
import { SETTLEMENT_ADDRESS } from './addresses.ts';

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
  readonly amount: Fen;
  readonly scope: TransferScope;
  readonly startedAt: number;
}

export interface SagaContext extends SagaInput {
  /** Attempts at the current step: drives the backoff, reset on every new step. */
  readonly attempt: number;
  /** Increments with every armed timer, so a stale timer is recognised and ignored. */
  readonly timerSeq: number;
  readonly reason: Reason | undefined;
}

/** Every saga event carries the clock and the effects of the step that delivers it. */
interface Carrier {
  readonly now: number;
  readonly fx: Effects;
}

export type SagaEvent = Carrier &
  (
    | { readonly type: 'account.reserved' | 'account.committed' | 'account.released' }
    | { readonly type: 'start' | 'wallet.credited' | 'liability.recorded' | 'resume' }
    | { readonly type: 'account.rejected' | 'wallet.rejected'; readonly reason: Reason }
    | { readonly type: 'timeout'; readonly seq: number }
  );

type StepKind = 'account.reserve' | 'wallet.credit' | 'account.commit' | 'account.release' | 'liability.record';

export function sagaTimerKey(transferId: string): string {
  return `saga:${transferId}`;
}

function sendStep(context: SagaContext, event: SagaEvent, kind: StepKind, config: ProtocolConfig): void {
  const { fx, now } = event;
  const id = context.transferId;
  switch (kind) {
    case 'account.reserve':
      fx.send(context.donorProvince, kind, id, { transferId: id, accountId: context.donorId, amount: context.amount });
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
      fx.send(context.donorProvince, kind, id, { transferId: id });
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
  fx.timer(sagaTimerKey(id), now + retryDelayMs(config, id, context.attempt), context.timerSeq);
}

export function createTransferSagaMachine(config: ProtocolConfig) {
  const giveUpOnTimeout = config.variant === 'timeoutFails';
  const retry = (kind: StepKind) =>
    ({ guard: 'currentTimer', actions: ['nextAttempt', { type: 'send', params: kind }] }) as const;
  // A waiting state: send the step on entry, resend on its own timer or after a restart.
  const waiting = <On extends object>(kind: StepKind, on: On) =>
    ({
      entry: ['resetAttempt', { type: 'send', params: kind }],
      on: { timeout: retry(kind), resume: { actions: ['nextAttempt', { type: 'send', params: kind }] }, ...on },
    }) as const;
  return setup({
    types: {
      context: {} as SagaContext,
      input: {} as SagaInput,
      events: {} as SagaEvent,
    },
    actions: {
      send: ({ context, event }, kind: StepKind) => sendStep(context, event, kind, config),
      resetAttempt: assign(({ context }) => ({ attempt: 0, timerSeq: context.timerSeq + 1 })),
      nextAttempt: assign(({ context }) => ({ attempt: context.attempt + 1, timerSeq: context.timerSeq + 1 })),
      keepReason: assign(({ event }) => ({ reason: 'reason' in event ? event.reason : undefined })),
      gaveUp: assign({ reason: 'GAVE_UP' as Reason }),
    },
    guards: {
      currentTimer: ({ context, event }) => event.type === 'timeout' && event.seq === context.timerSeq,
      giveUp: ({ context }) => giveUpOnTimeout && context.attempt + 1 >= config.giveUpAfterAttempts,
    },
  }).createMachine({
    id: 'transferSaga',
    // 'new' waits for 'start', whose event carries the effects the first step needs.
    initial: 'new',
    context: ({ input }) => ({ ...input, attempt: 0, timerSeq: 0, reason: undefined }),
    states: {
      new: { on: { start: 'reserving' } },
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
      releasing: waiting('account.release', { 'account.released': 'rejected' }),
      recording: waiting('liability.record', { 'liability.recorded': 'completed' }),
      completed: { type: 'final' },
      rejected: { type: 'final' },
    },
  });
}

export type TransferSagaMachine = ReturnType<typeof createTransferSagaMachine>;
export type SagaState =
  | 'new'
  | 'reserving'
  | 'crediting'
  | 'committing'
  | 'releasing'
  | 'recording'
  | 'completed'
  | 'rejected';
