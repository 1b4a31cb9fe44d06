// K8 at the provincial level: month M clears between the province's regions on day 10 of M+1 at
// 02:00, moved to the next working day when day 10 is not one.
import { describe, expect, it } from 'vitest';

import { envelope, RecordingEffects } from '../testing/fakes.ts';
import { Calendar, parseDate } from './calendar.ts';
import { HOUR_MS } from './config.ts';
import { ProvincialClearing, provincialClearingAt } from './provincial_clearing.ts';
import { RECORDS } from './records.ts';

const cal = new Calendar(parseDate('2025-09-01'));
const at2 = (date: string) => cal.msAt(parseDate(date)) + 2 * HOUR_MS;

it('K8: September clears on Friday 10 October at 02:00', () => {
  expect(provincialClearingAt(cal, 202509)).toBe(at2('2025-10-10'));
});

it('K8: December clears on Monday 12 January, day 10 being a Saturday', () => {
  expect(provincialClearingAt(cal, 202512)).toBe(at2('2026-01-12'));
});

describe('ProvincialClearing', () => {
  const record = (clearing: ProvincialClearing, lineId: string, payer: string, payee: string) => {
    const fx = new RecordingEffects();
    const body = {
      lineId,
      month: 202509,
      ledger: 'medical' as const,
      payerRegion: payer,
      payeeRegion: payee,
      amount: 100n,
    };
    clearing.lineBook.record(
      envelope('settlement.record', 'wallet.00', 'province.51', lineId, body),
      clearing.batchesIn(202509),
      fx,
    );
    return fx;
  };

  it('writes each line it keeps under its record key', () => {
    const clearing = new ProvincialClearing('51');
    const fx = record(clearing, 'A.m', '510100', '510700');
    expect(fx.writes.map((w) => w.key)).toEqual([RECORDS.provincialLine.key('A.m')]);
    expect(fx.writes[0]?.value).toMatchObject({ amount: 100n, batch: 202509, undone: false });
  });

  it('a month whose regions owe each other the same nets to no position, and clears both lines', () => {
    const clearing = new ProvincialClearing('51');
    record(clearing, 'A.m', '510100', '510700');
    record(clearing, 'B.m', '510700', '510100');
    expect(clearing.netting(202509, false)).toEqual({ positions: [], cleared: 200n });
  });
});
