// P4: monthly personal-account credits. A province credits every account of its members at 00:00
// on the 1st, once per month (a marker written in the same batch), re-arms for the next month,
// and after a crash credits a month that began while it was down, exactly once.
import { describe, expect, it } from 'vitest';

import { RecordingEffects } from '../testing/fakes.ts';
import { PROTOCOL_DEFAULTS } from './config.ts';
import { accountRecords } from './opening.ts';
import { monthlyCreditFen } from './policy.ts';
import { ProvinceActor } from './province.actor.ts';
import { type PersonRecord, RECORDS } from './records.ts';

const DAY = 86_400_000;
// The default start, 2025-09-29: Oct 1 begins on virtual day 2, Nov 1 on day 33.
const OCT_1 = 2 * DAY;
const NOV_1 = 33 * DAY;
const config = { ...PROTOCOL_DEFAULTS, startDate: '2025-09-29' };

function person(id: string, creditFen: bigint): [string, PersonRecord] {
  return [
    RECORDS.person.key(id),
    {
      name: '张丽',
      idNo: `51010019900101${id.padStart(3, '0')}X`,
      region: '510100',
      enrolled: true,
      kin: [],
      creditFen,
    },
  ];
}

function province(): { actor: ProvinceActor; records: Map<string, unknown> } {
  const records = accountRecords([
    { id: 'a1', region: '510100', balance: 100_000n },
    { id: 'r1', region: '510100', balance: 50_000n },
  ]);
  const active = monthlyCreditFen('active', 800_000n, '51');
  const retired = monthlyCreditFen('retired', 0n, '51');
  for (const [key, value] of [person('a1', active), person('r1', retired), person('x1', 0n)])
    records.set(key, value);
  return { actor: new ProvinceActor('province.51', records, config), records };
}

describe('P4: monthly personal-account credits', () => {
  it('P4: on the 1st each member is credited 2 % of the base (active) or the fixed amount (retired), once', () => {
    const { actor } = province();
    const fx = new RecordingEffects();
    actor.recover(0, fx);
    // Nothing in the start month: its credits are in the opening balances. The next month is armed.
    expect(fx.postings()).toEqual([]);
    expect(fx.timers.filter((t) => t.key === 'month')).toEqual([
      { key: 'month', at: OCT_1, arg: 202510 },
    ]);
    fx.clear();
    actor.timer('month', 202510, OCT_1, fx);
    const credits = fx.postings();
    expect(credits.map((p) => [p.credit, p.amount])).toEqual([
      ['a1/available', 16_000n], // 2 % of 8,000.00 yuan
      ['r1/available', monthlyCreditFen('retired', 0n, '51')],
    ]);
    expect(credits.every((p) => p.op === 'income' && p.debitClass === 'income')).toBe(true);
    expect(fx.lastWrite('a:a1')).toEqual({ region: '510100', available: 116_000n, held: 0n });
    expect(fx.lastWrite('m:202510')).toBe(true);
    expect(fx.timers.filter((t) => t.key === 'month')).toEqual([
      { key: 'month', at: NOV_1, arg: 202511 },
    ]);
    // A second firing for the same month (a duplicate timer) credits nothing.
    fx.clear();
    actor.timer('month', 202510, OCT_1 + 1, fx);
    expect(fx.postings()).toEqual([]);
  });

  it('P4: the region counter balances the credits, so the ledger still sums to zero', () => {
    const { actor } = province();
    const fx = new RecordingEffects();
    actor.timer('month', 202510, OCT_1, fx);
    const region = fx.lastWrite('r:510100') as { source: bigint; due: bigint; income: bigint };
    const total = fx.postings().reduce((sum, p) => sum + p.amount, 0n);
    expect(region.income).toBe(-total);
    expect(
      region.source + region.due + region.income + 116_000n + 50_000n + (total - 16_000n),
    ).toBe(0n);
  });

  it('P4: a province down on the 1st credits that month when it restarts, and only once', () => {
    const { records } = province();
    const fx = new RecordingEffects();
    // Rebuilt from durable records on Oct 3, with no October marker: October is credited now.
    const restarted = new ProvinceActor('province.51', records, config);
    restarted.recover(OCT_1 + DAY, fx);
    expect(fx.postings()).toHaveLength(2);
    // Rebuilt again from what that wrote: the marker says October is done.
    const again = new ProvinceActor('province.51', fx.applyTo(records), config);
    const fx2 = new RecordingEffects();
    again.recover(OCT_1 + 2 * DAY, fx2);
    expect(fx2.postings()).toEqual([]);
    expect(fx2.timers.filter((t) => t.key === 'month')).toEqual([
      { key: 'month', at: NOV_1, arg: 202511 },
    ]);
  });
});
