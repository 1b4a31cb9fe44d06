// Starts and stops real nats-server processes (one node or a JetStream cluster) for tests, the
// local cluster launcher and benches. Ports are random loopback ports unless given; configs,
// logs and JetStream stores live under the caller's directory. Every child is tracked and killed
// when the parent exits or is interrupted, so no server outlives its caller.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import type { NatsUser } from './nats_config.ts';
import { renderNatsConfig } from './nats_config.ts';

export class NatsServerMissingError extends Error {
  override name = 'NatsServerMissingError';
}

const FALLBACK_PATHS: readonly string[] = ['/usr/sbin/nats-server', '/usr/local/bin/nats-server'];
const READY_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;
const POLL_MS = 100;
const LOG_TAIL_LINES = 20;

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * The nats-server binary: `NATS_SERVER_BIN` if set (it must exist), else the first on `PATH`,
 * else the fallback paths. `env` and `fallbacks` are parameters for tests.
 */
export function findNatsServer(
  env: NodeJS.ProcessEnv = process.env,
  fallbacks: readonly string[] = FALLBACK_PATHS,
): string {
  const explicit = env['NATS_SERVER_BIN'];
  if (explicit !== undefined && explicit !== '') {
    if (isExecutable(explicit)) return explicit;
    throw new NatsServerMissingError(
      `nats-server not found: NATS_SERVER_BIN=${JSON.stringify(explicit)} ` +
        `is not an executable file; fix it or unset it`,
    );
  }
  const onPath = (env['PATH'] ?? '')
    .split(path.delimiter)
    .filter((d) => d !== '')
    .map((d) => path.join(d, 'nats-server'));
  const found = [...onPath, ...fallbacks].find(isExecutable);
  if (found !== undefined) return found;
  throw new NatsServerMissingError(
    'nats-server not found: install it (apt-get install nats-server) ' +
      'or set NATS_SERVER_BIN to its path',
  );
}

function listenEphemeral(): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function closeServer(server: net.Server): Promise<number> {
  const port = (server.address() as net.AddressInfo).port;
  return new Promise((resolve) => server.close(() => resolve(port)));
}

/** `count` distinct free loopback ports (all held open together, so none repeats). */
export async function freePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await listenEphemeral());
  } catch (err) {
    await Promise.all(servers.map(closeServer));
    throw err;
  }
  return Promise.all(servers.map(closeServer));
}

// ---- child tracking: kill every server we started when this process goes away ----

const live = new Set<ChildProcess>();
let hooksInstalled = false;

function killAllNow(): void {
  for (const child of live) child.kill('SIGKILL');
}

function onSignal(signal: NodeJS.Signals): void {
  // Someone else handles this signal (the launcher stops its hosts, then the servers, in order):
  // leave the servers to it; the exit hook still kills whatever is left.
  if (process.listenerCount(signal) > 1) return;
  killAllNow();
  process.removeListener(signal, onSignal);
  process.kill(process.pid, signal);
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllNow);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

function track(child: ChildProcess): void {
  installExitHooks();
  live.add(child);
  child.once('exit', () => live.delete(child));
}

// ---- cluster ----

export interface NatsClusterOptions {
  /** 1 or 3 typically. */
  readonly nodes: number;
  /** Working dir: configs, logs and store dirs go under it. */
  readonly dir: string;
  readonly users?: readonly NatsUser[];
  readonly clusterName?: string;
  /**
   * Where node `from` dials node `to`'s route port; default 127.0.0.1:<to's cluster port>. Lets
   * the caller put a fault proxy on each route. Called after ports are chosen.
   */
  readonly routeAddress?: (
    from: number,
    to: number,
    routePort: number,
  ) => { host: string; port: number };
  /** Fixed ports instead of random ones (client, cluster, http per node). */
  readonly ports?: readonly { client: number; cluster: number; http: number }[];
  /** How long start/startNode/waitReady wait for a node; default 20 s. */
  readonly readyTimeoutMs?: number;
}

export interface NatsNode {
  readonly name: string;
  readonly clientPort: number;
  readonly clusterPort: number;
  readonly httpPort: number;
  readonly configPath: string;
  readonly logPath: string;
  readonly storeDir: string;
}

interface Ports {
  client: number;
  cluster: number;
  http: number;
}

async function choosePorts(options: NatsClusterOptions): Promise<Ports[]> {
  if (options.ports) {
    if (options.ports.length !== options.nodes)
      throw new Error(`NatsCluster: ${options.nodes} nodes but ${options.ports.length} port sets`);
    return options.ports.map((p) => ({ ...p }));
  }
  const all = await freePorts(3 * options.nodes);
  return Array.from({ length: options.nodes }, (_, i) => ({
    client: all[3 * i] as number,
    cluster: all[3 * i + 1] as number,
    http: all[3 * i + 2] as number,
  }));
}

function routeUrl(
  options: NatsClusterOptions,
  from: number,
  to: number,
  routePort: number,
): string {
  const { host, port } = options.routeAddress?.(from, to, routePort) ?? {
    host: '127.0.0.1',
    port: routePort,
  };
  return `nats-route://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function readTail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function getJson(url: string): Promise<{ ok: boolean; body: unknown }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return { ok: res.ok, body: await res.json() };
  } catch {
    return { ok: false, body: undefined };
  }
}

function metaLeader(jsz: unknown): string | undefined {
  const meta = (jsz as { meta_cluster?: { leader?: unknown } } | undefined)?.meta_cluster;
  return typeof meta?.leader === 'string' && meta.leader !== '' ? meta.leader : undefined;
}

function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export class NatsCluster {
  readonly nodes: readonly NatsNode[];
  private readonly bin: string;
  private readonly timeoutMs: number;
  private readonly children: (ChildProcess | undefined)[];

  private constructor(nodes: NatsNode[], bin: string, timeoutMs: number) {
    this.nodes = nodes;
    this.bin = bin;
    this.timeoutMs = timeoutMs;
    this.children = nodes.map(() => undefined);
  }

  /** Plan, start every node, and wait until all are ready. */
  static async start(options: NatsClusterOptions): Promise<NatsCluster> {
    const cluster = await NatsCluster.plan(options);
    try {
      await cluster.start();
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** Choose ports and write configs without starting anything. */
  static async plan(options: NatsClusterOptions): Promise<NatsCluster> {
    if (!Number.isInteger(options.nodes) || options.nodes < 1)
      throw new Error(`NatsCluster: nodes must be a positive integer, got ${options.nodes}`);
    const bin = findNatsServer();
    const ports = await choosePorts(options);
    mkdirSync(options.dir, { recursive: true });
    const nodes = ports.map((p, i) => NatsCluster.writeNode(options, ports, p, i));
    return new NatsCluster(nodes, bin, options.readyTimeoutMs ?? READY_TIMEOUT_MS);
  }

  private static writeNode(
    options: NatsClusterOptions,
    all: Ports[],
    p: Ports,
    i: number,
  ): NatsNode {
    const name = `n${i + 1}`;
    const node: NatsNode = {
      name,
      clientPort: p.client,
      clusterPort: p.cluster,
      httpPort: p.http,
      configPath: path.join(options.dir, `${name}.conf`),
      logPath: path.join(options.dir, `${name}.log`),
      storeDir: path.join(options.dir, name, 'store'),
    };
    const routes = all.flatMap((q, j) => (j === i ? [] : [routeUrl(options, i, j, q.cluster)]));
    const text = renderNatsConfig({
      name,
      host: '127.0.0.1',
      clientPort: p.client,
      httpPort: p.http,
      storeDir: node.storeDir,
      ...(all.length > 1
        ? {
            cluster: {
              name: options.clusterName ?? 'gongji',
              port: p.cluster,
              routes,
              ...gossip(options),
            },
          }
        : {}),
      ...(options.users ? { users: options.users } : {}),
    });
    mkdirSync(node.storeDir, { recursive: true });
    writeFileSync(node.configPath, text);
    return node;
  }

  /**
   * Start every node that is not running, then wait until all are ready; on failure call stop().
   */
  async start(): Promise<void> {
    const idle = this.nodes.map((_, i) => i).filter((i) => !this.isRunning(i));
    idle.forEach((i) => this.spawnNode(i));
    await this.waitReady();
  }

  clientUrls(): string[] {
    return this.nodes.map((n) => `nats://127.0.0.1:${n.clientPort}`);
  }

  isRunning(i: number): boolean {
    const child = this.children[i];
    return (
      child !== undefined &&
      child.pid !== undefined &&
      child.exitCode === null &&
      child.signalCode === null
    );
  }

  /** SIGTERM, wait for exit; SIGKILL if it is still running after a few seconds. */
  async stopNode(i: number): Promise<void> {
    const child = this.child(i);
    if (!child) return;
    child.kill('SIGTERM');
    const exited = await Promise.race([
      waitExit(child).then(() => true),
      sleep(STOP_GRACE_MS).then(() => false),
    ]);
    if (!exited) await this.killNode(i);
  }

  /** SIGKILL, wait for exit. */
  async killNode(i: number): Promise<void> {
    const child = this.child(i);
    if (!child) return;
    child.kill('SIGKILL');
    await waitExit(child);
  }

  /**
   * (Re)start node `i` with the same config, ports and store; wait until it is ready. With
   * `rejoinOnly`, ready means serving clients with a JetStream meta leader known, without waiting
   * for every stream replica to catch up (after a partition that can take a while, and clients
   * cope: their appends retry until the stream has quorum again).
   */
  async startNode(i: number, options: { rejoinOnly?: boolean } = {}): Promise<void> {
    if (this.isRunning(i))
      throw new Error(`NatsCluster: node ${this.node(i).name} is already running`);
    this.spawnNode(i);
    await this.waitNodeReady(i, options.rejoinOnly ?? false);
  }

  /**
   * Wait until node `i` (default: every running node) answers /healthz with ok and, in a
   * cluster, knows a JetStream meta leader. Rejects with the log tail if the node exits or the
   * timeout passes.
   */
  async waitReady(i?: number): Promise<void> {
    const which = i === undefined ? this.nodes.map((_, j) => j) : [i];
    await Promise.all(which.map((j) => this.waitNodeReady(j)));
  }

  /** Stop every node (SIGTERM, then SIGKILL); idempotent. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((_, i) => this.stopNode(i)));
  }

  private node(i: number): NatsNode {
    const node = this.nodes[i];
    if (!node) throw new Error(`NatsCluster: no node ${i} (have ${this.nodes.length})`);
    return node;
  }

  private child(i: number): ChildProcess | undefined {
    this.node(i);
    return this.isRunning(i) ? this.children[i] : undefined;
  }

  private spawnNode(i: number): void {
    const node = this.node(i);
    const log = openSync(node.logPath, 'a');
    try {
      const child = spawn(this.bin, ['-c', node.configPath], { stdio: ['ignore', log, log] });
      child.on('error', () => undefined);
      track(child);
      this.children[i] = child;
    } finally {
      closeSync(log);
    }
  }

  private async waitNodeReady(i: number, rejoinOnly = false): Promise<void> {
    const node = this.node(i);
    const child = this.children[i];
    if (!child) throw new Error(`NatsCluster: node ${node.name} was never started`);
    const deadline = Date.now() + this.timeoutMs;
    let last = 'no answer from the monitoring port';
    while (Date.now() < deadline) {
      if (!this.isRunning(i))
        throw this.failure(
          node,
          `exited (code ${child.exitCode ?? child.signalCode}) before it was ready`,
        );
      const problem = await this.readiness(node, rejoinOnly);
      if (problem === undefined) return;
      last = problem;
      await sleep(POLL_MS);
    }
    throw this.failure(node, `not ready after ${this.timeoutMs} ms (${last})`);
  }

  /** Why node is not ready yet, or undefined when it is. */
  private async readiness(node: NatsNode, rejoinOnly: boolean): Promise<string | undefined> {
    const base = `http://127.0.0.1:${node.httpPort}`;
    const health = await getJson(`${base}/healthz${rejoinOnly ? '?js-enabled-only=true' : ''}`);
    if (!health.ok) return `/healthz: ${JSON.stringify(health.body) ?? 'no answer'}`;
    if (this.nodes.length === 1) return undefined;
    const jsz = await getJson(`${base}/jsz`);
    return metaLeader(jsz.body) === undefined ? 'no JetStream meta leader yet' : undefined;
  }

  private failure(node: NatsNode, what: string): Error {
    return new Error(
      `nats-server ${node.name} (client port ${node.clientPort}) ${what}; ` +
        `last lines of ${node.logPath}:\n${readTail(node.logPath, LOG_TAIL_LINES)}`,
    );
  }
}

/**
 * With routes through fault proxies, servers must not learn each other's real route addresses:
 * gossip would let them dial directly (an implicit route) and a cut proxy would partition
 * nothing. They advertise an address that refuses connections (port 1) instead, so only the
 * configured, proxied routes ever form.
 */
function gossip(options: NatsClusterOptions): { advertise?: string } {
  return options.routeAddress === undefined ? {} : { advertise: '127.0.0.1:1' };
}
