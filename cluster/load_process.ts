// The load generator on NATS: the citizens' app (app.0, the simulator's AppClient, unchanged)
// submitting the scenario's transfer requests at a steady offered rate, retrying each until the
// donor's wallet answers. It answers reconciliation queries with its counts, so the checker can
// prove every request was answered, and it times request → answer.
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import * as hdr from 'hdr-histogram-js';
import type { Logger } from 'pino';

import { APP_ADDRESS } from '../actors/addresses.ts';
import type { DomainEvent } from '../actors/effects.ts';
import { ActorHost, type HostObserver } from '../host/actor_host.ts';
import { pack } from '../host/record_codec.ts';
import { MemoryStore } from '../host/store.ts';
import { APP_BEHAVIOUR_DEFAULTS, type AppBehaviour, AppClient } from '../world/app_client.ts';
import { buildWorld } from '../world/build.ts';
import type { Refusal } from '../world/outcomes.ts';
import { requestsByKind } from '../world/result.ts';
import type { Scenario } from '../world/scenario.ts';
import { type Intent, intentId, type TransferIntent } from '../world/workload.ts';
import { liveClock, LiveEnvironment } from './live_runtime.ts';
import { connectNats, drainWithin, type NatsLogin, NatsTransport } from './nats_transport.ts';
import type { ActorReport } from './reconcile.ts';
import { RefusalLog } from './refusal_log.ts';
import { adminSubject, frameSender, inboxSubject } from './subjects.ts';

/** How long a starting process keeps trying its first connection. */
const FIRST_CONNECT_WAIT_MS = 30_000;

export interface LoadOptions {
  readonly login: NatsLogin;
  readonly scenario: Scenario;
  /** Requests per second, offered steadily whatever the answers do (an open-loop load). */
  readonly rate: number;
  /** Submit only N intents of the scenario's workload (after `offset`). */
  readonly limit?: number | undefined;
  /** Skip this many intents first (a bench's later rounds take fresh transfer ids). */
  readonly offset?: number | undefined;
  /** Only transfer intents of this scope (e.g. crossProvince for the bench). */
  readonly scope?: TransferIntent['scope'] | undefined;
  /** The intents to offer, if already built (a bench reuses one world across rounds). */
  readonly intents?: readonly Intent[] | undefined;
  /** Keep every request's submit time in firstSubmittedAt (benches; costs a map entry each). */
  readonly keepSubmitTimes?: boolean | undefined;
  readonly log: Logger;
  /** The cluster's clock origin (wall ms); see liveClock. Defaults to this process's start. */
  readonly clockOrigin?: number | undefined;
}

export interface LoadSummary {
  readonly submitted: number;
  readonly accepted: number;
  readonly refused: number;
  readonly pending: number;
  readonly offeredPerSecond: number;
  readonly submitSeconds: number;
  readonly answerMs: { p50: number; p99: number; max: number };
  readonly refusedByScope: Record<string, number>;
}

const TICK_MS = 5;

/**
 * People on a live cluster act within 2 s, not the simulator's minutes: a demo or a test sees its
 * receipts and face checks happen while it watches. (06:00 returns still wait for 06:00.)
 */
const LIVE_APP_BEHAVIOUR: AppBehaviour = {
  ...APP_BEHAVIOUR_DEFAULTS,
  humanDelayMsMin: 200,
  humanDelayMsMax: 2_000,
};

export class LoadGenerator implements HostObserver {
  readonly app: AppClient;
  readonly host: ActorHost;
  private readonly intents: readonly Intent[];
  private readonly runtime: LiveEnvironment;
  private readonly subscriptions: Subscription[] = [];
  /** When each request was first submitted (performance.now()), until it is answered. */
  readonly submittedAt = new Map<string, number>();
  /** Wall ms (performance.timeOrigin + now) of each request's first submission, kept for every
   * request: the NATS bench times request → outcome with it, across processes. */
  readonly firstSubmittedAt = new Map<string, number>();
  private readonly answerLatency = hdr.build({
    lowestDiscernibleValue: 1,
    numberOfSignificantValueDigits: 3,
  });
  /** Requests refused at the request (no saga exists for them): the checker counts them. */
  private readonly refusals: Refusal[] = [];
  private ticker: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private finishedSubmittingAt = 0;
  private allSubmitted!: () => void;
  /** Resolves when every intent has been submitted (answers may still be outstanding). */
  readonly submittedAll = new Promise<void>((resolve) => {
    this.allSubmitted = resolve;
  });

  private readonly refusedFrames: RefusalLog;

  private constructor(
    readonly options: LoadOptions,
    readonly nc: NatsConnection,
  ) {
    this.refusedFrames = new RefusalLog(options.log);
    const { scenario } = options;
    let intents = options.intents ?? buildWorld(scenario).workload;
    if (options.scope !== undefined) {
      intents = intents.filter((i) => i.kind === 'transfer' && i.scope === options.scope);
    }
    const offset = options.offset ?? 0;
    this.intents = intents.slice(offset, offset + (options.limit ?? intents.length));
    this.runtime = new LiveEnvironment(
      liveClock(options.clockOrigin ?? Date.now()),
      new Map(),
      () => {},
    );
    this.app = new AppClient(
      APP_ADDRESS,
      scenario.protocol,
      (id) => this.answered(id),
      LIVE_APP_BEHAVIOUR,
    );
    this.host = new ActorHost(
      APP_ADDRESS,
      () => this.app,
      new MemoryStore(),
      new NatsTransport(nc),
      this.runtime,
      this,
    );
  }

  static async start(options: LoadOptions): Promise<LoadGenerator> {
    if (!(options.rate > 0))
      throw new RangeError(`rate must be > 0 requests/s, got ${options.rate}`);
    // A host started while its server restarts (or its link flaps) waits for it, as a supervisor
    // restarting it would; past the bound it exits, saying why.
    const nc = await connectNats(options.login, {
      retryForMs: FIRST_CONNECT_WAIT_MS,
      onRetry: (error) => options.log.warn({ err: error }, 'first connection failed; retrying'),
    });
    const load = new LoadGenerator(options, nc);
    load.subscriptions.push(
      nc.subscribe(inboxSubject(APP_ADDRESS), {
        callback: (error, msg) => {
          if (error === null) load.host.receive(msg.data, frameSender(msg.subject));
        },
      }),
    );
    load.subscriptions.push(
      nc.subscribe(adminSubject(APP_ADDRESS), {
        callback: (error, msg) => {
          if (error === null) msg.respond(pack(load.report()));
        },
      }),
    );
    await nc.flush();
    load.begin();
    return load;
  }

  get total(): number {
    return this.intents.length;
  }

  /** Open loop: each tick submits what the rate owes since the start, independent of answers. */
  private begin(): void {
    this.startedAt = performance.now();
    if (this.intents.length === 0) return this.finishSubmitting();
    this.ticker = setInterval(() => {
      const owed = Math.min(
        this.intents.length,
        Math.floor(((performance.now() - this.startedAt) / 1000) * this.options.rate),
      );
      while (this.app.submitted < owed) {
        const intent = this.intents[this.app.submitted] as Intent;
        const id = intentId(intent);
        const now = performance.now();
        this.submittedAt.set(id, now);
        if (this.options.keepSubmitTimes)
          this.firstSubmittedAt.set(id, performance.timeOrigin + now);
        this.host.local((actor, now, fx) => (actor as AppClient).submit(intent, now, fx));
      }
      if (this.app.submitted === this.intents.length) this.finishSubmitting();
    }, TICK_MS);
  }

  private finishSubmitting(): void {
    if (this.ticker !== undefined) clearInterval(this.ticker);
    this.ticker = undefined;
    this.finishedSubmittingAt = performance.now();
    this.options.log.info({ submitted: this.app.submitted }, 'all requests submitted');
    this.allSubmitted();
  }

  private answered(transferId: string): void {
    const at = this.submittedAt.get(transferId);
    if (at === undefined) return;
    this.submittedAt.delete(transferId);
    this.answerLatency.recordValue(Math.max(1, Math.round(performance.now() - at)));
  }

  /** Resolves once every submitted request has its answer (or rejects after `timeoutMs`). */
  async answeredAll(timeoutMs: number): Promise<void> {
    await this.submittedAll;
    const deadline = Date.now() + timeoutMs;
    while (this.app.pending.size > 0) {
      if (Date.now() > deadline)
        throw new Error(`${this.app.pending.size} request(s) unanswered after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  report(): ActorReport {
    return {
      address: APP_ADDRESS,
      up: true,
      settled: this.host.settled && this.app.submitted === this.intents.length,
      openWork:
        this.app.pending.size +
        this.app.scheduled +
        this.app.billsOpen +
        (this.intents.length - this.app.submitted),
      now: this.runtime.now(),
      journalSeq: 0,
      records: 0,
      received: this.host.received,
      rejected: Object.fromEntries(this.host.rejectedByCode),
      total: this.intents.length,
      submitted: this.app.submitted,
      accepted: this.app.accepted,
      acceptedTransfers: this.app.acceptedTransfers,
      refused: this.app.refused,
      unanswered: this.app.pending.size + this.app.billsOpen + this.app.reconciliation.open,
      firstUnanswered: [...this.app.pending.keys()].slice(0, 5),
      refusals: this.refusals,
      requestsByKind: requestsByKind(this.intents),
    };
  }

  summary(): LoadSummary {
    const end = this.finishedSubmittingAt || performance.now();
    const seconds = (end - this.startedAt) / 1000;
    return {
      submitted: this.app.submitted,
      accepted: this.app.accepted,
      refused: this.app.refused,
      pending: this.app.pending.size,
      offeredPerSecond: seconds > 0 ? Math.round(this.app.submitted / seconds) : 0,
      submitSeconds: Number(seconds.toFixed(2)),
      answerMs: {
        p50: this.answerLatency.getValueAtPercentile(50),
        p99: this.answerLatency.getValueAtPercentile(99),
        max: this.answerLatency.maxValue,
      },
      refusedByScope: this.refusedByScope(),
    };
  }

  /** Refused transfer requests per `<scope>.<reason>`. */
  private refusedByScope(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of this.refusals) {
      if (r.flow === 'transfer')
        counts[`${r.scope}.${r.reason}`] = (counts[`${r.scope}.${r.reason}`] ?? 0) + 1;
    }
    return counts;
  }

  // HostObserver: the app emits a refused request's outcome with its scope.
  durable(_address: string, events: readonly DomainEvent[]): void {
    for (const event of events) {
      if (
        (event.type === 'transfer.outcome' ||
          event.type === 'bind.outcome' ||
          event.type === 'contribution.outcome') &&
        event.outcome === 'refused'
      ) {
        const flow =
          event.type === 'transfer.outcome'
            ? 'transfer'
            : event.type === 'bind.outcome'
              ? 'bind'
              : 'contribution';
        this.refusals.push({
          flow,
          id: event.corr,
          scope: event.scope,
          reason: event.reason ?? '?',
        });
      }
    }
  }

  rejected(address: string, code: string, detail: string): void {
    this.refusedFrames.refused(address, code, detail);
  }

  async stop(): Promise<void> {
    if (this.ticker !== undefined) clearInterval(this.ticker);
    this.ticker = undefined;
    this.runtime.stop();
    for (const sub of this.subscriptions) sub.unsubscribe();
    await drainWithin(this.nc, 5_000);
  }
}
