// Bad input at the command line, tried as a new user would: each is refused before any work
// starts, with exit 2 and one line that names the flag, file or field, the problem and the fix;
// nothing is written and nothing is left behind. Then the same by chance: random commands,
// flags, scenario files and output paths must end within a bound, with exit 0, 1 or 2 only and
// never a stack trace.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';

import { prepareOutDir } from './out_dir.ts';

/** Milliseconds any invocation may take: a small run, or a refusal (most take about 1 s). */
const BOUND_MS = 60_000;

function gongji(args: readonly string[], cwd = process.cwd()) {
  const started = Date.now();
  const res = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'main.ts'), ...args],
    { encoding: 'utf8', cwd, timeout: BOUND_MS, killSignal: 'SIGKILL' },
  );
  return { ...res, ms: Date.now() - started };
}

const scratch = () => mkdtempSync(join(tmpdir(), 'gongji-input-'));

/** No stack trace: no `    at f (file:1:2)` line, no uncaught error's name. */
function expectNoStack(stderr: string): void {
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toMatch(/\b(TypeError|RangeError|ReferenceError|SyntaxError): /);
}

function expectRefused(res: ReturnType<typeof gongji>, message: RegExp): void {
  expect(res.status, res.stderr).toBe(2);
  const lines = res.stderr.trimEnd().split('\n');
  expect(lines, res.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^gongji: /);
  expect(lines[0]).toMatch(message);
  expectNoStack(res.stderr);
}

describe('bad input, as a new user tries it', () => {
  it('a scenario whose shares cannot add up is refused by `gongji scenario` and by `gongji run`, naming the field and the fix', () => {
    const dir = scratch();
    const file = join(dir, 'shares.yaml');
    writeFileSync(file, 'population:\n  crossProvinceShare: 1\n');
    const message =
      /shares\.yaml: scenario\.population\.crossProvinceShare: 1 \+ sameProvinceShare 0\.25 is more than 1 .*: lower one of them$/;
    expectRefused(gongji(['scenario', '--scenario', file]), message);
    const out = join(dir, 'out');
    expectRefused(gongji(['run', '--scenario', file, '--out', out]), message);
    expect(existsSync(out)).toBe(false);
  });

  it('--wallets 3 is too small a population for the default requests: exit 2 before the run, no directory left', () => {
    const out = join(scratch(), 'out');
    const res = gongji(['run', '--wallets', '3', '--out', out]);
    expectRefused(res, /binds.*3 wallets has no bind candidates.*raise --wallets/);
    expect(existsSync(out)).toBe(false);
    expectRefused(gongji(['scenario', '--wallets', '3']), /no bind candidates/);
  });

  it('--out below a file is refused, naming the file', () => {
    expectRefused(
      gongji(['run', '--out', '/dev/null/x']),
      /^gongji: --out \/dev\/null\/x: \/dev\/null is not a directory/,
    );
  });

  it('--out where no directory can be made ends at once instead of hanging', () => {
    const res = gongji(['run', '--out', '/proc/nope']);
    expectRefused(res, /^gongji: --out \/proc\/nope: cannot make \/proc\/nope/);
    expect(res.ms).toBeLessThan(BOUND_MS);
  });

  it('--out makes the missing directories one by one, and takes back only those it made', () => {
    const dir = scratch();
    const made = prepareOutDir(join(dir, 'a', 'b'));
    expect(existsSync(made.path)).toBe(true);
    made.undo();
    expect(readdirSync(dir)).toEqual([]);
    const existing = prepareOutDir(dir);
    existing.undo();
    expect(existsSync(dir)).toBe(true);
    expect(() => prepareOutDir('')).toThrow(/--out: expected a directory/);
  });

  it('flags without their values, with values they do not take, or with values out of range', () => {
    expectRefused(gongji(['run', '--seed']), /^gongji: --seed needs a value$/);
    expectRefused(gongji(['run', '--quiet=yes']), /^gongji: --quiet takes no value$/);
    expectRefused(gongji(['run', '--seed', '-3']), /--seed=<value>/);
    expectRefused(gongji(['run', '--seed=-3']), /--seed: expected a whole number ≥ 0, got '-3'/);
    expectRefused(
      gongji(['run', '--wallets', '1']),
      /^gongji: --wallets 1: expected a whole number in \[2, 50000000\], got 1$/,
    );
    expectRefused(gongji(['run', '--transfers', '1e9']), /--transfers: expected a whole number/);
    expectRefused(gongji(['run', '--frobnicate']), /unknown option '--frobnicate'/);
  });

  it('a scenario path that is no scenario file: missing, a directory, a device, not YAML', () => {
    const dir = scratch();
    const notYaml = join(dir, 'bad.yaml');
    writeFileSync(notYaml, 'population: [\n');
    expectRefused(gongji(['run', '--scenario', join(dir, 'none.yaml')]), /no such file/);
    expectRefused(gongji(['run', '--scenario', dir]), /a directory, not a file/);
    expectRefused(gongji(['run', '--scenario', '/dev/zero']), /not a regular file/);
    expectRefused(gongji(['run', '--scenario', notYaml]), /bad\.yaml is not valid YAML/);
  });

  it('a fault naming an actor the world does not have is refused before the run', () => {
    const file = join(scratch(), 'faults.yaml');
    writeFileSync(
      file,
      'topology: { provinces: 3 }\nfaults:\n' +
        '  - { type: crash, at: "10:00", duration: 1m, node: province.51 }\n',
    );
    expectRefused(
      gongji(['scenario', '--scenario', file]),
      /scenario\.faults\[0\]\.node: 'province\.51' is no actor of this world/,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The same by chance.

/** A small world, so that a run the fuzzer does not break ends in seconds. */
const SMALL: Record<string, unknown> = {
  name: 'fuzz',
  topology: { provinces: 4, regionsPerProvinceMax: 3 },
  population: { wallets: 400 },
  workload: {
    transfers: 30,
    binds: 4,
    revokes: 2,
    enrolmentChanges: 1,
    bills: 20,
    contributions: 4,
  },
  faults: [],
};

const junk = fc.oneof(
  fc.constantFrom('', '-1', '0', '1.5', 'NaN', 'many', '1e9', 'true', '[]', '{}', '~', '"', '::'),
  fc.string({ maxLength: 12 }),
);
/** A value as YAML would read it from a careless hand: a number, a word, a list, nothing. */
const value = fc.oneof(
  junk,
  fc.integer({ min: -5, max: 2_000_000 }),
  fc.double({ min: -2, max: 2, noNaN: true }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.nat({ max: 9 }), { maxLength: 2 }),
);

/** A scenario file: the small world, sometimes with one field set to something odd. */
const scenarioText = fc.oneof(
  { weight: 2, arbitrary: fc.constant(stringify(SMALL)) },
  {
    weight: 5,
    arbitrary: fc
      .tuple(
        fc.constantFrom('population', 'workload', 'protocol', 'network', 'checks', 'topology'),
        fc.constantFrom(
          'wallets',
          'transfers',
          'binds',
          'crossProvinceShare',
          'sameProvinceShare',
          'variant',
          'links',
          'days',
          'retryDelayMsMin',
          'amountMeanYuan',
          'provinces',
          'lifecycleBoundMs',
          'x',
        ),
        value,
      )
      .map(([section, field, v]) => {
        const sections = SMALL as Record<string, Record<string, unknown> | undefined>;
        return stringify({ ...SMALL, [section]: { ...sections[section], [field]: v } });
      }),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom('faults', 'transfers', 'bills', 'seed', 'name', 'x'), value)
      .map(([field, v]) => stringify({ ...SMALL, [field]: v })),
  },
  { weight: 1, arbitrary: junk },
);

type Out = 'fresh' | 'nested' | 'file' | 'devnull' | 'proc' | 'empty';

/** Mostly what a user means, now and then something else. */
const mostly = <T>(meant: fc.Arbitrary<T>, other: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 4, arbitrary: meant }, { weight: 1, arbitrary: other });
const sometimes = <T>(arbitrary: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary });

const caseArb = fc.record({
  command: mostly(fc.constantFrom('run', 'scenario'), fc.constantFrom('help', 'fly', '')),
  scenario: fc.option(scenarioText, { nil: undefined }),
  seed: sometimes(mostly(fc.nat({ max: 99 }).map(String), junk)),
  wallets: sometimes(mostly(fc.integer({ min: 0, max: 600 }).map(String), junk)),
  transfers: sometimes(mostly(fc.nat({ max: 40 }).map(String), junk)),
  variant: sometimes(fc.constantFrom('reference', 'noDedup', 'timeoutFails', 'fast', '')),
  out: mostly(
    fc.constant<Out>('fresh'),
    fc.constantFrom<Out>('nested', 'file', 'devnull', 'proc', 'empty'),
  ),
  switches: fc.subarray(['--quiet', '--no-faults', '--trace']),
  odd: sometimes(fc.constantFrom('--help', '--bogus', '-x', '--', 'extra')),
});

type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

function argvOf(c: Case, dir: string): string[] {
  const argv: string[] = c.command === '' ? [] : [c.command];
  if (c.scenario !== undefined) {
    const file = join(dir, 'fuzz.yaml');
    writeFileSync(file, c.scenario);
    argv.push('--scenario', file);
  } else {
    // Without a file, the national day: keep it small through the flags.
    argv.push('--wallets', c.wallets ?? '300', '--transfers', c.transfers ?? '20', '--no-faults');
  }
  if (c.seed !== undefined) argv.push('--seed', c.seed);
  if (c.scenario !== undefined && c.wallets !== undefined) argv.push('--wallets', c.wallets);
  if (c.scenario !== undefined && c.transfers !== undefined) argv.push('--transfers', c.transfers);
  if (c.variant !== undefined) argv.push('--variant', c.variant);
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  const out = {
    fresh: join(dir, 'out'),
    nested: join(dir, 'a', 'b', 'c'),
    file: join(file, 'out'),
    devnull: '/dev/null/x',
    proc: '/proc/nope',
    empty: '',
  }[c.out];
  argv.push(`--out=${out}`, ...c.switches, ...(c.odd === undefined ? [] : [c.odd]));
  return argv;
}

/** Run one case without blocking the test's own event loop, killed at the bound. */
function runCase(argv: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'main.ts'), ...argv],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), BOUND_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('random commands, flags, files and paths', () => {
  const runs = Number(process.env.FUZZ_RUNS ?? 12);

  it(
    `end within ${BOUND_MS / 1000} s with exit 0, 1 or 2 and no stack trace (${runs} cases)`,
    async () => {
      await fc.assert(
        fc.asyncProperty(caseArb, async (c) => {
          const dir = scratch();
          const argv = argvOf(c, dir);
          const { code, stderr } = await runCase(argv);
          const where = `gongji ${argv.join(' ')}\n${stderr}`;
          expect([0, 1, 2], where).toContain(code);
          expectNoStack(stderr);
          if (code === 2) {
            expect(stderr.trimEnd().split('\n'), where).toHaveLength(1);
            // Refused: no result written in the directory the case made.
            expect(readdirSync(dir).sort(), where).toEqual(
              c.scenario === undefined ? ['a-file'] : ['a-file', 'fuzz.yaml'],
            );
          }
        }),
        { numRuns: runs, interruptAfterTimeLimit: 8 * 60_000 },
      );
    },
    10 * 60_000,
  );
});
