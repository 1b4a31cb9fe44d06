// The world a scenario describes, built the same way for every runtime: the topology, the
// population, the workload, and each actor with its opening records. Same scenario and seed,
// same world: the simulator runs it on its network, the NATS processes each take their actors.
import { SETTLEMENT_ADDRESS } from '../actors/addresses.ts';
import { Calendar, parseDate } from '../actors/calendar.ts';
import { DAY_MS } from '../actors/config.ts';
import type { Actor } from '../actors/effects.ts';
import { type OpeningFunds, openingRecords } from '../actors/opening.ts';
import { walletEnabled } from '../actors/policy.ts';
import { ProvinceActor } from '../actors/province.actor.ts';
import { SettlementActor } from '../actors/settlement.actor.ts';
import { WalletMachines, WalletShardActor } from '../actors/wallet_shard.actor.ts';
import type { Fen } from '../protocol/index.ts';
import { DayPicker, type DayShape } from './day_shape.ts';
import {
  billIntents,
  contributionIntents,
  contributionYearAt,
  type PaymentOptions,
  withFamilyAid,
} from './payments.ts';
import { buildPopulation, type Placement, type Population } from './population.ts';
import { Prng } from './prng.ts';
import { isScripted, type Scenario, ScenarioError } from './scenario.ts';
import { populationShortfalls } from './scenario_rules.ts';
import { scriptedWorkload } from './script.ts';
import { type Topology, topologyFor } from './topology.ts';
import {
  buildWorkload,
  type Intent,
  ratedWorkload,
  WORKLOAD_DEFAULTS,
  type WorkloadOptions,
} from './workload.ts';

/**
 * K7 on the national history (DOMAIN §4.2): about 2.39e8 cross-province settlements in 2024 over
 * 1,326,620,800 insured, each paid ≈ 1,191.24 yuan by the fund (2023: 1.5367e11 yuan of advance
 * payments avoided over 1.29e8 settlements): ≈ 17.88 yuan a month per insured person.
 */
const MONTHLY_CROSS_PROVINCE_SPEND_FEN_PER_INSURED = 1_788n;

/**
 * F5 (ASSUMPTION, docs/ARCHITECTURE.md decision 23): each pooling fund opens with 2,000 yuan per
 * insured person, and has advanced a prepayment (K1, K7) of 2× the average monthly
 * cross-province spend per insured person to the national clearing account; December's batch
 * resets it from the run's own history.
 */
const OPENING_FUNDS: OpeningFunds = {
  fundFenPerInsured: 200_000n,
  prepaymentFenPerInsured: 2n * MONTHLY_CROSS_PROVINCE_SPEND_FEN_PER_INSURED,
};

/**
 * One actor of the world: how to make it from its durable records, and the records it opens with.
 */
export interface ActorSpec {
  readonly make: (records: ReadonlyMap<string, unknown>) => Actor;
  /** A map of its own: a store may take it over (`MemoryStore.adopting`) rather than copy it. */
  readonly opening: Map<string, unknown>;
}

export interface World {
  readonly scenario: Scenario;
  readonly topology: Topology;
  /**
   * The people and relations drawn for the run: gone after `releasePopulation` (reading it
   * then throws). The actors' records hold what the run needs; this is the workload's input.
   */
  readonly population: Population;
  /** How many wallets and relations the population had: kept when it is released. */
  readonly census: {
    readonly wallets: number;
    readonly relations: number;
    /** Provinces and pooling regions where people live. */
    readonly provinces: number;
    readonly regions: number;
  };
  /**
   * Let the population go once the workload is drawn (drawing it first if it was not): at
   * millions of wallets it is a few hundred bytes a person the run no longer needs.
   */
  releasePopulation(): void;
  /** The requests of the run, in time order (built on first use: host processes need none). */
  readonly workload: readonly Intent[];
  /** Every actor but the app: provinces, wallet shards, settlement, in that order. */
  readonly actors: ReadonlyMap<string, ActorSpec>;
  readonly machines: WalletMachines;
  /** Σ personal-account balances at the start: the conservation law's right side. */
  readonly openingTotal: Fen;
  /** F5: Σ pooling funds + the national clearing account at the start. */
  readonly openingFunds: Fen;
  /** Of openingFunds, the national clearing account's (the prepayments). */
  readonly openingClearing: Fen;
}

/**
 * The scenario's topology and its population, drawn from the world's stream as every runtime
 * draws them; a ScenarioError if the population cannot serve the requests the scenario asks
 * for (world/scenario_rules.ts). `gongji scenario` calls it to check what a run would refuse.
 */
export function drawPopulation(
  scenario: Scenario,
  prng = new Prng(scenario.seed).fork(),
): { topology: Topology; population: Population } {
  const topology = topologyFor(scenario.topology);
  const population = buildPopulation(
    topology,
    prng.fork(),
    scenario.population,
    populatedRegions(scenario, topology),
  );
  const shortfall = populationShortfalls(scenario, population)[0];
  if (shortfall !== undefined) throw new ScenarioError(shortfall);
  return { topology, population };
}

/**
 * The regions people live in: all of them, or (`population.regions: walletEnabled`) those with
 * the wallet on the scenario's start date (E8's rollout, actors/policy.ts).
 */
function populatedRegions(scenario: Scenario, topology: Topology): Placement {
  const { regions = 'all' } = scenario.population;
  if (regions === 'all') return {};
  const date = parseDate(scenario.protocol.startDate);
  const codes = topology.provinces.flatMap((p) => p.regions.map((r) => r.code));
  const on = new Set(codes.filter((code) => walletEnabled(code, date)));
  if (regions === 'walletEnabled') return { allowed: on };
  return { closed: new Set(codes.filter((code) => !on.has(code))) };
}

/**
 * The virtual day each region's wallet comes on (E8's rollout from the start date), or
 * undefined if it does not within `days`: when the wallets of a 'rollout' population open.
 */
function rolloutDays(scenario: Scenario, days: number): (region: string) => number | undefined {
  const calendar = new Calendar(parseDate(scenario.protocol.startDate));
  const found = new Map<string, number | undefined>();
  return (region) => {
    if (!found.has(region)) {
      let day: number | undefined;
      for (let d = 0; d < days && day === undefined; d++) {
        if (walletEnabled(region, calendar.dateAt(d * DAY_MS))) day = d;
      }
      found.set(region, day);
    }
    return found.get(region);
  };
}

/** How the world keeps itself: never what it decides. */
export interface WorldOptions {
  /** Live wallets per shard (actors/wallet_table.ts); the rest stay packed. */
  readonly hotWallets?: number | undefined;
}

/**
 * Build the world from the scenario's seed. `prng` is the world's stream (the simulator forks it
 * from the seed first, so its network draws stay apart); by default the same fork is taken here.
 */
export function buildWorld(
  scenario: Scenario,
  prng = new Prng(scenario.seed).fork(),
  options: WorldOptions = {},
): World {
  const { topology, population } = drawPopulation(scenario, prng);
  // Forked now, in this order, whether or not the workload is ever built: the draws stay put.
  const generated = prng.fork();
  const payments = prng.fork();
  const config = scenario.protocol;
  const machines = new WalletMachines(config, options.hotWallets);
  const opening = openingRecords({
    config,
    provinces: topology.provinces.map((p) => p.code),
    people: population.people,
    relations: population.relations, // bound as r0, r1, … in this order
    kin: [population.relations, population.candidates],
    funds: OPENING_FUNDS,
  });
  const actors = new Map<string, ActorSpec>();
  for (const [address, records] of opening.records) {
    actors.set(address, { make: factoryOf(address, scenario, machines), opening: records });
  }
  let workload: readonly Intent[] | undefined;
  let drawn: Population | undefined = population;
  const census = {
    wallets: population.people.length,
    relations: population.relations.length,
    provinces: new Set(population.people.map((p) => p.province)).size,
    regions: new Set(population.people.map((p) => p.region)).size,
  };
  const people = () => {
    if (drawn === undefined)
      throw new Error('World: the population was released after the run began');
    return drawn;
  };
  return {
    scenario,
    topology,
    get population() {
      return people();
    },
    census,
    releasePopulation() {
      workload ??= workloadOf(scenario, people(), generated, payments);
      drawn = undefined;
    },
    get workload() {
      workload ??= workloadOf(scenario, people(), generated, payments);
      return workload;
    },
    actors,
    machines,
    openingTotal: opening.openingTotal,
    openingFunds: opening.openingFunds,
    openingClearing: opening.openingClearing,
  };
}

function factoryOf(address: string, scenario: Scenario, machines: WalletMachines) {
  const config = scenario.protocol;
  if (address.startsWith('province.')) {
    return (records: ReadonlyMap<string, unknown>) => new ProvinceActor(address, records, config);
  }
  if (address === SETTLEMENT_ADDRESS) {
    return (records: ReadonlyMap<string, unknown>) => new SettlementActor(address, records, config);
  }
  return (records: ReadonlyMap<string, unknown>) =>
    new WalletShardActor(address, records, machines);
}

function workloadOf(scenario: Scenario, population: Population, generated: Prng, payments: Prng) {
  const yearAt = contributionYearAt(scenario.protocol.startDate);
  if (isScripted(scenario)) return scriptedWorkload(population, scenario, yearAt);
  const rollout = scenario.population.regions === 'rollout';
  const { options, shape } = ratedWorkload(
    scenario.workload,
    scenario.protocol.startDate,
    rollout ? 0 : 2,
  );
  const openDay = rollout ? rolloutDays(scenario, shape.transfers.length) : undefined;
  const intents = buildWorkload(population, generated, options, shape, openDay);
  return withPayments(intents, population, payments, scenario, options, shape);
}

/**
 * Bills (F3) and resident contributions (F4) merged into a generated workload, in time order
 * (stable: requests drawn earlier come first at equal times), from their own Prng stream.
 */
function withPayments(
  intents: Intent[],
  population: Population,
  prng: Prng,
  scenario: Scenario,
  workload: WorkloadOptions,
  shape: DayShape,
): Intent[] {
  const { bills = 0, contributions = 0 } = workload;
  if (bills + contributions === 0) return intents;
  const yearAt = contributionYearAt(scenario.protocol.startDate);
  // Counts a scenario names outright come on the days it runs, in season or not.
  const contributionWeights = shape.contributions.some((w) => w > 0)
    ? shape.contributions
    : shape.settlements;
  const options: PaymentOptions = {
    bills,
    contributions,
    yearAt,
    settlementDays: new DayPicker(shape.settlements),
    contributionDays: new DayPicker(contributionWeights),
    billScopes: workload.billScopes ?? WORKLOAD_DEFAULTS.billScopes,
    walletUseShare: workload.walletUseShare ?? WORKLOAD_DEFAULTS.walletUseShare,
  };
  const billPrng = prng.fork();
  const payPrng = prng.fork();
  const aidPrng = prng.fork();
  const all: Intent[] = [
    ...intents,
    ...withFamilyAid(
      billIntents(population, billPrng, options),
      population,
      aidPrng,
      workload.familyAid,
    ),
    ...contributionIntents(population, payPrng, options),
  ];
  return all
    .map((intent, i) => ({ intent, i }))
    .sort((a, b) => a.intent.at - b.intent.at || a.i - b.i)
    .map(({ intent }) => intent);
}
