// Checks the bill saga (DOMAIN F3, D1–D11) as a pure machine driven step by step, with a fake
// wallet port whose answers come back as follow-up events of the same step (as the shard's saga
// table delivers them): each step goes to the province that owns it with what it needs; a settled
// bill records its clearing lines one at a time, only the current line's answer moving it on; a
// cancellation or reversal that arrives while a step is in flight is acted on after it; and a
// pre-settlement expires on its own timer only, re-armed after a restart.
import { describe, expect, it } from 'vitest';
import type { SnapshotFrom } from 'xstate';

import { type Fen, NO_AID } from '../protocol/index.ts';
import { RecordingEffects } from '../testing/fakes.ts';
import {
  BILL_OUTCOME_OF_STATE,
  type BillEvent,
  type BillInput,
  type BillSagaMachine,
  type BillWalletPort,
  createBillSagaMachine,
  familyAidOf,
} from './bill_saga.machine.ts';
import { PROTOCOL_DEFAULTS } from './config.ts';
import { MachineDriver } from './machine_driver.ts';
import type { Spent } from './saga_steps.ts';
import { TIMERS } from './timers.ts';

type Bill = SnapshotFrom<BillSagaMachine>;
type Carried = 'now' | 'fx' | 'wallet' | 'followUp';
type Input = BillEvent extends infer E ? (E extends BillEvent ? Omit<E, Carried> : never) : never;

const TEN_AM = 36_000_000;
const BILL = 'BILL-1';
const INPUT: BillInput = {
  billId: BILL,
  personId: 'patient-1',
  insuredProvince: 'province.51',
  treatmentRegion: '320500',
  care: 'outpatient',
  disease: 'J00',
  total: 10_000n,
  eligible: 10_000n,
  emergency: 'N',
  networked: 'Y',
  useWallet: 'Y',
  requester: 'pos.1',
  startedAt: TEN_AM,
  month: 202605,
  scope: 'crossProvince',
  insuredRegion: '510100',
  aidBy: NO_AID,
  aidRegion: '',
  aidReason: undefined,
  aidScope: 'sameRegion',
};
/** A relative in Guangdong whose active relation allows family aid. */
const WITH_AID: BillInput = {
  ...INPUT,
  aidBy: 'relative-1',
  aidRegion: '440300',
  aidScope: 'crossProvince',
};

/** The patient's wallet: holds up to its balance, all of it received from one origin region. */
class FakeWallet implements BillWalletPort {
  readonly calls: string[] = [];
  private held = 0n;

  constructor(
    private readonly balance: Fen,
    private readonly origin = '110100',
  ) {}

  hold(billId: string, max: Fen, spendRegion: string): Fen {
    this.calls.push(`hold ${billId} ${max} ${spendRegion}`);
    this.held = max < this.balance ? max : this.balance;
    return this.held;
  }

  commit(billId: string): Spent {
    this.calls.push(`commit ${billId}`);
    return this.held > 0n ? [{ originRegion: this.origin, amount: this.held }] : [];
  }

  release(billId: string): void {
    this.calls.push(`release ${billId}`);
  }

  undo(billId: string): void {
    this.calls.push(`undo ${billId}`);
  }
}

/** One bill on its own driver; each step runs the wallet's follow-up answers right after it. */
class Harness {
  readonly driver: MachineDriver<BillSagaMachine>;
  readonly fx = new RecordingEffects();
  bill: Bill;
  now = TEN_AM;

  constructor(
    readonly wallet = new FakeWallet(1_500n),
    input: BillInput = INPUT,
  ) {
    this.driver = new MachineDriver(createBillSagaMachine(PROTOCOL_DEFAULTS));
    this.bill = this.driver.initial(input);
  }

  /** Deliver one event (and the wallet's answers it causes) on fresh effects. */
  step(event: Input) {
    this.fx.clear();
    const followUps: BillEvent[] = [];
    const followUp = (next: BillEvent) => followUps.push(next);
    const carrier = { now: this.now, fx: this.fx, wallet: this.wallet, followUp };
    this.bill = this.driver.step(this.bill, { ...event, ...carrier } as BillEvent);
    for (let next = followUps.shift(); next !== undefined; next = followUps.shift())
      this.bill = this.driver.step(this.bill, next);
    return this.fx;
  }

  /** The messages of the last step, as `kind to body`. */
  sent() {
    return this.fx.sends.map(({ kind, to, body }) => ({ kind, to, body }));
  }

  /** start, and the province's split: 6000 fund, 2000 account, 2000 left for the wallet/cash. */
  presettled(remainder = 2_000n, fundPay = 6_000n, acctPay = 2_000n) {
    this.step({ type: 'start' });
    this.step({ type: 'bill.reserved', fundPay, acctPay, remainder });
  }

  /** presettled, settled by the POS, each province's step done: the saga records its lines. */
  paid(...split: Parameters<Harness['presettled']>) {
    this.presettled(...split);
    this.step({ type: 'bill.settle' });
    this.step({ type: 'bill.committed' });
    return this.step({ type: 'provider.paid' });
  }

  /** Answer every line the saga sends for recording, from `first`, until it stops asking. */
  recordAll(first = lineOf(this.fx)) {
    const ids: string[] = [];
    for (let id = first; id !== undefined; id = lineOf(this.fx)) {
      ids.push(id);
      this.step({ type: 'settlement.recorded', lineId: id });
    }
    return ids;
  }
}

/** The line id a step sends to be recorded (or taken back), if any. */
function lineOf(fx: RecordingEffects): string | undefined {
  const send = fx.sends.find((s) => /^settlement\.(record|back|unrecord|unback)$/.test(s.kind));
  return send === undefined ? undefined : (send.body as { lineId: string }).lineId;
}

describe('bill saga: settle and reverse', () => {
  it('sends each step to its province with what it needs, and records every line once', () => {
    const h = new Harness();
    h.presettled();
    expect(h.bill.value).toBe('presettled');
    expect(h.wallet.calls).toEqual(['hold BILL-1 2000 320500']);

    h.step({ type: 'bill.settle' });
    expect(h.bill.value).toBe('committing');
    // The insured province commits the account share in the bill's settlement month.
    expect(h.sent()).toEqual([
      { kind: 'bill.commit', to: 'province.51', body: { billId: BILL, month: 202605 } },
    ]);

    h.step({ type: 'bill.committed' });
    expect(h.bill.value).toBe('paying');
    h.step({ type: 'provider.paid' });
    expect(h.bill.value).toBe('recording');
    expect(h.recordAll()).toEqual(['BILL-1.m', 'BILL-1.b0', 'BILL-1.w0']);
    expect(h.bill.value).toBe('settled');
    expect(h.sent()).toEqual([{ kind: 'bill.settled', to: 'pos.1', body: { billId: BILL } }]);
  });

  it('ignores a recorded answer for a line other than the one it waits for', () => {
    const h = new Harness();
    h.paid();
    h.step({ type: 'settlement.recorded', lineId: 'BILL-1.m' });
    expect(lineOf(h.fx)).toBe('BILL-1.b0');

    // A duplicate of the first line's answer, and one for a line not sent yet: nothing moves.
    for (const lineId of ['BILL-1.m', 'BILL-1.w0']) {
      const fx = h.step({ type: 'settlement.recorded', lineId });
      expect(h.bill.value).toBe('recording');
      expect(h.bill.context.lineAt).toBe(1);
      expect(fx.sends).toEqual([]);
    }
    h.step({ type: 'settlement.recorded', lineId: 'BILL-1.b0' });
    expect(h.recordAll()).toEqual(['BILL-1.w0']);
    expect(h.bill.value).toBe('settled');
  });

  it('reverses a settled bill: refunds each step, takes every line back last first', () => {
    const h = new Harness();
    h.paid();
    h.recordAll();
    expect(h.bill.value).toBe('settled');

    h.step({ type: 'bill.reverse' });
    expect(h.bill.value).toBe('unwinding');
    expect(h.wallet.calls.at(-1)).toBe('undo BILL-1');
    expect(h.sent()).toEqual([{ kind: 'bill.refund', to: 'province.51', body: { billId: BILL } }]);

    h.step({ type: 'bill.refunded' });
    expect(h.bill.value).toBe('unpaying');
    // K6: the treatment region's province refunds its provider.
    expect(h.sent()).toEqual([
      { kind: 'provider.refund', to: 'province.32', body: { billId: BILL } },
    ]);

    const ids: string[] = [];
    let fx = h.step({ type: 'provider.refunded' });
    for (let id = lineOf(fx); id !== undefined; id = lineOf(fx)) {
      ids.push(id);
      fx = h.step({ type: 'settlement.unrecorded', lineId: id });
    }
    expect(ids).toEqual(['BILL-1.w0', 'BILL-1.b0', 'BILL-1.m']);
    expect(h.bill.value).toBe('reversed');
    expect(BILL_OUTCOME_OF_STATE[String(h.bill.value)]).toBe('reversed');
    expect(h.sent()).toEqual([{ kind: 'bill.reversed', to: 'pos.1', body: { billId: BILL } }]);
  });

  it('a bill the fund and account pay nothing of has no medical line', () => {
    const h = new Harness();
    h.paid(10_000n, 0n, 0n);
    expect(h.recordAll()).toEqual(['BILL-1.b0', 'BILL-1.w0']);
    expect(h.bill.value).toBe('settled');
  });

  it('does not ask the wallet when the province leaves nothing to pay', () => {
    const h = new Harness();
    h.presettled(0n, 8_000n, 2_000n);
    expect(h.bill.value).toBe('presettled');
    expect(h.wallet.calls).toEqual([]);
    expect(h.sent()).toEqual([
      {
        kind: 'bill.presettled',
        to: 'pos.1',
        body: {
          billId: BILL,
          fundPay: 8_000n,
          acctPay: 2_000n,
          acctMulaidPay: 0n,
          cashPay: 0n,
          month: 202605,
        },
      },
    ]);
  });
});

describe('bill saga: an undo while a step is in flight', () => {
  it('a cancellation while reserving: the wallet is not asked, the share is released', () => {
    const h = new Harness();
    h.step({ type: 'start' });
    expect(h.step({ type: 'bill.cancel' }).sends).toEqual([]);
    expect(h.bill.value).toBe('reserving');

    h.step({ type: 'bill.reserved', fundPay: 6_000n, acctPay: 2_000n, remainder: 2_000n });
    expect(h.bill.value).toBe('releasing');
    expect(h.wallet.calls).toEqual(['release BILL-1']);
    expect(h.sent()).toEqual([{ kind: 'bill.release', to: 'province.51', body: { billId: BILL } }]);

    h.step({ type: 'bill.released' });
    expect(h.bill.value).toBe('cancelled');
    expect(h.sent()).toEqual([{ kind: 'bill.cancelled', to: 'pos.1', body: { billId: BILL } }]);
  });

  it("a cancellation while the relative's province holds: its hold is released too", () => {
    const h = new Harness(new FakeWallet(500n), WITH_AID);
    h.presettled();
    expect(h.bill.value).toBe('aiding');
    h.step({ type: 'bill.cancel' });
    h.step({ type: 'aid.reserved', amount: 1_000n, region: '440300' });
    expect(h.bill.value).toBe('releasing');

    h.step({ type: 'bill.released' });
    expect(h.bill.value).toBe('aidReleasing');
    expect(h.sent()).toEqual([{ kind: 'aid.release', to: 'province.44', body: { billId: BILL } }]);
    h.step({ type: 'aid.released' });
    expect(h.bill.value).toBe('cancelled');
  });

  it("a reversal while recording: the bill settles, then unwinds the relative's payment too", () => {
    const h = new Harness(new FakeWallet(500n), WITH_AID);
    h.presettled();
    h.step({ type: 'aid.reserved', amount: 1_000n, region: '440300' });
    h.step({ type: 'bill.settle' });
    h.step({ type: 'bill.committed' });
    h.step({ type: 'aid.committed' });
    const first = lineOf(h.step({ type: 'provider.paid' }));
    h.step({ type: 'bill.reverse' });
    expect(h.bill.value).toBe('recording');

    expect(h.recordAll(first)).toEqual(['BILL-1.m', 'BILL-1.f', 'BILL-1.b0', 'BILL-1.w0']);
    expect(h.bill.value).toBe('unwinding');
    expect(h.fx.sent('bill.refund')).toHaveLength(1);

    h.step({ type: 'bill.refunded' });
    expect(h.bill.value).toBe('aidRefunding');
    expect(h.sent()).toEqual([{ kind: 'aid.refund', to: 'province.44', body: { billId: BILL } }]);
  });
});

describe('bill saga: a pre-settlement waiting for its POS', () => {
  const key = TIMERS.billSaga.key(BILL);
  const expiry = TEN_AM + PROTOCOL_DEFAULTS.presettleTtlMs;

  it('expires on its own timer only; a restart re-arms it under a new sequence', () => {
    const h = new Harness();
    h.step({ type: 'start' });
    const reserveTimer = h.fx.timers.at(-1);
    h.step({ type: 'bill.reserved', fundPay: 6_000n, acctPay: 2_000n, remainder: 2_000n });
    const armed = h.fx.timers.at(-1);
    expect(armed).toMatchObject({ key, at: expiry });
    if (reserveTimer === undefined || armed === undefined) throw new Error('no timer armed');

    // The reserving step's timer fires late: stale, the bill still waits.
    h.now = reserveTimer.at;
    const stale = h.step({ type: 'timeout', seq: reserveTimer.arg });
    expect(h.bill.value).toBe('presettled');
    expect(stale.sends).toEqual([]);

    // After a restart the expiry is armed again, under a new sequence: the old one is stale.
    h.now = TEN_AM + 60_000;
    expect(h.step({ type: 'resume' }).timers).toEqual([{ key, at: expiry, arg: armed.arg + 1 }]);
    h.now = expiry;
    h.step({ type: 'timeout', seq: armed.arg });
    expect(h.bill.value).toBe('presettled');

    h.step({ type: 'timeout', seq: armed.arg + 1 });
    expect(h.bill.value).toBe('releasing');
    expect(h.bill.context.undo).toBe('expired');
  });
});

describe('bill saga: family aid as the bill reports it', () => {
  it('reports no family aid for a bill no relative was asked to pay', () => {
    const h = new Harness();
    h.presettled();
    expect(familyAidOf(h.bill.context)).toBeUndefined();
  });

  it("reports the relation's scope and what the relative's account pays", () => {
    const h = new Harness(new FakeWallet(500n), WITH_AID);
    h.presettled();
    h.step({ type: 'aid.reserved', amount: 1_000n, region: '440300' });
    expect(familyAidOf(h.bill.context)).toEqual({
      scope: 'crossProvince',
      pay: 1_000n,
      reason: undefined,
    });
  });
});
