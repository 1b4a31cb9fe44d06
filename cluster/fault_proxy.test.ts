// The fault proxy and its HTTP control against a real local echo server: pass-through integrity
// under backpressure, cut, blackhole (both ways and one way), delay without reordering, a target
// that is down, teardown, and the control routes. Waits poll for what should happen; the only
// fixed sleeps check that something does NOT happen.
import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterEach, describe, expect, it } from 'vitest';

import { faultCommand, FaultControlServer } from './fault_control.ts';
import { FaultProxy } from './fault_proxy.ts';
import { freePorts } from './nats_server.ts';

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function waitUntil(
  what: string,
  condition: () => boolean,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

interface Echo {
  readonly port: number;
  /** Server-side sockets, newest last. */
  readonly sockets: net.Socket[];
  /** Bytes the server received over all connections. */
  received(): number;
}

/** A TCP server that echoes everything back; closed after the test. */
async function startEcho(): Promise<Echo> {
  const sockets: net.Socket[] = [];
  let received = 0;
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as net.AddressInfo).port, sockets, received: () => received };
}

async function startProxy(name: string, targetPort: number): Promise<FaultProxy> {
  const proxy = await FaultProxy.start({ name, target: { host: '127.0.0.1', port: targetPort } });
  cleanups.push(() => proxy.close());
  return proxy;
}

interface Client {
  readonly socket: net.Socket;
  /** Everything received so far. */
  data(): Buffer;
  closed(): boolean;
}

/**
 * A client socket that records what it receives and whether it closed; destroyed after the test.
 */
function connect(port: number): Client {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  const chunks: Buffer[] = [];
  let closed = false;
  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('close', () => {
    closed = true;
  });
  cleanups.push(() => {
    socket.destroy();
  });
  return {
    socket,
    data: () => {
      if (chunks.length > 1) chunks.splice(0, chunks.length, Buffer.concat(chunks));
      return chunks[0] ?? Buffer.alloc(0);
    },
    closed: () => closed,
  };
}

async function expectEcho(client: Client, text: string): Promise<void> {
  const before = client.data().length;
  client.socket.write(text);
  await waitUntil(`echo of '${text}'`, () => client.data().length >= before + text.length);
  expect(client.data().subarray(before).toString()).toBe(text);
}

/** Deterministic pseudo-random bytes, so a corrupted or reordered stream cannot pass. */
function payload(size: number): Buffer {
  const bytes = Buffer.alloc(size);
  let x = 0x2545f491;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
}

describe('FaultProxy pass-through', () => {
  it('echoes a 5 MB payload intact through a client that reads late', async () => {
    const echo = await startEcho();
    const proxy = await startProxy('p', echo.port);
    const client = connect(proxy.port);
    const data = payload(5 * 1024 * 1024);
    client.socket.pause();
    client.socket.write(data);
    await waitUntil(
      'the echo server to receive everything, or stall on backpressure',
      () => echo.received() > 0,
    );
    await sleep(200);
    client.socket.resume();
    await waitUntil('the whole payload back', () => client.data().length >= data.length, 60_000);
    expect(client.data().equals(data)).toBe(true);
    expect(proxy.stats()).toMatchObject({
      bytesUp: data.length,
      bytesDown: data.length,
      droppedBytes: 0,
      connections: 1,
      accepted: 1,
    });
  });

  it('passes half-closes both ways and forgets closed connections', async () => {
    const echo = await startEcho();
    const proxy = await startProxy('p', echo.port);
    const client = connect(proxy.port);
    await expectEcho(client, 'bye');
    client.socket.end();
    await waitUntil('the client socket to close', client.closed);
    await waitUntil('the proxy to forget the pair', () => proxy.stats().connections === 0);
  });

  it('closes the client when the target closes the connection', async () => {
    const echo = await startEcho();
    const proxy = await startProxy('p', echo.port);
    const client = connect(proxy.port);
    await expectEcho(client, 'hi');
    echo.sockets[0]?.destroy();
    await waitUntil('the client socket to close', client.closed);
    await waitUntil('the proxy to forget the pair', () => proxy.stats().connections === 0);
  });

  it('closes the client when the target is down, without an uncaught error', async () => {
    const [closed] = (await freePorts(1)) as [number];
    const proxy = await startProxy('p', closed);
    const client = connect(proxy.port);
    await waitUntil('the client socket to close', client.closed);
    await waitUntil('the proxy to forget the pair', () => proxy.stats().connections === 0);
    expect(proxy.stats().accepted).toBe(1);
  });
});

describe('FaultProxy cut', () => {
  it('destroys open connections, refuses new ones until heal', async () => {
    const echo = await startEcho();
    const proxy = await startProxy('p', echo.port);
    const a = connect(proxy.port);
    const b = connect(proxy.port);
    await expectEcho(a, 'a');
    await expectEcho(b, 'b');
    proxy.cut();
    await waitUntil('both clients to close', () => a.closed() && b.closed());
    expect(proxy.stats()).toMatchObject({ mode: 'cut', connections: 0 });
    const refused = connect(proxy.port);
    await waitUntil('the refused client to close', refused.closed);
    expect(proxy.stats().connections).toBe(0);
    proxy.heal();
    const c = connect(proxy.port);
    await expectEcho(c, 'after heal');
    expect(proxy.stats()).toMatchObject({ mode: 'pass', connections: 1, accepted: 4 });
  });
});

describe('FaultProxy blackhole', () => {
  it('drops bytes both ways but keeps the socket open; heal lets new bytes through', async () => {
    const echo = await startEcho();
    const proxy = await startProxy('p', echo.port);
    const client = connect(proxy.port);
    await expectEcho(client, 'before');
    proxy.blackhole();
    client.socket.write('lost');
    await sleep(300);
    expect(client.data().toString()).toBe('before');
    expect(client.closed()).toBe(false);
    expect(echo.received()).toBe('before'.length);
    expect(proxy.stats()).toMatchObject({
      mode: 'blackhole',
      direction: 'both',
      connections: 1,
      droppedBytes: 4,
    });
    proxy.heal();
    await expectEcho(client, 'after');
  });

  it('accepts and connects new connections while blackholed', async () => {
    const echo = await startEcho();
    const proxy = await startProxy('p', echo.port);
    proxy.blackhole();
    const client = connect(proxy.port);
    await waitUntil('the target to see the connection', () => echo.sockets.length === 1);
    client.socket.write('x');
    await sleep(300);
    expect(client.data().length).toBe(0);
    expect(client.closed()).toBe(false);
    proxy.heal();
    await expectEcho(client, 'y');
  });

  it("'up' drops only client → target bytes", async () => {
    const echo = await startEcho();
    const proxy = await startProxy('p', echo.port);
    const client = connect(proxy.port);
    await expectEcho(client, 'ok');
    proxy.blackhole('up');
    client.socket.write('lost');
    echo.sockets[0]?.write('pushed');
    await waitUntil('the server push', () => client.data().toString() === 'okpushed');
    await sleep(300);
    expect(echo.received()).toBe(2);
    expect(client.data().toString()).toBe('okpushed');
    expect(proxy.stats()).toMatchObject({ direction: 'up', droppedBytes: 4 });
  });

  it("'down' drops only target → client bytes", async () => {
    const echo = await startEcho();
    const proxy = await startProxy('p', echo.port);
    const client = connect(proxy.port);
    await expectEcho(client, 'ok');
    proxy.blackhole('down');
    client.socket.write('heard');
    await waitUntil('the target to receive', () => echo.received() === 'okheard'.length);
    await sleep(300);
    expect(client.data().toString()).toBe('ok');
    expect(proxy.stats()).toMatchObject({ direction: 'down', droppedBytes: 5 });
  });
});

describe('FaultProxy delay', () => {
  it('adds at least the delay each way to a round trip', async () => {
    const echo = await startEcho();
    const proxy = await startProxy('p', echo.port);
    const client = connect(proxy.port);
    await expectEcho(client, 'warm');
    proxy.delay(100);
    const start = performance.now();
    await expectEcho(client, 'slow');
    expect(performance.now() - start).toBeGreaterThanOrEqual(200);
    expect(proxy.stats().delayMs).toBe(100);
    proxy.delay(0);
    expect(proxy.stats().delayMs).toBe(0);
    await expectEcho(client, 'again');
  });

  it('never reorders bytes under jitter', async () => {
    const echo = await startEcho();
    const proxy = await startProxy('p', echo.port);
    const client = connect(proxy.port);
    proxy.delay(2, 40);
    let expected = '';
    for (let i = 0; i < 200; i++) {
      const line = `${i}\n`;
      expected += line;
      client.socket.write(line);
      if (i % 10 === 0) await sleep(1);
    }
    await waitUntil('every line back', () => client.data().length >= expected.length);
    expect(client.data().toString()).toBe(expected);
  });

  it('keeps a large delayed payload intact', async () => {
    const echo = await startEcho();
    const proxy = await startProxy('p', echo.port);
    const client = connect(proxy.port);
    proxy.delay(5, 5);
    const data = payload(3 * 1024 * 1024);
    client.socket.write(data);
    await waitUntil('the whole payload back', () => client.data().length >= data.length, 60_000);
    expect(client.data().equals(data)).toBe(true);
  });

  it('rejects bad arguments with a RangeError naming the value', async () => {
    const proxy = await startProxy('p', 1);
    expect(() => proxy.delay(-1)).toThrow(RangeError);
    expect(() => proxy.delay(-1)).toThrow(/-1/);
    expect(() => proxy.delay(Number.NaN)).toThrow(/NaN/);
    expect(() => proxy.delay(10, -5)).toThrow(/jitter.*-5/);
    expect(() => proxy.blackhole('sideways' as never)).toThrow(/sideways/);
    await expect(
      FaultProxy.start({ name: 'q', target: { host: '127.0.0.1', port: 70_000 } }),
    ).rejects.toThrow(/70000/);
    await expect(
      FaultProxy.start({ name: '', target: { host: '127.0.0.1', port: 1 } }),
    ).rejects.toThrow(RangeError);
  });
});

describe('FaultProxy close', () => {
  it('is idempotent, closes connections, leaves no timers and releases the port', async () => {
    const echo = await startEcho();
    const proxy = await FaultProxy.start({
      name: 'p',
      target: { host: '127.0.0.1', port: echo.port },
    });
    const client = connect(proxy.port);
    await expectEcho(client, 'hi');
    proxy.delay(60_000);
    client.socket.write('stuck in the queue');
    await sleep(100);
    expect(echo.received()).toBe(2);
    const timersQueued = activeTimers();
    const first = proxy.close();
    expect(proxy.close()).toBe(first);
    await first;
    await proxy.close();
    await waitUntil('the client socket to close', client.closed);
    expect(activeTimers()).toBeLessThan(timersQueued);
    const again = net.createServer();
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.listen(proxy.port, '127.0.0.1', resolve);
    });
    await new Promise<void>((resolve) => again.close(() => resolve()));
  });
});

describe('FaultControlServer', () => {
  async function setup(): Promise<{ control: FaultControlServer; links: Map<string, FaultProxy> }> {
    const echo = await startEcho();
    const links = new Map<string, FaultProxy>();
    for (const name of ['route-1-a', 'route-1-b', 'client-x'])
      links.set(name, await startProxy(name, echo.port));
    const control = await FaultControlServer.start(() => links);
    cleanups.push(() => control.close());
    return { control, links };
  }

  function raw(
    port: number,
    method: string,
    path: string,
  ): Promise<{ status: number; body: unknown }> {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString()) as unknown,
          }),
        );
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('lists every link on GET /links', async () => {
    const { control } = await setup();
    const { status, body } = await raw(control.port, 'GET', '/links');
    expect(status).toBe(200);
    expect((body as { name: string }[]).map((link) => link.name)).toEqual([
      'route-1-a',
      'route-1-b',
      'client-x',
    ]);
    expect(
      (await faultCommand(control.port, 'client-x', 'stats')).map((link) => link.mode),
    ).toEqual(['pass']);
  });

  it('cuts and heals by prefix and by name', async () => {
    const { control, links } = await setup();
    const cut = await faultCommand(control.port, 'route-1-*', 'cut');
    expect(cut.map((link) => [link.name, link.mode])).toEqual([
      ['route-1-a', 'cut'],
      ['route-1-b', 'cut'],
    ]);
    expect(links.get('client-x')?.stats().mode).toBe('pass');
    const healed = await faultCommand(control.port, 'route-1-a', 'heal');
    expect(healed.map((link) => [link.name, link.mode])).toEqual([['route-1-a', 'pass']]);
    expect(links.get('route-1-b')?.stats().mode).toBe('cut');
    await faultCommand(control.port, '*', 'blackhole', { direction: 'down' });
    expect([...links.values()].map((link) => link.stats().direction)).toEqual([
      'down',
      'down',
      'down',
    ]);
    const delayed = await faultCommand(control.port, 'client-x', 'delay', { ms: 25, jitterMs: 5 });
    expect(delayed[0]?.delayMs).toBe(25);
  });

  it('answers 404 naming the known links for an unknown link', async () => {
    const { control } = await setup();
    await expect(faultCommand(control.port, 'nope', 'cut')).rejects.toThrow(
      "no link named 'nope' (links: route-1-a, route-1-b, client-x)",
    );
    await expect(faultCommand(control.port, 'zone-*', 'heal')).rejects.toThrow(
      /no link matching 'zone-\*'/,
    );
    expect((await raw(control.port, 'POST', '/links/nope/cut')).status).toBe(404);
  });

  it('answers 400 naming the bad value, and changes nothing', async () => {
    const { control, links } = await setup();
    await expect(faultCommand(control.port, 'client-x', 'delay', { ms: -1 })).rejects.toThrow(
      /'-1'/,
    );
    const abc = await raw(control.port, 'POST', '/links/client-x/delay?ms=abc');
    expect(abc).toEqual({
      status: 400,
      body: { error: expect.stringContaining("'abc'") as unknown },
    });
    expect((await raw(control.port, 'POST', '/links/client-x/delay')).status).toBe(400);
    expect(
      (await raw(control.port, 'POST', '/links/client-x/blackhole?direction=left')).body,
    ).toEqual({ error: expect.stringContaining("'left'") as unknown });
    expect((await raw(control.port, 'POST', '/links/client-x/explode')).body).toEqual({
      error: expect.stringContaining("'explode'") as unknown,
    });
    expect((await raw(control.port, 'POST', '/links/client-x/cut?force=1')).status).toBe(400);
    expect(links.get('client-x')?.stats()).toMatchObject({ mode: 'pass', delayMs: 0 });
  });
});
