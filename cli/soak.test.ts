// npm run soak (cli/soak.ts): a soak stops by itself (its time or a runs cap), exits 0, shows its
// progress and summary and writes soak.json; bad flags exit 2 with one line before any work; the
// negative control noDedup is caught, shrunk and written as a scenario file that replays to the
// same failing run and a report.html with its sequence diagram, and exits 1, the same way for
// the same seed; Ctrl-C stops a soak cleanly with soak.json written.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it, vi } from 'vitest';

import { SUITES } from '../properties/suites.ts';
import { Simulation } from '../sim/simulation.ts';
import { scenarioFrom } from '../world/scenario.ts';
import { readScenarioFile } from '../world/scenario_file.ts';
import { chunkSeed, soakMain } from './soak.ts';

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gongji-soak-'));
  made.push(dir);
  return dir;
}

interface Soaked {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly out: string;
}

/** The soak in this process, its output captured. */
async function soakIn(args: string[], out = tempDir()): Promise<Soaked> {
  const err: string[] = [];
  const std: string[] = [];
  const spyErr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err.push(String(chunk));
    return true;
  });
  const spyOut = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    std.push(String(chunk));
    return true;
  });
  try {
    const code = await soakMain(['--out', out, ...args], new AbortController().signal);
    return { code, stdout: std.join(''), stderr: err.join(''), out };
  } finally {
    spyErr.mockRestore();
    spyOut.mockRestore();
  }
}

// soak.json, as far as the tests read it.
interface SoakFile {
  seed: number;
  stoppedBy: string;
  ok: boolean;
  runs: number;
  elapsedMinutes: number;
  suites: Array<{ suite: string; runs: number; runsPerMinute: number; failures: number }>;
  failures: Array<{
    suite: string;
    fcSeed: number;
    path: string;
    shrinks: number;
    traceHash: string;
    dir: string;
    files: string[];
    replay: string;
  }>;
}

const soakFile = (out: string): SoakFile =>
  JSON.parse(readFileSync(join(out, 'soak.json'), 'utf8')) as SoakFile;

describe('npm run soak', () => {
  it('stops by itself at its runs cap, round-robin over the suites, and exits 0', async () => {
    const { code, stdout, stderr, out } = await soakIn(['--runs', '60', '--seed', '7']);
    expect(code).toBe(0);
    const file = soakFile(out);
    expect(file).toMatchObject({ seed: 7, stoppedBy: 'runs', ok: true, runs: 60 });
    // Chunks of 25 take turns in the order of SUITES: 25, 25, then the 10 runs left.
    expect(file.suites.map((s) => [s.suite, s.runs])).toEqual(
      SUITES.map((s, i) => [s.name, [25, 25, 10][i] ?? 0]),
    );
    for (const suite of file.suites.filter((s) => s.runs > 0))
      expect(suite.runsPerMinute, suite.suite).toBeGreaterThan(0);
    expect(
      stdout.startsWith(`soak: ${SUITES.map((s) => s.name).join(', ')} for 10 min, seed 7 `),
    ).toBe(true);
    expect(stdout).toMatch(/runs\/min/);
    expect(stdout).toMatch(/^ {2}all +60 /m);
    expect(stdout).toContain(`wrote ${join(out, 'soak.json')}`);
    // The progress, a bar or a plain line, ends with the runs, their rate and the failures.
    expect(stderr).toMatch(/60 runs, \d+\/min \| 0 failure\(s\) \| done/);
  });

  it('stops by itself when its minutes are up, within about a run of the deadline', async () => {
    const started = performance.now();
    const { code, out } = await soakIn(['--minutes', '0.02', '--suite', 'reference']);
    const wallMs = performance.now() - started;
    expect(code).toBe(0);
    const file = soakFile(out);
    expect(file.stoppedBy).toBe('time');
    expect(file.runs).toBeGreaterThan(0);
    expect(wallMs).toBeGreaterThanOrEqual(1_200);
    expect(wallMs).toBeLessThan(1_200 + 2_000);
  });

  const bad: Array<[string, string[], RegExp]> = [
    ['minutes of zero', ['--minutes', '0'], /^soak: --minutes: expected a positive number/],
    ['minutes as words', ['--minutes', 'ten'], /^soak: --minutes: .* got 'ten'/],
    ['negative minutes', ['--minutes', '-1'], /^soak: --minutes: a value that starts with '-'/],
    ['minutes with no value', ['--minutes'], /^soak: --minutes needs a value/],
    [
      'an unknown suite',
      ['--suite', 'reference,nope'],
      /^soak: --suite: no suite 'nope': the suites are reference, debitFirst, .*\(negative controls: noDedup\)$/m,
    ],
    ['an empty suite name', ['--suite', 'reference,'], /^soak: --suite: expected names/],
    ['a seed that is not a number', ['--seed', '1.5'], /^soak: --seed: expected a whole number/],
    ['a seed of 2^32', ['--seed', '4294967296'], /^soak: --seed: expected a whole number/],
    ['a runs cap of zero', ['--runs', '0'], /^soak: --runs: expected a whole number ≥ 1/],
    ['an unknown flag', ['--frobnicate'], /^soak: unknown option '--frobnicate'/],
    ['an argument', ['reference'], /^soak: unexpected argument 'reference'/],
  ];
  it.each(bad)('refuses %s with one line and exit 2, before any work', async (_, args, line) => {
    const out = join(tempDir(), 'never');
    const { code, stdout, stderr } = await soakIn(args, out);
    expect(code).toBe(2);
    expect(stderr).toMatch(line);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stdout).toBe('');
    expect(existsSync(out)).toBe(false);
  });

  it('catches the negative control noDedup: shrunk, written, replayable, and exit 1', async () => {
    const { code, stdout, out } = await soakIn(['--suite', 'noDedup', '--seed', '1']);
    expect(code).toBe(1);
    const file = soakFile(out);
    expect(file).toMatchObject({ ok: false, stoppedBy: 'every suite failed' });
    expect(file.failures).toHaveLength(1);
    const [failure] = file.failures;
    if (failure === undefined) throw new Error('no failure');
    expect(failure.shrinks).toBeGreaterThan(0);
    expect(failure.dir).toBe(join(out, `noDedup-seed${failure.fcSeed}-${failure.traceHash}`));
    expect(stdout).toContain(`fast-check seed ${failure.fcSeed}, path "${failure.path}"`);
    expect(stdout).toContain(
      `replay: npm start -- --scenario ${join(failure.dir, 'scenario.json')}`,
    );
    // The scenario file replays to the same failing run.
    const scenario = scenarioFrom(readScenarioFile(join(failure.dir, 'scenario.json')));
    const replayed = new Simulation(scenario).run();
    expect(replayed.checkers.ok).toBe(false);
    expect(replayed.trace.hash).toBe(failure.traceHash);
    // report.html shows the failure and its sequence diagram.
    const html = readFileSync(join(failure.dir, 'report.html'), 'utf8');
    expect(html).toContain('FAILED</title>');
    expect(html).toContain('<h2 id="sequence">Counterexample</h2>');
    expect(html).toMatch(/<svg id="sequence-diagram"[^>]*>.*<g class="msg/s);
    expect(JSON.parse(readFileSync(join(failure.dir, 'result.json'), 'utf8')).ok).toBe(false);
    // The same seed finds, shrinks and names the same failure.
    const again = soakFile((await soakIn(['--suite', 'noDedup', '--seed', '1'])).out);
    expect(again.failures.map((f) => [f.fcSeed, f.path, f.traceHash])).toEqual([
      [failure.fcSeed, failure.path, failure.traceHash],
    ]);
  });

  it('stops cleanly on Ctrl-C: exit 0, soak.json written, the stop named', async () => {
    const out = tempDir();
    // Seed 7: the same cases as the runs cap's soak above, so only Ctrl-C can end it early.
    const args = ['--minutes', '5', '--seed', '7', '--out', out];
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'soak.ts'), ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let armed = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += String(chunk);
      // Ctrl-C once the soak has started and had a moment to run.
      if (armed || !/^soak: /.test(stdout)) return;
      armed = true;
      setTimeout(() => child.kill('SIGINT'), 1_500);
    });
    const code = await new Promise<number | null>((done) => child.on('exit', done));
    expect(code, stdout).toBe(0);
    expect(stdout).toMatch(/interrupted by Ctrl-C/);
    expect(soakFile(out).stoppedBy).toBe('interrupted');
  });

  it('draws each chunk a 31-bit fast-check seed that is a function of the soak seed', () => {
    const seeds = Array.from({ length: 1_000 }, (_, chunk) => chunkSeed(7, chunk));
    expect(new Set(seeds).size).toBe(1_000);
    for (const seed of seeds) expect(seed >>> 0).toBeLessThan(2 ** 31);
    expect(chunkSeed(7, 3)).toBe(seeds[3]);
    expect(chunkSeed(8, 3)).not.toBe(seeds[3]);
  });
});
