// An actor host: the boundary between one actor and the world. It decodes and validates every
// inbound frame (bad frames are counted and change nothing), runs the actor, and applies its
// effects write-ahead: staged writes become durable (one group commit per sync) before any send
// or fact of that step leaves. One batch is in flight at a time; steps taken meanwhile stage the
// next batch, so a batch holds exactly the writes made before its sync was asked for (what a real
// journal append can promise). A crash drops everything not durable; a restart rebuilds the actor
// from durable records and lets it resume. The environment (clock, timers, syncs) and the
// transport are parameters, so the same host runs in the simulator and on NATS.
import type { Actor, DomainEvent, Effects } from '../actors/effects.ts';
import { UnroutableError } from '../actors/errors.ts';
import type { AnyEnvelope, Body, Kind } from '../protocol/index.ts';
import { decodeEnvelope, encodeEnvelope, isProtocolError, maySend } from '../protocol/index.ts';
import type { DurableStore } from './store.ts';

export interface Transport {
  send(from: string, to: string, frame: Uint8Array): void;
}

/** What a host needs from its runtime: the clock, timers, and durability barriers. */
export interface HostEnvironment {
  now(): number;
  /** Call `host.fire(key, token, epoch)` at virtual time `at` (the token names this arming). */
  timer(host: ActorHost, at: number, key: string, token: number, epoch: number): void;
  /**
   * Make this batch durable (keys[i] gets values[i], in order), then call `host.synced(epoch)`.
   * The host asks for one batch at a time and never reuses the arrays.
   */
  sync(host: ActorHost, epoch: number, keys: readonly string[], values: readonly unknown[]): void;
}

/** Hears what became durable, and what was refused at the boundary. */
export interface HostObserver {
  durable(address: string, events: readonly DomainEvent[]): void;
  rejected(address: string, code: string, detail: string): void;
}

/** One input an actor stepped on, as the host saw it (the bench replays these). */
export type StepInput =
  | { readonly type: 'message'; readonly env: AnyEnvelope }
  | { readonly type: 'timer'; readonly key: string; readonly arg: number }
  | { readonly type: 'local'; readonly step: (actor: Actor, now: number, fx: Effects) => void };

export type StepTap = (address: string, now: number, input: StepInput) => void;

export interface HostOptions {
  /**
   * true (the reference): sends wait for the sync of the writes that caused them.
   * false: a deliberately broken host that sends first, for negative controls.
   */
  readonly writeAhead: boolean;
  /**
   * true (the reference, and the JetStream journal: one message per batch): a batch torn by a
   * power failure keeps nothing. false: a broken journal that keeps the torn batch's first writes.
   */
  readonly atomicBatches?: boolean;
  readonly tap?: StepTap | undefined;
}

interface Outgoing {
  readonly to: string;
  readonly frame: Uint8Array;
}

interface Batch {
  readonly keys: string[];
  readonly values: unknown[];
  readonly events: DomainEvent[];
  readonly outbox: readonly Outgoing[];
}

const NOTHING_TO_SEND: readonly Outgoing[] = Object.freeze([]);

export type ActorFactory = (records: ReadonlyMap<string, unknown>) => Actor;

export class ActorHost implements Effects {
  epoch = 0;
  up = true;
  received = 0;
  /** Writes its actor's steps have staged (durable once synced, unless a crash comes first). */
  stagedWrites = 0;
  readonly rejectedByCode = new Map<string, number>();
  private actor: Actor;
  // Staged writes as two parallel arrays: no pair allocated per write on the hot path.
  private writeKeys: string[] = [];
  private writeValues: unknown[] = [];
  private events: DomainEvent[] = [];
  private outbox: Outgoing[] = [];
  /** The batch whose sync is in flight, with what waits on it; null when none is. */
  private inflight: Batch | null = null;
  private messageSeq = 0;
  /**
   * The one live timer per key, as the host's token for this arming, and the arg its actor gave
   * it: arming a key again replaces its earlier timer, whatever either's arg (the earlier one
   * still reaches `fire`, and its token no longer matches). Two maps, no object per arming.
   */
  private readonly timers = new Map<string, number>();
  private readonly timerArgs = new Map<string, number>();
  private timerTokens = 0;

  constructor(
    readonly address: string,
    private readonly makeActor: ActorFactory,
    readonly store: DurableStore,
    private readonly transport: Transport,
    private readonly runtime: HostEnvironment,
    private readonly observer: HostObserver,
    private readonly options: HostOptions = { writeAhead: true },
  ) {
    this.actor = makeActor(store.durable);
  }

  /** The live actor (for inspection in tests and reports; mutate it only through messages). */
  get current(): Actor {
    return this.actor;
  }

  /**
   * One inbound frame. `sender` is the address the transport vouches for (on NATS, the subject's
   * tail, which the broker's permissions tie to the publishing user); the envelope must agree.
   */
  receive(frame: Uint8Array, sender?: string): void {
    if (!this.up) return;
    let env: AnyEnvelope;
    try {
      env = decodeEnvelope(frame);
    } catch (error) {
      if (!isProtocolError(error)) throw error;
      return this.refuse(error.code, error.message);
    }
    if (env.to !== this.address) return this.refuse('MISROUTED', `${env.kind} for ${env.to}`);
    if (sender !== undefined && env.from !== sender) {
      return this.refuse(
        'FORGED_SENDER',
        `${env.kind} says it is from ${env.from} but came from ${sender}`,
      );
    }
    if (!maySend(env.kind, env.from))
      return this.refuse('FORBIDDEN_SENDER', `${env.kind} from ${env.from}`);
    this.received++;
    this.options.tap?.(this.address, this.runtime.now(), { type: 'message', env });
    try {
      this.actor.handle(env, this.runtime.now(), this);
    } catch (error) {
      if (!(error instanceof UnroutableError)) throw error;
      return this.refuse('UNROUTABLE', error.message);
    }
    this.afterStep();
  }

  /** Run local input (a client's new intent) as a step of this host's actor. */
  local(step: (actor: Actor, now: number, fx: Effects) => void): void {
    if (!this.up) return;
    this.options.tap?.(this.address, this.runtime.now(), { type: 'local', step });
    step(this.actor, this.runtime.now(), this);
    this.afterStep();
  }

  fire(key: string, token: number, epoch: number): void {
    if (!this.up || epoch !== this.epoch || this.timers.get(key) !== token) return;
    const arg = this.timerArgs.get(key) as number;
    this.timers.delete(key);
    this.timerArgs.delete(key);
    this.options.tap?.(this.address, this.runtime.now(), { type: 'timer', key, arg });
    this.actor.timer(key, arg, this.runtime.now(), this);
    this.afterStep();
  }

  /**
   * The batch in flight is durable. `persisted` false: the disk said so and kept nothing (a lying
   * fsync, a storage fault): the host cannot tell, and goes on as if it had.
   */
  synced(epoch: number, persisted = true): void {
    const batch = this.inflight;
    if (!this.up || epoch !== this.epoch || batch === null) return;
    this.inflight = null;
    if (persisted) this.store.apply(batch.keys, batch.values);
    if (batch.events.length > 0) this.observer.durable(this.address, batch.events);
    this.transmit(batch.outbox);
    this.afterStep();
  }

  /** True when nothing is in flight, staged or waiting to be sent: a drain may stop here. */
  get settled(): boolean {
    return (
      this.inflight === null &&
      this.writeKeys.length === 0 &&
      this.events.length === 0 &&
      this.outbox.length === 0
    );
  }

  /** Lose everything not yet durable; stop until restart. */
  crash(): void {
    this.up = false;
    this.epoch++;
    this.writeKeys = [];
    this.writeValues = [];
    this.events = [];
    this.outbox = [];
    this.inflight = null;
    this.timers.clear();
    this.timerArgs.clear();
  }

  /**
   * The power fails while the batch in flight is written: `keep` of its writes reach the disk
   * first. An atomic journal (the reference) drops the torn batch whole at recovery; a broken
   * one keeps those writes. Then the host is down, as after a crash. Returns the writes kept.
   */
  powerFail(keep: number): number {
    const batch = this.inflight;
    const kept =
      batch === null || this.options.atomicBatches !== false
        ? 0
        : Math.min(keep, batch.keys.length - 1);
    if (batch !== null && kept > 0)
      this.store.apply(batch.keys.slice(0, kept), batch.values.slice(0, kept));
    this.crash();
    return kept;
  }

  /** Let a freshly built actor resume what its durable records say is pending (a process start). */
  start(): void {
    if (!this.up) return;
    this.actor.recover(this.runtime.now(), this);
    this.afterStep();
  }

  restart(): void {
    if (this.up) return;
    this.up = true;
    this.actor = this.makeActor(this.store.durable);
    this.actor.recover(this.runtime.now(), this);
    this.afterStep();
  }

  // Effects, called by the actor during a step.
  send<K extends Kind>(to: string, kind: K, corr: string, body: Body<K>): void {
    const env = {
      v: 1,
      id: `${this.address}:${this.epoch}:${++this.messageSeq}`,
      kind,
      from: this.address,
      to,
      corr,
      sentAt: this.runtime.now(),
      body,
    } as AnyEnvelope;
    this.outbox.push({ to, frame: encodeEnvelope(env) });
  }

  write(key: string, value: unknown): void {
    this.stagedWrites++;
    this.writeKeys.push(key);
    this.writeValues.push(value);
  }

  timer(key: string, at: number, arg: number): void {
    const token = ++this.timerTokens;
    this.timers.set(key, token);
    this.timerArgs.set(key, arg);
    this.runtime.timer(this, at, key, token, this.epoch);
  }

  cancelTimer(key: string): void {
    this.timers.delete(key);
    this.timerArgs.delete(key);
  }

  emit(event: DomainEvent): void {
    this.events.push(event);
  }

  /**
   * After a step or a sync: with nothing in flight, staged writes start a sync that takes the
   * outbox with it, and a step that wrote nothing sends at once. While a batch is in flight, the
   * outbox waits for the next batch even if its step wrote nothing: a reply may depend on writes
   * still in flight (a duplicate answered from a decision not yet durable).
   */
  private afterStep(): void {
    const staged = this.writeKeys.length > 0 || this.events.length > 0;
    if (!this.options.writeAhead) {
      this.transmit(this.takeOutbox());
      if (staged && this.inflight === null) this.startSync([]);
      return;
    }
    if (this.inflight !== null) return;
    if (staged) this.startSync(this.takeOutbox());
    else this.transmit(this.takeOutbox());
  }

  private startSync(outbox: readonly Outgoing[]): void {
    const batch: Batch = {
      keys: this.writeKeys,
      values: this.writeValues,
      events: this.events,
      outbox,
    };
    this.writeKeys = [];
    this.writeValues = [];
    this.events = [];
    this.inflight = batch;
    this.runtime.sync(this, this.epoch, batch.keys, batch.values);
  }

  /**
   * The messages staged so far, taken out: the host starts a new outbox. An empty one is never
   * handed out (a batch holding it would take the next step's sends along, before their own
   * writes are durable); the shared empty one is frozen.
   */
  private takeOutbox(): readonly Outgoing[] {
    const outbox = this.outbox;
    if (outbox.length === 0) return NOTHING_TO_SEND;
    this.outbox = [];
    return outbox;
  }

  private transmit(outbox: readonly Outgoing[]): void {
    for (const { to, frame } of outbox) this.transport.send(this.address, to, frame);
  }

  private refuse(code: string, detail: string): void {
    this.rejectedByCode.set(code, (this.rejectedByCode.get(code) ?? 0) + 1);
    this.observer.rejected(this.address, code, detail);
  }
}
