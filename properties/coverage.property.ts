// What the suites' draws explore, checked: a fixed sample of each suite's scenarios (the reference
// and the two other designs with every fault they must survive, the damage suite with the faults
// it can only detect) is run and recorded. Every "sometimes" path (properties/coverage.ts) must be
// reached by at least one run, and every chart state a record can be durable in visited; the
// matrices of machine states and of (role, message kind) by active fault type are written to
// out/coverage/coverage.json with their summary printed, so a change that stops the draws from
// reaching a rare path or a state fails here instead of silently testing less.
import { mkdirSync, writeFileSync } from 'node:fs';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { detectOnly } from '../world/faults.ts';
import {
  Coverage,
  NEVER_DURABLE,
  RunFacts,
  SENT_ONLY_BY_DIRECTED_TESTS,
  type Sometimes,
} from './coverage.ts';
import { suiteNamed } from './suites.ts';

const SAMPLE = [
  ['reference', 300],
  ['clearing', 100],
  ['damage', 100],
  ['clearingLies', 100],
  ['debitFirst', 100],
  ['optimisticCredit', 100],
] as const;

describe('coverage: what the property runs explored', () => {
  it('every sometimes path is reached, and the state × fault matrix is written', () => {
    const coverage = new Coverage();
    for (const [name, runs] of SAMPLE) {
      const scenarios = fc.sample(suiteNamed(name).arbitrary, { numRuns: runs, seed: 20_261_206 });
      for (const scenario of scenarios) {
        // The reference suites draw only the faults the protocol must survive.
        if (name === 'reference' || name === 'clearing')
          expect(scenario.faults.filter(detectOnly)).toEqual([]);
        coverage.add(new RunFacts(scenario));
      }
    }
    mkdirSync('out/coverage', { recursive: true });
    writeFileSync('out/coverage/coverage.json', JSON.stringify(coverage.toJSON(), null, 2));
    console.log(coverage.summary().join('\n'));
    const missed = [...coverage.reached].filter(([, n]) => n === 0).map(([name]) => name);
    expect(missed, 'sometimes paths no run reached').toEqual([] as Sometimes[]);
    // Every chart state a record can be durable in was visited by some run.
    expect(coverage.unvisited, 'chart states no run visited').toEqual([]);
    const reachedAnyway = Object.keys(NEVER_DURABLE).filter((state) => coverage.states.has(state));
    expect(reachedAnyway, 'states NEVER_DURABLE lists that a run did visit').toEqual([]);
    // Least privilege: every (sender, kind) pair protocol/senders.ts allows is sent by some run,
    // but those only directed tests reach. A pair no run sends is a permission no code needs or
    // a flow the draws miss; a pair the table refuses stops its flow, and its pair goes unsent.
    expect([...coverage.unsent].sort(), 'permitted pairs no run sent').toEqual(
      Object.keys(SENT_ONLY_BY_DIRECTED_TESTS).sort(),
    );
    // Every fault type was drawn, and the matrix saw messages under each.
    const columns = new Set([...coverage.matrix.values()].flatMap((row) => [...row.keys()]));
    for (const type of coverage.faultsByType.keys()) expect(columns, type).toContain(type);
    expect(coverage.faultsByType.size).toBe(12);
  });
});
