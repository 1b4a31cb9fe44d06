// A provincial platform's decision table: the decision point for reserves on its pooling
// regions' personal accounts, and the civil registry of the people insured there (F1: name and
// ID number, kinship E2, enrolment E3). The machine has one state on purpose: its guarded
// transitions are the rules, one named action per decision, while the ledger itself is the
// AccountBook the event carries (DESIGN §3: millions of accounts and transfers are records, not
// XState context). A transfer's own lifecycle (reserved → committed | released, refunded) lives
// in its record, so a duplicate is answered from the record, the same way every time.
import { setup } from 'xstate';

import type { Envelope, Reason } from '../protocol/index.ts';
import { isReason } from '../protocol/index.ts';
import type { AccountBook } from './account_book.ts';
import { provinceAddress } from './addresses.ts';
import { type CivilDate, dateKeyOf, monthKeyOf } from './calendar.ts';
import type { Effects } from './effects.ts';
import { type BillState, kinshipIn, provinceLineOf, type TxnState } from './records.ts';
import { provinceOfRegion } from './regions.ts';

/** Every message a province decides. */
export const PROVINCE_KINDS = [
  'account.reserve',
  'account.commit',
  'account.charge',
  'account.release',
  'account.refund',
  'identity.verify',
  'bill.reserve',
  'bill.commit',
  'bill.release',
  'bill.refund',
  'aid.reserve',
  'aid.commit',
  'aid.release',
  'aid.refund',
  'provider.pay',
  'provider.refund',
  'provider.totals',
  'provider.apply',
  'provider.detail',
  'tax.claim',
  'tax.confirm',
  'tax.release',
  'account.debit',
  'settlement.record',
  'settlement.unrecord',
  'settlement.back',
  'settlement.unback',
  'clearing.allocate',
  'clearing.detail',
  'clearing.statement',
  'clearing.disburse',
  'hold.status',
] as const;
export type ProvinceKind = (typeof PROVINCE_KINDS)[number];

type EventOf<K extends ProvinceKind> = {
  readonly type: K;
  readonly env: Envelope<K>;
  readonly book: AccountBook;
  readonly fx: Effects;
  /** The Beijing date of the step (C1's season). */
  readonly date: CivilDate;
  /** The step's virtual time (when a hold was asked for). */
  readonly now: number;
};
export type ProvinceEvent = { [K in ProvinceKind]: EventOf<K> }[ProvinceKind];

type AccountKind =
  'account.reserve' | 'account.charge' | 'account.commit' | 'account.release' | 'account.refund';
/** The requests that take money from an account: a hold, or the debitFirst design's debit. */
type TakeKind = 'account.reserve' | 'account.charge';
const TAKE_KINDS: readonly TakeKind[] = ['account.reserve', 'account.charge'];
type BillAnswerKind = 'bill.commit' | 'bill.release' | 'bill.refund';
type AidAnswerKind = 'aid.commit' | 'aid.release' | 'aid.refund';
type ShareKind = BillAnswerKind | AidAnswerKind;

/** An action or guard for the kinds of message named (the transition table routes only them). */
function on<K extends ProvinceKind, R>(
  kinds: K | readonly K[],
  fn: (event: EventOf<K>) => R,
): (args: { event: ProvinceEvent }) => R {
  const accepted: readonly ProvinceKind[] = typeof kinds === 'string' ? [kinds] : kinds;
  return ({ event }) => {
    if (!accepted.includes(event.type)) {
      throw new Error(
        `province machine: ${event.type} routed to a rule for ${accepted.join(', ')}`,
      );
    }
    return fn(event as unknown as EventOf<K>);
  };
}

const ACCOUNT_KINDS: readonly AccountKind[] = [
  'account.reserve',
  'account.charge',
  'account.commit',
  'account.release',
  'account.refund',
];

const REPLY_FOR_STATE = {
  reserved: 'account.reserved',
  committed: 'account.committed',
  released: 'account.released',
  rejected: 'account.rejected',
  refunded: 'account.refunded',
} as const;

/** Answer a message about a transfer we have already decided, with what we said the first time. */
function replyAgain({ env, book, fx }: EventOf<AccountKind>): void {
  const txn = book.txns.get(env.corr);
  if (txn === undefined) return; // commit/release of a transfer never reserved: nothing to say.
  // A refunded transfer was committed first: only a refund is answered "refunded".
  const kind =
    txn.state === 'refunded' && env.kind !== 'account.refund'
      ? 'account.committed'
      : REPLY_FOR_STATE[txn.state];
  if (kind === 'account.rejected') {
    fx.send(env.from, kind, env.corr, { transferId: env.corr, reason: txn.reason ?? 'FUNDS' });
  } else {
    fx.send(env.from, kind, env.corr, { transferId: env.corr });
  }
}

const txnIs = (state: TxnState) =>
  on(ACCOUNT_KINDS, (e) => e.book.txns.get(e.env.corr)?.state === state);

/** The registry's answer to a binding (F1): the same answer however often it is asked. */
function verifyIdentity(
  book: AccountBook,
  body: Envelope<'identity.verify'>['body'],
): Reason | string {
  const person = book.persons.get(body.relativeId);
  if (person === undefined || person.name !== body.name || person.idNo !== body.idNo)
    return 'ID_MISMATCH';
  const kin = kinshipIn(person.kin, body.donorId);
  if (kin !== body.kinship) return 'E2';
  if (!person.enrolled) return 'E3';
  return person.region;
}

/**
 * F3: the answer a message about a bill's share (the patient's bill, or a relative's family
 * aid) gets, by the state the share is in; nothing for the rest.
 */
const COMMIT = { reserved: true, committed: true, refunded: true } as const;
const RELEASE = { reserved: true, released: true } as const;
const REFUND = { committed: true, refunded: true } as const;
const SHARE_ANSWERS: Record<ShareKind, Partial<Record<BillState, boolean>>> = {
  'bill.commit': COMMIT,
  'bill.release': RELEASE,
  'bill.refund': REFUND,
  'aid.commit': COMMIT,
  'aid.release': RELEASE,
  'aid.refund': REFUND,
};
const SHARE_REPLY = {
  'bill.commit': 'bill.committed',
  'bill.release': 'bill.released',
  'bill.refund': 'bill.refunded',
  'aid.commit': 'aid.committed',
  'aid.release': 'aid.released',
  'aid.refund': 'aid.refunded',
} as const;

/** Move a bill's share on from `from` (and only from it), then answer by the state it was in. */
function settleShare<K extends ShareKind>(
  kinds: readonly K[],
  from: BillState,
  move: (book: AccountBook, billId: string, fx: Effects, env: Envelope<K>) => void,
) {
  return on(kinds, (event) => {
    const { env, book, fx } = event;
    const aid = env.kind.startsWith('aid.');
    const share = aid ? book.aids.get(env.corr) : book.bills.get(env.corr);
    // Only the shard that asked for the share's hold may move it (before owners: anyone).
    if (share?.owner !== undefined && share.owner !== env.from) return;
    const before = share?.state;
    if (before === from) move(book, env.corr, fx, env as Envelope<K>);
    if (before !== undefined && SHARE_ANSWERS[env.kind][before] === true) {
      const reply = SHARE_REPLY[env.kind];
      fx.send(env.from, reply, env.corr, { billId: env.corr });
    }
  });
}
const BILL_MOVES: readonly BillAnswerKind[] = ['bill.commit', 'bill.release', 'bill.refund'];
const AID_MOVES: readonly AidAnswerKind[] = ['aid.commit', 'aid.release', 'aid.refund'];

export const provinceMachine = setup({
  types: { events: {} as ProvinceEvent },
  guards: {
    decided: on(ACCOUNT_KINDS, (e) => e.book.txns.has(e.env.corr)),
    /** Only the shard that asked for a hold may move it (a record from before owners: anyone). */
    notOwner: on(ACCOUNT_KINDS, (e) => {
      const owner = e.book.txns.get(e.env.corr)?.owner;
      return owner !== undefined && owner !== e.env.from;
    }),
    reserved: txnIs('reserved'),
    committed: txnIs('committed'),
    unknownAccount: on(TAKE_KINDS, (e) => !e.book.accounts.has(e.env.body.accountId)),
    insufficient: on(
      TAKE_KINDS,
      (e) => !e.book.canReserve(e.env.body.accountId, e.env.body.amount),
    ),
  },
  actions: {
    replyAgain: on(ACCOUNT_KINDS, replyAgain),
    reject: (args, reason: Reason) =>
      on(TAKE_KINDS, ({ env, book, fx }) => {
        book.reject(env.corr, env.body.accountId, env.body.amount, reason, fx);
        fx.send(env.from, 'account.rejected', env.corr, { transferId: env.corr, reason });
      })(args),
    reserve: on('account.reserve', ({ env, book, fx, now }) => {
      book.reserve(env.corr, env.body.accountId, env.body.amount, fx, { owner: env.from, at: now });
      fx.send(env.from, 'account.reserved', env.corr, { transferId: env.corr });
    }),
    // debitFirst (account.charge): the hold and its commit in one durable step, owned by
    // the asking shard.
    charge: on('account.charge', ({ env, book, fx, now }) => {
      book.reserve(env.corr, env.body.accountId, env.body.amount, fx, { owner: env.from, at: now });
      book.commit(env.corr, fx);
      fx.send(env.from, 'account.committed', env.corr, { transferId: env.corr });
    }),
    commit: on('account.commit', ({ env, book, fx }) => {
      book.commit(env.corr, fx);
      fx.send(env.from, 'account.committed', env.corr, { transferId: env.corr });
    }),
    release: on('account.release', ({ env, book, fx }) => {
      book.release(env.corr, fx);
      fx.send(env.from, 'account.released', env.corr, { transferId: env.corr });
    }),
    refund: on('account.refund', ({ env, book, fx }) => {
      book.refund(env.corr, fx);
      fx.send(env.from, 'account.refunded', env.corr, { transferId: env.corr });
    }),
    verify: on('identity.verify', ({ env, book, fx }) => {
      const answer = verifyIdentity(book, env.body);
      const bindId = env.body.bindId;
      if (isReason(answer))
        fx.send(env.from, 'identity.refused', env.corr, { bindId, reason: answer });
      else fx.send(env.from, 'identity.verified', env.corr, { bindId, region: answer });
    }),
    /**
     * F3: decide the bill's split (or its refusal) and answer; a duplicate gets the same answer.
     */
    reserveBill: on('bill.reserve', ({ env, book, fx, now }) => {
      const billId = env.corr;
      const bill = book.reserveBill(billId, env.body, fx, { owner: env.from, at: now });
      if (bill.state === 'rejected')
        fx.send(env.from, 'bill.rejected', billId, { billId, reason: bill.reason ?? 'E3' });
      else
        fx.send(env.from, 'bill.reserved', billId, {
          billId,
          fundPay: bill.fundPay,
          acctPay: bill.acctPay,
          remainder: bill.remainder,
        });
    }),
    commitBill: settleShare(BILL_MOVES, 'reserved', (book, id, fx, env) =>
      book.commitBill(id, (env as Envelope<'bill.commit'>).body.month, fx),
    ),
    releaseBill: settleShare(BILL_MOVES, 'reserved', (book, id, fx) => book.releaseBill(id, fx)),
    refundBill: settleShare(BILL_MOVES, 'committed', (book, id, fx) => book.refundBill(id, fx)),
    /**
     * Family mutual aid at the point of care: hold what the relative's account can give of the
     * bill's remainder, or say why not; a duplicate gets the same answer.
     */
    reserveAid: on('aid.reserve', ({ env, book, fx, now }) => {
      const billId = env.corr;
      const aid = book.reserveAid(billId, env.body, fx, { owner: env.from, at: now });
      if (aid.state === 'rejected')
        fx.send(env.from, 'aid.rejected', billId, { billId, reason: aid.reason ?? 'FUNDS' });
      else {
        const { amount, region } = aid;
        fx.send(env.from, 'aid.reserved', billId, { billId, amount, region });
      }
    }),
    commitAid: settleShare(AID_MOVES, 'reserved', (book, id, fx, env) =>
      book.commitAid(id, (env as Envelope<'aid.commit'>).body.month, fx),
    ),
    releaseAid: settleShare(AID_MOVES, 'reserved', (book, id, fx) => book.releaseAid(id, fx)),
    refundAid: settleShare(AID_MOVES, 'committed', (book, id, fx) => book.refundAid(id, fx)),
    /** K6: pay the provider of a region of this province for a settled bill, once. */
    payProvider: on('provider.pay', ({ env, book, fx, date }) => {
      if (provinceAddress(provinceOfRegion(env.body.treatmentRegion)) !== env.to) return;
      book.payProvider(env.corr, env.body, env.from, dateKeyOf(date), fx);
      if (book.providers.get(env.corr)?.owner !== env.from) return;
      fx.send(env.from, 'provider.paid', env.corr, { billId: env.corr });
    }),
    refundProvider: on('provider.refund', ({ env, book, fx }) => {
      book.refundProvider(env.corr, env.from, fx);
      if (book.providers.get(env.corr)?.owner !== env.from) return;
      fx.send(env.from, 'provider.refunded', env.corr, { billId: env.corr });
    }),
    /** K3, 3201: a POS's totals of a day in one of this province's regions. */
    reconcileTotals: on('provider.totals', ({ env, book, fx, date }) => {
      const { region, day } = env.body;
      if (provinceAddress(provinceOfRegion(region)) !== env.to) return;
      const record = book.reconcileTotals(env.body, dateKeyOf(date), fx);
      if (record === undefined) return;
      if (record.state === 'agreed')
        fx.send(env.from, 'provider.totalsAgreed', env.corr, { region, day });
      else {
        const { count, total } = record;
        fx.send(env.from, 'provider.totalsDiffer', env.corr, { region, day, count, total });
      }
    }),
    /** K3, 3203: a POS's monthly clearing application in one of this province's regions. */
    applyForClearing: on('provider.apply', ({ env, book, fx, date }) => {
      const { region, month } = env.body;
      if (provinceAddress(provinceOfRegion(region)) !== env.to) return;
      const record = book.applyForClearing(env.body, monthKeyOf(date), fx);
      if (record === undefined) return;
      if (record.state === 'agreed')
        fx.send(env.from, 'provider.applied', env.corr, { region, month });
      else {
        const { count, applied } = record;
        fx.send(env.from, 'provider.applyDiffers', env.corr, { region, month, count, applied });
      }
    }),
    /** K3, 3202: one bill of a day whose totals differed. */
    reconcileDetail: on('provider.detail', ({ env, book, fx }) => {
      const { billId, region } = env.body;
      if (provinceAddress(provinceOfRegion(region)) !== env.to) return;
      const kind = book.reconcileDetail(env.body, fx)
        ? 'provider.detailAgreed'
        : 'provider.unrecorded';
      fx.send(env.from, kind, env.corr, { billId });
    }),
    /** F4: claim the person-year (C4) for this payment, or say why not. */
    claimContribution: on('tax.claim', ({ env, book, fx, date }) => {
      const claim = book.claimContribution(env.corr, env.body, date, fx);
      if (claim.state === 'refused')
        fx.send(env.from, 'tax.refused', env.corr, {
          payId: env.corr,
          reason: claim.reason ?? 'C4',
        });
      else fx.send(env.from, 'tax.claimed', env.corr, { payId: env.corr, amount: claim.amount });
    }),
    confirmContribution: on('tax.confirm', ({ env, book, fx }) => {
      book.confirmContribution(env.corr, fx);
      if (book.claims.get(env.corr)?.state === 'paid')
        fx.send(env.from, 'tax.confirmed', env.corr, { payId: env.corr });
    }),
    releaseContribution: on('tax.release', ({ env, book, fx }) => {
      book.releaseContribution(env.corr, fx);
      const state = book.claims.get(env.corr)?.state;
      if (state === 'released' || state === 'refused')
        fx.send(env.from, 'tax.released', env.corr, { payId: env.corr });
    }),
    /** F4a: debit a personal account for a relative's contribution, once per payment. */
    debitAccount: on('account.debit', ({ env, book, fx }) => {
      const { accountId, amount } = env.body;
      const outcome = book.debitContribution(env.corr, accountId, amount, fx);
      if (outcome === 'debited')
        fx.send(env.from, 'account.debited', env.corr, { payId: env.corr });
      else
        fx.send(env.from, 'account.debitRefused', env.corr, { payId: env.corr, reason: outcome });
    }),
    /** F2b: a line inside the province (DOMAIN §3.1: not through the national hub). */
    recordLine: on('settlement.record', ({ env, book, fx, date }) =>
      book.provincial.lineBook.record(env, book.provincial.batchesIn(monthKeyOf(date)), fx),
    ),
    unrecordLine: on('settlement.unrecord', ({ env, book, fx, date }) =>
      book.provincial.lineBook.unrecord(env, book.provincial.batchesIn(monthKeyOf(date)), fx),
    ),
    /** K9: a wallet line's backing, to the fund that pays the line (answered like a line). */
    backLine: on('settlement.back', ({ env, book, fx }) => {
      if (book.backLine(env.body, env.from, fx))
        fx.send(env.from, 'settlement.recorded', env.corr, { lineId: env.body.lineId });
    }),
    unbackLine: on('settlement.unback', ({ env, book, fx }) => {
      if (book.unbackLine(env.body.lineId, env.from, fx))
        fx.send(env.from, 'settlement.unrecorded', env.corr, { lineId: env.body.lineId });
    }),
    /**
     * 3261 or 3262 (K2, K10): does settlement's allocation for the month match what this
     * province's treatment regions paid their providers for other provinces' patients that
     * month? A dispute comes with this province's figure of each line (3202), so settlement can
     * add a line it never got and correct one it got wrong.
     */
    answerAllocation: on('clearing.allocate', ({ env, book, fx }) => {
      const { month, medicalReceivable } = env.body;
      const own = book.medicalReceivable(month);
      if (own === medicalReceivable) {
        fx.send(env.from, 'clearing.confirm', env.corr, { month, medicalReceivable });
        return;
      }
      fx.send(env.from, 'clearing.dispute', env.corr, { month, medicalReceivable: own });
      for (const line of book.crossProvinceLines(month))
        fx.send(env.from, 'clearing.correct', env.corr, { month, ...line });
    }),
    /** 3202: one of settlement's lines of a disputed month; answered only when it is wrong. */
    answerDetail: on('clearing.detail', ({ env, book, fx }) => {
      const { month, lineId, payerRegion, payeeRegion, amount } = env.body;
      const own = book.lineOf(month, lineId)?.amount ?? 0n;
      if (own === amount) return;
      const body = { month, lineId, payerRegion, payeeRegion, amount: own };
      fx.send(env.from, 'clearing.correct', env.corr, body);
    }),
    fundStatement: on('clearing.statement', ({ env, book, fx }) => {
      const { month, toFund, topUp } = env.body;
      book.fundStatement(month, toFund + topUp, fx);
      fx.send(env.from, 'clearing.funded', env.corr, { month });
    }),
    /** Orphan holds: the owner knows no live saga behind the hold: it goes back. */
    releaseOrphan: on('hold.status', ({ env, book, fx }) => {
      const { holdId, live } = env.body;
      const hold = book.holds.get(holdId);
      if (live !== 'N' || hold === undefined || hold.owner !== env.from) return;
      if (hold.kind === 'transfer') book.release(holdId, fx, true);
      else if (hold.kind === 'aid')
        book.releaseAid(provinceLineOf(holdId)?.bill ?? holdId, fx, true);
      else book.releaseBill(holdId, fx, true);
      fx.emit({
        type: 'hold.orphaned',
        corr: holdId,
        kind: hold.kind,
        owner: hold.owner,
        amount: hold.amount,
      });
    }),
    receiveDisbursal: on('clearing.disburse', ({ env, book, fx }) => {
      const { month, amount } = env.body;
      book.receiveDisbursal(month, amount, fx);
      fx.send(env.from, 'clearing.received', env.corr, { month });
    }),
  },
}).createMachine({
  id: 'province',
  initial: 'online',
  states: { online: {} },
  on: {
    'account.reserve': [
      { guard: 'decided', actions: 'replyAgain' },
      { guard: 'unknownAccount', actions: { type: 'reject', params: 'NO_ACCOUNT' } },
      { guard: 'insufficient', actions: { type: 'reject', params: 'FUNDS' } },
      { actions: 'reserve' },
    ],
    'account.charge': [
      { guard: 'decided', actions: 'replyAgain' },
      { guard: 'unknownAccount', actions: { type: 'reject', params: 'NO_ACCOUNT' } },
      { guard: 'insufficient', actions: { type: 'reject', params: 'FUNDS' } },
      { actions: 'charge' },
    ],
    'account.commit': [
      { guard: 'notOwner' },
      { guard: 'reserved', actions: 'commit' },
      { actions: 'replyAgain' },
    ],
    'account.release': [
      { guard: 'notOwner' },
      { guard: 'reserved', actions: 'release' },
      { actions: 'replyAgain' },
    ],
    'account.refund': [
      { guard: 'notOwner' },
      { guard: 'committed', actions: 'refund' },
      { actions: 'replyAgain' },
    ],
    'identity.verify': { actions: 'verify' },
    'bill.reserve': { actions: 'reserveBill' },
    'bill.commit': { actions: 'commitBill' },
    'bill.release': { actions: 'releaseBill' },
    'bill.refund': { actions: 'refundBill' },
    'aid.reserve': { actions: 'reserveAid' },
    'aid.commit': { actions: 'commitAid' },
    'aid.release': { actions: 'releaseAid' },
    'aid.refund': { actions: 'refundAid' },
    'provider.pay': { actions: 'payProvider' },
    'provider.refund': { actions: 'refundProvider' },
    'provider.totals': { actions: 'reconcileTotals' },
    'provider.apply': { actions: 'applyForClearing' },
    'provider.detail': { actions: 'reconcileDetail' },
    'tax.claim': { actions: 'claimContribution' },
    'tax.confirm': { actions: 'confirmContribution' },
    'tax.release': { actions: 'releaseContribution' },
    'account.debit': { actions: 'debitAccount' },
    'settlement.record': { actions: 'recordLine' },
    'settlement.unrecord': { actions: 'unrecordLine' },
    'settlement.back': { actions: 'backLine' },
    'settlement.unback': { actions: 'unbackLine' },
    'clearing.allocate': { actions: 'answerAllocation' },
    'clearing.detail': { actions: 'answerDetail' },
    'clearing.statement': { actions: 'fundStatement' },
    'clearing.disburse': { actions: 'receiveDisbursal' },
    'hold.status': { actions: 'releaseOrphan' },
  },
});

export type ProvinceMachine = typeof provinceMachine;
