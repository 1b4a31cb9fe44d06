// What became of every business id of a run: each transfer, receipt, binding, bill and
// contribution, and the relations, credits and clearing batches. The simulator learns it from the
// facts each actor reports as they become durable, with the virtual time of each (world/
// checkers.ts); a live cluster's checker reads it back from the actors' journals at the end,
// where the times are not kept (`outcomesFromRecords`). The final checks and the result take
// either, so both runtimes are judged and reported by the same code.
import { BILL_AT_REST, familyAidOf } from '../actors/bill_saga.machine.ts';
import type {
  BillOutcome,
  BindOutcome,
  FamilyAidView,
  TransferOutcome,
} from '../actors/effects.ts';
import { type RecordVisitor, visitRecords } from '../actors/records.ts';
import type { BillScope, TransferScope } from '../actors/regions.ts';
import { billScopeOf, regionOfIdNo, scopeOf } from '../actors/regions.ts';
import { readWallet as unpackedWallet } from '../actors/wallet_codec.ts';
import type { Fen } from '../protocol/index.ts';
import type { DurableView } from './recount.ts';

/** A virtual time, or undefined where the runtime does not keep one (a journal read back). */
export type At = number | undefined;

export interface Accepted {
  readonly scope: TransferScope;
  readonly amount: Fen;
  readonly at: At;
}

export interface Terminal {
  /** The scope the request was made in (a refused request has no acceptance to say it). */
  readonly scope: TransferScope;
  readonly outcome: TransferOutcome;
  readonly reason: string | undefined;
  readonly at: At;
}

export interface Receipt {
  readonly outcome: 'received' | 'returned';
  readonly at: At;
}

export interface BindAccepted {
  readonly scope: TransferScope;
  readonly at: At;
}

export interface BindTerminal {
  readonly scope: TransferScope;
  readonly outcome: BindOutcome;
  readonly reason: string | undefined;
  readonly at: At;
}

/** F3: a bill's latest outcome (started → presettled → settled → cancelled …). */
export interface BillState {
  readonly scope: BillScope;
  readonly outcome: BillOutcome;
  readonly reason: string | undefined;
  readonly at: At;
  readonly startedAt: At;
  /** What the wallet paid of it (acctMulaidPay). */
  readonly wallet: Fen;
  /** Family mutual aid, when the bill asked a relative's account to pay. */
  readonly aid?: FamilyAidView | undefined;
}

/** F4: a contribution's outcome, or the step a payment still waits in. */
export interface ContributionState {
  readonly scope: TransferScope;
  readonly outcome: 'paid' | 'rejected' | 'refused' | `open:${string}`;
  readonly reason: string | undefined;
  readonly at: At;
}

export interface Outcomes {
  /** Transfers accepted (a saga started), by transfer id. */
  readonly accepted: ReadonlyMap<string, Accepted>;
  /** Transfers that reached an outcome: completed, rejected, or refused at the request. */
  readonly terminal: ReadonlyMap<string, Terminal>;
  /** W11: completed transfers received, or returned at 06:00. */
  readonly receipts: ReadonlyMap<string, Receipt>;
  readonly bindAccepted: ReadonlyMap<string, BindAccepted>;
  readonly bindTerminal: ReadonlyMap<string, BindTerminal>;
  readonly bills: ReadonlyMap<string, BillState>;
  readonly contributions: ReadonlyMap<string, ContributionState>;
  /** Relations ended, per `<scope>.<ending>`. */
  readonly relationEnds: ReadonlyMap<string, number>;
  /** F5: each month's clearing batch, by the state it reached. */
  readonly batchStates: ReadonlyMap<number, string>;
  /** K8: each month's batch, how many answers came after their deadline. */
  readonly batchLate: ReadonlyMap<number, number>;
  /** K10: each month's batch, how many provinces its statements withheld. */
  readonly batchWithheld: ReadonlyMap<number, number>;
  /** K10: disputes by `<month>.<province>`, open or resolved. */
  readonly disputes: ReadonlyMap<string, 'open' | 'resolved'>;
  /** K6: providers paid per bill by their treatment region, and whether it was taken back. */
  readonly providers: ReadonlyMap<string, { scope: BillScope; state: 'paid' | 'refunded' }>;
  /** F2b: provincial batches cleared, by `<month>.<province>`: the gross total each cleared. */
  readonly provincialCleared: ReadonlyMap<string, Fen>;
  /** K3: POS totals reconciled by `<region>.<day>`: agreed, or differed (details sent). */
  readonly reconciliations: ReadonlyMap<string, 'agreed' | 'differed'>;
  /** K3, 3203: POS monthly applications by `<region>.<month>`: agreed, or differed. */
  readonly applications: ReadonlyMap<string, 'agreed' | 'differed'>;
  /** K3: bills a POS said it settled that their treatment region never paid for, → region. */
  readonly unrecorded: ReadonlyMap<string, string>;
  /** P4: monthly credits booked. */
  readonly credits: number;
  /** W1: wallets their holders opened during the run. */
  readonly opened: number;
  /** Orphan holds released, by kind (transfer, bill). */
  readonly orphaned: ReadonlyMap<string, number>;
  /** W14: SMS notices sent, one per credit. */
  readonly sms: number;
}

/** A request the app saw refused: no saga exists, so only the app can tell of it. */
export interface Refusal {
  readonly flow: 'transfer' | 'bind' | 'contribution';
  readonly id: string;
  readonly scope: TransferScope;
  readonly reason: string;
}

/** Transfer saga states in which the transfer itself has completed (its receipt may be open). */
const COMPLETED: ReadonlySet<string> = new Set([
  'completed',
  'awaitingReceipt',
  'received',
  'returned',
]);
const BIND_FINAL: ReadonlySet<string> = new Set(['active', 'refused', 'rejected', 'expired']);

/** Outcomes while they are gathered from records. */
type Gathering = {
  -readonly [K in keyof Outcomes]: Outcomes[K] extends ReadonlyMap<infer I, infer V>
    ? Map<I, V>
    : Outcomes[K];
};
type Reader<N extends keyof RecordVisitor> = NonNullable<RecordVisitor[N]>;

const readTransfer =
  (o: Gathering): Reader<'transferSaga'> =>
  (id, { value, context }) => {
    const state = String(value);
    const { scope, amount, reason } = context;
    o.accepted.set(id, { scope, amount, at: undefined });
    if (COMPLETED.has(state)) {
      o.terminal.set(id, { scope, outcome: 'completed', reason: undefined, at: undefined });
    } else if (state === 'rejected') {
      o.terminal.set(id, { scope, outcome: 'rejected', reason, at: undefined });
    }
    if (state === 'received' || state === 'returned') {
      o.receipts.set(id, { outcome: state, at: undefined });
    }
  };

const readBind =
  (o: Gathering): Reader<'bindSaga'> =>
  (id, { value, context }) => {
    const { donorRegion, relativeRegion, idNo, reason } = context;
    const scope = scopeOf(donorRegion, relativeRegion ?? regionOfIdNo(idNo) ?? donorRegion);
    o.bindAccepted.set(id, { scope, at: undefined });
    const state = String(value);
    if (BIND_FINAL.has(state)) {
      const outcome = state as BindOutcome;
      o.bindTerminal.set(id, { scope, outcome, reason, at: undefined });
    }
  };

const readBill =
  (o: Gathering): Reader<'billSaga'> =>
  (id, { value, context }) => {
    const state = String(value);
    const outcome = BILL_AT_REST.has(state) ? (state as BillOutcome) : 'started';
    const { scope, reason, acctMulaidPay: wallet } = context;
    const aid = familyAidOf(context);
    o.bills.set(id, { scope, outcome, reason, at: undefined, startedAt: undefined, wallet, aid });
  };

const readContribution =
  (o: Gathering): Reader<'contributionSaga'> =>
  (id, { value, context }) => {
    const state = String(value);
    const outcome = state === 'paid' || state === 'rejected' ? state : (`open:${state}` as const);
    const { scope, reason } = context;
    o.contributions.set(id, { scope, outcome, reason, at: undefined });
  };

/** W14: one SMS per credit; and each ended relation, by its binding (both copies say the same). */
const readWallet =
  (o: Gathering, ended: Map<string, string>): Reader<'wallet'> =>
  (id, stored) => {
    const { context } = unpackedWallet(id, stored);
    o.sms += context.credited.length;
    if (context.opened === true) o.opened++;
    for (const relation of [
      ...Object.values(context.relations),
      ...Object.values(context.donors),
    ]) {
      if (relation.status !== 'ended' || relation.ending === undefined) continue;
      ended.set(relation.bindId, `${scopeOf(context.region, relation.region)}.${relation.ending}`);
    }
  };

/** P4: each month a province booked credited every account whose holder has a monthly credit. */
function creditsOf(durable: ReadonlyMap<string, unknown>): number {
  const creditable = new Set<string>();
  const accounts = new Set<string>();
  let months = 0;
  visitRecords(durable, {
    person: (id, person) => {
      if (person.creditFen > 0n) creditable.add(id);
    },
    account: (id) => accounts.add(id),
    creditedMonth: () => {
      months++;
    },
  });
  let credited = 0;
  for (const id of creditable) if (accounts.has(id)) credited++;
  return credited * months;
}

/** Requests the app saw refused: no saga exists to say so. */
function addRefusals(o: Gathering, refusals: readonly Refusal[]): void {
  for (const { flow, id, scope, reason } of refusals) {
    const refused = { scope, outcome: 'refused', reason, at: undefined } as const;
    if (flow === 'transfer') o.terminal.set(id, refused);
    else if (flow === 'bind') o.bindTerminal.set(id, refused);
    else o.contributions.set(id, refused);
  }
}

/**
 * The outcomes the actors' durable records show: what a checker that saw no facts can know.
 * Times are unknown; relation ends are counted once per relation (either copy ended).
 */
export function outcomesFromRecords(
  actors: Iterable<DurableView>,
  refusals: readonly Refusal[],
): Outcomes {
  const o: Gathering = {
    accepted: new Map(),
    terminal: new Map(),
    receipts: new Map(),
    bindAccepted: new Map(),
    bindTerminal: new Map(),
    bills: new Map(),
    contributions: new Map(),
    relationEnds: new Map(),
    batchStates: new Map(),
    batchLate: new Map(),
    batchWithheld: new Map(),
    disputes: new Map(),
    provincialCleared: new Map(),
    providers: new Map(),
    reconciliations: new Map(),
    applications: new Map(),
    unrecorded: new Map(),
    credits: 0,
    opened: 0,
    orphaned: new Map(),
    sms: 0,
  };
  const ended = new Map<string, string>();
  for (const actor of actors) {
    visitRecords(actor.store.durable, {
      transferSaga: readTransfer(o),
      bindSaga: readBind(o),
      billSaga: readBill(o),
      contributionSaga: readContribution(o),
      wallet: readWallet(o, ended),
      txn: (_, txn) => {
        if (txn.orphan === true) o.orphaned.set('transfer', (o.orphaned.get('transfer') ?? 0) + 1);
      },
      insuredBill: (_, bill) => {
        if (bill.orphan === true) o.orphaned.set('bill', (o.orphaned.get('bill') ?? 0) + 1);
      },
      familyAid: (_, aid) => {
        if (aid.orphan === true) o.orphaned.set('aid', (o.orphaned.get('aid') ?? 0) + 1);
      },
      clearingBatch: (month, batch) => {
        o.batchStates.set(month, String(batch.value));
        o.batchLate.set(month, batch.context.late.length);
        o.batchWithheld.set(month, batch.context.withheld.length);
      },
      clearingDispute: (id, dispute) => o.disputes.set(id, dispute.state),
      providerPayment: (id, payment) => {
        if (payment.treatmentRegion === '-') return; // a refund that came before any pay
        const scope = billScopeOf(payment.insuredRegion, payment.treatmentRegion);
        o.providers.set(id, { scope, state: payment.state });
      },
      provincialBatch: (month, batch) =>
        o.provincialCleared.set(`${month}.${actor.address}`, batch.cleared),
      providerReconciliation: (id, record) => o.reconciliations.set(id, record.state),
      providerApplication: (id, record) => o.applications.set(id, record.state),
      unrecordedBill: (id, bill) => o.unrecorded.set(id, bill.region),
    });
    o.credits += creditsOf(actor.store.durable);
  }
  for (const key of ended.values()) o.relationEnds.set(key, (o.relationEnds.get(key) ?? 0) + 1);
  addRefusals(o, refusals);
  return o;
}
