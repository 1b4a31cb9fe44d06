// The invariants of DESIGN §8, checked while the simulation runs. Running totals follow every
// posting as it becomes durable (O(1) per message); a full recount from the actors' durable
// records runs at checkpoints and at the end, and must agree with the running totals.
//
// Conservation (docs/ARCHITECTURE.md): with overlap = Σ amount of transfers that are both still
// held at the donor's province and already credited at the recipient's wallet, and returning =
// Σ amount of transfers the recipient's wallet has returned (W11) that the donor's province has
// not yet refunded,
//   Σ available + Σ held + Σ wallet − overlap + returning = Σ opening balances
// so each transfer's money is counted once: at the donor until the credit decision, at the
// recipient after it, and in transit on its way back. Money that enters people from outside (P4
// credits) or leaves them (bills F3, contributions F4) is booked against counters, whose sum
// `outside` joins the left side: Σ people's money + outside = Σ opening balances.
import type {
  BillOutcome,
  BillScope,
  BindOutcome,
  DomainEvent,
  MoneyClass,
  Posting,
  TransferOutcome,
  TransferScope,
} from '../actors/effects.ts';
import type { Fen } from '../protocol/index.ts';
import { formatFen } from '../protocol/index.ts';
import { fmtTime } from './faults.ts';
import * as hdr from 'hdr-histogram-js';

export const INVARIANTS = [
  'conservation',
  'ledgerBalance',
  'noNegativeBalance',
  'exactlyOnce',
  'lifecycle',
  'allRequestsAnswered',
  'liabilityMatches',
  'walletLiability',
  'clearing',
] as const;
export type InvariantName = (typeof INVARIANTS)[number];

export interface InvariantResult {
  ok: boolean;
  detail?: string;
  violations?: number;
}

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
} as const;
const LIABILITY_BIT = 16;
const REVERSE_BIT = 128;
const PERSON_MONEY: ReadonlySet<MoneyClass> = new Set(['available', 'held', 'wallet']);
/** Counters money enters people from (P4) or leaves them to (F3, F4). */
const OUTSIDE: ReadonlySet<MoneyClass> = new Set(['income', 'payable', 'spent', 'contributed']);

interface Accepted {
  readonly scope: TransferScope;
  readonly amount: Fen;
  readonly at: number;
}

interface Terminal {
  readonly outcome: TransferOutcome;
  readonly reason: string | undefined;
  readonly at: number;
}

interface BindTerminal {
  readonly outcome: BindOutcome;
  readonly reason: string | undefined;
  readonly at: number;
}

/** Per-class money the recount found in the actors' durable records. */
export interface Recount {
  readonly available: Fen;
  readonly held: Fen;
  readonly wallet: Fen;
  readonly overlap: Fen;
  readonly returning: Fen;
  /** Σ of the counters money enters or leaves people by: income (≤ 0), payable, spent, contributed. */
  readonly outside: Fen;
  /** Ledgers whose accounts do not sum to zero, with their sums. */
  readonly unbalanced: ReadonlyArray<readonly [string, Fen]>;
  /** Accounts below zero. */
  readonly negative: readonly string[];
}

export class Checkers {
  readonly results = new Map<InvariantName, InvariantResult>(
    INVARIANTS.map((name) => [name, { ok: true }]),
  );
  readonly accepted = new Map<string, Accepted>();
  readonly terminal = new Map<string, Terminal>();
  readonly refusedByReason = new Map<string, number>();
  readonly bindAccepted = new Map<string, { readonly scope: TransferScope; readonly at: number }>();
  readonly bindTerminal = new Map<string, BindTerminal>();
  readonly receipts = new Map<
    string,
    { readonly outcome: 'received' | 'returned'; readonly at: number }
  >();
  /** Relation ends seen, per `<scope>.<ending>`: one per party's side. */
  readonly relationEnds = new Map<string, number>();
  sms = 0;
  /** F3: each bill's latest outcome (started → presettled → settled → cancelled …). */
  readonly bills = new Map<
    string,
    {
      scope: BillScope;
      outcome: BillOutcome;
      reason: string | undefined;
      at: number;
      startedAt: number;
      wallet: Fen;
    }
  >();
  /** F4: each contribution's outcome. */
  readonly contributions = new Map<
    string,
    { scope: TransferScope; outcome: string; reason: string | undefined; at: number }
  >();
  /** F5 input: clearing lines as settlement recorded them, net of undone ones, by ledger. */
  readonly lineTotals = new Map<string, Fen>();
  /** F5: each month's clearing batch, its latest state, and the state changes seen. */
  readonly batchStates = new Map<number, string>();
  readonly batchHistory: Array<{
    readonly month: number;
    readonly state: string;
    readonly at: number;
  }> = [];
  /** P4: monthly credits booked, and their sum. */
  credits = 0;
  creditsFen: Fen = 0n;
  available: Fen = 0n;
  held: Fen = 0n;
  wallet: Fen = 0n;
  overlap: Fen = 0n;
  returning: Fen = 0n;
  /** Σ income + payable + spent + contributed: what came in from outside or went out (P4, F3, F4). */
  outside: Fen = 0n;
  private readonly returningByCorr = new Map<string, Fen>();
  postings = 0;
  checks = 0;
  private readonly heldByCorr = new Map<string, Fen>();
  private readonly credited = new Set<string>();
  private readonly inOverlap = new Map<string, Fen>();
  private readonly applied = new Map<string, number>();
  private now = 0;
  /** Virtual ms from acceptance to a terminal outcome (hdr-histogram: exact percentiles, bounded memory). */
  private readonly latency = hdr.build({
    lowestDiscernibleValue: 1,
    numberOfSignificantValueDigits: 3,
  });

  constructor(readonly openingTotal: Fen) {
    this.available = openingTotal;
  }

  /** Events that just became durable at `address`, in order. */
  durable(address: string, events: readonly DomainEvent[], now: number): void {
    this.now = now;
    for (const event of events) {
      if (event.type === 'posting') this.posting(address, event);
      else if (event.type === 'transfer.accepted') {
        this.accepted.set(event.corr, { scope: event.scope, amount: event.amount, at: now });
      } else if (event.type === 'transfer.outcome') {
        this.outcome(event.corr, event.outcome, event.reason, now);
      } else if (event.type === 'liability.recorded') {
        this.applyOnce(event.corr, LIABILITY_BIT, 'liability.record');
      } else if (event.type === 'liability.reversed') {
        this.applyOnce(event.corr, REVERSE_BIT, 'liability.reverse');
      } else if (event.type === 'transfer.receipt') {
        if (this.receipts.has(event.corr))
          this.fail('exactlyOnce', `${event.corr} received or returned twice`);
        this.receipts.set(event.corr, { outcome: event.outcome, at: now });
      } else if (event.type === 'notice.sms') {
        this.sms++;
      } else if (event.type === 'bind.accepted') {
        this.bindAccepted.set(event.corr, { scope: event.scope, at: now });
      } else if (event.type === 'bind.outcome') {
        if (this.bindTerminal.has(event.corr))
          this.fail('exactlyOnce', `binding ${event.corr} reached a second outcome`);
        this.bindTerminal.set(event.corr, {
          outcome: event.outcome,
          reason: event.reason,
          at: now,
        });
      } else if (event.type === 'bill.outcome') {
        const previous = this.bills.get(event.corr);
        this.bills.set(event.corr, {
          scope: event.scope,
          outcome: event.outcome,
          reason: event.reason,
          at: now,
          startedAt: previous?.startedAt ?? now,
          wallet: event.acctMulaidPay,
        });
      } else if (event.type === 'contribution.outcome') {
        if (this.contributions.has(event.corr))
          this.fail('exactlyOnce', `contribution ${event.corr} reached a second outcome`);
        this.contributions.set(event.corr, {
          scope: event.scope,
          outcome: event.outcome,
          reason: event.reason,
          at: now,
        });
      } else if (event.type === 'clearing.line') {
        const key = `${event.ledger}|${event.payerRegion}|${event.payeeRegion}`;
        this.lineTotals.set(key, (this.lineTotals.get(key) ?? 0n) + event.amount);
      } else if (event.type === 'clearing.batch') {
        this.batchStates.set(event.month, event.state);
        this.batchHistory.push({ month: event.month, state: event.state, at: now });
      } else if (event.type === 'relation.ended') {
        const key = `${event.scope}.${event.ending}`;
        this.relationEnds.set(key, (this.relationEnds.get(key) ?? 0) + 1);
      }
    }
  }

  /** The conservation equation on the running totals: O(1), after every delivered message. */
  check(): void {
    this.checks++;
    const total =
      this.available + this.held + this.wallet - this.overlap + this.returning + this.outside;
    if (total !== this.openingTotal) {
      this.fail(
        'conservation',
        `Σ available ${formatFen(this.available)} + held ${formatFen(this.held)} + wallet ` +
          `${formatFen(this.wallet)} − in-flight overlap ${formatFen(this.overlap)} + returning ` +
          `${formatFen(this.returning)} + outside ${formatFen(this.outside)} = ${formatFen(total)}, ` +
          `opening total ${formatFen(this.openingTotal)} (off by ${formatFen(total - this.openingTotal)})`,
      );
    }
  }

  /** Compare a full recount of the durable records with the running totals. */
  checkpoint(recount: Recount): void {
    const total =
      recount.available +
      recount.held +
      recount.wallet -
      recount.overlap +
      recount.returning +
      recount.outside;
    if (total !== this.openingTotal) {
      this.fail(
        'conservation',
        `recount: ${formatFen(total)} ≠ opening ${formatFen(this.openingTotal)}`,
      );
    }
    const running = [
      this.available,
      this.held,
      this.wallet,
      this.overlap,
      this.returning,
      this.outside,
    ]
      .map(formatFen)
      .join('/');
    const counted = [
      recount.available,
      recount.held,
      recount.wallet,
      recount.overlap,
      recount.returning,
      recount.outside,
    ]
      .map(formatFen)
      .join('/');
    if (running !== counted) {
      this.fail(
        'conservation',
        `running totals ${running} ≠ recount ${counted} (available/held/wallet/overlap/returning/outside)`,
      );
    }
    for (const [ledger, sum] of recount.unbalanced) {
      this.fail('ledgerBalance', `${ledger} sums to ${formatFen(sum)}, not 0`);
    }
    for (const account of recount.negative)
      this.fail('noNegativeBalance', `${account} is negative`);
  }

  fail(name: InvariantName, detail: string): void {
    const result = this.results.get(name) as InvariantResult;
    result.violations = (result.violations ?? 0) + 1;
    if (result.ok) {
      result.ok = false;
      result.detail = `${fmtTime(this.now)}: ${detail}`;
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

  private posting(address: string, p: Posting): void {
    this.postings++;
    if (p.amount <= 0n || p.debit === p.credit) {
      this.fail(
        'ledgerBalance',
        `${address}: malformed posting ${p.op} ${p.corr} ${formatFen(p.amount)}`,
      );
    }
    this.move(p.debitClass, -p.amount);
    this.move(p.creditClass, p.amount);
    if (PERSON_MONEY.has(p.debitClass) && p.debitAfter < 0n) {
      this.fail(
        'noNegativeBalance',
        `${p.debit} at ${address} went to ${formatFen(p.debitAfter)} (${p.op} ${p.corr})`,
      );
    }
    this.applyOnce(p.corr, OP_BITS[p.op], p.op);
    if (p.op === 'income') {
      this.credits++;
      this.creditsFen += p.amount;
    }
    this.trackOverlap(p);
    this.trackReturning(p);
  }

  /** Keep `returning` = Σ amount returned at a wallet (W11) and not yet refunded at the province. */
  private trackReturning(p: Posting): void {
    if (p.op === 'return') {
      this.returningByCorr.set(p.corr, p.amount);
      this.returning += p.amount;
    } else if (p.op === 'refund') {
      // A refund whose return is not durable (only a host that sends before its writes are
      // durable can cause it) changes nothing here, so the equation shows the money twice.
      const amount = this.returningByCorr.get(p.corr);
      if (amount !== undefined) {
        this.returningByCorr.delete(p.corr);
        this.returning -= amount;
      }
    }
  }

  /** Keep `overlap` = Σ amount over ids both held and credited, each id counted once. */
  private trackOverlap(p: Posting): void {
    if (p.op === 'reserve') this.heldByCorr.set(p.corr, p.amount);
    else if (p.op === 'credit') this.credited.add(p.corr);
    else if (p.op === 'commit' || p.op === 'release') this.heldByCorr.delete(p.corr);
    else return;
    const held = this.heldByCorr.get(p.corr);
    const counted = this.inOverlap.get(p.corr);
    if (held !== undefined && this.credited.has(p.corr)) {
      if (counted === undefined) {
        this.overlap += held;
        this.inOverlap.set(p.corr, held);
      }
    } else if (counted !== undefined) {
      this.overlap -= counted;
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

  private outcome(
    corr: string,
    outcome: TransferOutcome,
    reason: string | undefined,
    at: number,
  ): void {
    if (this.terminal.has(corr))
      this.fail('exactlyOnce', `${corr} reached a second outcome (${outcome})`);
    this.terminal.set(corr, { outcome, reason, at });
    const accepted = this.accepted.get(corr);
    if (accepted !== undefined) this.latency.recordValue(Math.max(1, at - accepted.at));
    if (outcome === 'refused') {
      this.refusedByReason.set(reason ?? '?', (this.refusedByReason.get(reason ?? '?') ?? 0) + 1);
    }
  }

  private move(cls: MoneyClass, delta: Fen): void {
    if (cls === 'available') this.available += delta;
    else if (cls === 'held') this.held += delta;
    else if (cls === 'wallet') this.wallet += delta;
    else if (OUTSIDE.has(cls)) this.outside += delta;
  }
}
