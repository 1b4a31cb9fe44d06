// Who may send each kind: the roles of DESIGN §12 ("a host accepts only the kinds its actors
// handle, from the roles allowed to send them"). A role is an address's first token.
import type { Kind } from './messages.ts';

export type Role = 'app' | 'wallet' | 'province' | 'settlement';

export const SENDER_ROLES: { readonly [K in Kind]: readonly Role[] } = {
  'transfer.request': ['app'],
  'transfer.accepted': ['wallet'],
  'transfer.refused': ['wallet'],
  'transfer.challenge': ['wallet'],
  'transfer.auth': ['app'],
  'account.reserve': ['wallet'],
  'account.reserved': ['province'],
  'account.rejected': ['province'],
  'account.commit': ['wallet'],
  'account.committed': ['province'],
  'account.release': ['wallet'],
  'account.released': ['province'],
  'wallet.credit': ['wallet'],
  'wallet.credited': ['wallet'],
  'wallet.rejected': ['wallet'],
  'notice.sms': ['wallet'],
  'transfer.receive': ['app'],
  'wallet.settle': ['wallet'],
  'wallet.received': ['wallet'],
  'wallet.returned': ['wallet'],
  'account.refund': ['wallet'],
  'account.refunded': ['province'],
  'liability.record': ['wallet'],
  'liability.recorded': ['settlement'],
  'liability.reverse': ['wallet'],
  'liability.reversed': ['settlement'],
  'bind.request': ['app'],
  'bind.accepted': ['wallet'],
  'bind.refused': ['wallet'],
  'identity.verify': ['wallet'],
  'identity.verified': ['province'],
  'identity.refused': ['province'],
  'bind.challenge': ['wallet'],
  'bind.confirm': ['app'],
  'relation.add': ['wallet'],
  'relation.added': ['wallet'],
  'relation.end': ['app'],
  'relation.ended': ['wallet'],
  'enrolment.change': ['app'],
  'enrolment.changed': ['wallet'],
};

/** Per delivered message in the simulator too: compares in place, allocates nothing. */
export function maySend(kind: Kind, from: string): boolean {
  for (const role of SENDER_ROLES[kind]) {
    if (from.startsWith(role) && from.charCodeAt(role.length) === 46 /* '.' */) return true;
  }
  return false;
}
