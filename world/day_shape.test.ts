import { describe, expect, it } from 'vitest';

import { DAY_FACTORS, DayPicker, dayShape, ratedCounts } from './day_shape.ts';
import { Prng } from './prng.ts';
import { ratedWorkload } from './workload.ts';

const RATES = {
  transfersPerSecond: 7,
  settlementsPerSecond: 212,
  familyAidPerSecond: 10,
  contributionsPerSecond: 4.6,
  bindsPerTransfer: 0.1,
};

describe('the calendar of a workload day (DOMAIN §4.4 timing profile)', () => {
  it('lifts transfers at weekends and halves settlements on rest days', () => {
    // 2026-10-19 is a Monday; the 24th and 25th are Saturday and Sunday.
    const s = dayShape('2026-10-19', 7);
    expect(s.transfers.slice(0, 5)).toEqual([1, 1, 1, 1, 1]);
    expect(s.transfers.slice(5)).toEqual([
      DAY_FACTORS.transferWeekend,
      DAY_FACTORS.transferWeekend,
    ]);
    expect(s.settlements.slice(0, 5)).toEqual([1, 1, 1, 1, 1]);
    expect(s.settlements.slice(5)).toEqual([0.5, 0.5]);
    // October is in the contribution season, at its ordinary rate.
    expect(s.contributions).toEqual([1, 1, 1, 1, 1, 1, 1]);
  });

  it('multiplies transfers ×4 in the two weeks before Spring Festival, not after', () => {
    // Spring Festival 2026 is 2026-02-17: the 3rd (14 days before) to the 16th are lifted.
    const s = dayShape('2026-02-02', 20);
    const lifted = s.transfers.map((t, d) => [d + 2, t >= DAY_FACTORS.transferSpringFestival]);
    expect(lifted.filter(([, on]) => on).map(([day]) => day)).toEqual([
      3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
    ]);
    // The holiday (02-15..02-23) is a rest day for settlements, and February is flu season.
    expect(s.settlements[16 - 2]).toBeCloseTo(0.5 * 1.4, 10);
    expect(s.settlements[10 - 2]).toBeCloseTo(1.4, 10);
  });

  it('lifts transfers ×3 at the contribution deadline and contributions ×10 in its last week', () => {
    const s = dayShape('2025-12-01', 40);
    expect(s.transfers[0]).toBe(1); // a Monday, before the last two weeks
    expect(s.transfers[22]).toBe(DAY_FACTORS.transferContributionDeadline); // Tue 12-23
    expect(s.contributions[23]).toBe(1); // 12-24
    expect(s.contributions[24]).toBe(DAY_FACTORS.contributionLastWeek); // 12-25
    // January: no contributions (C1: the season is September to December).
    expect(s.contributions.slice(31)).toEqual(new Array(9).fill(0));
  });

  it('turns national rates into counts at a scale: rate × 86,400 × weight ÷ N', () => {
    const oneWeekday = dayShape('2026-10-20', 1);
    const c = ratedCounts(RATES, 10, oneWeekday);
    expect(c.transfers).toBe(60_480); // DOMAIN §4.4's ≈ 60 k transfers a day at 1:10
    expect(c.bills).toBe(1_831_680);
    expect(c.familyAid).toBe(86_400);
    expect(c.contributions).toBe(39_744);
    expect(c.binds).toBe(6_048);
    // A Saturday: transfers ×1.2, settlements ×0.5.
    const saturday = ratedCounts(RATES, 10, dayShape('2026-10-24', 1));
    expect(saturday.transfers).toBe(72_576);
    expect(saturday.bills).toBe(915_840);
  });

  it('gives a rated workload its counts, and the wallet a share of bills of 2 × transfers', () => {
    // Revocations, enrolment changes and openings are followed by transfers too (2 an opening).
    const more = ratedWorkload(
      {
        transfers: 5,
        rates: RATES,
        scale: 1_000,
        days: 2,
        revokes: 10,
        enrolmentChanges: 5,
        opens: 20,
      },
      '2026-10-20',
    );
    expect(more.options.transfers).toBe(1_210 - 121 - 10 - 5 - 2 * 20);
    expect(
      ratedWorkload({ transfers: 0, rates: RATES, scale: 1_000, opens: 20 }, '2026-10-20', 0)
        .options.transfers,
    ).toBe(605 - 61);
    const { options, shape } = ratedWorkload(
      { transfers: 5, rates: RATES, scale: 1_000, days: 2 },
      '2026-10-20',
    );
    // 1,210 transfer requests in all, of which the 121 bindings' follow-ups are one each.
    expect(options.binds).toBe(121);
    expect(options.transfers).toBe(1_210 - 121);
    expect(options.bills).toBe(36_634);
    expect(options.walletUseShare).toBeCloseTo(14 / 212, 10);
    expect(shape.transfers).toEqual([1, 1]);
    // Without rates the counts stay the scenario's own.
    expect(ratedWorkload({ transfers: 5 }, '2026-10-20').options).toEqual({ transfers: 5 });
  });
});

describe('DayPicker', () => {
  it('draws equal weights as one uniform integer, the draw it always made', () => {
    const a = new Prng(5);
    const b = new Prng(5);
    const picker = DayPicker.uniform(7);
    for (let i = 0; i < 100; i++) expect(picker.pick(a)).toBe(b.int(0, 6));
  });

  it('draws days in proportion to their weights, never a day of weight 0', () => {
    const picker = new DayPicker([1, 0, 3]);
    const prng = new Prng(9);
    const seen = [0, 0, 0];
    for (let i = 0; i < 40_000; i++) seen[picker.pick(prng)]!++;
    expect(seen[1]).toBe(0);
    expect((seen[2] as number) / (seen[0] as number)).toBeGreaterThan(2.8);
    expect((seen[2] as number) / (seen[0] as number)).toBeLessThan(3.2);
  });

  it('refuses weights that are empty, negative or all zero', () => {
    expect(() => new DayPicker([])).toThrow(RangeError);
    expect(() => new DayPicker([1, -1])).toThrow(RangeError);
    expect(() => new DayPicker([0, 0])).toThrow(RangeError);
  });
});
