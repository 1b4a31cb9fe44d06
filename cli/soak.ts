// `npm run soak`: the property suites of properties/suites.ts, run for minutes instead of the few
// hundred cases of `npm test`. Round-robin over the suites in chunks of fast-check runs, each
// chunk with its own seed drawn from the soak's seed (printed first, so a soak replays). A
// failure is shrunk (bounded in time), then written as a scenario file that `npm start --
// --scenario FILE` replays and as that run's report.html with its sequence diagram. Exit codes
// are cli/args.ts's: 0 no failure, 1 a suite failed, 2 bad flags, 3 anything else.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { parseArgs } from 'node:util';

import { SingleBar } from 'cli-progress';
import fc from 'fast-check';

import { CONTROL_SUITES, type Suite, suiteNamed, SUITES } from '../properties/suites.ts';
import { renderReport } from '../report/render.ts';
import { reportPictures } from '../sim/focus.ts';
import { buildResult } from '../sim/report.ts';
import { Simulation } from '../sim/simulation.ts';
import { jsonReplacer } from '../world/json.ts';
import type { Scenario } from '../world/scenario.ts';
import { writeScenarioFile } from '../world/scenario_file.ts';
import { EXIT, flagProblem, UsageError } from './args.ts';
import { prepareOutDir } from './out_dir.ts';

/** fast-check runs per chunk: about a second of runs, so suites take turns often. */
const CHUNK_RUNS = 25;
/** How long a failure may shrink; what is left is printed as cut, and still replays. */
const SHRINK_MS_MAX = 60_000;
/** A plain progress line this often when stderr is not a terminal (CI). */
const PLAIN_EVERY_MS = 30_000;
/** A week: fast-check's time limit is a timer, and Node's timers stop at 2^31 ms. */
const MINUTES_MAX = 10_080;
const DEFAULT_MINUTES = 10;

const names = (suites: readonly Suite[]) => suites.map((s) => s.name).join(',');

const USAGE = `usage: npm run soak -- [--minutes N] [--suite NAME[,NAME]] [--seed S] [--out DIR]

Runs the property suites (properties/suites.ts) for N minutes, round-robin, and writes each
failure, shrunk, as a scenario file and its report.html under DIR/<suite>-seed<seed>-<trace>/.

  --minutes N   how long to run (default ${DEFAULT_MINUTES}; 0.5 is half a minute)
  --suite LIST  the suites, comma-separated (default: ${names(SUITES)});
                negative controls, run only when named: ${names(CONTROL_SUITES)}
  --seed S      the soak's seed (a whole number below 2^32; default from the clock): the same
                seed gives the same chunks in the same order
  --out DIR     where soak.json and the failures go (default: out/soak)
`;

interface SoakOptions {
  readonly minutes: number;
  readonly suites: readonly Suite[];
  readonly seed: number;
  readonly out: string;
  /** Not in the usage, for tests: stop after this many runs in all. */
  readonly runsMax: number | undefined;
}

type StopReason = 'time' | 'runs' | 'interrupted' | 'every suite failed';

interface SuiteTally {
  readonly suite: string;
  runs: number;
  wallMs: number;
  failures: number;
}

interface Failure {
  readonly suite: string;
  readonly fcSeed: number;
  readonly path: string;
  readonly shrinks: number;
  readonly shrinkRuns: number;
  /** Why shrinking stopped before fast-check ran out of smaller cases, if it did. */
  readonly shrinkCut: string | null;
  readonly verdict: string;
  readonly traceHash: string;
  readonly dir: string;
  readonly files: readonly string[];
  readonly replay: string;
}

function parseSoak(argv: readonly string[]): SoakOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: {
        minutes: { type: 'string' },
        suite: { type: 'string' },
        seed: { type: 'string' },
        out: { type: 'string' },
        runs: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError(flagProblem(error as Error & { code?: string }, 'npm run soak -- --help'));
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument '${positionals[0]}' (the soak takes only flags)`);
  return {
    minutes: values.minutes === undefined ? DEFAULT_MINUTES : minutesOf(values.minutes),
    suites: values.suite === undefined ? SUITES : suitesOf(values.suite),
    // The low 32 bits of the clock: a different soak each time, printed so it replays.
    seed: values.seed === undefined ? Date.now() >>> 0 : seedOf(values.seed),
    out: values.out ?? join('out', 'soak'),
    runsMax: values.runs === undefined ? undefined : runsOf(values.runs),
  };
}

function minutesOf(text: string): number {
  const minutes = /^\d{1,6}(\.\d{1,6})?$/.test(text) ? Number(text) : Number.NaN;
  if (!(minutes > 0 && minutes <= MINUTES_MAX))
    throw new UsageError(
      `--minutes: expected a positive number of minutes up to ${MINUTES_MAX} (0.5, 10, 60), ` +
        `got '${text}'`,
    );
  return minutes;
}

function suitesOf(text: string): Suite[] {
  const names = [...new Set(text.split(',').map((name) => name.trim()))];
  if (names.some((name) => name === ''))
    throw new UsageError(`--suite: expected names separated by commas, got '${text}'`);
  return names.map((name) => {
    try {
      return suiteNamed(name);
    } catch (error) {
      throw new UsageError(`--suite: ${(error as Error).message}`);
    }
  });
}

function seedOf(text: string): number {
  const seed = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
  if (!(seed < 2 ** 32))
    throw new UsageError(`--seed: expected a whole number from 0 to 4294967295, got '${text}'`);
  return seed;
}

function runsOf(text: string): number {
  const runs = /^\d{1,9}$/.test(text) ? Number(text) : 0;
  if (runs < 1) throw new UsageError(`--runs: expected a whole number ≥ 1, got '${text}'`);
  return runs;
}

/**
 * The fast-check seed of the soak's chunk number `chunk`: a 32-bit mix (murmur3's finalizer) of
 * the soak's seed and the chunk, so neighbouring chunks draw unrelated cases. Positive 31 bits,
 * as FC_SEED takes them.
 */
export function chunkSeed(soakSeed: number, chunk: number): number {
  assert(Number.isSafeInteger(chunk) && chunk >= 0, 'a chunk is numbered from 0');
  let h = (soakSeed ^ Math.imul(chunk + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) & 0x7fffffff;
}

/**
 * The suite as an asynchronous fast-check property. Each run first yields a turn of the event
 * loop: runs are synchronous, and that turn is the only moment Ctrl-C is seen. Once `stopped()`
 * says so, a run interrupts fast-check instead of simulating (its outcome would be thrown away).
 */
function soakProperty(suite: Suite, stopped: () => boolean, onRun: () => void) {
  return fc.asyncProperty(suite.arbitrary, async (scenario: Scenario) => {
    await nextTurn();
    if (stopped()) throw new fc.PreconditionFailure(true);
    const sim = new Simulation(scenario).run();
    onRun();
    return suite.verdict(sim) === null;
  });
}

interface SoakRun {
  readonly stoppedBy: StopReason;
  readonly elapsedMs: number;
  readonly tallies: readonly SuiteTally[];
  readonly failures: readonly Failure[];
}

/** Run the soak: chunks round-robin until the time, the runs cap, Ctrl-C or every suite fails. */
async function soak(options: SoakOptions, outDir: string, signal: AbortSignal): Promise<SoakRun> {
  assert(options.suites.length > 0, 'a soak runs at least one suite');
  const started = performance.now();
  const deadline = started + options.minutes * 60_000;
  const tallies = options.suites.map((s) => ({ suite: s.name, runs: 0, wallMs: 0, failures: 0 }));
  const failures: Failure[] = [];
  const active = [...options.suites];
  const progress = progressReporter(options.minutes, started);
  let runs = 0;
  const why = (): StopReason | null =>
    signal.aborted
      ? 'interrupted'
      : performance.now() >= deadline
        ? 'time'
        : runs >= (options.runsMax ?? Infinity)
          ? 'runs'
          : null;
  let stoppedBy: StopReason = 'every suite failed';
  for (let chunk = 0; active.length > 0; chunk++) {
    const reason = why();
    if (reason !== null) {
      stoppedBy = reason;
      break;
    }
    const suite = active[chunk % active.length] as Suite;
    const tally = tallies[options.suites.indexOf(suite)] as SuiteTally;
    const fcSeed = chunkSeed(options.seed, chunk);
    const chunkStarted = performance.now();
    const property = soakProperty(
      suite,
      () => why() !== null,
      () => {
        runs++;
        tally.runs++;
        progress.update(runs, failures.length, suite.name);
      },
    );
    const details = await fc.check(property, {
      seed: fcSeed,
      numRuns: Math.min(CHUNK_RUNS, (options.runsMax ?? Infinity) - runs),
      endOnFailure: true,
      plugins: [fc.interruptAfterTimeLimit(Math.max(1, deadline - performance.now()))],
    });
    tally.wallMs += performance.now() - chunkStarted;
    if (details.counterexample === null) continue;
    tally.failures++;
    const failure = await shrinkAndWrite(suite, fcSeed, details, outDir, signal, progress.line);
    failures.push(failure);
    progress.update(runs, failures.length, suite.name);
    // One failure per suite: the rest of the soak goes to what has not failed yet.
    active.splice(active.indexOf(suite), 1);
  }
  progress.stop(runs, failures.length);
  return { stoppedBy, elapsedMs: performance.now() - started, tallies, failures };
}

/**
 * Shrink a failure found in a chunk (replayed from its seed and path, at most SHRINK_MS_MAX or
 * until Ctrl-C), then write the smallest case as a scenario file and its run's report.html.
 */
async function shrinkAndWrite(
  suite: Suite,
  fcSeed: number,
  found: fc.RunDetails<unknown>,
  outDir: string,
  signal: AbortSignal,
  say: (text: string) => void,
): Promise<Failure> {
  assert(found.counterexample !== null && found.counterexamplePath !== null);
  const seconds = SHRINK_MS_MAX / 1000;
  say(`  ${suite.name} failed (fast-check seed ${fcSeed}): shrinking for at most ${seconds} s…\n`);
  const shrinkStarted = performance.now();
  let shrinkRuns = 0;
  const shrunk = await fc.check(
    soakProperty(
      suite,
      () => signal.aborted,
      () => shrinkRuns++,
    ),
    {
      seed: fcSeed,
      path: found.counterexamplePath,
      numRuns: 1,
      plugins: [fc.interruptAfterTimeLimit(SHRINK_MS_MAX)],
    },
  );
  const shrinkMs = performance.now() - shrinkStarted;
  // A case that failed once and passes on its replay would be a determinism bug: say so.
  const replayed = shrunk.counterexample !== null;
  if (!replayed && !shrunk.interrupted)
    say(`  ${suite.name}: the failing case PASSED when replayed: nondeterminism?\n`);
  const [scenario] = (shrunk.counterexample ?? found.counterexample) as [Scenario];
  const path = (replayed ? shrunk.counterexamplePath : found.counterexamplePath) as string;
  const shrinkCut = !shrunk.interrupted
    ? null
    : signal.aborted
      ? 'by Ctrl-C'
      : `after ${Math.round(shrinkMs / 1000)} s`;
  const written = writeFailure(suite, fcSeed, scenario, outDir);
  const failure: Failure = {
    suite: suite.name,
    fcSeed,
    path,
    shrinks: replayed ? shrunk.numShrinks : 0,
    shrinkRuns,
    shrinkCut,
    ...written,
  };
  say(failureNotice(failure, shrinkMs));
  return failure;
}

/**
 * Run the failing scenario as `gongji run` does (sampling the timeline, report.html's pictures
 * focused on the failure) and write the scenario file, result.json and report.html. A run that
 * throws (fast-check counts that as a failure too) keeps its scenario file alone.
 */
function writeFailure(suite: Suite, fcSeed: number, scenario: Scenario, outDir: string) {
  const started = performance.now();
  let sim: Simulation;
  try {
    sim = new Simulation(scenario, { releaseSubmitted: true, timeline: true }).run();
  } catch (error) {
    const dir = join(outDir, `${suite.name}-seed${fcSeed}-threw`);
    const scenarioPath = join(dir, 'scenario.json');
    writeScenarioFile(scenario, scenarioPath);
    const why = String((error as Error).stack ?? error).split('\n')[0];
    return {
      verdict: `the run threw: ${why}`,
      traceHash: 'none',
      dir,
      files: [scenarioPath],
      replay: `npm start -- --scenario ${shown(scenarioPath)}`,
    };
  }
  const runMs = performance.now() - started;
  const dir = join(outDir, `${suite.name}-seed${fcSeed}-${sim.trace.hash}`);
  const scenarioPath = join(dir, 'scenario.json');
  writeScenarioFile(scenario, scenarioPath);
  const replay = `npm start -- --scenario ${shown(scenarioPath)}`;
  const result = buildResult(sim, {
    worldBuildMs: 0,
    runMs,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    worldHeapBytes: null,
  });
  const file = { ...result, failure: { replay, recentDeliveries: sim.trace.tail() } };
  writeFileSync(join(dir, 'result.json'), `${JSON.stringify(file, jsonReplacer, 2)}\n`);
  writeFileSync(join(dir, 'report.html'), renderReport(file, reportPictures(sim)));
  return {
    verdict: suite.verdict(sim) ?? 'the run passed its verdict when run again for the report',
    traceHash: sim.trace.hash,
    dir,
    files: ['scenario.json', 'result.json', 'report.html'].map((f) => join(dir, f)),
    replay,
  };
}

/** A path as the person typing would: relative to where they are, when it is below it. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

function failureNotice(f: Failure, shrinkMs: number): string {
  const verdict = f.verdict.length > 300 ? `${f.verdict.slice(0, 300)}…` : f.verdict;
  return [
    `  FAILED ${f.suite}: fast-check seed ${f.fcSeed}, path "${f.path}"`,
    `    ${verdict}`,
    `    shrunk ${f.shrinks} times in ${f.shrinkRuns} runs, ${(shrinkMs / 1000).toFixed(1)} s` +
      (f.shrinkCut === null ? '' : `; shrinking was cut ${f.shrinkCut}: it may shrink further`),
    `    wrote ${shown(f.dir)}/ (scenario.json, result.json, report.html)`,
    `    replay: ${f.replay}`,
    '',
  ].join('\n');
}

/**
 * Progress on stderr, as `gongji run` shows it: a bar on a terminal; otherwise (CI) a plain line
 * every PLAIN_EVERY_MS and one at the end. Minutes elapsed of the total, runs, their rate and
 * failures.
 */
function progressReporter(minutes: number, started: number) {
  const stats = (runs: number, failures: number) => {
    const elapsedMin = (performance.now() - started) / 60_000;
    return {
      // As many decimals as a short soak needs to show it moving.
      elapsed: elapsedMin.toFixed(minutes < 1 ? 2 : 1),
      minutes: String(minutes),
      runs,
      rate: Math.round(runs / Math.max(elapsedMin, 1 / 600)),
      failures,
    };
  };
  const plain = (runs: number, failures: number, suite: string) => {
    const s = stats(runs, failures);
    return (
      `  soak ${s.elapsed}/${s.minutes} min | ${s.runs} runs, ${s.rate}/min | ` +
      `${s.failures} failure(s)${suite === '' ? '' : ` | ${suite}`}\n`
    );
  };
  if (process.stderr.isTTY) {
    const bar = new SingleBar({
      stream: process.stderr,
      format:
        '  {bar} {elapsed}/{minutes} min | {runs} runs, {rate}/min | {failures} failure(s) | ' +
        '{suite}',
      hideCursor: true,
    });
    bar.start(Math.max(1, Math.round(minutes * 60)), 0, { ...stats(0, 0), suite: '' });
    const seconds = () => Math.round((performance.now() - started) / 1000);
    return {
      line: (text: string) => process.stderr.write(`\r\x1b[K${text}`),
      update: (runs: number, failures: number, suite: string) =>
        bar.update(seconds(), { ...stats(runs, failures), suite }),
      stop: (runs: number, failures: number) => {
        bar.update(seconds(), { ...stats(runs, failures), suite: 'done' });
        bar.stop();
      },
    };
  }
  let lastLine = started;
  return {
    line: (text: string) => process.stderr.write(text),
    update: (runs: number, failures: number, suite: string) => {
      if (performance.now() - lastLine < PLAIN_EVERY_MS) return;
      lastLine = performance.now();
      process.stderr.write(plain(runs, failures, suite));
    },
    stop: (runs: number, failures: number) => process.stderr.write(plain(runs, failures, 'done')),
  };
}

const STOPPED: Readonly<Record<StopReason, string>> = {
  time: 'the time is up',
  runs: 'the runs cap (--runs) is reached',
  interrupted: 'interrupted by Ctrl-C',
  'every suite failed': 'every suite failed',
};

const perMinute = (runs: number, ms: number) =>
  ms > 0 ? Math.round((runs / (ms / 60_000)) * 10) / 10 : 0;

/** soak.json: the numbers of the summary, and every failure with its files and replay. */
function soakFile(options: SoakOptions, run: SoakRun) {
  const runs = run.tallies.reduce((n, t) => n + t.runs, 0);
  return {
    seed: options.seed,
    minutes: options.minutes,
    elapsedMinutes: Math.round((run.elapsedMs / 60_000) * 100) / 100,
    stoppedBy: run.stoppedBy,
    ok: run.failures.length === 0,
    runs,
    runsPerMinute: perMinute(runs, run.elapsedMs),
    suites: run.tallies.map((t) => ({
      suite: t.suite,
      runs: t.runs,
      runsPerMinute: perMinute(t.runs, t.wallMs),
      failures: t.failures,
      wallMs: Math.round(t.wallMs),
    })),
    failures: run.failures,
  };
}

function summary(file: ReturnType<typeof soakFile>, soakJson: string): string {
  const row = (name: string, runs: number, rate: number, failures: number) =>
    `  ${name.padEnd(18)}${String(runs).padStart(8)}${rate.toFixed(1).padStart(11)}` +
    `${String(failures).padStart(10)}`;
  const lines = [
    '',
    `soak: ${file.elapsedMinutes} of ${file.minutes} min, ${STOPPED[file.stoppedBy]}; ` +
      `seed ${file.seed}`,
    `  ${'suite'.padEnd(18)}${'runs'.padStart(8)}${'runs/min'.padStart(11)}` +
      `${'failures'.padStart(10)}`,
    ...file.suites.map((s) => row(s.suite, s.runs, s.runsPerMinute, s.failures)),
    row('all', file.runs, file.runsPerMinute, file.failures.length),
    ...file.failures.flatMap((f) => [
      `  ${f.suite} failed: fast-check seed ${f.fcSeed}, path "${f.path}"`,
      `    wrote ${shown(f.dir)}/ (scenario.json, result.json, report.html)`,
      `    replay: ${f.replay}`,
    ]),
    `  wrote ${shown(soakJson)}`,
    '',
  ];
  return lines.join('\n');
}

/** The soak as a command: flags checked before any work, then the soak, soak.json, the summary. */
export async function soakMain(argv: readonly string[], signal: AbortSignal): Promise<number> {
  try {
    const options = parseSoak(argv);
    if (options === 'help') {
      process.stdout.write(USAGE);
      return EXIT.ok;
    }
    const outDir = prepareOutDir(options.out).path;
    process.stdout.write(
      `soak: ${options.suites.map((s) => s.name).join(', ')} for ${options.minutes} min, ` +
        `seed ${options.seed} (--seed ${options.seed} and the same --suite replay these chunks)\n`,
    );
    const run = await soak(options, outDir, signal);
    const file = soakFile(options, run);
    const soakJson = join(outDir, 'soak.json');
    writeFileSync(soakJson, `${JSON.stringify(file, null, 2)}\n`);
    process.stdout.write(summary(file, soakJson));
    return file.ok ? EXIT.ok : EXIT.violated;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`soak: ${error.message}\n`);
      return EXIT.badInput;
    }
    process.stderr.write(`soak: failed: ${(error as Error).stack ?? String(error)}\n`);
    return EXIT.failed;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const controller = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\nsoak: stopping after this run (Ctrl-C again to quit at once)\n');
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  process.exitCode = await soakMain(process.argv.slice(2), controller.signal);
}
