// Determinism audit: scenarios drawn from every suite's arbitrary (the negative controls' too,
// whose runs fail) give the same trace, deliveries, virtual time and failed invariants when run
// twice in one process (no state leaks from one run into the next) and once more from their
// scenario file (the file a failure is saved as holds everything a run depends on), and a run
// leaves its scenario as it found it. One seed is fixed; the other changes with every run (the
// clock; GONGJI_AUDIT_SEED pins it), so CI samples new scenarios each time. The default day at a
// larger size, other seeds and the memory knob are sim/determinism.test.ts's.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { Simulation } from '../sim/simulation.ts';
import { jsonReplacer } from '../world/json.ts';
import { type Scenario, scenarioFrom } from '../world/scenario.ts';
import { scenarioFile } from '../world/scenario_file.ts';
import { failedInvariants } from './harness.ts';
import { CONTROL_SUITES, SUITES } from './suites.ts';

const FIXED_SEED = 20_261_213;
/** Scenarios per suite and seed: 4 suites × 2 seeds × 2 = 16 scenarios, 48 runs. */
const PER_SUITE = 2;
/** Where a scenario that does not replay is written. */
const AUDIT_DIR = join('out', 'determinism');

function auditSeed(): number {
  const pinned = process.env.GONGJI_AUDIT_SEED;
  if (pinned === undefined) return Date.now() % 2 ** 31;
  if (!/^\d{1,10}$/.test(pinned) || Number(pinned) >= 2 ** 31)
    throw new Error(`GONGJI_AUDIT_SEED: expected a whole number below 2^31, got '${pinned}'`);
  return Number(pinned);
}

/** What must not change between runs of one scenario. */
function fingerprint(sim: Simulation): string {
  return [sim.trace.hash, sim.deliveries, sim.virtualMs, failedInvariants(sim).join(',')].join(' ');
}

/** The scenario file's text, as a failure writes it, taken before the scenario is run. */
function fileText(scenario: Scenario): string {
  return `${JSON.stringify(scenarioFile(scenario), jsonReplacer, 2)}\n`;
}

function keepForReplay(text: string, name: string): string {
  mkdirSync(AUDIT_DIR, { recursive: true });
  const file = join(AUDIT_DIR, `${name}.json`);
  writeFileSync(file, text);
  return file;
}

describe('determinism audit over the suites’ scenarios', () => {
  const seeds = [FIXED_SEED, auditSeed()];
  for (const suite of [...SUITES, ...CONTROL_SUITES]) {
    for (const seed of seeds) {
      it(`${suite.name}, seed ${seed}: twice in one process and from the file, one run`, () => {
        const scenarios = fc.sample(suite.arbitrary, { seed, numRuns: PER_SUITE });
        for (const [index, scenario] of scenarios.entries()) {
          const pristine = structuredClone(scenario);
          const text = fileText(scenario);
          const first = fingerprint(new Simulation(scenario).run());
          const again = fingerprint(new Simulation(scenario).run());
          const fromFile = fingerprint(new Simulation(scenarioFrom(JSON.parse(text))).run());
          const ok = again === first && fromFile === first;
          const where = ok
            ? ''
            : `seed ${seed} (GONGJI_AUDIT_SEED=${seed} pins it), scenario ${index} written to ` +
              `${keepForReplay(text, `${suite.name}-seed${seed}-${index}`)}`;
          expect(again, `run twice: ${where}`).toBe(first);
          expect(fromFile, `from its file: ${where}`).toBe(first);
          expect(scenario, `a run changed its scenario: seed ${seed}, ${index}`).toEqual(pristine);
        }
      });
    }
  }
});
