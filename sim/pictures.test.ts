// What the simulator samples for report.html: sampling changes no run, the samples add up to
// what the run did (deliveries, the conservation law at every bucket, the provinces' funds to
// the fund class), every operation is placed once, and a failed run keeps the deliveries that
// led to its first violation.
import { describe, expect, it } from 'vitest';

import { MONEY_CLASSES } from '../world/invariants.ts';
import { DEFAULT_SCENARIO, type Scenario } from '../world/scenario.ts';
import { FLOWS, OUTCOME_CLASSES } from '../world/timeline.ts';
import { Simulation } from './simulation.ts';

const scenario: Scenario = {
  ...DEFAULT_SCENARIO,
  population: { ...DEFAULT_SCENARIO.population, wallets: 2_000 },
  workload: { ...DEFAULT_SCENARIO.workload, transfers: 1_000 },
};
const broken: Scenario = {
  ...scenario,
  protocol: { ...scenario.protocol, variant: 'noDedup' },
};

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

describe('the timeline report.html draws', () => {
  const sim = new Simulation(scenario, { timeline: true }).run();
  const t = sim.pictures?.timeline;
  if (t === undefined || t === null) throw new Error('no timeline');

  it('changes nothing: the same trace hash as a run that does not sample', () => {
    expect(sim.checkers.ok).toBe(true);
    expect(new Simulation(scenario).run().trace.hash).toBe(sim.trace.hash);
  });

  it('counts every delivery once: the days add up to the run, the buckets to its window', () => {
    expect(sum(t.daily.deliveries)).toBe(sim.deliveries);
    expect(sum(t.deliveries)).toBeLessThanOrEqual(sim.deliveries);
    expect(sum(t.deliveries)).toBeGreaterThan(sim.deliveries / 2);
    expect(t.deliveries.length * t.bucketMs).toBe(t.windowMs);
  });

  it('samples money whole: at every bucket and day the classes add up to the opening', () => {
    const opening = Number(t.opening.replace('.', ''));
    for (const series of [t.money, t.daily.money]) {
      const samples = series.available.length;
      expect(samples).toBeGreaterThan(0);
      for (let i = 0; i < samples; i++)
        expect(sum(MONEY_CLASSES.map((cls) => series[cls][i] as number))).toBe(opening);
    }
    // Money moved while the window was sampled: held rose above zero at some point.
    expect(Math.max(...t.money.held)).toBeGreaterThan(0);
  });

  it("keeps each province's funds: together they are the fund class at every sample", () => {
    expect(t.provinces.length).toBeGreaterThan(1);
    for (const [funds, money] of [
      [t.funds, t.money.fund],
      [t.daily.funds, t.daily.money.fund],
    ] as const) {
      money.forEach((fund, i) => expect(sum(funds.map((row) => row[i] as number))).toBe(fund));
    }
  });

  it('places every operation once, by what became of it; none is left open', () => {
    const transfers = sum(OUTCOME_CLASSES.map((o) => sum(t.operations.transfer[o])));
    const refused = [...sim.checkers.terminal.values()].filter((x) => x.outcome === 'refused');
    expect(transfers).toBe(sim.checkers.accepted.size + refused.length);
    expect(sum(t.operations.bill.completed)).toBe(
      [...sim.checkers.bills.values()].filter((b) => b.outcome === 'settled').length,
    );
    for (const flow of FLOWS) expect(sum(t.operations[flow].open)).toBe(0);
    expect(sum(t.transfersCompleted)).toBe(sim.checkers.transfersCompleted);
    const p99 = Math.max(...t.latency.p99);
    expect(p99).toBeGreaterThan(0);
    expect(Math.max(...t.latency.max)).toBeGreaterThanOrEqual(p99);
  });

  it('has a clearing matrix per month, and no sequence diagram for a run that held', () => {
    expect(sim.pictures?.clearing.length).toBeGreaterThan(0);
    expect(sim.pictures?.clearing[0]?.cells.length).toBeGreaterThan(0);
    expect(sim.pictures?.sequence).toBeNull();
  });
});

describe("a failed run's counterexample", () => {
  it('keeps up to 2,000 deliveries ending at the step that broke the first invariant', () => {
    const sim = new Simulation(broken, { timeline: true }).run();
    expect(sim.checkers.ok).toBe(false);
    const seq = sim.pictures?.sequence;
    if (seq === null || seq === undefined) throw new Error('no sequence');
    expect(seq.messages.length).toBe(2000);
    expect(seq.skipped).toBeGreaterThan(0);
    const { violation } = seq;
    expect(violation.address).not.toBeNull();
    // The first violation in time, not the first invariant in the table's order.
    const firstAt = (detail: string) => detail.slice(0, detail.indexOf(':', 10));
    for (const result of sim.checkers.results.values()) {
      if (!result.ok) expect(firstAt(violation.detail) <= firstAt(result.detail ?? '')).toBe(true);
    }
    expect(sim.checkers.results.get(violation.invariant as never)?.ok).toBe(false);
    const last = seq.messages.at(-1);
    expect(last?.at).toBeLessThanOrEqual(violation.at);
    for (const m of seq.messages) expect(m.sentAt).toBeLessThanOrEqual(m.at);
  });
});
