// docker-compose.yml and deploy/nats-*.conf: committed text equals what cluster/compose.ts renders
// now, every service runs a real `gongji` invocation of the same topology as the local launcher,
// the NATS users and permissions match the services, the compose file is valid by the Compose
// Specification (testing/compose_spec.ts: its JSON schema and what a schema cannot see, with no
// docker-compose binary needed), and nats-server accepts every config.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { connect } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { composeProblems } from '../testing/compose_spec.ts';
import {
  CHECK_OUT,
  CHECK_TIMEOUT,
  CLI,
  composeDeployment,
  demoPassword,
  natsService,
  natsUrl,
  passwordVariable,
  processNode,
  renderCompose,
  renderNatsConfigs,
} from './compose.ts';
import { checkCommand, deploymentUsers, processCommands, provisionCommand } from './deployment.ts';
import { freePorts } from './nats_server.ts';
import { sendAsSubject } from './subjects.ts';

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
const { deployment, scenarioArgs } = composeDeployment();
const COMPOSE_TEXT = renderCompose(deployment, scenarioArgs);
const CONFIGS = renderNatsConfigs(deployment);
const SERVER = '<server>';

interface Service {
  readonly command?: readonly string[];
  readonly environment?: Record<string, string>;
}

const compose = parse(COMPOSE_TEXT) as { services: Record<string, Service> };
const natsNames = Array.from({ length: deployment.natsNodes }, (_, node) => natsService(node));
const clientNames = Object.keys(compose.services).filter((name) => !natsNames.includes(name));

function service(name: string): Service {
  const found = compose.services[name];
  if (found === undefined) throw new Error(`docker-compose.yml has no service '${name}'`);
  return found;
}

/** The arguments after `node bin/gongji.mjs`. */
function cliArgs(name: string): string[] {
  const command = service(name).command ?? [];
  expect(command.slice(0, CLI.length), `${name}: command must start with ${CLI.join(' ')}`).toEqual(
    [...CLI],
  );
  return command.slice(CLI.length);
}

function withoutServer(args: readonly string[]): string[] {
  return args.map((arg, i) => (args[i - 1] === '--servers' ? SERVER : arg));
}

/** What docker-compose makes of `${VAR:-default}`, given these variables (none: the defaults). */
function substitute(text: string, variables: Record<string, string> = {}): string {
  return text.replace(
    /\$\{([A-Z0-9_]+):-([^}]*)\}/g,
    (_, name: string, fallback: string) => variables[name] || fallback,
  );
}

/** The environment compose gives a service. */
function serviceEnv(name: string, variables: Record<string, string> = {}): Record<string, string> {
  const environment = service(name).environment ?? {};
  return Object.fromEntries(
    Object.entries(environment).map(([k, v]) => [k, substitute(v, variables)]),
  );
}

async function canConnect(port: number, user: string, pass: string): Promise<boolean> {
  try {
    const nc = await connect({
      servers: `nats://127.0.0.1:${port}`,
      user,
      pass,
      reconnect: false,
      timeout: 2_000,
    });
    await nc.close();
    return true;
  } catch {
    return false;
  }
}

async function waitConnectable(port: number, user: string, pass: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await canConnect(port, user, pass))) {
    if (Date.now() > deadline)
      throw new Error(`nats-server on ${port} did not accept ${user} in time`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A `{ user: "…", … }` line of a rendered config. */
function userLine(config: string, user: string): string {
  const line = config.split('\n').find((l) => l.includes(`{ user: "${user}",`));
  if (line === undefined) throw new Error(`no user '${user}' in the nats config`);
  return line;
}

function publishAllow(line: string): string[] {
  const m = /publish: \{ allow: \[([^\]]*)\] \}/.exec(line);
  if (m === null) throw new Error(`no publish allow list in: ${line.slice(0, 80)}…`);
  return [...(m[1] ?? '').matchAll(/"([^"]*)"/g)].map((x) => x[1] ?? '');
}

function findBinary(name: string, usual: string): string | undefined {
  const dirs = [
    usual,
    ...(process.env.PATH ?? '').split(delimiter).filter((dir) => dir.length > 0),
  ];
  return dirs.map((dir) => join(dir, name)).find((path) => existsSync(path));
}

const temp = mkdtempSync(join(tmpdir(), 'gongji-compose-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe('generated files are committed', () => {
  const files = new Map([['docker-compose.yml', COMPOSE_TEXT], ...CONFIGS]);
  for (const [name, text] of files) {
    it(`${name} is up to date`, () => {
      const path = join(ROOT, name);
      const committed = existsSync(path) ? readFileSync(path, 'utf8') : '';
      expect(
        committed === text,
        `${name} is stale or missing: run npm run compose to regenerate`,
      ).toBe(true);
    });
  }
});

describe('docker-compose.yml', () => {
  it('has the NATS nodes, every host, load and check', () => {
    const expected = [
      ...natsNames,
      'provision',
      ...deployment.hosts.map((h) => h.name),
      'load',
      'check',
      'dashboard',
    ];
    expect(Object.keys(compose.services).sort()).toEqual(expected.sort());
  });

  it('publishes no client port: monitoring and the dashboard only, on the loopback', () => {
    const published = Object.entries(compose.services).flatMap(([name, service]) =>
      ((service as { ports?: string[] }).ports ?? []).map((port) => [name, port] as const),
    );
    expect(published.map(([name]) => name).sort()).toEqual([...natsNames, 'dashboard'].sort());
    for (const [name, port] of published) {
      expect(port, name).toMatch(/^127\.0\.0\.1:/);
      expect(port, name).not.toMatch(/:4222$/);
    }
    for (const [name, service] of Object.entries(compose.services)) {
      const test = (service as { healthcheck?: { test: string[] } }).healthcheck?.test.join(' ');
      if (test !== undefined) expect(test, name).toContain('http://127.0.0.1:');
    }
  });

  it('waits for the one-shot provision, and `run check` starts every other service', () => {
    const services = compose.services as Record<string, { depends_on?: Record<string, any> }>;
    for (const [name, service] of Object.entries(services)) {
      if (natsNames.includes(name) || name === 'provision' || name === 'dashboard') continue;
      expect(service.depends_on?.provision, name).toEqual({
        condition: 'service_completed_successfully',
      });
    }
    const needed = Object.keys(services).filter((name) => name !== 'check');
    expect(Object.keys(services.check?.depends_on ?? {}).sort()).toEqual(needed.sort());
    expect(services.check?.depends_on?.dashboard).toEqual({ condition: 'service_healthy' });
  });

  it('runs the same processes as the local launcher', () => {
    const context = { server: () => SERVER, scenarioArgs };
    const launcher = [
      provisionCommand(deployment, context),
      ...processCommands(deployment, context),
      checkCommand(deployment, { ...context, out: CHECK_OUT, timeout: CHECK_TIMEOUT }),
    ];
    // The dashboard only watches: compose has it, the launcher's processes do not.
    const fromCompose = clientNames
      .filter((name) => name !== 'dashboard')
      .map((name) => ({ name, args: withoutServer(cliArgs(name)) }))
      .sort((a, b) => a.name.localeCompare(b.name));
    const expected = launcher
      .map((c) => ({ name: c.name, args: [...c.args] }))
      .sort((a, b) => a.name.localeCompare(b.name));
    expect(fromCompose).toEqual(expected);
  });

  it('points each process at its node of the deployment', () => {
    for (const name of clientNames) {
      const args = cliArgs(name);
      expect(args[args.indexOf('--servers') + 1], name).toBe(
        natsUrl(processNode(deployment, name)),
      );
    }
  });

  it('is a valid Compose file: the Compose Specification schema, and what it cannot see', () => {
    expect(
      composeProblems(parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')), ROOT),
    ).toEqual([]);
  });
});

describe('the Compose check (negative controls)', () => {
  const valid = () => structuredClone(parse(COMPOSE_TEXT)) as Record<string, any>;
  const broken: Array<[string, (c: Record<string, any>) => void, RegExp]> = [
    [
      'a key the specification does not have',
      (c) => (c.services.load.restarts = 'no'),
      /services\.load: must NOT have additional properties: 'restarts'/,
    ],
    [
      'ports given as one string, not a list',
      (c) => (c.services['nats-1'].ports = '4222:4222'),
      /nats-1\.ports: must be array/,
    ],
    [
      'a dependency on no service',
      (c) => (c.services.load.depends_on.provision2 = { condition: 'service_started' }),
      /depends_on: no service 'provision2'/,
    ],
    [
      'services that wait for each other',
      (c) => (c.services['nats-1'].depends_on = { check: { condition: 'service_started' } }),
      /depends_on goes round/,
    ],
    [
      'an undeclared named volume',
      (c) => delete c.volumes['nats-2-data'],
      /named volume 'nats-2-data' is not declared/,
    ],
    [
      'a read-only mount of a missing file',
      (c) => (c.services['nats-1'].volumes[0] = './deploy/nats-9.conf:/etc/nats/nats-1.conf:ro'),
      /'\.\/deploy\/nats-9\.conf' is mounted read-only but does not exist/,
    ],
    [
      'a build without a Dockerfile',
      (c) => (c.services.load.build = { context: '.', dockerfile: 'Nope' }),
      /load\.build: no Nope/,
    ],
    [
      'a host port published twice',
      (c) => (c.services['nats-2'].ports = ['127.0.0.1:8222:8222']),
      /host port 127\.0\.0\.1:8222(\/tcp)? is nats-1's too/,
    ],
    [
      'an interpolation compose cannot read',
      (c) => (c.services.load.environment.GONGJI_NATS_PASSWORD = '${GONGJI LOAD}'),
      /invalid interpolation/,
    ],
    [
      'an undeclared network',
      (c) => (c.services.load.networks = ['backend']),
      /'backend' is not declared/,
    ],
  ];
  it.each(broken)('refuses %s', (_what, breakIt, problem) => {
    const compose = valid();
    expect(composeProblems(compose, ROOT)).toEqual([]);
    breakIt(compose);
    const problems = composeProblems(compose, ROOT);
    expect(problems.join('\n')).toMatch(problem);
  });
});

describe('NATS users', () => {
  const users = deploymentUsers(deployment, demoPassword).map((u) => u.user);

  it('each client authenticates as a configured user, with the password the nats nodes get', () => {
    for (const name of clientNames) {
      const args = cliArgs(name);
      const user = args[args.indexOf('--user') + 1] ?? '';
      expect(users, name).toContain(user);
      const password = service(name).environment?.GONGJI_NATS_PASSWORD ?? '';
      expect(password, name).toBe(`\${${passwordVariable(user)}:-${demoPassword(user)}}`);
      for (const nats of natsNames) {
        expect(service(nats).environment?.[passwordVariable(user)], `${nats} for ${name}`).toBe(
          `"${password}"`,
        );
      }
    }
  });

  it('every node config holds every user, its password a variable reference', () => {
    for (const [file, config] of CONFIGS) {
      for (const user of users)
        expect(userLine(config, user), file).toContain(`password: $${passwordVariable(user)}`);
    }
  });

  it('each host may publish frames only as its own actors', () => {
    const config = CONFIGS.get('deploy/nats-1.conf') ?? '';
    for (const host of deployment.hosts) {
      const args = cliArgs(host.name);
      const user = args[args.indexOf('--user') + 1] ?? '';
      const frames = publishAllow(userLine(config, user)).filter((s) => s.startsWith('gj.v1.'));
      expect(frames.sort(), host.name).toEqual(host.addresses.map(sendAsSubject).sort());
    }
  });

  it('nats-server accepts every config, with the environment compose gives it', () => {
    const natsServer = findBinary('nats-server', '/usr/sbin');
    if (natsServer === undefined)
      throw new Error('nats-server not found: install it (apt-get install nats-server)');
    const env = { ...process.env, ...serviceEnv(natsNames[0] ?? '') };
    for (const [file, config] of CONFIGS) {
      const path = join(temp, file.replace('/', '-'));
      writeFileSync(
        path,
        config.replace('"/data/jetstream"', JSON.stringify(join(temp, 'jetstream'))),
      );
      const run = spawnSync(natsServer, ['-c', path, '-t'], {
        encoding: 'utf8',
        env,
        timeout: 30_000,
      });
      expect(run.status, `${file}: ${run.stderr}${run.stdout}${run.error?.message ?? ''}`).toBe(0);
    }
  });

  it('an overridden password reaches the server and its client alike', async () => {
    const natsServer = findBinary('nats-server', '/usr/sbin');
    if (natsServer === undefined)
      throw new Error('nats-server not found: install it (apt-get install nats-server)');
    // What `GONGJI_ADMIN_PASSWORD='12 $x,y' docker-compose up` would hand nats-1 and the checker.
    const variables = { [passwordVariable('admin')]: '12 $x,y' };
    const [client, http, route] = (await freePorts(3)) as [number, number, number];
    const config = (CONFIGS.get('deploy/nats-1.conf') ?? '')
      .replace('"0.0.0.0:4222"', `"127.0.0.1:${client}"`)
      .replace('"0.0.0.0:8222"', `"127.0.0.1:${http}"`)
      .replace('"0.0.0.0:6222"', `"127.0.0.1:${route}"`)
      .replace('"/data/jetstream"', JSON.stringify(join(temp, 'live-jetstream')));
    const path = join(temp, 'live.conf');
    writeFileSync(path, config);
    const server = spawn(natsServer, ['-c', path], {
      env: { ...process.env, ...serviceEnv(natsNames[0] ?? '', variables) },
      stdio: 'ignore',
    });
    try {
      const admin = serviceEnv('check', variables).GONGJI_NATS_PASSWORD ?? '';
      expect(admin).toBe('12 $x,y');
      await waitConnectable(client, 'admin', admin);
      expect(await canConnect(client, 'admin', demoPassword('admin'))).toBe(false);
      expect(await canConnect(client, 'load', serviceEnv('load').GONGJI_NATS_PASSWORD ?? '')).toBe(
        true,
      );
    } finally {
      const exited = new Promise((done) => server.once('exit', done));
      server.kill('SIGTERM');
      await exited;
    }
  });
});
