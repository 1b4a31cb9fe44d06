import { defineConfig } from 'vitest/config';
import {
  BaseSequencer,
  type Reporter,
  type RunnerTestCase,
  type TestSpecification,
  type Vitest,
} from 'vitest/node';

// The tests `npm run mutate` runs against each mutant (stryker.config.mjs): the unit tests of
// actors/ and protocol/, the simulator's tests of one flow each (a month's clearing and its
// disputes, reconciliation, orphan holds, contributions, scripted requests, fault effects: whole
// runs of the actors that their unit tests reach only in part), and the property suites; nothing
// that spawns a process, starts a server, opens a browser or measures (cli/, cluster/, report's
// browser tests, bench/), nor the simulator's long runs of whole days (designs, built-in
// scenarios, determinism, pictures). Stryker runs only the tests that cover a mutant and stops at
// the first failure, one file after another, so the unit tests go first, then the flows: a
// mutant they kill never waits for the properties' whole simulations. A mutant that survives
// them all still costs every covering test, so MUTATE_UNITS_ONLY=1 (`npm run mutate:units`)
// leaves the flows and the properties out for a quick first pass, and MUTATE_NO_PROPERTIES=1
// (`npm run mutate:flows`) leaves out only the properties (a minute or more per surviving
// mutant); a later run of a longer stage then retests only the earlier pass's survivors.
//
// Two workarounds for @stryker-mutator/vitest-runner 9.6 (both in the runner, not the tests):
// - fast-check's `test.prop` names a test after a seed drawn when its file loads ("… (with
//   seed=517452546)"). Stryker filters a mutant's run by the names it saw in its first run, and
//   each mutant reloads the file under a new seed, so those tests never ran against a mutant.
//   The sort below accepts any seed in the filter Stryker has just set.
// - A test file that throws while loading collects no tests, and Stryker counts a run without a
//   failed test as survived (stryker-js#6150): a mutant of a table or a load-time check that
//   stops a module from loading counted as survived. The reporter gives such a file one failed
//   test that carries the load error; in the first run, that stops Stryker, loudly.
const DRAWN_SEED = /\\\(with seed=(?:\\-)?\d+\\\)/g;
const ANY_SEED = String.raw`\(with seed=-?\d+\)`;

class MutationSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    for (const { config } of new Set(files.map((f) => f.project))) {
      const pattern = config.testNamePattern;
      if (pattern !== undefined) {
        config.testNamePattern = new RegExp(
          pattern.source.replace(DRAWN_SEED, ANY_SEED),
          pattern.flags,
        );
      }
    }
    const sorted = await super.sort(files);
    const stage = (f: TestSpecification) =>
      f.moduleId.endsWith('.property.ts') ? 2 : f.moduleId.includes('/sim/') ? 1 : 0;
    return [0, 1, 2].flatMap((n) => sorted.filter((f) => stage(f) === n));
  }
}

let vitest: Vitest | undefined;
const loadFailureAsTest: Reporter = {
  onInit(ctx) {
    vitest = ctx;
  },
  onTestRunEnd() {
    for (const file of vitest?.state.getFiles() ?? []) {
      if (file.result?.state !== 'fail' || file.tasks.length > 0) continue;
      // Only the fields Stryker reads; nothing runs this test.
      const loads: Partial<RunnerTestCase> = {
        type: 'test',
        id: `${file.id}_loads`,
        name: 'the file loads',
        fullName: `${file.name} the file loads`,
        mode: 'run',
        file,
        meta: {},
        result: { state: 'fail', errors: file.result.errors ?? [] },
      };
      file.tasks.push(loads as RunnerTestCase);
    }
  },
};

/** The simulator's tests of one flow each, a few seconds apiece. */
const FLOWS = [
  'sim/clearing_batch.test.ts',
  'sim/reconciliation.test.ts',
  'sim/orphan_hold.test.ts',
  'sim/contributions.test.ts',
  'sim/scripted.test.ts',
  'sim/faults.test.ts',
  'sim/record_checks.test.ts',
];

/** How many of the three stages run: units; then flows; then properties. */
const STAGES =
  process.env.MUTATE_UNITS_ONLY === '1' ? 1 : process.env.MUTATE_NO_PROPERTIES === '1' ? 2 : 3;

// MUTATE_TESTS_UNDER=protocol runs only that folder's unit tests (and stryker.config.mjs mutates
// only that folder): a static mutant (a table, a schema built when the module loads) runs every
// test of the stage, so protocol/ against its own tests takes 25 minutes here instead of over
// 40. The score measured so is a floor: other tests could only kill more.
const UNDER = process.env.MUTATE_TESTS_UNDER;
if (UNDER !== undefined && !/^(actors|protocol)$/.test(UNDER)) {
  throw new Error(`MUTATE_TESTS_UNDER=${UNDER}: name a folder with unit tests, actors or protocol`);
}
if (UNDER !== undefined && STAGES > 1) {
  throw new Error('MUTATE_TESTS_UNDER runs unit tests only: use it with npm run mutate:units');
}

export default defineConfig({
  test: {
    include:
      UNDER !== undefined
        ? [`${UNDER}/**/*.test.ts`]
        : [
            'actors/**/*.test.ts',
            'protocol/**/*.test.ts',
            ...(STAGES > 1 ? FLOWS : []),
            ...(STAGES > 2 ? ['properties/**/*.property.ts'] : []),
          ],
    exclude: ['node_modules/**', 'out/**'],
    // The property suites (transfer.property.ts reads FC_SEED) draw the same cases for every
    // mutant and every run, so their verdict on a mutant does not depend on the draw.
    // GONGJI_MUTATE leaves the negative controls out (transfer.property.ts says why).
    env: { FC_SEED: '20261204', GONGJI_MUTATE: '1' },
    sequence: { sequencer: MutationSequencer },
    reporters: ['default', loadFailureAsTest],
    // Stryker times each mutant out itself (stryker.config.mjs); this only has to let the
    // instrumented initial run of the slowest property finish.
    testTimeout: 600_000,
    hookTimeout: 60_000,
  },
});
