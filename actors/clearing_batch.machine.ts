// F5: one month's clearing batch at the national clearing agent (DOMAIN §3.6, K1–K10), a machine
// per settlement month M kept by the settlement actor like a shard keeps its sagas:
//
//   OPEN(M) ──1st of M+1──► CLOSED ──day 10 (K8)──► ALLOCATED ──every province answers (K10)──►
//   CONFIRMED ──day 20──► STATEMENTS_ISSUED ──all payers funded──► FUNDED ──all receivers paid──►
//   DISBURSED ──the clearing account balances──► RECONCILED
//
// K10 stops clearing only where the books disagree: a province that disputes its allocation
// (3262, K2: what its treatment regions paid their providers for other provinces' patients
// that month disagrees with settlement's lines, e.g. a line still in flight, or a wrong one)
// has a dispute of its own at settlement (actors/settlement.actor.ts), and so has one that
// has not answered by the statement day. Their lines are withheld from the month's
// statements; every other province clears on schedule. Statements net
// each province multilaterally through the national clearing account; each payer's due is drawn
// from its prepayment first (K1, K7), and a prepayment used beyond 70 % is topped up with the
// statement. A step that needs nobody's answer (no province in the batch, no receiver to pay)
// passes at once. Each waiting state re-sends what it waits for on its timer, with backoff.
import { and, setup } from 'xstate';

import type { Fen } from '../protocol/index.ts';
import { provinceAddress } from './addresses.ts';
import { retryDelayMs } from './backoff.ts';
import { Calendar, nextMonthKey, parseDate } from './calendar.ts';
import {
  APPLICATION_DAY_LAST,
  type BatchState,
  buildMatrix,
  buildStatements,
  FUND_WORKING_DAYS,
  netPairwise,
  type PairTransfer,
  PAY_WORKING_DAYS,
  RECONCILE_HOUR,
  resetsPrepayments,
  STATEMENT_ISSUE_DAY_LAST,
  withSpend,
} from './clearing.ts';
import { DAY_MS, HOUR_MS, type ProtocolConfig } from './config.ts';
import type { Effects } from './effects.ts';
import { assignerOf } from './machine_driver.ts';
import type { SettlementBook } from './settlement_book.ts';
import { TIMERS } from './timers.ts';

/** What a province was told to pay or will be paid for one batch. */
interface StatementRecord {
  readonly toFund: Fen;
  readonly topUp: Fen;
  readonly drawn: Fen;
  readonly toReceive: Fen;
  /** K7's January reset: the prepayment's new size, and what it returns to the province. */
  readonly size: Fen;
  readonly returned: Fen;
  readonly medicalPayable: Fen;
  readonly walletPayable: Fen;
}

export interface BatchContext {
  readonly month: number;
  /** Provinces in this batch (any national obligation, either side), sorted. */
  readonly provinces: readonly string[];
  readonly confirmed: readonly string[];
  /** K10: provinces that disputed this allocation (3262). */
  readonly disputed: readonly string[];
  /**
   * K10: provinces whose lines the statements leave out: an open dispute, or no answer by the
   * statement day. Their lines clear with a later batch once they confirm.
   */
  readonly withheld: readonly string[];
  readonly statements: Readonly<Record<string, StatementRecord>>;
  readonly funded: readonly string[];
  readonly disbursed: readonly string[];
  /** The pairwise netting of the batch (when `netting` is pairwise): its per-pair rows. */
  readonly pairs: readonly PairTransfer[];
  /**
   * K8: payers fund within 5 working days of the statements (virtual ms of that deadline), and
   * receivers are paid within 5 more working days of the funding; 0 until the step starts.
   */
  readonly fundBy: number;
  readonly payBy: number;
  /** K8: answers that came after their deadline, as `fund:<province>` or `pay:<province>`. */
  readonly late: readonly string[];
  readonly attempt: number;
  readonly timerSeq: number;
}

interface Carrier {
  readonly now: number;
  readonly fx: Effects;
  readonly book: SettlementBook;
}

export type BatchEvent = Carrier &
  (
    | { readonly type: 'start' | 'resume' }
    | {
        readonly type:
          'clearing.confirm' | 'clearing.dispute' | 'clearing.funded' | 'clearing.received';
        readonly province: string;
      }
    | { readonly type: 'timeout'; readonly seq: number }
  );

/**
 * K8 (ASSUMPTION): allocation at the end of the application window (day 10) at 02:00, after the
 * daily reconciliation; statements on their last day (day 20) at 09:00.
 */
const ALLOCATE_HOUR = RECONCILE_HOUR;
const STATEMENT_HOUR = 9;

type Province = Extract<BatchEvent, { province: string }>;
/** The provinces' answers a batch collects, one list per kind. */
type Answers = 'confirmed' | 'disputed' | 'funded' | 'disbursed';
const sender = (event: BatchEvent) => (event as Province).province;

/** What a province pays into the clearing account: its due, and its prepayment's top-up. */
export function fundedBy(s: StatementRecord | undefined): Fen {
  return (s?.toFund ?? 0n) + (s?.topUp ?? 0n);
}

/** What a province is paid out of the clearing account: its receipt, and a reset's return. */
export function paidTo(s: StatementRecord | undefined): Fen {
  return (s?.toReceive ?? 0n) + (s?.returned ?? 0n);
}

/** K10: the provinces a batch's statements clear: all of its provinces but those withheld. */
function clearedBy(context: BatchContext): readonly string[] {
  return context.provinces.filter((p) => !context.withheld.includes(p));
}

/** K10: whether a province has answered the allocation, either way. */
function allocationAnswered(context: BatchContext, province: string): boolean {
  return context.confirmed.includes(province) || context.disputed.includes(province);
}

/** States a batch passes at once: nobody to ask, nobody to pay. */
function passes(state: BatchState, context: BatchContext): boolean {
  switch (state) {
    case 'ALLOCATED':
      return context.provinces.length === 0;
    case 'STATEMENTS_ISSUED':
      return clearedBy(context).length === 0;
    case 'FUNDED':
      return context.provinces.every((p) => paidTo(context.statements[p]) === 0n);
    default:
      return false;
  }
}

/** Send what a state asks of those who have not answered it yet. */
function sendStep(state: string, context: BatchContext, event: BatchEvent): void {
  const { fx, book } = event;
  const { month, provinces, statements } = context;
  const corr = `batch.${month}`;
  if (state === 'ALLOCATED') {
    const receivable = book.medicalReceivableByProvince(month);
    for (const province of provinces) {
      if (allocationAnswered(context, province)) continue;
      const medicalReceivable = receivable.get(province) ?? 0n;
      fx.send(provinceAddress(province), 'clearing.allocate', corr, { month, medicalReceivable });
    }
  } else if (state === 'STATEMENTS_ISSUED') {
    for (const province of clearedBy(context)) {
      if (context.funded.includes(province)) continue;
      const s = statements[province];
      const body = { month, toFund: s?.toFund ?? 0n, topUp: s?.topUp ?? 0n };
      fx.send(provinceAddress(province), 'clearing.statement', corr, body);
    }
  } else if (state === 'FUNDED') {
    for (const province of provinces) {
      const amount = paidTo(statements[province]);
      if (amount === 0n || context.disbursed.includes(province)) continue;
      fx.send(provinceAddress(province), 'clearing.disburse', corr, { month, amount });
    }
  }
}

/**
 * The statements of a batch and, with pairwise netting, its per-pair rows (K1, K7), without the
 * lines of the provinces it withholds (K10): an open dispute, or no answer to the allocation.
 */
function issue(context: BatchContext, book: SettlementBook, config: ProtocolConfig) {
  const withheld = context.provinces.filter(
    (p) => book.disputeOpen(context.month, p) || !allocationAnswered(context, p),
  );
  const matrix = buildMatrix(book.obligations(context.month, withheld));
  const statements: Record<string, StatementRecord> = {};
  for (const s of buildStatements(context.month, matrix, book.prepayments)) {
    // A withheld province's prepayment is left as it is (a December reset waits a year).
    if (withheld.includes(s.province)) continue;
    statements[s.province] = {
      toFund: s.toFund,
      topUp: s.prepaymentTopUp,
      drawn: s.prepaymentDrawn,
      toReceive: s.toReceive,
      size: s.prepaymentSize,
      returned: s.prepaymentReturned,
      medicalPayable: s.medicalPayable,
      walletPayable: s.walletPayable,
    };
  }
  const pairs = config.netting === 'pairwise' ? netPairwise(matrix).transfers : [];
  return { statements, pairs, withheld, funded: [], disbursed: [], attempt: 0 };
}

type Args = { readonly context: BatchContext; readonly event: BatchEvent };
const change = assignerOf<BatchContext, BatchEvent>();

/** When a state's timer fires: its K8 date, the next reconciliation, or a retry. */
function timerAt(
  calendar: Calendar,
  config: ProtocolConfig,
  state: string,
  context: BatchContext,
  now: number,
): number | undefined {
  const start = calendar.startOfMonthMs(nextMonthKey(context.month));
  const retryAt =
    now + retryDelayMs(batchRetries(config), `batch.${context.month}`, context.attempt);
  switch (state) {
    case 'OPEN':
      return start;
    case 'CLOSED':
      return calendar.onWorkingDay(
        start + (APPLICATION_DAY_LAST - 1) * DAY_MS + ALLOCATE_HOUR * HOUR_MS,
      );
    case 'CONFIRMED':
      return statementAt(calendar, context);
    case 'ALLOCATED':
      // Retried with backoff, but no later than the statement day: K10 then withholds whoever
      // has not answered, and the rest clears on schedule.
      return Math.min(retryAt, Math.max(now, statementAt(calendar, context)));
    case 'RECONCILED':
      return undefined;
    default:
      return retryAt;
  }
}

/**
 * A month's batch backs off further than a saga (to an hour, not 30 s): its answers are due in
 * days (K8), and a province cut off for days is asked hourly, not twice a minute.
 */
const BATCH_RETRY_MAX_MS = HOUR_MS;
function batchRetries(config: ProtocolConfig): ProtocolConfig {
  return { ...config, retryDelayMsMax: Math.max(config.retryDelayMsMax, BATCH_RETRY_MAX_MS) };
}

/** K8: when a month's statements are issued (day 20 at 09:00, or the next working day). */
function statementAt(calendar: Calendar, context: BatchContext): number {
  const start = calendar.startOfMonthMs(nextMonthKey(context.month));
  return calendar.onWorkingDay(
    start + (STATEMENT_ISSUE_DAY_LAST - 1) * DAY_MS + STATEMENT_HOUR * HOUR_MS,
  );
}

/** What a batch does to the world: reports, sends and timers, and the money it moves. */
function batchEffects(config: ProtocolConfig) {
  const calendar = new Calendar(parseDate(config.startDate));
  const arm = (state: string, { context, event }: Args) => {
    const at = timerAt(calendar, config, state, context, event.now);
    if (at === undefined) return;
    event.fx.timer(
      TIMERS.clearingBatch.key(String(context.month)),
      Math.max(at, event.now),
      context.timerSeq,
    );
  };
  return {
    report: ({ context, event }: Args, state: BatchState) =>
      event.fx.emit({
        type: 'clearing.batch',
        corr: `batch.${context.month}`,
        month: context.month,
        state,
        late: context.late.length,
        withheld: context.withheld.length,
      }),
    /**
     * K10: a province withheld without a dispute (it never answered the allocation) gets one,
     * so the daily reconciliation keeps asking it.
     */
    withhold: ({ context, event }: Args) => {
      for (const province of context.withheld)
        event.book.openDispute(context.month, province, undefined, event.now, event.fx);
    },
    /** A state the batch rests in: what it asks is sent, and its timer armed. */
    rest: (args: Args, state: BatchState) => {
      if (passes(state, args.context)) return;
      sendStep(state, args.context, args.event);
      arm(state, args);
    },
    /** The same, without sending (an answer came in, others are still awaited). */
    rearm: (args: Args, state: BatchState) => arm(state, args),
    /** A retry, or a restart: what the state asks is sent again, its timer armed again. */
    resend: (args: Args, state: BatchState) => {
      sendStep(state, args.context, args.event);
      arm(state, args);
    },
    /**
     * The draws (and a reset's returns) leave the prepayments at issue, each month's spend joins
     * their history (K7); top-ups come back with each payer's funding.
     */
    drawPrepayments: ({ context, event }: Args) => {
      for (const [province, s] of Object.entries(context.statements)) {
        const held = event.book.prepayments.get(province);
        if (held === undefined) continue;
        const balance = held.balance - s.drawn - s.returned;
        const next = withSpend({ ...held, size: s.size, balance }, context.month, s.medicalPayable);
        event.book.putPrepayment(province, next, event.fx);
      }
    },
    takeFunding: ({ context, event }: Args) => {
      const province = sender(event);
      const statement = context.statements[province];
      event.book.moveClearing(
        fundedBy(statement),
        event.fx,
        `batch.${context.month}.ledger.${provinceAddress(province)}`,
      );
      if (statement !== undefined && statement.topUp > 0n) {
        const held = event.book.prepayments.get(province) ?? { size: 0n, balance: 0n };
        event.book.putPrepayment(
          province,
          { ...held, balance: held.balance + statement.topUp },
          event.fx,
        );
      }
    },
    // Every payer has paid in: pay the receivers out of the clearing account.
    payOut: ({ context, event }: Args) => {
      let out = 0n;
      for (const s of Object.values(context.statements)) out += paidTo(s);
      event.book.moveClearing(-out, event.fx, `batch.${context.month}`);
    },
  };
}

/** What a batch keeps: its timer sequence and attempts, its provinces and their answers. */
function batchChanges(config: ProtocolConfig) {
  const calendar = new Calendar(parseDate(config.startDate));
  /** K8: an answer after its deadline is noted once per province and step. */
  const lateness = (context: BatchContext, event: BatchEvent, step: 'fund' | 'pay') => {
    const deadline = step === 'fund' ? context.fundBy : context.payBy;
    const key = `${step}:${sender(event)}`;
    return event.now > deadline && !context.late.includes(key) ? [...context.late, key] : [];
  };
  return {
    bumpSeq: change(({ context }, state: BatchState) =>
      passes(state, context) ? {} : { timerSeq: context.timerSeq + 1 },
    ),
    bumpSeqAlways: change(({ context }) => ({ timerSeq: context.timerSeq + 1 })),
    resetAttempt: change(() => ({ attempt: 0 })),
    nextAttempt: change(({ context }) => ({ attempt: context.attempt + 1 })),
    allocate: change(({ context, event }) => ({
      provinces: resetsPrepayments(context.month)
        ? // K7's reset reaches every province that holds a prepayment, obligations or not.
          [
            ...new Set([
              ...event.book.provincesOf(context.month),
              ...event.book.prepayments.keys(),
            ]),
          ].sort()
        : event.book.provincesOf(context.month),
      confirmed: [],
      disputed: [],
      attempt: 0,
    })),
    issue: change(({ context, event }) => ({
      ...issue(context, event.book, config),
      fundBy: calendar.addWorkingDays(event.now, FUND_WORKING_DAYS),
    })),
    /** Every payer has funded: the receivers' K8 deadline starts. */
    startPaying: change(({ event }) => ({
      payBy: calendar.addWorkingDays(event.now, PAY_WORKING_DAYS),
    })),
    addConfirmed: change(({ context, event }) => ({
      confirmed: [...context.confirmed, sender(event)],
    })),
    addDisputed: change(({ context, event }) => ({
      disputed: [...context.disputed, sender(event)],
    })),
    addFunded: change(({ context, event }) => {
      const late = lateness(context, event, 'fund');
      return { funded: [...context.funded, sender(event)], ...(late.length ? { late } : {}) };
    }),
    addDisbursed: change(({ context, event }) => {
      const late = lateness(context, event, 'pay');
      return { disbursed: [...context.disbursed, sender(event)], ...(late.length ? { late } : {}) };
    }),
  };
}

/** Whether an answer is the province's first of its kind (either kind, for the allocation). */
function firstOf(context: BatchContext, event: BatchEvent, answers: Answers): boolean {
  const province = sender(event);
  if (answers === 'confirmed' || answers === 'disputed')
    return !allocationAnswered(context, province);
  // Funding and disbursal are asked only of the provinces the statements clear, and a receipt
  // only of a province paid something: another's (a faulty peer's) counts for nothing.
  if (answers === 'disbursed' && paidTo(context.statements[province]) === 0n) return false;
  return !context.withheld.includes(province) && !context[answers].includes(province);
}

/** What a batch asks of a timer, of an answer or of itself. */
function batchGuards(config: ProtocolConfig) {
  const calendar = new Calendar(parseDate(config.startDate));
  return {
    ...BATCH_GUARDS,
    /** K8: the statement day has come (an allocation still unanswered is withheld). */
    statementDue: ({ context, event }: Args) => event.now >= statementAt(calendar, context),
  };
}

const BATCH_GUARDS = {
  currentTimer: ({ context, event }: Args) =>
    event.type === 'timeout' && event.seq === context.timerSeq,
  passes: ({ context }: Args, state: BatchState) => passes(state, context),
  /** The province's first answer of its kind in this batch (a repeat changes nothing). */
  firstAnswer: ({ context, event }: Args, answers: Answers) => firstOf(context, event, answers),
  /**
   * The first answer that completes its kind: one from every province of the batch (a
   * confirmation or a dispute, for the allocation), or (for disbursal) as many as there are
   * receivers.
   */
  lastAnswer: ({ context, event }: Args, answers: Answers) => {
    if (!firstOf(context, event, answers)) return false;
    if (answers === 'confirmed' || answers === 'disputed')
      return context.confirmed.length + context.disputed.length + 1 === context.provinces.length;
    const count = context[answers].length + 1;
    if (answers === 'funded') return count === clearedBy(context).length;
    const { provinces, statements } = context;
    return count >= provinces.filter((p) => paidTo(statements[p]) > 0n).length;
  },
};

// The chart's building blocks: what a state does as the batch enters it, on its own timer,
// after a restart, and (for a state that waits for every province) on each answer.
type Entry = 'withhold' | 'drawPrepayments' | 'payOut' | 'startPaying';
const enter = (state: BatchState, first: readonly Entry[] = []) =>
  [
    ...first,
    { type: 'report', params: state },
    { type: 'bumpSeq', params: state },
    { type: 'rest', params: state },
  ] as const;
const retry = (state: BatchState) =>
  ({
    guard: 'currentTimer',
    actions: ['nextAttempt', 'bumpSeqAlways', { type: 'resend', params: state }],
  }) as const;
const resume = (state: BatchState) => ({ actions: { type: 'resend', params: state } }) as const;
// A state that asks every province of the batch and waits for all of them; it passes to `next`
// at once when nobody is asked. `answered` is what each province's first answer does.
const collecting = <S extends BatchState, N extends BatchState>(
  state: S,
  next: N,
  first: readonly Entry[] = [],
) =>
  ({
    entry: enter(state, first),
    always: { guard: { type: 'passes', params: state }, target: next, actions: 'resetAttempt' },
  }) as const;
const answered = <
  S extends BatchState,
  N extends BatchState,
  T extends 'addConfirmed' | 'addDisputed' | 'takeFunding' | 'addFunded' | 'addDisbursed',
>(
  state: S,
  next: N,
  answers: Answers,
  take: readonly T[],
) =>
  [
    {
      guard: { type: 'lastAnswer', params: answers },
      target: next,
      actions: [...take, 'resetAttempt'],
    },
    {
      guard: { type: 'firstAnswer', params: answers },
      actions: [...take, 'bumpSeqAlways', { type: 'rearm', params: state }],
    },
  ] as const;

export function createClearingBatchMachine(config: ProtocolConfig) {
  return setup({
    types: {
      context: {} as BatchContext,
      input: {} as { month: number },
      events: {} as BatchEvent,
    },
    actions: { ...batchEffects(config), ...batchChanges(config) },
    guards: batchGuards(config),
  }).createMachine({
    id: 'clearingBatch',
    initial: 'new',
    context: ({ input }) => ({
      month: input.month,
      provinces: [],
      confirmed: [],
      disputed: [],
      withheld: [],
      statements: {},
      funded: [],
      disbursed: [],
      pairs: [],
      fundBy: 0,
      payBy: 0,
      late: [],
      attempt: 0,
      timerSeq: 0,
    }),
    states: {
      new: { on: { start: 'OPEN' } },
      // Opened by its month's first line (or at start): it reports nothing until it closes.
      OPEN: {
        entry: ['bumpSeqAlways', { type: 'rest', params: 'OPEN' }],
        on: {
          timeout: { guard: 'currentTimer', target: 'CLOSED', actions: 'resetAttempt' },
          resume: resume('OPEN'),
        },
      },
      CLOSED: {
        entry: enter('CLOSED'),
        on: {
          timeout: { guard: 'currentTimer', target: 'ALLOCATED', actions: 'allocate' },
          resume: resume('CLOSED'),
        },
      },
      ALLOCATED: {
        ...collecting('ALLOCATED', 'CONFIRMED'),
        on: {
          'clearing.confirm': answered('ALLOCATED', 'CONFIRMED', 'confirmed', ['addConfirmed']),
          // 3262 (K10): the province's own figure disagrees: an answer all the same; its lines
          // are withheld unless its dispute is resolved by the statement day.
          'clearing.dispute': answered('ALLOCATED', 'CONFIRMED', 'disputed', ['addDisputed']),
          timeout: [
            {
              guard: and(['currentTimer', 'statementDue']),
              target: 'STATEMENTS_ISSUED',
              actions: 'issue',
            },
            retry('ALLOCATED'),
          ],
          resume: resume('ALLOCATED'),
        },
      },
      CONFIRMED: {
        entry: enter('CONFIRMED'),
        on: {
          timeout: { guard: 'currentTimer', target: 'STATEMENTS_ISSUED', actions: 'issue' },
          resume: resume('CONFIRMED'),
        },
      },
      STATEMENTS_ISSUED: {
        ...collecting('STATEMENTS_ISSUED', 'FUNDED', ['withhold', 'drawPrepayments']),
        on: {
          'clearing.funded': answered('STATEMENTS_ISSUED', 'FUNDED', 'funded', [
            'takeFunding',
            'addFunded',
          ]),
          timeout: retry('STATEMENTS_ISSUED'),
          resume: resume('STATEMENTS_ISSUED'),
        },
      },
      FUNDED: {
        ...collecting('FUNDED', 'DISBURSED', ['startPaying', 'payOut']),
        on: {
          'clearing.received': answered('FUNDED', 'DISBURSED', 'disbursed', ['addDisbursed']),
          timeout: retry('FUNDED'),
          resume: resume('FUNDED'),
        },
      },
      DISBURSED: {
        entry: { type: 'report', params: 'DISBURSED' },
        always: { target: 'RECONCILED', actions: 'resetAttempt' },
      },
      RECONCILED: {
        type: 'final',
        entry: [{ type: 'report', params: 'RECONCILED' }, 'bumpSeqAlways'],
      },
    },
  });
}

export type ClearingBatchMachine = ReturnType<typeof createClearingBatchMachine>;
