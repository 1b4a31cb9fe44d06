// Who may send what: a role matches an address's whole first token, nothing looser.
import { describe, expect, it } from 'vitest';

import { KINDS } from './messages.ts';
import { maySend, ROLES } from './senders.ts';

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

// Who sends what, by role, as the flows of DOMAIN §3 run: an app (a client or a POS) asks, a
// wallet shard acts for its holder, a province answers for its accounts and its clearing, and
// settlement runs the national clearing. Written out by role, not copied from the table, so a
// row widened, narrowed or emptied there is caught here.
const SENT_BY: Record<(typeof ROLES)[number], string> = {
  app: `transfer.request transfer.auth transfer.receive bind.request bind.confirm relation.end
    enrolment.change wallet.open bill.presettle bill.settle bill.cancel bill.reverse
    provider.totals provider.apply provider.detail contribution.pay`,
  wallet: `transfer.accepted transfer.refused transfer.challenge account.reserve account.commit
    account.charge account.release wallet.credit wallet.credited wallet.rejected notice.sms
    wallet.settle wallet.received wallet.returned account.refund liability.record
    liability.reverse bind.accepted bind.refused identity.verify bind.challenge relation.add
    relation.added relation.ended enrolment.changed wallet.opened wallet.check wallet.checked
    hold.status bill.presettled bill.refused bill.settled bill.cancelled bill.reversed
    bill.reserve bill.commit bill.release bill.refund aid.reserve aid.commit aid.release
    aid.refund provider.pay provider.refund contribution.accepted contribution.refused tax.claim
    tax.confirm tax.release account.debit settlement.record settlement.unrecord settlement.back
    settlement.unback`,
  province: `account.reserved account.rejected account.committed account.released
    account.refunded identity.verified identity.refused hold.query bill.reserved bill.rejected
    bill.committed bill.released bill.refunded aid.reserved aid.rejected aid.committed
    aid.released aid.refunded provider.paid provider.refunded provider.applied
    provider.applyDiffers provider.totalsAgreed provider.totalsDiffer provider.detailAgreed
    provider.unrecorded tax.claimed tax.refused tax.confirmed tax.released account.debited
    account.debitRefused settlement.recorded settlement.unrecorded clearing.confirm
    clearing.dispute clearing.correct clearing.funded clearing.received`,
  settlement: `liability.recorded liability.reversed settlement.recorded settlement.unrecorded
    clearing.allocate clearing.detail clearing.statement clearing.disburse`,
};

describe('the senders of every kind', () => {
  it('each role may send exactly the kinds its flows send, and every kind has a sender', () => {
    const listed = new Set<string>();
    for (const role of ROLES) {
      const kinds = new Set(SENT_BY[role].split(/\s+/));
      for (const kind of kinds) listed.add(kind);
      for (const kind of KINDS) {
        expect([kind, role, maySend(kind, `${role}.7`)]).toEqual([kind, role, kinds.has(kind)]);
      }
    }
    expect([...listed].filter((k) => !(KINDS as readonly string[]).includes(k))).toEqual([]);
    expect(KINDS.filter((k) => !listed.has(k))).toEqual([]);
  });
});
