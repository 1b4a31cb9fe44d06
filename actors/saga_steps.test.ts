// The payment lines a saga sends for clearing: wallet money is one line per origin region owed to
// where it was spent, each after the move of its backing; clearing keeps the lines, not the moves.
import { describe, expect, it } from 'vitest';

import { clearedLines, walletLines } from './saga_steps.ts';

describe('wallet lines', () => {
  const lines = walletLines(
    'BILL-1',
    [
      { originRegion: '510100', amount: 300n },
      { originRegion: '320500', amount: 200n },
      { originRegion: '510100', amount: 100n },
    ],
    '110100',
  );

  it('one line per origin region, each after its backing move', () => {
    expect(lines).toEqual([
      {
        ledger: 'wallet',
        payerRegion: '510100',
        payeeRegion: '110100',
        amount: 400n,
        lineId: 'BILL-1.b0',
        back: true,
      },
      {
        ledger: 'wallet',
        payerRegion: '510100',
        payeeRegion: '110100',
        amount: 400n,
        lineId: 'BILL-1.w0',
      },
      {
        ledger: 'wallet',
        payerRegion: '320500',
        payeeRegion: '110100',
        amount: 200n,
        lineId: 'BILL-1.b1',
        back: true,
      },
      {
        ledger: 'wallet',
        payerRegion: '320500',
        payeeRegion: '110100',
        amount: 200n,
        lineId: 'BILL-1.w1',
      },
    ]);
  });

  it('clearing keeps the lines, not the backing moves', () => {
    expect(clearedLines(lines).map((line) => line.lineId)).toEqual(['BILL-1.w0', 'BILL-1.w1']);
  });
});
