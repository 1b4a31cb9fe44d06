// F5 monthly clearing, end to end in the simulator: a month of bills and contributions, then the
// settlement's batch for that month through the K8 calendar (close, allocation with each
// province's K10 confirmation, statements with K7 prepayments, funding, disbursal), money moving
// between the provinces' pooling funds and every invariant holding; and a province whose books
// disagree stops its month from clearing (K10), which the checkers report.
import { describe, expect, it } from 'vitest';

import type { Prepayment } from '../actors/clearing.ts';
import type { BatchContext } from '../actors/clearing_batch.machine.ts';
import type { ProvinceActor } from '../actors/province.actor.ts';
import { type BillRecord, RECORDS } from '../actors/records.ts';
import { scenarioFrom } from '../world/scenario.ts';
import { Simulation } from './simulation.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
// 2025-09-29 is day 0: October begins on day 2.
const OCT_1 = 2 * DAY;

function run(
  overrides: Record<string, unknown> = {},
  tamper?: (sim: Simulation) => void,
): Simulation {
  const sim = new Simulation(
    scenarioFrom({
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
      ...overrides,
    }),
  );
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
    expect(batch.disputes).toBe(0);
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
    let funds = 0n;
    for (const [address, host] of sim.hosts) {
      if (address.startsWith('province.')) funds += host.store.durable.get('f:fund') as bigint;
    }
    const ca = sim.hosts
      .get('settlement.0')!
      .store.durable.get(RECORDS.clearingAccount.key()) as bigint;
    expect(funds + ca).toBe(sim.world.openingFunds);
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

describe('K10: books that disagree stop the month', () => {
  it("K10: a province whose settled bills disagree with settlement's lines disputes (3262), and its month does not clear", () => {
    let forged = '';
    const sim = run({}, (s) => {
      // A settled bill the province has but settlement never got a line for: a broken record.
      const [address, host] = [...s.hosts].find(([a]) => a.startsWith('province.'))!;
      const book = (host.current as ProvinceActor).accountBook;
      const region = [...book.persons.values()][0]!.region;
      const bill: BillRecord = {
        personId: 'nobody',
        insuredRegion: region,
        treatmentRegion: region,
        fundPay: 100n,
        acctPay: 0n,
        remainder: 0n,
        state: 'committed',
        reason: undefined,
      };
      book.bills.set('forged', bill);
      (host.store.durable as Map<string, unknown>).set('k:forged', bill);
      forged = address.slice('province.'.length);
    });
    const batch = batchOf(sim, 202509);
    expect(batch.disputes).toBeGreaterThan(0);
    expect(batch.state === 'ALLOCATED' || batch.state === 'DISPUTED').toBe(true);
    expect(batch.confirmed).not.toContain(forged);
    // No money moved for the month, and the checkers say why.
    expect(Object.keys(batch.statements)).toEqual([]);
    expect(sim.checkers.results.get('clearing')).toMatchObject({ ok: false });
  });
});
