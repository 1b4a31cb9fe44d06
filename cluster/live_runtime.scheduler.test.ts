// Write-ahead on the live runtime under any interleaving (issue 13): in a host process, frames
// arrive from NATS whenever they arrive, and each actor's journal append (a JetStream publish
// and its ack) completes whenever it completes; several actors share one LiveEnvironment and
// their appends complete in any order relative to each other and to the frames. fast-check's
// scheduler orders all of it: frames for two province hosts, each with an in-memory journal
// whose appends resolve (or, once, fail as a fenced append does) when the scheduler says. Why:
// an ActorHost asks for one append at a time and must send nothing of a step before every write
// made up to that step is in its journal, in the order it made them; this is the only test of
// LiveEnvironment's promise path (append → synced, or → onSyncFailure) that needs no server.
// Each run is checked against the same frames replayed, in the order each host took them, on a
// fresh actor with recording effects: the journal holds a prefix of its writes, in order; the
// host sent a prefix of its replies, in order, each only once the journal held every write up
// to its step, and all of them when no append failed. A failure prints fast-check's seed, path
// and the scheduler's order of frames and appends.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { accountRecords } from '../actors/opening.ts';
import { ProvinceActor } from '../actors/province.actor.ts';
import { ActorHost, type StepInput, type Transport } from '../host/actor_host.ts';
import { MemoryStore } from '../host/store.ts';
import type { AnyEnvelope, Fen } from '../protocol/index.ts';
import { decodeEnvelope, encodeEnvelope } from '../protocol/index.ts';
import { envelope, RecordingEffects } from '../testing/fakes.ts';
import { FencedError, type Journal } from './journal.ts';
import { LiveEnvironment } from './live_runtime.ts';

const NOW = 36_000_000;
const SAGA = 'wallet.03';
/** Two provinces in one process, each with one account. */
const PROVINCES = [
  { address: 'province.51', account: 'p1', region: '510100', balance: 50_000n },
  { address: 'province.44', account: 'q1', region: '440300', balance: 30_000n },
] as const;

/** An actor's journal in memory: an append lands when the scheduler resolves it. */
class SchedulerJournal {
  readonly keys: string[] = [];
  readonly values: unknown[] = [];
  /** Appends asked for so far. */
  asked = 0;
  private inflight = 0;
  maxInflight = 0;

  constructor(
    private readonly s: fc.Scheduler,
    private readonly address: string,
    /** The append (0-based) that fails as if another owner had written: none when undefined. */
    private readonly failAt: number | undefined,
  ) {}

  append(keys: readonly string[], values: readonly unknown[]): Promise<void> {
    const n = this.asked++;
    this.inflight++;
    this.maxInflight = Math.max(this.maxInflight, this.inflight);
    return this.s.schedule(Promise.resolve(), `${this.address}: append #${n}`).then(() => {
      this.inflight--;
      if (n === this.failAt) throw new FencedError(`${this.address}: another owner wrote`);
      this.keys.push(...keys);
      this.values.push(...values);
    });
  }
}

interface Sent {
  readonly env: AnyEnvelope;
  /** How many writes the sender's journal held when the frame left. */
  readonly durableWrites: number;
}

interface Frame {
  readonly province: 0 | 1;
  readonly kind: 'account.reserve' | 'account.commit' | 'account.release';
  readonly tid: string;
  readonly amount: Fen;
}

/** The replies one host's actor makes, replayed on the steps it took, and its writes in order. */
function replay(address: string, opening: ReadonlyMap<string, unknown>, steps: StepInput[]) {
  const actor = new ProvinceActor(address, opening);
  const writes: Array<[string, unknown]> = [];
  const replies: Array<{ readonly kind: string; readonly corr: string; readonly writes: number }> =
    [];
  for (const step of steps) {
    if (step.type !== 'message') throw new Error(`unexpected step ${step.type}`);
    const fx = new RecordingEffects();
    actor.handle(step.env, NOW, fx);
    for (const w of fx.writes) writes.push([w.key, w.value]);
    // A reply may leave only once every write up to its step is durable.
    for (const s of fx.sends) replies.push({ kind: s.kind, corr: s.corr, writes: writes.length });
  }
  return { writes, replies };
}

async function run(s: fc.Scheduler, frames: readonly Frame[], failAt: number | undefined) {
  const sent = new Map<string, Sent[]>(PROVINCES.map((p) => [p.address, []]));
  const steps = new Map<string, StepInput[]>(PROVINCES.map((p) => [p.address, []]));
  /** Actors stopped by a failed append, and anything else that went wrong inside the runtime. */
  const failed: string[] = [];
  const journals = new Map<string, SchedulerJournal>(
    PROVINCES.map((p, i) => [
      p.address,
      new SchedulerJournal(s, p.address, i === 0 ? failAt : undefined),
    ]),
  );
  const transport: Transport = {
    send(from, _to, frame) {
      const durableWrites = journals.get(from)?.keys.length ?? 0;
      sent.get(from)?.push({ env: decodeEnvelope(frame), durableWrites });
    },
  };
  const env = new LiveEnvironment(
    () => NOW,
    journals as unknown as ReadonlyMap<string, Journal>,
    // As the host process does: a failed append stops the actor. (Checked after the run: an
    // assertion thrown here would only reject the runtime's own promise.)
    (host, error) => {
      failed.push(error instanceof FencedError ? host.address : String(error));
      host.crash();
    },
  );
  const openings = PROVINCES.map((p) =>
    accountRecords([{ id: p.account, region: p.region, balance: p.balance }]),
  );
  const hosts = PROVINCES.map(
    (p, i) =>
      new ActorHost(
        p.address,
        (records) => new ProvinceActor(p.address, records),
        new MemoryStore(openings[i]),
        transport,
        env,
        { durable: () => {}, rejected: (_a, code, detail) => failed.push(`${code}: ${detail}`) },
        { writeAhead: true, tap: (address, _now, input) => steps.get(address)?.push(input) },
      ),
  );
  try {
    for (const f of frames) {
      const p = PROVINCES[f.province];
      const body =
        f.kind === 'account.reserve'
          ? { transferId: f.tid, accountId: p.account, amount: f.amount }
          : { transferId: f.tid };
      const message = envelope(f.kind, SAGA, p.address, f.tid, body as never) as AnyEnvelope;
      const frame = encodeEnvelope(message);
      const label = `${p.address}: ${f.kind} ${f.tid}${'amount' in body ? ` ${f.amount}` : ''}`;
      void s.schedule(Promise.resolve(), label).then(() => hosts[f.province]?.receive(frame, SAGA));
    }
    await s.waitIdle();
  } finally {
    env.stop(); // the provinces' orphan-hold timers
  }
  return { sent, steps, failed, journals, openings, hosts };
}

describe('LiveEnvironment and ActorHost under any order of frames and journal appends', () => {
  it('a reply leaves only after every write before it is in its own journal, in order', async () => {
    const frame = fc.record({
      province: fc.constantFrom<0 | 1>(0, 1),
      // Reserves most often: commits and releases then find a hold to move.
      kind: fc.oneof(
        { arbitrary: fc.constant('account.reserve' as const), weight: 2 },
        fc.constantFrom('account.commit' as const, 'account.release' as const),
      ),
      tid: fc.constantFrom('T0', 'T1', 'T2'),
      amount: fc.bigInt({ min: 1n, max: 40_000n }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(frame, { minLength: 1, maxLength: 14 }),
        fc.option(fc.nat({ max: 4 }), { freq: 3 }),
        async (s, frames, failOrNull) => {
          const failAt = failOrNull ?? undefined;
          const { sent, steps, failed, journals, openings, hosts } = await run(s, frames, failAt);
          PROVINCES.forEach((p, i) => {
            const journal = journals.get(p.address) as SchedulerJournal;
            expect(journal.maxInflight, 'one append at a time').toBeLessThanOrEqual(1);
            const { writes, replies } = replay(
              p.address,
              openings[i] as Map<string, unknown>,
              steps.get(p.address) ?? [],
            );
            // The journal holds the writes in the order the actor made them: a prefix, or all.
            const durable = journal.keys.length;
            expect(journal.keys.map((k, j) => [k, journal.values[j]])).toEqual(
              writes.slice(0, durable),
            );
            // What the host holds as durable is what its journal acknowledged; all of it, unless
            // an append failed.
            expect(hosts[i]?.store.durable).toEqual(
              new Map([...(openings[i] ?? []), ...writes.slice(0, durable)]),
            );
            // The replies left in the order they were made, each only once every write up to its
            // step was in the journal; all of them, unless an append failed. (A reply that waited
            // for a batch in flight goes with the next batch, which may then fail: it is lost,
            // safely, and the sender asks again.)
            const out = sent.get(p.address) ?? [];
            expect(out.map((o) => [o.env.kind, o.env.corr])).toEqual(
              replies.slice(0, out.length).map((r) => [r.kind, r.corr]),
            );
            out.forEach((o, k) =>
              expect(o.durableWrites).toBeGreaterThanOrEqual(replies[k]?.writes ?? 0),
            );
            if (!failed.includes(p.address)) {
              expect(durable).toBe(writes.length);
              expect(out).toHaveLength(replies.length);
            }
          });
          const first = journals.get(PROVINCES[0].address) as SchedulerJournal;
          const fails = failAt !== undefined && first.asked > failAt;
          expect(failed).toEqual(fails ? [PROVINCES[0].address] : []);
        },
      ),
      { numRuns: 150 },
    );
  });
});
