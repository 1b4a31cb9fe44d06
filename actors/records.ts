// Every durable record an actor keeps, in one table: its key prefix, the actor role that owns it,
// the type of its value, and how its key is written and read. Actors write through `key`; every
// reader (an actor restoring itself, the recount, the final checks, the NATS checker, the
// reconciliation report) goes through `visitRecords`, so a key is spelled in one place only.
// A key is `<prefix>:<id>`; prefixes are unique and contain no ':' (records.test.ts).
import type { ClearingLedger, Fen, Reason } from '../protocol/index.ts';
import type { Kinship } from '../protocol/index.ts';
import type { Prepayment } from './clearing.ts';
import type { BatchSnapshot } from './settlement.actor.ts';
import type { PackedWallet } from './wallet_codec.ts';
import type {
  BillSnapshot,
  BindSnapshot,
  ContributionSnapshot,
  SagaSnapshot,
  WalletSnapshot,
} from './wallet_shard.actor.ts';

// ---------------------------------------------------------------------------------------------
// The values: plain, immutable data (a record object is never mutated once written: the store
// may share it with the live state).

/** A personal account at its province: spendable and reserved balances. */
export interface AccountRecord {
  readonly region: string;
  readonly available: Fen;
  readonly held: Fen;
}

export type TxnState = 'reserved' | 'committed' | 'released' | 'rejected' | 'refunded';

/** What the reserve decision point decided for one transfer id: the dedup record. */
export interface TxnRecord {
  readonly accountId: string;
  readonly amount: Fen;
  readonly state: TxnState;
  readonly reason: Reason | undefined;
  /** Who asked for the hold (the saga's shard), and when (virtual ms): orphan holds. */
  readonly owner?: string | undefined;
  readonly at?: number | undefined;
  /** Released because its owner had never heard of it, or had ended it (an orphan hold). */
  readonly orphan?: true | undefined;
}

/**
 * A pooling region's counter accounts: opening balances' source, and what flowed in and out of
 * its personal accounts since. Absent fields are 0 (a region that never saw that flow).
 */
export interface RegionRecord {
  readonly source: Fen;
  /** Committed transfers: what the region owes the wallet ledger (K9). */
  readonly due: Fen;
  /** P4: monthly credits into the accounts, from payroll or the pooling fund (≤ 0). */
  readonly income?: Fen;
  /** F4: personal-account money paid as relatives' resident contributions (≥ 0). */
  readonly contributed?: Fen;
  /**
   * The region's pooling fund: it takes in its people's account shares of bills, pays bills'
   * fund shares (to its providers, into provincial clearing, into the province's national
   * pool) and is repaid what it advanced to its providers (F2b, F5, K6).
   */
  readonly fund?: Fen;
  /**
   * K9: the backing of the region's wallet money. A committed transfer moves the donor's money
   * here (the wallet holds a claim on it); a return (W11) gives it back to the donor, and each
   * wallet line moves its amount to the fund that pays the line (`settlement.back`).
   */
  readonly backing?: Fen;
  /** What the fund opened with: the records-only audit of the fund starts from it. */
  readonly fundOpened?: Fen;
  /**
   * The region's resident fund (URRBMI): resident contributions come in (C2, F4a), residents'
   * fund shares go out at the settle (F3). `fund` is then the employee fund (EBMI), which also
   * takes in account shares and pays providers and clearing.
   */
  readonly residentFund?: Fen;
  readonly residentFundOpened?: Fen;
  /**
   * Personal-account money of this region's people passed on to a pooling fund (≥ 0): bills'
   * account shares and family aid (F3), relatives' resident contributions (F4a). A counter, like
   * `source`, that keeps the people's ledger double-entry when money leaves it.
   */
  readonly toFunds?: Fen;
  /** K6: what this region's providers were paid: out of its fund (`advanced`) and in cash. */
  readonly provider?: Fen;
  readonly advanced?: Fen;
  /** Cash patients paid its providers, from outside the model (≤ 0). */
  readonly cash?: Fen;
}

/** K6: the treatment region's payment to its provider for one settled bill. */
export interface ProviderRecord {
  readonly insuredRegion: string;
  readonly treatmentRegion: string;
  readonly paid: Fen;
  readonly cash: Fen;
  readonly month: number;
  /** Of `paid`, what other provinces owe through national clearing: the pool pays it back. */
  readonly national?: Fen;
  readonly state: 'paid' | 'refunded';
  /** The bill's shard (the hub): only it may take the payment back. */
  readonly owner: string;
  /** K3: the Beijing day (YYYYMMDD) it was paid: the day a POS's totals count it on. */
  readonly day?: number;
  /**
   * K2: the bill's medical line (owed by the insured region) and family-aid line (owed by
   * `aidRegion`), as the hub split them at the settle: the treatment place's own figures.
   */
  readonly medicalLine?: Fen;
  readonly aidLine?: Fen;
  readonly aidRegion?: string;
}

/**
 * K9: a wallet line's backing, moved by the origin region's province from the region's backing
 * into the fund that pays the line: the region's own fund when the line stays in the province,
 * the province's pool when it crosses provinces (`national`). Taken back with its payment.
 */
export interface BackingMove {
  readonly region: string;
  readonly payeeRegion: string;
  readonly amount: Fen;
  readonly national: boolean;
  readonly state: 'backed' | 'unbacked';
  /** The payment's shard: only it may take the move back. */
  readonly owner: string;
}

/** K3, 3201: a POS's totals of one day in one region, and the region's own. */
export interface ReconciliationRecord {
  readonly region: string;
  readonly day: number;
  readonly posCount: number;
  readonly posTotal: Fen;
  readonly count: number;
  readonly total: Fen;
  readonly state: 'agreed' | 'differed';
}

/** K3, 3203: a POS's monthly clearing application for one region, and the region's figures. */
export interface ApplicationRecord {
  readonly region: string;
  readonly month: number;
  readonly posCount: number;
  readonly posApplied: Fen;
  readonly count: number;
  readonly applied: Fen;
  readonly state: 'agreed' | 'differed';
}

/** K3, 3202: a bill a POS says was settled that its treatment region never paid for. */
export interface UnrecordedBill {
  readonly region: string;
  readonly day: number;
  readonly total: Fen;
}

/** F2b, K4: one month's provincial clearing, as the province cleared it. */
export interface ProvincialBatch {
  readonly month: number;
  /** Each region's net position (+ is paid into its fund, − paid out of it), non-zero only. */
  readonly positions: ReadonlyArray<readonly [string, Fen]>;
  /** Σ of the gross obligations between its regions that the batch cleared. */
  readonly cleared: Fen;
  readonly at: number;
}

/** The sum of a region record's counters: with its accounts, the ledger sums to zero. */
export function regionSum(region: RegionRecord): Fen {
  return (
    region.source +
    region.due +
    (region.income ?? 0n) +
    (region.contributed ?? 0n) +
    (region.toFunds ?? 0n)
  );
}

/**
 * The civil registry's and the enrolment system's record of one person insured in this province
 * (DOMAIN §3.1 IdentitySvc: background data; ASSUMPTION: kept per province). `kin` says, for a
 * donor id, what this person is to that donor: the fact a claimed kinship is checked against (E2).
 */
export interface PersonRecord {
  readonly name: string;
  readonly idNo: string;
  readonly region: string;
  /** E3: enrolled in EBMI or URRBMI. */
  readonly enrolled: boolean;
  /**
   * E2: what each person the registry relates this one to is to them, as flat pairs
   * `[personId, kinship, personId, kinship, …]` (`kinshipIn`): an object keyed by person ids
   * would give each record a hidden class of its own (about 90 bytes a person at scale).
   */
  readonly kin: readonly string[];
  /** P4: the monthly personal-account credit (0 for residents, who have no account). */
  readonly creditFen: Fen;
  /** EBMI members past working age: their bills get the retiree bonus (policy.splitBill). */
  readonly retired?: boolean;
  /** D3: provinces this person has filed (备案) for out-of-region care. */
  readonly filedTo?: readonly string[];
  /** D10: chronic diseases (D9 codes) this person's benefit certification covers. */
  readonly chronic?: readonly string[];
}

/** E2: what `personId` is to the person whose registry pairs these are, if anything. */
export function kinshipIn(kin: readonly string[], personId: string): Kinship | undefined {
  for (let i = 0; i + 1 < kin.length; i += 2) {
    if (kin[i] === personId) return kin[i + 1] as Kinship;
  }
  return undefined;
}

export type BillState = 'reserved' | 'committed' | 'released' | 'refunded' | 'rejected';

/** F3: the insured place's decision on one bill (msgid), and where its money went. */
/** What a bill's share held at a province keeps beside its amounts (the bill's, or family aid). */
interface ShareHold {
  /** Who asked for the hold (the bill saga's shard), and when (virtual ms): orphan holds. */
  readonly owner?: string | undefined;
  readonly at?: number | undefined;
  /** Released because its owner had never heard of it, or had ended it (an orphan hold). */
  readonly orphan?: true | undefined;
  /** The settlement month (setlym) the share is filed under, from its commit (K10). */
  readonly month?: number | undefined;
}

export interface BillRecord extends ShareHold {
  readonly personId: string;
  readonly insuredRegion: string;
  readonly treatmentRegion: string;
  readonly fundPay: Fen;
  readonly acctPay: Fen;
  /** What the fund and the personal account leave for the wallet and cash. */
  readonly remainder: Fen;
  readonly state: BillState;
  readonly reason: Reason | undefined;
  /**
   * Settled across provinces: the fund and account shares the insured region's fund passed to
   * the province's pool for national clearing (F5), given back if the bill is undone.
   */
  readonly toPool?: Fen;
  /** A resident's (URRBMI) bill: its fund share comes from the region's resident fund. */
  readonly resident?: true;
}

/**
 * Family mutual aid at the point of care: the relative's province's decision on one bill's aid,
 * the relative's personal account held for it, paid, released or refunded (the bill's id).
 */
export interface AidRecord extends ShareHold {
  /** The relative whose account pays, and the relative's region ('-' without an account). */
  readonly accountId: string;
  readonly region: string;
  readonly patientId: string;
  readonly treatmentRegion: string;
  readonly amount: Fen;
  readonly state: BillState;
  readonly reason: Reason | undefined;
}

type ClaimState = 'claimed' | 'paid' | 'released' | 'refused';

/** F4: the resident fund's decision on one contribution payment (C4: one per person-year). */
export interface ClaimRecord {
  /** Who pays: a relative's personal account (F4a), or the person's own wallet (F4b). */
  readonly payerId?: string | undefined;
  readonly personId: string;
  readonly year: number;
  readonly amount: Fen;
  readonly state: ClaimState;
  readonly reason: Reason | undefined;
  /** Paid: the resident fund (the person's region) it was credited to. */
  readonly fundRegion?: string;
  /** Paid from the person's wallet (C3): the region's employee fund advanced it. */
  readonly fromWallet?: true;
}

/**
 * One line of a month's obligations at settlement (F5 input). `undone` once its bill was
 * cancelled or reversed; if that happened before its batch was allocated it is `dropped` from
 * the batch, otherwise a `reversal` line takes it back in the batch of the month the undo came in.
 */
export interface ClearingLine {
  readonly month: number;
  readonly ledger: ClearingLedger;
  readonly payerRegion: string;
  readonly payeeRegion: string;
  readonly amount: Fen;
  readonly undone: boolean;
  /** The batch (settlement month) this line counts in. */
  readonly batch: number;
  readonly dropped: boolean;
  /** A reversal of an undone line: counts −amount in its batch. */
  readonly reversal: boolean;
}

/**
 * K10: settlement's dispute with one province over one month's figures. While open, the
 * province's lines of that month's batch are withheld from its statements; once the province
 * confirms, they move to the batch still open, and clear with it.
 */
export interface DisputeRecord {
  readonly month: number;
  readonly province: string;
  readonly state: 'open' | 'resolved';
  /** The province's own figure at its last dispute; undefined while it has not answered. */
  readonly figure?: Fen | undefined;
  readonly openedAt: number;
  readonly resolvedAt?: number | undefined;
  /** Lines corrected from the province's figures (3202): added, set, or voided. */
  readonly corrected: number;
}

/** A settled bill's medical clearing line: one per bill, named after it (F5, K10's 3202). */
export const medicalLineId = (billId: string): string => `${billId}.m`;
/** A bill's family-aid line: the relative's region owes the treatment place (F5, K10). */
export const aidLineId = (billId: string): string => `${billId}.f`;
/**
 * The bill a province's line is named after, and whose share it is (the patient's insured place,
 * or the relative's for family aid); undefined for a line no province speaks for (wallet).
 */
export function provinceLineOf(lineId: string): { bill: string; aid: boolean } | undefined {
  const aid = lineId.endsWith('.f');
  if (!aid && !lineId.endsWith('.m')) return undefined;
  return { bill: lineId.slice(0, -2), aid };
}

/** A saga or wallet as stored: a live XState snapshot, or its persisted parts read back. */
export type Stored<S extends { value: unknown; context: unknown }> = Pick<S, 'value' | 'context'>;

// ---------------------------------------------------------------------------------------------
// Keys.

/** The actor roles that keep durable records. */
export type Owner = 'province' | 'wallet' | 'settlement';

interface IdCodec<Id> {
  encode(id: Id): string;
  decode(text: string): Id;
}

const text: IdCodec<string> = { encode: (id) => id, decode: (id) => id };
/** A month as YYYYMM. */
const month: IdCodec<number> = { encode: (m) => String(m), decode: (t) => Number(t) };
/** C4: a person-year, `<personId>.<year>`. */
const personYear: IdCodec<{ readonly personId: string; readonly year: number }> = {
  encode: ({ personId, year }) => `${personId}.${year}`,
  decode: (t) => {
    const dot = t.lastIndexOf('.');
    return { personId: t.slice(0, dot), year: Number(t.slice(dot + 1)) };
  },
};
/** A record of which an actor has one: its key names it, and its id is that name. */
function only(name: string): IdCodec<void> {
  return { encode: () => name, decode: () => undefined };
}

export interface RecordKind<Id, V> {
  readonly prefix: string;
  readonly owner: Owner;
  /** What the record is, for the docs and for error messages. */
  readonly about: string;
  key(id: Id): string;
  idOf(key: string): Id;
  /** Phantom: the value type. */
  readonly value?: V;
}

function kind<V>(): <Id>(
  prefix: string,
  owner: Owner,
  ids: IdCodec<Id>,
  about: string,
) => RecordKind<Id, V> {
  return (prefix, owner, ids, about) => {
    const head = `${prefix}:`;
    return {
      prefix,
      owner,
      about,
      key: (id) => head + ids.encode(id),
      idOf: (key) => ids.decode(key.slice(head.length)),
    };
  };
}

/**
 * What a person-year record holds once its claim is released (C4): no payment holds it. Empty,
 * because no payment id can be (ids are 1–64 characters, protocol/codec.ts).
 */
export const FREE_PERSON_YEAR = '';

/** Every record kind. A new stored record is one entry here (and its writer and readers). */
export const RECORDS = {
  // A province: personal accounts, its registry, and the decisions it is the point of.
  account: kind<AccountRecord>()('a', 'province', text, 'a personal account'),
  txn: kind<TxnRecord>()('t', 'province', text, "a transfer's reserve decision (F2)"),
  region: kind<RegionRecord>()('r', 'province', text, "a pooling region's counters"),
  person: kind<PersonRecord>()('p', 'province', text, "the registry's record of a person"),
  insuredBill: kind<BillRecord>()('k', 'province', text, "the insured place's bill (F3)"),
  familyAid: kind<AidRecord>()('fa', 'province', text, "a relative's family aid for a bill"),
  providerPayment: kind<ProviderRecord>()('pv', 'province', text, "a bill's provider pay (K6)"),
  backingMove: kind<BackingMove>()('wb', 'province', text, "a wallet line's backing, moved (K9)"),
  fundClaim: kind<ClaimRecord>()('q', 'province', text, "the resident fund's claim (F4)"),
  /** `<region>.<day>` */
  providerReconciliation: kind<ReconciliationRecord>()(
    'rc',
    'province',
    text,
    "a POS's daily totals, reconciled (K3)",
  ),
  /** `<region>.<month>` */
  providerApplication: kind<ApplicationRecord>()(
    'ap',
    'province',
    text,
    "a POS's monthly clearing application (K3)",
  ),
  unrecordedBill: kind<UnrecordedBill>()('ru', 'province', text, 'a bill settled, never paid (K3)'),
  /** The payment holding a person-year (C4); `FREE_PERSON_YEAR` once released. */
  personYear: kind<string>()('c', 'province', personYear, 'the payment holding a person-year'),
  accountDebit: kind<'debited' | Reason>()('d', 'province', text, 'a contribution debit (F4a)'),
  poolingFund: kind<Fen>()('f', 'province', only('fund'), "the province's pooling fund (F5)"),
  poolOpened: kind<Fen>()('fo', 'province', only('pool'), 'what the pooling fund opened with'),
  statementFunded: kind<Fen>()('cs', 'province', month, "a month's statement, funded (F5)"),
  disbursalReceived: kind<Fen>()('cr', 'province', month, "a month's disbursal, received (F5)"),
  creditedMonth: kind<true>()('m', 'province', month, 'a month whose credits are booked (P4)'),
  provincialLine: kind<ClearingLine>()('pl', 'province', text, 'a clearing line inside it (F2b)'),
  provincialBatch: kind<ProvincialBatch>()(
    'pb',
    'province',
    month,
    "a month's provincial clearing (F2b, K4)",
  ),
  // A wallet shard: wallets, the sagas they start, and its ledger's counters.
  /** Packed by its shard (actors/wallet_codec.ts); a persisted state is read too. */
  wallet: kind<PackedWallet | Stored<WalletSnapshot>>()('w', 'wallet', text, 'a wallet'),
  transferSaga: kind<Stored<SagaSnapshot>>()('s', 'wallet', text, 'a transfer saga (F2)'),
  bindSaga: kind<Stored<BindSnapshot>>()('b', 'wallet', text, 'a binding saga (F1)'),
  billSaga: kind<Stored<BillSnapshot>>()('g', 'wallet', text, 'a bill saga (F3)'),
  contributionSaga: kind<Stored<ContributionSnapshot>>()(
    'y',
    'wallet',
    text,
    'a contribution saga (F4)',
  ),
  /**
   * The shard ledger's counter per origin region: minus what its wallets were credited of that
   * origin's money, plus what they returned (≤ 0). Settlement's `originLiability` is its mirror.
   */
  originCounter: kind<Fen>()('o', 'wallet', text, "the wallet ledger's counter per origin"),
  spent: kind<Fen>()('u', 'wallet', text, 'wallet money spent, per origin (K9)'),
  // Settlement: liabilities, clearing lines and batches, prepayments, the clearing account.
  originLiability: kind<Fen>()('l', 'settlement', text, "an origin region's liability (K9)"),
  liabilityRecorded: kind<true>()('x', 'settlement', text, "a transfer's liability, recorded"),
  liabilityReversed: kind<true>()('v', 'settlement', text, "a transfer's liability, reversed"),
  clearingLine: kind<ClearingLine>()('n', 'settlement', text, 'a clearing line (F5)'),
  clearingBatch: kind<Stored<BatchSnapshot>>()(
    'bt',
    'settlement',
    month,
    "a month's clearing batch (F5)",
  ),
  prepayment: kind<Prepayment>()('pp', 'settlement', text, "a province's prepayment (K7)"),
  /** `<month>.<province>` */
  clearingDispute: kind<DisputeRecord>()(
    'cd',
    'settlement',
    text,
    "a month's dispute with a province (K10)",
  ),
  clearingAccount: kind<Fen>()(
    'ca',
    'settlement',
    only('national'),
    'the national clearing account (F5)',
  ),
} as const;

type RecordName = keyof typeof RECORDS;
type IdOf<N extends RecordName> =
  (typeof RECORDS)[N] extends RecordKind<infer Id, unknown> ? Id : never;
type ValueOf<N extends RecordName> =
  (typeof RECORDS)[N] extends RecordKind<unknown, infer V> ? V : never;

/** What a reader does with each kind it cares about; kinds it leaves out are skipped. */
export type RecordVisitor = {
  readonly [N in RecordName]?: (id: IdOf<N>, value: ValueOf<N>) => void;
};

const BY_PREFIX: ReadonlyMap<string, RecordName> = new Map(
  (Object.keys(RECORDS) as RecordName[]).map((name) => [RECORDS[name].prefix, name]),
);

/** A record that no kind of the table describes, or that belongs to another role. */
class RecordError extends Error {
  override readonly name = 'RecordError';
}

/** The kind of a key, or undefined when no kind of the table has its prefix. */
export function recordNameOf(key: string): RecordName | undefined {
  const colon = key.indexOf(':');
  return colon > 0 ? BY_PREFIX.get(key.slice(0, colon)) : undefined;
}

/**
 * Visit every record of `records` whose kind the visitor handles, in the map's order. A key of no
 * kind is an error; so is, with `owner`, a kind another role owns (a journal read into the wrong
 * actor).
 */
export function visitRecords(
  records: ReadonlyMap<string, unknown>,
  visitor: RecordVisitor,
  owner?: Owner,
): void {
  records.forEach((value, key) => {
    const name = recordNameOf(key);
    if (name === undefined)
      throw new RecordError(`record '${key}' is of no kind in actors/records.ts`);
    const recordKind = RECORDS[name] as RecordKind<unknown, unknown>;
    if (owner !== undefined && recordKind.owner !== owner) {
      throw new RecordError(
        `record '${key}' (${recordKind.about}) belongs to a ${recordKind.owner}, not a ${owner}`,
      );
    }
    const visit = visitor[name] as ((id: unknown, value: unknown) => void) | undefined;
    if (visit !== undefined) visit(recordKind.idOf(key), value);
  });
}
