// A full recount of money from the actors' durable records alone, for checkpoints: it must agree
// with the checkers' running totals, every ledger must sum to zero and no account be negative.
import {
  regionSum,
  type AccountRecord,
  type RegionRecord,
  type TxnRecord,
} from '../actors/account_book.ts';
import type { WalletSnapshot } from '../actors/wallet_shard.actor.ts';
import type { Fen } from '../protocol/index.ts';
import type { Recount } from './checkers.ts';

const [A, R, T, W, L, U, COLON] = ['a', 'r', 't', 'w', 'l', 'u', ':'].map((c) =>
  c.charCodeAt(0),
) as [number, number, number, number, number, number, number];

/** What a recount reads of an actor: its address and durable records (a host, or a journal read back). */
export interface DurableView {
  readonly address: string;
  readonly store: { readonly durable: ReadonlyMap<string, unknown> };
}

export function recount(hosts: Iterable<DurableView>): Recount {
  let available = 0n;
  let held = 0n;
  let wallet = 0n;
  const unbalanced: Array<readonly [string, Fen]> = [];
  const negative: string[] = [];
  const reserved = new Map<string, Fen>();
  const committed = new Map<string, Fen>();
  const credited = new Set<string>();
  const returned: string[] = [];
  let outside = 0n;
  for (const host of hosts) {
    let ledgerSum = 0n;
    const role = host.address.split('.')[0];
    if (role !== 'province' && role !== 'wallet') continue;
    // forEach: no [key, value] pair allocated per record (100,000s of them per recount).
    host.store.durable.forEach((value, key) => {
      const tag = key.charCodeAt(0);
      if (key.charCodeAt(1) !== COLON) return;
      if (tag === A) {
        const account = value as AccountRecord;
        available += account.available;
        held += account.held;
        ledgerSum += account.available + account.held;
        if (account.available < 0n || account.held < 0n) negative.push(`${host.address}/${key}`);
      } else if (tag === R) {
        const region = value as RegionRecord;
        ledgerSum += regionSum(region);
        outside += (region.income ?? 0n) + (region.payable ?? 0n) + (region.contributed ?? 0n);
      } else if (tag === T) {
        const txn = value as TxnRecord;
        if (txn.state === 'reserved') reserved.set(key.slice(2), txn.amount);
        else if (txn.state === 'committed') committed.set(key.slice(2), txn.amount);
      } else if (tag === W) {
        const context = (value as WalletSnapshot).context;
        wallet += context.balance;
        ledgerSum += context.balance;
        if (context.balance < 0n) negative.push(`${host.address}/${key}`);
        for (const id of context.credited) credited.add(id);
        for (const id of context.returned) returned.push(id);
      } else if (tag === L) {
        ledgerSum += value as Fen;
      } else if (tag === U) {
        // Wallet money spent on bills and contributions (F3, F4), by origin.
        ledgerSum += value as Fen;
        outside += value as Fen;
      }
    });
    if (ledgerSum !== 0n) unbalanced.push([`ledger.${host.address}`, ledgerSum]);
  }
  let overlap = 0n;
  for (const [id, amount] of reserved) if (credited.has(id)) overlap += amount;
  // W11: returned by the wallet, not yet refunded by the province (still 'committed' there).
  let returning = 0n;
  for (const id of returned) returning += committed.get(id) ?? 0n;
  return { available, held, wallet, overlap, returning, outside, unbalanced, negative };
}
