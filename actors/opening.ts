// The opening records of every actor: what each holds before the first message, built from plain
// people and relations. The world builder (world/build.ts) turns a scenario's population into
// these inputs, and the in-test network (testing/net.ts) its hand-written people, so both start
// their actors the same way.
import type { Fen, Kinship } from '../protocol/index.ts';
import {
  provinceAddress,
  SETTLEMENT_ADDRESS,
  walletShardAddress,
  walletShardOf,
} from './addresses.ts';
import type { ProtocolConfig } from './config.ts';
import { type AccountRecord, type PersonRecord, RECORDS, type RegionRecord } from './records.ts';
import { provinceOfRegion } from './regions.ts';
import type { WalletStatus } from './wallet.ts';
import { openingRelation, packOpening, type RelationTuple } from './wallet_codec.ts';

interface OpeningPerson {
  readonly id: string;
  /** The insured region, `<pp><cc>00`: its province keeps the account and the registry record. */
  readonly region: string;
  /** E1: an employee member, with a personal account. */
  readonly ebmi: boolean;
  /** The personal account's opening balance (EBMI members only). */
  readonly openingBalance: Fen;
  readonly walletStatus: WalletStatus;
  /** The civil registry's record (F1): name, ID number, enrolment (E3). */
  readonly name: string;
  readonly idNo: string;
  readonly enrolled: boolean;
  /** P4: the monthly personal-account credit (0 for residents). */
  readonly monthlyCreditFen: Fen;
  readonly retired?: boolean;
  /** D3: provinces filed for out-of-region care. */
  readonly filedTo?: readonly string[];
  /** D10: certified chronic diseases (D9 codes). */
  readonly chronic?: readonly string[];
}

/** A relation bound before the first message: active on both sides. */
interface OpeningRelation {
  readonly donorId: string;
  readonly recipientId: string;
  readonly kinship: Kinship | string;
  /** The binding that made it; `r<index>` in the list when absent. */
  readonly bindId?: string;
}

/** What the registry says `recipientId` is to `donorId` (E2), bound or not. */
interface OpeningKin {
  readonly donorId: string;
  readonly recipientId: string;
  readonly kinship: Kinship | string;
}

/** F5: the pooling funds and prepayments the provinces open with, per insured person. */
export interface OpeningFunds {
  readonly fundFenPerInsured: Fen;
  readonly prepaymentFenPerInsured: Fen;
}

export interface OpeningInput {
  readonly config: ProtocolConfig;
  /** Province codes, in order: each gets an actor, people or not. */
  readonly provinces: readonly string[];
  readonly people: readonly OpeningPerson[];
  readonly relations: readonly OpeningRelation[];
  /** What the registry knows of who is whose kin, in lists read one after another. */
  readonly kin: ReadonlyArray<readonly OpeningKin[]>;
  /** Absent: no pooling fund, prepayment or clearing account records. */
  readonly funds?: OpeningFunds | undefined;
}

export interface Opening {
  /** Each actor's opening records: the provinces, then the wallet shards, then settlement. */
  readonly records: ReadonlyMap<string, Map<string, unknown>>;
  /** Σ personal-account balances: the conservation law's right side. */
  readonly openingTotal: Fen;
  /** Σ pooling funds + the national clearing account: the rest of the law's right side. */
  readonly openingFunds: Fen;
  /** Of openingFunds, the national clearing account's: the prepayments it holds. */
  readonly openingClearing: Fen;
}

export function openingRecords(input: OpeningInput): Opening {
  const { people, funds } = input;
  const records = new Map<string, Map<string, unknown>>();
  const byProvince = new Map<string, OpeningPerson[]>(input.provinces.map((p) => [p, []]));
  for (const person of people) {
    const province = provinceOfRegion(person.region);
    const list = byProvince.get(province);
    if (list === undefined) byProvince.set(province, [person]);
    else list.push(person);
  }
  const kinOf = registryKin(input.kin);
  const settlement = new Map<string, unknown>();
  let openingTotal = 0n;
  let openingFunds = 0n;
  let clearingAccount = 0n;
  for (const [province, residents] of byProvince) {
    const accounts = residents.filter((p) => p.ebmi);
    for (const account of accounts) openingTotal += account.openingBalance;
    const own = accountRecords(
      accounts.map(({ id, region, openingBalance }) => ({ id, region, balance: openingBalance })),
    );
    for (const person of residents) {
      own.set(RECORDS.person.key(person.id), personRecord(person, kinOf.get(person.id) ?? NO_KIN));
    }
    if (funds !== undefined) {
      const insured = BigInt(residents.filter((p) => p.enrolled).length);
      const fund = insured * funds.fundFenPerInsured;
      const prepayment = insured * funds.prepaymentFenPerInsured;
      own.set(RECORDS.poolingFund.key(), fund);
      own.set(RECORDS.poolOpened.key(), fund);
      settlement.set(RECORDS.prepayment.key(province), { size: prepayment, balance: prepayment });
      clearingAccount += prepayment;
      openingFunds += fund + prepayment;
      // F2b: each pooling region's own funds, employee (EBMI) and resident (URRBMI), sized
      // the same way from their insured.
      for (const [region, { employees, residentsHere }] of insuredByRegion(residents)) {
        const key = RECORDS.region.key(region);
        const record = (own.get(key) as RegionRecord | undefined) ?? { source: 0n, due: 0n };
        const fund = employees * funds.fundFenPerInsured;
        const residentFund = residentsHere * funds.fundFenPerInsured;
        const opened = { fund, fundOpened: fund, residentFund, residentFundOpened: residentFund };
        own.set(key, { ...record, ...opened });
        openingFunds += fund + residentFund;
      }
    }
    records.set(provinceAddress(province), own);
  }
  if (funds !== undefined) settlement.set(RECORDS.clearingAccount.key(), clearingAccount);
  for (const [address, own] of walletRecords(input)) records.set(address, own);
  records.set(SETTLEMENT_ADDRESS, settlement);
  return { records, openingTotal, openingFunds, openingClearing: clearingAccount };
}

/** How many of a province's people are insured, per pooling region and scheme, in code order. */
function insuredByRegion(
  people: readonly OpeningPerson[],
): Array<[string, { employees: bigint; residentsHere: bigint }]> {
  const counts = new Map<string, { employees: bigint; residentsHere: bigint }>();
  for (const p of people) {
    if (!p.enrolled) continue;
    const known = counts.get(p.region) ?? { employees: 0n, residentsHere: 0n };
    if (p.ebmi) counts.set(p.region, { ...known, employees: known.employees + 1n });
    else counts.set(p.region, { ...known, residentsHere: known.residentsHere + 1n });
  }
  return [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A province's opening accounts, funded from their regions' source accounts. */
export function accountRecords(
  accounts: ReadonlyArray<{ id: string; region: string; balance: Fen }>,
): Map<string, unknown> {
  const records = new Map<string, unknown>();
  const sources = new Map<string, Fen>();
  for (const { id, region, balance } of accounts) {
    const account: AccountRecord = { region, available: balance, held: 0n };
    records.set(RECORDS.account.key(id), account);
    sources.set(region, (sources.get(region) ?? 0n) - balance);
  }
  for (const [region, source] of sources) {
    const counters: RegionRecord = { source, due: 0n };
    records.set(RECORDS.region.key(region), counters);
  }
  return records;
}

function registryKin(lists: ReadonlyArray<readonly OpeningKin[]>): Map<string, string[]> {
  const kinOf = new Map<string, string[]>();
  for (const kin of lists) {
    for (const { donorId, recipientId, kinship } of kin) {
      const own = kinOf.get(recipientId);
      if (own === undefined) {
        kinOf.set(recipientId, [donorId, kinship]);
        continue;
      }
      // A pair named again says what the registry says now: the later kinship stands.
      const at = own.findIndex((id, i) => i % 2 === 0 && id === donorId);
      if (at < 0) own.push(donorId, kinship);
      else own[at + 1] = kinship;
    }
  }
  return kinOf;
}

const NO_KIN: readonly string[] = Object.freeze([]);

/** A person's registry record: fields that say nothing (no kin, not retired, none filed) absent. */
function personRecord(person: OpeningPerson, kin: readonly string[]): PersonRecord {
  return {
    name: person.name,
    idNo: person.idNo,
    region: person.region,
    enrolled: person.enrolled,
    kin,
    creditFen: person.monthlyCreditFen,
    ...(person.retired === true ? { retired: true } : {}),
    ...(person.filedTo === undefined || person.filedTo.length === 0
      ? {}
      : { filedTo: person.filedTo }),
    ...(person.chronic === undefined || person.chronic.length === 0
      ? {}
      : { chronic: person.chronic }),
  };
}

/** Every wallet, on its shard, with both copies of each relation bound before the run. */
function walletRecords(input: OpeningInput): Map<string, Map<string, unknown>> {
  const { config, people } = input;
  const regionOf = new Map<string, string>();
  const unopened = new Set<string>();
  for (const p of people) {
    regionOf.set(p.id, p.region);
    if (p.walletStatus !== 'active') unopened.add(p.id);
  }
  // Each relation's two copies as the packed record's tuples (actors/wallet_codec.ts): no
  // object keyed by wallet ids is built, which at millions of wallets is most of the cost.
  const relationsOf = new Map<string, RelationTuple[]>();
  const donorsOf = new Map<string, RelationTuple[]>();
  const add = (of: Map<string, RelationTuple[]>, id: string, tuple: RelationTuple) => {
    const own = of.get(id);
    if (own === undefined) of.set(id, [tuple]);
    else own.push(tuple);
  };
  input.relations.forEach((relation, i) => {
    const { donorId, recipientId, kinship, bindId = `r${i}` } = relation;
    const recipientRegion = regionOf.get(recipientId);
    const donorRegion = regionOf.get(donorId);
    if (recipientRegion === undefined || donorRegion === undefined) {
      throw new RangeError(`openingRecords: relation ${bindId} names an unknown person`);
    }
    const recipientUnopened = unopened.has(recipientId);
    add(
      relationsOf,
      donorId,
      openingRelation(recipientId, kinship, recipientRegion, bindId, recipientUnopened),
    );
    add(donorsOf, recipientId, openingRelation(donorId, kinship, donorRegion, bindId, false));
  });
  const shards = Array.from({ length: config.walletShardCount }, () => new Map<string, unknown>());
  for (const person of people) {
    const packed = packOpening(
      person.walletStatus,
      person.region,
      person.ebmi,
      relationsOf.get(person.id) ?? [],
      donorsOf.get(person.id) ?? [],
    );
    shards[walletShardOf(person.id, config.walletShardCount)]?.set(
      RECORDS.wallet.key(person.id),
      packed,
    );
  }
  return new Map(shards.map((own, shard) => [walletShardAddress(shard), own]));
}
