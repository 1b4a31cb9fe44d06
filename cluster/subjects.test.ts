// The subject scheme: a frame's sender is read back from the subject exactly, and anything that
// is not a six-token frame subject has no sender.
import { describe, expect, it } from 'vitest';

import { assertAddress, frameSender, frameSubject, senderOf, stateStream } from './subjects.ts';

describe('subjects', () => {
  it('reads the sender back from every frame subject', () => {
    for (const [to, from] of [
      ['province.11', 'wallet.03'],
      ['wallet.00', 'app.0'],
      ['settlement.0', 'wallet.12'],
    ]) {
      expect(senderOf(frameSubject(to as string, from as string))).toBe(from);
    }
  });

  it('gives no sender for subjects that are not frame subjects', () => {
    for (const subject of [
      'gj.v1.province.11',
      'gj.v1.province.11.wallet',
      'gj.v1.a.b.c.d.e',
      'gj.v2.a.b.c.d',
      'x.v1.a.b.c.d',
      'gj.v1.a.b.c.',
    ]) {
      expect(senderOf(subject), subject).toBeUndefined();
    }
  });

  it('a subject with no readable sender still names one, that no envelope can claim', () => {
    expect(frameSender(frameSubject('wallet.00', 'province.11'))).toBe('province.11');
    for (const subject of ['gj.v1.wallet.00.bogus', 'gj.v1.wallet.00.a.b.c', 'x']) {
      const sender = frameSender(subject);
      // Not an address, so it differs from every envelope's `from`: the host refuses the frame
      // as FORGED_SENDER (host/actor_host.ts) instead of skipping the check.
      expect(() => assertAddress(sender), subject).toThrow(/not an actor address/);
      expect(sender).toContain(subject);
    }
  });

  it('names streams per actor and refuses what is not an address', () => {
    expect(stateStream('wallet.03')).toBe('GJ_wallet_03');
    expect(() => assertAddress('bank.1')).toThrow(/not an actor address/);
    expect(() => assertAddress('province.11.x')).toThrow(/not an actor address/);
  });
});
