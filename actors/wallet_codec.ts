// A wallet at rest: its state and context packed into a few dozen bytes, the form every wallet
// has in the store and every idle wallet has in its shard (issue 11: a live XState snapshot with
// its context costs about 1.5 KB, a packed wallet 40–300 bytes). The layout is a msgpack array,
// positional so that no field name is stored per wallet, with its trailing empty fields left
// out: `[status, region, ebmi, day, sentToday, tranches, relations, donors, credited, pendingTo,
// returned, rejected, refused, bindingTo, addedBinds, holds, paid, opened]`. Relations, tranches
// and pieces are arrays too. Unpacked, an empty field is one shared frozen value, so a wallet
// that never changed costs no empty arrays of its own (and a step that wrongly mutated one would
// throw). Every field of `WalletContext` has its place here: the compiler checks it.
import { Packr } from 'msgpackr';

import type { Fen, Kinship, Reason, RelationEnding } from '../protocol/index.ts';
import type { Piece, Relation, Tranche, WalletContext, WalletStatus } from './wallet.ts';

/**
 * A wallet as the store and an idle shard keep it: its msgpack bytes as a one-byte (latin1)
 * string. V8 stores such a string in its bytes plus a 16-byte header, where a Buffer costs a
 * 96-byte object besides its bytes (measured: about 150 bytes a wallet saved).
 */
export type PackedWallet = string;

/** What XState needs to rebuild a wallet's snapshot (`MachineDriver.restore`). */
export interface WalletState {
  readonly value: WalletStatus;
  readonly context: WalletContext;
}

const packr = new Packr({ useRecords: false, int64AsType: 'bigint', mapsAsObjects: true });

const STATUSES: readonly WalletStatus[] = ['unopened', 'active', 'frozen', 'closed'];

/** Shared empty values of a sparse context: frozen, so a step that mutates one throws. */
const EMPTY_LIST: readonly never[] = Object.freeze([]);
const EMPTY_RECORD: Readonly<Record<string, never>> = Object.freeze({});

/** The context fields in their packed order (walletId is the record's key, not stored). */
type Placed =
  | 'region'
  | 'ebmi'
  | 'day'
  | 'sentToday'
  | 'tranches'
  | 'relations'
  | 'donors'
  | 'credited'
  | 'pendingTo'
  | 'returned'
  | 'rejected'
  | 'refused'
  | 'bindingTo'
  | 'addedBinds'
  | 'holds'
  | 'paid'
  | 'opened';

// Every field but walletId is placed: adding one to WalletContext without a place fails here.
type Unplaced = Exclude<keyof WalletContext, 'walletId' | Placed>;
const ALL_PLACED: [Unplaced] extends [never] ? true : Unplaced = true;
void ALL_PLACED;

export type RelationTuple = [string, string, string, string, string, (RelationEnding | null)?, 1?];
type TrancheTuple = [string, string, string, Fen, 0 | 1];
type PieceTuple = [string, string, string, Fen];

function relationsOut(relations: Readonly<Record<string, Relation>>): RelationTuple[] {
  const out: RelationTuple[] = [];
  for (const id of Object.keys(relations)) {
    const r = relations[id] as Relation;
    const tuple: RelationTuple = [id, r.kinship, r.region, r.status, r.bindId];
    if (r.ending !== undefined || r.unopened === true) tuple.push(r.ending ?? null);
    if (r.unopened === true) tuple.push(1);
    out.push(tuple);
  }
  return out;
}

/**
 * An object keyed by ids made fresh on each unpack: with no prototype, V8 keeps it as a hash
 * table from the start instead of making a hidden class per id it is given (3× faster to build
 * at a million wallets, where the recount unpacks each).
 */
const keyedById = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;

function relationsIn(tuples: readonly RelationTuple[]): Readonly<Record<string, Relation>> {
  if (tuples.length === 0) return EMPTY_RECORD;
  const relations = keyedById<Relation>();
  for (const [id, kinship, region, status, bindId, ending, unopened] of tuples) {
    relations[id] = {
      kinship: kinship as Kinship,
      region,
      status: status as Relation['status'],
      bindId,
      ...(ending === undefined || ending === null ? {} : { ending }),
      ...(unopened === 1 ? { unopened: true as const } : {}),
    };
  }
  return relations;
}

const piecesOut = (pieces: readonly Piece[]): PieceTuple[] =>
  pieces.map((p) => [p.originRegion, p.transferId, p.donorId, p.amount]);
const piecesIn = (tuples: readonly PieceTuple[]): Piece[] =>
  tuples.map(([originRegion, transferId, donorId, amount]) => ({
    originRegion,
    transferId,
    donorId,
    amount,
  }));

function piecesByIdOut(
  byId: Readonly<Record<string, readonly Piece[]>>,
): Record<string, PieceTuple[]> {
  const out: Record<string, PieceTuple[]> = {};
  for (const id of Object.keys(byId)) out[id] = piecesOut(byId[id] as readonly Piece[]);
  return out;
}

function piecesByIdIn(
  byId: Readonly<Record<string, PieceTuple[]>> | undefined,
): Readonly<Record<string, readonly Piece[]>> {
  if (byId === undefined) return EMPTY_RECORD;
  const ids = Object.keys(byId);
  if (ids.length === 0) return EMPTY_RECORD;
  const out = keyedById<Piece[]>();
  for (const id of ids) out[id] = piecesIn(byId[id] as PieceTuple[]);
  return out;
}

const isEmpty = (value: unknown): boolean =>
  value === undefined ||
  (Array.isArray(value) ? value.length === 0 : typeof value === 'object' && isEmptyRecord(value));

function isEmptyRecord(value: object | null): boolean {
  if (value === null) return false;
  for (const key in value) if (Object.hasOwn(value, key)) return false;
  return true;
}

/** A wallet's state and context, packed. */
export function packWallet(value: WalletStatus, context: WalletContext): PackedWallet {
  const status = STATUSES.indexOf(value);
  if (status < 0) throw new RangeError(`packWallet: ${context.walletId} is in no wallet state`);
  const c = context;
  const tuple: unknown[] = [
    status,
    c.region,
    c.ebmi ? 1 : 0,
    c.day,
    c.sentToday,
    c.tranches.map((t): TrancheTuple => [
      t.originRegion,
      t.transferId,
      t.donorId,
      t.amount,
      t.received ? 1 : 0,
    ]),
    relationsOut(c.relations),
    relationsOut(c.donors),
    c.credited,
    c.pendingTo,
    c.returned,
    c.rejected,
    c.refused,
    c.bindingTo,
    c.addedBinds,
    piecesByIdOut(c.holds),
    piecesByIdOut(c.paid),
    c.opened === true ? 1 : undefined,
  ];
  return packTuple(tuple);
}

/** A tuple, its trailing empty places left out (the first six are always there). */
function packTuple(tuple: unknown[]): PackedWallet {
  let end = tuple.length;
  while (end > 6 && isEmpty(tuple[end - 1])) end--;
  tuple.length = end;
  return packr.pack(tuple).toString('latin1');
}

/** A relation as a new wallet's record holds it: active, under the binding that made it. */
export function openingRelation(
  otherId: string,
  kinship: string,
  region: string,
  bindId: string,
  unopened: boolean,
): RelationTuple {
  return unopened
    ? [otherId, kinship, region, 'active', bindId, null, 1]
    : [otherId, kinship, region, 'active', bindId];
}

/**
 * A wallet as it opens (`initialWalletContext`), packed straight from its relations' tuples:
 * the same bytes as `packWallet` of that context, without building it (world building at
 * millions of wallets).
 */
export function packOpening(
  status: WalletStatus,
  region: string,
  ebmi: boolean,
  relations: readonly RelationTuple[],
  donors: readonly RelationTuple[],
): PackedWallet {
  return packTuple([STATUSES.indexOf(status), region, ebmi ? 1 : 0, -1, 0, [], relations, donors]);
}

/** Where the status code sits: after a fixarray's one-byte header, or an array16's three. */
const statusAt = (bytes: PackedWallet): number => (bytes.charCodeAt(0) === 0xdc ? 3 : 1);

/** A packed wallet's state, read without unpacking the rest. */
export function packedStatus(bytes: PackedWallet): WalletStatus {
  const status = STATUSES[bytes.charCodeAt(statusAt(bytes))];
  if (status === undefined) throw new RangeError('packedStatus: not a packed wallet');
  return status;
}

const list = <T>(value: readonly T[] | undefined): readonly T[] =>
  value === undefined || value.length === 0 ? EMPTY_LIST : value;
const record = <T>(value: Readonly<Record<string, T>> | undefined): Readonly<Record<string, T>> =>
  value === undefined || isEmptyRecord(value) ? EMPTY_RECORD : value;

/** A packed wallet's state and context; `walletId` is the key it was stored under. */
export function unpackWallet(walletId: string, bytes: PackedWallet): WalletState {
  const t = packr.unpack(Buffer.from(bytes, 'latin1')) as unknown[];
  const status = STATUSES[t[0] as number];
  if (status === undefined) throw new RangeError(`unpackWallet: ${walletId} is not a wallet`);
  const relations = t[6] as RelationTuple[] | undefined;
  const donors = t[7] as RelationTuple[] | undefined;
  const holds = t[15] as Record<string, PieceTuple[]> | undefined;
  const paid = t[16] as Record<string, PieceTuple[]> | undefined;
  const context: WalletContext = {
    walletId,
    region: t[1] as string,
    ebmi: t[2] === 1,
    tranches: tranchesIn(t[5] as TrancheTuple[] | undefined),
    day: t[3] as number,
    sentToday: t[4] as number,
    pendingTo: list(t[9] as string[] | undefined),
    relations: relations === undefined ? EMPTY_RECORD : relationsIn(relations),
    donors: donors === undefined ? EMPTY_RECORD : relationsIn(donors),
    credited: list(t[8] as string[] | undefined),
    rejected: record(t[11] as Record<string, Reason> | undefined),
    returned: list(t[10] as string[] | undefined),
    refused: record(t[12] as Record<string, Reason> | undefined),
    bindingTo: list(t[13] as string[] | undefined),
    addedBinds: list(t[14] as string[] | undefined),
    holds: piecesByIdIn(holds),
    paid: piecesByIdIn(paid),
    ...(t[17] === 1 ? { opened: true as const } : {}),
  };
  return { value: status, context };
}

const tranchesIn = (tuples: readonly TrancheTuple[] | undefined): readonly Tranche[] =>
  tuples === undefined || tuples.length === 0
    ? EMPTY_LIST
    : tuples.map(([originRegion, transferId, donorId, amount, received]) => ({
        originRegion,
        transferId,
        donorId,
        amount,
        received: received === 1,
      }));

/** What the recount reads of a wallet: its money and the credits it took and sent back. */
export type WalletMoney = Pick<WalletContext, 'tranches' | 'credited' | 'returned'>;

/**
 * A stored wallet's money, without building its relations (the recount reads every wallet at
 * each checkpoint; at a million wallets the relations were most of that time).
 */
export function readWalletMoney(
  walletId: string,
  stored: PackedWallet | { value: unknown; context: unknown },
): WalletMoney {
  if (typeof stored !== 'string') return (stored as WalletState).context;
  const t = packr.unpack(Buffer.from(stored, 'latin1')) as unknown[];
  if (STATUSES[t[0] as number] === undefined)
    throw new RangeError(`readWalletMoney: ${walletId} is not a wallet`);
  return {
    tranches: tranchesIn(t[5] as TrancheTuple[] | undefined),
    credited: list(t[8] as string[] | undefined),
    returned: list(t[10] as string[] | undefined),
  };
}

/** A stored wallet record as readers want it: packed (what shards write) or a persisted state. */
export function readWallet(
  walletId: string,
  stored: PackedWallet | { value: unknown; context: unknown },
): WalletState {
  if (typeof stored === 'string') return unpackWallet(walletId, stored);
  return stored as WalletState;
}

/** The shared empty values: a new wallet's context uses them too (`initialWalletContext`). */
export const SPARSE = { list: EMPTY_LIST, record: EMPTY_RECORD } as const;
