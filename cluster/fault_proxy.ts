// A TCP fault proxy: sits between NATS clients and servers (or on a cluster route) and turns
// real network faults on and off. In pass mode it forwards bytes with backpressure; `cut` resets
// every connection and refuses new ones; `blackhole` keeps connections up but drops the bytes of
// one or both directions; `delay` holds every chunk back for a while without reordering it.
// Connection teardown (FIN, close, reset) always crosses the proxy, even through a blackhole.
import net from 'node:net';
import { performance } from 'node:perf_hooks';

type ProxyMode = 'pass' | 'cut' | 'blackhole';
/** `up` is client → target, `down` is target → client. */
export type Direction = 'both' | 'up' | 'down';

export interface ProxyStats {
  readonly name: string;
  readonly port: number;
  readonly target: string;
  readonly mode: ProxyMode;
  /** The blackholed direction; `both` when the mode is not `blackhole`. */
  readonly direction: Direction;
  readonly delayMs: number;
  /** Connection pairs open now. */
  readonly connections: number;
  /** Every connection the listener accepted, including those refused while cut. */
  readonly accepted: number;
  /** Bytes delivered to the target and to clients. */
  readonly bytesUp: number;
  readonly bytesDown: number;
  /** Bytes swallowed by a blackhole. */
  readonly droppedBytes: number;
}

export interface FaultProxyOptions {
  name: string;
  target: { host: string; port: number };
  /** 0 or absent: a free port chosen by the system. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
}

const DIRECTIONS: readonly Direction[] = ['both', 'up', 'down'];
/** setTimeout's largest delay; longer ones would fire at once. */
const MAX_DELAY_MS = 2_147_483_647;
/** A delayed direction stops reading its source above this many queued bytes... */
const QUEUE_HIGH_WATER = 1 << 20;
/** ...and reads again once the queue is back under this. */
const QUEUE_LOW_WATER = 1 << 18;

type Leg = 'up' | 'down';

interface Queued {
  readonly chunk: Buffer;
  readonly due: number;
}

/** The faults in force on a proxy, and what they did; shared by all its connections. */
class Faults {
  mode: ProxyMode = 'pass';
  direction: Direction = 'both';
  delayMs = 0;
  jitterMs = 0;
  bytesUp = 0;
  bytesDown = 0;
  droppedBytes = 0;

  /** Whether bytes on `leg` vanish now. */
  drops(leg: Leg): boolean {
    return this.mode === 'blackhole' && (this.direction === 'both' || this.direction === leg);
  }

  /** The hold-back for a chunk arriving now. */
  delayFor(): number {
    if (this.delayMs === 0) return 0;
    return this.delayMs + Math.random() * this.jitterMs;
  }

  delivered(leg: Leg, bytes: number): void {
    if (leg === 'up') this.bytesUp += bytes;
    else this.bytesDown += bytes;
  }

  dropped(bytes: number): void {
    this.droppedBytes += bytes;
  }
}

/** One direction of a connection pair: reads `src`, writes `dst`, applying the proxy's faults. */
class Channel {
  private readonly queue: Queued[] = [];
  private queuedBytes = 0;
  private lastDue = 0;
  private timer: NodeJS.Timeout | undefined;
  private awaitingDrain = false;
  private paused = false;
  private srcState: 'open' | 'ended' | 'closed' = 'open';
  private disposed = false;

  constructor(
    private readonly faults: Faults,
    private readonly leg: Leg,
    private readonly src: net.Socket,
    private readonly dst: net.Socket,
  ) {
    src.on('data', (chunk: Buffer) => this.onData(chunk));
    src.on('end', () => this.onSourceDone('ended'));
  }

  onData(chunk: Buffer): void {
    if (this.disposed) return;
    if (this.faults.drops(this.leg)) {
      this.faults.dropped(chunk.length);
      return;
    }
    const delayMs = this.faults.delayFor();
    if (delayMs === 0 && this.queue.length === 0 && !this.awaitingDrain) {
      this.write(chunk);
      return;
    }
    this.enqueue(chunk, performance.now() + delayMs);
  }

  /** The source ended its side (`ended`) or closed cleanly (`closed`). */
  onSourceDone(state: 'ended' | 'closed'): void {
    if (this.srcState === 'closed') return;
    this.srcState = state;
    this.finishIfDrained();
  }

  dispose(): void {
    this.disposed = true;
    this.queue.length = 0;
    this.queuedBytes = 0;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private enqueue(chunk: Buffer, due: number): void {
    this.lastDue = Math.max(due, this.lastDue);
    this.queue.push({ chunk, due: this.lastDue });
    this.queuedBytes += chunk.length;
    if (this.queuedBytes > QUEUE_HIGH_WATER) this.pauseSource();
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== undefined || this.awaitingDrain || this.disposed) return;
    const head = this.queue[0];
    if (head === undefined) return;
    const wait = Math.max(0, Math.ceil(head.due - performance.now()));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, wait);
  }

  private flush(): void {
    const now = performance.now();
    let head = this.queue[0];
    while (head !== undefined && head.due <= now && !this.awaitingDrain && !this.disposed) {
      this.queue.shift();
      this.queuedBytes -= head.chunk.length;
      if (this.faults.drops(this.leg)) this.faults.dropped(head.chunk.length);
      else this.write(head.chunk);
      head = this.queue[0];
    }
    this.schedule();
    this.resumeIfClear();
    this.finishIfDrained();
  }

  private write(chunk: Buffer): void {
    if (this.dst.destroyed || this.dst.writableEnded) return;
    this.faults.delivered(this.leg, chunk.length);
    if (this.dst.write(chunk)) return;
    this.awaitingDrain = true;
    this.pauseSource();
    this.dst.once('drain', () => {
      this.awaitingDrain = false;
      this.flush();
    });
  }

  private pauseSource(): void {
    if (this.paused) return;
    this.paused = true;
    this.src.pause();
  }

  private resumeIfClear(): void {
    if (!this.paused || this.awaitingDrain || this.queuedBytes > QUEUE_LOW_WATER) return;
    this.paused = false;
    this.src.resume();
  }

  /** Pass the source's end on once everything before it has been delivered. */
  private finishIfDrained(): void {
    if (this.disposed || this.srcState === 'open' || this.queue.length > 0 || this.awaitingDrain)
      return;
    if (this.srcState === 'ended') {
      if (!this.dst.writableEnded) this.dst.end();
      return;
    }
    this.dispose();
    endThenDestroy(this.dst);
  }
}

/** Finish writing what is buffered, then close; whatever the peer still sends has nowhere to go. */
function endThenDestroy(socket: net.Socket): void {
  if (socket.destroyed) return;
  if (!socket.writableEnded) socket.end();
  if (socket.writableFinished) socket.destroy();
  else socket.once('finish', () => socket.destroy());
}

/** A client connection and its connection to the target. */
class Pair {
  private readonly up: Channel;
  private readonly down: Channel;
  private dead = false;

  constructor(
    faults: Faults,
    private readonly client: net.Socket,
    private readonly upstream: net.Socket,
    private readonly onGone: (pair: Pair) => void,
  ) {
    this.up = new Channel(faults, 'up', client, upstream);
    this.down = new Channel(faults, 'down', upstream, client);
    client.on('close', (hadError) => this.onClose(client, hadError));
    upstream.on('close', (hadError) => this.onClose(upstream, hadError));
  }

  kill(): void {
    if (this.dead) return;
    this.dead = true;
    this.up.dispose();
    this.down.dispose();
    this.client.destroy();
    this.upstream.destroy();
    this.onGone(this);
  }

  private onClose(side: net.Socket, hadError: boolean): void {
    if (this.dead) return;
    const fromSide = side === this.client ? this.up : this.down;
    const toSide = side === this.client ? this.down : this.up;
    if (hadError) {
      this.kill();
      return;
    }
    toSide.dispose();
    fromSide.onSourceDone('closed');
    if (this.client.destroyed && this.upstream.destroyed) this.kill();
  }
}

export class FaultProxy {
  readonly name: string;
  readonly port: number;
  private readonly target: { host: string; port: number };
  private readonly server: net.Server;
  private readonly pairs = new Set<Pair>();
  private readonly faults = new Faults();
  private accepted = 0;
  private closing: Promise<void> | undefined;

  private constructor(
    name: string,
    target: { host: string; port: number },
    server: net.Server,
    port: number,
  ) {
    this.name = name;
    this.target = { host: target.host, port: target.port };
    this.server = server;
    this.port = port;
    server.on('connection', (socket) => this.onConnection(socket));
  }

  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    validateOptions(options);
    const server = net.createServer({ allowHalfOpen: true });
    const port = await listen(server, options.port ?? 0, options.host ?? '127.0.0.1');
    server.on('error', () => undefined);
    return new FaultProxy(options.name, options.target, server, port);
  }

  /** Reset every open connection and refuse new ones until `heal`. */
  cut(): void {
    this.faults.mode = 'cut';
    this.faults.direction = 'both';
    for (const pair of [...this.pairs]) pair.kill();
  }

  /** Drop the bytes of `direction` on existing and new connections, keeping the sockets open. */
  blackhole(direction: Direction = 'both'): void {
    if (!DIRECTIONS.includes(direction)) {
      throw new RangeError(
        `blackhole direction must be one of ${DIRECTIONS.join(', ')}, got '${String(direction)}'`,
      );
    }
    this.faults.mode = 'blackhole';
    this.faults.direction = direction;
  }

  /**
   * Hold every chunk back `ms` plus up to `jitterMs` more, never reordering; `delay(0)` removes it.
   */
  delay(ms: number, jitterMs = 0): void {
    checkDelay('delay ms', ms);
    checkDelay('delay jitter', jitterMs);
    if (ms + jitterMs > MAX_DELAY_MS) {
      throw new RangeError(
        `delay ms + jitter must be at most ${MAX_DELAY_MS}, got ${ms + jitterMs}`,
      );
    }
    this.faults.delayMs = ms;
    this.faults.jitterMs = ms === 0 ? 0 : jitterMs;
  }

  heal(): void {
    this.faults.mode = 'pass';
    this.faults.direction = 'both';
    this.faults.delayMs = 0;
    this.faults.jitterMs = 0;
  }

  stats(): ProxyStats {
    return {
      name: this.name,
      port: this.port,
      target: `${this.target.host}:${this.target.port}`,
      mode: this.faults.mode,
      direction: this.faults.direction,
      delayMs: this.faults.delayMs,
      connections: this.pairs.size,
      accepted: this.accepted,
      bytesUp: this.faults.bytesUp,
      bytesDown: this.faults.bytesDown,
      droppedBytes: this.faults.droppedBytes,
    };
  }

  /** Stop listening and destroy every socket; resolves once the listener is closed. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const pair of [...this.pairs]) pair.kill();
    });
    return this.closing;
  }

  private onConnection(client: net.Socket): void {
    this.accepted++;
    client.on('error', () => undefined);
    if (this.faults.mode === 'cut' || this.closing !== undefined) {
      client.destroy();
      return;
    }
    const upstream = net.connect({
      host: this.target.host,
      port: this.target.port,
      allowHalfOpen: true,
    });
    upstream.on('error', () => undefined);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    this.pairs.add(new Pair(this.faults, client, upstream, (pair) => this.pairs.delete(pair)));
  }
}

function listen(server: net.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      if (address === null || typeof address === 'string')
        reject(new Error(`unexpected listen address ${String(address)}`));
      else resolve(address.port);
    });
  });
}

function validateOptions(options: FaultProxyOptions): void {
  if (typeof options.name !== 'string' || options.name === '') {
    throw new RangeError(`proxy name must be a non-empty string, got '${String(options.name)}'`);
  }
  if (typeof options.target.host !== 'string' || options.target.host === '') {
    throw new RangeError(
      `proxy '${options.name}': target host must be a non-empty string, ` +
        `got '${String(options.target.host)}'`,
    );
  }
  checkPort(`proxy '${options.name}': target port`, options.target.port, 1);
  if (options.port !== undefined) checkPort(`proxy '${options.name}': port`, options.port, 0);
}

function checkPort(what: string, port: number, min: number): void {
  if (!Number.isInteger(port) || port < min || port > 65_535) {
    throw new RangeError(`${what} must be an integer in ${min}..65535, got ${String(port)}`);
  }
}

function checkDelay(what: string, ms: number): void {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new RangeError(`${what} must be a finite number >= 0, got ${String(ms)}`);
  }
}
