// The `gongji` command line. `gongji run` simulates a scenario on the deterministic network and
// writes result.json and report.html. Exit codes, the same for every command (cli/args.ts EXIT):
// 0 done and every invariant holds, 1 an invariant failed, 2 bad input, 3 anything else failed.
import { closeSync, existsSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { SingleBar } from 'cli-progress';

import { DESIGN_VARIANTS, PROTOCOL_VARIANTS } from '../actors/config.ts';
import { decodeEnvelope } from '../protocol/index.ts';
import { renderReport } from '../report/render.ts';
import { reportPictures } from '../sim/focus.ts';
import { buildResult } from '../sim/report.ts';
import { type DayStats, type Progress, Simulation } from '../sim/simulation.ts';
import { drawPopulation } from '../world/build.ts';
import { BUILTIN_SCENARIOS, sampledWallets } from '../world/builtin_scenarios.ts';
import { fmtTime } from '../world/faults.ts';
import { jsonReplacer } from '../world/json.ts';
import { log } from '../world/log.ts';
import { summarize } from '../world/result.ts';
import { DEFAULT_SCENARIO, type Scenario, ScenarioError, scenarioFrom } from '../world/scenario.ts';
import { EXIT, flagProblem, readScenarioFlag, UsageError } from './args.ts';
import { compareCommand } from './compare.ts';
import { prepareOutDir } from './out_dir.ts';

export { UsageError } from './args.ts';

/** Commands served by cluster/cli.ts (imported only when used: the simulator needs no NATS). */
const CLUSTER_COMMANDS: ReadonlySet<string> = new Set([
  'host',
  'load',
  'check',
  'provision',
  'dashboard',
  'cluster',
]);

const USAGE = `usage: gongji <command> [options]

commands:
  run        simulate a scenario on the deterministic in-process network (the default)
  compare    run designs side by side on the same scenario, seeds and faults: compare.html
             --variants ${DESIGN_VARIANTS.join(',')} (the default) [--vary FIELD=v1,v2]
             [--seeds 1,2,3]; FIELD is a scenario field: storeSyncMs,
             protocol.walletShardCount, protocol.retryDelayMsMin, protocol.netting, …
  scenario   check the scenario (defaults + file + flags) as a run would, and print it as JSON
  help       this text
  host, load, check, provision, dashboard, cluster
             run the same actors on NATS (gongji help-cluster, docs/CLUSTER.md)

options (run, scenario):
  --scenario NAME|FILE
                    a built-in scenario (below), or a YAML or JSON file whose fields
                    override the default national day
  --scale 1:N       run a 1/N sample of the network: the scenario's rates are divided by N,
                    and its wallets are its population.nationalWallets / N
  --days N          virtual days the workload spans (a line per day on stderr)
  --seed N          the seed (a whole number ≥ 0); the same seed replays the same run
  --out DIR         where result.json goes (default: out)
  --variant V       protocol variant: ${PROTOCOL_VARIANTS.join(' | ')}
  --wallets N       population size
  --transfers N     transfer requests in the day
  --no-faults       run without the scenario's fault schedule
  --trace           also write every delivery to DIR/trace.jsonl
  --quiet           no progress, no summary (result.json only)

built-in scenarios (world/builtin_scenarios.ts):
${[...BUILTIN_SCENARIOS.values()]
  .map((b) => `  ${b.name.padEnd(16)}  ${b.summary}; 1:${b.scale.toLocaleString('en-US')}`)
  .join('\n')}
`;

interface Options {
  readonly command: 'run' | 'scenario' | 'compare' | 'help';
  readonly scenario: Scenario;
  /** The scenario fields the flags and file gave, before defaults (compare varies them). */
  readonly overrides: Record<string, unknown>;
  /** compare: the designs' variants, the one knob varied, the seeds. */
  readonly variants: readonly string[] | undefined;
  readonly vary: string | undefined;
  readonly seeds: string | undefined;
  readonly out: string;
  readonly quiet: boolean;
  readonly trace: boolean;
  /** A scenario error found later (the population drawn), in the words of the flags given. */
  readonly explain: (error: ScenarioError) => string;
}

/** The scenario field each flag sets: an error about that field names the flag. */
const FLAG_FIELDS: ReadonlyArray<readonly [string, string]> = [
  ['--seed', 'scenario.seed'],
  ['--variant', 'scenario.protocol.variant'],
  ['--wallets', 'scenario.population.wallets'],
  ['--transfers', 'scenario.workload.transfers'],
  ['--days', 'scenario.workload.days'],
  ['--scale', 'scenario.workload.scale'],
];

export type { Options as CliOptions };

export function parseCli(argv: readonly string[]): Options {
  const { values, positionals } = parseFlags(argv);
  const command = positionals[0] ?? 'run';
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
  if (values.help || command === 'help')
    return {
      command: 'help',
      scenario: DEFAULT_SCENARIO,
      overrides: {},
      variants: undefined,
      vary: undefined,
      seeds: undefined,
      out: 'out',
      quiet: true,
      trace: false,
      explain: (error) => error.message,
    };
  if (command !== 'run' && command !== 'scenario' && command !== 'compare')
    throw new UsageError(`unknown command '${command}'`);
  if (command !== 'compare')
    for (const flag of ['variants', 'vary', 'seeds'] as const)
      if (values[flag] !== undefined)
        throw new UsageError(`--${flag} is for gongji compare, not gongji ${command}`);
  if (command === 'compare' && values.variant !== undefined)
    throw new UsageError('--variant: gongji compare takes --variants a,b (each a design)');
  const scale = values.scale === undefined ? undefined : scaleOf(values.scale);
  const named = values.scenario;
  const builtin = BUILTIN_SCENARIOS.get(named ?? '');
  if (!builtin && named !== undefined && !/[./\\]/.test(named) && !existsSync(named)) {
    throw new UsageError(
      `--scenario: no built-in scenario '${named}' and no file of that name; the built-in ` +
        `ones are ${[...BUILTIN_SCENARIOS.keys()].join(', ')}`,
    );
  }
  const fromFile = builtin
    ? builtin.at(scale ?? builtin.scale)
    : named === undefined
      ? {}
      : readScenarioFlag(named);
  if (typeof fromFile !== 'object' || fromFile === null || Array.isArray(fromFile)) {
    throw new UsageError(`--scenario: ${values.scenario} must hold a mapping of scenario fields`);
  }
  const overrides: Record<string, unknown> = { ...fromFile };
  if (values.seed !== undefined) overrides.seed = wholeNumber(values.seed, '--seed');
  const merge = (section: string, field: string, value: unknown) => {
    const current = overrides[section];
    overrides[section] = {
      ...(typeof current === 'object' && current !== null ? current : {}),
      [field]: value,
    };
  };
  if (values.variant !== undefined) merge('protocol', 'variant', values.variant);
  if (values.wallets !== undefined)
    merge('population', 'wallets', wholeNumber(values.wallets, '--wallets'));
  if (values.transfers !== undefined)
    merge('workload', 'transfers', wholeNumber(values.transfers, '--transfers'));
  if (values.days !== undefined) merge('workload', 'days', wholeNumber(values.days, '--days'));
  if (scale !== undefined && builtin === undefined) {
    merge('workload', 'scale', scale);
    const population = overrides.population as { nationalWallets?: unknown } | undefined;
    const national = population?.nationalWallets;
    if (typeof national === 'number' && values.wallets === undefined)
      merge('population', 'wallets', sampledWallets(national, scale));
  }
  if (values['no-faults']) overrides.faults = [];
  let scenario: Scenario;
  try {
    scenario = scenarioFrom(overrides);
  } catch (error) {
    if (error instanceof ScenarioError) throw new UsageError(inputError(error, values));
    throw error;
  }
  if (values.transfers !== undefined && scenario.workload.rates !== undefined) {
    throw new UsageError(
      '--transfers: the scenario gives rates (workload.rates), which set the counts: change ' +
        'them with --scale 1:N or --days N, or drop the rates from the scenario',
    );
  }
  return {
    command,
    scenario,
    overrides,
    variants: values.variants?.split(',').map((v) => v.trim()),
    vary: values.vary,
    seeds: values.seeds,
    out: values.out ?? (command === 'compare' ? 'out/compare' : 'out'),
    quiet: values.quiet ?? false,
    trace: values.trace ?? false,
    explain: (error) => inputError(error, values),
  };
}

type Flags = ReturnType<typeof parseFlags>['values'];

function parseFlags(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        scenario: { type: 'string' },
        seed: { type: 'string' },
        out: { type: 'string' },
        variant: { type: 'string' },
        wallets: { type: 'string' },
        transfers: { type: 'string' },
        days: { type: 'string' },
        scale: { type: 'string' },
        'no-faults': { type: 'boolean' },
        variants: { type: 'string' },
        vary: { type: 'string' },
        seeds: { type: 'string' },
        trace: { type: 'boolean' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError(flagProblem(error as Error & { code?: string }));
  }
}

/** A scenario error, the field named by its flag where a flag set it. */
function inputError(error: ScenarioError, values: Flags): string {
  for (const [flag, field] of FLAG_FIELDS) {
    const given = (values as Record<string, unknown>)[flag.slice(2)];
    if (given !== undefined && error.message.startsWith(`${field}:`)) {
      const shown = /^[\w.-]+$/.test(String(given)) ? String(given) : `'${String(given)}'`;
      return `${flag} ${shown}${error.message.slice(field.length)}`;
    }
  }
  const message =
    values.wallets === undefined
      ? error.message
      : error.message.replace('population.wallets', '--wallets');
  return values.scenario === undefined ? message : `${values.scenario}: ${message}`;
}

/** '1:N' (or 'N'): a whole N ≥ 1. */
function scaleOf(text: string): number {
  const m = /^(?:1:)?(\d{1,10})$/.exec(text.replaceAll(',', '').replaceAll('_', ''));
  const n = m ? Number(m[1]) : Number.NaN;
  if (!(Number.isSafeInteger(n) && n >= 1)) {
    throw new UsageError(`--scale: expected 1:N with a whole N ≥ 1 (1:10, 1:1000), got '${text}'`);
  }
  return n;
}

function wholeNumber(text: string, flag: string): number {
  if (!/^\d{1,15}$/.test(text))
    throw new UsageError(`${flag}: expected a whole number ≥ 0, got '${text}'`);
  return Number(text);
}

/**
 * Run a scenario and write its result. Everything that can refuse the input does so before the
 * run starts: the output directory is made ready first, and a world the scenario cannot have
 * (too few wallets for its requests) is refused while it is built, with the directory removed.
 */
/**
 * A full garbage collection, for measuring what the world holds: node's own `gc` when it runs
 * with --expose-gc, else the same function exposed at run time (V8 allows it once started).
 */
function garbageCollector(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed !== undefined) return exposed;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

export function runCommand(options: Options): number {
  const { scenario, quiet } = options;
  const dir = prepareOutDir(options.out);
  const out = dir.path;
  // Started once the world is built: its rate and estimate are of the run alone.
  let progress: ReturnType<typeof progressReporter> | undefined;
  let trace: ReturnType<typeof traceWriter> | undefined;
  const collect = garbageCollector();
  collect();
  const heapBefore = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  let sim: Simulation;
  // Each workload day's wall time; a line per day on stderr when the workload spans several.
  const dayWallMs: number[] = [];
  let dayStarted = 0;
  const multiDay = (scenario.workload.days ?? 1) > 1;
  try {
    sim = new Simulation(scenario, {
      releaseSubmitted: true,
      timeline: true,
      onDay: (day) => {
        const now = performance.now();
        const wallMs = now - dayStarted;
        dayWallMs.push(wallMs);
        dayStarted = now;
        if (!quiet && multiDay) progress?.line(dayLine(day, wallMs));
      },
      onProgress: quiet ? undefined : (p) => progress?.update(p),
      progressEvery: 10_000,
      onDelivery: options.trace ? (...delivery) => trace?.write(...delivery) : undefined,
    });
  } catch (error) {
    dir.undo();
    if (error instanceof ScenarioError) throw new UsageError(options.explain(error));
    throw error;
  }
  const t1 = performance.now();
  // What the world holds, measured before the run: a full collection first (about a second
  // at millions of wallets; its time is in neither the build nor the run).
  collect();
  const worldHeapBytes = process.memoryUsage().heapUsed - heapBefore;
  const t2 = performance.now();
  if (!quiet) progress = progressReporter(scenario);
  if (options.trace) trace = traceWriter(join(out, 'trace.jsonl'));
  dayStarted = performance.now();
  log.info(
    { scenario: scenario.name, seed: scenario.seed, variant: scenario.protocol.variant },
    'run started',
  );
  sim.run();
  trace?.close();
  progress?.stop(sim.progress());
  const result = buildResult(sim, {
    dayWallMs,
    worldBuildMs: t1 - t0,
    runMs: performance.now() - t2,
    // Linux reports the peak in KiB.
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    worldHeapBytes,
  });
  for (const [name, invariant] of Object.entries(result.invariants)) {
    if (!invariant.ok)
      log.warn(
        { invariant: name, detail: invariant.detail, seed: scenario.seed },
        'invariant violated',
      );
  }
  log.info({ traceHash: result.traceHash, ok: result.ok, wallMs: result.wallMs }, 'run finished');
  const failure = result.ok
    ? {}
    : { failure: { replay: replayHint(scenario), recentDeliveries: sim.trace.tail() } };
  const written = { ...result, ...failure };
  writeFileSync(join(out, 'result.json'), `${JSON.stringify(written, jsonReplacer, 2)}\n`);
  writeFileSync(join(out, 'report.html'), renderReport(written, reportPictures(sim)));
  if (!quiet) {
    console.log(summarize(result));
    console.log(`\n  wrote ${join(out, 'result.json')} and ${join(out, 'report.html')}`);
    if (!result.ok) console.log(`  replay: ${replayHint(scenario)}`);
  }
  return result.ok ? EXIT.ok : EXIT.violated;
}

/** Every delivery as one JSON line: virtual time, link, kind, business id, message id. */
function traceWriter(path: string) {
  const fd = openSync(path, 'w');
  let buffer: string[] = [];
  const flush = () => {
    if (buffer.length > 0) writeSync(fd, buffer.join(''));
    buffer = [];
  };
  return {
    write: (at: number, from: string, to: string, frame: Uint8Array) => {
      let line: string;
      try {
        const env = decodeEnvelope(frame);
        line = JSON.stringify({ at, from, to, kind: env.kind, corr: env.corr, id: env.id });
      } catch (error) {
        line = JSON.stringify({ at, from, to, invalid: (error as Error).message });
      }
      buffer.push(`${line}\n`);
      if (buffer.length >= 10_000) flush();
    },
    close: () => {
      flush();
      closeSync(fd);
    },
  };
}

function replayHint(scenario: Scenario): string {
  const { variant } = scenario.protocol;
  const flag = variant === 'reference' ? '' : ` --variant ${variant}`;
  return `npm start -- --seed ${scenario.seed}${flag} (with the same --scenario file, if any)`;
}

function dayLine(d: DayStats, wallMs: number): string {
  const n = (x: number) => x.toLocaleString('en-US');
  return (
    `  day ${d.day + 1} ${d.date}: ${n(d.requests)} requests, ${n(d.transfersCompleted)} ` +
    `transfers completed, ${n(d.billsSettled)} bills settled, ${n(d.deliveries)} deliveries ` +
    `in ${(wallMs / 1000).toFixed(1)} s\n`
  );
}

/**
 * Progress of a long run on stderr: a bar on a terminal, a plain line per 10 % of requests
 * otherwise; each with the virtual time, deliveries and their rate per wall second since the
 * run started, the resident set, and an estimate of the time left from the requests done.
 */
function progressReporter(scenario: Scenario) {
  // Transfers drawn, plus the other requests and their follow-up transfers: set by the first
  // update.
  let total = scenario.workload.transfers;
  const started = performance.now();
  const stats = (p: Progress) => {
    const seconds = Math.max((performance.now() - started) / 1000, 0.001);
    const done = p.intentsSubmitted / Math.max(1, p.intentsTotal);
    return {
      time: fmtTime(p.virtualMs),
      deliveries: p.deliveries,
      rate: Math.round(p.deliveries / seconds),
      rss: Math.round(process.memoryUsage.rss() / 2 ** 20),
      left: done > 0 ? `${Math.round((seconds * (1 - done)) / done)} s` : '?',
    };
  };
  if (process.stderr.isTTY) {
    const bar = new SingleBar({
      stream: process.stderr,
      format:
        '  {bar} {percentage}% | {value}/{total} requests | virtual {time} | ' +
        '{deliveries} deliveries, {rate}/s | RSS {rss} MiB | ETA {left}',
      hideCursor: true,
    });
    bar.start(total, 0, { time: fmtTime(0), deliveries: 0, rate: 0, rss: 0, left: '?' });
    return {
      // A day's line above the bar: clear the bar's line, write, and let the bar redraw.
      line: (text: string) => process.stderr.write(`\r\x1b[K${text}`),
      update: (p: Progress) => {
        if (p.intentsTotal !== total) bar.setTotal((total = p.intentsTotal));
        bar.update(p.intentsSubmitted, stats(p));
      },
      stop: (p: Progress) => {
        bar.update(p.intentsSubmitted, stats(p));
        bar.stop();
      },
    };
  }
  let shown = -1;
  const line = (head: string, p: Progress) => {
    const s = stats(p);
    return (
      `  ${head} | virtual ${s.time} | ${s.deliveries} deliveries, ${s.rate}/s | ` +
      `RSS ${s.rss} MiB${head === 'done' ? '' : ` | about ${s.left} left`}\n`
    );
  };
  return {
    line: (text: string) => process.stderr.write(text),
    update: (p: Progress) => {
      total = p.intentsTotal;
      const tenth = Math.floor((p.intentsSubmitted / Math.max(1, total)) * 10);
      if (tenth > shown) {
        shown = tenth;
        process.stderr.write(line(`${tenth * 10}% of requests`, p));
      }
    },
    stop: (p: Progress) => process.stderr.write(line('done', p)),
  };
}

export function main(argv: readonly string[]): number | Promise<number> {
  if (argv[0] === 'help-cluster') argv = ['cluster', '--help'];
  if (argv[0] !== undefined && CLUSTER_COMMANDS.has(argv[0])) {
    return import('./cluster.ts').then(({ clusterMain }) => clusterMain(argv));
  }
  try {
    const options = parseCli(argv);
    if (options.command === 'help') {
      process.stdout.write(USAGE);
      return 0;
    }
    if (options.command === 'scenario') return scenarioCommand(options);
    if (options.command === 'compare') return compareCommand(options);
    return runCommand(options);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`gongji: ${error.message}\n`);
      return EXIT.badInput;
    }
    process.stderr.write(`gongji: failed: ${(error as Error).stack ?? String(error)}\n`);
    return EXIT.failed;
  }
}

/** Print the resolved scenario, checked as a run would check it (its population drawn too). */
function scenarioCommand(options: Options): number {
  try {
    drawPopulation(options.scenario);
  } catch (error) {
    if (error instanceof ScenarioError) throw new UsageError(options.explain(error));
    throw error;
  }
  process.stdout.write(`${JSON.stringify(options.scenario, jsonReplacer, 2)}\n`);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
