// The wallet machine alone (actors/wallet.machine.ts), stepped event by event with a fake shard
// that records what the machine asks of it: the answers a wallet sends, what it books through its
// shard (spends, relation endings, contributions) and what its context keeps afterwards. The
// shard-level rules are in wallet_rules.test.ts; these pin the steps the shard cannot show apart.
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';

import type { Body, Envelope, Fen, Kind } from '../protocol/index.ts';
import { activeRelation as active, envelope, RecordingEffects } from '../testing/fakes.ts';
import { PROTOCOL_DEFAULTS, type ProtocolConfig } from './config.ts';
import { MachineDriver } from './machine_driver.ts';
import { createWalletMachine, type ShardPort, type WalletEvent } from './wallet.machine.ts';
import {
  initialWalletContext,
  type Piece,
  type Relation,
  type WalletContext,
  type WalletInput,
  type WalletStatus,
} from './wallet.ts';

const APP = 'app.0';
const SHARD = 'wallet.00';
const TEN_AM = 36_000_000;
const REGION = '510100';
const config: ProtocolConfig = { ...PROTOCOL_DEFAULTS, walletShardCount: 1 };

/** A shard that starts nothing and records what the wallet asks of it. */
class FakeShard implements ShardPort {
  readonly policy = { kinshipAllowed: () => true, transferAllowed: () => true };
  readonly sagas = new Set<string>();
  readonly bindIds = new Set<string>();
  readonly payIds = new Set<string>();
  readonly contributions: { payId: string; personRegion: string }[] = [];
  readonly spends: { id: string; pieces: readonly Piece[]; undo: boolean; after: Fen }[] = [];
  readonly endings: { role: string; otherId: string; relation: Relation; ending: string }[] = [];

  hasSaga(transferId: string) {
    return this.sagas.has(transferId);
  }
  startSaga(_donor: WalletContext, request: Envelope<'transfer.request'>) {
    this.sagas.add(request.corr);
  }
  checkRecipient() {}
  hasBind(bindId: string) {
    return this.bindIds.has(bindId);
  }
  startBind(_donor: WalletContext, request: Envelope<'bind.request'>) {
    this.bindIds.add(request.corr);
  }
  hasContribution(payId: string) {
    return this.payIds.has(payId);
  }
  startContribution(
    _payer: WalletContext,
    request: Envelope<'contribution.pay'>,
    personRegion: string,
  ) {
    this.payIds.add(request.corr);
    this.contributions.push({ payId: request.corr, personRegion });
  }
  bookCredit() {}
  bookReturn() {}
  tellReceived() {}
  bookSpend(
    _wallet: WalletContext,
    id: string,
    pieces: readonly Piece[],
    undo: boolean,
    after: Fen,
  ) {
    this.spends.push({ id, pieces, undo, after });
  }
  relationEnded(
    _wallet: WalletContext,
    role: 'donor' | 'recipient',
    otherId: string,
    relation: Relation,
    ending: string,
  ) {
    this.endings.push({ role, otherId, relation, ending });
  }
}

const driver = new MachineDriver(createWalletMachine(config));

/** One wallet, stepped through events; every message it carries goes through `shard`. */
class Wallet {
  readonly shard = new FakeShard();
  snapshot;

  constructor(input: Partial<WalletInput> & { status?: WalletStatus } = {}) {
    const full: WalletInput = {
      walletId: 'me',
      region: REGION,
      status: 'active',
      ebmi: true,
      relations: {},
      donors: {},
      ...input,
    };
    this.snapshot = driver.restore({ value: full.status, context: initialWalletContext(full) });
  }

  get context(): WalletContext {
    return this.snapshot.context;
  }

  get state(): unknown {
    return this.snapshot.value;
  }

  step(event: WalletEvent): void {
    this.snapshot = driver.step(this.snapshot, event);
  }

  /** A message from `from`, as the shard hands it over; what the wallet sent in reply. */
  carry<K extends Kind>(kind: K, corr: string, body: Body<K>, from = APP, checked?: boolean) {
    const fx = new RecordingEffects();
    const env = envelope(kind, from, SHARD, corr, body, TEN_AM);
    const { shard } = this;
    this.step({ type: kind, env, shard, now: TEN_AM, fx, checked } as unknown as WalletEvent);
    return fx.sends;
  }

  spend(type: 'spend.commit' | 'spend.release' | 'spend.undo', id: string): void {
    this.step({ type, id, fx: new RecordingEffects(), shard: this.shard });
  }

  hold(id: string, max: Fen): void {
    this.step({ type: 'spend.hold', id, max, spendRegion: REGION });
  }

  /** A credit from `donorId`, received at once by its holder. */
  receive(transferId: string, donorId: string, amount: Fen): void {
    const body = { transferId, walletId: 'me', donorId, originRegion: '440300', amount };
    this.carry('wallet.credit', transferId, body, 'wallet.05');
    this.carry('transfer.receive', transferId, { transferId, walletId: 'me' });
  }

  transfer(transferId: string, recipientId: string) {
    const body = { transferId, donorId: 'me', recipientId, amount: 100n, source: 'ACCOUNT' };
    return this.carry('transfer.request', transferId, body as Body<'transfer.request'>);
  }

  bind(bindId: string, relativeId: string) {
    const body = { bindId, donorId: 'me', relativeId, name: 'N', idNo: '510100', kinship: 'CHILD' };
    return this.carry('bind.request', bindId, body as Body<'bind.request'>);
  }
}

describe('a wallet machine started from its input', () => {
  it('starts unopened with the input as its context', () => {
    const input: WalletInput = {
      walletId: 'w1',
      region: REGION,
      status: 'active',
      ebmi: true,
      relations: { r: active('CHILD', REGION, 'B1') },
      donors: {},
    };
    const actor = createActor(createWalletMachine(config), { input }).start();
    const snapshot = actor.getSnapshot();
    expect(snapshot.value).toBe('unopened');
    expect(snapshot.context).toEqual(initialWalletContext(input));
    actor.stop();
  });
});

describe('a donor: transfers and bindings under way', () => {
  const relations = { a: active('CHILD', REGION, 'B-a'), b: active('SPOUSE', REGION, 'B-b') };

  it('W12: a finished transfer frees its recipient only', () => {
    const w = new Wallet({ relations });
    w.transfer('T1', 'a');
    w.transfer('T2', 'b');
    w.step({ type: 'saga.done', recipientId: 'a' });
    expect(w.transfer('T3', 'b')).toEqual([
      { to: APP, kind: 'transfer.refused', corr: 'T3', body: { transferId: 'T3', reason: 'W12' } },
    ]);
    expect(w.transfer('T4', 'a')).toEqual([
      { to: APP, kind: 'transfer.accepted', corr: 'T4', body: { transferId: 'T4' } },
    ]);
    expect(w.context.pendingTo).toEqual(['b', 'a']);
  });

  it('F1: a binding accepted, asked again, and done frees its relative only', () => {
    const w = new Wallet();
    const accepted = (bindId: string) => ({
      to: APP,
      kind: 'bind.accepted',
      corr: bindId,
      body: { bindId },
    });
    expect(w.bind('B1', 'a')).toEqual([accepted('B1')]);
    expect(w.bind('B1', 'a')).toEqual([accepted('B1')]);
    w.bind('B2', 'b');
    w.step({ type: 'bind.done', recipientId: 'a' });
    expect(w.bind('B3', 'b')).toEqual([
      { to: APP, kind: 'bind.refused', corr: 'B3', body: { bindId: 'B3', reason: 'BOUND' } },
    ]);
    expect(w.bind('B4', 'a')).toEqual([accepted('B4')]);
    expect(w.context.bindingTo).toEqual(['b', 'a']);
  });

  it("W19: the recipient's word that a relation ended ends this copy; an unknown one is ignored", () => {
    const w = new Wallet({ relations });
    w.step({ type: 'relation.stale', recipientId: 'nobody' });
    w.step({ type: 'relation.unopened', recipientId: 'nobody' });
    expect(w.context.relations).toEqual(relations);
    w.step({ type: 'relation.stale', recipientId: 'a' });
    expect(w.context.relations).toEqual({ ...relations, a: { ...relations.a, status: 'ended' } });
  });
});

describe('a recipient: relations added', () => {
  const add = (w: Wallet, bindId: string, kinship = 'CHILD') =>
    w.carry(
      'relation.add',
      bindId,
      {
        bindId,
        donorId: 'd',
        recipientId: 'me',
        kinship,
        donorRegion: '440300',
      } as Body<'relation.add'>,
      'wallet.05',
    );

  it('an active wallet answers that it is open', () => {
    expect(add(new Wallet(), 'B1')).toEqual([
      { to: 'wallet.05', kind: 'relation.added', corr: 'B1', body: { bindId: 'B1', open: 'Y' } },
    ]);
  });

  it('a late duplicate of an earlier binding leaves the latest relation in place', () => {
    const w = new Wallet();
    add(w, 'B1');
    add(w, 'B2', 'SPOUSE');
    add(w, 'B1');
    expect(w.context.donors).toEqual({ d: active('SPOUSE', '440300', 'B2') });
    expect(w.context.addedBinds).toEqual(['B1', 'B2']);
  });
});

describe('relations ending', () => {
  const ended = (r: Relation, ending: Relation['ending']): Relation => ({
    ...r,
    status: 'ended',
    ending,
  });
  const end = (w: Wallet, donorId: string, recipientId: string, ending: Relation['ending']) =>
    w.carry('relation.end', 'E1', { donorId, recipientId, ending } as Body<'relation.end'>);

  it('E5: each side that ends a relation tells the other party, as donor or as recipient', () => {
    const r = active('CHILD', '440300', 'B-r');
    const d = active('PARENT', '440300', 'B-d');
    const w = new Wallet({ relations: { r }, donors: { d } });
    end(w, 'me', 'r', 'REVOKED_BY_DONOR');
    end(w, 'd', 'me', 'REVOKED_BY_RECIPIENT');
    expect(w.shard.endings).toEqual([
      {
        role: 'donor',
        otherId: 'r',
        relation: ended(r, 'REVOKED_BY_DONOR'),
        ending: 'REVOKED_BY_DONOR',
      },
      {
        role: 'recipient',
        otherId: 'd',
        relation: ended(d, 'REVOKED_BY_RECIPIENT'),
        ending: 'REVOKED_BY_RECIPIENT',
      },
    ]);
    expect(w.context.relations).toEqual({ r: ended(r, 'REVOKED_BY_DONOR') });
    expect(w.context.donors).toEqual({ d: ended(d, 'REVOKED_BY_RECIPIENT') });
  });

  it('a relation already ended keeps its first ending and tells nobody again', () => {
    const r = ended(active('CHILD', '440300', 'B-r'), 'ENROLMENT_CHANGED');
    const w = new Wallet({ relations: { r } });
    const sends = end(w, 'me', 'r', 'REVOKED_BY_DONOR');
    expect(sends.map((s) => s.kind)).toEqual(['relation.ended']);
    expect(w.shard.endings).toEqual([]);
    expect(w.context.relations).toEqual({ r });
  });

  it("the other party's notice ends the current relation once; a later one keeps the ending", () => {
    const d = active('PARENT', '440300', 'B-d');
    const w = new Wallet({ donors: { d } });
    const notice = (ending: Relation['ending'], donorId = 'd') =>
      w.carry(
        'relation.ended',
        'N',
        { donorId, recipientId: 'me', ending, bindId: 'B-d' } as Body<'relation.ended'>,
        'wallet.05',
      );
    notice('REVOKED_BY_DONOR', 'stranger');
    expect(w.context.donors).toEqual({ d });
    notice('REVOKED_BY_DONOR');
    notice('ENROLMENT_CHANGED');
    expect(w.context.donors).toEqual({ d: ended(d, 'REVOKED_BY_DONOR') });
  });

  it('E6: an enrolment change tells the other party of every active relation, and only those', () => {
    const a = active('CHILD', '440300', 'B-a');
    const b = ended(active('SPOUSE', '440300', 'B-b'), 'REVOKED_BY_DONOR');
    const c = active('PARENT', '320500', 'B-c');
    const d = ended(active('SIBLING', '320500', 'B-d'), 'REVOKED_BY_RECIPIENT');
    const w = new Wallet({ relations: { a, b }, donors: { c, d } });
    w.carry('enrolment.change', 'C1', { personId: 'me' });
    const ending = 'ENROLMENT_CHANGED';
    expect(w.shard.endings).toEqual([
      { role: 'donor', otherId: 'a', relation: a, ending },
      { role: 'recipient', otherId: 'c', relation: c, ending },
    ]);
    expect(w.context.relations).toEqual({ a: ended(a, ending), b });
    expect(w.context.donors).toEqual({ c: ended(c, ending), d });
  });
});

describe('F4: contributions paid by a relative or from one own wallet', () => {
  const ID_NO = '510500199001011234'; // issued in 510500, another region of the province
  const pay = (w: Wallet, payId: string, personId: string, source: 'ACCOUNT' | 'WALLET') =>
    w.carry('contribution.pay', payId, {
      payId,
      payerId: 'me',
      personId,
      year: 2026,
      source,
      idNo: ID_NO,
    } as Body<'contribution.pay'>);
  const refused = (payId: string, reason: string) => [
    { to: APP, kind: 'contribution.refused', corr: payId, body: { payId, reason } },
  ];

  it("a personal account pays for the relation's region, the wallet for its own", () => {
    const w = new Wallet({ relations: { p: active('PARENT', '510700', 'B-p') } });
    pay(w, 'P1', 'p', 'ACCOUNT');
    pay(w, 'P2', 'q', 'ACCOUNT');
    pay(w, 'P3', 'me', 'WALLET');
    expect(w.shard.contributions).toEqual([
      { payId: 'P1', personRegion: '510700' },
      { payId: 'P2', personRegion: '510500' },
      { payId: 'P3', personRegion: REGION },
    ]);
  });

  it('a payment asked again is answered accepted and starts nothing more', () => {
    const w = new Wallet();
    pay(w, 'P1', 'me', 'WALLET');
    expect(pay(w, 'P1', 'me', 'WALLET')).toEqual([
      { to: APP, kind: 'contribution.accepted', corr: 'P1', body: { payId: 'P1' } },
    ]);
    expect(w.shard.contributions).toHaveLength(1);
  });

  it('E1: a payer without a personal account is refused', () => {
    expect(pay(new Wallet({ ebmi: false }), 'P1', 'q', 'ACCOUNT')).toEqual(refused('P1', 'E1'));
  });

  it('W19: a personal account does not pay for a relative whose relation has ended', () => {
    const p: Relation = { ...active('PARENT', '510700', 'B-p'), status: 'ended' };
    const w = new Wallet({ relations: { p } });
    expect(pay(w, 'P1', 'p', 'ACCOUNT')).toEqual(refused('P1', 'W19'));
    expect(w.shard.contributions).toEqual([]);
  });
});

describe('F3: wallet money set aside, spent and released', () => {
  const received = (w: Wallet) => w.receive('T1', 'd', 100n);
  const donors = { d: active('CHILD', '440300', 'B-d') };
  const piece = (amount: Fen): Piece => ({
    originRegion: '440300',
    transferId: 'T1',
    donorId: 'd',
    amount,
  });

  it('a receipt leaves the snapshot before it as it was', () => {
    const w = new Wallet({ donors });
    w.carry('wallet.credit', 'T1', {
      transferId: 'T1',
      walletId: 'me',
      donorId: 'd',
      originRegion: '440300',
      amount: 100n,
    });
    const before = w.context;
    w.carry('transfer.receive', 'T1', { transferId: 'T1', walletId: 'me' });
    expect(before.tranches.map((t) => t.received)).toEqual([false]);
    expect(w.context.tranches.map((t) => t.received)).toEqual([true]);
  });

  it('a payment holds once: asked again, while held or once paid, it sets nothing more aside', () => {
    const w = new Wallet({ donors });
    received(w);
    w.hold('X', 60n);
    w.hold('X', 60n);
    expect(w.context.holds).toEqual({ X: [piece(60n)] });
    w.spend('spend.commit', 'X');
    w.hold('X', 60n);
    expect(w.context.holds).toEqual({});
    expect(w.context.paid).toEqual({ X: [piece(60n)] });
  });

  it('a spend is booked with what the wallet holds once its pieces have left', () => {
    const w = new Wallet({ donors });
    received(w);
    w.hold('X', 60n);
    w.spend('spend.commit', 'X');
    expect(w.shard.spends).toEqual([{ id: 'X', pieces: [piece(60n)], undo: false, after: 40n }]);
  });
});

describe('W4: the lifecycle', () => {
  it('an active and a frozen wallet close', () => {
    const a = new Wallet();
    a.step({ type: 'wallet.close' });
    expect(a.state).toBe('closed');
    const f = new Wallet({ status: 'frozen' });
    f.step({ type: 'wallet.close' });
    expect(f.state).toBe('closed');
  });

  it('W10: a closed wallet refuses requests and rejects credits', () => {
    const w = new Wallet({ status: 'closed', relations: { a: active('CHILD', REGION, 'B-a') } });
    expect(w.transfer('T1', 'a')).toEqual([
      {
        to: APP,
        kind: 'transfer.refused',
        corr: 'T1',
        body: { transferId: 'T1', reason: 'NO_WALLET' },
      },
    ]);
    expect(w.bind('B1', 'b')).toEqual([
      { to: APP, kind: 'bind.refused', corr: 'B1', body: { bindId: 'B1', reason: 'NO_WALLET' } },
    ]);
    const credit = { transferId: 'T2', walletId: 'me', donorId: 'd', originRegion: '440300' };
    expect(w.carry('wallet.credit', 'T2', { ...credit, amount: 1n }, 'wallet.05')).toEqual([
      {
        to: 'wallet.05',
        kind: 'wallet.rejected',
        corr: 'T2',
        body: { transferId: 'T2', reason: 'W10' },
      },
    ]);
  });
});
