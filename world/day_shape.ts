// The real day's shape (DOMAIN §4.4): how much of each kind of request a calendar day carries,
// and how many requests a scenario's national-equivalent rates give at its scale. A day's weight
// multiplies the average rate: weekends, the weeks before Spring Festival, the end of the
// resident-contribution season and the winter flu season each change the load, and the hours of
// a day keep the profiles of world/workload.ts (transfers) and world/payments.ts (settlements).
import { Calendar, dateKeyOf, parseDate } from '../actors/calendar.ts';
import { DAY_MS } from '../actors/config.ts';
import { cumulate } from './population.ts';
import type { Prng } from './prng.ts';

/** Seconds in a virtual day: the rates' unit. */
const DAY_SECONDS = DAY_MS / 1000;

/**
 * National-equivalent average rates (requests per second over the whole network, DOMAIN §4.4),
 * which a scenario's `scale` divides down to its population. Counts follow from the rates, the
 * scale and the calendar of the run's days, never from a script of exactly so many requests.
 */
export interface WorkloadRates {
  /** walletTransferTps: 7/s in the mature network, 0.01/s in 2025. */
  readonly transfersPerSecond: number;
  /** outpatientSettlementTps: every settlement at a provider, 212/s (background load). */
  readonly settlementsPerSecond: number;
  /** mutualAidSettlementTps: a relative's account pays at the point of care, 10/s. */
  readonly familyAidPerSecond: number;
  /** residentContributionPaymentTps: 4.6/s during September–December, none outside it. */
  readonly contributionsPerSecond: number;
  /** bindRequests: a tenth of the transfer rate once mature. */
  readonly bindsPerTransfer: number;
}

/** Each day's multiplier of the average rate, for the three kinds of load. */
export interface DayShape {
  readonly transfers: readonly number[];
  readonly settlements: readonly number[];
  readonly contributions: readonly number[];
}

/**
 * 春节 (the first day of the lunar year), PUBLIC-RECALLED from the lunar calendar; years
 * outside the table have no Spring Festival peak.
 */
const SPRING_FESTIVAL: Readonly<Record<number, string>> = {
  2024: '02-10',
  2025: '01-29',
  2026: '02-17',
  2027: '02-06',
  2028: '01-26',
};

/**
 * Multipliers (ASSUMPTION, DOMAIN §4.4's timing profile): transfers lift at weekends and are
 * ×4 (of "×3–5") in the two weeks before Spring Festival and ×3 in the last two weeks of
 * December, the end of the contribution season; settlements are ×0.5 at weekends and on public
 * holidays and ×1.4 (of "×1.3–1.5") in the flu season, December to February; contributions are
 * paid only from September to December (C1) and ×10 in its last week (50/s against 4.6/s).
 */
export const DAY_FACTORS = Object.freeze({
  transferWeekend: 1.2,
  transferSpringFestival: 4,
  springFestivalLeadDays: 14,
  transferContributionDeadline: 3,
  contributionDeadlineLeadDays: 14,
  settlementRestDay: 0.5,
  settlementFluSeason: 1.4,
  contributionLastWeek: 10,
});

const SPRING_FESTIVAL_KEYS: ReadonlyMap<number, number> = new Map(
  Object.entries(SPRING_FESTIVAL).map(([year, md]) => [
    Number(year),
    dateKeyOf(parseDate(`${year}-${md}`)),
  ]),
);

/** Days until Spring Festival from the day of `ms` (1 on its eve), or Infinity if none is near. */
function daysToSpringFestival(calendar: Calendar, ms: number): number {
  const date = calendar.dateAt(ms);
  for (const year of [date.year, date.year + 1]) {
    const key = SPRING_FESTIVAL_KEYS.get(year);
    if (key === undefined) continue;
    const y = Math.floor(key / 10_000);
    const m = Math.floor(key / 100) % 100;
    const festival = calendar.msAt({ year: y, month: m, day: key % 100 });
    const days = Math.round((festival - Math.floor(ms / DAY_MS) * DAY_MS) / DAY_MS);
    if (days >= 1) return days;
  }
  return Number.POSITIVE_INFINITY;
}

/** The multipliers of each of `days` days from `startDate` ('YYYY-MM-DD'). */
export function dayShape(startDate: string, days: number): DayShape {
  if (!Number.isInteger(days) || days < 1) throw new RangeError(`dayShape: days ${days}`);
  const calendar = new Calendar(parseDate(startDate));
  const f = DAY_FACTORS;
  const transfers: number[] = [];
  const settlements: number[] = [];
  const contributions: number[] = [];
  for (let d = 0; d < days; d++) {
    const ms = d * DAY_MS;
    const { month, day } = calendar.dateAt(ms);
    const weekend = calendar.weekdayAt(ms) >= 5;
    const toFestival = daysToSpringFestival(calendar, ms);
    const deadlineLead = month === 12 && day > 31 - f.contributionDeadlineLeadDays;
    let t = weekend ? f.transferWeekend : 1;
    if (toFestival <= f.springFestivalLeadDays) t *= f.transferSpringFestival;
    else if (deadlineLead) t *= f.transferContributionDeadline;
    transfers.push(t);
    let s = calendar.isWorkingDayAt(ms) ? 1 : f.settlementRestDay;
    if (month === 12 || month <= 2) s *= f.settlementFluSeason;
    settlements.push(s);
    const inSeason = month >= 9;
    contributions.push(!inSeason ? 0 : month === 12 && day >= 25 ? f.contributionLastWeek : 1);
  }
  return { transfers, settlements, contributions };
}

/** What a scenario's rates come to over its days at its scale. */
export interface RatedCounts {
  readonly transfers: number;
  readonly bills: number;
  readonly familyAid: number;
  readonly contributions: number;
  readonly binds: number;
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/** Requests per kind: rate × seconds × each day's multiplier, over `scale`, rounded. */
export function ratedCounts(rates: WorkloadRates, scale: number, shape: DayShape): RatedCounts {
  const per = (rate: number, weights: readonly number[]) =>
    Math.round((rate * DAY_SECONDS * sum(weights)) / scale);
  const transfers = per(rates.transfersPerSecond, shape.transfers);
  return {
    transfers,
    bills: per(rates.settlementsPerSecond, shape.settlements),
    familyAid: per(rates.familyAidPerSecond, shape.settlements),
    contributions: per(rates.contributionsPerSecond, shape.contributions),
    binds: Math.round(transfers * rates.bindsPerTransfer),
  };
}

/**
 * Picks the virtual day of a request. Equal weights draw as a plain uniform integer, so a
 * scenario without a calendar's shape draws exactly what it drew before there was one.
 */
export class DayPicker {
  private readonly cumulative: readonly number[] | undefined;

  constructor(readonly weights: readonly number[]) {
    if (weights.length < 1 || !weights.every((w) => w >= 0) || !(sum(weights) > 0)) {
      throw new RangeError(`DayPicker: weights ${weights.join(',')}`);
    }
    const first = weights[0];
    this.cumulative = weights.every((w) => w === first) ? undefined : cumulate(weights);
  }

  static uniform(days: number): DayPicker {
    return new DayPicker(new Array<number>(days).fill(1));
  }

  pick(prng: Prng): number {
    return this.cumulative === undefined
      ? prng.int(0, this.weights.length - 1)
      : prng.pickCumulative(this.cumulative);
  }
}
