// D11 at the POS: what a bill's saga answers a POS that asks about it again (a retry, a late
// or repeated request), by the state the bill rests in. A cancelled or reversed bill never
// settles under the same msgid; an expired pre-settlement says so.
import { expect, it } from 'vitest';

import { posAnswerOf } from './bill_saga.machine.ts';

const ASKED = ['bill.presettle', 'bill.settle', 'bill.cancel', 'bill.reverse'] as const;

it('D11: the answer for each resting state and each request', () => {
  const table = Object.fromEntries(
    ['presettled', 'settled', 'refused', 'cancelled', 'reversed', 'expired', 'committing'].map(
      (state) => [state, ASKED.map((asked) => posAnswerOf(state, asked) ?? '-')],
    ),
  );
  expect(table).toEqual({
    // presettle, settle, cancel, reverse
    presettled: ['presettled', '-', '-', '-'],
    settled: ['settled', 'settled', 'settled', 'settled'],
    refused: ['refused', 'refused', 'refused', 'refused'],
    cancelled: ['D11', 'D11', 'cancelled', 'cancelled'],
    reversed: ['D11', 'D11', 'cancelled', 'reversed'],
    expired: ['PRESETTLE_EXPIRED', 'PRESETTLE_EXPIRED', 'cancelled', 'reversed'],
    // A step in flight: the answer comes when it lands.
    committing: ['-', '-', '-', '-'],
  });
});
