// Model-based test of the settlement actor alone (issue 13): fast-check drives a SettlementActor
// with random sequences of liability.record and liability.reverse (K9, W11), settlement.record
// and settlement.unrecord (F5's clearing lines, national or, wrongly sent here, inside one
// province), duplicates of each, the clock moving on (its clearing batches' timers fire: the
// month closes on the 1st, and is allocated on day 10, K8), and restarts from what it wrote. A
// small model says after every command what each reply must say and what its books hold: each
// origin region's liability, each line's record (its batch; undone, dropped, or taken back by a
// reversal line) and what each region owes each other region per batch. Why: settlement keeps
// the national books; a duplicate must be booked once, and a line undone after its batch was
// allocated must be reversed in the current batch, not dropped from one that is clearing.
// It stays before the statement day (day 20), where K10 would withhold unanswered provinces.
// A failure prints fast-check's seed and the shrunk command path, and replays with them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import type { AnyEnvelope, Body, ClearingLedger, Fen } from '../protocol/index.ts';
import { envelope, RecordingEffects, type SentMessage } from '../testing/fakes.ts';
import { SETTLEMENT_ADDRESS } from './addresses.ts';
import { obligationsOf } from './clearing_lines.ts';
import { DAY_MS, HOUR_MS, PROTOCOL_DEFAULTS } from './config.ts';
import type { Fact } from './effects.ts';
import type { ClearingLine } from './records.ts';
import { provinceOfRegion } from './regions.ts';
import { SettlementActor } from './settlement.actor.ts';

const SHARD = 'wallet.03';
const config = { ...PROTOCOL_DEFAULTS, startDate: '2025-09-29' };
// 2025-09-29 is day 0. October begins on day 2; September's batch is allocated on 2025-10-10
// (day 11, a working day) at 02:00 (K8); its statements would come on 2025-10-20 at 09:00.
const SEPT = 202509;
const OCT = 202510;
const OCT_1 = 2 * DAY_MS;
const SEPT_ALLOCATED = 11 * DAY_MS + 2 * HOUR_MS;
const END = 20 * DAY_MS;
const REGIONS = ['510100', '510700', '440300', '320500'];

type LineBody = Body<'settlement.record'>;

interface ModelLine {
  readonly body: LineBody;
  /** Whether settlement keeps it: only lines between provinces (the rest are the provinces'). */
  readonly kept: boolean;
  batch: number;
  undone: boolean;
  dropped: boolean;
  /** The batch of its reversal line, once undone after its batch was allocated. */
  reversedIn: number | undefined;
}

interface Model {
  now: number;
  /** Transfers by id: origin region and amount, recorded, and reversed (W11). */
  readonly transfers: Map<
    string,
    { readonly origin: string; readonly amount: Fen; recorded: boolean; reversed: boolean }
  >;
  readonly lines: Map<string, ModelLine>;
}

interface Real {
  readonly opening: Map<string, unknown>;
  actor: SettlementActor;
  readonly history: RecordingEffects;
  /** Armed timers by key (one per key: arming again replaces it). */
  readonly timers: Map<string, { at: number; arg: number }>;
}

/** K8: a batch takes new lines, and drops undone ones, until it is allocated. */
const allocated = (m: Model, batch: number) => batch === SEPT && m.now >= SEPT_ALLOCATED;
const currentMonth = (m: Model) => (m.now < OCT_1 ? SEPT : OCT);

/** What a command must send back to the shard, and the facts it must report. */
interface Expected {
  readonly sends: SentMessage[];
  readonly facts: Fact[];
}

const reply = <K extends 'liability.recorded' | 'liability.reversed'>(kind: K, tid: string) =>
  ({ to: SHARD, kind, corr: tid, body: { transferId: tid } }) as SentMessage;

function liability(m: Model, tid: string, reverse: boolean): Expected {
  const t = m.transfers.get(tid);
  if (t === undefined) throw new Error(`no transfer ${tid}`);
  const kind = reverse ? 'liability.reversed' : 'liability.recorded';
  const facts: Fact[] = [];
  const done = reverse ? t.reversed : t.recorded;
  if (!done) facts.push({ type: kind, corr: tid, originRegion: t.origin, amount: t.amount });
  if (reverse) t.reversed = true;
  else t.recorded = true;
  return { sends: [reply(kind, tid)], facts };
}

const lineFact = (lineId: string, body: LineBody, amount: Fen): Fact => {
  const { ledger, payerRegion, payeeRegion } = body;
  return { type: 'clearing.line', corr: lineId, ledger, payerRegion, payeeRegion, amount };
};

function record(m: Model, body: LineBody): Expected {
  const { lineId } = body;
  const kept = provinceOfRegion(body.payerRegion) !== provinceOfRegion(body.payeeRegion);
  // A line this level does not keep is ignored, unanswered (it is its province's).
  if (!kept) {
    if (!m.lines.has(lineId)) m.lines.set(lineId, { ...newLine(body, 0), kept });
    return { sends: [], facts: [] };
  }
  const sends = [
    { to: SHARD, kind: 'settlement.recorded', corr: lineId, body: { lineId } } as SentMessage,
  ];
  if (m.lines.has(lineId)) return { sends, facts: [] };
  // A late line of an allocated month counts in the batch of the month it arrives.
  const batch = allocated(m, body.month) ? currentMonth(m) : body.month;
  m.lines.set(lineId, newLine(body, batch));
  return { sends, facts: [lineFact(lineId, body, body.amount)] };
}

function newLine(body: LineBody, batch: number): ModelLine {
  return { body, kept: true, batch, undone: false, dropped: false, reversedIn: undefined };
}

function unrecord(m: Model, lineId: string): Expected {
  const sends = [
    { to: SHARD, kind: 'settlement.unrecorded', corr: lineId, body: { lineId } } as SentMessage,
  ];
  const line = m.lines.get(lineId);
  if (line === undefined || !line.kept || line.undone) return { sends, facts: [] };
  line.undone = true;
  if (allocated(m, line.batch)) line.reversedIn = currentMonth(m);
  else line.dropped = true;
  return { sends, facts: [lineFact(lineId, line.body, -line.body.amount)] };
}

/** The line records the model expects settlement to hold, reversal lines included. */
function expectedLines(m: Model): Record<string, ClearingLine> {
  const records: Record<string, ClearingLine> = {};
  for (const [lineId, line] of m.lines) {
    if (!line.kept) continue;
    const { month, ledger, payerRegion, payeeRegion, amount } = line.body;
    const fresh = { month, ledger, payerRegion, payeeRegion, amount, batch: line.batch };
    records[lineId] = { ...fresh, undone: line.undone, dropped: line.dropped, reversal: false };
    if (line.reversedIn !== undefined) {
      const batch = line.reversedIn;
      records[`${lineId}.r`] = { ...fresh, batch, undone: false, dropped: false, reversal: true };
    }
  }
  return records;
}

/** Per batch, what each region owes each other region (net, per ledger), from the model. */
function owed(m: Model, batch: number): string[] {
  const net = new Map<string, Fen>();
  const add = (body: LineBody, amount: Fen) => {
    const key = `${body.ledger}|${body.payerRegion}|${body.payeeRegion}`;
    net.set(key, (net.get(key) ?? 0n) + amount);
  };
  for (const line of m.lines.values()) {
    if (!line.kept) continue;
    if (line.batch === batch && !line.dropped) add(line.body, line.body.amount);
    if (line.reversedIn === batch) add(line.body, -line.body.amount);
  }
  const rows: string[] = [];
  for (const [key, amount] of net) {
    const [ledger, payer, payee] = key.split('|') as [string, string, string];
    if (amount > 0n) rows.push(`${ledger} ${payer}→${payee} ${amount}`);
    if (amount < 0n) rows.push(`${ledger} ${payee}→${payer} ${-amount}`);
  }
  return rows.sort();
}

/** The real actor agrees with the model: liabilities, lines, the books per region, its batch. */
function agree(m: Model, r: Real): void {
  const book = r.actor.book;
  const liabilities = new Map<string, Fen>();
  for (const [tid, t] of m.transfers) {
    const net = (t.recorded ? t.amount : 0n) - (t.reversed ? t.amount : 0n);
    liabilities.set(t.origin, (liabilities.get(t.origin) ?? 0n) + net);
    expect(book.recorded.has(tid), tid).toBe(t.recorded);
    expect(book.reversed.has(tid), tid).toBe(t.reversed);
  }
  for (const region of REGIONS)
    expect(book.liabilities.get(region) ?? 0n, region).toBe(liabilities.get(region) ?? 0n);
  expect(Object.fromEntries(book.lines)).toEqual(expectedLines(m));
  for (const batch of [SEPT, OCT]) {
    const real = obligationsOf(book.lines.values(), batch).map(
      (o) => `${o.ledger} ${o.payer}→${o.payee} ${o.amount}`,
    );
    expect(real.sort(), `batch ${batch}`).toEqual(owed(m, batch));
  }
  const september = String(r.actor.batches.get(SEPT)?.value);
  if (m.now < OCT_1) expect(september).toBe('OPEN');
  else if (m.now < SEPT_ALLOCATED) expect(september).toBe('CLOSED');
  // Nobody answers the allocation here; with no province to ask it is confirmed at once.
  else expect(['ALLOCATED', 'CONFIRMED']).toContain(september);
}

/** Apply one step's effects to the harness: writes to the history, timers to the table. */
function keep(r: Real, fx: RecordingEffects): void {
  for (const w of fx.writes) r.history.write(w.key, w.value);
  for (const key of fx.cancelled) r.timers.delete(key);
  for (const t of fx.timers) r.timers.set(t.key, { at: t.at, arg: t.arg });
}

const MONEY_FACTS = new Set(['clearing.line', 'liability.recorded', 'liability.reversed']);

type Msg =
  | { readonly kind: 'liability.record'; readonly origin: string; readonly amount: Fen }
  | { readonly kind: 'liability.record' | 'liability.reverse'; readonly pick: number }
  | { readonly kind: 'settlement.record'; readonly body: Omit<LineBody, 'lineId'> }
  | { readonly kind: 'settlement.record' | 'settlement.unrecord'; readonly pick: number };

/** The i-th latest of `keys` (modulo), or `none` when there are none. */
const nth = (keys: Iterable<string>, i: number, none: string): string => {
  const all = [...keys];
  return all.length === 0 ? none : (all[all.length - 1 - (i % all.length)] as string);
};

function deliver(m: Model, msg: Msg): { env: AnyEnvelope; expected: Expected } {
  if (msg.kind === 'liability.record' || msg.kind === 'liability.reverse') {
    // A transfer's liability again, or its reversal, is for an earlier transfer, as it was.
    const tid = 'pick' in msg ? nth(m.transfers.keys(), msg.pick, '') : `T${m.transfers.size}`;
    if (!('pick' in msg)) {
      const { origin, amount } = msg;
      m.transfers.set(tid, { origin, amount, recorded: false, reversed: false });
    }
    const t = m.transfers.get(tid);
    if (t === undefined) throw new Error(`no transfer ${tid}`);
    const body = { transferId: tid, originRegion: t.origin, amount: t.amount };
    const env =
      msg.kind === 'liability.record'
        ? envelope(msg.kind, SHARD, SETTLEMENT_ADDRESS, tid, { ...body, useRegion: '510100' })
        : envelope(msg.kind, SHARD, SETTLEMENT_ADDRESS, tid, body);
    return { env, expected: liability(m, tid, msg.kind === 'liability.reverse') };
  }
  if (msg.kind === 'settlement.record') {
    // A line id again is the same line again: a retry of the payment saga's step.
    const again = 'pick' in msg ? m.lines.get(nth(m.lines.keys(), msg.pick, '')) : undefined;
    const body = again?.body ?? { lineId: `L${m.lines.size}`, ...('body' in msg ? msg.body : {}) };
    const env = envelope(msg.kind, SHARD, SETTLEMENT_ADDRESS, body.lineId, body as LineBody);
    return { env, expected: record(m, body as LineBody) };
  }
  const lineId = nth(m.lines.keys(), msg.pick, 'L-none');
  const env = envelope(msg.kind, SHARD, SETTLEMENT_ADDRESS, lineId, { lineId });
  return { env, expected: unrecord(m, lineId) };
}

class Send implements fc.Command<Model, Real> {
  constructor(readonly msg: Msg) {}

  check(m: Readonly<Model>): boolean {
    // A transfer's liability again, or reversed, needs a transfer; a line again needs a line.
    if (!('pick' in this.msg)) return true;
    if (this.msg.kind === 'liability.record' || this.msg.kind === 'liability.reverse')
      return m.transfers.size > 0;
    return this.msg.kind === 'settlement.unrecord' || m.lines.size > 0;
  }

  run(m: Model, r: Real): void {
    const { env, expected } = deliver(m, this.msg);
    const fx = new RecordingEffects();
    r.actor.handle(env, m.now, fx);
    keep(r, fx);
    expect(fx.sends.filter((s) => s.to === SHARD)).toEqual(expected.sends);
    const facts = fx.events.filter((e) => MONEY_FACTS.has(e.type));
    expect(facts).toEqual(expected.facts);
    expect(fx.postings()).toEqual([]);
    agree(m, r);
  }

  toString(): string {
    const { kind, ...rest } = this.msg;
    const fields = 'body' in rest ? rest.body : rest;
    const text = Object.entries(fields).map(([k, v]) =>
      k === 'pick' ? `latest-${v}` : `${k}: ${String(v)}`,
    );
    return `${kind}(${text.join(', ')})`;
  }
}

/** The clock moves on; every timer due by then fires, in time order. */
class Advance implements fc.Command<Model, Real> {
  constructor(readonly hours: number) {}

  check(m: Readonly<Model>): boolean {
    return m.now < END;
  }

  run(m: Model, r: Real): void {
    const target = Math.min(END, m.now + this.hours * HOUR_MS);
    for (let fired = 0; ; fired++) {
      expect(fired, 'timers that never stop firing').toBeLessThan(1_000);
      let next: [string, { at: number; arg: number }] | undefined;
      for (const entry of r.timers)
        if (next === undefined || entry[1].at < next[1].at) next = entry;
      if (next === undefined || next[1].at > target) break;
      const [key, { at, arg }] = next;
      r.timers.delete(key);
      const fx = new RecordingEffects();
      r.actor.timer(key, arg, Math.max(at, m.now), fx);
      keep(r, fx);
      // Time alone books nothing: no liability, no line.
      expect(fx.events.filter((e) => MONEY_FACTS.has(e.type))).toEqual([]);
    }
    m.now = target;
    agree(m, r);
  }

  toString(): string {
    return `advance ${this.hours} h`;
  }
}

/** Settlement rebuilt from every write (a crash after a sync); in-memory timers are lost. */
class Restart implements fc.Command<Model, Real> {
  check(): boolean {
    return true;
  }

  run(m: Model, r: Real): void {
    r.actor = new SettlementActor(SETTLEMENT_ADDRESS, r.history.applyTo(r.opening), config);
    r.timers.clear();
    const fx = new RecordingEffects();
    r.actor.recover(m.now, fx);
    keep(r, fx);
    agree(m, r);
  }

  toString(): string {
    return 'restart';
  }
}

const pick = fc.oneof({ arbitrary: fc.constant(0), weight: 2 }, fc.nat({ max: 7 }));
const region = fc.constantFrom(...REGIONS);
const amount = fc.bigInt({ min: 1n, max: 100_000n });
const ledger = fc.constantFrom<ClearingLedger>('medical', 'wallet');
// Mostly September's lines: its batch is the one allocated within the run.
const month = fc.oneof({ arbitrary: fc.constant(SEPT), weight: 3 }, fc.constant(OCT));
const newLiability = fc
  .record({ origin: region, amount })
  .map((fields) => new Send({ kind: 'liability.record', ...fields }));
const freshLine = fc
  .record({
    month,
    ledger,
    payerRegion: region,
    payeeRegion: region,
    amount,
  })
  .filter((b) => b.payerRegion !== b.payeeRegion)
  .map((body) => new Send({ kind: 'settlement.record', body }));
const picked = (kind: Extract<Msg, { pick: number }>['kind']) =>
  pick.map((pick) => new Send({ kind, pick } as Msg));

const COMMANDS = [
  newLiability,
  picked('liability.record'),
  picked('liability.reverse'),
  freshLine,
  freshLine,
  picked('settlement.record'),
  // Any line, not mostly the latest: an older one may be in a batch allocated since.
  fc.nat({ max: 7 }).map((pick) => new Send({ kind: 'settlement.unrecord', pick })),
  fc.integer({ min: 1, max: 240 }).map((hours) => new Advance(hours)),
  fc.integer({ min: 1, max: 240 }).map((hours) => new Advance(hours)),
  fc.constant(new Restart()),
];

function setup(): { model: Model; real: Real } {
  const opening = new Map<string, unknown>();
  const actor = new SettlementActor(SETTLEMENT_ADDRESS, opening, config);
  const real: Real = { opening, actor, history: new RecordingEffects(), timers: new Map() };
  // As a host starts it: this month's batch opens.
  const fx = new RecordingEffects();
  actor.recover(0, fx);
  keep(real, fx);
  return { model: { now: 0, transfers: new Map(), lines: new Map() }, real };
}

describe('SettlementActor against a model of its liabilities and clearing lines', () => {
  it('liabilities and lines, duplicated, undone, late and restarted, match the model', () => {
    fc.assert(
      fc.property(fc.commands(COMMANDS, { maxCommands: 30, size: 'max' }), (commands) => {
        fc.modelRun(setup, commands);
      }),
      { numRuns: 200 },
    );
  });
});
