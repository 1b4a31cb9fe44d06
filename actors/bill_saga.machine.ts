// The saga of one bill (DOMAIN F3, D1–D11), kept by the patient's wallet shard as the national
// hub. Pre-settle: the insured province splits the bill by its own policy and holds the patient's
// account share (D1, D2, P3); the wallet sets aside received money for the rest, FIFO by origin
// (acctMulaidPay); cash pays what is left. Settle: the account share is paid, the wallet money
// spent, and one clearing line per ledger and origin goes to settlement (K9). Cancel (2208/2103)
// or reversal (2601) undoes whatever was done, before or after settle, and the msgid can never
// settle again (D11). A pre-settlement never settled expires after `presettleTtlMs`.
//
// The wallet's part is local to the shard: a named action asks the wallet (through the event's
// `wallet` port) and the wallet's answer comes back as the saga's next event in the same step
// (`wallet.held`, `wallet.spent`), so the machine decides on it like on any other answer.
import { and, setup } from 'xstate';

import type { Care, Fen, Flag, Reason } from '../protocol/index.ts';
import { NO_AID } from '../protocol/index.ts';
import { provinceAddress } from './addresses.ts';
import { retryDelayMs } from './backoff.ts';
import type { ProtocolConfig } from './config.ts';
import type { BillOutcome, Effects, FamilyAidView } from './effects.ts';
import { assignerOf } from './machine_driver.ts';
import { aidLineId, medicalLineId } from './records.ts';
import { type BillScope, provinceOfRegion, type TransferScope } from './regions.ts';
import {
  carrierOf,
  clearedLines,
  type PaymentLine,
  recordLine,
  retrying,
  type Spent,
  stepState,
  unrecordLine,
  type WalletCarrier,
  walletLines,
} from './saga_steps.ts';
import { TIMERS } from './timers.ts';

export interface BillInput {
  readonly billId: string;
  readonly personId: string;
  /** The insured province's address: it decides the split (D2). */
  readonly insuredProvince: string;
  readonly treatmentRegion: string;
  readonly care: Care;
  readonly disease: string;
  readonly total: Fen;
  readonly eligible: Fen;
  readonly emergency: Flag;
  readonly networked: Flag;
  readonly useWallet: Flag;
  /** The provider's POS, which gets every answer. */
  readonly requester: string;
  readonly startedAt: number;
  /** Settlement month (YYYYMM) for the clearing lines (setlym). */
  readonly month: number;
  readonly scope: BillScope;
  /** The patient's insured region, for the clearing lines (the shard knows the wallet's). */
  readonly insuredRegion: string;
  /**
   * Family mutual aid at the point of care: the relative asked to pay (NO_AID: none), their
   * region when the patient's wallet holds an active relation from them within its scope (E7,
   * E8), else '' and why not.
   */
  readonly aidBy: string;
  readonly aidRegion: string;
  readonly aidReason: Reason | undefined;
  /** The relation's scope (the relative's region to the patient's); in region if unknown. */
  readonly aidScope: TransferScope;
}

export function familyAidOf(context: BillContext): FamilyAidView | undefined {
  if (context.aidBy === NO_AID) return undefined;
  return { scope: context.aidScope, pay: context.aidPay, reason: context.aidReason };
}

type Undo = 'cancelled' | 'reversed' | 'expired';

export interface BillContext extends BillInput {
  readonly attempt: number;
  readonly timerSeq: number;
  readonly fundPay: Fen;
  readonly acctPay: Fen;
  readonly acctMulaidPay: Fen;
  /** What the relative's personal account pays (family mutual aid): acctMulaidPay's other part. */
  readonly aidPay: Fen;
  /** What cash pays: the province's remainder, less what the wallet and family aid cover. */
  readonly cashPay: Fen;
  readonly reason: Reason | undefined;
  readonly lines: readonly PaymentLine[];
  readonly lineAt: number;
  /** A cancellation or reversal that arrived while a step was in flight, or the one under way. */
  readonly undo: Undo | undefined;
}

/** What every bill event carries: the step's clock and effects, and the patient's wallet. */
// An interface, not an alias: the event type it names is built on it.
interface Carrier extends WalletCarrier<BillWalletPort, BillEvent> {}

export interface BillWalletPort {
  /** Set aside up to `max` for the bill; returns what was set aside (W16, W17, FIFO). */
  hold(billId: string, max: Fen, spendRegion: string): Fen;
  /** Spend what was set aside; returns the pieces by origin (K9). */
  commit(billId: string): Spent;
  release(billId: string): void;
  undo(billId: string): void;
}

export type PosRequest = 'bill.presettle' | 'bill.settle' | 'bill.cancel' | 'bill.reverse';

/** A province's answers that say only that a bill's step is done (its share moved). */
export type BillStepDone =
  | 'bill.committed'
  | 'bill.released'
  | 'bill.refunded'
  | 'aid.committed'
  | 'aid.released'
  | 'aid.refunded'
  | 'provider.paid'
  | 'provider.refunded';

export type BillEvent = Carrier &
  (
    | { readonly type: 'start' | 'resume' | BillStepDone }
    | { readonly type: 'aid.reserved'; readonly amount: Fen; readonly region: string }
    | { readonly type: 'aid.rejected'; readonly reason: Reason }
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
    | { readonly type: 'wallet.held'; readonly amount: Fen }
    | { readonly type: 'wallet.spent'; readonly spent: Spent }
  );

type StepKind =
  | 'bill.reserve'
  | 'bill.commit'
  | 'bill.release'
  | 'bill.refund'
  | 'aid.reserve'
  | 'aid.commit'
  | 'aid.release'
  | 'aid.refund'
  | 'provider.pay'
  | 'provider.refund'
  | 'settlement.record'
  | 'settlement.unrecord';

/** The outcome a state reports when a bill reaches it (F3). */
export const BILL_OUTCOME_OF_STATE: Readonly<Record<string, BillOutcome>> = {
  presettled: 'presettled',
  settled: 'settled',
  refused: 'refused',
  cancelled: 'cancelled',
  reversed: 'reversed',
  expired: 'expired',
};

/** The states a bill rests in: each reports an outcome (a pre-settlement waits for its POS). */
export const BILL_AT_REST: ReadonlySet<string> = new Set(Object.keys(BILL_OUTCOME_OF_STATE));

/** The answer a POS gets for a bill in `state` when it asks `asked`; undefined: none (yet). */
type PosAnswer =
  'presettled' | 'settled' | 'refused' | 'cancelled' | 'reversed' | 'D11' | 'PRESETTLE_EXPIRED';

export function posAnswerOf(state: string, asked: PosRequest): PosAnswer | undefined {
  switch (state) {
    case 'presettled':
      return asked === 'bill.presettle' ? 'presettled' : undefined;
    case 'settled':
    case 'refused':
      return state;
    case 'cancelled':
    case 'reversed':
    case 'expired':
      // D11: after a cancellation or reversal the same msgid never settles.
      if (asked === 'bill.reverse' && state !== 'cancelled') return 'reversed';
      if (asked === 'bill.reverse' || asked === 'bill.cancel') return 'cancelled';
      return state === 'expired' ? 'PRESETTLE_EXPIRED' : 'D11';
    default:
      return undefined; // a step is in flight: the answer comes when it lands
  }
}

/**
 * Tell a POS what became of a bill: as the saga reaches a state, and again to a POS that asks
 * about a bill whose saga has moved on. The one place a POS answer is written.
 */
export function answerPos(
  context: BillContext,
  to: string,
  state: string,
  asked: PosRequest,
  fx: Effects,
): void {
  const { billId } = context;
  switch (posAnswerOf(state, asked)) {
    case 'presettled': {
      const { fundPay, acctPay, cashPay, month } = context;
      // acctMulaidPay: the wallet's part and a relative's account's part (DOMAIN P3, U32).
      const acctMulaidPay = context.acctMulaidPay + context.aidPay;
      const body = { billId, fundPay, acctPay, acctMulaidPay, cashPay, month };
      fx.send(to, 'bill.presettled', billId, body);
      return;
    }
    case 'settled':
      fx.send(to, 'bill.settled', billId, { billId });
      return;
    case 'refused':
      fx.send(to, 'bill.refused', billId, { billId, reason: context.reason ?? 'E3' });
      return;
    case 'cancelled':
      fx.send(to, 'bill.cancelled', billId, { billId });
      return;
    case 'reversed':
      fx.send(to, 'bill.reversed', billId, { billId });
      return;
    case 'D11':
    case 'PRESETTLE_EXPIRED': {
      const reason = posAnswerOf(state, asked) as Reason;
      fx.send(to, 'bill.refused', billId, { billId, reason });
      return;
    }
    case undefined:
      return;
  }
}

/** The request a state answers as the saga reaches it (an expiry answers nobody: the POS left). */
const ANSWERED_ON_ENTRY = {
  presettled: 'bill.presettle',
  settled: 'bill.settle',
  refused: 'bill.presettle',
  cancelled: 'bill.cancel',
  reversed: 'bill.reverse',
} as const satisfies Partial<Record<string, PosRequest>>;

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
      const body = {
        billId,
        personId,
        treatmentRegion,
        care,
        disease,
        total,
        eligible,
        emergency,
        networked,
      };
      fx.send(context.insuredProvince, kind, billId, body);
      break;
    }
    case 'bill.commit':
      fx.send(context.insuredProvince, kind, billId, { billId, month: context.month });
      break;
    case 'bill.release':
    case 'bill.refund':
      fx.send(context.insuredProvince, kind, billId, { billId });
      break;
    case 'aid.reserve': {
      const { aidBy: accountId, personId: patientId, treatmentRegion, cashPay: max } = context;
      const body = { billId, accountId, patientId, treatmentRegion, max };
      fx.send(aidProvinceOf(context), kind, billId, body);
      break;
    }
    case 'aid.commit':
      fx.send(aidProvinceOf(context), kind, billId, { billId, month: context.month });
      break;
    case 'aid.release':
    case 'aid.refund':
      fx.send(aidProvinceOf(context), kind, billId, { billId });
      break;
    case 'provider.pay': {
      // K6: everything but cash is paid by the treatment region's fund, cash by the patient.
      const { month, insuredRegion, treatmentRegion, cashPay: cash } = context;
      const paid = context.fundPay + context.acctPay + context.aidPay + context.acctMulaidPay;
      // Of it, the lines other provinces owe: national clearing repays them to the pool.
      const here = provinceOfRegion(treatmentRegion);
      let national = 0n;
      for (const line of clearedLines(context.lines))
        if (provinceOfRegion(line.payerRegion) !== here) national += line.amount;
      // K2: the lines the treatment place confirms its monthly allocation against.
      const medicalLine = context.fundPay + context.acctPay;
      const aidLine = context.aidPay;
      const aidRegion = aidLine > 0n ? context.aidRegion : insuredRegion;
      const lines = { medicalLine, aidLine, aidRegion };
      const body = {
        billId,
        month,
        insuredRegion,
        treatmentRegion,
        paid,
        cash,
        national,
        ...lines,
      };
      fx.send(treatmentProvinceOf(context), kind, billId, body);
      break;
    }
    case 'provider.refund':
      fx.send(treatmentProvinceOf(context), kind, billId, { billId });
      break;
    case 'settlement.record':
      recordLine(fx, billId, context.month, context.lines[context.lineAt] as PaymentLine);
      break;
    case 'settlement.unrecord':
      unrecordLine(fx, billId, context.lines[context.lineAt] as PaymentLine);
      break;
  }
  const at = now + retryDelayMs(config, billId, context.attempt);
  fx.timer(TIMERS.billSaga.key(billId), at, context.timerSeq);
}

/** The province of the treatment region, which pays its providers (K6). */
function treatmentProvinceOf(context: BillContext): string {
  return provinceAddress(provinceOfRegion(context.treatmentRegion));
}

/** The province of the relative whose account pays a bill's family aid. */
function aidProvinceOf(context: BillContext): string {
  return provinceAddress(provinceOfRegion(context.aidRegion));
}

/**
 * The clearing lines of a settled bill: the medical share (the insured region owes the
 * treatment place), family aid (the relative's region owes it), and the wallet's per origin
 * (K9).
 */
function linesOf(context: BillContext, spent: Spent): PaymentLine[] {
  const { billId, treatmentRegion: payeeRegion } = context;
  const medical = context.fundPay + context.acctPay;
  const lines: PaymentLine[] = [];
  if (medical > 0n) {
    const payerRegion = context.insuredRegion;
    lines.push({
      lineId: medicalLineId(billId),
      ledger: 'medical',
      payerRegion,
      payeeRegion,
      amount: medical,
    });
  }
  if (context.aidPay > 0n) {
    const payerRegion = context.aidRegion;
    lines.push({
      lineId: aidLineId(billId),
      ledger: 'medical',
      payerRegion,
      payeeRegion,
      amount: context.aidPay,
    });
  }
  return [...lines, ...walletLines(billId, spent, payeeRegion)];
}

type Args = { readonly context: BillContext; readonly event: BillEvent };
const change = assignerOf<BillContext, BillEvent>();
const RETRY = retrying<BillContext, BillEvent>();

/** What a bill saga does: its steps out, its wallet's part, and what it keeps of each answer. */
function billActions(config: ProtocolConfig) {
  return {
    send: ({ context, event }: Args, kind: StepKind) => sendStep(context, event, kind, config),
    remember: change(({ context }, undo: Undo) => ({ undo: context.undo ?? undo })),
    // The province's split: cash pays its remainder until the wallet says what it covers.
    keepSplit: change(({ event }) =>
      event.type === 'bill.reserved'
        ? { fundPay: event.fundPay, acctPay: event.acctPay, cashPay: event.remainder }
        : {},
    ),
    holdWallet: ({ context, event }: Args) => {
      const wants = context.useWallet === 'Y' && context.cashPay > 0n && context.undo === undefined;
      const amount = wants
        ? event.wallet.hold(context.billId, context.cashPay, context.treatmentRegion)
        : 0n;
      event.followUp({ ...carrierOf(event), type: 'wallet.held', amount });
    },
    keepWalletShare: change(({ context, event }) =>
      event.type === 'wallet.held'
        ? { acctMulaidPay: event.amount, cashPay: context.cashPay - event.amount }
        : {},
    ),
    keepAid: change(({ context, event }) =>
      event.type === 'aid.reserved'
        ? {
            aidPay: event.amount,
            cashPay: context.cashPay - event.amount,
            // The relative's province's word on its region: its books and the line agree.
            aidRegion: event.region,
          }
        : event.type === 'aid.rejected'
          ? { aidReason: event.reason }
          : {},
    ),
    keepReason: change(({ event }) => ({
      reason: event.type === 'bill.rejected' ? event.reason : undefined,
    })),
    answer: ({ context, event }: Args, state: keyof typeof ANSWERED_ON_ENTRY) =>
      answerPos(context, context.requester, state, ANSWERED_ON_ENTRY[state], event.fx),
    armExpiry: ({ context, event }: Args) =>
      event.fx.timer(
        TIMERS.billSaga.key(context.billId),
        context.startedAt + config.presettleTtlMs,
        context.timerSeq,
      ),
    spendWallet: ({ context, event }: Args) => {
      const spent = event.wallet.commit(context.billId);
      event.followUp({ ...carrierOf(event), type: 'wallet.spent', spent });
    },
    keepLines: change(({ context, event }) =>
      event.type === 'wallet.spent' ? { lines: linesOf(context, event.spent), lineAt: 0 } : {},
    ),
    releaseWallet: ({ context, event }: Args) => event.wallet.release(context.billId),
    undoWallet: ({ context, event }: Args) => event.wallet.undo(context.billId),
    nextLine: change(({ context }) => ({ lineAt: context.lineAt + 1 })),
    lastLine: change(({ context }) => ({ lineAt: context.lines.length - 1 })),
    previousLine: change(({ context }) => ({ lineAt: context.lineAt - 1 })),
    expire: change(() => ({ undo: 'expired' })),
  };
}

/** What a bill saga asks of an answer or of itself. */
const BILL_GUARDS = {
  /**
   * The insured province's split adds up to the bill; the relative's province holds no more
   * than was asked. Anything else is a faulty peer's answer: ignored, so the step is asked again
   * (its true answer is the same), and nothing is computed from it (cash below zero).
   */
  splitAddsUp: ({ context, event }: Args) =>
    event.type === 'bill.reserved' &&
    event.fundPay + event.acctPay + event.remainder === context.total,
  aidWithinAsk: ({ context, event }: Args) =>
    event.type === 'aid.reserved' && event.amount <= context.cashPay,
  undoPending: ({ context }: Args) => context.undo !== undefined,
  /** Family aid was asked for, allowed by the relation, and cash would still pay something. */
  aidWanted: ({ context, event }: Args) =>
    event.type === 'wallet.held' &&
    context.aidRegion !== '' &&
    context.undo === undefined &&
    context.cashPay - event.amount > 0n,
  /** A relative's account holds or paid part of the bill (family aid). */
  aidHeld: ({ context }: Args) => context.aidPay > 0n,
  currentLine: ({ context, event }: Args) =>
    (event.type === 'settlement.recorded' || event.type === 'settlement.unrecorded') &&
    event.lineId === context.lines[context.lineAt]?.lineId,
  moreLines: ({ context }: Args) => context.lineAt + 1 < context.lines.length,
  noLines: ({ context }: Args) => context.lines.length === 0,
  earlierLines: ({ context }: Args) => context.lineAt > 0,
  reversing: ({ context }: Args) => context.undo === 'reversed',
  expiring: ({ context }: Args) => context.undo === 'expired',
};

// `first` runs before the step is sent: the wallet's part, done locally in the same step.
const waiting = <On extends object>(
  kind: StepKind,
  on: On,
  first?: 'spendWallet' | 'releaseWallet' | 'undoWallet',
) => stepState(kind, on, first === undefined ? [] : [first]);
// A cancellation or reversal while a step is in flight is remembered and acted on after it.
const remember = {
  'bill.cancel': { actions: { type: 'remember', params: 'cancelled' } },
  'bill.reverse': { actions: { type: 'remember', params: 'reversed' } },
} as const;
const answer = (state: keyof typeof ANSWERED_ON_ENTRY) =>
  ({ type: 'answer', params: state }) as const;
// A cancellation or reversal of a bill at rest: remembered, and the undo starts at `target`.
const undoFrom = <T extends 'releasing' | 'unwinding'>(target: T) =>
  ({
    'bill.cancel': { target, actions: { type: 'remember', params: 'cancelled' } },
    'bill.reverse': { target, actions: { type: 'remember', params: 'reversed' } },
  }) as const;

/** A bill as the POS asked it, nothing split or taken yet. */
function initialBillContext(input: BillInput): BillContext {
  return {
    ...input,
    attempt: 0,
    timerSeq: 0,
    fundPay: 0n,
    acctPay: 0n,
    acctMulaidPay: 0n,
    aidPay: 0n,
    cashPay: 0n,
    reason: undefined,
    lines: [],
    lineAt: 0,
    undo: undefined,
  };
}

export function createBillSagaMachine(config: ProtocolConfig) {
  return setup({
    types: { context: {} as BillContext, input: {} as BillInput, events: {} as BillEvent },
    actions: { ...RETRY.actions, ...billActions(config) },
    guards: { ...RETRY.guards, ...BILL_GUARDS },
  }).createMachine({
    id: 'billSaga',
    initial: 'new',
    context: ({ input }) => initialBillContext(input),
    states: {
      new: { on: { start: 'reserving' } },
      reserving: waiting('bill.reserve', {
        ...remember,
        'bill.reserved': { guard: 'splitAddsUp', target: 'holding', actions: 'keepSplit' },
        'bill.rejected': { target: 'refused', actions: 'keepReason' },
      } as const),
      // The wallet sets aside its part (W16, W17, FIFO); its answer follows in the same step.
      holding: {
        entry: 'holdWallet',
        on: {
          'wallet.held': [
            { guard: 'undoPending', target: 'releasing', actions: 'keepWalletShare' },
            { guard: 'aidWanted', target: 'aiding', actions: 'keepWalletShare' },
            { target: 'presettled', actions: 'keepWalletShare' },
          ],
        },
      },
      // Family mutual aid: the relative's province holds what their account gives (P3: after
      // the wallet); a refusal leaves the rest to cash.
      aiding: waiting('aid.reserve', {
        ...remember,
        'aid.reserved': [
          {
            guard: and(['aidWithinAsk', 'undoPending']),
            target: 'releasing',
            actions: 'keepAid',
          },
          { guard: 'aidWithinAsk', target: 'presettled', actions: 'keepAid' },
        ],
        'aid.rejected': [
          { guard: 'undoPending', target: 'releasing', actions: 'keepAid' },
          { target: 'presettled', actions: 'keepAid' },
        ],
      } as const),
      presettled: {
        entry: ['resetAttempt', answer('presettled'), 'armExpiry'],
        on: {
          'bill.settle': 'committing',
          ...undoFrom('releasing'),
          timeout: { guard: 'currentTimer', target: 'releasing', actions: 'expire' },
          resume: { actions: ['nextAttempt', 'armExpiry'] },
        },
      },
      committing: waiting(
        'bill.commit',
        {
          ...remember,
          'wallet.spent': { actions: 'keepLines' },
          'bill.committed': [{ guard: 'aidHeld', target: 'aidCommitting' }, { target: 'paying' }],
        } as const,
        'spendWallet',
      ),
      aidCommitting: waiting('aid.commit', { ...remember, 'aid.committed': 'paying' } as const),
      // K6: the treatment region pays its provider, within the settle (instant settlement).
      paying: waiting('provider.pay', {
        ...remember,
        'provider.paid': [{ guard: 'noLines', target: 'settled' }, { target: 'recording' }],
      } as const),
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
        entry: answer('settled'),
        on: undoFrom('unwinding'),
      },
      releasing: waiting(
        'bill.release',
        {
          'bill.released': [{ guard: 'aidHeld', target: 'aidReleasing' }, { target: 'undone' }],
        } as const,
        'releaseWallet',
      ),
      aidReleasing: waiting('aid.release', { 'aid.released': 'undone' } as const),
      unwinding: waiting(
        'bill.refund',
        {
          'bill.refunded': [{ guard: 'aidHeld', target: 'aidRefunding' }, { target: 'unpaying' }],
        } as const,
        'undoWallet',
      ),
      aidRefunding: waiting('aid.refund', { 'aid.refunded': 'unpaying' } as const),
      unpaying: waiting('provider.refund', {
        'provider.refunded': [
          { guard: 'noLines', target: 'undone' },
          { target: 'unrecording', actions: 'lastLine' },
        ],
      } as const),
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
          { guard: 'reversing', target: 'reversed' },
          { guard: 'expiring', target: 'expired' },
          { target: 'cancelled' },
        ],
      },
      refused: { type: 'final', entry: answer('refused') },
      cancelled: { type: 'final', entry: answer('cancelled') },
      reversed: { type: 'final', entry: answer('reversed') },
      expired: { type: 'final' },
    },
  });
}

export type BillSagaMachine = ReturnType<typeof createBillSagaMachine>;
