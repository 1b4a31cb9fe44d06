// Running one property case and explaining a failure: the seed, the shrunk fault schedule and
// script, the failed invariants, the last deliveries, and a scenario file that replays it.
import { join } from 'node:path';

import fc from 'fast-check';

import { Simulation } from '../sim/simulation.ts';
import { describeFault, fmtTime } from '../world/faults.ts';
import type { Scenario } from '../world/scenario.ts';
import { describeScript, writeScenarioFile } from '../world/scenario_file.ts';

/**
 * How long a failing property may shrink (GONGJI_SHRINK_MS): with the runs before it, a failure
 * reports within about two minutes here. A one-line mutant once kept the mixed property
 * shrinking for 13 minutes; a shrink cut short still reports its smallest case so far.
 */
const SHRINK_MS = Number(process.env.GONGJI_SHRINK_MS ?? 60_000);

/**
 * fc.assert in two steps: run until the first failure without shrinking, then replay that case
 * from its seed and path and shrink it for at most SHRINK_MS. The report says whether, and
 * after how long, shrinking was cut.
 */
export function assertBounded(
  property: fc.IProperty<[Scenario]>,
  params: fc.Parameters<[Scenario]>,
): void {
  const found = fc.check(property, { ...params, endOnFailure: true });
  if (!found.failed) return;
  if (found.counterexample === null) throw new Error(fc.defaultReportMessage(found));
  const started = performance.now();
  const replay: fc.Parameters<[Scenario]> = {
    ...params,
    seed: found.seed,
    numRuns: 1,
    endOnFailure: false,
    plugins: [fc.interruptAfterTimeLimit(SHRINK_MS) as fc.Plugin<[Scenario]>],
  };
  if (found.counterexamplePath !== null) replay.path = found.counterexamplePath;
  const shrunk = fc.check(property, replay) as fc.RunDetails<[Scenario]>;
  const seconds = Math.round((performance.now() - started) / 1000);
  const best = shrunk.counterexample === null ? found : shrunk;
  const cut = shrunk.interrupted
    ? `shrinking was cut after ${seconds} s (${shrunk.numShrinks} shrinks): the case below is ` +
      'the smallest found so far'
    : `shrunk in ${seconds} s (${best.numShrinks} shrinks)`;
  reportCounterexample(best as fc.RunDetails<[Scenario]>, cut);
}

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
function reportCounterexample(details: fc.RunDetails<[Scenario]>, shrinking = ''): void {
  if (!details.failed || details.counterexample === null) return;
  const [scenario] = details.counterexample;
  const account = describeCounterexample(scenario, runScenario(scenario));
  const head = fc.defaultReportMessage(details);
  throw new Error(`${head}${shrinking === '' ? '' : `\n${shrinking}`}\n\n${account}`);
}

/**
 * A liveness diagnosis from the last 2,000 deliveries: the last messages about each id the
 * failures name, and any exchange repeated over and over (a livelock: answered, never terminal).
 */
export function liveness(sim: Simulation): string[] {
  const details = failedInvariants(sim).map((n) => sim.checkers.results.get(n as never)?.detail);
  const named = new Set(details.join(' ').match(/\b[A-Za-z][\w.:-]*\d[\w.:-]*\b/g) ?? []);
  const messages = sim.trace.messages();
  const lines: string[] = [];
  const about = [...new Set(messages.map((m) => m.corr))].filter((id) => named.has(id));
  for (const id of about.slice(0, 3)) {
    lines.push(`last messages about ${id}:`);
    for (const m of messages.filter((x) => x.corr === id).slice(-6))
      lines.push(`  ${fmtTime(m.at)} ${m.from} -> ${m.to} ${m.kind}`);
  }
  const repeats = new Map<string, number>();
  for (const m of messages) {
    const key = `${m.kind} ${m.corr} ${m.from} -> ${m.to}`;
    repeats.set(key, (repeats.get(key) ?? 0) + 1);
  }
  const looping = [...repeats].filter(([, n]) => n >= LIVELOCK_REPEATS).sort((a, b) => b[1] - a[1]);
  for (const [key, n] of looping.slice(0, 3))
    lines.push(`livelock? ${key} delivered ${n} times in the last ${messages.length} deliveries`);
  return lines;
}

/** An exchange delivered this often among the last 2,000 deliveries looks like a livelock. */
const LIVELOCK_REPEATS = 20;

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
    ...liveness(sim),
    'last deliveries:',
    ...sim.trace
      .tail()
      .slice(-12)
      .map((l) => `  ${l.at} ${l.from} -> ${l.to} ${l.kind} ${l.corr}`),
    `replay: npm start -- --scenario ${file}`,
  ];
  return lines.join('\n');
}
