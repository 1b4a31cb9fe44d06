// A province's personal-account ledger: plain data, not XState context (DESIGN §3: a province's
// millions of accounts must not be copied on every assign). Records are immutable and replaced
// on change, so the durable store can share them with the live state, and every change is
// written (write-ahead) and posted (double-entry) through the step's Effects.
import type { DeclaredKinship, Fen, Reason } from '../protocol/index.ts';
import type { Effects, MoneyClass, PostingOp } from './effects.ts';

export interface AccountRecord {
  readonly region: string;
  readonly available: Fen;
  readonly held: Fen;
}

export type TxnState = 'reserved' | 'committed' | 'released' | 'rejected' | 'refunded';

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
  readonly kin: Readonly<Record<string, DeclaredKinship>>;
}

/** What the reserve decision point decided for one transfer id: the dedup record. */
export interface TxnRecord {
  readonly accountId: string;
  readonly amount: Fen;
  readonly state: TxnState;
  readonly reason: Reason | undefined;
}

/** A pooling region's counter accounts: opening balances' source and committed outflows. */
export interface RegionRecord {
  readonly source: Fen;
  readonly due: Fen;
}

export const accountKey = (id: string) => `a:${id}`;
export const txnKey = (id: string) => `t:${id}`;
export const regionKey = (code: string) => `r:${code}`;
export const personKey = (id: string) => `p:${id}`;

export class AccountBook {
  readonly accounts = new Map<string, AccountRecord>();
  readonly txns = new Map<string, TxnRecord>();
  readonly regions = new Map<string, RegionRecord>();
  readonly persons = new Map<string, PersonRecord>();

  constructor(readonly ledger: string) {}

  /** Rebuild from durable records (after a start or a crash). */
  static fromRecords(ledger: string, records: ReadonlyMap<string, unknown>): AccountBook {
    const book = new AccountBook(ledger);
    for (const [key, value] of records) {
      const id = key.slice(2);
      if (key.startsWith('a:')) book.accounts.set(id, value as AccountRecord);
      else if (key.startsWith('t:')) book.txns.set(id, value as TxnRecord);
      else if (key.startsWith('r:')) book.regions.set(id, value as RegionRecord);
      else if (key.startsWith('p:')) book.persons.set(id, value as PersonRecord);
    }
    return book;
  }

  canReserve(accountId: string, amount: Fen): boolean {
    const account = this.accounts.get(accountId);
    return account !== undefined && account.available >= amount;
  }

  reserve(txnId: string, accountId: string, amount: Fen, fx: Effects): void {
    const account = this.mustAccount(accountId);
    if (amount <= 0n || account.available < amount) {
      throw new Error(`AccountBook.reserve: ${txnId} cannot reserve ${amount} from ${accountId}`);
    }
    const next = { ...account, available: account.available - amount, held: account.held + amount };
    this.putAccount(accountId, next, fx);
    this.putTxn(txnId, { accountId, amount, state: 'reserved', reason: undefined }, fx);
    this.post(fx, 'reserve', txnId, `${accountId}/available`, 'available', next.available, `${accountId}/held`, 'held', amount);
  }

  reject(txnId: string, accountId: string, amount: Fen, reason: Reason, fx: Effects): void {
    this.putTxn(txnId, { accountId, amount, state: 'rejected', reason }, fx);
  }

  /** held → the region's debt to the wallet ledger: the money now lives in the wallet. */
  commit(txnId: string, fx: Effects): void {
    const txn = this.mustTxn(txnId, 'reserved');
    const account = this.mustAccount(txn.accountId);
    const nextAccount = { ...account, held: account.held - txn.amount };
    const region = this.regions.get(account.region) ?? { source: 0n, due: 0n };
    const nextRegion = { ...region, due: region.due + txn.amount };
    this.putAccount(txn.accountId, nextAccount, fx);
    this.regions.set(account.region, nextRegion);
    fx.write(regionKey(account.region), nextRegion);
    this.putTxn(txnId, { ...txn, state: 'committed' }, fx);
    const dueAccount = `due:${account.region}`;
    this.post(fx, 'commit', txnId, `${txn.accountId}/held`, 'held', nextAccount.held, dueAccount, 'due', txn.amount);
  }

  /** held → available: the transfer did not happen. */
  release(txnId: string, fx: Effects): void {
    const txn = this.mustTxn(txnId, 'reserved');
    const account = this.mustAccount(txn.accountId);
    const next = { ...account, available: account.available + txn.amount, held: account.held - txn.amount };
    this.putAccount(txn.accountId, next, fx);
    this.putTxn(txnId, { ...txn, state: 'released' }, fx);
    const id = txn.accountId;
    this.post(fx, 'release', txnId, `${id}/held`, 'held', next.held, `${id}/available`, 'available', txn.amount);
  }

  /**
   * W11: a committed transfer came back unreceived. The region's debt to the wallet ledger
   * shrinks, and the donor's account gets the money back.
   */
  refund(txnId: string, fx: Effects): void {
    const txn = this.mustTxn(txnId, 'committed');
    const account = this.mustAccount(txn.accountId);
    const nextAccount = { ...account, available: account.available + txn.amount };
    const region = this.regions.get(account.region) ?? { source: 0n, due: 0n };
    const nextRegion = { ...region, due: region.due - txn.amount };
    this.putAccount(txn.accountId, nextAccount, fx);
    this.regions.set(account.region, nextRegion);
    fx.write(regionKey(account.region), nextRegion);
    this.putTxn(txnId, { ...txn, state: 'refunded' }, fx);
    const due = `due:${account.region}`;
    this.post(fx, 'refund', txnId, due, 'due', nextRegion.due, `${txn.accountId}/available`, 'available', txn.amount);
  }

  private post(
    fx: Effects,
    op: PostingOp,
    corr: string,
    debit: string,
    debitClass: MoneyClass,
    debitAfter: Fen,
    credit: string,
    creditClass: MoneyClass,
    amount: Fen,
  ): void {
    fx.emit({ type: 'posting', ledger: this.ledger, op, corr, debit, debitClass, credit, creditClass, amount, debitAfter });
  }

  private putAccount(id: string, record: AccountRecord, fx: Effects): void {
    this.accounts.set(id, record);
    fx.write(accountKey(id), record);
  }

  private putTxn(id: string, record: TxnRecord, fx: Effects): void {
    this.txns.set(id, record);
    fx.write(txnKey(id), record);
  }

  private mustAccount(id: string): AccountRecord {
    const account = this.accounts.get(id);
    if (account === undefined) throw new Error(`AccountBook: unknown account ${id}`);
    return account;
  }

  private mustTxn(id: string, state: TxnState): TxnRecord {
    const txn = this.txns.get(id);
    if (txn === undefined || txn.state !== state) {
      throw new Error(`AccountBook: transfer ${id} is ${txn?.state ?? 'unknown'}, expected ${state}`);
    }
    return txn;
  }
}

/** The opening records of a province: accounts funded from their region's source account. */
export function openingRecords(
  accounts: ReadonlyArray<{ id: string; region: string; balance: Fen }>,
): Map<string, unknown> {
  const records = new Map<string, unknown>();
  const sources = new Map<string, Fen>();
  for (const { id, region, balance } of accounts) {
    records.set(accountKey(id), { region, available: balance, held: 0n } satisfies AccountRecord);
    sources.set(region, (sources.get(region) ?? 0n) - balance);
  }
  for (const [region, source] of sources) {
    records.set(regionKey(region), { source, due: 0n } satisfies RegionRecord);
  }
  return records;
}
