// What no single field of a scenario can say, checked once the schema has passed
// (world/scenario.ts) and, for the workload, once the population is drawn (world/build.ts): two
// shares that must not sum past 1, bounds that must be ordered, amounts the workload's
// distribution can reach, fault targets and links that name actors of this topology, and
// requests the population can serve. Each problem is one line: the field, what is wrong, and
// what to do about it.
import {
  APP_ADDRESS,
  provinceAddress,
  SETTLEMENT_ADDRESS,
  walletShardAddress,
} from '../actors/addresses.ts';
import { formatDate, parseDate } from '../actors/calendar.ts';
import { type RolloutStage, rolloutStageAt, WALLET_ROLLOUT } from '../actors/policy.ts';
import { expandSelectors, type FaultEvent } from './faults.ts';
import { linkMatches } from './network.ts';
import { type Population, POPULATION_DEFAULTS } from './population.ts';
import { DEFAULT_SCENARIO, isScripted, type Scenario } from './scenario.ts';
import { topologyFor } from './topology.ts';
import { AMOUNT_YUAN_MAX, amountMeanReachable, WORKLOAD_DEFAULTS } from './workload.ts';

/** Every actor of a scenario's world, in the order the world builds them. */
export function actorAddresses(scenario: Pick<Scenario, 'topology' | 'protocol'>): string[] {
  const provinces = topologyFor(scenario.topology).provinces.map((p) => provinceAddress(p.code));
  const shards = Array.from({ length: scenario.protocol.walletShardCount }, (_, i) =>
    walletShardAddress(i),
  );
  return [...provinces, ...shards, SETTLEMENT_ADDRESS];
}

/** The problems of a scenario that the schema cannot see, first one first. */
export function scenarioProblems(scenario: Scenario): string[] {
  return [
    ...populationProblems(scenario),
    ...workloadProblems(scenario),
    ...protocolProblems(scenario),
    ...targetProblems(scenario),
  ];
}

function populationProblems({ population, protocol, workload }: Scenario): string[] {
  const cross = population.crossProvinceShare ?? POPULATION_DEFAULTS.crossProvinceShare;
  const same = population.sameProvinceShare ?? POPULATION_DEFAULTS.sameProvinceShare;
  const first = WALLET_ROLLOUT[0] as RolloutStage;
  if (
    population.regions === 'walletEnabled' &&
    rolloutStageAt(parseDate(protocol.startDate)) === undefined
  ) {
    return [
      `scenario.population.regions: walletEnabled, but no region has the wallet on ` +
        `${protocol.startDate} (the rollout begins ${formatDate(first.from)}, E8): start on ` +
        "or after that date, or set regions to 'all'",
    ];
  }
  const { billScopes } = workload;
  if (billScopes !== undefined && billScopes.sameProvince + billScopes.crossProvince > 1) {
    return [
      `scenario.workload.billScopes: sameProvince ${billScopes.sameProvince} + crossProvince ` +
        `${billScopes.crossProvince} is more than 1 (the rest are local bills): lower one of them`,
    ];
  }
  if (cross + same <= 1) return [];
  return [
    `scenario.population.crossProvinceShare: ${cross} + sameProvinceShare ${same} is more ` +
      'than 1 (a relation is cross-province, same-province or same-region): lower one of them',
  ];
}

function workloadProblems({ workload }: Scenario): string[] {
  const median = workload.amountMedianYuan ?? WORKLOAD_DEFAULTS.amountMedianYuan;
  const mean = workload.amountMeanYuan ?? WORKLOAD_DEFAULTS.amountMeanYuan;
  if (median > AMOUNT_YUAN_MAX) {
    return [
      `scenario.workload.amountMedianYuan: ${median} is over the largest transfer the ` +
        `workload draws (${AMOUNT_YUAN_MAX} yuan): lower it`,
    ];
  }
  if (!amountMeanReachable(median, mean)) {
    return [
      `scenario.workload.amountMeanYuan: a mean of ${mean} yuan cannot be reached with a ` +
        `median of ${median} (amounts are lognormal, capped at ${AMOUNT_YUAN_MAX}): set the ` +
        'mean above the median and well below the cap',
    ];
  }
  return [];
}

function protocolProblems({ protocol }: Scenario): string[] {
  const problems: string[] = [];
  if (protocol.retryDelayMsMax < protocol.retryDelayMsMin) {
    problems.push(
      `scenario.protocol.retryDelayMsMax: ${protocol.retryDelayMsMax} is below ` +
        `retryDelayMsMin ${protocol.retryDelayMsMin}: raise it, or lower the minimum`,
    );
  }
  try {
    parseDate(protocol.startDate);
  } catch (error) {
    problems.push(`scenario.protocol.startDate: ${(error as Error).message}`);
  }
  return problems;
}

/** Faults and network links must name actors of this world (a typo would do nothing). */
function targetProblems(scenario: Scenario): string[] {
  const addresses = actorAddresses(scenario);
  const known = `${addresses[0]} … ${addresses.at(-1)}, or a pattern such as wallet.*`;
  // The default schedule is the national day's: a smaller topology needs a schedule of its own.
  const fix =
    scenario.faults === DEFAULT_SCENARIO.faults
      ? ': the default fault schedule is made for the national topology; give this ' +
        'topology its own faults (or faults: [])'
      : '';
  const problems: string[] = [];
  scenario.faults.forEach((fault: FaultEvent, i) => {
    const where = `scenario.faults[${i}]`;
    if ('node' in fault) {
      // The app (the citizens' app and the POS) is a node of the network: it can lie, not crash.
      const nodes = fault.type === 'peer' ? [...addresses, APP_ADDRESS] : addresses;
      if (!nodes.includes(fault.node)) {
        problems.push(`${where}.node: '${fault.node}' is no actor of this world (${known})${fix}`);
      }
    } else if (fault.type === 'partition' || fault.type === 'clog') {
      for (const group of ['groupA', 'groupB'] as const) {
        try {
          expandSelectors(fault[group], [...addresses, APP_ADDRESS], `${where}.${group}`);
        } catch (error) {
          problems.push(`${(error as Error).message} (${known})${fix}`);
        }
      }
    }
  });
  scenario.network.links.forEach((link, i) => {
    for (const end of ['from', 'to'] as const) {
      if (!addresses.some((address) => linkMatches(link[end], address))) {
        const where = `scenario.network.links[${i}].${end}`;
        problems.push(`${where}: '${link[end]}' names no actor (${known}, or *)`);
      }
    }
  });
  return problems;
}

/**
 * What the drawn population cannot serve: requests that need relations or bind candidates it
 * does not have. Checked by the world builder before any request is drawn.
 */
export function populationShortfalls(scenario: Scenario, population: Population): string[] {
  const { relations, candidates } = population;
  const wallets = scenario.population.wallets;
  const fix = `raise population.wallets (now ${wallets})`;
  const problems: string[] = [];
  if (isScripted(scenario)) {
    const needRelations = (
      ['transfers', 'ends', 'enrolmentChanges', 'opens', 'contributions'] as const
    ).filter((name) => (scenario[name]?.length ?? 0) > 0);
    if (relations.length === 0 && needRelations.length > 0) {
      problems.push(
        `scenario.${needRelations[0]}: the population has no relations to name: ${fix} ` +
          'or population.donorShare',
      );
    }
    if ((scenario.binds?.length ?? 0) > 0 && candidates.length === 0) {
      problems.push(
        `scenario.binds: the population has no bind candidates: ${fix} or ` +
          'population.candidateShare',
      );
    }
    return problems;
  }
  const { transfers = 0, revokes = 0, enrolmentChanges = 0, binds = 0 } = scenario.workload;
  if (relations.length === 0 && transfers + revokes + enrolmentChanges > 0) {
    const field = transfers > 0 ? 'transfers' : revokes > 0 ? 'revokes' : 'enrolmentChanges';
    problems.push(
      `scenario.workload.${field}: the population has no relations to draw requests from: ` +
        `${fix} or population.donorShare, or set workload.${field}: 0`,
    );
  }
  if (binds > 0 && candidates.length === 0) {
    problems.push(
      `scenario.workload.binds: the population of ${wallets} wallets has no bind candidates ` +
        `for ${binds} bindings: ${fix} or population.candidateShare, or set workload.binds: 0`,
    );
  }
  return problems;
}
