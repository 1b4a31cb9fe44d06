// The saga of one resident-contribution payment (DOMAIN F4), kept by the payer's wallet shard:
// the resident fund of the person's place claims the person-year at the year's amount (C1, C4;
// a payer other than the person must be a close relative on the registry, E2); then the payer's
// personal account is debited (C2, same province) or the person's own wallet spends received
// money FIFO by origin (C3); then the claim is confirmed and the person is enrolled (E3's
// exception). A failed payment releases the claim. Wallet money spent sends clearing lines (K9).
import { and, setup } from 'xstate';

import type { Fen, Reason, TransferSource } from '../protocol/index.ts';
import { retryDelayMs } from './backoff.ts';
import type { ProtocolConfig } from './config.ts';
import { assignerOf } from './machine_driver.ts';
import type { TransferScope } from './regions.ts';
import {
  carrierOf,
  type PaymentLine,
  recordLine,
  retrying,
  type Spent,
  stepState,
  type WalletCarrier,
  walletLines,
} from './saga_steps.ts';
import { TIMERS } from './timers.ts';

export interface ContributionInput {
  readonly payId: string;
  readonly payerId: string;
  readonly personId: string;
  readonly year: number;
  readonly source: TransferSource;
  /** The person's ID number, as the payer entered it: the fund checks it (ID_MISMATCH). */
  readonly idNo: string;
  /** The resident fund (tax collection) of the person's province. */
  readonly fund: string;
  /** The payer's province (for an account debit). */
  readonly payerProvince: string;
  readonly personRegion: string;
  readonly requester: string;
  readonly month: number;
  readonly scope: TransferScope;
}

interface ContributionContext extends ContributionInput {
  readonly attempt: number;
  readonly timerSeq: number;
  readonly amount: Fen;
  readonly reason: Reason | undefined;
  readonly lines: readonly PaymentLine[];
  readonly lineAt: number;
}

export interface ContributionWalletPort {
  /** Spend exactly `amount` of the person's received wallet money; undefined if it is short. */
  pay(payId: string, amount: Fen, region: string): Spent | undefined;
}

/** What every contribution event carries: the step's clock and effects, and the person's wallet. */
// An interface, not an alias: the event type it names is built on it.
interface Carrier extends WalletCarrier<ContributionWalletPort, ContributionEvent> {}

type ContributionEvent = Carrier &
  (
    | { readonly type: 'start' | 'resume' | 'account.debited' | 'tax.confirmed' | 'tax.released' }
    | { readonly type: 'tax.claimed'; readonly amount: Fen }
    | { readonly type: 'tax.refused' | 'account.debitRefused'; readonly reason: Reason }
    | { readonly type: 'settlement.recorded'; readonly lineId: string }
    | { readonly type: 'timeout'; readonly seq: number }
    | { readonly type: 'wallet.paid'; readonly spent: Spent }
    | { readonly type: 'wallet.short' }
  );

type StepKind = 'tax.claim' | 'account.debit' | 'tax.confirm' | 'tax.release' | 'settlement.record';

function sendStep(
  context: ContributionContext,
  event: ContributionEvent,
  kind: StepKind,
  config: ProtocolConfig,
): void {
  const { fx, now } = event;
  const payId = context.payId;
  switch (kind) {
    case 'tax.claim':
      fx.send(context.fund, kind, payId, {
        payId,
        payerId: context.payerId,
        personId: context.personId,
        year: context.year,
        idNo: context.idNo,
      });
      break;
    case 'account.debit':
      fx.send(context.payerProvince, kind, payId, {
        payId,
        accountId: context.payerId,
        amount: context.amount,
      });
      break;
    case 'tax.confirm':
    case 'tax.release':
      fx.send(context.fund, kind, payId, { payId });
      break;
    case 'settlement.record':
      recordLine(fx, payId, context.month, context.lines[context.lineAt] as PaymentLine);
      break;
  }
  const at = now + retryDelayMs(config, payId, context.attempt);
  fx.timer(TIMERS.contributionSaga.key(payId), at, context.timerSeq);
}

type Args = { readonly context: ContributionContext; readonly event: ContributionEvent };
const change = assignerOf<ContributionContext, ContributionEvent>();
const RETRY = retrying<ContributionContext, ContributionEvent>();

/**
 * What a contribution saga does:
 * its steps out, its wallet's part, and what it keeps of each answer.
 */
function contributionActions(config: ProtocolConfig) {
  return {
    send: ({ context, event }: Args, kind: StepKind) => sendStep(context, event, kind, config),
    keepAmount: change(({ event }) => ({
      amount: event.type === 'tax.claimed' ? event.amount : 0n,
    })),
    keepReason: change(({ event }) => ({
      reason:
        event.type === 'tax.refused' || event.type === 'account.debitRefused'
          ? event.reason
          : undefined,
    })),
    // C3: the person's own wallet pays; its answer follows in the same step.
    payWallet: ({ context, event }: Args) => {
      const spent = event.wallet.pay(context.payId, context.amount, context.personRegion);
      const carrier = carrierOf(event);
      event.followUp(
        spent === undefined
          ? { ...carrier, type: 'wallet.short' }
          : { ...carrier, type: 'wallet.paid', spent },
      );
    },
    keepLines: change(({ context, event }) =>
      event.type === 'wallet.paid'
        ? { lines: walletLines(context.payId, event.spent, context.personRegion), lineAt: 0 }
        : {},
    ),
    short: change(() => ({ reason: 'FUNDS' })),
    nextLine: change(({ context }) => ({ lineAt: context.lineAt + 1 })),
  };
}

/** What a contribution saga asks of an answer or of itself. */
const CONTRIBUTION_GUARDS = {
  fromWallet: ({ context }: Args) => context.source === 'WALLET',
  currentLine: ({ context, event }: Args) =>
    event.type === 'settlement.recorded' && event.lineId === context.lines[context.lineAt]?.lineId,
  moreLines: ({ context }: Args) => context.lineAt + 1 < context.lines.length,
  noLines: ({ context }: Args) => context.lines.length === 0,
};

// A waiting state: send the step on entry, resend on its own timer or after a restart.
const waiting = <On extends object>(kind: StepKind, on: On) => stepState(kind, on);

export function createContributionSagaMachine(config: ProtocolConfig) {
  return setup({
    types: {
      context: {} as ContributionContext,
      input: {} as ContributionInput,
      events: {} as ContributionEvent,
    },
    actions: { ...RETRY.actions, ...contributionActions(config) },
    guards: { ...RETRY.guards, ...CONTRIBUTION_GUARDS },
  }).createMachine({
    id: 'contributionSaga',
    initial: 'new',
    context: ({ input }) => ({
      ...input,
      attempt: 0,
      timerSeq: 0,
      amount: 0n,
      reason: undefined,
      lines: [],
      lineAt: 0,
    }),
    states: {
      new: { on: { start: 'claiming' } },
      claiming: waiting('tax.claim', {
        'tax.claimed': [
          { guard: 'fromWallet', target: 'walletPaying', actions: 'keepAmount' },
          { target: 'debiting', actions: 'keepAmount' },
        ],
        'tax.refused': { target: 'rejected', actions: 'keepReason' },
      } as const),
      // The person's wallet pays, or is short of money; its answer follows in the same step.
      walletPaying: {
        entry: 'payWallet',
        on: {
          'wallet.paid': { target: 'confirming', actions: 'keepLines' },
          'wallet.short': { target: 'releasing', actions: 'short' },
        },
      },
      debiting: waiting('account.debit', {
        'account.debited': 'confirming',
        'account.debitRefused': { target: 'releasing', actions: 'keepReason' },
      } as const),
      releasing: waiting('tax.release', { 'tax.released': 'rejected' } as const),
      confirming: waiting('tax.confirm', {
        'tax.confirmed': [{ guard: 'noLines', target: 'paid' }, { target: 'recording' }],
      } as const),
      recording: waiting('settlement.record', {
        'settlement.recorded': [
          {
            guard: and(['currentLine', 'moreLines']),
            target: 'recording',
            reenter: true,
            actions: 'nextLine',
          },
          { guard: 'currentLine', target: 'paid' },
        ],
      } as const),
      paid: { type: 'final' },
      rejected: { type: 'final' },
    },
  });
}

export type ContributionSagaMachine = ReturnType<typeof createContributionSagaMachine>;
