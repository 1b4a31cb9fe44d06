// Determinism by tool rather than by review. protocol/, actors/ and host/ never touch the wall
// clock, randomness, timers, the environment or I/O (they get time and effects as values);
// world/ and sim/ never touch the clock, randomness or timers either (world/ may read and write
// scenario files). A run is then a function of its seed. Comments may name what is banned, to
// say why; code may not. The import side (no node:fs in a pure layer) is testing/layers.ts's.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

const NONDETERMINISM: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bDate\.now\b/, 'Date.now: take virtual time as a parameter'],
  [/\bnew Date\b/, 'new Date: take virtual time as a parameter'],
  [/\bMath\.random\b/, 'Math.random: take a seeded PRNG'],
  [/\bperformance\.now\b/, 'performance.now: take virtual time as a parameter'],
  [/\bprocess\.hrtime\b/, 'process.hrtime: take virtual time as a parameter'],
  [/\bset(Timeout|Interval|Immediate)\b/, 'timers: the runtime owns time'],
  [/\bqueueMicrotask\b/, 'queueMicrotask: the runtime owns scheduling'],
];
const ENVIRONMENT: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bprocess\./, 'process: a pure layer has no environment'],
  [/\bconsole\./, 'console: report as values or effects'],
];

const RULES: ReadonlyArray<readonly [string, ReadonlyArray<readonly [RegExp, string]>]> = [
  ['protocol', [...NONDETERMINISM, ...ENVIRONMENT]],
  ['actors', [...NONDETERMINISM, ...ENVIRONMENT]],
  ['host', [...NONDETERMINISM, ...ENVIRONMENT]],
  ['world', NONDETERMINISM],
  ['sim', NONDETERMINISM],
];

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !/\.(test|property)\.ts$/.test(file))
    .map((file) => join(dir, file));
}

/** Each code line of `text` that matches a banned pattern, with the reason. */
function offences(text: string, banned: ReadonlyArray<readonly [RegExp, string]>): string[] {
  const hits: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (/^\s*(\/\/|\*|\/\*)/.test(line)) return;
    const code = line.replace(/\/\/.*$/, '');
    for (const [pattern, why] of banned) if (pattern.test(code)) hits.push(`${i + 1}: ${why}`);
  });
  return hits;
}

describe('the deterministic layers', () => {
  it.each(RULES)(
    '%s/ uses no clock, randomness or timers (and the pure ones no environment)',
    (dir, banned) => {
      const files = sources(dir);
      expect(files.length).toBeGreaterThan(2);
      const hits = files.flatMap((file) =>
        offences(readFileSync(join(ROOT, file), 'utf8'), banned).map((hit) => `${file}:${hit}`),
      );
      expect(hits).toEqual([]);
    },
  );

  it('the scan catches each banned call in code, and none in a comment (negative control)', () => {
    const code = [
      'const t = Date.now(); setTimeout(() => {}, 1);',
      '  // Date.now would break determinism, so the time is a parameter',
      ' * Math.random is not used here',
      'const r = Math.random(); console.log(r);',
    ].join('\n');
    expect(offences(code, [...NONDETERMINISM, ...ENVIRONMENT])).toEqual([
      '1: Date.now: take virtual time as a parameter',
      '1: timers: the runtime owns time',
      '4: Math.random: take a seeded PRNG',
      '4: console: report as values or effects',
    ]);
  });
});
