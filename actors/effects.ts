// What an actor may do in response to a message: everything an actor does to the world goes
// through this interface, so actors stay pure and the host decides when effects happen
// (write-ahead: writes become durable before sends leave and before observers hear of them).
import type { Body, ClearingLedger, Kind, Reason, RelationEnding } from '../protocol/index.ts';
import type { Fen } from '../protocol/index.ts';
import type { BillScope, TransferScope } from './regions.ts';

/** Family mutual aid on one bill, when asked for: its scope, what it paid, why not. */
export interface FamilyAidView {
  readonly scope: TransferScope;
  readonly pay: Fen;
  readonly reason: Reason | undefined;
}

/** Where money sits, for the conservation equation (docs/ARCHITECTURE.md, "Conservation"). */
export type MoneyClass =
  | 'available' // a personal account's spendable balance
  | 'held' // a personal account's reserved balance (a transfer's reserve)
  // The wallet ledger (a shard's): claims on the origin regions' backing, not money of their own.
  | 'wallet' // a wallet's virtual quota
  | 'liability' // the wallet ledger's claim on an origin region (counter account)
  | 'spent' // F3/F4 wallet money spent (a bill's acctMulaidPay, a contribution), by origin
  | 'due' // a region's debt to the wallet ledger for committed transfers (counter account)
  | 'source' // where opening balances came from (counter account)
  // Money entering or leaving people's hands (counter accounts, outside the transfer protocol):
  | 'income' // P4 monthly credits, from payroll or the pooling fund
  | 'contributed' // F4 personal-account money paid as a relative's resident contribution
  // K9: what an origin region holds for its wallets' claims and for wallet lines not yet backed.
  | 'backing'
  // Money between funds (F5): each province's pooling fund, the national clearing account, and
  // what is on its way between them (a statement funded and not yet taken, a disbursal paid out
  // and not yet received): one counter across ledgers, zero when nothing is in flight.
  | 'fund'
  | 'clearing'
  // F2b: a province's clearing account between its regions' funds (zero between batches).
  | 'provincial'
  // K6: what the providers of a treatment region were paid (by its fund, and in cash).
  | 'provider'
  // Cash the patients paid at the providers: from outside the model (≤ 0, a source).
  | 'cash'
  | 'transit';

export type PostingOp =
  | 'open'
  | 'reserve'
  | 'commit'
  | 'release'
  | 'credit'
  // W11: an unreceived credit leaves the wallet (back to the wallet ledger's claim) …
  | 'return'
  // … and the donor's region pays it back into the donor's account.
  | 'refund'
  // P4: a monthly credit into a personal account.
  | 'income'
  // F3/F4: money leaves a person for a bill or a contribution, or comes back when it is undone.
  | 'pay'
  | 'unpay'
  // F5: a fund pays its statement into transit, settlement takes it into the clearing account;
  // settlement pays a disbursal out into transit, the receiving fund takes it.
  | 'fund'
  | 'take'
  | 'payOut'
  | 'receive';

/** One double-entry posting: `amount` leaves `debit` and arrives at `credit`, in one ledger. */
export interface Posting {
  readonly type: 'posting';
  readonly ledger: string;
  readonly op: PostingOp;
  readonly corr: string;
  readonly debit: string;
  readonly debitClass: MoneyClass;
  readonly credit: string;
  readonly creditClass: MoneyClass;
  readonly amount: Fen;
  /** Balance of the debited account afterwards: negative is a bug unless it is a counter. */
  readonly debitAfter: Fen;
}

export type TransferOutcome = 'completed' | 'rejected' | 'refused';
export type BindOutcome = 'active' | 'refused' | 'rejected' | 'expired';
export type BillOutcome =
  'started' | 'presettled' | 'settled' | 'refused' | 'cancelled' | 'reversed' | 'expired';

/** A business fact the reports and checkers follow (not money: that is Posting). */
export type Fact =
  | {
      readonly type: 'transfer.accepted';
      readonly corr: string;
      readonly scope: TransferScope;
      readonly amount: Fen;
    }
  | {
      readonly type: 'transfer.outcome';
      readonly corr: string;
      readonly scope: TransferScope;
      readonly outcome: TransferOutcome;
      readonly reason: string | undefined;
    }
  | {
      readonly type: 'liability.recorded' | 'liability.reversed';
      readonly corr: string;
      readonly originRegion: string;
      readonly amount: Fen;
    }
  | {
      /** W11: a completed transfer was received, or returned unreceived at 06:00. */
      readonly type: 'transfer.receipt';
      readonly corr: string;
      readonly scope: TransferScope;
      readonly outcome: 'received' | 'returned';
    }
  | {
      /** W14: the SMS to the recipient, as sent. */
      readonly type: 'notice.sms';
      readonly corr: string;
      readonly personId: string;
      readonly amount: Fen;
    }
  | { readonly type: 'bind.accepted'; readonly corr: string; readonly scope: TransferScope }
  | {
      readonly type: 'bind.outcome';
      readonly corr: string;
      readonly scope: TransferScope;
      readonly outcome: BindOutcome;
      readonly reason: Reason | undefined;
    }
  | {
      /** F5 input: a line of what one region owes another (negative when it is taken back). */
      readonly type: 'clearing.line';
      readonly corr: string;
      readonly ledger: ClearingLedger;
      readonly payerRegion: string;
      readonly payeeRegion: string;
      readonly amount: Fen;
    }
  | {
      /** F5: a monthly clearing batch reached a state (DOMAIN §3.6). */
      readonly type: 'clearing.batch';
      readonly corr: string;
      readonly month: number;
      readonly state: string;
      /** K8: how many of its answers came after their deadline so far. */
      readonly late: number;
      /** K10: provinces whose lines its statements left out (an open dispute, no answer). */
      readonly withheld: number;
    }
  | {
      /** K6: a treatment region paid its provider for a bill, or took the payment back. */
      readonly type: 'provider.payment';
      readonly corr: string;
      readonly scope: BillScope;
      readonly state: 'paid' | 'refunded';
    }
  | {
      /** K3, 3201: a POS's daily totals for a region (`corr` `<region>.<day>`), reconciled. */
      readonly type: 'provider.reconciliation';
      readonly corr: string;
      readonly state: 'agreed' | 'differed';
    }
  | {
      /** K3, 3203: a POS's monthly application for a region (`corr` `<region>.<month>`). */
      readonly type: 'provider.application';
      readonly corr: string;
      readonly state: 'agreed' | 'differed';
    }
  | {
      /** K3, 3202: a bill a POS says it settled that the treatment region never paid for. */
      readonly type: 'provider.unrecorded';
      readonly corr: string;
      readonly region: string;
      readonly day: number;
      readonly total: Fen;
    }
  | {
      /** F2b, K4: a province cleared a month between its regions (Σ gross obligations). */
      readonly type: 'clearing.provincial';
      readonly corr: string;
      readonly month: number;
      readonly province: string;
      readonly cleared: Fen;
    }
  | {
      /** K10: a month's dispute with a province opened, or resolved (the province confirmed). */
      readonly type: 'clearing.dispute';
      readonly corr: string;
      readonly month: number;
      readonly province: string;
      readonly state: 'open' | 'resolved';
    }
  | {
      /** F3: a bill's outcome at the patient's shard (the national hub). */
      readonly type: 'bill.outcome';
      readonly corr: string;
      readonly scope: BillScope;
      readonly outcome: BillOutcome;
      readonly reason: Reason | undefined;
      readonly acctMulaidPay: Fen;
      /** Family mutual aid, when the bill asked a relative's account to pay. */
      readonly aid: FamilyAidView | undefined;
    }
  | {
      /** F4: a contribution's outcome at the payer's shard. */
      readonly type: 'contribution.outcome';
      readonly corr: string;
      readonly scope: TransferScope;
      readonly outcome: 'paid' | 'rejected' | 'refused';
      readonly reason: Reason | undefined;
    }
  | {
      /** A hold whose owner knew no live saga behind it was released (an orphan hold). */
      readonly type: 'hold.orphaned';
      readonly corr: string;
      readonly kind: 'transfer' | 'bill' | 'aid';
      readonly owner: string;
      readonly amount: Fen;
    }
  | {
      /** W1: the holder opened the wallet (it was unopened). */
      readonly type: 'wallet.opened';
      readonly corr: string;
      readonly walletId: string;
    }
  | {
      /** One party's side of a relation ended (revoked, E5; enrolment change, E6). */
      readonly type: 'relation.ended';
      readonly corr: string;
      readonly scope: TransferScope;
      readonly ending: RelationEnding;
    };

export type DomainEvent = Posting | Fact;

export interface Effects {
  /** Send a message; the host assigns its id, `from` and `sentAt`. */
  send<K extends Kind>(to: string, kind: K, corr: string, body: Body<K>): void;
  /** Record a durable change: `value` must never be mutated afterwards (it may be shared). */
  write(key: string, value: unknown): void;
  /**
   * Ask to be woken at virtual time `at` with `timer(key, arg)`. A key holds one timer: arming it
   * again replaces the earlier one, whatever either's arg (the host drops the earlier one). Timers
   * do not survive crashes (recover() re-arms what is still pending).
   */
  timer(key: string, at: number, arg: number): void;
  /** Forget the timer of `key`, if any: its work is done. */
  cancelTimer(key: string): void;
  /** A posting or a fact, reported once it is durable. */
  emit(event: DomainEvent): void;
}

/** The contract between an actor and its host. */
export interface Actor {
  readonly address: string;
  /** Handle one validated inbound message. */
  handle(env: import('../protocol/index.ts').AnyEnvelope, now: number, fx: Effects): void;
  /** A timer this actor armed has fired. */
  timer(key: string, arg: number, now: number, fx: Effects): void;
  /** After a restart from durable state: resume whatever was in progress. */
  recover(now: number, fx: Effects): void;
}
