// The saga of one resident-contribution payment (DOMAIN F4), kept by the payer's wallet shard:
// the resident fund of the person's place claims the person-year at the year's amount (C1, C4;
// a payer other than the person must be a close relative on the registry, E2); then the payer's
// personal account is debited (C2, same province) or the person's own wallet spends received
// money FIFO by origin (C3); then the claim is confirmed and the person is enrolled (E3's
// exception). A failed payment releases the claim. Wallet money spent sends clearing lines (K9).
import { and, assign, setup } from 'xstate';
import type { Fen, Reason } from '../protocol/index.ts';
import type { Effects, TransferScope } from './effects.ts';
import type { ProtocolConfig } from './config.ts';
import { retryDelayMs } from './backoff.ts';
import { stepState } from './saga_steps.ts';
import { SETTLEMENT_ADDRESS } from './addresses.ts';
import type { BillLine } from './bill_saga.machine.ts';

export interface ContributionInput {
  readonly payId: string;
  readonly payerId: string;
  readonly personId: string;
  readonly year: number;
  readonly source: 'ACCOUNT' | 'WALLET';
  /** The resident fund (tax collection) of the person's province. */
  readonly fund: string;
  /** The payer's province (for an account debit). */
  readonly payerProvince: string;
  readonly personRegion: string;
  readonly requester: string;
  readonly month: number;
  readonly scope: TransferScope;
}

export interface ContributionContext extends ContributionInput {
  readonly attempt: number;
  readonly timerSeq: number;
  readonly amount: Fen;
  readonly reason: Reason | undefined;
  readonly lines: readonly BillLine[];
  readonly lineAt: number;
}

export interface ContributionWalletPort {
  /** Spend exactly `amount` of the person's received wallet money; false if there is not enough. */
  pay(
    payId: string,
    amount: Fen,
    region: string,
  ): ReadonlyArray<{ readonly originRegion: string; readonly amount: Fen }> | undefined;
}

interface Carrier {
  readonly now: number;
  readonly fx: Effects;
  readonly wallet: ContributionWalletPort;
}

export type ContributionEvent = Carrier &
  (
    | { readonly type: 'start' | 'resume' | 'account.debited' | 'tax.confirmed' | 'tax.released' }
    | { readonly type: 'tax.claimed'; readonly amount: Fen }
    | { readonly type: 'tax.refused' | 'account.debitRefused'; readonly reason: Reason }
    | { readonly type: 'settlement.recorded'; readonly lineId: string }
    | { readonly type: 'timeout'; readonly seq: number }
  );

type StepKind = 'tax.claim' | 'account.debit' | 'tax.confirm' | 'tax.release' | 'settlement.record';

export function contributionTimerKey(payId: string): string {
  return `pay:${payId}`;
}

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
    case 'settlement.record': {
      const { lineId, ledger, payerRegion, payeeRegion, amount } = context.lines[
        context.lineAt
      ] as BillLine;
      fx.send(SETTLEMENT_ADDRESS, kind, payId, {
        lineId,
        month: context.month,
        ledger,
        payerRegion,
        payeeRegion,
        amount,
      });
      break;
    }
  }
  fx.timer(
    contributionTimerKey(payId),
    now + retryDelayMs(config, payId, context.attempt),
    context.timerSeq,
  );
}

export function createContributionSagaMachine(config: ProtocolConfig) {
  const waiting = <On extends object>(kind: StepKind, on: On) => stepState(kind, on);
  return setup({
    types: {
      context: {} as ContributionContext,
      input: {} as ContributionInput,
      events: {} as ContributionEvent,
    },
    actions: {
      send: ({ context, event }, kind: StepKind) => sendStep(context, event, kind, config),
      resetAttempt: assign(({ context }) => ({ attempt: 0, timerSeq: context.timerSeq + 1 })),
      nextAttempt: assign(({ context }) => ({
        attempt: context.attempt + 1,
        timerSeq: context.timerSeq + 1,
      })),
      keepAmount: assign(({ event }) => ({
        amount: event.type === 'tax.claimed' ? event.amount : 0n,
      })),
      keepReason: assign(({ event }) => ({
        reason:
          event.type === 'tax.refused' || event.type === 'account.debitRefused'
            ? event.reason
            : undefined,
      })),
      noFunds: assign({ reason: 'FUNDS' as Reason }),
      // C3: the person's own wallet pays, in the same step as the claim's answer arrives.
      payFromWallet: assign(({ context, event }) => {
        const spent = event.wallet.pay(context.payId, context.amount, context.personRegion);
        if (spent === undefined) return { reason: 'FUNDS' as Reason };
        const byOrigin = new Map<string, Fen>();
        for (const p of spent)
          byOrigin.set(p.originRegion, (byOrigin.get(p.originRegion) ?? 0n) + p.amount);
        const lines: BillLine[] = [...byOrigin].map(([origin, amount], i) => ({
          lineId: `${context.payId}.w${i}`,
          ledger: 'wallet',
          payerRegion: origin,
          payeeRegion: context.personRegion,
          amount,
        }));
        return { lines, lineAt: 0 };
      }),
      nextLine: assign(({ context }) => ({ lineAt: context.lineAt + 1 })),
      accepted: ({ context, event }) =>
        event.fx.send(context.requester, 'contribution.accepted', context.payId, {
          payId: context.payId,
        }),
    },
    guards: {
      currentTimer: ({ context, event }) =>
        event.type === 'timeout' && event.seq === context.timerSeq,
      fromWallet: ({ context }) => context.source === 'WALLET',
      walletShort: ({ context }) => context.reason === 'FUNDS',
      currentLine: ({ context, event }) =>
        event.type === 'settlement.recorded' &&
        event.lineId === context.lines[context.lineAt]?.lineId,
      moreLines: ({ context }) => context.lineAt + 1 < context.lines.length,
      noLines: ({ context }) => context.lines.length === 0,
    },
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
          { guard: 'fromWallet', target: 'walletPaying', actions: ['keepAmount', 'payFromWallet'] },
          { target: 'debiting', actions: 'keepAmount' },
        ],
        'tax.refused': { target: 'rejected', actions: 'keepReason' },
      } as const),
      // A decision taken locally in the step that entered it: paid, or short of money.
      walletPaying: {
        always: [{ guard: 'walletShort', target: 'releasing' }, { target: 'confirming' }],
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
