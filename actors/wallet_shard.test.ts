// The wallet shard as the other actors see it (actors/wallet_shard.actor.ts): what it answers for
// a wallet it does not hold, its read-only answers (W10's wallet.check, a province's hold.query),
// how a transfer's waiting W10 check is decided, the facts a transfer reports on its way to its
// receipt (W11), what a binding records as the relative's region, what a restart does to a bill
// at rest, and the messages it ignores. The shards and provinces are the real actors of
// testing/net.ts; a message delivered by hand goes straight to one shard, on fresh effects.
import { describe, expect, it } from 'vitest';

import type { AnyEnvelope, Body, Kind } from '../protocol/index.ts';
import { envelope, RecordingEffects } from '../testing/fakes.ts';
import { APP, type Bound, Net, type Person } from '../testing/net.ts';
import { HOUR_MS } from './config.ts';
import { UnroutableError } from './errors.ts';
import { RECORDS } from './records.ts';
import { TIMERS } from './timers.ts';
import { WalletShardActor } from './wallet_shard.actor.ts';

const PEOPLE: readonly Person[] = [
  {
    id: 'don',
    region: '510100',
    ebmi: true,
    balance: 1_000_000n,
    name: '王建国',
    idNo: '510100197001011234',
  },
  {
    id: 'rec',
    region: '510100',
    ebmi: false,
    name: '王小红',
    idNo: '510100199901015678',
    kin: { don: 'CHILD' },
  },
  // A child whose wallet is not open yet: the donor's copy of the relation says so.
  {
    id: 'new',
    region: '510100',
    ebmi: false,
    status: 'unopened',
    name: '王小明',
    idNo: '510100200101016789',
    kin: { don: 'CHILD' },
  },
  // Insured in Mianyang (510700), with an ID number issued in Chengdu (510100).
  {
    id: 'rel',
    region: '510700',
    ebmi: false,
    name: '王小芳',
    idNo: '510100199505055678',
    kin: { don: 'SIBLING' },
  },
  {
    id: 'pat',
    region: '510100',
    ebmi: true,
    balance: 5_000n,
    name: '李明',
    idNo: '510100198001011111',
  },
];

const BOUND: readonly Bound[] = [
  { donor: 'don', recipient: 'rec', kinship: 'CHILD' },
  { donor: 'don', recipient: 'new', kinship: 'CHILD' },
];

const PROVINCE = 'province.51';

/** Four shards: don and pat on one, rec and new on another, rel on a third. */
function world(): Net {
  const net = new Net(PEOPLE, { walletShardCount: 4 }, BOUND);
  expect(net.shardAddressOf('pat')).toBe(net.shardAddressOf('don'));
  expect(net.shardAddressOf('new')).toBe(net.shardAddressOf('rec'));
  expect(net.shardAddressOf('rec')).not.toBe(net.shardAddressOf('don'));
  return net;
}

/** One message straight to the shard at `to`, on fresh effects that are not delivered. */
function handle<K extends Kind>(
  net: Net,
  to: string,
  kind: K,
  from: string,
  corr: string,
  body: Body<K>,
): RecordingEffects {
  const shard = net.actors.get(to);
  if (!(shard instanceof WalletShardActor)) throw new Error(`no shard at ${to}`);
  const fx = new RecordingEffects();
  shard.handle(envelope(kind, from, to, corr, body, net.now) as AnyEnvelope, net.now, fx);
  return fx;
}

const nothing = (fx: RecordingEffects) => ({
  sends: fx.sends,
  writes: fx.writes,
  timers: fx.timers,
  events: fx.events,
});
const NOTHING = { sends: [], writes: [], timers: [], events: [] };

describe('messages the shard routes nowhere', () => {
  it('a kind no wallet shard accepts is refused as unroutable, naming the shard and kind', () => {
    const net = world();
    const at = net.shardAddressOf('don');
    const body = { transferId: 'T-1', accountId: 'don', amount: 100n };
    expect(() => handle(net, at, 'account.reserve', at, 'T-1', body)).toThrow(UnroutableError);
    expect(() => handle(net, at, 'account.reserve', at, 'T-1', body)).toThrow(
      `${at} does not accept account.reserve`,
    );
  });

  it('a fired timer of no kind it arms, or of a saga it does not hold, does nothing', () => {
    const net = world();
    const shard = net.shardOf('don');
    for (const key of [
      'nonsense:1',
      TIMERS.month.key(),
      TIMERS.billSaga.key('B-none'),
      TIMERS.contributionSaga.key('P-none'),
      TIMERS.transferSaga.key('T-none'),
    ]) {
      const fx = new RecordingEffects();
      shard.timer(key, 0, net.now, fx);
      expect(nothing(fx), key).toEqual(NOTHING);
    }
  });

  it("a province's late answer for a bill or contribution the shard does not hold: ignored", () => {
    const net = world();
    const at = net.shardAddressOf('pat');
    const answers = [
      handle(net, at, 'bill.reserved', PROVINCE, 'B-none', {
        billId: 'B-none',
        fundPay: 0n,
        acctPay: 0n,
        remainder: 0n,
      }),
      handle(net, at, 'bill.committed', PROVINCE, 'B-none', { billId: 'B-none' }),
      handle(net, at, 'tax.claimed', PROVINCE, 'P-none', { payId: 'P-none', amount: 100n }),
      handle(net, at, 'settlement.recorded', PROVINCE, 'P-none', { lineId: 'P-none.1' }),
      handle(net, at, 'settlement.unrecorded', PROVINCE, 'P-none', { lineId: 'P-none.1' }),
    ];
    for (const fx of answers) expect(nothing(fx)).toEqual(NOTHING);
  });
});

describe('NO_WALLET: a message for a wallet the shard does not hold', () => {
  it('is refused to its sender under its own id, if the sender waits for an answer', () => {
    const net = world();
    const at = net.shardAddressOf('don');
    const peer = net.shardAddressOf('rec');
    expect(
      handle(net, at, 'transfer.request', APP, 'T-1', {
        transferId: 'T-1',
        donorId: 'ghost',
        recipientId: 'rec',
        amount: 100n,
        source: 'ACCOUNT',
      }).sends,
    ).toEqual([
      {
        to: APP,
        kind: 'transfer.refused',
        corr: 'T-1',
        body: { transferId: 'T-1', reason: 'NO_WALLET' },
      },
    ]);
    expect(
      handle(net, at, 'bind.request', APP, 'B-1', {
        bindId: 'B-1',
        donorId: 'ghost',
        relativeId: 'rec',
        name: '王小红',
        idNo: '510100199901015678',
        kinship: 'CHILD',
      }).sends,
    ).toEqual([
      { to: APP, kind: 'bind.refused', corr: 'B-1', body: { bindId: 'B-1', reason: 'NO_WALLET' } },
    ]);
    expect(
      handle(net, at, 'contribution.pay', APP, 'P-1', {
        payId: 'P-1',
        payerId: 'ghost',
        personId: 'ghost',
        year: 2025,
        source: 'WALLET',
        idNo: '510100199901015678',
      }).sends,
    ).toEqual([
      {
        to: APP,
        kind: 'contribution.refused',
        corr: 'P-1',
        body: { payId: 'P-1', reason: 'NO_WALLET' },
      },
    ]);
    expect(
      handle(net, at, 'wallet.credit', peer, 'T-2', {
        transferId: 'T-2',
        walletId: 'ghost',
        donorId: 'rec',
        originRegion: '510100',
        amount: 100n,
      }).sends,
    ).toEqual([
      {
        to: peer,
        kind: 'wallet.rejected',
        corr: 'T-2',
        body: { transferId: 'T-2', reason: 'NO_WALLET' },
      },
    ]);
  });

  it('is dropped when its sender waits for no answer', () => {
    const net = world();
    const at = net.shardAddressOf('don');
    expect(
      nothing(handle(net, at, 'enrolment.change', PROVINCE, 'E-1', { personId: 'ghost' })),
    ).toEqual(NOTHING);
    expect(
      nothing(
        handle(net, at, 'transfer.receive', APP, 'T-1', { transferId: 'T-1', walletId: 'ghost' }),
      ),
    ).toEqual(NOTHING);
  });
});

describe('W10: whether the recipient’s wallet is open', () => {
  it('wallet.check answers Y for an active wallet and N for an unopened or unknown one', () => {
    const net = world();
    const at = net.shardAddressOf('rec');
    const from = net.shardAddressOf('don');
    const check = (walletId: string) =>
      handle(net, at, 'wallet.check', from, 'T-1', { transferId: 'T-1', walletId }).sends;
    const answer = (walletId: string, open: 'Y' | 'N') => [
      {
        to: from,
        kind: 'wallet.checked',
        corr: 'T-1',
        body: { transferId: 'T-1', walletId, open },
      },
    ];
    expect(check('rec')).toEqual(answer('rec', 'Y'));
    expect(check('new')).toEqual(answer('new', 'N'));
    expect(check('ghost')).toEqual(answer('ghost', 'N'));
  });

  it("a waiting request is decided only by its recipient's shard answering for that wallet", () => {
    const net = world();
    const at = net.shardAddressOf('don');
    const theirs = net.shardAddressOf('new');
    const request = { transferId: 'T-1', donorId: 'don', recipientId: 'new', amount: 10_000n };
    expect(
      handle(net, at, 'transfer.request', APP, 'T-1', { ...request, source: 'ACCOUNT' }).sends,
    ).toEqual([
      {
        to: theirs,
        kind: 'wallet.check',
        corr: 'T-1',
        body: { transferId: 'T-1', walletId: 'new' },
      },
    ]);
    const checked = (transferId: string, walletId: string, open: 'Y' | 'N') =>
      handle(net, at, 'wallet.checked', theirs, transferId, { transferId, walletId, open });
    // An answer for a transfer nobody waits on, and one about another wallet of that shard.
    expect(nothing(checked('T-0', 'new', 'Y'))).toEqual(NOTHING);
    expect(nothing(checked('T-1', 'rec', 'Y'))).toEqual(NOTHING);
    // The recipient's own answer decides: not open, refused W10.
    expect(checked('T-1', 'new', 'N').sent('transfer.refused')).toEqual([
      {
        to: APP,
        kind: 'transfer.refused',
        corr: 'T-1',
        body: { transferId: 'T-1', reason: 'W10' },
      },
    ]);
  });
});

describe('hold.query: a province asks whether a saga still stands behind its hold', () => {
  it('Y while the transfer or bill runs (a bill’s aid held under `<bill>.f`), N after', () => {
    const net = world();
    const at = net.shardAddressOf('don');
    const hold = (holdId: string) => handle(net, at, 'hold.query', PROVINCE, holdId, { holdId });
    const live = (holdId: string) => hold(holdId).sent('hold.status');
    const status = (holdId: string, flag: 'Y' | 'N') => [
      { to: PROVINCE, kind: 'hold.status', corr: holdId, body: { holdId, live: flag } },
    ];
    expect(hold('T-1').sends).toEqual(status('T-1', 'N'));
    expect(net.request('T-1', 'don', 'rec', 10_000n).kind).toBe('transfer.accepted');
    expect(hold('T-1').sends).toEqual(status('T-1', 'Y'));
    expect(live('T-2')).toEqual(status('T-2', 'N'));
    net.auth('T-1', 'FAIL');
    expect(net.saga('T-1').value).toBe('rejected');
    expect(live('T-1')).toEqual(status('T-1', 'N'));

    const presettled = net.presettle({
      billId: 'B-1',
      personId: 'pat',
      treatmentRegion: '510100',
      total: 30_000n,
    });
    expect(presettled.map((m) => m.kind)).toEqual(['bill.presettled']);
    expect(live('B-1')).toEqual(status('B-1', 'Y'));
    expect(live('B-1.f')).toEqual(status('B-1.f', 'Y'));
    expect(live('B-2.f')).toEqual(status('B-2.f', 'N'));
    expect(net.cancel('B-1', 'pat').map((m) => m.kind)).toEqual(['bill.cancelled']);
    expect(live('B-1')).toEqual(status('B-1', 'N'));
    expect(live('B-1.f')).toEqual(status('B-1.f', 'N'));
  });
});

describe('a restarted shard and its bills', () => {
  it('a pre-settled bill re-arms its expiry on a restart and reports no outcome again', () => {
    const net = world();
    const at = net.shardAddressOf('pat');
    const bill = { billId: 'B-1', personId: 'pat', treatmentRegion: '510100', total: 30_000n };
    expect(net.presettle(bill).map((m) => m.kind)).toEqual(['bill.presettled']);
    const outcomes = net.facts('bill.outcome', 'B-1').map((f) => f.outcome);
    expect(outcomes).toEqual(['started', 'presettled']);
    const expiry = `${at}|${TIMERS.billSaga.key('B-1')}`;
    expect(net.timers.has(expiry)).toBe(true);
    net.restartShardOf('pat');
    expect(net.timers.has(expiry)).toBe(true);
    expect(net.facts('bill.outcome', 'B-1').map((f) => f.outcome)).toEqual(outcomes);
  });

  it('a settled bill rests: kept and written as its state and context alone', () => {
    const net = world();
    const at = net.shardAddressOf('pat');
    const bill = { billId: 'B-1', personId: 'pat', treatmentRegion: '510100', total: 30_000n };
    net.presettle(bill);
    expect(net.settle('B-1', 'pat').map((m) => m.kind)).toEqual(['bill.settled']);
    const record = net.durable.get(at)?.get(RECORDS.billSaga.key('B-1')) as object;
    expect(Object.keys(record)).toEqual(['status', 'value', 'context']);
    expect(record).toMatchObject({ status: 'active', value: 'settled' });
    expect(Object.isFrozen(net.shardOf('pat').bills.get('B-1'))).toBe(true);
  });
});

describe('what a transfer reports (F2, W11)', () => {
  it('completed once when recorded, then its receipt; postings on the shards’ own ledgers', () => {
    const net = world();
    net.transfer('T-1', 'don', 'rec', 10_000n);
    expect(net.saga('T-1').value).toBe('awaitingReceipt');
    net.receive('T-1', 'rec');
    expect(net.saga('T-1').value).toBe('received');
    expect(net.facts('transfer.outcome', 'T-1').map((f) => f.outcome)).toEqual(['completed']);
    expect(net.facts('transfer.receipt', 'T-1').map((f) => f.outcome)).toEqual(['received']);
    // The recipient's shard booked the credit on its ledger, named after it.
    const theirs = net.shardAddressOf('rec');
    const ledgers = net.events
      .filter((e) => e.address === theirs && e.event.type === 'posting')
      .map((e) => (e.event as { ledger: string }).ledger);
    expect(ledgers.length).toBeGreaterThan(0);
    expect(new Set(ledgers)).toEqual(new Set([`ledger.${theirs}`]));
  });

  it('a receipt that comes before the liability is recorded: completed, then received', () => {
    const net = world();
    net.drop = (m) => m.kind === 'liability.recorded';
    net.transfer('T-1', 'don', 'rec', 10_000n);
    expect(net.saga('T-1').value).toBe('recording');
    net.receive('T-1', 'rec');
    expect(net.saga('T-1').value).toBe('recording');
    net.drop = () => false;
    net.advance(net.now + HOUR_MS);
    expect(net.saga('T-1').value).toBe('received');
    expect(net.facts('transfer.outcome', 'T-1').map((f) => f.outcome)).toEqual(['completed']);
    expect(net.facts('transfer.receipt', 'T-1').map((f) => f.outcome)).toEqual(['received']);
  });

  it('a transfer rejected for anything but W10 leaves the donor’s relation as it was', () => {
    const net = world();
    const before = net.relation('don', 'rec').donorSide;
    expect(net.request('T-1', 'don', 'rec', 10_000n).kind).toBe('transfer.accepted');
    net.auth('T-1', 'FAIL');
    expect(net.saga('T-1').value).toBe('rejected');
    expect(net.saga('T-1').context.reason).not.toBe('W10');
    expect(net.relation('don', 'rec').donorSide).toEqual(before);
  });
});

describe('F1: the relation a binding records', () => {
  it("takes the relative's region from the registry, not from the ID number's prefix", () => {
    const net = world();
    net.bound('B-1', 'don', 'rel', 'SIBLING');
    expect(net.relation('don', 'rel').donorSide?.region).toBe('510700');
    expect(net.facts('bind.outcome', 'B-1')).toMatchObject([
      { outcome: 'active', scope: 'sameProvince' },
    ]);
  });
});

describe("the shard's own consistency checks", () => {
  it('refuses to start a transfer saga for a recipient the donor has no relation with', () => {
    const net = world();
    const at = net.shardAddressOf('don');
    const body = {
      transferId: 'T-1',
      donorId: 'don',
      recipientId: 'pat',
      amount: 100n,
      source: 'ACCOUNT' as const,
    };
    const request = envelope('transfer.request', APP, at, 'T-1', body);
    const donor = net.wallet('don');
    expect(() =>
      net.shardOf('don').startSaga(donor, request, net.now, new RecordingEffects()),
    ).toThrow('startSaga: don has no relation pat');
  });

  it("a saga whose donor's wallet is missing from the records fails, naming the wallet", () => {
    const net = world();
    const at = net.shardAddressOf('don');
    expect(net.request('T-1', 'don', 'rec', 10_000n).kind).toBe('transfer.accepted');
    const records = new Map(net.durable.get(at));
    records.delete(RECORDS.wallet.key('don'));
    const shard = new WalletShardActor(at, records, net.machines);
    const auth = { transferId: 'T-1', method: 'FACE' as const, verdict: 'FAIL' as const };
    const env = envelope('transfer.auth', APP, at, 'T-1', auth);
    expect(() => shard.handle(env, net.now, new RecordingEffects())).toThrow(
      'stepWallet: unknown wallet don',
    );
  });
});
