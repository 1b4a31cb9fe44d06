import { defineConfig } from 'vitest/config';

// Tests sit beside the code they test (`<folder>/<name>.test.ts`); the property suites are
// `properties/*.property.ts`. Property suites run whole simulations per case, so they get
// generous timeouts; forks keep each file in its own process, which matters for the memory of
// the larger scenario tests.
export default defineConfig({
  test: {
    include: ['**/*.test.ts', 'properties/**/*.property.ts'],
    exclude: ['node_modules/**', 'out/**'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 60_000,
    reporters: ['default', './scripts/summary_reporter.ts'],
  },
});
