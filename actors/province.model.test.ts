// Model-based test of the province alone (issue 13): fast-check drives a ProvinceActor with
// random sequences of account.reserve, account.charge (debitFirst), account.commit,
// account.release and account.refund, many of them duplicates or from a shard that does not own
// the hold, and restarts it from what it wrote. A small model says, after every command, what
// the reply must be, what each account holds (available and held, in fen), what each region
// backs, and what state each transfer's record is in. Why: the province is the decision point
// of the reserve step; a duplicate must be answered from its record, never applied twice, and a
// record must never be both committed and released, whatever order the messages come in.
// A failure prints fast-check's seed and the shrunk command path, and replays with them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import type { AnyEnvelope, Fen, Reason } from '../protocol/index.ts';
import { envelope, RecordingEffects } from '../testing/fakes.ts';
import type { PostingOp } from './effects.ts';
import { accountRecords } from './opening.ts';
import { ProvinceActor } from './province.actor.ts';
import { RECORDS, type TxnRecord, type TxnState } from './records.ts';

const PROVINCE = 'province.51';
/** The shard whose saga asks for holds, and another one (a faulty or misrouted sender). */
const SAGA = 'wallet.03';
const OTHER = 'wallet.05';
const NOW = 36_000_000;
const OPENING = [
  { id: 'p1', region: '510100', balance: 50_000n },
  { id: 'p2', region: '510100', balance: 12_000n },
  { id: 'p3', region: '510700', balance: 30_000n },
] as const;

type TakeKind = 'account.reserve' | 'account.charge';
type MoveKind = 'account.commit' | 'account.release' | 'account.refund';

interface ModelAccount {
  readonly region: string;
  available: Fen;
  held: Fen;
}

interface ModelTxn {
  readonly accountId: string;
  readonly amount: Fen;
  state: TxnState;
  readonly reason: Reason | undefined;
  readonly owner: string | undefined;
}

interface Model {
  readonly accounts: Map<string, ModelAccount>;
  /** Per region: committed and not refunded transfers (K9's backing, and its `due`). */
  readonly backing: Map<string, Fen>;
  readonly txns: Map<string, ModelTxn>;
}

interface Real {
  readonly opening: Map<string, unknown>;
  actor: ProvinceActor;
  /** Every write so far: what a restart rebuilds from. */
  readonly history: RecordingEffects;
  /** Each transfer's record states as written, in order: the lifecycle it went through. */
  readonly paths: Map<string, TxnState[]>;
}

/** What one message must do: its reply (if any), its postings, and whether it writes. */
interface Expected {
  readonly reply: { readonly kind: string; readonly reason?: Reason | undefined } | undefined;
  readonly postings: ReadonlyArray<readonly [PostingOp, Fen]>;
  readonly writes: boolean;
}

const NOTHING: Expected = { reply: undefined, postings: [], writes: false };

/** The reply a transfer's record gives to anything asked again. */
function answerOf(txn: ModelTxn, asked: TakeKind | MoveKind): Expected['reply'] {
  if (txn.state === 'rejected') return { kind: 'account.rejected', reason: txn.reason };
  // A refunded transfer was committed first: only a refund hears "refunded".
  if (txn.state === 'refunded' && asked !== 'account.refund') return { kind: 'account.committed' };
  return { kind: `account.${txn.state}` };
}

function addBacking(m: Model, region: string, amount: Fen): void {
  m.backing.set(region, (m.backing.get(region) ?? 0n) + amount);
}

/** The model of a reserve or a charge: a new hold (or debit), or the record's answer. */
function takeModel(
  m: Model,
  kind: TakeKind,
  tid: string,
  accountId: string,
  amount: Fen,
  from: string,
): Expected {
  const known = m.txns.get(tid);
  if (known !== undefined) return { ...NOTHING, reply: answerOf(known, kind) };
  const account = m.accounts.get(accountId);
  const reason: Reason | undefined =
    account === undefined ? 'NO_ACCOUNT' : account.available < amount ? 'FUNDS' : undefined;
  if (account === undefined || reason !== undefined) {
    m.txns.set(tid, { accountId, amount, state: 'rejected', reason, owner: undefined });
    return { reply: { kind: 'account.rejected', reason }, postings: [], writes: true };
  }
  account.available -= amount;
  if (kind === 'account.reserve') {
    account.held += amount;
    m.txns.set(tid, { accountId, amount, state: 'reserved', reason: undefined, owner: from });
    return { reply: { kind: 'account.reserved' }, postings: [['reserve', amount]], writes: true };
  }
  addBacking(m, account.region, amount);
  m.txns.set(tid, { accountId, amount, state: 'committed', reason: undefined, owner: from });
  const postings = [
    ['reserve', amount],
    ['commit', amount],
  ] as const;
  return { reply: { kind: 'account.committed' }, postings, writes: true };
}

/** The state each move starts from, the state it leads to, and its posting. */
const MOVES = {
  'account.commit': { from: 'reserved', to: 'committed', op: 'commit' },
  'account.release': { from: 'reserved', to: 'released', op: 'release' },
  'account.refund': { from: 'committed', to: 'refunded', op: 'refund' },
} as const satisfies Record<MoveKind, { from: TxnState; to: TxnState; op: PostingOp }>;

/** The model of a commit, release or refund: only the hold's owner moves it, and only once. */
function moveModel(m: Model, kind: MoveKind, tid: string, from: string): Expected {
  const txn = m.txns.get(tid);
  if (txn === undefined) return NOTHING;
  if (txn.owner !== undefined && txn.owner !== from) return NOTHING;
  const rule = MOVES[kind];
  if (txn.state !== rule.from) return { ...NOTHING, reply: answerOf(txn, kind) };
  const account = m.accounts.get(txn.accountId) as ModelAccount;
  if (kind === 'account.commit') {
    account.held -= txn.amount;
    addBacking(m, account.region, txn.amount);
  } else if (kind === 'account.release') {
    account.held -= txn.amount;
    account.available += txn.amount;
  } else {
    account.available += txn.amount;
    addBacking(m, account.region, -txn.amount);
  }
  txn.state = rule.to;
  return { reply: { kind: `account.${rule.to}` }, postings: [[rule.op, txn.amount]], writes: true };
}

/** The lifecycles a transfer's record may go through (and every prefix of them). */
const LIFECYCLES = [
  ['reserved', 'committed', 'refunded'],
  ['reserved', 'released'],
  ['committed', 'refunded'], // account.charge: the hold and its commit in one step
  ['rejected'],
];
const LEGAL = new Set(LIFECYCLES.flatMap((l) => l.map((_, i) => l.slice(0, i + 1).join('>'))));

/** The real actor agrees with the model: accounts, regions, records, and lifecycles. */
function agree(m: Model, r: Real): void {
  const book = r.actor.accountBook;
  for (const [id, account] of m.accounts) expect(book.accounts.get(id)).toEqual(account);
  for (const { region } of OPENING) {
    const record = book.regions.get(region);
    const backing = m.backing.get(region) ?? 0n;
    expect(record?.backing ?? 0n).toBe(backing);
    expect(record?.due).toBe(backing);
  }
  expect([...book.txns.keys()].sort()).toEqual([...m.txns.keys()].sort());
  for (const [tid, txn] of m.txns) {
    const record = book.txns.get(tid) as TxnRecord;
    const { accountId, amount, state, reason, owner } = record;
    expect({ accountId, amount, state, reason, owner }).toEqual(txn);
  }
  for (const [tid, path] of r.paths)
    expect(LEGAL, `${tid}: ${path.join('>')}`).toContain(path.join('>'));
  // Conservation: what left an account is held or backs its region's wallet money.
  const opened = OPENING.reduce((sum, a) => sum + a.balance, 0n);
  let now = 0n;
  for (const a of book.accounts.values()) now += a.available + a.held;
  for (const region of book.regions.values()) now += region.backing ?? 0n;
  expect(now).toBe(opened);
}

/**
 * A command's message. A new reserve or charge gets a fresh transfer id; the others name an
 * earlier transfer by position (`pick`: the i-th latest the model knows, modulo how many), so
 * they find one. A take again is a duplicate, whatever amount it says: the record answers.
 */
type Msg =
  | {
      readonly kind: TakeKind;
      readonly pick: number | undefined;
      readonly accountId: string;
      readonly amount: Fen;
    }
  | { readonly kind: MoveKind; readonly pick: number };

/** The i-th latest of `keys` (modulo), or `none` when there are none. */
const nth = (keys: Iterable<string>, i: number, none: string): string => {
  const all = [...keys];
  return all.length === 0 ? none : (all[all.length - 1 - (i % all.length)] as string);
};

class Send implements fc.Command<Model, Real> {
  constructor(
    readonly msg: Msg,
    readonly from: string,
  ) {}

  check(): boolean {
    return true;
  }

  run(m: Model, r: Real): void {
    const { msg, from } = this;
    const take = msg.kind === 'account.reserve' || msg.kind === 'account.charge';
    const tid = msg.pick === undefined ? `T${m.txns.size}` : nth(m.txns.keys(), msg.pick, 'T-none');
    const expected = take
      ? takeModel(m, msg.kind, tid, msg.accountId, msg.amount, from)
      : moveModel(m, msg.kind, tid, from);
    const body = take
      ? { transferId: tid, accountId: msg.accountId, amount: msg.amount }
      : { transferId: tid };
    const fx = new RecordingEffects();
    r.actor.handle(envelope(msg.kind, from, PROVINCE, tid, body) as AnyEnvelope, NOW, fx);
    for (const w of fx.writes) r.history.write(w.key, w.value);
    const { reply } = expected;
    const replyBody =
      reply?.reason === undefined ? { transferId: tid } : { transferId: tid, reason: reply.reason };
    expect(fx.sends).toEqual(
      reply === undefined ? [] : [{ to: from, kind: reply.kind, corr: tid, body: replyBody }],
    );
    expect(fx.postings().map((p) => [p.op, p.amount])).toEqual(expected.postings);
    expect(fx.writes.length > 0).toBe(expected.writes);
    const written = fx.lastWrite(RECORDS.txn.key(tid)) as TxnRecord | undefined;
    if (written !== undefined) r.paths.set(tid, [...(r.paths.get(tid) ?? []), written.state]);
    agree(m, r);
  }

  toString(): string {
    const { msg } = this;
    // Which transfer, as generated: a new id, or the i-th latest known (stable across runs).
    const which = msg.pick === undefined ? 'new' : `latest-${msg.pick}`;
    const what = 'amount' in msg ? `, ${msg.accountId}, ${msg.amount}` : '';
    return `${msg.kind}(${which}${what}) from ${this.from}`;
  }
}

/** The province rebuilt from its opening and every write since (a crash after a sync). */
class Restart implements fc.Command<Model, Real> {
  check(): boolean {
    return true;
  }

  run(m: Model, r: Real): void {
    r.actor = new ProvinceActor(PROVINCE, r.history.applyTo(r.opening));
    agree(m, r);
  }

  toString(): string {
    return 'restart';
  }
}

// The latest most often: a commit for the hold just made, a reserve again just after it.
const pick = fc.oneof({ arbitrary: fc.constant(0), weight: 2 }, fc.nat({ max: 7 }));
const sender = fc.oneof(
  { arbitrary: fc.constant(SAGA), weight: 5 },
  { arbitrary: fc.constant(OTHER), weight: 1 },
);
const accountId = fc.oneof(
  { arbitrary: fc.constantFrom('p1', 'p2', 'p3'), weight: 6 },
  { arbitrary: fc.constant('p9'), weight: 1 }, // no such account
);
// Exact balances and one fen over them, besides any amount up to more than the largest.
const amount = fc.oneof(
  { arbitrary: fc.constantFrom(12_000n, 12_001n, 30_000n, 50_000n, 50_001n), weight: 1 },
  { arbitrary: fc.bigInt({ min: 1n, max: 15_000n }), weight: 3 },
  { arbitrary: fc.bigInt({ min: 1n, max: 60_000n }), weight: 1 },
);
const takeCommand = (kind: TakeKind, again: boolean) =>
  fc
    .record({ pick, accountId, amount, from: sender })
    .map(
      ({ from, pick, ...rest }) =>
        new Send({ kind, pick: again ? pick : undefined, ...rest }, from),
    );
const moveCommand = (kind: MoveKind) =>
  fc.record({ pick, from: sender }).map(({ pick, from }) => new Send({ kind, pick }, from));

const COMMANDS = [
  takeCommand('account.reserve', false),
  takeCommand('account.reserve', false),
  takeCommand('account.reserve', true),
  takeCommand('account.charge', false),
  takeCommand('account.charge', true),
  moveCommand('account.commit'),
  moveCommand('account.commit'),
  moveCommand('account.release'),
  moveCommand('account.release'),
  moveCommand('account.refund'),
  fc.constant(new Restart()),
];

function setup(): { model: Model; real: Real } {
  const opening = accountRecords(OPENING);
  const accounts = new Map(
    OPENING.map(({ id, region, balance }) => [id, { region, available: balance, held: 0n }]),
  );
  const model: Model = { accounts, backing: new Map(), txns: new Map() };
  const real: Real = {
    opening,
    actor: new ProvinceActor(PROVINCE, opening),
    history: new RecordingEffects(),
    paths: new Map(),
  };
  return { model, real };
}

describe('ProvinceActor against a model of its accounts and transfer records', () => {
  it('reserve, charge, commit, release and refund, duplicated and restarted, match the model', () => {
    fc.assert(
      fc.property(fc.commands(COMMANDS, { maxCommands: 30, size: 'max' }), (commands) => {
        fc.modelRun(setup, commands);
      }),
      { numRuns: 200 },
    );
  });
});
