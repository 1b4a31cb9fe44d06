// The final checks of the money that leaves people's hands, on both runtimes: bills (F3) and
// contributions (F4) each at rest and agreed by the insured place or the resident fund; wallet
// liability per origin region (K9); and monthly clearing (F5, K10) with the pooling funds' own
// conservation law. world/final_checks.ts runs them with the rest.
import { provinceAddress } from '../actors/addresses.ts';
import { Calendar, parseDate } from '../actors/calendar.ts';
import { buildMatrix, netMultilateral, type Obligation, sumPositions } from '../actors/clearing.ts';
import { provincialClearingAt } from '../actors/provincial_clearing.ts';
import { aidLineId, type ClearingLine, medicalLineId } from '../actors/records.ts';
import { provinceOfRegion } from '../actors/regions.ts';
import type { ClearingLedger, Fen } from '../protocol/index.ts';
import { formatFen } from '../protocol/index.ts';
import { fmtTime } from './faults.ts';
import { type FinalInput, late, reportStuck } from './final_input.ts';
import type { Fail } from './invariants.ts';
import type { Outcomes } from './outcomes.ts';
import type { Parties } from './parties.ts';

/** F3: every started bill ends (or rests settled), and the insured place and settlement agree. */
export function checkBills(input: FinalInput, fail: Fail): void {
  const { outcomes, parties, protocol, lastHealAt, lifecycleBoundMs } = input;
  const stuck: string[] = [];
  const linesByPayment = linesByPaymentId(parties);
  for (const [id, bill] of outcomes.bills) {
    if (bill.outcome === 'started' || bill.outcome === 'presettled') {
      // On a live cluster a pre-settlement whose POS walked away waits for its TTL.
      if (!(input.horizon === 'cut' && bill.outcome === 'presettled')) {
        stuck.push(`bill ${id} still ${bill.outcome}`);
      }
      continue;
    }
    const deadline =
      bill.startedAt === undefined
        ? undefined
        : Math.max(bill.startedAt + protocol.presettleTtlMs, lastHealAt) + lifecycleBoundMs;
    if (late(bill.at, deadline) && bill.outcome !== 'cancelled' && bill.outcome !== 'reversed') {
      stuck.push(
        `bill ${id} ${bill.outcome} at ${fmtTime(bill.at)}, after ${fmtTime(deadline ?? 0)}`,
      );
    }
    const off = billDisagreement(id, bill.outcome, bill.wallet, parties, linesByPayment);
    if (off !== undefined) stuck.push(off);
  }
  reportStuck(fail, stuck, 'bill(s) not settled (F3)');
}

/** A line id is `<payment id>.<part>`: index them once, not once per bill. */
function linesByPaymentId(parties: Parties): Map<string, PaymentLine[]> {
  const byPayment = new Map<string, PaymentLine[]>();
  for (const [lineId, line] of parties.lines) {
    const payment = lineId.slice(0, lineId.indexOf('.'));
    const list = byPayment.get(payment);
    const entry = { ...line, lineId };
    if (list === undefined) byPayment.set(payment, [entry]);
    else list.push(entry);
  }
  return byPayment;
}

/** A clearing line with its id (a bill's medical share, its family aid, its wallet's parts). */
type PaymentLine = ClearingLine & { readonly lineId: string };

/** What the insured place or settlement says against a bill's outcome, if anything. */
function billDisagreement(
  id: string,
  outcome: string,
  walletPaid: Fen,
  parties: Parties,
  linesByPayment: ReadonlyMap<string, readonly PaymentLine[]>,
): string | undefined {
  const record = parties.bills.get(id);
  const aid = parties.aids.get(id);
  const live = (linesByPayment.get(id) ?? []).filter((line) => !line.undone);
  const sum = (ledger: ClearingLedger, only?: string) =>
    live
      .filter((l) => l.ledger === ledger && !l.reversal)
      .filter((l) => only === undefined || l.lineId === only)
      .reduce((n, l) => n + l.amount, 0n);
  if (outcome === 'settled') {
    if (record?.state !== 'committed') {
      return `bill ${id} settled but the insured place has it ${record?.state ?? 'missing'}`;
    }
    const aidPaid = aid?.state === 'committed' ? aid.amount : 0n;
    if (sum('medical', aidLineId(id)) !== aidPaid) {
      const paid = formatFen(aidPaid);
      return `bill ${id} settled: its family-aid line ≠ the relative's paid share ${paid}`;
    }
    if (aid?.state === 'reserved' || aid?.state === 'released')
      return `bill ${id} settled but the relative's share is ${aid.state}`;
    const medical = sum('medical', medicalLineId(id));
    if (medical !== record.fundPay + record.acctPay) {
      return (
        `bill ${id} settled: medical lines ${formatFen(medical)} ≠ fund + account ` +
        formatFen(record.fundPay + record.acctPay)
      );
    }
    const wallet = sum('wallet');
    if (wallet !== walletPaid) {
      return (
        `bill ${id} settled: wallet lines ${formatFen(wallet)} ≠ ` +
        `acctMulaidPay ${formatFen(walletPaid)}`
      );
    }
    // K6: the treatment region paid its provider.
    const provider = parties.providers.get(id)?.state ?? 'unpaid';
    if (provider !== 'paid') return `bill ${id} settled but its provider is ${provider}`;
  } else if (outcome === 'cancelled' || outcome === 'reversed' || outcome === 'expired') {
    if (parties.providers.get(id)?.state === 'paid')
      return `bill ${id} ${outcome} but its provider keeps the payment`;
    if (record !== undefined && record.state !== 'released' && record.state !== 'refunded') {
      return `bill ${id} ${outcome} but the insured place has it ${record.state}`;
    }
    if (aid?.state === 'reserved' || aid?.state === 'committed')
      return `bill ${id} ${outcome} but the relative's share is ${aid.state}`;
    if (live.length > 0) return `bill ${id} ${outcome} but ${live.length} clearing line(s) stand`;
  } else if (record !== undefined && record.state !== 'rejected') {
    return `bill ${id} refused but the insured place has it ${record.state}`;
  }
  return undefined;
}

/**
 * K3: a settled bill of this run that its treatment region reconciled as never paid for, and
 * for which no payment of that region stands. (A faulty POS's claim about a bill no run
 * started, about another region, or one a payment answers after all is counted, not a
 * violation.)
 */
export function checkUnrecorded(outcomes: Outcomes, parties: Parties, fail: Fail): void {
  const named: string[] = [];
  for (const [billId, region] of outcomes.unrecorded) {
    // Only a bill that rests settled must have a payment (an undone one keeps its refunded one).
    if (outcomes.bills.get(billId)?.outcome !== 'settled') continue;
    if (parties.bills.get(billId)?.treatmentRegion !== region) continue;
    if (parties.providers.get(billId)?.treatmentRegion === region) continue;
    named.push(`${billId} in ${region}`);
  }
  if (named.length > 0) {
    const what = `${named.length} bill(s) settled at the POS and never recorded (K3)`;
    fail('clearing', `${what}: ${named.sort().slice(0, 5).join(', ')}`);
  }
}

/** F4: every accepted payment is paid or rejected, and the resident fund agrees. */
export function checkContributions(input: FinalInput, fail: Fail): void {
  const { outcomes, parties } = input;
  const stuck: string[] = [];
  for (const [payId, outcome] of outcomes.contributions) {
    const claim = parties.claims.get(payId);
    if (outcome.outcome.startsWith('open:')) {
      stuck.push(`contribution ${payId} still ${outcome.outcome.slice('open:'.length)}`);
    }
    if (outcome.outcome === 'paid' && claim?.state !== 'paid') {
      stuck.push(`${payId} paid but the fund has it ${claim?.state ?? 'missing'}`);
    }
    if (outcome.outcome === 'rejected' && claim?.state === 'claimed') {
      stuck.push(`${payId} rejected but its claim still holds the person-year`);
    }
  }
  for (const [payId, claim] of parties.claims) {
    if (claim.state === 'claimed') stuck.push(`${payId} claimed but never paid or released`);
  }
  reportStuck(fail, stuck, 'contribution(s) not settled (F4)');
}

/**
 * K9 per origin region: wallet quota issued − returned (settlement's liability) − spent (its
 * wallet clearing lines) = what is still in wallets; and the shards count the same spending.
 */
export function checkWalletLiability(parties: Parties, fail: Fail): void {
  const spentByLines = new Map<string, Fen>();
  for (const line of parties.lines.values()) {
    if (line.ledger === 'wallet' && !line.undone && !line.reversal) {
      add(spentByLines, line.payerRegion, line.amount);
    }
  }
  const regions = new Set([
    ...parties.settlementLiability.keys(),
    ...parties.outstanding.keys(),
    ...spentByLines.keys(),
    ...parties.spent.keys(),
  ]);
  const backed = backedByRegion(parties);
  const off: string[] = [];
  for (const region of new Set([...regions, ...backed.keys(), ...parties.backing.keys()])) {
    const issued = parties.settlementLiability.get(region) ?? 0n;
    const spent = spentByLines.get(region) ?? 0n;
    const outstanding = parties.outstanding.get(region) ?? 0n;
    if (issued - spent !== outstanding) {
      off.push(
        `${region}: issued − returned ${formatFen(issued)} − spent ${formatFen(spent)} ≠ ` +
          `in wallets ${formatFen(outstanding)}`,
      );
    }
    const counted = parties.spent.get(region) ?? 0n;
    if (counted !== spent) {
      off.push(
        `${region}: shards spent ${formatFen(counted)}, settlement lines ${formatFen(spent)}`,
      );
    }
    // The origin region's backing: what its transfers committed (less returns, its due), less
    // what its wallet lines took into the funds that pay them, once per line.
    const gave = backed.get(region) ?? 0n;
    if (gave !== spent)
      off.push(`${region}: backing moved for lines ${formatFen(gave)}, lines ${formatFen(spent)}`);
    const due = parties.due.get(region) ?? 0n;
    const backing = parties.backing.get(region) ?? 0n;
    if (backing !== due - gave)
      off.push(
        `${region}: backing ${formatFen(backing)} ≠ committed − returned ${formatFen(due)} ` +
          `− moved for lines ${formatFen(gave)}`,
      );
  }
  if (off.length > 0) {
    fail('walletLiability', `${off.length} origin region(s) off; ${off.slice(0, 3).join(' | ')}`);
  }
  checkBackingPerLine(parties, fail);
}

/**
 * K9, line by line: each standing backing move `<pay>.b<i>` goes with the live wallet line
 * `<pay>.w<i>` of the same payer, payee and amount, and each live wallet line has its move.
 */
function checkBackingPerLine(parties: Parties, fail: Fail): void {
  const off: string[] = [];
  for (const [id, move] of parties.backings) {
    if (move.state !== 'backed') continue;
    const lineId = id.replace(/\.b(\d+)$/, '.w$1');
    const line = parties.lines.get(lineId);
    const same =
      line !== undefined &&
      !line.undone &&
      line.ledger === 'wallet' &&
      line.payerRegion === move.region &&
      line.payeeRegion === move.payeeRegion &&
      line.amount === move.amount;
    if (!same) off.push(`${id} moved ${formatFen(move.amount)} with no such line ${lineId}`);
  }
  for (const [lineId, line] of parties.lines) {
    if (line.ledger !== 'wallet' || line.undone || line.reversal) continue;
    const id = lineId.replace(/\.w(\d+)$/, '.b$1');
    if (parties.backings.get(id)?.state !== 'backed') off.push(`${lineId} has no backing move`);
  }
  if (off.length > 0)
    fail('walletLiability', `${off.length} wallet line(s) off; ${off.slice(0, 3).join(' | ')}`);
}

/** K9: what each origin region's backing gave the funds for its wallet lines, standing moves. */
function backedByRegion(parties: Parties): Map<string, Fen> {
  const backed = new Map<string, Fen>();
  for (const move of parties.backings.values())
    if (move.state === 'backed') add(backed, move.region, move.amount);
  return backed;
}

/**
 * F5 input and K10: per month, Σ net positions = 0 (netted multilaterally); the medical lines
 * per insured region agree with the insured places' settled bills; each batch's statements
 * clear exactly its lines (cleared = settled); and money between funds is conserved: Σ pooling
 * funds + the national clearing account = what they opened with, and the clearing account holds
 * exactly the prepayments once no batch is between funding and disbursal.
 */
export function checkClearing(parties: Parties, openingFunds: Fen, fail: Fail): void {
  checkFunds(parties, openingFunds, fail);
  checkFundAudit(parties, fail);
  checkBatches(parties, fail);
  checkProvincialBatches(parties, fail);
  const byMonth = new Map<number, Obligation[]>();
  const medicalByPayer = new Map<string, Fen>();
  for (const line of parties.lines.values()) {
    if (line.undone || line.reversal) continue;
    const obligations = byMonth.get(line.month) ?? [];
    if (line.payerRegion !== line.payeeRegion) {
      const { payerRegion: payer, payeeRegion: payee, ledger, amount } = line;
      obligations.push({ payer, payee, ledger, amount });
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
  // Family aid: the relative's region owes the treatment place what its account paid.
  for (const aid of parties.aids.values()) {
    if (aid.state === 'committed') add(settledByPayer, aid.region, aid.amount);
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

/** Σ pooling funds + the clearing account = opening; the clearing account holds the prepayments. */
function checkFunds(parties: Parties, openingFunds: Fen, fail: Fail): void {
  // Between statements and the last disbursal, money is on its way between a fund and the
  // clearing account: the law is checked when no batch is midway.
  const midway = [...parties.batches.values()].some(
    (b) => b.value === 'STATEMENTS_ISSUED' || b.value === 'FUNDED',
  );
  if (midway) return;
  // Resident contributions paid from personal accounts enter the funds from outside them (F4a);
  // what the funds advanced to providers leaves them (K6).
  // Wallet lines' backing enters them from the origin regions' backing (K9).
  const total = parties.funds + parties.clearingAccount;
  let backed = 0n;
  for (const amount of backedByRegion(parties).values()) backed += amount;
  const expected = openingFunds + parties.toFunds - parties.advanced + backed;
  if (total !== expected) {
    fail(
      'clearing',
      `Σ funds ${formatFen(parties.funds)} + ` +
        `clearing account ${formatFen(parties.clearingAccount)} = ` +
        `${formatFen(total)} ≠ opening ${formatFen(openingFunds)} + contributions ` +
        `${formatFen(parties.toFunds)} − paid to providers ${formatFen(parties.advanced)} + ` +
        `wallet lines' backing ${formatFen(backed)}`,
    );
  }
  let held = 0n;
  for (const p of parties.prepayments.values()) held += p.balance;
  if (held !== parties.clearingAccount) {
    fail(
      'clearing',
      `the clearing account ${formatFen(parties.clearingAccount)} ≠ ` +
        `prepayments held ${formatFen(held)}`,
    );
  }
}

/**
 * Each pooling region's fund, audited from the records of what it did rather than from its
 * postings: it opened with `opened`; took in its people's account shares and family aid of
 * settled bills and the contributions credited to it (F3, F4a); passed a cross-province bill's
 * fund and account shares (and aid) to its province's pool for national clearing (F5); advanced
 * its providers what they were paid but cash, less what the pool paid back for other provinces'
 * lines (K6); and took or paid its provincial clearing positions (F2b). A bill whose fund share
 * the fund never paid leaves the fund richer than its records say.
 */
function checkFundAudit(parties: Parties, fail: Fail): void {
  const expected = new Map<string, Fen>();
  for (const [code, { opened }] of parties.regionFunds) add(expected, code, opened);
  for (const [pool, moved] of parties.poolStatements) add(expected, pool, moved);
  const national = (payer: string, payee: string) =>
    provinceOfRegion(payer) !== provinceOfRegion(payee);
  const poolOf = (region: string) => `${provinceAddress(provinceOfRegion(region))}/pool`;
  for (const bill of parties.bills.values()) {
    if (bill.state !== 'committed') continue;
    const region = bill.insuredRegion;
    const crosses = national(region, bill.treatmentRegion);
    // A resident has no account (E1): the resident fund pays the fund share, to the pool or
    // over to the region's fund.
    add(expected, region, bill.acctPay);
    if (bill.resident === true) {
      add(expected, `${region}/resident`, -bill.fundPay);
      if (!crosses) add(expected, region, bill.fundPay);
    } else if (crosses) add(expected, region, -(bill.fundPay + bill.acctPay));
    if (crosses) add(expected, poolOf(region), bill.fundPay + bill.acctPay);
  }
  for (const aid of parties.aids.values()) {
    if (aid.state !== 'committed') continue;
    const crosses = national(aid.region, aid.treatmentRegion);
    add(expected, aid.region, crosses ? 0n : aid.amount);
    if (crosses) add(expected, poolOf(aid.region), aid.amount);
  }
  for (const claim of parties.claims.values()) {
    if (claim.state !== 'paid' || claim.fundRegion === undefined) continue;
    add(expected, `${claim.fundRegion}/resident`, claim.amount);
    // From a wallet (C3): advanced by the employee fund, which its clearing line repays.
    if (claim.fromWallet === true) add(expected, claim.fundRegion, -claim.amount);
  }
  for (const payment of parties.providers.values())
    if (payment.state === 'paid') {
      add(expected, payment.treatmentRegion, (payment.national ?? 0n) - payment.paid);
      add(expected, poolOf(payment.treatmentRegion), -(payment.national ?? 0n));
    }
  for (const months of parties.provincialBatches.values())
    for (const batch of months.values())
      for (const [code, position] of batch.positions) add(expected, code, position);
  // K9: a wallet line's backing went to the fund that pays the line.
  for (const move of parties.backings.values())
    if (move.state === 'backed')
      add(expected, move.national ? poolOf(move.region) : move.region, move.amount);
  const off: string[] = [];
  for (const code of new Set([...expected.keys(), ...parties.regionFunds.keys()])) {
    const want = expected.get(code) ?? 0n;
    const has = parties.regionFunds.get(code)?.fund ?? 0n;
    if (want !== has)
      off.push(`${code} holds ${formatFen(has)}, its records say ${formatFen(want)}`);
  }
  if (off.length > 0) {
    const named = off.sort().slice(0, 5).join('; ');
    fail('clearing', `${off.length} pooling fund(s) disagree with their records: ${named}`);
  }
}

/**
 * Cleared = settled per reconciled batch: the statements' gross payables are its national lines
 * (without those of the provinces it withheld, K10).
 */
function checkBatches(parties: Parties, fail: Fail): void {
  for (const { value, context: batch } of parties.batches.values()) {
    // Only the run's last months may still be open: their clearing falls after the horizon.
    if (value !== 'RECONCILED') continue;
    const byProvince = new Map<string, Fen>();
    for (const line of parties.lines.values()) {
      if (line.batch !== batch.month || line.dropped) continue;
      const payer = provinceOfRegion(line.payerRegion);
      const payee = provinceOfRegion(line.payeeRegion);
      if (payer === payee) continue;
      // K10: a withheld province's lines are not on the statements; they move on once it agrees.
      if (batch.withheld.includes(payer) || batch.withheld.includes(payee)) continue;
      const province = line.reversal ? payee : payer;
      add(byProvince, province, line.amount * (line.reversal ? -1n : 1n));
    }
    let sum = 0n;
    for (const s of Object.values(batch.statements)) sum += s.toReceive - s.toFund - s.drawn;
    if (sum !== 0n)
      fail('clearing', `${batch.month}: Σ net positions on the statements ${formatFen(sum)} ≠ 0`);
    let cleared = 0n;
    for (const s of Object.values(batch.statements)) cleared += s.medicalPayable + s.walletPayable;
    let settled = 0n;
    for (const v of byProvince.values()) settled += v;
    if (cleared !== settled && [...byProvince.values()].every((v) => v >= 0n)) {
      fail(
        'clearing',
        `${batch.month}: statements clear ${formatFen(cleared)}, ` +
          `the batch's lines say ${formatFen(settled)}`,
      );
    }
  }
}

/**
 * F2b: each cleared provincial batch paid exactly what its lines say: its regions' net
 * positions are the netting of the lines between the province's regions in that batch, they sum
 * to zero, and it cleared their gross total.
 */
function checkProvincialBatches(parties: Parties, fail: Fail): void {
  const byBatch = new Map<string, Obligation[]>();
  for (const line of parties.lines.values()) {
    const province = provinceOfRegion(line.payerRegion);
    if (line.dropped || line.payerRegion === line.payeeRegion) continue;
    if (province !== provinceOfRegion(line.payeeRegion)) continue;
    const key = `${province}|${line.batch}`;
    const { payerRegion, payeeRegion, ledger, amount } = line;
    const list = byBatch.get(key) ?? [];
    list.push(
      line.reversal
        ? { payer: payeeRegion, payee: payerRegion, ledger, amount }
        : { payer: payerRegion, payee: payeeRegion, ledger, amount },
    );
    byBatch.set(key, list);
  }
  for (const [province, months] of parties.provincialBatches) {
    for (const [month, batch] of months) {
      const obligations = byBatch.get(`${province}|${month}`) ?? [];
      const expected = netMultilateral(buildMatrix(obligations)).positions;
      const paid = new Map(batch.positions);
      let sum = 0n;
      for (const [, fen] of batch.positions) sum += fen;
      if (sum !== 0n)
        fail('clearing', `province ${province} ${month}: Σ positions ${formatFen(sum)} ≠ 0`);
      for (const region of new Set([...expected.keys(), ...paid.keys()])) {
        const owed = expected.get(region) ?? 0n;
        const got = paid.get(region) ?? 0n;
        if (owed !== got) {
          fail(
            'clearing',
            `province ${province} ${month}: region ${region} was cleared ${formatFen(got)}, ` +
              `its lines say ${formatFen(owed)}`,
          );
          break;
        }
      }
    }
  }
}

/**
 * F2b, at the end of a finished run: every month a province's lines fall in whose provincial
 * clearing day has passed is cleared (a batch record exists), lines or no money to move.
 */
export function checkProvincialDone(
  parties: Parties,
  startDate: string,
  endMs: number,
  fail: Fail,
): void {
  const calendar = new Calendar(parseDate(startDate));
  const due = new Set<string>();
  for (const line of parties.lines.values()) {
    const province = provinceOfRegion(line.payerRegion);
    if (province !== provinceOfRegion(line.payeeRegion)) continue;
    const at = provincialClearingAt(calendar, line.batch);
    if (at >= 0 && at <= endMs) due.add(`${province}|${line.batch}`);
  }
  const missing = [...due]
    .filter((key) => {
      const [province, month] = key.split('|') as [string, string];
      return parties.provincialBatches.get(province)?.has(Number(month)) !== true;
    })
    .sort();
  if (missing.length > 0) {
    const named = missing.slice(0, 5).map((k) => k.replace('|', ' '));
    const what = `${missing.length} province-month(s) past their clearing day and not cleared`;
    fail('clearing', `${what}: ${named.join(', ')}`);
  }
}

function add(map: Map<string, Fen>, key: string, value: Fen): void {
  map.set(key, (map.get(key) ?? 0n) + value);
}
