// What one batch's clearing lines say is owed (F5 input): each pair's lines summed per ledger, a
// reversal counting against its line, the sign deciding who owes whom, and a pair whose lines
// cancel out owing nothing at all.
import { describe, expect, it } from 'vitest';

import type { Fen } from '../protocol/index.ts';
import { FRESH, obligationsOf } from './clearing_lines.ts';
import type { ClearingLine } from './records.ts';

const line = (payerRegion: string, payeeRegion: string, amount: Fen, batch = 202509) =>
  ({
    month: 202509,
    ledger: 'medical',
    payerRegion,
    payeeRegion,
    amount,
    ...FRESH,
    batch,
  }) satisfies ClearingLine;

describe("obligationsOf: a batch's lines netted per pair", () => {
  it('a line and its reversal in one batch owe nothing: no obligation, not even of 0.00', () => {
    const paid = line('510100', '110100', 1_000n);
    const reversal = { ...paid, reversal: true };
    expect(obligationsOf([paid, reversal], 202509)).toEqual([]);
  });

  it("sums a pair's lines, a reversal against them, and turns a negative sum round", () => {
    const lines = [
      line('510100', '110100', 1_000n),
      line('510100', '110100', 500n),
      { ...line('510100', '110100', 300n), reversal: true },
      // A reversal larger than what is left: the payee owes the payer.
      { ...line('440100', '510100', 700n), reversal: true },
      line('440100', '510100', 200n),
      // Another batch's line, and a dropped one, do not count.
      line('510100', '110100', 9_000n, 202510),
      { ...line('510100', '110100', 9_000n), dropped: true },
    ];
    expect(obligationsOf(lines, 202509)).toEqual([
      { payer: '510100', payee: '110100', ledger: 'medical', amount: 1_200n },
      { payer: '510100', payee: '440100', ledger: 'medical', amount: 500n },
    ]);
    // `skip` leaves lines out.
    const kept = obligationsOf(lines, 202509, (l) => l.payerRegion === '440100');
    expect(kept).toEqual([{ payer: '510100', payee: '110100', ledger: 'medical', amount: 1_200n }]);
  });
});
