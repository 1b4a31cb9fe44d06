// Checks that protocol/ stays pure and tidy, by tool rather than by review: no clock, randomness,
// timers, console or process access in its sources; imports only of its own files (with explicit
// .ts extensions), decimal.js (named import) and msgpackr; no line over 100 columns.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, test } from 'vitest';

const DIR = import.meta.dirname;
const ALL_FILES = readdirSync(DIR).filter((name) => name.endsWith('.ts'));
const SOURCE_FILES = ALL_FILES.filter((name) => !name.endsWith('.test.ts'));
const COLUMNS_MAX = 100;

const BANNED: ReadonlyArray<[RegExp, string]> = [
  [/\bDate\.now\b/, 'Date.now: take virtual time as a parameter'],
  [/\bnew Date\b/, 'new Date: take virtual time as a parameter'],
  [/\bMath\.random\b/, 'Math.random: take a seeded PRNG as a parameter'],
  [/\bset(Timeout|Interval|Immediate)\b/, 'timers: the simulator owns time'],
  [/\bperformance\.now\b/, 'performance.now: take virtual time as a parameter'],
  [/\bprocess\./, 'process: protocol/ has no environment'],
  [/\bconsole\./, 'console: report errors as values'],
  [/\bimport\s+Decimal\s+from\b/, 'default import of Decimal: TS2351 under NodeNext'],
];
const ALLOWED_PACKAGES: ReadonlySet<string> = new Set(['decimal.js', 'msgpackr']);

function read(name: string): string {
  return readFileSync(join(DIR, name), 'utf8');
}

// Comments may name what is banned (to explain why); code may not.
function codeLines(text: string): string[] {
  return text.split('\n').filter((line) => !/^\s*(\/\/|\*|\/\*)/.test(line));
}

function importSpecifiers(text: string): string[] {
  return [...text.matchAll(/\bfrom\s+'([^']+)'/g)].map((match) => match[1] ?? '');
}

describe('protocol/ sources', () => {
  test('exist', () => {
    expect(SOURCE_FILES).toEqual(
      expect.arrayContaining(['codec.ts', 'envelope.ts', 'errors.ts', 'messages.ts', 'money.ts']),
    );
  });

  test.each(SOURCE_FILES)('%s uses no clock, randomness, timers or environment', (name) => {
    const offences = codeLines(read(name)).flatMap((line) =>
      BANNED.filter(([pattern]) => pattern.test(line)).map(([, why]) => `${why}: ${line.trim()}`),
    );
    expect(offences).toEqual([]);
  });

  test.each(SOURCE_FILES)('%s imports only protocol files and its two libraries', (name) => {
    const bad = importSpecifiers(read(name)).filter(
      (spec) => !ALLOWED_PACKAGES.has(spec) && !/^\.\/[a-z_]+\.ts$/.test(spec),
    );
    expect(bad).toEqual([]);
  });
});

describe('protocol/ files', () => {
  test.each(ALL_FILES)('%s keeps lines within 100 columns', (name) => {
    const long = read(name)
      .split('\n')
      .map((line, i) => [i + 1, line.length] as const)
      .filter(([, length]) => length > COLUMNS_MAX);
    expect(long).toEqual([]);
  });
});
