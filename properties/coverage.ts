// What the property runs explored: a matrix of (receiving role, message kind) by the fault types
// active when it was delivered, per run and summed, and "sometimes" assertions: rare paths that
// matter and that the draws must reach now and then (Antithesis's term). A suite whose draws never
// reach one proves nothing about it; properties/coverage.property.ts fails when one is missed.
import { decodeEnvelope } from '../protocol/index.ts';
import { Simulation } from '../sim/simulation.ts';
import type { FaultEvent } from '../world/faults.ts';
import type { Scenario } from '../world/scenario.ts';

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
  refusedW8 = 0;
  private readonly firsts = new Map<string, Map<string, number>>();
  private readonly counts = new Map<string, Map<string, number>>();

  constructor(scenario: Scenario) {
    this.faults = scenario.faults;
    this.downs = scenario.faults.flatMap((f) =>
      f.type === 'crash' || f.type === 'reboot' ? [f.at] : [],
    );
    this.sim = new Simulation(scenario, {
      onDelivery: (at, _from, to, frame) => this.delivered(at, to, frame),
    }).run();
  }

  get ok(): boolean {
    return this.sim.checkers.ok;
  }

  /** When each id's first message of this kind was delivered. */
  first(kind: string): ReadonlyMap<string, number> {
    return this.firsts.get(kind) ?? new Map();
  }

  /** How many messages of this kind each id had delivered. */
  count(kind: string): ReadonlyMap<string, number> {
    return this.counts.get(kind) ?? new Map();
  }

  private delivered(at: number, to: string, frame: Uint8Array): void {
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
    const counts = this.counts.get(kind) ?? new Map<string, number>();
    this.counts.set(kind, counts);
    counts.set(corr, (counts.get(corr) ?? 0) + 1);
    if (kind === 'transfer.refused' && env.body.reason === 'W8') this.refusedW8++;
    const row = `${to.slice(0, to.indexOf('.'))}:${kind}`;
    const cells = this.matrix.get(row) ?? new Map<string, number>();
    this.matrix.set(row, cells);
    const active = this.faults.filter((f) => f.at <= at && at < f.at + f.durationMs);
    for (const type of active.length === 0 ? ['none'] : new Set(active.map((f) => f.type)))
      cells.set(type, (cells.get(type) ?? 0) + 1);
  }
}

/** The sum over runs: the matrix, the sometimes reached (and how often), faults by type. */
export class Coverage {
  runs = 0;
  readonly matrix = new Map<string, Map<string, number>>();
  readonly reached = new Map<Sometimes, number>(
    (Object.keys(SOMETIMES) as Sometimes[]).map((name) => [name, 0]),
  );
  readonly faultsByType = new Map<string, number>();

  add(run: RunFacts): void {
    this.runs++;
    for (const [row, cells] of run.matrix) {
      const sum = this.matrix.get(row) ?? new Map<string, number>();
      this.matrix.set(row, sum);
      for (const [type, n] of cells) sum.set(type, (sum.get(type) ?? 0) + n);
    }
    for (const [name, reached] of Object.entries(SOMETIMES) as Array<
      [Sometimes, (r: RunFacts) => boolean]
    >)
      if (reached(run)) this.reached.set(name, (this.reached.get(name) ?? 0) + 1);
    for (const f of run.faults)
      this.faultsByType.set(f.type, (this.faultsByType.get(f.type) ?? 0) + 1);
  }

  /** As JSON, for out/coverage/coverage.json. */
  toJSON(): object {
    const matrix = Object.fromEntries(
      [...this.matrix].sort().map(([row, cells]) => [row, Object.fromEntries(cells)]),
    );
    return {
      runs: this.runs,
      faultsByType: Object.fromEntries(this.faultsByType),
      sometimes: Object.fromEntries(this.reached),
      matrix,
    };
  }

  /** A few lines: what was reached, and the matrix's rows never seen under any fault. */
  summary(): string[] {
    const types = [...this.faultsByType.keys()];
    const cells = [...this.matrix.values()].reduce((n, row) => n + row.size, 0);
    const faultFree = [...this.matrix].filter(([, row]) => row.size === 1 && row.has('none'));
    return [
      `${this.runs} runs; faults by type: ` +
        [...this.faultsByType].map(([t, n]) => `${t} ${n}`).join(', '),
      `matrix: ${this.matrix.size} (role, kind) rows × ${types.length + 1} columns, ` +
        `${cells} cells reached; rows seen only without faults: ` +
        (faultFree.map(([row]) => row).join(', ') || 'none'),
      ...[...this.reached].map(
        ([name, n]) => `  sometimes ${n > 0 ? 'reached' : 'MISSED '} ${n} × ${name}`,
      ),
    ];
  }
}
