import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// The tests `npm run mutate` runs against each mutant (stryker.config.mjs): the unit tests of
// actors/ and protocol/ and the property suites, nothing that spawns a process, starts a server,
// opens a browser or measures (cli/, cluster/, report's browser tests, bench/). Stryker runs only
// the tests that cover a mutant and stops at the first failure, one file after another, so the
// unit tests go first: a mutant they kill never waits for the properties' whole simulations.
// A mutant that survives them still costs the properties' whole run (about 100 s, most of it one
// negative control), so MUTATE_UNITS_ONLY=1 (`npm run mutate:units`) leaves the properties out
// for a quick first pass; a later `npm run mutate` then retests only that pass's survivors.
class PropertiesLast extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const property = (f: TestSpecification) => f.moduleId.endsWith('.property.ts');
    return [...sorted.filter((f) => !property(f)), ...sorted.filter(property)];
  }
}

export default defineConfig({
  test: {
    include: [
      'actors/**/*.test.ts',
      'protocol/**/*.test.ts',
      ...(process.env.MUTATE_UNITS_ONLY === '1' ? [] : ['properties/**/*.property.ts']),
    ],
    exclude: ['node_modules/**', 'out/**'],
    // A pinned seed draws the same cases for every mutant and every run, so a mutant's verdict
    // does not depend on the draw and the incremental file stays true.
    env: { FC_SEED: '20261204' },
    sequence: { sequencer: PropertiesLast },
    // Stryker times each mutant out itself (stryker.config.mjs); this only has to let the
    // instrumented initial run of the slowest negative control finish.
    testTimeout: 600_000,
    hookTimeout: 60_000,
  },
});
