// Determinism: one seed gives one trace, byte for byte; a different seed gives another. (That
// the layers below never read the clock or draw randomness is testing/purity.test.ts's.)
import { describe, expect, it } from 'vitest';

import { WalletShardActor } from '../actors/wallet_shard.actor.ts';
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

  it('how many wallets a shard keeps live changes nothing: one per shard gives the same run', () => {
    const a = new Simulation(scenario).run();
    const b = new Simulation(scenario, { hotWallets: 1 }).run();
    expect(b.trace.hash).toBe(a.trace.hash);
    expect([...b.checkers.terminal]).toEqual([...a.checkers.terminal]);
    const tables = (sim: Simulation) =>
      [...sim.hosts.values()]
        .map((h) => h.current)
        .filter((actor): actor is WalletShardActor => actor instanceof WalletShardActor)
        .map((shard) => shard.wallets);
    const activations = (sim: Simulation) =>
      tables(sim).reduce((sum, table) => sum + table.activations, 0);
    // One live wallet: nearly every step activates one from its bytes; thousands: few do.
    expect(activations(b)).toBeGreaterThan(2 * activations(a));
    for (const table of tables(b)) expect(table.hotCount).toBe(1);
    // The stores hold the same records, byte for byte.
    for (const [address, host] of a.hosts) {
      const other = (b.hosts.get(address) as typeof host).store.durable;
      for (const [key, value] of host.store.durable) {
        if (typeof value === 'string') expect(other.get(key)).toBe(value);
      }
    }
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
