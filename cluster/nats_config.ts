// Renders nats-server 2.9 configuration files from plain data, so the test harness, the local
// cluster launcher and the container launcher all produce the same, validated, quoted text.
// Facts below were established by experiment against nats-server 2.9.10 and nats.js 3.4:
// - `authorization { users = [...] }` without an `accounts` block puts every user in the global
//   account, and JetStream (streams, R3 streams in a cluster, dedupe) works there; no explicit
//   account is needed, so none is rendered.
// - An empty `allow` list means "everything allowed", not "nothing": an empty list is rendered
//   as `deny: [">"]` instead.
// - Double-quoted strings take `\\` and `\"` escapes and do not expand `$VARIABLES`, so values
//   containing `$`, `>` or `*` are safe once quoted.
// - A `cluster` block with no routes makes a JetStream server refuse to start, so it is rejected.

/** Allow lists; an empty list allows nothing. */
export interface NatsPermissions {
  readonly publish: readonly string[];
  readonly subscribe: readonly string[];
}

/** A user of the global account; absent permissions = everything allowed. */
export interface NatsUser {
  readonly user: string;
  readonly password: string;
  readonly permissions?: NatsPermissions;
}

export interface NatsNodeConfig {
  /** server_name, e.g. "n1". */
  readonly name: string;
  /** Listen host: "127.0.0.1" locally, "0.0.0.0" in containers. */
  readonly host: string;
  readonly clientPort: number;
  readonly httpPort: number;
  readonly cluster?: {
    readonly name: string;
    readonly port: number;
    /** e.g. "nats-route://127.0.0.1:6223"; must not be empty. */
    readonly routes: readonly string[];
    /**
     * The route address this server tells the others about (gossip); absent = its listen address.
     */
    readonly advertise?: string;
  };
  /** JetStream file store directory. */
  readonly storeDir: string;
  /** Absent = no authentication. */
  readonly users?: readonly NatsUser[];
  readonly maxPayload?: number;
}

const SAFE_NAME = /^[A-Za-z0-9_-]+$/;
const SAFE_HOST = /^[A-Za-z0-9.:-]+$/;
const CONTROL = /[\u0000-\u001f\u007f]/;
const MAX_PAYLOAD_LIMIT = 64 * 1024 * 1024;

function fail(field: string, problem: string): never {
  throw new Error(`invalid nats config: ${field} ${problem}`);
}

function checkText(field: string, value: string): void {
  if (value.length === 0) fail(field, 'must not be empty');
  if (CONTROL.test(value)) fail(field, 'must not contain newlines or control characters');
}

function checkName(field: string, value: string): void {
  checkText(field, value);
  if (!SAFE_NAME.test(value))
    fail(field, `must match ${SAFE_NAME.source}, got ${JSON.stringify(value)}`);
}

function checkPort(field: string, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > 65535)
    fail(field, `must be an integer in 1..65535, got ${value}`);
}

function checkHost(field: string, value: string): void {
  checkText(field, value);
  if (!SAFE_HOST.test(value))
    fail(field, `must be a hostname or IP address, got ${JSON.stringify(value)}`);
}

/**
 * A NATS subject or wildcard pattern: non-empty tokens, `*` and `>` only as whole tokens, `>` last.
 */
function checkSubject(field: string, subject: string): void {
  checkText(field, subject);
  if (/\s/.test(subject))
    fail(field, `must not contain whitespace, got ${JSON.stringify(subject)}`);
  const tokens = subject.split('.');
  tokens.forEach((token, i) => {
    if (token.length === 0) fail(field, `has an empty token: ${JSON.stringify(subject)}`);
    if (token !== '*' && token !== '>' && /[*>]/.test(token))
      fail(field, `has a wildcard inside a token: ${JSON.stringify(subject)}`);
    if (token === '>' && i !== tokens.length - 1)
      fail(field, `has ">" before the last token: ${JSON.stringify(subject)}`);
  });
}

function checkRoute(field: string, route: string): void {
  checkText(field, route);
  let url: URL;
  try {
    url = new URL(route);
  } catch {
    fail(field, `is not a URL: ${JSON.stringify(route)}`);
  }
  if (url.protocol !== 'nats-route:' && url.protocol !== 'nats:')
    fail(field, `must be a nats-route:// URL, got ${JSON.stringify(route)}`);
  if (/["\\\s]/.test(route))
    fail(field, `must not contain quotes, backslashes or spaces: ${JSON.stringify(route)}`);
}

function checkUsers(users: readonly NatsUser[]): void {
  const seen = new Set<string>();
  users.forEach((u, i) => {
    checkText(`users[${i}].user`, u.user);
    if (seen.has(u.user)) fail(`users[${i}].user`, `is a duplicate: ${JSON.stringify(u.user)}`);
    seen.add(u.user);
    checkText(`users[${i}].password (of ${u.user})`, u.password);
    u.permissions?.publish.forEach((s, j) =>
      checkSubject(`users[${i}].permissions.publish[${j}]`, s),
    );
    u.permissions?.subscribe.forEach((s, j) =>
      checkSubject(`users[${i}].permissions.subscribe[${j}]`, s),
    );
  });
}

function validate(node: NatsNodeConfig): void {
  checkName('name', node.name);
  checkHost('host', node.host);
  checkPort('clientPort', node.clientPort);
  checkPort('httpPort', node.httpPort);
  checkText('storeDir', node.storeDir);
  if (
    node.maxPayload !== undefined &&
    (!Number.isInteger(node.maxPayload) ||
      node.maxPayload < 1 ||
      node.maxPayload > MAX_PAYLOAD_LIMIT)
  ) {
    fail('maxPayload', `must be an integer in 1..${MAX_PAYLOAD_LIMIT}, got ${node.maxPayload}`);
  }
  if (node.cluster) {
    checkName('cluster.name', node.cluster.name);
    checkPort('cluster.port', node.cluster.port);
    if (node.cluster.routes.length === 0)
      fail(
        'cluster.routes',
        'must not be empty (JetStream in a cluster needs routes); omit cluster for a single node',
      );
    node.cluster.routes.forEach((r, i) => checkRoute(`cluster.routes[${i}]`, r));
    if (
      node.cluster.advertise !== undefined &&
      !/^[A-Za-z0-9.-]+:\d{1,5}$/.test(node.cluster.advertise)
    ) {
      fail('cluster.advertise', `must be host:port, got ${JSON.stringify(node.cluster.advertise)}`);
    }
  }
  const ports = [node.clientPort, node.httpPort, ...(node.cluster ? [node.cluster.port] : [])];
  if (new Set(ports).size !== ports.length)
    fail('ports', `must be distinct, got ${ports.join(', ')}`);
  if (node.users) checkUsers(node.users);
}

/** A double-quoted nats config string. */
export function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function hostPort(host: string, port: number): string {
  return quote(host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);
}

function list(values: readonly string[]): string {
  return `[${values.map(quote).join(', ')}]`;
}

function renderAllow(subjects: readonly string[]): string {
  return subjects.length === 0 ? `{ deny: ${list(['>'])} }` : `{ allow: ${list(subjects)} }`;
}

function renderUser(u: NatsUser): string {
  const head = `user: ${quote(u.user)}, password: ${quote(u.password)}`;
  if (!u.permissions) return `    { ${head} }`;
  const { publish, subscribe } = u.permissions;
  const allowed = `publish: ${renderAllow(publish)}, subscribe: ${renderAllow(subscribe)}`;
  return `    { ${head}, permissions: { ${allowed} } }`;
}

function renderCluster(cluster: NonNullable<NatsNodeConfig['cluster']>, host: string): string[] {
  return [
    'cluster {',
    `  name: ${quote(cluster.name)}`,
    `  listen: ${hostPort(host, cluster.port)}`,
    // Tell no one (clients or servers) of addresses beyond those configured, so every route and
    // client link stays on the path it was given: fault proxies must not be bypassed.
    '  no_advertise: true',
    ...(cluster.advertise !== undefined ? [`  advertise: ${quote(cluster.advertise)}`] : []),
    '  routes: [',
    ...cluster.routes.map((r) => `    ${quote(r)}`),
    '  ]',
    '}',
  ];
}

function renderAuthorization(users: readonly NatsUser[]): string[] {
  return ['authorization {', '  users: [', ...users.map(renderUser), '  ]', '}'];
}

/** The text of one server's config file; throws on invalid input, naming the field. */
export function renderNatsConfig(node: NatsNodeConfig): string {
  validate(node);
  const lines = [
    `# nats-server config for ${node.name}, rendered by cluster/nats_config.ts`,
    `server_name: ${quote(node.name)}`,
    `listen: ${hostPort(node.host, node.clientPort)}`,
    `http: ${hostPort(node.host, node.httpPort)}`,
    ...(node.maxPayload !== undefined ? [`max_payload: ${node.maxPayload}`] : []),
    'jetstream {',
    `  store_dir: ${quote(node.storeDir)}`,
    '}',
    ...(node.cluster ? renderCluster(node.cluster, node.host) : []),
    ...(node.users ? renderAuthorization(node.users) : []),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * Permissions that let a client use JetStream on exactly one stream, and nothing else; combine
 * with the role's other subjects. Found by tracing nats.js 3.4 against nats-server 2.9.10 and
 * removing one subject at a time. Strictly needed to publish (msgID, `expect`), read with an
 * ordered consumer (`js.consumers.get(stream)`, `fetch` / `consume`) and purge:
 * - the stream's own subjects (the publish ack is a reply to `_INBOX.…`);
 * - `$JS.API.STREAM.INFO.<s>`: `js.consumers.get(stream)` and `jsm.streams.info`;
 * - `$JS.API.CONSUMER.CREATE.<s>.>`: named consumer creation, with or without filter subject
 *   (the unnamed `$JS.API.CONSUMER.CREATE.<s>` is not used by nats.js 3 against 2.9 servers);
 * - `$JS.API.CONSUMER.MSG.NEXT.<s>.>`: pull requests. Without it `fetch` / `consume` do not fail
 *   but silently receive nothing; the violation only shows in `nc.status()`;
 * - `$JS.API.STREAM.PURGE.<s>`: `jsm.streams.purge`;
 * - subscribe `_INBOX.>`: JetStream replies and ordered-consumer deliveries.
 * Also granted, for paths the happy case does not take: `$JS.API.CONSUMER.INFO.<s>.>` and
 * `$JS.API.CONSUMER.DELETE.<s>.>` (consumer recovery after missed heartbeats; the ordered
 * consumer deletes and recreates itself), `$JS.API.STREAM.MSG.GET.<s>` (`jsm.streams.getMessage`)
 * and `$JS.ACK.<s>.>` (acks of explicit-ack consumers).
 * Not granted: `$JS.API.INFO`, which `jetstreamManager(nc)` requests unless called with
 * `{ checkAPI: false }`, and stream creation, which is left to an admin user. A client that
 * answers requests also needs publish on the reply subjects.
 */
export function jetStreamStreamPermissions(
  stream: string,
  subjects: readonly string[],
): NatsPermissions {
  checkName('stream', stream);
  subjects.forEach((s, i) => checkSubject(`subjects[${i}]`, s));
  return {
    publish: [
      ...subjects,
      `$JS.API.STREAM.INFO.${stream}`,
      `$JS.API.CONSUMER.CREATE.${stream}.>`,
      `$JS.API.CONSUMER.MSG.NEXT.${stream}.>`,
      `$JS.API.STREAM.PURGE.${stream}`,
      `$JS.API.CONSUMER.INFO.${stream}.>`,
      `$JS.API.CONSUMER.DELETE.${stream}.>`,
      `$JS.API.STREAM.MSG.GET.${stream}`,
      `$JS.ACK.${stream}.>`,
    ],
    subscribe: ['_INBOX.>'],
  };
}
