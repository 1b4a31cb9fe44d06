// Checks actors/calendar.ts: date parsing, the integer civil-date arithmetic against Date.UTC
// (allowed here: tests are not scanned for purity), virtual ms ↔ Beijing dates across leap years
// and month ends, W11's 06:00 return time, month keys, and working days.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  Calendar,
  type CivilDate,
  dateOfEpochDay,
  daysInMonth,
  epochDayOf,
  formatDate,
  monthKeyOf,
  nextMonthKey,
  parseDate,
  prevMonthKey,
  returnAtMs,
} from './calendar.ts';
import { DAY_MS, HOUR_MS } from './config.ts';

const MINUTE_MS = 60_000;

const dateArb: fc.Arbitrary<CivilDate> = fc
  .record({
    year: fc.integer({ min: 1900, max: 2400 }),
    month: fc.integer({ min: 1, max: 12 }),
    day: fc.nat(),
  })
  .map(({ year, month, day }) => ({ year, month, day: 1 + (day % daysInMonth(year, month)) }));

function utcDay(d: CivilDate): number {
  return Date.UTC(d.year, d.month - 1, d.day) / DAY_MS;
}

describe('parseDate / formatDate', () => {
  it('parses valid dates, leap days included, and formats them back', () => {
    expect(parseDate('2025-09-01')).toEqual({ year: 2025, month: 9, day: 1 });
    expect(parseDate('2024-02-29')).toEqual({ year: 2024, month: 2, day: 29 });
    expect(parseDate('2000-02-29')).toEqual({ year: 2000, month: 2, day: 29 });
    expect(formatDate({ year: 2025, month: 1, day: 5 })).toBe('2025-01-05');
    fc.assert(
      fc.property(dateArb, (d) => {
        expect(parseDate(formatDate(d))).toEqual(d);
      }),
    );
  });

  it('rejects malformed and impossible dates with a RangeError naming the text', () => {
    const bad = [
      '2025-02-29',
      '2100-02-29',
      '2025-13-01',
      '2025-00-10',
      '2025-04-31',
      '2025-9-01',
      '2025-09-01T00:00',
      '',
      'soon',
    ];
    for (const text of [...bad, 'x2025-09-01', '2025-09-01x'])
      expect(() => parseDate(text)).toThrow(new RegExp(`parseDate.*"${text}"`));
    expect(() => parseDate('2025-02-30')).toThrow(RangeError);
    for (const date of [
      { year: 2025, month: 2, day: 29 },
      { year: -1, month: 1, day: 1 },
      { year: 10_000, month: 1, day: 1 },
      { year: 2025.5, month: 1, day: 1 },
      { year: 2025, month: 1.5, day: 1 },
      { year: 2025, month: 1, day: 0 },
      { year: 2025, month: 1, day: 1.5 },
    ])
      expect(() => formatDate(date)).toThrow(
        `formatDate: not a calendar date: ${JSON.stringify(date)}`,
      );
    expect(formatDate({ year: 5, month: 1, day: 9 })).toBe('0005-01-09');
  });
});

describe('epoch days', () => {
  it('agree with Date.UTC and invert exactly, leap years and century rules included', () => {
    fc.assert(
      fc.property(dateArb, (d) => {
        expect(epochDayOf(d)).toBe(utcDay(d));
        expect(dateOfEpochDay(epochDayOf(d))).toEqual(d);
      }),
    );
    expect(epochDayOf({ year: 1970, month: 1, day: 1 })).toBe(0);
    expect(dateOfEpochDay(-1)).toEqual({ year: 1969, month: 12, day: 31 });
  });
});

describe('Calendar', () => {
  const cal = new Calendar(parseDate('2025-09-01'));

  it('maps virtual ms to Beijing dates, weekdays, months and years around day 0', () => {
    expect(cal.dateAt(0)).toEqual({ year: 2025, month: 9, day: 1 });
    expect(cal.dateAt(DAY_MS - 1)).toEqual({ year: 2025, month: 9, day: 1 });
    expect(cal.dateAt(DAY_MS)).toEqual({ year: 2025, month: 9, day: 2 });
    expect(cal.dateAt(-1)).toEqual({ year: 2025, month: 8, day: 31 });
    expect(cal.weekdayAt(0)).toBe(0); // 2025-09-01 was a Monday
    expect(cal.weekdayAt(6 * DAY_MS)).toBe(6);
    expect(cal.weekdayAt(-DAY_MS)).toBe(6);
    expect(cal.monthKeyAt(0)).toBe(202509);
    expect(cal.monthKeyAt(-1)).toBe(202508);
    expect(cal.yearAt(cal.msAt(parseDate('2026-01-01')))).toBe(2026);
    expect(cal.yearAt(cal.msAt(parseDate('2026-01-01')) - 1)).toBe(2025);
  });

  it('crosses leap days: 2024-02-28 → 02-29 → 03-01, and 2100 has no 29 February', () => {
    const leap = new Calendar(parseDate('2024-02-28'));
    const days = [0, 1, 2].map((d) => formatDate(leap.dateAt(d * DAY_MS)));
    expect(days).toEqual(['2024-02-28', '2024-02-29', '2024-03-01']);
    const century = new Calendar(parseDate('2100-02-28'));
    expect(formatDate(century.dateAt(DAY_MS))).toBe('2100-03-01');
    expect(leap.msAt(parseDate('2025-02-28'))).toBe(366 * DAY_MS);
  });

  it('msAt and dateAt round-trip for any date and wall-clock time, before or after the start', () => {
    fc.assert(
      fc.property(dateArb, dateArb, fc.nat({ max: 23 }), fc.nat({ max: 59 }), (start, d, h, m) => {
        const c = new Calendar(start);
        const ms = c.msAt(d, h, m);
        expect(c.dateAt(ms)).toEqual(d);
        expect(ms - c.msAt(d)).toBe(h * HOUR_MS + m * MINUTE_MS);
        expect(c.weekdayAt(ms)).toBe(
          (new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay() + 6) % 7,
        );
        expect(c.monthKeyAt(ms)).toBe(monthKeyOf(d));
      }),
    );
  });

  it('msAt and dateAt refuse what is not a time: an hour or minute out of range, a ms not finite', () => {
    const day = parseDate('2025-09-01');
    for (const hour of [-1, 24, 1.5])
      expect(() => cal.msAt(day, hour)).toThrow(`msAt: hour ${hour}`);
    for (const minute of [-1, 60, 0.5])
      expect(() => cal.msAt(day, 0, minute)).toThrow(`msAt: minute ${minute}`);
    expect(cal.msAt(day, 23, 59)).toBe(23 * HOUR_MS + 59 * 60_000);
    for (const ms of [Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => cal.dateAt(ms)).toThrow(`Calendar.dayAt: virtual time ${ms}`);
  });

  it('any virtual ms falls in the day msAt(dateAt(ms)) starts', () => {
    fc.assert(
      fc.property(fc.integer({ min: -400 * 365 * DAY_MS, max: 400 * 365 * DAY_MS }), (ms) => {
        const midnight = cal.msAt(cal.dateAt(ms));
        expect(midnight <= ms && ms < midnight + DAY_MS).toBe(true);
        expect(Math.abs(midnight % DAY_MS)).toBe(0);
      }),
    );
  });

  it('the one-day cache never returns a stale date, whatever order times come in', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -5 * DAY_MS, max: 5 * DAY_MS }), { maxLength: 40 }),
        (times) => {
          const cached = new Calendar(parseDate('2024-12-31'));
          for (const ms of times)
            expect(cached.dateAt(ms)).toEqual(new Calendar(parseDate('2024-12-31')).dateAt(ms));
        },
      ),
    );
  });

  it('W11: a transfer made on day d is returned at 06:00 of day d+1, at any hour of day d', () => {
    const d = parseDate('2025-09-10');
    const returnAt = cal.msAt(parseDate('2025-09-11'), 6);
    for (const [h, m] of [
      [0, 0],
      [5, 59],
      [6, 0],
      [21, 59],
    ] as const) {
      expect(returnAtMs(cal.msAt(d, h, m), { returnHour: 6 })).toBe(returnAt);
    }
    expect(
      cal.dateAt(returnAtMs(cal.msAt(parseDate('2025-12-31'), 21, 30), { returnHour: 6 })),
    ).toEqual(parseDate('2026-01-01'));
    fc.assert(
      fc.property(fc.integer({ min: -DAY_MS * 1000, max: DAY_MS * 1000 }), (ms) => {
        const next = returnAtMs(ms, { returnHour: 6 });
        expect(next > ms).toBe(true);
        expect(cal.dayAt(next)).toBe(cal.dayAt(ms) + 1);
        expect(next - cal.msAt(cal.dateAt(next))).toBe(6 * HOUR_MS);
      }),
    );
  });

  it('month starts: startOfMonthMs, nextMonthStartMs across month and year ends', () => {
    expect(cal.startOfMonthMs(202509)).toBe(0);
    expect(cal.startOfMonthMs(202508)).toBe(-31 * DAY_MS);
    expect(cal.nextMonthStartMs(cal.msAt(parseDate('2025-12-31'), 23, 59))).toBe(
      cal.msAt(parseDate('2026-01-01')),
    );
    expect(cal.nextMonthStartMs(cal.msAt(parseDate('2028-02-29'), 12))).toBe(
      cal.msAt(parseDate('2028-03-01')),
    );
    fc.assert(
      fc.property(dateArb, (d) => {
        const start = cal.startOfMonthMs(monthKeyOf(d));
        expect(cal.dateAt(start)).toEqual({ year: d.year, month: d.month, day: 1 });
        expect(cal.monthKeyAt(start - 1)).toBe(prevMonthKey(monthKeyOf(d)));
        expect(cal.monthKeyAt(cal.nextMonthStartMs(cal.msAt(d)))).toBe(nextMonthKey(monthKeyOf(d)));
      }),
    );
    expect(() => cal.startOfMonthMs(202513)).toThrow(RangeError);
  });

  it('month keys step over year ends and reject non-months', () => {
    expect(nextMonthKey(202512)).toBe(202601);
    expect(prevMonthKey(202601)).toBe(202512);
    expect(nextMonthKey(202509)).toBe(202510);
    fc.assert(
      fc.property(dateArb, (d) => {
        expect(prevMonthKey(nextMonthKey(monthKeyOf(d)))).toBe(monthKeyOf(d));
      }),
    );
    for (const bad of [202500, 202513, 2025.5, -1, 0, 1_000_001, Number.NaN]) {
      expect(() => nextMonthKey(bad)).toThrow(`nextMonthKey: not a YYYYMM month key: ${bad}`);
      expect(() => prevMonthKey(bad)).toThrow(`prevMonthKey: not a YYYYMM month key: ${bad}`);
    }
    expect(nextMonthKey(1)).toBe(2);
    expect(prevMonthKey(999_912)).toBe(999_911);
  });

  it('K8: addWorkingDays skips weekends and holidays and counts make-up days', () => {
    const fri = cal.msAt(parseDate('2025-09-05'), 15, 30);
    const sat = fri + DAY_MS;
    const on = (ms: number) => formatDate(cal.dateAt(ms));
    expect(on(cal.addWorkingDays(fri, 1))).toBe('2025-09-08');
    expect(on(cal.addWorkingDays(sat, 1))).toBe('2025-09-08');
    expect(on(cal.addWorkingDays(sat, 5))).toBe('2025-09-12');
    expect(cal.addWorkingDays(fri, 0)).toBe(fri);
    expect(cal.addWorkingDays(fri, 5) - fri).toBe(7 * DAY_MS);
    expect(() => cal.addWorkingDays(fri, -1)).toThrow(RangeError);
    // National Day and Mid-Autumn 2025: 10-01..10-08 off, Sunday 09-28 and Saturday 10-11 worked.
    const sep26 = cal.msAt(parseDate('2025-09-26'), 9);
    expect(on(cal.addWorkingDays(sep26, 1))).toBe('2025-09-28');
    expect(on(cal.addWorkingDays(sep26, 3))).toBe('2025-09-30');
    expect(on(cal.addWorkingDays(sep26, 4))).toBe('2025-10-09');
    expect(on(cal.addWorkingDays(sep26, 6))).toBe('2025-10-11');
    expect(on(cal.addWorkingDays(sep26, 7))).toBe('2025-10-13');
    // Spring Festival 2025: 01-28..02-04 off, Sunday 01-26 and Saturday 02-08 worked.
    const jan24 = cal.msAt(parseDate('2025-01-24'), 9);
    expect(on(cal.addWorkingDays(jan24, 1))).toBe('2025-01-26');
    expect(on(cal.addWorkingDays(jan24, 2))).toBe('2025-01-27');
    expect(on(cal.addWorkingDays(jan24, 3))).toBe('2025-02-05');
    expect(on(cal.addWorkingDays(jan24, 5))).toBe('2025-02-07');
    expect(on(cal.addWorkingDays(jan24, 6))).toBe('2025-02-08');
    // Spring Festival 2026: 02-15..02-23 off; 2024: 02-10..02-17 off, Sunday 02-18 worked.
    expect(on(cal.onWorkingDay(cal.msAt(parseDate('2026-02-15'))))).toBe('2026-02-24');
    expect(on(cal.onWorkingDay(cal.msAt(parseDate('2024-02-10'))))).toBe('2024-02-18');
    expect(on(cal.onWorkingDay(cal.msAt(parseDate('2026-01-01'))))).toBe('2026-01-04');
    expect(cal.onWorkingDay(fri)).toBe(fri);
    // Outside the table's years, Monday–Friday: 2027-10-01 is a Friday.
    expect(on(cal.onWorkingDay(cal.msAt(parseDate('2027-10-01'))))).toBe('2027-10-01');
  });

  it('K8: every working day is a make-up day or a weekday that is no holiday', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -DAY_MS * 400, max: DAY_MS * 800 }),
        fc.integer({ min: 0, max: 40 }),
        (ms, n) => {
          let at = ms;
          for (let left = n; left > 0;) {
            at += DAY_MS;
            if (cal.isWorkingDayAt(at)) left--;
          }
          expect(cal.addWorkingDays(ms, n)).toBe(at);
          expect(cal.isWorkingDayAt(cal.onWorkingDay(ms))).toBe(true);
        },
      ),
    );
    let holidays = 0;
    let makeUp = 0;
    for (let day = cal.dayAt(cal.msAt(parseDate('2025-01-01'))); ; day++) {
      const at = day * DAY_MS;
      if (cal.yearAt(at) > 2025) break;
      const weekday = cal.weekdayAt(at);
      if (weekday < 5 && !cal.isWorkingDayAt(at)) holidays++;
      if (weekday >= 5 && cal.isWorkingDayAt(at)) makeUp++;
    }
    // 2025: 261 weekdays − 18 holidays on weekdays + 5 make-up days = 248 working days.
    expect({ holidays, makeUp }).toEqual({ holidays: 18, makeUp: 5 });
  });
});

describe('calendar: the edges of what it accepts, and what it names when it refuses', () => {
  it('years 0000 and 9999 are dates; their neighbours are not', () => {
    expect(parseDate('0000-01-01')).toEqual({ year: 0, month: 1, day: 1 });
    expect(parseDate('9999-12-31')).toEqual({ year: 9999, month: 12, day: 31 });
    expect(formatDate({ year: 9999, month: 12, day: 31 })).toBe('9999-12-31');
    expect(() => formatDate({ year: 10_000, month: 1, day: 1 })).toThrow(RangeError);
  });

  it('refuses what is not a date object, naming the function', () => {
    expect(() => formatDate(null as never)).toThrow(
      new RangeError('formatDate: not a calendar date: null'),
    );
    expect(() => epochDayOf({ year: 2025, month: 2, day: 29 })).toThrow(
      'epochDayOf: not a calendar date: {"year":2025,"month":2,"day":29}',
    );
    expect(() => new Calendar({ year: 2025, month: 13, day: 1 })).toThrow(
      'Calendar: not a calendar date',
    );
    // Only a string is parsed: an object that prints as a date is not one.
    expect(() => parseDate({ toString: () => '2025-09-29' } as never)).toThrow(RangeError);
    expect(() => dateOfEpochDay(Number.NaN)).toThrow(new RangeError('dateOfEpochDay: NaN'));
  });

  it('the last day of a 400-year era round-trips (29 February 2000)', () => {
    const leap = { year: 2000, month: 2, day: 29 };
    expect(dateOfEpochDay(epochDayOf(leap))).toEqual(leap);
    expect(dateOfEpochDay(epochDayOf(leap) + 1)).toEqual({ year: 2000, month: 3, day: 1 });
  });

  it('keeps its own copy of the start date', () => {
    const start = { year: 2025, month: 9, day: 29 };
    const calendar = new Calendar(start);
    start.day = 30;
    expect(calendar.startDate).toEqual({ year: 2025, month: 9, day: 29 });
    expect(Object.isFrozen(calendar.startDate)).toBe(true);
  });

  it('names the function a bad month key or working-day count was given to', () => {
    const calendar = new Calendar(parseDate('2025-09-29'));
    expect(() => calendar.startOfMonthMs(202513)).toThrow(
      new RangeError('startOfMonthMs: not a YYYYMM month key: 202513'),
    );
    expect(() => calendar.addWorkingDays(0, -1)).toThrow(new RangeError('addWorkingDays: n -1'));
  });
});
