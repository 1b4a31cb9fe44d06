// The checks both runtimes run over every actor's durable records, with what became of every
// business id (world/outcomes.ts): money conserved on the records (the recount), no transfer lost
// (each accepted one terminal on every party, within the bound after the last fault healed; each
// completed one received or returned by 06:00 the next day, W11), no binding lost, every request
// answered, each credit applied once, and the liabilities of the three parties agreeing per
// origin region. Bills, contributions, K9 and clearing are in world/payment_checks.ts.
//
// The simulator runs them at the end of a run (`horizon: 'end'`: everything scheduled has
// happened, and outcomes carry virtual times, so bounds are checked). The NATS checker runs them
// on a quiet cut of a live cluster (`'cut'`): work that waits for a person or the clock (a
// receipt until 06:00, a face until the binding's TTL, a POS that walked away) is pending, not
// lost, and times are not kept.
import { returnAtMs } from '../actors/calendar.ts';
import type { Fen } from '../protocol/index.ts';
import { formatFen } from '../protocol/index.ts';
import { fmtTime } from './faults.ts';
import { type FinalInput, late, reportStuck } from './final_input.ts';
import {
  claimsGap,
  describeClaims,
  describeMoney,
  type Fail,
  lawTotal,
  type Recount,
} from './invariants.ts';
import { describeParties, disagree, liabilityDisagreements, type Parties } from './parties.ts';
import {
  checkBills,
  checkClearing,
  checkContributions,
  checkProvincialDone,
  checkUnrecorded,
  checkWalletLiability,
} from './payment_checks.ts';

export function finalChecks(input: FinalInput, fail: Fail): void {
  checkTransfers(input, fail);
  checkReceipts(input, fail);
  checkBindings(input, fail);
  checkRequests(input, fail);
  checkLiabilities(input.parties, fail);
  checkBills(input, fail);
  checkUnrecorded(input.outcomes, input.parties, fail);
  checkContributions(input, fail);
  checkCredits(input.parties, fail);
  checkWalletLiability(input.parties, fail);
  checkClearing(input.parties, input.openingFunds, fail);
  if (input.horizon === 'end' && input.endMs !== undefined)
    checkProvincialDone(input.parties, input.protocol.startDate, input.endMs, fail);
}

/**
 * The conservation equation (docs/ARCHITECTURE.md) on a recount of the durable records, every
 * ledger summing to zero, and no account below zero.
 */
/** The law on a recount: every class adds up to what the run opened with (`opening`). */
export function checkRecount(money: Recount, opening: Fen, fail: Fail): void {
  const total = lawTotal(money);
  if (total !== opening) {
    fail(
      'conservation',
      `recount: ${describeMoney(money)} = ${formatFen(total)} ≠ opening ${formatFen(opening)}`,
    );
  }
  if (claimsGap(money.claims, money.backing) !== 0n)
    fail('walletLiability', `recount: ${describeClaims(money.claims, money.backing)}`);
  for (const [ledger, sum] of money.unbalanced) {
    fail('ledgerBalance', `${ledger} sums to ${formatFen(sum)}, not 0`);
  }
  for (const account of money.negative) fail('noNegativeBalance', `${account} is negative`);
}

function checkTransfers(input: FinalInput, fail: Fail): void {
  const { outcomes, parties, lastHealAt, lifecycleBoundMs } = input;
  const stuck: string[] = [];
  for (const [id, accepted] of outcomes.accepted) {
    const terminal = outcomes.terminal.get(id);
    const deadline =
      accepted.at === undefined ? undefined : Math.max(accepted.at, lastHealAt) + lifecycleBoundMs;
    if (terminal === undefined) {
      stuck.push(`${id} not terminal: ${describeParties(id, parties)}`);
    } else if (late(terminal.at, deadline)) {
      stuck.push(
        `${id} terminal at ${fmtTime(terminal.at)}, after its bound ${fmtTime(deadline ?? 0)}`,
      );
    } else {
      const off = disagree(id, terminal.outcome, parties);
      if (off !== undefined) {
        stuck.push(`${id} ${terminal.outcome} but ${off}: ${describeParties(id, parties)}`);
      }
    }
  }
  reportStuck(fail, stuck, 'transfer(s) not settled on every party');
}

/** W11: every completed transfer is received, or returned, by 06:00 after its day (+ bound). */
function checkReceipts(input: FinalInput, fail: Fail): void {
  const { outcomes, parties, protocol, lastHealAt, lifecycleBoundMs } = input;
  if (!protocol.requireReceipt) return;
  const stuck: string[] = [];
  for (const [id, terminal] of outcomes.terminal) {
    if (terminal.outcome !== 'completed') continue;
    const accepted = outcomes.accepted.get(id);
    if (accepted === undefined) continue;
    const receipt = outcomes.receipts.get(id);
    const deadline =
      accepted.at === undefined
        ? undefined
        : Math.max(returnAtMs(accepted.at, protocol), lastHealAt) + lifecycleBoundMs;
    if (receipt === undefined) {
      // On a live cluster the receipt waits for the person, or for 06:00: pending, not lost.
      if (input.horizon === 'end') {
        stuck.push(`${id} neither received nor returned: ${describeParties(id, parties)}`);
      }
    } else if (late(receipt.at, deadline)) {
      stuck.push(
        `${id} ${receipt.outcome} at ${fmtTime(receipt.at)}, after ${fmtTime(deadline ?? 0)}`,
      );
    } else {
      const off = disagree(id, receipt.outcome, parties);
      if (off !== undefined) {
        stuck.push(`${id} ${receipt.outcome} but ${off}: ${describeParties(id, parties)}`);
      }
    }
  }
  reportStuck(fail, stuck, 'receipt(s) not settled (W11)');
}

/**
 * F1: every accepted binding is decided within its TTL (+ bound), and an active one is recorded.
 */
function checkBindings(input: FinalInput, fail: Fail): void {
  const { outcomes, parties, protocol, lastHealAt, lifecycleBoundMs } = input;
  const stuck: string[] = [];
  for (const [id, accepted] of outcomes.bindAccepted) {
    const terminal = outcomes.bindTerminal.get(id);
    const deadline =
      accepted.at === undefined
        ? undefined
        : Math.max(accepted.at + protocol.bindAuthTtlMs, lastHealAt) + lifecycleBoundMs;
    const saga = parties.bind.get(id);
    if (terminal === undefined) {
      // On a live cluster a binding may wait for the relative's face until its TTL.
      const waiting = input.horizon === 'cut' && saga?.value === 'challenging';
      if (!waiting) stuck.push(`binding ${id} undecided (saga ${String(saga?.value ?? '-')})`);
    } else if (late(terminal.at, deadline)) {
      stuck.push(
        `binding ${id} decided at ${fmtTime(terminal.at)}, after ${fmtTime(deadline ?? 0)}`,
      );
    } else if (terminal.outcome === 'active' && !parties.donorBindIds.has(id)) {
      stuck.push(`binding ${id} active but the relative's wallet has no record of it`);
    }
  }
  reportStuck(fail, stuck, 'binding(s) not settled (F1)');
}

function checkRequests(input: FinalInput, fail: Fail): void {
  const r = input.requests;
  const sagas = input.outcomes.accepted.size;
  if (
    r.unanswered > 0 ||
    r.submitted !== r.total ||
    r.accepted + r.refused !== r.total ||
    r.acceptedTransfers !== sagas
  ) {
    const first = r.firstUnanswered.slice(0, 5).join(', ');
    fail(
      'allRequestsAnswered',
      `${r.total} intents, ${r.submitted} submitted, ${r.accepted} accepted, ` +
        `${r.refused} refused, ${r.unanswered} unanswered${first ? ` (${first})` : ''}` +
        (r.acceptedTransfers === sagas
          ? ''
          : `; ${r.acceptedTransfers} transfer requests accepted, ${sagas} transfer sagas`),
    );
  }
}

function checkLiabilities(parties: Parties, fail: Fail): void {
  const off = liabilityDisagreements(parties);
  if (off.length > 0) {
    fail('liabilityMatches', `${off.length} region(s) disagree; ${off.slice(0, 3).join(' | ')}`);
  }
}

/** Exactly once, on the records: no transfer credited twice, no person-year paid twice (C4). */
function checkCredits(parties: Parties, fail: Fail): void {
  const twice = parties.creditedTwice;
  if (twice.length > 0) {
    const first = twice.slice(0, 5).join(', ');
    fail(
      'exactlyOnce',
      `${twice.length} transfer(s) credited more than once in the wallets' records: ${first}`,
    );
  }
  const paidSlots = new Map<string, string>();
  for (const [payId, claim] of parties.claims) {
    if (claim.state !== 'paid') continue;
    const slot = `${claim.personId}.${claim.year}`;
    const other = paidSlots.get(slot);
    if (other !== undefined) fail('exactlyOnce', `C4: ${slot} paid twice (${other}, ${payId})`);
    paidSlots.set(slot, payId);
  }
}
