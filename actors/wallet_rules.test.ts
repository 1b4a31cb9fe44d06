// Checks the wallet rules (DOMAIN §2.2 W6, W7, W8, W10, W12 and §2.1 E2) through a whole wallet
// shard, as the app and the other actors see it: the reply to every transfer.request and
// wallet.credit, whether a saga starts (its first step is the W13 challenge to the requesting
// app; nothing reaches the donor's province before a PASS), what is written and posted. Also
// checks dedup per transfer id (a retried request or credit gets the first answer and changes
// nothing), that the broken 'noDedup' variant really credits twice, and that a shard rebuilt
// from its written records resumes its unfinished sagas. The newer rules (W5, W11, W13, W14,
// W19, E1, E3–E8, binding) are in test/domain_rules.test.ts.
import { describe, expect, it } from 'vitest';

import type { AnyEnvelope, Fen, Reason, RelationEnding } from '../protocol/index.ts';
import { NO_AID } from '../protocol/index.ts';
import { activeRelation as active, envelope, RecordingEffects } from '../testing/fakes.ts';
import type { ProtocolConfig } from './config.ts';
import { DAY_MS, PROTOCOL_DEFAULTS } from './config.ts';
import type { Fact } from './effects.ts';
import { RECORDS } from './records.ts';
import { TIMERS } from './timers.ts';
import type { Relation, WalletInput, WalletStatus } from './wallet.ts';
import { balanceOf } from './wallet.ts';
import { WalletMachines, WalletShardActor } from './wallet_shard.actor.ts';

const SHARD = 'wallet.00';
const APP = 'app.0';
const DONOR_PROVINCE = 'province.51';
const TEN_AM = 36_000_000;
const config: ProtocolConfig = { ...PROTOCOL_DEFAULTS, walletShardCount: 1 };

const RELATIONS: Record<string, Relation> = {
  child: active('CHILD', '510100', 'B-child'),
  spouse: active('SPOUSE', '320500', 'B-spouse'),
  parent: active('PARENT', '510700', 'B-parent'),
  sibling: active('SIBLING', '110100', 'B-sibling'),
  grandchild: active('GRANDCHILD_MATERNAL', '510100', 'B-grandchild'),
  inlaw: active('PARENT_IN_LAW', '510100', 'B-inlaw'),
  unopened: active('CHILD', '510100', 'B-unopened'),
};

/**
 * The donor (an EBMI member, E1) holds RELATIONS; each relative holds the recipient side of its
 * relation with the donor, and one with 'someone' (a donor on another shard, in Shenzhen 440300)
 * whose credits the W10 and dedup tests send straight to the shard.
 */
function wallet(walletId: string, status: WalletStatus = 'active'): WalletInput {
  const isDonor = walletId === 'donor';
  const relation = RELATIONS[walletId];
  const donors: Record<string, Relation> =
    isDonor || relation === undefined
      ? {}
      : {
          donor: { ...relation, region: '510100' },
          someone: active(relation.kinship, '440300', `B-someone-${walletId}`),
        };
  return {
    walletId,
    region: '510100',
    status,
    ebmi: isDonor,
    relations: isDonor ? RELATIONS : {},
    donors,
  };
}

/** A shard holding the donor, its relatives' wallets and one unopened wallet. */
class Shard {
  readonly machines: WalletMachines;
  readonly opening: Map<string, unknown>;
  actor: WalletShardActor;
  /** Every write since the start, across steps: the shard's durable history. */
  readonly history = new RecordingEffects();

  constructor(cfg: ProtocolConfig = config) {
    this.machines = new WalletMachines(cfg);
    const inputs = [
      wallet('donor'),
      ...['child', 'spouse', 'parent', 'sibling', 'grandchild', 'inlaw'].map((id) => wallet(id)),
      wallet('unopened', 'unopened'),
    ];
    this.opening = new Map(
      inputs.map((w) => [RECORDS.wallet.key(w.walletId), this.machines.openingSnapshot(w)]),
    );
    this.actor = new WalletShardActor(SHARD, this.opening, this.machines);
  }

  /** One step on fresh effects, so what a test keeps describes that step alone. */
  private run(step: (fx: RecordingEffects) => void): RecordingEffects {
    const fx = new RecordingEffects();
    step(fx);
    for (const w of fx.writes) this.history.write(w.key, w.value);
    return fx;
  }

  handle(env: AnyEnvelope, now = TEN_AM) {
    return this.run((fx) => this.actor.handle(env, now, fx));
  }

  request(transferId: string, recipientId: string, amount: Fen, now = TEN_AM) {
    const body = { transferId, donorId: 'donor', recipientId, amount, source: 'ACCOUNT' as const };
    const env = envelope('transfer.request', APP, SHARD, transferId, body, now);
    return this.handle(env, now);
  }

  credit(transferId: string, walletId: string, amount: Fen, now = TEN_AM) {
    const body = { transferId, walletId, donorId: 'someone', originRegion: '440300', amount };
    const env = envelope('wallet.credit', 'wallet.05', SHARD, transferId, body, now);
    return this.handle(env, now);
  }

  /** The donor's answer to the W13 challenge, from the app that asked. */
  auth(transferId: string, verdict: 'PASS' | 'FAIL' = 'PASS', now = TEN_AM) {
    const body = { transferId, method: 'FACE' as const, verdict };
    return this.handle(envelope('transfer.auth', APP, SHARD, transferId, body, now), now);
  }

  /** A decision point's reply to the saga of `transferId`. */
  reply(
    kind:
      | 'account.reserved'
      | 'account.committed'
      | 'account.released'
      | 'wallet.credited'
      | 'liability.recorded'
      | 'wallet.received',
    transferId: string,
    now = TEN_AM,
  ) {
    const env = envelope(kind, 'elsewhere.0', SHARD, transferId, { transferId }, now);
    return this.handle(env, now);
  }

  rejectReserve(transferId: string, reason: Reason, now = TEN_AM) {
    const body = { transferId, reason };
    const env = envelope('account.rejected', DONOR_PROVINCE, SHARD, transferId, body, now);
    return this.handle(env, now);
  }

  /**
   * Drive the saga of `transferId` through every step to completed: with requireReceipt (W11)
   * the transfer is then complete but awaits its receipt (see `received`).
   */
  complete(transferId: string, now = TEN_AM) {
    this.auth(transferId, 'PASS', now);
    this.reply('account.reserved', transferId, now);
    this.reply('wallet.credited', transferId, now);
    this.reply('account.committed', transferId, now);
    return this.reply('liability.recorded', transferId, now);
  }

  /** The recipient's shard reports the credit received (W11): the saga ends received. */
  received(transferId: string, now = TEN_AM) {
    return this.reply('wallet.received', transferId, now);
  }

  recover(now = TEN_AM) {
    return this.run((fx) => this.actor.recover(now, fx));
  }

  /** Replace the live actor by one rebuilt from the opening records and every write since. */
  rebuild(): void {
    this.actor = new WalletShardActor(SHARD, this.history.applyTo(this.opening), this.machines);
  }

  balanceOf(walletId: string): Fen | undefined {
    const wallet = this.actor.wallets.get(walletId);
    return wallet === undefined ? undefined : balanceOf(wallet.context);
  }
}

/** Accepted: the saga has started and challenged the requesting app (W13), nothing else yet. */
function expectAccepted(fx: RecordingEffects, transferId: string, s: Shard): void {
  expect(fx.sent('transfer.accepted')).toEqual([
    { to: APP, kind: 'transfer.accepted', corr: transferId, body: { transferId } },
  ]);
  expect(fx.sent('transfer.refused')).toEqual([]);
  expect(fx.sent('transfer.challenge')).toEqual([
    {
      to: APP,
      kind: 'transfer.challenge',
      corr: transferId,
      body: { transferId, donorId: 'donor' },
    },
  ]);
  expect(fx.sends).toHaveLength(2);
  expect(fx.sent('account.reserve')).toEqual([]);
  expect(s.actor.hasSaga(transferId)).toBe(true);
  expect(s.actor.transfers.get(transferId)?.value).toBe('authenticating');
}

/** After the donor's PASS the saga reserves at the donor's province. */
function expectReserving(fx: RecordingEffects, transferId: string, s: Shard): void {
  expect(fx.sent('account.reserve')).toHaveLength(1);
  expect(fx.sent('account.reserve')[0]?.to).toBe(DONOR_PROVINCE);
  expect(s.actor.transfers.get(transferId)?.value).toBe('reserving');
}

function expectRefused(fx: RecordingEffects, transferId: string, reason: Reason, s: Shard): void {
  expect(fx.sends).toEqual([
    { to: APP, kind: 'transfer.refused', corr: transferId, body: { transferId, reason } },
  ]);
  expect(fx.timers).toEqual([]);
  expect(fx.events).toEqual([]);
  expect(s.actor.hasSaga(transferId)).toBe(false);
}

const at = (day: number, hours: number, minutes = 0, ms = 0) =>
  day * DAY_MS + hours * 3_600_000 + minutes * 60_000 + ms;

describe('W7: at most 2000 yuan per transfer', () => {
  it('W7: a 2000.01 transfer is refused and nothing moves', () => {
    const s = new Shard();
    const fx = s.request('T-1', 'child', 200_001n);
    expectRefused(fx, 'T-1', 'W7', s);
    expect(fx.sent('account.reserve')).toEqual([]);
    expect(s.actor.transfers.snapshots.size).toBe(0);
  });

  it('W7: exactly 2000.00 is accepted', () => {
    const s = new Shard();
    expectAccepted(s.request('T-1', 'child', 200_000n), 'T-1', s);
    const fx = s.auth('T-1');
    expectReserving(fx, 'T-1', s);
    expect(fx.sent('account.reserve')[0]?.body).toEqual({
      transferId: 'T-1',
      accountId: 'donor',
      amount: 200_000n,
    });
  });
});

describe('W8: no transfers from 22:00 to 06:00 (Beijing time)', () => {
  it('W8: a request at 22:00 is refused', () => {
    const s = new Shard();
    expectRefused(s.request('T-1', 'child', 100n, at(0, 22)), 'T-1', 'W8', s);
  });

  it('W8: a request at 05:59:59.999 is refused', () => {
    const s = new Shard();
    const fx = s.request('T-1', 'child', 100n, at(1, 5, 59, 59_999));
    expectRefused(fx, 'T-1', 'W8', s);
  });

  it('W8: a request at midnight and at 03:00 on a later day is refused', () => {
    const s = new Shard();
    expectRefused(s.request('T-1', 'child', 100n, at(3, 0)), 'T-1', 'W8', s);
    expectRefused(s.request('T-2', 'child', 100n, at(7, 3)), 'T-2', 'W8', s);
  });

  it('W8: a request at 06:00 is accepted', () => {
    const s = new Shard();
    expectAccepted(s.request('T-1', 'child', 100n, at(1, 6)), 'T-1', s);
  });

  it('W8: 21:59:59.999 is accepted', () => {
    const s = new Shard();
    expectAccepted(s.request('T-1', 'child', 100n, at(1, 21, 59, 59_999)), 'T-1', s);
  });
});

describe('W6: at most 3 transfers per wallet per day', () => {
  it('W6: the fourth transfer of a day is refused, the next day it is accepted again', () => {
    const s = new Shard();
    for (const [id, to] of [
      ['T-1', 'child'],
      ['T-2', 'spouse'],
      ['T-3', 'parent'],
    ] as const) {
      expectAccepted(s.request(id, to, 100n, at(0, 9)), id, s);
      s.complete(id, at(0, 9));
    }
    expectRefused(s.request('T-4', 'sibling', 100n, at(0, 21)), 'T-4', 'W6', s);
    expectAccepted(s.request('T-5', 'sibling', 100n, at(1, 6)), 'T-5', s);
  });

  it('W6: a day is a Beijing calendar day, not 24 hours since the first transfer', () => {
    const s = new Shard();
    for (const [id, to] of [
      ['T-1', 'child'],
      ['T-2', 'spouse'],
      ['T-3', 'parent'],
    ] as const) {
      expectAccepted(s.request(id, to, 100n, at(0, 21, 30)), id, s);
    }
    expectAccepted(s.request('T-4', 'sibling', 100n, at(1, 6)), 'T-4', s);
  });

  it('W6: refused requests do not use up the day', () => {
    const s = new Shard();
    expectRefused(s.request('T-0', 'child', 999_999n), 'T-0', 'W7', s);
    expectRefused(s.request('T-00', 'inlaw', 100n), 'T-00', 'E2', s);
    for (const [id, to] of [
      ['T-1', 'child'],
      ['T-2', 'spouse'],
      ['T-3', 'parent'],
    ] as const) {
      expectAccepted(s.request(id, to, 100n), id, s);
    }
  });
});

describe('W12: one pending transfer per donor and recipient', () => {
  it(
    'W12: a second transfer to the same recipient while the first is pending is refused, ' +
      'and accepted once the first is terminal',
    () => {
      const s = new Shard();
      expectAccepted(s.request('T-1', 'child', 100n), 'T-1', s);
      expectRefused(s.request('T-2', 'child', 100n), 'T-2', 'W12', s);
      // Pending until terminal: still refused after reserve and credit.
      s.auth('T-1');
      s.reply('account.reserved', 'T-1');
      s.reply('wallet.credited', 'T-1');
      expectRefused(s.request('T-3', 'child', 100n), 'T-3', 'W12', s);
      const done = s.complete('T-1');
      expect(done.events).toContainEqual(
        expect.objectContaining({
          type: 'transfer.outcome',
          corr: 'T-1',
          outcome: 'completed',
        }),
      );
      // Completed but not yet received (W11): still pending, so still refused.
      expect(s.actor.transfers.get('T-1')?.value).toBe('awaitingReceipt');
      expectRefused(s.request('T-3b', 'child', 100n), 'T-3b', 'W12', s);
      s.received('T-1');
      expect(s.actor.transfers.get('T-1')?.value).toBe('received');
      expectAccepted(s.request('T-4', 'child', 100n), 'T-4', s);
    },
  );

  it('W12: with requireReceipt false a completed transfer frees the recipient', () => {
    const s = new Shard({ ...config, requireReceipt: false });
    expectAccepted(s.request('T-1', 'child', 100n), 'T-1', s);
    s.complete('T-1');
    expect(s.actor.transfers.get('T-1')?.value).toBe('completed');
    expectAccepted(s.request('T-2', 'child', 100n), 'T-2', s);
  });

  it('W12: a rejected transfer frees the recipient too', () => {
    const s = new Shard();
    expectAccepted(s.request('T-1', 'child', 100n), 'T-1', s);
    s.auth('T-1');
    s.rejectReserve('T-1', 'FUNDS');
    expectAccepted(s.request('T-2', 'child', 100n), 'T-2', s);
  });

  it('W12: a pending transfer to one relative does not block another relative', () => {
    const s = new Shard();
    expectAccepted(s.request('T-1', 'child', 100n), 'T-1', s);
    expectAccepted(s.request('T-2', 'spouse', 100n), 'T-2', s);
  });
});

describe('bills for people the shard does not hold', () => {
  it('a pre-settlement for a person with no wallet here is refused NO_WALLET and starts nothing', () => {
    const s = new Shard();
    const body = {
      billId: 'B-1',
      personId: 'nobody',
      treatmentRegion: '510100',
      care: 'outpatient',
      disease: '-',
      total: 1_000n,
      eligible: 1_000n,
      emergency: 'N',
      networked: 'Y',
      useWallet: 'Y',
      aidBy: NO_AID,
    } as const;
    const fx = s.handle(envelope('bill.presettle', APP, SHARD, 'B-1', body));
    expect(fx.sends).toEqual([
      { to: APP, kind: 'bill.refused', corr: 'B-1', body: { billId: 'B-1', reason: 'NO_WALLET' } },
    ]);
    expect(fx.writes).toEqual([]);
    expect(s.actor.bills.has('B-1')).toBe(false);
  });
});

describe('a relation ended by the other party (relation.ended)', () => {
  const notice = (bindId: string, ending: RelationEnding = 'REVOKED_BY_RECIPIENT') =>
    envelope('relation.ended', 'wallet.05', SHARD, bindId, {
      donorId: 'donor',
      recipientId: 'child',
      ending,
      bindId,
    });
  const sides = (s: Shard) => [
    s.actor.wallets.get('donor')?.context.relations.child,
    s.actor.wallets.get('child')?.context.donors.donor,
  ];

  it('a notice about an earlier binding of the pair leaves the current relation active', () => {
    const s = new Shard();
    s.handle(notice('B-old'));
    expect(sides(s).map((r) => r?.status)).toEqual(['active', 'active']);
  });

  it("the current binding's notice ends both sides; a later notice keeps the first ending", () => {
    const s = new Shard();
    s.handle(notice('B-child'));
    s.handle(notice('B-child', 'ENROLMENT_CHANGED'));
    for (const side of sides(s))
      expect(side).toMatchObject({ status: 'ended', ending: 'REVOKED_BY_RECIPIENT' });
  });
});

describe('E2 and relations: only close relatives with a relation on record', () => {
  it('E2: a transfer to an in-law is refused', () => {
    const s = new Shard();
    expectRefused(s.request('T-1', 'inlaw', 100n), 'T-1', 'E2', s);
  });

  it('E2: every close kinship on record is accepted', () => {
    const s = new Shard();
    const close = ['child', 'spouse', 'parent'] as const;
    close.forEach((to, i) => expectAccepted(s.request(`T-${i}`, to, 100n), `T-${i}`, s));
    expectAccepted(s.request('T-9', 'grandchild', 100n, at(1, 10)), 'T-9', s);
  });

  it('NO_RELATION: a transfer to a stranger is refused', () => {
    const s = new Shard();
    expectRefused(s.request('T-1', 'stranger', 100n), 'T-1', 'NO_RELATION', s);
  });

  it('NO_WALLET: a request from a donor without a wallet on this shard is refused', () => {
    const s = new Shard();
    const body = {
      transferId: 'T-1',
      donorId: 'nobody',
      recipientId: 'child',
      amount: 100n,
      source: 'ACCOUNT' as const,
    };
    const fx = s.handle(envelope('transfer.request', APP, SHARD, 'T-1', body));
    expectRefused(fx, 'T-1', 'NO_WALLET', s);
  });
});

describe('W10: credits only to opened wallets', () => {
  it('W10: a credit to an unopened wallet is rejected and nothing is credited', () => {
    const s = new Shard();
    const fx = s.credit('T-1', 'unopened', 50_000n);
    expect(fx.sends).toEqual([
      {
        to: 'wallet.05',
        kind: 'wallet.rejected',
        corr: 'T-1',
        body: { transferId: 'T-1', reason: 'W10' },
      },
    ]);
    expect(fx.postings()).toEqual([]);
    expect(s.balanceOf('unopened')).toBe(0n);
    expect(s.actor.ledger.originCounters.size).toBe(0);
    // The decision is recorded, so a retried credit gets the same answer.
    const again = s.credit('T-1', 'unopened', 50_000n);
    expect(again.sent('wallet.rejected')[0]?.body.reason).toBe('W10');
    expect(again.postings()).toEqual([]);
  });

  it('NO_WALLET: a donor whose own wallet is unopened cannot start a transfer', () => {
    const s = new Shard();
    const body = {
      transferId: 'T-1',
      donorId: 'unopened',
      recipientId: 'donor',
      amount: 100n,
      source: 'ACCOUNT' as const,
    };
    const fx = s.handle(envelope('transfer.request', APP, SHARD, 'T-1', body));
    expectRefused(fx, 'T-1', 'NO_WALLET', s);
  });

  it('a credit to a wallet this shard does not hold is rejected NO_WALLET', () => {
    const s = new Shard();
    const fx = s.credit('T-1', 'nobody', 50_000n);
    expect(fx.sent('wallet.rejected')[0]?.body.reason).toBe('NO_WALLET');
    expect(fx.postings()).toEqual([]);
  });

  it('a credit to an active wallet credits it once, with a posting from the origin liability', () => {
    const s = new Shard();
    const fx = s.credit('T-1', 'child', 50_000n);
    expect(fx.sent('wallet.credited')).toEqual([
      { to: 'wallet.05', kind: 'wallet.credited', corr: 'T-1', body: { transferId: 'T-1' } },
    ]);
    expect(fx.postings()).toEqual([
      expect.objectContaining({
        op: 'credit',
        corr: 'T-1',
        debit: 'liab:440300',
        debitClass: 'liability',
        credit: 'wallet:child',
        creditClass: 'wallet',
        amount: 50_000n,
        debitAfter: -50_000n,
      }),
    ]);
    expect(s.balanceOf('child')).toBe(50_000n);
    expect(s.actor.ledger.originCounters.get('440300')).toBe(-50_000n);
  });
});

describe('dedup per transfer id', () => {
  it(
    'a duplicate request after acceptance is accepted again, starts no second saga and does ' +
      'not count twice toward W6',
    () => {
      const s = new Shard();
      expectAccepted(s.request('T-1', 'child', 100n), 'T-1', s);
      for (let i = 0; i < 3; i++) {
        const fx = s.request('T-1', 'child', 100n);
        expect(fx.sends).toEqual([
          { to: APP, kind: 'transfer.accepted', corr: 'T-1', body: { transferId: 'T-1' } },
        ]);
        expect(fx.events).toEqual([]);
        expect(fx.timers).toEqual([]);
      }
      expect(s.actor.transfers.snapshots.size).toBe(1);
      expectAccepted(s.request('T-2', 'spouse', 100n), 'T-2', s);
      expectAccepted(s.request('T-3', 'parent', 100n), 'T-3', s);
      expectRefused(s.request('T-4', 'sibling', 100n), 'T-4', 'W6', s);
    },
  );

  it('a duplicate request after the transfer completed is still answered accepted', () => {
    const s = new Shard({ ...config, requireReceipt: false });
    s.request('T-1', 'child', 100n);
    s.complete('T-1');
    const fx = s.request('T-1', 'child', 100n);
    expect(fx.sends.map((m) => m.kind)).toEqual(['transfer.accepted']);
    expect(s.actor.transfers.get('T-1')?.value).toBe('completed');
    // Under W11 likewise, while awaiting the receipt and once received.
    const w11 = new Shard();
    w11.request('T-1', 'child', 100n);
    w11.complete('T-1');
    expect(w11.request('T-1', 'child', 100n).sends.map((m) => m.kind)).toEqual([
      'transfer.accepted',
    ]);
    w11.received('T-1');
    expect(w11.request('T-1', 'child', 100n).sends.map((m) => m.kind)).toEqual([
      'transfer.accepted',
    ]);
    expect(w11.actor.transfers.get('T-1')?.value).toBe('received');
  });

  it('a duplicate refused request gets the same refusal, even when it would now pass', () => {
    const s = new Shard();
    expectRefused(s.request('T-1', 'child', 100n, at(0, 23)), 'T-1', 'W8', s);
    expectRefused(s.request('T-1', 'child', 100n, at(0, 23)), 'T-1', 'W8', s);
    expectRefused(s.request('T-1', 'child', 100n, at(1, 10)), 'T-1', 'W8', s);
    expectRefused(s.request('T-2', 'child', 999_999n), 'T-2', 'W7', s);
    expectRefused(s.request('T-2', 'child', 999_999n), 'T-2', 'W7', s);
  });

  it(
    'wallet.credit dedup: a second identical credit is answered wallet.credited again with no ' +
      'second posting and no balance change',
    () => {
      const s = new Shard();
      s.credit('T-1', 'child', 50_000n);
      const before = s.actor.wallets.get('child');
      for (let i = 0; i < 3; i++) {
        const fx = s.credit('T-1', 'child', 50_000n);
        expect(fx.sends).toEqual([
          { to: 'wallet.05', kind: 'wallet.credited', corr: 'T-1', body: { transferId: 'T-1' } },
        ]);
        expect(fx.postings()).toEqual([]);
        expect(fx.writes).toEqual([]);
      }
      expect(s.balanceOf('child')).toBe(50_000n);
      expect(s.actor.wallets.get('child')).toBe(before);
      expect(s.actor.wallets.get('child')?.context.tranches).toHaveLength(1);
      expect(s.actor.ledger.originCounters.get('440300')).toBe(-50_000n);
    },
  );

  it("the broken 'noDedup' variant credits a duplicate again (what the properties must catch)", () => {
    const s = new Shard({ ...config, variant: 'noDedup' });
    s.credit('T-1', 'child', 50_000n);
    const fx = s.credit('T-1', 'child', 50_000n);
    expect(fx.sent('wallet.credited')).toHaveLength(1);
    expect(fx.postings()).toHaveLength(1);
    expect(s.balanceOf('child')).toBe(100_000n);
    expect(s.actor.ledger.originCounters.get('440300')).toBe(-100_000n);
  });
});

describe('durability: rebuilding a shard from what it wrote', () => {
  it('recover() on a rebuilt shard re-sends the current step of every unfinished saga', () => {
    const s = new Shard();
    s.request('T-1', 'child', 100n);
    s.auth('T-1');
    s.request('T-2', 'spouse', 200n);
    s.auth('T-2');
    s.reply('account.reserved', 'T-2');
    s.request('T-3', 'parent', 300n);
    s.complete('T-3');
    s.received('T-3');
    s.request('T-0', 'grandchild', 50n, at(1, 10));
    s.request('T-4', 'sibling', 400n, at(1, 10));
    s.complete('T-4', at(1, 10));
    s.rebuild();
    expect([...s.actor.transfers.snapshots.keys()].sort()).toEqual([
      'T-0',
      'T-1',
      'T-2',
      'T-3',
      'T-4',
    ]);

    const now = at(1, 10) + 60_000;
    const fx = s.recover(now);
    const sent = fx.sends.map((m) => `${m.kind}:${m.corr}:${m.to}`).sort();
    expect(sent).toEqual([
      'account.reserve:T-1:province.51',
      'transfer.challenge:T-0:app.0',
      'wallet.credit:T-2:wallet.00',
    ]);
    // T-3 is done (received); T-4 awaits its receipt: no send, its 06:00 return timer re-armed.
    expect(fx.timers.map((t) => t.key).sort()).toEqual([
      TIMERS.transferSaga.key('T-0'),
      TIMERS.transferSaga.key('T-1'),
      TIMERS.transferSaga.key('T-2'),
      TIMERS.transferSaga.key('T-4'),
    ]);
    for (const t of fx.timers) expect(t.at).toBeGreaterThan(now);
    expect(fx.timers.find((t) => t.key === TIMERS.transferSaga.key('T-4'))?.at).toBe(at(2, 6));
    expect(fx.writes.map((w) => w.key).sort()).toEqual([
      RECORDS.transferSaga.key('T-0'),
      RECORDS.transferSaga.key('T-1'),
      RECORDS.transferSaga.key('T-2'),
      RECORDS.transferSaga.key('T-4'),
    ]);
  });

  it('a rebuilt shard keeps its W6 count, W12 pending pairs and decisions', () => {
    const s = new Shard();
    s.request('T-1', 'child', 100n);
    s.request('T-2', 'spouse', 100n);
    s.request('T-3', 'parent', 100n, at(0, 23));
    s.credit('T-9', 'sibling', 70_000n);
    s.rebuild();
    expectRefused(s.request('T-4', 'child', 100n), 'T-4', 'W12', s);
    expectRefused(s.request('T-3', 'parent', 100n), 'T-3', 'W8', s);
    expect(s.request('T-1', 'child', 100n).sends.map((m) => m.kind)).toEqual(['transfer.accepted']);
    expect(s.credit('T-9', 'sibling', 70_000n).postings()).toEqual([]);
    expect(s.balanceOf('sibling')).toBe(70_000n);
    expect(s.actor.ledger.originCounters.get('440300')).toBe(-70_000n);
    expectAccepted(s.request('T-5', 'parent', 100n), 'T-5', s);
    expectRefused(s.request('T-6', 'sibling', 100n), 'T-6', 'W6', s);
  });

  it('a finished saga cancels its timer, reports its outcome and writes its final state', () => {
    const s = new Shard();
    s.request('T-1', 'child', 100n);
    s.auth('T-1');
    const fx = s.rejectReserve('T-1', 'FUNDS');
    expect(fx.cancelled).toEqual([TIMERS.transferSaga.key('T-1')]);
    const outcome = fx.events.find((e): e is Fact => e.type === 'transfer.outcome');
    expect(outcome).toEqual({
      type: 'transfer.outcome',
      corr: 'T-1',
      scope: 'sameRegion',
      outcome: 'rejected',
      reason: 'FUNDS',
    });
    expect(s.history.lastWrite(RECORDS.transferSaga.key('T-1'))).toBe(s.actor.transfers.get('T-1'));
    expect(s.actor.transfers.get('T-1')?.status).toBe('done');
  });

  it('the accepted fact names the scope of the relation', () => {
    const s = new Shard();
    const scopes = ['child', 'parent', 'spouse'].map((to, i) => {
      const fx = s.request(`T-${i}`, to, 100n);
      return fx.events.find((e): e is Fact => e.type === 'transfer.accepted');
    });
    expect(scopes.map((f) => f?.type === 'transfer.accepted' && f.scope)).toEqual([
      'sameRegion',
      'sameProvince',
      'crossProvince',
    ]);
  });
});

describe('ids that are also Object.prototype property names', () => {
  // Regression: 'constructor', 'toString' and 'valueOf' match ID_PATTERN, so the codec lets them
  // through, and the wallet machine once looked them up with `in` on plain objects, which found
  // Object.prototype's members (a fresh request "already refused", a credit "already decided").
  it('a fresh request whose transferId is "constructor" is accepted like any other', () => {
    const s = new Shard();
    expectAccepted(s.request('constructor', 'child', 100n), 'constructor', s);
  });

  it('a fresh credit whose transferId is "toString" credits an active wallet', () => {
    const s = new Shard();
    const fx = s.credit('toString', 'child', 50_000n);
    expect(fx.sent('wallet.credited')).toHaveLength(1);
    expect(s.balanceOf('child')).toBe(50_000n);
  });

  it('NO_RELATION: a recipient id "valueOf" with no relation on record is NO_RELATION', () => {
    const s = new Shard();
    expectRefused(s.request('T-1', 'valueOf', 100n), 'T-1', 'NO_RELATION', s);
  });

  it('NO_RELATION: a credit from a donor id "constructor" with no donors entry is rejected', () => {
    const s = new Shard();
    const body = {
      transferId: 'T-1',
      walletId: 'child',
      donorId: 'constructor',
      originRegion: '440300',
      amount: 100n,
    };
    const fx = s.handle(envelope('wallet.credit', 'wallet.05', SHARD, 'T-1', body));
    expect(fx.sends).toEqual([
      {
        to: 'wallet.05',
        kind: 'wallet.rejected',
        corr: 'T-1',
        body: { transferId: 'T-1', reason: 'NO_RELATION' },
      },
    ]);
    expect(s.balanceOf('child')).toBe(0n);
  });
});
