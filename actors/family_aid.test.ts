// Family mutual aid at the point of care (家庭共济, DOMAIN S0's 369亿 yuan), end to end through real
// actors: the patient's shard hubs the bill and checks the relation on the patient's wallet
// (the recipient's copy decides), the relative's province holds, pays, releases or refunds the
// relative's personal account, and settlement gets a line from the relative's region to the
// treatment place. The test plays the POS; every amount is in fen.
//
// The visit below is P3's (actors/payment_rules.test.ts): 300 yuan, 250 on the catalogue, at
// Chengdu for a Chengdu patient with 50 yuan in the account: the fund pays 126.50, the account
// 50.00, and 123.50 is left for the wallet, a relative's account, or cash.
import { describe, expect, it } from 'vitest';

import type { Fen } from '../protocol/index.ts';
import { type BillRequest, type Bound, type Message, Net, type Person } from '../testing/net.ts';

const PEOPLE: readonly Person[] = [
  {
    id: 'pat',
    region: '510100',
    ebmi: true,
    balance: 5_000n,
    name: '李明',
    idNo: '510100198001011111',
  },
  {
    id: 'spo',
    region: '510100',
    ebmi: true,
    balance: 1_000_000n,
    name: '李华',
    idNo: '510100198202022222',
  },
  // A sister in Mianyang (same province, another pooling region) with 20 yuan.
  {
    id: 'sis',
    region: '510700',
    ebmi: true,
    balance: 2_000n,
    name: '李芳',
    idNo: '510700198503033333',
  },
  // A brother in Suzhou (Jiangsu: the cross-province wallet is on, E8).
  {
    id: 'bro',
    region: '320500',
    ebmi: true,
    balance: 1_000_000n,
    name: '李强',
    idNo: '320500198704044444',
  },
  // A son in Guangzhou (Guangdong: no cross-province wallet in 2025, E8).
  {
    id: 'son',
    region: '440100',
    ebmi: true,
    balance: 1_000_000n,
    name: '李安',
    idNo: '440100200505055555',
  },
  // A daughter with an empty account, and a resident (no account at all, E1).
  {
    id: 'dau',
    region: '510100',
    ebmi: true,
    balance: 0n,
    name: '李丽',
    idNo: '510100200606066666',
  },
  { id: 'res', region: '510100', ebmi: false, name: '李小', idNo: '510100201007077777' },
  // A cousin: no relation on record.
  {
    id: 'cou',
    region: '510100',
    ebmi: true,
    balance: 1_000_000n,
    name: '王五',
    idNo: '510100198808088888',
  },
];

const BOUND: readonly Bound[] = [
  { donor: 'spo', recipient: 'pat', kinship: 'SPOUSE' },
  { donor: 'sis', recipient: 'pat', kinship: 'SIBLING' },
  { donor: 'bro', recipient: 'pat', kinship: 'SIBLING' },
  { donor: 'son', recipient: 'pat', kinship: 'CHILD' },
  { donor: 'dau', recipient: 'pat', kinship: 'CHILD' },
  { donor: 'res', recipient: 'pat', kinship: 'CHILD' },
];

const visit = (billId: string, aidBy: string, more: Partial<BillRequest> = {}): BillRequest => ({
  billId,
  personId: 'pat',
  treatmentRegion: '510100',
  care: 'outpatient',
  total: 30_000n,
  eligible: 25_000n,
  aidBy,
  ...more,
});

const presettled = (billId: string, acctMulaidPay: Fen, cashPay: Fen) => [
  {
    kind: 'bill.presettled',
    body: { billId, fundPay: 12_650n, acctPay: 5_000n, acctMulaidPay, cashPay, month: 202509 },
  },
];
const said = (messages: readonly Message[]) =>
  messages.map((m) => ({ kind: m.kind, body: m.body }));

/** What the bill's outcome fact says of its family aid, last. */
function aidOf(net: Net, billId: string) {
  return net.facts('bill.outcome', billId).at(-1)?.aid;
}

describe('familyAid: a relative pays at the point of care from their own personal account', () => {
  it("familyAid: in region, the spouse's account pays what the patient's own leaves; settled, it is owed to the treatment place", () => {
    const net = new Net(PEOPLE, {}, BOUND);
    expect(said(net.presettle(visit('B-1', 'spo')))).toEqual(presettled('B-1', 12_350n, 0n));
    expect(net.account('spo')).toEqual({ region: '510100', available: 987_650n, held: 12_350n });
    expect(net.book('510100').aids.get('B-1')).toMatchObject({
      accountId: 'spo',
      region: '510100',
      amount: 12_350n,
      state: 'reserved',
      owner: net.shardAddressOf('pat'),
    });
    expect(said(net.settle('B-1', 'pat'))).toEqual([
      { kind: 'bill.settled', body: { billId: 'B-1' } },
    ]);
    expect(net.account('spo')).toEqual({ region: '510100', available: 987_650n, held: 0n });
    expect(net.book('510100').aids.get('B-1')).toMatchObject({ state: 'committed', month: 202509 });
    // The spouse's region owes the treatment place, beside the patient's own shares.
    expect(net.book('510100').regions.get('510100')?.toFunds).toBe(5_000n + 12_350n);
    expect(net.postings('B-1.f').map((p) => [p.op, p.debit, p.credit, p.amount])).toEqual([
      ['reserve', 'spo/available', 'spo/held', 12_350n],
      ['pay', 'spo/held', 'fund:510100', 12_350n],
    ]);
    expect(net.clearingLines.get('B-1.f')).toMatchObject({
      ledger: 'medical',
      payerRegion: '510100',
      payeeRegion: '510100',
      amount: 12_350n,
    });
    expect(aidOf(net, 'B-1')).toEqual({ scope: 'sameRegion', pay: 12_350n, reason: undefined });
  });

  it('familyAid: in province and across provinces where both regions have the wallet (E8), the line runs from the relative’s region', () => {
    const net = new Net(PEOPLE, {}, BOUND);
    // The sister has 20 yuan: she pays that, and cash the rest (123.50 − 20.00).
    expect(said(net.presettle(visit('B-2', 'sis')))).toEqual(presettled('B-2', 2_000n, 10_350n));
    net.settle('B-2', 'pat');
    expect(net.clearingLines.get('B-2.f')).toMatchObject({
      payerRegion: '510700',
      payeeRegion: '510100',
      amount: 2_000n,
    });
    expect(aidOf(net, 'B-2')).toMatchObject({ scope: 'sameProvince', pay: 2_000n });
    // The brother in Suzhou: Jiangsu's province holds and pays, and the line crosses provinces.
    const other = new Net(PEOPLE, {}, BOUND);
    expect(said(other.presettle(visit('B-3', 'bro')))).toEqual(presettled('B-3', 12_350n, 0n));
    other.settle('B-3', 'pat');
    expect(other.account('bro')).toEqual({ region: '320500', available: 987_650n, held: 0n });
    expect(other.clearingLines.get('B-3.f')).toMatchObject({
      payerRegion: '320500',
      payeeRegion: '510100',
    });
    expect(aidOf(other, 'B-3')).toMatchObject({ scope: 'crossProvince', pay: 12_350n });
    // K6, K2: the treatment region pays its provider all but cash; of it, Jiangsu owes the aid
    // (national clearing repays it), and the place confirms a medical and an aid line.
    const pay = (n: Net, billId: string) => n.sent('provider.pay', billId).map((m) => m.body);
    expect(pay(other, 'B-3')).toEqual([
      {
        billId: 'B-3',
        month: 202509,
        insuredRegion: '510100',
        treatmentRegion: '510100',
        paid: 12_650n + 5_000n + 12_350n,
        cash: 0n,
        national: 12_350n,
        medicalLine: 12_650n + 5_000n,
        aidLine: 12_350n,
        aidRegion: '320500',
      },
    ]);
    expect(pay(net, 'B-2')).toMatchObject([
      { paid: 12_650n + 5_000n + 2_000n, cash: 10_350n, national: 0n, aidRegion: '510700' },
    ]);
  });

  it('familyAid: refused, and cash pays, when the relative is in a region without the cross-province wallet (E8), not bound, or bound no longer (W19)', () => {
    const net = new Net(PEOPLE, {}, BOUND);
    expect(said(net.presettle(visit('B-4', 'son')))).toEqual(presettled('B-4', 0n, 12_350n));
    expect(aidOf(net, 'B-4')).toEqual({ scope: 'crossProvince', pay: 0n, reason: 'E8' });
    expect(net.sent('aid.reserve')).toEqual([]);
    // Each bill is cancelled after its look, so the next finds the patient's account again.
    net.cancel('B-4', 'pat');
    expect(said(net.presettle(visit('B-5', 'cou')))).toEqual(presettled('B-5', 0n, 12_350n));
    expect(aidOf(net, 'B-5')).toMatchObject({ reason: 'NO_RELATION' });
    net.cancel('B-5', 'pat');
    net.end('spo', 'pat', 'REVOKED_BY_DONOR');
    expect(said(net.presettle(visit('B-6', 'spo')))).toEqual(presettled('B-6', 0n, 12_350n));
    expect(aidOf(net, 'B-6')).toMatchObject({ reason: 'W19' });
    expect(net.account('spo')).toEqual({ region: '510100', available: 1_000_000n, held: 0n });
  });

  it("familyAid: refused by the relative's province when their account has nothing (FUNDS) or they have none (E1: NO_ACCOUNT)", () => {
    const net = new Net(PEOPLE, {}, BOUND);
    expect(said(net.presettle(visit('B-7', 'dau')))).toEqual(presettled('B-7', 0n, 12_350n));
    expect(aidOf(net, 'B-7')).toMatchObject({ reason: 'FUNDS', pay: 0n });
    net.settle('B-7', 'pat');
    expect(net.clearingLines.has('B-7.f')).toBe(false);
    expect(aidOf(net, 'B-7')).toMatchObject({ reason: 'FUNDS', pay: 0n });
    const other = new Net(PEOPLE, {}, BOUND);
    expect(said(other.presettle(visit('B-8', 'res')))).toEqual(presettled('B-8', 0n, 12_350n));
    expect(aidOf(other, 'B-8')).toMatchObject({ reason: 'NO_ACCOUNT', pay: 0n });
  });

  it('P3: family aid comes after the wallet: a relative pays only what is left', () => {
    const net = new Net(PEOPLE, {}, BOUND);
    net.transfer('T-1', 'spo', 'pat', 10_000n);
    net.receive('T-1', 'pat');
    expect(said(net.presettle(visit('B-9', 'bro', { useWallet: 'Y' })))).toEqual(
      presettled('B-9', 10_000n + 2_350n, 0n),
    );
    expect(net.book('320500').aids.get('B-9')).toMatchObject({ amount: 2_350n });
  });

  it('P3: when the wallet pays all that is left, no relative is asked', () => {
    const net = new Net(PEOPLE, {}, BOUND);
    net.transfer('T-1', 'spo', 'pat', 12_350n);
    net.receive('T-1', 'pat');
    expect(said(net.presettle(visit('B-11', 'bro', { useWallet: 'Y' })))).toEqual(
      presettled('B-11', 12_350n, 0n),
    );
    expect(net.log.filter((m) => m.kind === 'aid.reserve')).toEqual([]);
    expect(net.book('320500').aids.has('B-11')).toBe(false);
  });

  it("familyAid: a cancellation before settle releases the relative's hold; a reversal after settle refunds it and undoes the line", () => {
    const net = new Net(PEOPLE, {}, BOUND);
    net.presettle(visit('B-10', 'bro'));
    expect(net.account('bro')?.held).toBe(12_350n);
    net.cancel('B-10', 'pat');
    expect(net.account('bro')).toEqual({ region: '320500', available: 1_000_000n, held: 0n });
    expect(net.book('320500').aids.get('B-10')?.state).toBe('released');
    expect(net.postings('B-10.f').map((p) => p.op)).toEqual(['reserve', 'release']);

    net.presettle(visit('B-11', 'bro'));
    net.settle('B-11', 'pat');
    expect(net.clearingLines.get('B-11.f')?.undone).toBe(false);
    expect(said(net.reverse('B-11', 'pat'))).toEqual([
      { kind: 'bill.reversed', body: { billId: 'B-11' } },
    ]);
    expect(net.account('bro')).toEqual({ region: '320500', available: 1_000_000n, held: 0n });
    expect(net.book('320500').aids.get('B-11')?.state).toBe('refunded');
    expect(net.book('320500').regions.get('320500')?.toFunds).toBe(0n);
    expect(net.clearingLines.get('B-11.f')?.undone).toBe(true);
    expect(net.postings('B-11.f').map((p) => p.op)).toEqual(['reserve', 'pay', 'unpay']);
    expect(aidOf(net, 'B-11')).toMatchObject({ pay: 12_350n });
  });

  it('a province rebuilt from its records after a restart holds the same bills, aid, holds and counts', () => {
    const net = new Net(PEOPLE, {}, BOUND);
    net.presettle(visit('B-1', 'spo'));
    net.settle('B-1', 'pat');
    net.presettle(visit('B-2', 'sis'));
    net.presettle(visit('B-3', 'bro'));
    net.cancel('B-3', 'pat');
    net.presettle(visit('B-4', 'spo'));
    for (const region of ['510100', '320500']) {
      const live = net.book(region);
      const rebuilt = net.rebuiltBook(region);
      for (const part of [
        'accounts',
        'regions',
        'persons',
        'bills',
        'aids',
        'holds',
        'providers',
        'providerDays',
        'providerMonths',
        'claims',
        'debits',
      ] as const)
        expect(rebuilt[part], `${region} ${part}`).toEqual(live[part]);
      expect(rebuilt.fund).toBe(live.fund);
    }
    // Bills B-2 and B-4 (and their aid) are still held; each is tracked for the orphan check.
    expect([...net.rebuiltBook('510100').holds.keys()].sort()).toEqual(
      [...net.book('510100').holds.keys()].sort(),
    );
    expect(net.book('510100').holds.size).toBeGreaterThan(0);
  });

  it('only the shard that asked for a hold may move it: a commit or release from another is not applied nor answered', () => {
    const net = new Net(PEOPLE, {}, BOUND);
    net.presettle(visit('B-7', 'spo'));
    const stranger = 'wallet.09';
    for (const kind of ['bill.commit', 'bill.release', 'aid.commit', 'aid.release'] as const) {
      const body = kind.endsWith('commit') ? { billId: 'B-7', month: 202509 } : { billId: 'B-7' };
      net.enqueue({ from: stranger, to: 'province.51', kind, corr: 'B-7', body, at: net.now });
    }
    net.deliver();
    expect(net.book('510100').bills.get('B-7')?.state).toBe('reserved');
    expect(net.book('510100').aids.get('B-7')?.state).toBe('reserved');
    expect(net.log.filter((m) => m.to === stranger)).toEqual([]);
    expect(net.account('spo')).toEqual({ region: '510100', available: 987_650n, held: 12_350n });
  });

  it('a faulty province answer is ignored and the step asked again: a split that does not add up, an aid above the ask', () => {
    const net = new Net(PEOPLE, {}, BOUND);
    const lied = new Set<string>();
    net.alter = (m) => {
      if (lied.has(m.kind)) return m;
      const body = m.body as Record<string, unknown>;
      if (m.kind === 'bill.reserved') {
        lied.add(m.kind);
        return { ...m, body: { ...body, fundPay: (body.fundPay as Fen) + 1n } } as Message;
      }
      if (m.kind === 'aid.reserved') {
        lied.add(m.kind);
        return { ...m, body: { ...body, amount: (body.amount as Fen) + 100n } } as Message;
      }
      return m;
    };
    expect(net.presettle(visit('B-9', 'spo'))).toEqual([]);
    net.advance(net.now + 60_000);
    net.advance(net.now + 60_000);
    expect([...lied].sort()).toEqual(['aid.reserved', 'bill.reserved']);
    expect(said(net.inboxOf('bill.presettled'))).toEqual(presettled('B-9', 12_350n, 0n));
    expect(net.account('spo')).toEqual({ region: '510100', available: 987_650n, held: 12_350n });
  });

  it("familyAid: a duplicate of the relative's hold is answered as the first time and holds nothing twice", () => {
    const net = new Net(PEOPLE, {}, BOUND);
    net.presettle(visit('B-12', 'spo'));
    const [asked] = net.sent('aid.reserve', 'B-12');
    net.enqueue(asked!);
    net.deliver();
    expect(net.sent('aid.reserved', 'B-12').map((m) => m.body)).toEqual([
      { billId: 'B-12', amount: 12_350n, region: '510100' },
      { billId: 'B-12', amount: 12_350n, region: '510100' },
    ]);
    expect(net.account('spo')?.held).toBe(12_350n);
    expect(net.postings('B-12.f').map((p) => p.op)).toEqual(['reserve']);
  });
});
