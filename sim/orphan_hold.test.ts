// Orphan holds in a whole run: a faulty wallet host's valid-looking reserve for a transfer no
// saga knows holds money at a province; the province asks the shard about it once the hold is
// older than orphanHoldAfterMs, and releases it. Every invariant holds throughout.
import { expect, it } from 'vitest';

import { RECORDS, type TxnRecord } from '../actors/records.ts';
import { encodeEnvelope } from '../protocol/index.ts';
import { drawPopulation } from '../world/build.ts';
import { scenarioFrom } from '../world/scenario.ts';
import { Simulation } from './simulation.ts';

it('a reserve from a shard that knows no such transfer is released after orphanHoldAfterMs', () => {
  const scenario = scenarioFrom({
    topology: { provinces: 2, regionsPerProvinceMax: 2 },
    population: { wallets: 400 },
    workload: { transfers: 100 },
    protocol: { walletShardCount: 2, orphanHoldAfterMs: 600_000 },
    faults: [],
  });
  const sim = new Simulation(scenario);
  const { population } = drawPopulation(scenario); // the simulation's own is let go once built
  const donor = population.people.find((p) => p.ebmi && p.openingBalance > 10_000n);
  if (donor === undefined) throw new Error('no donor with money');
  const province = `province.${donor.province}`;
  const frame = encodeEnvelope({
    v: 1,
    id: 'orphan-frame',
    kind: 'account.reserve',
    from: 'wallet.01',
    to: province,
    corr: 'ORPHAN-1',
    sentAt: 0,
    body: { transferId: 'ORPHAN-1', accountId: donor.id, amount: 5_000n },
  });
  sim.network.send('wallet.01', province, frame);
  sim.run();
  const txn = sim.hosts.get(province)?.store.durable.get(RECORDS.txn.key('ORPHAN-1'));
  expect(txn as TxnRecord).toMatchObject({
    state: 'released',
    orphan: true,
    owner: 'wallet.01',
  });
  expect(sim.checkers.orphaned.get('transfer')).toBe(1);
  for (const [name, result] of sim.checkers.results) expect(result.ok, name).toBe(true);
});
