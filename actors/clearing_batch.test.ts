// F5's monthly clearing batch as a machine, driven through the settlement actor alone (no
// network): the K8 timetable, allocation and K10 confirmation, a dispute that withholds one
// province while the rest clear, its correction and confirmation, an unanswered allocation,
// statements, funding and disbursal, stale timers and duplicate answers, an empty month, and a
// restart in the middle of a batch that asks again for what it still waits for.
import { describe, expect, it } from 'vitest';

import type { AnyEnvelope, ClearingLedger } from '../protocol/index.ts';
import { envelope, RecordingEffects } from '../testing/fakes.ts';
import { Calendar, parseDate } from './calendar.ts';
import { DAY_MS, HOUR_MS, PROTOCOL_DEFAULTS, type ProtocolConfig } from './config.ts';
import { RECORDS } from './records.ts';
import { SettlementActor } from './settlement.actor.ts';
import { TIMERS } from './timers.ts';

// 2025-09-29 is day 0: October begins on day 2.
const OCT_1 = 2 * DAY_MS;
const calendar = new Calendar(parseDate('2025-09-29'));
const day = (text: string) => calendar.msAt(parseDate(text));
const SEPT = 202509;
const KEY = TIMERS.clearingBatch.key(String(SEPT));

type Answer = 'clearing.confirm' | 'clearing.funded' | 'clearing.received';

/** One settlement actor, what its last step asked of the world, and everything it wrote. */
class Harness {
  readonly actor: SettlementActor;
  /** The last step's effects. */
  fx = new RecordingEffects();
  /** Every record written so far: what a crash would leave. */
  readonly durable: Map<string, unknown>;
  /** The batch's live timer: the last one armed under its key. */
  private armed: { at: number; arg: number } | undefined;

  private readonly key: string;

  constructor(
    durable = new Map<string, unknown>(),
    now = 0,
    readonly month = SEPT,
    config: ProtocolConfig = PROTOCOL_DEFAULTS,
  ) {
    this.key = TIMERS.clearingBatch.key(String(month));
    this.durable = durable;
    this.actor = new SettlementActor('settlement.0', durable, config);
    this.step((fx) => this.actor.recover(now, fx));
  }

  step(run: (fx: RecordingEffects) => void): void {
    this.fx = new RecordingEffects();
    run(this.fx);
    for (const { key, value } of this.fx.writes) this.durable.set(key, value);
    const armed = this.fx.timers.filter((t) => t.key === this.key).at(-1);
    if (armed !== undefined) this.armed = armed;
  }

  line(lineId: string, ledger: ClearingLedger, payer: string, payee: string, amount: bigint) {
    const body = {
      lineId,
      month: this.month,
      ledger,
      payerRegion: payer,
      payeeRegion: payee,
      amount,
    };
    const env = envelope('settlement.record', 'wallet.00', 'settlement.0', lineId, body);
    this.step((fx) => this.actor.handle(env, 0, fx));
  }

  /** 3262: a province's own figure for the month disagrees. */
  dispute(province: string, medicalReceivable: bigint, now: number): void {
    const body = { month: this.month, medicalReceivable };
    const env = envelope('clearing.dispute', `province.${province}`, 'settlement.0', 'b', body);
    this.step((fx) => this.actor.handle(env, now, fx));
  }

  /** 3202: a treatment province's figure for one of its bills' lines. */
  correct(province: string, lineId: string, amount: bigint, now: number): void {
    const { payerRegion, payeeRegion } = this.actor.book.lines.get(lineId)!;
    this.correctAs(province, lineId, payerRegion, payeeRegion, amount, now);
  }

  /** 3202 for any line, kept or not: what a faulty or confused province may send. */
  correctAs(
    province: string,
    lineId: string,
    payer: string,
    payee: string,
    amount: bigint,
    now: number,
  ) {
    const body = { month: this.month, lineId, payerRegion: payer, payeeRegion: payee, amount };
    const env = envelope('clearing.correct', `province.${province}`, 'settlement.0', 'b', body);
    this.step((fx) => this.actor.handle(env, now, fx));
  }

  /** When the batch's live timer fires. */
  get due(): number {
    if (this.armed === undefined) throw new Error('no batch timer armed');
    return this.armed.at;
  }

  /** Fire the batch's live timer (or an older one, by its sequence number) at its time. */
  tick(seq = this.armed?.arg ?? -1): number {
    const now = this.due;
    this.step((fx) => this.actor.timer(this.key, seq, now, fx));
    return now;
  }

  /** A province's answer; a confirmation (3261) of settlement's figure now, or of `figure`. */
  answer(kind: Answer, province: string, now: number, figure?: bigint): void {
    const from = `province.${province}`;
    const env =
      kind === 'clearing.confirm'
        ? envelope(kind, from, 'settlement.0', 'b', {
            month: this.month,
            medicalReceivable: figure ?? this.figure(province),
          })
        : envelope(kind, from, 'settlement.0', 'b', { month: this.month });
    this.step((fx) => this.actor.handle(env as AnyEnvelope, now, fx));
  }

  /** Settlement's medical receivable of the month for a province (K2). */
  figure(province: string): bigint {
    return this.actor.book.medicalReceivableByProvince(this.month).get(province) ?? 0n;
  }

  get state(): unknown {
    return this.actor.batches.get(this.month)?.value;
  }

  get seq(): number {
    return this.armed?.arg ?? -1;
  }

  /** The states the last step reported, in order. */
  reported(): string[] {
    return this.fx.events.flatMap((e) => (e.type === 'clearing.batch' ? [e.state] : []));
  }

  sentTo(kind: 'clearing.allocate' | 'clearing.statement' | 'clearing.disburse'): string[] {
    return this.fx.sent(kind).map((s) => s.to);
  }
}

/** September's lines: Sichuan's insured owe Beijing 100 yuan, Beijing's wallets owe Sichuan 30. */
function september(config: ProtocolConfig = PROTOCOL_DEFAULTS): Harness {
  const h = new Harness(new Map(), 0, SEPT, config);
  h.line('B1.m', 'medical', '510100', '110100', 10_000n);
  h.line('L2', 'wallet', '110100', '510100', 3_000n);
  return h;
}

describe('F5: the clearing batch machine', () => {
  it('K8: OPEN, CLOSED on the 1st, ALLOCATED on day 10, CONFIRMED, STATEMENTS_ISSUED on day 20, FUNDED, DISBURSED, RECONCILED', () => {
    const h = september();
    expect(h.state).toBe('OPEN');
    expect(h.due).toBe(OCT_1);

    h.tick();
    expect(h.state).toBe('CLOSED');
    expect(h.reported()).toEqual(['CLOSED']);
    expect(h.due).toBe(OCT_1 + 9 * DAY_MS + 2 * HOUR_MS);

    const allocatedAt = h.tick();
    expect(h.state).toBe('ALLOCATED');
    // K2: each province is told settlement's figure of what other provinces owe it for the
    // patients its regions treated (medical lines; wallet lines are not the allocation's).
    const allocations = h.fx.sent('clearing.allocate').map((s) => [s.to, s.body.medicalReceivable]);
    expect(allocations).toEqual([
      ['province.11', 10_000n],
      ['province.51', 0n],
    ]);

    h.answer('clearing.confirm', '11', allocatedAt);
    expect(h.state).toBe('ALLOCATED');
    h.answer('clearing.confirm', '51', allocatedAt);
    expect(h.state).toBe('CONFIRMED');
    expect(h.due).toBe(OCT_1 + 19 * DAY_MS + 9 * HOUR_MS);

    const issuedAt = h.tick();
    expect(h.state).toBe('STATEMENTS_ISSUED');
    // Netted: Sichuan owes 100 − 30 = 70 yuan, which Beijing receives.
    const statements = h.fx.sent('clearing.statement').map((s) => [s.to, s.body.toFund]);
    expect(statements).toEqual([
      ['province.11', 0n],
      ['province.51', 7_000n],
    ]);

    h.answer('clearing.funded', '51', issuedAt);
    expect(h.durable.get(RECORDS.clearingAccount.key())).toBe(7_000n);
    h.answer('clearing.funded', '11', issuedAt);
    expect(h.state).toBe('FUNDED');
    const disbursals = h.fx.sent('clearing.disburse').map((s) => [s.to, s.body.amount]);
    expect(disbursals).toEqual([['province.11', 7_000n]]);
    expect(h.durable.get(RECORDS.clearingAccount.key())).toBe(0n);

    h.answer('clearing.received', '11', issuedAt);
    expect(h.state).toBe('RECONCILED');
    expect(h.reported()).toEqual(['DISBURSED', 'RECONCILED']);
    expect(h.fx.cancelled).toEqual([KEY]);
  });

  it('K8: statements move to the next working day, and an answer after 5 working days is late', () => {
    // January 2026: day 10 (Tuesday 02-10) is a working day; day 20 falls in the Spring
    // Festival (02-15..02-23 off), so the statements wait for Tuesday 02-24.
    const h = new Harness(new Map(), 0, 202601);
    h.line('B1.m', 'medical', '510100', '110100', 10_000n);
    h.tick();
    const allocatedAt = h.tick();
    expect(allocatedAt).toBe(day('2026-02-10') + 2 * HOUR_MS);
    h.answer('clearing.confirm', '11', allocatedAt);
    h.answer('clearing.confirm', '51', allocatedAt);
    const issuedAt = h.tick();
    expect(issuedAt).toBe(day('2026-02-24') + 9 * HOUR_MS);
    const batch = () => h.actor.batches.get(202601)?.context;
    // Five working days: 02-25, 02-26, 02-27, 02-28 (a make-up Saturday), 03-02.
    expect(batch()?.fundBy).toBe(day('2026-03-02') + 9 * HOUR_MS);
    h.answer('clearing.funded', '11', batch()?.fundBy ?? 0);
    h.answer('clearing.funded', '51', (batch()?.fundBy ?? 0) + 1);
    expect(h.state).toBe('FUNDED');
    expect(batch()?.late).toEqual(['fund:51']);
    const paidFrom = (batch()?.fundBy ?? 0) + 1;
    expect(batch()?.payBy).toBe(day('2026-03-09') + 9 * HOUR_MS + 1);
    h.answer('clearing.received', '11', paidFrom);
    expect(h.state).toBe('RECONCILED');
    expect(batch()?.late).toEqual(['fund:51']);
    expect(h.reported()).toEqual(['DISBURSED', 'RECONCILED']);
    const reconciled = h.fx.events.find((e) => e.type === 'clearing.batch');
    expect(reconciled).toMatchObject({ state: 'DISBURSED', late: 1 });
  });

  it('K7: December resets every prepayment to 2× its average month on record: down, the rest returned; up, topped up', () => {
    const durable = new Map<string, unknown>([
      // Beijing: 1,000 yuan held, 100 and 200 yuan spent in October and November.
      [
        RECORDS.prepayment.key('11'),
        {
          size: 100_000n,
          balance: 100_000n,
          history: [
            [202510, 10_000n],
            [202511, 20_000n],
          ],
        },
      ],
      // Sichuan: 20 of 100 yuan left, 500 yuan spent in November.
      [
        RECORDS.prepayment.key('51'),
        { size: 10_000n, balance: 2_000n, history: [[202511, 50_000n]] },
      ],
      [RECORDS.clearingAccount.key(), 102_000n],
    ]);
    const h = new Harness(durable, 0, 202512);
    // December: Sichuan's insured owe Beijing 100 yuan.
    h.line('B1.m', 'medical', '510100', '110100', 10_000n);
    h.tick();
    const allocatedAt = h.tick();
    h.answer('clearing.confirm', '11', allocatedAt);
    h.answer('clearing.confirm', '51', allocatedAt);
    const issuedAt = h.tick();
    // Sichuan: (500 + 100) / 2 × 2 = 600 yuan; 20 drawn toward its 100 due, 80 fresh, and a
    // top-up from 0 to 600. Beijing: (100 + 200 + 0) / 3 × 2 = 200 yuan: 800 of its 1,000 go
    // back to it with its 100 yuan receipt.
    const statements = h.fx.sent('clearing.statement').map((s) => [s.to, s.body]);
    expect(statements).toEqual([
      ['province.11', { month: 202512, toFund: 0n, topUp: 0n }],
      ['province.51', { month: 202512, toFund: 8_000n, topUp: 60_000n }],
    ]);
    const prepayment = (p: string) => h.durable.get(RECORDS.prepayment.key(p));
    expect(prepayment('11')).toMatchObject({ size: 20_000n, balance: 20_000n });
    expect(prepayment('51')).toMatchObject({ size: 60_000n, balance: 0n });
    h.answer('clearing.funded', '11', issuedAt);
    h.answer('clearing.funded', '51', issuedAt);
    expect(prepayment('51')).toMatchObject({ size: 60_000n, balance: 60_000n });
    expect(h.fx.sent('clearing.disburse').map((s) => [s.to, s.body.amount])).toEqual([
      ['province.11', 90_000n],
    ]);
    h.answer('clearing.received', '11', issuedAt);
    expect(h.state).toBe('RECONCILED');
    // The clearing account holds exactly the prepayments again: 102 + 680 − 900 = 800 yuan.
    expect(h.durable.get(RECORDS.clearingAccount.key())).toBe(80_000n);
    expect((prepayment('11') as { history: unknown }).history).toEqual([
      [202510, 10_000n],
      [202511, 20_000n],
      [202512, 0n],
    ]);
  });

  it("K10: a dispute is an answer; the disputing province's lines are withheld while the others clear on schedule, then corrected (3202), confirmed and moved to the open batch", () => {
    const h = september();
    // A Guangdong patient treated in Suzhou: 50 yuan Guangdong owes Jiangsu.
    h.line('B3.m', 'medical', '440100', '320500', 5_000n);
    h.tick();
    const allocatedAt = h.tick();
    expect(h.sentTo('clearing.allocate')).toEqual([
      'province.11',
      'province.32',
      'province.44',
      'province.51',
    ]);
    // Jiangsu's own provider payments of September say 45 yuan, settlement's line says 50.
    h.dispute('32', 4_500n, allocatedAt);
    expect(h.actor.book.disputeOpen(SEPT, '32')).toBe(true);
    // 3202: settlement sends its lines of the month for Jiangsu's patients, one by one.
    const details = h.fx.sent('clearing.detail').map((d) => [d.to, d.body.lineId, d.body.amount]);
    expect(details).toEqual([['province.32', 'B3.m', 5_000n]]);
    expect(h.fx.events).toContainEqual(
      expect.objectContaining({ type: 'clearing.dispute', province: '32', state: 'open' }),
    );
    for (const province of ['11', '44', '51']) h.answer('clearing.confirm', province, allocatedAt);
    // A dispute answers the allocation: nobody waits for Jiangsu.
    expect(h.state).toBe('CONFIRMED');

    const issuedAt = h.tick();
    expect(h.state).toBe('STATEMENTS_ISSUED');
    const batch = h.actor.batches.get(SEPT)!.context;
    expect(batch.withheld).toEqual(['32']);
    // Sichuan's 70 yuan net to Beijing clears on schedule; Jiangsu gets no statement.
    expect(Object.keys(batch.statements).sort()).toEqual(['11', '51']);
    expect(h.sentTo('clearing.statement')).toEqual(['province.11', 'province.44', 'province.51']);
    for (const province of ['11', '44', '51']) h.answer('clearing.funded', province, issuedAt);
    expect(h.state).toBe('FUNDED');
    h.answer('clearing.received', '11', issuedAt);
    expect(h.state).toBe('RECONCILED');

    // The treatment place's figure stands: the line is set to it, and checked again soon.
    h.correct('32', 'B3.m', 4_500n, issuedAt + HOUR_MS);
    expect(h.actor.book.lines.get('B3.m')?.amount).toBe(4_500n);
    const recheck = h.fx.timers.find((t) => t.key === TIMERS.clearingDispute.key('202509.32'));
    expect(recheck?.at).toBe(issuedAt + HOUR_MS + 60_000);
    // Only the treatment side corrects (K2): the insured province's figure changes nothing.
    h.correct('44', 'B3.m', 1n, issuedAt + HOUR_MS);
    expect(h.fx.writes).toEqual([]);
    expect(h.actor.book.lines.get('B3.m')?.amount).toBe(4_500n);
    expect(h.actor.book.disputes.get('202509.32')?.corrected).toBe(1);
    h.step((fx) => h.actor.timer(recheck!.key, 0, recheck!.at, fx));
    expect(h.fx.sent('clearing.allocate').map((s) => [s.to, s.body.medicalReceivable])).toEqual([
      ['province.32', 4_500n],
    ]);
    // A confirmation of the old figure (50 yuan: a late or a faulty one) resolves nothing.
    h.answer('clearing.confirm', '32', recheck!.at, 5_000n);
    expect(h.actor.book.disputes.get('202509.32')?.state).toBe('open');
    h.answer('clearing.confirm', '32', recheck!.at);
    expect(h.actor.book.disputes.get('202509.32')?.state).toBe('resolved');
    // Jiangsu's September line now clears with October's batch; the others stay cleared.
    expect(h.actor.book.lines.get('B3.m')?.batch).toBe(202510);
    expect(h.actor.book.lines.get('B1.m')?.batch).toBe(SEPT);
    expect(h.actor.book.lines.get('L2')?.batch).toBe(SEPT);
    expect(h.state).toBe('RECONCILED');
    // A duplicate of the old dispute, late, with the figure both sides now share: still resolved.
    h.dispute('32', 4_500n, issuedAt + 3 * HOUR_MS);
    expect(h.actor.book.disputes.get('202509.32')?.state).toBe('resolved');
    expect(h.fx.sent('clearing.detail')).toEqual([]);
  });

  it('K10: a withheld line whose bill is undone is dropped, not reversed: it was never cleared', () => {
    const h = september();
    h.tick();
    const allocatedAt = h.tick();
    h.dispute('11', 9_000n, allocatedAt);
    h.answer('clearing.confirm', '51', allocatedAt);
    const issuedAt = h.tick();
    expect(h.actor.batches.get(SEPT)?.context.withheld).toEqual(['11']);
    const body = { lineId: 'B1.m' };
    const undo = envelope('settlement.unrecord', 'wallet.00', 'settlement.0', 'B1', body);
    h.step((fx) => h.actor.handle(undo, issuedAt + HOUR_MS, fx));
    expect(h.actor.book.lines.get('B1.m')).toMatchObject({ undone: true, dropped: true });
    expect(h.actor.book.lines.has('B1.m.r')).toBe(false);
  });

  it('K10: a province that has not answered by the statement day is withheld, and asked again at each daily reconciliation', () => {
    const h = september();
    h.tick();
    const allocatedAt = h.tick();
    h.answer('clearing.confirm', '11', allocatedAt);
    // Retries with backoff, the last of them on the statement day itself.
    let at = allocatedAt;
    for (let i = 0; i < 1_000 && h.state === 'ALLOCATED'; i++) at = h.tick();
    expect(h.state).toBe('STATEMENTS_ISSUED');
    expect(at).toBe(day('2025-10-20') + 9 * HOUR_MS);
    expect(h.actor.batches.get(SEPT)?.context.withheld).toEqual(['51']);
    // Nobody is left to pay: Beijing's receipt would come only from Sichuan.
    const dispute = h.actor.book.disputes.get('202509.51');
    expect(dispute).toMatchObject({ state: 'open', figure: undefined });
    const daily = h.fx.timers.find((t) => t.key === TIMERS.clearingDispute.key('202509.51'));
    expect(daily?.at).toBe(day('2025-10-21') + 2 * HOUR_MS);
    h.step((fx) => h.actor.timer(daily!.key, 0, daily!.at, fx));
    expect(h.sentTo('clearing.allocate')).toEqual(['province.51']);
    const next = h.fx.timers.find((t) => t.key === daily!.key);
    expect(next?.at).toBe(day('2025-10-22') + 2 * HOUR_MS);
  });

  it('K10: a confirmation of a figure settlement no longer has is no answer: the figure of now is offered again', () => {
    const h = september();
    h.tick();
    const allocatedAt = h.tick();
    h.answer('clearing.confirm', '51', allocatedAt);
    // A line for Beijing arrives after the allocation: its confirmation of 100 yuan is stale.
    h.line('B4.m', 'medical', '510100', '110100', 500n);
    h.answer('clearing.confirm', '11', allocatedAt, 10_000n);
    expect(h.actor.batches.get(SEPT)?.context.confirmed).toEqual(['51']);
    expect(h.fx.sent('clearing.allocate').map((s) => [s.to, s.body.medicalReceivable])).toEqual([
      ['province.11', 10_500n],
    ]);
    h.answer('clearing.confirm', '11', allocatedAt, 10_500n);
    expect(h.state).toBe('CONFIRMED');
    // Once the month waits for nobody, a stale confirmation (a duplicate, late) is ignored.
    h.answer('clearing.confirm', '11', allocatedAt, 10_000n);
    expect(h.fx.sends).toEqual([]);
    expect(h.fx.writes).toEqual([]);
  });

  it('ignores a stale timer and a duplicate answer; a retry asks only who has not answered', () => {
    const h = september();
    h.tick();
    const stale = h.seq;
    const allocatedAt = h.tick();
    h.answer('clearing.confirm', '11', allocatedAt);
    h.answer('clearing.confirm', '11', allocatedAt);
    expect(h.state).toBe('ALLOCATED');
    expect(h.actor.batches.get(SEPT)?.context.confirmed).toEqual(['11']);

    h.tick(stale);
    expect(h.fx.sends).toEqual([]);
    expect(h.fx.writes).toEqual([]);

    h.tick();
    expect(h.state).toBe('ALLOCATED');
    expect(h.sentTo('clearing.allocate')).toEqual(['province.51']);
  });

  it('F5: pairwise netting keeps the batch’s per-pair rows; multilateral keeps none', () => {
    for (const netting of ['pairwise', 'multilateral'] as const) {
      const h = september({ ...PROTOCOL_DEFAULTS, netting });
      h.tick();
      const at = h.tick();
      for (const province of ['11', '51']) h.answer('clearing.confirm', province, at);
      h.tick();
      expect(h.state).toBe('STATEMENTS_ISSUED');
      // Sichuan's insured owe Beijing 100 yuan, Beijing's wallets owe Sichuan 30: 70 net.
      const pairs = h.actor.batches.get(SEPT)?.context.pairs;
      expect(pairs, netting).toEqual(
        netting === 'pairwise'
          ? [{ payer: '51', payee: '11', amount: 7_000n, medical: 10_000n, wallet: -3_000n }]
          : [],
      );
    }
  });

  it('an empty month passes the steps nobody answers and reconciles on its statement day', () => {
    const h = new Harness();
    h.tick();
    h.tick();
    expect(h.state).toBe('CONFIRMED');
    // The allocation it passed arms nothing: its only timer is the statement day.
    expect(h.fx.timers.map((t) => t.at)).toEqual([day('2025-10-20') + 9 * HOUR_MS]);
    h.tick();
    expect(h.state).toBe('RECONCILED');
    expect(h.fx.sends).toEqual([]);
    expect(h.fx.timers).toEqual([]);
  });

  it('after a crash, a batch between steps asks again for what it still waits for', () => {
    const h = september();
    h.tick();
    const allocatedAt = h.tick();
    h.answer('clearing.confirm', '51', allocatedAt);
    const restarted = new Harness(new Map(h.durable), allocatedAt + HOUR_MS);
    expect(restarted.state).toBe('ALLOCATED');
    expect(restarted.actor.batches.get(SEPT)?.context.confirmed).toEqual(['51']);
    expect(restarted.sentTo('clearing.allocate')).toEqual(['province.11']);
    restarted.answer('clearing.confirm', '11', allocatedAt + HOUR_MS);
    expect(restarted.state).toBe('CONFIRMED');
  });
});

describe('K10: the corrections (3202) and answers settlement takes from a province, and those it ignores', () => {
  /** September allocated, Jiangsu disputing its 50 yuan from Guangdong (B3.m). */
  function disputed(): { h: Harness; at: number } {
    const h = september();
    h.line('B3.m', 'medical', '440100', '320500', 5_000n);
    h.tick();
    const at = h.tick();
    h.dispute('32', 4_500n, at);
    return { h, at };
  }
  const lineFacts = (h: Harness) => h.fx.events.filter((e) => e.type === 'clearing.line');

  it('a line it never got is recorded in its month, counted in the dispute and reported with its amount', () => {
    const { h, at } = disputed();
    h.correctAs('32', 'B8.m', '440100', '320500', 700n, at + 1);
    expect(h.actor.book.lines.get('B8.m')).toMatchObject({
      month: SEPT,
      ledger: 'medical',
      payerRegion: '440100',
      payeeRegion: '320500',
      amount: 700n,
      batch: 202510,
      undone: false,
    });
    expect(lineFacts(h)).toEqual([
      {
        type: 'clearing.line',
        corr: 'B8.m',
        ledger: 'medical',
        payerRegion: '440100',
        payeeRegion: '320500',
        amount: 700n,
      },
    ]);
    expect(h.actor.book.disputes.get('202509.32')?.corrected).toBe(1);
    // A line it never got, said to be 0.00, is nothing to record.
    h.correctAs('32', 'B9.m', '440100', '320500', 0n, at + 2);
    expect([h.fx.writes, h.fx.events]).toEqual([[], []]);
  });

  it('a line said to be 0.00 is voided: undone and dropped, reported as minus its amount', () => {
    const { h, at } = disputed();
    h.correct('32', 'B3.m', 0n, at + 1);
    expect(h.actor.book.lines.get('B3.m')).toMatchObject({
      undone: true,
      dropped: true,
      amount: 5_000n,
    });
    expect(lineFacts(h).map((e) => e.amount)).toEqual([-5_000n]);
    // Voided, it takes no further correction.
    h.correct('32', 'B3.m', 4_000n, at + 2);
    expect(h.fx.writes).toEqual([]);
  });

  it('ignores a line inside one province, a line no province speaks for, a wallet line and the same amount', () => {
    const { h, at } = disputed();
    h.line('W1.m', 'wallet', '440100', '320500', 900n);
    const before = new Map(h.actor.book.lines);
    h.correctAs('32', 'B7.m', '320100', '320500', 100n, at + 1);
    h.correctAs('32', 'T-1', '440100', '320500', 100n, at + 1);
    h.correctAs('32', 'W1.m', '440100', '320500', 100n, at + 1);
    h.correct('32', 'B3.m', 5_000n, at + 1);
    expect(h.fx.writes).toEqual([]);
    expect(h.actor.book.lines).toEqual(before);
    expect(h.actor.book.disputes.get('202509.32')?.corrected).toBe(0);
  });

  it('before any dispute, a correction while the batch is open changes the line and arms no check', () => {
    const h = september();
    h.correct('11', 'B1.m', 9_000n, 1);
    expect(h.actor.book.lines.get('B1.m')?.amount).toBe(9_000n);
    expect(lineFacts(h).map((e) => e.amount)).toEqual([-1_000n]);
    expect(h.fx.timers).toEqual([]);
    expect(h.actor.book.disputes.size).toBe(0);
  });

  it('a line its batch cleared is not corrected, whatever state the batch is in after its statements', () => {
    const { h, at } = disputed();
    for (const province of ['11', '44', '51']) h.answer('clearing.confirm', province, at);
    const issuedAt = h.tick();
    const states: unknown[] = [];
    const refused = () => {
      states.push(h.state);
      // Beijing was not withheld: its line B1.m cleared with September.
      h.correct('11', 'B1.m', 9_000n, issuedAt + 1);
      expect(h.fx.writes).toEqual([]);
    };
    refused();
    for (const province of ['11', '44', '51']) h.answer('clearing.funded', province, issuedAt);
    refused();
    h.answer('clearing.received', '11', issuedAt);
    refused();
    expect(states).toEqual(['STATEMENTS_ISSUED', 'FUNDED', 'RECONCILED']);
    expect(h.actor.book.lines.get('B1.m')?.amount).toBe(10_000n);
  });

  it('a confirmation of another figure while the month waits offers the figure of now as batch.<month>; with no batch, nothing', () => {
    const { h, at } = disputed();
    h.answer('clearing.confirm', '32', at + 1, 1n);
    expect(h.fx.sent('clearing.allocate').map((s) => [s.to, s.corr, s.body])).toEqual([
      ['province.32', 'batch.202509', { month: SEPT, medicalReceivable: 5_000n }],
    ]);
    const env = envelope('clearing.confirm', 'province.32', 'settlement.0', 'b', {
      month: 202601,
      medicalReceivable: 1n,
    });
    h.step((fx) => h.actor.handle(env, at + 2, fx));
    expect([h.fx.sends, h.fx.writes]).toEqual([[], []]);
  });

  it('a confirmation with no dispute open resolves nothing; a resolved dispute is no longer checked', () => {
    const { h, at } = disputed();
    h.answer('clearing.confirm', '11', at);
    expect(h.actor.book.disputes.has('202509.11')).toBe(false);
    h.correct('32', 'B3.m', 4_500n, at + 1);
    h.answer('clearing.confirm', '32', at + 2);
    expect(h.actor.book.disputes.get('202509.32')?.state).toBe('resolved');
    const key = TIMERS.clearingDispute.key('202509.32');
    h.step((fx) => h.actor.timer(key, 0, at + DAY_MS, fx));
    expect([h.fx.sends, h.fx.timers]).toEqual([[], []]);
    // Resolved before the statements, Jiangsu was never withheld: its line stays in September.
    expect(h.actor.book.lines.get('B3.m')?.batch).toBe(SEPT);
    // Timers of no dispute, and of no kind, do nothing.
    h.step((fx) => h.actor.timer(TIMERS.clearingDispute.key('202509.44'), 0, at + DAY_MS, fx));
    h.step((fx) => h.actor.timer('nonsense', 0, at + DAY_MS, fx));
    expect([h.fx.sends, h.fx.writes, h.fx.timers]).toEqual([[], [], []]);
  });

  it('after a restart an open dispute is known again and checked at the next reconciliation', () => {
    const { h, at } = disputed();
    const restarted = new Harness(new Map(h.durable), at + HOUR_MS);
    expect(restarted.actor.book.disputeOpen(SEPT, '32')).toBe(true);
    const daily = restarted.fx.timers.find(
      (t) => t.key === TIMERS.clearingDispute.key('202509.32'),
    );
    expect(daily?.at).toBe(day('2025-10-11') + 2 * HOUR_MS);
  });

  it('when one of two withheld provinces resolves, only its lines with provinces not withheld move on', () => {
    const h = september();
    h.line('B3.m', 'medical', '440100', '320500', 5_000n);
    h.line('B5.m', 'medical', '440100', '510100', 2_000n);
    h.tick();
    const at = h.tick();
    h.dispute('32', 4_500n, at);
    h.dispute('44', 1n, at);
    h.answer('clearing.confirm', '11', at);
    h.answer('clearing.confirm', '51', at);
    const issuedAt = h.tick();
    expect(h.actor.batches.get(SEPT)?.context.withheld).toEqual(['32', '44']);
    // Guangdong's figure is settlement's once it corrects nothing: it confirms and resolves.
    h.answer('clearing.confirm', '44', issuedAt + 1);
    expect(h.actor.book.disputes.get('202509.44')?.state).toBe('resolved');
    // B5.m (Guangdong to Sichuan) moves to October; B3.m waits for Jiangsu, still withheld.
    expect(h.actor.book.lines.get('B5.m')?.batch).toBe(202510);
    expect(h.actor.book.lines.get('B3.m')?.batch).toBe(SEPT);
    expect(h.actor.book.lines.get('B1.m')?.batch).toBe(SEPT);
  });
});

describe('F5: each step of a batch, its timers and the answers it counts', () => {
  const batchOf = (h: Harness) => h.actor.batches.get(h.month)!.context;
  /** The batch's step from the allocation to the statements, every province confirming. */
  function issued(h: Harness, provinces: readonly string[]): number {
    h.tick();
    const allocatedAt = h.tick();
    for (const province of provinces) h.answer('clearing.confirm', province, allocatedAt);
    return h.tick();
  }

  it('a new batch has asked and heard nothing: no provinces, answers, statements or pair rows', () => {
    const h = september();
    expect(h.state).toBe('OPEN');
    const { timerSeq: _, ...context } = batchOf(h);
    expect(context).toEqual({
      month: SEPT,
      provinces: [],
      confirmed: [],
      disputed: [],
      withheld: [],
      statements: {},
      funded: [],
      disbursed: [],
      pairs: [],
      fundBy: 0,
      payBy: 0,
      late: [],
      attempt: 0,
    });
  });

  it('a line of a month with no batch yet opens its batch, to close on the 1st of the month after', () => {
    const h = new Harness(new Map(), 0, 202510);
    expect(h.actor.batches.has(202510)).toBe(false);
    h.line('B1.m', 'medical', '510100', '110100', 10_000n);
    expect(h.state).toBe('OPEN');
    expect(h.due).toBe(day('2025-11-01'));
  });

  it('two months retrying together are spread apart: each batch draws its own jitter', () => {
    const { retryDelayMsMin } = PROTOCOL_DEFAULTS;
    const delays = [SEPT, 202510].map((month) => {
      const h = new Harness(new Map(), 0, month);
      h.line('B1.m', 'medical', '510100', '110100', 10_000n);
      h.tick();
      const allocatedAt = h.tick();
      return h.due - allocatedAt;
    });
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(retryDelayMsMin);
      expect(delay).toBeLessThanOrEqual(retryDelayMsMin * 1.25);
    }
    expect(delays[0]).not.toBe(delays[1]);
  });

  it('a timer of an earlier step, or one re-armed since, moves nothing in OPEN, CLOSED, ALLOCATED or CONFIRMED', () => {
    const h = september();
    const quiet = (state: string) => {
      expect(h.state).toBe(state);
      expect([h.fx.sends, h.fx.writes, h.fx.events]).toEqual([[], [], []]);
    };
    h.tick(h.seq + 1);
    quiet('OPEN');
    const opening = h.seq;
    h.tick();
    expect(h.state).toBe('CLOSED');
    h.tick(opening);
    quiet('CLOSED');
    const closing = h.seq;
    const allocatedAt = h.tick();
    expect(h.state).toBe('ALLOCATED');
    h.tick(closing);
    quiet('ALLOCATED');
    // An answer re-arms the timer: the one armed before it is stale.
    const asked = h.seq;
    h.answer('clearing.confirm', '11', allocatedAt);
    h.tick(asked);
    quiet('ALLOCATED');
    h.answer('clearing.confirm', '51', allocatedAt);
    expect(h.state).toBe('CONFIRMED');
    h.tick(h.seq + 1);
    quiet('CONFIRMED');
    h.tick();
    expect(h.state).toBe('STATEMENTS_ISSUED');
  });

  it('K8: an answer on the eve of the statement day keeps the timer at the statement day, not a retry past it', () => {
    const h = september();
    h.line('B3.m', 'medical', '440100', '320500', 5_000n);
    h.tick();
    h.tick();
    const statementDay = day('2025-10-20') + 9 * HOUR_MS;
    h.answer('clearing.confirm', '11', statementDay - 100);
    expect(h.due).toBe(statementDay);
    h.dispute('32', 4_500n, statementDay - 50);
    expect(h.due).toBe(statementDay);
    h.tick();
    expect(h.state).toBe('STATEMENTS_ISSUED');
    expect(batchOf(h).withheld).toEqual(['32', '44', '51']);
  });

  it('K10: a province answers the allocation once: a dispute after its confirmation, or a confirmation after its dispute, is no second answer; a dispute may be the last', () => {
    const h = september();
    h.line('B3.m', 'medical', '440100', '320500', 5_000n);
    h.tick();
    const at = h.tick();
    h.answer('clearing.confirm', '51', at);
    h.dispute('51', 1n, at);
    expect(h.state).toBe('ALLOCATED');
    h.dispute('11', 9_000n, at);
    // Beijing confirms settlement's figure after all: its dispute is resolved.
    h.answer('clearing.confirm', '11', at);
    expect(h.actor.book.disputeOpen(SEPT, '11')).toBe(false);
    expect(batchOf(h)).toMatchObject({ confirmed: ['51'], disputed: ['11'] });
    h.answer('clearing.confirm', '44', at);
    expect(h.state).toBe('ALLOCATED');
    h.dispute('32', 4_500n, at);
    expect(h.state).toBe('CONFIRMED');
    expect(batchOf(h)).toMatchObject({ confirmed: ['51', '44'], disputed: ['11', '32'] });
    // Sichuan's later dispute is still open on the statement day: its lines are withheld.
    h.tick();
    expect(batchOf(h).withheld).toEqual(['32', '51']);
  });

  it('a month whose lines net to nothing pays nobody: once every province has funded its statement it reconciles at once', () => {
    const h = new Harness();
    h.line('B1.m', 'medical', '510100', '110100', 10_000n);
    h.line('B2.m', 'medical', '110100', '510100', 10_000n);
    const issuedAt = issued(h, ['11', '51']);
    const statements = h.fx.sent('clearing.statement').map((s) => [s.to, s.body.toFund]);
    expect(statements).toEqual([
      ['province.11', 0n],
      ['province.51', 0n],
    ]);
    h.answer('clearing.funded', '11', issuedAt);
    expect(h.state).toBe('STATEMENTS_ISSUED');
    h.answer('clearing.funded', '51', issuedAt);
    expect(h.state).toBe('RECONCILED');
    expect(h.reported()).toEqual(['FUNDED', 'DISBURSED', 'RECONCILED']);
    expect(h.fx.sent('clearing.disburse')).toEqual([]);
    expect(h.fx.timers).toEqual([]);
  });

  it('funding: the batch waits for every payer, a duplicate takes nothing twice, a retry asks only who has not funded, and the disbursal step backs off from the start again', () => {
    const h = september();
    const issuedAt = issued(h, ['11', '51']);
    // Until every payer has funded, the statements are asked again after a backoff.
    const firstDelay = h.due - issuedAt;
    expect(firstDelay).toBeGreaterThan(0);
    h.answer('clearing.funded', '51', issuedAt);
    expect(h.state).toBe('STATEMENTS_ISSUED');
    expect(h.actor.book.clearingAccount).toBe(7_000n);
    h.answer('clearing.funded', '51', issuedAt + 1);
    expect(h.state).toBe('STATEMENTS_ISSUED');
    expect([h.fx.writes, h.fx.events]).toEqual([[], []]);
    expect(h.actor.book.clearingAccount).toBe(7_000n);
    const retriedAt = h.tick();
    expect(h.sentTo('clearing.statement')).toEqual(['province.11']);
    expect(h.due - retriedAt).toBeGreaterThan(firstDelay);
    h.answer('clearing.funded', '11', retriedAt + 1);
    expect(h.state).toBe('FUNDED');
    // A payer without a prepayment funds its due only: no prepayment appears.
    expect(h.actor.book.prepayments.size).toBe(0);
    expect(h.due - (retriedAt + 1)).toBe(firstDelay);
    h.tick();
    expect(h.fx.sent('clearing.disburse').map((s) => [s.to, s.body.amount])).toEqual([
      ['province.11', 7_000n],
    ]);
  });

  it("K10: a withheld province's prepayment is left as it is, and its funding and receipt count for nothing", () => {
    const held = { size: 10_000n, balance: 2_000n };
    const durable = new Map<string, unknown>([
      [RECORDS.prepayment.key('32'), held],
      [RECORDS.clearingAccount.key(), 2_000n],
    ]);
    const h = new Harness(durable);
    h.line('B1.m', 'medical', '510100', '110100', 10_000n);
    h.line('B3.m', 'medical', '440100', '320500', 5_000n);
    h.tick();
    const at = h.tick();
    h.dispute('32', 4_500n, at);
    for (const province of ['11', '44', '51']) h.answer('clearing.confirm', province, at);
    const issuedAt = h.tick();
    expect(batchOf(h).withheld).toEqual(['32']);
    expect(Object.keys(batchOf(h).statements).sort()).toEqual(['11', '51']);
    expect(h.actor.book.prepayments.get('32')).toEqual(held);
    expect(h.fx.writes.map((w) => w.key)).not.toContain(RECORDS.prepayment.key('32'));

    const ignored = () => expect([h.fx.writes, h.fx.events, h.fx.sends]).toEqual([[], [], []]);
    h.answer('clearing.funded', '32', issuedAt);
    ignored();
    h.answer('clearing.funded', '11', issuedAt);
    h.answer('clearing.funded', '44', issuedAt);
    expect(h.state).toBe('STATEMENTS_ISSUED');
    h.answer('clearing.funded', '51', issuedAt);
    expect(h.state).toBe('FUNDED');
    h.answer('clearing.received', '32', issuedAt);
    ignored();
    expect(h.state).toBe('FUNDED');
    h.answer('clearing.received', '11', issuedAt);
    expect(h.state).toBe('RECONCILED');
  });

  it('disbursal: the batch waits for every receiver, a duplicate receipt counts once, a retry asks only who has not been paid, and a late receipt is noted as pay:<province>', () => {
    const h = new Harness();
    h.line('B1.m', 'medical', '510100', '110100', 10_000n);
    h.line('B2.m', 'medical', '510100', '440100', 5_000n);
    const issuedAt = issued(h, ['11', '44', '51']);
    for (const province of ['11', '44', '51']) h.answer('clearing.funded', province, issuedAt);
    expect(h.state).toBe('FUNDED');
    expect(h.fx.sent('clearing.disburse').map((s) => [s.to, s.body.amount])).toEqual([
      ['province.11', 10_000n],
      ['province.44', 5_000n],
    ]);
    const { payBy } = batchOf(h);
    h.answer('clearing.received', '44', issuedAt);
    expect(h.state).toBe('FUNDED');
    h.answer('clearing.received', '44', issuedAt + 1);
    expect(h.state).toBe('FUNDED');
    expect(h.fx.writes).toEqual([]);
    h.tick();
    expect(h.sentTo('clearing.disburse')).toEqual(['province.11']);
    h.answer('clearing.received', '11', payBy + 1);
    expect(h.state).toBe('RECONCILED');
    expect(batchOf(h)).toMatchObject({ disbursed: ['44', '11'], late: ['pay:11'] });
    const disbursed = h.fx.events.find((e) => e.type === 'clearing.batch');
    expect(disbursed).toMatchObject({ state: 'DISBURSED', late: 1 });
  });

  it('a receipt from a province paid nothing counts for nothing: the batch still waits for its receivers', () => {
    const h = september();
    const issuedAt = issued(h, ['11', '51']);
    for (const province of ['11', '51']) h.answer('clearing.funded', province, issuedAt);
    expect(h.fx.sent('clearing.disburse').map((s) => s.to)).toEqual(['province.11']);
    h.answer('clearing.received', '51', issuedAt);
    expect(h.state).toBe('FUNDED');
    expect(h.fx.writes).toEqual([]);
    expect(batchOf(h).disbursed).toEqual([]);
    h.answer('clearing.received', '11', issuedAt);
    expect(h.state).toBe('RECONCILED');
    expect(batchOf(h).disbursed).toEqual(['11']);
  });

  it('after a crash, a batch waiting for funding or for receipts asks again only who has not answered', () => {
    const h = september();
    const issuedAt = issued(h, ['11', '51']);
    h.answer('clearing.funded', '51', issuedAt);
    const funding = new Harness(new Map(h.durable), issuedAt + HOUR_MS);
    expect(funding.state).toBe('STATEMENTS_ISSUED');
    expect(funding.sentTo('clearing.statement')).toEqual(['province.11']);
    funding.answer('clearing.funded', '11', issuedAt + HOUR_MS);
    expect(funding.state).toBe('FUNDED');
    const paying = new Harness(new Map(funding.durable), issuedAt + 2 * HOUR_MS);
    expect(paying.state).toBe('FUNDED');
    expect(paying.sentTo('clearing.disburse')).toEqual(['province.11']);
  });

  it('everything a batch sends and reports is correlated as batch.<month>; a payer’s funding posts under its own ledger', () => {
    const h = september();
    const corr = 'batch.202509';
    h.tick();
    const reports = () => h.fx.events.flatMap((e) => (e.type === 'clearing.batch' ? [e.corr] : []));
    expect(reports()).toEqual([corr]);
    const at = h.tick();
    expect(h.fx.sent('clearing.allocate').map((s) => s.corr)).toEqual([corr, corr]);
    h.answer('clearing.confirm', '11', at);
    h.answer('clearing.confirm', '51', at);
    const issuedAt = h.tick();
    expect(h.fx.sent('clearing.statement').map((s) => s.corr)).toEqual([corr, corr]);
    h.answer('clearing.funded', '51', issuedAt);
    const postings = () => h.fx.postings().map((p) => [p.op, p.corr, p.amount]);
    expect(postings()).toEqual([['take', `${corr}.ledger.province.51`, 7_000n]]);
    h.answer('clearing.funded', '11', issuedAt);
    expect(postings()).toEqual([['payOut', corr, 7_000n]]);
    expect(h.fx.sent('clearing.disburse').map((s) => s.corr)).toEqual([corr]);
    expect(reports()).toEqual([corr]);
  });

  it('K7: December also asks every province that holds a prepayment, in code order', () => {
    const held = { size: 10_000n, balance: 10_000n };
    const durable = new Map<string, unknown>([
      [RECORDS.prepayment.key('44'), held],
      [RECORDS.prepayment.key('11'), held],
      [RECORDS.clearingAccount.key(), 20_000n],
    ]);
    const h = new Harness(durable, 0, 202512);
    h.line('B1.m', 'medical', '510100', '320500', 10_000n);
    h.tick();
    h.tick();
    const provinces = ['province.11', 'province.32', 'province.44', 'province.51'];
    expect(h.sentTo('clearing.allocate')).toEqual(provinces);
    expect(batchOf(h).provinces).toEqual(['11', '32', '44', '51']);
  });
});
