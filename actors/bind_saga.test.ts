// The binding saga (DOMAIN F1) as a pure machine driven step by step: the registry's check, the
// face challenge re-sent at most challengeResendsMax times and then awaited until bindAuthTtlMs,
// the relation recorded at the relative's shard; what it keeps of each answer; stale timers do
// nothing.
import { describe, expect, it } from 'vitest';
import type { SnapshotFrom } from 'xstate';

import { RecordingEffects } from '../testing/fakes.ts';
import {
  type BindInput,
  type BindSagaMachine,
  createBindSagaMachine,
} from './bind_saga.machine.ts';
import { PROTOCOL_DEFAULTS } from './config.ts';
import { MachineDriver } from './machine_driver.ts';
import { TIMERS } from './timers.ts';

const TEN_AM = 36_000_000;
const INPUT: BindInput = {
  bindId: 'B-1',
  donorId: 'donor-1',
  donorRegion: '510100',
  relativeId: 'rel-1',
  name: '张三',
  idNo: '510100199001011234',
  kinship: 'SPOUSE',
  registry: 'province.51',
  relativeShard: 'wallet.02',
  requester: 'app.0',
  startedAt: TEN_AM,
};
const KEY = TIMERS.bindSaga.key('B-1');
const { bindAuthTtlMs, challengeResendsMax, retryDelayMsMax } = PROTOCOL_DEFAULTS;

type Event =
  | { type: 'start' | 'resume' }
  | { type: 'identity.verified'; region: string }
  | { type: 'identity.refused'; reason: 'E2' }
  | { type: 'bind.confirm'; verdict: 'PASS' | 'FAIL' }
  | { type: 'relation.added'; open: 'Y' | 'N' }
  | { type: 'timeout'; seq: number };

class Harness {
  readonly driver = new MachineDriver<BindSagaMachine>(createBindSagaMachine(PROTOCOL_DEFAULTS));
  saga: SnapshotFrom<BindSagaMachine> = this.driver.initial(INPUT);
  now = TEN_AM;
  timer: { key: string; at: number; arg: number } | undefined;

  step(event: Event): RecordingEffects {
    const fx = new RecordingEffects();
    this.saga = this.driver.step(this.saga, { ...event, now: this.now, fx } as never);
    this.timer = fx.timers.at(-1) ?? this.timer;
    return fx;
  }

  fire(): RecordingEffects {
    const armed = this.timer;
    if (armed === undefined) throw new Error('no timer armed');
    this.now = armed.at;
    return this.step({ type: 'timeout', seq: armed.arg });
  }

  challenging(): this {
    this.step({ type: 'start' });
    this.step({ type: 'identity.verified', region: '320500' });
    return this;
  }
}

describe('binding saga (F1)', () => {
  it('verifies, challenges, adds: each step sent once with a retry timer ahead of now', () => {
    const h = new Harness();
    const verify = h.step({ type: 'start' });
    expect(verify.sends).toEqual([
      {
        to: 'province.51',
        kind: 'identity.verify',
        corr: 'B-1',
        body: {
          bindId: 'B-1',
          donorId: 'donor-1',
          relativeId: 'rel-1',
          name: '张三',
          idNo: '510100199001011234',
          kinship: 'SPOUSE',
        },
      },
    ]);
    for (const fx of [verify, h.step({ type: 'identity.verified', region: '320500' })]) {
      const [timer] = fx.timers;
      expect(timer?.key).toBe(KEY);
      expect(timer?.at).toBeGreaterThan(h.now);
      expect(timer?.at).toBeLessThanOrEqual(h.now + retryDelayMsMax);
    }
    expect(h.saga.value).toBe('challenging');
    expect(h.saga.context.relativeRegion).toBe('320500');
    const add = h.step({ type: 'bind.confirm', verdict: 'PASS' });
    expect(add.sends).toEqual([
      {
        to: 'wallet.02',
        kind: 'relation.add',
        corr: 'B-1',
        body: {
          bindId: 'B-1',
          donorId: 'donor-1',
          recipientId: 'rel-1',
          kinship: 'SPOUSE',
          donorRegion: '510100',
        },
      },
    ]);
    h.step({ type: 'relation.added', open: 'N' });
    expect(h.saga.value).toBe('active');
    expect(h.saga.context.relativeOpen).toBe('N');
    expect(h.saga.context.reason).toBeUndefined();
  });

  it("the registry's refusal ends refused with its reason, and no region is kept", () => {
    const h = new Harness();
    h.step({ type: 'start' });
    h.step({ type: 'identity.refused', reason: 'E2' });
    expect(h.saga.value).toBe('refused');
    expect(h.saga.context.reason).toBe('E2');
    expect(h.saga.context.relativeRegion).toBeUndefined();
  });

  it('a failed face check ends rejected E5', () => {
    const h = new Harness().challenging();
    expect(h.step({ type: 'bind.confirm', verdict: 'FAIL' }).sends).toEqual([]);
    expect(h.saga.value).toBe('rejected');
    expect(h.saga.context.reason).toBe('E5');
  });

  it(`the challenge is re-sent ${challengeResendsMax} times on its timer, then awaited until the deadline, when it expires`, () => {
    const h = new Harness().challenging();
    for (let i = 0; i < challengeResendsMax; i++) {
      const fx = h.fire();
      expect(fx.sent('bind.challenge')).toEqual([
        {
          to: 'app.0',
          kind: 'bind.challenge',
          corr: 'B-1',
          body: { bindId: 'B-1', donorId: 'donor-1', relativeId: 'rel-1' },
        },
      ]);
    }
    expect(h.timer?.at).toBe(TEN_AM + bindAuthTtlMs);
    const expired = h.fire();
    expect(expired.sends).toEqual([]);
    expect(h.saga.value).toBe('expired');
    expect(h.saga.context.reason).toBe('BIND_EXPIRED');
  });

  it('a stale timer while challenging re-sends nothing and uses no re-send', () => {
    const h = new Harness().challenging();
    const stale = (h.timer?.arg ?? 0) - 1;
    h.now += 1_000;
    expect(h.step({ type: 'timeout', seq: stale }).sends).toEqual([]);
    expect(h.saga.context.attempt).toBe(0);
    expect(h.fire().sends).toHaveLength(1);
  });

  it('a verification retried before the answer still leaves the challenge all its re-sends', () => {
    const h = new Harness();
    h.step({ type: 'start' });
    h.fire();
    h.fire();
    h.step({ type: 'identity.verified', region: '320500' });
    for (let i = 0; i < challengeResendsMax; i++) expect(h.fire().sends).toHaveLength(1);
    expect(h.timer?.at).toBe(TEN_AM + bindAuthTtlMs);
  });

  it('resume re-sends the challenge while re-sends are left; after, it only re-arms the deadline', () => {
    const h = new Harness().challenging();
    for (let i = 0; i < challengeResendsMax; i++)
      expect(h.step({ type: 'resume' }).sent('bind.challenge')).toHaveLength(1);
    const last = h.step({ type: 'resume' });
    expect(last.sends).toEqual([]);
    expect(last.timers).toEqual([
      { key: KEY, at: TEN_AM + bindAuthTtlMs, arg: h.saga.context.timerSeq },
    ]);
    h.now = TEN_AM + bindAuthTtlMs;
    h.step({ type: 'resume' });
    expect(h.saga.value).toBe('expired');
  });
});
