// The record codec (host/record_codec.ts), on every durable record of simulated runs: what a
// journal would store reads back exact (bigints, snapshots as value + context), and actors
// rebuilt from decoded records resume exactly as from live ones.
import { isDeepStrictEqual } from 'node:util';

import { describe, expect, it } from 'vitest';

import { encodeRecordValues, pack, unpack } from '../host/record_codec.ts';
import { recount } from '../world/recount.ts';
import { scenarioFrom } from '../world/scenario.ts';
import { Simulation } from './simulation.ts';

function roundTrip(records: ReadonlyMap<string, unknown>): Map<string, unknown> {
  const keys = [...records.keys()];
  const [k, v] = unpack(pack([keys, encodeRecordValues([...records.values()])])) as [
    string[],
    unknown[],
  ];
  return new Map(k.map((key, i) => [key, v[i]]));
}

describe('record codec', () => {
  const small = {
    topology: { provinces: 3, regionsPerProvinceMax: 3 },
    population: { wallets: 400 },
    workload: { transfers: 300 },
    protocol: { walletShardCount: 2 },
    faults: [],
  };
  const scenario = scenarioFrom(small);

  it('round-trips every durable record of a run: bigints exact, snapshots as value + context', () => {
    const sim = new Simulation(scenario).run();
    expect(sim.checkers.ok).toBe(true);
    for (const host of sim.hosts.values()) {
      const back = roundTrip(host.store.durable);
      expect(back.size).toBe(host.store.durable.size);
      host.store.durable.forEach((value, key) => {
        const snapshot = value as { machine?: unknown; value: unknown; context: unknown };
        const expected =
          snapshot !== null && typeof snapshot === 'object' && 'machine' in snapshot
            ? { value: snapshot.value, context: snapshot.context }
            : value;
        if (!isDeepStrictEqual(back.get(key), expected))
          throw new Error(`${host.address} ${key} changed in the round trip`);
      });
    }
    const views = [...sim.hosts.values()].map((h) => ({
      address: h.address,
      store: { durable: roundTrip(h.store.durable) },
    }));
    expect(recount(views)).toEqual(recount(sim.hosts.values()));
  });

  it('actors rebuilt from decoded records resume exactly as from live ones (a crash mid-run)', () => {
    const crashAt = { at: 12 * 3_600_000, durationMs: 20 * 60_000 }; // noon: transfers in flight
    const faulted = scenarioFrom({
      ...small,
      faults: [{ type: 'crash', node: 'wallet.00', ...crashAt }],
    });
    const live = new Simulation(faulted).run();
    // Same run, but every restart reads its records back through the codec.
    const decoded = new Simulation(faulted);
    let restarts = 0;
    for (const host of decoded.hosts.values()) {
      const store = host.store as unknown as { durable: Map<string, unknown> };
      const restart = host.restart.bind(host);
      host.restart = () => {
        const back = roundTrip(store.durable);
        store.durable.clear();
        back.forEach((v, k) => store.durable.set(k, v));
        restarts++;
        restart();
      };
    }
    decoded.run();
    expect(restarts).toBe(1);
    expect(live.droppedDown).toBeGreaterThan(0); // the crash met traffic
    expect(decoded.checkers.ok).toBe(true);
    expect(decoded.trace.hash).toBe(live.trace.hash);
  });
});
