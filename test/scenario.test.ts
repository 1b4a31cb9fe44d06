// Scenario files: defaults are overridden field by field; every bad field is refused with an
// error that names it and the value, and a bad file changes nothing (no partial scenario).
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_SCENARIO, ScenarioError, duration, scenarioFrom, time } from '../sim/scenario.ts';

describe('scenario files', () => {
  it('an empty file is the default national day', () => {
    expect(scenarioFrom({})).toEqual({ ...DEFAULT_SCENARIO, transfers: undefined });
  });

  it('YAML overrides fields, with readable times, durations and yuan amounts', () => {
    const scenario = scenarioFrom(parse(`
name: pilot
seed: 42
population: { wallets: 500, crossProvinceShare: 0.5 }
protocol: { variant: timeoutFails, walletShardCount: 2 }
faults:
  - { type: partition, at: "08:30", duration: 10m, groupA: [province.51], groupB: ["wallet.*"], oneWay: true }
  - { type: crash, at: "D1+00:00:05", duration: 30s, node: wallet.01 }
transfers:
  - { at: "10:00", relation: 3, amount: "500.5" }
`));
    expect(scenario.name).toBe('pilot');
    expect(scenario.population.wallets).toBe(500);
    expect(scenario.population.crossProvinceShare).toBe(0.5);
    expect(scenario.protocol.variant).toBe('timeoutFails');
    expect(scenario.protocol.transfersPerDayMax).toBe(3);
    expect(scenario.faults[0]).toEqual({ type: 'partition', at: 30_600_000, durationMs: 600_000,
      groupA: ['province.51'], groupB: ['wallet.*'], oneWay: true });
    expect(scenario.faults[1]).toMatchObject({ type: 'crash', at: 86_405_000, durationMs: 30_000 });
    expect(scenario.transfers).toEqual([{ at: 36_000_000, relation: 3, amount: 50_050n }]);
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['a negative wallet count', { population: { wallets: -3 } }, /population\.wallets.*-3/],
    ['a fractional seed', { seed: 1.5 }, /scenario\.seed/],
    ['an unknown field', { populaton: {} }, /unknown field 'populaton'/],
    ['an unknown variant', { protocol: { variant: 'yolo' } }, /protocol\.variant.*yolo/],
    ['a share above 1', { population: { donorShare: 1.5 } }, /donorShare/],
    ['an unknown fault type', { faults: [{ type: 'meteor', at: 0, duration: 1 }] }, /faults\[0\]\.type.*meteor/],
    ['a time of day past 23:59', { faults: [{ type: 'loss', at: '25:00', duration: '1m', rate: 0.1 }] }, /faults\[0\]\.at/],
    ['a duration without a unit', { faults: [{ type: 'loss', at: 0, duration: '5 minutes', rate: 0.1 }] }, /duration/],
    ['a transfer amount with 3 decimals', { transfers: [{ at: 0, relation: 0, amount: '1.001' }] }, /transfers\[0\]\.amount/],
    ['a negative transfer amount', { transfers: [{ at: 0, relation: 0, amount: -5 }] }, /transfers\[0\]\.amount/],
    ['NaN as a latency', { network: { latencyMsMedian: Number.NaN } }, /latencyMsMedian/],
    ['retry max below min', { protocol: { retryDelayMsMin: 100, retryDelayMsMax: 10 } }, /retryDelayMsMax/],
    ['a list instead of a mapping', [1, 2], /expected a mapping/],
  ];
  for (const [what, input, message] of bad) {
    it(`refuses ${what}, naming the field`, () => {
      expect(() => scenarioFrom(input)).toThrow(ScenarioError);
      expect(() => scenarioFrom(input)).toThrow(message);
    });
  }

  it('parses times and durations', () => {
    expect(time('06:00', 'x')).toBe(21_600_000);
    expect(time('D2+01:02:03', 'x')).toBe(2 * 86_400_000 + 3_723_000);
    expect(duration('250ms', 'x')).toBe(250);
    expect(duration('1.5h', 'x')).toBe(5_400_000);
    expect(() => time('6am', 'x')).toThrow(/HH:MM/);
  });
});

describe('a small topology with the default region cap', () => {
  it('builds: `topology: { provinces: 3 }` alone is a valid scenario', async () => {
    const { Simulation } = await import('../sim/simulation.ts');
    const scenario = scenarioFrom({ topology: { provinces: 3 }, population: { wallets: 300 }, workload: { transfers: 50 }, faults: [] });
    const sim = new Simulation(scenario);
    expect(sim.world.topology.provinces).toHaveLength(3);
    expect(sim.run().checkers.ok).toBe(true);
  });
});
