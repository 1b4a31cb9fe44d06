// Checks the domain rules that came with binding and receipts (DOMAIN §2.1, §2.2, F1, F2) across
// real actors: wallet shards, the provinces (accounts and civil registry) and settlement, wired by
// the in-test network of test/net.ts, which delivers every message at once, in order, and fires
// the actors' timers on a virtual clock. The app is not an actor there: what reaches `app.0`
// lands in an inbox, and the test answers for the people (the donor's face or password, the
// relative's face, the recipient's tap on "receive").
// Each test is named after the rule it checks: W5, W11, W13, W14, W19, E1, E3–E8, F1
// idempotency, ID_MISMATCH and BIND_EXPIRED.
import { describe, expect, it } from 'vitest';

import type { Reason } from '../protocol/index.ts';
import {
  APP,
  at,
  bindIdOf,
  type Bound,
  Net as PeopleNet,
  type Person,
  TEN_AM,
} from '../testing/net.ts';
import { SETTLEMENT_ADDRESS } from './addresses.ts';
import type { ProtocolConfig } from './config.ts';
import { HOUR_MS } from './config.ts';
import { balanceOf } from './wallet.ts';

// ---------------------------------------------------------------------------------------------
// The world: people, their wallets, accounts and registry records, and the relations on record.

const PEOPLE: readonly Person[] = [
  // Donors: employee members with personal accounts.
  {
    id: 'd1',
    region: '510100',
    ebmi: true,
    balance: 1_000_000n,
    name: '王建国',
    idNo: '510100197001011234',
  },
  {
    id: 'd2',
    region: '320500',
    ebmi: true,
    balance: 500_000n,
    name: '周海燕',
    idNo: '320500197502022345',
  },
  {
    id: 'nm',
    region: '150100',
    ebmi: true,
    balance: 500_000n,
    name: '巴特尔',
    idNo: '150100197203033456',
  },
  {
    id: 'gd',
    region: '440100',
    ebmi: true,
    balance: 500_000n,
    name: '陈志强',
    idNo: '440100198004044567',
  },
  // Relatives.
  {
    id: 'r1',
    region: '510700',
    ebmi: false,
    name: '王小红',
    idNo: '510700199901015678',
    kin: { d1: 'CHILD', d2: 'SIBLING' },
  },
  {
    id: 'r2',
    region: '320500',
    ebmi: false,
    name: '刘芳',
    idNo: '320500197206066789',
    kin: { d1: 'SPOUSE' },
  },
  {
    id: 'r3',
    region: '510100',
    ebmi: false,
    name: '王德明',
    idNo: '510100194507077890',
    kin: { d1: 'PARENT' },
    enrolled: false,
  },
  {
    id: 'r4',
    region: '640100',
    ebmi: false,
    name: '马秀兰',
    idNo: '640100196808088901',
    kin: { d1: 'SIBLING', gd: 'SIBLING' },
  },
  {
    id: 'r5',
    region: '440100',
    ebmi: false,
    name: '陈小敏',
    idNo: '440100200009099012',
    kin: { d1: 'CHILD', gd: 'CHILD' },
  },
  {
    id: 'm1',
    region: '150200',
    ebmi: false,
    name: '巴雅尔',
    idNo: '150200197510101234',
    kin: { nm: 'SIBLING' },
  },
  {
    id: 'm2',
    region: '150100',
    ebmi: false,
    name: '其木格',
    idNo: '150100194511111234',
    kin: { nm: 'PARENT' },
  },
  // A resident (URRBMI) who cannot donate (E1), though it may receive.
  {
    id: 'res',
    region: '510100',
    ebmi: false,
    name: '赵丽',
    idNo: '510100198812121234',
    kin: { d1: 'SIBLING' },
  },
  {
    id: 'shut',
    region: '510100',
    ebmi: false,
    status: 'unopened',
    name: '孙伟',
    idNo: '510100199201011234',
    kin: { d1: 'CHILD' },
  },
];

/** The network of test/net.ts over these people. */
class Net extends PeopleNet {
  constructor(overrides: Partial<ProtocolConfig> = {}, bound: readonly Bound[] = []) {
    super(PEOPLE, overrides, bound);
  }
}

const D1_R1: Bound = { donor: 'd1', recipient: 'r1', kinship: 'CHILD' };
const D1_R2: Bound = { donor: 'd1', recipient: 'r2', kinship: 'SPOUSE' };

// ---------------------------------------------------------------------------------------------

describe('W5: the source of a transfer is the personal account', () => {
  it('W5: re-transfer is not modelled: a transfer out of the wallet is refused W5 and nothing moves', () => {
    const net = new Net({}, [D1_R1]);
    expect(net.request('T-1', 'd1', 'r1', 10_000n, 'WALLET')).toEqual({
      kind: 'transfer.refused',
      reason: 'W5',
    });
    expect(net.shardOf('d1').hasSaga('T-1')).toBe(false);
    expect(net.sent('transfer.challenge')).toEqual([]);
    expect(net.events).toEqual([]);
    // W5 is the first check: even in the blackout it is the answer.
    net.advance(at(0, 23));
    expect(net.request('T-2', 'd1', 'r1', 10_000n, 'WALLET').reason).toBe('W5');
    // The personal account is the source that works.
    net.advance(at(1, 10));
    expect(net.request('T-3', 'd1', 'r1', 10_000n, 'ACCOUNT').kind).toBe('transfer.accepted');
  });
});

describe('W11: what the recipient has not received comes back at 06:00 the next day', () => {
  it(
    'W11: an unreceived credit is returned at 06:00 the next day: the wallet returns it, the ' +
      'province refunds the donor and settlement reverses the liability',
    () => {
      const net = new Net({}, [D1_R1]);
      net.transfer('T-1', 'd1', 'r1', 50_000n);
      expect(net.saga('T-1').value).toBe('awaitingReceipt');
      expect(net.facts('transfer.outcome', 'T-1')).toEqual([
        {
          type: 'transfer.outcome',
          corr: 'T-1',
          scope: 'sameProvince',
          outcome: 'completed',
          reason: undefined,
        },
      ]);
      expect(net.account('d1')).toEqual({ region: '510100', available: 950_000n, held: 0n });
      expect(net.book('510100').regions.get('510100')?.due).toBe(50_000n);
      expect(balanceOf(net.wallet('r1'))).toBe(50_000n);
      expect(net.wallet('r1').tranches).toEqual([
        {
          originRegion: '510100',
          transferId: 'T-1',
          donorId: 'd1',
          amount: 50_000n,
          received: false,
        },
      ]);
      expect(net.settlement.book.liabilities.get('510100')).toBe(50_000n);

      // Until 06:00 the next day nothing happens, and W12 holds.
      net.advance(at(0, 21));
      expect(net.request('T-2', 'd1', 'r1', 100n).reason).toBe('W12');
      net.advance(at(1, 6) - 1);
      expect(net.saga('T-1').value).toBe('awaitingReceipt');
      expect(net.sent('wallet.settle')).toEqual([]);

      net.advance(at(1, 6));
      expect(net.sent('wallet.settle', 'T-1')).toHaveLength(1);
      expect(net.sent('wallet.returned', 'T-1').map((m) => m.to)).toEqual([
        net.shardAddressOf('d1'),
      ]);
      expect(net.sent('account.refund', 'T-1').map((m) => m.to)).toEqual(['province.51']);
      expect(net.sent('liability.reverse', 'T-1').map((m) => m.to)).toEqual([SETTLEMENT_ADDRESS]);
      expect(net.saga('T-1').value).toBe('returned');
      expect(net.facts('transfer.receipt', 'T-1')).toEqual([
        { type: 'transfer.receipt', corr: 'T-1', scope: 'sameProvince', outcome: 'returned' },
      ]);

      // The recipient's wallet gave it back, restoring the wallet ledger's claim on the origin.
      const r1 = net.wallet('r1');
      expect(balanceOf(r1)).toBe(0n);
      expect(r1.tranches).toEqual([]);
      expect(r1.returned).toEqual(['T-1']);
      expect(net.shardOf('r1').ledger.originCounters.get('510100')).toBe(0n);
      // The donor's province refunded the account and its debt to the wallet ledger.
      expect(net.account('d1')).toEqual({ region: '510100', available: 1_000_000n, held: 0n });
      expect(net.book('510100').regions.get('510100')?.due).toBe(0n);
      expect(net.book('510100').txns.get('T-1')?.state).toBe('refunded');
      // Settlement reversed the origin liability.
      expect(net.settlement.book.liabilities.get('510100')).toBe(0n);
      expect(net.settlement.book.reversed.has('T-1')).toBe(true);
      expect(net.facts('liability.reversed', 'T-1')).toEqual([
        { type: 'liability.reversed', corr: 'T-1', originRegion: '510100', amount: 50_000n },
      ]);
      expect(net.postings('T-1').map((p) => p.op)).toEqual([
        'reserve',
        'credit',
        'commit',
        'return',
        'refund',
      ]);
      expect(net.postings('T-1').find((p) => p.op === 'return')).toMatchObject({
        debit: 'wallet:r1',
        debitClass: 'wallet',
        credit: 'liab:510100',
        creditClass: 'liability',
        amount: 50_000n,
        debitAfter: 0n,
      });
      expect(net.postings('T-1').find((p) => p.op === 'refund')).toMatchObject({
        debit: 'backing:510100',
        debitClass: 'backing',
        credit: 'd1/available',
        creditClass: 'available',
        amount: 50_000n,
      });
      // W12 is released; the timer is gone.
      expect(net.workTimers).toBe(0);
      expect(net.request('T-3', 'd1', 'r1', 100n).kind).toBe('transfer.accepted');
    },
  );

  it('W11: a credit the recipient received is not returned at 06:00, and stays in the wallet', () => {
    const net = new Net({}, [D1_R1]);
    net.transfer('T-1', 'd1', 'r1', 50_000n);
    net.advance(at(0, 20));
    net.receive('T-1', 'r1');
    // The app hears it, and the donor's saga is told by the recipient's shard.
    expect(net.inboxOf('wallet.received', 'T-1')).toHaveLength(1);
    expect(
      net
        .sent('wallet.received', 'T-1')
        .map((m) => m.to)
        .sort(),
    ).toEqual([APP, net.shardAddressOf('d1')].sort());
    expect(net.saga('T-1').value).toBe('received');
    expect(net.facts('transfer.receipt', 'T-1')).toEqual([
      { type: 'transfer.receipt', corr: 'T-1', scope: 'sameProvince', outcome: 'received' },
    ]);
    net.advance(at(2, 6));
    expect(net.sent('wallet.settle')).toEqual([]);
    expect(net.sent('account.refund')).toEqual([]);
    expect(balanceOf(net.wallet('r1'))).toBe(50_000n);
    expect(net.wallet('r1').tranches[0]?.received).toBe(true);
    expect(net.account('d1')).toEqual({ region: '510100', available: 950_000n, held: 0n });
    expect(net.settlement.book.liabilities.get('510100')).toBe(50_000n);
    // A second tap is answered the same way and tells nobody twice.
    net.receive('T-1', 'r1');
    expect(net.inboxOf('wallet.received', 'T-1')).toHaveLength(2);
    expect(net.sent('wallet.received', 'T-1').filter((m) => m.to !== APP)).toHaveLength(1);
  });

  it('W11: a settle that finds the credit received answers wallet.received and returns nothing', () => {
    const net = new Net({}, [D1_R1]);
    net.transfer('T-1', 'd1', 'r1', 50_000n);
    net.receive('T-1', 'r1');
    const before = net.wallet('r1');
    // As if the 06:00 step had raced the receipt: the wallet's receipt decision stands.
    net.enqueue({
      from: net.shardAddressOf('d1'),
      to: net.shardAddressOf('r1'),
      kind: 'wallet.settle',
      corr: 'T-1',
      body: { transferId: 'T-1', walletId: 'r1' },
      at: net.now,
    });
    net.deliver();
    expect(
      net.sent('wallet.received', 'T-1').filter((m) => m.to === net.shardAddressOf('d1')),
    ).toHaveLength(2);
    expect(net.sent('wallet.returned')).toEqual([]);
    expect(net.wallet('r1')).toEqual(before);
    expect(net.postings('T-1').map((p) => p.op)).not.toContain('return');
  });

  it('W11: a receipt after the return is answered wallet.returned and changes nothing', () => {
    const net = new Net({}, [D1_R1]);
    net.transfer('T-1', 'd1', 'r1', 50_000n);
    net.advance(at(1, 6));
    expect(net.saga('T-1').value).toBe('returned');
    const before = net.wallet('r1');
    net.receive('T-1', 'r1');
    expect(net.inboxOf('wallet.returned', 'T-1')).toHaveLength(1);
    expect(net.wallet('r1')).toEqual(before);
    expect(balanceOf(net.wallet('r1'))).toBe(0n);
  });

  it(
    'W11: a receipt that reaches the saga before it awaits the receipt still ends received, ' +
      'never returned',
    () => {
      const net = new Net({}, [D1_R1]);
      // The province's first answer to the commit is lost, so the saga is still committing when the
      // recipient taps "receive"; the push to the donor's shard finds it there.
      let lost = 0;
      net.drop = (m) => m.kind === 'account.committed' && lost++ === 0;
      net.transfer('T-1', 'd1', 'r1', 50_000n);
      expect(net.saga('T-1').value).toBe('committing');
      net.receive('T-1', 'r1');
      expect(net.wallet('r1').tranches[0]?.received).toBe(true);
      net.advance(at(1, 6));
      expect(net.saga('T-1').value).toBe('received');
      expect(net.sent('wallet.returned')).toEqual([]);
      expect(balanceOf(net.wallet('r1'))).toBe(50_000n);
      expect(net.account('d1')?.available).toBe(950_000n);
    },
  );

  // BUG (reported, not fixed here): the saga handles `wallet.received` only in awaitingReceipt and
  // settling, so a receipt pushed while it is still crediting, committing or recording is dropped
  // and nobody sends it again. The transfer then sits in awaitingReceipt until the 06:00 settle
  // asks the wallet, and W12 blocks the pair for up to a day although the money was received.
  // `it.fails` keeps the suite green while the bug stands; make it `it` once it is fixed.
  it(
    'W11: a receipt that reaches the saga before it awaits the receipt is not lost: the ' +
      'transfer ends received and W12 frees the pair at once',
    () => {
      const net = new Net({}, [D1_R1]);
      let lost = 0;
      net.drop = (m) => m.kind === 'account.committed' && lost++ === 0;
      net.transfer('T-1', 'd1', 'r1', 50_000n);
      net.receive('T-1', 'r1');
      // The commit is retried within a second, then the liability is recorded.
      net.advance(TEN_AM + 5_000);
      expect(net.sent('liability.recorded', 'T-1')).toHaveLength(1);
      expect(net.saga('T-1').value).toBe('received');
      expect(net.request('T-2', 'd1', 'r1', 100n).kind).toBe('transfer.accepted');
    },
  );

  it(
    'W11: with requireReceipt false the saga completes after recording, the credit is received ' +
      'on arrival and nothing comes back at 06:00',
    () => {
      const net = new Net({ requireReceipt: false }, [D1_R1]);
      net.transfer('T-1', 'd1', 'r1', 50_000n);
      expect(net.saga('T-1').value).toBe('completed');
      expect(net.facts('transfer.outcome', 'T-1').map((f) => f.outcome)).toEqual(['completed']);
      expect(net.facts('transfer.receipt')).toEqual([]);
      expect(net.wallet('r1').tranches[0]?.received).toBe(true);
      expect(net.workTimers).toBe(0);
      net.advance(at(2, 6));
      expect(net.sent('wallet.settle')).toEqual([]);
      expect(balanceOf(net.wallet('r1'))).toBe(50_000n);
      expect(net.account('d1')?.available).toBe(950_000n);
      // Nothing pending: the next transfer to r1 is accepted at once.
      expect(net.request('T-2', 'd1', 'r1', 100n).kind).toBe('transfer.accepted');
    },
  );
});

describe('W13: the donor confirms every transfer by face or password', () => {
  it('W13: a failed face or password check rejects the transfer and nothing moves', () => {
    const net = new Net({}, [D1_R1]);
    expect(net.request('T-1', 'd1', 'r1', 50_000n).kind).toBe('transfer.accepted');
    // The challenge goes to the app that asked, and nothing reaches the province before it.
    expect(net.inboxOf('transfer.challenge', 'T-1').map((m) => m.body)).toEqual([
      { transferId: 'T-1', donorId: 'd1' },
    ]);
    expect(net.sent('account.reserve')).toEqual([]);
    net.auth('T-1', 'FAIL', 'PASSWORD');
    expect(net.saga('T-1').value).toBe('rejected');
    expect(net.saga('T-1').context.reason).toBe('W13');
    expect(net.facts('transfer.outcome', 'T-1')).toEqual([
      {
        type: 'transfer.outcome',
        corr: 'T-1',
        scope: 'sameProvince',
        outcome: 'rejected',
        reason: 'W13',
      },
    ]);
    expect(net.sent('account.reserve')).toEqual([]);
    expect(net.sent('wallet.credit')).toEqual([]);
    expect(net.postings()).toEqual([]);
    expect(net.account('d1')).toEqual({ region: '510100', available: 1_000_000n, held: 0n });
    expect(balanceOf(net.wallet('r1'))).toBe(0n);
    expect(net.workTimers).toBe(0);
    // The pair is free again (W12).
    expect(net.request('T-2', 'd1', 'r1', 50_000n).kind).toBe('transfer.accepted');
  });

  it('W13: a passed face or password check moves the money', () => {
    for (const method of ['FACE', 'PASSWORD'] as const) {
      const net = new Net({}, [D1_R1]);
      net.request('T-1', 'd1', 'r1', 50_000n);
      net.auth('T-1', 'PASS', method);
      expect(net.saga('T-1').value).toBe('awaitingReceipt');
      expect(net.account('d1')?.available).toBe(950_000n);
      expect(balanceOf(net.wallet('r1'))).toBe(50_000n);
    }
  });

  it('W13: an unanswered challenge is re-sent, and moves no money', () => {
    const net = new Net({}, [D1_R1]);
    net.request('T-1', 'd1', 'r1', 50_000n);
    net.advance(TEN_AM + 10_000);
    expect(net.inboxOf('transfer.challenge', 'T-1').length).toBeGreaterThan(1);
    expect(net.saga('T-1').value).toBe('authenticating');
    expect(net.sent('account.reserve')).toEqual([]);
  });
});

describe('W14: the recipient gets an SMS for every credit', () => {
  it('W14: the SMS send and its fact carry the amount and the recipient', () => {
    const net = new Net({}, [D1_R2]);
    net.transfer('T-1', 'd1', 'r2', 123_456n);
    expect(
      net.inboxOf('notice.sms').map((m) => ({ from: m.from, corr: m.corr, body: m.body })),
    ).toEqual([
      {
        from: net.shardAddressOf('r2'),
        corr: 'T-1',
        body: { transferId: 'T-1', personId: 'r2', amount: 123_456n },
      },
    ]);
    expect(net.facts('notice.sms')).toEqual([
      { type: 'notice.sms', corr: 'T-1', personId: 'r2', amount: 123_456n },
    ]);
  });

  it('W14: no SMS for a rejected credit nor for a duplicate one', () => {
    const net = new Net({}, [D1_R1]);
    const credit = (transferId: string, walletId: string) => {
      net.enqueue({
        from: net.shardAddressOf('d1'),
        to: net.shardAddressOf(walletId),
        kind: 'wallet.credit',
        corr: transferId,
        body: { transferId, walletId, donorId: 'd1', originRegion: '510100', amount: 100n },
        at: net.now,
      });
      net.deliver();
    };
    credit('T-1', 'r1');
    credit('T-1', 'r1');
    expect(net.inboxOf('notice.sms')).toHaveLength(1);
    // No relation on r2's side (NO_RELATION), and an unopened wallet (W10): no SMS.
    credit('T-2', 'r2');
    credit('T-3', 'shut');
    expect(net.sent('wallet.rejected').map((m) => (m.body as { reason: Reason }).reason)).toEqual([
      'NO_RELATION',
      'W10',
    ]);
    expect(net.inboxOf('notice.sms')).toHaveLength(1);
    expect(net.facts('notice.sms')).toHaveLength(1);
  });
});

describe('W19: an ended relation allows no new transfers; received money stays', () => {
  it(
    'W19: a credit to a recipient whose donors entry has ended is rejected W19, and a received ' +
      'balance stays',
    () => {
      const net = new Net({}, [D1_R1]);
      net.transfer('T-1', 'd1', 'r1', 30_000n);
      net.receive('T-1', 'r1');
      expect(balanceOf(net.wallet('r1'))).toBe(30_000n);
      // T-2 passes the request checks while the relation is still active, and waits for the donor's
      // face; meanwhile the recipient ends the relation (the recipient's side decides).
      expect(net.request('T-2', 'd1', 'r1', 20_000n).kind).toBe('transfer.accepted');
      net.end('d1', 'r1', 'REVOKED_BY_RECIPIENT');
      expect(net.wallet('r1').donors.d1?.status).toBe('ended');
      net.auth('T-2', 'PASS');
      expect(
        net.sent('wallet.rejected', 'T-2').map((m) => (m.body as { reason: Reason }).reason),
      ).toEqual(['W19']);
      expect(net.saga('T-2').value).toBe('rejected');
      expect(net.saga('T-2').context.reason).toBe('W19');
      // The hold was released; the received balance stays with its holder.
      expect(net.account('d1')).toEqual({ region: '510100', available: 970_000n, held: 0n });
      expect(balanceOf(net.wallet('r1'))).toBe(30_000n);
      expect(net.wallet('r1').tranches).toEqual([
        {
          originRegion: '510100',
          transferId: 'T-1',
          donorId: 'd1',
          amount: 30_000n,
          received: true,
        },
      ]);
      expect(net.wallet('r1').rejected).toEqual({ 'T-2': 'W19' });
      // The decision is kept: a retried credit gets the same answer.
      net.enqueue({
        from: net.shardAddressOf('d1'),
        to: net.shardAddressOf('r1'),
        kind: 'wallet.credit',
        corr: 'T-2',
        body: {
          transferId: 'T-2',
          walletId: 'r1',
          donorId: 'd1',
          originRegion: '510100',
          amount: 20_000n,
        },
        at: net.now,
      });
      net.deliver();
      expect(
        net.sent('wallet.rejected', 'T-2').map((m) => (m.body as { reason: Reason }).reason),
      ).toEqual(['W19', 'W19']);
      expect(balanceOf(net.wallet('r1'))).toBe(30_000n);
    },
  );

  it('W19: a request over a relation the donor side has ended is refused W19 (before E2)', () => {
    const net = new Net({}, [D1_R1]);
    net.end('d1', 'r1', 'REVOKED_BY_DONOR');
    expect(net.request('T-1', 'd1', 'r1', 100n)).toEqual({
      kind: 'transfer.refused',
      reason: 'W19',
    });
    expect(net.shardOf('d1').hasSaga('T-1')).toBe(false);
  });
});

describe('E1: only employee members (with a personal account) can donate', () => {
  it('E1: a resident cannot donate: the transfer is refused E1 and nothing moves', () => {
    const net = new Net({}, [{ donor: 'res', recipient: 'r1', kinship: 'SIBLING' }]);
    expect(net.request('T-1', 'res', 'r1', 100n)).toEqual({
      kind: 'transfer.refused',
      reason: 'E1',
    });
    expect(net.shardOf('res').hasSaga('T-1')).toBe(false);
    expect(net.sent('transfer.challenge')).toEqual([]);
    // E1 comes before the relation checks: a stranger is still E1.
    expect(net.request('T-2', 'res', 'r2', 100n).reason).toBe('E1');
    // … and after W7.
    expect(net.request('T-3', 'res', 'r1', 200_001n).reason).toBe('W7');
  });

  it('E1: a resident cannot bind a relative as donor', () => {
    const net = new Net();
    expect(net.bind('B-1', 'res', 'r1', 'SIBLING')).toEqual({ kind: 'bind.refused', reason: 'E1' });
    expect(net.bindCount()).toBe(0);
    expect(net.sent('identity.verify')).toEqual([]);
  });

  it('E1: a resident can still receive', () => {
    const net = new Net({}, [{ donor: 'd1', recipient: 'res', kinship: 'SIBLING' }]);
    net.transfer('T-1', 'd1', 'res', 100n);
    expect(balanceOf(net.wallet('res'))).toBe(100n);
  });
});

describe('F1: binding a relative', () => {
  it(
    "F1: the registry of the ID number's province verifies, the relative confirms by face, the " +
      "relative's wallet records the relation, and the donor's becomes active",
    () => {
      const net = new Net();
      expect(net.bind('B-1', 'd1', 'r2', 'SPOUSE')).toEqual({
        kind: 'bind.accepted',
        reason: undefined,
      });
      expect(net.facts('bind.accepted')).toEqual([
        { type: 'bind.accepted', corr: 'B-1', scope: 'crossProvince' },
      ]);
      expect(net.sent('identity.verify', 'B-1').map((m) => m.to)).toEqual(['province.32']);
      expect(net.sent('identity.verified', 'B-1').map((m) => m.body)).toEqual([
        { bindId: 'B-1', region: '320500' },
      ]);
      expect(net.inboxOf('bind.challenge', 'B-1').map((m) => m.body)).toEqual([
        { bindId: 'B-1', donorId: 'd1', relativeId: 'r2' },
      ]);
      expect(net.bindSaga('B-1').value).toBe('challenging');
      expect(net.relation('d1', 'r2')).toEqual({ donorSide: undefined, recipientSide: undefined });

      net.confirm('B-1', 'PASS');
      expect(net.sent('relation.add', 'B-1').map((m) => m.to)).toEqual([net.shardAddressOf('r2')]);
      expect(net.bindSaga('B-1').value).toBe('active');
      expect(net.relation('d1', 'r2')).toEqual({
        donorSide: { kinship: 'SPOUSE', region: '320500', status: 'active', bindId: 'B-1' },
        recipientSide: { kinship: 'SPOUSE', region: '510100', status: 'active', bindId: 'B-1' },
      });
      expect(net.facts('bind.outcome', 'B-1')).toEqual([
        {
          type: 'bind.outcome',
          corr: 'B-1',
          scope: 'crossProvince',
          outcome: 'active',
          reason: undefined,
        },
      ]);
      expect(net.workTimers).toBe(0);
      // And the new relation carries a transfer.
      net.transfer('T-1', 'd1', 'r2', 10_000n);
      expect(balanceOf(net.wallet('r2'))).toBe(10_000n);
    },
  );

  it(
    'W10: a relative whose wallet is not opened yet can be bound; the relation says so, and the ' +
      "donor's transfers are refused W10 at the request until it opens (W1)",
    () => {
      const net = new Net();
      expect(net.bind('B-1', 'd1', 'shut', 'CHILD').kind).toBe('bind.accepted');
      net.confirm('B-1', 'PASS');
      expect(net.sent('relation.added', 'B-1').map((m) => m.body)).toEqual([
        { bindId: 'B-1', open: 'N' },
      ]);
      expect(net.relation('d1', 'shut').donorSide).toEqual({
        kinship: 'CHILD',
        region: '510100',
        status: 'active',
        bindId: 'B-1',
        unopened: true,
      });
      expect(net.request('T-1', 'd1', 'shut', 10_000n)).toEqual({
        kind: 'transfer.refused',
        reason: 'W10',
      });
      net.fromApp(net.shardAddressOf('shut'), 'wallet.open', 'O-1', { walletId: 'shut' });
      expect(net.request('T-2', 'd1', 'shut', 10_000n).kind).toBe('transfer.accepted');
    },
  );

  it(
    'F1 idempotency: a duplicate bind.request with the same bindId is answered bind.accepted ' +
      'again without a second saga',
    () => {
      const net = new Net();
      net.bind('B-1', 'd1', 'r1', 'CHILD');
      const saga = net.bindSaga('B-1');
      for (let i = 0; i < 3; i++) {
        expect(net.bind('B-1', 'd1', 'r1', 'CHILD').kind).toBe('bind.accepted');
      }
      expect(net.inboxOf('bind.accepted', 'B-1')).toHaveLength(4);
      expect(net.bindCount()).toBe(1);
      expect(net.bindSaga('B-1')).toBe(saga);
      expect(net.sent('identity.verify', 'B-1')).toHaveLength(1);
      expect(net.facts('bind.accepted')).toHaveLength(1);
      // Once active, a duplicate is still answered accepted, not BOUND.
      net.confirm('B-1', 'PASS');
      expect(net.bind('B-1', 'd1', 'r1', 'CHILD').kind).toBe('bind.accepted');
      expect(net.sent('relation.add', 'B-1')).toHaveLength(1);
    },
  );

  it('F1: a binding whose shard restarts from its records while the face check is out goes on', () => {
    const net = new Net();
    net.bind('B-1', 'd1', 'r1', 'CHILD');
    expect(net.bindSaga('B-1').value).toBe('challenging');
    net.rebuildShardOf('d1');
    expect(net.bindSaga('B-1').value).toBe('challenging');
    net.confirm('B-1', 'PASS');
    expect(net.bindSaga('B-1').value).toBe('active');
  });

  it('F1 idempotency: a duplicate relation.add answers relation.added again and changes nothing', () => {
    const net = new Net();
    net.bound('B-1', 'd1', 'r1', 'CHILD');
    const r1 = net.wallet('r1');
    const add = () => {
      net.enqueue({
        from: net.shardAddressOf('d1'),
        to: net.shardAddressOf('r1'),
        kind: 'relation.add',
        corr: 'B-1',
        body: {
          bindId: 'B-1',
          donorId: 'd1',
          recipientId: 'r1',
          kinship: 'CHILD',
          donorRegion: '510100',
        },
        at: net.now,
      });
      net.deliver();
    };
    add();
    add();
    expect(net.sent('relation.added', 'B-1')).toHaveLength(3);
    expect(net.wallet('r1')).toEqual(r1);
    expect(net.wallet('r1').donors.d1).toEqual({
      kinship: 'CHILD',
      region: '510100',
      status: 'active',
      bindId: 'B-1',
    });
    expect(net.facts('bind.outcome', 'B-1')).toHaveLength(1);
  });

  it(
    'F1: the shard refuses binding oneself or a non-close relative (E2), and an active relation ' +
      'twice (BOUND)',
    () => {
      const net = new Net();
      expect(net.bind('B-1', 'd1', 'd1', 'CHILD')).toEqual({ kind: 'bind.refused', reason: 'E2' });
      expect(net.bind('B-2', 'd1', 'r1', 'PARENT_IN_LAW')).toEqual({
        kind: 'bind.refused',
        reason: 'E2',
      });
      net.bound('B-3', 'd1', 'r1', 'CHILD');
      expect(net.bind('B-4', 'd1', 'r1', 'CHILD')).toEqual({
        kind: 'bind.refused',
        reason: 'BOUND',
      });
      expect(net.bindCount()).toBe(1);
      // A refusal is decided once: the retry gets it again.
      expect(net.bind('B-2', 'd1', 'r1', 'CHILD')).toEqual({ kind: 'bind.refused', reason: 'E2' });
    },
  );

  it('F1: while a binding of a relative is under way a second one is refused BOUND; once it ends, one may start', () => {
    const net = new Net();
    expect(net.bind('B-1', 'd1', 'r1', 'CHILD').kind).toBe('bind.accepted');
    expect(net.bind('B-2', 'd1', 'r1', 'CHILD')).toEqual({ kind: 'bind.refused', reason: 'BOUND' });
    net.confirm('B-1', 'FAIL');
    expect(net.bindSaga('B-1').value).toBe('rejected');
    expect(net.bind('B-3', 'd1', 'r1', 'CHILD').kind).toBe('bind.accepted');
    expect(net.bindSaga('B-3').value).toBe('challenging');
  });

  it('E2: a kinship the registry contradicts is refused by the registry', () => {
    const net = new Net();
    expect(net.bind('B-1', 'd1', 'r1', 'SPOUSE').kind).toBe('bind.accepted');
    expect(net.sent('identity.refused', 'B-1').map((m) => m.body)).toEqual([
      { bindId: 'B-1', reason: 'E2' },
    ]);
    expect(net.bindSaga('B-1').value).toBe('refused');
    expect(net.sent('bind.challenge')).toEqual([]);
  });

  it('ID_MISMATCH: a name or an ID number the registry does not hold refuses the binding', () => {
    const net = new Net();
    net.bind('B-1', 'd1', 'r1', 'CHILD', '王小虹');
    net.bind('B-2', 'd1', 'r2', 'SPOUSE', undefined, '320500197206066788');
    // An ID number of a province where the relative is not on record.
    net.bind('B-3', 'd1', 'r4', 'SIBLING', undefined, '510100196808088901');
    for (const bindId of ['B-1', 'B-2', 'B-3']) {
      expect(net.sent('identity.refused', bindId).map((m) => m.body)).toEqual([
        { bindId, reason: 'ID_MISMATCH' },
      ]);
      expect(net.bindSaga(bindId).value).toBe('refused');
      expect(net.facts('bind.outcome', bindId).map((f) => [f.outcome, f.reason])).toEqual([
        ['refused', 'ID_MISMATCH'],
      ]);
    }
    expect(net.sent('identity.verify', 'B-3').map((m) => m.to)).toEqual(['province.51']);
    expect(net.sent('bind.challenge')).toEqual([]);
    expect(net.sent('relation.add')).toEqual([]);
    expect(net.wallet('d1').relations).toEqual({});
    expect(net.workTimers).toBe(0);
  });

  it(
    'BIND_EXPIRED: no confirm within bindAuthTtlMs expires the binding, and the challenge is ' +
      're-sent at most challengeResendsMax times',
    () => {
      for (const challengeResendsMax of [0, 1, 3]) {
        const net = new Net({ challengeResendsMax });
        net.bind('B-1', 'd1', 'r1', 'CHILD');
        const deadline = TEN_AM + net.config.bindAuthTtlMs;
        net.advance(deadline - 1);
        expect(net.bindSaga('B-1').value).toBe('challenging');
        expect(net.inboxOf('bind.challenge', 'B-1')).toHaveLength(1 + challengeResendsMax);
        net.advance(deadline);
        expect(net.bindSaga('B-1').value).toBe('expired');
        expect(net.bindSaga('B-1').context.reason).toBe('BIND_EXPIRED');
        expect(net.facts('bind.outcome', 'B-1')).toEqual([
          {
            type: 'bind.outcome',
            corr: 'B-1',
            scope: 'sameProvince',
            outcome: 'expired',
            reason: 'BIND_EXPIRED',
          },
        ]);
        expect(net.inboxOf('bind.challenge', 'B-1')).toHaveLength(1 + challengeResendsMax);
        expect(net.workTimers).toBe(0);
        // A face confirmed too late adds no relation.
        net.confirm('B-1', 'PASS');
        expect(net.sent('relation.add')).toEqual([]);
        expect(net.relation('d1', 'r1')).toEqual({
          donorSide: undefined,
          recipientSide: undefined,
        });
      }
    },
  );

  it(
    'BIND_EXPIRED: a restart resumes the wait; the binding still expires at the deadline, or at ' +
      'once if the deadline has passed',
    () => {
      const net = new Net();
      net.bind('B-1', 'd1', 'r1', 'CHILD');
      const deadline = TEN_AM + net.config.bindAuthTtlMs;
      net.advance(TEN_AM + HOUR_MS);
      const address = net.shardAddressOf('d1');
      // The host lost its timers in the crash; recover() re-arms them.
      net.restartShardOf('d1');
      expect(net.timers.get(`${address}|bind:B-1`)?.at).toBe(deadline);
      net.advance(deadline);
      expect(net.bindSaga('B-1').value).toBe('expired');

      const late = new Net();
      late.bind('B-1', 'd1', 'r1', 'CHILD');
      late.now = deadline;
      late.restartShardOf('d1');
      expect(late.bindSaga('B-1').value).toBe('expired');
      expect(late.bindSaga('B-1').context.reason).toBe('BIND_EXPIRED');
    },
  );

  // BUG (minor; reported, not fixed here): `resume` in challenging always re-sends the face
  // challenge, so every restart adds one more re-send beyond challengeResendsMax.
  it(
    'BIND_EXPIRED: a restart after the last re-send re-arms the deadline without sending the ' +
      'challenge again',
    () => {
      const net = new Net();
      net.bind('B-1', 'd1', 'r1', 'CHILD');
      net.advance(TEN_AM + HOUR_MS);
      const max = net.config.challengeResendsMax;
      expect(net.inboxOf('bind.challenge', 'B-1')).toHaveLength(1 + max);
      const address = net.shardAddressOf('d1');
      net.restartShardOf('d1');
      expect(net.timers.get(`${address}|bind:B-1`)?.at).toBe(TEN_AM + net.config.bindAuthTtlMs);
      expect(net.inboxOf('bind.challenge', 'B-1')).toHaveLength(1 + max);
    },
  );

  it('BIND_EXPIRED: a confirm just before the deadline still binds', () => {
    const net = new Net();
    net.bind('B-1', 'd1', 'r1', 'CHILD');
    net.advance(TEN_AM + net.config.bindAuthTtlMs - 1);
    net.confirm('B-1', 'PASS');
    expect(net.bindSaga('B-1').value).toBe('active');
  });
});

describe('E3: the relative must be enrolled', () => {
  it(
    'E3: a relative the registry has as not enrolled is refused: identity.refused E3, bind ' +
      'outcome refused, no relation',
    () => {
      const net = new Net();
      expect(net.bind('B-1', 'd1', 'r3', 'PARENT').kind).toBe('bind.accepted');
      expect(net.sent('identity.verify', 'B-1').map((m) => m.to)).toEqual(['province.51']);
      expect(net.sent('identity.refused', 'B-1').map((m) => m.body)).toEqual([
        { bindId: 'B-1', reason: 'E3' },
      ]);
      expect(net.bindSaga('B-1').value).toBe('refused');
      expect(net.bindSaga('B-1').context.reason).toBe('E3');
      expect(net.facts('bind.outcome', 'B-1')).toEqual([
        {
          type: 'bind.outcome',
          corr: 'B-1',
          scope: 'sameRegion',
          outcome: 'refused',
          reason: 'E3',
        },
      ]);
      expect(net.sent('bind.challenge')).toEqual([]);
      expect(net.relation('d1', 'r3')).toEqual({ donorSide: undefined, recipientSide: undefined });
      expect(net.request('T-1', 'd1', 'r3', 100n).reason).toBe('NO_RELATION');
    },
  );
});

describe('E4: many recipients per donor, many donors per recipient', () => {
  it(
    'E4: one donor binds two relatives and one recipient is bound by two donors; every pair can ' +
      'transfer',
    () => {
      const net = new Net();
      net.bound('B-1', 'd1', 'r1', 'CHILD');
      net.bound('B-2', 'd1', 'r2', 'SPOUSE');
      net.bound('B-3', 'd2', 'r1', 'SIBLING');
      expect(Object.keys(net.wallet('d1').relations).sort()).toEqual(['r1', 'r2']);
      expect(Object.keys(net.wallet('r1').donors).sort()).toEqual(['d1', 'd2']);
      expect(net.wallet('r1').donors.d2).toEqual({
        kinship: 'SIBLING',
        region: '320500',
        status: 'active',
        bindId: 'B-3',
      });
      net.transfer('T-1', 'd1', 'r1', 10_000n);
      net.transfer('T-2', 'd1', 'r2', 20_000n);
      net.transfer('T-3', 'd2', 'r1', 30_000n);
      expect(balanceOf(net.wallet('r1'))).toBe(40_000n);
      expect(balanceOf(net.wallet('r2'))).toBe(20_000n);
      expect(net.wallet('r1').tranches.map((t) => [t.donorId, t.originRegion, t.amount])).toEqual([
        ['d1', '510100', 10_000n],
        ['d2', '320500', 30_000n],
      ]);
      expect(net.account('d1')?.available).toBe(970_000n);
      expect(net.account('d2')?.available).toBe(470_000n);
    },
  );
});

describe('E5: the relative confirms by face; either party may end the relation', () => {
  it('E5: a failed face verification by the relative rejects the binding and adds no relation', () => {
    const net = new Net();
    net.bind('B-1', 'd1', 'r1', 'CHILD');
    net.confirm('B-1', 'FAIL');
    expect(net.bindSaga('B-1').value).toBe('rejected');
    expect(net.bindSaga('B-1').context.reason).toBe('E5');
    expect(net.facts('bind.outcome', 'B-1').map((f) => [f.outcome, f.reason])).toEqual([
      ['rejected', 'E5'],
    ]);
    expect(net.sent('relation.add')).toEqual([]);
    expect(net.relation('d1', 'r1')).toEqual({ donorSide: undefined, recipientSide: undefined });
    expect(net.workTimers).toBe(0);
    // A later PASS for the same binding changes nothing; a new binding may succeed.
    net.confirm('B-1', 'PASS');
    expect(net.sent('relation.add')).toEqual([]);
    net.bound('B-2', 'd1', 'r1', 'CHILD');
  });

  it('E5: the donor revokes: both sides end, the recipient hears of it, and no new transfer goes', () => {
    const net = new Net();
    net.bound('B-1', 'd1', 'r2', 'SPOUSE');
    net.end('d1', 'r2', 'REVOKED_BY_DONOR');
    const ended = { kinship: 'SPOUSE', status: 'ended', bindId: 'B-1', ending: 'REVOKED_BY_DONOR' };
    expect(net.relation('d1', 'r2')).toEqual({
      donorSide: { ...ended, region: '320500' },
      recipientSide: { ...ended, region: '510100' },
    });
    expect(
      net
        .sent('relation.ended')
        .filter((m) => m.to !== APP)
        .map((m) => [m.from, m.to, m.body]),
    ).toEqual([
      [
        net.shardAddressOf('d1'),
        net.shardAddressOf('r2'),
        { donorId: 'd1', recipientId: 'r2', ending: 'REVOKED_BY_DONOR', bindId: 'B-1' },
      ],
    ]);
    expect(net.inboxOf('relation.ended')).toHaveLength(1);
    expect(net.facts('relation.ended')).toEqual([
      { type: 'relation.ended', corr: 'B-1', scope: 'crossProvince', ending: 'REVOKED_BY_DONOR' },
    ]);
    expect(net.request('T-1', 'd1', 'r2', 100n)).toEqual({
      kind: 'transfer.refused',
      reason: 'W19',
    });
  });

  it('E5: the recipient revokes: both sides end, the donor hears of it, and no new transfer goes', () => {
    const net = new Net();
    net.bound('B-1', 'd1', 'r2', 'SPOUSE');
    net.end('d1', 'r2', 'REVOKED_BY_RECIPIENT');
    expect(net.relation('d1', 'r2').donorSide?.status).toBe('ended');
    expect(net.relation('d1', 'r2').donorSide?.ending).toBe('REVOKED_BY_RECIPIENT');
    expect(net.relation('d1', 'r2').recipientSide?.status).toBe('ended');
    expect(
      net
        .sent('relation.ended')
        .filter((m) => m.to !== APP)
        .map((m) => [m.from, m.to]),
    ).toEqual([[net.shardAddressOf('r2'), net.shardAddressOf('d1')]]);
    expect(net.request('T-1', 'd1', 'r2', 100n)).toEqual({
      kind: 'transfer.refused',
      reason: 'W19',
    });
    // Revoking again changes nothing and tells nobody twice.
    net.end('d1', 'r2', 'REVOKED_BY_RECIPIENT');
    expect(net.sent('relation.ended').filter((m) => m.to !== APP)).toHaveLength(1);
    expect(net.facts('relation.ended')).toHaveLength(1);
  });

  it(
    'E5: if the notice of a revocation is lost, the recipient side still refuses credits (W19) ' +
      "and the donor's hold is released",
    () => {
      const net = new Net();
      net.bound('B-1', 'd1', 'r1', 'CHILD');
      net.drop = (m) => m.kind === 'relation.ended' && m.to !== APP;
      net.end('d1', 'r1', 'REVOKED_BY_RECIPIENT');
      net.drop = () => false;
      expect(net.relation('d1', 'r1').donorSide?.status).toBe('active');
      expect(net.request('T-1', 'd1', 'r1', 100n).kind).toBe('transfer.accepted');
      net.auth('T-1', 'PASS');
      expect(net.saga('T-1').value).toBe('rejected');
      expect(net.saga('T-1').context.reason).toBe('W19');
      expect(net.account('d1')).toEqual({ region: '510100', available: 1_000_000n, held: 0n });
      expect(balanceOf(net.wallet('r1'))).toBe(0n);
    },
  );

  // BUG (reported, not fixed here): notices of an ended relation are sent once, best effort, and
  // BOUND is decided on the donor's cached copy. When the recipient revokes and the notice to the
  // donor is lost, the donor's copy stays active for good: every re-bind is refused BOUND, and
  // every transfer is reserved and then released W19 (nothing heals the cache).
  it(
    'E5: after the recipient revokes and the notice to the donor is lost, the donor may bind ' +
      'the relative again',
    () => {
      const net = new Net();
      net.bound('B-1', 'd1', 'r1', 'CHILD');
      net.drop = (m) => m.kind === 'relation.ended' && m.to !== APP;
      net.end('d1', 'r1', 'REVOKED_BY_RECIPIENT');
      net.drop = () => false;
      // A transfer attempt is turned down at the credit (W19) …
      net.request('T-1', 'd1', 'r1', 100n);
      net.auth('T-1', 'PASS');
      expect(net.saga('T-1').context.reason).toBe('W19');
      // … but the donor still cannot bind the relative again.
      expect(net.bind('B-2', 'd1', 'r1', 'CHILD').kind).toBe('bind.accepted');
    },
  );

  it('E5: after a revocation the pair may bind again', () => {
    const net = new Net();
    net.bound('B-1', 'd1', 'r1', 'CHILD');
    net.end('d1', 'r1', 'REVOKED_BY_DONOR');
    net.bound('B-2', 'd1', 'r1', 'CHILD');
    expect(net.relation('d1', 'r1').donorSide).toEqual({
      kinship: 'CHILD',
      region: '510700',
      status: 'active',
      bindId: 'B-2',
    });
    expect(net.relation('d1', 'r1').recipientSide?.status).toBe('active');
    net.transfer('T-1', 'd1', 'r1', 100n);
    expect(balanceOf(net.wallet('r1'))).toBe(100n);
  });
});

describe("E6: a change of enrolment ends the person's relations", () => {
  it(
    'E6: an enrolment change ends every relation of the person, as donor and as recipient, on ' +
      'both sides, and tells the other parties',
    () => {
      const net = new Net({}, [
        D1_R1,
        D1_R2,
        { donor: 'd2', recipient: 'r1', kinship: 'SIBLING' },
        { donor: 'd2', recipient: 'd1', kinship: 'SIBLING' },
      ]);
      // d1 is donor to r1 and r2, and recipient of d2.
      net.fromApp(net.shardAddressOf('d1'), 'enrolment.change', 'X-1', { personId: 'd1' });
      expect(net.inboxOf('enrolment.changed', 'X-1').map((m) => m.body)).toEqual([
        { personId: 'd1' },
      ]);
      for (const [donor, recipient] of [
        ['d1', 'r1'],
        ['d1', 'r2'],
        ['d2', 'd1'],
      ] as const) {
        const { donorSide, recipientSide } = net.relation(donor, recipient);
        expect(donorSide?.status, `${donor}→${recipient} donor side`).toBe('ended');
        expect(recipientSide?.status, `${donor}→${recipient} recipient side`).toBe('ended');
        expect(donorSide?.ending).toBe('ENROLMENT_CHANGED');
        expect(recipientSide?.ending).toBe('ENROLMENT_CHANGED');
      }
      const notices = net
        .sent('relation.ended')
        .map((m) => [m.from, m.to, m.body.donorId, m.body.recipientId, m.body.ending]);
      expect(notices).toEqual([
        [net.shardAddressOf('d1'), net.shardAddressOf('r1'), 'd1', 'r1', 'ENROLMENT_CHANGED'],
        [net.shardAddressOf('d1'), net.shardAddressOf('r2'), 'd1', 'r2', 'ENROLMENT_CHANGED'],
        [net.shardAddressOf('d1'), net.shardAddressOf('d2'), 'd2', 'd1', 'ENROLMENT_CHANGED'],
      ]);
      expect(net.facts('relation.ended').map((f) => [f.corr, f.ending])).toEqual([
        [bindIdOf(D1_R1), 'ENROLMENT_CHANGED'],
        [bindIdOf(D1_R2), 'ENROLMENT_CHANGED'],
        ['B-d2-d1', 'ENROLMENT_CHANGED'],
      ]);
      // Relations not involving d1 are untouched.
      expect(net.relation('d2', 'r1').donorSide?.status).toBe('active');
      expect(net.relation('d2', 'r1').recipientSide?.status).toBe('active');
      // No transfer from or to d1 any more (W19).
      expect(net.request('T-1', 'd1', 'r1', 100n).reason).toBe('W19');
      expect(net.request('T-2', 'd2', 'd1', 100n).reason).toBe('W19');
      expect(net.request('T-3', 'd2', 'r1', 100n).kind).toBe('transfer.accepted');
    },
  );
});

describe('E7: kinship scope widens per province over time', () => {
  const INNER_MONGOLIA: Bound[] = [
    { donor: 'nm', recipient: 'm1', kinship: 'SIBLING' },
    { donor: 'nm', recipient: 'm2', kinship: 'PARENT' },
  ];

  it(
    'E7: a donor in a late province (Inner Mongolia, 150100) may not send to a sibling on ' +
      '2025-06-01 but may to a parent; from 2025-07-01 it may',
    () => {
      const net = new Net({ startDate: '2025-06-01' }, INNER_MONGOLIA);
      expect(net.request('T-1', 'nm', 'm1', 100n)).toEqual({
        kind: 'transfer.refused',
        reason: 'E7',
      });
      expect(net.shardOf('nm').hasSaga('T-1')).toBe(false);
      expect(net.request('T-2', 'nm', 'm2', 100n).kind).toBe('transfer.accepted');
      net.auth('T-2', 'PASS');
      // 2025-06-30 is still before; 2025-07-01 is day 30.
      net.advance(at(29, 21));
      expect(net.request('T-3', 'nm', 'm1', 100n).reason).toBe('E7');
      net.advance(at(30, 6));
      expect(net.request('T-4', 'nm', 'm1', 100n).kind).toBe('transfer.accepted');
      net.auth('T-4', 'PASS');
      expect(balanceOf(net.wallet('m1'))).toBe(100n);
    },
  );

  it('E7: an early province (Sichuan) may send to a sibling on 2025-06-01', () => {
    const net = new Net({ startDate: '2025-06-01' }, [
      { donor: 'd1', recipient: 'res', kinship: 'SIBLING' },
    ]);
    expect(net.request('T-1', 'd1', 'res', 100n).kind).toBe('transfer.accepted');
  });

  it('E7: nor may the late province bind a sibling before 2025-07-01', () => {
    const net = new Net({ startDate: '2025-06-01' });
    expect(net.bind('B-1', 'nm', 'm1', 'SIBLING')).toEqual({ kind: 'bind.refused', reason: 'E7' });
    expect(net.bind('B-2', 'nm', 'm2', 'PARENT').kind).toBe('bind.accepted');
    net.advance(at(30, 9));
    expect(net.bind('B-3', 'nm', 'm1', 'SIBLING').kind).toBe('bind.accepted');
  });
});

describe('E8: cross-province transfers and bindings follow the wallet rollout', () => {
  it(
    'E8: on 2024-12-01 a cross-province transfer is refused E8 and a same-province one allowed; ' +
      'from 2024-12-02 the pilot pair Chengdu → Suzhou is allowed',
    () => {
      const net = new Net({ startDate: '2024-12-01' }, [D1_R1, D1_R2]);
      expect(net.request('T-1', 'd1', 'r2', 100n)).toEqual({
        kind: 'transfer.refused',
        reason: 'E8',
      });
      expect(net.shardOf('d1').hasSaga('T-1')).toBe(false);
      expect(net.request('T-2', 'd1', 'r1', 100n).kind).toBe('transfer.accepted');
      net.advance(at(1, 9));
      expect(net.request('T-3', 'd1', 'r2', 100n).kind).toBe('transfer.accepted');
    },
  );

  it(
    'E8: a binding across regions without the wallet is refused E8 once the registry names the ' +
      "relative's region, before any face check; the next day the pilot pair binds",
    () => {
      const net = new Net({ startDate: '2024-12-01' });
      expect(net.bind('B-1', 'd1', 'r2', 'SPOUSE').kind).toBe('bind.accepted');
      expect(net.sent('identity.verified', 'B-1').map((m) => m.body)).toEqual([
        { bindId: 'B-1', region: '320500' },
      ]);
      expect(net.bindSaga('B-1').value).toBe('refused');
      expect(net.bindSaga('B-1').context.reason).toBe('E8');
      expect(net.facts('bind.outcome', 'B-1')).toEqual([
        {
          type: 'bind.outcome',
          corr: 'B-1',
          scope: 'crossProvince',
          outcome: 'refused',
          reason: 'E8',
        },
      ]);
      expect(net.sent('bind.challenge')).toEqual([]);
      expect(net.relation('d1', 'r2')).toEqual({ donorSide: undefined, recipientSide: undefined });
      // Within the province the same day, a binding goes on to the relative's face.
      expect(net.bind('B-2', 'd1', 'r1', 'CHILD').kind).toBe('bind.accepted');
      expect(net.sent('bind.challenge', 'B-2')).toHaveLength(1);
      net.advance(at(1, 9));
      expect(net.bind('B-3', 'd1', 'r2', 'SPOUSE').kind).toBe('bind.accepted');
      expect(net.sent('bind.challenge', 'B-3')).toHaveLength(1);
    },
  );

  it('E8: on 2025-10-01 Guangdong (440100) is still refused, other provinces allowed', () => {
    const net = new Net({ startDate: '2025-10-01' }, [
      { donor: 'd1', recipient: 'r5', kinship: 'CHILD' },
      D1_R2,
      { donor: 'd1', recipient: 'r4', kinship: 'SIBLING' },
      { donor: 'gd', recipient: 'r4', kinship: 'SIBLING' },
      { donor: 'gd', recipient: 'r5', kinship: 'CHILD' },
    ]);
    expect(net.request('T-1', 'd1', 'r5', 100n)).toEqual({
      kind: 'transfer.refused',
      reason: 'E8',
    });
    expect(net.request('T-2', 'd1', 'r2', 100n).kind).toBe('transfer.accepted');
    expect(net.request('T-3', 'd1', 'r4', 100n).kind).toBe('transfer.accepted');
    // Out of Guangdong too; within Guangdong it works.
    expect(net.request('T-4', 'gd', 'r4', 100n)).toEqual({
      kind: 'transfer.refused',
      reason: 'E8',
    });
    expect(net.request('T-5', 'gd', 'r5', 100n).kind).toBe('transfer.accepted');
  });
});
