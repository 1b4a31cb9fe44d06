// An actor host process on NATS: it owns a set of actors (provinces, wallet shards, settlement),
// restores each from its JetStream journal (seeding an empty one with the scenario's opening
// records), resumes their pending sagas, serves their subjects, journals every group commit
// before anything it caused leaves, answers reconciliation queries, and drains on stop.
// The actors are the simulator's, unchanged; only the host's environment and transport differ.
import {
  jetstream,
  type JetStreamClient,
  type JetStreamManager,
  jetstreamManager,
} from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import * as hdr from 'hdr-histogram-js';
import type { Logger } from 'pino';

import type { DomainEvent } from '../actors/effects.ts';
import { ActorHost, type HostObserver } from '../host/actor_host.ts';
import { pack } from '../host/record_codec.ts';
import { MemoryStore } from '../host/store.ts';
import { type ActorSpec, buildWorld } from '../world/build.ts';
import { type Scenario, ScenarioError } from '../world/scenario.ts';
import { FencedError, Journal, JournalClosedError } from './journal.ts';
import { liveClock, LiveEnvironment } from './live_runtime.ts';
import { connectNats, drainWithin, type NatsLogin, NatsTransport } from './nats_transport.ts';
import { type ActorReport, openHolds, openWork } from './reconcile.ts';
import { RefusalLog } from './refusal_log.ts';
import { adminSubject, assertAddress, frameSender, inboxSubject } from './subjects.ts';

/** How long a starting process keeps trying its first connection. */
const FIRST_CONNECT_WAIT_MS = 30_000;

export interface HostProcessOptions {
  /** This process's name (logs, journal owner ids, the server's connection list). */
  readonly name: string;
  readonly addresses: readonly string[];
  readonly login: NatsLogin;
  /** The world the actors belong to: it gives each empty journal its opening records. */
  readonly scenario: Scenario;
  readonly log: Logger;
  /** The cluster's clock origin (wall ms); see liveClock. Defaults to this process's start. */
  readonly clockOrigin?: number | undefined;
  readonly snapshotBytes?: number | undefined;
  /**
   * Told when a transfer this process runs reaches its
   * outcome (the NATS bench times requests with it).
   */
  readonly onOutcome?: ((transferId: string) => void) | undefined;
  /**
   * Publish `[transferId, wall ms]` pairs of outcomes here, batched every 20 ms (the NATS bench
   * times requests across processes with it). Off by default.
   */
  readonly outcomeSubject?: string | undefined;
}

export class HostProcess implements HostObserver {
  readonly hosts = new Map<string, ActorHost>();
  readonly journals = new Map<string, Journal>();
  private readonly subscriptions: Subscription[] = [];
  private readonly runtime: LiveEnvironment;
  readonly transport: NatsTransport;
  private readonly acceptedAt = new Map<string, number>();
  private readonly latency = hdr.build({
    lowestDiscernibleValue: 1,
    numberOfSignificantValueDigits: 3,
  });
  private stopping: Promise<void> | undefined;
  private outcomes: Array<[string, number]> = [];
  private outcomeTicker: NodeJS.Timeout | undefined;

  private readonly refusedFrames: RefusalLog;

  private constructor(
    readonly options: HostProcessOptions,
    readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
  ) {
    this.refusedFrames = new RefusalLog(options.log);
    this.transport = new NatsTransport(nc);
    this.runtime = new LiveEnvironment(
      liveClock(options.clockOrigin ?? Date.now()),
      this.journals,
      (host, error) => this.syncFailed(host, error),
    );
  }

  static async start(options: HostProcessOptions): Promise<HostProcess> {
    for (const address of options.addresses) assertAddress(address);
    const specs = actorSpecs(options.scenario, options.addresses);
    // A host started while its server restarts (or its link flaps) waits for it, as a supervisor
    // restarting it would; past the bound it exits, saying why.
    const nc = await connectNats(options.login, {
      retryForMs: FIRST_CONNECT_WAIT_MS,
      onRetry: (error) => options.log.warn({ err: error }, 'first connection failed; retrying'),
    });
    const hostProcess = new HostProcess(
      options,
      nc,
      jetstream(nc, { timeout: 5_000 }),
      // No API check: it is one more request that times out while the meta leader is elected
      // (a partition, a node restarting) and would end the process; Journal.open waits instead.
      await jetstreamManager(nc, { checkAPI: false }),
    );
    try {
      await hostProcess.open(specs);
    } catch (error) {
      await nc.close();
      throw error;
    }
    return hostProcess;
  }

  private async open(specs: ReadonlyMap<string, ActorSpec>): Promise<void> {
    const { name, log } = this.options;
    const transport = this.transport;
    const owner = `${name}-${Date.now().toString(36)}-${process.pid}`;
    for (const [address, spec] of specs) {
      const { journal, records } = await Journal.open(
        this.js,
        this.jsm,
        address,
        owner,
        () => spec.opening,
        {
          snapshotBytes: this.options.snapshotBytes,
          onEvent: (message) => log.info({ address }, message),
        },
      );
      this.journals.set(address, journal);
      const host = new ActorHost(
        address,
        spec.make,
        new MemoryStore(records),
        transport,
        this.runtime,
        this,
      );
      this.hosts.set(address, host);
      log.info({ address, records: records.size, journalSeq: journal.sequence }, 'actor restored');
    }
    for (const [address, host] of this.hosts) {
      transport.serveLocally(address, (frame, sender) => host.receive(frame, sender));
      this.subscriptions.push(
        this.nc.subscribe(inboxSubject(address), {
          callback: (error, msg) => {
            if (error === null) host.receive(msg.data, frameSender(msg.subject));
          },
        }),
      );
      this.subscriptions.push(
        this.nc.subscribe(adminSubject(address), {
          callback: (error, msg) => {
            if (error === null) msg.respond(pack(this.report(host)));
          },
        }),
      );
    }
    // Building the world left garbage the size of the scenario; when the process may collect it
    // now (node --expose-gc), do, rather than in a pause under load.
    (globalThis as { gc?: () => void }).gc?.();
    const subject = this.options.outcomeSubject;
    if (subject !== undefined)
      this.outcomeTicker = setInterval(() => this.flushOutcomes(subject), 20);
    await this.nc.flush();
    // resume pending sagas, now that replies can arrive
    for (const host of this.hosts.values()) host.start();
    log.info({ actors: [...this.hosts.keys()] }, 'host serving');
  }

  report(host: ActorHost): ActorReport {
    const journal = this.journals.get(host.address);
    return {
      address: host.address,
      up: host.up,
      settled: host.settled,
      openWork: openWork(host.store.durable),
      now: this.runtime.now(),
      ...(host.address.startsWith('province.')
        ? { holds: openHolds(host.store.durable, this.runtime.now()) }
        : {}),
      journalSeq: journal?.sequence ?? 0,
      records: host.store.durable.size,
      received: host.received,
      rejected: Object.fromEntries(host.rejectedByCode),
      latency:
        this.latency.totalCount > 0 ? hdr.encodeIntoCompressedBase64(this.latency) : undefined,
    };
  }

  // HostObserver
  durable(_address: string, events: readonly DomainEvent[]): void {
    for (const event of events) {
      if (event.type === 'transfer.accepted') this.acceptedAt.set(event.corr, Date.now());
      else if (event.type === 'transfer.outcome') {
        this.options.onOutcome?.(event.corr);
        if (this.options.outcomeSubject !== undefined)
          this.outcomes.push([event.corr, performance.timeOrigin + performance.now()]);
        const at = this.acceptedAt.get(event.corr);
        if (at === undefined) continue;
        this.acceptedAt.delete(event.corr);
        this.latency.recordValue(Math.max(1, Date.now() - at));
      }
    }
  }

  private flushOutcomes(subject: string): void {
    if (this.outcomes.length === 0 || this.nc.isClosed()) return;
    this.nc.publish(subject, pack(this.outcomes));
    this.outcomes = [];
  }

  rejected(address: string, code: string, detail: string): void {
    this.refusedFrames.refused(address, code, detail);
  }

  private syncFailed(host: ActorHost, error: unknown): void {
    if (error instanceof JournalClosedError) return; // stopping
    host.crash();
    const { log } = this.options;
    if (error instanceof FencedError)
      log.error({ address: host.address }, `stopped serving: ${error.message}`);
    else log.error({ address: host.address, err: error }, 'journal append failed; actor stopped');
    this.failedWith(error instanceof Error ? error : new Error(String(error)));
  }

  /**
   * Settles when an actor of this process had to stop (fenced by another owner, or its journal
   * refused an append): the process should drain and exit non-zero so that a supervisor (compose's
   * restart policy, or whoever runs it) starts it again, restoring from the journals.
   */
  // Declared before `failed`: class fields are defined in order, and a later declaration of this
  // one would reset what the promise's executor assigned.
  private failedWith!: (error: Error) => void;
  readonly failed = new Promise<Error>((resolve) => {
    this.failedWith = resolve;
  });

  /**
   * Drain: stop taking frames, let in-flight journal appends finish (up to `graceMs`), then close.
   * Timers are dropped; the next owner's recovery re-arms every pending retry from the journal.
   */
  stop(graceMs = 5_000): Promise<void> {
    this.stopping ??= this.drain(graceMs);
    return this.stopping;
  }

  private async drain(graceMs: number): Promise<void> {
    for (const sub of this.subscriptions) sub.unsubscribe();
    this.transport.stopLocal();
    this.runtime.stop();
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && [...this.hosts.values()].some((h) => h.up && !h.settled)) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    for (const journal of this.journals.values()) journal.close();
    if (this.outcomeTicker !== undefined) clearInterval(this.outcomeTicker);
    if (this.options.outcomeSubject !== undefined) this.flushOutcomes(this.options.outcomeSubject);
    await drainWithin(this.nc, 5_000);
    this.options.log.info('host drained');
  }
}

/** The factory and opening records of each named actor, from the scenario's world. */
export function actorSpecs(
  scenario: Scenario,
  addresses: readonly string[],
): Map<string, ActorSpec> {
  const world = buildWorld(scenario);
  const specs = new Map<string, ActorSpec>();
  for (const address of addresses) {
    const spec = world.actors.get(address);
    if (spec === undefined) {
      const known = [...world.actors.keys()];
      // The scenario and the flags disagree: bad input (exit 2), said before connecting.
      throw new ScenarioError(
        `--actors: no actor '${address}' in scenario ${scenario.name} ` +
          `(actors: ${known.join(', ')})`,
      );
    }
    specs.set(address, spec);
  }
  return specs;
}
