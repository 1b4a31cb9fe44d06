// Who may send what: a role matches an address's whole first token, nothing looser.
import { describe, expect, it } from 'vitest';

import { maySend } from './senders.ts';

describe('maySend', () => {
  it('accepts the roles allowed for a kind', () => {
    expect(maySend('account.reserve', 'wallet.03')).toBe(true);
    expect(maySend('account.reserved', 'province.11')).toBe(true);
    expect(maySend('transfer.request', 'app.0')).toBe(true);
  });

  it('refuses other roles and near-misses of an allowed one', () => {
    expect(maySend('account.reserved', 'wallet.03')).toBe(false);
    expect(maySend('account.reserve', 'walletx.1')).toBe(false);
    expect(maySend('account.reserve', 'wallet')).toBe(false);
    expect(maySend('transfer.request', 'application.0')).toBe(false);
  });
});
