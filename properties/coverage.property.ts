// What the suites' draws explore, checked: a fixed sample of the reference suite's scenarios
// (every fault it must survive) and of the damage suite's (the faults it can only detect) is run
// and recorded. Every "sometimes" path (properties/coverage.ts) must be reached by at least one
// run, and the matrix of (role, message kind) by active fault type is written to
// out/coverage/coverage.json with its summary printed, so a change that stops the draws from
// reaching a rare path fails here instead of silently testing less.
import { mkdirSync, writeFileSync } from 'node:fs';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { detectOnly } from '../world/faults.ts';
import { Coverage, RunFacts, type Sometimes } from './coverage.ts';
import { suiteNamed } from './suites.ts';

const SAMPLE = [
  ['reference', 160],
  ['damage', 60],
] as const;

describe('coverage: what the property runs explored', () => {
  it('every sometimes path is reached, and the state × fault matrix is written', () => {
    const coverage = new Coverage();
    for (const [name, runs] of SAMPLE) {
      const scenarios = fc.sample(suiteNamed(name).arbitrary, { numRuns: runs, seed: 20_261_206 });
      for (const scenario of scenarios) {
        // The reference suite draws only the faults the protocol must survive.
        if (name === 'reference') expect(scenario.faults.filter(detectOnly)).toEqual([]);
        coverage.add(new RunFacts(scenario));
      }
    }
    mkdirSync('out/coverage', { recursive: true });
    writeFileSync('out/coverage/coverage.json', JSON.stringify(coverage.toJSON(), null, 2));
    console.log(coverage.summary().join('\n'));
    const missed = [...coverage.reached].filter(([, n]) => n === 0).map(([name]) => name);
    expect(missed, 'sometimes paths no run reached').toEqual([] as Sometimes[]);
    // Every fault type was drawn, and the matrix saw messages under each.
    const columns = new Set([...coverage.matrix.values()].flatMap((row) => [...row.keys()]));
    for (const type of coverage.faultsByType.keys()) expect(columns, type).toContain(type);
    expect(coverage.faultsByType.size).toBe(12);
  });
});
