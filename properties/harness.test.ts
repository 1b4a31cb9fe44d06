// The liveness diagnosis a failing property prints: an exchange repeated over and over is named
// as a possible livelock, with its kind, id and link. A POS whose answers are cut off for two
// hours re-sends its pre-settlement every 30 s: a livelock while the cut lasts.
import { describe, expect, it } from 'vitest';

import { Simulation } from '../sim/simulation.ts';
import { scenarioFrom } from '../world/scenario.ts';
import { liveness } from './harness.ts';

describe('liveness diagnosis', () => {
  it('names an exchange repeated again and again, and nothing in a quiet run', () => {
    const base = {
      seed: 3,
      topology: { provinces: 1, regionsPerProvinceMax: 1 },
      population: { wallets: 12 },
      transfers: [],
      bills: [
        {
          at: 36_000_000,
          patient: 0,
          where: 'local',
          care: 'outpatient',
          amount: '10',
          action: 'settle',
          useWallet: false,
          emergency: false,
        },
      ],
      checks: { checkpointEveryDeliveries: 200, lifecycleBoundMs: 300_000 },
    };
    const quiet = new Simulation(scenarioFrom({ ...base, faults: [] })).run();
    expect(liveness(quiet)).toEqual([]);
    const cut = new Simulation(
      scenarioFrom({
        ...base,
        faults: [
          {
            type: 'partition',
            at: 35_999_000,
            durationMs: 2 * 3_600_000,
            groupA: ['wallet.*'],
            groupB: ['app.0'],
            oneWay: true,
          },
        ],
      }),
    ).run();
    const lines = liveness(cut);
    expect(
      lines.some((l) => /^livelock\? bill\.presettle s0 app\.0 -> wallet\.\d+ delivered/.test(l)),
    ).toBe(true);
  });
});
