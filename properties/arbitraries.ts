// fast-check arbitraries for whole scenarios: a small topology and population (from a seed), a
// scripted burst of transfers, and a fault schedule over the same window. Everything a run
// depends on is fast-check data, so a failing case shrinks to few transfers and few faults.
import fc from 'fast-check';
import { PROTOCOL_DEFAULTS, type ProtocolVariant } from '../actors/config.ts';
import { APP_ADDRESS, SETTLEMENT_ADDRESS, provinceAddress, walletShardAddress } from '../actors/addresses.ts';
import type { FaultEvent } from '../sim/faults.ts';
import { DEFAULT_SCENARIO, type Scenario, type ScriptedTransfer } from '../sim/scenario.ts';
import { PROVINCES } from '../sim/topology.data.ts';

/** Transfers and faults happen in this window of day 0 (10:00 + 60 s), away from the W8 blackout. */
export const WINDOW_START_MS = 10 * 3_600_000;
export const WINDOW_SPAN_MS = 60_000;

export interface Shape {
  readonly seed: number;
  readonly provinces: number;
  readonly regionsPerProvince: number;
  readonly wallets: number;
  readonly shards: number;
}

const shapeArb: fc.Arbitrary<Shape> = fc.record({
  seed: fc.nat({ max: 1_000_000 }),
  provinces: fc.integer({ min: 1, max: 4 }),
  regionsPerProvince: fc.integer({ min: 1, max: 3 }),
  wallets: fc.integer({ min: 6, max: 40 }),
  shards: fc.integer({ min: 1, max: 3 }),
});

export function addressesOf(shape: Shape): { all: string[]; crashable: string[] } {
  const provinces = PROVINCES.slice(0, shape.provinces).map((p) => provinceAddress(p.code));
  const shards = Array.from({ length: shape.shards }, (_, i) => walletShardAddress(i));
  const crashable = [...provinces, ...shards, SETTLEMENT_ADDRESS];
  return { all: [...crashable, APP_ADDRESS], crashable };
}

const at = fc.integer({ min: WINDOW_START_MS - 5_000, max: WINDOW_START_MS + WINDOW_SPAN_MS });
const durationMs = fc.integer({ min: 50, max: 120_000 });
const rate = fc.integer({ min: 1, max: 600 }).map((perMille) => perMille / 1000);

export function faultArb(shape: Shape): fc.Arbitrary<FaultEvent> {
  const { all, crashable } = addressesOf(shape);
  const group = fc.subarray(all, { minLength: 1, maxLength: 3 });
  return fc.oneof(
    fc.record({ type: fc.constant('partition' as const), at, durationMs, groupA: group, groupB: group, oneWay: fc.boolean() }),
    fc.record({ type: fc.constant('crash' as const), at, durationMs, node: fc.constantFrom(...crashable) }),
    fc.record({ type: fc.constant('loss' as const), at, durationMs, rate }),
    fc.record({ type: fc.constant('duplicate' as const), at, durationMs, rate }),
    fc.record({
      type: fc.constant('reorder' as const),
      at,
      durationMs,
      rate,
      delayMsMax: fc.integer({ min: 1, max: 5_000 }),
    }),
  );
}

const transferArb: fc.Arbitrary<ScriptedTransfer> = fc.record({
  at: fc.integer({ min: WINDOW_START_MS, max: WINDOW_START_MS + WINDOW_SPAN_MS }),
  relation: fc.nat({ max: 200 }),
  // Mostly ordinary amounts; sometimes large enough to hit W7 or the donor's balance.
  amount: fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 1, max: 200_000 }) },
    { weight: 1, arbitrary: fc.integer({ min: 200_001, max: 1_000_000 }) },
  ).map((fen) => BigInt(fen)),
});

/** A whole scenario for one property run, for the given protocol variant. */
export function scenarioArb(variant: ProtocolVariant, options: { writeAhead?: boolean } = {}): fc.Arbitrary<Scenario> {
  return shapeArb.chain((shape) =>
    fc.record({
      transfers: fc.array(transferArb, { minLength: 1, maxLength: 30 }),
      faults: fc.array(faultArb(shape), { maxLength: 6 }),
      // How long a group commit takes: the window in which a crash loses staged writes.
      storeSyncMs: fc.integer({ min: 1, max: 300 }),
    }).map(({ transfers, faults, storeSyncMs }): Scenario => ({
      ...DEFAULT_SCENARIO,
      name: `property-${variant}`,
      seed: shape.seed,
      topology: { provinces: shape.provinces, regionsPerProvinceMax: shape.regionsPerProvince },
      population: { wallets: shape.wallets, unopenedShare: 0.1, nonCloseShare: 0.05 },
      workload: { transfers: transfers.length },
      transfers,
      protocol: { ...PROTOCOL_DEFAULTS, variant, walletShardCount: shape.shards },
      storeSyncMs,
      writeAhead: options.writeAhead ?? true,
      faults,
      checks: { checkpointEveryDeliveries: 200, lifecycleBoundMs: 300_000 },
    })),
  );
}
