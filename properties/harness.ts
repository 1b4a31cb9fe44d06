// Running one property case and explaining a failure: the seed, the shrunk fault schedule and
// script, the failed invariants, the last deliveries, and a scenario file that replays it.
import { mkdirSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { formatFen } from '../protocol/index.ts';
import { dirname, join } from 'node:path';
import { describeFault, fmtTime } from '../world/faults.ts';
import { jsonReplacer } from '../world/json.ts';
import type { Scenario } from '../world/scenario.ts';
import { Simulation } from '../sim/simulation.ts';

export function runScenario(scenario: Scenario): Simulation {
  return new Simulation(scenario).run();
}

export function failedInvariants(sim: Simulation): string[] {
  return [...sim.checkers.results].filter(([, r]) => !r.ok).map(([name]) => name);
}

/** Where counterexample scenarios are written, so `gongji run --scenario FILE` replays them. */
export const COUNTEREXAMPLE_DIR = process.env.GONGJI_COUNTEREXAMPLES ?? 'out/counterexamples';

/**
 * A fast-check reporter: on failure, re-run the shrunk scenario, save it as a scenario file and
 * throw fast-check's own report (seed, path) followed by a readable account of the run.
 */
export function reportCounterexample(details: fc.RunDetails<[Scenario]>): void {
  if (!details.failed || details.counterexample === null) return;
  const [scenario] = details.counterexample;
  const account = describeCounterexample(scenario, runScenario(scenario));
  throw new Error(`${fc.defaultReportMessage(details)}\n\n${account}`);
}

export function describeCounterexample(scenario: Scenario, sim: Simulation): string {
  const file = join(
    COUNTEREXAMPLE_DIR,
    `${scenario.name}-seed${scenario.seed}-${sim.trace.hash}.json`,
  );
  try {
    writeScenarioFile(scenario, file);
  } catch {
    // Reporting must never hide the failure itself.
  }
  const lines = [
    `invariants failed: ${failedInvariants(sim)
      .map((n) => `${n} (${sim.checkers.results.get(n as never)?.detail})`)
      .join('; ')}`,
    `scenario seed ${scenario.seed}, variant ${scenario.protocol.variant}, writeAhead ${scenario.writeAhead}, ` +
      `requireReceipt ${scenario.protocol.requireReceipt}, ` +
      `${scenario.topology.provinces} province(s), ${scenario.population.wallets} wallets, ` +
      `${scenario.protocol.walletShardCount} shard(s), store sync ${scenario.storeSyncMs} ms, trace ${sim.trace.hash}`,
    `faults (${scenario.faults.length}):`,
    ...scenario.faults.map((f) => `  ${describeFault(f)}`),
    ...describeScript(scenario),
    'last deliveries:',
    ...sim.trace
      .tail()
      .slice(-12)
      .map((l) => `  ${l.at} ${l.from} -> ${l.to} ${l.kind} ${l.corr}`),
    `replay: npm start -- --scenario ${file}`,
  ];
  return lines.join('\n');
}

/** How many requests a scenario scripts, over every list. */
export function scriptSteps(scenario: Scenario): number {
  const {
    transfers = [],
    binds = [],
    ends = [],
    enrolmentChanges = [],
    bills = [],
    contributions = [],
  } = scenario;
  return (
    transfers.length +
    binds.length +
    ends.length +
    enrolmentChanges.length +
    bills.length +
    contributions.length
  );
}

/** The scripted requests, one line each, in the order of the scenario's lists. */
export function describeScript(scenario: Scenario): string[] {
  const {
    transfers = [],
    binds = [],
    ends = [],
    enrolmentChanges = [],
    bills = [],
    contributions = [],
  } = scenario;
  return [
    `transfers (${transfers.length}):`,
    ...transfers.map(
      (t) => `  ${fmtTime(t.at)} relation #${t.relation} ${formatFen(t.amount)} yuan`,
    ),
    `binds (${binds.length}):`,
    ...binds.map(
      (b) => `  ${fmtTime(b.at)} candidate #${b.candidate} claim ${b.claim}, face ${b.face}`,
    ),
    `ends (${ends.length}):`,
    ...ends.map((e) => `  ${fmtTime(e.at)} relation #${e.relation} revoked by the ${e.by}`),
    `enrolment changes (${enrolmentChanges.length}):`,
    ...enrolmentChanges.map((n) => `  ${fmtTime(n.at)} relation #${n.relation}'s donor`),
    `bills (${bills.length}):`,
    ...bills.map(
      (b) =>
        `  ${fmtTime(b.at)} patient #${b.patient} ${b.care} care (${b.where}) ${formatFen(b.amount)} yuan, ` +
        `POS ${b.action}${b.useWallet ? ', wallet' : ''}${b.emergency ? ', emergency' : ''}`,
    ),
    `contributions (${contributions.length}):`,
    ...contributions.map(
      (c) =>
        `  ${fmtTime(c.at)} relation #${c.relation} from the ${c.source === 'ACCOUNT' ? "donor's account" : "recipient's wallet"}` +
        `${c.nextYear ? ', for next year' : ''}`,
    ),
  ];
}

/** Write a scenario as a file that `gongji run --scenario FILE` replays (directories made as needed). */
export function writeScenarioFile(scenario: Scenario, file: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(scenarioFile(scenario), jsonReplacer, 2)}\n`);
}

/** A scenario as a file `scenarioFrom` reads back: amounts as yuan text, times in ms. */
export function scenarioFile(scenario: Scenario): Record<string, unknown> {
  return {
    name: scenario.name,
    seed: scenario.seed,
    topology: scenario.topology,
    population: scenario.population,
    workload: scenario.workload,
    // Fen bounds as whole numbers of fen (the JSON replacer would write yuan text).
    protocol: Object.fromEntries(
      Object.entries(scenario.protocol).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]),
    ),
    network: scenario.network,
    storeSyncMs: scenario.storeSyncMs,
    writeAhead: scenario.writeAhead,
    faults: scenario.faults,
    transfers: scenario.transfers,
    binds: scenario.binds,
    ends: scenario.ends,
    enrolmentChanges: scenario.enrolmentChanges,
    bills: scenario.bills,
    contributions: scenario.contributions,
    checks: scenario.checks,
  };
}
