// Generates docker-compose.yml and deploy/nats-*.conf from the same Deployment the local launcher
// runs (cluster/deployment.ts), so the container demo and `gongji cluster up` cannot drift;
// cluster/compose.test.ts fails when the committed files differ from what this renders.
//
// Passwords (demo only): every NATS user has a compose variable GONGJI_<USER>_PASSWORD with a
// fixed demo default (`gongji-demo-<user>`). The same variable feeds both sides:
// - each client container gets GONGJI_NATS_PASSWORD: ${GONGJI_<USER>_PASSWORD:-<demo default>};
// - each nats container gets GONGJI_<USER>_PASSWORD set to the same value wrapped in double
//   quotes, and the config files say `password: $GONGJI_<USER>_PASSWORD`. nats-server 2.9/2.10
//   resolves an unset `$NAME` from its environment and parses the value as config text, so the
//   quotes keep it a string (an unquoted `12345` would become a number and fail, `a b` a parse
//   error). Verified with nats-server 2.9.10. Hence an override may hold any character but `"`
//   and `\`, and one `export GONGJI_ADMIN_PASSWORD=…` before `docker-compose up` changes both
//   the server and its clients. The config files cannot be used without these variables set.
//
// Run with `docker compose run --rm check` (README): it starts everything the check depends on,
// the dashboard among them, and returns the check's exit code; the checker writes
// out/compose/result.json and report.html. (`up --exit-code-from check` would abort the whole
// stack when the one-shot provision service exits: it implies --abort-on-container-exit.)
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { stringify } from 'yaml';

import { topologyFor } from '../world/topology.ts';
import { clusterScenario } from './deployment.ts';
import {
  checkCommand,
  type CommandContext,
  defaultDeployment,
  type Deployment,
  deploymentUsers,
  type ProcessCommand,
  processCommands,
  provisionCommand,
} from './deployment.ts';
import { quote, renderNatsConfig } from './nats_config.ts';

const NATS_IMAGE = 'nats:2.10-alpine';
/** The image every gongji service runs, built from ./Dockerfile (CI builds it its own way). */
const GONGJI_IMAGE = 'gongji:demo';
/** The live dashboard inside its container, published on the host's loopback only. */
const DASHBOARD_PORT = 8080;
const CLIENT_PORT = 4222;
const HTTP_PORT = 8222;
const ROUTE_PORT = 6222;
const STORE_DIR = '/data/jetstream';
const CLUSTER_NAME = 'gongji';
/** The checker's flags in compose; `./out` is mounted at /app/out. */
export const CHECK_TIMEOUT = '300s';
export const CHECK_OUT = 'out/compose';
export const CLI = ['node', 'bin/gongji.mjs'] as const;

/** The demo deployment: the cluster demo scenario, as `gongji cluster up` runs it by default. */
export function composeDeployment(): { deployment: Deployment; scenarioArgs: string[] } {
  const scenario = clusterScenario();
  const topology = topologyFor(scenario.topology);
  const deployment = defaultDeployment(
    topology.provinces.map((p) => p.code),
    scenario.protocol.walletShardCount,
  );
  return { deployment, scenarioArgs: [] };
}

/** The fixed password a user has unless GONGJI_<USER>_PASSWORD overrides it. Demo only. */
export function demoPassword(user: string): string {
  return `gongji-demo-${user}`;
}

/**
 * The environment variable holding a user's password, e.g. provinces-a →
 * GONGJI_PROVINCES_A_PASSWORD.
 */
export function passwordVariable(user: string): string {
  return `GONGJI_${user.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_PASSWORD`;
}

export function natsService(node: number): string {
  return `nats-${node + 1}`;
}

export function natsUrl(node: number): string {
  return `nats://${natsService(node)}:${CLIENT_PORT}`;
}

function userNames(deployment: Deployment): string[] {
  const users = deploymentUsers(deployment, demoPassword).map((u) => u.user);
  const variables = new Map<string, string>();
  for (const user of users) {
    const variable = passwordVariable(user);
    const other = variables.get(variable);
    if (other !== undefined)
      throw new Error(`users '${other}' and '${user}' share the password variable ${variable}`);
    variables.set(variable, user);
  }
  return users;
}

/** The compose expression for a user's password: the override, else the demo default. */
function passwordExpression(user: string): string {
  return `\${${passwordVariable(user)}:-${demoPassword(user)}}`;
}

/** The NATS node a process of the deployment connects to. */
export function processNode(deployment: Deployment, name: string): number {
  const host = deployment.hosts.find((h) => h.name === name);
  if (host !== undefined) return host.node;
  if (name === 'load') return deployment.load.node;
  if (name === 'check' || name === 'provision' || name === 'dashboard')
    return deployment.checkerNode;
  throw new Error(`no process named '${name}' in the deployment`);
}

/**
 * Every process compose runs, as provisionCommand/processCommands/checkCommand give them (no
 * clock origin).
 */
function composeCommands(
  deployment: Deployment,
  scenarioArgs: readonly string[],
): ProcessCommand[] {
  const context: CommandContext = {
    server: (name) => natsUrl(processNode(deployment, name)),
    scenarioArgs,
  };
  return [
    provisionCommand(deployment, context),
    ...processCommands(deployment, context),
    checkCommand(deployment, { ...context, out: CHECK_OUT, timeout: CHECK_TIMEOUT }),
  ];
}

function natsServices(deployment: Deployment): Record<string, unknown> {
  const environment = Object.fromEntries(
    userNames(deployment).map((u) => [passwordVariable(u), `"${passwordExpression(u)}"`]),
  );
  const services: Record<string, unknown> = {};
  for (let node = 0; node < deployment.natsNodes; node++) {
    const name = natsService(node);
    services[name] = {
      image: NATS_IMAGE,
      command: ['-c', `/etc/nats/${name}.conf`],
      environment,
      volumes: [
        `./deploy/${name}.conf:/etc/nats/${name}.conf:ro`,
        `${name}-data:${dirname(STORE_DIR)}`,
      ],
      // No client port leaves the compose network; monitoring only, on the host's loopback.
      ports: [`127.0.0.1:${HTTP_PORT + node}:${HTTP_PORT}`],
      healthcheck: {
        test: ['CMD', 'wget', '-q', '-O', '/dev/null', `http://127.0.0.1:${HTTP_PORT}/healthz`],
        interval: '2s',
        timeout: '2s',
        retries: 30,
      },
    };
  }
  return services;
}

function clientService(deployment: Deployment, command: ProcessCommand): Record<string, unknown> {
  const dependsOn: Record<string, { condition: string }> = Object.fromEntries(
    Array.from({ length: deployment.natsNodes }, (_, node) => [
      natsService(node),
      { condition: 'service_healthy' },
    ]),
  );
  const isHost = deployment.hosts.some((h) => h.name === command.name);
  const started = { condition: 'service_started' };
  // Journals exist before any host opens one or any request is offered (provision, one-shot).
  if (command.name !== 'provision')
    dependsOn.provision = { condition: 'service_completed_successfully' };
  // The load offers requests to running hosts; the check (what `docker compose run check`
  // starts) needs every other service, the dashboard among them.
  if (command.name === 'load' || command.name === 'check')
    for (const host of deployment.hosts) dependsOn[host.name] = started;
  if (command.name === 'check') {
    dependsOn.load = started;
    dependsOn.dashboard = { condition: 'service_healthy' };
  }
  return {
    image: GONGJI_IMAGE,
    build: '.',
    command: [...CLI, ...command.args],
    environment: { GONGJI_NATS_PASSWORD: passwordExpression(command.user) },
    depends_on: dependsOn,
    ...(isHost ? { restart: 'on-failure' } : {}),
    ...(command.name === 'check' ? { volumes: ['./out:/app/out'] } : {}),
  };
}

/** The live dashboard: reads every actor's report as admin, and the check's result from ./out. */
function dashboardService(deployment: Deployment): Record<string, unknown> {
  const check = composeCommands(deployment, []).find((c) => c.name === 'check');
  const actors = check?.args[check.args.indexOf('--actors') + 1] ?? '';
  const healthz = `fetch('http://127.0.0.1:${DASHBOARD_PORT}/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`;
  return {
    image: GONGJI_IMAGE,
    build: '.',
    command: [
      ...CLI,
      'dashboard',
      '--servers',
      natsUrl(deployment.checkerNode),
      '--user',
      'admin',
      '--actors',
      actors,
      '--port',
      String(DASHBOARD_PORT),
      '--bind',
      '0.0.0.0',
      '--out',
      CHECK_OUT,
    ],
    environment: { GONGJI_NATS_PASSWORD: passwordExpression('admin') },
    ports: [`127.0.0.1:\${GONGJI_DASHBOARD_PORT:-${DASHBOARD_PORT}}:${DASHBOARD_PORT}`],
    // Read only in use; mounted as the check's is, since compose makes a missing ./out for a
    // writable mount (a fresh clone has none) and refuses a read-only one.
    volumes: ['./out:/app/out'],
    healthcheck: {
      test: ['CMD', 'node', '-e', healthz],
      interval: '2s',
      timeout: '2s',
      retries: 60,
    },
    depends_on: Object.fromEntries(
      Array.from({ length: deployment.natsNodes }, (_, node) => [
        natsService(node),
        { condition: 'service_healthy' },
      ]),
    ),
    restart: 'on-failure',
  };
}

const HEADER = [
  '# Generated by cluster/compose.ts from the deployment in cluster/deployment.ts: do not edit,',
  '# run `npm run compose` to regenerate. The same processes as `gongji cluster up`.',
  '# Passwords: GONGJI_<USER>_PASSWORD (e.g. GONGJI_ADMIN_PASSWORD) override the built-in',
  '# defaults, which are for the demo only. Run (docker-compose v1 takes the same subcommands):',
  '#   docker compose build && docker compose run --rm check; docker compose down -v',
  '# The check returns its exit code; watch the run at http://127.0.0.1:8080 (GONGJI_DASHBOARD_PORT).',
];

/**
 * The docker-compose file (Compose Specification, no version key; accepted by docker-compose
 * 1.29 and by testing/compose_spec.ts).
 */
export function renderCompose(deployment: Deployment, scenarioArgs: readonly string[]): string {
  const services: Record<string, unknown> = natsServices(deployment);
  for (const command of composeCommands(deployment, scenarioArgs)) {
    if (command.name in services)
      throw new Error(`process '${command.name}' clashes with a service name`);
    services[command.name] = clientService(deployment, command);
  }
  services.dashboard = dashboardService(deployment);
  const volumes = Object.fromEntries(
    Array.from({ length: deployment.natsNodes }, (_, node) => [`${natsService(node)}-data`, {}]),
  );
  // Double-quoted values: PyYAML (YAML 1.1) would read some plain scalars (on, 22:22) differently.
  const body = stringify(
    { services, volumes },
    {
      lineWidth: 0,
      defaultStringType: 'QUOTE_DOUBLE',
      defaultKeyType: 'PLAIN',
      aliasDuplicateObjects: false,
    },
  );
  return `${HEADER.join('\n')}\n${body}`;
}

/** A sentinel password, replaced by a `$VARIABLE` reference after rendering. */
function sentinel(user: string): string {
  return `@@password-of:${user}@@`;
}

function renderNode(deployment: Deployment, node: number, users: readonly string[]): string {
  const routes = Array.from({ length: deployment.natsNodes }, (_, j) => j)
    .filter((j) => j !== node)
    .map((j) => `nats-route://${natsService(j)}:${ROUTE_PORT}`);
  let text = renderNatsConfig({
    name: natsService(node),
    host: '0.0.0.0',
    clientPort: CLIENT_PORT,
    httpPort: HTTP_PORT,
    cluster: { name: CLUSTER_NAME, port: ROUTE_PORT, routes },
    storeDir: STORE_DIR,
    users: deploymentUsers(deployment, sentinel),
  });
  for (const user of users) {
    const quoted = `password: ${quote(sentinel(user))}`;
    if (!text.includes(quoted)) throw new Error(`rendered config lacks the password of '${user}'`);
    text = text.split(quoted).join(`password: $${passwordVariable(user)}`);
  }
  return text;
}

/** deploy/nats-N.conf → text, passwords as `$GONGJI_<USER>_PASSWORD` references. */
export function renderNatsConfigs(deployment: Deployment): Map<string, string> {
  const users = userNames(deployment);
  const files = new Map<string, string>();
  for (let node = 0; node < deployment.natsNodes; node++) {
    files.set(`deploy/${natsService(node)}.conf`, renderNode(deployment, node, users));
  }
  return files;
}

/** Write docker-compose.yml and deploy/nats-*.conf of the demo deployment under root. */
export function writeComposeFiles(root: string): string[] {
  const { deployment, scenarioArgs } = composeDeployment();
  const files = new Map<string, string>([
    ['docker-compose.yml', renderCompose(deployment, scenarioArgs)],
    ...renderNatsConfigs(deployment),
  ]);
  const written: string[] = [];
  for (const [name, text] of files) {
    const path = join(root, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    written.push(path);
  }
  return written;
}
