import { defineConfig } from 'vitest/config';

// Property suites run whole simulations per case, so they get generous timeouts; forks keep
// each file in its own process, which matters for the memory of the larger scenario tests.
export default defineConfig({
  test: {
    include: [
      'test/**/*.test.ts',
      'properties/**/*.property.ts',
      'protocol/**/*.test.ts',
      'sim/**/*.test.ts',
      'actors/**/*.test.ts',
      'cluster/**/*.test.ts',
    ],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 60_000,
    reporters: ['default', './scripts/summary_reporter.ts'],
  },
});
