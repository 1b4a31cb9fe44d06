// Determinism: one seed gives one trace, byte for byte; a different seed gives another. (That
// the layers below never read the clock or draw randomness is testing/purity.test.ts's.)
import { describe, expect, it } from 'vitest';

import { DEFAULT_SCENARIO, type Scenario } from '../world/scenario.ts';
import { Simulation } from './simulation.ts';

// The default day's faults (partitions, loss, duplicates, reordering, crashes), at a smaller size.
const scenario: Scenario = {
  ...DEFAULT_SCENARIO,
  population: { wallets: 6_000 },
  workload: { transfers: 2_500 },
};

describe('determinism', () => {
  it('the same seed twice gives the same trace hash and the same outcomes', () => {
    const a = new Simulation(scenario).run();
    const b = new Simulation(scenario).run();
    expect(a.deliveries).toBeGreaterThan(10_000);
    expect(b.trace.hash).toBe(a.trace.hash);
    expect(b.deliveries).toBe(a.deliveries);
    expect(b.virtualMs).toBe(a.virtualMs);
    expect([...b.checkers.terminal]).toEqual([...a.checkers.terminal]);
    expect(a.checkers.ok).toBe(true);
  });

  it('another seed gives another trace', () => {
    const a = new Simulation(scenario).run();
    const b = new Simulation({ ...scenario, seed: scenario.seed + 1 }).run();
    expect(b.trace.hash).not.toBe(a.trace.hash);
  });

  it('the fault schedule is part of the trace: the same seed without faults differs', () => {
    const a = new Simulation(scenario).run();
    const b = new Simulation({ ...scenario, faults: [] }).run();
    expect(b.trace.hash).not.toBe(a.trace.hash);
  });
});
