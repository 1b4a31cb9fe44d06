// A province's personal-account ledger: plain data, not XState context (DESIGN §3: a province's
// millions of accounts must not be copied on every assign). Records are immutable and replaced
// on change, so the durable store can share them with the live state, and every change is
// written (write-ahead) and posted (double-entry) through the step's Effects.
import type { Envelope, Fen, Reason } from '../protocol/index.ts';
import { isCloseKinship } from '../protocol/index.ts';
import type { CivilDate } from './calendar.ts';
import type { Effects, MoneyClass, PostingOp } from './effects.ts';
import {
  contributionYearOn,
  isChronicDisease,
  policyOf,
  residentContributionFen,
  splitBill,
} from './policy.ts';
import { ProvincialClearing } from './provincial_clearing.ts';
import {
  type AccountRecord,
  aidLineId,
  type AidRecord,
  type ApplicationRecord,
  type BackingMove,
  type BillRecord,
  type BillState,
  type ClaimRecord,
  FREE_PERSON_YEAR,
  kinshipIn,
  medicalLineId,
  type PersonRecord,
  type ProviderRecord,
  provinceLineOf,
  type ProvincialBatch,
  type ReconciliationRecord,
  RECORDS,
  type RegionRecord,
  type TxnRecord,
  type TxnState,
  visitRecords,
} from './records.ts';
import { billScopeOf, provinceOfRegion } from './regions.ts';

const REGION_CODE = /^\d{6}$/;

/** What the insured place needs to decide a bill. */
export type BillRequest = Envelope<'bill.reserve'>['body'];

function filed(person: PersonRecord, treatmentRegion: string): boolean {
  return (person.filedTo ?? []).includes(provinceOfRegion(treatmentRegion));
}

/** Why the insured place refuses a bill outright, if it does. */
function billRefusal(person: PersonRecord | undefined, body: BillRequest): Reason | undefined {
  if (person === undefined || !person.enrolled) return 'E3';
  const outOfRegion = body.treatmentRegion !== person.region;
  if (outOfRegion && body.networked !== 'Y') return 'D6';
  const crossProvince = provinceOfRegion(body.treatmentRegion) !== provinceOfRegion(person.region);
  if (body.care === 'chronic') {
    // D9: the ten diseases are those with cross-province direct settlement; local and
    // same-province chronic care is not limited to them.
    if (crossProvince && !isChronicDisease(body.disease)) return 'D9';
    // D10: the insured place's certification for that disease, wherever the care; across
    // provinces a filing too, which an emergency does not replace (D4 is for acute care).
    if (!(person.chronic ?? []).includes(body.disease)) return 'D10';
    if (crossProvince && !filed(person, body.treatmentRegion)) return 'D10';
    return undefined;
  }
  if (crossProvince && body.emergency !== 'Y' && !filed(person, body.treatmentRegion)) return 'D3';
  return undefined;
}

/** An open hold (a transfer's reserve, or a bill's account share): who asked, and when. */
export interface OpenHold {
  readonly kind: 'transfer' | 'bill' | 'aid';
  readonly owner: string;
  readonly at: number;
  readonly amount: Fen;
}

/** One step of a personal-account share of a bill (actors/account_book.ts `moveShare`). */
type ShareStep = 'hold' | 'pay' | 'release' | 'refund';

/** A line of national clearing as the province that pays it sees it (K10, 3202). */
export interface ProvinceLine {
  readonly lineId: string;
  readonly payerRegion: string;
  readonly payeeRegion: string;
  readonly amount: Fen;
}

/** The region fund that pays a bill's fund share: the resident fund for a resident (E1). */
const schemeFundOf = (bill: BillRecord) => (bill.resident === true ? 'residentFund' : 'fund');

/** C4: the in-memory key of a person-year. */
const slotOf = (personId: string, year: number): string => `${personId}.${year}`;

export class AccountBook {
  readonly accounts = new Map<string, AccountRecord>();
  readonly txns = new Map<string, TxnRecord>();
  readonly regions = new Map<string, RegionRecord>();
  readonly persons = new Map<string, PersonRecord>();
  /** P4: months (YYYYMM) already credited. */
  readonly creditedMonths = new Set<number>();
  readonly bills = new Map<string, BillRecord>();
  /** Family mutual aid at the point of care: this province's relatives' shares, by bill id. */
  readonly aids = new Map<string, AidRecord>();
  /** K6: what this province's treatment regions paid their providers, by bill id. */
  readonly providers = new Map<string, ProviderRecord>();
  /**
   * K3: each treatment region's settled bills per day, as its payments say (`<region>.<day>`,
   * day YYYYMMDD): what a POS's daily totals are checked against (in memory, rebuilt).
   */
  readonly providerDays = new Map<string, { count: number; total: Fen }>();
  /**
   * K3, 3203: each treatment region's payments standing per settlement month (`<region>.<month>`):
   * what a POS's monthly application is checked against (in memory, rebuilt).
   */
  readonly providerMonths = new Map<string, { count: number; applied: Fen }>();
  /** K3: daily reconciliations answered (`<region>.<day>`), and bills found unrecorded. */
  readonly reconciliations = new Map<string, ReconciliationRecord>();
  /** K3, 3203: monthly clearing applications answered (`<region>.<month>`). */
  readonly applications = new Map<string, ApplicationRecord>();
  readonly unrecorded = new Set<string>();
  readonly claims = new Map<string, ClaimRecord>();
  /** K9: the wallet lines whose backing this province moved, by line id. */
  readonly backings = new Map<string, BackingMove>();
  readonly slots = new Map<string, string>();
  readonly debits = new Map<string, 'debited' | Reason>();
  /**
   * F5: the pooling fund's balance; the months whose statement it funded or whose receipt it got.
   */
  fund: Fen = 0n;
  readonly fundedMonths = new Set<number>();
  readonly receivedMonths = new Set<number>();
  /**
   * Holds still open that carry their owner, by transfer or bill id, a bill's family aid by its
   * line id (`<bill>.f`) (in memory, rebuilt).
   */
  readonly holds = new Map<string, OpenHold>();

  /** F2b: the lines between this province's regions, and its monthly batches. */
  readonly provincial: ProvincialClearing;
  /**
   * The negative control `skipsFundShare`: a cross-province bill's insured region passes only
   * its account share to national clearing, never its fund share.
   */
  skipsFundShare = false;

  constructor(readonly ledger: string) {
    this.provincial = new ProvincialClearing(ledger.slice(ledger.lastIndexOf('.') + 1));
  }

  /** Rebuild from durable records (after a start or a crash). */
  static fromRecords(ledger: string, records: ReadonlyMap<string, unknown>): AccountBook {
    const book = new AccountBook(ledger);
    visitRecords(
      records,
      {
        account: (id, account) => book.accounts.set(id, account),
        txn: (id, txn) => {
          book.txns.set(id, txn);
          if (txn.state === 'reserved' && txn.owner !== undefined)
            book.holds.set(id, {
              kind: 'transfer',
              owner: txn.owner,
              at: txn.at ?? 0,
              amount: txn.amount,
            });
        },
        region: (code, region) => book.regions.set(code, region),
        person: (id, person) => book.persons.set(id, person),
        creditedMonth: (month) => book.creditedMonths.add(month),
        insuredBill: (id, bill) => {
          book.bills.set(id, bill);
          if (bill.state === 'reserved' && bill.owner !== undefined && bill.acctPay > 0n)
            book.holds.set(id, {
              kind: 'bill',
              owner: bill.owner,
              at: bill.at ?? 0,
              amount: bill.acctPay,
            });
        },
        familyAid: (id, aid) => {
          book.aids.set(id, aid);
          if (aid.state === 'reserved' && aid.owner !== undefined)
            book.holds.set(aidLineId(id), {
              kind: 'aid',
              owner: aid.owner,
              at: aid.at ?? 0,
              amount: aid.amount,
            });
        },
        providerPayment: (id, payment) => {
          book.providers.set(id, payment);
          book.countProviderDay(payment);
          if (payment.state === 'paid') book.countProviderMonth(payment, 1);
        },
        providerReconciliation: (id, record) => book.reconciliations.set(id, record),
        providerApplication: (id, record) => book.applications.set(id, record),
        unrecordedBill: (id) => book.unrecorded.add(id),
        fundClaim: (id, claim) => book.claims.set(id, claim),
        backingMove: (id, move) => book.backings.set(id, move),
        personYear: ({ personId, year }, payId) => {
          if (payId !== FREE_PERSON_YEAR) book.slots.set(slotOf(personId, year), payId);
        },
        accountDebit: (id, outcome) => book.debits.set(id, outcome),
        poolingFund: (_, fund) => {
          book.fund = fund;
        },
        statementFunded: (month) => book.fundedMonths.add(month),
        provincialLine: (id, line) => book.provincial.lineBook.lines.set(id, line),
        provincialBatch: (month, batch) => book.provincial.batches.set(month, batch),
        disbursalReceived: (month) => book.receivedMonths.add(month),
      },
      'province',
    );
    return book;
  }

  canReserve(accountId: string, amount: Fen): boolean {
    const account = this.accounts.get(accountId);
    return account !== undefined && account.available >= amount;
  }

  /** Hold `amount` for transfer `txnId`, asked by `owner` (the saga's shard) at `at`. */
  reserve(
    txnId: string,
    accountId: string,
    amount: Fen,
    fx: Effects,
    owner?: { readonly owner: string; readonly at: number },
  ): void {
    const account = this.mustAccount(accountId);
    if (amount <= 0n || account.available < amount) {
      throw new Error(`AccountBook.reserve: ${txnId} cannot reserve ${amount} from ${accountId}`);
    }
    const next = { ...account, available: account.available - amount, held: account.held + amount };
    this.putAccount(accountId, next, fx);
    this.putTxn(txnId, { accountId, amount, state: 'reserved', reason: undefined, ...owner }, fx);
    if (owner !== undefined) this.holds.set(txnId, { kind: 'transfer', ...owner, amount });
    this.post(
      fx,
      'reserve',
      txnId,
      `${accountId}/available`,
      'available',
      next.available,
      `${accountId}/held`,
      'held',
      amount,
    );
  }

  reject(txnId: string, accountId: string, amount: Fen, reason: Reason, fx: Effects): void {
    this.putTxn(txnId, { accountId, amount, state: 'rejected', reason }, fx);
  }

  /**
   * held → the region's backing of its wallet money (K9): the recipient's wallet holds a claim
   * on it, and the region's `due` counter (what it owes the wallet ledger) keeps its people's
   * ledger double-entry.
   */
  commit(txnId: string, fx: Effects): void {
    const txn = this.mustTxn(txnId, 'reserved');
    const account = this.mustAccount(txn.accountId);
    const nextAccount = { ...account, held: account.held - txn.amount };
    const region = this.region(account.region);
    const backing = (region.backing ?? 0n) + txn.amount;
    const nextRegion = { ...region, due: region.due + txn.amount, backing };
    this.putAccount(txn.accountId, nextAccount, fx);
    this.putRegion(account.region, nextRegion, fx);
    this.putTxn(txnId, { ...txn, state: 'committed' }, fx);
    this.holds.delete(txnId);
    this.post(
      fx,
      'commit',
      txnId,
      `${txn.accountId}/held`,
      'held',
      nextAccount.held,
      `backing:${account.region}`,
      'backing',
      txn.amount,
    );
  }

  /** held → available: the transfer did not happen (or, `orphan`, its owner does not know it). */
  release(txnId: string, fx: Effects, orphan = false): void {
    const txn = this.mustTxn(txnId, 'reserved');
    const account = this.mustAccount(txn.accountId);
    const next = {
      ...account,
      available: account.available + txn.amount,
      held: account.held - txn.amount,
    };
    this.putAccount(txn.accountId, next, fx);
    this.putTxn(txnId, { ...txn, state: 'released', ...(orphan ? { orphan } : {}) }, fx);
    this.holds.delete(txnId);
    const id = txn.accountId;
    this.post(
      fx,
      'release',
      txnId,
      `${id}/held`,
      'held',
      next.held,
      `${id}/available`,
      'available',
      txn.amount,
    );
  }

  /**
   * W11: a committed transfer came back unreceived. The region's backing and its debt to the
   * wallet ledger shrink, and the donor's account gets the money back.
   */
  refund(txnId: string, fx: Effects): void {
    const txn = this.mustTxn(txnId, 'committed');
    const account = this.mustAccount(txn.accountId);
    const nextAccount = { ...account, available: account.available + txn.amount };
    const region = this.region(account.region);
    const backing = (region.backing ?? 0n) - txn.amount;
    const nextRegion = { ...region, due: region.due - txn.amount, backing };
    this.putAccount(txn.accountId, nextAccount, fx);
    this.putRegion(account.region, nextRegion, fx);
    this.putTxn(txnId, { ...txn, state: 'refunded' }, fx);
    this.post(
      fx,
      'refund',
      txnId,
      `backing:${account.region}`,
      'backing',
      backing,
      `${txn.accountId}/available`,
      'available',
      txn.amount,
    );
  }

  /**
   * K9: move a wallet line's backing (`settlement.back`) from the origin region's backing into
   * the fund that pays the line: the region's own (employee) fund when the line stays in the
   * province, the province's pool when it crosses provinces. Once per line id: the same move
   * from its owner again is answered as before; a line of a region this province does not keep,
   * or another move under a line id already taken, changes nothing and is not answered (false).
   */
  backLine(body: Envelope<'settlement.back'>['body'], owner: string, fx: Effects): boolean {
    const { lineId, payerRegion, payeeRegion, amount } = body;
    const known = this.backings.get(lineId);
    if (known !== undefined)
      return (
        known.owner === owner &&
        known.region === payerRegion &&
        known.payeeRegion === payeeRegion &&
        known.amount === amount
      );
    if (!this.regions.has(payerRegion) || !REGION_CODE.test(payeeRegion)) return false;
    const national = provinceOfRegion(payerRegion) !== provinceOfRegion(payeeRegion);
    const move = { region: payerRegion, payeeRegion, amount, national, owner } as const;
    this.putBacking(lineId, { ...move, state: 'backed' }, fx);
    this.moveBacking(lineId, move, 1n, fx);
    return true;
  }

  /** Take a wallet line's backing move back, for its own payment only (false: not answered). */
  unbackLine(lineId: string, owner: string, fx: Effects): boolean {
    const move = this.backings.get(lineId);
    if (move === undefined || move.owner !== owner) return false;
    if (move.state === 'unbacked') return true;
    this.putBacking(lineId, { ...move, state: 'unbacked' }, fx);
    this.moveBacking(lineId, move, -1n, fx);
    return true;
  }

  private moveBacking(
    lineId: string,
    move: Omit<BackingMove, 'state'>,
    sign: 1n | -1n,
    fx: Effects,
  ) {
    const { region: code, amount, national } = move;
    const region = this.region(code);
    const backing = (region.backing ?? 0n) - sign * amount;
    const fund = national ? (region.fund ?? 0n) : (region.fund ?? 0n) + sign * amount;
    this.putRegion(code, { ...region, backing, fund }, fx);
    if (national) {
      this.fund += sign * amount;
      fx.write(RECORDS.poolingFund.key(), this.fund);
    }
    const [from, into] = [`backing:${code}`, national ? 'fund' : `fund:${code}`];
    if (sign > 0n) this.post(fx, 'pay', lineId, from, 'backing', backing, into, 'fund', amount);
    else {
      const after = national ? this.fund : fund;
      this.post(fx, 'unpay', lineId, into, 'fund', after, from, 'backing', amount);
    }
  }

  /**
   * P4: credit every account its monthly amount, once per month: the marker is written in the
   * same batch as the credits, so a crash loses both or neither.
   */
  creditMonth(month: number, fx: Effects): number {
    if (this.creditedMonths.has(month)) return 0;
    let credited = 0;
    const regions = new Map<string, Fen>();
    for (const [id, person] of this.persons) {
      const account = this.accounts.get(id);
      if (account === undefined || person.creditFen <= 0n) continue;
      const next = { ...account, available: account.available + person.creditFen };
      this.putAccount(id, next, fx);
      const running = (regions.get(account.region) ?? 0n) + person.creditFen;
      regions.set(account.region, running);
      const counterAfter = (this.region(account.region).income ?? 0n) - running;
      this.post(
        fx,
        'income',
        `credit.${month}.${id}`,
        `income:${account.region}`,
        'income',
        counterAfter,
        `${id}/available`,
        'available',
        person.creditFen,
      );
      credited++;
    }
    for (const [code, total] of regions) {
      const region = this.region(code);
      const next = { ...region, income: (region.income ?? 0n) - total };
      this.putRegion(code, next, fx);
    }
    this.creditedMonths.add(month);
    fx.write(RECORDS.creditedMonth.key(month), true);
    return credited;
  }

  /**
   * F3: decide a bill's split by the insured place's policy (D1, D2) and hold its personal-account
   * share. Checks: insured here and enrolled (E3), a networked provider (D6); for chronic care
   * across provinces one of the 10 diseases (D9), and for chronic care benefit certification,
   * with a filing across provinces (D10); for other cross-province care a filing unless an
   * emergency (D3, D4).
   */
  reserveBill(
    billId: string,
    body: BillRequest,
    fx: Effects,
    owner?: { readonly owner: string; readonly at: number },
  ): BillRecord {
    const known = this.bills.get(billId);
    if (known !== undefined) return known;
    const person = this.persons.get(body.personId);
    const reason = billRefusal(person, body);
    if (person === undefined || reason !== undefined) {
      const record: BillRecord = {
        personId: body.personId,
        insuredRegion: person?.region ?? '-',
        treatmentRegion: body.treatmentRegion,
        fundPay: 0n,
        acctPay: 0n,
        remainder: 0n,
        state: 'rejected',
        reason: reason ?? 'E3',
      };
      this.putBill(billId, record, fx);
      return record;
    }
    const bill = this.splitBill(billId, person, body, fx, owner);
    if (owner !== undefined && bill.acctPay > 0n)
      this.holds.set(billId, { kind: 'bill', ...owner, amount: bill.acctPay });
    return bill;
  }

  /** D1, D2, P3: the insured place's split of an accepted bill, its account share held. */
  private splitBill(
    billId: string,
    person: PersonRecord,
    body: BillRequest,
    fx: Effects,
    owner: { readonly owner: string; readonly at: number } | undefined,
  ): BillRecord {
    const account = this.accounts.get(body.personId);
    const outOfRegion =
      body.treatmentRegion === person.region
        ? 'local'
        : body.emergency === 'Y'
          ? 'unfiledEmergency'
          : filed(person, body.treatmentRegion)
            ? 'filed'
            : 'unfiled';
    const split = splitBill({
      policy: policyOf(person.region),
      kind: body.care,
      total: body.total,
      eligible: body.eligible,
      retired: person.retired ?? false,
      outOfRegion,
      acctAvailable: account?.available ?? 0n,
      walletSpendable: 0n,
      useWallet: false,
    });
    const record: BillRecord = {
      personId: body.personId,
      insuredRegion: person.region,
      treatmentRegion: body.treatmentRegion,
      fundPay: split.fundPay,
      acctPay: split.acctPay,
      remainder: body.total - split.fundPay - split.acctPay,
      state: 'reserved',
      reason: undefined,
      // E1: only an employee (EBMI) has a personal account; a resident's fund is URRBMI's.
      ...(account === undefined ? { resident: true as const } : {}),
      ...owner,
    };
    if (account !== undefined)
      this.moveShare('hold', body.personId, split.acctPay, `${billId}.a`, fx);
    this.putBill(billId, record, fx);
    return record;
  }

  /**
   * F3 settle: the held account share is paid into the insured region's pooling fund, which owes
   * the treatment place the fund and account shares: a cross-province bill's go on to the
   * province's pool for national clearing now (`<bill>.n`), the rest is cleared between the
   * province's regions (F2b) or, for a local bill, paid with the provider (K6).
   */
  commitBill(billId: string, month: number, fx: Effects): void {
    const bill = this.mustBill(billId, 'reserved');
    this.moveShare('pay', bill.personId, bill.acctPay, `${billId}.a`, fx);
    // Stryker disable next-line ConditionalExpression: the skipsFundShare variant's switch
    const share = this.skipsFundShare ? bill.acctPay : bill.fundPay + bill.acctPay;
    const toPool = this.toNationalPool(bill.insuredRegion, bill.treatmentRegion, share);
    this.movePool(bill.insuredRegion, toPool, `${billId}.n`, 1n, 'pay', fx, schemeFundOf(bill));
    // A resident's fund share inside the province: the resident fund pays it over to the
    // region's fund, which pays the provider (K6) or the provincial batch (F2b).
    if (bill.resident === true && toPool === 0n)
      this.moveResidentShare(bill.insuredRegion, bill.fundPay, `${billId}.e`, 1n, fx);
    this.putBill(billId, { ...bill, state: 'committed', month, ...(toPool ? { toPool } : {}) }, fx);
    this.holds.delete(billId);
  }

  /**
   * F3 cancel or reversal before settle, or a pre-settlement that expired: the hold goes back
   * (`orphan`: its owner does not know the bill).
   */
  releaseBill(billId: string, fx: Effects, orphan = false): void {
    const bill = this.mustBill(billId, 'reserved');
    this.moveShare('release', bill.personId, bill.acctPay, `${billId}.a`, fx);
    this.putBill(billId, { ...bill, state: 'released', ...(orphan ? { orphan } : {}) }, fx);
    this.holds.delete(billId);
  }

  /** F3 cancel or reversal after settle (2208/2103/2601): the paid shares come back. */
  refundBill(billId: string, fx: Effects): void {
    const bill = this.mustBill(billId, 'committed');
    const toPool = bill.toPool ?? 0n;
    this.movePool(bill.insuredRegion, toPool, `${billId}.n`, -1n, 'unpay', fx, schemeFundOf(bill));
    if (bill.resident === true && bill.toPool === undefined)
      this.moveResidentShare(bill.insuredRegion, bill.fundPay, `${billId}.e`, -1n, fx);
    this.moveShare('refund', bill.personId, bill.acctPay, `${billId}.a`, fx);
    this.putBill(billId, { ...bill, state: 'refunded' }, fx);
  }

  /**
   * F4 at the resident fund of the person's place: claim the person-year (C4) at that year's
   * amount (C1), for the year collected on `date` only (C1's season: from September, the next
   * year). A payer other than the person must be a close relative on the registry (E2).
   */
  claimContribution(
    payId: string,
    claim: {
      readonly payerId: string;
      readonly personId: string;
      readonly year: number;
      readonly idNo: string;
    },
    date: CivilDate,
    fx: Effects,
  ): ClaimRecord {
    const known = this.claims.get(payId);
    if (known !== undefined) return known;
    const { payerId, personId, year, idNo } = claim;
    const found = this.persons.get(personId);
    // The ID number the payer entered must be the person's (as a binding's must, F1).
    const person = found !== undefined && found.idNo === idNo ? found : undefined;
    const amount = year === contributionYearOn(date) ? residentContributionFen(year) : undefined;
    const kin = person === undefined ? undefined : kinshipIn(person.kin, payerId);
    const holder = this.slots.get(slotOf(personId, year));
    let reason: Reason | undefined;
    if (person === undefined) reason = 'ID_MISMATCH';
    else if (amount === undefined) reason = 'C1';
    else if (payerId !== personId && (kin === undefined || !isCloseKinship(kin))) reason = 'E2';
    else if (holder !== undefined && holder !== payId) reason = 'C4';
    const record: ClaimRecord =
      reason === undefined
        ? { payerId, personId, year, amount: amount as Fen, state: 'claimed', reason }
        : { personId, year, amount: 0n, state: 'refused', reason };
    this.claims.set(payId, record);
    fx.write(RECORDS.fundClaim.key(payId), record);
    if (reason === undefined) {
      this.slots.set(slotOf(personId, year), payId);
      fx.write(RECORDS.personYear.key({ personId: personId, year: year }), payId);
    }
    return record;
  }

  /** F4: the payment arrived; the person is enrolled for the year (E3's exception). */
  confirmContribution(payId: string, fx: Effects): void {
    const claim = this.claims.get(payId);
    if (claim === undefined || claim.state !== 'claimed') return;
    const person = this.persons.get(claim.personId);
    const credited =
      person !== undefined && this.creditResidentFund(payId, claim, person.region, fx);
    // C3, F4b: paid from the person's own wallet, the money reaches the region through the
    // wallet's clearing line, into its employee fund: that fund advances it to the resident fund
    // now, as a treatment region advances a bill to its provider (K6).
    const advanced = person !== undefined && !credited && claim.amount > 0n;
    if (advanced) this.moveResidentShare(person.region, claim.amount, `${payId}.e`, -1n, fx, 'pay');
    const paid: ClaimRecord = {
      ...claim,
      state: 'paid',
      ...(credited || advanced ? { fundRegion: person.region } : {}),
      ...(advanced ? { fromWallet: true as const } : {}),
    };
    this.claims.set(payId, paid);
    fx.write(RECORDS.fundClaim.key(payId), paid);
    if (person !== undefined && !person.enrolled) {
      const enrolled = { ...person, enrolled: true };
      this.persons.set(claim.personId, enrolled);
      fx.write(RECORDS.person.key(claim.personId), enrolled);
    }
  }

  /**
   * C2, F4a: a contribution paid from a relative's personal account is credited to the resident
   * fund (URRBMI) of the person's region, out of what the payer's region holds as
   * `contributed`; the region's `toFunds` counter keeps the people's ledger double-entry. Says
   * whether it credited the fund (not for one paid from the person's wallet, C3, which
   * `confirmContribution` has the employee fund advance).
   */
  private creditResidentFund(
    payId: string,
    claim: ClaimRecord,
    personRegion: string,
    fx: Effects,
  ): boolean {
    const payer = this.accounts.get(claim.payerId ?? '');
    if (this.debits.get(payId) !== 'debited' || payer === undefined) return false;
    const from = this.region(payer.region);
    const contributed = (from.contributed ?? 0n) - claim.amount;
    const toFunds = (from.toFunds ?? 0n) + claim.amount;
    this.putRegion(payer.region, { ...from, contributed, toFunds }, fx);
    // Read after the payer's region is written: it may be the same region.
    const to = this.region(personRegion);
    const residentFund = (to.residentFund ?? 0n) + claim.amount;
    this.putRegion(personRegion, { ...to, residentFund }, fx);
    this.post(
      fx,
      'receive',
      `${payId}.r`,
      `contributed:${payer.region}`,
      'contributed',
      contributed,
      `resfund:${personRegion}`,
      'fund',
      claim.amount,
    );
    return true;
  }

  /** F4: the payment failed; the person-year is free again. */
  releaseContribution(payId: string, fx: Effects): void {
    const claim = this.claims.get(payId);
    if (claim === undefined || claim.state !== 'claimed') return;
    this.claims.set(payId, { ...claim, state: 'released' });
    fx.write(RECORDS.fundClaim.key(payId), { ...claim, state: 'released' });
    const slot = slotOf(claim.personId, claim.year);
    if (this.slots.get(slot) === payId) {
      this.slots.delete(slot);
      const key = RECORDS.personYear.key({ personId: claim.personId, year: claim.year });
      fx.write(key, FREE_PERSON_YEAR);
    }
  }

  /** F4a: debit a personal account for a relative's contribution, once per payment id. */
  debitContribution(
    payId: string,
    accountId: string,
    amount: Fen,
    fx: Effects,
  ): 'debited' | Reason {
    const known = this.debits.get(payId);
    if (known !== undefined) return known;
    const account = this.accounts.get(accountId);
    let outcome: 'debited' | Reason;
    if (account === undefined) outcome = 'NO_ACCOUNT';
    else if (account.available < amount) outcome = 'FUNDS';
    else {
      const next = { ...account, available: account.available - amount };
      const region = this.region(account.region);
      const nextRegion = { ...region, contributed: (region.contributed ?? 0n) + amount };
      this.putAccount(accountId, next, fx);
      this.putRegion(account.region, nextRegion, fx);
      this.post(
        fx,
        'pay',
        `${payId}.a`,
        `${accountId}/available`,
        'available',
        next.available,
        `contributed:${account.region}`,
        'contributed',
        amount,
      );
      outcome = 'debited';
    }
    this.debits.set(payId, outcome);
    fx.write(RECORDS.accountDebit.key(payId), outcome);
    return outcome;
  }

  /**
   * K2, K10: what insured places in other provinces owe this province's treatment regions for
   * one settlement month, from its own provider payments (K6) filed under that month: each
   * bill's medical line and family-aid line whose payer region is in another province.
   */
  medicalReceivable(month: number): Fen {
    let total = 0n;
    for (const line of this.crossProvinceLines(month)) total += line.amount;
    return total;
  }

  /** K2: this province's lines of one month for national clearing, as it sees them (3202). */
  *crossProvinceLines(month: number): Generator<ProvinceLine> {
    for (const billId of this.providers.keys()) {
      for (const lineId of [medicalLineId(billId), aidLineId(billId)]) {
        const line = this.lineOf(month, lineId);
        if (line !== undefined) yield line;
      }
    }
  }

  /**
   * 3202: one of this province's lines of a month's national clearing as the treatment place
   * sees it: a bill it paid its provider for, whose medical share (or a relative's family aid)
   * another province owes; undefined if it has none.
   */
  lineOf(month: number, lineId: string): ProvinceLine | undefined {
    const named = provinceLineOf(lineId);
    if (named === undefined) return undefined;
    const payment = this.providers.get(named.bill);
    if (payment?.state !== 'paid' || payment.month !== month) return undefined;
    const { insuredRegion, treatmentRegion: payeeRegion } = payment;
    const payerRegion = named.aid ? (payment.aidRegion ?? insuredRegion) : insuredRegion;
    const amount = (named.aid ? payment.aidLine : payment.medicalLine) ?? 0n;
    if (amount === 0n) return undefined;
    const national = provinceOfRegion(payerRegion) !== provinceOfRegion(payeeRegion);
    return national ? { lineId, payerRegion, payeeRegion, amount } : undefined;
  }

  /**
   * Family mutual aid at the point of care: hold up to `max` of the relative's personal account
   * for the patient's bill (what it has, if less; E1: only an employee has an account). The
   * relation and its scope were checked by the patient's wallet (the recipient's copy decides).
   */
  reserveAid(
    billId: string,
    body: Envelope<'aid.reserve'>['body'],
    fx: Effects,
    owner?: { readonly owner: string; readonly at: number },
  ): AidRecord {
    const known = this.aids.get(billId);
    if (known !== undefined) return known;
    const { accountId, patientId, treatmentRegion, max } = body;
    const account = this.accounts.get(accountId);
    const available = account?.available ?? 0n;
    const amount = available < max ? available : max;
    const region = account?.region ?? '-';
    const base = { accountId, region, patientId, treatmentRegion, ...owner };
    if (account === undefined || amount === 0n) {
      const reason = account === undefined ? 'NO_ACCOUNT' : 'FUNDS';
      const record: AidRecord = { ...base, amount: 0n, state: 'rejected', reason };
      this.putAid(billId, record, fx);
      return record;
    }
    this.moveShare('hold', accountId, amount, `${billId}.f`, fx);
    const record: AidRecord = { ...base, amount, state: 'reserved', reason: undefined };
    this.putAid(billId, record, fx);
    if (owner !== undefined) this.holds.set(aidLineId(billId), { kind: 'aid', ...owner, amount });
    return record;
  }

  /**
   * The bill settled: the relative's held share is paid into the relative's region's fund, which
   * owes it to the treatment place (across provinces: on to the national pool, `<bill>.g`).
   */
  commitAid(billId: string, month: number, fx: Effects): void {
    const aid = this.mustAid(billId, 'reserved');
    this.moveShare('pay', aid.accountId, aid.amount, `${billId}.f`, fx);
    const toPool = this.toNationalPool(aid.region, aid.treatmentRegion, aid.amount);
    this.movePool(aid.region, toPool, `${billId}.g`, 1n, 'pay', fx);
    this.putAid(billId, { ...aid, state: 'committed', month }, fx);
    this.holds.delete(aidLineId(billId));
  }

  /** The bill was undone before settle (or the hold was an orphan): the share goes back. */
  releaseAid(billId: string, fx: Effects, orphan = false): void {
    const aid = this.mustAid(billId, 'reserved');
    this.moveShare('release', aid.accountId, aid.amount, `${billId}.f`, fx);
    this.putAid(billId, { ...aid, state: 'released', ...(orphan ? { orphan } : {}) }, fx);
    this.holds.delete(aidLineId(billId));
  }

  /** The bill was cancelled or reversed after settle: the paid share comes back. */
  refundAid(billId: string, fx: Effects): void {
    const aid = this.mustAid(billId, 'committed');
    const toPool = this.toNationalPool(aid.region, aid.treatmentRegion, aid.amount);
    this.movePool(aid.region, toPool, `${billId}.g`, -1n, 'unpay', fx);
    this.moveShare('refund', aid.accountId, aid.amount, `${billId}.f`, fx);
    this.putAid(billId, { ...aid, state: 'refunded' }, fx);
  }

  /**
   * K6: the treatment region pays its provider for a settled bill, once: what funds, accounts
   * and the wallet cover out of its pooling fund (an advance the monthly clearing repays), and
   * the patient's cash, which comes from outside. `refund` takes it back when the bill is undone.
   */
  payProvider(
    billId: string,
    body: Envelope<'provider.pay'>['body'],
    owner: string,
    day: number,
    fx: Effects,
  ): void {
    if (this.providers.has(billId)) return;
    const { insuredRegion, treatmentRegion, paid, cash, month, national } = body;
    const { medicalLine, aidLine, aidRegion } = body;
    // A faulty peer's pay whose national part, or whose lines, exceed what it pays, or that
    // names no region for its family aid, changes nothing.
    if (national > paid || medicalLine + aidLine > paid || !REGION_CODE.test(aidRegion)) return;
    const parts = { insuredRegion, treatmentRegion, paid, cash, month, owner, national, day };
    const lines = { medicalLine, aidLine, aidRegion };
    const payment = { ...parts, ...lines, state: 'paid' } as const;
    this.providers.set(billId, payment);
    this.countProviderDay(payment);
    this.countProviderMonth(payment, 1);
    fx.write(RECORDS.providerPayment.key(billId), payment);
    this.moveProvider(billId, treatmentRegion, paid, cash, 1n, fx);
    this.movePool(treatmentRegion, national, `${billId}.r`, -1n, 'pay', fx);
    const scope = billScopeOf(insuredRegion, treatmentRegion);
    fx.emit({ type: 'provider.payment', corr: billId, scope, state: 'paid' });
  }

  refundProvider(billId: string, owner: string, fx: Effects): void {
    const payment = this.providers.get(billId);
    if (payment !== undefined && payment.owner !== owner) return;
    if (payment === undefined) {
      // Taken back before any pay arrived: a record that stops a late pay from paying.
      const none = { insuredRegion: '-', treatmentRegion: '-', paid: 0n, cash: 0n, month: 0 };
      const tombstone = { ...none, owner, state: 'refunded' } as const;
      this.providers.set(billId, tombstone);
      fx.write(RECORDS.providerPayment.key(billId), tombstone);
      return;
    }
    if (payment.state !== 'paid') return;
    const refunded = { ...payment, state: 'refunded' } as const;
    this.providers.set(billId, refunded);
    this.countProviderMonth(payment, -1);
    fx.write(RECORDS.providerPayment.key(billId), refunded);
    this.movePool(payment.treatmentRegion, payment.national ?? 0n, `${billId}.r`, 1n, 'unpay', fx);
    this.moveProvider(billId, payment.treatmentRegion, payment.paid, payment.cash, -1n, fx);
    const scope = billScopeOf(payment.insuredRegion, payment.treatmentRegion);
    fx.emit({ type: 'provider.payment', corr: billId, scope, state: 'refunded' });
  }

  /** K3: a payment counts on its day, whatever became of it later (a reversal is a new event). */
  /** A payment joins (1) or, taken back, leaves (−1) its region's month. */
  private countProviderMonth(payment: ProviderRecord, sign: 1 | -1): void {
    const key = `${payment.treatmentRegion}.${payment.month}`;
    const known = this.providerMonths.get(key) ?? { count: 0, applied: 0n };
    const count = known.count + sign;
    const applied = known.applied + BigInt(sign) * payment.paid;
    this.providerMonths.set(key, { count, applied });
  }

  private countProviderDay(payment: ProviderRecord): void {
    if (payment.day === undefined || payment.treatmentRegion === '-') return;
    const key = `${payment.treatmentRegion}.${payment.day}`;
    const known = this.providerDays.get(key) ?? { count: 0, total: 0n };
    const total = known.total + payment.paid + payment.cash;
    this.providerDays.set(key, { count: known.count + 1, total });
  }

  /**
   * K3, 3201: a POS's totals of one day's settled bills in a region of this province against the
   * region's payments of that day; answered once, the same way again. A bill paid just before
   * midnight and heard settled just after counts on different days: details (3202) explain it.
   * Undefined, and nothing written, for a day that is not over (`today`, YYYYMMDD).
   */
  reconcileTotals(
    body: Envelope<'provider.totals'>['body'],
    today: number,
    fx: Effects,
  ): ReconciliationRecord | undefined {
    // A day not yet over has no totals to reconcile: a POS's early (or forged) figures change
    // nothing and get no answer.
    if (body.day >= today) return undefined;
    const key = `${body.region}.${body.day}`;
    const known = this.reconciliations.get(key);
    // The same figures again get the same answer; other figures are reconciled afresh.
    if (known !== undefined && known.posCount === body.count && known.posTotal === body.total)
      return known;
    const ours = this.providerDays.get(key) ?? { count: 0, total: 0n };
    const agreed = ours.count === body.count && ours.total === body.total;
    const record: ReconciliationRecord = {
      region: body.region,
      day: body.day,
      posCount: body.count,
      posTotal: body.total,
      count: ours.count,
      total: ours.total,
      state: agreed ? 'agreed' : 'differed',
    };
    this.reconciliations.set(key, record);
    fx.write(RECORDS.providerReconciliation.key(key), record);
    fx.emit({ type: 'provider.reconciliation', corr: key, state: record.state });
    return record;
  }

  /**
   * K3, 3203: a POS's application for one month's clearing in one region, against what the
   * region paid its providers for bills of that settlement month and did not take back (K6):
   * person-times and the non-cash part. A month not yet over gets no answer; every application
   * is answered from the payments as they stand, and the record changes only when the answer
   * does.
   */
  applyForClearing(
    body: Envelope<'provider.apply'>['body'],
    thisMonth: number,
    fx: Effects,
  ): ApplicationRecord | undefined {
    if (body.month >= thisMonth) return undefined;
    const key = `${body.region}.${body.month}`;
    const known = this.applications.get(key);
    const { count, applied } = this.providerMonths.get(key) ?? { count: 0, applied: 0n };
    const agreed = count === body.count && applied === body.applied;
    const record: ApplicationRecord = {
      region: body.region,
      month: body.month,
      posCount: body.count,
      posApplied: body.applied,
      count,
      applied,
      state: agreed ? 'agreed' : 'differed',
    };
    const same =
      known !== undefined &&
      (Object.keys(record) as Array<keyof ApplicationRecord>).every((k) => known[k] === record[k]);
    if (same) return known;
    this.applications.set(key, record);
    fx.write(RECORDS.providerApplication.key(key), record);
    fx.emit({ type: 'provider.application', corr: key, state: record.state });
    return record;
  }

  /**
   * K3, 3202: one bill of a day whose totals differed: recorded if the region paid its provider
   * for it, the same total; otherwise it was settled at the POS and never recorded, and is named.
   */
  reconcileDetail(body: Envelope<'provider.detail'>['body'], fx: Effects): boolean {
    const payment = this.providers.get(body.billId);
    const recorded =
      payment !== undefined &&
      payment.treatmentRegion === body.region &&
      payment.paid + payment.cash === body.total;
    if (recorded || this.unrecorded.has(body.billId)) return recorded;
    this.unrecorded.add(body.billId);
    const { region, day, total } = body;
    fx.write(RECORDS.unrecordedBill.key(body.billId), { region, day, total });
    fx.emit({ type: 'provider.unrecorded', corr: body.billId, region, day, total });
    return false;
  }

  /** K6's postings: fund → provider (`<bill>.v`), outside cash → provider (`<bill>.h`). */
  private moveProvider(
    billId: string,
    code: string,
    paid: Fen,
    cash: Fen,
    sign: 1n | -1n,
    fx: Effects,
  ): void {
    const region = this.region(code);
    const next = {
      ...region,
      fund: (region.fund ?? 0n) - sign * paid,
      advanced: (region.advanced ?? 0n) + sign * paid,
      provider: (region.provider ?? 0n) + sign * (paid + cash),
      cash: (region.cash ?? 0n) - sign * cash,
    };
    this.putRegion(code, next, fx);
    const fund = `fund:${code}`;
    const provider = `provider:${code}`;
    const outside = `cash:${code}`;
    const held = next.provider;
    const before = held + cash;
    if (sign > 0n) {
      if (paid > 0n)
        this.post(fx, 'pay', `${billId}.v`, fund, 'fund', next.fund, provider, 'provider', paid);
      if (cash > 0n)
        this.post(fx, 'pay', `${billId}.h`, outside, 'cash', next.cash, provider, 'provider', cash);
    } else {
      if (paid > 0n)
        this.post(fx, 'unpay', `${billId}.v`, provider, 'provider', before, fund, 'fund', paid);
      if (cash > 0n)
        this.post(fx, 'unpay', `${billId}.h`, provider, 'provider', held, outside, 'cash', cash);
    }
  }

  /**
   * A personal-account share of a bill (the patient's own, or a relative's family aid) moved
   * one step: held at pre-settlement, paid at settle (into the account's region's fund, which
   * owes the treatment place), released when undone before settle, refunded after. One
   * posting under `corr`.
   */
  private moveShare(step: ShareStep, accountId: string, amount: Fen, corr: string, fx: Effects) {
    if (amount <= 0n) return;
    const account = this.mustAccount(accountId);
    const own = (side: 'available' | 'held') => `${accountId}/${side}`;
    const { available, held } = account;
    if (step === 'hold' || step === 'release') {
      const hold = step === 'hold';
      const next = {
        ...account,
        available: hold ? available - amount : available + amount,
        held: hold ? held + amount : held - amount,
      };
      this.putAccount(accountId, next, fx);
      const [from, to] = hold ? (['available', 'held'] as const) : (['held', 'available'] as const);
      this.post(
        fx,
        hold ? 'reserve' : 'release',
        corr,
        own(from),
        from,
        next[from],
        own(to),
        to,
        amount,
      );
      return;
    }
    const pay = step === 'pay';
    const next = pay
      ? { ...account, held: held - amount }
      : { ...account, available: available + amount };
    const region = this.region(account.region);
    const sign = pay ? 1n : -1n;
    const fund = (region.fund ?? 0n) + sign * amount;
    const toFunds = (region.toFunds ?? 0n) + sign * amount;
    this.putAccount(accountId, next, fx);
    this.putRegion(account.region, { ...region, fund, toFunds }, fx);
    const into = `fund:${account.region}`;
    if (pay) this.post(fx, 'pay', corr, own('held'), 'held', next.held, into, 'fund', amount);
    else this.post(fx, 'unpay', corr, into, 'fund', fund, own('available'), 'available', amount);
  }

  /** What a payer region passes to the national pool for a line to a treatment region. */
  private toNationalPool(payerRegion: string, treatmentRegion: string, amount: Fen): Fen {
    const national = provinceOfRegion(payerRegion) !== provinceOfRegion(treatmentRegion);
    return national ? amount : 0n;
  }

  /**
   * F5 between a region's fund and the province's pool for national clearing (`fund` here):
   * `sign` 1 pays the region's cross-province obligations into the pool at settle; −1 pays a
   * treatment region back out of it what it advanced its provider for other provinces' lines;
   * `op` says whether the move is done (`pay`) or undone with its bill (`unpay`).
   */
  private movePool(
    code: string,
    amount: Fen,
    corr: string,
    sign: 1n | -1n,
    op: 'pay' | 'unpay',
    fx: Effects,
    from: 'fund' | 'residentFund' = 'fund',
  ): void {
    if (amount === 0n) return;
    const region = this.region(code);
    const fund = (region[from] ?? 0n) - sign * amount;
    this.putRegion(code, { ...region, [from]: fund }, fx);
    this.fund += sign * amount;
    fx.write(RECORDS.poolingFund.key(), this.fund);
    const own = `${from === 'fund' ? 'fund' : 'resfund'}:${code}`;
    if (sign > 0n) this.post(fx, op, corr, own, 'fund', fund, 'fund', 'fund', amount);
    else this.post(fx, op, corr, 'fund', 'fund', this.fund, own, 'fund', amount);
  }

  /**
   * Between a region's resident fund (URRBMI) and its employee fund: `sign` 1 moves a resident's
   * fund share to the employee fund at the settle (`<bill>.e`), −1 moves it back when the bill
   * is undone (`op` unpay) or advances a wallet-paid contribution to the resident fund (`pay`).
   */
  private moveResidentShare(
    code: string,
    amount: Fen,
    corr: string,
    sign: 1n | -1n,
    fx: Effects,
    op: 'pay' | 'unpay' = sign > 0n ? 'pay' : 'unpay',
  ) {
    if (amount === 0n) return;
    const region = this.region(code);
    const residentFund = (region.residentFund ?? 0n) - sign * amount;
    const fund = (region.fund ?? 0n) + sign * amount;
    this.putRegion(code, { ...region, residentFund, fund }, fx);
    const [resident, own] = [`resfund:${code}`, `fund:${code}`];
    if (sign > 0n) this.post(fx, op, corr, resident, 'fund', residentFund, own, 'fund', amount);
    else this.post(fx, op, corr, own, 'fund', fund, resident, 'fund', amount);
  }

  /**
   * F2b, K4: clear one month between the province's regions, once: each net payer's pooling fund
   * pays into the provincial clearing account, then each net receiver's fund is paid out of it
   * (one posting per region, `pbatch.<month>.<region>`). `dropFirstPair` is the negative
   * control that forgets a region pair.
   */
  clearProvincial(month: number, now: number, fx: Effects, dropFirstPair = false): void {
    const clearing = this.provincial;
    if (clearing.batches.has(month)) return;
    const { positions, cleared } = clearing.netting(month, dropFirstPair);
    const account = `provincial:${clearing.province}`;
    let balance = 0n;
    const ordered = [...positions].sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    for (const [code, position] of ordered) {
      const region = this.region(code);
      const fund = (region.fund ?? 0n) + position;
      this.putRegion(code, { ...region, fund }, fx);
      const corr = `pbatch.${month}.${code}`;
      const own = `fund:${code}`;
      balance -= position;
      if (position < 0n)
        this.post(fx, 'take', corr, own, 'fund', fund, account, 'provincial', -position);
      else this.post(fx, 'payOut', corr, account, 'provincial', balance, own, 'fund', position);
    }
    const batch: ProvincialBatch = { month, positions, cleared, at: now };
    clearing.batches.set(month, batch);
    fx.write(RECORDS.provincialBatch.key(month), batch);
    fx.emit({
      type: 'clearing.provincial',
      corr: `pbatch.${month}`,
      month,
      province: clearing.province,
      cleared,
    });
  }

  /**
   * F5: pay a statement into the national clearing account, once per month. The money leaves
   * the fund into transit; settlement takes it from there when it hears of the funding.
   */
  fundStatement(month: number, amount: Fen, fx: Effects): void {
    if (this.fundedMonths.has(month)) return;
    this.fund -= amount;
    this.fundedMonths.add(month);
    fx.write(RECORDS.poolingFund.key(), this.fund);
    fx.write(RECORDS.statementFunded.key(month), amount);
    const corr = `batch.${month}.${this.ledger}`;
    if (amount > 0n)
      this.post(fx, 'fund', corr, 'fund', 'fund', this.fund, 'transit', 'transit', amount);
  }

  /** F5: a disbursal from the national clearing account (out of transit), once per month. */
  receiveDisbursal(month: number, amount: Fen, fx: Effects): void {
    if (this.receivedMonths.has(month)) return;
    this.fund += amount;
    this.receivedMonths.add(month);
    fx.write(RECORDS.poolingFund.key(), this.fund);
    fx.write(RECORDS.disbursalReceived.key(month), amount);
    const corr = `batch.${month}.${this.ledger}`;
    // The transit counter's own balance is not tracked here: it spans ledgers.
    if (amount > 0n)
      this.post(fx, 'receive', corr, 'transit', 'transit', 0n, 'fund', 'fund', amount);
  }

  region(code: string): RegionRecord {
    return this.regions.get(code) ?? { source: 0n, due: 0n };
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
    fx.emit({
      type: 'posting',
      ledger: this.ledger,
      op,
      corr,
      debit,
      debitClass,
      credit,
      creditClass,
      amount,
      debitAfter,
    });
  }

  private putAccount(id: string, record: AccountRecord, fx: Effects): void {
    this.accounts.set(id, record);
    fx.write(RECORDS.account.key(id), record);
  }

  private putRegion(code: string, record: RegionRecord, fx: Effects): void {
    this.regions.set(code, record);
    fx.write(RECORDS.region.key(code), record);
  }

  private putBacking(id: string, record: BackingMove, fx: Effects): void {
    this.backings.set(id, record);
    fx.write(RECORDS.backingMove.key(id), record);
  }

  private putAid(id: string, record: AidRecord, fx: Effects): void {
    this.aids.set(id, record);
    fx.write(RECORDS.familyAid.key(id), record);
  }

  private mustAid(id: string, state: BillState): AidRecord {
    const aid = this.aids.get(id);
    if (aid === undefined || aid.state !== state) {
      throw new Error(`AccountBook: aid ${id} is ${aid?.state ?? 'unknown'}, expected ${state}`);
    }
    return aid;
  }

  private putBill(id: string, record: BillRecord, fx: Effects): void {
    this.bills.set(id, record);
    fx.write(RECORDS.insuredBill.key(id), record);
  }

  private mustBill(id: string, state: BillState): BillRecord {
    const bill = this.bills.get(id);
    if (bill === undefined || bill.state !== state) {
      throw new Error(`AccountBook: bill ${id} is ${bill?.state ?? 'unknown'}, expected ${state}`);
    }
    return bill;
  }

  private putTxn(id: string, record: TxnRecord, fx: Effects): void {
    this.txns.set(id, record);
    fx.write(RECORDS.txn.key(id), record);
  }

  private mustAccount(id: string): AccountRecord {
    const account = this.accounts.get(id);
    if (account === undefined) throw new Error(`AccountBook: unknown account ${id}`);
    return account;
  }

  private mustTxn(id: string, state: TxnState): TxnRecord {
    const txn = this.txns.get(id);
    if (txn === undefined || txn.state !== state) {
      throw new Error(
        `AccountBook: transfer ${id} is ${txn?.state ?? 'unknown'}, expected ${state}`,
      );
    }
    return txn;
  }
}
