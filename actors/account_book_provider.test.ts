// A province's account book driven directly, for family aid (a relative's share of a bill),
// K6's provider payments and K3's reconciliations: the records it writes, the postings it
// emits (with their names and money classes), and what it refuses or ignores.
import { describe, expect, it } from 'vitest';

import type { Envelope, Fen } from '../protocol/index.ts';
import { RecordingEffects } from '../testing/fakes.ts';
import { AccountBook } from './account_book.ts';
import type { Posting } from './effects.ts';
import { type AccountRecord, type PersonRecord, RECORDS } from './records.ts';

const LEDGER = 'province.51';
const SHARD = 'wallet.03';

/** A book opened with these accounts and persons (as a province's records hold them). */
function open(
  accounts: Record<string, AccountRecord>,
  persons: Record<string, PersonRecord> = {},
): { book: AccountBook; records: Map<string, unknown> } {
  const records = new Map<string, unknown>();
  for (const [id, account] of Object.entries(accounts))
    records.set(RECORDS.account.key(id), account);
  for (const [id, person] of Object.entries(persons)) records.set(RECORDS.person.key(id), person);
  return { book: AccountBook.fromRecords(LEDGER, records), records };
}

/** The book rebuilt from the opening records and everything written since. */
function rebuilt(records: Map<string, unknown>, ...steps: RecordingEffects[]): AccountBook {
  const all = new Map(records);
  for (const fx of steps) for (const { key, value } of fx.writes) all.set(key, value);
  return AccountBook.fromRecords(LEDGER, all);
}

/** A posting as a row: op, corr, debit (class, balance after), credit (class), amount. */
const row = (p: Posting) =>
  [p.op, p.corr, p.debit, p.debitClass, p.debitAfter, p.credit, p.creditClass, p.amount] as const;
const rows = (fx: RecordingEffects) => fx.postings().map(row);

describe('familyAid in the relative’s province: hold, pay, release, refund', () => {
  const REL: AccountRecord = { region: '510100', available: 10_000n, held: 0n };
  const ask = (max: Fen, accountId = 'rel', treatmentRegion = '320500') => ({
    billId: 'B-1',
    accountId,
    patientId: 'pat',
    treatmentRegion,
    max,
  });
  const owner = { owner: SHARD, at: 5 };

  it('familyAid: a relative without an account is refused NO_ACCOUNT under no region, one with nothing FUNDS; neither holds anything', () => {
    const { book } = open({ poor: { region: '510100', available: 0n, held: 0n } });
    const fx = new RecordingEffects();
    expect(book.reserveAid('B-1', ask(3_000n, 'none'), fx, owner)).toMatchObject({
      region: '-',
      amount: 0n,
      state: 'rejected',
      reason: 'NO_ACCOUNT',
    });
    expect(book.reserveAid('B-2', ask(3_000n, 'poor'), fx, owner)).toMatchObject({
      region: '510100',
      amount: 0n,
      state: 'rejected',
      reason: 'FUNDS',
    });
    expect(fx.postings()).toEqual([]);
    expect(book.holds.size).toBe(0);
  });

  it('familyAid: the hold is what the account has, up to the ask; it is tracked as an open hold only when its owner is known', () => {
    const { book } = open({ rel: REL, rel2: REL });
    const fx = new RecordingEffects();
    expect(book.reserveAid('B-1', ask(30_000n), fx, owner)).toMatchObject({
      amount: 10_000n,
      state: 'reserved',
    });
    expect(book.holds.get('B-1.f')).toEqual({ kind: 'aid', owner: SHARD, at: 5, amount: 10_000n });
    book.reserveAid('B-2', ask(3_000n, 'rel2'), fx);
    expect(book.aids.get('B-2')).toMatchObject({ amount: 3_000n, state: 'reserved' });
    expect([...book.holds.keys()]).toEqual(['B-1.f']);
  });

  it('familyAid across provinces: settled, the share goes into the relative’s region’s fund and on to the pool (`.g`); refunded, both come back', () => {
    const { book } = open({ rel: REL });
    const fx = new RecordingEffects();
    book.reserveAid('B-1', ask(3_000n), fx, owner);
    const commit = new RecordingEffects();
    book.commitAid('B-1', 202509, commit);
    expect(rows(commit)).toEqual([
      ['pay', 'B-1.f', 'rel/held', 'held', 0n, 'fund:510100', 'fund', 3_000n],
      ['pay', 'B-1.g', 'fund:510100', 'fund', 0n, 'fund', 'fund', 3_000n],
    ]);
    expect(book.fund).toBe(3_000n);
    expect(book.holds.size).toBe(0);
    const refund = new RecordingEffects();
    book.refundAid('B-1', refund);
    expect(rows(refund)).toEqual([
      ['unpay', 'B-1.g', 'fund', 'fund', 0n, 'fund:510100', 'fund', 3_000n],
      ['unpay', 'B-1.f', 'fund:510100', 'fund', 0n, 'rel/available', 'available', 3_000n],
    ]);
    expect(book.accounts.get('rel')).toEqual(REL);
    expect(book.aids.get('B-1')?.state).toBe('refunded');
  });

  it('familyAid inside the province: the settled share stays in the relative’s region’s fund, nothing goes to the pool', () => {
    const { book } = open({ rel: REL });
    book.reserveAid('B-1', ask(3_000n, 'rel', '510700'), new RecordingEffects(), owner);
    const commit = new RecordingEffects();
    book.commitAid('B-1', 202509, commit);
    expect(rows(commit)).toEqual([
      ['pay', 'B-1.f', 'rel/held', 'held', 0n, 'fund:510100', 'fund', 3_000n],
    ]);
    expect(book.fund).toBe(0n);
    expect(commit.writes.map((w) => w.key)).not.toContain(RECORDS.poolingFund.key());
  });

  it('familyAid: a release gives the hold back and is marked an orphan only when it is one', () => {
    const { book } = open({ rel: REL, rel2: REL });
    book.reserveAid('B-1', ask(3_000n), new RecordingEffects(), owner);
    book.reserveAid('B-2', ask(3_000n, 'rel2'), new RecordingEffects(), owner);
    const fx = new RecordingEffects();
    book.releaseAid('B-1', fx);
    book.releaseAid('B-2', fx, true);
    expect(book.aids.get('B-1')).toEqual({
      accountId: 'rel',
      region: '510100',
      patientId: 'pat',
      treatmentRegion: '320500',
      owner: SHARD,
      at: 5,
      amount: 3_000n,
      state: 'released',
      reason: undefined,
    });
    expect(book.aids.get('B-2')).toMatchObject({ state: 'released', orphan: true });
    expect(book.accounts.get('rel')).toEqual(REL);
    expect(book.holds.size).toBe(0);
  });
});

describe('K2: the lines a treatment province speaks for', () => {
  it('K2: a line id that names no medical or family-aid line of a bill is no line of the province', () => {
    const { book } = open({});
    expect(book.lineOf(202509, 'B-1.w')).toBeUndefined();
    expect(book.lineOf(202509, 'B-1')).toBeUndefined();
  });
});

type PayBody = Envelope<'provider.pay'>['body'];

/** A local Chengdu bill of 300 yuan (P3's visit): the region pays its provider 176.50. */
const pay = (billId: string, over: Partial<PayBody> = {}): PayBody => ({
  billId,
  month: 202509,
  insuredRegion: '510100',
  treatmentRegion: '510100',
  paid: 17_650n,
  cash: 12_350n,
  national: 0n,
  medicalLine: 17_650n,
  aidLine: 0n,
  aidRegion: '510100',
  ...over,
});
const DAY = 20_250_929;

describe('K6: a treatment region pays its provider, and takes it back', () => {
  it('K6: a pay whose lines add up to more than it pays, or whose national part does, changes nothing (a faulty peer)', () => {
    const { book } = open({});
    const fx = new RecordingEffects();
    const lines = pay('B-1', { paid: 10_000n, medicalLine: 8_000n, aidLine: 3_000n });
    book.payProvider('B-1', lines, SHARD, DAY, fx);
    const national = pay('B-2', { paid: 10_000n, national: 10_001n, medicalLine: 10_000n });
    book.payProvider('B-2', national, SHARD, DAY, fx);
    expect(book.providers.size).toBe(0);
    expect(fx.events).toEqual([]);
    expect(fx.writes).toEqual([]);
  });

  it('K6: a region first met in a pay is written with all its counters', () => {
    const { book } = open({});
    const fx = new RecordingEffects();
    book.payProvider('B-1', pay('B-1'), SHARD, DAY, fx);
    expect(fx.lastWrite(RECORDS.region.key('510100'))).toEqual({
      source: 0n,
      due: 0n,
      fund: -17_650n,
      advanced: 17_650n,
      provider: 30_000n,
      cash: -12_350n,
    });
  });

  it('K6: a bill paid all in cash posts no fund pay, one with no cash no cash pay; nor do their refunds, and a pay with no national part does not touch the pool', () => {
    const { book } = open({});
    const fx = new RecordingEffects();
    book.payProvider(
      'B-1',
      pay('B-1', { paid: 0n, cash: 30_000n, medicalLine: 0n }),
      SHARD,
      DAY,
      fx,
    );
    book.payProvider('B-2', pay('B-2', { cash: 0n }), SHARD, DAY, fx);
    expect(rows(fx)).toEqual([
      ['pay', 'B-1.h', 'cash:510100', 'cash', -30_000n, 'provider:510100', 'provider', 30_000n],
      ['pay', 'B-2.v', 'fund:510100', 'fund', -17_650n, 'provider:510100', 'provider', 17_650n],
    ]);
    const undo = new RecordingEffects();
    book.refundProvider('B-1', SHARD, undo);
    book.refundProvider('B-2', SHARD, undo);
    expect(rows(undo)).toEqual([
      ['unpay', 'B-1.h', 'provider:510100', 'provider', 17_650n, 'cash:510100', 'cash', 30_000n],
      ['unpay', 'B-2.v', 'provider:510100', 'provider', 0n, 'fund:510100', 'fund', 17_650n],
    ]);
    expect(undo.writes.map((w) => w.key)).not.toContain(RECORDS.poolingFund.key());
  });

  it('K6: a refund takes the payment back once, says so, and only for the shard that paid', () => {
    const { book } = open({});
    book.payProvider(
      'B-1',
      pay('B-1', { insuredRegion: '320500' }),
      SHARD,
      DAY,
      new RecordingEffects(),
    );
    const other = new RecordingEffects();
    book.refundProvider('B-1', 'wallet.09', other);
    expect(other.events).toEqual([]);
    expect(book.providers.get('B-1')?.state).toBe('paid');
    const fx = new RecordingEffects();
    book.refundProvider('B-1', SHARD, fx);
    expect(book.providers.get('B-1')?.state).toBe('refunded');
    expect(fx.postings().map((p) => p.corr)).toEqual(['B-1.v', 'B-1.h']);
    expect(fx.events.filter((e) => e.type !== 'posting')).toEqual([
      { type: 'provider.payment', corr: 'B-1', scope: 'crossProvince', state: 'refunded' },
    ]);
    const again = new RecordingEffects();
    book.refundProvider('B-1', SHARD, again);
    expect(again.events).toEqual([]);
    expect(again.writes).toEqual([]);
    expect(book.providerMonths.get('510100.202509')).toEqual({ count: 0, applied: 0n });
  });

  it('K6: a refund before any pay leaves a record that stops the late pay, which a rebuilt book keeps and counts on no day', () => {
    const { book, records } = open({});
    const fx = new RecordingEffects();
    book.refundProvider('B-1', SHARD, fx);
    const tombstone = {
      insuredRegion: '-',
      treatmentRegion: '-',
      paid: 0n,
      cash: 0n,
      month: 0,
      owner: SHARD,
      state: 'refunded',
    };
    expect(fx.writes).toEqual([{ key: RECORDS.providerPayment.key('B-1'), value: tombstone }]);
    expect(fx.events).toEqual([]);
    book.payProvider('B-1', pay('B-1'), SHARD, DAY, fx);
    expect(book.providers.get('B-1')).toEqual(tombstone);
    expect(fx.events).toEqual([]);
    const again = rebuilt(records, fx);
    expect(again.providers.get('B-1')).toEqual(tombstone);
    expect(again.providerDays.size).toBe(0);
    expect(again.providerMonths.size).toBe(0);
  });
});

describe('D2: a resident’s fund share, moved between the resident fund and the region’s fund', () => {
  const resident: PersonRecord = {
    name: 'Resident',
    idNo: '510100199001010011',
    region: '510100',
    enrolled: true,
    kin: [],
    creditFen: 0n,
  };
  const bill = (billId: string, eligible: Fen) => ({
    billId,
    personId: 'res',
    treatmentRegion: '510100',
    care: 'outpatient' as const,
    disease: '-',
    total: 30_000n,
    eligible,
    emergency: 'N' as const,
    networked: 'Y' as const,
  });

  it('D2: settled, the resident fund pays the fund share over (`.e`); refunded, the region’s fund pays it back (unpay)', () => {
    const { book } = open({}, { res: resident });
    const fx = new RecordingEffects();
    const { fundPay } = book.reserveBill('B-1', bill('B-1', 25_000n), fx);
    expect(fundPay).toBeGreaterThan(0n);
    book.commitBill('B-1', 202509, fx);
    book.refundBill('B-1', fx);
    expect(rows(fx).filter((r) => r[1] === 'B-1.e')).toEqual([
      ['pay', 'B-1.e', 'resfund:510100', 'fund', -fundPay, 'fund:510100', 'fund', fundPay],
      ['unpay', 'B-1.e', 'fund:510100', 'fund', 0n, 'resfund:510100', 'fund', fundPay],
    ]);
  });

  it('D2: a resident’s bill the fund pays nothing of moves nothing between the funds', () => {
    const { book } = open({}, { res: resident });
    const fx = new RecordingEffects();
    expect(book.reserveBill('B-1', bill('B-1', 0n), fx).fundPay).toBe(0n);
    book.commitBill('B-1', 202509, fx);
    book.refundBill('B-1', fx);
    expect(fx.postings()).toEqual([]);
  });
});

describe("K3: a POS's figures against the region's payments", () => {
  /** Two bills of 30,000 paid on DAY in Chengdu, in month 202509. */
  function paidDay(): AccountBook {
    const { book } = open({});
    for (const id of ['B-1', 'B-2'])
      book.payProvider(id, pay(id), SHARD, DAY, new RecordingEffects());
    return book;
  }
  const totals = (count: number, total: Fen, day = DAY) => ({
    region: '510100',
    day,
    count,
    total,
  });

  it('K3 (3201): a day without payments agrees with a POS that counts none', () => {
    const fx = new RecordingEffects();
    expect(paidDay().reconcileTotals(totals(0, 0n, DAY - 1), DAY + 1, fx)).toMatchObject({
      count: 0,
      total: 0n,
      state: 'agreed',
    });
  });

  it('K3 (3201): the count and the total must both agree; either alone differs, and new figures are reconciled afresh', () => {
    const book = paidDay();
    const fx = new RecordingEffects();
    const reconcile = (count: number, total: Fen) =>
      book.reconcileTotals(totals(count, total), DAY + 1, fx);
    expect(reconcile(2, 59_000n)).toMatchObject({
      posCount: 2,
      posTotal: 59_000n,
      state: 'differed',
    });
    expect(reconcile(3, 59_000n)).toMatchObject({
      posCount: 3,
      posTotal: 59_000n,
      state: 'differed',
    });
    expect(reconcile(3, 60_000n)).toMatchObject({
      posCount: 3,
      posTotal: 60_000n,
      state: 'differed',
    });
    expect(reconcile(2, 60_000n)).toMatchObject({ count: 2, total: 60_000n, state: 'agreed' });
    expect(fx.events.map((e) => e.type === 'provider.reconciliation' && e.state)).toEqual([
      'differed',
      'differed',
      'differed',
      'agreed',
    ]);
  });

  it('K3 (3203): a month without payments agrees with a POS that applies for none; count and amount must both agree', () => {
    const book = paidDay();
    const fx = new RecordingEffects();
    const apply = (month: number, count: number, applied: Fen) =>
      book.applyForClearing({ region: '510100', month, count, applied }, 202510, fx);
    expect(apply(202508, 0, 0n)).toMatchObject({ count: 0, applied: 0n, state: 'agreed' });
    expect(apply(202509, 2, 35_000n)).toMatchObject({ state: 'differed' });
    expect(apply(202509, 1, 35_300n)).toMatchObject({ state: 'differed' });
    expect(apply(202509, 2, 35_300n)).toMatchObject({
      count: 2,
      applied: 35_300n,
      state: 'agreed',
    });
  });

  it('K3 (3202): a bill the province paid for in another of its regions is not one this region recorded; the unrecorded bill is written with its day and total', () => {
    const { book } = open({});
    const elsewhere = pay('B-1', { treatmentRegion: '510700' });
    book.payProvider('B-1', elsewhere, SHARD, DAY, new RecordingEffects());
    const fx = new RecordingEffects();
    const detail = { region: '510100', day: DAY, billId: 'B-1', total: 30_000n };
    expect(book.reconcileDetail(detail, fx)).toBe(false);
    expect(fx.writes).toEqual([
      {
        key: RECORDS.unrecordedBill.key('B-1'),
        value: { region: '510100', day: DAY, total: 30_000n },
      },
    ]);
    expect(book.reconcileDetail({ ...detail, region: '510700' }, fx)).toBe(true);
  });
});
