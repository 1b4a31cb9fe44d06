// An actor's durable state on JetStream: one stream per actor (GJ_<role>_<shard>, file storage,
// replicated by the cluster), holding a journal of group-commit batches and, from time to time, a
// snapshot that lets everything before it be purged. Restore folds the stream into records.
//
// Single owner: every append expects the stream's last sequence to be the one this owner wrote
// last, so a second owner (a restarted or moved host) fences the first: its next append fails with
// "wrong last sequence" and it stops serving the actor. Opening the journal appends an `open`
// marker, which is how a new owner takes over. Appends are retried with the same msgID until the
// server answers, so a lost ack never writes a batch twice (JetStream dedup, TECH.md §2.3).
//
// Messages on gj.state.<address> (msgpack arrays):
//   ['o', owner]                                  an owner opened the journal
//   ['b', keys, values]                           one group commit: keys[i] = values[i], in order
//   ['s', snapshotId, index, count, keys, values] chunk index/count of a full snapshot
import type { JetStreamClient, JetStreamManager, PubAck } from '@nats-io/jetstream';
import { JetStreamApiError } from '@nats-io/jetstream';

import { encodeRecordValues, pack, unpack } from '../host/record_codec.ts';
import { stateStream, stateSubject } from './subjects.ts';

/** Records per snapshot chunk, halved until a chunk fits under the payload limit. */
const CHUNK_RECORDS = 2_000;
const CHUNK_BYTES = 768 * 1024;
const RETRY_MS = [50, 100, 250, 500, 1_000, 2_000];

export class FencedError extends Error {
  override readonly name = 'FencedError';
}

export class JournalClosedError extends Error {
  override readonly name = 'JournalClosedError';
}

export interface JournalOptions {
  /** Take a snapshot once the journal since the last one outgrows max(this, 2 × that snapshot). */
  readonly snapshotBytes?: number;
  /** Keep retrying to open a journal whose stream is unavailable (no quorum yet) this long. */
  readonly openTimeoutMs?: number;
  /** Called when a snapshot is written or a purge fails (for logs). */
  readonly onEvent?: (message: string) => void;
}

export interface StreamProvisioning {
  readonly replicas: number;
}

/** Create (or check) an actor's stream. Needs a user allowed to add streams. */
export async function ensureStream(
  jsm: JetStreamManager,
  address: string,
  { replicas }: StreamProvisioning,
): Promise<void> {
  const name = stateStream(address);
  try {
    await jsm.streams.info(name);
    return;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  await jsm.streams.add({
    name,
    subjects: [stateSubject(address)],
    storage: 'file' as never,
    num_replicas: replicas,
    duplicate_window: 120 * 1_000_000_000,
  });
}

function isNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.status === 404;
}

function isWrongLastSequence(error: unknown): boolean {
  return error instanceof JetStreamApiError && /wrong last sequence/i.test(error.message);
}

/** The stream folded into records, and where it ended. */
export interface Restored {
  readonly records: Map<string, unknown>;
  readonly lastSeq: number;
  readonly messages: number;
  /** Whether a complete snapshot was read: without one the actor's opening records are missing. */
  readonly complete: boolean;
}

/** Read an actor's whole stream (from its first remaining message) into records. */
export async function readJournal(
  js: JetStreamClient,
  jsm: JetStreamManager,
  address: string,
): Promise<Restored> {
  const stream = stateStream(address);
  let info;
  try {
    info = await jsm.streams.info(stream);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    throw new Error(
      `no journal stream ${stream} for ${address}: provision it first ` +
        `(gongji provision, which gongji cluster up runs)`,
    );
  }
  const lastSeq = info.state.last_seq;
  const fold = new JournalFold();
  if (info.state.messages === 0)
    return { records: fold.records, lastSeq, messages: 0, complete: false };
  const consumer = await js.consumers.get(stream);
  const messages = await consumer.consume();
  let count = 0;
  try {
    for await (const m of messages) {
      fold.apply(unpack(m.data) as JournalEntry);
      count++;
      if (m.seq >= lastSeq) break;
    }
  } finally {
    messages.stop();
  }
  return { records: fold.records, lastSeq, messages: count, complete: fold.complete };
}

type JournalEntry =
  | readonly ['o', string]
  | readonly ['b', readonly string[], readonly unknown[]]
  | readonly ['s', string, number, number, readonly string[], readonly unknown[]];

/**
 * Folds journal entries, in stream order, into records.
 * A snapshot counts once all its chunks are in.
 */
export class JournalFold {
  records = new Map<string, unknown>();
  /** A complete snapshot has been folded (every journal starts with one once it is whole). */
  complete = false;
  private pending: { id: string; next: number; records: Map<string, unknown> } | null = null;

  apply(entry: JournalEntry): void {
    switch (entry[0]) {
      case 'o':
        this.pending = null; // a snapshot cut short by a crash never counts
        return;
      case 'b':
        setAll(this.records, entry[1], entry[2]);
        return;
      case 's': {
        const [, id, index, count, keys, values] = entry;
        if (index === 0) this.pending = { id, next: 0, records: new Map() };
        const pending = this.pending;
        if (pending === null || pending.id !== id || pending.next !== index) {
          this.pending = null;
          return;
        }
        setAll(pending.records, keys, values);
        pending.next++;
        if (pending.next === count) {
          this.records = pending.records;
          this.pending = null;
          this.complete = true;
        }
        return;
      }
      default:
        throw new Error(`journal entry of unknown type ${String((entry as unknown[])[0])}`);
    }
  }
}

function setAll(
  records: Map<string, unknown>,
  keys: readonly string[],
  values: readonly unknown[],
): void {
  for (let i = 0; i < keys.length; i++) records.set(keys[i] as string, values[i]);
}

export class Journal {
  appends = 0;
  snapshots = 0;
  private closed = false;
  private bytesSinceSnapshot = 0;
  private lastSnapshotBytes = 0;
  private seqNo = 0;

  private constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    readonly address: string,
    readonly owner: string,
    private lastSeq: number,
    private readonly options: JournalOptions,
  ) {}

  /**
   * Take ownership of an actor's journal and return its records. An empty journal is seeded with
   * `genesis` (the actor's opening records) as its first snapshot.
   */
  static async open(
    js: JetStreamClient,
    jsm: JetStreamManager,
    address: string,
    owner: string,
    genesis: () => ReadonlyMap<string, unknown>,
    options: JournalOptions = {},
  ): Promise<{ journal: Journal; records: Map<string, unknown> }> {
    const deadline = Date.now() + (options.openTimeoutMs ?? 120_000);
    for (let attempt = 0; ; attempt++) {
      try {
        const restored = await readJournal(js, jsm, address);
        // Each attempt writes under ids of its own: an attempt's msgIDs must never match what an
        // earlier, half-done attempt wrote, or the server would answer "duplicate" for a new entry.
        const journal = new Journal(
          js,
          jsm,
          address,
          attempt === 0 ? owner : `${owner}.${attempt}`,
          restored.lastSeq,
          options,
        );
        // No complete snapshot yet: the stream is new, or the first opening was cut short
        // between chunks (then its chunks never count). Seed it with the opening records.
        let records = restored.records;
        if (!restored.complete) {
          records = new Map(genesis());
          await journal.writeSnapshot(records);
        }
        await journal.publish(['o', owner]);
        return { journal, records };
      } catch (error) {
        // Someone else wrote in between (another owner opening): read again and take over.
        // A stream without quorum or leader yet (a NATS node restarting, a partition): wait.
        const retry =
          (error instanceof FencedError && attempt < 5) ||
          (isTransient(error) && Date.now() < deadline);
        if (!retry) throw error;
        options.onEvent?.(
          `opening the journal of ${address} failed (${(error as Error).message}); retrying`,
        );
        await sleep(RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)] as number);
      }
    }
  }

  /** The last sequence this owner knows the stream to have. */
  get sequence(): number {
    return this.lastSeq;
  }

  /**
   * Append one group commit; `durable` is the actor's durable records before it (for snapshots).
   */
  async append(
    keys: readonly string[],
    values: readonly unknown[],
    durable: ReadonlyMap<string, unknown>,
  ): Promise<void> {
    if (
      this.bytesSinceSnapshot >
      Math.max(this.options.snapshotBytes ?? 8 << 20, 2 * this.lastSnapshotBytes)
    ) {
      await this.compact(durable);
    }
    await this.publish(['b', keys, encodeRecordValues(values)]);
    this.appends++;
  }

  close(): void {
    this.closed = true;
  }

  private async landedAt(seq: number, msgID: string): Promise<boolean> {
    try {
      const message = await this.jsm.streams.getMessage(stateStream(this.address), { seq });
      return msgIdOf(message as never) === msgID;
    } catch {
      return false;
    }
  }

  private async compact(durable: ReadonlyMap<string, unknown>): Promise<void> {
    const firstSeq = await this.writeSnapshot(durable);
    this.snapshots++;
    try {
      await this.jsm.streams.purge(stateStream(this.address), { seq: firstSeq });
    } catch (error) {
      this.options.onEvent?.(
        `purge of ${this.address} before ${firstSeq} failed: ${String(error)}`,
      );
    }
    this.options.onEvent?.(
      `snapshot of ${this.address}: ${durable.size} records, ${this.lastSnapshotBytes} bytes`,
    );
  }

  /** Write every record as one snapshot; returns the sequence of its first chunk. */
  private async writeSnapshot(records: ReadonlyMap<string, unknown>): Promise<number> {
    const id = `${this.owner}:${this.seqNo}`;
    const chunks = chunkRecords(records);
    let first = 0;
    let bytes = 0;
    for (let index = 0; index < chunks.length; index++) {
      const [keys, values] = chunks[index] as [string[], unknown[]];
      const size = await this.publish(['s', id, index, chunks.length, keys, values]);
      bytes += size;
      if (index === 0) first = this.lastSeq;
    }
    this.lastSnapshotBytes = bytes;
    this.bytesSinceSnapshot = 0;
    return first;
  }

  /**
   * Publish one entry, expecting this owner's last sequence;
   * retry until the server answers. Returns its size.
   */
  private async publish(entry: JournalEntry): Promise<number> {
    const data = pack(entry);
    const msgID = `${this.owner}:${++this.seqNo}`;
    const expected = this.lastSeq;
    for (let attempt = 0; ; attempt++) {
      if (this.closed) throw new JournalClosedError(`journal of ${this.address} is closed`);
      let ack: PubAck;
      try {
        ack = await this.js.publish(stateSubject(this.address), data, {
          msgID,
          expect: { lastSequence: expected },
        });
      } catch (error) {
        if (isWrongLastSequence(error)) {
          // Our own earlier attempt may have landed with its ack lost, longer ago than the dedup
          // window: then the next message is ours and this append is done.
          const landed = await this.landedAt(expected + 1, msgID);
          if (landed) {
            this.lastSeq = expected + 1;
            this.bytesSinceSnapshot += data.length;
            return data.length;
          }
          throw new FencedError(
            `${this.address}: another owner wrote to the journal ` +
              `(expected last sequence ${expected})`,
          );
        }
        if (error instanceof JetStreamApiError && !isRetryable(error)) throw error;
        await sleep(RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)] as number);
        continue;
      }
      this.lastSeq = ack.seq;
      this.bytesSinceSnapshot += data.length;
      return data.length;
    }
  }
}

/** Errors that say "not now" (no answer, no leader, no quorum) rather than "no". */
function isTransient(error: unknown): boolean {
  if (error instanceof JetStreamApiError) return isRetryable(error);
  const name = (error as Error | undefined)?.name ?? '';
  return (
    /Timeout|Request|NoResponders|Connection|Disconnect/i.test(name) ||
    /timeout|no responders|disconnect|connection/i.test((error as Error | undefined)?.message ?? '')
  );
}

/** Whether the message at `seq` is the one we sent as `msgID`. */
function msgIdOf(
  message: { header?: { get(key: string): string } } | undefined,
): string | undefined {
  return message?.header?.get('Nats-Msg-Id');
}

/**
 * Server-side refusals that a retry cannot fix are thrown;
 * the rest (no leader yet, timeouts) are retried.
 */
function isRetryable(error: JetStreamApiError): boolean {
  return (
    error.status === 503 ||
    error.status === 408 ||
    /no (responders|suitable peers)|leader|timeout/i.test(error.message)
  );
}

function chunkRecords(records: ReadonlyMap<string, unknown>): Array<[string[], unknown[]]> {
  const chunks: Array<[string[], unknown[]]> = [];
  let keys: string[] = [];
  let values: unknown[] = [];
  for (const [key, value] of records) {
    keys.push(key);
    values.push(value);
    if (keys.length === CHUNK_RECORDS) {
      chunks.push(...fit(keys, values));
      keys = [];
      values = [];
    }
  }
  if (keys.length > 0 || chunks.length === 0) chunks.push(...fit(keys, values));
  return chunks;
}

/** Split a chunk in halves until each packs under CHUNK_BYTES. */
function fit(keys: string[], values: unknown[]): Array<[string[], unknown[]]> {
  const encoded = encodeRecordValues(values);
  if (keys.length <= 1 || pack([keys, encoded]).length <= CHUNK_BYTES) return [[keys, encoded]];
  const half = keys.length >> 1;
  return [
    ...fit(keys.slice(0, half), values.slice(0, half)),
    ...fit(keys.slice(half), values.slice(half)),
  ];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
