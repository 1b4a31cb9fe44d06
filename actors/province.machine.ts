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
  | { readonly type: 'province.degrade' | 'province.recover' };

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
  const kind = txn.state === 'refunded' && env.kind !== 'account.refund' ? 'account.committed' : REPLY_FOR_STATE[txn.state];
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
export function verifyIdentity(book: AccountBook, body: Envelope<'identity.verify'>['body']): Reason | string {
  const person = book.persons.get(body.relativeId);
  if (person === undefined || person.name !== body.name || person.idNo !== body.idNo) return 'ID_MISMATCH';
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
      const { env, book, fx } = asAccount(event) as AccountEvent & { env: Envelope<'account.reserve'> };
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
    verify: ({ event }) => {
      const { env, book, fx } = event as Extract<ProvinceEvent, { type: 'identity.verify' }>;
      const answer = verifyIdentity(book, env.body);
      const bindId = env.body.bindId;
      if (isReason(answer)) fx.send(env.from, 'identity.refused', env.corr, { bindId, reason: answer });
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
  },
});

export type ProvinceMachine = typeof provinceMachine;
