// `gongji cluster …`: the local launcher from a shell. `up` runs in the foreground and owns
// everything it started (NATS nodes, proxies, host processes, the load generator); the other
// subcommands talk to it from another shell through <dir>/cluster.json and its loopback control
// ports: faults on links, SIGKILL/restart of processes, the final check, and `down`.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import {
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import { join, resolve } from 'node:path';

import { checkCluster } from '../cluster/check.ts';
import { defaultDeployment } from '../cluster/deployment.ts';
import { faultCommand, FaultControlServer } from '../cluster/fault_control.ts';
import type { Direction } from '../cluster/fault_proxy.ts';
import { type ClusterState, LocalCluster } from '../cluster/launcher.ts';
import { renderReport } from '../report/render.ts';
import { jsonReplacer } from '../world/json.ts';
import { log } from '../world/log.ts';
import { summarize } from '../world/result.ts';
import type { RunPictures } from '../world/timeline.ts';
import { topologyFor } from '../world/topology.ts';
import { EXIT, UsageError } from './args.ts';
import { type ClusterArgs, clusterScenarioFlags, parseDuration, wholeNumber } from './cluster.ts';
import { prepareOutDir } from './out_dir.ts';

const LAUNCHER_USAGE = `usage: gongji cluster <up|check|fault|kill|stop|start|down> [options]

  up     [--dir D] [--fresh] [--scenario F] [--seed N] [--rate R] [--limit N]
         start 3 nats-server nodes (JetStream, per-role users), a fault proxy on every link,
         the host processes and the load generator; stays in the foreground until down or Ctrl-C.
         A folder that holds a previous run is refused; --fresh wipes that run first
  check  [--dir D] [--timeout 120s] [--out DIR]   quiesce, check every invariant, write result.json
  fault  <link> <cut|blackhole|delay|heal|stats> [--ms N] [--direction both|up|down] [--dir D]
         links: route-<i>-<j> (node i dials node j), client-<process>; a trailing * matches a prefix
  kill   <process> [--dir D]    SIGKILL a host process (or load)
  stop   <process> [--dir D]    SIGTERM it (it drains first)
  start  <process> [--dir D]    start it again
  down   [--dir D]              stop everything the launcher started (nothing running: exit 0)

  --dir defaults to out/cluster. One launcher per folder.
  exit codes: 0 done, 1 the check found a violated invariant, 2 bad input (a flag, a name, a
  folder in the wrong state), 3 something else failed (NATS or the launcher unreachable).
`;

/** What a run leaves in its folder: a new `up` there would restore its journals. */
const RUN_FILES = ['cluster.json', 'launcher.pid', 'nats', 'logs', 'result.json', 'report.html'];

/** Something the person typing cannot fix by typing differently (exit 3). */
class LauncherError extends Error {}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid of the launcher that owns `dir`, if one is alive. */
function launcherOf(dir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dir, 'launcher.pid'), 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Make `dir` this launcher's: refused while another launcher runs there, or while a previous
 * run's journals are there (they would be restored, and the same seeded load offered again),
 * unless `fresh` wipes them. The claim is a file made with O_EXCL, so two `up` at once cannot
 * both win.
 */
export function claim(dir: string, fresh: boolean): () => void {
  const running = launcherOf(dir);
  if (running !== undefined)
    throw new UsageError(
      `cluster up: a launcher (pid ${running}) already runs in ${dir}: stop it with ` +
        `\`gongji cluster down --dir ${dir}\`, or choose another --dir`,
    );
  const previous = RUN_FILES.filter((name) => existsSync(join(dir, name)));
  if (previous.length > 0 && !fresh)
    throw new UsageError(
      `cluster up: ${dir} holds a previous run (${previous.join(', ')}); its journals would be ` +
        'restored and the same seeded load offered again, so its check would fail: add ' +
        '--fresh to wipe it, or choose another --dir',
    );
  for (const name of previous) rmSync(join(dir, name), { recursive: true, force: true });
  if (previous.length > 0)
    process.stdout.write(`gongji cluster: --fresh: wiped the previous run in ${dir}\n`);
  const lock = join(dir, 'launcher.pid');
  try {
    writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
  } catch {
    throw new UsageError(
      `cluster up: another launcher claimed ${dir} just now: choose another --dir`,
    );
  }
  // On the way out: the folder keeps the run's journals, logs and result, not the claim.
  return () => {
    rmSync(lock, { force: true });
    rmSync(join(dir, 'cluster.json'), { force: true });
  };
}

interface StateFile extends ClusterState {
  readonly processControlPort: number;
}

function stateOf(dir: string): StateFile {
  try {
    return JSON.parse(readFileSync(join(dir, 'cluster.json'), 'utf8')) as StateFile;
  } catch {
    throw new UsageError(
      `no running cluster in ${dir} (start one with: gongji cluster up --dir ${dir})`,
    );
  }
}

export async function launcherMain(args: ClusterArgs): Promise<number> {
  const [, sub, target] = args.positionals;
  const dir = args.values.dir ?? 'out/cluster';
  switch (sub) {
    case 'up':
      return up(args, dir);
    case 'check':
      return check(args, dir);
    case 'fault':
      return fault(args, dir, target);
    case 'kill':
    case 'stop':
    case 'start': {
      const { processes } = stateOf(dir);
      if (target === undefined || !processes.includes(target)) {
        const what =
          target === undefined ? 'which process?' : `no process named '${target}' in ${dir};`;
        throw new UsageError(`cluster ${sub}: ${what} type one of: ${processes.join(', ')}`);
      }
      return control(dir, `/procs/${encodeURIComponent(target)}/${sub}`);
    }
    case 'down':
      return down(dir);
    case undefined:
    case 'help':
      process.stdout.write(LAUNCHER_USAGE);
      return 0;
    default:
      throw new UsageError(`cluster: unknown subcommand '${sub}'`);
  }
}

async function up(args: ClusterArgs, dir: string): Promise<number> {
  const scenario = clusterScenarioFlags(args.values.scenario, args.values.seed);
  const scenarioArgs = [
    // Absolute, so `cluster check` from another directory reads the same file.
    ...(args.values.scenario === undefined ? [] : ['--scenario', resolve(args.values.scenario)]),
    ...(args.values.seed === undefined ? [] : ['--seed', args.values.seed]),
  ];
  const topology = topologyFor(scenario.topology);
  const rate = args.values.rate === undefined ? 100 : wholeNumber(args.values.rate, '--rate', 1);
  const base = defaultDeployment(
    topology.provinces.map((p) => p.code),
    scenario.protocol.walletShardCount,
    rate,
  );
  const limit =
    args.values.limit === undefined ? undefined : wholeNumber(args.values.limit, '--limit');
  const deployment = { ...base, load: { ...base.load, limit } };
  prepareOutDir(dir, '--dir');
  const release = claim(dir, args.values.fresh === true);
  process.stdout.write(
    `gongji cluster: starting 3 NATS nodes and ${deployment.hosts.length} hosts in ${dir}\n`,
  );
  let down!: () => void;
  const stopped = new Promise<void>((resolve) => {
    down = resolve;
  });
  // `on`, not `once`: the NATS server manager kills its servers on a signal nobody else handles,
  // and a `once` listener is gone by the time it asks. The launcher stops hosts first, then NATS.
  const onSignal = () => down();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let cluster: LocalCluster;
  try {
    cluster = await LocalCluster.start({ dir, scenario, scenarioArgs, deployment, log });
  } catch (error) {
    release();
    throw error;
  }
  let faults: FaultControlServer | undefined;
  let procs: Server | undefined;
  try {
    faults = await FaultControlServer.start(cluster.links);
    procs = await processControl(cluster, () => down());
    await serve(cluster, faults, procs, dir, limit, rate, stopped);
  } finally {
    process.stdout.write('gongji cluster: stopping\n');
    await cluster.stop();
    await faults?.close();
    if (procs !== undefined) await new Promise((resolve) => procs?.close(resolve));
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    release();
  }
  return EXIT.ok;
}

/** Stop the launcher of `dir`; with none running, say so and succeed (down is idempotent). */
async function down(dir: string): Promise<number> {
  if (!existsSync(join(dir, 'cluster.json'))) {
    process.stdout.write(`gongji cluster: nothing runs in ${dir}\n`);
    return EXIT.ok;
  }
  if (launcherOf(dir) === undefined) {
    // Its launcher died without cleaning up (SIGKILL, a crash): its state is stale.
    rmSync(join(dir, 'cluster.json'), { force: true });
    rmSync(join(dir, 'launcher.pid'), { force: true });
    process.stdout.write(
      `gongji cluster: nothing runs in ${dir}; its launcher had stopped without cleaning up ` +
        '(removed its cluster.json)\n',
    );
    return EXIT.ok;
  }
  return control(dir, '/down');
}

async function serve(
  cluster: LocalCluster,
  faults: FaultControlServer,
  procs: Server,
  dir: string,
  limit: number | undefined,
  rate: number,
  stopped: Promise<void>,
): Promise<void> {
  const state: StateFile = {
    ...cluster.state(faults.port),
    processControlPort: (procs.address() as { port: number }).port,
  };
  writeFileSync(join(dir, 'cluster.json'), `${JSON.stringify(state, null, 2)}\n`);
  await cluster.startProcess('load');
  process.stdout.write(
    [
      `gongji cluster: up. NATS ${cluster.nats.clientUrls().join(' ')}; ` +
        `logs in ${join(dir, 'logs')}`,
      `  load: ${limit ?? "the scenario's"} requests at ${rate}/s`,
      `  links: ${state.links.join(' ')}`,
      `  next: gongji cluster check --dir ${dir}   ` +
        '(or fault, kill, start, down; gongji cluster help)',
      '',
    ].join('\n'),
  );
  await stopped;
}

/** Loopback HTTP: POST /procs/<name>/<kill|stop|start>, POST /down. */
function processControl(cluster: LocalCluster, down: () => void): Promise<Server> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'POST') return reply(405, { error: 'POST only' });
    if (url.pathname === '/down') {
      reply(200, { ok: true });
      return down();
    }
    const m = /^\/procs\/([^/]+)\/(kill|stop|start)$/.exec(url.pathname);
    if (m === null) return reply(404, { error: `no route ${url.pathname}` });
    const [, name = '', action] = m;
    const run =
      action === 'kill'
        ? cluster.killProcess(decodeURIComponent(name))
        : action === 'stop'
          ? cluster.stopProcess(decodeURIComponent(name))
          : cluster.startProcess(decodeURIComponent(name));
    run.then(
      () => reply(200, { ok: true, process: name, action }),
      (error: Error) => reply(404, { error: error.message }),
    );
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function control(dir: string, path: string): Promise<number> {
  const { processControlPort } = stateOf(dir);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: processControlPort, path, method: 'POST', agent: false },
      (res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => {
          let parsed: { error?: string };
          try {
            parsed = JSON.parse(body || '{}') as { error?: string };
          } catch {
            parsed = {
              error: `the launcher answered something that is not JSON: ${body.slice(0, 80)}`,
            };
          }
          const status = res.statusCode ?? 500;
          if (status >= 300) {
            process.stderr.write(`gongji cluster: ${parsed.error ?? status}\n`);
            resolve(status === 404 ? EXIT.badInput : EXIT.failed);
          } else {
            process.stdout.write(`${body}\n`);
            resolve(EXIT.ok);
          }
        });
      },
    );
    req.on('error', (error) =>
      reject(new LauncherError(`cannot reach the launcher of ${dir}: ${error.message}`)),
    );
    req.end();
  });
}

async function fault(args: ClusterArgs, dir: string, link: string | undefined): Promise<number> {
  const action = args.positionals[3];
  if (link === undefined || action === undefined)
    throw new UsageError('cluster fault <link> <cut|blackhole|delay|heal|stats>');
  if (!['cut', 'blackhole', 'delay', 'heal', 'stats'].includes(action))
    throw new UsageError(`cluster fault: unknown action '${action}'`);
  const ms = args.values.ms === undefined ? undefined : wholeNumber(args.values.ms, '--ms');
  const direction = args.values.direction as Direction | undefined;
  const { controlPort } = stateOf(dir);
  try {
    const stats = await faultCommand(controlPort, link, action as never, {
      ms,
      direction,
    });
    process.stdout.write(`${JSON.stringify(stats, null, 2)}\n`);
    return EXIT.ok;
  } catch (error) {
    const message = `cluster fault: ${(error as Error).message}`;
    // A link the launcher does not know is bad input; a launcher that does not answer is not.
    if (/no link named/.test(message)) throw new UsageError(message);
    throw new LauncherError(message);
  }
}

async function check(args: ClusterArgs, dir: string): Promise<number> {
  const state = stateOf(dir);
  const scenarioFile = state.scenarioArgs[state.scenarioArgs.indexOf('--scenario') + 1];
  const seed = state.scenarioArgs[state.scenarioArgs.indexOf('--seed') + 1];
  const scenario = clusterScenarioFlags(
    state.scenarioArgs.includes('--scenario') ? scenarioFile : undefined,
    state.scenarioArgs.includes('--seed') ? seed : undefined,
  );
  const out = prepareOutDir(args.values.out ?? dir).path;
  let pictures: RunPictures | null = null;
  const result = await checkCluster({
    login: {
      servers: state.adminServers,
      user: 'admin',
      password: state.adminPassword,
      name: 'check',
    },
    scenario,
    addresses: state.actors,
    quiesceTimeoutMs: parseDuration(args.values.timeout, '--timeout', 120_000),
    log,
    onPictures: (p) => (pictures = p),
  });
  writeFileSync(join(out, 'result.json'), `${JSON.stringify(result, jsonReplacer, 2)}\n`);
  writeFileSync(join(out, 'report.html'), renderReport(result, pictures));
  process.stdout.write(
    `${summarize(result)}\n\n  wrote ${join(out, 'result.json')} and ${join(out, 'report.html')}\n`,
  );
  return result.ok ? EXIT.ok : EXIT.violated;
}
