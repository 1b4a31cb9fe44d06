// Checks the message catalogue: the kinds and their body schemas are exactly those the transfer
// flow needs (other layers depend on these names), reason codes and kinships are closed sets, and
// the derived tables cannot be mutated at run time.
import { describe, expect, test } from 'vitest';
import {
  KINDS,
  KINSHIPS,
  NON_CLOSE_KINSHIPS,
  NUCLEAR_KINSHIPS,
  PROTOCOL_VERSION,
  REASONS,
  SCHEMAS,
  isCloseKinship,
  isReason,
} from './messages.ts';

const EXPECTED_FIELDS: Record<string, string> = {
  'transfer.request': 'transferId:id donorId:id recipientId:id amount:amount',
  'transfer.accepted': 'transferId:id',
  'transfer.refused': 'transferId:id reason:reason',
  'account.reserve': 'transferId:id accountId:id amount:amount',
  'account.reserved': 'transferId:id',
  'account.rejected': 'transferId:id reason:reason',
  'account.commit': 'transferId:id',
  'account.committed': 'transferId:id',
  'account.release': 'transferId:id',
  'account.released': 'transferId:id',
  'wallet.credit': 'transferId:id walletId:id donorId:id originRegion:id amount:amount',
  'wallet.credited': 'transferId:id',
  'wallet.rejected': 'transferId:id reason:reason',
  'liability.record': 'transferId:id originRegion:id useRegion:id amount:amount',
  'liability.recorded': 'transferId:id',
};

describe('kinds and schemas', () => {
  test('are exactly the transfer flow, in order, with ordered fields', () => {
    expect(PROTOCOL_VERSION).toBe(1);
    expect(KINDS).toEqual(Object.keys(EXPECTED_FIELDS));
    for (const kind of KINDS) {
      const fields = SCHEMAS[kind].map((field) => `${field.name}:${field.type}`).join(' ');
      expect(fields, kind).toBe(EXPECTED_FIELDS[kind]);
      expect(SCHEMAS[kind].every((field) => field.path === `body.${field.name}`)).toBe(true);
    }
  });

  test('cannot be mutated', () => {
    expect(Object.isFrozen(KINDS)).toBe(true);
    expect(Object.isFrozen(SCHEMAS)).toBe(true);
    expect(KINDS.every((kind) => Object.isFrozen(SCHEMAS[kind]))).toBe(true);
  });
});

describe('reasons and kinships', () => {
  test('reasons are distinct and recognised', () => {
    expect(new Set(REASONS).size).toBe(REASONS.length);
    expect(REASONS.every((reason) => isReason(reason))).toBe(true);
    expect(isReason('W9')).toBe(false);
    expect(isReason(6)).toBe(false);
  });

  test('close and non-close kinships are disjoint; in-laws and cousins are not close (E2)', () => {
    expect(KINSHIPS).toHaveLength(8);
    expect(NON_CLOSE_KINSHIPS.some((k) => isCloseKinship(k))).toBe(false);
    expect(KINSHIPS.every((k) => isCloseKinship(k))).toBe(true);
    expect(NUCLEAR_KINSHIPS.every((k) => isCloseKinship(k))).toBe(true);
    expect(isCloseKinship('COUSIN')).toBe(false);
  });
});
