// A local cluster without Docker: a 3-node nats-server cluster with JetStream on loopback ports,
// a TCP fault proxy on every client link and every route, the host processes and the load
// generator as child processes, all from one Deployment (the same one docker-compose.yml is
// generated from). Tests drive it in-process; `gongji cluster up` drives it from the shell.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { Logger } from 'pino';

import { pack, unpack } from '../host/record_codec.ts';
import type { RunResult } from '../world/result.ts';
import type { Scenario } from '../world/scenario.ts';
import { checkCluster } from './check.ts';
import {
  allAddresses,
  type Deployment,
  deploymentUsers,
  type ProcessCommand,
  processCommands,
  provisionCommand,
} from './deployment.ts';
import { FaultProxy } from './fault_proxy.ts';
import { freePorts, NatsCluster } from './nats_server.ts';
import { connectNats, type NatsLogin } from './nats_transport.ts';
import type { ActorReport } from './reconcile.ts';
import { adminSubject } from './subjects.ts';

const REPO = resolve(fileURLToPath(import.meta.url), '../..');

/** Child processes still running, SIGKILLed if this process exits without stopping them. */
const liveChildren = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
});

export interface LocalClusterOptions {
  readonly dir: string;
  readonly scenario: Scenario;
  /** Passed to every process so they build the same world (absent: the cluster demo scenario). */
  readonly scenarioArgs: readonly string[];
  readonly deployment: Deployment;
  readonly log: Logger;
  /** Extra flags for host processes (e.g. --snapshot-bytes). */
  readonly hostArgs?: readonly string[];
}

/** What another shell needs to talk to a running local cluster (written to <dir>/cluster.json). */
export interface ClusterState {
  readonly pid: number;
  readonly controlPort: number;
  readonly adminServers: readonly string[];
  readonly adminPassword: string;
  readonly scenarioArgs: readonly string[];
  readonly actors: readonly string[];
  readonly links: readonly string[];
  readonly processes: readonly string[];
}

interface Child {
  readonly command: ProcessCommand;
  proc: ChildProcess | undefined;
  exited: Promise<number | null>;
}

export class LocalCluster {
  readonly links = new Map<string, FaultProxy>();
  readonly children = new Map<string, Child>();
  readonly clockOrigin = Date.now();
  private readonly passwords = new Map<string, string>();
  private commands = new Map<string, ProcessCommand>();

  private constructor(
    readonly options: LocalClusterOptions,
    readonly nats: NatsCluster,
  ) {}

  /** Start NATS (with proxies on the routes), provision every actor's stream, start the hosts. */
  static async start(options: LocalClusterOptions): Promise<LocalCluster> {
    const { deployment, dir } = options;
    mkdirSync(join(dir, 'logs'), { recursive: true });
    const passwords = new Map<string, string>();
    const password = (user: string) => {
      const existing = passwords.get(user);
      if (existing !== undefined) return existing;
      const fresh = randomBytes(12).toString('hex');
      passwords.set(user, fresh);
      return fresh;
    };
    // Every port at once, held together while chosen, so none is handed out twice.
    const n = deployment.natsNodes;
    const free = await freePorts(3 * n + n * (n - 1));
    const ports = Array.from({ length: n }, (_, i) => ({
      client: free[3 * i]!,
      cluster: free[3 * i + 1]!,
      http: free[3 * i + 2]!,
    }));
    const routePorts = new Map<string, number>();
    let next = 3 * n;
    for (let from = 0; from < n; from++) {
      for (let to = 0; to < n; to++)
        if (from !== to) routePorts.set(`${from}-${to}`, free[next++]!);
    }
    const nats = await NatsCluster.plan({
      nodes: n,
      ports,
      dir: join(dir, 'nats'),
      users: deploymentUsers(deployment, password),
      clusterName: 'gongji',
      routeAddress: (from: number, to: number) => ({
        host: '127.0.0.1',
        port: routePorts.get(`${from}-${to}`) as number,
      }),
    });
    const cluster = new LocalCluster(options, nats);
    for (const [user, secret] of passwords) cluster.passwords.set(user, secret);
    try {
      for (const [pair, port] of routePorts) {
        const [, to] = pair.split('-').map(Number) as [number, number];
        const target = { host: '127.0.0.1', port: nats.nodes[to]!.clusterPort };
        cluster.links.set(
          `route-${pair}`,
          await FaultProxy.start({ name: `route-${pair}`, target, port }),
        );
      }
      await nats.start();
      await cluster.planProcesses();
      await cluster.startProcess('provision');
      const provisioned = await cluster.children.get('provision')!.exited;
      if (provisioned !== 0)
        throw new Error(
          `provisioning the journal streams failed (exit ${provisioned}); ` +
            `see ${join(dir, 'logs', 'provision.log')}`,
        );
      for (const host of deployment.hosts) await cluster.startProcess(host.name);
      await cluster.waitServing(allAddresses(deployment), 60_000);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** The generated password of a deployment user (tests log in as a role to probe permissions). */
  passwordOf(user: string): string | undefined {
    return this.passwords.get(user);
  }

  adminLogin(node = this.options.deployment.checkerNode): NatsLogin {
    return {
      servers: [`nats://127.0.0.1:${this.nats.nodes[node]!.clientPort}`],
      user: 'admin',
      password: this.passwords.get('admin'),
      name: 'launcher',
    };
  }

  /** Each process connects to its node through a proxy of its own (`client-<name>`). */
  private async planProcesses(): Promise<void> {
    const { deployment } = this.options;
    const names = [
      ...deployment.hosts.map((h) => ({ name: h.name, node: h.node })),
      { name: 'load', node: deployment.load.node },
      { name: 'provision', node: deployment.checkerNode },
    ];
    const proxyPort = new Map<string, number>();
    for (const { name, node } of names) {
      const target = { host: '127.0.0.1', port: this.nats.nodes[node]!.clientPort };
      const proxy = await FaultProxy.start({ name: `client-${name}`, target });
      this.links.set(proxy.name, proxy);
      proxyPort.set(name, proxy.port);
    }
    const commands = processCommands(deployment, {
      server: (name) => `nats://127.0.0.1:${proxyPort.get(name)}`,
      scenarioArgs: this.options.scenarioArgs,
      clockOrigin: this.clockOrigin,
      hostArgs: this.options.hostArgs ?? [],
    });
    const provision = provisionCommand(deployment, {
      server: (name) => `nats://127.0.0.1:${proxyPort.get(name)}`,
      scenarioArgs: [],
    });
    this.commands = new Map([provision, ...commands].map((c) => [c.name, c]));
  }

  /** Start (or restart) a named process: a host, or `load`. */
  async startProcess(name: string): Promise<void> {
    const command = this.commands.get(name);
    if (command === undefined)
      throw new Error(
        `no process named '${name}' (processes: ${[...this.commands.keys()].join(', ')})`,
      );
    const running = this.children.get(name);
    if (
      running?.proc !== undefined &&
      running.proc.exitCode === null &&
      running.proc.signalCode === null
    )
      return;
    const logFile = createWriteStream(join(this.options.dir, 'logs', `${name}.log`), {
      flags: 'a',
    });
    const proc = spawn(
      process.execPath,
      ['--import', 'tsx', join(REPO, 'cli/main.ts'), ...command.args],
      {
        cwd: REPO,
        env: {
          ...process.env,
          GONGJI_NATS_PASSWORD: this.passwords.get(command.user),
          GONGJI_LOG: process.env.GONGJI_LOG ?? 'info',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    proc.stdout?.pipe(logFile);
    proc.stderr?.pipe(logFile);
    liveChildren.add(proc);
    const exited = new Promise<number | null>((done) =>
      proc.once('exit', (code) => {
        liveChildren.delete(proc);
        done(code);
      }),
    );
    this.children.set(name, { command, proc, exited });
    this.options.log.info({ name, pid: proc.pid }, 'process started');
  }

  /** SIGKILL: nothing drains, whatever was not journalled is lost. */
  async killProcess(name: string): Promise<void> {
    await this.signal(name, 'SIGKILL');
  }

  /** SIGTERM: the process drains (finishes journal appends) and exits. */
  async stopProcess(name: string): Promise<void> {
    await this.signal(name, 'SIGTERM');
  }

  private async signal(name: string, signal: NodeJS.Signals): Promise<void> {
    if (!this.commands.has(name))
      throw new Error(
        `no process named '${name}' (processes: ${[...this.commands.keys()].join(', ')})`,
      );
    const child = this.children.get(name);
    if (child?.proc === undefined) return;
    if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill(signal);
    const timeout = setTimeout(() => child.proc?.kill('SIGKILL'), 10_000);
    await child.exited;
    clearTimeout(timeout);
    child.proc = undefined;
  }

  /** Resolves once every address answers the reconciliation query. */
  async waitServing(addresses: readonly string[], timeoutMs: number): Promise<void> {
    const nc = await connectNats(this.adminLogin());
    try {
      const deadline = Date.now() + timeoutMs;
      const waiting = new Set(addresses);
      while (waiting.size > 0) {
        if (Date.now() > deadline)
          throw new Error(
            `not serving after ${timeoutMs} ms: ${[...waiting].join(', ')} ` +
              `(see ${join(this.options.dir, 'logs')})`,
          );
        for (const address of [...waiting]) {
          try {
            const reply = await nc.request(adminSubject(address), pack(null), { timeout: 1_000 });
            if ((unpack(reply.data) as ActorReport).up) waiting.delete(address);
          } catch {
            // not yet
          }
        }
        if (waiting.size > 0) await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      await nc.close();
    }
  }

  async check(quiesceTimeoutMs = 120_000): Promise<RunResult> {
    return checkCluster({
      login: this.adminLogin(),
      scenario: this.options.scenario,
      addresses: allAddresses(this.options.deployment),
      quiesceTimeoutMs,
      log: this.options.log,
    });
  }

  state(controlPort: number): ClusterState {
    return {
      pid: process.pid,
      controlPort,
      adminServers: this.adminLogin().servers,
      adminPassword: this.passwords.get('admin') ?? '',
      scenarioArgs: this.options.scenarioArgs,
      actors: allAddresses(this.options.deployment),
      links: [...this.links.keys()],
      processes: [...this.commands.keys()],
    };
  }

  async stop(): Promise<void> {
    await Promise.all([...this.children.keys()].map((name) => this.stopProcess(name)));
    await this.nats.stop();
    await Promise.all([...this.links.values()].map((proxy) => proxy.close()));
  }
}
