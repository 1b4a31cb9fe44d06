// K10's disputes at the settlement actor, driven through its messages and timers over months:
// which lines a resolved dispute moves to the batch still open (only the withheld month's live
// lines of the province), what a late duplicate confirmation does (nothing), a dispute over a
// month without a batch, the daily check's correlation id, a restart after a resolution, and the
// corrections (3202) a province may not make: a line it does not treat, new or kept.
import { describe, expect, it } from 'vitest';

import type { ClearingLedger } from '../protocol/index.ts';
import { envelope, RecordingEffects } from '../testing/fakes.ts';
import { Calendar, parseDate } from './calendar.ts';
import { HOUR_MS, PROTOCOL_DEFAULTS } from './config.ts';
import { SettlementActor } from './settlement.actor.ts';
import { TIMERS } from './timers.ts';

const calendar = new Calendar(parseDate(PROTOCOL_DEFAULTS.startDate));
const day = (text: string) => calendar.msAt(parseDate(text));
const SEPT = 202509;
const OCT = 202510;
const NOV = 202511;
const JIANGSU_SEPT = TIMERS.clearingDispute.key(`${SEPT}.32`);

/** One settlement actor, every record it wrote, and its armed timers, fired as time passes. */
class Settlement {
  readonly durable: Map<string, unknown>;
  actor: SettlementActor;
  fx = new RecordingEffects();
  now = 0;
  readonly timers = new Map<string, { at: number; arg: number }>();

  constructor(durable = new Map<string, unknown>(), now = 0) {
    this.durable = durable;
    this.now = now;
    this.actor = new SettlementActor('settlement.0', durable, PROTOCOL_DEFAULTS);
    this.step((fx) => this.actor.recover(now, fx));
  }

  step(run: (fx: RecordingEffects) => void): void {
    this.fx = new RecordingEffects();
    run(this.fx);
    for (const { key, value } of this.fx.writes) this.durable.set(key, value);
    for (const key of this.fx.cancelled) this.timers.delete(key);
    for (const t of this.fx.timers) this.timers.set(t.key, { at: t.at, arg: t.arg });
  }

  line(lineId: string, month: number, payer: string, payee: string, amount: bigint) {
    const ledger: ClearingLedger = 'medical';
    const body = { lineId, month, ledger, payerRegion: payer, payeeRegion: payee, amount };
    const env = envelope('settlement.record', 'wallet.00', 'settlement.0', lineId, body);
    this.step((fx) => this.actor.handle(env, this.now, fx));
  }

  /** Every timer due by `at` fires in time order; nobody answers what they send. */
  until(at: number): void {
    for (;;) {
      let next: [string, { at: number; arg: number }] | undefined;
      for (const entry of this.timers)
        if (next === undefined || entry[1].at < next[1].at) next = entry;
      if (next === undefined || next[1].at > at) break;
      const [key, timer] = next;
      this.timers.delete(key);
      this.now = Math.max(this.now, timer.at);
      this.step((fx) => this.actor.timer(key, timer.arg, this.now, fx));
    }
    this.now = at;
  }

  /** 3262: a province's own figure for a month disagrees. */
  dispute(province: string, month: number, medicalReceivable: bigint): void {
    const env = envelope('clearing.dispute', `province.${province}`, 'settlement.0', 'b', {
      month,
      medicalReceivable,
    });
    this.step((fx) => this.actor.handle(env, this.now, fx));
  }

  /** 3261: a province confirms a figure, settlement's figure of now unless given. */
  confirm(province: string, month: number, figure = this.figure(province, month)): void {
    const env = envelope('clearing.confirm', `province.${province}`, 'settlement.0', 'b', {
      month,
      medicalReceivable: figure,
    });
    this.step((fx) => this.actor.handle(env, this.now, fx));
  }

  /** 3202: a province's figure for one line of a bill, under the regions it names. */
  correct(province: string, lineId: string, payer: string, payee: string, amount: bigint) {
    const body = { month: SEPT, lineId, payerRegion: payer, payeeRegion: payee, amount };
    const env = envelope('clearing.correct', `province.${province}`, 'settlement.0', 'b', body);
    this.step((fx) => this.actor.handle(env, this.now, fx));
  }

  figure(province: string, month: number): bigint {
    return this.actor.book.medicalReceivableByProvince(month).get(province) ?? 0n;
  }

  batchOf(lineId: string): number | undefined {
    return this.actor.book.lines.get(lineId)?.batch;
  }
}

describe('K10: a resolved dispute at the settlement actor', () => {
  /**
   * September: Guangdong's insured owe Jiangsu 50 yuan (B3.m) and 8 (B4.m, which Jiangsu
   * voids), Sichuan's owe Beijing 100 (B1.m); October: Sichuan's owe Jiangsu 3 (O1.m). Jiangsu
   * disputes September at its allocation, so September's statements withhold it.
   */
  function withheld(): Settlement {
    const s = new Settlement();
    s.line('B1.m', SEPT, '510100', '110100', 10_000n);
    s.line('B3.m', SEPT, '440100', '320500', 5_000n);
    s.line('B4.m', SEPT, '440100', '320500', 800n);
    s.line('O1.m', OCT, '510100', '320500', 300n);
    s.until(day('2025-10-10') + 3 * HOUR_MS);
    expect(s.actor.batches.get(SEPT)?.value).toBe('ALLOCATED');
    s.dispute('32', SEPT, 5_000n);
    s.correct('32', 'B4.m', '440100', '320500', 0n);
    for (const province of ['11', '44', '51']) s.confirm(province, SEPT);
    s.until(day('2025-10-21'));
    expect(s.actor.batches.get(SEPT)?.context.withheld).toEqual(['32']);
    return s;
  }

  it("moves only the withheld month's live lines of the province to the batch open now", () => {
    const s = withheld();
    // Resolved in November, with October's batch closed: the batch open now is November's.
    s.until(day('2025-11-03'));
    expect(s.actor.batches.get(OCT)?.value).toBe('CLOSED');
    s.confirm('32', SEPT);
    expect(s.actor.book.disputes.get(`${SEPT}.32`)?.state).toBe('resolved');
    expect(s.batchOf('B3.m')).toBe(NOV);
    // Voided, B4.m was never cleared and clears nowhere; O1.m is October's own, B1.m cleared.
    expect(s.actor.book.lines.get('B4.m')).toMatchObject({ batch: SEPT, dropped: true });
    expect(s.batchOf('O1.m')).toBe(OCT);
    expect(s.batchOf('B1.m')).toBe(SEPT);
  });

  it('a late duplicate of the confirmation, a month on, changes nothing and starts no batch', () => {
    const s = withheld();
    s.until(day('2025-10-22'));
    s.confirm('32', SEPT);
    expect(s.batchOf('B3.m')).toBe(OCT);
    s.until(day('2025-11-03'));
    s.confirm('32', SEPT);
    expect(s.fx.writes).toEqual([]);
    expect(s.actor.batches.has(NOV)).toBe(false);
    expect(s.batchOf('B3.m')).toBe(OCT);
  });

  it('the daily check offers the figure of now under the batch.<month> correlation id', () => {
    const s = withheld();
    const daily = s.timers.get(JIANGSU_SEPT);
    expect(daily?.at).toBe(day('2025-10-21') + 2 * HOUR_MS);
    s.until(daily!.at);
    expect(s.fx.sent('clearing.allocate').map((m) => [m.to, m.corr, m.body])).toEqual([
      ['province.32', `batch.${SEPT}`, { month: SEPT, medicalReceivable: 5_000n }],
    ]);
  });

  it('after a restart, a resolved dispute is checked no more; an open one is', () => {
    const s = withheld();
    s.dispute('44', SEPT, 1n);
    s.confirm('32', SEPT);
    const restarted = new Settlement(new Map(s.durable), s.now + 1);
    const checks = restarted.fx.timers.filter((t) => t.key.startsWith('dispute'));
    expect(checks.map((t) => t.key)).toEqual([TIMERS.clearingDispute.key(`${SEPT}.44`)]);
  });

  it('a dispute over a month without a batch is opened and resolved by a confirmation', () => {
    const s = new Settlement();
    s.dispute('32', 202601, 1n);
    expect(s.actor.book.disputeOpen(202601, '32')).toBe(true);
    s.confirm('32', 202601, 0n);
    expect(s.actor.book.disputes.get('202601.32')?.state).toBe('resolved');
    expect(s.actor.batches.has(202601)).toBe(false);
  });
});

describe('K10: corrections (3202) a province may not make', () => {
  it('a new line treated in another province, or a kept one claimed under its own region', () => {
    const s = new Settlement();
    s.line('B9.m', SEPT, '510100', '440100', 900n);
    // Guangdong speaks for a Jiangsu treatment settlement never got: not Guangdong's to add.
    s.correct('44', 'B8.m', '510100', '320500', 700n);
    expect(s.actor.book.lines.has('B8.m')).toBe(false);
    // Jiangsu names its own region for Guangdong's line B9.m: the line stays Guangdong's.
    s.correct('32', 'B9.m', '510100', '320500', 100n);
    expect(s.actor.book.lines.get('B9.m')).toMatchObject({ payeeRegion: '440100', amount: 900n });
    expect([s.fx.writes, s.fx.events]).toEqual([[], []]);
  });
});
