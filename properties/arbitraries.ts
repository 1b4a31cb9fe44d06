// fast-check arbitraries for whole scenarios: a small topology and population (from a seed), a
// scripted burst of requests mixing every flow (transfers, bindings, revocations, enrolment
// changes, bills, contributions), and a fault schedule over the same window. Everything a run
// depends on is fast-check data, so a failing case shrinks to few requests and few faults.
import fc from 'fast-check';

import {
  APP_ADDRESS,
  provinceAddress,
  SETTLEMENT_ADDRESS,
  walletShardAddress,
} from '../actors/addresses.ts';
import { PROTOCOL_DEFAULTS, type ProtocolVariant } from '../actors/config.ts';
import { BILL_SCOPES } from '../actors/regions.ts';
import { CARE_KINDS } from '../protocol/index.ts';
import { buildWorld } from '../world/build.ts';
import {
  FAULT_TYPES,
  type FaultEvent,
  type FaultType,
  PEER_LIES,
  STORAGE_FAULTS,
} from '../world/faults.ts';
import { CONTRIBUTION_SOURCES, POS_ACTIONS } from '../world/payments.ts';
import {
  DEFAULT_SCENARIO,
  type Scenario,
  type ScriptedBill,
  type ScriptedBind,
  type ScriptedContribution,
  type ScriptedEnd,
  type ScriptedEnrolmentChange,
  type ScriptedOpen,
  type ScriptedTransfer,
} from '../world/scenario.ts';
import { ENDING_PARTIES } from '../world/scenario_schema.ts';
import { PROVINCES } from '../world/topology.data.ts';
import { BIND_CLAIMS, BIND_FACES } from '../world/workload.ts';

/**
 * Requests and faults happen in this window of day 0 (10:00 + 60 s): away from the W8 blackout
 * (transfers), in the providers' busiest hours (bills have no blackout; contributions neither).
 */
const WINDOW_START_MS = 10 * 3_600_000;
const WINDOW_SPAN_MS = 60_000;

interface Shape {
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

function addressesOf(shape: Shape): { all: string[]; crashable: string[]; provinces: string[] } {
  const provinces = PROVINCES.slice(0, shape.provinces).map((p) => provinceAddress(p.code));
  const shards = Array.from({ length: shape.shards }, (_, i) => walletShardAddress(i));
  const crashable = [...provinces, ...shards, SETTLEMENT_ADDRESS];
  return { all: [...crashable, APP_ADDRESS], crashable, provinces };
}

const HOUR_MS = 3_600_000;
type Window = readonly [from: number, to: number];
/** A flow's fault window: the half minute before it starts at `hours` h, or just after. */
const around = (hours: number): Window => [hours * HOUR_MS - 30_000, hours * HOUR_MS + 2_000];
/**
 * The month's national clearing (K8's allocation at 266 h, its statements, funding and disbursal
 * at 513 h): where the clearing suite's faults fall.
 */
const CLEARING_MS: readonly Window[] = [266, 513].map(around);
/**
 * The later flows of a run's calendar, after the requests of day 0 (its start date is fixed), as
 * [from, to] in virtual ms: the app's later taps (a credit received, a binding confirmed, 10:04 to
 * 10:10), the POS's daily totals at 02:00 of day 1 (K3, 26 h), the 06:00 returns of credits never
 * received (W11, 30 h), the monthly applications (51 h), the month's allocation on day 10 of the
 * next month (K8, 266 h) and its statements, funding and disbursal (513 h). A fault starts in the
 * half minute before one (or just after it) and mostly lasts past the flow's start; a fifth of the
 * faults fall in one, so those flows run under faults too (coverage.property.ts checks that the
 * returns, the 02:00 totals and the month's clearing do).
 */
const LATER_FLOWS_MS: readonly Window[] = [
  [WINDOW_START_MS + 3 * 60_000, WINDOW_START_MS + 10 * 60_000],
  ...[26, 30, 51].map(around),
  ...CLEARING_MS,
];
/** A time in one of the windows, the window drawn first. */
const inWindows = (windows: readonly Window[]) =>
  fc.constantFrom(...windows).chain(([from, to]) => fc.integer({ min: from, max: to }));

const anyAt = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.integer({ min: WINDOW_START_MS - 5_000, max: WINDOW_START_MS + WINDOW_SPAN_MS }),
  },
  {
    weight: 1,
    arbitrary: inWindows(LATER_FLOWS_MS),
  },
);
const durationMs = fc.integer({ min: 50, max: 120_000 });
const rate = fc.integer({ min: 1, max: 600 }).map((perMille) => perMille / 1000);

/**
 * Clock offsets: mostly seconds; sometimes hours, enough to carry a node's clock across 22:00
 * (W8's blackout), 06:00 (W11's returns) or a TTL while the others read 10:00.
 */
const offsetMs = fc.oneof(
  { weight: 2, arbitrary: fc.integer({ min: -30_000, max: 30_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: -14 * 3_600_000, max: 14 * 3_600_000 }) },
);

const clearingAt = inWindows(CLEARING_MS);

/**
 * Each fault type's arbitrary, for a shape's nodes; with `clearing`, every fault falls at the
 * month's national clearing (CLEARING_MS), and only its parties lie.
 */
function faultArbs(
  shape: Shape,
  survivable: boolean,
  clearing: boolean,
): Record<FaultType, fc.Arbitrary<FaultEvent>> {
  const { all, crashable, provinces } = addressesOf(shape);
  const at = clearing ? clearingAt : anyAt;
  // At the clearing, the peers that can lie are its parties: settlement and the provinces.
  const liars = clearing ? [SETTLEMENT_ADDRESS, ...provinces] : all;
  const group = fc.subarray(all, { minLength: 1, maxLength: 3 });
  const node = fc.constantFrom(...crashable);
  const groups = (type: 'partition' | 'clog') =>
    fc.record({
      type: fc.constant(type),
      at,
      durationMs,
      groupA: group,
      groupB: group,
      oneWay: fc.boolean(),
    });
  return {
    partition: groups('partition'),
    crash: fc.record({ type: fc.constant('crash' as const), at, durationMs, node }),
    loss: fc.record({ type: fc.constant('loss' as const), at, durationMs, rate }),
    duplicate: fc.record({ type: fc.constant('duplicate' as const), at, durationMs, rate }),
    reorder: fc.record({
      type: fc.constant('reorder' as const),
      at,
      durationMs,
      rate,
      delayMsMax: fc.integer({ min: 1, max: 5_000 }),
    }),
    skew: fc.record({
      type: fc.constant('skew' as const),
      at,
      durationMs,
      node,
      offsetMs,
      // A poor oscillator drifts 100 ppm; 500 is five of them, and over a day's TTL that is
      // 43 s, inside the checks' 5-minute bound.
      driftPpm: fc.integer({ min: -500, max: 500 }),
    }),
    pause: fc.record({ type: fc.constant('pause' as const), at, durationMs, node }),
    clog: groups('clog'),
    reboot: fc.record({
      type: fc.constant('reboot' as const),
      at,
      durationMs,
      node,
      wipe: survivable ? fc.constant(false) : fc.boolean(),
    }),
    storage: fc.record({
      type: fc.constant('storage' as const),
      at,
      durationMs,
      node,
      mode: survivable ? fc.constant('tornWrite' as const) : fc.constantFrom(...STORAGE_FAULTS),
      rate,
    }),
    redeliver: fc.record({
      type: fc.constant('redeliver' as const),
      at,
      durationMs,
      rate,
      // An ack wait (30 s is JetStream's default), or past a dedup window (2 minutes).
      delayMs: fc.integer({ min: 1_000, max: 600_000 }),
    }),
    peer: fc.record({
      type: fc.constant('peer' as const),
      at,
      durationMs,
      node: fc.constantFrom(...liars),
      lie: fc.constantFrom(...PEER_LIES),
      rate,
    }),
  };
}

/**
 * Swarm testing: each run draws its own mix of fault types, then up to six faults of those
 * types only, so one run is all crashes and the next all clogs and skews, and shrinking drops
 * types from the mix as well as faults from the schedule. `types` are the ones the suite draws
 * from; `survivable` keeps out the faults the protocol can only detect (detectOnly).
 */
function faultsArb(
  shape: Shape,
  types: readonly FaultType[],
  survivable: boolean,
  clearing: boolean,
): fc.Arbitrary<FaultEvent[]> {
  const arbs = faultArbs(shape, survivable, clearing);
  // A lying peer is detect-only whatever it lies about: a survivable mix leaves it out.
  const drawn = types.filter((type) => !survivable || type !== 'peer');
  return fc
    .subarray(drawn)
    .chain((mix) =>
      mix.length === 0
        ? fc.constant([])
        : fc.array(fc.oneof(...mix.map((type) => arbs[type])), { maxLength: 6 }),
    );
}

const requestAt = fc.integer({ min: WINDOW_START_MS, max: WINDOW_START_MS + WINDOW_SPAN_MS });

const transferArb: fc.Arbitrary<ScriptedTransfer> = fc.record({
  at: requestAt,
  relation: fc.nat({ max: 200 }),
  // Mostly ordinary amounts; sometimes large enough to hit W7 or the donor's balance.
  amount: fc
    .oneof(
      { weight: 8, arbitrary: fc.integer({ min: 1, max: 200_000 }) },
      { weight: 1, arbitrary: fc.integer({ min: 200_001, max: 1_000_000 }) },
    )
    .map((fen) => BigInt(fen)),
});

// Bindings mostly tell the truth and are confirmed; each error and each face answer still
// appears often enough that a few hundred runs exercise every branch of F1. The first value of
// each list is what fast-check shrinks towards.
function bindArb(candidates: number): fc.Arbitrary<ScriptedBind> {
  return fc.record({
    at: requestAt,
    candidate: fc.nat({ max: candidates - 1 }),
    face: fc.oneof(
      { weight: 4, arbitrary: fc.constant(BIND_FACES[0]!) },
      { weight: 2, arbitrary: fc.constantFrom(...BIND_FACES.slice(1)) },
    ),
    claim: fc.oneof(
      { weight: 3, arbitrary: fc.constant(BIND_CLAIMS[0]!) },
      { weight: 2, arbitrary: fc.constantFrom(...BIND_CLAIMS.slice(1)) },
    ),
  });
}

/**
 * A script may bind the same candidate more than once: a second binding asked while the first is
 * under way is refused BOUND (F1), which the property exercises. (It once caught two bindings of
 * one relative both ending active; see 'F1: a second binding…' in transfer.property.ts.)
 */
const DISTINCT_BIND_CANDIDATES = false;

function bindsArb(candidates: number): fc.Arbitrary<ScriptedBind[]> {
  if (candidates === 0) return fc.constant([]);
  return DISTINCT_BIND_CANDIDATES
    ? fc.uniqueArray(bindArb(candidates), {
        maxLength: Math.min(6, candidates),
        selector: (b) => b.candidate,
      })
    : fc.array(bindArb(candidates), { maxLength: 6 });
}

const endArb: fc.Arbitrary<ScriptedEnd> = fc.record({
  at: requestAt,
  relation: fc.nat({ max: 200 }),
  by: fc.constantFrom(...ENDING_PARTIES),
});

const enrolmentArb: fc.Arbitrary<ScriptedEnrolmentChange> = fc.record({
  at: requestAt,
  relation: fc.nat({ max: 200 }),
});

// W1: a recipient opens their wallet; a tenth of wallets start unopened (baseScenario), so some
// openings open one, and transfers to it before are refused W10 at the request.
const openArb: fc.Arbitrary<ScriptedOpen> = fc.record({
  at: requestAt,
  relation: fc.nat({ max: 200 }),
});

// Bills are mostly local, settled and modest; every place, kind of care, POS action (D11) and
// flag still appears often enough. The first value of each list is what fast-check shrinks to.
// Care across provinces needs a filing (D3) few people have, or an emergency (D4): half of those
// bills are emergencies, so enough settle for a month's national clearing to run under faults
// (coverage.property.ts checks that it does). Rolls shrink to 0, a non-emergency.
const EMERGENCY_ROLLS = 10;
const billArb: fc.Arbitrary<ScriptedBill> = fc
  .record({
    at: requestAt,
    patient: fc.nat({ max: 200 }),
    where: fc.oneof(
      { weight: 3, arbitrary: fc.constant(BILL_SCOPES[0]!) },
      { weight: 2, arbitrary: fc.constantFrom(...BILL_SCOPES.slice(1)) },
    ),
    care: fc.constantFrom(...CARE_KINDS),
    // Fen: mostly within a person's account and wallet; sometimes an inpatient-sized bill.
    amount: fc
      .oneof(
        { weight: 8, arbitrary: fc.integer({ min: 1, max: 200_000 }) },
        { weight: 1, arbitrary: fc.integer({ min: 200_001, max: 5_000_000 }) },
      )
      .map((fen) => BigInt(fen)),
    action: fc.oneof(
      { weight: 3, arbitrary: fc.constant(POS_ACTIONS[0]!) },
      { weight: 2, arbitrary: fc.constantFrom(...POS_ACTIONS.slice(1)) },
    ),
    useWallet: fc.boolean(),
    emergencyRoll: fc.nat({ max: EMERGENCY_ROLLS - 1 }),
    // Family mutual aid at the point of care, on about a third of the bills.
    aid: fc.option(fc.nat({ max: 20 }), { nil: undefined, freq: 2 }),
  })
  .map(({ emergencyRoll, ...bill }) => {
    const emergencies = bill.where === 'crossProvince' ? 5 : 2;
    return { ...bill, emergency: emergencyRoll >= EMERGENCY_ROLLS - emergencies };
  });

/**
 * A bill the month's national clearing must carry: emergency care (D4) in another province,
 * settled, not chronic (D10 would refuse it without a filing).
 */
const clearingBillArb: fc.Arbitrary<ScriptedBill> = billArb.map((bill) => ({
  ...bill,
  where: 'crossProvince',
  care: bill.care === 'chronic' ? 'inpatient' : bill.care,
  action: POS_ACTIONS[0]!,
  emergency: true,
}));

const contributionArb: fc.Arbitrary<ScriptedContribution> = fc.record({
  at: requestAt,
  relation: fc.nat({ max: 200 }),
  source: fc.constantFrom(...CONTRIBUTION_SOURCES),
  nextYear: fc.oneof(
    { weight: 5, arbitrary: fc.constant(false) },
    { weight: 1, arbitrary: fc.constant(true) },
  ),
  // E3's exception: now and then an account pays for an unbound relative, with no relation.
  candidate: fc.option(fc.nat({ max: 200 }), { nil: undefined, freq: 4 }),
});

/** The scenario of a shape, before its script and faults are drawn. */
function baseScenario(shape: Shape, variant: ProtocolVariant, writeAhead: boolean): Scenario {
  return {
    ...DEFAULT_SCENARIO,
    name: `property-${variant}`,
    seed: shape.seed,
    topology: { provinces: shape.provinces, regionsPerProvinceMax: shape.regionsPerProvince },
    // Every donor has one unbound relative for scripted bindings to ask for (0.3 leaves a tiny
    // population with none in about one case of six).
    population: {
      wallets: shape.wallets,
      unopenedShare: 0.1,
      nonCloseShare: 0.05,
      candidateShare: 1,
    },
    workload: { transfers: 0 },
    transfers: [],
    protocol: { ...PROTOCOL_DEFAULTS, variant, walletShardCount: shape.shards },
    writeAhead,
    faults: [],
    checks: { checkpointEveryDeliveries: 200, lifecycleBoundMs: 300_000 },
  };
}

/** How many bind candidates the shape's population has (the world is small: this is cheap). */
function candidateCount(scenario: Scenario): number {
  return buildWorld(scenario).population.candidates.length;
}

/**
 * A whole scenario for one property run, for the given protocol variant: a script mixing every
 * flow — 1–30 transfers, 0–6 bindings, 0–3 revocations, 0–2 enrolment changes, 0–2 wallet
 * openings, 0–5 bills and 0–3 contributions — in one window, with faults over it.
 */
export interface ScenarioOptions {
  /** false: the broken host that sends before its writes are durable. */
  readonly writeAhead?: boolean;
  /** false: the broken journal that keeps part of a torn batch. */
  readonly atomicBatches?: boolean;
  /** The fault types to draw from (default: all of them). */
  readonly faultTypes?: readonly FaultType[];
  /** Draw only faults the protocol must survive (default true); false adds detect-only ones. */
  readonly survivable?: boolean;
  /**
   * 'clearing': two provinces or more, a first bill the month's national clearing must carry
   * (clearingBillArb), and every fault at that clearing (CLEARING_MS) instead of anywhere.
   */
  readonly focus?: 'clearing';
}

export function scenarioArb(
  variant: ProtocolVariant,
  options: ScenarioOptions = {},
): fc.Arbitrary<Scenario> {
  const clearing = options.focus === 'clearing';
  const shapes = clearing ? shapeArb.filter((shape) => shape.provinces >= 2) : shapeArb;
  const bills = clearing
    ? fc
        .tuple(clearingBillArb, fc.array(billArb, { maxLength: 4 }))
        .map(([first, rest]) => [first, ...rest])
    : fc.array(billArb, { maxLength: 5 });
  return shapes.chain((shape) => {
    const base = {
      ...baseScenario(shape, variant, options.writeAhead ?? true),
      atomicBatches: options.atomicBatches ?? true,
    };
    return fc
      .record({
        transfers: fc.array(transferArb, { minLength: 1, maxLength: 30 }),
        binds: bindsArb(candidateCount(base)),
        ends: fc.array(endArb, { maxLength: 3 }),
        enrolmentChanges: fc.array(enrolmentArb, { maxLength: 2 }),
        bills,
        contributions: fc.array(contributionArb, { maxLength: 3 }),
        faults: faultsArb(
          shape,
          options.faultTypes ?? FAULT_TYPES,
          options.survivable ?? true,
          clearing,
        ),
        // How long a group commit takes: the window in which a crash loses staged writes.
        storeSyncMs: fc.integer({ min: 1, max: 300 }),
        // W11: credits wait to be received (unreceived ones return at 06:00 the next day), or are
        // received on arrival.
        requireReceipt: fc.boolean(),
        opens: fc.array(openArb, { maxLength: 2 }),
      })
      .map(
        ({
          transfers,
          binds,
          ends,
          enrolmentChanges,
          bills,
          contributions,
          faults,
          storeSyncMs,
          requireReceipt,
          opens,
        }): Scenario => ({
          ...base,
          workload: { transfers: transfers.length },
          transfers,
          binds,
          ends,
          enrolmentChanges,
          opens,
          bills,
          contributions,
          protocol: { ...base.protocol, requireReceipt },
          storeSyncMs,
          faults,
        }),
      );
  });
}
