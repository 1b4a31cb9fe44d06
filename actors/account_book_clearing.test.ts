// A province's account book driven directly for the money between funds: the provincial
// clearing of a month between its regions (F2b, K4), and the pooling fund's statement and
// disbursal of national clearing (F5): the postings, their names and balances, and once only.
import { describe, expect, it } from 'vitest';

import type { Fen } from '../protocol/index.ts';
import { envelope, RecordingEffects } from '../testing/fakes.ts';
import { AccountBook } from './account_book.ts';
import type { Posting } from './effects.ts';
import { RECORDS } from './records.ts';

const LEDGER = 'province.51';
const MONTH = 202509;

const row = (p: Posting) =>
  [p.op, p.corr, p.debit, p.debitClass, p.debitAfter, p.credit, p.creditClass, p.amount] as const;
const rows = (fx: RecordingEffects) => fx.postings().map(row);

describe('F2b, K4: a month cleared between the regions of the province', () => {
  /** A book whose month holds these lines between its regions (payer, payee, amount). */
  function withLines(lines: ReadonlyArray<readonly [string, string, Fen]>): AccountBook {
    const book = new AccountBook(LEDGER);
    const clearing = book.provincial;
    lines.forEach(([payerRegion, payeeRegion, amount], i) => {
      const lineId = `L-${i}.m`;
      const body = { lineId, month: MONTH, ledger: 'medical' as const, payerRegion, payeeRegion };
      clearing.lineBook.record(
        envelope('settlement.record', 'wallet.00', LEDGER, lineId, { ...body, amount }),
        clearing.batchesIn(MONTH),
        new RecordingEffects(),
      );
    });
    return book;
  }

  it('F2b: the net payers pay into the provincial account first, then the receivers are paid out of it in region order, leaving it at zero', () => {
    // Mianyang owes Chengdu and Zigong 100 each: it pays 200 in; they get 100 each.
    const book = withLines([
      ['510700', '510100', 100n],
      ['510700', '510300', 100n],
    ]);
    const fx = new RecordingEffects();
    book.clearProvincial(MONTH, 0, fx);
    const corr = (code: string) => `pbatch.${MONTH}.${code}`;
    expect(rows(fx)).toEqual([
      ['take', corr('510700'), 'fund:510700', 'fund', -200n, 'provincial:51', 'provincial', 200n],
      ['payOut', corr('510100'), 'provincial:51', 'provincial', 100n, 'fund:510100', 'fund', 100n],
      ['payOut', corr('510300'), 'provincial:51', 'provincial', 0n, 'fund:510300', 'fund', 100n],
    ]);
    expect(book.region('510100').fund).toBe(100n);
    expect(book.region('510700').fund).toBe(-200n);
  });

  it('F2b: a payer later in region order still pays in before any receiver is paid', () => {
    const book = withLines([['510700', '510100', 50n]]);
    const fx = new RecordingEffects();
    book.clearProvincial(MONTH, 0, fx);
    expect(fx.postings().map((p) => [p.op, p.debit, p.debitAfter])).toEqual([
      ['take', 'fund:510700', -50n],
      ['payOut', 'provincial:51', 0n],
    ]);
  });
});

describe('F5: the pooling fund pays its statement and receives its disbursal, once a month', () => {
  it('F5: a statement leaves the fund into transit once; a statement of nothing is recorded but posts nothing', () => {
    const book = new AccountBook(LEDGER);
    const fx = new RecordingEffects();
    book.fundStatement(MONTH, 700n, fx);
    book.fundStatement(MONTH, 700n, fx);
    expect(book.fund).toBe(-700n);
    expect(rows(fx)).toEqual([
      ['fund', `batch.${MONTH}.${LEDGER}`, 'fund', 'fund', -700n, 'transit', 'transit', 700n],
    ]);
    expect(fx.writes).toEqual([
      { key: RECORDS.poolingFund.key(), value: -700n },
      { key: RECORDS.statementFunded.key(MONTH), value: 700n },
    ]);
    const none = new RecordingEffects();
    book.fundStatement(MONTH + 1, 0n, none);
    expect(none.postings()).toEqual([]);
    expect(none.lastWrite(RECORDS.statementFunded.key(MONTH + 1))).toBe(0n);
    expect(book.fundedMonths.has(MONTH + 1)).toBe(true);
  });

  it('F5: a disbursal comes into the fund from transit once; a disbursal of nothing is recorded but posts nothing', () => {
    const book = new AccountBook(LEDGER);
    const fx = new RecordingEffects();
    book.receiveDisbursal(MONTH, 400n, fx);
    book.receiveDisbursal(MONTH, 400n, fx);
    expect(book.fund).toBe(400n);
    expect(rows(fx)).toEqual([
      ['receive', `batch.${MONTH}.${LEDGER}`, 'transit', 'transit', 0n, 'fund', 'fund', 400n],
    ]);
    expect(fx.writes).toEqual([
      { key: RECORDS.poolingFund.key(), value: 400n },
      { key: RECORDS.disbursalReceived.key(MONTH), value: 400n },
    ]);
    const none = new RecordingEffects();
    book.receiveDisbursal(MONTH + 1, 0n, none);
    expect(none.postings()).toEqual([]);
    expect(none.lastWrite(RECORDS.disbursalReceived.key(MONTH + 1))).toBe(0n);
    expect(book.receivedMonths.has(MONTH + 1)).toBe(true);
  });
});
