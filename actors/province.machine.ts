// A provincial platform: the decision point for reserves on its pooling regions' personal
// accounts, and the civil registry of the people insured there (F1: name and ID number, kinship
// E2, enrolment E3). The machine models the province's lifecycle (online ⇄ degraded) and
// decides each message; the ledger itself is the AccountBook the event carries (DESIGN §3).
import { setup } from 'xstate';
import type { Envelope, Reason } from '../protocol/index.ts';
import { isReason } from '../protocol/index.ts';
import type { AccountBook } from './account_book.ts';
import type { Effects } from './effects.ts';

type AccountKind = 'account.reserve' | 'account.commit' | 'account.release' | 'account.refund';

export type ProvinceEvent =
  | {
      readonly type: AccountKind;
      readonly env: Envelope<AccountKind>;
      readonly book: AccountBook;
      readonly fx: Effects;
    }
  | {
      readonly type: 'identity.verify';
      readonly env: Envelope<'identity.verify'>;
      readonly book: AccountBook;
      readonly fx: Effects;
    }
  | {
      readonly type: DomainKind;
      readonly env: Envelope<DomainKind>;
      readonly book: AccountBook;
      readonly fx: Effects;
    }
  | { readonly type: 'province.degrade' | 'province.recover' };

/** F3 bills and F4 contributions: each decided by one AccountBook method, answered at once. */
export type DomainKind =
  | 'bill.reserve'
  | 'bill.commit'
  | 'bill.release'
  | 'bill.refund'
  | 'tax.claim'
  | 'tax.confirm'
  | 'tax.release'
  | 'account.debit'
  | 'clearing.allocate'
  | 'clearing.statement'
  | 'clearing.disburse';

type DomainEvent = Extract<ProvinceEvent, { type: DomainKind }>;

/** Decide a bill or contribution message and answer it; duplicates get the first answer. */
function decide(event: DomainEvent): void {
  const { env, book, fx } = event;
  switch (env.kind) {
    case 'bill.reserve': {
      const bill = book.reserveBill(env.corr, env.body as Envelope<'bill.reserve'>['body'], fx);
      const billId = env.corr;
      if (bill.state === 'rejected')
        fx.send(env.from, 'bill.rejected', billId, { billId, reason: bill.reason ?? 'E3' });
      else
        fx.send(env.from, 'bill.reserved', billId, {
          billId,
          fundPay: bill.fundPay,
          acctPay: bill.acctPay,
          remainder: bill.remainder,
        });
      return;
    }
    case 'bill.commit':
    case 'bill.release':
    case 'bill.refund': {
      const billId = env.corr;
      const state = book.bills.get(billId)?.state;
      if (env.kind === 'bill.commit') {
        if (state === 'reserved') book.commitBill(billId, fx);
        if (state === 'reserved' || state === 'committed' || state === 'refunded') {
          fx.send(env.from, 'bill.committed', billId, { billId });
        }
      } else if (env.kind === 'bill.release') {
        if (state === 'reserved') book.releaseBill(billId, fx);
        if (state === 'reserved' || state === 'released')
          fx.send(env.from, 'bill.released', billId, { billId });
      } else {
        if (state === 'committed') book.refundBill(billId, fx);
        if (state === 'committed' || state === 'refunded')
          fx.send(env.from, 'bill.refunded', billId, { billId });
      }
      return;
    }
    case 'tax.claim': {
      const { payerId, personId, year } = env.body as Envelope<'tax.claim'>['body'];
      const claim = book.claimContribution(env.corr, payerId, personId, year, fx);
      if (claim.state === 'refused')
        fx.send(env.from, 'tax.refused', env.corr, {
          payId: env.corr,
          reason: claim.reason ?? 'C4',
        });
      else fx.send(env.from, 'tax.claimed', env.corr, { payId: env.corr, amount: claim.amount });
      return;
    }
    case 'tax.confirm':
      book.confirmContribution(env.corr, fx);
      if (book.claims.get(env.corr)?.state === 'paid')
        fx.send(env.from, 'tax.confirmed', env.corr, { payId: env.corr });
      return;
    case 'tax.release': {
      book.releaseContribution(env.corr, fx);
      const state = book.claims.get(env.corr)?.state;
      if (state === 'released' || state === 'refused')
        fx.send(env.from, 'tax.released', env.corr, { payId: env.corr });
      return;
    }
    case 'clearing.allocate': {
      // 3261 or 3262 (K10): does settlement's figure match this province's own settled bills?
      const { month, medicalPayable } = env.body as Envelope<'clearing.allocate'>['body'];
      const own = book.medicalPayable();
      if (own === medicalPayable) fx.send(env.from, 'clearing.confirm', env.corr, { month });
      else fx.send(env.from, 'clearing.dispute', env.corr, { month, medicalPayable: own });
      return;
    }
    case 'clearing.statement': {
      const { month, toFund, topUp } = env.body as Envelope<'clearing.statement'>['body'];
      book.fundStatement(month, toFund + topUp, fx);
      fx.send(env.from, 'clearing.funded', env.corr, { month });
      return;
    }
    case 'clearing.disburse': {
      const { month, amount } = env.body as Envelope<'clearing.disburse'>['body'];
      book.receiveDisbursal(month, amount, fx);
      fx.send(env.from, 'clearing.received', env.corr, { month });
      return;
    }
    case 'account.debit': {
      const { accountId, amount } = env.body as Envelope<'account.debit'>['body'];
      const outcome = book.debitContribution(env.corr, accountId, amount, fx);
      if (outcome === 'debited')
        fx.send(env.from, 'account.debited', env.corr, { payId: env.corr });
      else
        fx.send(env.from, 'account.debitRefused', env.corr, { payId: env.corr, reason: outcome });
      return;
    }
  }
}

type AccountEvent = Extract<ProvinceEvent, { type: AccountKind }>;

const REPLY_FOR_STATE = {
  reserved: 'account.reserved',
  committed: 'account.committed',
  released: 'account.released',
  rejected: 'account.rejected',
  refunded: 'account.refunded',
} as const;

/** Answer a message about a transfer we have already decided, with what we said the first time. */
function replyAgain(event: AccountEvent): void {
  const { env, book, fx } = event;
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

function reject(event: AccountEvent, reason: Reason): void {
  const { env, book, fx } = event;
  const body = (env as Envelope<'account.reserve'>).body;
  book.reject(env.corr, body.accountId, body.amount, reason, fx);
  fx.send(env.from, 'account.rejected', env.corr, { transferId: env.corr, reason });
}

function asAccount(event: ProvinceEvent): AccountEvent {
  return event as AccountEvent;
}

/** The registry's answer to a binding (F1): the same answer however often it is asked. */
export function verifyIdentity(
  book: AccountBook,
  body: Envelope<'identity.verify'>['body'],
): Reason | string {
  const person = book.persons.get(body.relativeId);
  if (person === undefined || person.name !== body.name || person.idNo !== body.idNo)
    return 'ID_MISMATCH';
  const kin = Object.hasOwn(person.kin, body.donorId) ? person.kin[body.donorId] : undefined;
  if (kin !== body.kinship) return 'E2';
  if (!person.enrolled) return 'E3';
  return person.region;
}

export const provinceMachine = setup({
  types: { events: {} as ProvinceEvent },
  guards: {
    decided: ({ event }) => {
      const e = asAccount(event);
      return e.book.txns.has(e.env.corr);
    },
    reserved: ({ event }) => {
      const e = asAccount(event);
      return e.book.txns.get(e.env.corr)?.state === 'reserved';
    },
    committed: ({ event }) => {
      const e = asAccount(event);
      return e.book.txns.get(e.env.corr)?.state === 'committed';
    },
    unknownAccount: ({ event }) => {
      const e = asAccount(event) as AccountEvent & { env: Envelope<'account.reserve'> };
      return !e.book.accounts.has(e.env.body.accountId);
    },
    insufficient: ({ event }) => {
      const e = asAccount(event) as AccountEvent & { env: Envelope<'account.reserve'> };
      return !e.book.canReserve(e.env.body.accountId, e.env.body.amount);
    },
  },
  actions: {
    replyAgain: ({ event }) => replyAgain(asAccount(event)),
    reject: ({ event }, reason: Reason) => reject(asAccount(event), reason),
    reserve: ({ event }) => {
      const { env, book, fx } = asAccount(event) as AccountEvent & {
        env: Envelope<'account.reserve'>;
      };
      book.reserve(env.corr, env.body.accountId, env.body.amount, fx);
      fx.send(env.from, 'account.reserved', env.corr, { transferId: env.corr });
    },
    commit: ({ event }) => {
      const { env, book, fx } = asAccount(event);
      book.commit(env.corr, fx);
      fx.send(env.from, 'account.committed', env.corr, { transferId: env.corr });
    },
    release: ({ event }) => {
      const { env, book, fx } = asAccount(event);
      book.release(env.corr, fx);
      fx.send(env.from, 'account.released', env.corr, { transferId: env.corr });
    },
    refund: ({ event }) => {
      const { env, book, fx } = asAccount(event);
      book.refund(env.corr, fx);
      fx.send(env.from, 'account.refunded', env.corr, { transferId: env.corr });
    },
    decide: ({ event }) => decide(event as DomainEvent),
    verify: ({ event }) => {
      const { env, book, fx } = event as Extract<ProvinceEvent, { type: 'identity.verify' }>;
      const answer = verifyIdentity(book, env.body);
      const bindId = env.body.bindId;
      if (isReason(answer))
        fx.send(env.from, 'identity.refused', env.corr, { bindId, reason: answer });
      else fx.send(env.from, 'identity.verified', env.corr, { bindId, region: answer });
    },
  },
}).createMachine({
  id: 'province',
  initial: 'online',
  states: {
    // Degraded is the lifecycle hook for later fault modes (slow ledger, maintenance); account
    // messages are still decided there, since refusing them would only add retries.
    online: { on: { 'province.degrade': 'degraded' } },
    degraded: { on: { 'province.recover': 'online' } },
  },
  on: {
    'account.reserve': [
      { guard: 'decided', actions: 'replyAgain' },
      { guard: 'unknownAccount', actions: { type: 'reject', params: 'NO_ACCOUNT' } },
      { guard: 'insufficient', actions: { type: 'reject', params: 'FUNDS' } },
      { actions: 'reserve' },
    ],
    'account.commit': [{ guard: 'reserved', actions: 'commit' }, { actions: 'replyAgain' }],
    'account.release': [{ guard: 'reserved', actions: 'release' }, { actions: 'replyAgain' }],
    'account.refund': [{ guard: 'committed', actions: 'refund' }, { actions: 'replyAgain' }],
    'identity.verify': { actions: 'verify' },
    'bill.reserve': { actions: 'decide' },
    'bill.commit': { actions: 'decide' },
    'bill.release': { actions: 'decide' },
    'bill.refund': { actions: 'decide' },
    'tax.claim': { actions: 'decide' },
    'tax.confirm': { actions: 'decide' },
    'tax.release': { actions: 'decide' },
    'account.debit': { actions: 'decide' },
    'clearing.allocate': { actions: 'decide' },
    'clearing.statement': { actions: 'decide' },
    'clearing.disburse': { actions: 'decide' },
  },
});

export type ProvinceMachine = typeof provinceMachine;
