// Checks at the end of a run, over every actor's durable records: no transfer lost (each accepted
// transfer terminal on every party, within the bound after the last fault healed; each completed
// one received or returned by 06:00 the next day, W11), no binding lost (each accepted binding
// decided within its TTL, and an active one recorded by the relative's wallet), every request
// answered, and the liabilities of the three parties agreeing per origin region.
import {
  visitRecords,
  type BillRecord,
  type ClaimRecord,
  type ClearingLine,
  type Stored,
  type TxnRecord,
} from '../actors/records.ts';
import {
  buildMatrix,
  netMultilateral,
  sumPositions,
  type Obligation,
  type Prepayment,
} from '../actors/clearing.ts';
import type { BatchRecord } from '../actors/clearing_batch.ts';
import type { BindSnapshot } from '../actors/wallet_shard.actor.ts';
import { returnAtMs } from '../actors/wallet.machine.ts';
import type { Fen } from '../protocol/index.ts';
import { formatFen } from '../protocol/index.ts';
import { fmtTime } from './faults.ts';
import type { Simulation } from '../sim/simulation.ts';
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
  /** F4: the resident funds' claims, by payment id. */
  readonly claims: Map<string, ClaimRecord>;
  /** F5 input: settlement's clearing lines, by line id. */
  readonly lines: Map<string, ClearingLine>;
  /** K9: wallet money still in wallets, by origin region (tranches, received or not). */
  readonly outstanding: Map<string, Fen>;
  /** K9: wallet money spent, by origin region, as the shards count it. */
  readonly spent: Map<string, Fen>;
  readonly due: Map<string, Fen>;
  readonly walletLiability: Map<string, Fen>;
  readonly settlementLiability: Map<string, Fen>;
  /** F5: the provinces' pooling funds, the national clearing account, batches and prepayments. */
  funds: Fen;
  clearingAccount: Fen;
  readonly batches: Map<number, BatchRecord>;
  readonly prepayments: Map<string, Prepayment>;
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
    claims: new Map(),
    lines: new Map(),
    outstanding: new Map(),
    spent: new Map(),
    due: new Map(),
    walletLiability: new Map(),
    settlementLiability: new Map(),
    funds: 0n,
    clearingAccount: 0n,
    batches: new Map(),
    prepayments: new Map(),
  };
  for (const actor of actors) {
    visitRecords(actor.store.durable, {
      poolingFund: (_, fund) => {
        parties.funds += fund;
      },
      clearingAccount: (_, balance) => {
        parties.clearingAccount = balance;
      },
      clearingBatch: (month, batch) => parties.batches.set(month, batch),
      prepayment: (province, prepayment) => parties.prepayments.set(province, prepayment),
      transferSaga: (id, saga) => parties.saga.set(id, String(saga.value)),
      txn: (id, txn) => parties.txn.set(id, txn),
      region: (code, region) => parties.due.set(code, region.due),
      liabilityRecorded: (id) => parties.recorded.add(id),
      liabilityReversed: (id) => parties.reversed.add(id),
      bindSaga: (id, saga) => parties.bind.set(id, saga),
      insuredBill: (id, bill) => parties.bills.set(id, bill),
      fundClaim: (id, claim) => parties.claims.set(id, claim),
      clearingLine: (id, line) => parties.lines.set(id, line),
      spent: (origin, spent) => add(parties.spent, origin, spent),
      originLiability: (origin, amount) => parties.settlementLiability.set(origin, amount),
      originCounter: (origin, counter) => add(parties.walletLiability, origin, -counter),
      wallet: (_, { context }) => {
        const { credited, rejected, returned, donors, tranches } = context;
        for (const transferId of credited) parties.decision.set(transferId, 'credited');
        for (const transferId of Object.keys(rejected)) parties.decision.set(transferId, 'rejected');
        for (const transferId of returned) parties.decision.set(transferId, 'returned');
        for (const relation of Object.values(donors)) parties.donorBindIds.add(relation.bindId);
        for (const t of tranches) add(parties.outstanding, t.originRegion, t.amount);
      },
    });
  }
  return parties;
}

export function finalChecks(sim: Simulation): void {
  const parties = readParties(sim.hosts.values());
  checkLifecycle(sim, parties);
  checkReceipts(sim, parties);
  checkBindings(sim, parties);
  checkRequests(sim);
  checkLiabilities(sim, parties);
  checkBills(sim, parties);
  checkContributions(sim, parties);
  const fail: Fail = (name, detail) => sim.checkers.fail(name, detail);
  checkWalletLiability(parties, fail);
  checkClearing(parties, sim.world.openingFunds, fail);
}

/** F3: every started bill ends (or rests settled), and the insured place and settlement agree. */
function checkBills(sim: Simulation, parties: Parties): void {
  const bound = sim.scenario.checks.lifecycleBoundMs;
  const ttl = sim.scenario.protocol.presettleTtlMs;
  const stuck: string[] = [];
  // A line id is `<payment id>.<part>`: index them once, not once per bill.
  const linesByPayment = new Map<string, ClearingLine[]>();
  for (const [lineId, line] of parties.lines) {
    const payment = lineId.slice(0, lineId.indexOf('.'));
    const list = linesByPayment.get(payment);
    if (list === undefined) linesByPayment.set(payment, [line]);
    else list.push(line);
  }
  for (const [id, bill] of sim.checkers.bills) {
    const deadline = Math.max(bill.startedAt + ttl, sim.lastHealAt) + bound;
    const record = parties.bills.get(id);
    if (bill.outcome === 'started' || bill.outcome === 'presettled') {
      stuck.push(`bill ${id} still ${bill.outcome}`);
      continue;
    }
    if (bill.at > deadline && bill.outcome !== 'cancelled' && bill.outcome !== 'reversed') {
      stuck.push(`bill ${id} ${bill.outcome} at ${fmtTime(bill.at)}, after ${fmtTime(deadline)}`);
    }
    const lines = linesByPayment.get(id) ?? [];
    const live = lines.filter((line) => !line.undone);
    if (bill.outcome === 'settled') {
      if (record?.state !== 'committed')
        stuck.push(`bill ${id} settled but the insured place has it ${record?.state ?? 'missing'}`);
      const medical = live
        .filter((l) => l.ledger === 'medical' && !l.reversal)
        .reduce((n, l) => n + l.amount, 0n);
      if (record !== undefined && medical !== record.fundPay + record.acctPay) {
        stuck.push(
          `bill ${id} settled: medical lines ${formatFen(medical)} ≠ fund + account ${formatFen(record.fundPay + record.acctPay)}`,
        );
      }
      const wallet = live
        .filter((l) => l.ledger === 'wallet' && !l.reversal)
        .reduce((n, l) => n + l.amount, 0n);
      if (wallet !== bill.wallet)
        stuck.push(
          `bill ${id} settled: wallet lines ${formatFen(wallet)} ≠ acctMulaidPay ${formatFen(bill.wallet)}`,
        );
    } else if (
      bill.outcome === 'cancelled' ||
      bill.outcome === 'reversed' ||
      bill.outcome === 'expired'
    ) {
      if (record !== undefined && record.state !== 'released' && record.state !== 'refunded') {
        stuck.push(`bill ${id} ${bill.outcome} but the insured place has it ${record.state}`);
      }
      if (live.length > 0)
        stuck.push(`bill ${id} ${bill.outcome} but ${live.length} clearing line(s) stand`);
    } else if (record !== undefined && record.state !== 'rejected') {
      stuck.push(`bill ${id} refused but the insured place has it ${record.state}`);
    }
  }
  if (stuck.length > 0)
    sim.checkers.fail(
      'lifecycle',
      `${stuck.length} bill(s) not settled (F3); first: ${stuck.slice(0, 5).join(' | ')}`,
    );
}

/** F4: every accepted payment is paid or rejected, and the resident fund agrees (C4). */
/** A sink for an invariant's failures: the simulator's checkers, or the cluster checker's results. */
export type Fail = (name: 'walletLiability' | 'clearing', detail: string) => void;

function checkBatches(parties: Parties, openingFunds: Fen, failWith: Fail): void {
  const fail = (detail: string) => failWith('clearing', detail);
  const total = parties.funds + parties.clearingAccount;
  // Between statements and the last disbursal, money is on its way between a fund and the
  // clearing account: the law is checked when no batch is midway.
  const midway = [...parties.batches.values()].some(
    (b) => b.state === 'STATEMENTS_ISSUED' || b.state === 'FUNDED',
  );
  if (!midway && total !== openingFunds) {
    fail(
      `Σ funds ${formatFen(parties.funds)} + clearing account ${formatFen(parties.clearingAccount)} = ` +
        `${formatFen(total)} ≠ opening ${formatFen(openingFunds)}`,
    );
  }
  let held = 0n;
  for (const p of parties.prepayments.values()) held += p.balance;
  if (!midway && held !== parties.clearingAccount) {
    fail(
      `the clearing account ${formatFen(parties.clearingAccount)} ≠ prepayments held ${formatFen(held)}`,
    );
  }
  for (const batch of parties.batches.values()) {
    if (batch.state !== 'RECONCILED') {
      // Only the run's last months may still be open: their clearing falls after the horizon.
      continue;
    }
    // Cleared = settled: the statements' gross payables are the batch's national lines.
    const byProvince = new Map<string, Fen>();
    for (const line of parties.lines.values()) {
      if (line.batch !== batch.month || line.dropped) continue;
      const payer = line.payerRegion.slice(0, 2);
      if (payer === line.payeeRegion.slice(0, 2)) continue;
      add(
        byProvince,
        line.reversal ? line.payeeRegion.slice(0, 2) : payer,
        line.amount * (line.reversal ? -1n : 1n),
      );
    }
    let sum = 0n;
    for (const s of Object.values(batch.statements)) sum += s.toReceive - s.toFund - s.drawn;
    if (sum !== 0n) fail(`${batch.month}: Σ net positions on the statements ${formatFen(sum)} ≠ 0`);
    let cleared = 0n;
    for (const s of Object.values(batch.statements)) cleared += s.medicalPayable + s.walletPayable;
    let settled = 0n;
    for (const v of byProvince.values()) settled += v;
    if (cleared !== settled && [...byProvince.values()].every((v) => v >= 0n)) {
      fail(
        `${batch.month}: statements clear ${formatFen(cleared)}, the batch's lines say ${formatFen(settled)}`,
      );
    }
  }
}

function checkContributions(sim: Simulation, parties: Parties): void {
  const stuck: string[] = [];
  const paidSlots = new Map<string, string>();
  for (const [payId, claim] of parties.claims) {
    if (claim.state !== 'paid') continue;
    const slot = `${claim.personId}.${claim.year}`;
    const other = paidSlots.get(slot);
    if (other !== undefined)
      sim.checkers.fail('exactlyOnce', `C4: ${slot} paid twice (${other}, ${payId})`);
    paidSlots.set(slot, payId);
  }
  for (const [payId, outcome] of sim.checkers.contributions) {
    const claim = parties.claims.get(payId);
    if (outcome.outcome === 'paid' && claim?.state !== 'paid')
      stuck.push(`${payId} paid but the fund has it ${claim?.state ?? 'missing'}`);
    if (outcome.outcome === 'rejected' && claim?.state === 'claimed')
      stuck.push(`${payId} rejected but its claim still holds the person-year`);
  }
  for (const [payId, claim] of parties.claims) {
    if (claim.state === 'claimed') stuck.push(`${payId} claimed but never paid or released`);
  }
  if (stuck.length > 0)
    sim.checkers.fail(
      'lifecycle',
      `${stuck.length} contribution(s) not settled (F4); first: ${stuck.slice(0, 5).join(' | ')}`,
    );
}

/**
 * K9 per origin region: wallet quota issued − returned (settlement's liability) − spent (its
 * wallet clearing lines) = what is still in wallets; and the shards count the same spending.
 */
export function checkWalletLiability(parties: Parties, fail: Fail): void {
  const spentByLines = new Map<string, Fen>();
  for (const line of parties.lines.values()) {
    if (line.ledger === 'wallet' && !line.undone && !line.reversal)
      add(spentByLines, line.payerRegion, line.amount);
  }
  const regions = new Set([
    ...parties.settlementLiability.keys(),
    ...parties.outstanding.keys(),
    ...spentByLines.keys(),
    ...parties.spent.keys(),
  ]);
  const off: string[] = [];
  for (const region of regions) {
    const issued = parties.settlementLiability.get(region) ?? 0n;
    const spent = spentByLines.get(region) ?? 0n;
    const outstanding = parties.outstanding.get(region) ?? 0n;
    if (issued - spent !== outstanding) {
      off.push(
        `${region}: issued − returned ${formatFen(issued)} − spent ${formatFen(spent)} ≠ in wallets ${formatFen(outstanding)}`,
      );
    }
    const counted = parties.spent.get(region) ?? 0n;
    if (counted !== spent)
      off.push(
        `${region}: shards spent ${formatFen(counted)}, settlement lines ${formatFen(spent)}`,
      );
  }
  if (off.length > 0)
    fail('walletLiability', `${off.length} origin region(s) off; ${off.slice(0, 3).join(' | ')}`);
}

/**
 * F5 input and K10: per month, Σ net positions = 0 (netted multilaterally); the medical lines
 * per insured region agree with the insured places' settled bills; each batch's statements
 * clear exactly its lines (cleared = settled); and money between funds is conserved: Σ pooling
 * funds + the national clearing account = what they opened with, and the clearing account holds
 * exactly the prepayments once no batch is between funding and disbursal.
 */
export function checkClearing(parties: Parties, openingFunds: Fen, fail: Fail): void {
  checkBatches(parties, openingFunds, fail);
  const byMonth = new Map<number, Obligation[]>();
  const medicalByPayer = new Map<string, Fen>();
  for (const line of parties.lines.values()) {
    if (line.undone || line.reversal) continue;
    const obligations = byMonth.get(line.month) ?? [];
    if (line.payerRegion !== line.payeeRegion) {
      obligations.push({
        payer: line.payerRegion,
        payee: line.payeeRegion,
        ledger: line.ledger,
        amount: line.amount,
      });
    }
    byMonth.set(line.month, obligations);
    if (line.ledger === 'medical') add(medicalByPayer, line.payerRegion, line.amount);
  }
  for (const [month, obligations] of byMonth) {
    const sum = sumPositions(netMultilateral(buildMatrix(obligations)).positions);
    if (sum !== 0n) fail('clearing', `${month}: Σ net positions ${formatFen(sum)} ≠ 0`);
  }
  const settledByPayer = new Map<string, Fen>();
  for (const bill of parties.bills.values()) {
    if (bill.state === 'committed')
      add(settledByPayer, bill.insuredRegion, bill.fundPay + bill.acctPay);
  }
  for (const region of new Set([...medicalByPayer.keys(), ...settledByPayer.keys()])) {
    const lines = medicalByPayer.get(region) ?? 0n;
    const settled = settledByPayer.get(region) ?? 0n;
    if (lines !== settled) {
      fail(
        'clearing',
        `${region}: medical lines ${formatFen(lines)} ≠ settled bills ${formatFen(settled)}`,
      );
    }
  }
}

function checkLifecycle(sim: Simulation, parties: Parties): void {
  const { checkers, lastHealAt } = sim;
  const bound = sim.scenario.checks.lifecycleBoundMs;
  const stuck: string[] = [];
  for (const [id, accepted] of checkers.accepted) {
    const terminal = checkers.terminal.get(id);
    const deadline = Math.max(accepted.at, lastHealAt) + bound;
    if (terminal === undefined) {
      stuck.push(`${id} not terminal: ${describeParties(id, parties)}`);
    } else if (terminal.at > deadline) {
      stuck.push(`${id} terminal at ${fmtTime(terminal.at)}, after its bound ${fmtTime(deadline)}`);
    } else {
      const disagreement = disagree(id, terminal.outcome, parties);
      if (disagreement !== undefined)
        stuck.push(
          `${id} ${terminal.outcome} but ${disagreement}: ${describeParties(id, parties)}`,
        );
    }
  }
  if (stuck.length > 0) {
    sim.checkers.fail(
      'lifecycle',
      `${stuck.length} transfer(s) not settled on every party; first: ${stuck.slice(0, 5).join(' | ')}`,
    );
  }
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
  return [
    `saga=${parties.saga.get(id) ?? '-'}`,
    `province=${parties.txn.get(id)?.state ?? '-'}`,
    `wallet=${parties.decision.get(id) ?? '-'}`,
    `settlement=${parties.reversed.has(id) ? 'reversed' : parties.recorded.has(id) ? 'recorded' : '-'}`,
  ].join(' ');
}

/** W11: every completed transfer is received, or returned, by 06:00 after its day (+ bound). */
function checkReceipts(sim: Simulation, parties: Parties): void {
  const config = sim.scenario.protocol;
  if (!config.requireReceipt) return;
  const bound = sim.scenario.checks.lifecycleBoundMs;
  const stuck: string[] = [];
  for (const [id, terminal] of sim.checkers.terminal) {
    if (terminal.outcome !== 'completed') continue;
    const accepted = sim.checkers.accepted.get(id);
    if (accepted === undefined) continue;
    const deadline = Math.max(returnAtMs(accepted.at, config), sim.lastHealAt) + bound;
    const receipt = sim.checkers.receipts.get(id);
    if (receipt === undefined)
      stuck.push(`${id} neither received nor returned: ${describeParties(id, parties)}`);
    else if (receipt.at > deadline)
      stuck.push(`${id} ${receipt.outcome} at ${fmtTime(receipt.at)}, after ${fmtTime(deadline)}`);
    else {
      const off = disagree(id, receipt.outcome, parties);
      if (off !== undefined)
        stuck.push(`${id} ${receipt.outcome} but ${off}: ${describeParties(id, parties)}`);
    }
  }
  if (stuck.length > 0) {
    sim.checkers.fail(
      'lifecycle',
      `${stuck.length} receipt(s) not settled (W11); first: ${stuck.slice(0, 5).join(' | ')}`,
    );
  }
}

/** F1: every accepted binding is decided within its TTL (+ bound), and an active one is recorded. */
function checkBindings(sim: Simulation, parties: Parties): void {
  const ttl = sim.scenario.protocol.bindAuthTtlMs;
  const bound = sim.scenario.checks.lifecycleBoundMs;
  const stuck: string[] = [];
  for (const [id, accepted] of sim.checkers.bindAccepted) {
    const terminal = sim.checkers.bindTerminal.get(id);
    const deadline = Math.max(accepted.at + ttl, sim.lastHealAt) + bound;
    const saga = parties.bind.get(id);
    if (terminal === undefined)
      stuck.push(`binding ${id} undecided (saga ${String(saga?.value ?? '-')})`);
    else if (terminal.at > deadline)
      stuck.push(`binding ${id} decided at ${fmtTime(terminal.at)}, after ${fmtTime(deadline)}`);
    else if (terminal.outcome === 'active' && !parties.donorBindIds.has(id)) {
      stuck.push(`binding ${id} active but the relative's wallet has no record of it`);
    }
  }
  if (stuck.length > 0) {
    sim.checkers.fail(
      'lifecycle',
      `${stuck.length} binding(s) not settled (F1); first: ${stuck.slice(0, 5).join(' | ')}`,
    );
  }
}

function checkRequests(sim: Simulation): void {
  const { app } = sim;
  const total = sim.world.workload.length;
  if (
    app.pending.size > 0 ||
    app.billsOpen > 0 ||
    app.submitted !== total ||
    app.accepted + app.refused !== total
  ) {
    const first = [...app.pending.keys()].slice(0, 5).join(', ');
    sim.checkers.fail(
      'allRequestsAnswered',
      `${total} intents, ${app.submitted} submitted, ${app.accepted} accepted, ${app.refused} refused, ` +
        `${app.pending.size + app.billsOpen} unanswered${first ? ` (${first})` : ''}`,
    );
  }
}

function checkLiabilities(sim: Simulation, parties: Parties): void {
  const off = liabilityDisagreements(parties);
  if (off.length > 0)
    sim.checkers.fail(
      'liabilityMatches',
      `${off.length} region(s) disagree; ${off.slice(0, 3).join(' | ')}`,
    );
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
        `${region}: province due ${formatFen(due)}, wallet ledger ${formatFen(wallet)}, settlement ${formatFen(settled)}`,
      );
    }
  }
  return off;
}

function add(map: Map<string, Fen>, key: string, value: Fen): void {
  map.set(key, (map.get(key) ?? 0n) + value);
}
