// A wallet's data on the national platform (W4) and the pure arithmetic on it: its relations
// (both copies of each, E2–E6), its money by origin region (K9) with what is set aside for
// payments and what they spent (F3, F4), and the records that make each of its decisions
// answer the same way twice. The machine that decides on it is actors/wallet.machine.ts.
import type { Envelope, Fen, Kinship, Reason, RelationEnding } from '../protocol/index.ts';
import { DAY_MS, HOUR_MS, type ProtocolConfig } from './config.ts';
import { SPARSE } from './wallet_codec.ts';

type RelationStatus = 'active' | 'ended';

/** A relation as one party keeps it. The donor's copy is a cache; the recipient's decides (W19). */
export interface Relation {
  readonly kinship: Kinship | string;
  /** The other party's insured region. */
  readonly region: string;
  readonly status: RelationStatus;
  readonly bindId: string;
  readonly ending?: RelationEnding | undefined;
  /**
   * Donor's copy only: the recipient's wallet was not open when last heard of (W10). Absent
   * (the usual case) means open as far as this copy knows; the credit step decides anyway.
   */
  readonly unopened?: true | undefined;
}

/** Wallet money by origin region (K9): spends later draw FIFO by origin. */
export interface Tranche {
  readonly originRegion: string;
  readonly transferId: string;
  readonly donorId: string;
  readonly amount: Fen;
  /** W11: money not yet received cannot be spent, and goes back at 06:00 the next day. */
  readonly received: boolean;
}

/** Part of a tranche set aside for a bill or contribution (F3, F4), or spent by it. */
export interface Piece {
  readonly originRegion: string;
  readonly transferId: string;
  readonly donorId: string;
  readonly amount: Fen;
}

export type WalletStatus = 'unopened' | 'active' | 'frozen' | 'closed';

export interface WalletInput {
  readonly walletId: string;
  readonly region: string;
  readonly status: WalletStatus;
  /** E1: an employee member with a personal account, who may donate. */
  readonly ebmi: boolean;
  /** As a donor: recipients by wallet id. */
  readonly relations: Readonly<Record<string, Relation>>;
  /** As a recipient: donors by wallet id. */
  readonly donors: Readonly<Record<string, Relation>>;
}

export interface WalletContext {
  readonly walletId: string;
  readonly region: string;
  readonly ebmi: boolean;
  /** The wallet's money, received or not, by origin: its balance is their sum (`balanceOf`). */
  readonly tranches: readonly Tranche[];
  /** W6: transfers started on `day` (virtual day index, Beijing time). */
  readonly day: number;
  readonly sentToday: number;
  /** W12: recipients with a transfer from this wallet still unreceived (or in flight). */
  readonly pendingTo: readonly string[];
  readonly relations: Readonly<Record<string, Relation>>;
  readonly donors: Readonly<Record<string, Relation>>;
  /**
   * Credits this wallet applied, by transfer id: with `rejected`, the recipient side's dedup
   * record. Arrays, not records keyed by id: a handful per wallet, cheap to copy on assign and
   * to scan, and no object shape per distinct set of ids.
   */
  readonly credited: readonly string[];
  /** Credits this wallet refused (W10, W19), with why, so a retry gets the same answer. */
  readonly rejected: Readonly<Record<string, Reason>>;
  /** Credits sent back to the donor unreceived (W11): the receipt decisions that said no. */
  readonly returned: readonly string[];
  /** Request refusals by transfer or bind id, so a retried request gets the same answer. */
  readonly refused: Readonly<Record<string, Reason>>;
  /** F1: relatives this donor has a binding under way to: a second request waits for it (BOUND). */
  readonly bindingTo: readonly string[];
  /** F1: bind ids this wallet has applied as a recipient, so a late duplicate changes nothing. */
  readonly addedBinds: readonly string[];
  /** F3/F4: received money set aside for a payment not yet settled, by payment id. */
  readonly holds: Readonly<Record<string, readonly Piece[]>>;
  /** F3/F4: what each payment spent, by origin (K9), kept so a cancellation can restore it. */
  readonly paid: Readonly<Record<string, readonly Piece[]>>;
  /** W1: the holder opened it during the run (absent for a wallet that started open). */
  readonly opened?: true | undefined;
}

/**
 * A wallet's starting context; its starting state is `input.status`. Its empty fields are the
 * shared frozen empties a packed wallet unpacks to (actors/wallet_codec.ts).
 */
export function initialWalletContext(input: WalletInput): WalletContext {
  return {
    walletId: input.walletId,
    region: input.region,
    ebmi: input.ebmi,
    tranches: SPARSE.list,
    day: -1,
    sentToday: 0,
    pendingTo: SPARSE.list,
    relations: input.relations,
    donors: input.donors,
    credited: SPARSE.list,
    rejected: SPARSE.record,
    returned: SPARSE.list,
    refused: SPARSE.record,
    bindingTo: SPARSE.list,
    addedBinds: SPARSE.list,
    holds: SPARSE.record,
    paid: SPARSE.record,
  };
}

/** What the wallet holds: every tranche, received or not. */
export function balanceOf(context: Pick<WalletContext, 'tranches'>): Fen {
  let total = 0n;
  for (const t of context.tranches) total += t.amount;
  return total;
}

/** FIFO by credit time (DOMAIN F3b, ASSUMPTION): the oldest received money goes first. */
export function takeFifo(context: WalletContext, wanted: Fen): Piece[] {
  const heldOf = new Map<string, Fen>();
  for (const pieces of Object.values(context.holds)) {
    for (const p of pieces) heldOf.set(p.transferId, (heldOf.get(p.transferId) ?? 0n) + p.amount);
  }
  const pieces: Piece[] = [];
  let left = wanted;
  for (const t of context.tranches) {
    if (left === 0n) break;
    if (!t.received) continue;
    const free = t.amount - (heldOf.get(t.transferId) ?? 0n);
    if (free <= 0n) continue;
    const take = free < left ? free : left;
    const { originRegion, transferId, donorId } = t;
    pieces.push({ originRegion, transferId, donorId, amount: take });
    left -= take;
  }
  return pieces;
}

/** The tranches after a payment spent its pieces: each piece leaves its tranche. */
export function spendPieces(tranches: readonly Tranche[], pieces: readonly Piece[]): Tranche[] {
  let left = tranches.slice();
  for (const p of pieces) {
    left = left.flatMap((t) => {
      if (t.transferId !== p.transferId) return [t];
      const amount = t.amount - p.amount;
      return amount > 0n ? [{ ...t, amount }] : [];
    });
  }
  return left;
}

/**
 * The tranches after a cancelled payment's pieces come back. Newest piece first, each fully
 * spent tranche put back at the front: the restored tranches end in their original order, ahead
 * of newer money (FIFO holds, K9).
 */
export function restorePieces(tranches: readonly Tranche[], pieces: readonly Piece[]): Tranche[] {
  const restored = tranches.slice();
  for (const p of [...pieces].reverse()) {
    const at = restored.findIndex((t) => t.transferId === p.transferId);
    if (at >= 0) {
      const t = restored[at] as Tranche;
      restored[at] = { ...t, amount: t.amount + p.amount };
    } else {
      const { originRegion, transferId, donorId, amount } = p;
      restored.unshift({ originRegion, transferId, donorId, amount, received: true });
    }
  }
  return restored;
}

/** Every active relation of a table, ended the same way (E6). */
export function endAll(
  relations: Readonly<Record<string, Relation>>,
  ending: RelationEnding,
): Record<string, Relation> {
  const next: Record<string, Relation> = {};
  for (const [id, relation] of Object.entries(relations)) {
    next[id] = relation.status === 'active' ? { ...relation, status: 'ended', ending } : relation;
  }
  return next;
}

/**
 * A record's own entry: ids come from the wire, and an id such as 'constructor' or 'toString'
 * must not find Object.prototype's members (`in` and plain indexing would).
 */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** W8: no transfers from blackoutHourStart:00 to blackoutHourEnd:00 the next morning. */
export function inBlackout(config: ProtocolConfig, now: number): boolean {
  const hour = Math.floor((now % DAY_MS) / HOUR_MS);
  const { blackoutHourStart: start, blackoutHourEnd: end } = config;
  return start > end ? hour >= start || hour < end : hour >= start && hour < end;
}

/** Why an active wallet turns a credit down: no relation on record, or it has ended (W19). */
export function creditRefusal(
  context: WalletContext,
  env: Envelope<'wallet.credit'>,
): Reason | undefined {
  const donor = own(context.donors, env.body.donorId);
  if (donor === undefined) return 'NO_RELATION';
  return donor.status === 'active' ? undefined : 'W19';
}

/** The tranche of a credit still waiting for its receipt (W11), and where it sits. */
export function unreceived(context: WalletContext, transferId: string): number {
  return context.tranches.findIndex((t) => t.transferId === transferId && !t.received);
}
