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

  /** K8: is the day of ms a working day (Mon–Fri, or a make-up day, and not a holiday)? */
  isWorkingDayAt(ms: number): boolean {
    return isWorkingDay(this.dateAt(ms), this.weekdayAt(ms));
  }

  /**
   * The same time of day, n working days after the day of ms (n = 0: ms itself). Working days
   * follow the State Council's holiday arrangements for 2024–2026 (HOLIDAYS below): holidays
   * do not count, make-up days (调休) do. Outside those years, Monday–Friday.
   */
  addWorkingDays(ms: number, n: number): number {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`addWorkingDays: n ${n}`);
    let at = ms;
    for (let left = n; left > 0;) {
      at += DAY_MS;
      if (this.isWorkingDayAt(at)) left--;
    }
    return at;
  }

  /** K8: ms itself on a working day, else the same time of the next working day. */
  onWorkingDay(ms: number): number {
    let at = ms;
    while (!this.isWorkingDayAt(at)) at += DAY_MS;
    return at;
  }
}

/**
 * K8: public holidays and make-up working days (调休) of mainland China, 2024–2026, as the State
 * Council General Office announced them each autumn for the next year (PUBLIC-RECALLED: from the
 * announcements as published; DOMAIN cites no text for them). Ranges are inclusive.
 */
const HOLIDAYS: Readonly<Record<number, { off: readonly string[]; work: readonly string[] }>> = {
  2024: {
    off: [
      '01-01', // 元旦
      '02-10..02-17', // 春节
      '04-04..04-06', // 清明节
      '05-01..05-05', // 劳动节
      '06-10', // 端午节
      '09-15..09-17', // 中秋节
      '10-01..10-07', // 国庆节
    ],
    work: ['02-04', '02-18', '04-07', '04-28', '05-11', '09-14', '09-29', '10-12'],
  },
  2025: {
    off: [
      '01-01',
      '01-28..02-04', // 春节
      '04-04..04-06',
      '05-01..05-05',
      '05-31..06-02', // 端午节
      '10-01..10-08', // 国庆节 and 中秋节
    ],
    work: ['01-26', '02-08', '04-27', '09-28', '10-11'],
  },
  2026: {
    off: [
      '01-01..01-03',
      '02-15..02-23', // 春节
      '04-04..04-06',
      '05-01..05-05',
      '06-19..06-21', // 端午节
      '09-25..09-27', // 中秋节
      '10-01..10-07',
    ],
    work: ['01-04', '02-14', '02-28', '05-09', '09-20', '10-10'],
  },
};

/** 'MM-DD' or 'MM-DD..MM-DD' of one year → the date keys (YYYYMMDD) it covers. */
function expand(year: number, item: string): number[] {
  const [from, to = from] = item.split('..') as [string, string?];
  const first = epochDayOf(parseDate(`${year}-${from}`));
  const last = epochDayOf(parseDate(`${year}-${to}`));
  const keys: number[] = [];
  for (let d = first; d <= last; d++) keys.push(dateKeyOf(dateOfEpochDay(d)));
  return keys;
}

const OFF = new Set<number>();
const MAKE_UP = new Set<number>();
for (const [year, { off, work }] of Object.entries(HOLIDAYS)) {
  for (const item of off) for (const key of expand(Number(year), item)) OFF.add(key);
  for (const item of work) for (const key of expand(Number(year), item)) MAKE_UP.add(key);
}

/** K8: a working day is a weekday that is not a holiday, or a make-up day. */
function isWorkingDay(date: CivilDate, weekday: number): boolean {
  const key = dateKeyOf(date);
  if (MAKE_UP.has(key)) return true;
  return weekday < 5 && !OFF.has(key);
}

/**
 * W11: a transfer made on virtual day d comes back, if still unreceived, at `returnHour`:00 of
 * day d + 1, whatever the hour on day d.
 */
export function returnAtMs(startedAt: number, config: Pick<ProtocolConfig, 'returnHour'>): number {
  return (Math.floor(startedAt / DAY_MS) + 1) * DAY_MS + config.returnHour * HOUR_MS;
}
