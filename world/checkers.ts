// The invariants of DESIGN §8 that the simulator checks while it runs. Running totals follow
// every posting as it becomes durable (O(1) per message); a full recount from the actors'
// durable records runs at checkpoints and at the end, and must agree with the running totals.
// The facts each actor reports as they become durable are kept, with their virtual times, as the
// run's outcomes (world/outcomes.ts), which the final checks and the result read.
//
// Conservation (docs/ARCHITECTURE.md): every yuan is in one holder at every step: a personal
// account (available, held), a region's backing of its wallet money (a committed transfer moves
// the donor's money there; the recipient's wallet holds a claim on it, so wallets, their origin
// counters and what they spent are not money of their own), a pooling fund, the national or a
// provincial clearing account, transit between funds, the providers; money from outside (P4
// credits, cash at providers) is booked against source counters (income, cash ≤ 0), so
//   Σ of every class = Σ opening balances (world/invariants.ts `lawTotal`).
import * as hdr from 'hdr-histogram-js';

import type { DomainEvent, Fact, MoneyClass, Posting, PostingOp } from '../actors/effects.ts';
import type { BillScope } from '../actors/regions.ts';
import type { Fen } from '../protocol/index.ts';
import { formatFen } from '../protocol/index.ts';
import { fmtTime } from './faults.ts';
import { checkRecount } from './final_checks.ts';
import {
  claimsGap,
  describeClaims,
  describeMoney,
  type Fail,
  lawTotal,
  MONEY_CLASSES,
  type MoneyTotals,
  type Recount,
  verdicts,
  type WalletClaims,
  ZERO_CLAIMS,
  ZERO_MONEY,
} from './invariants.ts';
import type {
  Accepted,
  BillState,
  BindAccepted,
  BindTerminal,
  ContributionState,
  Outcomes,
  Receipt,
  Terminal,
} from './outcomes.ts';

const OP_BITS = {
  open: 0,
  reserve: 1,
  credit: 2,
  commit: 4,
  release: 8,
  return: 32,
  refund: 64,
  income: 256,
  pay: 512,
  unpay: 1024,
  // F5: each province's funding and disbursal of a month, and settlement's side of each, once.
  fund: 2048,
  take: 4096,
  payOut: 8192,
  receive: 16384,
} as const satisfies Record<PostingOp, number>;
const LIABILITY_BIT = 16;
const REVERSE_BIT = 128;
const PERSON_MONEY: ReadonlySet<MoneyClass> = new Set(['available', 'held', 'wallet']);
/**
 * Classes that are not money of their own: counter accounts that keep one ledger double-entry
 * (source, due, liability) and the wallet ledger's claims on the origin regions' backing (a
 * wallet's balance, and what wallets spent).
 */
const NOT_MONEY: ReadonlySet<MoneyClass> = new Set([
  'source',
  'due',
  'liability',
  'wallet',
  'spent',
]);

export class Checkers implements Outcomes {
  private now = 0;
  private readonly verdicts = verdicts(() => `${fmtTime(this.now)}: `);
  readonly results = this.verdicts.results;
  /** Violations reported so far, every invariant: a change says the last step broke one. */
  violations = 0;
  /** The latest violation reported, with its time: what a counterexample's diagram marks. */
  lastViolation: { readonly invariant: string; readonly detail: string } | undefined;
  readonly fail: Fail = (name, detail) => {
    this.violations++;
    this.lastViolation = { invariant: name, detail: `${fmtTime(this.now)}: ${detail}` };
    this.verdicts.fail(name, detail);
  };
  readonly accepted = new Map<string, Accepted & { readonly at: number }>();
  readonly terminal = new Map<string, Terminal>();
  readonly bindAccepted = new Map<string, BindAccepted>();
  readonly bindTerminal = new Map<string, BindTerminal>();
  readonly receipts = new Map<string, Receipt>();
  /** Relation ends seen, per `<scope>.<ending>`: one per party's side that ended it. */
  readonly relationEnds = new Map<string, number>();
  sms = 0;
  readonly bills = new Map<string, BillState>();
  /** Running counts for a day's line: transfers completed, bill outcomes that were settled. */
  transfersCompleted = 0;
  billsSettled = 0;
  readonly contributions = new Map<string, ContributionState>();
  readonly batchStates = new Map<number, string>();
  readonly batchLate = new Map<number, number>();
  readonly batchWithheld = new Map<number, number>();
  readonly disputes = new Map<string, 'open' | 'resolved'>();
  readonly provincialCleared = new Map<string, Fen>();
  readonly providers = new Map<string, { scope: BillScope; state: 'paid' | 'refunded' }>();
  readonly reconciliations = new Map<string, 'agreed' | 'differed'>();
  readonly applications = new Map<string, 'agreed' | 'differed'>();
  readonly unrecorded = new Map<string, string>();
  /** F5: every state change of every month's batch, in order. */
  readonly batchHistory: Array<{
    readonly month: number;
    readonly state: string;
    readonly at: number;
  }> = [];
  credits = 0;
  /** The money of every class, as the postings moved it (docs/ARCHITECTURE.md, "Conservation"). */
  readonly money: { -readonly [K in keyof MoneyTotals]: Fen };
  /** W1: wallets their holders opened during the run. */
  opened = 0;
  /** Orphan holds released, by kind. */
  readonly orphaned = new Map<string, number>();
  /** Conservation checks run: one per delivered message and per sync. */
  checks = 0;
  /** K9: the wallet ledger's claims and what backs them, as the postings moved them. */
  readonly claims: { -readonly [K in keyof WalletClaims]: Fen } = { ...ZERO_CLAIMS };
  private readonly returningByCorr = new Map<string, Fen>();
  private readonly aheadByCorr = new Map<string, Fen>();
  private readonly unbackedByCorr = new Map<string, Fen>();
  /** Σ of transfers' holds still open at the donors' provinces (bills hold too: not counted). */
  private transferHeld = 0n;
  /** The most `transfersInFlight` ever was, after any durable step. */
  transfersInFlightPeak = 0n;
  /** The most wallet money ever credited with nothing behind it (optimisticCredit). */
  unbackedPeak = 0n;

  /**
   * Donors' money a transfer has taken and no wallet holds yet: held for it (the reference),
   * or charged and not yet credited (debitFirst).
   */
  get transfersInFlight(): Fen {
    return this.transferHeld + this.claims.ahead;
  }
  private readonly heldByCorr = new Map<string, Fen>();
  private readonly credited = new Set<string>();
  private readonly inOverlap = new Map<string, Fen>();
  private readonly applied = new Map<string, number>();
  /**
   * Virtual ms from acceptance to a terminal outcome
   * (hdr-histogram: exact percentiles, bounded memory).
   */
  private readonly latency = hdr.build({
    lowestDiscernibleValue: 1,
    numberOfSignificantValueDigits: 3,
  });

  /**
   * `openingTotal`: Σ personal accounts at the start; `openingFunds`: Σ pooling funds and the
   * national clearing account at the start, of which `openingClearing` is the clearing
   * account's (the prepayments). The law's right side is openingTotal + openingFunds.
   */
  constructor(
    readonly openingTotal: Fen,
    readonly openingFunds: Fen = 0n,
    openingClearing: Fen = 0n,
  ) {
    this.money = {
      ...ZERO_MONEY,
      available: openingTotal,
      fund: openingFunds - openingClearing,
      clearing: openingClearing,
    };
  }

  /** The law's right side: everything the run opened with. */
  get opening(): Fen {
    return this.openingTotal + this.openingFunds;
  }

  /** Events that just became durable at `address`, in order. */
  durable(address: string, events: readonly DomainEvent[], now: number): void {
    this.now = now;
    for (const event of events) {
      if (event.type === 'posting') this.posting(address, event);
      else this.fact(event, now);
    }
    // Peaks after a whole durable step: a charge's hold and commit are one step, not two.
    const inFlight = this.transfersInFlight;
    if (inFlight > this.transfersInFlightPeak) this.transfersInFlightPeak = inFlight;
    if (this.claims.unbacked > this.unbackedPeak) this.unbackedPeak = this.claims.unbacked;
  }

  /** The conservation equation on the running totals: O(1), after every delivered message. */
  check(): void {
    this.checks++;
    const total = lawTotal(this.money);
    if (total !== this.opening) {
      this.fail(
        'conservation',
        `${describeMoney(this.money)} = ${formatFen(total)}, opening ` +
          `${formatFen(this.opening)} (off by ${formatFen(total - this.opening)})`,
      );
    }
    if (claimsGap(this.claims, this.money.backing) !== 0n)
      this.fail('walletLiability', describeClaims(this.claims, this.money.backing));
    // Transit spans ledgers: a fund takes money out of it only after settlement put it in, and
    // the other way round, so below zero it was received twice, or before it was sent.
    if (this.money.transit < 0n) {
      this.fail(
        'conservation',
        `money in transit between funds is ${formatFen(this.money.transit)}: ` +
          'more arrived than was sent',
      );
    }
  }

  /** A full recount of the durable records: it must hold, and agree with the running totals. */
  checkpoint(recount: Recount): void {
    checkRecount(recount, this.opening, this.fail);
    const off = MONEY_CLASSES.filter((cls) => this.money[cls] !== recount[cls]);
    if (off.length > 0) {
      const both = off.map(
        (cls) => `${cls} ${formatFen(this.money[cls])} ≠ ${formatFen(recount[cls])}`,
      );
      this.fail('conservation', `running totals disagree with the recount: ${both.join(', ')}`);
    }
    const claimsOff = (Object.keys(ZERO_CLAIMS) as Array<keyof WalletClaims>).filter(
      (k) => this.claims[k] !== recount.claims[k],
    );
    if (claimsOff.length > 0) {
      const both = claimsOff.map(
        (k) => `${k} ${formatFen(this.claims[k])} ≠ ${formatFen(recount.claims[k])}`,
      );
      this.fail('walletLiability', `running claims disagree with the recount: ${both.join(', ')}`);
    }
  }

  latencyMs(): { p50: number; p99: number; max: number } {
    if (this.latency.totalCount === 0) return { p50: 0, p99: 0, max: 0 };
    return {
      p50: this.latency.getValueAtPercentile(50),
      p99: this.latency.getValueAtPercentile(99),
      max: this.latency.maxValue,
    };
  }

  get ok(): boolean {
    for (const result of this.results.values()) if (!result.ok) return false;
    return true;
  }

  private fact(event: Fact, now: number): void {
    switch (event.type) {
      case 'transfer.accepted':
        this.accepted.set(event.corr, { scope: event.scope, amount: event.amount, at: now });
        return;
      case 'transfer.outcome':
        return this.outcome(event, now);
      case 'liability.recorded':
        return this.applyOnce(event.corr, LIABILITY_BIT, 'liability.record');
      case 'liability.reversed':
        return this.applyOnce(event.corr, REVERSE_BIT, 'liability.reverse');
      case 'transfer.receipt':
        this.once(this.receipts, event.corr, `${event.corr} received or returned twice`);
        this.receipts.set(event.corr, { outcome: event.outcome, at: now });
        return;
      case 'notice.sms':
        this.sms++;
        return;
      case 'bind.accepted':
        this.bindAccepted.set(event.corr, { scope: event.scope, at: now });
        return;
      case 'bind.outcome': {
        this.once(this.bindTerminal, event.corr, `binding ${event.corr} reached a second outcome`);
        const { scope, outcome, reason } = event;
        this.bindTerminal.set(event.corr, { scope, outcome, reason, at: now });
        return;
      }
      case 'bill.outcome': {
        const startedAt = this.bills.get(event.corr)?.startedAt ?? now;
        const { scope, outcome, reason, acctMulaidPay: wallet, aid } = event;
        this.bills.set(event.corr, { scope, outcome, reason, at: now, startedAt, wallet, aid });
        if (outcome === 'settled') this.billsSettled++;
        return;
      }
      case 'contribution.outcome': {
        const again = `contribution ${event.corr} reached a second outcome`;
        this.once(this.contributions, event.corr, again);
        const { scope, outcome, reason } = event;
        this.contributions.set(event.corr, { scope, outcome, reason, at: now });
        return;
      }
      case 'clearing.batch':
        this.batchStates.set(event.month, event.state);
        this.batchLate.set(event.month, event.late);
        this.batchWithheld.set(event.month, event.withheld);
        this.batchHistory.push({ month: event.month, state: event.state, at: now });
        return;
      case 'relation.ended': {
        const key = `${event.scope}.${event.ending}`;
        this.relationEnds.set(key, (this.relationEnds.get(key) ?? 0) + 1);
        return;
      }
      case 'wallet.opened':
        this.opened++;
        return;
      case 'hold.orphaned':
        this.orphaned.set(event.kind, (this.orphaned.get(event.kind) ?? 0) + 1);
        return;
      case 'provider.payment':
        this.providers.set(event.corr, { scope: event.scope, state: event.state });
        return;
      case 'provider.reconciliation':
        this.reconciliations.set(event.corr, event.state);
        return;
      case 'provider.application':
        this.applications.set(event.corr, event.state);
        return;
      case 'provider.unrecorded':
        this.unrecorded.set(event.corr, event.region);
        return;
      case 'clearing.provincial':
        this.provincialCleared.set(`${event.month}.province.${event.province}`, event.cleared);
        return;
      case 'clearing.dispute':
        this.disputes.set(`${event.month}.${event.province}`, event.state);
        return;
      case 'clearing.line':
        return; // the lines themselves are checked on settlement's records at the end
    }
  }

  /** A business id reaches an outcome once: a second one is a violation. */
  private once(seen: ReadonlyMap<string, unknown>, corr: string, detail: string): void {
    if (seen.has(corr)) this.fail('exactlyOnce', detail);
  }

  private posting(address: string, p: Posting): void {
    if (p.amount <= 0n || p.debit === p.credit) {
      const what = `${p.op} ${p.corr} ${formatFen(p.amount)}`;
      this.fail('ledgerBalance', `${address}: malformed posting ${what}`);
    }
    this.move(p.debitClass, -p.amount);
    this.move(p.creditClass, p.amount);
    // K9: a wallet line's backing moved into the fund that pays it, or back again.
    if (p.debitClass === 'backing' && p.creditClass === 'fund') this.claims.backed += p.amount;
    if (p.debitClass === 'fund' && p.creditClass === 'backing') this.claims.backed -= p.amount;
    if (PERSON_MONEY.has(p.debitClass) && p.debitAfter < 0n) {
      const after = formatFen(p.debitAfter);
      this.fail(
        'noNegativeBalance',
        `${p.debit} at ${address} went to ${after} (${p.op} ${p.corr})`,
      );
    }
    const firstCredit =
      p.op === 'credit' && ((this.applied.get(p.corr) ?? 0) & OP_BITS.credit) === 0;
    const clawback = p.op === 'return' && this.unbackedByCorr.has(p.corr);
    this.applyOnce(p.corr, OP_BITS[p.op], p.op);
    if (p.op === 'income') this.credits++;
    this.trackUnbacked(p, firstCredit);
    this.trackOverlap(p);
    // A claw-back returns a credit no donor paid: nothing at a province is to be refunded.
    if (!clawback) this.trackReturning(p);
    this.trackAhead(p);
  }

  /**
   * Keep `unbacked` = Σ amount credited at a wallet with no hold and no commit behind it
   * (optimisticCredit), until the charge's hold takes over (overlap) or the credit is clawed
   * back. Only a transfer's first credit counts: a second is exactlyOnce's to report, and must
   * still show as a gap in the identity.
   */
  private trackUnbacked(p: Posting, firstCredit: boolean): void {
    if (p.op === 'credit') {
      if (firstCredit && !this.heldByCorr.has(p.corr) && !this.aheadByCorr.has(p.corr)) {
        this.unbackedByCorr.set(p.corr, p.amount);
        this.claims.unbacked += p.amount;
      }
    } else if (p.op === 'reserve' || p.op === 'return') {
      const amount = this.unbackedByCorr.get(p.corr);
      if (amount === undefined) return;
      this.unbackedByCorr.delete(p.corr);
      this.claims.unbacked -= amount;
    }
  }

  /**
   * Keep `ahead` = Σ amount committed at a province and not credited at a wallet (debitFirst),
   * until the credit or the compensating refund.
   */
  private trackAhead(p: Posting): void {
    if (p.op === 'commit' && !this.credited.has(p.corr)) {
      this.aheadByCorr.set(p.corr, p.amount);
      this.claims.ahead += p.amount;
    } else if (p.op === 'credit' || p.op === 'refund') {
      const amount = this.aheadByCorr.get(p.corr);
      if (amount === undefined) return;
      this.aheadByCorr.delete(p.corr);
      this.claims.ahead -= amount;
    }
  }

  /**
   * Keep `returning` = Σ amount returned at a wallet (W11) and not yet refunded at the province.
   */
  private trackReturning(p: Posting): void {
    if (p.op === 'return') {
      this.returningByCorr.set(p.corr, p.amount);
      this.claims.returning += p.amount;
    } else if (p.op === 'refund') {
      // A refund whose return is not durable (only a host that sends before its writes are
      // durable can cause it) changes nothing here, so the identity shows the claim unbacked.
      const amount = this.returningByCorr.get(p.corr);
      if (amount !== undefined) {
        this.returningByCorr.delete(p.corr);
        this.claims.returning -= amount;
      }
    }
  }

  /** Keep `overlap` = Σ amount over ids both held and credited, each id counted once. */
  private trackOverlap(p: Posting): void {
    if (p.op === 'reserve') {
      this.heldByCorr.set(p.corr, p.amount);
      // A bill's hold is a reserve too, paid out by 'pay': only transfers' holds are counted.
      if (this.accepted.has(p.corr)) this.transferHeld += p.amount;
    } else if (p.op === 'credit') this.credited.add(p.corr);
    else if (p.op === 'commit' || p.op === 'release') {
      if (this.accepted.has(p.corr)) this.transferHeld -= this.heldByCorr.get(p.corr) ?? 0n;
      this.heldByCorr.delete(p.corr);
    } else return;
    const held = this.heldByCorr.get(p.corr);
    const counted = this.inOverlap.get(p.corr);
    if (held !== undefined && this.credited.has(p.corr)) {
      if (counted === undefined) {
        this.claims.overlap += held;
        this.inOverlap.set(p.corr, held);
      }
    } else if (counted !== undefined) {
      this.claims.overlap -= counted;
      this.inOverlap.delete(p.corr);
    }
  }

  private applyOnce(corr: string, bit: number, what: string): void {
    if (bit === 0) return;
    const mask = this.applied.get(corr) ?? 0;
    if ((mask & bit) !== 0) this.fail('exactlyOnce', `${what} applied twice for ${corr}`);
    const next = mask | bit;
    if ((next & OP_BITS.commit) !== 0 && (next & OP_BITS.release) !== 0) {
      this.fail('exactlyOnce', `${corr} both committed and released`);
    }
    this.applied.set(corr, next);
  }

  private outcome(event: Extract<Fact, { type: 'transfer.outcome' }>, at: number): void {
    const { corr, scope, outcome, reason } = event;
    if (this.terminal.has(corr)) {
      this.fail('exactlyOnce', `${corr} reached a second outcome (${outcome})`);
    }
    this.terminal.set(corr, { scope, outcome, reason, at });
    if (outcome === 'completed') this.transfersCompleted++;
    const accepted = this.accepted.get(corr);
    if (accepted !== undefined) this.latency.recordValue(Math.max(1, at - accepted.at));
  }

  private move(cls: MoneyClass, delta: Fen): void {
    if (cls === 'wallet' || cls === 'spent') this.claims[cls] += delta;
    if (!NOT_MONEY.has(cls)) this.money[cls as keyof MoneyTotals] += delta;
  }
}
