// K6: the treatment region pays its provider for a settled bill within the settle ("instant
// settlement", about a day in DOMAIN): everything but cash out of its pooling fund, as an advance
// the monthly clearing repays, and the patient's cash from outside the model; taken back when
// the bill is reversed. End to end through real actors; every amount is in fen.
//
// The visit is P3's (actors/payment_rules.test.ts): 300 yuan, 250 on the catalogue, for a
// Chengdu patient with 50 yuan in the account: the fund pays 126.50, the account 50.00, cash
// 123.50.
import { describe, expect, it } from 'vitest';

import { type BillRequest, Net, type Person } from '../testing/net.ts';

const PEOPLE: readonly Person[] = [
  {
    id: 'pat',
    region: '510100',
    ebmi: true,
    balance: 5_000n,
    name: '李明',
    idNo: '510100198001011111',
    filedTo: ['32'],
  },
  // Someone in Suzhou, so that Jiangsu's province is on the network.
  { id: 'sz', region: '320500', ebmi: true, balance: 0n, name: '周敏', idNo: '320500198108088888' },
  // A resident (URRBMI) of Mianyang: no personal account (E1).
  {
    id: 'res',
    region: '510700',
    ebmi: false,
    name: '王芳',
    idNo: '510700195503033333',
    filedTo: ['32'],
  },
];

const visit = (billId: string, treatmentRegion: string): BillRequest => ({
  billId,
  personId: 'pat',
  treatmentRegion,
  care: 'outpatient',
  total: 30_000n,
  eligible: 25_000n,
});

describe('K6: the treatment region pays its provider within the settle', () => {
  it('K6: a local bill: the region pays its provider the fund and account shares out of its fund (the account share came in at the settle), and the cash comes from outside', () => {
    const net = new Net(PEOPLE);
    net.presettle(visit('B-1', '510100'));
    // Nothing is paid before the settle.
    expect(net.book('510100').providers.has('B-1')).toBe(false);
    net.settle('B-1', 'pat');
    expect(net.book('510100').providers.get('B-1')).toMatchObject({
      treatmentRegion: '510100',
      paid: 12_650n + 5_000n,
      cash: 12_350n,
      state: 'paid',
    });
    // The account share entered the region's fund at the settle, so the fund is out only the
    // fund share: the insured region's pooling fund paid it (DOMAIN §3.1, a local bill).
    expect(net.book('510100').regions.get('510100')).toMatchObject({
      fund: -12_650n,
      toFunds: 5_000n,
      advanced: 17_650n,
      provider: 30_000n,
      cash: -12_350n,
    });
    expect(net.postings('B-1.v').map((p) => [p.op, p.debit, p.credit, p.amount])).toEqual([
      ['pay', 'fund:510100', 'provider:510100', 17_650n],
    ]);
    expect(net.postings('B-1.h').map((p) => [p.op, p.debit, p.credit, p.amount])).toEqual([
      ['pay', 'cash:510100', 'provider:510100', 12_350n],
    ]);
    expect(net.facts('provider.payment', 'B-1')).toEqual([
      { type: 'provider.payment', corr: 'B-1', scope: 'local', state: 'paid' },
    ]);
  });

  it('K6: across provinces, the treatment province pays: Suzhou advances for a Chengdu patient', () => {
    const net = new Net(PEOPLE);
    net.presettle(visit('B-2', '320500'));
    net.settle('B-2', 'pat');
    expect(net.book('320500').providers.get('B-2')).toMatchObject({
      insuredRegion: '510100',
      treatmentRegion: '320500',
      state: 'paid',
    });
    expect(net.book('510100').providers.has('B-2')).toBe(false);
    expect(net.book('320500').regions.get('320500')?.provider).toBe(30_000n);
    // Chengdu's fund passed the fund and account shares to Sichuan's pool at the settle; Jiangsu's
    // pool paid Suzhou's fund back its advance, which national clearing repays to the pool.
    const bill = net.book('510100').bills.get('B-2')!;
    const owed = bill.fundPay + bill.acctPay;
    expect(bill.acctPay).toBeGreaterThan(0n);
    expect(net.book('320500').providers.get('B-2')?.national).toBe(owed);
    expect(net.book('510100').regions.get('510100')).toMatchObject({ fund: -bill.fundPay });
    expect(net.book('510100').fund).toBe(owed);
    expect(net.book('320500').regions.get('320500')).toMatchObject({ fund: 0n, advanced: owed });
    expect(net.book('320500').fund).toBe(-owed);
    // A reversal gives every fund back what it moved.
    net.reverse('B-2', 'pat');
    expect(net.book('510100').regions.get('510100')).toMatchObject({ fund: 0n, toFunds: 0n });
    expect(net.book('320500').regions.get('320500')).toMatchObject({ fund: 0n, advanced: 0n });
    expect([net.book('510100').fund, net.book('320500').fund]).toEqual([0n, 0n]);
    expect(net.postings('B-2.n').map((p) => p.op)).toEqual(['pay', 'unpay']);
    expect(net.postings('B-2.r').map((p) => p.op)).toEqual(['pay', 'unpay']);
  });

  it('K6: a pay whose national part exceeds what it pays changes nothing (a faulty peer)', () => {
    const net = new Net(PEOPLE);
    net.presettle(visit('B-5', '320500'));
    net.settle('B-5', 'pat');
    const [pay] = net.sent('provider.pay', 'B-5');
    const forged = { ...pay!, corr: 'B-6', body: { ...pay!.body, billId: 'B-6', national: 1n } };
    forged.body.paid = 0n;
    net.enqueue(forged);
    net.deliver();
    expect(net.book('320500').providers.has('B-6')).toBe(false);
    expect(net.postings('B-6.r')).toEqual([]);
    expect(net.sent('provider.paid', 'B-6')).toEqual([]);
  });

  it('K6: a reversal after settle takes the payment back, fund and cash, once', () => {
    const net = new Net(PEOPLE);
    net.presettle(visit('B-3', '510100'));
    net.settle('B-3', 'pat');
    net.reverse('B-3', 'pat');
    expect(net.bill('B-3').value).toBe('reversed');
    expect(net.book('510100').providers.get('B-3')?.state).toBe('refunded');
    expect(net.book('510100').regions.get('510100')).toMatchObject({
      fund: 0n,
      advanced: 0n,
      provider: 0n,
      cash: 0n,
    });
    expect(net.postings('B-3.v').map((p) => p.op)).toEqual(['pay', 'unpay']);
    expect(net.postings('B-3.h').map((p) => p.op)).toEqual(['pay', 'unpay']);
  });

  it('K6: a duplicate pay is answered and pays nothing twice; a pay from another shard is ignored', () => {
    const net = new Net(PEOPLE);
    net.presettle(visit('B-4', '510100'));
    net.settle('B-4', 'pat');
    const [pay] = net.sent('provider.pay', 'B-4');
    net.enqueue(pay!);
    net.enqueue({ ...pay!, from: 'wallet.99', corr: 'B-4' });
    net.deliver();
    expect(net.sent('provider.paid', 'B-4')).toHaveLength(2);
    expect(net.postings('B-4.v')).toHaveLength(1);
    const refund = { ...pay!, kind: 'provider.refund' as const, body: { billId: 'B-4' } };
    net.enqueue({ ...refund, from: 'wallet.99' });
    net.deliver();
    expect(net.book('510100').providers.get('B-4')?.state).toBe('paid');
  });
});

describe("D2: a resident's fund share comes from the region's resident fund (URRBMI)", () => {
  const residentVisit = (billId: string, treatmentRegion: string): BillRequest => ({
    ...visit(billId, treatmentRegion),
    personId: 'res',
  });

  it("D2: a resident's local bill: the resident fund pays the fund share over to the region's fund, which pays the provider; a reversal gives it back", () => {
    const net = new Net(PEOPLE);
    net.presettle(residentVisit('B-7', '510700'));
    net.settle('B-7', 'res');
    const bill = net.book('510700').bills.get('B-7')!;
    expect(bill).toMatchObject({ resident: true, acctPay: 0n, state: 'committed' });
    expect(bill.fundPay).toBeGreaterThan(0n);
    expect(net.postings('B-7.e').map((p) => [p.op, p.debit, p.credit, p.amount])).toEqual([
      ['pay', 'resfund:510700', 'fund:510700', bill.fundPay],
    ]);
    expect(net.book('510700').regions.get('510700')).toMatchObject({
      residentFund: -bill.fundPay,
      fund: 0n,
      advanced: bill.fundPay,
    });
    net.reverse('B-7', 'res');
    expect(net.book('510700').regions.get('510700')).toMatchObject({ residentFund: 0n, fund: 0n });
  });

  it("D2: a resident's bill in another province: the resident fund passes the fund share to the province's pool", () => {
    const net = new Net(PEOPLE);
    net.presettle(residentVisit('B-8', '320500'));
    net.settle('B-8', 'res');
    const bill = net.book('510700').bills.get('B-8')!;
    expect(bill.toPool).toBe(bill.fundPay);
    expect(net.postings('B-8.n').map((p) => [p.op, p.debit, p.credit, p.amount])).toEqual([
      ['pay', 'resfund:510700', 'fund', bill.fundPay],
    ]);
    expect(net.book('510700').regions.get('510700')?.residentFund).toBe(-bill.fundPay);
    expect(net.book('510700').fund).toBe(bill.fundPay);
  });
});

describe("K3: a POS reconciles each day's settled bills with their treatment region", () => {
  /** The day the Net's clock is on (it starts at the protocol's start date). */
  const DAY = 20_250_929;

  /** Two bills settled on DAY, and the clock on the next day (the day is over). */
  function settledDay(): Net {
    const net = new Net(PEOPLE);
    net.presettle(visit('B-1', '510100'));
    net.settle('B-1', 'pat');
    net.presettle(visit('B-2', '510100'));
    net.settle('B-2', 'pat');
    net.advance(net.now + 86_400_000);
    return net;
  }
  const answers = (net: Net, corr: string) =>
    net.inbox
      .filter((m) => m.corr === corr && m.kind.startsWith('provider.'))
      .map((m) => [m.kind, m.body]);

  it("K3: totals that match the region's payments of the day are agreed (3201), once", () => {
    const net = settledDay();
    const body = { region: '510100', day: DAY, count: 2, total: 60_000n };
    net.fromApp('province.51', 'provider.totals', 'R1', body);
    net.fromApp('province.51', 'provider.totals', 'R1', body);
    expect(answers(net, 'R1')).toEqual([
      ['provider.totalsAgreed', { region: '510100', day: DAY }],
      ['provider.totalsAgreed', { region: '510100', day: DAY }],
    ]);
    expect(net.facts('provider.reconciliation')).toHaveLength(1);
    expect(net.book('510100').reconciliations.get(`510100.${DAY}`)).toMatchObject({
      state: 'agreed',
      count: 2,
    });
  });

  it("K3: totals that differ get the region's own figures; each detail (3202) is found, and a bill settled at the POS and never recorded is named", () => {
    const net = settledDay();
    const body = { region: '510100', day: DAY, count: 3, total: 90_000n };
    net.fromApp('province.51', 'provider.totals', 'R1', body);
    expect(answers(net, 'R1')).toEqual([
      ['provider.totalsDiffer', { region: '510100', day: DAY, count: 2, total: 60_000n }],
    ]);
    const detail = (billId: string, total = 30_000n) => ({
      region: '510100',
      day: DAY,
      billId,
      total,
    });
    net.fromApp('province.51', 'provider.detail', 'B-1', detail('B-1'));
    net.fromApp('province.51', 'provider.detail', 'B-X', detail('B-X'));
    // A duplicate is answered the same and names the bill once.
    net.fromApp('province.51', 'provider.detail', 'B-X', detail('B-X'));
    // The right bill with another total was not what the region paid for either.
    net.fromApp('province.51', 'provider.detail', 'B-2', detail('B-2', 29_999n));
    expect(answers(net, 'B-1')).toEqual([['provider.detailAgreed', { billId: 'B-1' }]]);
    expect(answers(net, 'B-X').map(([kind]) => kind)).toEqual([
      'provider.unrecorded',
      'provider.unrecorded',
    ]);
    expect(answers(net, 'B-2').map(([kind]) => kind)).toEqual(['provider.unrecorded']);
    expect([...net.book('510100').unrecorded].sort()).toEqual(['B-2', 'B-X']);
    expect(net.facts('provider.unrecorded', 'B-X')).toEqual([
      { type: 'provider.unrecorded', corr: 'B-X', region: '510100', day: DAY, total: 30_000n },
    ]);
    // Nothing moved: reconciliation reads the payments, it does not change them.
    expect(net.postings().filter((p) => p.corr.startsWith('B-X'))).toEqual([]);
  });

  it('K3: totals of a day not yet over change nothing; other figures for a day are reconciled afresh', () => {
    const net = new Net(PEOPLE);
    net.presettle(visit('B-1', '510100'));
    net.settle('B-1', 'pat');
    // A faulty POS's figures for today: no answer, no record.
    const early = { region: '510100', day: DAY, count: 0, total: 0n };
    net.fromApp('province.51', 'provider.totals', 'R0', early);
    expect(answers(net, 'R0')).toEqual([]);
    expect(net.book('510100').reconciliations.size).toBe(0);
    net.advance(net.now + 86_400_000);
    // Forged figures that agree with nothing do not fix the answer the real POS gets.
    net.fromApp('province.51', 'provider.totals', 'R0', early);
    net.fromApp('province.51', 'provider.totals', 'R1', { ...early, count: 1, total: 30_000n });
    expect(answers(net, 'R0').map(([kind]) => kind)).toEqual(['provider.totalsDiffer']);
    expect(answers(net, 'R1').map(([kind]) => kind)).toEqual(['provider.totalsAgreed']);
    expect(net.book('510100').reconciliations.get(`510100.${DAY}`)?.state).toBe('agreed');
  });

  it("K3: a monthly clearing application (3203) for a month not yet over changes nothing; once it is over it is agreed against the month's payments not taken back, else answered with the region's figures", () => {
    const net = new Net(PEOPLE);
    for (const id of ['B-1', 'B-2']) {
      net.presettle(visit(id, '510100'));
      net.settle(id, 'pat');
    }
    net.cancel('B-2', 'pat');
    const paid = net.book('510100').providers.get('B-1')!.paid;
    expect(paid).toBeGreaterThan(0n);
    const body = { region: '510100', month: 202509, count: 1, applied: paid };
    net.fromApp('province.51', 'provider.apply', 'A0', body);
    expect(answers(net, 'A0')).toEqual([]);
    expect(net.book('510100').applications.size).toBe(0);
    net.advance(net.now + 3 * 86_400_000);
    net.fromApp('province.51', 'provider.apply', 'A1', body);
    net.fromApp('province.51', 'provider.apply', 'A1', body);
    const applied = ['provider.applied', { region: '510100', month: 202509 }];
    expect(answers(net, 'A1')).toEqual([applied, applied]);
    expect(net.facts('provider.application')).toHaveLength(1);
    // B-2's payment was taken back: an application that still counts it gets the region's own
    // figures, and the record says so.
    net.fromApp('province.51', 'provider.apply', 'A2', { ...body, count: 2, applied: paid * 2n });
    expect(answers(net, 'A2')).toEqual([
      ['provider.applyDiffers', { region: '510100', month: 202509, count: 1, applied: paid }],
    ]);
    expect(net.book('510100').applications.get('510100.202509')).toMatchObject({
      state: 'differed',
      posCount: 2,
      count: 1,
    });
    // A region of another province is not this province's to answer.
    net.fromApp('province.51', 'provider.apply', 'A3', { ...body, region: '320500' });
    expect(answers(net, 'A3')).toEqual([]);
  });

  it("K3: a region of another province is not this province's to reconcile", () => {
    const net = settledDay();
    const body = { region: '320500', day: DAY, count: 0, total: 0n };
    net.fromApp('province.51', 'provider.totals', 'R2', body);
    expect(answers(net, 'R2')).toEqual([]);
    expect(net.book('510100').reconciliations.size).toBe(0);
  });
});
