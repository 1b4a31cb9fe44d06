// The province actor: one AccountBook and one province machine snapshot, behind the Actor
// contract. Every message it decides is one transition of the province machine. Its timers: the
// month (at 00:00 on the 1st it credits every personal account, P4), and, while holds are open,
// the oldest hold's check: a hold still open after `orphanHoldAfterMs` is asked about of its
// owner (`hold.query`), and released if the owner knows no live saga behind it. And the monthly
// provincial clearing between its regions (F2b), on day 10 of the next month.
import type { SnapshotFrom } from 'xstate';

import type { AnyEnvelope } from '../protocol/index.ts';
import { AccountBook } from './account_book.ts';
import { Calendar, parseDate, prevMonthKey } from './calendar.ts';
import { PROTOCOL_DEFAULTS, type ProtocolConfig } from './config.ts';
import type { Actor, Effects } from './effects.ts';
import { UnroutableError } from './errors.ts';
import { MachineDriver } from './machine_driver.ts';
import {
  PROVINCE_KINDS,
  type ProvinceEvent,
  type ProvinceKind,
  type ProvinceMachine,
  provinceMachine,
} from './province.machine.ts';
import { provincialClearingAt } from './provincial_clearing.ts';
import { TIMERS } from './timers.ts';

const MONTH_TIMER = TIMERS.month.key();
const HOLDS_TIMER = TIMERS.holds.key();
const PROVINCIAL_TIMER = TIMERS.provincial.key();

const driver = new MachineDriver(provinceMachine);
const KINDS: ReadonlySet<string> = new Set(PROVINCE_KINDS);
const isProvinceKind = (kind: string): kind is ProvinceKind => KINDS.has(kind);

export class ProvinceActor implements Actor {
  private readonly book: AccountBook;
  private snapshot: SnapshotFrom<ProvinceMachine>;
  private readonly calendar: Calendar;

  constructor(
    readonly address: string,
    records: ReadonlyMap<string, unknown>,
    readonly config: ProtocolConfig = PROTOCOL_DEFAULTS,
    readonly machines = driver,
  ) {
    this.book = AccountBook.fromRecords(`ledger.${address}`, records);
    // Stryker disable next-line all: names the skipsFundShare variant (a negative control)
    this.book.skipsFundShare = config.variant === 'skipsFundShare';
    this.snapshot = machines.initial(undefined);
    this.calendar = new Calendar(parseDate(config.startDate));
  }

  handle(env: AnyEnvelope, now: number, fx: Effects): void {
    if (!isProvinceKind(env.kind)) throw new UnroutableError(this.address, env.kind);
    const date = this.calendar.dateAt(now);
    const event = { type: env.kind, env, book: this.book, fx, date, now } as ProvinceEvent;
    this.snapshot = this.machines.step(this.snapshot, event);
    // Armed when the first hold appears, and left to fire even if every hold is moved by then
    // (it finds nothing and stops): arming and cancelling per transfer would cost a timer each.
    if (this.holdsDueAt === undefined) this.armHolds(now, fx);
  }

  /** P4: the month has begun; credit it (once), and wait for the next. Or: check old holds. */
  timer(key: string, _arg: number, now: number, fx: Effects): void {
    if (key === HOLDS_TIMER) return this.checkHolds(now, fx);
    if (key === PROVINCIAL_TIMER) return this.clearProvincial(now, fx);
    if (key !== MONTH_TIMER) return;
    this.book.creditMonth(this.calendar.monthKeyAt(now), fx);
    this.armMonth(now, fx);
  }

  /** When the holds timer is armed for (in memory: a restart arms it again from the holds). */
  private holdsDueAt: number | undefined;
  private holdsSeq = 0;

  /** Ask the owner of every hold open `orphanHoldAfterMs` or longer; then wait for the next. */
  private checkHolds(now: number, fx: Effects): void {
    this.holdsDueAt = undefined;
    const bound = this.config.orphanHoldAfterMs;
    for (const [holdId, hold] of this.book.holds) {
      if (hold.at + bound <= now) fx.send(hold.owner, 'hold.query', holdId, { holdId });
    }
    this.armHolds(now, fx);
  }

  /**
   * Arm the holds timer for the oldest hold not yet due, or one bound from now for those asked
   * already (an owner that has not answered is asked again); nothing while no hold is open.
   */
  private armHolds(now: number, fx: Effects): void {
    const bound = this.config.orphanHoldAfterMs;
    let due = Number.POSITIVE_INFINITY;
    for (const hold of this.book.holds.values()) {
      const at = hold.at + bound <= now ? now + bound : hold.at + bound;
      if (at < due) due = at;
    }
    if (due === Number.POSITIVE_INFINITY) return;
    this.holdsDueAt = due;
    fx.timer(HOLDS_TIMER, due, ++this.holdsSeq);
  }

  /**
   * After a start or a crash:
   * a month that began while down is credited now, then the next is armed.
   */
  recover(now: number, fx: Effects): void {
    const month = this.calendar.monthKeyAt(now);
    const begun = this.calendar.startOfMonthMs(month);
    // Day 0's own month began before the run: its credits are in the opening balances.
    if (begun > 0 && !this.book.creditedMonths.has(month)) this.book.creditMonth(month, fx);
    this.armMonth(now, fx);
    this.holdsDueAt = undefined;
    this.armHolds(now, fx);
    this.clearProvincial(now, fx);
  }

  /**
   * F2b: every month whose provincial clearing day has come and that is not cleared yet: last
   * month's, and, after a long outage, any earlier month its lines name (in month order); then
   * the timer for the next clearing day.
   */
  private clearProvincial(now: number, fx: Effects): void {
    const current = this.calendar.monthKeyAt(now);
    const clearing = this.book.provincial;
    const months = new Set([prevMonthKey(current)]);
    for (const line of clearing.lines.values()) if (line.batch < current) months.add(line.batch);
    // Stryker disable next-line all: names the dropsRegionPair variant (a negative control)
    const drop = this.config.variant === 'dropsRegionPair';
    let next = provincialClearingAt(this.calendar, current);
    for (const month of [...months].sort((a, b) => a - b)) {
      const due = provincialClearingAt(this.calendar, month);
      // A clearing day before the run began (virtual 0) belongs to the world before it.
      if (due < 0 || clearing.batches.has(month)) continue;
      if (now >= due) this.book.clearProvincial(month, now, fx, drop);
      else next = Math.min(next, due);
    }
    fx.timer(PROVINCIAL_TIMER, Math.max(next, now), 0);
  }

  private armMonth(now: number, fx: Effects): void {
    const next = this.calendar.nextMonthStartMs(now);
    fx.timer(MONTH_TIMER, next, this.calendar.monthKeyAt(next));
  }

  get accountBook(): AccountBook {
    return this.book;
  }
}
