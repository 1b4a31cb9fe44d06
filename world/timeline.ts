// A run over virtual time, for report.html: what the simulator saw bucket by bucket (deliveries,
// the money of every class, each province's pooling funds), and, from the run's outcomes at the
// end, every business operation placed at its start and coloured by what became of it, the
// completions and their latency. Runtime-neutral: the collector is fed events and times; the
// simulator feeds it (sim/simulation.ts), a live cluster has no virtual clock and gives none.
//
// Two resolutions: fine buckets over the workload's window (about 480 of them), and one point
// per virtual day over the whole run (clearing happens weeks after the workload's day).
import type { DomainEvent } from '../actors/effects.ts';
import { type ClearingLine, visitRecords } from '../actors/records.ts';
import { provinceOfRegion } from '../actors/regions.ts';
import { type Fen, formatFen } from '../protocol/index.ts';
import { describeFault, type FaultEvent } from './faults.ts';
import { MONEY_CLASSES, type MoneyTotals } from './invariants.ts';
import type { Outcomes } from './outcomes.ts';
import type { DurableView } from './recount.ts';

const DAY_MS = 86_400_000;
/** Bucket widths a window is cut into, so that axis ticks fall on round times. */
const NICE_MS = [
  100, 250, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 180_000, 300_000,
  600_000, 900_000, 1_800_000, 3_600_000,
];
const TARGET_BUCKETS = 480;

/** What became of an operation, the same five colours for every flow. */
export const OUTCOME_CLASSES = ['completed', 'returned', 'rejected', 'refused', 'open'] as const;
type OutcomeClass = (typeof OUTCOME_CLASSES)[number];
export const FLOWS = ['transfer', 'bill', 'bind', 'contribution'] as const;
type Flow = (typeof FLOWS)[number];

/** Per flow, per outcome class: how many operations started in each bucket. */
type Operations = Record<Flow, Record<OutcomeClass, number[]>>;

export interface FaultWindow {
  readonly type: FaultEvent['type'];
  readonly startMs: number;
  readonly endMs: number;
  readonly label: string;
}

/** Σ of a money class, in fen, at each sample (a number: the report draws it). */
type MoneySeries = Record<(typeof MONEY_CLASSES)[number], number[]>;

export interface TimelinePart {
  readonly bucketMs: number;
  /** The fine buckets span [0, windowMs). */
  readonly windowMs: number;
  readonly deliveries: number[];
  /** Each class at the end of each fine bucket. */
  readonly money: MoneySeries;
  readonly provinces: readonly string[];
  /** Each province's pooling funds (every fund account it keeps) at each fine bucket's end. */
  readonly funds: number[][];
  /** What each province's funds opened with. */
  readonly fundsOpened: number[];
  /**
   * Donors' money transfers took and no wallet holds yet, at each fine bucket's end: held for a
   * transfer (reference), or charged and not yet credited (debitFirst), fen.
   */
  readonly inFlight: number[];
  /** Completions by the bucket they happened in. */
  readonly transfersCompleted: number[];
  readonly billsSettled: number[];
  /** Transfer latency (accepted → outcome, virtual ms) of those that ended in each bucket. */
  readonly latency: { readonly p50: number[]; readonly p99: number[]; readonly max: number[] };
  readonly operations: Operations;
  /** One point per virtual day over the whole run: deliveries, money, funds at the day's end. */
  readonly daily: {
    readonly deliveries: number[];
    readonly money: MoneySeries;
    readonly funds: number[][];
  };
  readonly faults: readonly FaultWindow[];
  /** The law's right side, Σ of every class at every sample. */
  readonly opening: string;
}

/** The bucket width for a window: a round width giving about TARGET_BUCKETS buckets. */
function bucketFor(windowMs: number): number {
  const wanted = windowMs / TARGET_BUCKETS;
  return NICE_MS.find((ms) => ms >= wanted) ?? Math.ceil(wanted / DAY_MS) * DAY_MS;
}

const fen = (x: Fen) => Number(x);
const emptyMoney = (): MoneySeries =>
  Object.fromEntries(MONEY_CLASSES.map((cls) => [cls, [] as number[]])) as MoneySeries;

/**
 * Samples a run as virtual time passes. Call `delivered` per delivered frame, `durable` with
 * each actor's durable events, and `advance(now, money)` before anything happens at `now`:
 * every bucket that ended before `now` is closed with the money as it stood.
 */
export class TimelineCollector {
  readonly bucketMs: number;
  readonly windowMs: number;
  /** When the next bucket or day closes: `advance` is only needed once time reaches it. */
  nextMark: number;
  private readonly buckets: number;
  private readonly deliveries: number[];
  private readonly money = emptyMoney();
  private readonly inFlight: number[] = [];
  private readonly funds: number[][];
  private readonly daily = {
    deliveries: [] as number[],
    money: emptyMoney(),
    funds: [] as number[][],
  };
  private readonly provinceIndex = new Map<string, number>();
  private readonly fundNow: number[];
  private bucket = 0;
  private day = 0;
  private dayDeliveries = 0;

  constructor(
    windowMs: number,
    readonly provinces: readonly string[],
    private readonly faults: readonly FaultEvent[],
    private readonly opening: Fen,
  ) {
    this.bucketMs = bucketFor(Math.max(windowMs, 1));
    this.buckets = Math.max(1, Math.ceil(windowMs / this.bucketMs));
    this.windowMs = this.buckets * this.bucketMs;
    this.deliveries = new Array<number>(this.buckets).fill(0);
    provinces.forEach((p, i) => this.provinceIndex.set(p, i));
    this.fundNow = new Array<number>(provinces.length).fill(0);
    this.funds = provinces.map(() => []);
    this.daily.funds = provinces.map(() => []);
    this.nextMark = Math.min(this.bucketMs, DAY_MS);
  }

  /**
   * Close every bucket and day that ended before `now`, each with the money as it stands
   * (`inFlight`: donors' money taken by transfers and in no wallet yet, world/checkers.ts).
   */
  advance(now: number, money: MoneyTotals, inFlight: Fen = 0n): void {
    while (this.bucket < this.buckets && (this.bucket + 1) * this.bucketMs <= now) {
      this.sample(this.money, this.funds, money);
      this.inFlight.push(fen(inFlight));
      this.bucket++;
    }
    while ((this.day + 1) * DAY_MS <= now) this.closeDay(money);
    const nextBucket = this.bucket < this.buckets ? (this.bucket + 1) * this.bucketMs : Infinity;
    this.nextMark = Math.min(nextBucket, (this.day + 1) * DAY_MS);
  }

  delivered(): void {
    if (this.bucket < this.buckets) this.deliveries[this.bucket]!++;
    this.dayDeliveries++;
  }

  /** Each province's pooling funds follow its fund postings. */
  durable(address: string, events: readonly DomainEvent[]): void {
    const index = this.provinceIndex.get(address);
    if (index === undefined) return;
    for (const e of events) {
      if (e.type !== 'posting') continue;
      if (e.debitClass === 'fund') this.fundNow[index]! -= fen(e.amount);
      if (e.creditClass === 'fund') this.fundNow[index]! += fen(e.amount);
    }
  }

  /**
   * The timeline of a finished run: the buckets and the day it ended in are closed, and the
   * operations come from the run's outcomes. `fundsOpened`: each province's funds at the start.
   */
  finish(
    now: number,
    money: MoneyTotals,
    outcomes: Outcomes,
    fundsOpened: ReadonlyMap<string, Fen>,
    inFlight: Fen = 0n,
  ): TimelinePart {
    this.advance(now, money, inFlight);
    while (this.bucket < this.buckets) {
      this.sample(this.money, this.funds, money);
      this.inFlight.push(fen(inFlight));
      this.bucket++;
    }
    this.closeDay(money);
    const opened = this.provinces.map((p) => fen(fundsOpened.get(p) ?? 0n));
    const absolute = (rows: number[][]) => rows.map((row, i) => row.map((x) => x + opened[i]!));
    return {
      bucketMs: this.bucketMs,
      windowMs: this.windowMs,
      deliveries: this.deliveries,
      money: this.money,
      provinces: this.provinces,
      funds: absolute(this.funds),
      fundsOpened: opened,
      inFlight: this.inFlight,
      ...completionsOf(outcomes, this.bucketMs, this.buckets),
      operations: operationsOf(outcomes, this.bucketMs, this.buckets),
      daily: { ...this.daily, funds: absolute(this.daily.funds) },
      faults: faultWindows(this.faults),
      opening: formatFen(this.opening),
    };
  }

  private closeDay(money: MoneyTotals): void {
    this.sample(this.daily.money, this.daily.funds, money);
    this.daily.deliveries.push(this.dayDeliveries);
    this.dayDeliveries = 0;
    this.day++;
  }

  private sample(series: MoneySeries, funds: number[][], money: MoneyTotals): void {
    for (const cls of MONEY_CLASSES) series[cls].push(fen(money[cls]));
    this.fundNow.forEach((x, i) => funds[i]!.push(x));
  }
}

export function faultWindows(faults: readonly FaultEvent[]): FaultWindow[] {
  return faults.map((f) => ({
    type: f.type,
    startMs: f.at,
    endMs: f.at + f.durationMs,
    label: describeFault(f),
  }));
}

/** Exact quantile of sorted values (nearest rank). */
function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
}

function completionsOf(outcomes: Outcomes, bucketMs: number, buckets: number) {
  const transfersCompleted = new Array<number>(buckets).fill(0);
  const billsSettled = new Array<number>(buckets).fill(0);
  const latencies: number[][] = Array.from({ length: buckets }, () => []);
  const slot = (at: number | undefined) =>
    at === undefined || at >= bucketMs * buckets ? -1 : Math.floor(at / bucketMs);
  for (const [id, t] of outcomes.terminal) {
    if (t.outcome === 'refused') continue;
    const i = slot(t.at);
    const started = outcomes.accepted.get(id)?.at;
    if (i < 0 || started === undefined) continue;
    if (t.outcome === 'completed') transfersCompleted[i]!++;
    latencies[i]!.push((t.at as number) - started);
  }
  for (const bill of outcomes.bills.values()) {
    const i = slot(bill.at);
    if (i >= 0 && bill.outcome === 'settled') billsSettled[i]!++;
  }
  const latency = { p50: [] as number[], p99: [] as number[], max: [] as number[] };
  for (const values of latencies) {
    const sorted = Float64Array.from(values).sort();
    latency.p50.push(quantile(sorted, 0.5));
    latency.p99.push(quantile(sorted, 0.99));
    latency.max.push(sorted.length === 0 ? 0 : sorted[sorted.length - 1]!);
  }
  return { transfersCompleted, billsSettled, latency };
}

/** Every operation at the bucket it started in, by what became of it. */
function operationsOf(outcomes: Outcomes, bucketMs: number, buckets: number): Operations {
  const ops = Object.fromEntries(
    FLOWS.map((flow) => [
      flow,
      Object.fromEntries(
        OUTCOME_CLASSES.map((c) => [c, new Array<number>(buckets).fill(0)] as const),
      ),
    ]),
  ) as Operations;
  const add = (flow: Flow, at: number | undefined, what: OutcomeClass) => {
    if (at === undefined) return;
    const i = Math.min(buckets - 1, Math.floor(at / bucketMs));
    ops[flow][what][i]!++;
  };
  for (const [id, t] of outcomes.terminal) {
    if (t.outcome === 'refused' && !outcomes.accepted.has(id)) add('transfer', t.at, 'refused');
  }
  for (const [id, a] of outcomes.accepted) {
    const t = outcomes.terminal.get(id);
    const returned = outcomes.receipts.get(id)?.outcome === 'returned';
    add(
      'transfer',
      a.at,
      t === undefined
        ? 'open'
        : t.outcome === 'completed'
          ? returned
            ? 'returned'
            : 'completed'
          : 'rejected',
    );
  }
  for (const bill of outcomes.bills.values()) {
    const what: OutcomeClass =
      bill.outcome === 'settled'
        ? 'completed'
        : bill.outcome === 'refused'
          ? 'refused'
          : bill.outcome === 'started' || bill.outcome === 'presettled'
            ? 'open'
            : bill.outcome === 'expired'
              ? 'rejected'
              : 'returned';
    add('bill', bill.startedAt ?? bill.at, what);
  }
  for (const [id, t] of outcomes.bindTerminal) {
    if (t.outcome === 'refused' && !outcomes.bindAccepted.has(id)) add('bind', t.at, 'refused');
  }
  for (const [id, a] of outcomes.bindAccepted) {
    const t = outcomes.bindTerminal.get(id)?.outcome;
    add('bind', a.at, t === undefined ? 'open' : t === 'active' ? 'completed' : 'rejected');
  }
  for (const c of outcomes.contributions.values()) {
    const what: OutcomeClass =
      c.outcome === 'paid'
        ? 'completed'
        : c.outcome === 'refused'
          ? 'refused'
          : c.outcome === 'rejected'
            ? 'rejected'
            : 'open';
    add('contribution', c.at, what);
  }
  return ops;
}

/** One month's clearing between provinces: payer province → payee province → fen. */
export interface ClearingMonth {
  readonly month: number;
  readonly provinces: readonly string[];
  /** [payer, payee, fen as a decimal string]: the lines of the month's batch, net of reversals. */
  readonly cells: ReadonlyArray<readonly [string, string, string]>;
}

/** The national clearing lines the actors' durable records hold (settlement's), by month. */
export function clearingOfActors(actors: Iterable<DurableView>): ClearingMonth[] {
  const lines: ClearingLine[] = [];
  for (const actor of actors)
    visitRecords(actor.store.durable, { clearingLine: (_, line) => lines.push(line) });
  return clearingMonths(lines);
}

/** The national clearing lines of each batch month, summed by province pair. */
function clearingMonths(lines: Iterable<ClearingLine>): ClearingMonth[] {
  const months = new Map<number, Map<string, Fen>>();
  for (const line of lines) {
    if (line.dropped) continue;
    const cells = months.get(line.batch) ?? new Map<string, Fen>();
    months.set(line.batch, cells);
    const key = `${provinceOfRegion(line.payerRegion)}>${provinceOfRegion(line.payeeRegion)}`;
    const amount = line.reversal ? -line.amount : line.amount;
    cells.set(key, (cells.get(key) ?? 0n) + amount);
  }
  return [...months]
    .sort(([a], [b]) => a - b)
    .map(([month, cells]) => {
      const provinces = new Set<string>();
      const out: Array<readonly [string, string, string]> = [];
      for (const [key, amount] of [...cells].sort(([a], [b]) => (a < b ? -1 : 1))) {
        const [payer, payee] = key.split('>') as [string, string];
        provinces.add(payer).add(payee);
        if (amount !== 0n) out.push([payer, payee, amount.toString()]);
      }
      return { month, provinces: [...provinces].sort(), cells: out };
    });
}

/** One delivered message of a counterexample, for the sequence diagram. */
export interface SequenceMessage {
  readonly at: number;
  /** When the sender sent it (the envelope's sentAt): the arrow's tail. */
  readonly sentAt: number;
  readonly from: string;
  readonly to: string;
  readonly kind: string;
  readonly corr: string;
}

/**
 * A failed run's last deliveries (at most about 2,000) up to the first violation the checkers
 * saw after a message or a sync, or up to the end when only a final check failed.
 */
export interface SequencePart {
  readonly messages: readonly SequenceMessage[];
  /** Deliveries before the first one shown. */
  readonly skipped: number;
  readonly violation: {
    readonly at: number;
    /** The actor whose delivery or durable write broke the invariant; null at the final checks. */
    readonly address: string | null;
    readonly invariant: string;
    readonly detail: string;
  };
  /** Business ids the violation's detail names: their messages are highlighted. */
  readonly highlight: readonly string[];
  /**
   * true: a final-check failure, refocused on the ids it names (sim/focus.ts): every delivery of
   * those ids, from a second run of the same scenario, not the run's last deliveries.
   */
  readonly focused?: boolean;
  readonly faults: readonly FaultWindow[];
}

/** What report.html draws of a finished run, besides result.json. */
export interface RunPictures {
  /** The run over virtual time (sim); null on a live cluster, which has no virtual clock. */
  readonly timeline: TimelinePart | null;
  readonly clearing: readonly ClearingMonth[];
  /** A failed run's last deliveries up to its first violation; null when every check held. */
  readonly sequence: SequencePart | null;
}
