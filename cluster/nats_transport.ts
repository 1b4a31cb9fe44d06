// Protocol frames over core NATS. A send is one publish on gj.v1.<to>.<from>; the client buffers
// and flushes publishes in batches on its own, so nothing here waits per message. Core NATS is
// at-most-once and drops what is published while disconnected (TECH.md §2.3): the protocol's
// retries until a definitive answer cover that, as they cover loss on the simulated network.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Transport } from './host.ts';
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
export function connectNats(login: NatsLogin): Promise<NatsConnection> {
  return connect({
    servers: [...login.servers],
    user: login.user,
    pass: login.password,
    name: login.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    reconnectJitter: 100,
    waitOnFirstConnect: true,
    ignoreClusterUpdates: true,
    noAsyncTraces: true,
    pingInterval: 5_000,
    maxPingOut: 2,
  });
}

export class NatsTransport implements Transport {
  sent = 0;
  constructor(private readonly nc: NatsConnection) {}

  send(from: string, to: string, frame: Uint8Array): void {
    if (this.nc.isClosed()) return; // draining at shutdown: the protocol's retries own delivery
    this.sent++;
    this.nc.publish(frameSubject(to, from), frame);
  }
}
