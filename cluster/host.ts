// An actor host: the boundary between one actor and the world. It decodes and validates every
// inbound frame (bad frames are counted and change nothing), runs the actor, and applies its
// effects write-ahead: staged writes become durable (one group commit per sync) before any send
// or fact of that step leaves. A crash drops everything staged; a restart rebuilds the actor from
// durable records and lets it resume. The environment (clock, timers, syncs) and the transport
// are parameters, so the same host runs in the simulator and, later, on NATS.
import { decodeEnvelope, encodeEnvelope, isProtocolError } from '../protocol/index.ts';
import type { AnyEnvelope, Body, Kind } from '../protocol/index.ts';
import type { Actor, DomainEvent, Effects } from '../actors/effects.ts';
import { UnroutableError } from '../actors/errors.ts';
import type { DurableStore } from './memory_store.ts';

export interface Transport {
  send(from: string, to: string, frame: Uint8Array): void;
}

/** What a host needs from its runtime: the clock, timers, and durability barriers. */
export interface HostEnvironment {
  now(): number;
  /** Call `host.fire(key, arg, epoch)` at virtual time `at`. */
  timer(host: ActorHost, at: number, key: string, arg: number, epoch: number): void;
  /** Make staged writes durable, then call `host.synced(epoch)`. */
  sync(host: ActorHost, epoch: number): void;
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
  readonly tap?: StepTap | undefined;
}

export type ActorFactory = (records: ReadonlyMap<string, unknown>) => Actor;

export class ActorHost implements Effects {
  epoch = 0;
  up = true;
  received = 0;
  readonly rejectedByCode = new Map<string, number>();
  private actor: Actor;
  // Staged writes as two parallel arrays: no pair allocated per write on the hot path.
  private writeKeys: string[] = [];
  private writeValues: unknown[] = [];
  private events: DomainEvent[] = [];
  private outbox: Array<{ to: string; frame: Uint8Array }> = [];
  private syncPending = false;
  private messageSeq = 0;
  /** The one live timer per key: arming a key again replaces its earlier timer. */
  private readonly timers = new Map<string, number>();

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

  receive(frame: Uint8Array): void {
    if (!this.up) return;
    let env: AnyEnvelope;
    try {
      env = decodeEnvelope(frame);
    } catch (error) {
      if (!isProtocolError(error)) throw error;
      return this.refuse(error.code, error.message);
    }
    if (env.to !== this.address) return this.refuse('MISROUTED', `${env.kind} for ${env.to}`);
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

  fire(key: string, arg: number, epoch: number): void {
    if (!this.up || epoch !== this.epoch || this.timers.get(key) !== arg) return;
    this.timers.delete(key);
    this.options.tap?.(this.address, this.runtime.now(), { type: 'timer', key, arg });
    this.actor.timer(key, arg, this.runtime.now(), this);
    this.afterStep();
  }

  synced(epoch: number): void {
    if (!this.up || epoch !== this.epoch) return;
    this.syncPending = false;
    this.store.apply(this.writeKeys, this.writeValues);
    this.writeKeys = [];
    this.writeValues = [];
    const events = this.events;
    this.events = [];
    if (events.length > 0) this.observer.durable(this.address, events);
    this.flushOutbox();
  }

  /** Lose everything not yet durable; stop until restart. */
  crash(): void {
    this.up = false;
    this.epoch++;
    this.writeKeys = [];
    this.writeValues = [];
    this.events = [];
    this.outbox = [];
    this.syncPending = false;
    this.timers.clear();
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
    this.writeKeys.push(key);
    this.writeValues.push(value);
  }

  timer(key: string, at: number, arg: number): void {
    this.timers.set(key, arg);
    this.runtime.timer(this, at, key, arg, this.epoch);
  }

  cancelTimer(key: string): void {
    this.timers.delete(key);
  }

  emit(event: DomainEvent): void {
    this.events.push(event);
  }

  private afterStep(): void {
    const staged = this.writeKeys.length > 0 || this.events.length > 0;
    if (!this.options.writeAhead) {
      this.flushOutbox();
      if (staged) this.requestSync();
      return;
    }
    if (staged || this.syncPending) this.requestSync();
    else this.flushOutbox();
  }

  private requestSync(): void {
    if (this.syncPending) return;
    this.syncPending = true;
    this.runtime.sync(this, this.epoch);
  }

  private flushOutbox(): void {
    if (this.outbox.length === 0) return;
    const outbox = this.outbox;
    this.outbox = [];
    for (const { to, frame } of outbox) this.transport.send(this.address, to, frame);
  }

  private refuse(code: string, detail: string): void {
    this.rejectedByCode.set(code, (this.rejectedByCode.get(code) ?? 0) + 1);
    this.observer.rejected(this.address, code, detail);
  }
}
