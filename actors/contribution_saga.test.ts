// The resident-contribution saga (DOMAIN F4) as a pure machine driven step by step: the fund's
// claim, then the payer's account debit (C2) or the person's own wallet (C3), then the claim
// confirmed, or released when the payment fails; a wallet payment records its clearing lines
// (K9) one at a time, and only the answer for the line in flight moves it on.
import { describe, expect, it } from 'vitest';
import type { SnapshotFrom } from 'xstate';

import type { TransferSource } from '../protocol/index.ts';
import { RecordingEffects } from '../testing/fakes.ts';
import { PROTOCOL_DEFAULTS } from './config.ts';
import {
  type ContributionInput,
  type ContributionSagaMachine,
  createContributionSagaMachine,
} from './contribution_saga.machine.ts';
import { MachineDriver } from './machine_driver.ts';
import type { Spent } from './saga_steps.ts';

const INPUT: ContributionInput = {
  payId: 'P-1',
  payerId: 'payer-1',
  personId: 'person-1',
  year: 2025,
  source: 'ACCOUNT',
  idNo: '320500199001011234',
  fund: 'province.32',
  payerProvince: 'province.51',
  personRegion: '320500',
  requester: 'app.0',
  month: 202501,
  scope: 'crossProvince',
};

type Event =
  | { type: 'start' | 'resume' | 'account.debited' | 'tax.confirmed' | 'tax.released' }
  | { type: 'tax.claimed'; amount: bigint }
  | { type: 'tax.refused' | 'account.debitRefused'; reason: 'E2' | 'FUNDS' }
  | { type: 'settlement.recorded'; lineId: string };

/** One saga on its own driver; the person's wallet spends `spent`, or is short if undefined. */
class Harness {
  readonly driver = new MachineDriver<ContributionSagaMachine>(
    createContributionSagaMachine(PROTOCOL_DEFAULTS),
  );
  saga: SnapshotFrom<ContributionSagaMachine>;
  readonly paid: Array<{ payId: string; amount: bigint; region: string }> = [];

  constructor(
    source: TransferSource,
    private readonly spent?: Spent,
  ) {
    this.saga = this.driver.initial({ ...INPUT, source });
  }

  /** Deliver one event, then the wallet's answers of the same step; returns that step's effects. */
  step(event: Event): RecordingEffects {
    const fx = new RecordingEffects();
    const followUps: object[] = [];
    const wallet = {
      pay: (payId: string, amount: bigint, region: string) => {
        this.paid.push({ payId, amount, region });
        return this.spent;
      },
    };
    const carrier = { now: 0, fx, wallet, followUp: (e: object) => followUps.push(e) };
    for (let next: object | undefined = { ...event, ...carrier }; next; next = followUps.shift())
      this.saga = this.driver.step(this.saga, next as never);
    return fx;
  }

  claimed(amount = 40_000n): RecordingEffects {
    this.step({ type: 'start' });
    return this.step({ type: 'tax.claimed', amount });
  }
}

describe('contribution saga (F4)', () => {
  it('from the account: claims, debits the amount claimed, confirms the claim by its payId', () => {
    const h = new Harness('ACCOUNT');
    const debit = h.claimed(38_000n);
    expect(debit.sends).toEqual([
      {
        to: 'province.51',
        kind: 'account.debit',
        corr: 'P-1',
        body: { payId: 'P-1', accountId: 'payer-1', amount: 38_000n },
      },
    ]);
    const confirm = h.step({ type: 'account.debited' });
    expect(confirm.sends).toEqual([
      { to: 'province.32', kind: 'tax.confirm', corr: 'P-1', body: { payId: 'P-1' } },
    ]);
    h.step({ type: 'tax.confirmed' });
    expect(h.saga.value).toBe('paid');
  });

  it('a refused debit releases the claim by its payId and ends rejected with the reason', () => {
    const h = new Harness('ACCOUNT');
    h.claimed();
    const release = h.step({ type: 'account.debitRefused', reason: 'FUNDS' });
    expect(release.sends).toEqual([
      { to: 'province.32', kind: 'tax.release', corr: 'P-1', body: { payId: 'P-1' } },
    ]);
    h.step({ type: 'tax.released' });
    expect(h.saga.value).toBe('rejected');
    expect(h.saga.context.reason).toBe('FUNDS');
  });

  it('a wallet short of money releases the claim, FUNDS', () => {
    const h = new Harness('WALLET', undefined);
    const release = h.claimed(40_000n);
    expect(h.paid).toEqual([{ payId: 'P-1', amount: 40_000n, region: '320500' }]);
    expect(release.sent('tax.release')).toEqual([
      { to: 'province.32', kind: 'tax.release', corr: 'P-1', body: { payId: 'P-1' } },
    ]);
    expect(h.saga.value).toBe('releasing');
    expect(h.saga.context.reason).toBe('FUNDS');
  });

  it('K9: wallet lines are recorded one at a time; an answer for another line moves nothing', () => {
    const spent = [
      { originRegion: '510100', amount: 30_000n },
      { originRegion: '440300', amount: 10_000n },
    ];
    const h = new Harness('WALLET', spent);
    h.claimed(40_000n);
    expect(h.saga.value).toBe('confirming');
    const first = h.step({ type: 'tax.confirmed' });
    expect(first.sends.map((s) => s.kind)).toEqual(['settlement.back']);
    expect(h.saga.context.lineAt).toBe(0);

    // The answer for a later line, before the current one: nothing moves, nothing is sent.
    expect(h.step({ type: 'settlement.recorded', lineId: 'P-1.w0' }).sends).toEqual([]);
    expect(h.saga.value).toBe('recording');
    expect(h.saga.context.lineAt).toBe(0);

    const order = ['P-1.b0', 'P-1.w0', 'P-1.b1', 'P-1.w1'];
    expect(h.saga.context.lines.map((l) => l.lineId)).toEqual(order);
    for (const [i, lineId] of order.entries()) {
      const fx = h.step({ type: 'settlement.recorded', lineId });
      if (i === order.length - 1) break;
      expect(fx.sends.map((s) => s.body)).toEqual([
        expect.objectContaining({ lineId: order[i + 1] }),
      ]);
      // A repeated answer for the line just recorded moves nothing either.
      expect(h.step({ type: 'settlement.recorded', lineId }).sends).toEqual([]);
      expect(h.saga.context.lineAt).toBe(i + 1);
    }
    expect(h.saga.value).toBe('paid');
  });
});
