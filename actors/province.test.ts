// Checks the two decision points behind the saga's account and liability steps. ProvinceActor:
// reserve moves available→held, commit held→due, release held→available, each decided once per
// transfer id (a duplicate is answered as the first time and moves nothing), with a double-entry
// posting per move, immutable records, and a book that rebuilds from what it wrote.
// SettlementActor: each transfer's origin liability is booked exactly once.
import { describe, expect, it } from 'vitest';

import type { AnyEnvelope, Fen } from '../protocol/index.ts';
import { envelope, RecordingEffects } from '../testing/fakes.ts';
import { AccountBook } from './account_book.ts';
import { parseDate } from './calendar.ts';
import { DAY_MS, HOUR_MS, PROTOCOL_DEFAULTS } from './config.ts';
import { UnroutableError } from './errors.ts';
import { accountRecords } from './opening.ts';
import { ProvinceActor } from './province.actor.ts';
import {
  type AccountRecord,
  type ProviderRecord,
  RECORDS,
  type RegionRecord,
  type TxnRecord,
} from './records.ts';
import { SettlementActor } from './settlement.actor.ts';

const PROVINCE = 'province.51';
const SAGA = 'wallet.03';
const NOW = 36_000_000;

/** A province with one account p1 in 510100 holding 1000.00 yuan, and its write history. */
class Province {
  readonly opening = accountRecords([{ id: 'p1', region: '510100', balance: 100_000n }]);
  readonly actor = new ProvinceActor(PROVINCE, this.opening);
  readonly history = new RecordingEffects();

  private run(
    kind: 'account.reserve' | 'account.commit' | 'account.release',
    transferId: string,
    accountId?: string,
    amount?: Fen,
  ): RecordingEffects {
    const fx = new RecordingEffects();
    const env =
      kind === 'account.reserve'
        ? envelope(kind, SAGA, PROVINCE, transferId, {
            transferId,
            accountId: accountId ?? 'p1',
            amount: amount ?? 0n,
          })
        : envelope(kind, SAGA, PROVINCE, transferId, { transferId });
    this.actor.handle(env, NOW, fx);
    for (const w of fx.writes) this.history.write(w.key, w.value);
    return fx;
  }

  reserve(transferId: string, amount: Fen, accountId = 'p1') {
    return this.run('account.reserve', transferId, accountId, amount);
  }

  commit(transferId: string) {
    return this.run('account.commit', transferId);
  }

  release(transferId: string) {
    return this.run('account.release', transferId);
  }

  account(id = 'p1'): AccountRecord | undefined {
    return this.actor.accountBook.accounts.get(id);
  }

  region(code = '510100'): RegionRecord | undefined {
    return this.actor.accountBook.regions.get(code);
  }

  /** available + held + due + source over the book: zero while money is conserved. */
  total(): Fen {
    const book = this.actor.accountBook;
    let sum = 0n;
    for (const a of book.accounts.values()) sum += a.available + a.held;
    for (const r of book.regions.values()) sum += r.source + r.due;
    return sum;
  }
}

function reply(fx: RecordingEffects) {
  expect(fx.sends).toHaveLength(1);
  const [only] = fx.sends;
  expect(only?.to).toBe(SAGA);
  return only;
}

describe('ProvinceActor: reserve', () => {
  it('moves available→held and replies account.reserved with a reserve posting', () => {
    const p = new Province();
    const fx = p.reserve('T-1', 30_000n);
    expect(reply(fx)).toEqual({
      to: SAGA,
      kind: 'account.reserved',
      corr: 'T-1',
      body: { transferId: 'T-1' },
    });
    expect(p.account()).toEqual({ region: '510100', available: 70_000n, held: 30_000n });
    expect(fx.events).toEqual([
      {
        type: 'posting',
        ledger: `ledger.${PROVINCE}`,
        op: 'reserve',
        corr: 'T-1',
        debit: 'p1/available',
        debitClass: 'available',
        credit: 'p1/held',
        creditClass: 'held',
        amount: 30_000n,
        debitAfter: 70_000n,
      },
    ]);
    expect(fx.lastWrite(RECORDS.account.key('p1'))).toEqual(p.account());
    expect(fx.lastWrite(RECORDS.txn.key('T-1'))).toEqual({
      accountId: 'p1',
      amount: 30_000n,
      state: 'reserved',
      reason: undefined,
      // Who asked for the hold, and when (orphan holds).
      owner: SAGA,
      at: NOW,
    } satisfies TxnRecord);
    expect(p.total()).toBe(0n);
  });

  it('can reserve the whole available balance, to the fen', () => {
    const p = new Province();
    expect(reply(p.reserve('T-1', 100_000n))?.kind).toBe('account.reserved');
    expect(p.account()).toEqual({ region: '510100', available: 0n, held: 100_000n });
  });

  it('insufficient funds: account.rejected FUNDS and nothing moves', () => {
    const p = new Province();
    const fx = p.reserve('T-1', 100_001n);
    expect(reply(fx)).toEqual({
      to: SAGA,
      kind: 'account.rejected',
      corr: 'T-1',
      body: { transferId: 'T-1', reason: 'FUNDS' },
    });
    expect(fx.events).toEqual([]);
    expect(fx.lastWrite(RECORDS.account.key('p1'))).toBeUndefined();
    expect(p.account()).toEqual({ region: '510100', available: 100_000n, held: 0n });
    expect(p.actor.accountBook.txns.get('T-1')?.state).toBe('rejected');
  });

  it('unknown account: account.rejected NO_ACCOUNT and nothing moves', () => {
    const p = new Province();
    const fx = p.reserve('T-1', 100n, 'p404');
    expect(reply(fx)?.body).toEqual({ transferId: 'T-1', reason: 'NO_ACCOUNT' });
    expect(fx.events).toEqual([]);
    expect(p.actor.accountBook.accounts.has('p404')).toBe(false);
    expect(p.account()?.available).toBe(100_000n);
  });

  it('a duplicate reserve is answered the same way and moves nothing twice', () => {
    const p = new Province();
    p.reserve('T-1', 30_000n);
    for (let i = 0; i < 3; i++) {
      const fx = p.reserve('T-1', 30_000n);
      expect(reply(fx)?.kind).toBe('account.reserved');
      expect(fx.events).toEqual([]);
      expect(fx.writes).toEqual([]);
    }
    expect(p.account()).toEqual({ region: '510100', available: 70_000n, held: 30_000n });
  });

  it('a duplicate of a rejected reserve gets the same rejection, even if funds now suffice', () => {
    const p = new Province();
    p.reserve('T-0', 80_000n);
    expect(reply(p.reserve('T-1', 50_000n))?.body).toEqual({ transferId: 'T-1', reason: 'FUNDS' });
    p.release('T-0');
    const fx = p.reserve('T-1', 50_000n);
    expect(reply(fx)?.body).toEqual({ transferId: 'T-1', reason: 'FUNDS' });
    expect(fx.events).toEqual([]);
    expect(p.account()).toEqual({ region: '510100', available: 100_000n, held: 0n });
    const unknown = p.reserve('T-2', 5n, 'p404');
    expect(reply(unknown)?.body).toEqual({ transferId: 'T-2', reason: 'NO_ACCOUNT' });
    const again = p.reserve('T-2', 5n, 'p404');
    expect(reply(again)?.body).toEqual({ transferId: 'T-2', reason: 'NO_ACCOUNT' });
  });

  it('reserves of different transfers add up and are limited by what is still available', () => {
    const p = new Province();
    expect(reply(p.reserve('T-1', 60_000n))?.kind).toBe('account.reserved');
    expect(reply(p.reserve('T-2', 50_000n))?.kind).toBe('account.rejected');
    expect(reply(p.reserve('T-3', 40_000n))?.kind).toBe('account.reserved');
    expect(p.account()).toEqual({ region: '510100', available: 0n, held: 100_000n });
  });
});

describe('ProvinceActor: commit and release', () => {
  it('commit moves held into the backing of the region (K9) and replies with a commit posting', () => {
    const p = new Province();
    p.reserve('T-1', 30_000n);
    const fx = p.commit('T-1');
    expect(reply(fx)).toEqual({
      to: SAGA,
      kind: 'account.committed',
      corr: 'T-1',
      body: { transferId: 'T-1' },
    });
    expect(p.account()).toEqual({ region: '510100', available: 70_000n, held: 0n });
    expect(p.region()).toEqual({ source: -100_000n, due: 30_000n, backing: 30_000n });
    expect(fx.postings()).toEqual([
      expect.objectContaining({
        op: 'commit',
        debit: 'p1/held',
        debitClass: 'held',
        credit: 'backing:510100',
        creditClass: 'backing',
        amount: 30_000n,
        debitAfter: 0n,
      }),
    ]);
    expect(p.actor.accountBook.txns.get('T-1')?.state).toBe('committed');
    expect(p.total()).toBe(0n);
  });

  it('commit is idempotent: a second commit is answered account.committed, no second posting', () => {
    const p = new Province();
    p.reserve('T-1', 30_000n);
    p.commit('T-1');
    const fx = p.commit('T-1');
    expect(reply(fx)?.kind).toBe('account.committed');
    expect(fx.events).toEqual([]);
    expect(fx.writes).toEqual([]);
    expect(p.region()?.due).toBe(30_000n);
    expect(p.account()).toEqual({ region: '510100', available: 70_000n, held: 0n });
  });

  it('release moves held→available and replies account.released with a release posting', () => {
    const p = new Province();
    p.reserve('T-1', 30_000n);
    const fx = p.release('T-1');
    expect(reply(fx)?.kind).toBe('account.released');
    expect(p.account()).toEqual({ region: '510100', available: 100_000n, held: 0n });
    expect(p.region()?.due).toBe(0n);
    expect(fx.postings()).toEqual([
      expect.objectContaining({
        op: 'release',
        debit: 'p1/held',
        credit: 'p1/available',
        amount: 30_000n,
        debitAfter: 0n,
      }),
    ]);
    expect(p.total()).toBe(0n);
  });

  it('release is idempotent: a second release is answered account.released, nothing moves', () => {
    const p = new Province();
    p.reserve('T-1', 30_000n);
    p.release('T-1');
    const fx = p.release('T-1');
    expect(reply(fx)?.kind).toBe('account.released');
    expect(fx.events).toEqual([]);
    expect(fx.writes).toEqual([]);
    expect(p.account()).toEqual({ region: '510100', available: 100_000n, held: 0n });
  });

  it('commit or release of an unknown transfer gets no reply and changes nothing', () => {
    const p = new Province();
    for (const fx of [p.commit('T-404'), p.release('T-404')]) {
      expect(fx.sends).toEqual([]);
      expect(fx.writes).toEqual([]);
      expect(fx.events).toEqual([]);
    }
    expect(p.actor.accountBook.txns.size).toBe(0);
    expect(p.account()).toEqual({ region: '510100', available: 100_000n, held: 0n });
  });

  it('once decided, the other outcome cannot happen: commit after release moves nothing', () => {
    const p = new Province();
    p.reserve('T-1', 30_000n);
    p.release('T-1');
    const commit = p.commit('T-1');
    expect(reply(commit)?.kind).toBe('account.released');
    expect(commit.events).toEqual([]);
    p.reserve('T-2', 10_000n);
    p.commit('T-2');
    const release = p.release('T-2');
    expect(reply(release)?.kind).toBe('account.committed');
    expect(release.events).toEqual([]);
    expect(p.account()).toEqual({ region: '510100', available: 90_000n, held: 0n });
    expect(p.region()?.due).toBe(10_000n);
  });

  it('commit of a rejected reserve is answered with the rejection and moves nothing', () => {
    const p = new Province();
    p.reserve('T-1', 500_000n);
    const fx = p.commit('T-1');
    expect(reply(fx)?.body).toEqual({ transferId: 'T-1', reason: 'FUNDS' });
    expect(fx.events).toEqual([]);
    expect(p.region()?.due).toBe(0n);
  });
});

describe('ProvinceActor: records', () => {
  it('every write is an immutable replacement: earlier records are never mutated', () => {
    const p = new Province();
    const openingAccount = p.opening.get(RECORDS.account.key('p1'));
    const openingRegion = p.opening.get(RECORDS.region.key('510100'));
    const openingCopy = structuredClone([openingAccount, openingRegion]);
    const reserved = p.reserve('T-1', 30_000n);
    const accountAfterReserve = reserved.lastWrite(RECORDS.account.key('p1'));
    const txnAfterReserve = reserved.lastWrite(RECORDS.txn.key('T-1'));
    const copies = structuredClone([accountAfterReserve, txnAfterReserve]);

    const committed = p.commit('T-1');
    const regionAfterCommit = committed.lastWrite(RECORDS.region.key('510100'));
    const regionCopy = structuredClone(regionAfterCommit);
    p.reserve('T-2', 50_000n);
    p.release('T-2');
    p.reserve('T-3', 1_000n);
    p.commit('T-3');

    expect([openingAccount, openingRegion]).toEqual(openingCopy);
    expect([accountAfterReserve, txnAfterReserve]).toEqual(copies);
    expect(regionAfterCommit).toEqual(regionCopy);
    expect(accountAfterReserve).not.toBe(p.account());
    expect(committed.lastWrite(RECORDS.account.key('p1'))).not.toBe(p.account());
    expect(committed.lastWrite(RECORDS.account.key('p1'))).toEqual({
      region: '510100',
      available: 70_000n,
      held: 0n,
    });
  });

  it('AccountBook.fromRecords over the written records rebuilds the same book', () => {
    const p = new Province();
    p.reserve('T-1', 30_000n);
    p.commit('T-1');
    p.reserve('T-2', 20_000n);
    p.release('T-2');
    p.reserve('T-3', 10_000n);
    p.reserve('T-4', 999_999n);
    const rebuilt = AccountBook.fromRecords('ledger.rebuilt', p.history.applyTo(p.opening));
    const live = p.actor.accountBook;
    expect(rebuilt.accounts).toEqual(live.accounts);
    expect(rebuilt.regions).toEqual(live.regions);
    expect(rebuilt.txns).toEqual(live.txns);
    expect(rebuilt.accounts.get('p1')).toEqual({
      region: '510100',
      available: 60_000n,
      held: 10_000n,
    });
    expect(rebuilt.regions.get('510100')).toEqual({
      source: -100_000n,
      due: 30_000n,
      backing: 30_000n,
    });
  });

  it('a province rebuilt from its records keeps deciding each transfer once', () => {
    const p = new Province();
    p.reserve('T-1', 30_000n);
    const rebuilt = new ProvinceActor(PROVINCE, p.history.applyTo(p.opening));
    const fx = new RecordingEffects();
    const env = envelope('account.reserve', SAGA, PROVINCE, 'T-1', {
      transferId: 'T-1',
      accountId: 'p1',
      amount: 30_000n,
    });
    rebuilt.handle(env, NOW, fx);
    expect(fx.sends.map((m) => m.kind)).toEqual(['account.reserved']);
    expect(fx.events).toEqual([]);
    rebuilt.handle(
      envelope('account.commit', SAGA, PROVINCE, 'T-1', { transferId: 'T-1' }),
      NOW,
      fx,
    );
    expect(rebuilt.accountBook.accounts.get('p1')).toEqual({
      region: '510100',
      available: 70_000n,
      held: 0n,
    });
  });

  it('refuses kinds it does not decide with UnroutableError, touching nothing', () => {
    const p = new Province();
    const fx = new RecordingEffects();
    const env = envelope('wallet.credited', SAGA, PROVINCE, 'T-1', { transferId: 'T-1' });
    expect(() => p.actor.handle(env, NOW, fx)).toThrow(UnroutableError);
    expect(fx.sends).toEqual([]);
    expect(fx.writes).toEqual([]);
  });
});

describe('ProvinceActor: contribution claims across a restart', () => {
  const resident = {
    name: 'Resident',
    idNo: '510100199001010011',
    region: '510100',
    enrolled: false,
    kin: [],
    creditFen: 0n,
  };

  const RES_2025 = { payerId: 'res', personId: 'res', year: 2025, idNo: resident.idNo };
  const JUNE_2025 = parseDate('2025-06-16');

  it('C4: a person-year released before a restart can be claimed again after it', () => {
    const opening = new Map<string, unknown>([[RECORDS.person.key('res'), resident]]);
    const book = AccountBook.fromRecords('ledger.p', opening);
    const fx = new RecordingEffects();
    expect(book.claimContribution('C-1', RES_2025, JUNE_2025, fx).state).toBe('claimed');
    book.releaseContribution('C-1', fx);
    expect(book.slots.has('res.2025')).toBe(false);

    const records = new Map(opening);
    for (const { key, value } of fx.writes) records.set(key, value);
    const rebuilt = AccountBook.fromRecords('ledger.p', records);
    expect(rebuilt.slots.has('res.2025')).toBe(false);
    const again = rebuilt.claimContribution('C-2', RES_2025, JUNE_2025, new RecordingEffects());
    expect(again).toMatchObject({ state: 'claimed', reason: undefined });
  });

  it.each(['C-1', '-'])(
    'C4: a person-year held by payment %s before a restart is still held after it',
    (payId) => {
      // '-' is a valid id: the released mark must be something no payment id can be.
      const opening = new Map<string, unknown>([[RECORDS.person.key('res'), resident]]);
      const book = AccountBook.fromRecords('ledger.p', opening);
      const fx = new RecordingEffects();
      book.claimContribution(payId, RES_2025, JUNE_2025, fx);
      const records = new Map(opening);
      for (const { key, value } of fx.writes) records.set(key, value);
      const rebuilt = AccountBook.fromRecords('ledger.p', records);
      const second = rebuilt.claimContribution('C-2', RES_2025, JUNE_2025, new RecordingEffects());
      expect(second).toMatchObject({ state: 'refused', reason: 'C4' });
    },
  );
});

describe('SettlementActor: origin liabilities', () => {
  const record = (transferId: string, originRegion: string, amount: Fen) =>
    envelope('liability.record', SAGA, 'settlement.0', transferId, {
      transferId,
      originRegion,
      useRegion: '320500',
      amount,
    });

  it('liability.record books once per transfer id and replies liability.recorded', () => {
    const actor = new SettlementActor('settlement.0', new Map());
    const fx = new RecordingEffects();
    actor.handle(record('T-1', '510100', 50_000n), NOW, fx);
    expect(fx.sends).toEqual([
      {
        to: SAGA,
        kind: 'liability.recorded',
        corr: 'T-1',
        body: { transferId: 'T-1' },
      },
    ]);
    expect(fx.events).toEqual([
      { type: 'liability.recorded', corr: 'T-1', originRegion: '510100', amount: 50_000n },
    ]);
    expect(fx.lastWrite(RECORDS.originLiability.key('510100'))).toBe(50_000n);
    expect(fx.lastWrite(RECORDS.liabilityRecorded.key('T-1'))).toBe(true);
    expect(actor.book.liabilities.get('510100')).toBe(50_000n);
  });

  it('duplicates are answered liability.recorded without double booking', () => {
    const actor = new SettlementActor('settlement.0', new Map());
    const history = new RecordingEffects();
    actor.handle(record('T-1', '510100', 50_000n), NOW, history);
    for (let i = 0; i < 3; i++) {
      const fx = new RecordingEffects();
      actor.handle(record('T-1', '510100', 50_000n), NOW, fx);
      expect(fx.sends.map((m) => m.kind)).toEqual(['liability.recorded']);
      expect(fx.events).toEqual([]);
      expect(fx.writes).toEqual([]);
    }
    actor.handle(record('T-2', '510100', 30_000n), NOW, history);
    actor.handle(record('T-3', '440300', 7_000n), NOW, history);
    expect(actor.book.liabilities.get('510100')).toBe(80_000n);
    expect(actor.book.liabilities.get('440300')).toBe(7_000n);

    // A settlement agent rebuilt from its writes still books each transfer once.
    const rebuilt = new SettlementActor('settlement.0', history.applyTo(new Map()));
    const fx = new RecordingEffects();
    rebuilt.handle(record('T-2', '510100', 30_000n), NOW, fx);
    expect(fx.events).toEqual([]);
    expect(rebuilt.book.liabilities).toEqual(actor.book.liabilities);
    expect(rebuilt.book.recorded).toEqual(new Set(['T-1', 'T-2', 'T-3']));
  });

  it('refuses every kind but liability.record with UnroutableError', () => {
    const actor = new SettlementActor('settlement.0', new Map());
    const env = envelope('account.commit', SAGA, 'settlement.0', 'T-1', { transferId: 'T-1' });
    expect(() => actor.handle(env, NOW, new RecordingEffects())).toThrow(UnroutableError);
  });
});

describe('Orphan holds: a hold nobody will move is asked about, then released', () => {
  const HOUR = 3_600_000;
  const book = (actor: ProvinceActor) => actor.accountBook;

  /** p1's province, with a reserve of 300.00 yuan from `owner` for a transfer it may not know. */
  function held(owner = SAGA) {
    const actor = new ProvinceActor(
      PROVINCE,
      accountRecords([{ id: 'p1', region: '510100', balance: 100_000n }]),
    );
    actor.recover(NOW, new RecordingEffects());
    const fx = new RecordingEffects();
    const body = { transferId: 'ORPHAN-1', accountId: 'p1', amount: 30_000n };
    actor.handle(envelope('account.reserve', owner, PROVINCE, 'ORPHAN-1', body), NOW, fx);
    return { actor, fx };
  }
  const status = (actor: ProvinceActor, from: string, live: 'Y' | 'N', at: number) => {
    const fx = new RecordingEffects();
    const body = { holdId: 'ORPHAN-1', live };
    actor.handle(envelope('hold.status', from, PROVINCE, 'ORPHAN-1', body), at, fx);
    return fx;
  };

  it('records who asked for a hold and when, and checks it with its owner after orphanHoldAfterMs', () => {
    const { actor, fx } = held();
    expect(book(actor).txns.get('ORPHAN-1')).toMatchObject({ owner: SAGA, at: NOW });
    const armed = fx.timers.find((t) => t.key === 'holds');
    expect(armed?.at).toBe(NOW + HOUR);
    const check = new RecordingEffects();
    actor.timer('holds', armed?.arg ?? 0, NOW + HOUR, check);
    expect(check.sent('hold.query').map((s) => [s.to, s.body])).toEqual([
      [SAGA, { holdId: 'ORPHAN-1' }],
    ]);
    // Asked again an hour later if nobody answers.
    expect(check.timers.find((t) => t.key === 'holds')?.at).toBe(NOW + 2 * HOUR);
  });

  it('releases a hold its owner does not know: the money goes back, the record says orphan', () => {
    const { actor } = held();
    // Another shard's word does not count, nor does a live answer.
    expect(status(actor, 'wallet.01', 'N', NOW + HOUR).writes).toEqual([]);
    expect(status(actor, SAGA, 'Y', NOW + HOUR).writes).toEqual([]);
    expect(book(actor).accounts.get('p1')).toMatchObject({ available: 70_000n, held: 30_000n });
    const fx = status(actor, SAGA, 'N', NOW + HOUR);
    expect(book(actor).accounts.get('p1')).toMatchObject({ available: 100_000n, held: 0n });
    expect(book(actor).txns.get('ORPHAN-1')).toMatchObject({ state: 'released', orphan: true });
    expect(book(actor).holds.size).toBe(0);
    expect(fx.events).toContainEqual({
      type: 'hold.orphaned',
      corr: 'ORPHAN-1',
      kind: 'transfer',
      owner: SAGA,
      amount: 30_000n,
    });
    expect(fx.events.filter((e) => e.type === 'posting').map((e) => e.op)).toEqual(['release']);
    // A late answer changes nothing more.
    expect(status(actor, SAGA, 'N', NOW + 2 * HOUR).writes).toEqual([]);
  });

  it("releases a relative's family-aid hold its owner does not know, asked about as `<bill>.f`", () => {
    const actor = new ProvinceActor(
      PROVINCE,
      accountRecords([{ id: 'p1', region: '510100', balance: 100_000n }]),
    );
    actor.recover(NOW, new RecordingEffects());
    const body = {
      billId: 'B-9',
      accountId: 'p1',
      patientId: 'p2',
      treatmentRegion: '510100',
      max: 12_000n,
    };
    const held = new RecordingEffects();
    actor.handle(envelope('aid.reserve', SAGA, PROVINCE, 'B-9', body), NOW, held);
    expect(held.sent('aid.reserved').map((s) => s.body.amount)).toEqual([12_000n]);
    const check = new RecordingEffects();
    actor.timer('holds', 0, NOW + HOUR, check);
    expect(check.sent('hold.query').map((s) => s.body.holdId)).toEqual(['B-9.f']);
    const fx = new RecordingEffects();
    const answer = { holdId: 'B-9.f', live: 'N' as const };
    actor.handle(envelope('hold.status', SAGA, PROVINCE, 'B-9.f', answer), NOW + HOUR, fx);
    expect(book(actor).accounts.get('p1')).toMatchObject({ available: 100_000n, held: 0n });
    expect(book(actor).aids.get('B-9')).toMatchObject({ state: 'released', orphan: true });
    expect(fx.events).toContainEqual(
      expect.objectContaining({ type: 'hold.orphaned', kind: 'aid' }),
    );
  });

  it('lets only the owner move its hold: a commit or release from another shard is ignored', () => {
    const { actor } = held();
    for (const kind of ['account.commit', 'account.release'] as const) {
      const fx = new RecordingEffects();
      const env = envelope(kind, 'wallet.01', PROVINCE, 'ORPHAN-1', { transferId: 'ORPHAN-1' });
      actor.handle(env, NOW + 1, fx);
      expect(fx.writes).toEqual([]);
      expect(fx.sends).toEqual([]);
    }
    expect(book(actor).txns.get('ORPHAN-1')?.state).toBe('reserved');
  });

  it('after a restart, the holds timer is armed again from the records', () => {
    const { actor, fx } = held();
    const records = new Map<string, unknown>(
      accountRecords([{ id: 'p1', region: '510100', balance: 100_000n }]),
    );
    for (const w of fx.writes) records.set(w.key, w.value);
    const restarted = new ProvinceActor(PROVINCE, records);
    const again = new RecordingEffects();
    restarted.recover(NOW + 10, again);
    expect(restarted.accountBook.holds.get('ORPHAN-1')).toMatchObject({ owner: SAGA, at: NOW });
    expect(again.timers.find((t) => t.key === 'holds')?.at).toBe(NOW + HOUR);
    expect(actor.accountBook.holds.size).toBe(1);
  });
});

describe('The province actor: its timers', () => {
  const opening = () =>
    new Map<string, unknown>(accountRecords([{ id: 'p1', region: '510100', balance: 100_000n }]));
  const reserve = (transferId: string) =>
    envelope('account.reserve', SAGA, PROVINCE, transferId, {
      transferId,
      accountId: 'p1',
      amount: 1_000n,
    });

  it('asks only about holds old enough, arms the holds timer once, and for the oldest after a restart', () => {
    const actor = new ProvinceActor(PROVINCE, opening());
    actor.recover(NOW, new RecordingEffects());
    const first = new RecordingEffects();
    actor.handle(reserve('OLD'), NOW, first);
    expect(first.timers.filter((t) => t.key === 'holds').map((t) => t.at)).toEqual([NOW + HOUR_MS]);
    const second = new RecordingEffects();
    actor.handle(reserve('NEW'), NOW + HOUR_MS / 2, second);
    // Armed already: a later hold waits for the timer that is armed.
    expect(second.timers).toEqual([]);
    const check = new RecordingEffects();
    actor.timer('holds', 0, NOW + HOUR_MS, check);
    expect(check.sent('hold.query').map((q) => q.body.holdId)).toEqual(['OLD']);
    // NEW is due at 1.5 h, OLD (asked) again at 2 h: the earlier comes first.
    expect(check.timers.find((t) => t.key === 'holds')?.at).toBe(NOW + 1.5 * HOUR_MS);

    const records = opening();
    for (const w of [...first.writes, ...second.writes]) records.set(w.key, w.value);
    const restarted = new ProvinceActor(PROVINCE, records);
    const again = new RecordingEffects();
    restarted.recover(NOW + 10, again);
    expect(again.timers.find((t) => t.key === 'holds')?.at).toBe(NOW + HOUR_MS);
  });

  it('a timer of no kind it arms does nothing', () => {
    const actor = new ProvinceActor(PROVINCE, opening());
    const fx = new RecordingEffects();
    actor.timer('nonsense', 0, 40 * DAY_MS, fx);
    expect([fx.writes, fx.timers, fx.sends, fx.events]).toEqual([[], [], [], []]);
  });

  it("P4: a run that starts on the 1st credits nothing at start: that month's credit is in the opening", () => {
    const config = { ...PROTOCOL_DEFAULTS, startDate: '2025-10-01' };
    const actor = new ProvinceActor(PROVINCE, opening(), config);
    const fx = new RecordingEffects();
    actor.recover(0, fx);
    expect(actor.accountBook.creditedMonths.has(202510)).toBe(false);
    expect(fx.timers.find((t) => t.key === 'month')?.at).toBe(31 * DAY_MS);
  });

  it('F2b: the provincial timer clears last month on its day, not before, and not a month before the run', () => {
    const records = opening();
    records.set(RECORDS.provincialLine.key('S.m'), {
      month: 202509,
      ledger: 'medical',
      payerRegion: '510100',
      payeeRegion: '510700',
      amount: 400n,
      undone: false,
      dropped: false,
      reversal: false,
      batch: 202509,
    });
    const actor = new ProvinceActor(PROVINCE, records);
    const clearedIn = (fx: RecordingEffects) =>
      fx.events.flatMap((e) => (e.type === 'clearing.provincial' ? [e.month] : []));
    // Day 0 (29 September): August's clearing day was before the run; nothing is cleared.
    const start = new RecordingEffects();
    actor.recover(NOW, start);
    expect(clearedIn(start)).toEqual([]);
    // 4 October: September's day (10 October, 02:00) has not come; the timer waits for it.
    const early = new RecordingEffects();
    actor.recover(5 * DAY_MS, early);
    expect(clearedIn(early)).toEqual([]);
    const day10 = 11 * DAY_MS + 2 * HOUR_MS;
    expect(early.timers.find((t) => t.key === 'provincial')?.at).toBe(day10);
    const fired = new RecordingEffects();
    actor.timer('provincial', 0, day10, fired);
    expect(clearedIn(fired)).toEqual([202509]);
    expect(actor.accountBook.regions.get('510700')?.fund).toBe(400n);
    const twice = new RecordingEffects();
    actor.timer('provincial', 0, day10 + 1, twice);
    expect(clearedIn(twice)).toEqual([]);
  });
});

describe('K2 at the treatment province: a month of its provider payments, and their details (3202)', () => {
  const paid = (
    insuredRegion: string,
    medicalLine: Fen,
    state: ProviderRecord['state'],
    month: number,
    aid?: { region: string; amount: Fen },
  ) =>
    ({
      insuredRegion,
      treatmentRegion: '510100',
      paid: medicalLine + (aid?.amount ?? 0n) + 200n,
      cash: 0n,
      month,
      state,
      owner: SAGA,
      medicalLine,
      aidLine: aid?.amount ?? 0n,
      aidRegion: aid?.region ?? insuredRegion,
    }) satisfies ProviderRecord;

  function province(): ProvinceActor {
    const actor = new Province().actor;
    const providers = actor.accountBook.providers;
    providers.set('B1', paid('110100', 1_000n, 'paid', 202509)); // a Beijing patient: 10.00
    providers.set('B2', paid('110100', 200n, 'paid', 202510)); // another month
    providers.set('B3', paid('510400', 300n, 'paid', 202509)); // a patient of the province
    providers.set('B4', paid('440100', 400n, 'refunded', 202509)); // taken back
    // A patient of the province whose Suzhou relative paid 0.50 of family aid.
    providers.set('B5', paid('510700', 300n, 'paid', 202509, { region: '320500', amount: 50n }));
    return actor;
  }

  function ask<K extends 'clearing.allocate' | 'clearing.detail'>(
    actor: ProvinceActor,
    kind: K,
    body: Parameters<typeof envelope<K>>[4],
  ): RecordingEffects {
    const fx = new RecordingEffects();
    const env = envelope(kind, 'settlement.0', PROVINCE, 'batch.202509', body) as AnyEnvelope;
    actor.handle(env, NOW, fx);
    return fx;
  }

  it("K2: confirms (3261) settlement's allocation when it is what other provinces owe for the month's provider payments, and only then", () => {
    const actor = province();
    const fx = ask(actor, 'clearing.allocate', { month: 202509, medicalReceivable: 1_050n });
    expect(fx.sends.map((s) => s.kind)).toEqual(['clearing.confirm']);
    // 3261 names the figure it confirms.
    expect(fx.sent('clearing.confirm')[0]?.body).toEqual({
      month: 202509,
      medicalReceivable: 1_050n,
    });
    // The all-time figure (every payment) is not the month's: a dispute.
    const all = ask(actor, 'clearing.allocate', { month: 202509, medicalReceivable: 1_250n });
    expect(all.sends.map((s) => s.kind)[0]).toBe('clearing.dispute');
  });

  it("K10: a dispute (3262) carries the province's figure and each of its lines of the month", () => {
    const fx = ask(province(), 'clearing.allocate', { month: 202509, medicalReceivable: 1_051n });
    expect(fx.sent('clearing.dispute').map((s) => s.body.medicalReceivable)).toEqual([1_050n]);
    const corrections = fx
      .sent('clearing.correct')
      .map((s) => [s.body.lineId, s.body.payerRegion, s.body.amount]);
    expect(corrections).toEqual([
      ['B1.m', '110100', 1_000n],
      ['B5.f', '320500', 50n],
    ]);
  });

  it('3202: a detail is answered only when the province disagrees, with 0.00 for a bill it did not pay', () => {
    const actor = province();
    const detail = (lineId: string, amount: Fen) =>
      ask(actor, 'clearing.detail', {
        month: 202509,
        lineId,
        payerRegion: '110100',
        payeeRegion: '510100',
        amount,
      }).sent('clearing.correct');
    expect(detail('B1.m', 1_000n)).toEqual([]);
    expect(detail('B1.m', 999n).map((s) => s.body.amount)).toEqual([1_000n]);
    expect(detail('GHOST.m', 1n).map((s) => s.body.amount)).toEqual([0n]);
    expect(detail('B4.m', 500n).map((s) => s.body.amount)).toEqual([0n]);
    expect(detail('B2.m', 200n).map((s) => s.body.amount)).toEqual([0n]);
    expect(detail('B3.m', 300n).map((s) => s.body.amount)).toEqual([0n]);
    expect(detail('B5.f', 50n)).toEqual([]);
  });
});

describe('F2b at the province: the lines inside it, and its monthly clearing between regions', () => {
  const line = (lineId: string, payerRegion: string, payeeRegion: string, amount: Fen) =>
    envelope('settlement.record', 'wallet.00', PROVINCE, lineId, {
      lineId,
      month: 202509,
      ledger: 'medical',
      payerRegion,
      payeeRegion,
      amount,
    });

  it('F2b: keeps each line once, nets the month per region and pays between the regions\u2019 funds; a late line and an undo count in the month they arrive', () => {
    const actor = new ProvinceActor(
      PROVINCE,
      accountRecords([{ id: 'p1', region: '510100', balance: 100_000n }]),
    );
    const fx = new RecordingEffects();
    for (const env of [
      line('A.m', '510100', '510700', 1_000n),
      line('B.m', '510700', '510100', 300n),
      line('C.m', '510100', '510100', 50n),
      line('A.m', '510100', '510700', 1_000n),
    ])
      actor.handle(env, NOW, fx);
    expect(fx.sent('settlement.recorded').map((s) => s.body.lineId)).toEqual([
      'A.m',
      'B.m',
      'C.m',
      'A.m',
    ]);
    const book = actor.accountBook;
    expect(book.provincial.lines.size).toBe(3);
    // A faulty shard's line that is not this province's to clear is ignored, unanswered.
    const stray = new RecordingEffects();
    actor.handle(line('X.m', '510100', '110100', 99n), NOW, stray);
    actor.handle(line('Y.m', '320500', '320100', 99n), NOW, stray);
    expect(stray.writes).toEqual([]);
    expect(stray.sends).toEqual([]);
    const cleared = new RecordingEffects();
    book.clearProvincial(202509, NOW, cleared);
    expect(book.provincial.batches.get(202509)).toMatchObject({
      positions: [
        ['510100', -700n],
        ['510700', 700n],
      ],
      cleared: 1_300n,
    });
    expect(book.regions.get('510100')?.fund).toBe(-700n);
    expect(book.regions.get('510700')?.fund).toBe(700n);
    expect(cleared.events.filter((e) => e.type === 'posting').map((e) => [e.op, e.amount])).toEqual(
      [
        ['take', 700n],
        ['payOut', 700n],
      ],
    );
    // Cleared once: a second call moves nothing.
    const again = new RecordingEffects();
    book.clearProvincial(202509, NOW, again);
    expect(again.writes).toEqual([]);
    // After the batch, in October: a late September line and an undo count in October's.
    const late = new RecordingEffects();
    const october = 3 * 86_400_000;
    actor.handle(line('D.m', '510700', '510100', 80n), october, late);
    const undo = envelope('settlement.unrecord', 'wallet.00', PROVINCE, 'A', { lineId: 'A.m' });
    actor.handle(undo, october, late);
    expect(book.provincial.lines.get('D.m')?.batch).toBe(202510);
    expect(book.provincial.lines.get('A.m')).toMatchObject({ undone: true, dropped: false });
    expect(book.provincial.lines.get('A.m.r')).toMatchObject({ reversal: true, batch: 202510 });
  });

  it('F2b: the paying regions pay into the provincial clearing account before it pays out, so it never goes below zero', () => {
    const actor = new ProvinceActor(
      PROVINCE,
      accountRecords([{ id: 'p1', region: '510100', balance: 100_000n }]),
    );
    const fx = new RecordingEffects();
    // Mianyang and Leshan pay Chengdu; Chengdu's region comes first by code.
    actor.handle(line('A.m', '510700', '510100', 600n), NOW, fx);
    actor.handle(line('B.m', '511100', '510100', 400n), NOW, fx);
    const cleared = new RecordingEffects();
    actor.accountBook.clearProvincial(202509, NOW, cleared);
    const postings = cleared.events.flatMap((e) =>
      e.type === 'posting' ? [[e.op, e.corr, e.debit, e.credit, e.amount, e.debitAfter]] : [],
    );
    expect(postings).toEqual([
      ['take', 'pbatch.202509.510700', 'fund:510700', 'provincial:51', 600n, -600n],
      ['take', 'pbatch.202509.511100', 'fund:511100', 'provincial:51', 400n, -400n],
      ['payOut', 'pbatch.202509.510100', 'provincial:51', 'fund:510100', 1_000n, 0n],
    ]);
    expect(cleared.events).toContainEqual({
      type: 'clearing.provincial',
      corr: 'pbatch.202509',
      month: 202509,
      province: '51',
      cleared: 1_000n,
    });
  });

  it('F2b: a province down over two clearing days clears both months when it restarts, in order', () => {
    const records = new Map<string, unknown>(
      accountRecords([{ id: 'p1', region: '510100', balance: 100_000n }]),
    );
    const lineOf = (batch: number, amount: Fen) => ({
      month: batch,
      ledger: 'medical',
      payerRegion: '510100',
      payeeRegion: '510700',
      amount,
      undone: false,
      dropped: false,
      reversal: false,
      batch,
    });
    records.set(RECORDS.provincialLine.key('S.m'), lineOf(202509, 400n));
    records.set(RECORDS.provincialLine.key('O.m'), lineOf(202510, 250n));
    const actor = new ProvinceActor(PROVINCE, records);
    const fx = new RecordingEffects();
    // 2025-12-15: the clearing days of September (10 October) and October (10 November) passed.
    actor.recover(77 * 86_400_000, fx);
    const cleared = fx.events.flatMap((e) => (e.type === 'clearing.provincial' ? [e.month] : []));
    expect(cleared).toEqual([202509, 202510, 202511]);
    expect(actor.accountBook.regions.get('510700')?.fund).toBe(650n);
    // The next one: December's, on 12 January 2026 (10 January is a Saturday).
    const next = fx.timers.find((t) => t.key === 'provincial');
    expect(next?.at).toBe(105 * 86_400_000 + 2 * 3_600_000);
  });
});

describe('K9 at the origin province: a wallet line takes its backing to the fund that pays it', () => {
  const back = (from: string, lineId: string, payeeRegion: string, amount: Fen, payer = '510100') =>
    envelope('settlement.back', from, PROVINCE, lineId.split('.')[0] ?? lineId, {
      lineId,
      payerRegion: payer,
      payeeRegion,
      amount,
    });
  const unback = (from: string, lineId: string) =>
    envelope('settlement.unback', from, PROVINCE, lineId.split('.')[0] ?? lineId, { lineId });

  it('K9: backing goes to the region fund in the province or to the pool across it, once per line, and back only for its own payment', () => {
    const p = new Province();
    p.reserve('T-1', 30_000n);
    p.commit('T-1');
    const book = p.actor.accountBook;
    const pool = book.fund;
    const fx = new RecordingEffects();
    for (const env of [
      back(SAGA, 'B-1.b0', '510700', 10_000n),
      back(SAGA, 'B-2.b0', '320500', 5_000n),
      back(SAGA, 'B-1.b0', '510700', 10_000n),
    ])
      p.actor.handle(env, NOW, fx);
    // Every back is answered like a line; the duplicate moves nothing.
    expect(fx.sent('settlement.recorded').map((s) => s.body.lineId)).toEqual([
      'B-1.b0',
      'B-2.b0',
      'B-1.b0',
    ]);
    expect(book.region('510100')).toMatchObject({ backing: 15_000n, fund: 10_000n });
    expect(book.fund).toBe(pool + 5_000n);
    expect(fx.postings().map((x) => [x.corr, x.debit, x.credit, x.amount])).toEqual([
      ['B-1.b0', 'backing:510100', 'fund:510100', 10_000n],
      ['B-2.b0', 'backing:510100', 'fund', 5_000n],
    ]);
    // A stranger cannot take a move back, nor move a region this province does not keep, nor
    // name a payee that is no region: nothing is written, nothing answered.
    const stray = new RecordingEffects();
    p.actor.handle(unback('wallet.09', 'B-1.b0'), NOW, stray);
    p.actor.handle(unback(SAGA, 'B-9.b0'), NOW, stray);
    p.actor.handle(back(SAGA, 'B-3.b0', '510700', 1n, '320500'), NOW, stray);
    p.actor.handle(back(SAGA, 'B-4.b0', 'nowhere', 1n), NOW, stray);
    // Nor take a line id another payment's move holds, whatever it says.
    p.actor.handle(back('wallet.09', 'B-1.b0', '510700', 10_000n), NOW, stray);
    p.actor.handle(back(SAGA, 'B-1.b0', '510700', 9_999n), NOW, stray);
    expect(stray.writes).toEqual([]);
    expect(stray.sent('settlement.recorded')).toEqual([]);
    expect(stray.sent('settlement.unrecorded')).toEqual([]);
    // Its own payment takes it back, once; a late duplicate of the back then changes nothing.
    const undo = new RecordingEffects();
    for (const env of [
      unback(SAGA, 'B-2.b0'),
      unback(SAGA, 'B-2.b0'),
      back(SAGA, 'B-2.b0', '320500', 5_000n),
    ])
      p.actor.handle(env, NOW, undo);
    expect(undo.sent('settlement.unrecorded').map((s) => s.body.lineId)).toEqual([
      'B-2.b0',
      'B-2.b0',
    ]);
    expect(undo.postings().map((x) => [x.op, x.debit, x.credit])).toEqual([
      ['unpay', 'fund', 'backing:510100'],
    ]);
    expect(book.region('510100')?.backing).toBe(20_000n);
    expect(book.fund).toBe(pool);
    // The moves are durable records: a restarted province knows them.
    for (const w of [...fx.writes, ...undo.writes]) p.history.write(w.key, w.value);
    const rebuilt = AccountBook.fromRecords(PROVINCE, p.history.applyTo(p.opening));
    expect(rebuilt.backings.get('B-2.b0')?.state).toBe('unbacked');
    expect(rebuilt.backings.get('B-1.b0')).toMatchObject({ amount: 10_000n, national: false });
  });
});
