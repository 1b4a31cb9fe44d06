// F4 in a generated run: the workload's contributions reach E3's exception. Some account
// payments go to a close relative in the payer's province who has no relation and is not
// enrolled; paying enrols them, on the resident fund's registry record.
import { expect, it } from 'vitest';

import { type PersonRecord, RECORDS } from '../actors/records.ts';
import { provinceOfRegion } from '../actors/regions.ts';
import { drawPopulation } from '../world/build.ts';
import type { ContributionIntent } from '../world/payments.ts';
import { scenarioFrom } from '../world/scenario.ts';
import { Simulation } from './simulation.ts';

it('E3: generated contributions enrol relatives who were not enrolled and had no relation', () => {
  const scenario = scenarioFrom({
    topology: { provinces: 2, regionsPerProvinceMax: 2 },
    population: { wallets: 3_000, unenrolledShare: 0.5 },
    workload: { transfers: 50, contributions: 300 },
    faults: [],
  });
  const sim = new Simulation(scenario).run();
  const { workload } = sim.world;
  const { population } = drawPopulation(scenario); // the simulation's own is let go once built
  const related = new Set(population.relations.map((r) => `${r.donorId}>${r.recipientId}`));
  const exceptions = workload.filter(
    (i): i is ContributionIntent =>
      i.kind === 'contribution' &&
      i.source === 'ACCOUNT' &&
      population.personById.get(i.personId)?.enrolled === false &&
      !related.has(`${i.payerId}>${i.personId}`),
  );
  expect(exceptions.length).toBeGreaterThan(0);
  const paid = exceptions.filter(
    (i) => sim.checkers.contributions.get(i.payId)?.outcome === 'paid',
  );
  expect(paid.length).toBeGreaterThan(0);
  for (const intent of paid) {
    const person = population.personById.get(intent.personId);
    const province = `province.${provinceOfRegion(person?.region ?? '')}`;
    const record = sim.hosts.get(province)?.store.durable.get(RECORDS.person.key(intent.personId));
    expect((record as PersonRecord | undefined)?.enrolled, intent.payId).toBe(true);
  }
  for (const invariant of sim.checkers.results.values()) expect(invariant.ok).toBe(true);
});
