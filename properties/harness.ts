// Running one property case and explaining a failure: the seed, the shrunk fault schedule and
// script, the failed invariants, the last deliveries, and a scenario file that replays it.
import { join } from 'node:path';

import fc from 'fast-check';

import { Simulation } from '../sim/simulation.ts';
import { describeFault } from '../world/faults.ts';
import type { Scenario } from '../world/scenario.ts';
import { describeScript, writeScenarioFile } from '../world/scenario_file.ts';

export function runScenario(scenario: Scenario): Simulation {
  return new Simulation(scenario).run();
}

export function failedInvariants(sim: Simulation): string[] {
  return [...sim.checkers.results].filter(([, r]) => !r.ok).map(([name]) => name);
}

/** Where counterexample scenarios are written, so `gongji run --scenario FILE` replays them. */
const COUNTEREXAMPLE_DIR = process.env.GONGJI_COUNTEREXAMPLES ?? 'out/counterexamples';

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

function describeCounterexample(scenario: Scenario, sim: Simulation): string {
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
    `scenario seed ${scenario.seed}, variant ${scenario.protocol.variant}, ` +
      `writeAhead ${scenario.writeAhead}, requireReceipt ${scenario.protocol.requireReceipt}, ` +
      `${scenario.topology.provinces} province(s), ${scenario.population.wallets} wallets, ` +
      `${scenario.protocol.walletShardCount} shard(s), store sync ${scenario.storeSyncMs} ms, ` +
      `trace ${sim.trace.hash}`,
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
