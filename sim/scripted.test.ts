// Scripted scenarios run: a small topology from defaults alone, and a script over every flow with
// faults over the same minutes, with every invariant holding and the report listing each step.
import { describe, expect, it } from 'vitest';

import { MIXED } from '../testing/scenarios.ts';
import { scenarioFrom } from '../world/scenario.ts';
import { describeScript } from '../world/scenario_file.ts';
import { Simulation } from './simulation.ts';

describe('a small topology with the default region cap', () => {
  it('builds: `topology: { provinces: 3 }` alone is a valid scenario', () => {
    const scenario = scenarioFrom({
      topology: { provinces: 3 },
      population: { wallets: 300 },
      workload: { transfers: 50 },
      faults: [],
    });
    const sim = new Simulation(scenario);
    expect(sim.world.topology.provinces).toHaveLength(3);
    expect(sim.run().checkers.ok).toBe(true);
  });
});

describe('a scripted workload mixing every flow', () => {
  const scenario = scenarioFrom(MIXED);

  it('runs with every invariant holding, and the report lists every scripted step', () => {
    const sim = new Simulation(scenario).run();
    expect(sim.checkers.ok, JSON.stringify([...sim.checkers.results])).toBe(true);
    expect(sim.checkers.bindTerminal.size).toBe(5);
    expect([...sim.checkers.bills.keys()].sort()).toEqual(['s0', 's1', 's2', 's3', 's4']);
    expect([...sim.checkers.contributions.keys()].sort()).toEqual(['c0', 'c1', 'c2']);
    expect(describeScript(scenario)).toEqual([
      'transfers (3):',
      '  D0+10:00:30.000 relation #1 300.00 yuan',
      '  D0+10:00:00.000 relation #0 12.34 yuan',
      '  D0+10:00:10.000 relation #5 2500.00 yuan',
      'binds (5):',
      '  D0+10:00:10.000 candidate #0 claim true, face PASS',
      '  D0+10:00:05.000 candidate #1 claim true, face FAIL',
      '  D0+10:00:10.000 candidate #2 claim wrongKinship, face NONE',
      '  D0+10:00:40.000 candidate #3 claim wrongId, face PASS',
      '  D0+10:00:50.000 candidate #4 claim nonEmployee, face PASS',
      'ends (2):',
      '  D0+10:00:10.000 relation #2 revoked by the donor',
      '  D0+10:00:45.000 relation #3 revoked by the recipient',
      'enrolment changes (1):',
      "  D0+10:00:20.000 relation #4's donor",
      'wallet openings (1):',
      "  D0+10:00:35.000 relation #1's recipient",
      'bills (5):',
      '  D0+10:00:15.000 patient #0 outpatient care (local) 200.00 yuan, POS settle, wallet',
      '  D0+10:00:05.000 patient #3 pharmacy care (sameProvince) 88.50 yuan, POS cancelBefore',
      '  D0+10:00:10.000 patient #5 inpatient care (crossProvince) 12000.00 yuan, ' +
        'POS cancelAfter, wallet, emergency',
      '  D0+10:00:30.000 patient #7 chronic care (local) 650.00 yuan, POS timeout, wallet',
      '  D0+10:00:50.000 patient #9 outpatient care (local) 30.00 yuan, POS abandon',
      'contributions (3):',
      "  D0+10:00:25.000 relation #1 from the donor's account",
      "  D0+10:00:10.000 relation #2 from the recipient's wallet",
      "  D0+10:00:55.000 relation #0 from the donor's account, for next year",
    ]);
  });
});
