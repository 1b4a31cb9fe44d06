// Who may send each kind: the roles of DESIGN §12 ("a host accepts only the kinds its actors
// handle, from the roles allowed to send them"). A role is an address's first token.
import type { Kind } from './messages.ts';

export type Role = 'app' | 'wallet' | 'province' | 'settlement';

export const SENDER_ROLES: { readonly [K in Kind]: readonly Role[] } = {
  'transfer.request': ['app'],
  'transfer.accepted': ['wallet'],
  'transfer.refused': ['wallet'],
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
  'liability.record': ['wallet'],
  'liability.recorded': ['settlement'],
};

export function roleOf(address: string): string {
  const dot = address.indexOf('.');
  return dot < 0 ? address : address.slice(0, dot);
}

export function maySend(kind: Kind, from: string): boolean {
  return (SENDER_ROLES[kind] as readonly string[]).includes(roleOf(from));
}
