// F5 monthly clearing, end to end in the simulator: a month of bills and contributions, then the
// settlement's batch for that month through the K8 calendar (close, allocation with each
// province's K10 confirmation, statements with K7 prepayments, funding, disbursal), money moving
// between the provinces' pooling funds and every invariant holding; and a province whose books
// disagree stops its month from clearing (K10), which the checkers report.
import { describe, expect, it } from 'vitest';

import type { Prepayment } from '../actors/clearing.ts';
import type { BatchContext } from '../actors/clearing_batch.machine.ts';
import {
  type BackingMove,
  type ClearingLine,
  type DisputeRecord,
  type ProvincialBatch,
  RECORDS,
  type RegionRecord,
} from '../actors/records.ts';
import { provinceOfRegion } from '../actors/regions.ts';
import { encodeEnvelope } from '../protocol/index.ts';
import { readParties } from '../world/parties.ts';
import { checkProvincialDone } from '../world/payment_checks.ts';
import { countOutcomes } from '../world/result.ts';
import { scenarioFrom } from '../world/scenario.ts';
import { Simulation } from './simulation.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
// 2025-09-29 is day 0: October begins on day 2.
const OCT_1 = 2 * DAY;

const SMALL = {
  topology: { provinces: 4, regionsPerProvinceMax: 3 },
  population: { wallets: 3_000 },
  workload: {
    transfers: 600,
    bills: 900,
    contributions: 60,
    binds: 0,
    revokes: 0,
    enrolmentChanges: 0,
  },
  faults: [],
};

function run(
  overrides: Record<string, unknown> = {},
  tamper?: (sim: Simulation) => void,
): Simulation {
  const sim = new Simulation(scenarioFrom({ ...SMALL, ...overrides }));
  tamper?.(sim);
  return sim.run();
}

/** A month's batch as the settlement stored it: its state and its context. */
interface Batch extends BatchContext {
  readonly state: string;
}

function batchOf(sim: Simulation, month: number): Batch {
  const stored = sim.hosts.get('settlement.0')!.store.durable.get(RECORDS.clearingBatch.key(month));
  const { value, context } = stored as { value: string; context: BatchContext };
  return { ...context, state: value };
}

function records<T>(sim: Simulation, address: string, prefix: string): Map<string, T> {
  const out = new Map<string, T>();
  for (const [key, value] of sim.hosts.get(address)!.store.durable) {
    if (key.startsWith(prefix)) out.set(key.slice(prefix.length), value as T);
  }
  return out;
}

describe('F5: the monthly clearing batch', () => {
  const sim = run();
  const batch = batchOf(sim, 202509);
  const history = sim.checkers.batchHistory.filter((h) => h.month === 202509);

  it('clears September with every invariant ok', () => {
    expect([...sim.checkers.results].filter(([, r]) => !r.ok)).toEqual([]);
    expect(batch.state).toBe('RECONCILED');
    expect(batch.provinces.length).toBeGreaterThan(1);
  });

  it('K8: closes on the 1st, allocates on day 10, issues statements on day 20, then funds and disburses', () => {
    // Each step is reported once durable: a store sync (a few ms) after its scheduled time.
    const when = (state: string) => history.find((h) => h.state === state)?.at ?? -1;
    const near = (state: string, scheduled: number) => {
      expect(when(state), state).toBeGreaterThanOrEqual(scheduled);
      expect(when(state), state).toBeLessThan(scheduled + 1_000);
    };
    near('CLOSED', OCT_1);
    near('ALLOCATED', OCT_1 + 9 * DAY + 2 * HOUR);
    near('CONFIRMED', OCT_1 + 9 * DAY + 2 * HOUR);
    near('STATEMENTS_ISSUED', OCT_1 + 19 * DAY + 9 * HOUR);
    const order = history.map((h) => h.state);
    expect(order).toEqual([
      'CLOSED',
      'ALLOCATED',
      'CONFIRMED',
      'STATEMENTS_ISSUED',
      'FUNDED',
      'DISBURSED',
      'RECONCILED',
    ]);
    expect(when('RECONCILED')).toBeLessThan(OCT_1 + 20 * DAY);
  });

  it('K2: the allocation (清分) reaches every province of the batch and each confirms it (3261)', () => {
    expect([...batch.confirmed].sort()).toEqual([...batch.provinces]);
    expect(batch.disputed).toEqual([]);
    expect(batch.withheld).toEqual([]);
  });

  it("K1: a payer's due is drawn from its prepayment first, and only the rest is funded fresh", () => {
    const payers = Object.entries(batch.statements).filter(([, s]) => s.drawn + s.toFund > 0n);
    expect(payers.length).toBeGreaterThan(0);
    for (const [, s] of payers) {
      // The draw is min(due, balance): a fresh funding only once the prepayment is used up.
      if (s.toFund > 0n) expect(s.drawn).toBeGreaterThan(0n);
    }
    let due = 0n;
    let receive = 0n;
    for (const s of Object.values(batch.statements)) {
      due += s.drawn + s.toFund;
      receive += s.toReceive;
    }
    expect(due).toBe(receive);
  });

  it('K7: a prepayment used beyond 70 % is topped up to its size with the statement', () => {
    // Fewer insured people for the same bills: prepayments sized per insured person run low.
    const busy = run({ population: { wallets: 1_000 } });
    const busyBatch = batchOf(busy, 202509);
    const prepayments = records<Prepayment>(busy, 'settlement.0', 'pp:');
    const toppedUp = Object.entries(busyBatch.statements).filter(([, s]) => s.topUp > 0n);
    expect(toppedUp.length).toBeGreaterThan(0);
    for (const [province, s] of toppedUp) {
      const p = prepayments.get(province)!;
      expect(p.balance).toBe(p.size);
      expect(s.drawn * 10_000n).toBeGreaterThan(p.size * 3_000n);
    }
    // And the national clearing account holds exactly the prepayments once the batch is done.
    const held = [...prepayments.values()].reduce((n, p) => n + p.balance, 0n);
    const durable = busy.hosts.get('settlement.0')!.store.durable;
    expect(durable.get(RECORDS.clearingAccount.key())).toBe(held);
    expect([...busy.checkers.results].filter(([, r]) => !r.ok)).toEqual([]);
  });

  it('K7: December resets each prepayment to 2× its month on record, every invariant holding', () => {
    const december = run({ protocol: { startDate: '2025-12-08' } });
    expect([...december.checkers.results].filter(([, r]) => !r.ok)).toEqual([]);
    const dec = batchOf(december, 202512);
    expect(dec.state).toBe('RECONCILED');
    const prepayments = records<Prepayment>(december, 'settlement.0', 'pp:');
    let changed = 0;
    for (const [province, p] of prepayments) {
      const s = dec.statements[province]!;
      // One month on record: the new size is twice it, and the prepayment is full at that size.
      expect(p.history).toEqual([[202512, s.medicalPayable]]);
      expect(p.size).toBe(2n * s.medicalPayable);
      expect(p.balance).toBe(p.size);
      if (s.returned > 0n || s.topUp > 0n) changed++;
    }
    expect(changed).toBeGreaterThan(0);
    const held = [...prepayments.values()].reduce((n, p) => n + p.balance, 0n);
    const account = december.hosts.get('settlement.0')!.store.durable;
    expect(account.get(RECORDS.clearingAccount.key())).toBe(held);
  });

  it("moves money between pooling funds: payers' funds fall, receivers' rise, the total is kept", () => {
    // The provinces' funds for national clearing, and their regions' pooling funds (F2b), which
    // also took in the contributions paid from personal accounts (F4a).
    // Providers were paid out of the treatment regions' funds (K6).
    let funds = 0n;
    let contributions = 0n;
    let advanced = 0n;
    // Wallet lines' backing entered the funds from the origin regions' backing (K9).
    let backed = 0n;
    for (const [address, host] of sim.hosts) {
      if (!address.startsWith('province.')) continue;
      funds += host.store.durable.get('f:fund') as bigint;
      for (const move of records<BackingMove>(sim, address, 'wb:').values())
        if (move.state === 'backed') backed += move.amount;
      for (const region of records<RegionRecord>(sim, address, 'r:').values()) {
        funds += (region.fund ?? 0n) + (region.residentFund ?? 0n);
        contributions += region.toFunds ?? 0n;
        advanced += region.advanced ?? 0n;
      }
    }
    const ca = sim.hosts
      .get('settlement.0')!
      .store.durable.get(RECORDS.clearingAccount.key()) as bigint;
    expect(contributions).toBeGreaterThan(0n);
    expect(advanced).toBeGreaterThan(0n);
    expect(backed).toBeGreaterThan(0n);
    expect(funds + ca).toBe(sim.world.openingFunds + contributions - advanced + backed);
    const receivers = Object.values(batch.statements).filter((s) => s.toReceive > 0n);
    expect(receivers.length).toBeGreaterThan(0);
  });

  it('pairwise netting keeps the per-pair rows and moves the same money per province', () => {
    const pairwise = run({ protocol: { netting: 'pairwise' } });
    const other = batchOf(pairwise, 202509);
    expect(other.state).toBe('RECONCILED');
    expect(other.pairs.length).toBeGreaterThan(0);
    expect(batch.pairs).toEqual([]);
    expect(other.statements).toEqual(batch.statements);
  });
});

describe('K10: books that disagree stop only their province and month', () => {
  /**
   * A faulty shard's line for a bill that never was: 0.01 yuan owed by one province's insured to
   * another's treatment region, whose province (K2: the treatment side confirms) is returned.
   */
  function forgeLine(s: Simulation): string {
    const [insured, treatment] = s.world.topology.provinces;
    const payer = insured!.regions[0]!.code;
    const payee = treatment!.regions[0]!.code;
    const frame = encodeEnvelope({
      v: 1,
      id: 'forged-line',
      kind: 'settlement.record',
      from: 'wallet.00',
      to: 'settlement.0',
      corr: 'FORGED',
      sentAt: 0,
      body: {
        lineId: 'FORGED.m',
        month: 202509,
        ledger: 'medical',
        payerRegion: payer,
        payeeRegion: payee,
        amount: 1n,
      },
    });
    s.network.send('wallet.00', 'settlement.0', frame);
    return treatment!.code;
  }

  function disputesOf(sim: Simulation): Map<string, DisputeRecord> {
    return records<DisputeRecord>(sim, 'settlement.0', `${RECORDS.clearingDispute.prefix}:`);
  }

  it("K10: a forged 0.01-yuan line is disputed on day 10, voided from the treatment place's details (3202) and confirmed minutes later: the month clears on schedule", () => {
    let forged = '';
    const sim = run({}, (s) => {
      forged = forgeLine(s);
    });
    const batch = batchOf(sim, 202509);
    const dispute = disputesOf(sim).get(`202509.${forged}`);
    expect(dispute).toMatchObject({ state: 'resolved', corrected: 1 });
    // Opened at the allocation (day 10, 02:00), resolved a minute after the correction.
    expect(dispute!.openedAt).toBeGreaterThanOrEqual(OCT_1 + 9 * DAY + 2 * HOUR);
    expect(dispute!.resolvedAt! - dispute!.openedAt).toBeLessThan(HOUR);
    const line = records<ClearingLine>(sim, 'settlement.0', 'n:').get('FORGED.m');
    expect(line).toMatchObject({ undone: true, dropped: true });
    // Nothing withheld: the province was back before the statements, and the month reconciled.
    expect(batch.state).toBe('RECONCILED');
    expect(batch.withheld).toEqual([]);
    expect(batch.disputed).toEqual([forged]);
    expect([...sim.checkers.results].filter(([, r]) => !r.ok)).toEqual([]);
    const { counts } = countOutcomes(sim.checkers, { pending: false, requireReceipt: true });
    expect(counts['clearing.national.disputed']).toBe(1);
    expect(counts['clearing.national.resolved']).toBe(1);
    expect(counts['clearing.national.withheld']).toBe(0);
  });

  it('K10: a province cut off over the statement day is withheld while every other province clears on schedule; after the heal it corrects, confirms, and its lines move to the open batch', () => {
    // K2: the treatment province of the forged line is the one whose books disagree.
    const treatment = new Simulation(scenarioFrom(SMALL)).world.topology.provinces[1]!.code;
    const cutOff = {
      type: 'partition',
      // From day 9 of October to an hour after the statements (day 20, 09:00).
      at: OCT_1 + 8 * DAY,
      duration: 11 * DAY + 10 * HOUR,
      groupA: ['settlement.0'],
      groupB: [`province.${treatment}`],
    };
    const sim = run({ faults: [cutOff] }, (s) => {
      expect(forgeLine(s)).toBe(treatment);
    });
    const batch = batchOf(sim, 202509);
    // Every other province cleared on schedule: statements on day 20, reconciled.
    expect(batch.state).toBe('RECONCILED');
    expect(batch.withheld).toEqual([treatment]);
    expect(Object.keys(batch.statements)).not.toContain(treatment);
    expect(Object.keys(batch.statements).length).toBeGreaterThan(0);
    const issued = sim.checkers.batchHistory.find(
      (h) => h.month === 202509 && h.state === 'STATEMENTS_ISSUED',
    );
    expect(issued!.at).toBeLessThan(OCT_1 + 19 * DAY + 10 * HOUR);
    // After the heal: the next reconciliation (day 21, 02:00) finds the forged line, the
    // province's details void it, and it confirms a minute later.
    const dispute = disputesOf(sim).get(`202509.${treatment}`)!;
    expect(dispute).toMatchObject({ state: 'resolved', corrected: 1 });
    expect(dispute.resolvedAt).toBeGreaterThan(OCT_1 + 20 * DAY + 2 * HOUR);
    expect(dispute.resolvedAt).toBeLessThan(OCT_1 + 20 * DAY + 3 * HOUR);
    // Its September lines to and from other provinces now clear with October's batch.
    const lines = [...records<ClearingLine>(sim, 'settlement.0', 'n:').values()].filter(
      (l) => !l.dropped && l.month === 202509,
    );
    const crosses = (l: ClearingLine) =>
      provinceOfRegion(l.payerRegion) !== provinceOfRegion(l.payeeRegion);
    const touches = (l: ClearingLine) =>
      provinceOfRegion(l.payerRegion) === treatment ||
      provinceOfRegion(l.payeeRegion) === treatment;
    const moved = lines.filter((l) => crosses(l) && touches(l));
    expect(moved.length).toBeGreaterThan(0);
    for (const l of moved) expect(l.batch).toBe(202510);
    expect(lines.filter((l) => crosses(l) && !touches(l)).every((l) => l.batch === 202509)).toBe(
      true,
    );
    expect([...sim.checkers.results].filter(([, r]) => !r.ok)).toEqual([]);
    const { counts } = countOutcomes(sim.checkers, { pending: false, requireReceipt: true });
    expect(counts['clearing.national.withheld']).toBe(1);
  });
});

describe('F2b, K4: provincial clearing between the regions of a province', () => {
  const sim = run();
  const provinces = sim.world.topology.provinces.map((p) => p.code);
  const lines = (address: string, prefix: string) => records<ClearingLine>(sim, address, prefix);

  it('F2b: lines inside a province are kept by the province, not by the national hub (§3.1)', () => {
    const national = [...lines('settlement.0', 'n:').values()];
    expect(national.length).toBeGreaterThan(0);
    for (const l of national)
      expect(provinceOfRegion(l.payerRegion)).not.toBe(provinceOfRegion(l.payeeRegion));
    let kept = 0;
    for (const code of provinces) {
      for (const l of lines(`province.${code}`, 'pl:').values()) {
        expect(provinceOfRegion(l.payerRegion)).toBe(code);
        expect(provinceOfRegion(l.payeeRegion)).toBe(code);
        kept++;
      }
    }
    expect(kept).toBeGreaterThan(0);
  });

  it("F2b: each province nets September between its regions on 10 October at 02:00 and pays the regions' funds, Σ positions zero, every invariant holding", () => {
    let moved = 0;
    for (const code of provinces) {
      const batch = records<ProvincialBatch>(sim, `province.${code}`, 'pb:').get('202509');
      expect(batch, code).toBeDefined();
      expect(batch!.at).toBeGreaterThanOrEqual(OCT_1 + 9 * DAY + 2 * HOUR);
      expect(batch!.at).toBeLessThan(OCT_1 + 9 * DAY + 3 * HOUR);
      let sum = 0n;
      for (const [, fen] of batch!.positions) sum += fen;
      expect(sum).toBe(0n);
      // What the batch paid is what the lines between its regions net to, region by region.
      const owed = new Map<string, bigint>();
      for (const l of lines(`province.${code}`, 'pl:').values()) {
        if (l.batch !== 202509 || l.dropped || l.payerRegion === l.payeeRegion) continue;
        const sign = l.reversal ? -1n : 1n;
        owed.set(l.payeeRegion, (owed.get(l.payeeRegion) ?? 0n) + sign * l.amount);
        owed.set(l.payerRegion, (owed.get(l.payerRegion) ?? 0n) - sign * l.amount);
      }
      expect(new Map(batch!.positions)).toEqual(new Map([...owed].filter(([, fen]) => fen !== 0n)));
      if (batch!.positions.length > 0) moved++;
    }
    expect(moved).toBeGreaterThan(0);
    expect([...sim.checkers.results].filter(([, r]) => !r.ok)).toEqual([]);
  });

  it("D2: the insured region's pooling fund pays the fund share: every region fund agrees with its records, and a cross-province bill's shares went to the national pool", () => {
    const parties = readParties(sim.hosts.values());
    let national = 0;
    let local = 0;
    for (const bill of parties.bills.values()) {
      if (bill.state !== 'committed') continue;
      const crosses =
        provinceOfRegion(bill.insuredRegion) !== provinceOfRegion(bill.treatmentRegion);
      if (crosses) {
        expect(bill.toPool).toBe(bill.fundPay + bill.acctPay);
        national++;
      } else {
        expect(bill.toPool).toBeUndefined();
        local++;
      }
    }
    expect(national).toBeGreaterThan(0);
    expect(local).toBeGreaterThan(0);
    expect(parties.regionFunds.size).toBeGreaterThan(0);
    // Each province's pool is audited too: it funded statements or received disbursals.
    const pools = [...parties.regionFunds.keys()].filter((k) => k.endsWith('/pool'));
    expect(pools).toHaveLength(sim.world.topology.provinces.length);
    expect(parties.poolStatements.size).toBeGreaterThan(0);
    expect([...parties.regionFunds.keys()].some((k) => k.endsWith('/resident'))).toBe(true);
    expect(sim.checkers.results.get('clearing')).toMatchObject({ ok: true });
  });

  it('D2: a cross-province bill whose fund share the insured fund never paid is named by the fund audit', () => {
    const broken = run({ protocol: { variant: 'skipsFundShare' } });
    const clearing = broken.checkers.results.get('clearing');
    expect(clearing).toMatchObject({ ok: false });
    expect(clearing?.detail).toMatch(
      /pooling fund\(s\) disagree with their records: \d{6} holds [\d,.-]+, its records say/,
    );
  });

  it('F2b: a provincial clearing that forgets a region pair is caught by the clearing invariant', () => {
    const broken = run({ protocol: { variant: 'dropsRegionPair' } });
    const clearing = broken.checkers.results.get('clearing');
    expect(clearing).toMatchObject({ ok: false });
    expect(clearing?.detail).toMatch(/province \d\d 202509: region \d{6} was cleared/);
  });
});

describe('F2b: a month past its provincial clearing day must be cleared', () => {
  it('F2b: the final check names a province-month whose batch is missing', () => {
    const sim = run();
    const parties = readParties(sim.hosts.values());
    const ok: string[] = [];
    checkProvincialDone(parties, sim.scenario.protocol.startDate, sim.virtualMs, (_, d) =>
      ok.push(d),
    );
    expect(ok).toEqual([]);
    // A province that never cleared September (its batch record gone) is named.
    const [province] = [...parties.provincialBatches.keys()].sort();
    parties.provincialBatches.get(province!)!.delete(202509);
    const found: string[] = [];
    checkProvincialDone(parties, sim.scenario.protocol.startDate, sim.virtualMs, (_, d) =>
      found.push(d),
    );
    expect(found).toEqual([
      `1 province-month(s) past their clearing day and not cleared: ${province} 202509`,
    ]);
  });
});
