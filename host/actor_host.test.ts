// Checks the actor host (cluster/host.ts, DESIGN §6) with its runtime in the test's hands: a
// manual clock, timer and sync requests that only happen when the test triggers them, a transport
// that captures frames and a MemoryStore. Write-ahead: a step's sends, writes and facts leave only
// at the sync that makes its writes durable; a crash loses what was staged and a restart rebuilds
// the actor from durable records alone; timers die with their epoch, a re-armed key replaces its
// timer and a cancelled one never fires; bad frames are counted by code and change nothing; and
// the broken `writeAhead: false` host really does send before the sync.
import { beforeEach, describe, expect, it } from 'vitest';

import type { Actor, DomainEvent, Effects } from '../actors/effects.ts';
import { UnroutableError } from '../actors/errors.ts';
import { accountRecords } from '../actors/opening.ts';
import { ProvinceActor } from '../actors/province.actor.ts';
import { SettlementActor } from '../actors/settlement.actor.ts';
import type { AnyEnvelope, Fen } from '../protocol/index.ts';
import { decodeEnvelope, encodeEnvelope } from '../protocol/index.ts';
import { envelope } from '../testing/fakes.ts';
import type { HostEnvironment, HostObserver, HostOptions, Transport } from './actor_host.ts';
import { ActorHost } from './actor_host.ts';
import { MemoryStore } from './store.ts';

const PROVINCE = 'province.51';
const SAGA = 'wallet.03';

interface TimerRequest {
  readonly at: number;
  readonly key: string;
  readonly token: number;
  readonly epoch: number;
}

/** The runtime, by hand: nothing happens until the test says so. */
class ManualEnvironment implements HostEnvironment {
  clock = 36_000_000;
  readonly timers: TimerRequest[] = [];
  readonly syncs: Array<{ host: ActorHost; epoch: number }> = [];

  now(): number {
    return this.clock;
  }

  timer(_host: ActorHost, at: number, key: string, token: number, epoch: number): void {
    this.timers.push({ at, key, token, epoch });
  }

  sync(host: ActorHost, epoch: number): void {
    this.syncs.push({ host, epoch });
  }

  /** Complete every sync requested so far, in order. */
  completeSyncs(): void {
    for (const { host, epoch } of this.syncs.splice(0)) host.synced(epoch);
  }
}

class CapturingTransport implements Transport {
  readonly frames: Array<{ from: string; to: string; frame: Uint8Array }> = [];

  send(from: string, to: string, frame: Uint8Array): void {
    this.frames.push({ from, to, frame });
  }

  /** What was sent, decoded by the codec as a black box. */
  envelopes(): AnyEnvelope[] {
    return this.frames.map((f) => decodeEnvelope(f.frame));
  }
}

class RecordingObserver implements HostObserver {
  readonly durableEvents: DomainEvent[] = [];
  readonly durableCalls: number[] = [];
  readonly rejections: Array<{ address: string; code: string; detail: string }> = [];

  durable(_address: string, events: readonly DomainEvent[]): void {
    this.durableCalls.push(events.length);
    this.durableEvents.push(...events);
  }

  rejected(address: string, code: string, detail: string): void {
    this.rejections.push({ address, code, detail });
  }
}

/** A minimal actor for timers and recovery: it logs what fires into a log shared by rebuilds. */
class ProbeActor implements Actor {
  constructor(
    readonly address: string,
    readonly records: ReadonlyMap<string, unknown>,
    readonly log: string[],
  ) {}

  handle(env: AnyEnvelope): void {
    throw new UnroutableError(this.address, env.kind);
  }

  timer(key: string, arg: number, now: number): void {
    this.log.push(`fired ${key}#${arg} at ${now}`);
  }

  recover(): void {
    this.log.push(`recovered from ${this.records.size} records`);
  }
}

function reserve(transferId: string, amount: Fen, to = PROVINCE): Uint8Array {
  const body = { transferId, accountId: 'p1', amount };
  return encodeEnvelope(envelope('account.reserve', SAGA, to, transferId, body));
}

/** A province host over one account p1 holding 1000.00 yuan, with everything captured. */
function provinceHost(options?: HostOptions) {
  const runtime = new ManualEnvironment();
  const transport = new CapturingTransport();
  const observer = new RecordingObserver();
  const store = new MemoryStore(
    accountRecords([{ id: 'p1', region: '510100', balance: 100_000n }]),
  );
  const built: Array<ReadonlyMap<string, unknown>> = [];
  const host = new ActorHost(
    PROVINCE,
    (records) => {
      built.push(records);
      return new ProvinceActor(PROVINCE, records);
    },
    store,
    transport,
    runtime,
    observer,
    options,
  );
  const province = () => host.current as ProvinceActor;
  const durableAccount = () => store.durable.get('a:p1');
  return { host, runtime, transport, observer, store, built, province, durableAccount };
}

function probeHost() {
  const runtime = new ManualEnvironment();
  const log: string[] = [];
  const store = new MemoryStore();
  const transport = new CapturingTransport();
  const host = new ActorHost(
    'probe.0',
    (records) => new ProbeActor('probe.0', records, log),
    store,
    transport,
    runtime,
    new RecordingObserver(),
  );
  const arm = (key: string, at: number, arg: number) =>
    host.local((_actor: Actor, _now: number, fx: Effects) => fx.timer(key, at, arg));
  const fireAll = () => {
    for (const t of runtime.timers.splice(0)) host.fire(t.key, t.token, t.epoch);
  };
  return { host, runtime, log, arm, fireAll, store, transport };
}

describe('write-ahead: nothing leaves before the sync of the writes that caused it', () => {
  it("a step's sends are not transported and its writes not durable until synced(epoch)", () => {
    const h = provinceHost();
    h.host.receive(reserve('T-1', 30_000n));
    expect(h.transport.frames).toEqual([]);
    expect(h.durableAccount()).toEqual({ region: '510100', available: 100_000n, held: 0n });
    expect(h.store.durable.has('t:T-1')).toBe(false);
    expect(h.runtime.syncs).toEqual([{ host: h.host, epoch: 0 }]);
    // The live actor has decided; only its effects wait.
    expect(h.province().accountBook.accounts.get('p1')?.held).toBe(30_000n);

    h.runtime.completeSyncs();
    expect(h.durableAccount()).toEqual({ region: '510100', available: 70_000n, held: 30_000n });
    expect(h.store.durable.get('t:T-1')).toMatchObject({ state: 'reserved', amount: 30_000n });
    const sent = h.transport.envelopes();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      v: 1,
      kind: 'account.reserved',
      from: PROVINCE,
      to: SAGA,
      corr: 'T-1',
      body: { transferId: 'T-1' },
    });
    expect(h.transport.frames[0]).toMatchObject({ from: PROVINCE, to: SAGA });
  });

  // Found by the properties (a contribution accepted and claimed, then lost with its saga in a
  // crash): a batch started with nothing to send shared its empty outbox with the next step's
  // sends, which then left with that batch, before their own writes were durable.
  it('a step that sends while a batch with nothing to send is in flight waits for its own sync', () => {
    const { host, runtime, transport, store } = probeHost();
    host.local((_actor, _now, fx) => fx.write('first', 1));
    host.local((_actor, _now, fx) => {
      fx.write('second', 2);
      fx.send(PROVINCE, 'account.reserve', 'T-9', {
        transferId: 'T-9',
        accountId: 'p1',
        amount: 1n,
      });
    });
    const [first, second] = [runtime.syncs.shift(), runtime.syncs.shift()];
    expect(second).toBeUndefined();
    host.synced(first!.epoch);
    expect(store.durable.get('first')).toBe(1);
    expect(transport.frames).toEqual([]);
    runtime.completeSyncs();
    expect(store.durable.get('second')).toBe(2);
    expect(transport.envelopes().map((e) => e.corr)).toEqual(['T-9']);
  });

  it('facts and postings reach the observer only at sync', () => {
    const h = provinceHost();
    h.host.receive(reserve('T-1', 30_000n));
    expect(h.observer.durableEvents).toEqual([]);
    h.runtime.completeSyncs();
    expect(h.observer.durableEvents).toEqual([
      expect.objectContaining({ type: 'posting', op: 'reserve', corr: 'T-1', amount: 30_000n }),
    ]);

    const runtime = new ManualEnvironment();
    const observer = new RecordingObserver();
    const transport = new CapturingTransport();
    const settlement = new ActorHost(
      'settlement.0',
      (records) => new SettlementActor('settlement.0', records),
      new MemoryStore(),
      transport,
      runtime,
      observer,
    );
    const body = { transferId: 'T-1', originRegion: '510100', useRegion: '320500', amount: 9n };
    settlement.receive(
      encodeEnvelope(envelope('liability.record', SAGA, 'settlement.0', 'T-1', body)),
    );
    expect(observer.durableEvents).toEqual([]);
    expect(transport.frames).toEqual([]);
    runtime.completeSyncs();
    expect(observer.durableEvents).toEqual([
      { type: 'liability.recorded', corr: 'T-1', originRegion: '510100', amount: 9n },
    ]);
    expect(transport.envelopes().map((e) => e.kind)).toEqual(['liability.recorded']);
  });

  it('steps taken while a sync is in flight form the next batch; sends leave in order', () => {
    const h = provinceHost();
    h.host.receive(reserve('T-1', 10_000n));
    h.host.receive(reserve('T-2', 20_000n));
    h.host.receive(reserve('T-3', 999_999n));
    expect(h.runtime.syncs).toHaveLength(1);
    expect(h.transport.frames).toEqual([]);
    h.runtime.completeSyncs();
    // The first batch held only T-1's writes: those made before its sync was asked for.
    expect(h.transport.envelopes().map((e) => `${e.kind}:${e.corr}`)).toEqual([
      'account.reserved:T-1',
    ]);
    expect(h.durableAccount()).toEqual({ region: '510100', available: 90_000n, held: 10_000n });
    expect(h.runtime.syncs).toHaveLength(1);
    h.runtime.completeSyncs();
    expect(h.transport.envelopes().map((e) => `${e.kind}:${e.corr}`)).toEqual([
      'account.reserved:T-1',
      'account.reserved:T-2',
      'account.rejected:T-3',
    ]);
    expect(h.observer.durableCalls).toEqual([1, 1]);
    expect(h.durableAccount()).toEqual({ region: '510100', available: 70_000n, held: 30_000n });
  });

  it('a reply that writes nothing still waits for a pending sync (it may depend on it)', () => {
    const h = provinceHost();
    h.host.receive(reserve('T-1', 30_000n));
    h.host.receive(reserve('T-1', 30_000n)); // a duplicate, answered from unsynced state
    expect(h.transport.frames).toEqual([]);
    h.runtime.completeSyncs();
    expect(h.transport.envelopes().map((e) => e.kind)).toEqual([
      'account.reserved',
      'account.reserved',
    ]);
  });

  it('a reply that writes nothing leaves at once when nothing is pending, with no sync', () => {
    const h = provinceHost();
    h.host.receive(reserve('T-1', 30_000n));
    h.runtime.completeSyncs();
    h.transport.frames.length = 0;
    h.host.receive(reserve('T-1', 30_000n));
    expect(h.runtime.syncs).toEqual([]);
    expect(h.transport.envelopes().map((e) => e.kind)).toEqual(['account.reserved']);
  });

  it('a step with no effects requests no sync and sends nothing', () => {
    const h = provinceHost();
    const commit = envelope('account.commit', SAGA, PROVINCE, 'T-404', { transferId: 'T-404' });
    h.host.receive(encodeEnvelope(commit));
    expect(h.runtime.syncs).toEqual([]);
    expect(h.transport.frames).toEqual([]);
    expect(h.host.received).toBe(1);
  });

  it('every message id the host assigns is unique, across crashes too', () => {
    const h = provinceHost();
    h.host.receive(reserve('T-1', 1n));
    h.host.receive(reserve('T-1', 1n));
    h.runtime.completeSyncs();
    h.host.crash();
    h.host.restart();
    h.host.receive(reserve('T-1', 1n));
    const ids = h.transport.envelopes().map((e) => e.id);
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
  });
});

describe('crashes: only durable records survive', () => {
  it('crash() before sync loses the staged writes, sends and events', () => {
    const h = provinceHost();
    h.host.receive(reserve('T-1', 30_000n));
    h.host.crash();
    h.runtime.completeSyncs(); // the sync of the old epoch completes too late
    expect(h.transport.frames).toEqual([]);
    expect(h.observer.durableEvents).toEqual([]);
    expect(h.store.durable.has('t:T-1')).toBe(false);
    expect(h.durableAccount()).toEqual({ region: '510100', available: 100_000n, held: 0n });
    expect(h.store.writesApplied).toBe(0);
  });

  it("a sync requested before a crash does not make the new epoch's writes durable", () => {
    const h = provinceHost();
    h.host.receive(reserve('T-1', 10_000n));
    const [oldSync] = h.runtime.syncs.splice(0);
    h.host.crash();
    h.host.restart();
    h.host.receive(reserve('T-2', 20_000n));
    expect(h.runtime.syncs).toEqual([{ host: h.host, epoch: 1 }]);
    h.host.synced(oldSync?.epoch ?? -1);
    expect(h.transport.frames).toEqual([]);
    expect(h.store.durable.has('t:T-2')).toBe(false);
    h.runtime.completeSyncs();
    expect(h.transport.envelopes().map((e) => e.corr)).toEqual(['T-2']);
    expect(h.store.durable.has('t:T-1')).toBe(false);
    expect(h.store.durable.has('t:T-2')).toBe(true);
  });

  it('a crashed host ignores frames until restart', () => {
    const h = provinceHost();
    h.host.crash();
    h.host.receive(reserve('T-1', 30_000n));
    expect(h.host.received).toBe(0);
    expect(h.runtime.syncs).toEqual([]);
    expect(h.transport.frames).toEqual([]);
  });

  it('after restart() the actor is rebuilt from durable records only', () => {
    const h = provinceHost();
    h.host.receive(reserve('T-1', 10_000n));
    h.runtime.completeSyncs();
    h.host.receive(reserve('T-2', 20_000n));
    h.host.crash();
    h.host.restart();
    expect(h.built).toHaveLength(2);
    expect(h.built[1]).toBe(h.store.durable);
    const book = h.province().accountBook;
    expect(book.accounts.get('p1')).toEqual({
      region: '510100',
      available: 90_000n,
      held: 10_000n,
    });
    expect(book.txns.has('T-1')).toBe(true);
    expect(book.txns.has('T-2')).toBe(false);
    expect(h.transport.envelopes().map((e) => e.corr)).toEqual(['T-1']);

    // The lost reserve is decided afresh when the saga retries it.
    h.host.receive(reserve('T-2', 20_000n));
    h.runtime.completeSyncs();
    expect(h.transport.envelopes().map((e) => `${e.kind}:${e.corr}`)).toEqual([
      'account.reserved:T-1',
      'account.reserved:T-2',
    ]);
    expect(h.durableAccount()).toEqual({ region: '510100', available: 70_000n, held: 30_000n });
  });

  it('a crash after the sync keeps the step', () => {
    const h = provinceHost();
    h.host.receive(reserve('T-1', 30_000n));
    h.runtime.completeSyncs();
    h.host.crash();
    h.host.restart();
    expect(h.province().accountBook.txns.get('T-1')?.state).toBe('reserved');
    expect(h.durableAccount()).toEqual({ region: '510100', available: 70_000n, held: 30_000n });
  });

  it('restart calls recover on the rebuilt actor, and restart of a running host does nothing', () => {
    const p = probeHost();
    p.host.restart();
    expect(p.log).toEqual([]);
    p.host.crash();
    p.host.restart();
    expect(p.log).toEqual(['recovered from 0 records']);
    expect(p.host.epoch).toBe(1);
  });
});

describe('timers', () => {
  let p: ReturnType<typeof probeHost>;
  beforeEach(() => {
    p = probeHost();
  });

  it('an armed timer is handed to the runtime with its time and epoch, and fires once', () => {
    p.arm('k', 40_000_000, 7);
    expect(p.runtime.timers).toEqual([{ at: 40_000_000, key: 'k', token: 1, epoch: 0 }]);
    p.runtime.clock = 40_000_000;
    p.host.fire('k', 1, 0);
    p.host.fire('k', 1, 0);
    expect(p.log).toEqual(['fired k#7 at 40000000']);
  });

  it('timers armed before a crash never fire (epoch), even when the key is re-armed', () => {
    p.arm('k', 100, 1);
    p.arm('j', 100, 1);
    const before = p.runtime.timers.splice(0);
    p.host.crash();
    p.host.restart();
    p.log.length = 0;
    for (const t of before) p.host.fire(t.key, t.token, t.epoch);
    expect(p.log).toEqual([]);
    p.arm('k', 200, 1);
    for (const t of before) p.host.fire(t.key, t.token, t.epoch);
    expect(p.log).toEqual([]);
    p.fireAll();
    expect(p.log).toEqual([`fired k#1 at ${p.runtime.clock}`]);
  });

  it('timers do not fire while the host is down', () => {
    p.arm('k', 100, 1);
    p.host.crash();
    p.fireAll();
    expect(p.log).toEqual([]);
  });

  it('re-arming a key replaces its timer: the old one fires into nothing', () => {
    p.arm('k', 100, 1);
    p.arm('k', 300, 2);
    const [first, second] = p.runtime.timers.splice(0);
    p.host.fire('k', first!.token, 0);
    expect(p.log).toEqual([]);
    p.host.fire('k', second!.token, 0);
    expect(p.log).toEqual([`fired k#2 at ${p.runtime.clock}`]);
  });

  it('re-armed with the same arg, a key still fires only its latest timer, once', () => {
    p.arm('k', 100, 5);
    p.arm('k', 300, 5);
    const [first, second] = p.runtime.timers.splice(0);
    p.runtime.clock = 100;
    p.host.fire('k', first!.token, 0);
    expect(p.log).toEqual([]);
    p.runtime.clock = 300;
    p.host.fire('k', second!.token, 0);
    p.host.fire('k', second!.token, 0);
    expect(p.log).toEqual(['fired k#5 at 300']);
  });

  it('cancelTimer stops one timer and leaves the others', () => {
    p.arm('k', 100, 1);
    p.arm('j', 100, 1);
    p.host.local((_actor, _now, fx) => fx.cancelTimer('k'));
    p.fireAll();
    expect(p.log).toEqual([`fired j#1 at ${p.runtime.clock}`]);
  });
});

describe('the boundary: bad frames are counted by code and change nothing', () => {
  /** Everything a bad frame must leave as it was. */
  function snapshot(h: ReturnType<typeof provinceHost>) {
    return {
      durable: structuredClone([...h.store.durable]),
      account: h.province().accountBook.accounts.get('p1'),
      txns: h.province().accountBook.txns.size,
      frames: h.transport.frames.length,
      syncs: h.runtime.syncs.length,
      durableEvents: h.observer.durableEvents.length,
    };
  }

  it('an empty frame is MALFORMED_FRAME', () => {
    const h = provinceHost();
    const before = snapshot(h);
    h.host.receive(new Uint8Array(0));
    expect(Object.fromEntries(h.host.rejectedByCode)).toEqual({ MALFORMED_FRAME: 1 });
    expect(h.observer.rejections).toEqual([
      { address: PROVINCE, code: 'MALFORMED_FRAME', detail: expect.any(String) },
    ]);
    expect(snapshot(h)).toEqual(before);
  });

  it('random bytes are each refused with a protocol error code and change nothing', () => {
    const h = provinceHost();
    const before = snapshot(h);
    let seed = 12345;
    const byte = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed >>> 24;
    };
    const frames = 300;
    for (let n = 0; n < frames; n++) {
      h.host.receive(Uint8Array.from({ length: 1 + (n % 64) }, byte));
    }
    const codes = [...h.host.rejectedByCode.keys()];
    const protocolCodes = [
      'MALFORMED_FRAME',
      'UNKNOWN_VERSION',
      'UNKNOWN_KIND',
      'BAD_FIELD',
      'BAD_AMOUNT',
      'AMOUNT_OVER_LIMIT',
      'FORBIDDEN_KEY',
    ];
    for (const code of codes) expect(protocolCodes).toContain(code);
    const counted = [...h.host.rejectedByCode.values()].reduce((a, b) => a + b, 0);
    expect(counted).toBe(frames);
    expect(h.observer.rejections).toHaveLength(frames);
    expect(h.host.received).toBe(0);
    expect(snapshot(h)).toEqual(before);
  });

  it('a valid frame addressed to another node is MISROUTED', () => {
    const h = provinceHost();
    const before = snapshot(h);
    h.host.receive(reserve('T-1', 30_000n, 'province.32'));
    expect(Object.fromEntries(h.host.rejectedByCode)).toEqual({ MISROUTED: 1 });
    expect(h.observer.rejections[0]?.code).toBe('MISROUTED');
    expect(snapshot(h)).toEqual(before);
  });

  it('a kind the actor does not accept is UNROUTABLE', () => {
    const h = provinceHost();
    const before = snapshot(h);
    const body = {
      transferId: 'T-1',
      walletId: 'p1',
      donorId: 'd1',
      originRegion: '510100',
      amount: 30_000n,
    };
    h.host.receive(encodeEnvelope(envelope('wallet.credit', SAGA, PROVINCE, 'T-1', body)));
    h.host.receive(
      encodeEnvelope(
        envelope('liability.record', SAGA, PROVINCE, 'T-2', {
          transferId: 'T-2',
          originRegion: '510100',
          useRegion: '320500',
          amount: 1n,
        }),
      ),
    );
    expect(Object.fromEntries(h.host.rejectedByCode)).toEqual({ UNROUTABLE: 2 });
    expect(h.observer.rejections.map((r) => r.code)).toEqual(['UNROUTABLE', 'UNROUTABLE']);
    expect(snapshot(h)).toEqual(before);
  });

  it('a kind from a role not allowed to send it is FORBIDDEN_SENDER (a reply forged by a wallet)', () => {
    const h = provinceHost();
    const before = snapshot(h);
    h.host.receive(
      encodeEnvelope(envelope('account.reserved', SAGA, PROVINCE, 'T-2', { transferId: 'T-2' })),
    );
    expect(Object.fromEntries(h.host.rejectedByCode)).toEqual({ FORBIDDEN_SENDER: 1 });
    expect(snapshot(h)).toEqual(before);
  });

  it('an envelope whose sender differs from the one the transport vouches for is FORGED_SENDER', () => {
    const h = provinceHost();
    const before = snapshot(h);
    h.host.receive(reserve('T-1', 30_000n), 'wallet.07'); // says wallet.03, published as wallet.07
    expect(Object.fromEntries(h.host.rejectedByCode)).toEqual({ FORGED_SENDER: 1 });
    expect(snapshot(h)).toEqual(before);
    h.host.receive(reserve('T-1', 30_000n), SAGA); // the same frame from its real sender is served
    h.runtime.completeSyncs();
    expect(h.transport.envelopes().map((e) => e.kind)).toEqual(['account.reserved']);
  });

  it('a truncated frame is refused and the host still serves the next good one', () => {
    const h = provinceHost();
    const good = reserve('T-1', 30_000n);
    h.host.receive(good.subarray(0, good.length - 1));
    expect([...h.host.rejectedByCode.values()]).toEqual([1]);
    expect(h.store.durable.has('t:T-1')).toBe(false);
    h.host.receive(good);
    h.runtime.completeSyncs();
    expect(h.transport.envelopes().map((e) => e.kind)).toEqual(['account.reserved']);
  });
});

describe('the broken host (writeAhead: false), for negative controls', () => {
  it('sends before the sync, while the writes are not yet durable', () => {
    const h = provinceHost({ writeAhead: false });
    h.host.receive(reserve('T-1', 30_000n));
    expect(h.transport.envelopes().map((e) => e.kind)).toEqual(['account.reserved']);
    expect(h.durableAccount()).toEqual({ region: '510100', available: 100_000n, held: 0n });
    expect(h.observer.durableEvents).toEqual([]);
    expect(h.runtime.syncs).toHaveLength(1);
    h.runtime.completeSyncs();
    expect(h.durableAccount()).toEqual({ region: '510100', available: 70_000n, held: 30_000n });
  });

  it('so a crash before the sync leaves a reply that no durable state backs', () => {
    const h = provinceHost({ writeAhead: false });
    h.host.receive(reserve('T-1', 30_000n));
    h.host.crash();
    h.host.restart();
    expect(h.transport.envelopes().map((e) => e.kind)).toEqual(['account.reserved']);
    expect(h.province().accountBook.txns.has('T-1')).toBe(false);
    expect(h.durableAccount()).toEqual({ region: '510100', available: 100_000n, held: 0n });
  });
});
