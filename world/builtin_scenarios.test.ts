import { describe, expect, it } from 'vitest';

import { parseDate } from '../actors/calendar.ts';
import { DAY_MS } from '../actors/config.ts';
import { WALLET_ROLLOUT, walletEnabled } from '../actors/policy.ts';
import { buildWorld, drawPopulation } from './build.ts';
import { BUILTIN_SCENARIOS } from './builtin_scenarios.ts';
import { scenarioFrom } from './scenario.ts';
import { PILOT_PROVINCES_2024_12 } from './topology.data.ts';

const at = (name: string, scale?: number) => {
  const builtin = BUILTIN_SCENARIOS.get(name);
  if (builtin === undefined) throw new Error(`no built-in ${name}`);
  return scenarioFrom(builtin.at(scale ?? builtin.scale));
};

describe('the built-in scenarios', () => {
  it('are five, each a valid scenario at its own scale and at a smaller one', () => {
    expect([...BUILTIN_SCENARIOS.keys()]).toEqual([
      'pilot-2024-12',
      'national-2025',
      'mature',
      'stress-day',
      'partition-storm',
    ]);
    for (const [name, builtin] of BUILTIN_SCENARIOS) {
      const own = at(name);
      expect(own.name).toBe(name);
      expect(own.workload.scale).toBe(builtin.scale);
      const national = own.population.nationalWallets as number;
      expect(own.population.wallets).toBe(Math.round(national / builtin.scale));
      const small = at(name, builtin.scale * 10);
      expect(small.population.wallets).toBe(
        Math.max(2, Math.round(national / (builtin.scale * 10))),
      );
    }
    expect(at('mature').population.wallets).toBe(7_400_000);
    expect(at('partition-storm').faults.length).toBeGreaterThan(30);
  });

  it('pilot-2024-12: people only in the 9 provinces and 31 regions of the first stage', () => {
    const scenario = at('pilot-2024-12', 10);
    const { population } = drawPopulation(scenario);
    const provinces = new Set(population.people.map((p) => p.province));
    const regions = new Set(population.people.map((p) => p.region));
    expect([...provinces].sort()).toEqual([...PILOT_PROVINCES_2024_12].sort());
    expect(regions.size).toBe(31);
    const start = parseDate('2024-12-02');
    for (const region of regions) expect(walletEnabled(region, start)).toBe(true);
    // Its wallet transfers are across provinces: that was the pilot's point.
    expect(population.relations.every((r) => r.scope === 'crossProvince')).toBe(true);
  });

  it('national-2025: wallets of regions not yet on start unopened and open after their stage', () => {
    const scenario = at('national-2025', 2_000);
    const world = buildWorld(scenario);
    const people = world.population.people;
    const jan1 = parseDate('2025-01-01');
    const recipients = new Set(world.population.relations.map((r) => r.recipientId));
    const donors = new Set(world.population.relations.map((r) => r.donorId));
    const late = people.filter((p) => !donors.has(p.id) && !walletEnabled(p.region, jan1));
    expect(late.length).toBeGreaterThan(100);
    expect(late.every((p) => p.walletStatus === 'unopened')).toBe(true);
    const opens = world.workload.filter((i) => i.kind === 'open');
    expect(opens.length).toBeGreaterThan(50);
    const byId = world.population.personById;
    const stageDays = WALLET_ROLLOUT.map((s) =>
      Math.round(
        (Date.UTC(s.from.year, s.from.month - 1, s.from.day) - Date.UTC(2025, 0, 1)) / DAY_MS,
      ),
    );
    for (const open of opens) {
      const person = byId.get(open.walletId);
      expect(person && recipients.has(person.id)).toBe(true);
      const day = Math.floor(open.at / DAY_MS);
      // The first stage on or after which the region is on: the opening is within 28 days.
      const stage = stageDays.find(
        (d) => d >= 0 && walletEnabled(person!.region, parseDate(isoOf(d))),
      ) as number;
      expect(day).toBeGreaterThanOrEqual(stage);
      expect(day).toBeLessThan(stage + 28);
    }
    // Guangdong's wallet never comes in 2025: none of its people open one.
    expect(opens.some((o) => byId.get(o.walletId)?.province === '44')).toBe(false);
  });

  it('mature: the bills’ geography of the data, about 4 % across provinces and 3 % across regions', () => {
    const world = buildWorld(at('mature', 5_000));
    const bills = world.workload.filter((i) => i.kind === 'bill');
    expect(bills.length).toBe(3_663); // 212/s × 86,400 s ÷ 5,000, an ordinary Tuesday
    const share = (scope: string) => bills.filter((b) => b.scope === scope).length / bills.length;
    expect(share('crossProvince')).toBeGreaterThan(0.03);
    expect(share('crossProvince')).toBeLessThan(0.05);
    expect(share('sameProvince')).toBeGreaterThan(0.02);
    expect(share('sameProvince')).toBeLessThan(0.04);
    const transfers = world.workload.filter((i) => i.kind === 'transfer').length;
    expect(transfers).toBeGreaterThanOrEqual(121); // 7/s ÷ 5,000, and the follow-ups of opens
  });
});

function isoOf(day: number): string {
  return new Date(Date.UTC(2025, 0, 1) + day * DAY_MS).toISOString().slice(0, 10);
}
