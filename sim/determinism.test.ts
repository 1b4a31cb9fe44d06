// Determinism: one seed gives one trace, byte for byte; a different seed gives another. And the
// pure layers (actors/, protocol/) never touch the wall clock, Math.random, timers or I/O.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { DEFAULT_SCENARIO, type Scenario } from '../world/scenario.ts';
import { Simulation } from './simulation.ts';

// The default day's faults (partitions, loss, duplicates, reordering, crashes), at a smaller size.
const scenario: Scenario = {
  ...DEFAULT_SCENARIO,
  population: { wallets: 6_000 },
  workload: { transfers: 2_500 },
};

describe('determinism', () => {
  it('the same seed twice gives the same trace hash and the same outcomes', () => {
    const a = new Simulation(scenario).run();
    const b = new Simulation(scenario).run();
    expect(a.deliveries).toBeGreaterThan(10_000);
    expect(b.trace.hash).toBe(a.trace.hash);
    expect(b.deliveries).toBe(a.deliveries);
    expect(b.virtualMs).toBe(a.virtualMs);
    expect([...b.checkers.terminal]).toEqual([...a.checkers.terminal]);
    expect(a.checkers.ok).toBe(true);
  });

  it('another seed gives another trace', () => {
    const a = new Simulation(scenario).run();
    const b = new Simulation({ ...scenario, seed: scenario.seed + 1 }).run();
    expect(b.trace.hash).not.toBe(a.trace.hash);
  });

  it('the fault schedule is part of the trace: the same seed without faults differs', () => {
    const a = new Simulation(scenario).run();
    const b = new Simulation({ ...scenario, faults: [] }).run();
    expect(b.trace.hash).not.toBe(a.trace.hash);
  });
});

const BANNED: ReadonlyArray<[RegExp, string]> = [
  [/\bDate\.now\b/, 'Date.now'],
  [/\bnew Date\b/, 'new Date'],
  [/\bMath\.random\b/, 'Math.random'],
  [/\bperformance\.now\b/, 'performance.now'],
  [/\bprocess\.hrtime\b/, 'process.hrtime'],
  [/\bset(Timeout|Interval|Immediate)\b/, 'timers'],
  [/\bqueueMicrotask\b/, 'queueMicrotask'],
  [/from ['"]node:(fs|net|http|https|child_process|worker_threads|dgram|timers)/, 'I/O modules'],
  [/from ['"]\.\.\/(sim|cluster|properties|bench)\//, 'imports against the layer direction'],
  [/@nats-io|from ['"]nats['"]/, 'a transport library'],
];

function sources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
    .map((file) => join(dir, file));
}

describe('purity of actors/ and protocol/', () => {
  for (const dir of ['actors', 'protocol']) {
    it(`${dir}/ uses no wall clock, randomness, timers or I/O`, () => {
      const files = sources(dir);
      expect(files.length).toBeGreaterThan(3);
      const hits: string[] = [];
      for (const file of files) {
        const lines = readFileSync(file, 'utf8').split('\n');
        lines.forEach((line, i) => {
          const code = line.replace(/\/\/.*$/, '');
          for (const [pattern, what] of BANNED)
            if (pattern.test(code)) hits.push(`${file}:${i + 1} ${what}`);
        });
      }
      expect(hits).toEqual([]);
    });
  }

  it('the scan itself catches a banned call (negative control)', () => {
    const code = 'const t = Date.now(); setTimeout(() => {}, 1);';
    expect(BANNED.filter(([pattern]) => pattern.test(code)).map(([, what]) => what)).toEqual([
      'Date.now',
      'timers',
    ]);
  });
});
