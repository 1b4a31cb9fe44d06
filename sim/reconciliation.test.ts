// K3 on the simulated network: every POS reconciles each day's settled bills with their
// treatment regions at 02:00 the next day and applies for each month's clearing (3203), and a
// bill a POS says it settled that its region never paid for is named by the region and fails
// the run's clearing check.
import { describe, expect, it } from 'vitest';

import { APP_ADDRESS, provinceAddress } from '../actors/addresses.ts';
import { provinceOfRegion } from '../actors/regions.ts';
import { encodeEnvelope } from '../protocol/index.ts';
import { readParties } from '../world/parties.ts';
import { checkUnrecorded } from '../world/payment_checks.ts';
import { countOutcomes } from '../world/result.ts';
import { scenarioFrom } from '../world/scenario.ts';
import { Simulation } from './simulation.ts';

const SMALL = {
  topology: { provinces: 4, regionsPerProvinceMax: 3 },
  population: { wallets: 3_000 },
  workload: { transfers: 200, bills: 600, contributions: 0, binds: 0, revokes: 0 },
  faults: [],
};

/** A POS's 3202 detail, sent at the start of the run, for a bill in a region. */
function forgeDetail(sim: Simulation, billId: string, region: string): void {
  const to = provinceAddress(provinceOfRegion(region));
  const frame = encodeEnvelope({
    v: 1,
    id: `forged-${billId}`,
    kind: 'provider.detail',
    from: APP_ADDRESS,
    to,
    corr: billId,
    sentAt: 0,
    body: { region, day: 20_250_929, billId, total: 100n },
  });
  sim.network.send(APP_ADDRESS, to, frame);
}

function counts(sim: Simulation): Record<string, number> {
  return countOutcomes(sim.checkers, { pending: false, requireReceipt: true }).counts;
}

describe('K3: daily reconciliation between the POS and the treatment regions', () => {
  it('K3: every region-day with settled bills is reconciled, agreed or explained bill by bill, and none is unrecorded', () => {
    // A province is down over the next day's 02:00: the POS retries until it answers.
    const [first] = new Simulation(scenarioFrom(SMALL)).world.topology.provinces;
    const node = provinceAddress(first!.code);
    const crash = { type: 'crash', at: 25 * 3_600_000, duration: '2h', node };
    const sim = new Simulation(scenarioFrom({ ...SMALL, faults: [crash] })).run();
    const c = counts(sim);
    expect(c['provider.reconcile.agreed']).toBeGreaterThan(0);
    expect(c['provider.reconcile.unrecorded']).toBe(0);
    expect(sim.app.reconciliation.open).toBe(0);
    // Every day with a settled bill in a region was reconciled for that region.
    const paidDays = new Set<string>();
    for (const [address, host] of sim.hosts) {
      if (!address.startsWith('province.')) continue;
      for (const [key, value] of host.store.durable) {
        const payment = value as { treatmentRegion: string; day?: number };
        if (key.startsWith('pv:') && payment.day !== undefined)
          paidDays.add(`${payment.treatmentRegion}.${payment.day}`);
      }
    }
    const reconciled = c['provider.reconcile.agreed']! + c['provider.reconcile.differed']!;
    expect(reconciled).toBe(paidDays.size);
    // 3203: every region with a payment standing in a month was applied to for that month once
    // it was over, and, the POS leaving out the bills it saw undone, the figures agree.
    const paidMonths = new Set<string>();
    const applied = new Set<string>();
    for (const [address, host] of sim.hosts) {
      if (!address.startsWith('province.')) continue;
      for (const [key, value] of host.store.durable) {
        const record = value as { treatmentRegion: string; month: number; state: string };
        if (key.startsWith('pv:') && record.state === 'paid')
          paidMonths.add(`${record.treatmentRegion}.${record.month}`);
        if (key.startsWith('ap:')) applied.add(key.slice('ap:'.length));
      }
    }
    expect(paidMonths.size).toBeGreaterThan(0);
    for (const key of paidMonths) expect(applied, key).toContain(key);
    expect(c['provider.apply.agreed']).toBe(applied.size);
    expect(c['provider.apply.differed']).toBe(0);
    expect([...sim.checkers.results].filter(([, r]) => !r.ok)).toEqual([]);
  });

  it('K3: a settled bill its treatment region named unrecorded and holds no payment for fails the clearing check, named', () => {
    const sim = new Simulation(scenarioFrom(SMALL));
    const settled = (id: string) => sim.checkers.bills.get(id)?.outcome === 'settled';
    const bills = sim.world.workload.filter((i) => i.kind === 'bill');
    // Asked about every bill before any is paid, the regions name them all unrecorded; the
    // payments that follow answer for them, so the run is clean.
    for (const bill of bills)
      if (bill.kind === 'bill') forgeDetail(sim, bill.billId, bill.treatmentRegion);
    sim.run();
    expect(counts(sim)['provider.reconcile.unrecorded']).toBe(bills.length);
    expect([...sim.checkers.results].filter(([, r]) => !r.ok)).toEqual([]);
    // A settled bill whose payment record is lost is what K3 is there to catch: named.
    const lost = bills.find((b) => b.kind === 'bill' && settled(b.billId));
    if (lost?.kind !== 'bill') throw new Error('no bill settled');
    const province = sim.hosts.get(provinceAddress(provinceOfRegion(lost.treatmentRegion)))!;
    (province.store.durable as Map<string, unknown>).delete(`pv:${lost.billId}`);
    const found: string[] = [];
    const parties = readParties(sim.hosts.values());
    checkUnrecorded(sim.checkers, parties, (_, detail) => found.push(detail));
    const named = `${lost.billId} in ${lost.treatmentRegion}`;
    expect(found).toEqual([`1 bill(s) settled at the POS and never recorded (K3): ${named}`]);
  });

  it("K3: a faulty POS's detail for a bill no one started is named and counted, and breaks nothing", () => {
    const sim = new Simulation(scenarioFrom(SMALL));
    const region = sim.world.topology.provinces[0]!.regions[0]!.code;
    forgeDetail(sim, 'NEVER', region);
    sim.run();
    expect(counts(sim)['provider.reconcile.unrecorded']).toBe(1);
    expect([...sim.checkers.results].filter(([, r]) => !r.ok)).toEqual([]);
  });
});
