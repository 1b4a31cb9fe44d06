// The national clearing agent's books on their own: K10 disputes opened once, updated only with a
// province's figure and resolved once; the clearing account's postings in and out of transit; and
// which lines count as a month's cross-province medical receivable and as a batch's obligations.
import { describe, expect, it } from 'vitest';

import { RecordingEffects } from '../testing/fakes.ts';
import { DAY_MS, HOUR_MS } from './config.ts';
import type { ClearingLine } from './records.ts';
import { RECORDS } from './records.ts';
import { SettlementBook } from './settlement_book.ts';
import { TIMERS } from './timers.ts';

const MONTH = 202509;
const NOW = 12 * DAY_MS + 15 * HOUR_MS;
/** The fact a dispute of province 51 over MONTH reports as it opens or is resolved. */
const disputeFact = (state: 'open' | 'resolved') => ({
  type: 'clearing.dispute',
  corr: `batch.${MONTH}`,
  month: MONTH,
  province: '51',
  state,
});

describe('K10: disputes', () => {
  it('a new dispute is written, reported and checked again at the next 02:00', () => {
    const book = new SettlementBook();
    const fx = new RecordingEffects();
    book.openDispute(MONTH, '51', 1_000n, NOW, fx);
    const dispute = { month: MONTH, province: '51', state: 'open', figure: 1_000n, openedAt: NOW };
    expect(fx.writes).toEqual([
      { key: RECORDS.clearingDispute.key(`${MONTH}.51`), value: { ...dispute, corrected: 0 } },
    ]);
    expect(fx.timers).toEqual([
      { key: TIMERS.clearingDispute.key(`${MONTH}.51`), at: 13 * DAY_MS + 2 * HOUR_MS, arg: 0 },
    ]);
    expect(fx.events).toEqual([disputeFact('open')]);
    expect(book.disputeOpen(MONTH, '51')).toBe(true);
    expect(book.disputeOpen(MONTH, '32')).toBe(false);
  });

  it("an open dispute only takes the province's latest figure; without one, nothing changes", () => {
    const book = new SettlementBook();
    book.openDispute(MONTH, '51', undefined, NOW, new RecordingEffects());
    const fx = new RecordingEffects();
    book.openDispute(MONTH, '51', 2_000n, NOW + HOUR_MS, fx);
    expect(fx.writes.map((w) => w.value)).toEqual([
      { month: MONTH, province: '51', state: 'open', figure: 2_000n, openedAt: NOW, corrected: 0 },
    ]);
    expect(fx.timers).toEqual([]);
    expect(fx.events).toEqual([]);
    const again = new RecordingEffects();
    book.openDispute(MONTH, '51', undefined, NOW + 2 * HOUR_MS, again);
    expect(again.writes).toEqual([]);
    expect(book.disputes.get(`${MONTH}.51`)?.figure).toBe(2_000n);
  });

  it('a dispute is resolved once, reported, and a resolved one is opened anew', () => {
    const book = new SettlementBook();
    book.openDispute(MONTH, '51', 1_000n, NOW, new RecordingEffects());
    const fx = new RecordingEffects();
    book.resolveDispute(MONTH, '51', NOW + HOUR_MS, fx);
    expect(fx.writes.map((w) => w.value)).toEqual([
      {
        month: MONTH,
        province: '51',
        state: 'resolved',
        figure: 1_000n,
        openedAt: NOW,
        resolvedAt: NOW + HOUR_MS,
        corrected: 0,
      },
    ]);
    expect(fx.events).toEqual([disputeFact('resolved')]);
    const twice = new RecordingEffects();
    book.resolveDispute(MONTH, '51', NOW + 2 * HOUR_MS, twice);
    book.resolveDispute(MONTH, '32', NOW + 2 * HOUR_MS, twice);
    expect(twice.writes).toEqual([]);
    expect(twice.events).toEqual([]);
    const reopened = new RecordingEffects();
    book.openDispute(MONTH, '51', undefined, NOW + DAY_MS, reopened);
    expect(reopened.events.map((e) => (e as { state: string }).state)).toEqual(['open']);
    expect(book.disputeOpen(MONTH, '51')).toBe(true);
  });
});

describe('the clearing account', () => {
  it('takes a funded statement out of transit, pays disbursals into it, and posts nothing for 0', () => {
    const book = new SettlementBook();
    const fx = new RecordingEffects();
    book.moveClearing(500n, fx, 'batch.1');
    book.moveClearing(-200n, fx, 'batch.1');
    book.moveClearing(0n, fx, 'batch.1');
    expect(book.clearingAccount).toBe(300n);
    expect(fx.writes.map((w) => w.value)).toEqual([500n, 300n, 300n]);
    expect(fx.events).toEqual([
      {
        type: 'posting',
        ledger: 'ledger.settlement',
        op: 'take',
        corr: 'batch.1',
        debit: 'transit',
        debitClass: 'transit',
        credit: 'clearing',
        creditClass: 'clearing',
        amount: 500n,
        debitAfter: 0n,
      },
      {
        type: 'posting',
        ledger: 'ledger.settlement',
        op: 'payOut',
        corr: 'batch.1',
        debit: 'clearing',
        debitClass: 'clearing',
        credit: 'transit',
        creditClass: 'transit',
        amount: 200n,
        debitAfter: 300n,
      },
    ]);
  });
});

describe('lines of a month', () => {
  const line = (over: Partial<ClearingLine>): ClearingLine => ({
    month: MONTH,
    ledger: 'medical',
    payerRegion: '510100',
    payeeRegion: '320500',
    amount: 100n,
    undone: false,
    batch: MONTH,
    dropped: false,
    reversal: false,
    ...over,
  });

  function bookOf(lines: Record<string, ClearingLine>): SettlementBook {
    const book = new SettlementBook();
    for (const [id, l] of Object.entries(lines)) book.putLine(id, l, new RecordingEffects());
    return book;
  }

  const book = bookOf({
    live: line({}),
    other: line({ payeeRegion: '110100', amount: 40n }),
    nextMonth: line({ month: MONTH + 1, batch: MONTH + 1 }),
    wallet: line({ ledger: 'wallet' }),
    undone: line({ undone: true }),
    reversal: line({ reversal: true }),
    sameProvince: line({ payeeRegion: '510700' }),
  });

  it("a month's receivable counts only its live cross-province medical lines, by treatment province", () => {
    expect([...book.medicalReceivableByProvince(MONTH)]).toEqual([
      ['32', 100n],
      ['11', 40n],
    ]);
    expect([...book.medicalLinesOf(MONTH, '11')].map(([id]) => id)).toEqual(['other']);
  });

  it('a batch without the provinces it withholds', () => {
    // The undone line and its reversal cancel out; the line inside province 51 stays there.
    expect(book.obligations(MONTH)).toEqual([
      { payer: '51', payee: '32', ledger: 'medical', amount: 100n },
      { payer: '51', payee: '11', ledger: 'medical', amount: 40n },
      { payer: '51', payee: '32', ledger: 'wallet', amount: 100n },
    ]);
    expect(book.obligations(MONTH, ['32'])).toEqual([
      { payer: '51', payee: '11', ledger: 'medical', amount: 40n },
    ]);
    expect(book.provincesOf(MONTH)).toEqual(['11', '32', '51']);
  });
});
