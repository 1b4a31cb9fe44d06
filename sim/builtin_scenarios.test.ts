// Each built-in scenario, run scaled down (the pilot at its own size), with every invariant
// checked; the pilot's totals against the figures it reproduces.
import { describe, expect, it } from 'vitest';

import { BUILTIN_SCENARIOS } from '../world/builtin_scenarios.ts';
import { scenarioFrom } from '../world/scenario.ts';
import { buildResult } from './report.ts';
import { Simulation } from './simulation.ts';

function run(name: string, scale?: number) {
  const builtin = BUILTIN_SCENARIOS.get(name);
  if (builtin === undefined) throw new Error(`no built-in ${name}`);
  const sim = new Simulation(scenarioFrom(builtin.at(scale ?? builtin.scale))).run();
  const result = buildResult(sim, {
    worldBuildMs: 0,
    runMs: 1,
    peakRssBytes: 0,
    worldHeapBytes: null,
  });
  const failed = Object.entries(result.invariants).filter(([, r]) => !r.ok);
  expect(failed).toEqual([]);
  return { sim, result };
}

describe('the built-in scenarios, run', () => {
  it('pilot-2024-12 at its own size reproduces 1,423 transfers and 399,000 yuan within 10 %', () => {
    const { result } = run('pilot-2024-12');
    const reported = result.reported;
    expect(reported).not.toBeNull();
    const { transfers, yuan } = reported!;
    expect(transfers.reported).toBe(1_423);
    expect(Math.abs(transfers.simulated / 1_423 - 1)).toBeLessThan(0.1);
    expect(Math.abs(Number(yuan.simulated) / 399_000 - 1)).toBeLessThan(0.1);
    expect(result.population).toMatchObject({ wallets: 27_000, provinces: 9, regions: 31 });
    // A month of days, each with its line.
    expect(result.days).toHaveLength(31);
    expect(result.days[0]).toMatchObject({ day: 0, date: '2024-12-02' });
    expect(result.days.reduce((n, d) => n + d.transfersCompleted, 0)).toBe(transfers.simulated);
  }, 120_000);

  it('national-2025 at 1:3,000: a year of days, wallets opening stage by stage', () => {
    const { result } = run('national-2025', 3_000);
    expect(result.days).toHaveLength(365);
    // Nearly every wallet opened where its region got the wallet in 2025 (not Guangdong's).
    expect(result.requests.open).toBeGreaterThan(100);
    expect(result.counts['open.local.opened']).toBeGreaterThan(0.9 * result.requests.open!);
    expect(result.rates.scale).toBe(3_000);
  }, 120_000);

  it('mature at 1:20,000 reports its rates, national-equivalent ≈ DOMAIN §4.4’s', () => {
    const { result } = run('mature', 20_000);
    const national = result.rates.nationalEquivalent;
    expect(national.settlements).toBeGreaterThan(200);
    expect(national.settlements).toBeLessThan(225);
    expect(national.transfers).toBeGreaterThan(6.5);
    expect(national.crossProvinceSettlements).toBeGreaterThan(4);
    expect(national.crossProvinceSettlements).toBeLessThan(14);
    expect(result.rates.simulated.settlements! * 20_000).toBeCloseTo(national.settlements!, 0);
    expect(result.reported).toBeNull();
  }, 120_000);

  it('stress-day at 1:50,000: transfers at 300/s national-equivalent', () => {
    const { result } = run('stress-day', 50_000);
    expect(result.rates.nationalEquivalent.transfers).toBeGreaterThan(290);
  }, 120_000);

  it('partition-storm at 1:20,000: every invariant holds under its faults', () => {
    const { sim, result } = run('partition-storm', 20_000);
    expect(result.faults.length).toBeGreaterThan(30);
    expect(sim.droppedPartition + sim.droppedDown + sim.network.lost).toBeGreaterThan(0);
  }, 120_000);
});
