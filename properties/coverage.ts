// What the property runs explored, per run and summed: the states each machine was in while which
// fault types were active (a state counts when a record in it becomes durable), the same for
// (receiving role, message kind) at each delivery, and "sometimes" assertions: rare paths that
// matter and that the draws must reach now and then (Antithesis's term). A suite whose draws never
// reach one proves nothing about it; properties/coverage.property.ts fails when one is missed.
import type { AnyStateMachine } from 'xstate';

import { createBillSagaMachine } from '../actors/bill_saga.machine.ts';
import { createBindSagaMachine } from '../actors/bind_saga.machine.ts';
import { createClearingBatchMachine } from '../actors/clearing_batch.machine.ts';
import { PROTOCOL_DEFAULTS } from '../actors/config.ts';
import { createContributionSagaMachine } from '../actors/contribution_saga.machine.ts';
import { recordNameOf } from '../actors/records.ts';
import { createTransferSagaMachine } from '../actors/transfer_saga.machine.ts';
import { createWalletMachine } from '../actors/wallet.machine.ts';
import { packedStatus } from '../actors/wallet_codec.ts';
import { decodeEnvelope, KINDS, maySend, ROLES } from '../protocol/index.ts';
import { Simulation } from '../sim/simulation.ts';
import type { FaultEvent } from '../world/faults.ts';
import type { Scenario } from '../world/scenario.ts';

/** The machines whose charts the coverage knows whole, by the record each persists into. */
const CHARTS: Readonly<Record<string, AnyStateMachine>> = {
  transferSaga: createTransferSagaMachine(PROTOCOL_DEFAULTS),
  billSaga: createBillSagaMachine(PROTOCOL_DEFAULTS),
  bindSaga: createBindSagaMachine(PROTOCOL_DEFAULTS),
  contributionSaga: createContributionSagaMachine(PROTOCOL_DEFAULTS),
  clearingBatch: createClearingBatchMachine(PROTOCOL_DEFAULTS),
  wallet: createWalletMachine(PROTOCOL_DEFAULTS),
};

/** A chart's states as paths (`a`, or `a.b` inside a compound state). */
function statePaths(node: { states: Record<string, unknown> }, at = ''): string[] {
  return Object.entries(node.states).flatMap(([name, child]) => {
    const path = at === '' ? name : `${at}.${name}`;
    const inner = child as { states: Record<string, unknown> };
    return Object.keys(inner.states).length === 0 ? [path] : statePaths(inner, path);
  });
}

/**
 * Chart states no record is ever durable in, and why: the coverage cannot see them, so they are
 * not counted as missed. A state that becomes reachable leaves this list (the property says so).
 */
export const NEVER_DURABLE: Readonly<Record<string, string>> = {
  'transferSaga.new': 'initial: left in the step that starts the saga',
  'billSaga.new': 'initial: left in the step that starts the saga',
  'bindSaga.new': 'initial: left in the step that starts the saga',
  'contributionSaga.new': 'initial: left in the step that starts the saga',
  'clearingBatch.new': 'initial: left in the step that opens the batch',
  'billSaga.holding': "transient: the wallet's answer follows in the same step",
  'billSaga.undone': 'transient: an always-transition to the reply of the undo kind',
  'contributionSaga.walletPaying': "transient: the wallet's answer follows in the same step",
  'clearingBatch.DISBURSED': 'transient: an always-transition to RECONCILED',
  'wallet.frozen': "W4: no message or job freezes a wallet in this model (the chart's events only)",
  'wallet.closed': "W4: no message or job closes a wallet in this model (the chart's events only)",
};

/** Every state of every chart the coverage knows: `<record>.<state path>`. */
const CHART_STATES: readonly string[] = Object.entries(CHARTS).flatMap(([record, machine]) =>
  statePaths(machine.root).map((path) => `${record}.${path}`),
);

const roleOf = (address: string) => address.slice(0, address.indexOf('.'));

function valuePath(value: unknown): string {
  if (typeof value === 'string') return value;
  return Object.entries(value as Record<string, unknown>)
    .map(([name, inner]) => `${name}.${valuePath(inner)}`)
    .join('|');
}

/**
 * The state a durable record is in, as `<record>.<state>`: a machine's persisted snapshot, a
 * packed wallet's status, or a record's own `state` field; undefined for records with no state
 * (balances, counters).
 */
function recordState(key: string, value: unknown): string | undefined {
  const record = recordNameOf(key);
  if (record === undefined) return undefined;
  if (typeof value === 'string')
    return record === 'wallet' ? `wallet.${packedStatus(value)}` : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  const { state, value: chart } = value as { state?: unknown; value?: unknown };
  if (typeof state === 'string') return `${record}.${state}`;
  if (chart !== undefined) return `${record}.${valuePath(chart)}`;
  return undefined;
}

/** Every (sender role, kind) pair protocol/senders.ts allows, as `<role>:<kind>`. */
const ALLOWED_PAIRS: readonly string[] = KINDS.flatMap((kind) =>
  ROLES.filter((role) => maySend(kind, `${role}.0`)).map((role) => `${role}:${kind}`),
);

/**
 * Allowed pairs the suites' draws never send, and the directed tests that do: an orphan hold
 * needs a reserve no saga knows that stays held past orphanHoldAfterMs; settlement details a
 * month's lines (K10) only when its books truly differ from the province's, and the clearing
 * suites' lies change messages in flight, not books: a province that disputes a lied figure
 * sends its own, which settlement's books agree with, so the dispute is dismissed, no details sent.
 */
export const SENT_ONLY_BY_DIRECTED_TESTS: Readonly<Record<string, string>> = {
  'province:hold.query': 'sim/orphan_hold.test.ts',
  'wallet:hold.status': 'sim/orphan_hold.test.ts',
  'settlement:clearing.detail': 'sim/clearing_batch.test.ts (K10)',
};

/** The rare paths: each a name and whether one run reached it. */
const SOMETIMES = {
  'a credit duplicated and deduplicated': (r: RunFacts) =>
    r.ok && [...r.count('wallet.credit').values()].some((n) => n >= 2),
  'a crash between reserve and credit': (r: RunFacts) =>
    r.ok &&
    r.downs.some((at) =>
      [...r.first('account.reserved')].some(
        ([id, reservedAt]) => reservedAt < at && (r.first('wallet.credit').get(id) ?? 0) > at,
      ),
    ),
  'a return refunded after a partition healed': (r: RunFacts) =>
    r.ok &&
    [...r.first('account.refund').values()].some((at) =>
      r.faults.some((f) => f.type === 'partition' && f.at + f.durationMs < at),
    ),
  'a K10 dispute: provider totals that differ': (r: RunFacts) =>
    r.count('provider.totalsDiffer').size > 0,
  'a torn write survived': (r: RunFacts) => r.ok && r.sim.faultEffects.tornWrites > 0,
  'a message held by a clog, delivered late': (r: RunFacts) =>
    r.ok && r.sim.faultEffects.clogged > 0,
  'a paused process catching up': (r: RunFacts) => r.ok && r.sim.faultEffects.paused > 0,
  'a redelivery past the ack wait deduplicated': (r: RunFacts) =>
    r.ok && r.sim.network.redelivered > 0,
  'a later flow under a fault: the 02:00 totals or a 06:00 return': (r: RunFacts) =>
    r.ok &&
    ['province:provider.totals', 'wallet:wallet.settle'].some((row) =>
      [...(r.matrix.get(row)?.keys() ?? [])].some((type) => type !== 'none'),
    ),
  "the month's national clearing under a fault": (r: RunFacts) =>
    r.ok &&
    (r.faultDuring('clearing.allocate', 'clearing.confirm') ||
      r.faultDuring('clearing.statement', 'clearing.received')),
  'a transfer refused W8 by a clock skewed into the night': (r: RunFacts) =>
    r.ok && r.refusedW8 > 0 && r.faults.some((f) => f.type === 'skew'),
  'a wipe named by durability': (r: RunFacts) =>
    r.sim.faultEffects.wipes > 0 && !(r.sim.checkers.results.get('durability')?.ok ?? true),
  "a lying disk's loss named by durability": (r: RunFacts) =>
    r.sim.faultEffects.lostWrites > 0 && !(r.sim.checkers.results.get('durability')?.ok ?? true),
  'a lie of a trusted peer told and the run judged': (r: RunFacts) =>
    r.sim.network.liedAbout.size > 0,
} satisfies Record<string, (r: RunFacts) => boolean>;

export type Sometimes = keyof typeof SOMETIMES;

/** One run, as the coverage sees it. */
export class RunFacts {
  readonly sim: Simulation;
  readonly faults: readonly FaultEvent[];
  /** When a node went down (a crash, a reboot): virtual ms. */
  readonly downs: number[];
  /** (role:kind) → fault types active at delivery ('none' when none) → deliveries. */
  readonly matrix = new Map<string, Map<string, number>>();
  /** `<sender role>:<kind>` of every frame delivered. */
  readonly sent = new Set<string>();
  /** (record.state) → fault types active when it became durable ('none' when none) → records. */
  readonly states = new Map<string, Map<string, number>>();
  refusedW8 = 0;
  private readonly firsts = new Map<string, Map<string, number>>();
  private readonly counts = new Map<string, Map<string, number>>();
  /** The earliest `sentAt` of each kind delivered. */
  private readonly firstSent = new Map<string, number>();

  constructor(scenario: Scenario) {
    this.faults = scenario.faults;
    this.downs = scenario.faults.flatMap((f) =>
      f.type === 'crash' || f.type === 'reboot' ? [f.at] : [],
    );
    this.sim = new Simulation(scenario, {
      onDelivery: (at, from, to, frame) => this.delivered(at, from, to, frame),
      onDurable: (at, _address, keys, values) => {
        for (let i = 0; i < keys.length; i++) {
          const state = recordState(keys[i] as string, values[i]);
          if (state !== undefined) this.tally(this.states, state, at);
        }
      },
    }).run();
  }

  get ok(): boolean {
    return this.sim.checkers.ok;
  }

  /** When each id's first message of this kind was delivered. */
  first(kind: string): ReadonlyMap<string, number> {
    return this.firsts.get(kind) ?? new Map();
  }

  /**
   * Whether a fault was active while a flow ran: from the first `start` message sent (its
   * sender's clock) to the last `end` message delivered. A fault that blocks the flow (a
   * partition, a crash) delays its deliveries past the fault, so the send opens the span.
   */
  faultDuring(start: string, end: string): boolean {
    const from = this.firstSent.get(start);
    if (from === undefined) return false;
    const to = Math.max(from, ...this.first(end).values());
    return this.faults.some((f) => f.at <= to && from < f.at + f.durationMs);
  }

  /** How many messages of this kind each id had delivered. */
  count(kind: string): ReadonlyMap<string, number> {
    return this.counts.get(kind) ?? new Map();
  }

  private delivered(at: number, from: string, to: string, frame: Uint8Array): void {
    let env;
    try {
      env = decodeEnvelope(frame);
    } catch {
      return; // a frame the host refuses is no path of the protocol's
    }
    const { kind, corr } = env;
    const firsts = this.firsts.get(kind) ?? new Map<string, number>();
    this.firsts.set(kind, firsts);
    if (!firsts.has(corr)) firsts.set(corr, at);
    this.firstSent.set(kind, Math.min(env.sentAt, this.firstSent.get(kind) ?? env.sentAt));
    const counts = this.counts.get(kind) ?? new Map<string, number>();
    this.counts.set(kind, counts);
    counts.set(corr, (counts.get(corr) ?? 0) + 1);
    if (kind === 'transfer.refused' && env.body.reason === 'W8') this.refusedW8++;
    this.sent.add(`${roleOf(from)}:${kind}`);
    this.tally(this.matrix, `${roleOf(to)}:${kind}`, at);
  }

  /** One more in `row`, under each fault type active at `at` ('none' when none is). */
  private tally(matrix: Map<string, Map<string, number>>, row: string, at: number): void {
    const cells = matrix.get(row) ?? new Map<string, number>();
    matrix.set(row, cells);
    const active = this.faults.filter((f) => f.at <= at && at < f.at + f.durationMs);
    for (const type of active.length === 0 ? ['none'] : new Set(active.map((f) => f.type)))
      cells.set(type, (cells.get(type) ?? 0) + 1);
  }
}

function sumInto(
  into: Map<string, Map<string, number>>,
  from: ReadonlyMap<string, ReadonlyMap<string, number>>,
): void {
  for (const [row, cells] of from) {
    const sum = into.get(row) ?? new Map<string, number>();
    into.set(row, sum);
    for (const [type, n] of cells) sum.set(type, (sum.get(type) ?? 0) + n);
  }
}

/** The sum over runs: the matrix, the sometimes reached (and how often), faults by type. */
export class Coverage {
  runs = 0;
  readonly matrix = new Map<string, Map<string, number>>();
  readonly states = new Map<string, Map<string, number>>();
  /** `<sender role>:<kind>` pairs some run delivered. */
  readonly sent = new Set<string>();
  readonly reached = new Map<Sometimes, number>(
    (Object.keys(SOMETIMES) as Sometimes[]).map((name) => [name, 0]),
  );
  readonly faultsByType = new Map<string, number>();

  add(run: RunFacts): void {
    this.runs++;
    sumInto(this.matrix, run.matrix);
    sumInto(this.states, run.states);
    for (const pair of run.sent) this.sent.add(pair);
    for (const [name, reached] of Object.entries(SOMETIMES) as Array<
      [Sometimes, (r: RunFacts) => boolean]
    >)
      if (reached(run)) this.reached.set(name, (this.reached.get(name) ?? 0) + 1);
    for (const f of run.faults)
      this.faultsByType.set(f.type, (this.faultsByType.get(f.type) ?? 0) + 1);
  }

  /** The charts' states no run's records were ever in, but those never durable. */
  get unvisited(): string[] {
    return CHART_STATES.filter((state) => !this.states.has(state) && !(state in NEVER_DURABLE));
  }

  /** The (role, kind) pairs the permission table allows that no run sent. */
  get unsent(): string[] {
    return ALLOWED_PAIRS.filter((pair) => !this.sent.has(pair));
  }

  /** As JSON, for out/coverage/coverage.json. */
  toJSON(): object {
    const table = (matrix: Map<string, Map<string, number>>) =>
      Object.fromEntries(
        [...matrix].sort().map(([row, cells]) => [row, Object.fromEntries(cells)]),
      );
    return {
      runs: this.runs,
      faultsByType: Object.fromEntries(this.faultsByType),
      sometimes: Object.fromEntries(this.reached),
      states: table(this.states),
      unvisited: this.unvisited,
      unsent: this.unsent,
      messages: table(this.matrix),
    };
  }

  /** A few lines: what was reached, and the matrix's rows never seen under any fault. */
  summary(): string[] {
    const columns = this.faultsByType.size + 1;
    const line = (name: string, matrix: Map<string, Map<string, number>>) => {
      const cells = [...matrix.values()].reduce((n, row) => n + row.size, 0);
      const faultFree = [...matrix].filter(([, row]) => row.size === 1 && row.has('none'));
      return (
        `${name}: ${matrix.size} rows × ${columns} columns, ${cells} cells reached; ` +
        `rows seen only without faults: ${faultFree.map(([row]) => row).join(', ') || 'none'}`
      );
    };
    return [
      `${this.runs} runs; faults by type: ` +
        [...this.faultsByType].map(([t, n]) => `${t} ${n}`).join(', '),
      line('machine states', this.states),
      `chart states never visited (of ${CHART_STATES.length}, ` +
        `${Object.keys(NEVER_DURABLE).length} never durable): ` +
        (this.unvisited.join(', ') || 'none'),
      line('(role, kind) deliveries', this.matrix),
      `permitted (sender, kind) pairs never sent (of ${ALLOWED_PAIRS.length}): ` +
        (this.unsent.join(', ') || 'none'),
      ...[...this.reached].map(
        ([name, n]) => `  sometimes ${n > 0 ? 'reached' : 'MISSED '} ${n} × ${name}`,
      ),
    ];
  }
}
