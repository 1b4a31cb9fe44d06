// K3: the providers' side of daily reconciliation (3201/3202). Each POS keeps the bills it heard
// settled, per treatment region and Beijing day; at 02:00 the next day it sends the region's
// province the day's count and total (3201). If the region's own figures differ, it sends each
// of the day's bills (3202), and the region says which it paid for and names any it never did.
// Once a month is over it applies to each region for that month's clearing (3203, at 03:00 on
// the 1st of the next): person-times and what the region's fund owes it, the bills it heard
// settled under that settlement month (setlym, as `bill.presettled` named it) and did not see
// undone. Every message is retried until
// answered, like the POS's bill steps.
import { provinceAddress } from '../actors/addresses.ts';
import { retryDelayMs } from '../actors/backoff.ts';
import { Calendar, dateKeyOf, nextMonthKey, parseDate } from '../actors/calendar.ts';
import type { ProtocolConfig } from '../actors/config.ts';
import type { Effects } from '../actors/effects.ts';
import { provinceOfRegion } from '../actors/regions.ts';
import type { AnyEnvelope, Fen } from '../protocol/index.ts';

const DAY_MS = 86_400_000;
/** DOMAIN §4.4: daily reconciliation at 02:00 (ASSUMPTION there). */
const RECONCILE_HOUR = 2;
/** K8's application window opens on the 1st: the POS applies at 03:00, after that day's 02:00. */
const APPLY_HOUR = 3;

/** The timers this part of the POS arms, by key prefix. */
const RECONCILE_TIMERS = {
  day: 'rcd:',
  totals: 'rct:',
  detail: 'rcb:',
  month: 'rcm:',
  apply: 'rca:',
} as const;

/** K3, 3203: one region's bills of one settlement month, as the POS applies for them. */
interface RegionMonth {
  readonly region: string;
  readonly month: number;
  /** The month's settled bills, not undone: id → what the region's fund owes for it. */
  readonly bills: Map<string, Fen>;
  attempt: number;
  /**
   * Once answered the region-month stays `applied` (its bills let go): a bill of that month
   * heard settled later is left out, not applied for alone; the region's answer already said
   * what it paid.
   */
  phase: 'collecting' | 'applying' | 'applied';
}

interface RegionDay {
  readonly region: string;
  readonly day: number;
  /** The day's settled bills: id → total. */
  readonly bills: Map<string, Fen>;
  /** Totals sent and not yet answered (attempt), or, once they differed, details open. */
  attempt: number;
  phase: 'collecting' | 'totals' | 'details';
}

export class PosReconciliation {
  private readonly calendar: Calendar;
  /** By `<region>.<day>`. */
  private readonly days = new Map<string, RegionDay>();
  /** Details sent and not yet answered: bill id → its region-day and attempt. */
  private readonly details = new Map<string, { key: string; attempt: number }>();
  /** Days whose 02:00 timer is armed. */
  private readonly armed = new Set<number>();
  /** K3, 3203: by `<region>.<month>`; and the months whose application timer is armed. */
  private readonly months = new Map<string, RegionMonth>();
  private readonly armedMonths = new Set<number>();

  constructor(private readonly config: ProtocolConfig) {
    this.calendar = new Calendar(parseDate(config.startDate));
  }

  /**
   * Region-days whose totals or details, and region-months whose application, were sent and not
   * yet answered: open requests.
   */
  get open(): number {
    let open = 0;
    for (const entry of this.days.values()) if (entry.phase !== 'collecting') open++;
    for (const entry of this.months.values()) if (entry.phase === 'applying') open++;
    return open;
  }

  /**
   * The POS heard `bill.settled`: count the bill on today's totals for its region, and on its
   * settlement month's application with what the region's fund owes for it (`applied`).
   */
  settled(
    billId: string,
    region: string,
    total: Fen,
    now: number,
    fx: Effects,
    filed?: { readonly month: number; readonly applied: Fen },
  ): void {
    if (filed !== undefined) this.fileForMonth(billId, region, filed.month, filed.applied, fx);
    const day = dateKeyOf(this.calendar.dateAt(now));
    const key = `${region}.${day}`;
    const known = this.days.get(key);
    if (known !== undefined && known.phase !== 'collecting') return; // the day is closed
    const entry = known ?? { region, day, bills: new Map(), attempt: 0, phase: 'collecting' };
    entry.bills.set(billId, total);
    this.days.set(key, entry);
    const index = this.calendar.dayAt(now);
    if (!this.armed.has(index)) {
      this.armed.add(index);
      fx.timer(RECONCILE_TIMERS.day + index, (index + 1) * DAY_MS + RECONCILE_HOUR * 3_600_000, 0);
    }
  }

  /** The POS saw a settled bill cancelled or reversed: its month's application leaves it out. */
  undone(billId: string): void {
    for (const entry of this.months.values())
      if (entry.phase === 'collecting') entry.bills.delete(billId);
  }

  private fileForMonth(billId: string, region: string, month: number, applied: Fen, fx: Effects) {
    const key = `${region}.${month}`;
    const known = this.months.get(key);
    if (known !== undefined && known.phase !== 'collecting') return; // applied already
    const entry = known ?? { region, month, bills: new Map(), attempt: 0, phase: 'collecting' };
    entry.bills.set(billId, applied);
    this.months.set(key, entry);
    if (!this.armedMonths.has(month)) {
      this.armedMonths.add(month);
      const at = this.calendar.startOfMonthMs(nextMonthKey(month)) + APPLY_HOUR * 3_600_000;
      fx.timer(RECONCILE_TIMERS.month + month, at, 0);
    }
  }

  /** Whether this part of the POS owns the timer; if so it has handled it. */
  timer(key: string, arg: number, now: number, fx: Effects): boolean {
    const colon = key.indexOf(':') + 1;
    const [prefix, id] = [key.slice(0, colon), key.slice(colon)];
    switch (prefix) {
      case RECONCILE_TIMERS.month: {
        // A month is over: apply for it in each region (3203).
        const month = Number(id);
        this.armedMonths.delete(month);
        sendOut(
          this.months,
          (e) => e.month === month,
          'applying',
          (k, e) => this.sendApplication(k, e, now, fx),
        );
        return true;
      }
      case RECONCILE_TIMERS.day: {
        // A day is over: its totals go to each region (3201).
        const index = Number(id);
        this.armed.delete(index);
        const day = dateKeyOf(this.calendar.dateAt(index * DAY_MS));
        sendOut(
          this.days,
          (e) => e.day === day,
          'totals',
          (k, e) => this.sendTotals(k, e, now, fx),
        );
        return true;
      }
      case RECONCILE_TIMERS.apply:
        retry(this.months.get(id), 'applying', arg, (e) => this.sendApplication(id, e, now, fx));
        return true;
      case RECONCILE_TIMERS.totals:
        retry(this.days.get(id), 'totals', arg, (e) => this.sendTotals(id, e, now, fx));
        return true;
      case RECONCILE_TIMERS.detail:
        retry(this.details.get(id), undefined, arg, () => this.sendDetail(id, now, fx));
        return true;
      default:
        return false;
    }
  }

  /** The region's answer to totals, to a detail or to an application. */
  answer(env: AnyEnvelope, now: number, fx: Effects): void {
    switch (env.kind) {
      case 'provider.applied':
      case 'provider.applyDiffers': {
        // Either way the application is answered: a difference is explained by the days'
        // reconciliations (3201/3202), which name any bill the region never recorded.
        const monthKey = `${env.body.region}.${env.body.month}`;
        const entry = this.months.get(monthKey);
        if (entry?.phase !== 'applying') return; // a duplicate answer
        fx.cancelTimer(RECONCILE_TIMERS.apply + monthKey);
        entry.phase = 'applied';
        entry.bills.clear();
        return;
      }
      case 'provider.totalsAgreed':
      case 'provider.totalsDiffer': {
        const dayKey = `${env.body.region}.${env.body.day}`;
        const entry = this.days.get(dayKey);
        if (entry?.phase !== 'totals') return; // a duplicate answer
        fx.cancelTimer(RECONCILE_TIMERS.totals + dayKey);
        if (env.kind === 'provider.totalsAgreed') {
          this.days.delete(dayKey);
          return;
        }
        entry.phase = 'details';
        for (const billId of entry.bills.keys()) {
          this.details.set(billId, { key: dayKey, attempt: 0 });
          this.sendDetail(billId, now, fx);
        }
        return;
      }
      case 'provider.detailAgreed':
      case 'provider.unrecorded': {
        const open = this.details.get(env.body.billId);
        if (open === undefined) return;
        this.details.delete(env.body.billId);
        fx.cancelTimer(RECONCILE_TIMERS.detail + env.body.billId);
        const entry = this.days.get(open.key);
        entry?.bills.delete(env.body.billId);
        if (entry !== undefined && entry.bills.size === 0) this.days.delete(open.key);
        return;
      }
    }
  }

  private sendTotals(dayKey: string, entry: RegionDay, now: number, fx: Effects): void {
    let total = 0n;
    for (const fen of entry.bills.values()) total += fen;
    const { region, day } = entry;
    const body = { region, day, count: entry.bills.size, total };
    fx.send(provinceAddress(provinceOfRegion(region)), 'provider.totals', dayKey, body);
    const delay = retryDelayMs(this.config, dayKey, entry.attempt);
    fx.timer(RECONCILE_TIMERS.totals + dayKey, now + delay, entry.attempt);
  }

  private sendApplication(monthKey: string, entry: RegionMonth, now: number, fx: Effects) {
    let applied = 0n;
    for (const fen of entry.bills.values()) applied += fen;
    const { region, month } = entry;
    const body = { region, month, count: entry.bills.size, applied };
    fx.send(provinceAddress(provinceOfRegion(region)), 'provider.apply', monthKey, body);
    const delay = retryDelayMs(this.config, monthKey, entry.attempt);
    fx.timer(RECONCILE_TIMERS.apply + monthKey, now + delay, entry.attempt);
  }

  private sendDetail(billId: string, now: number, fx: Effects): void {
    const open = this.details.get(billId);
    const entry = open === undefined ? undefined : this.days.get(open.key);
    if (open === undefined || entry === undefined) return;
    const total = entry.bills.get(billId) ?? 0n;
    const { region, day } = entry;
    const body = { region, day, billId, total };
    fx.send(provinceAddress(provinceOfRegion(region)), 'provider.detail', billId, body);
    const delay = retryDelayMs(this.config, billId, open.attempt);
    fx.timer(RECONCILE_TIMERS.detail + billId, now + delay, open.attempt);
  }
}

/** A period is over: each of its entries still collecting goes out, once, in `phase`. */
function sendOut<E extends { phase: string }>(
  entries: ReadonlyMap<string, E>,
  of: (entry: E) => boolean,
  phase: E['phase'],
  send: (key: string, entry: E) => void,
): void {
  for (const [key, entry] of entries) {
    if (entry.phase !== 'collecting' || !of(entry)) continue;
    entry.phase = phase;
    send(key, entry);
  }
}

/**
 * A retry timer: what it was armed for is sent again if it still waits (in `phase`, when the
 * entry has phases) on the attempt the timer was armed with.
 */
function retry<E extends { attempt: number; phase?: string }>(
  entry: E | undefined,
  phase: string | undefined,
  arg: number,
  send: (entry: E) => void,
): void {
  if (entry === undefined || entry.attempt !== arg) return;
  if (phase !== undefined && entry.phase !== phase) return;
  entry.attempt++;
  send(entry);
}
