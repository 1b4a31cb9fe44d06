// A small in-test network of real actors: wallet shards, the provinces (accounts and civil
// registry) and settlement, wired so that every message is delivered at once, in order, and the
// actors' timers fire on a virtual clock (a key holds one timer, as in the host). The app is not
// an actor here: what reaches `app.0` lands in an inbox, and the test answers for the people (the
// donor's face or password, the relative's face, the recipient's tap on "receive") and for the
// providers' POS (pre-settle, settle, cancel, reverse).
// Shared by test/domain_rules.test.ts (F1, F2) and test/payment_rules.test.ts (F3, F4).
import { expect } from 'vitest';

import { AccountBook } from '../actors/account_book.ts';
import {
  APP_ADDRESS,
  provinceAddress,
  SETTLEMENT_ADDRESS,
  walletShardAddress,
  walletShardOf,
} from '../actors/addresses.ts';
import type { ProtocolConfig } from '../actors/config.ts';
import { DAY_MS, HOUR_MS, PROTOCOL_DEFAULTS } from '../actors/config.ts';
import type { Actor, DomainEvent, Fact, Posting } from '../actors/effects.ts';
import { openingRecords } from '../actors/opening.ts';
import { ProvinceActor } from '../actors/province.actor.ts';
import type { AccountRecord, ClearingLine } from '../actors/records.ts';
import { SettlementActor } from '../actors/settlement.actor.ts';
import { TIMERS } from '../actors/timers.ts';
import type { Relation, WalletContext, WalletStatus } from '../actors/wallet.ts';
import {
  type BillSnapshot,
  type BindSnapshot,
  type ContributionSnapshot,
  type SagaSnapshot,
  WalletMachines,
  WalletShardActor,
} from '../actors/wallet_shard.actor.ts';
import type { Body, Fen, Kind, Kinship, Reason, RelationEnding } from '../protocol/index.ts';
import { maySend, NO_AID } from '../protocol/index.ts';
import { envelope, RecordingEffects } from './fakes.ts';

export const APP = APP_ADDRESS;
export const TEN_AM = 10 * HOUR_MS;
export const at = (day: number, hours: number, minutes = 0) =>
  day * DAY_MS + hours * HOUR_MS + minutes * 60_000;

// ---------------------------------------------------------------------------------------------
// The world: people, their wallets, accounts and registry records, and the relations on record.

export interface Person {
  readonly id: string;
  /** Insured region, `<pp><cc>00`. */
  readonly region: string;
  /** E1: an employee member with a personal account (balance in fen). */
  readonly ebmi: boolean;
  readonly balance?: Fen;
  readonly status?: WalletStatus;
  /** The civil registry's record (F1): name, ID number, enrolment (E3), kin by donor id (E2). */
  readonly name: string;
  readonly idNo: string;
  readonly enrolled?: boolean;
  readonly kin?: Readonly<Record<string, Kinship>>;
  /** EBMI members past working age: their bills get the retiree bonus (policy.splitBill). */
  readonly retired?: boolean;
  /** D3: provinces (two-digit codes) this person has filed (备案) for out-of-region care. */
  readonly filedTo?: readonly string[];
  /** D10: chronic diseases (D9 codes) this person's benefit certification covers. */
  readonly chronic?: readonly string[];
}

export interface Bound {
  readonly donor: string;
  readonly recipient: string;
  readonly kinship: Kinship;
}

export const bindIdOf = (b: Bound) => `B-${b.donor}-${b.recipient}`;

/** What a POS sends to pre-settle a bill (F3); the flags default to a plain networked visit. */
export type BillRequest = Pick<
  Body<'bill.presettle'>,
  'billId' | 'personId' | 'treatmentRegion' | 'total'
> &
  Partial<Omit<Body<'bill.presettle'>, 'billId' | 'personId' | 'treatmentRegion' | 'total'>>;

// ---------------------------------------------------------------------------------------------
// The network.

export interface Message {
  readonly from: string;
  readonly to: string;
  readonly kind: Kind;
  readonly corr: string;
  readonly body: Body<Kind>;
  readonly at: number;
}

interface Timer {
  readonly address: string;
  readonly key: string;
  readonly at: number;
  readonly arg: number;
  readonly seq: number;
}

export class Net {
  readonly people: ReadonlyMap<string, Person>;
  readonly config: ProtocolConfig;
  readonly machines: WalletMachines;
  readonly actors = new Map<string, Actor>();
  readonly shards: WalletShardActor[] = [];
  readonly provinces = new Map<string, ProvinceActor>();
  readonly settlement = new SettlementActor(SETTLEMENT_ADDRESS, new Map());
  /** Every message sent, in order. */
  readonly log: Message[] = [];
  /** What reached the app (the people's phones). */
  readonly inbox: Message[] = [];
  readonly events: Array<{ address: string; event: DomainEvent }> = [];
  readonly timers = new Map<string, Timer>();

  /**
   * Timers of work still under way: every armed timer but a province's check of old holds,
   * which is left to fire (and find nothing) once its holds are moved.
   */
  get workTimers(): number {
    let n = 0;
    for (const t of this.timers.values()) if (t.key !== TIMERS.holds.key()) n++;
    return n;
  }
  private readonly queue: Message[] = [];
  private timerSeq = 0;
  now = TEN_AM;
  /** Messages this returns true for are lost on the way (they stay in the log). */
  drop: (m: Message) => boolean = () => false;
  /** Each actor's durable records as they stand: its opening records, then every write. */
  readonly durable = new Map<string, Map<string, unknown>>();
  /** A faulty peer: what a message says when it is delivered (as sent, unless a test lies). */
  alter: (m: Message) => Message = (m) => m;

  constructor(
    people: readonly Person[],
    overrides: Partial<ProtocolConfig> = {},
    bound: readonly Bound[] = [],
  ) {
    this.people = new Map(people.map((p) => [p.id, p]));
    this.config = { ...PROTOCOL_DEFAULTS, walletShardCount: 4, ...overrides };
    this.machines = new WalletMachines(this.config);
    const opening = openingRecords({
      config: this.config,
      provinces: [],
      people: people.map((p) => ({
        id: p.id,
        region: p.region,
        ebmi: p.ebmi,
        openingBalance: p.ebmi ? (p.balance ?? 0n) : 0n,
        walletStatus: p.status ?? 'active',
        name: p.name,
        idNo: p.idNo,
        enrolled: p.enrolled ?? true,
        monthlyCreditFen: 0n,
        ...(p.retired === undefined ? {} : { retired: p.retired }),
        ...(p.filedTo === undefined ? {} : { filedTo: p.filedTo }),
        ...(p.chronic === undefined ? {} : { chronic: p.chronic }),
      })),
      relations: bound.map((b) => ({
        donorId: b.donor,
        recipientId: b.recipient,
        kinship: b.kinship,
        bindId: bindIdOf(b),
      })),
      kin: [
        people.flatMap((p) =>
          Object.entries(p.kin ?? {}).map(([donorId, kinship]) => ({
            donorId,
            recipientId: p.id,
            kinship,
          })),
        ),
      ],
    });
    for (const [address, records] of opening.records) {
      this.durable.set(address, new Map(records));
      if (address.startsWith('wallet.')) {
        const shard = new WalletShardActor(address, records, this.machines);
        this.shards.push(shard);
        this.actors.set(address, shard);
      } else if (address.startsWith('province.')) {
        const province = new ProvinceActor(address, records);
        this.provinces.set(address, province);
        this.actors.set(address, province);
      }
    }
    this.actors.set(SETTLEMENT_ADDRESS, this.settlement);
  }

  enqueue(message: Message): void {
    // The hosts' boundary rule (protocol/senders.ts): a kind only from the roles allowed it.
    if (!maySend(message.kind, message.from))
      throw new Error(`${message.from} may not send ${message.kind} (protocol/senders.ts)`);
    this.log.push(message);
    this.queue.push(message);
  }

  /**
   * One step of one actor on fresh recording effects, then applied to the network: its sends
   * are queued, its timers armed (a key holds one timer) and then its cancels applied (an actor
   * cancels a key only after its last arming of it in a step), its events kept.
   */
  step(address: string, act: (fx: RecordingEffects) => void, recovering = false): RecordingEffects {
    const fx = new RecordingEffects();
    act(fx);
    for (const m of fx.sends)
      this.enqueue({
        from: address,
        to: m.to,
        kind: m.kind,
        corr: m.corr,
        body: m.body,
        at: this.now,
      });
    for (const t of fx.timers) {
      // Outside a restart (which may re-arm a deadline already past), no timer is armed in the
      // past: a retry computed backwards would fire at once, again and again.
      if (!recovering && t.at < this.now)
        throw new Error(`${address} armed ${t.key} at ${t.at}, before now (${this.now})`);
      this.timers.set(`${address}|${t.key}`, {
        address,
        key: t.key,
        at: t.at,
        arg: t.arg,
        seq: this.timerSeq++,
      });
    }
    for (const key of fx.cancelled) this.timers.delete(`${address}|${key}`);
    const durable = this.durable.get(address);
    for (const w of fx.writes) durable?.set(w.key, w.value);
    for (const event of fx.events) this.events.push({ address, event });
    return fx;
  }

  /** The shard holding `walletId` restarts: the host's timers for it are gone, recover() runs. */
  restartShardOf(walletId: string): void {
    const address = this.shardAddressOf(walletId);
    for (const [key, timer] of this.timers) if (timer.address === address) this.timers.delete(key);
    this.step(address, (fx) => this.shardOf(walletId).recover(this.now, fx), true);
    this.deliver();
  }

  /**
   * The shard holding `walletId` crashes and starts again from its durable records alone: a new
   * actor is built from them, its timers are gone, recover() runs.
   */
  rebuildShardOf(walletId: string): void {
    const address = this.shardAddressOf(walletId);
    const old = this.shardOf(walletId);
    const rebuilt = new WalletShardActor(
      address,
      this.durable.get(address) ?? new Map(),
      this.machines,
    );
    this.actors.set(address, rebuilt);
    this.shards[this.shards.indexOf(old)] = rebuilt;
    this.restartShardOf(walletId);
  }

  /** Deliver everything in flight, and whatever that causes, until the network is quiet. */
  deliver(): void {
    for (let n = 0; this.queue.length > 0; n++) {
      if (n > 10_000) throw new Error('deliver: the network does not settle');
      const sent = this.queue.shift() as Message;
      if (this.drop(sent)) continue;
      const m = this.alter(sent);
      const actor = this.actors.get(m.to);
      if (actor === undefined) {
        if (m.to !== APP) throw new Error(`deliver: no actor at ${m.to} for ${m.kind}`);
        this.inbox.push(m);
        continue;
      }
      const env = envelope(m.kind, m.from, m.to, m.corr, m.body as never, m.at);
      this.step(m.to, (fx) => actor.handle(env as never, this.now, fx));
    }
  }

  /** Move the clock to `until`, firing every timer due by then in time order. */
  advance(until: number): void {
    for (;;) {
      let next: Timer | undefined;
      for (const t of this.timers.values()) {
        if (
          t.at <= until &&
          (next === undefined || t.at < next.at || (t.at === next.at && t.seq < next.seq))
        )
          next = t;
      }
      if (next === undefined) break;
      this.timers.delete(`${next.address}|${next.key}`);
      this.now = Math.max(this.now, next.at);
      const { address, key, arg } = next;
      this.step(address, (fx) => this.actors.get(address)?.timer(key, arg, this.now, fx));
      this.deliver();
    }
    this.now = Math.max(this.now, until);
  }

  /** A message from the app (a person's phone), delivered with everything it causes. */
  fromApp<K extends Kind>(to: string, kind: K, corr: string, body: Body<K>): void {
    this.enqueue({ from: APP, to, kind, corr, body: body as Body<Kind>, at: this.now });
    this.deliver();
  }

  shardAddressOf(walletId: string): string {
    return walletShardAddress(walletShardOf(walletId, this.config.walletShardCount));
  }

  person(id: string): Person {
    const p = this.people.get(id);
    if (p === undefined) throw new Error(`no person ${id}`);
    return p;
  }

  shardOf(walletId: string): WalletShardActor {
    const shard = this.actors.get(this.shardAddressOf(walletId));
    if (!(shard instanceof WalletShardActor)) throw new Error(`no shard for ${walletId}`);
    return shard;
  }

  // --- what the people do ---------------------------------------------------------------------

  /** The donor's app asks for a transfer; returns the answer the app got. */
  request(
    transferId: string,
    donorId: string,
    recipientId: string,
    amount: Fen,
    source: 'ACCOUNT' | 'WALLET' = 'ACCOUNT',
  ) {
    this.fromApp(this.shardAddressOf(donorId), 'transfer.request', transferId, {
      transferId,
      donorId,
      recipientId,
      amount,
      source,
    });
    return this.answer(transferId, ['transfer.accepted', 'transfer.refused']);
  }

  /** The donor answers the W13 challenge, to the shard that asked. */
  auth(transferId: string, verdict: 'PASS' | 'FAIL', method: 'FACE' | 'PASSWORD' = 'FACE'): void {
    const challenge = this.inboxOf('transfer.challenge', transferId).at(-1);
    if (challenge === undefined) throw new Error(`auth: no challenge for ${transferId}`);
    this.fromApp(challenge.from, 'transfer.auth', transferId, { transferId, method, verdict });
  }

  /** A transfer asked for and confirmed: it runs to its end or to awaiting its receipt. */
  transfer(transferId: string, donorId: string, recipientId: string, amount: Fen): void {
    expect(this.request(transferId, donorId, recipientId, amount).kind).toBe('transfer.accepted');
    this.auth(transferId, 'PASS');
  }

  /** The recipient taps "receive" (W11). */
  receive(transferId: string, walletId: string): void {
    this.fromApp(this.shardAddressOf(walletId), 'transfer.receive', transferId, {
      transferId,
      walletId,
    });
  }

  /** The donor's app asks to bind a relative (F1); returns the answer the app got. */
  bind(
    bindId: string,
    donorId: string,
    relativeId: string,
    kinship: Kinship,
    name?: string,
    idNo?: string,
  ) {
    const relative = this.people.get(relativeId);
    this.fromApp(this.shardAddressOf(donorId), 'bind.request', bindId, {
      bindId,
      donorId,
      relativeId,
      name: name ?? relative?.name ?? '无名',
      idNo: idNo ?? relative?.idNo ?? '510100200001011234',
      kinship,
    });
    return this.answer(bindId, ['bind.accepted', 'bind.refused']);
  }

  /** The relative's face verification (E5), answered to the shard that challenged. */
  confirm(bindId: string, verdict: 'PASS' | 'FAIL'): void {
    const challenge = this.inboxOf('bind.challenge', bindId).at(-1);
    if (challenge === undefined) throw new Error(`confirm: no challenge for ${bindId}`);
    this.fromApp(challenge.from, 'bind.confirm', bindId, { bindId, verdict });
  }

  /** A bind accepted and confirmed by face: the relation is active on both sides. */
  bound(bindId: string, donorId: string, relativeId: string, kinship: Kinship): void {
    expect(this.bind(bindId, donorId, relativeId, kinship).kind).toBe('bind.accepted');
    this.confirm(bindId, 'PASS');
    expect(this.bindSaga(bindId).value).toBe('active');
  }

  /**
   * A provider's POS (F3) sends a step of bill `billId` to the patient's wallet shard (the
   * national hub), and gets back the answers to that bill that arrived meanwhile.
   */
  pos<K extends 'bill.presettle' | 'bill.settle' | 'bill.cancel' | 'bill.reverse'>(
    kind: K,
    billId: string,
    personId: string,
    body: Body<K>,
  ): Message[] {
    const before = this.inbox.length;
    this.fromApp(this.shardAddressOf(personId), kind, billId, body);
    return this.inbox.slice(before).filter((m) => m.corr === billId);
  }

  /** F3: pre-settle a bill; returns the answers the POS got to it. */
  presettle(bill: BillRequest): Message[] {
    const { billId, personId } = bill;
    return this.pos('bill.presettle', billId, personId, {
      care: 'outpatient',
      disease: '-',
      emergency: 'N',
      networked: 'Y',
      useWallet: 'N',
      aidBy: NO_AID,
      ...bill,
      eligible: bill.eligible ?? bill.total,
    });
  }

  settle(billId: string, personId: string): Message[] {
    return this.pos('bill.settle', billId, personId, { billId });
  }

  cancel(billId: string, personId: string): Message[] {
    return this.pos('bill.cancel', billId, personId, { billId });
  }

  reverse(billId: string, personId: string): Message[] {
    return this.pos('bill.reverse', billId, personId, { billId });
  }

  /** F4: a payer's app pays a resident contribution; returns the answers it got. */
  pay(
    payId: string,
    payerId: string,
    personId: string,
    year: number,
    source: 'ACCOUNT' | 'WALLET',
    idNo = this.people.get(personId)?.idNo ?? '',
  ): Message[] {
    const before = this.inbox.length;
    this.fromApp(this.shardAddressOf(payerId), 'contribution.pay', payId, {
      payId,
      payerId,
      personId,
      year,
      source,
      idNo,
    });
    return this.inbox.slice(before).filter((m) => m.corr === payId);
  }

  end(donorId: string, recipientId: string, ending: RelationEnding): void {
    const party = ending === 'REVOKED_BY_DONOR' ? donorId : recipientId;
    this.fromApp(this.shardAddressOf(party), 'relation.end', `E-${donorId}-${recipientId}`, {
      donorId,
      recipientId,
      ending,
    });
  }

  // --- what the test looks at -----------------------------------------------------------------

  answer(corr: string, kinds: readonly Kind[]): { kind: Kind; reason: Reason | undefined } {
    const found = this.inbox.filter((m) => m.corr === corr && kinds.includes(m.kind)).at(-1);
    if (found === undefined) throw new Error(`no answer for ${corr}`);
    return { kind: found.kind, reason: (found.body as { reason?: Reason }).reason };
  }

  inboxOf<K extends Kind>(kind: K, corr?: string): Array<Message & { body: Body<K> }> {
    return this.inbox.filter(
      (m) => m.kind === kind && (corr === undefined || m.corr === corr),
    ) as never;
  }

  sent<K extends Kind>(kind: K, corr?: string): Array<Message & { body: Body<K> }> {
    return this.log.filter(
      (m) => m.kind === kind && (corr === undefined || m.corr === corr),
    ) as never;
  }

  wallet(id: string): WalletContext {
    const snapshot = this.shardOf(id).wallets.get(id);
    if (snapshot === undefined) throw new Error(`no wallet ${id}`);
    return snapshot.context;
  }

  saga(transferId: string, donorId?: string): SagaSnapshot {
    for (const shard of this.shards) {
      const saga = shard.transfers.get(transferId);
      if (saga !== undefined && (donorId === undefined || saga.context.donorId === donorId))
        return saga;
    }
    throw new Error(`no saga ${transferId}`);
  }

  bindSaga(bindId: string): BindSnapshot {
    for (const shard of this.shards) {
      const bind = shard.binds.get(bindId);
      if (bind !== undefined) return bind;
    }
    throw new Error(`no bind saga ${bindId}`);
  }

  /** F3: the bill saga of `billId`, on whichever shard holds it. */
  bill(billId: string): BillSnapshot {
    for (const shard of this.shards) {
      const bill = shard.bills.get(billId);
      if (bill !== undefined) return bill;
    }
    throw new Error(`no bill saga ${billId}`);
  }

  /** F4: the contribution saga of `payId`, on whichever shard holds it. */
  contribution(payId: string): ContributionSnapshot {
    for (const shard of this.shards) {
      const pay = shard.contributions.get(payId);
      if (pay !== undefined) return pay;
    }
    throw new Error(`no contribution saga ${payId}`);
  }

  bindCount(): number {
    return this.shards.reduce((n, s) => n + s.binds.snapshots.size, 0);
  }

  /** The book a province of `region` would rebuild from its records after a restart. */
  rebuiltBook(region: string): AccountBook {
    const address = provinceAddress(region.slice(0, 2));
    const records = this.durable.get(address);
    if (records === undefined) throw new Error(`no province for ${region}`);
    return new ProvinceActor(address, records).accountBook;
  }

  book(region: string): AccountBook {
    const province = this.provinces.get(provinceAddress(region.slice(0, 2)));
    if (province === undefined) throw new Error(`no province for ${region}`);
    return province.accountBook;
  }

  /** Every clearing line, wherever it is kept: settlement's (between provinces), a province's. */
  get clearingLines(): Map<string, ClearingLine> {
    const all = new Map(this.settlement.book.lines);
    for (const province of this.provinces.values())
      for (const [id, line] of province.accountBook.provincial.lines) all.set(id, line);
    return all;
  }

  account(id: string): AccountRecord | undefined {
    return this.book(this.person(id).region).accounts.get(id);
  }

  facts<T extends Fact['type']>(type: T, corr?: string): Array<Extract<Fact, { type: T }>> {
    return this.events
      .map((e) => e.event)
      .filter(
        (e): e is Extract<Fact, { type: T }> =>
          e.type === type && (corr === undefined || e.corr === corr),
      );
  }

  postings(corr?: string): Posting[] {
    return this.events
      .map((e) => e.event)
      .filter((e): e is Posting => e.type === 'posting' && (corr === undefined || e.corr === corr));
  }

  relation(
    donorId: string,
    recipientId: string,
  ): { donorSide: Relation | undefined; recipientSide: Relation | undefined } {
    return {
      donorSide: this.wallet(donorId).relations[recipientId],
      recipientSide: this.wallet(recipientId).donors[donorId],
    };
  }
}
