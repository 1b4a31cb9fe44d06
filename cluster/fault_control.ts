// A loopback HTTP control surface for a set of fault proxies, so another process (the CLI) can
// cut, blackhole, delay and heal links by name. Every answer is a JSON array of the affected
// links' stats, or `{error}` with 400 (bad action or parameter), 404 (no such link or route) or
// 405 (wrong method). `*` names every link, `prefix-*` every link whose name starts with `prefix-`.
import http from 'node:http';

import type { Direction, FaultProxy, ProxyStats } from './fault_proxy.ts';

export type FaultAction = 'cut' | 'blackhole' | 'delay' | 'heal' | 'stats';
type ProxySource = ReadonlyMap<string, FaultProxy> | (() => ReadonlyMap<string, FaultProxy>);

const DIRECTIONS: readonly string[] = ['both', 'up', 'down'];
/** The query parameters each POST action accepts. */
const ACTION_PARAMS: Readonly<Record<string, readonly string[]>> = {
  cut: [],
  blackhole: ['direction'],
  delay: ['ms', 'jitter'],
  heal: [],
};
const REQUEST_TIMEOUT_MS = 10_000;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class FaultControlServer {
  readonly port: number;
  private readonly server: http.Server;
  private closing: Promise<void> | undefined;

  private constructor(server: http.Server, port: number) {
    this.server = server;
    this.port = port;
  }

  static async start(proxies: ProxySource, port = 0): Promise<FaultControlServer> {
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      throw new RangeError(`control port must be an integer in 0..65535, got ${String(port)}`);
    }
    const lookup = typeof proxies === 'function' ? proxies : () => proxies;
    const server = http.createServer((req, res) => handle(lookup, req, res));
    server.keepAliveTimeout = 0;
    const bound = await listen(server, port);
    server.on('error', () => undefined);
    return new FaultControlServer(server, bound);
  }

  /** Stop listening and drop every connection; idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }
}

function listen(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      const address = server.address();
      if (address === null || typeof address === 'string')
        reject(new Error(`unexpected listen address ${String(address)}`));
      else resolve(address.port);
    });
  });
}

function handle(
  lookup: () => ReadonlyMap<string, FaultProxy>,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): void {
  req.resume();
  try {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    reply(
      res,
      200,
      route(lookup(), req.method ?? 'GET', url).map((proxy) => proxy.stats()),
    );
  } catch (error) {
    if (error instanceof HttpError) reply(res, error.status, { error: error.message });
    else if (error instanceof RangeError || error instanceof URIError)
      reply(res, 400, { error: error.message });
    else reply(res, 500, { error: error instanceof Error ? error.message : String(error) });
  }
}

/** Apply the request to the links it names and return them. */
function route(links: ReadonlyMap<string, FaultProxy>, method: string, url: URL): FaultProxy[] {
  const parts = url.pathname.split('/').filter((part) => part !== '');
  if (parts[0] !== 'links' || parts.length > 3)
    throw new HttpError(
      404,
      `no route ${url.pathname} (routes: GET /links[/<link>], POST /links/<link>/<action>)`,
    );
  const pattern = parts[1] === undefined ? '*' : decodeURIComponent(parts[1]);
  const action = parts[2];
  if (action === undefined) {
    if (method !== 'GET')
      throw new HttpError(
        405,
        `${method} ${url.pathname}: use GET, or POST /links/<link>/<action>`,
      );
    return select(links, pattern);
  }
  if (method !== 'POST') throw new HttpError(405, `${method} ${url.pathname}: actions take POST`);
  const apply = parseAction(action, url.searchParams);
  const chosen = select(links, pattern);
  for (const proxy of chosen) apply(proxy);
  return chosen;
}

function select(links: ReadonlyMap<string, FaultProxy>, pattern: string): FaultProxy[] {
  const prefix = pattern.endsWith('*') ? pattern.slice(0, -1) : undefined;
  const chosen = [...links].filter(([name]) =>
    prefix === undefined ? name === pattern : name.startsWith(prefix),
  );
  if (chosen.length > 0) return chosen.map(([, proxy]) => proxy);
  const known = links.size === 0 ? 'none' : [...links.keys()].join(', ');
  const what = prefix === undefined ? 'named' : 'matching';
  throw new HttpError(404, `no link ${what} '${pattern}' (links: ${known})`);
}

/**
 * Check the action and its parameters before anything changes, and return what to do to each link.
 */
function parseAction(action: string, params: URLSearchParams): (proxy: FaultProxy) => void {
  const allowed = ACTION_PARAMS[action];
  if (allowed === undefined) {
    throw new HttpError(
      400,
      `unknown action '${action}' (actions: ${Object.keys(ACTION_PARAMS).join(', ')})`,
    );
  }
  for (const key of params.keys()) {
    if (!allowed.includes(key))
      throw new HttpError(400, `action '${action}' takes no parameter '${key}'`);
  }
  if (action === 'cut') return (proxy) => proxy.cut();
  if (action === 'heal') return (proxy) => proxy.heal();
  if (action === 'blackhole') {
    const direction = parseDirection(params.get('direction'));
    return (proxy) => proxy.blackhole(direction);
  }
  const ms = parseMs('ms', params.get('ms'));
  const jitter = params.has('jitter') ? parseMs('jitter', params.get('jitter')) : 0;
  return (proxy) => proxy.delay(ms, jitter);
}

function parseDirection(raw: string | null): Direction {
  if (raw === null) return 'both';
  if (!DIRECTIONS.includes(raw))
    throw new HttpError(400, `bad direction '${raw}' (directions: ${DIRECTIONS.join(', ')})`);
  return raw as Direction;
}

function parseMs(name: string, raw: string | null): number {
  if (raw === null) throw new HttpError(400, `delay needs ${name}=<milliseconds>`);
  const value = raw.trim() === '' ? Number.NaN : Number(raw);
  if (!Number.isFinite(value) || value < 0)
    throw new HttpError(400, `bad ${name} '${raw}': must be a number of milliseconds >= 0`);
  return value;
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    connection: 'close',
  });
  res.end(text);
}

/**
 * Drive the links of a control server on this machine; throws with the server's message on failure.
 */
export async function faultCommand(
  controlPort: number,
  link: string,
  action: FaultAction,
  args: { direction?: Direction; ms?: number; jitterMs?: number } = {},
): Promise<ProxyStats[]> {
  const name = encodeURIComponent(link);
  const path =
    action === 'stats'
      ? `/links/${name}`
      : `/links/${name}/${encodeURIComponent(action)}${query(args)}`;
  const { status, body } = await request(controlPort, action === 'stats' ? 'GET' : 'POST', path);
  const parsed = parseBody(body, status);
  if (status < 200 || status >= 300) {
    const message = isErrorBody(parsed) ? parsed.error : `HTTP ${status}`;
    throw new Error(message);
  }
  return parsed as ProxyStats[];
}

function query(args: { direction?: Direction; ms?: number; jitterMs?: number }): string {
  const params = new URLSearchParams();
  if (args.direction !== undefined) params.set('direction', args.direction);
  if (args.ms !== undefined) params.set('ms', String(args.ms));
  if (args.jitterMs !== undefined) params.set('jitter', String(args.jitterMs));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

function parseBody(body: string, status: number): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new Error(
      `fault control answered HTTP ${status} with a body that is not JSON: ${body.slice(0, 200)}`,
    );
  }
}

function isErrorBody(value: unknown): value is { error: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { error?: unknown }).error === 'string'
  );
}

function request(
  port: number,
  method: string,
  path: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method, path, agent: false, headers: { connection: 'close' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () =>
      req.destroy(
        new Error(
          `fault control on port ${port} did not answer ${method} ${path} ` +
            `within ${REQUEST_TIMEOUT_MS} ms`,
        ),
      ),
    );
    req.on('error', reject);
    req.end();
  });
}
