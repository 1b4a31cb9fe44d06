// The province's account book driven directly (its public methods and fromRecords): transfer
// holds, wallet lines' backing (K9), monthly credits (P4), the insured place's bills (E3, F3)
// and resident contributions (F4: C4, E2, ID_MISMATCH, the account debit). Each test asserts
// what the book decides, what it writes and what it posts.
import { describe, expect, it } from 'vitest';

import type { Fen } from '../protocol/index.ts';
import { RecordingEffects } from '../testing/fakes.ts';
import { AccountBook, type BillRequest } from './account_book.ts';
import { parseDate } from './calendar.ts';
import type { Posting } from './effects.ts';
import { type AccountRecord, type PersonRecord, type ProviderRecord, RECORDS } from './records.ts';

const LEDGER = 'ledger.51';
const HOME = '510100';
const OTHER_CITY = '510700';
const OTHER_PROVINCE = '320500';
const OWNER = { owner: 'wallet.03', at: 1_000 };

const person = (region: string, extra: Partial<PersonRecord> = {}): PersonRecord => ({
  name: 'Someone',
  idNo: `${region}199001010011`,
  region,
  enrolled: true,
  kin: [],
  creditFen: 0n,
  ...extra,
});

const account = (region: string, available: Fen): AccountRecord => ({
  region,
  available,
  held: 0n,
});

/** A book rebuilt from an opening of persons and accounts (by person id). */
function bookOf(
  persons: Record<string, PersonRecord>,
  accounts: Record<string, AccountRecord> = {},
  more: [string, unknown][] = [],
): AccountBook {
  const records = new Map<string, unknown>(more);
  for (const [id, p] of Object.entries(persons)) records.set(RECORDS.person.key(id), p);
  for (const [id, a] of Object.entries(accounts)) records.set(RECORDS.account.key(id), a);
  return AccountBook.fromRecords(LEDGER, records);
}

const rebuilt = (fx: RecordingEffects, base: AccountBook['persons'] = new Map()) => {
  const records = new Map<string, unknown>();
  for (const [id, p] of base) records.set(RECORDS.person.key(id), p);
  return AccountBook.fromRecords(LEDGER, fx.applyTo(records));
};

const posting = (p: Omit<Posting, 'type' | 'ledger'>): Posting => ({
  type: 'posting',
  ledger: LEDGER,
  ...p,
});

const bill = (personId: string, treatmentRegion: string, extra: Partial<BillRequest> = {}) =>
  ({
    billId: 'B-1',
    personId,
    treatmentRegion,
    care: 'inpatient',
    disease: 'NONE',
    total: 1_000_000n,
    eligible: 1_000_000n,
    emergency: 'N',
    networked: 'Y',
    ...extra,
  }) as BillRequest;

describe('AccountBook: transfer holds', () => {
  it('a reserve of nothing or of more than the account has is refused, naming the transfer', () => {
    const book = bookOf({}, { p1: account(HOME, 500n) });
    const fx = new RecordingEffects();
    expect(() => book.reserve('T-0', 'p1', 0n, fx, OWNER)).toThrow(
      'AccountBook.reserve: T-0 cannot reserve 0 from p1',
    );
    expect(() => book.reserve('T-1', 'p1', 501n, fx, OWNER)).toThrow(
      'AccountBook.reserve: T-1 cannot reserve 501 from p1',
    );
    expect(fx.writes).toEqual([]);
    expect(book.accounts.get('p1')).toEqual(account(HOME, 500n));
    expect(book.canReserve('p1', 500n)).toBe(true);
    expect(book.canReserve('p1', 501n)).toBe(false);
    expect(book.canReserve('nobody', 1n)).toBe(false);
  });

  it('only a hold with an owner is open (and rebuilt as open), for transfers, bills and aid', () => {
    const book = bookOf(
      { e1: person(HOME), e2: person(HOME) },
      { e1: account(HOME, 500_000n), e2: account(HOME, 500_000n), r1: account(HOME, 500n) },
    );
    const fx = new RecordingEffects();
    book.reserve('T-1', 'e1', 100n, fx);
    book.reserve('T-2', 'e1', 100n, fx, OWNER);
    book.reserveBill('B-1', bill('e1', HOME, { billId: 'B-1' }), fx);
    book.reserveBill('B-2', bill('e2', HOME, { billId: 'B-2' }), fx, OWNER);
    const aid = { accountId: 'r1', patientId: 'e1', treatmentRegion: HOME, max: 100n };
    book.reserveAid('B-1', { billId: 'B-1', ...aid }, fx);
    book.reserveAid('B-2', { billId: 'B-2', ...aid }, fx, OWNER);
    expect(book.bills.get('B-1')?.acctPay).toBeGreaterThan(0n);
    expect([...book.holds.keys()].sort()).toEqual(['B-2', 'B-2.f', 'T-2']);
    const again = rebuilt(fx);
    expect([...again.holds.keys()].sort()).toEqual(['B-2', 'B-2.f', 'T-2']);
  });

  it('a release gives the hold back (held → available) and is an orphan only when asked', () => {
    const book = bookOf({}, { p1: account(HOME, 500n) });
    const fx = new RecordingEffects();
    book.reserve('T-1', 'p1', 200n, fx, OWNER);
    book.reserve('T-2', 'p1', 100n, fx, OWNER);
    fx.clear();
    book.release('T-1', fx);
    expect(book.txns.get('T-1')).toEqual({
      accountId: 'p1',
      amount: 200n,
      state: 'released',
      reason: undefined,
      ...OWNER,
    });
    expect(fx.postings()).toEqual([
      posting({
        op: 'release',
        corr: 'T-1',
        debit: 'p1/held',
        debitClass: 'held',
        debitAfter: 100n,
        credit: 'p1/available',
        creditClass: 'available',
        amount: 200n,
      }),
    ]);
    book.release('T-2', fx, true);
    expect(book.txns.get('T-2')).toMatchObject({ state: 'released', orphan: true });
    expect(book.accounts.get('p1')).toEqual(account(HOME, 500n));
  });
});

describe('AccountBook: a wallet line backing (K9)', () => {
  const regions: [string, unknown][] = [
    [RECORDS.region.key(HOME), { source: 0n, due: 0n, backing: 1_000n }],
    [RECORDS.region.key(OTHER_CITY), { source: 0n, due: 0n, backing: 1_000n }],
  ];
  const line = (payerRegion: string, payeeRegion: string, amount = 300n) => ({
    lineId: 'L-1',
    payerRegion,
    payeeRegion,
    amount,
  });

  it('is moved only toward a six-digit payee region', () => {
    for (const payee of ['5107000', 'x510700', '51070']) {
      const book = bookOf({}, {}, regions);
      const fx = new RecordingEffects();
      expect(book.backLine(line(HOME, payee), 'wallet.03', fx)).toBe(false);
      expect(fx.writes).toEqual([]);
      expect(book.region(HOME).backing).toBe(1_000n);
    }
  });

  it('is answered again only for the same move from the same owner', () => {
    const book = bookOf({}, {}, regions);
    const fx = new RecordingEffects();
    expect(book.backLine(line(HOME, OTHER_CITY), 'wallet.03', fx)).toBe(true);
    fx.clear();
    expect(book.backLine(line(HOME, OTHER_CITY), 'wallet.03', fx)).toBe(true);
    expect(book.backLine(line(OTHER_CITY, OTHER_CITY), 'wallet.03', fx)).toBe(false);
    expect(book.backLine(line(HOME, OTHER_PROVINCE), 'wallet.03', fx)).toBe(false);
    expect(book.backLine(line(HOME, OTHER_CITY, 301n), 'wallet.03', fx)).toBe(false);
    expect(book.backLine(line(HOME, OTHER_CITY), 'wallet.04', fx)).toBe(false);
    expect(fx.writes).toEqual([]);
    expect(book.region(HOME)).toMatchObject({ backing: 700n, fund: 300n });
    expect(book.region(OTHER_CITY)).toMatchObject({ backing: 1_000n });
  });

  it('posts backing → fund when moved and fund → backing when taken back', () => {
    const book = bookOf({}, {}, regions);
    const fx = new RecordingEffects();
    book.backLine(line(HOME, OTHER_PROVINCE), 'wallet.03', fx);
    book.unbackLine('L-1', 'wallet.03', fx);
    expect(fx.postings()).toEqual([
      posting({
        op: 'pay',
        corr: 'L-1',
        debit: `backing:${HOME}`,
        debitClass: 'backing',
        debitAfter: 700n,
        credit: 'fund',
        creditClass: 'fund',
        amount: 300n,
      }),
      posting({
        op: 'unpay',
        corr: 'L-1',
        debit: 'fund',
        debitClass: 'fund',
        debitAfter: 0n,
        credit: `backing:${HOME}`,
        creditClass: 'backing',
        amount: 300n,
      }),
    ]);
  });
});

describe('AccountBook: monthly credits (P4)', () => {
  it('credits each account with a positive monthly credit, skipping a zero one and a person without an account', () => {
    const book = bookOf(
      {
        p1: person(HOME, { creditFen: 1_000n }),
        p2: person(HOME, { creditFen: 500n }),
        p3: person(HOME, { creditFen: 0n }),
        p4: person(HOME, { creditFen: 700n }),
      },
      { p1: account(HOME, 0n), p2: account(HOME, 10n), p3: account(HOME, 20n) },
    );
    const fx = new RecordingEffects();
    expect(book.creditMonth(202506, fx)).toBe(2);
    const income = (id: string, debitAfter: Fen, amount: Fen) =>
      posting({
        op: 'income',
        corr: `credit.202506.${id}`,
        debit: `income:${HOME}`,
        debitClass: 'income',
        debitAfter,
        credit: `${id}/available`,
        creditClass: 'available',
        amount,
      });
    expect(fx.postings()).toEqual([income('p1', -1_000n, 1_000n), income('p2', -1_500n, 500n)]);
    expect(book.accounts.get('p1')?.available).toBe(1_000n);
    expect(book.accounts.get('p2')?.available).toBe(510n);
    expect(book.accounts.get('p3')?.available).toBe(20n);
    expect(book.accounts.has('p4')).toBe(false);
    expect(book.region(HOME).income).toBe(-1_500n);
    expect(book.creditMonth(202506, new RecordingEffects())).toBe(0);
  });
});

describe('AccountBook: the insured place decides a bill', () => {
  it('E3: a bill of an unknown person is refused with no insured region, of an unenrolled one with theirs', () => {
    const book = bookOf({ u1: person(HOME, { enrolled: false }) }, { u1: account(HOME, 5_000n) });
    const fx = new RecordingEffects();
    const refused = { fundPay: 0n, acctPay: 0n, remainder: 0n, state: 'rejected', reason: 'E3' };
    expect(book.reserveBill('B-1', bill('ghost', HOME), fx, OWNER)).toEqual({
      personId: 'ghost',
      insuredRegion: '-',
      treatmentRegion: HOME,
      ...refused,
    });
    expect(book.reserveBill('B-2', bill('u1', HOME, { billId: 'B-2' }), fx, OWNER)).toEqual({
      personId: 'u1',
      insuredRegion: HOME,
      treatmentRegion: HOME,
      ...refused,
    });
    expect(book.accounts.get('u1')).toEqual(account(HOME, 5_000n));
    expect(book.holds.size).toBe(0);
  });

  it('a cross-province bill passes both its fund and account shares to the national pool', () => {
    const p1 = person(HOME, { filedTo: ['32'] });
    const book = bookOf({ p1 }, { p1: account(HOME, 5_000n) });
    const fx = new RecordingEffects();
    const reserved = book.reserveBill('B-1', bill('p1', OTHER_PROVINCE), fx, OWNER);
    expect(reserved).toMatchObject({ state: 'reserved', acctPay: 5_000n });
    expect(reserved.fundPay).toBeGreaterThan(0n);
    book.commitBill('B-1', 202506, fx);
    const share = reserved.fundPay + reserved.acctPay;
    expect(book.bills.get('B-1')).toMatchObject({ state: 'committed', toPool: share });
    expect(book.fund).toBe(share);
  });

  it('a bill released by the orphan sweep is marked an orphan, one released by its saga is not', () => {
    const book = bookOf(
      { p1: person(HOME), p2: person(HOME) },
      { p1: account(HOME, 5_000n), p2: account(HOME, 5_000n) },
    );
    const fx = new RecordingEffects();
    book.reserveBill('B-1', bill('p1', HOME), fx, OWNER);
    book.reserveBill('B-2', bill('p2', HOME, { billId: 'B-2' }), fx, OWNER);
    book.releaseBill('B-1', fx, true);
    book.releaseBill('B-2', fx);
    expect(book.bills.get('B-1')).toMatchObject({ state: 'released', orphan: true });
    expect(book.bills.get('B-2')).toMatchObject({ state: 'released' });
    expect(book.bills.get('B-2')).not.toHaveProperty('orphan');
    expect(book.accounts.get('p1')).toEqual(account(HOME, 5_000n));
  });

  it("E1: a resident's refund moves the fund share back to the resident fund only if it settled inside the province", () => {
    const r1 = person(HOME, { filedTo: ['32'] });
    const book = bookOf({ r1 });
    const fx = new RecordingEffects();
    const local = book.reserveBill('B-L', bill('r1', HOME, { billId: 'B-L' }), fx, OWNER);
    const away = book.reserveBill('B-X', bill('r1', OTHER_PROVINCE, { billId: 'B-X' }), fx);
    expect(local).toMatchObject({ state: 'reserved', resident: true, acctPay: 0n });
    expect(away).toMatchObject({ state: 'reserved', resident: true, acctPay: 0n });
    book.commitBill('B-L', 202506, fx);
    book.commitBill('B-X', 202506, fx);
    fx.clear();
    book.refundBill('B-L', fx);
    book.refundBill('B-X', fx);
    const moves = fx.postings().map((p) => `${p.op} ${p.corr} ${p.debit} → ${p.credit}`);
    expect(moves).toEqual([
      `unpay B-L.e fund:${HOME} → resfund:${HOME}`,
      `unpay B-X.n fund → resfund:${HOME}`,
    ]);
    expect(book.region(HOME)).toMatchObject({ residentFund: 0n, fund: 0n });
    expect(book.fund).toBe(0n);
  });
});

describe('AccountBook: resident contributions (F4)', () => {
  const JUNE_2025 = parseDate('2025-06-16');
  const res = person(HOME, { enrolled: false, kin: ['e1', 'CHILD', 'e2', 'COUSIN'] });
  const claimOf = (payerId: string, idNo = res.idNo, personId = 'res') => ({
    payerId,
    personId,
    year: 2025,
    idNo,
  });

  it('ID_MISMATCH and E2: the ID number must be the person’s, the payer a close relative', () => {
    const book = bookOf({ res });
    const fx = new RecordingEffects();
    const reasonOf = (payId: string, claim: ReturnType<typeof claimOf>) =>
      book.claimContribution(payId, claim, JUNE_2025, fx).reason;
    expect(reasonOf('C-1', claimOf('res', res.idNo, 'ghost'))).toBe('ID_MISMATCH');
    expect(reasonOf('C-2', claimOf('res', '510100199001010029'))).toBe('ID_MISMATCH');
    expect(reasonOf('C-3', claimOf('stranger'))).toBe('E2');
    expect(reasonOf('C-4', claimOf('e2'))).toBe('E2');
    expect(book.slots.size).toBe(0);
    expect(book.claimContribution('C-5', claimOf('e1'), JUNE_2025, fx)).toMatchObject({
      state: 'claimed',
      amount: 40_000n,
    });
  });

  it('a payment id is decided once: asked again after its release, it is still released', () => {
    const book = bookOf({ res });
    const fx = new RecordingEffects();
    book.claimContribution('C-1', claimOf('res'), JUNE_2025, fx);
    book.releaseContribution('C-1', fx);
    fx.clear();
    expect(book.claimContribution('C-1', claimOf('res'), JUNE_2025, fx).state).toBe('released');
    expect(fx.writes).toEqual([]);
    expect(book.slots.size).toBe(0);
  });

  it('a release writes the released claim and frees the person-year, as a rebuild sees them', () => {
    const book = bookOf({ res });
    const fx = new RecordingEffects();
    const claimed = book.claimContribution('C-1', claimOf('res'), JUNE_2025, fx);
    book.releaseContribution('C-1', fx);
    expect(fx.lastWrite(RECORDS.fundClaim.key('C-1'))).toEqual({ ...claimed, state: 'released' });
    const again = rebuilt(fx, book.persons);
    expect(again.claims.get('C-1')).toEqual({ ...claimed, state: 'released' });
    const next = again.claimContribution('C-2', claimOf('res'), JUNE_2025, fx);
    expect(next.state).toBe('claimed');
  });

  it('a confirm or release of an unknown payment changes nothing, nor a release of a paid one', () => {
    const book = bookOf({ res });
    const fx = new RecordingEffects();
    book.confirmContribution('nope', fx);
    book.releaseContribution('nope', fx);
    expect(fx.writes).toEqual([]);
    book.claimContribution('C-1', claimOf('res'), JUNE_2025, fx);
    book.confirmContribution('C-1', fx);
    fx.clear();
    book.releaseContribution('C-1', fx);
    expect(fx.writes).toEqual([]);
    expect(book.claims.get('C-1')?.state).toBe('paid');
    const second = book.claimContribution('C-2', claimOf('res'), JUNE_2025, fx);
    expect(second).toMatchObject({ state: 'refused', reason: 'C4' });
  });

  it('E3: the confirm enrols an unenrolled person, and rewrites no one already enrolled', () => {
    const enrolled = { ...res, enrolled: true };
    const book = bookOf({ res, en: { ...enrolled, idNo: '510100198001010011' } });
    const fx = new RecordingEffects();
    book.claimContribution('C-1', claimOf('res'), JUNE_2025, fx);
    const en = { payerId: 'en', personId: 'en', year: 2025, idNo: '510100198001010011' };
    book.claimContribution('C-2', en, JUNE_2025, fx);
    fx.clear();
    book.confirmContribution('C-1', fx);
    book.confirmContribution('C-2', fx);
    const people = fx.writes.filter((w) => w.key.startsWith(RECORDS.person.key('')));
    expect(people).toEqual([{ key: RECORDS.person.key('res'), value: enrolled }]);
    expect(book.persons.get('res')?.enrolled).toBe(true);
  });

  it('C3: paid without an account debit, the employee fund advances it, even for a person with an account here', () => {
    const self = person(HOME, { enrolled: false });
    const book = bookOf({ self }, { self: account(OTHER_CITY, 90_000n) });
    const fx = new RecordingEffects();
    const own = { payerId: 'self', personId: 'self', year: 2025, idNo: self.idNo };
    book.claimContribution('C-1', own, JUNE_2025, fx);
    fx.clear();
    book.confirmContribution('C-1', fx);
    expect(book.claims.get('C-1')).toMatchObject({
      state: 'paid',
      fundRegion: HOME,
      fromWallet: true,
    });
    expect(book.region(OTHER_CITY).contributed).toBeUndefined();
    expect(book.region(HOME)).toMatchObject({ fund: -40_000n, residentFund: 40_000n });
    expect(fx.postings().map((p) => p.corr)).toEqual(['C-1.e']);
  });

  it('F4a: an account is debited once per payment, down to its last fen, and an unknown one is NO_ACCOUNT', () => {
    const book = bookOf({}, { e1: account(HOME, 40_000n) });
    const fx = new RecordingEffects();
    expect(book.debitContribution('C-1', 'e1', 40_000n, fx)).toBe('debited');
    expect(book.accounts.get('e1')?.available).toBe(0n);
    fx.clear();
    expect(book.debitContribution('C-1', 'e1', 40_000n, fx)).toBe('debited');
    expect(fx.writes).toEqual([]);
    expect(book.region(HOME).contributed).toBe(40_000n);
    expect(book.debitContribution('C-2', 'ghost', 1n, fx)).toBe('NO_ACCOUNT');
    expect(book.debitContribution('C-3', 'e1', 1n, fx)).toBe('FUNDS');
  });
});

describe('AccountBook.fromRecords', () => {
  it('restores the pooling fund, and counts in their month only the provider payments still paid', () => {
    const pay = (paid: Fen, state: ProviderRecord['state']): ProviderRecord => ({
      insuredRegion: HOME,
      treatmentRegion: HOME,
      paid,
      cash: 0n,
      month: 202506,
      state,
      owner: 'wallet.03',
    });
    const book = bookOf({}, {}, [
      [RECORDS.poolingFund.key(), 12_345n],
      [RECORDS.providerPayment.key('B-1'), pay(700n, 'paid')],
      [RECORDS.providerPayment.key('B-2'), pay(300n, 'refunded')],
    ]);
    expect(book.fund).toBe(12_345n);
    expect(book.providerMonths.get(`${HOME}.202506`)).toEqual({ count: 1, applied: 700n });
  });
});
