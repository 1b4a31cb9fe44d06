// Journal folding and the record codec, without a broker: what a restart reads back must be what
// the actors wrote, snapshots count only when complete, and revived actors behave the same.
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Simulation } from '../sim/simulation.ts';
import { scenarioFrom } from '../world/scenario.ts';
import { JournalFold } from './journal.ts';
import { encodeRecordValues, pack, unpack } from './record_codec.ts';
import { recount } from '../world/recount.ts';

function roundTrip(records: ReadonlyMap<string, unknown>): Map<string, unknown> {
  const keys = [...records.keys()];
  const [k, v] = unpack(pack([keys, encodeRecordValues([...records.values()])])) as [
    string[],
    unknown[],
  ];
  return new Map(k.map((key, i) => [key, v[i]]));
}

describe('JournalFold', () => {
  it('applies batches in order, a later write of a key winning', () => {
    const fold = new JournalFold();
    fold.apply(['b', ['a:1', 'a:2'], [1n, 2n]]);
    fold.apply(['b', ['a:1'], [5n]]);
    expect([...fold.records]).toEqual([
      ['a:1', 5n],
      ['a:2', 2n],
    ]);
  });

  it('replaces everything with a snapshot once all its chunks are in', () => {
    const fold = new JournalFold();
    fold.apply(['b', ['old'], [1]]);
    fold.apply(['s', 'x', 0, 2, ['a'], [1]]);
    expect([...fold.records.keys()]).toEqual(['old']); // half a snapshot changes nothing yet
    fold.apply(['s', 'x', 1, 2, ['b'], [2]]);
    fold.apply(['b', ['c'], [3]]);
    expect([...fold.records]).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
  });

  it('ignores a snapshot cut short by a crash (an open marker follows its first chunks)', () => {
    const fold = new JournalFold();
    fold.apply(['b', ['kept'], [1]]);
    fold.apply(['s', 'x', 0, 3, ['lost'], [9]]);
    fold.apply(['o', 'next-owner']);
    fold.apply(['s', 'x', 1, 3, ['lost2'], [9]]);
    fold.apply(['b', ['after'], [2]]);
    expect([...fold.records]).toEqual([
      ['kept', 1],
      ['after', 2],
    ]);
  });

  it('refuses an entry of unknown type, naming it', () => {
    expect(() => new JournalFold().apply(['z'] as never)).toThrow(/unknown type z/);
  });
});

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
