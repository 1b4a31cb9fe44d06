// The message kinds of the transfer flow (DESIGN.md §4), their bodies and their wire schemas.
// `BODY_SPECS` is the single source: kinds, schemas and body types are all derived from it,
// so adding a kind is one entry there.
import type { Fen } from './money.ts';

export const PROTOCOL_VERSION = 1 as const;

export const REASONS = [
  'W6', // daily count: at most 3 transfers per wallet per day
  'W7', // per-transfer maximum: at most 2000 yuan
  'W8', // blackout: no transfers from 22:00 to 06:00 (Beijing time)
  'W10', // the recipient's wallet is not opened or not active
  'W5', // re-transfer of received wallet money is not modelled (ASSUMPTION: DOMAIN's default, off)
  'W12', // one pending (unreceived) transfer per donor→recipient pair
  'W13', // the donor's face or e-credential password check failed: nothing moves
  'W19', // the mutual-aid relation has ended (E6, revoked): no new transfers
  'E1', // only employee (EBMI) members have a personal account and may donate or bind as donor
  'E2', // the recipient is not a close relative (Civil Code Art. 1045), or the registry disagrees
  'E3', // the relative is not enrolled in basic medical insurance
  'E5', // the relative's face verification failed, so the binding is not confirmed
  'E7', // the donor's province does not (yet) extend aid to this kinship (nuclear family only)
  'E8', // cross-province transfer: the donor's or the recipient's region has no wallet yet
  'ID_MISMATCH', // the relative's name and ID number do not match the civil registry
  'BIND_EXPIRED', // the relative did not confirm within bindAuthTtlMs
  'BOUND', // an active relation between the two already exists
  'W16', // wallet money pays only its holder's bills and own resident contribution
  'C1', // no resident contribution amount is known for that year
  // A personal account pays a relative's contribution only within its province (C2); across
  // provinces it goes through the wallet (C3).
  'C3',
  'C4', // that person-year is already paid
  'D3', // cross-province care without a filing (备案), and not an emergency (D4)
  'D6', // the provider is not networked for direct settlement: a manual claim instead
  'D9', // not one of the 10 chronic diseases with cross-province direct settlement
  'D10', // no benefit certification (待遇认定) for that chronic disease at the insured place
  'D11', // that msgid was cancelled or reversed: the same payment must not be sent again
  'PRESETTLE_EXPIRED', // a pre-settlement never settled within presettleTtlMs: released
  'FUNDS', // insufficient available balance in the personal account
  'NO_ACCOUNT', // unknown personal account
  'NO_WALLET', // unknown wallet
  'NO_RELATION', // no mutual-aid relation on record between donor and recipient
  // A sender gave up on a timeout. Only the deliberately broken protocol variant produces it:
  // the reference protocol never decides "failed" from a timeout alone (DESIGN.md §4).
  'GAVE_UP',
] as const;
export type Reason = (typeof REASONS)[number];

const REASON_SET: ReadonlySet<unknown> = new Set(REASONS);

export function isReason(value: unknown): value is Reason {
  return REASON_SET.has(value);
}

/** Close relatives under Civil Code Art. 1045 (E2): the only kinships that may receive aid. */
export const CLOSE_KINSHIPS = [
  'SPOUSE',
  'PARENT',
  'CHILD',
  'SIBLING',
  'PATERNAL_GRANDPARENT',
  'MATERNAL_GRANDPARENT',
  'GRANDCHILD_PATERNAL',
  'GRANDCHILD_MATERNAL',
] as const;
export type CloseKinship = (typeof CLOSE_KINSHIPS)[number];

/** The earlier, narrower scope (E7): provinces that have not widened aid to all close relatives. */
export const NUCLEAR_KINSHIPS = [
  'SPOUSE',
  'PARENT',
  'CHILD',
] as const satisfies readonly CloseKinship[];

/** Relatives who are not close under Art. 1045; a claimed relation of this kind fails E2. */
export const NON_CLOSE_KINSHIPS = [
  'PARENT_IN_LAW',
  'SIBLING_IN_LAW',
  'COUSIN',
  'AUNT_UNCLE',
  'NIECE_NEPHEW',
] as const;
type NonCloseKinship = (typeof NON_CLOSE_KINSHIPS)[number];

/** Any kinship a relation record may claim; only `CloseKinship` values pass E2. */
export type Kinship = CloseKinship | NonCloseKinship;

const CLOSE_KINSHIP_SET: ReadonlySet<string> = new Set(CLOSE_KINSHIPS);

export function isCloseKinship(kinship: string): kinship is CloseKinship {
  return CLOSE_KINSHIP_SET.has(kinship);
}

/**
 * Closed value sets of enum fields, by field type. `kinship` accepts the non-close kinds too: a
 * claim of one is a valid message that E2 refuses, not a malformed frame.
 */
export const ENUMS = {
  kinship: [...CLOSE_KINSHIPS, ...NON_CLOSE_KINSHIPS],
  verdict: ['PASS', 'FAIL'],
  method: ['FACE', 'PASSWORD'],
  source: ['ACCOUNT', 'WALLET'],
  /** Why a mutual-aid relation ended (DOMAIN F1 states). */
  ending: ['REVOKED_BY_DONOR', 'REVOKED_BY_RECIPIENT', 'ENROLMENT_CHANGED'],
  flag: ['Y', 'N'],
  /** F3: the care a bill is for; `chronic` is an outpatient chronic disease (D9). */
  care: ['outpatient', 'pharmacy', 'inpatient', 'chronic'],
  /** F5: medical direct settlement (fund + account) or wallet mutual aid (K9). */
  ledger: ['medical', 'wallet'],
} as const;
export type EnumType = keyof typeof ENUMS;
type EnumValue<T extends EnumType> = (typeof ENUMS)[T][number];
/** Where money for a transfer (W5) or a contribution (C2, C3) comes from. */
export type TransferSource = EnumValue<'source'>;
export type RelationEnding = EnumValue<'ending'>;
/** A yes/no field on the wire (F3's emergency, networked and useWallet). */
export type Flag = EnumValue<'flag'>;
/** F3: the care a bill is for. */
export type Care = EnumValue<'care'>;
export const CARE_KINDS: readonly Care[] = ENUMS.care;
/** F5: the ledger a clearing line is in. */
export type ClearingLedger = EnumValue<'ledger'>;

/** Longest `text` field (a name or an ID number), in UTF-16 units. */
export const TEXT_CHARS_MAX = 64;

/** What every id and address matches: `transferId`, `wallet.03`, `province.51`, … */
export const ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
export const ID_CHARS_MAX = 64;

// ID_PATTERN as a lookup table: the decoder checks ~8 ids per message and a char loop over a
// table is measurably cheaper than a regex call on the short strings msgpackr hands back.
const ID_CHAR_OK = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-') {
  ID_CHAR_OK[c.charCodeAt(0)] = 1;
}

/** Same answer as `ID_PATTERN.test` (a property test holds them equal), for any value. */
export function isValidId(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const length = value.length;
  if (length === 0 || length > ID_CHARS_MAX) return false;
  for (let i = 0; i < length; i++) {
    const c = value.charCodeAt(i);
    if (c > 127 || ID_CHAR_OK[c] !== 1) return false;
  }
  return true;
}

/** `bill.presettle`'s `aidBy` when no relative's account is to pay (family mutual aid). */
export const NO_AID = '-';

/**
 * `id`: 1–64 chars of `[A-Za-z0-9._:-]`, a string on the wire and in memory.
 * `amount`: `Fen` in memory, a canonical decimal string (`"500.00"`) on the wire, positive.
 * `amount0`: the same, zero allowed (`"0.00"`): a bill's parts may be empty.
 * `reason`: one of REASONS.
 * `text`: 1–64 chars with no control characters (a name, an ID number).
 * `count`: a non-negative safe integer (a year, a month as YYYYMM, a count).
 * an `EnumType`: one of its ENUMS values.
 */
export type FieldType = 'id' | 'amount' | 'amount0' | 'reason' | 'text' | 'count' | EnumType;

export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  /** `body.<name>`, precomputed so error paths do not build strings per message. */
  readonly path: string;
  /** For enum types: the allowed values. */
  readonly values: ReadonlySet<string> | undefined;
}

/** Body fields in wire order; a plain array because the decoder walks it for every message. */
export type Schema = readonly FieldSpec[];

const BODY_SPECS = {
  'transfer.request': {
    transferId: 'id',
    donorId: 'id',
    recipientId: 'id',
    amount: 'amount',
    source: 'source',
  },
  'transfer.accepted': { transferId: 'id' },
  'transfer.refused': { transferId: 'id', reason: 'reason' },
  // W13: the donor confirms an accepted transfer by face or e-credential password.
  'transfer.challenge': { transferId: 'id', donorId: 'id' },
  'transfer.auth': { transferId: 'id', method: 'method', verdict: 'verdict' },
  'account.reserve': { transferId: 'id', accountId: 'id', amount: 'amount' },
  'account.reserved': { transferId: 'id' },
  'account.rejected': { transferId: 'id', reason: 'reason' },
  'account.commit': { transferId: 'id' },
  'account.committed': { transferId: 'id' },
  // The debitFirst design: a hold and its commit in one step, answered account.committed.
  'account.charge': { transferId: 'id', accountId: 'id', amount: 'amount' },
  'account.release': { transferId: 'id' },
  'account.released': { transferId: 'id' },
  'wallet.credit': {
    transferId: 'id',
    walletId: 'id',
    donorId: 'id',
    originRegion: 'id',
    amount: 'amount',
  },
  'wallet.credited': { transferId: 'id' },
  'wallet.rejected': { transferId: 'id', reason: 'reason' },
  // W14: the SMS "您的共济账户已收到{amount}元", to the recipient's phone.
  'notice.sms': { transferId: 'id', personId: 'id', amount: 'amount' },
  // W11: the recipient receives a credit; unreceived ones are returned at 06:00 the next day.
  'transfer.receive': { transferId: 'id', walletId: 'id' },
  'wallet.settle': { transferId: 'id', walletId: 'id' },
  'wallet.received': { transferId: 'id' },
  'wallet.returned': { transferId: 'id' },
  'account.refund': { transferId: 'id' },
  'account.refunded': { transferId: 'id' },
  'liability.record': {
    transferId: 'id',
    originRegion: 'id',
    useRegion: 'id',
    amount: 'amount',
  },
  'liability.recorded': { transferId: 'id' },
  'liability.reverse': { transferId: 'id', originRegion: 'id', amount: 'amount' },
  'liability.reversed': { transferId: 'id' },
  // F1 binding: the donor asks, the relative's province checks the registry (E2, E3), the
  // relative confirms by face (E5), the recipient's wallet records the relation (the authority).
  'bind.request': {
    bindId: 'id',
    donorId: 'id',
    relativeId: 'id',
    name: 'text',
    idNo: 'text',
    kinship: 'kinship',
  },
  'bind.accepted': { bindId: 'id' },
  'bind.refused': { bindId: 'id', reason: 'reason' },
  'identity.verify': {
    bindId: 'id',
    donorId: 'id',
    relativeId: 'id',
    name: 'text',
    idNo: 'text',
    kinship: 'kinship',
  },
  'identity.verified': { bindId: 'id', region: 'id' },
  'identity.refused': { bindId: 'id', reason: 'reason' },
  'bind.challenge': { bindId: 'id', donorId: 'id', relativeId: 'id' },
  'bind.confirm': { bindId: 'id', verdict: 'verdict' },
  'relation.add': {
    bindId: 'id',
    donorId: 'id',
    recipientId: 'id',
    kinship: 'kinship',
    donorRegion: 'id',
  },
  // The recipient's wallet was open when it recorded the relation (the donor's copy caches it,
  // W10 at the request).
  'relation.added': { bindId: 'id', open: 'flag' },
  // Either party ends a relation (E5), or an enrolment change does (E6); the other party hears
  // of it as a notice (best effort: a transfer needs the relation active on both sides).
  'relation.end': { donorId: 'id', recipientId: 'id', ending: 'ending' },
  'relation.ended': { donorId: 'id', recipientId: 'id', ending: 'ending', bindId: 'id' },
  'enrolment.change': { personId: 'id' },
  'enrolment.changed': { personId: 'id' },
  // W1: the holder opens the wallet; the answer says whether it is open now (a wallet that does
  // not exist, or is frozen or closed, is not).
  'wallet.open': { walletId: 'id' },
  'wallet.opened': { walletId: 'id', open: 'flag' },
  // W10 at the request: the donor's shard asks the recipient's whether the wallet is open
  // (a read, deciding nothing; the credit step stays the authority).
  'wallet.check': { transferId: 'id', walletId: 'id' },
  'wallet.checked': { transferId: 'id', walletId: 'id', open: 'flag' },
  // Orphan holds: a province asks the owner of an old hold whether the saga behind it is still
  // under way; one that is not (never heard of, or ended) is released.
  'hold.query': { holdId: 'id' },
  'hold.status': { holdId: 'id', live: 'flag' },
  // F3: a bill at a designated provider, settled directly (D1–D11). The POS talks to the
  // patient's wallet shard (the national hub); the insured province applies its policy.
  'bill.presettle': {
    billId: 'id',
    personId: 'id',
    treatmentRegion: 'id',
    care: 'care',
    disease: 'id',
    total: 'amount',
    eligible: 'amount0',
    emergency: 'flag',
    networked: 'flag',
    useWallet: 'flag',
    // Family mutual aid at the point of care: the bound close relative whose personal account
    // pays what the patient's own account and wallet leave (acctMulaidPay), or NO_AID ('-').
    aidBy: 'id',
  },
  'bill.presettled': {
    billId: 'id',
    fundPay: 'amount0',
    acctPay: 'amount0',
    acctMulaidPay: 'amount0',
    cashPay: 'amount0',
    // The settlement month (setlym, YYYYMM) the hub files the bill under: the POS applies for
    // its clearing under that month (K3, 3203).
    month: 'count',
  },
  'bill.refused': { billId: 'id', reason: 'reason' },
  'bill.settle': { billId: 'id' },
  'bill.settled': { billId: 'id' },
  'bill.cancel': { billId: 'id' },
  'bill.cancelled': { billId: 'id' },
  'bill.reverse': { billId: 'id' },
  'bill.reversed': { billId: 'id' },
  'bill.reserve': {
    billId: 'id',
    personId: 'id',
    treatmentRegion: 'id',
    care: 'care',
    disease: 'id',
    total: 'amount',
    eligible: 'amount0',
    emergency: 'flag',
    networked: 'flag',
  },
  'bill.reserved': { billId: 'id', fundPay: 'amount0', acctPay: 'amount0', remainder: 'amount0' },
  'bill.rejected': { billId: 'id', reason: 'reason' },
  // The bill's settlement month (setlym), as its saga stamped it: the insured province files the
  // bill under it, so both sides' K10 figures for a month count the same bills.
  'bill.commit': { billId: 'id', month: 'count' },
  'bill.committed': { billId: 'id' },
  'bill.release': { billId: 'id' },
  'bill.released': { billId: 'id' },
  'bill.refund': { billId: 'id' },
  'bill.refunded': { billId: 'id' },
  // Family mutual aid at the point of care: the relative's province holds up to `max` of the
  // relative's personal account for the patient's bill, pays it at settle (owed to the
  // treatment place), and gives it back if the bill is undone.
  'aid.reserve': {
    billId: 'id',
    accountId: 'id',
    patientId: 'id',
    treatmentRegion: 'id',
    max: 'amount',
  },
  // The relative's region as the relative's province has it: the aid line's payer.
  'aid.reserved': { billId: 'id', amount: 'amount', region: 'id' },
  'aid.rejected': { billId: 'id', reason: 'reason' },
  'aid.commit': { billId: 'id', month: 'count' },
  'aid.committed': { billId: 'id' },
  'aid.release': { billId: 'id' },
  'aid.released': { billId: 'id' },
  'aid.refund': { billId: 'id' },
  'aid.refunded': { billId: 'id' },
  // K6: the treatment region pays its provider for a settled bill within about a day ("instant
  // settlement"): what the funds, accounts and wallet cover (`paid`) out of its pooling fund, as
  // an advance the monthly clearing repays, and the patient's cash; taken back if the bill is.
  'provider.pay': {
    billId: 'id',
    month: 'count',
    insuredRegion: 'id',
    treatmentRegion: 'id',
    paid: 'amount0',
    cash: 'amount0',
    // Of `paid`, the lines other provinces owe (national clearing): the pool pays it back.
    national: 'amount0',
    // K2: the bill's medical line (fund + account shares, owed by the insured region) and its
    // family-aid line (owed by the relative's region; `aidRegion` is the insured region when
    // there is none), as the hub split them: what the treatment place confirms its allocation
    // against.
    medicalLine: 'amount0',
    aidLine: 'amount0',
    aidRegion: 'id',
  },
  'provider.paid': { billId: 'id' },
  'provider.refund': { billId: 'id' },
  'provider.refunded': { billId: 'id' },
  // K3: a provider's POS reconciles each day's settled bills with their treatment region at
  // 02:00 the next day: totals first (3201, `day` YYYYMMDD); when they differ, each bill (3202),
  // and the region names a bill it never paid for.
  'provider.totals': { region: 'id', day: 'count', count: 'count', total: 'amount0' },
  // K3, 3203: once a month is over (the 1st of the next, 03:00), the POS applies to each
  // treatment region for the month's clearing (setlym YYYYMM): its person-times and what the
  // region's fund owes it for them (everything but cash); the region answers with its figures.
  'provider.apply': { region: 'id', month: 'count', count: 'count', applied: 'amount0' },
  'provider.applied': { region: 'id', month: 'count' },
  'provider.applyDiffers': { region: 'id', month: 'count', count: 'count', applied: 'amount0' },
  'provider.totalsAgreed': { region: 'id', day: 'count' },
  'provider.totalsDiffer': { region: 'id', day: 'count', count: 'count', total: 'amount0' },
  'provider.detail': { region: 'id', day: 'count', billId: 'id', total: 'amount0' },
  'provider.detailAgreed': { billId: 'id' },
  'provider.unrecorded': { billId: 'id' },
  // F4: a resident contribution, from a relative's personal account (C2) or one's own wallet (C3).
  'contribution.pay': {
    payId: 'id',
    payerId: 'id',
    personId: 'id',
    year: 'count',
    source: 'source',
    // The person's ID number, as the payer enters it (F4a): it names the person's place when
    // no relation does (E3's exception: the person may have none yet).
    idNo: 'text',
  },
  'contribution.accepted': { payId: 'id' },
  'contribution.refused': { payId: 'id', reason: 'reason' },
  'tax.claim': { payId: 'id', payerId: 'id', personId: 'id', year: 'count', idNo: 'text' },
  'tax.claimed': { payId: 'id', amount: 'amount' },
  'tax.refused': { payId: 'id', reason: 'reason' },
  'tax.confirm': { payId: 'id' },
  'tax.confirmed': { payId: 'id' },
  'tax.release': { payId: 'id' },
  'tax.released': { payId: 'id' },
  'account.debit': { payId: 'id', accountId: 'id', amount: 'amount' },
  'account.debited': { payId: 'id' },
  'account.debitRefused': { payId: 'id', reason: 'reason' },
  // F5: one line of what one region owes another for a month, from a settled bill or a
  // wallet-funded contribution; idempotent on the line id, and taken back when undone.
  'settlement.record': {
    lineId: 'id',
    month: 'count',
    ledger: 'ledger',
    payerRegion: 'id',
    payeeRegion: 'id',
    amount: 'amount',
  },
  'settlement.recorded': { lineId: 'id' },
  'settlement.unrecord': { lineId: 'id' },
  'settlement.unrecorded': { lineId: 'id' },
  // K9: before a wallet line is recorded, the origin region's province moves that much of the
  // wallet money's backing into the fund that pays the line (the region's own fund, or the
  // province's pool when the line crosses provinces); undone with the payment. Idempotent on the
  // line id; answered like a line (`settlement.recorded` / `settlement.unrecorded`).
  'settlement.back': {
    lineId: 'id',
    payerRegion: 'id',
    payeeRegion: 'id',
    amount: 'amount',
  },
  'settlement.unback': { lineId: 'id' },
  // F5 monthly clearing, settlement ↔ each province (K2, K7, K8, K10). Allocation (3260) carries
  // settlement's medical receivable of that month for the province as the treatment place
  // (other provinces' patients treated in its regions: their medical and family-aid lines); the
  // province confirms (3261) or disputes (3262) against its own provider payments of the month
  // (K6). A dispute is reconciled line by line (3202): settlement sends each of its lines of the
  // month (`clearing.detail`), the province sends each of its own and answers a detail it
  // disagrees with (`clearing.correct`, 0.00 when it paid no such bill); the treatment place's
  // figure, the split the hub gave it at the settle, stands. Statements fund the national
  // clearing account; disbursal pays the net receivers.
  'clearing.allocate': { month: 'count', medicalReceivable: 'amount0' },
  // 3261 confirms a figure: the one the allocation offered, which the province's own matched.
  'clearing.confirm': { month: 'count', medicalReceivable: 'amount0' },
  'clearing.dispute': { month: 'count', medicalReceivable: 'amount0' },
  'clearing.detail': {
    month: 'count',
    lineId: 'id',
    payerRegion: 'id',
    payeeRegion: 'id',
    amount: 'amount',
  },
  'clearing.correct': {
    month: 'count',
    lineId: 'id',
    payerRegion: 'id',
    payeeRegion: 'id',
    amount: 'amount0',
  },
  'clearing.statement': { month: 'count', toFund: 'amount0', topUp: 'amount0' },
  'clearing.funded': { month: 'count' },
  'clearing.disburse': { month: 'count', amount: 'amount' },
  'clearing.received': { month: 'count' },
} as const satisfies Record<string, Record<string, FieldType>>;

type BodySpecs = typeof BODY_SPECS;
export type Kind = keyof BodySpecs;

type FieldValues = {
  id: string;
  amount: Fen;
  amount0: Fen;
  reason: Reason;
  text: string;
  count: number;
} & { [T in EnumType]: EnumValue<T> };

// `-readonly` undoes the `as const` of the spec: bodies are ordinary objects, like envelopes.
type BodyOf<S extends Record<string, FieldType>> = { -readonly [F in keyof S]: FieldValues[S[F]] };
type BodiesFromSpecs = { [K in Kind]: BodyOf<BodySpecs[K]> };

/** Kind → in-memory body type (amounts as `Fen`). */
interface Bodies extends BodiesFromSpecs {}
export type Body<K extends Kind> = Bodies[K];

/** Every kind, in declaration order. */
export const KINDS: readonly Kind[] = Object.freeze(Object.keys(BODY_SPECS) as Kind[]);

function toSchema(spec: Record<string, FieldType>): Schema {
  const fields = Object.entries(spec).map(([name, type]) => {
    const values = Object.hasOwn(ENUMS, type)
      ? new Set<string>(ENUMS[type as EnumType])
      : undefined;
    return Object.freeze({ name, type, path: `body.${name}`, values });
  });
  return Object.freeze(fields);
}

export const SCHEMAS: Readonly<Record<Kind, Schema>> = Object.freeze(
  Object.fromEntries(KINDS.map((kind) => [kind, toSchema(BODY_SPECS[kind])])) as Record<
    Kind,
    Schema
  >,
);
