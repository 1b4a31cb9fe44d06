// Checks the donor-side transfer saga (DESIGN §4, DOMAIN F2) as a pure machine driven step by
// step: it first challenges the requester (W13) and only a PASS moves money; each step sends the
// right message to the right decision point and arms a retry timer; replies move it on, stale
// timers and duplicate replies do nothing, retries back off up to retryDelayMsMax; the reference
// protocol never decides "failed" from a timeout, and only the deliberately broken 'timeoutFails'
// variant gives up (GAVE_UP) and releases. With requireReceipt (W11) a recorded transfer waits for
// its receipt until 06:00 the next day, then settles, refunds and unrecords what came back.
// Also checks retryDelayMs itself.
import { describe, expect, it } from 'vitest';
import type { SnapshotFrom } from 'xstate';

import { RecordingEffects } from '../testing/fakes.ts';
import { retryDelayMs } from './backoff.ts';
import { returnAtMs } from './calendar.ts';
import type { ProtocolConfig } from './config.ts';
import { DAY_MS, HOUR_MS, PROTOCOL_DEFAULTS } from './config.ts';
import { MachineDriver } from './machine_driver.ts';
import { TIMERS } from './timers.ts';
import {
  createTransferSagaMachine,
  type SagaEvent,
  type SagaInput,
  type TransferSagaMachine,
} from './transfer_saga.machine.ts';

type Saga = SnapshotFrom<TransferSagaMachine>;
type Reply = Exclude<SagaEvent, { type: 'timeout' | 'transfer.auth' }>['type'];
type Input =
  | { type: Reply; reason?: 'W10' | 'FUNDS' }
  | { type: 'transfer.auth'; verdict: 'PASS' | 'FAIL' }
  | { type: 'timeout'; seq: number };

const TEN_AM = 36_000_000;
const INPUT: SagaInput = {
  transferId: 'T-0001',
  donorId: 'donor-1',
  recipientId: 'recipient-1',
  donorRegion: '510100',
  recipientRegion: '320500',
  donorProvince: 'province.51',
  recipientShard: 'wallet.03',
  requester: 'app.0',
  amount: 50_000n,
  scope: 'crossProvince',
  startedAt: TEN_AM,
};

/** One saga on its own driver, with the clock and the effects of the step being taken. */
class Harness {
  readonly driver: MachineDriver<TransferSagaMachine>;
  readonly fx = new RecordingEffects();
  saga: Saga;
  now = TEN_AM;
  /** The timer the saga armed most recently, whatever happened since. */
  lastTimer: { key: string; at: number; arg: number } | undefined;

  constructor(config: ProtocolConfig = PROTOCOL_DEFAULTS, input: SagaInput = INPUT) {
    this.driver = new MachineDriver(createTransferSagaMachine(config));
    this.saga = this.driver.initial(input);
  }

  /** Deliver one event on fresh effects; returns the effects of that step alone. */
  step(event: Input) {
    this.fx.clear();
    this.saga = this.driver.step(this.saga, { ...event, now: this.now, fx: this.fx } as SagaEvent);
    this.lastTimer = this.fx.timers.at(-1) ?? this.lastTimer;
    return this.fx;
  }

  /** Fire the timer the saga armed last, at the time it was armed for. */
  fireCurrentTimer() {
    const armed = this.lastTimer;
    if (armed === undefined) throw new Error('fireCurrentTimer: no timer armed yet');
    this.now = armed.at;
    return this.step({ type: 'timeout', seq: armed.arg });
  }

  /** start, then the donor's PASS (W13): the saga is reserving. */
  authenticated() {
    this.step({ type: 'start' });
    return this.step(PASS);
  }
}

const PASS = { type: 'transfer.auth', verdict: 'PASS' } as const;
const FAIL = { type: 'transfer.auth', verdict: 'FAIL' } as const;
const NO_RECEIPT: ProtocolConfig = { ...PROTOCOL_DEFAULTS, requireReceipt: false };

/** The one message and the one timer a step must produce. */
function onlyStep(fx: RecordingEffects) {
  expect(fx.sends).toHaveLength(1);
  expect(fx.timers).toHaveLength(1);
  const [send] = fx.sends;
  const [timer] = fx.timers;
  if (send === undefined || timer === undefined) throw new Error('unreachable');
  return { send, timer };
}

describe('transfer saga: the reference protocol', () => {
  it('starts in new, where only start moves it: resume and timeouts send nothing', () => {
    const h = new Harness();
    expect(h.saga.value).toBe('new');
    for (const fx of [h.step({ type: 'resume' }), h.step({ type: 'timeout', seq: 0 })]) {
      expect(h.saga.value).toBe('new');
      expect(fx.sends).toEqual([]);
      expect(fx.timers).toEqual([]);
    }
    expect(onlyStep(h.step({ type: 'start' })).send.kind).toBe('transfer.challenge');
  });

  it('walks reserving → crediting → committing → recording → completed, one step each', () => {
    // Without requireReceipt (W11) a recorded transfer is complete; with it, see below.
    const h = new Harness(NO_RECEIPT);
    const key = TIMERS.transferSaga.key(INPUT.transferId);
    const args: number[] = [];

    // W13 first: the requester is challenged, and nothing goes to the province yet.
    const challenge = onlyStep(h.step({ type: 'start' }));
    expect(h.saga.value).toBe('authenticating');
    expect(challenge.send).toEqual({
      to: 'app.0',
      kind: 'transfer.challenge',
      corr: 'T-0001',
      body: { transferId: 'T-0001', donorId: 'donor-1' },
    });
    args.push(challenge.timer.arg);

    const reserve = onlyStep(h.step(PASS));
    expect(h.saga.value).toBe('reserving');
    expect(reserve.send).toEqual({
      to: 'province.51',
      kind: 'account.reserve',
      corr: 'T-0001',
      body: { transferId: 'T-0001', accountId: 'donor-1', amount: 50_000n },
    });
    args.push(reserve.timer.arg);

    const credit = onlyStep(h.step({ type: 'account.reserved' }));
    expect(h.saga.value).toBe('crediting');
    expect(credit.send).toEqual({
      to: 'wallet.03',
      kind: 'wallet.credit',
      corr: 'T-0001',
      body: {
        transferId: 'T-0001',
        walletId: 'recipient-1',
        donorId: 'donor-1',
        originRegion: '510100',
        amount: 50_000n,
      },
    });
    args.push(credit.timer.arg);

    const commit = onlyStep(h.step({ type: 'wallet.credited' }));
    expect(h.saga.value).toBe('committing');
    expect(commit.send).toEqual({
      to: 'province.51',
      kind: 'account.commit',
      corr: 'T-0001',
      body: { transferId: 'T-0001' },
    });
    args.push(commit.timer.arg);

    const record = onlyStep(h.step({ type: 'account.committed' }));
    expect(h.saga.value).toBe('recording');
    expect(record.send).toEqual({
      to: 'settlement.0',
      kind: 'liability.record',
      corr: 'T-0001',
      body: {
        transferId: 'T-0001',
        originRegion: '510100',
        useRegion: '320500',
        amount: 50_000n,
      },
    });
    args.push(record.timer.arg);

    for (const step of [challenge, reserve, credit, commit, record]) {
      expect(step.timer.key).toBe(key);
      // First attempt of each step: the minimum delay plus at most 25 % jitter.
      expect(step.timer.at - TEN_AM).toBeGreaterThanOrEqual(PROTOCOL_DEFAULTS.retryDelayMsMin);
      expect(step.timer.at - TEN_AM).toBeLessThanOrEqual(PROTOCOL_DEFAULTS.retryDelayMsMin * 1.25);
    }
    // Every step's timer is a new one, so the previous step's timer is stale.
    expect(new Set(args).size).toBe(5);

    const done = h.step({ type: 'liability.recorded' });
    expect(h.saga.value).toBe('completed');
    expect(h.saga.status).toBe('done');
    expect(h.saga.context.reason).toBeUndefined();
    expect(done.sends).toEqual([]);
    expect(done.timers).toEqual([]);
  });

  it('account.rejected while reserving ends rejected with the province reason, nothing else sent', () => {
    const h = new Harness();
    h.authenticated();
    const fx = h.step({ type: 'account.rejected', reason: 'FUNDS' });
    expect(h.saga.value).toBe('rejected');
    expect(h.saga.status).toBe('done');
    expect(h.saga.context.reason).toBe('FUNDS');
    expect(fx.sends).toEqual([]);
    expect(fx.timers).toEqual([]);
  });

  it('wallet.rejected releases the hold, and account.released ends rejected with that reason', () => {
    const h = new Harness();
    h.authenticated();
    h.step({ type: 'account.reserved' });
    const release = onlyStep(h.step({ type: 'wallet.rejected', reason: 'W10' }));
    expect(h.saga.value).toBe('releasing');
    expect(release.send).toEqual({
      to: 'province.51',
      kind: 'account.release',
      corr: 'T-0001',
      body: { transferId: 'T-0001' },
    });
    expect(release.timer.key).toBe(TIMERS.transferSaga.key('T-0001'));
    const fx = h.step({ type: 'account.released' });
    expect(h.saga.value).toBe('rejected');
    expect(h.saga.status).toBe('done');
    expect(h.saga.context.reason).toBe('W10');
    expect(fx.sends).toEqual([]);
  });

  it('a timeout carrying the current timerSeq re-sends the same step with a longer delay', () => {
    const h = new Harness();
    h.step({ type: 'start' });
    const first = onlyStep(h.step(PASS));
    const firstDelay = first.timer.at - TEN_AM;
    const retry = onlyStep(h.fireCurrentTimer());
    expect(h.saga.value).toBe('reserving');
    expect(retry.send).toEqual(first.send);
    expect(retry.timer.key).toBe(first.timer.key);
    expect(retry.timer.arg).not.toBe(first.timer.arg);
    expect(retry.timer.arg).toBe(h.saga.context.timerSeq);
    expect(retry.timer.at - first.timer.at).toBeGreaterThan(firstDelay);
  });

  it('backoff grows with every retry, then stays at retryDelayMsMax', () => {
    const h = new Harness();
    h.authenticated();
    h.step({ type: 'account.reserved' });
    const delays: number[] = [];
    for (let i = 0; i < 12; i++) {
      const { timer } = onlyStep(h.fireCurrentTimer());
      delays.push(timer.at - h.now);
    }
    const max = PROTOCOL_DEFAULTS.retryDelayMsMax;
    const capped = delays.findIndex((d) => d === max);
    expect(capped).toBeGreaterThan(0);
    for (let i = 1; i < capped; i++) expect(delays[i]).toBeGreaterThan(delays[i - 1] ?? 0);
    expect(delays.slice(capped)).toEqual(delays.slice(capped).map(() => max));
  });

  it('a stale timer (an earlier timerSeq) changes nothing and sends nothing', () => {
    const h = new Harness();
    h.step({ type: 'start' });
    const first = onlyStep(h.step(PASS));
    h.fireCurrentTimer();
    const before = h.saga;
    const fx = h.step({ type: 'timeout', seq: first.timer.arg });
    expect(h.saga.value).toBe('reserving');
    expect(h.saga.context).toEqual(before.context);
    expect(fx.sends).toEqual([]);
    expect(fx.timers).toEqual([]);
    // The timer of the previous step is stale in the next step too.
    h.step({ type: 'account.reserved' });
    const seqInCrediting = h.saga.context.timerSeq;
    const stale = h.step({ type: 'timeout', seq: seqInCrediting - 1 });
    expect(h.saga.value).toBe('crediting');
    expect(stale.sends).toEqual([]);
  });

  it('resume re-sends the current step and arms a new timer', () => {
    const h = new Harness();
    h.authenticated();
    const credit = onlyStep(h.step({ type: 'account.reserved' }));
    const resumed = onlyStep(h.step({ type: 'resume' }));
    expect(h.saga.value).toBe('crediting');
    expect(resumed.send).toEqual(credit.send);
    expect(resumed.timer.arg).toBe(h.saga.context.timerSeq);
    expect(resumed.timer.arg).not.toBe(credit.timer.arg);
  });

  it('resume after the saga is done sends nothing', () => {
    const h = new Harness();
    h.authenticated();
    h.step({ type: 'account.rejected', reason: 'FUNDS' });
    const fx = h.step({ type: 'resume' });
    expect(h.saga.value).toBe('rejected');
    expect(fx.sends).toEqual([]);
    expect(fx.timers).toEqual([]);
  });

  it('duplicate and late replies in later states are ignored', () => {
    // The end state after recording: completed, or awaitingReceipt under W11.
    for (const [config, end] of [
      [NO_RECEIPT, 'completed'],
      [PROTOCOL_DEFAULTS, 'awaitingReceipt'],
    ] as const) {
      const h = new Harness(config);
      h.authenticated();
      h.step({ type: 'account.reserved' });
      h.step({ type: 'wallet.credited' });
      const inCommitting = h.saga.context;
      for (const type of ['account.reserved', 'wallet.credited', 'liability.recorded'] as const) {
        const fx = h.step({ type });
        expect(h.saga.value).toBe('committing');
        expect(fx.sends).toEqual([]);
      }
      const rejected = h.step({ type: 'wallet.rejected', reason: 'W10' });
      expect(h.saga.value).toBe('committing');
      expect(rejected.sends).toEqual([]);
      // A late face verdict (W13) cannot undo a transfer that is already moving money.
      for (const verdict of [FAIL, PASS]) {
        expect(h.step(verdict).sends).toEqual([]);
        expect(h.saga.value).toBe('committing');
      }
      expect(h.saga.context).toEqual(inCommitting);

      h.step({ type: 'account.committed' });
      h.step({ type: 'liability.recorded' });
      for (const type of ['account.committed', 'liability.recorded', 'account.released'] as const) {
        const fx = h.step({ type });
        expect(h.saga.value).toBe(end);
        expect(fx.sends).toEqual([]);
      }
    }
  });

  it('a late account.reserved while releasing does not resurrect the transfer', () => {
    const h = new Harness();
    h.authenticated();
    h.step({ type: 'account.reserved' });
    h.step({ type: 'wallet.rejected', reason: 'W10' });
    for (const type of ['account.reserved', 'wallet.credited', 'account.committed'] as const) {
      const fx = h.step({ type });
      expect(h.saga.value).toBe('releasing');
      expect(fx.sends).toEqual([]);
    }
  });

  it('never decides "failed" on a timeout: 40 timeouts while crediting never release', () => {
    const h = new Harness();
    h.authenticated();
    h.step({ type: 'account.reserved' });
    for (let i = 0; i < 40; i++) {
      const { send, timer } = onlyStep(h.fireCurrentTimer());
      expect(send.kind).toBe('wallet.credit');
      expect(timer.at - h.now).toBeLessThanOrEqual(PROTOCOL_DEFAULTS.retryDelayMsMax);
    }
    expect(h.saga.value).toBe('crediting');
    expect(h.saga.context.reason).toBeUndefined();
    // The answer still counts when it finally arrives.
    h.step({ type: 'wallet.credited' });
    expect(h.saga.value).toBe('committing');
  });

  it('retries every other step forever too (reserve, commit, release, record)', () => {
    const reached = (h: Harness, path: Input[]) => {
      h.step({ type: 'start' });
      for (const event of path) h.step(event);
      return h;
    };
    const cases: Array<[Input[], string, string]> = [
      [[], 'authenticating', 'transfer.challenge'],
      [[PASS], 'reserving', 'account.reserve'],
      [
        [PASS, { type: 'account.reserved' }, { type: 'wallet.credited' }],
        'committing',
        'account.commit',
      ],
      [
        [PASS, { type: 'account.reserved' }, { type: 'wallet.rejected', reason: 'W10' }],
        'releasing',
        'account.release',
      ],
      [
        [
          PASS,
          { type: 'account.reserved' },
          { type: 'wallet.credited' },
          { type: 'account.committed' },
        ],
        'recording',
        'liability.record',
      ],
    ];
    for (const [path, state, kind] of cases) {
      const h = reached(new Harness(), path);
      for (let i = 0; i < 10; i++) expect(onlyStep(h.fireCurrentTimer()).send.kind).toBe(kind);
      expect(h.saga.value).toBe(state);
    }
  });
});

describe('transfer saga: W13, the donor confirms by face or password', () => {
  it('W13: a FAIL verdict ends rejected with W13 and nothing is sent to the province', () => {
    const h = new Harness();
    h.step({ type: 'start' });
    const fx = h.step(FAIL);
    expect(h.saga.value).toBe('rejected');
    expect(h.saga.status).toBe('done');
    expect(h.saga.context.reason).toBe('W13');
    expect(fx.sends).toEqual([]);
    expect(fx.timers).toEqual([]);
    // Nothing the decision points might say afterwards moves it.
    for (const type of ['account.reserved', 'wallet.credited', 'liability.recorded'] as const) {
      expect(h.step({ type }).sends).toEqual([]);
      expect(h.saga.value).toBe('rejected');
    }
    expect(h.step(PASS).sends).toEqual([]);
    expect(h.saga.value).toBe('rejected');
  });

  it('W13: replies of later steps are ignored while authenticating', () => {
    const h = new Harness();
    h.step({ type: 'start' });
    for (const event of [
      { type: 'account.reserved' },
      { type: 'account.rejected', reason: 'FUNDS' },
      { type: 'wallet.credited' },
      { type: 'liability.recorded' },
      { type: 'wallet.received' },
    ] as const) {
      expect(h.step(event).sends).toEqual([]);
      expect(h.saga.value).toBe('authenticating');
    }
    expect(h.saga.context.reason).toBeUndefined();
  });

  it('W13: the challenge is re-sent on its timer and on resume until the donor answers', () => {
    const h = new Harness();
    const first = onlyStep(h.step({ type: 'start' }));
    const retry = onlyStep(h.fireCurrentTimer());
    expect(retry.send).toEqual(first.send);
    const resumed = onlyStep(h.step({ type: 'resume' }));
    expect(resumed.send).toEqual(first.send);
    expect(h.saga.value).toBe('authenticating');
    expect(onlyStep(h.step(PASS)).send.kind).toBe('account.reserve');
  });

  it('W13: a timer at exactly startedAt + authTtlMs ends the wait rejected W13; one ms before, the challenge is re-sent', () => {
    for (const [at, expired] of [
      [TEN_AM + PROTOCOL_DEFAULTS.authTtlMs - 1, false],
      [TEN_AM + PROTOCOL_DEFAULTS.authTtlMs, true],
    ] as const) {
      const h = new Harness();
      h.step({ type: 'start' });
      h.now = at;
      const fx = h.step({ type: 'timeout', seq: h.lastTimer?.arg ?? -1 });
      if (expired) {
        expect(h.saga.value).toBe('rejected');
        expect(h.saga.context.reason).toBe('W13');
        expect(fx.sends).toEqual([]);
      } else {
        expect(h.saga.value).toBe('authenticating');
        expect(onlyStep(fx).send.kind).toBe('transfer.challenge');
      }
    }
  });

  it('W13: the challenge goes to whoever sent the request', () => {
    const h = new Harness(PROTOCOL_DEFAULTS, { ...INPUT, requester: 'app.7' });
    expect(onlyStep(h.step({ type: 'start' })).send.to).toBe('app.7');
  });
});

describe('transfer saga: W11, receipt or return at 06:00 the next day', () => {
  const RETURN_AT = DAY_MS + 6 * HOUR_MS;

  /** A saga that has recorded its liability under requireReceipt: awaitingReceipt. */
  function awaiting(): Harness {
    const h = new Harness();
    h.authenticated();
    h.step({ type: 'account.reserved' });
    h.step({ type: 'wallet.credited' });
    h.step({ type: 'account.committed' });
    return h;
  }

  it('returnAtMs is 06:00 of the day after the transfer started', () => {
    expect(returnAtMs(TEN_AM, PROTOCOL_DEFAULTS)).toBe(RETURN_AT);
    expect(returnAtMs(0, PROTOCOL_DEFAULTS)).toBe(RETURN_AT);
    expect(returnAtMs(DAY_MS - 1, PROTOCOL_DEFAULTS)).toBe(RETURN_AT);
    expect(returnAtMs(3 * DAY_MS + 21 * HOUR_MS + 59 * 60_000, PROTOCOL_DEFAULTS)).toBe(
      4 * DAY_MS + 6 * HOUR_MS,
    );
  });

  it(
    'W11: liability.recorded leads to awaitingReceipt, which sends nothing and arms one timer ' +
      'at 06:00 the next day',
    () => {
      const h = awaiting();
      const fx = h.step({ type: 'liability.recorded' });
      expect(h.saga.value).toBe('awaitingReceipt');
      expect(h.saga.status).toBe('active');
      expect(fx.sends).toEqual([]);
      expect(fx.timers).toEqual([
        { key: TIMERS.transferSaga.key('T-0001'), at: RETURN_AT, arg: h.saga.context.timerSeq },
      ]);
    },
  );

  it('W11: wallet.received while awaiting ends received, with nothing sent', () => {
    const h = awaiting();
    h.step({ type: 'liability.recorded' });
    const fx = h.step({ type: 'wallet.received' });
    expect(h.saga.value).toBe('received');
    expect(h.saga.status).toBe('done');
    expect(h.saga.context.reason).toBeUndefined();
    expect(fx.sends).toEqual([]);
    expect(fx.timers).toEqual([]);
    // A late return timer or a late answer changes nothing.
    for (const event of [
      { type: 'wallet.returned' },
      { type: 'timeout', seq: h.saga.context.timerSeq },
    ] as const) {
      expect(h.step(event).sends).toEqual([]);
      expect(h.saga.value).toBe('received');
    }
  });

  it(
    'W11: at 06:00 it settles at the recipient shard; wallet.returned refunds at the donor ' +
      'province; account.refunded reverses at settlement; liability.reversed ends returned',
    () => {
      const h = awaiting();
      h.step({ type: 'liability.recorded' });

      const settle = onlyStep(h.fireCurrentTimer());
      expect(h.now).toBe(RETURN_AT);
      expect(h.saga.value).toBe('settling');
      expect(settle.send).toEqual({
        to: 'wallet.03',
        kind: 'wallet.settle',
        corr: 'T-0001',
        body: { transferId: 'T-0001', walletId: 'recipient-1' },
      });

      const refund = onlyStep(h.step({ type: 'wallet.returned' }));
      expect(h.saga.value).toBe('refunding');
      expect(refund.send).toEqual({
        to: 'province.51',
        kind: 'account.refund',
        corr: 'T-0001',
        body: { transferId: 'T-0001' },
      });

      const reverse = onlyStep(h.step({ type: 'account.refunded' }));
      expect(h.saga.value).toBe('unrecording');
      expect(reverse.send).toEqual({
        to: 'settlement.0',
        kind: 'liability.reverse',
        corr: 'T-0001',
        body: { transferId: 'T-0001', originRegion: '510100', amount: 50_000n },
      });
      for (const step of [settle, refund, reverse])
        expect(step.timer.key).toBe(TIMERS.transferSaga.key('T-0001'));

      const done = h.step({ type: 'liability.reversed' });
      expect(h.saga.value).toBe('returned');
      expect(h.saga.status).toBe('done');
      expect(h.saga.context.reason).toBeUndefined();
      expect(done.sends).toEqual([]);
      expect(done.timers).toEqual([]);
    },
  );

  it('W11: if the settle is answered wallet.received (received just in time), nothing comes back', () => {
    const h = awaiting();
    h.step({ type: 'liability.recorded' });
    h.fireCurrentTimer();
    const fx = h.step({ type: 'wallet.received' });
    expect(h.saga.value).toBe('received');
    expect(fx.sends).toEqual([]);
  });

  it('W11: settle, refund and reverse are retried until answered', () => {
    const h = awaiting();
    h.step({ type: 'liability.recorded' });
    h.fireCurrentTimer();
    for (let i = 0; i < 5; i++)
      expect(onlyStep(h.fireCurrentTimer()).send.kind).toBe('wallet.settle');
    h.step({ type: 'wallet.returned' });
    for (let i = 0; i < 5; i++)
      expect(onlyStep(h.fireCurrentTimer()).send.kind).toBe('account.refund');
    h.step({ type: 'account.refunded' });
    for (let i = 0; i < 5; i++)
      expect(onlyStep(h.fireCurrentTimer()).send.kind).toBe('liability.reverse');
    expect(h.saga.value).toBe('unrecording');
  });

  it(
    'W11: a stale timer while awaiting does not settle; resume re-arms the 06:00 timer and sends ' +
      'nothing',
    () => {
      const h = awaiting();
      h.step({ type: 'liability.recorded' });
      const seq = h.saga.context.timerSeq;
      expect(h.step({ type: 'timeout', seq: seq - 1 }).sends).toEqual([]);
      expect(h.saga.value).toBe('awaitingReceipt');
      h.now = TEN_AM + HOUR_MS;
      const resumed = h.step({ type: 'resume' });
      expect(resumed.sends).toEqual([]);
      expect(resumed.timers).toEqual([
        { key: TIMERS.transferSaga.key('T-0001'), at: RETURN_AT, arg: h.saga.context.timerSeq },
      ]);
      expect(h.saga.context.timerSeq).not.toBe(seq);
      // The timer armed before the restart is stale now.
      expect(h.step({ type: 'timeout', seq }).sends).toEqual([]);
      expect(h.saga.value).toBe('awaitingReceipt');
      expect(onlyStep(h.fireCurrentTimer()).send.kind).toBe('wallet.settle');
    },
  );

  it('W11: the retry timer of the recording step, fired as the saga starts waiting, does not settle early', () => {
    const h = awaiting();
    const recordingTimer = h.lastTimer;
    h.step({ type: 'liability.recorded' });
    // A host may have fired the step's retry timer just before the answer came: it is stale.
    expect(h.step({ type: 'timeout', seq: recordingTimer?.arg ?? -1 }).sends).toEqual([]);
    expect(h.saga.value).toBe('awaitingReceipt');
    expect(h.saga.context.attempt).toBe(0);
  });

  it('W11: with requireReceipt false, liability.recorded completes and arms no return timer', () => {
    const h = new Harness(NO_RECEIPT);
    h.authenticated();
    h.step({ type: 'account.reserved' });
    h.step({ type: 'wallet.credited' });
    h.step({ type: 'account.committed' });
    const fx = h.step({ type: 'liability.recorded' });
    expect(h.saga.value).toBe('completed');
    expect(fx.timers).toEqual([]);
    expect(h.step({ type: 'wallet.returned' }).sends).toEqual([]);
    expect(h.saga.value).toBe('completed');
  });
});

describe('transfer saga: the debitFirst design (decision 53)', () => {
  const DEBIT_FIRST: ProtocolConfig = {
    ...PROTOCOL_DEFAULTS,
    variant: 'debitFirst',
    requireReceipt: false,
  };

  it('charges the account in one step, then credits, then records: no commit step', () => {
    const h = new Harness(DEBIT_FIRST);
    const charge = onlyStep(h.authenticated());
    expect(h.saga.value).toBe('charging');
    expect(charge.send).toEqual({
      to: 'province.51',
      kind: 'account.charge',
      corr: 'T-0001',
      body: { transferId: 'T-0001', accountId: 'donor-1', amount: 50_000n },
    });
    expect(onlyStep(h.step({ type: 'account.committed' })).send.kind).toBe('wallet.credit');
    expect(h.saga.value).toBe('creditingCharged');
    expect(onlyStep(h.step({ type: 'wallet.credited' })).send.kind).toBe('liability.record');
    h.step({ type: 'liability.recorded' });
    expect(h.saga.value).toBe('completed');
  });

  it('a refused charge ends rejected with nothing to undo', () => {
    const h = new Harness(DEBIT_FIRST);
    h.authenticated();
    const fx = h.step({ type: 'account.rejected', reason: 'FUNDS' });
    expect(h.saga.value).toBe('rejected');
    expect(h.saga.context.reason).toBe('FUNDS');
    expect(fx.sends).toEqual([]);
  });

  it('compensates a refused credit with a refund, retried until answered, then rejected', () => {
    const h = new Harness(DEBIT_FIRST);
    h.authenticated();
    h.step({ type: 'account.committed' });
    const refund = onlyStep(h.step({ type: 'wallet.rejected', reason: 'W10' }));
    expect(h.saga.value).toBe('compensating');
    expect(refund.send).toEqual({
      to: 'province.51',
      kind: 'account.refund',
      corr: 'T-0001',
      body: { transferId: 'T-0001' },
    });
    // Unanswered: the refund goes again; a timeout never decides.
    expect(onlyStep(h.fireCurrentTimer()).send.kind).toBe('account.refund');
    expect(h.saga.value).toBe('compensating');
    h.step({ type: 'account.refunded' });
    expect(h.saga.value).toBe('rejected');
    expect(h.saga.context.reason).toBe('W10');
  });
});

describe('transfer saga: the optimisticCredit design (decision 53)', () => {
  const OPTIMISTIC: ProtocolConfig = {
    ...PROTOCOL_DEFAULTS,
    variant: 'optimisticCredit',
    requireReceipt: false,
  };

  it('credits first with nothing held, then charges the account, then records', () => {
    const h = new Harness(OPTIMISTIC);
    expect(onlyStep(h.authenticated()).send.kind).toBe('wallet.credit');
    expect(h.saga.value).toBe('creditingFirst');
    const charge = onlyStep(h.step({ type: 'wallet.credited' }));
    expect(h.saga.value).toBe('chargingCredited');
    expect(charge.send.kind).toBe('account.charge');
    expect(onlyStep(h.step({ type: 'account.committed' })).send.kind).toBe('liability.record');
    h.step({ type: 'liability.recorded' });
    expect(h.saga.value).toBe('completed');
  });

  it('a refused charge claws the credit back; returned, it ends rejected with that reason', () => {
    const h = new Harness(OPTIMISTIC);
    h.authenticated();
    h.step({ type: 'wallet.credited' });
    const settle = onlyStep(h.step({ type: 'account.rejected', reason: 'FUNDS' }));
    expect(h.saga.value).toBe('clawingBack');
    expect(settle.send).toEqual({
      to: 'wallet.03',
      kind: 'wallet.settle',
      corr: 'T-0001',
      body: { transferId: 'T-0001', walletId: 'recipient-1' },
    });
    h.step({ type: 'wallet.returned' });
    expect(h.saga.value).toBe('rejected');
    expect(h.saga.context.reason).toBe('FUNDS');
  });

  it('a claw-back too late (the recipient received it) still ends: the checks report the loss', () => {
    const h = new Harness(OPTIMISTIC);
    h.authenticated();
    h.step({ type: 'wallet.credited' });
    h.step({ type: 'account.rejected', reason: 'FUNDS' });
    const fx = h.step({ type: 'wallet.received' });
    expect(h.saga.value).toBe('rejected');
    expect(fx.sends).toEqual([]);
  });

  it('a credit the wallet refuses ends rejected with nothing charged', () => {
    const h = new Harness(OPTIMISTIC);
    h.authenticated();
    const fx = h.step({ type: 'wallet.rejected', reason: 'W10' });
    expect(h.saga.value).toBe('rejected');
    expect(fx.sends).toEqual([]);
  });
});

describe("transfer saga: the broken 'timeoutFails' variant", () => {
  const broken = (giveUpAfterAttempts: number): ProtocolConfig => ({
    ...PROTOCOL_DEFAULTS,
    variant: 'timeoutFails',
    giveUpAfterAttempts,
  });

  it('gives up after giveUpAfterAttempts unanswered credits and releases with GAVE_UP', () => {
    for (const attempts of [1, 2, 3, 5]) {
      const h = new Harness(broken(attempts));
      h.authenticated();
      h.step({ type: 'account.reserved' });
      for (let i = 1; i < attempts; i++) {
        expect(onlyStep(h.fireCurrentTimer()).send.kind).toBe('wallet.credit');
        expect(h.saga.value).toBe('crediting');
      }
      const release = onlyStep(h.fireCurrentTimer());
      expect(h.saga.value, `giveUpAfterAttempts=${attempts}`).toBe('releasing');
      expect(h.saga.context.reason).toBe('GAVE_UP');
      expect(release.send).toEqual({
        to: 'province.51',
        kind: 'account.release',
        corr: 'T-0001',
        body: { transferId: 'T-0001' },
      });
      h.step({ type: 'account.released' });
      expect(h.saga.value).toBe('rejected');
      expect(h.saga.context.reason).toBe('GAVE_UP');
    }
  });

  it('stale timers do not count toward giving up', () => {
    const h = new Harness(broken(2));
    h.authenticated();
    h.step({ type: 'account.reserved' });
    const staleSeq = h.saga.context.timerSeq - 1;
    for (let i = 0; i < 5; i++) h.step({ type: 'timeout', seq: staleSeq });
    expect(h.saga.value).toBe('crediting');
    h.fireCurrentTimer();
    expect(h.saga.value).toBe('crediting');
    h.fireCurrentTimer();
    expect(h.saga.value).toBe('releasing');
  });

  it('gives up only while crediting: other steps still retry', () => {
    const h = new Harness(broken(1));
    h.step({ type: 'start' });
    for (let i = 0; i < 5; i++) h.fireCurrentTimer();
    expect(h.saga.value).toBe('authenticating');
    h.step(PASS);
    for (let i = 0; i < 5; i++) h.fireCurrentTimer();
    expect(h.saga.value).toBe('reserving');
    h.step({ type: 'account.reserved' });
    h.step({ type: 'wallet.credited' });
    for (let i = 0; i < 5; i++) h.fireCurrentTimer();
    expect(h.saga.value).toBe('committing');
  });
});

describe('retryDelayMs: deterministic, bounded backoff', () => {
  const config = PROTOCOL_DEFAULTS;

  it('gives the same delay for the same transfer id and attempt', () => {
    for (let attempt = 0; attempt < 25; attempt++) {
      expect(retryDelayMs(config, 'T-42', attempt)).toBe(retryDelayMs(config, 'T-42', attempt));
    }
  });

  it('stays within [retryDelayMsMin, retryDelayMsMax] for every id and attempt', () => {
    for (let n = 0; n < 200; n++) {
      for (const attempt of [0, 1, 2, 3, 5, 8, 13, 20, 21, 40, 1000]) {
        const delay = retryDelayMs(config, `T-${n}`, attempt);
        expect(Number.isInteger(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(config.retryDelayMsMin);
        expect(delay).toBeLessThanOrEqual(config.retryDelayMsMax);
      }
    }
  });

  it('spreads sagas that retry together (jitter differs by transfer id)', () => {
    const delays = new Set(Array.from({ length: 50 }, (_, n) => retryDelayMs(config, `T-${n}`, 2)));
    expect(delays.size).toBeGreaterThan(10);
  });

  it('honours a custom range', () => {
    const narrow = { ...config, retryDelayMsMin: 10, retryDelayMsMax: 100 };
    expect(retryDelayMs(narrow, 'x', 0)).toBeGreaterThanOrEqual(10);
    expect(retryDelayMs(narrow, 'x', 0)).toBeLessThanOrEqual(12);
    expect(retryDelayMs(narrow, 'x', 10)).toBe(100);
  });

  it('two sagas with the same id and events arm identical timers', () => {
    const run = () => {
      const h = new Harness();
      const timers = [...h.step({ type: 'start' }).timers];
      for (let i = 0; i < 6; i++) timers.push(...h.fireCurrentTimer().timers);
      return timers;
    };
    expect(run()).toEqual(run());
  });
});
