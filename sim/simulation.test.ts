// The simulation loop: full recounts run once per multiple of `checkpointEveryDeliveries` plus
// once at the end, however many messages partitions and crashes drop in between.
import { expect, it } from 'vitest';

import { DEFAULT_SCENARIO } from '../world/scenario.ts';
import { Simulation } from './simulation.ts';

it('checkpoints once per multiple of delivered messages, dropped ones not counted', () => {
  const sim = new Simulation({
    ...DEFAULT_SCENARIO,
    population: { wallets: 400 },
    workload: { transfers: 400 },
    // Every delivery is a multiple: a drop that re-triggered a recount would show at once.
    checks: { ...DEFAULT_SCENARIO.checks, checkpointEveryDeliveries: 1 },
  });
  let checkpoints = 0;
  const recount = sim.checkpoint.bind(sim);
  sim.checkpoint = () => {
    checkpoints++;
    recount();
  };
  sim.run();
  // The default faults drop messages at partitions and crashed nodes: they must not re-trigger.
  expect(sim.droppedPartition + sim.droppedDown).toBeGreaterThan(0);
  expect(checkpoints).toBe(sim.deliveries + 1);
  expect(sim.checkers.ok).toBe(true);
});
