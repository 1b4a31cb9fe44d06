// The cluster half of the `gongji` command line: the processes of a real deployment on NATS
// (host, load, check) and the local launcher (cluster up|check|fault|kill|start|down).
// Exit codes as for `gongji run` (cli/args.ts EXIT): 0 ok, 1 an invariant failed, 2 bad input,
// 3 anything else failed (NATS or the launcher unreachable, a process that died).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import type { TransferScope } from '../actors/regions.ts';
import { clusterScenario } from '../cluster/deployment.ts';
import type { NatsLogin } from '../cluster/nats_transport.ts';
import { assertAddress } from '../cluster/subjects.ts';
import { renderReport } from '../report/render.ts';
import { jsonReplacer } from '../world/json.ts';
import { log } from '../world/log.ts';
import { summarize } from '../world/result.ts';
import { type Scenario, ScenarioError } from '../world/scenario.ts';
import type { RunPictures } from '../world/timeline.ts';
import { EXIT, flagProblem, readScenarioFlag, UsageError } from './args.ts';
import { prepareOutDir } from './out_dir.ts';

export const CLUSTER_USAGE = `commands on NATS (see docs/CLUSTER.md):
  host       serve actors:  --name N --actors a,b --servers URL[,URL] [--user U] [--clock-origin MS]
             [--snapshot-bytes N] [--report-outcomes SUBJECT (benches: outcome times, batched)]
  load       offer requests: --servers URL [--user U] --rate R [--limit N] [--scope S]
             [--clock-origin MS]
  check      quiesce and check: --servers URL [--user U] --actors a,b [--timeout S] [--out DIR]
  provision  create the actors' journal streams (admin): --servers URL --user U --actors a,b
             [--replicas N]
  dashboard  serve a live page of the cluster (admin): --servers URL --user U --actors a,b
             [--port 8080] [--bind 127.0.0.1] [--out DIR: where the check writes result.json]
  cluster    a local 3-node cluster, no Docker: cluster up|check|fault|kill|start|down [--dir D]
             (gongji cluster help for its options)
  every NATS command takes --scenario FILE and --seed N (default: the cluster demo scenario);
  the password comes from the GONGJI_NATS_PASSWORD environment variable, never a flag.
`;

const COMMON = {
  scenario: { type: 'string' },
  seed: { type: 'string' },
  servers: { type: 'string' },
  user: { type: 'string' },
  name: { type: 'string' },
  actors: { type: 'string' },
  rate: { type: 'string' },
  limit: { type: 'string' },
  scope: { type: 'string' },
  'clock-origin': { type: 'string' },
  timeout: { type: 'string' },
  out: { type: 'string' },
  dir: { type: 'string' },
  ms: { type: 'string' },
  direction: { type: 'string' },
  'snapshot-bytes': { type: 'string' },
  replicas: { type: 'string' },
  'report-outcomes': { type: 'string' },
  fresh: { type: 'boolean' },
  port: { type: 'string' },
  bind: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type ClusterArgs = ReturnType<typeof parseClusterArgs>;

export function parseClusterArgs(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: COMMON });
  } catch (error) {
    throw new UsageError(flagProblem(error as Error & { code?: string }, 'gongji help-cluster'));
  }
}

/** The scenario of a NATS deployment from the flags: the cluster demo, a scenario file, --seed. */
export function clusterScenarioFlags(file: string | undefined, seed: string | undefined): Scenario {
  const fromFile = file === undefined ? {} : readScenarioFlag(file);
  const seedNumber = seed === undefined ? undefined : wholeNumber(seed, '--seed');
  try {
    return clusterScenario(fromFile, seedNumber);
  } catch (error) {
    if (error instanceof ScenarioError) {
      throw new UsageError(
        `${file === undefined ? 'cluster scenario' : `--scenario ${file}`}: ${error.message}`,
      );
    }
    throw error;
  }
}

export function wholeNumber(text: string, flag: string, min = 0): number {
  if (!/^\d{1,15}$/.test(text) || Number(text) < min)
    throw new UsageError(`${flag}: expected a whole number ≥ ${min}, got '${text}'`);
  return Number(text);
}

export function parseServers(text: string | undefined): string[] {
  if (text === undefined) throw new UsageError('--servers: required (e.g. nats://127.0.0.1:4222)');
  const servers = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const server of servers) {
    if (!/^(nats|tls):\/\/[A-Za-z0-9.-]+:\d{1,5}$/.test(server))
      throw new UsageError(`--servers: '${server}' is not nats://host:port`);
  }
  if (servers.length === 0) throw new UsageError('--servers: empty');
  return servers;
}

export function parseActors(text: string | undefined): string[] {
  if (text === undefined) throw new UsageError('--actors: required (e.g. province.11,wallet.00)');
  const actors = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (actors.length === 0) throw new UsageError('--actors: empty');
  for (const actor of actors) {
    try {
      assertAddress(actor);
    } catch (error) {
      throw new UsageError(`--actors: ${(error as Error).message}`);
    }
  }
  return actors;
}

export function parseDuration(text: string | undefined, flag: string, fallbackMs: number): number {
  if (text === undefined) return fallbackMs;
  const m = /^(\d{1,9})(ms|s|m)?$/.exec(text);
  if (m === null)
    throw new UsageError(`${flag}: expected a duration like 90s, 500ms or 2m, got '${text}'`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1_000;
}

const SCOPES: readonly TransferScope[] = ['sameRegion', 'sameProvince', 'crossProvince'];

function parseScope(text: string | undefined): TransferScope | undefined {
  if (text === undefined) return undefined;
  if (!(SCOPES as readonly string[]).includes(text))
    throw new UsageError(`--scope: expected ${SCOPES.join(' | ')}, got '${text}'`);
  return text as TransferScope;
}

function login(args: ClusterArgs, name: string): NatsLogin {
  return {
    servers: parseServers(args.values.servers),
    user: args.values.user,
    password: process.env.GONGJI_NATS_PASSWORD,
    name,
  };
}

function clockOrigin(args: ClusterArgs): number | undefined {
  const text = args.values['clock-origin'];
  return text === undefined ? undefined : wholeNumber(text, '--clock-origin');
}

/** Resolves on the first SIGTERM or SIGINT. */
function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const done = (signal: string) => resolve(signal);
    process.once('SIGTERM', () => done('SIGTERM'));
    process.once('SIGINT', () => done('SIGINT'));
  });
}

async function hostCommand(args: ClusterArgs): Promise<number> {
  const { HostProcess } = await import('../cluster/host_process.ts');
  const name = args.values.name;
  if (name === undefined || !/^[A-Za-z0-9_-]{1,64}$/.test(name))
    throw new UsageError('--name: required, letters, digits, - and _ only');
  const scenario = clusterScenarioFlags(args.values.scenario, args.values.seed);
  const addresses = parseActors(args.values.actors);
  const snapshotBytes =
    args.values['snapshot-bytes'] === undefined
      ? undefined
      : wholeNumber(args.values['snapshot-bytes'], '--snapshot-bytes', 1);
  const host = await HostProcess.start({
    name,
    addresses,
    login: login(args, name),
    scenario,
    log: log.child({ host: name }),
    clockOrigin: clockOrigin(args),
    snapshotBytes,
    outcomeSubject: args.values['report-outcomes'],
  });
  process.stdout.write(`gongji host ${name}: serving ${addresses.join(', ')}\n`);
  const ended = await Promise.race([untilSignal(), host.failed]);
  if (ended instanceof Error) {
    process.stderr.write(
      `gongji host ${name}: an actor stopped (${ended.message}); draining and exiting\n`,
    );
    await host.stop();
    return EXIT.failed;
  }
  log.info({ host: name, signal: ended }, 'draining');
  await host.stop();
  return 0;
}

async function loadCommand(args: ClusterArgs): Promise<number> {
  const { LoadGenerator } = await import('../cluster/load_process.ts');
  const scenario = clusterScenarioFlags(args.values.scenario, args.values.seed);
  const rateText = args.values.rate ?? '100';
  const rate = wholeNumber(rateText, '--rate', 1);
  const limit =
    args.values.limit === undefined ? undefined : wholeNumber(args.values.limit, '--limit');
  const load = await LoadGenerator.start({
    login: login(args, 'load'),
    scenario,
    rate,
    limit,
    scope: parseScope(args.values.scope),
    log: log.child({ process: 'load' }),
    clockOrigin: clockOrigin(args),
  });
  process.stdout.write(`gongji load: offering ${load.total} requests at ${rate}/s\n`);
  const stopped = untilSignal();
  await Promise.race([load.submittedAll, stopped]);
  process.stdout.write(`gongji load: ${JSON.stringify(load.summary())}\n`);
  // Stay to answer the checker's reconciliation query and to take late answers.
  await stopped;
  process.stdout.write(`gongji load: ${JSON.stringify(load.summary())}\n`);
  await load.stop();
  return 0;
}

async function checkCommand(args: ClusterArgs): Promise<number> {
  const { checkCluster } = await import('../cluster/check.ts');
  const scenario = clusterScenarioFlags(args.values.scenario, args.values.seed);
  const out = prepareOutDir(args.values.out ?? 'out').path;
  let pictures: RunPictures | null = null;
  const result = await checkCluster({
    login: login(args, 'check'),
    scenario,
    addresses: parseActors(args.values.actors),
    quiesceTimeoutMs: parseDuration(args.values.timeout, '--timeout', 120_000),
    log: log.child({ process: 'check' }),
    onPictures: (p) => (pictures = p),
  });
  writeFileSync(join(out, 'result.json'), `${JSON.stringify(result, jsonReplacer, 2)}\n`);
  writeFileSync(join(out, 'report.html'), renderReport(result, pictures));
  process.stdout.write(
    `${summarize(result)}\n\n  wrote ${join(out, 'result.json')} and ${join(out, 'report.html')}\n`,
  );
  return result.ok ? EXIT.ok : EXIT.violated;
}

async function provisionCommand(args: ClusterArgs): Promise<number> {
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const { ensureStream } = await import('../cluster/journal.ts');
  const { connectNats } = await import('../cluster/nats_transport.ts');
  const actors = parseActors(args.values.actors);
  const replicas =
    args.values.replicas === undefined ? 1 : wholeNumber(args.values.replicas, '--replicas', 1);
  const nc = await connectNats(login(args, 'provision'));
  try {
    const jsm = await jetstreamManager(nc);
    for (const address of actors) await ensureStream(jsm, address, { replicas });
  } finally {
    await nc.close();
  }
  process.stdout.write(
    `gongji provision: ${actors.length} journal streams ready (replicas ${replicas})\n`,
  );
  return 0;
}

async function dashboardCommand(args: ClusterArgs): Promise<number> {
  const { Dashboard } = await import('../cluster/dashboard.ts');
  const port = wholeNumber(args.values.port ?? '8080', '--port');
  if (port > 65_535) throw new UsageError(`--port: expected 0–65535, got ${port}`);
  const bind = args.values.bind ?? '127.0.0.1';
  if (!/^[\d.]+$|^localhost$/.test(bind))
    throw new UsageError(`--bind: expected an IPv4 address such as 127.0.0.1, got '${bind}'`);
  const dashboard = await Dashboard.start({
    login: login(args, 'dashboard'),
    addresses: parseActors(args.values.actors),
    port,
    bind,
    outDir: args.values.out ?? 'out',
    log: log.child({ process: 'dashboard' }),
  });
  process.stdout.write(`gongji dashboard: http://${bind}:${dashboard.port}/\n`);
  const signal = await untilSignal();
  log.info({ signal }, 'dashboard stopping');
  await dashboard.stop();
  return EXIT.ok;
}

export async function clusterMain(argv: readonly string[]): Promise<number> {
  try {
    const args = parseClusterArgs(argv);
    const [command] = args.positionals;
    if (args.values.help) {
      process.stdout.write(CLUSTER_USAGE);
      return 0;
    }
    switch (command) {
      case 'host':
        return await hostCommand(args);
      case 'load':
        return await loadCommand(args);
      case 'check':
        return await checkCommand(args);
      case 'provision':
        return await provisionCommand(args);
      case 'dashboard':
        return await dashboardCommand(args);
      case 'cluster': {
        const { launcherMain } = await import('./cluster_launcher.ts');
        return await launcherMain(args);
      }
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof ScenarioError) {
      process.stderr.write(`gongji: ${error.message}\n`);
      return EXIT.badInput;
    }
    process.stderr.write(`gongji: ${(error as Error).message}\n`);
    log.error({ err: error }, 'command failed');
    return EXIT.failed;
  }
}
