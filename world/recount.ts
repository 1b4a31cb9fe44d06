// A full recount of money from the actors' durable records alone, for checkpoints: it must agree
// with the checkers' running totals, every ledger must sum to zero and no account be negative.
import { fundedBy, paidTo } from '../actors/clearing_batch.machine.ts';
import { RECORDS, type RecordVisitor, regionSum, visitRecords } from '../actors/records.ts';
import { balanceOf } from '../actors/wallet.ts';
import { readWalletMoney } from '../actors/wallet_codec.ts';
import type { Fen } from '../protocol/index.ts';
import type { Recount } from './invariants.ts';

/**
 * What a recount reads of an actor:
 * its address and durable records (a host, or a journal read back).
 */
export interface DurableView {
  readonly address: string;
  readonly store: { readonly durable: ReadonlyMap<string, unknown> };
}

export function recount(actors: Iterable<DurableView>): Recount {
  let available = 0n;
  let held = 0n;
  let income = 0n;
  let contributed = 0n;
  let backing = 0n;
  let wallet = 0n;
  let spent = 0n;
  let backed = 0n;
  let fund = 0n;
  let clearing = 0n;
  let provider = 0n;
  let cash = 0n;
  // Money between funds on its way: funded by a province and not yet taken by settlement, or
  // paid out by settlement and not yet received by a province (F5).
  let transit = 0n;
  const unbalanced: Array<readonly [string, Fen]> = [];
  const reserved = new Map<string, Fen>();
  const committed = new Map<string, Fen>();
  const credited = new Set<string>();
  const returned: string[] = [];
  /** Transfers a province decided, and those it refused (the charge of optimisticCredit). */
  const decided = new Set<string>();
  const refused = new Set<string>();
  const sagaAmounts = new Map<string, Fen>();
  const negative: string[] = [];
  for (const actor of actors) {
    let ledgerSum = 0n;
    const { address } = actor;
    const visitor: RecordVisitor = {
      account: (id, account) => {
        available += account.available;
        held += account.held;
        ledgerSum += account.available + account.held;
        if (account.available < 0n || account.held < 0n)
          negative.push(`${address}/${RECORDS.account.key(id)}`);
      },
      region: (_, region) => {
        ledgerSum += regionSum(region);
        income += region.income ?? 0n;
        contributed += region.contributed ?? 0n;
        // K9: the backing of the region's wallet money (the wallets hold claims on it).
        backing += region.backing ?? 0n;
        // F2b: the region's pooling fund (outside the people's ledger, like the province's).
        fund += (region.fund ?? 0n) + (region.residentFund ?? 0n);
        // K6: what its providers hold, and the cash patients paid them from outside.
        provider += region.provider ?? 0n;
        cash += region.cash ?? 0n;
      },
      wallet: (id, stored) => {
        const context = readWalletMoney(id, stored);
        // A claim on its origin regions' backing: in the shard's ledger, not money of its own.
        const balance = balanceOf(context);
        wallet += balance;
        ledgerSum += balance;
        if (balance < 0n) negative.push(`${address}/${RECORDS.wallet.key(id)}`);
        for (const transferId of context.credited) credited.add(transferId);
        for (const transferId of context.returned) returned.push(transferId);
      },
      originCounter: (_, counter) => {
        ledgerSum += counter;
      },
      // Wallet money spent on bills and contributions (F3, F4), by origin.
      spent: (_, amount) => {
        ledgerSum += amount;
        spent += amount;
      },
      txn: (id, txn) => {
        if (txn.state === 'reserved') reserved.set(id, txn.amount);
        else if (txn.state === 'committed') committed.set(id, txn.amount);
        decided.add(id);
        if (txn.state === 'rejected') refused.add(id);
      },
      transferSaga: (id, { context }) => {
        sagaAmounts.set(id, context.amount);
      },
      backingMove: (_, move) => {
        if (move.state === 'backed') backed += move.amount;
      },
      poolingFund: (_, balance) => {
        fund += balance;
      },
      statementFunded: (_, amount) => {
        transit += amount;
      },
      disbursalReceived: (_, amount) => {
        transit -= amount;
      },
      clearingAccount: (_, balance) => {
        clearing += balance;
      },
      clearingBatch: (_, { value, context }) => {
        for (const province of context.funded) transit -= fundedBy(context.statements[province]);
        if (value === 'FUNDED' || value === 'DISBURSED' || value === 'RECONCILED') {
          for (const s of Object.values(context.statements)) transit += paidTo(s);
        }
      },
    };
    visitRecords(actor.store.durable, visitor);
    // Settlement and the app keep no personal money: their ledgers are not people's.
    if (address.startsWith('province.') || address.startsWith('wallet.')) {
      if (ledgerSum !== 0n) unbalanced.push([`ledger.${address}`, ledgerSum]);
    }
  }
  let overlap = 0n;
  for (const [id, amount] of reserved) if (credited.has(id)) overlap += amount;
  // W11: returned by the wallet, not yet refunded by the province (still 'committed' there).
  let returning = 0n;
  for (const id of returned) returning += committed.get(id) ?? 0n;
  // debitFirst: committed at the province, not (or not yet) credited at any wallet.
  let ahead = 0n;
  for (const [id, amount] of committed) if (!credited.has(id)) ahead += amount;
  // optimisticCredit: credited (and not clawed back) while the province has not charged the
  // donor yet, or refused to.
  let unbacked = 0n;
  const clawedBack = new Set(returned);
  for (const id of credited) {
    if (clawedBack.has(id) || (decided.has(id) && !refused.has(id))) continue;
    unbacked += sagaAmounts.get(id) ?? 0n;
  }
  return {
    claims: { wallet, spent, backed, overlap, returning, ahead, unbacked },
    available,
    held,
    income,
    contributed,
    backing,
    fund,
    clearing,
    // A provincial batch pays in and out of the provincial clearing account in one step: it
    // holds nothing between steps, and no record keeps a balance for it.
    provincial: 0n,
    transit,
    provider,
    cash,
    unbalanced,
    negative,
  };
}
