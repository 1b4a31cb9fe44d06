// The saga of one bill (DOMAIN F3, D1–D11), kept by the patient's wallet shard as the national
// hub. Pre-settle: the insured province splits the bill by its own policy and holds the patient's
// account share (D1, D2, P3); the wallet sets aside received money for the rest, FIFO by origin
// (acctMulaidPay); cash pays what is left. Settle: the account share is paid, the wallet money
// spent, and one clearing line per ledger and origin goes to settlement (K9). Cancel (2208/2103)
// or reversal (2601) undoes whatever was done, before or after settle, and the msgid can never
// settle again (D11). A pre-settlement never settled expires after `presettleTtlMs`.
import { and, assign, setup } from 'xstate';
import type { Fen, Reason } from '../protocol/index.ts';
import type { BillOutcome, BillScope, Effects } from './effects.ts';
import type { ProtocolConfig } from './config.ts';
import { retryDelayMs } from './backoff.ts';
import { stepState } from './saga_steps.ts';
import { SETTLEMENT_ADDRESS } from './addresses.ts';

export interface BillInput {
  readonly billId: string;
  readonly personId: string;
  /** The insured province's address: it decides the split (D2). */
  readonly insuredProvince: string;
  readonly treatmentRegion: string;
  readonly care: 'outpatient' | 'pharmacy' | 'inpatient' | 'chronic';
  readonly disease: string;
  readonly total: Fen;
  readonly eligible: Fen;
  readonly emergency: 'Y' | 'N';
  readonly networked: 'Y' | 'N';
  readonly useWallet: 'Y' | 'N';
  /** The provider's POS, which gets every answer. */
  readonly requester: string;
  readonly startedAt: number;
  /** Settlement month (YYYYMM) for the clearing lines (setlym). */
  readonly month: number;
  readonly scope: BillScope;
  /** The patient's insured region, for the clearing lines (the shard knows the wallet's). */
  readonly insuredRegion: string;
}

/** One clearing line this bill sends to settlement (F5). */
export interface BillLine {
  readonly lineId: string;
  readonly ledger: 'medical' | 'wallet';
  readonly payerRegion: string;
  readonly payeeRegion: string;
  readonly amount: Fen;
}

export type Undo = 'cancelled' | 'reversed' | 'expired';

export interface BillContext extends BillInput {
  readonly attempt: number;
  readonly timerSeq: number;
  readonly fundPay: Fen;
  readonly acctPay: Fen;
  readonly acctMulaidPay: Fen;
  readonly cashPay: Fen;
  readonly reason: Reason | undefined;
  readonly lines: readonly BillLine[];
  readonly lineAt: number;
  /** A cancellation or reversal that arrived while a step was in flight, or the one under way. */
  readonly undo: Undo | undefined;
}

interface Carrier {
  readonly now: number;
  readonly fx: Effects;
  /** The patient's wallet, through the shard: hold, spend, release or restore. */
  readonly wallet: BillWalletPort;
}

export interface BillWalletPort {
  /** Set aside up to `max` for the bill; returns what was set aside (W16, W17, FIFO). */
  hold(billId: string, max: Fen, spendRegion: string): Fen;
  /** Spend what was set aside; returns the pieces by origin (K9). */
  commit(billId: string): ReadonlyArray<{ readonly originRegion: string; readonly amount: Fen }>;
  release(billId: string): void;
  undo(billId: string): void;
}

export type BillEvent = Carrier &
  (
    | { readonly type: 'start' | 'resume' | 'bill.committed' | 'bill.released' | 'bill.refunded' }
    | { readonly type: 'bill.settle' | 'bill.cancel' | 'bill.reverse' }
    | {
        readonly type: 'bill.reserved';
        readonly fundPay: Fen;
        readonly acctPay: Fen;
        readonly remainder: Fen;
      }
    | { readonly type: 'bill.rejected'; readonly reason: Reason }
    | { readonly type: 'settlement.recorded' | 'settlement.unrecorded'; readonly lineId: string }
    | { readonly type: 'timeout'; readonly seq: number }
  );

type StepKind =
  | 'bill.reserve'
  | 'bill.commit'
  | 'bill.release'
  | 'bill.refund'
  | 'settlement.record'
  | 'settlement.unrecord';

export function billTimerKey(billId: string): string {
  return `billsaga:${billId}`;
}

/** The outcome a final (or resting) state reports. */
export const BILL_OUTCOME_OF_STATE: Readonly<Record<string, BillOutcome>> = {
  settled: 'settled',
  refused: 'refused',
  cancelled: 'cancelled',
  reversed: 'reversed',
  expired: 'expired',
};

function sendStep(
  context: BillContext,
  event: BillEvent,
  kind: StepKind,
  config: ProtocolConfig,
): void {
  const { fx, now } = event;
  const billId = context.billId;
  switch (kind) {
    case 'bill.reserve': {
      const { personId, treatmentRegion, care, disease, total, eligible, emergency, networked } =
        context;
      fx.send(context.insuredProvince, kind, billId, {
        billId,
        personId,
        treatmentRegion,
        care,
        disease,
        total,
        eligible,
        emergency,
        networked,
      });
      break;
    }
    case 'bill.commit':
    case 'bill.release':
    case 'bill.refund':
      fx.send(context.insuredProvince, kind, billId, { billId });
      break;
    case 'settlement.record': {
      const line = context.lines[context.lineAt] as BillLine;
      const { lineId, ledger, payerRegion, payeeRegion, amount } = line;
      fx.send(SETTLEMENT_ADDRESS, kind, billId, {
        lineId,
        month: context.month,
        ledger,
        payerRegion,
        payeeRegion,
        amount,
      });
      break;
    }
    case 'settlement.unrecord': {
      const line = context.lines[context.lineAt] as BillLine;
      fx.send(SETTLEMENT_ADDRESS, kind, billId, { lineId: line.lineId });
      break;
    }
  }
  fx.timer(
    billTimerKey(billId),
    now + retryDelayMs(config, billId, context.attempt),
    context.timerSeq,
  );
}

function reply(
  context: BillContext,
  fx: Effects,
  state: 'presettled' | 'settled' | 'refused' | Undo,
): void {
  const { billId, requester } = context;
  switch (state) {
    case 'presettled': {
      const { fundPay, acctPay, acctMulaidPay, cashPay } = context;
      fx.send(requester, 'bill.presettled', billId, {
        billId,
        fundPay,
        acctPay,
        acctMulaidPay,
        cashPay,
      });
      return;
    }
    case 'settled':
      fx.send(requester, 'bill.settled', billId, { billId });
      return;
    case 'refused':
      fx.send(requester, 'bill.refused', billId, { billId, reason: context.reason ?? 'E3' });
      return;
    case 'cancelled':
      fx.send(requester, 'bill.cancelled', billId, { billId });
      return;
    case 'reversed':
      fx.send(requester, 'bill.reversed', billId, { billId });
      return;
    case 'expired':
      return; // nobody asked: the POS never came back
  }
}

/** The clearing lines of a settled bill: the medical share, and the wallet's per origin (K9). */
function linesOf(
  context: BillContext,
  spent: ReadonlyArray<{ readonly originRegion: string; readonly amount: Fen }>,
): BillLine[] {
  const lines: BillLine[] = [];
  const medical = context.fundPay + context.acctPay;
  if (medical > 0n) {
    lines.push({
      lineId: `${context.billId}.m`,
      ledger: 'medical',
      payerRegion: context.insuredRegion,
      payeeRegion: context.treatmentRegion,
      amount: medical,
    });
  }
  const byOrigin = new Map<string, Fen>();
  for (const p of spent)
    byOrigin.set(p.originRegion, (byOrigin.get(p.originRegion) ?? 0n) + p.amount);
  [...byOrigin].forEach(([origin, amount], i) => {
    lines.push({
      lineId: `${context.billId}.w${i}`,
      ledger: 'wallet',
      payerRegion: origin,
      payeeRegion: context.treatmentRegion,
      amount,
    });
  });
  return lines;
}

export function createBillSagaMachine(config: ProtocolConfig) {
  // `first` runs before the step is sent: the wallet's part, done locally in the same step.
  const waiting = <On extends object>(
    kind: StepKind,
    on: On,
    first?: 'spend' | 'releaseWallet' | 'undoWallet',
  ) => stepState(kind, on, first === undefined ? [] : [first]);
  // A cancellation or reversal while a step is in flight is remembered and acted on after it.
  const remember = {
    'bill.cancel': { actions: { type: 'remember', params: 'cancelled' } },
    'bill.reverse': { actions: { type: 'remember', params: 'reversed' } },
  } as const;
  return setup({
    types: { context: {} as BillContext, input: {} as BillInput, events: {} as BillEvent },
    actions: {
      send: ({ context, event }, kind: StepKind) => sendStep(context, event, kind, config),
      resetAttempt: assign(({ context }) => ({ attempt: 0, timerSeq: context.timerSeq + 1 })),
      nextAttempt: assign(({ context }) => ({
        attempt: context.attempt + 1,
        timerSeq: context.timerSeq + 1,
      })),
      remember: assign(({ context }, undo: Undo) => ({ undo: context.undo ?? undo })),
      split: assign(({ context, event }) => {
        if (event.type !== 'bill.reserved') return {};
        const { fundPay, acctPay, remainder } = event;
        const wallet =
          context.useWallet === 'Y' && remainder > 0n && context.undo === undefined
            ? event.wallet.hold(context.billId, remainder, context.treatmentRegion)
            : 0n;
        return { fundPay, acctPay, acctMulaidPay: wallet, cashPay: remainder - wallet };
      }),
      keepReason: assign(({ event }) => ({
        reason: event.type === 'bill.rejected' ? event.reason : undefined,
      })),
      replyPresettled: ({ context, event }) => reply(context, event.fx, 'presettled'),
      replySettled: ({ context, event }) => reply(context, event.fx, 'settled'),
      replyRefused: ({ context, event }) => reply(context, event.fx, 'refused'),
      replyUndone: ({ context, event }) => reply(context, event.fx, context.undo ?? 'cancelled'),
      armExpiry: ({ context, event }) =>
        event.fx.timer(
          billTimerKey(context.billId),
          context.startedAt + config.presettleTtlMs,
          context.timerSeq,
        ),
      spend: assign(({ context, event }) => ({
        lines: linesOf(context, event.wallet.commit(context.billId)),
        lineAt: 0,
      })),
      releaseWallet: ({ context, event }) => event.wallet.release(context.billId),
      undoWallet: ({ context, event }) => event.wallet.undo(context.billId),
      nextLine: assign(({ context }) => ({ lineAt: context.lineAt + 1 })),
      lastLine: assign(({ context }) => ({ lineAt: context.lines.length - 1 })),
      previousLine: assign(({ context }) => ({ lineAt: context.lineAt - 1 })),
      expire: assign({ undo: 'expired' as Undo }),
      undoAs: assign(({ context }, undo: Undo) => ({ undo: context.undo ?? undo })),
    },
    guards: {
      currentTimer: ({ context, event }) =>
        event.type === 'timeout' && event.seq === context.timerSeq,
      undoPending: ({ context }) => context.undo !== undefined,
      currentLine: ({ context, event }) =>
        (event.type === 'settlement.recorded' || event.type === 'settlement.unrecorded') &&
        event.lineId === context.lines[context.lineAt]?.lineId,
      moreLines: ({ context }) => context.lineAt + 1 < context.lines.length,
      noLines: ({ context }) => context.lines.length === 0,
      earlierLines: ({ context }) => context.lineAt > 0,
    },
  }).createMachine({
    id: 'billSaga',
    initial: 'new',
    context: ({ input }) => ({
      ...input,
      attempt: 0,
      timerSeq: 0,
      fundPay: 0n,
      acctPay: 0n,
      acctMulaidPay: 0n,
      cashPay: 0n,
      reason: undefined,
      lines: [],
      lineAt: 0,
      undo: undefined,
    }),
    states: {
      new: { on: { start: 'reserving' } },
      reserving: waiting('bill.reserve', {
        ...remember,
        'bill.reserved': [
          { guard: 'undoPending', target: 'releasing', actions: 'split' },
          { target: 'presettled', actions: 'split' },
        ],
        'bill.rejected': { target: 'refused', actions: 'keepReason' },
      } as const),
      presettled: {
        entry: ['resetAttempt', 'replyPresettled', 'armExpiry'],
        on: {
          'bill.settle': 'committing',
          'bill.cancel': { target: 'releasing', actions: { type: 'undoAs', params: 'cancelled' } },
          'bill.reverse': { target: 'releasing', actions: { type: 'undoAs', params: 'reversed' } },
          timeout: { guard: 'currentTimer', target: 'releasing', actions: 'expire' },
          resume: { actions: ['nextAttempt', 'armExpiry'] },
        },
      },
      committing: waiting(
        'bill.commit',
        {
          ...remember,
          'bill.committed': [{ guard: 'noLines', target: 'settled' }, { target: 'recording' }],
        } as const,
        'spend',
      ),
      recording: waiting('settlement.record', {
        ...remember,
        'settlement.recorded': [
          {
            guard: and(['currentLine', 'moreLines']),
            target: 'recording',
            reenter: true,
            actions: 'nextLine',
          },
          { guard: 'currentLine', target: 'settled' },
        ],
      } as const),
      settled: {
        always: { guard: 'undoPending', target: 'unwinding' },
        entry: 'replySettled',
        on: {
          'bill.cancel': { target: 'unwinding', actions: { type: 'undoAs', params: 'cancelled' } },
          'bill.reverse': { target: 'unwinding', actions: { type: 'undoAs', params: 'reversed' } },
        },
      },
      releasing: waiting('bill.release', { 'bill.released': 'undone' } as const, 'releaseWallet'),
      unwinding: waiting(
        'bill.refund',
        {
          'bill.refunded': [
            { guard: 'noLines', target: 'undone' },
            { target: 'unrecording', actions: 'lastLine' },
          ],
        } as const,
        'undoWallet',
      ),
      unrecording: waiting('settlement.unrecord', {
        'settlement.unrecorded': [
          {
            guard: and(['currentLine', 'earlierLines']),
            target: 'unrecording',
            reenter: true,
            actions: 'previousLine',
          },
          { guard: 'currentLine', target: 'undone' },
        ],
      } as const),
      // Resting states before the final one, so the reply and the outcome follow the undo kind.
      undone: {
        always: [
          { guard: ({ context }) => context.undo === 'reversed', target: 'reversed' },
          { guard: ({ context }) => context.undo === 'expired', target: 'expired' },
          { target: 'cancelled' },
        ],
      },
      refused: { type: 'final', entry: 'replyRefused' },
      cancelled: { type: 'final', entry: 'replyUndone' },
      reversed: { type: 'final', entry: 'replyUndone' },
      expired: { type: 'final' },
    },
  });
}

export type BillSagaMachine = ReturnType<typeof createBillSagaMachine>;
