// Test doubles shared by the actor and host tests: an Effects that records everything an actor
// asks of the world (sends, writes, timers, cancelled timers, domain events) without doing any of
// it, a builder for envelopes as they reach an actor after decoding, and a wallet's active binding.
import type { DomainEvent, Effects, Posting } from '../actors/effects.ts';
import type { Relation } from '../actors/wallet.ts';
import type { Body, Envelope, Kind } from '../protocol/index.ts';

export interface SentMessage<K extends Kind = Kind> {
  readonly to: string;
  readonly kind: K;
  readonly corr: string;
  readonly body: Body<K>;
}

export interface RecordedWrite {
  readonly key: string;
  readonly value: unknown;
}

export interface ArmedTimer {
  readonly key: string;
  readonly at: number;
  readonly arg: number;
}

export class RecordingEffects implements Effects {
  readonly sends: SentMessage[] = [];
  readonly writes: RecordedWrite[] = [];
  readonly timers: ArmedTimer[] = [];
  readonly cancelled: string[] = [];
  readonly events: DomainEvent[] = [];

  send<K extends Kind>(to: string, kind: K, corr: string, body: Body<K>): void {
    this.sends.push({ to, kind, corr, body } as SentMessage);
  }

  write(key: string, value: unknown): void {
    this.writes.push({ key, value });
  }

  timer(key: string, at: number, arg: number): void {
    this.timers.push({ key, at, arg });
  }

  cancelTimer(key: string): void {
    this.cancelled.push(key);
  }

  emit(event: DomainEvent): void {
    this.events.push(event);
  }

  /** The messages of one kind, in the order they were sent, with their bodies typed. */
  sent<K extends Kind>(kind: K): SentMessage<K>[] {
    return this.sends.filter((s): s is SentMessage<K> => s.kind === kind);
  }

  /** The postings among the events, in order. */
  postings(): Posting[] {
    return this.events.filter((e): e is Posting => e.type === 'posting');
  }

  /** The last value written under `key`, or undefined if the key was not written. */
  lastWrite(key: string): unknown {
    for (let i = this.writes.length - 1; i >= 0; i--) {
      const w = this.writes[i];
      if (w !== undefined && w.key === key) return w.value;
    }
    return undefined;
  }

  /** `base` with every recorded write applied in order: what a durable store would now hold. */
  applyTo(base: ReadonlyMap<string, unknown>): Map<string, unknown> {
    const records = new Map(base);
    for (const { key, value } of this.writes) records.set(key, value);
    return records;
  }

  clear(): void {
    this.sends.length = 0;
    this.writes.length = 0;
    this.timers.length = 0;
    this.cancelled.length = 0;
    this.events.length = 0;
  }
}

let envelopeSeq = 0;

/** An envelope as an actor receives it after decoding: version 1 and a fresh message id. */
export function envelope<K extends Kind>(
  kind: K,
  from: string,
  to: string,
  corr: string,
  body: Body<K>,
  sentAt = 0,
): Envelope<K> {
  envelopeSeq += 1;
  return { v: 1, id: `test-msg.${envelopeSeq}`, kind, from, to, corr, sentAt, body };
}

/** A wallet's active family binding (W2) to `kinship` in `region`, bound by `bindId`. */
export function activeRelation(kinship: string, region: string, bindId: string): Relation {
  return { kinship, region, status: 'active', bindId };
}
