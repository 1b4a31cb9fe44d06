// Checks the message catalogue: the kinds and their body schemas are exactly those the flows
// need (other layers depend on these names), reason codes and kinships are closed sets, and
// the derived tables cannot be mutated at run time.
import { describe, expect, test } from 'vitest';

import {
  CLOSE_KINSHIPS,
  isCloseKinship,
  isReason,
  isValidId,
  KINDS,
  NO_AID,
  NON_CLOSE_KINSHIPS,
  NUCLEAR_KINSHIPS,
  PROTOCOL_VERSION,
  REASONS,
  SCHEMAS,
} from './messages.ts';

const EXPECTED_FIELDS: Record<string, string> = {
  'transfer.request': 'transferId:id donorId:id recipientId:id amount:amount source:source',
  'transfer.accepted': 'transferId:id',
  'transfer.refused': 'transferId:id reason:reason',
  'transfer.challenge': 'transferId:id donorId:id',
  'transfer.auth': 'transferId:id method:method verdict:verdict',
  'account.reserve': 'transferId:id accountId:id amount:amount',
  'account.reserved': 'transferId:id',
  'account.rejected': 'transferId:id reason:reason',
  'account.commit': 'transferId:id',
  'account.committed': 'transferId:id',
  'account.charge': 'transferId:id accountId:id amount:amount',
  'account.release': 'transferId:id',
  'account.released': 'transferId:id',
  'wallet.credit': 'transferId:id walletId:id donorId:id originRegion:id amount:amount',
  'wallet.credited': 'transferId:id',
  'wallet.rejected': 'transferId:id reason:reason',
  'notice.sms': 'transferId:id personId:id amount:amount',
  'transfer.receive': 'transferId:id walletId:id',
  'wallet.settle': 'transferId:id walletId:id',
  'wallet.received': 'transferId:id',
  'wallet.returned': 'transferId:id',
  'account.refund': 'transferId:id',
  'account.refunded': 'transferId:id',
  'liability.record': 'transferId:id originRegion:id useRegion:id amount:amount',
  'liability.recorded': 'transferId:id',
  'liability.reverse': 'transferId:id originRegion:id amount:amount',
  'liability.reversed': 'transferId:id',
  'bind.request': 'bindId:id donorId:id relativeId:id name:text idNo:text kinship:kinship',
  'bind.accepted': 'bindId:id',
  'bind.refused': 'bindId:id reason:reason',
  'identity.verify': 'bindId:id donorId:id relativeId:id name:text idNo:text kinship:kinship',
  'identity.verified': 'bindId:id region:id',
  'identity.refused': 'bindId:id reason:reason',
  'bind.challenge': 'bindId:id donorId:id relativeId:id',
  'bind.confirm': 'bindId:id verdict:verdict',
  'relation.add': 'bindId:id donorId:id recipientId:id kinship:kinship donorRegion:id',
  'relation.added': 'bindId:id open:flag',
  'relation.end': 'donorId:id recipientId:id ending:ending',
  'relation.ended': 'donorId:id recipientId:id ending:ending bindId:id',
  'enrolment.change': 'personId:id',
  'enrolment.changed': 'personId:id',
  'wallet.open': 'walletId:id',
  'wallet.opened': 'walletId:id open:flag',
  'wallet.check': 'transferId:id walletId:id',
  'wallet.checked': 'transferId:id walletId:id open:flag',
  'hold.query': 'holdId:id',
  'hold.status': 'holdId:id live:flag',
  'bill.presettle':
    'billId:id personId:id treatmentRegion:id care:care disease:id ' +
    'total:amount eligible:amount0 emergency:flag networked:flag useWallet:flag aidBy:id',
  'bill.presettled':
    'billId:id fundPay:amount0 acctPay:amount0 acctMulaidPay:amount0 cashPay:amount0 month:count',
  'bill.refused': 'billId:id reason:reason',
  'bill.settle': 'billId:id',
  'bill.settled': 'billId:id',
  'bill.cancel': 'billId:id',
  'bill.cancelled': 'billId:id',
  'bill.reverse': 'billId:id',
  'bill.reversed': 'billId:id',
  'bill.reserve':
    'billId:id personId:id treatmentRegion:id care:care ' +
    'disease:id total:amount eligible:amount0 emergency:flag networked:flag',
  'bill.reserved': 'billId:id fundPay:amount0 acctPay:amount0 remainder:amount0',
  'bill.rejected': 'billId:id reason:reason',
  'bill.commit': 'billId:id month:count',
  'bill.committed': 'billId:id',
  'bill.release': 'billId:id',
  'bill.released': 'billId:id',
  'bill.refund': 'billId:id',
  'bill.refunded': 'billId:id',
  'aid.reserve': 'billId:id accountId:id patientId:id treatmentRegion:id max:amount',
  'aid.reserved': 'billId:id amount:amount region:id',
  'aid.rejected': 'billId:id reason:reason',
  'aid.commit': 'billId:id month:count',
  'aid.committed': 'billId:id',
  'aid.release': 'billId:id',
  'aid.released': 'billId:id',
  'aid.refund': 'billId:id',
  'aid.refunded': 'billId:id',
  'provider.pay':
    'billId:id month:count insuredRegion:id treatmentRegion:id paid:amount0 cash:amount0 ' +
    'national:amount0 medicalLine:amount0 aidLine:amount0 aidRegion:id',
  'provider.paid': 'billId:id',
  'provider.refund': 'billId:id',
  'provider.refunded': 'billId:id',
  'provider.totals': 'region:id day:count count:count total:amount0',
  'provider.apply': 'region:id month:count count:count applied:amount0',
  'provider.applied': 'region:id month:count',
  'provider.applyDiffers': 'region:id month:count count:count applied:amount0',
  'provider.totalsAgreed': 'region:id day:count',
  'provider.totalsDiffer': 'region:id day:count count:count total:amount0',
  'provider.detail': 'region:id day:count billId:id total:amount0',
  'provider.detailAgreed': 'billId:id',
  'provider.unrecorded': 'billId:id',
  'contribution.pay': 'payId:id payerId:id personId:id year:count source:source idNo:text',
  'contribution.accepted': 'payId:id',
  'contribution.refused': 'payId:id reason:reason',
  'tax.claim': 'payId:id payerId:id personId:id year:count idNo:text',
  'tax.claimed': 'payId:id amount:amount',
  'tax.refused': 'payId:id reason:reason',
  'tax.confirm': 'payId:id',
  'tax.confirmed': 'payId:id',
  'tax.release': 'payId:id',
  'tax.released': 'payId:id',
  'account.debit': 'payId:id accountId:id amount:amount',
  'account.debited': 'payId:id',
  'account.debitRefused': 'payId:id reason:reason',
  'settlement.record':
    'lineId:id month:count ledger:ledger payerRegion:id payeeRegion:id amount:amount',
  'settlement.recorded': 'lineId:id',
  'settlement.unrecord': 'lineId:id',
  'settlement.unrecorded': 'lineId:id',
  'settlement.back': 'lineId:id payerRegion:id payeeRegion:id amount:amount',
  'settlement.unback': 'lineId:id',
  'clearing.allocate': 'month:count medicalReceivable:amount0',
  'clearing.confirm': 'month:count medicalReceivable:amount0',
  'clearing.dispute': 'month:count medicalReceivable:amount0',
  'clearing.detail': 'month:count lineId:id payerRegion:id payeeRegion:id amount:amount',
  'clearing.correct': 'month:count lineId:id payerRegion:id payeeRegion:id amount:amount0',
  'clearing.statement': 'month:count toFund:amount0 topUp:amount0',
  'clearing.funded': 'month:count',
  'clearing.disburse': 'month:count amount:amount',
  'clearing.received': 'month:count',
};

describe('kinds and schemas', () => {
  test("are exactly the flows' kinds, in order, with ordered fields", () => {
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
    expect(CLOSE_KINSHIPS).toHaveLength(8);
    expect(NON_CLOSE_KINSHIPS.some((k) => isCloseKinship(k))).toBe(false);
    expect(CLOSE_KINSHIPS.every((k) => isCloseKinship(k))).toBe(true);
    expect(NUCLEAR_KINSHIPS.every((k) => isCloseKinship(k))).toBe(true);
    expect(isCloseKinship('COUSIN')).toBe(false);
  });
});

describe('NO_AID', () => {
  test('is a valid id that names no wallet, so a bill without family aid travels', () => {
    expect(NO_AID).toBe('-');
    expect(isValidId(NO_AID)).toBe(true);
    expect(SCHEMAS['bill.presettle'].find((f) => f.name === 'aidBy')?.type).toBe('id');
  });
});
