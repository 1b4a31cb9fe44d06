// The province machine's rules, driven through a ProvinceActor: how a bill's or a family aid's
// share answers by the state its record is in (F3), which messages a province leaves to the
// province they belong to (K3, K6), what a contribution's confirm and release answer (F4), a
// statement's funding (F5), an orphaned bill hold (the owner knows no saga behind it), and the
// answers a decision recorded without its reason gets (a record written before reasons were kept).
import { describe, expect, it } from 'vitest';

import type { AnyEnvelope, Body, Kind } from '../protocol/index.ts';
import { envelope, RecordingEffects } from '../testing/fakes.ts';
import { AccountBook } from './account_book.ts';
import { parseDate } from './calendar.ts';
import { MachineDriver } from './machine_driver.ts';
import { accountRecords } from './opening.ts';
import { ProvinceActor } from './province.actor.ts';
import { provinceMachine } from './province.machine.ts';
import { type BillRecord, type PersonRecord, RECORDS } from './records.ts';

const PROVINCE = 'province.51';
const SAGA = 'wallet.03';
const OTHER = 'wallet.05';
const NOW = 36_000_000;
const HOUR = 3_600_000;

/** p1, insured and enrolled in 510100 (Chengdu), with 1000.00 yuan in the personal account. */
const P1: PersonRecord = {
  name: '张丽',
  idNo: '510100199001010011',
  region: '510100',
  enrolled: true,
  kin: [],
  creditFen: 0n,
};

function opening(): Map<string, unknown> {
  const records = accountRecords([{ id: 'p1', region: '510100', balance: 100_000n }]);
  records.set(RECORDS.person.key('p1'), P1);
  records.set(RECORDS.poolingFund.key(), 1_000_000n);
  return records;
}

/** A province actor, the records it started from and everything it wrote since. */
class Province {
  actor: ProvinceActor;
  readonly records: Map<string, unknown>;

  constructor(records = opening()) {
    this.records = records;
    this.actor = new ProvinceActor(PROVINCE, records);
    this.actor.recover(NOW, new RecordingEffects());
  }

  send<K extends Kind>(kind: K, corr: string, body: Body<K>, from = SAGA, at = NOW) {
    const fx = new RecordingEffects();
    this.actor.handle(envelope(kind, from, PROVINCE, corr, body) as AnyEnvelope, at, fx);
    for (const w of fx.writes) this.records.set(w.key, w.value);
    return fx;
  }

  get book() {
    return this.actor.accountBook;
  }
}

/** A local outpatient bill of p1's, 100.00 yuan, all of it eligible. */
const billBody = (billId: string) => ({
  billId,
  personId: 'p1',
  treatmentRegion: '510100',
  care: 'outpatient' as const,
  disease: 'none',
  total: 10_000n,
  eligible: 10_000n,
  emergency: 'N' as const,
  networked: 'Y' as const,
});

const aidBody = (billId: string) => ({
  billId,
  accountId: 'p1',
  patientId: 'p2',
  treatmentRegion: '510100',
  max: 5_000n,
});

const replies = (fx: RecordingEffects) => fx.sends.map((s) => [s.to, s.kind, s.corr, s.body]);

describe("F3: a bill's share is answered by the state its record is in", () => {
  it('commit pays a held bill once and answers bill.committed; a second commit only answers', () => {
    const p = new Province();
    const held = p.send('bill.reserve', 'B-1', billBody('B-1'));
    const acctPay = held.sent('bill.reserved')[0]?.body.acctPay ?? 0n;
    expect(acctPay).toBeGreaterThan(0n);
    expect(p.book.accounts.get('p1')).toMatchObject({ held: acctPay });

    const commit = p.send('bill.commit', 'B-1', { billId: 'B-1', month: 202509 });
    expect(replies(commit)).toEqual([[SAGA, 'bill.committed', 'B-1', { billId: 'B-1' }]]);
    expect(p.book.bills.get('B-1')?.state).toBe('committed');
    expect(p.book.accounts.get('p1')).toMatchObject({ held: 0n });

    const again = p.send('bill.commit', 'B-1', { billId: 'B-1', month: 202509 });
    expect(replies(again)).toEqual([[SAGA, 'bill.committed', 'B-1', { billId: 'B-1' }]]);
    expect(again.writes).toEqual([]);
  });

  it('a committed bill is not released: its release gets no answer and moves nothing', () => {
    const p = new Province();
    p.send('bill.reserve', 'B-1', billBody('B-1'));
    p.send('bill.commit', 'B-1', { billId: 'B-1', month: 202509 });
    const release = p.send('bill.release', 'B-1', { billId: 'B-1' });
    expect(release.sends).toEqual([]);
    expect(release.writes).toEqual([]);
    expect(p.book.bills.get('B-1')?.state).toBe('committed');
    // A refund of it is answered, and a second refund only answers.
    const refund = p.send('bill.refund', 'B-1', { billId: 'B-1' });
    expect(replies(refund)).toEqual([[SAGA, 'bill.refunded', 'B-1', { billId: 'B-1' }]]);
    const again = p.send('bill.refund', 'B-1', { billId: 'B-1' });
    expect(replies(again)).toEqual([[SAGA, 'bill.refunded', 'B-1', { billId: 'B-1' }]]);
    expect(again.writes).toEqual([]);
  });

  it('a released share answers a second release, not a commit or a refund', () => {
    const p = new Province();
    p.send('bill.reserve', 'B-1', billBody('B-1'));
    const release = p.send('bill.release', 'B-1', { billId: 'B-1' });
    expect(replies(release)).toEqual([[SAGA, 'bill.released', 'B-1', { billId: 'B-1' }]]);
    expect(p.book.accounts.get('p1')).toMatchObject({ available: 100_000n, held: 0n });
    expect(replies(p.send('bill.release', 'B-1', { billId: 'B-1' }))).toEqual([
      [SAGA, 'bill.released', 'B-1', { billId: 'B-1' }],
    ]);
    for (const kind of ['bill.commit', 'bill.refund'] as const) {
      const fx = p.send(kind, 'B-1', { billId: 'B-1', month: 202509 });
      expect([fx.sends, fx.writes]).toEqual([[], []]);
    }
  });

  it('a bill or an aid the province never held gets no answer to a commit, release or refund', () => {
    const p = new Province();
    for (const kind of [
      'bill.commit',
      'bill.release',
      'bill.refund',
      'aid.commit',
      'aid.release',
      'aid.refund',
    ] as const) {
      const fx = p.send(kind, 'B-404', { billId: 'B-404', month: 202509 });
      expect([kind, fx.sends, fx.writes]).toEqual([kind, [], []]);
    }
  });

  it("only the shard that asked for the share's hold moves it; one held before owners, anyone", () => {
    const p = new Province();
    p.send('bill.reserve', 'B-1', billBody('B-1'));
    const stranger = p.send('bill.commit', 'B-1', { billId: 'B-1', month: 202509 }, OTHER);
    expect([stranger.sends, stranger.writes]).toEqual([[], []]);

    // The same hold as a record written before holds had owners, read back after a restart.
    const { owner: _owner, at: _at, ...ownerless } = p.book.bills.get('B-1') as BillRecord;
    p.records.set(RECORDS.insuredBill.key('B-1'), ownerless);
    const restarted = new Province(p.records);
    const commit = restarted.send('bill.commit', 'B-1', { billId: 'B-1', month: 202509 }, OTHER);
    expect(replies(commit)).toEqual([[OTHER, 'bill.committed', 'B-1', { billId: 'B-1' }]]);
    expect(restarted.book.bills.get('B-1')?.state).toBe('committed');
  });

  it("a relative's aid answers by its state too: committed, then not released", () => {
    const p = new Province();
    expect(p.send('aid.reserve', 'B-2', aidBody('B-2')).sent('aid.reserved')).toHaveLength(1);
    const commit = p.send('aid.commit', 'B-2', { billId: 'B-2', month: 202509 });
    expect(replies(commit)).toEqual([[SAGA, 'aid.committed', 'B-2', { billId: 'B-2' }]]);
    const release = p.send('aid.release', 'B-2', { billId: 'B-2' });
    expect([release.sends, release.writes]).toEqual([[], []]);
    expect(p.book.aids.get('B-2')?.state).toBe('committed');
  });
});

describe('Decisions recorded without a reason (records from before reasons were kept)', () => {
  it("a duplicate is answered with the decision's own reason: FUNDS, E3, FUNDS and C4", () => {
    const records = opening();
    const none = { reason: undefined };
    records.set(RECORDS.txn.key('T-0'), {
      accountId: 'p1',
      amount: 500_000n,
      state: 'rejected',
      ...none,
    });
    records.set(RECORDS.insuredBill.key('B-0'), {
      personId: 'p9',
      insuredRegion: '-',
      treatmentRegion: '510100',
      fundPay: 0n,
      acctPay: 0n,
      remainder: 0n,
      state: 'rejected',
      ...none,
    });
    records.set(RECORDS.familyAid.key('A-0'), {
      accountId: 'p1',
      region: '510100',
      patientId: 'p2',
      treatmentRegion: '510100',
      amount: 0n,
      state: 'rejected',
      ...none,
    });
    records.set(RECORDS.fundClaim.key('Q-0'), {
      personId: 'p1',
      year: 2026,
      amount: 0n,
      state: 'refused',
      ...none,
    });
    const p = new Province(records);
    const transfer = { transferId: 'T-0', accountId: 'p1', amount: 500_000n };
    const claim = { payId: 'Q-0', payerId: 'p1', personId: 'p1', year: 2026, idNo: P1.idNo };
    const answers = [
      p.send('account.reserve', 'T-0', transfer),
      p.send('bill.reserve', 'B-0', billBody('B-0')),
      p.send('aid.reserve', 'A-0', aidBody('A-0')),
      p.send('tax.claim', 'Q-0', claim),
    ].flatMap(replies);
    expect(answers).toEqual([
      [SAGA, 'account.rejected', 'T-0', { transferId: 'T-0', reason: 'FUNDS' }],
      [SAGA, 'bill.rejected', 'B-0', { billId: 'B-0', reason: 'E3' }],
      [SAGA, 'aid.rejected', 'A-0', { billId: 'A-0', reason: 'FUNDS' }],
      [SAGA, 'tax.refused', 'Q-0', { payId: 'Q-0', reason: 'C4' }],
    ]);
  });
});

describe('K3, K6: a province pays and reconciles only for the regions it has', () => {
  const pay = (billId: string, treatmentRegion: string) => ({
    billId,
    month: 202509,
    insuredRegion: '510100',
    treatmentRegion,
    paid: 8_000n,
    cash: 2_000n,
    national: 0n,
    medicalLine: 8_000n,
    aidLine: 0n,
    aidRegion: '510100',
  });

  it("K6: pays its own region's provider once, answering provider.paid; another province's, never", () => {
    const p = new Province();
    const paid = p.send('provider.pay', 'B-1', pay('B-1', '510700'));
    expect(replies(paid)).toEqual([[SAGA, 'provider.paid', 'B-1', { billId: 'B-1' }]]);
    expect(p.book.providers.get('B-1')).toMatchObject({ state: 'paid', paid: 8_000n });

    const foreign = p.send('provider.pay', 'B-2', pay('B-2', '110100'));
    expect([foreign.sends, foreign.writes, foreign.events]).toEqual([[], [], []]);
    expect(p.book.providers.has('B-2')).toBe(false);

    const refund = p.send('provider.refund', 'B-1', { billId: 'B-1' });
    expect(replies(refund)).toEqual([[SAGA, 'provider.refunded', 'B-1', { billId: 'B-1' }]]);
    expect(p.book.providers.get('B-1')?.state).toBe('refunded');
  });

  it("K3: a bill's detail (3202) in another province's region is not answered", () => {
    const p = new Province();
    const detail = (region: string) => ({ region, day: 20250929, billId: 'B-7', total: 1_000n });
    const own = p.send('provider.detail', 'B-7', detail('510100'));
    expect(replies(own)).toEqual([[SAGA, 'provider.unrecorded', 'B-7', { billId: 'B-7' }]]);
    const foreign = p.send('provider.detail', 'B-8', detail('110100'));
    expect([foreign.sends, foreign.writes, foreign.events]).toEqual([[], [], []]);
  });
});

describe("F4: a contribution's debit, confirm and release are answered by the claim's state", () => {
  const claim = (payId: string) => ({
    payId,
    payerId: 'p1',
    personId: 'p1',
    year: 2026,
    idNo: P1.idNo,
  });

  it('debits and confirms a claimed payment, answering account.debited and tax.confirmed', () => {
    const p = new Province();
    expect(p.send('tax.claim', 'Q-1', claim('Q-1')).sent('tax.claimed')).toHaveLength(1);
    const debit = p.send('account.debit', 'Q-1', { payId: 'Q-1', accountId: 'p1', amount: 1n });
    expect(replies(debit)).toEqual([[SAGA, 'account.debited', 'Q-1', { payId: 'Q-1' }]]);
    const confirm = p.send('tax.confirm', 'Q-1', { payId: 'Q-1' });
    expect(replies(confirm)).toEqual([[SAGA, 'tax.confirmed', 'Q-1', { payId: 'Q-1' }]]);
    expect(p.book.claims.get('Q-1')?.state).toBe('paid');
    // Paid, it is not released.
    const release = p.send('tax.release', 'Q-1', { payId: 'Q-1' });
    expect([release.sends, release.writes]).toEqual([[], []]);
  });

  it('a payment never claimed gets no answer to a confirm or a release', () => {
    const p = new Province();
    for (const kind of ['tax.confirm', 'tax.release'] as const) {
      const fx = p.send(kind, 'Q-404', { payId: 'Q-404' });
      expect([kind, fx.sends, fx.writes]).toEqual([kind, [], []]);
    }
    expect(p.book.claims.has('Q-404')).toBe(false);
  });

  it('a refused claim is not confirmed, and its release is answered tax.released', () => {
    const p = new Province();
    const refused = p.send('tax.claim', 'Q-2', { ...claim('Q-2'), idNo: '110100199001010022' });
    expect(refused.sent('tax.refused').map((s) => s.body.reason)).toEqual(['ID_MISMATCH']);
    expect(p.send('tax.confirm', 'Q-2', { payId: 'Q-2' }).sends).toEqual([]);
    const release = p.send('tax.release', 'Q-2', { payId: 'Q-2' });
    expect(replies(release)).toEqual([[SAGA, 'tax.released', 'Q-2', { payId: 'Q-2' }]]);
  });
});

describe('F5: a statement is funded from the pooling fund', () => {
  it('pays what the statement asks of the fund and its top-up, once, and says clearing.funded', () => {
    const p = new Province();
    const body = { month: 202509, toFund: 30_000n, topUp: 5_000n };
    const fx = p.send('clearing.statement', 'batch.202509', body, 'settlement.0');
    expect(replies(fx)).toEqual([
      ['settlement.0', 'clearing.funded', 'batch.202509', { month: 202509 }],
    ]);
    expect(p.book.fund).toBe(1_000_000n - 35_000n);
    expect(fx.postings().map((e) => [e.op, e.amount])).toEqual([['fund', 35_000n]]);
    expect(fx.lastWrite(RECORDS.statementFunded.key(202509))).toBe(35_000n);
  });
});

describe('Orphan holds: a bill hold its owner does not know goes back', () => {
  it("releases the bill's account share, the record says orphan, and the fact names the bill", () => {
    const p = new Province();
    const acctPay = p.send('bill.reserve', 'B-1', billBody('B-1')).sent('bill.reserved')[0]
      ?.body.acctPay;
    const check = new RecordingEffects();
    p.actor.timer('holds', 0, NOW + HOUR, check);
    expect(check.sent('hold.query').map((s) => [s.to, s.body.holdId])).toEqual([[SAGA, 'B-1']]);
    const fx = p.send('hold.status', 'B-1', { holdId: 'B-1', live: 'N' }, SAGA, NOW + HOUR);
    expect(p.book.accounts.get('p1')).toMatchObject({ available: 100_000n, held: 0n });
    expect(p.book.bills.get('B-1')).toMatchObject({ state: 'released', orphan: true });
    expect(p.book.holds.size).toBe(0);
    expect(fx.events).toContainEqual({
      type: 'hold.orphaned',
      corr: 'B-1',
      kind: 'bill',
      owner: SAGA,
      amount: acctPay,
    });
  });
});

describe('The province machine: one state, its rules on the transitions', () => {
  it('starts online and stays online through a decision, the decision made as an action', () => {
    const driver = new MachineDriver(provinceMachine);
    const initial = driver.initial(undefined);
    expect(initial.value).toBe('online');
    const book = AccountBook.fromRecords(`ledger.${PROVINCE}`, opening());
    const fx = new RecordingEffects();
    const body = { transferId: 'T-1', accountId: 'p1', amount: 1_000n };
    const env = envelope('account.reserve', SAGA, PROVINCE, 'T-1', body);
    const date = parseDate('2025-09-29');
    const next = driver.step(initial, { type: env.kind, env, book, fx, date, now: NOW });
    expect(next.value).toBe('online');
    expect(fx.sent('account.reserved').map((s) => s.corr)).toEqual(['T-1']);
  });
});
