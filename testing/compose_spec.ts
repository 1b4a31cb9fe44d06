// Validates a docker-compose file without the docker-compose binary: against the Compose
// Specification's own JSON Schema (the copy the dclint package ships, draft-07, checked with
// ajv), and then for what a schema cannot see but `docker-compose config` or `up` would refuse:
// services that depend on services that do not exist or on each other in a circle, named
// volumes and networks never declared, read-only bind mounts of files that are not there, a
// build context without a Dockerfile, one host port published twice, and `${…}` interpolations
// that compose cannot parse. Each problem is one line naming the service and the field.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

import { Ajv, type ErrorObject } from 'ajv';

/** The Compose Specification's schema, as the dclint package ships it. */
function composeSchema(): Record<string, unknown> {
  const pkg = createRequire(import.meta.url).resolve('dclint/package.json');
  return JSON.parse(readFileSync(join(dirname(pkg), 'schemas', 'compose.schema.json'), 'utf8'));
}

let validate: ReturnType<Ajv['compile']> | undefined;

function schemaProblems(file: unknown): string[] {
  // strict off: the specification uses annotations (deprecated, x-…) that strict ajv refuses.
  // The file names draft-07 by an https URL ajv does not know; draft-07 is ajv's own default.
  const { $schema: _draft, ...schema } = composeSchema();
  validate ??= new Ajv({ allErrors: true, strict: false }).compile(schema);
  if (validate(file)) return [];
  return (validate.errors ?? []).map(describe);
}

function describe(error: ErrorObject): string {
  const where = error.instancePath === '' ? '(top level)' : error.instancePath.slice(1);
  const params = error.params as Record<string, unknown>;
  const extra =
    error.keyword === 'additionalProperties' ? `: '${String(params.additionalProperty)}'` : '';
  return `${where.replace(/\//g, '.')}: ${error.message ?? error.keyword}${extra}`;
}

type Service = Record<string, unknown>;

/** Problems of a parsed compose file whose directory is `dir`; none when it is valid. */
export function composeProblems(file: unknown, dir: string): string[] {
  const problems = schemaProblems(file);
  if (problems.length > 0) return problems;
  const compose = file as {
    services?: Record<string, Service>;
    volumes?: Record<string, unknown>;
    networks?: Record<string, unknown>;
  };
  const services = compose.services ?? {};
  const names = new Set(Object.keys(services));
  const volumes = new Set(Object.keys(compose.volumes ?? {}));
  const networks = new Set(['default', ...Object.keys(compose.networks ?? {})]);
  const ports = new Map<string, string>();
  for (const [name, service] of Object.entries(services)) {
    const at = `services.${name}`;
    for (const target of dependencies(service)) {
      if (!names.has(target)) problems.push(`${at}.depends_on: no service '${target}'`);
    }
    for (const network of listOrKeys(service.networks)) {
      if (!networks.has(network)) problems.push(`${at}.networks: '${network}' is not declared`);
    }
    problems.push(...mountProblems(at, service, volumes, dir));
    problems.push(...buildProblems(at, service, dir));
    for (const port of hostPorts(service)) {
      const other = ports.get(port);
      if (other !== undefined) problems.push(`${at}.ports: host port ${port} is ${other}'s too`);
      ports.set(port, name);
    }
  }
  problems.push(...cycles(services));
  problems.push(...interpolationProblems(file, ''));
  return problems;
}

function listOrKeys(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  return typeof value === 'object' && value !== null ? Object.keys(value) : [];
}

const dependencies = (service: Service): string[] => listOrKeys(service.depends_on);

function mountProblems(
  at: string,
  service: Service,
  volumes: ReadonlySet<string>,
  dir: string,
): string[] {
  const problems: string[] = [];
  for (const mount of (service.volumes as unknown[] | undefined) ?? []) {
    const { source, readOnly } =
      typeof mount === 'string'
        ? { source: mount.split(':')[0] ?? '', readOnly: /:ro$/.test(mount) }
        : {
            source: String((mount as Record<string, unknown>).source ?? ''),
            readOnly: (mount as Record<string, unknown>).read_only === true,
          };
    const bind = source.startsWith('.') || source.startsWith('/') || source.startsWith('~');
    if (!bind) {
      if (source !== '' && !volumes.has(source)) {
        problems.push(`${at}.volumes: named volume '${source}' is not declared under volumes`);
      }
    } else if (readOnly && !existsSync(resolve(dir, source))) {
      // A missing source would be made an empty directory and mounted in place of the file.
      problems.push(`${at}.volumes: '${source}' is mounted read-only but does not exist`);
    }
  }
  return problems;
}

function buildProblems(at: string, service: Service, dir: string): string[] {
  const build = service.build;
  if (build === undefined) return [];
  const context = typeof build === 'string' ? build : String((build as Service).context ?? '.');
  const dockerfile =
    typeof build === 'object' && build !== null && typeof (build as Service).dockerfile === 'string'
      ? String((build as Service).dockerfile)
      : 'Dockerfile';
  const path = resolve(dir, context, dockerfile);
  return existsSync(path) ? [] : [`${at}.build: no ${dockerfile} in the context '${context}'`];
}

/** Host ports a service publishes (with their host IP and protocol, as compose keys them). */
function hostPorts(service: Service): string[] {
  const out: string[] = [];
  for (const port of (service.ports as unknown[] | undefined) ?? []) {
    if (typeof port === 'string' || typeof port === 'number') {
      const parts = String(port).split(':');
      if (parts.length >= 2) out.push(parts.slice(0, -1).join(':'));
    } else if (typeof port === 'object' && port !== null) {
      const p = port as Record<string, unknown>;
      if (p.published !== undefined) out.push(`${String(p.host_ip ?? '')}${String(p.published)}`);
    }
  }
  return out;
}

function cycles(services: Record<string, Service>): string[] {
  const state = new Map<string, 'visiting' | 'done'>();
  const found: string[] = [];
  const visit = (name: string, path: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      found.push(`services: depends_on goes round: ${[...path, name].join(' → ')}`);
      return;
    }
    state.set(name, 'visiting');
    const service = services[name];
    for (const next of service === undefined ? [] : dependencies(service)) {
      visit(next, [...path, name]);
    }
    state.set(name, 'done');
  };
  for (const name of Object.keys(services)) visit(name, []);
  return found;
}

/**
 * Compose's interpolation: `$$` is a dollar; `$VAR` and `${VAR}`, `${VAR:-default}`,
 * `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `${VAR:+alt}`, `${VAR+alt}` substitute.
 * Anything else after a `$` makes docker-compose refuse the file.
 */
const INTERPOLATION =
  /\$(?:\$|[A-Za-z_][A-Za-z0-9_]*|\{[A-Za-z_][A-Za-z0-9_]*(?:(?::?[-?+])[^}]*)?\})/y;

function interpolationProblems(value: unknown, at: string): string[] {
  if (typeof value === 'string') {
    for (let i = value.indexOf('$'); i >= 0; i = value.indexOf('$', i)) {
      INTERPOLATION.lastIndex = i;
      const match = INTERPOLATION.exec(value);
      if (match === null) return [`${at}: invalid interpolation at '${value.slice(i, i + 20)}'`];
      i += match[0].length;
    }
    return [];
  }
  if (Array.isArray(value)) {
    return value.flatMap((item, i) => interpolationProblems(item, `${at}[${i}]`));
  }
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([key, item]) =>
      interpolationProblems(item, at === '' ? key : `${at}.${key}`),
    );
  }
  return [];
}
