// Mutation testing of actors/ and protocol/ (`npm run mutate`; docs/HACKING.md, "Mutation
// testing"). Not part of `npm test`: it runs the focused tests of vitest.mutate.config.ts once per
// mutant. Everything it writes stays under out/ (git-ignored, and outside ESLint, Prettier and
// vitest's reach, so a kept sandbox is never linted or tested).
// MUTATE_TESTS_UNDER (vitest.mutate.config.ts) narrows the tests to one folder's; the mutants
// narrow with them, so another folder's static mutants never "survive" tests not theirs.
const UNDER = process.env.MUTATE_TESTS_UNDER;
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts' },
  mutate:
    UNDER === undefined
      ? ['actors/**/*.ts', 'protocol/**/*.ts', '!**/*.test.ts']
      : [`${UNDER}/**/*.ts`, '!**/*.test.ts'],
  // Run each mutant against only the tests that executed it in the initial run.
  coverageAnalysis: 'perTest',
  // Two cores: two test runners, each a single vitest thread.
  concurrency: 2,
  // A mutant times out at 1.5 × its covering tests' time in the initial run, plus 10 s of slack
  // for a busy machine; the instrumented initial run includes the properties (minutes).
  timeoutFactor: 1.5,
  timeoutMS: 10_000,
  dryRunTimeoutMinutes: 30,
  incremental: true,
  incrementalFile: 'out/mutation/stryker-incremental.json',
  tempDirName: 'out/stryker-tmp',
  ignorePatterns: ['/out', '/scratch'],
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'out/mutation/index.html' },
  jsonReporter: { fileName: 'out/mutation/mutation.json' },
  clearTextReporter: { reportTests: false },
};
