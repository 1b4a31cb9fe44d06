// The gongji CLI: a run writes result.json honouring its contract; the same seed gives the same
// traceHash; bad flags and scenario files get a one-line reason and exit code 2, writing nothing.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { Simulation } from '../sim/simulation.ts';
import { MIXED } from '../testing/scenarios.ts';
import { scenarioFrom } from '../world/scenario.ts';
import { writeScenarioFile } from '../world/scenario_file.ts';
import { main } from './main.ts';

const small = ['--wallets', '3000', '--transfers', '1200', '--quiet'];

function runInProcess(args: string[]): { code: number; result: Record<string, any> } {
  const out = mkdtempSync(join(tmpdir(), 'gongji-cli-'));
  // The simulator's commands answer synchronously.
  const code = main(['run', ...args, '--out', out]) as number;
  return { code, result: JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) };
}

describe('gongji run', () => {
  it('writes result.json with the contract fields and exits 0 when every invariant holds', () => {
    const { code, result } = runInProcess([...small, '--seed', '5']);
    expect(code).toBe(0);
    expect(result.seed).toBe(5);
    expect(result.scenario).toBe('national-day');
    expect(result.traceHash).toMatch(/^[0-9a-f]{16}$/);
    expect(result.virtualMs).toBeGreaterThan(0);
    expect(result.wallMs).toBeGreaterThan(0);
    // What the run cost: the world's build apart from the run, its rate and the peak RSS.
    const cost = result.performance;
    expect(cost.worldBuildMs).toBeGreaterThan(0);
    expect(cost.runMs).toBeGreaterThan(0);
    expect(cost.worldBuildMs + cost.runMs).toBeLessThanOrEqual(result.wallMs + 1);
    // The rate is of the run, not of the wall (runMs is rounded in the file: within 1 %).
    const rate = result.network.deliveries / (cost.runMs / 1000);
    expect(Math.abs(cost.deliveriesPerSecond - rate) / rate).toBeLessThan(0.01);
    expect(cost.peakRssBytes).toBeGreaterThanOrEqual(process.memoryUsage.rss() / 2);
    // What the world holds per wallet, all-in: a few hundred bytes to a few KB at this size
    // (fixed costs weigh on a small world), and never nothing.
    expect(cost.bytesPerWallet).toBeGreaterThan(200);
    expect(cost.bytesPerWallet).toBeLessThan(20_000);
    for (const key of [
      'transfer.sameRegion.completed',
      'transfer.sameProvince.completed',
      'transfer.crossProvince.completed',
    ]) {
      expect(result.counts[key], key).toBeGreaterThan(0);
    }
    for (const scope of ['sameRegion', 'sameProvince', 'crossProvince']) {
      expect(result.counts[`transfer.${scope}.rejected`]).toBeTypeOf('number');
      expect(result.counts[`transfer.${scope}.refused`]).toBeTypeOf('number');
    }
    for (const name of [
      'conservation',
      'ledgerBalance',
      'noNegativeBalance',
      'exactlyOnce',
      'lifecycle',
    ]) {
      expect(result.invariants[name]).toEqual({ ok: true });
    }
    const answered = Object.entries(result.counts as Record<string, number>)
      .filter(([k]) => /^transfer\..*\.(completed|rejected|refused)$/.test(k))
      .reduce((sum, [, n]) => sum + n, 0);
    // The 1200 drawn transfers, plus one follow-up transfer per binding, revocation and change,
    // and two per wallet opened (one before, refused W10, one after).
    expect(result.requests.open).toBeGreaterThan(0);
    expect(result.requests.transfer).toBe(
      1200 +
        result.requests.bind +
        result.requests.end +
        result.requests.enrolment +
        2 * result.requests.open,
    );
    expect(answered).toBe(result.requests.transfer);
  });

  it('the same seed gives the same traceHash, another seed another', () => {
    const a = runInProcess([...small, '--seed', '9']).result;
    const b = runInProcess([...small, '--seed', '9']).result;
    const c = runInProcess([...small, '--seed', '10']).result;
    expect(b.traceHash).toBe(a.traceHash);
    expect(c.traceHash).not.toBe(a.traceHash);
  });

  it('a broken variant fails the run with exit 1 and records how to replay it', () => {
    const { code, result } = runInProcess([...small, '--variant', 'noDedup']);
    expect(code).toBe(1);
    expect(result.ok).toBe(false);
    expect(result.invariants.exactlyOnce.ok).toBe(false);
    expect(result.failure.replay).toContain('--variant noDedup');
    expect(result.failure.recentDeliveries.length).toBeGreaterThan(0);
  });
});

describe('built-in scenarios, --scale and --days', () => {
  it('--scenario NAME runs a built-in; --scale 1:N samples it, rates × N in result.json', () => {
    const { code, result } = runInProcess([
      '--scenario',
      'mature',
      '--scale',
      '1:20000',
      '--quiet',
    ]);
    expect(code).toBe(0);
    expect(result.scenario).toBe('mature');
    expect(result.population.wallets).toBe(3_700); // 74,000,000 / 20,000
    expect(result.rates.scale).toBe(20_000);
    const { simulated, nationalEquivalent } = result.rates;
    expect(nationalEquivalent.settlements).toBeCloseTo(simulated.settlements * 20_000, 0);
    expect(nationalEquivalent.settlements).toBeGreaterThan(200);
    expect(result.days).toHaveLength(1);
  });

  it('--days N spans N days with a line per day on stderr', () => {
    const out = mkdtempSync(join(tmpdir(), 'gongji-days-'));
    const oneDay = mkdtempSync(join(tmpdir(), 'gongji-day-'));
    const res = spawnSync(
      process.execPath,
      [
        ...['--import', 'tsx', 'cli/main.ts', 'run', '--scenario', 'mature', '--scale', '1:40000'],
        ...['--out', oneDay],
      ],
      { encoding: 'utf8' },
    );
    expect(res.status, res.stderr).toBe(0);
    const three = spawnSync(
      process.execPath,
      [
        ...['--import', 'tsx', 'cli/main.ts', 'run', '--scenario', 'mature', '--scale', '1:40000'],
        ...['--days', '3', '--out', out],
      ],
      { encoding: 'utf8' },
    );
    expect(three.status, three.stderr).toBe(0);
    const days = three.stderr.split('\n').filter((line) => /^ {2}day \d/.test(line));
    expect(days.map((line) => line.slice(0, 19))).toEqual([
      '  day 1 2025-10-21:',
      '  day 2 2025-10-22:',
      '  day 3 2025-10-23:',
    ]);
    expect(res.stderr).not.toMatch(/^ {2}day \d/m);
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    expect(result.days.map((d: { requests: number }) => d.requests > 0)).toEqual([
      true,
      true,
      true,
    ]);
    // Three days of rates: about three times one day's requests.
    expect(result.requests.bill).toBeGreaterThan(3 * 458 - 60);
  });
});

describe('bad input', () => {
  const cli = (args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { encoding: 'utf8' });

  const cases: Array<[string, string[], RegExp]> = [
    ['an unknown flag', ['run', '--frobnicate'], /unknown option '--frobnicate'/],
    ['a seed that is not a number', ['run', '--seed', 'abc'], /--seed: expected a whole number/],
    ['an unknown command', ['fly'], /unknown command 'fly'/],
    [
      'a missing scenario file',
      ['run', '--scenario', '/nonexistent.yaml'],
      /cannot read \/nonexistent\.yaml/,
    ],
    ['an unknown variant', ['run', '--variant', 'fast'], /--variant fast: expected one of/],
    [
      'an unknown built-in scenario',
      ['run', '--scenario', 'matur'],
      /no built-in scenario 'matur' and no file of that name; the built-in ones are pilot-2024-12/,
    ],
    ['a scale that is not 1:N', ['run', '--scale', '10:1'], /--scale: expected 1:N/],
    ['a scale of 1:0', ['run', '--scale', '1:0'], /--scale: expected 1:N with a whole N ≥ 1/],
    [
      'a transfer count for a rated scenario',
      ['run', '--scenario', 'mature', '--transfers', '5'],
      /--transfers: the scenario gives rates \(workload\.rates\), which set the counts/,
    ],
    ['no days', ['run', '--days', '0'], /--days 0: expected a whole number in \[1, 366\]/],
  ];
  for (const [what, args, message] of cases) {
    it(`${what}: exit 2 with the reason, nothing written`, () => {
      const out = mkdtempSync(join(tmpdir(), 'gongji-bad-'));
      const res = cli([...args, '--out', out]);
      expect(res.status).toBe(2);
      expect(res.stderr).toMatch(message);
      // One line: the reason, no usage text and no stack.
      expect(res.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(existsSync(join(out, 'result.json'))).toBe(false);
    });
  }

  it('a scenario file with a bad field names the file and the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gongji-bad-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'population:\n  wallets: many\n');
    const res = cli(['run', '--scenario', file, '--out', dir]);
    expect(res.status).toBe(2);
    expect(res.stderr).toContain(`${file}: scenario.population.wallets: expected a whole number`);
  });

  it('a YAML file with an unresolved tag is refused in one line, with no warning printed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gongji-bad-'));
    const file = join(dir, 'tag.yaml');
    writeFileSync(file, '!&\n');
    const res = cli(['run', '--scenario', file, '--out', join(dir, 'out')]);
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/is not valid YAML: Unresolved tag: !&/);
    expect(res.stderr).not.toMatch(/YAMLWarning/);
    expect(existsSync(join(dir, 'out', 'result.json'))).toBe(false);
  });

  it('help prints usage and exits 0', () => {
    const help = execFileSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'help'], {
      encoding: 'utf8',
    });
    expect(help).toMatch(/usage: gongji/);
    // Every built-in scenario is listed, with its scale.
    expect(help).toMatch(/pilot-2024-12 .*1:1\n/);
    expect(help).toMatch(/mature .*1:10\n/);
    expect(help).toMatch(/partition-storm .*1:1,000\n/);
  });

  it('a scenario file written for a counterexample reads back as the same scenario and replays to the same trace', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'gongji-script-')), 'mixed.json');
    const scenario = scenarioFrom(MIXED);
    writeScenarioFile(scenario, file);
    expect(scenarioFrom(JSON.parse(readFileSync(file, 'utf8')))).toEqual(scenario);
    const expected = new Simulation(scenario).run().trace.hash;
    // As `npm start -- --scenario FILE` runs it.
    const out = mkdtempSync(join(tmpdir(), 'gongji-replay-'));
    expect(main(['run', '--scenario', file, '--out', out, '--quiet'])).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    expect(result.traceHash).toBe(expected);
  });
});
