// Protocol frames over core NATS. A send is one publish on gj.v1.<to>.<from>; the client buffers
// and flushes publishes in batches on its own, so nothing here waits per message. Core NATS is
// at-most-once and drops what is published while disconnected (TECH.md §2.3): the protocol's
// retries until a definitive answer cover that, as they cover loss on the simulated network.
import { connect, type NatsConnection } from '@nats-io/transport-node';

import type { Transport } from '../host/actor_host.ts';
import { frameSubject } from './subjects.ts';

export interface NatsLogin {
  readonly servers: readonly string[];
  readonly user?: string | undefined;
  readonly password?: string | undefined;
  /** Shown in the server's connection list (monitoring /connz). */
  readonly name: string;
}

/**
 * Connect with the settings every gongji process uses: reconnect forever and quickly, stay on the
 * servers it was given (cluster updates would let it route around a fault proxy), and no async
 * stack traces (faster requests and JetStream publishes, TECH.md §2.3).
 */
export interface ConnectOptions {
  /**
   * Keep trying the first connection this long (a long-running host or load generator, whose
   * server may be restarting or briefly unreachable); 0: fail at once (the default).
   */
  readonly retryForMs?: number;
  /** Told of each failed attempt that will be retried. */
  readonly onRetry?: (error: Error) => void;
}

const FIRST_CONNECT_RETRY_MS = 500;

/**
 * Connect, reconnecting forever once connected. The first connection must succeed, within
 * `retryForMs`: a process started against no server says so and exits.
 */
export async function connectNats(
  login: NatsLogin,
  options: ConnectOptions = {},
): Promise<NatsConnection> {
  const deadline = Date.now() + (options.retryForMs ?? 0);
  for (;;) {
    try {
      return await connectOnce(login);
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      options.onRetry?.(error as Error);
      await new Promise((resolve) => setTimeout(resolve, FIRST_CONNECT_RETRY_MS));
    }
  }
}

async function connectOnce(login: NatsLogin): Promise<NatsConnection> {
  try {
    return await connect({
      servers: [...login.servers],
      user: login.user,
      pass: login.password,
      name: login.name,
      inboxPrefix: inboxPrefixOf(login.user),
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      reconnectJitter: 100,
      waitOnFirstConnect: false,
      ignoreClusterUpdates: true,
      noAsyncTraces: true,
      pingInterval: 5_000,
      maxPingOut: 2,
    });
  } catch (error) {
    const as = login.user ? ` as ${login.user}` : '';
    throw new Error(
      `cannot connect to NATS at ${login.servers.join(', ')}${as}: ${(error as Error).message}`,
    );
  }
}

/**
 * Each user's replies arrive under an inbox prefix of its own, which only it may subscribe to:
 * with a shared `_INBOX.>` any user could read others' replies, or forge a JetStream ack to
 * another host's append and break its write-ahead.
 */
export function inboxPrefixOf(user: string | undefined): string {
  return user === undefined ? '_INBOX' : `_INBOX_${user}`;
}

/**
 * Close a connection after letting it drain for at most `ms` (a cut link never answers a drain).
 */
export async function drainWithin(nc: NatsConnection, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([nc.drain().catch(() => {}), late]);
  clearTimeout(timer);
  if (!nc.isClosed()) await nc.close().catch(() => {});
}

/** Where a frame for an actor of this same process goes instead of the broker. */
export type LocalReceiver = (frame: Uint8Array, sender: string) => void;

/**
 * Frames to actors of other processes are published; frames to actors of this process (a host
 * serving several wallet shards) are delivered in-process, in order, on a later turn of the event
 * loop, as the broker would: no publish, no parse, no server hop. They are trusted as the broker's
 * are (the sender is this process's own actor), and they are not exposed to network faults, which
 * is true of two actors in one process.
 */
export class NatsTransport implements Transport {
  sent = 0;
  deliveredLocally = 0;
  dropped = 0;
  private readonly local = new Map<string, LocalReceiver>();
  private queue: Array<[LocalReceiver, Uint8Array, string]> = [];
  private scheduled = false;

  constructor(private readonly nc: NatsConnection) {}

  /** Deliver frames for `address` in-process from now on. */
  serveLocally(address: string, receive: LocalReceiver): void {
    this.local.set(address, receive);
  }

  /** Stop in-process delivery (the process is draining). */
  stopLocal(): void {
    this.local.clear();
    this.queue = [];
  }

  send(from: string, to: string, frame: Uint8Array): void {
    const receive = this.local.get(to);
    if (receive !== undefined) {
      this.deliveredLocally++;
      this.queue.push([receive, frame, from]);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.drainLocal());
      }
      return;
    }
    // shutting down: the protocol's retries own delivery
    if (this.nc.isClosed() || this.nc.isDraining()) return;
    this.sent++;
    try {
      this.nc.publish(frameSubject(to, from), frame);
    } catch {
      this.dropped++; // the connection started closing under us; same as a lost message
    }
  }

  private drainLocal(): void {
    this.scheduled = false;
    const queue = this.queue;
    this.queue = [];
    for (const [receive, frame, from] of queue) receive(frame, from);
  }
}
