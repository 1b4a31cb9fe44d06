// The bench's fixed scenario, shared by the bench and by profiling scripts.
import { DEFAULT_SCENARIO, type Scenario } from '../world/scenario.ts';

const HOUR = 3_600_000;

/** Fixed: 31 provinces, 100,000 wallets, 24,000 transfers, network faults but no crashes (a crash
 * rebuilds actors from durable records, which a replay without persistence cannot mirror). */
export const BENCH_SCENARIO: Scenario = {
  ...DEFAULT_SCENARIO,
  name: 'bench',
  seed: 7,
  faults: [
    {
      type: 'partition',
      at: 9 * HOUR,
      durationMs: 600_000,
      groupA: ['province.51'],
      groupB: ['wallet.*'],
      oneWay: false,
    },
    { type: 'loss', at: 12 * HOUR, durationMs: 1_800_000, rate: 0.05 },
    { type: 'duplicate', at: 13 * HOUR, durationMs: 3_600_000, rate: 0.05 },
    { type: 'reorder', at: 15 * HOUR, durationMs: 1_200_000, rate: 0.2, delayMsMax: 2_000 },
  ],
};
