// Where each party of every business id stands, read from the actors' durable records: the
// transfer saga, the province's hold, the recipient wallet's decision and settlement's liability;
// bindings, bills, contributions and clearing; the liabilities per origin region. Both runtimes'
// final checks read it (world/final_checks.ts).
import type { Prepayment } from '../actors/clearing.ts';
import {
  type AidRecord,
  type BackingMove,
  type BillRecord,
  type ClaimRecord,
  type ClearingLine,
  type ProviderRecord,
  type ProvincialBatch,
  type Stored,
  type TxnRecord,
  visitRecords,
} from '../actors/records.ts';
import type { BatchSnapshot } from '../actors/settlement.actor.ts';
import { readWallet } from '../actors/wallet_codec.ts';
import type { BindSnapshot } from '../actors/wallet_shard.actor.ts';
import type { Fen } from '../protocol/index.ts';
import { formatFen } from '../protocol/index.ts';
import type { DurableView } from './recount.ts';

/** Where each party of every transfer stands, read from durable records. */
export interface Parties {
  readonly saga: Map<string, string>;
  readonly txn: Map<string, TxnRecord>;
  readonly decision: Map<string, 'credited' | 'rejected' | 'returned'>;
  readonly recorded: Set<string>;
  readonly reversed: Set<string>;
  /** Bindings by id: the saga's state at the donor's shard. */
  readonly bind: Map<string, Stored<BindSnapshot>>;
  /** Relations as the recipients' wallets record them: `<donor>→<recipient>` → bind id. */
  readonly donorBindIds: Set<string>;
  /** F3: the insured places' bill records. */
  readonly bills: Map<string, BillRecord>;
  /** Family mutual aid: the relatives' provinces' records of their shares, by bill id. */
  readonly aids: Map<string, AidRecord>;
  /** F4: the resident funds' claims, by payment id. */
  readonly claims: Map<string, ClaimRecord>;
  /** F5 input: the clearing lines of settlement and of every province, by line id. */
  readonly lines: Map<string, ClearingLine>;
  /** K9: wallet money still in wallets, by origin region (tranches, received or not). */
  readonly outstanding: Map<string, Fen>;
  /** K9: wallet money spent, by origin region, as the shards count it. */
  readonly spent: Map<string, Fen>;
  readonly due: Map<string, Fen>;
  /** K9: each origin region's backing of its wallet money, as its province's record holds it. */
  readonly backing: Map<string, Fen>;
  /** K9: the wallet lines whose backing an origin region's province moved, by line id. */
  readonly backings: Map<string, BackingMove>;
  readonly walletLiability: Map<string, Fen>;
  readonly settlementLiability: Map<string, Fen>;
  /** F5: Σ of every fund of `regionFunds` (regions' and pools'). */
  funds: Fen;
  /** F4a: personal-account money the regions passed on to resident funds (contributions). */
  toFunds: Fen;
  /** K6: what the regions' funds advanced to their providers (repaid by clearing). */
  advanced: Fen;
  /**
   * Each pooling region's funds as its record holds them, and what each opened with: the
   * employee fund by region code, the resident fund by `<code>/resident`; each province's pool
   * for national clearing by `<address>/pool`.
   */
  readonly regionFunds: Map<string, { fund: Fen; opened: Fen }>;
  /** F5: what each pool paid for statements (−) and took in from disbursals (+). */
  readonly poolStatements: Map<string, Fen>;
  /** K6: the treatment regions' payments to providers, by bill id. */
  readonly providers: Map<string, ProviderRecord>;
  clearingAccount: Fen;
  readonly batches: Map<number, Stored<BatchSnapshot>>;
  /** F2b: each province's cleared months, by province code and month. */
  readonly provincialBatches: Map<string, Map<number, ProvincialBatch>>;
  readonly prepayments: Map<string, Prepayment>;
  /** Transfer ids credited more than once (in one wallet or several): exactly-once broken. */
  readonly creditedTwice: string[];
}

export function readParties(actors: Iterable<DurableView>): Parties {
  const parties: Parties = {
    saga: new Map(),
    txn: new Map(),
    decision: new Map(),
    recorded: new Set(),
    reversed: new Set(),
    bind: new Map(),
    donorBindIds: new Set(),
    bills: new Map(),
    aids: new Map(),
    claims: new Map(),
    lines: new Map(),
    outstanding: new Map(),
    spent: new Map(),
    due: new Map(),
    backing: new Map(),
    backings: new Map(),
    walletLiability: new Map(),
    settlementLiability: new Map(),
    funds: 0n,
    toFunds: 0n,
    advanced: 0n,
    regionFunds: new Map(),
    poolStatements: new Map(),
    providers: new Map(),
    clearingAccount: 0n,
    batches: new Map(),
    provincialBatches: new Map(),
    prepayments: new Map(),
    creditedTwice: [],
  };
  const credits = new Set<string>();
  const fundAt = (key: string) => {
    const known = parties.regionFunds.get(key);
    if (known !== undefined) return known;
    const fresh = { fund: 0n, opened: 0n };
    parties.regionFunds.set(key, fresh);
    return fresh;
  };
  for (const actor of actors) {
    const pool = `${actor.address}/pool`;
    visitRecords(actor.store.durable, {
      poolingFund: (_, fund) => {
        fundAt(pool).fund = fund;
      },
      poolOpened: (_, opened) => {
        fundAt(pool).opened = opened;
      },
      statementFunded: (_, amount) => add(parties.poolStatements, pool, -amount),
      disbursalReceived: (_, amount) => add(parties.poolStatements, pool, amount),
      clearingAccount: (_, balance) => {
        parties.clearingAccount = balance;
      },
      clearingBatch: (month, batch) => parties.batches.set(month, batch),
      prepayment: (province, prepayment) => parties.prepayments.set(province, prepayment),
      transferSaga: (id, saga) => parties.saga.set(id, String(saga.value)),
      txn: (id, txn) => parties.txn.set(id, txn),
      region: (code, region) => {
        parties.due.set(code, region.due);
        parties.backing.set(code, region.backing ?? 0n);
        parties.toFunds += region.toFunds ?? 0n;
        parties.advanced += region.advanced ?? 0n;
        Object.assign(fundAt(code), { fund: region.fund ?? 0n, opened: region.fundOpened ?? 0n });
        Object.assign(fundAt(`${code}/resident`), {
          fund: region.residentFund ?? 0n,
          opened: region.residentFundOpened ?? 0n,
        });
      },
      provincialLine: (id, line) => parties.lines.set(id, line),
      provincialBatch: (month, batch) => {
        const province = actor.address.slice('province.'.length);
        const months = parties.provincialBatches.get(province) ?? new Map();
        parties.provincialBatches.set(province, months.set(month, batch));
      },
      liabilityRecorded: (id) => parties.recorded.add(id),
      liabilityReversed: (id) => parties.reversed.add(id),
      bindSaga: (id, saga) => parties.bind.set(id, saga),
      insuredBill: (id, bill) => parties.bills.set(id, bill),
      familyAid: (id, aid) => parties.aids.set(id, aid),
      providerPayment: (id, payment) => parties.providers.set(id, payment),
      fundClaim: (id, claim) => parties.claims.set(id, claim),
      backingMove: (id, move) => parties.backings.set(id, move),
      clearingLine: (id, line) => parties.lines.set(id, line),
      spent: (origin, spent) => add(parties.spent, origin, spent),
      originLiability: (origin, amount) => parties.settlementLiability.set(origin, amount),
      originCounter: (origin, counter) => add(parties.walletLiability, origin, -counter),
      wallet: (id, stored) => {
        const { credited, rejected, returned, donors, tranches } = readWallet(id, stored).context;
        for (const transferId of credited) {
          if (credits.has(transferId)) parties.creditedTwice.push(transferId);
          credits.add(transferId);
          parties.decision.set(transferId, 'credited');
        }
        for (const transferId of Object.keys(rejected))
          parties.decision.set(transferId, 'rejected');
        for (const transferId of returned) parties.decision.set(transferId, 'returned');
        for (const relation of Object.values(donors)) parties.donorBindIds.add(relation.bindId);
        for (const t of tranches) add(parties.outstanding, t.originRegion, t.amount);
      },
    });
  }
  for (const { fund } of parties.regionFunds.values()) parties.funds += fund;
  return parties;
}

/** Does every party agree with the outcome? Returns what disagrees, if anything. */
export function disagree(id: string, outcome: string, parties: Parties): string | undefined {
  const txn = parties.txn.get(id)?.state;
  const decision = parties.decision.get(id);
  if (outcome === 'completed') {
    if (txn !== 'committed' && txn !== 'refunded')
      return `the province's hold is ${txn ?? 'missing'}`;
    if (decision !== 'credited' && decision !== 'returned')
      return `the wallet decided ${decision ?? 'nothing'}`;
    if (!parties.recorded.has(id)) return 'settlement has no liability for it';
  } else if (outcome === 'received') {
    if (txn !== 'committed') return `the province's hold is ${txn ?? 'missing'}`;
    if (decision !== 'credited') return `the wallet decided ${decision ?? 'nothing'}`;
  } else if (outcome === 'returned') {
    if (txn !== 'refunded') return `the province's hold is ${txn ?? 'missing'}, not refunded`;
    if (decision !== 'returned') return `the wallet decided ${decision ?? 'nothing'}, not returned`;
    if (!parties.reversed.has(id)) return 'settlement has not reversed its liability';
  } else if (outcome === 'rejected') {
    if (txn === 'reserved' || txn === 'committed') return `the province's hold is ${txn}`;
    if (decision === 'credited') return 'the wallet credited it';
  }
  return undefined;
}

export function describeParties(id: string, parties: Parties): string {
  const settlement = parties.reversed.has(id)
    ? 'reversed'
    : parties.recorded.has(id)
      ? 'recorded'
      : '-';
  return [
    `saga=${parties.saga.get(id) ?? '-'}`,
    `province=${parties.txn.get(id)?.state ?? '-'}`,
    `wallet=${parties.decision.get(id) ?? '-'}`,
    `settlement=${settlement}`,
  ].join(' ');
}

/** Regions whose province due, wallet ledger liability and settlement liability differ. */
export function liabilityDisagreements(parties: Parties): string[] {
  const regions = new Set([
    ...parties.due.keys(),
    ...parties.walletLiability.keys(),
    ...parties.settlementLiability.keys(),
  ]);
  const off: string[] = [];
  for (const region of regions) {
    const due = parties.due.get(region) ?? 0n;
    const wallet = parties.walletLiability.get(region) ?? 0n;
    const settled = parties.settlementLiability.get(region) ?? 0n;
    if (due !== wallet || wallet !== settled) {
      off.push(
        `${region}: province due ${formatFen(due)}, wallet ledger ${formatFen(wallet)}, ` +
          `settlement ${formatFen(settled)}`,
      );
    }
  }
  return off;
}

function add(map: Map<string, Fen>, key: string, value: Fen): void {
  map.set(key, (map.get(key) ?? 0n) + value);
}
