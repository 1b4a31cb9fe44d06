// A provincial platform: the decision point for reserves on its pooling regions' personal
// accounts. The machine models the province's lifecycle (online ⇄ degraded) and decides each
// account message; the ledger itself is the AccountBook the event carries (DESIGN §3).
import { setup } from 'xstate';
import type { Envelope, Reason } from '../protocol/index.ts';
import type { AccountBook } from './account_book.ts';
import type { Effects } from './effects.ts';

type AccountKind = 'account.reserve' | 'account.commit' | 'account.release';

export type ProvinceEvent =
  | {
      readonly type: AccountKind;
      readonly env: Envelope<AccountKind>;
      readonly book: AccountBook;
      readonly fx: Effects;
    }
  | { readonly type: 'province.degrade' | 'province.recover' };

type AccountEvent = Extract<ProvinceEvent, { env: unknown }>;

const REPLY_FOR_STATE = {
  reserved: 'account.reserved',
  committed: 'account.committed',
  released: 'account.released',
  rejected: 'account.rejected',
} as const;

/** Answer a message about a transfer we have already decided, with what we said the first time. */
function replyAgain(event: AccountEvent): void {
  const { env, book, fx } = event;
  const txn = book.txns.get(env.corr);
  if (txn === undefined) return; // commit/release of a transfer never reserved: nothing to say.
  const kind = REPLY_FOR_STATE[txn.state];
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
  },
});

export type ProvinceMachine = typeof provinceMachine;
