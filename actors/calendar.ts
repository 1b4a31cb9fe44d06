// Virtual time → Beijing calendar. Virtual ms count from 00:00 Beijing time of day 0, whose date
// the scenario gives. Beijing has no DST, so every day is exactly DAY_MS and the calendar is pure
// integer arithmetic: no Date object at all (the purity scan bans the wall clock, and a Date in
// the host's time zone would be wrong anyway). Epoch days use Howard Hinnant's days-from-civil
// algorithm (proleptic Gregorian, day 0 = 1970-01-01).
import { DAY_MS, HOUR_MS, type ProtocolConfig } from './config.ts';

export interface CivilDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

const MINUTE_MS = 60_000;
// 1970-01-01 was a Thursday; weekdays count Monday = 0.
const EPOCH_WEEKDAY = 3;
const DATE_TEXT = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : (MONTH_DAYS[month - 1] ?? 0);
}

function isCivilDate(date: CivilDate): boolean {
  const { year, month, day } = date;
  return (
    Number.isInteger(year) &&
    year >= 0 &&
    year <= 9999 &&
    Number.isInteger(month) &&
    month >= 1 &&
    month <= 12 &&
    Number.isInteger(day) &&
    day >= 1 &&
    day <= daysInMonth(year, month)
  );
}

function assertDate(date: CivilDate, api: string): void {
  if (typeof date !== 'object' || date === null || !isCivilDate(date)) {
    throw new RangeError(`${api}: not a calendar date: ${JSON.stringify(date)}`);
  }
}

/** 'YYYY-MM-DD' → date; a malformed or impossible date ('2025-02-29') throws, naming the text. */
export function parseDate(text: string): CivilDate {
  const m = typeof text === 'string' ? DATE_TEXT.exec(text) : null;
  const date = m ? { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) } : undefined;
  if (date === undefined || !isCivilDate(date)) {
    throw new RangeError(`parseDate: not a YYYY-MM-DD date: ${JSON.stringify(text)}`);
  }
  return Object.freeze(date);
}

export function formatDate(date: CivilDate): string {
  assertDate(date, 'formatDate');
  const mm = String(date.month).padStart(2, '0');
  const dd = String(date.day).padStart(2, '0');
  return `${String(date.year).padStart(4, '0')}-${mm}-${dd}`;
}

/** Days since 1970-01-01 (negative before). */
export function epochDayOf(date: CivilDate): number {
  assertDate(date, 'epochDayOf');
  const y = date.month <= 2 ? date.year - 1 : date.year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * ((date.month + 9) % 12) + 2) / 5) + date.day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

export function dateOfEpochDay(epochDay: number): CivilDate {
  if (!Number.isSafeInteger(epochDay)) throw new RangeError(`dateOfEpochDay: ${epochDay}`);
  const z = epochDay + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return Object.freeze({ year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day });
}

/** YYYYMMDD as an integer: orders like the dates, so policy tables compare dates with `<`. */
export function dateKeyOf(date: CivilDate): number {
  return date.year * 10_000 + date.month * 100 + date.day;
}

/** YYYYMM as an integer, e.g. 202509: the settlement month (`setlym`, K3). */
export function monthKeyOf(date: CivilDate): number {
  return date.year * 100 + date.month;
}

function assertMonthKey(key: number, api: string): void {
  const month = key % 100;
  if (!Number.isInteger(key) || key < 1 || key > 999_912 || month < 1 || month > 12) {
    throw new RangeError(`${api}: not a YYYYMM month key: ${key}`);
  }
}

export function nextMonthKey(key: number): number {
  assertMonthKey(key, 'nextMonthKey');
  return key % 100 === 12 ? key + 89 : key + 1;
}

export function prevMonthKey(key: number): number {
  assertMonthKey(key, 'prevMonthKey');
  return key % 100 === 1 ? key - 89 : key - 1;
}

function assertMs(ms: number, api: string): void {
  if (!Number.isFinite(ms)) throw new RangeError(`Calendar.${api}: virtual time ${ms}`);
}

/**
 * The scenario's calendar. Called per message, so the date of the last day asked about is cached:
 * messages come in time order and most fall on the same day as the previous one.
 */
export class Calendar {
  readonly startDate: CivilDate;
  /** Epoch day of virtual day 0. */
  private readonly startEpochDay: number;
  private cachedDay = Number.NaN;
  private cachedDate: CivilDate;

  constructor(startDate: CivilDate) {
    assertDate(startDate, 'Calendar');
    this.startDate = Object.freeze({ ...startDate });
    this.startEpochDay = epochDayOf(startDate);
    this.cachedDate = this.startDate;
  }

  /** Virtual day number of ms: 0 on the start date, negative before it. */
  dayAt(ms: number): number {
    assertMs(ms, 'dayAt');
    return Math.floor(ms / DAY_MS);
  }

  dateAt(ms: number): CivilDate {
    const day = this.dayAt(ms);
    if (day !== this.cachedDay) {
      this.cachedDate = dateOfEpochDay(this.startEpochDay + day);
      this.cachedDay = day;
    }
    return this.cachedDate;
  }

  /** 0 = Monday … 6 = Sunday. */
  weekdayAt(ms: number): number {
    // Twice % 7: a non-negative result for days before 1970, and never -0.
    return (((this.startEpochDay + this.dayAt(ms) + EPOCH_WEEKDAY) % 7) + 7) % 7;
  }

  monthKeyAt(ms: number): number {
    return monthKeyOf(this.dateAt(ms));
  }

  yearAt(ms: number): number {
    return this.dateAt(ms).year;
  }

  /** Virtual ms of a Beijing wall-clock time; negative before the start date. */
  msAt(date: CivilDate, hour = 0, minute = 0): number {
    if (!Number.isInteger(hour) || hour < 0 || hour > 23) {
      throw new RangeError(`msAt: hour ${hour}`);
    }
    if (!Number.isInteger(minute) || minute < 0 || minute > 59) {
      throw new RangeError(`msAt: minute ${minute}`);
    }
    const day = epochDayOf(date) - this.startEpochDay;
    return day * DAY_MS + hour * HOUR_MS + minute * MINUTE_MS;
  }

  startOfMonthMs(monthKey: number): number {
    assertMonthKey(monthKey, 'startOfMonthMs');
    return this.msAt({ year: Math.floor(monthKey / 100), month: monthKey % 100, day: 1 });
  }

  nextMonthStartMs(ms: number): number {
    return this.startOfMonthMs(nextMonthKey(this.monthKeyAt(ms)));
  }

  /**
   * The same time of day, n working days after the day of ms (n = 0: ms itself). Working days
   * are Monday–Friday only: there is no holiday table, so Spring Festival and National Day
   * weeks (and their make-up Saturdays, 调休) count as ordinary weeks. K8's "~5 working days"
   * is an ASSUMPTION anyway.
   */
  addWorkingDays(ms: number, n: number): number {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`addWorkingDays: n ${n}`);
    if (n === 0) return ms;
    const start = this.weekdayAt(ms);
    // From a weekend, count from the Friday before: the working days after it are the same ones.
    let days = start >= 5 ? 4 - start : 0;
    let weekday = Math.min(start, 4);
    // Whole weeks first, so the loop below walks at most 4 working days and one weekend.
    days += Math.floor(n / 5) * 7;
    for (let left = n % 5; left > 0;) {
      days++;
      weekday = (weekday + 1) % 7;
      if (weekday < 5) left--;
    }
    return ms + days * DAY_MS;
  }
}

/**
 * W11: a transfer made on virtual day d comes back, if still unreceived, at `returnHour`:00 of
 * day d + 1, whatever the hour on day d.
 */
export function returnAtMs(startedAt: number, config: Pick<ProtocolConfig, 'returnHour'>): number {
  return (Math.floor(startedAt / DAY_MS) + 1) * DAY_MS + config.returnHour * HOUR_MS;
}
