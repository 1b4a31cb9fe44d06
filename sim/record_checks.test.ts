// The checks on durable records alone (world/judge_records.ts), as the NATS checker runs them on a
// live cluster's journals, fed the stores of a finished simulated run: a clean run passes with the
// simulator's own counts, and each kind of damage (money created, a transfer left half-done, a
// fund gaining money, wallet money never issued, a wallet line's backing moved wrong, a credit
// applied twice, a request unanswered)
// fails the invariant that names it. These are the negative controls of the NATS checker.
import { describe, expect, it } from 'vitest';

import { APP_ADDRESS } from '../actors/addresses.ts';
import { type AccountRecord, type BackingMove, RECORDS } from '../actors/records.ts';
import { type PackedWallet, packWallet, readWallet } from '../actors/wallet_codec.ts';
import type { Requests } from '../world/final_input.ts';
import { judgeRecords } from '../world/judge_records.ts';
import type { DurableView } from '../world/recount.ts';
import { countOutcomes } from '../world/result.ts';
import { scenarioFrom } from '../world/scenario.ts';
import { Simulation } from './simulation.ts';

const scenario = scenarioFrom({
  topology: { provinces: 3, regionsPerProvinceMax: 3 },
  population: { wallets: 500 },
  workload: { transfers: 400, binds: 20, revokes: 5, bills: 60, contributions: 20 },
  protocol: { walletShardCount: 2 },
  faults: [],
});
const sim = new Simulation(scenario).run();

function views(): DurableView[] {
  return [...sim.hosts.values()]
    .filter((h) => h.address !== APP_ADDRESS)
    .map((h) => ({ address: h.address, store: { durable: new Map(h.store.durable) } }));
}

/** The app's refusals, as a load generator reports them from the facts its app emits. */
function refusals() {
  const out = [];
  for (const [id, t] of sim.checkers.terminal) {
    if (t.outcome === 'refused')
      out.push({ flow: 'transfer' as const, id, scope: t.scope, reason: t.reason ?? '?' });
  }
  for (const [id, t] of sim.checkers.bindTerminal) {
    if (t.outcome === 'refused' && !sim.checkers.bindAccepted.has(id)) {
      out.push({ flow: 'bind' as const, id, scope: t.scope, reason: t.reason ?? '?' });
    }
  }
  for (const [id, c] of sim.checkers.contributions) {
    if (c.outcome === 'refused')
      out.push({ flow: 'contribution' as const, id, scope: c.scope, reason: c.reason ?? '?' });
  }
  return out;
}

function judge(v: DurableView[], requests: Requests = sim.requests()) {
  return judgeRecords({
    world: sim.world,
    views: v,
    refusals: refusals(),
    requests,
    horizon: 'cut',
  });
}

function verdict(v: DurableView[], requests?: Requests): Record<string, boolean> {
  const { results } = judge(v, requests);
  return Object.fromEntries([...results].map(([name, r]) => [name, r.ok]));
}

/** Replace the first record of a kind in the views with what `change` makes of it. */
function edit(
  v: DurableView[],
  kind: keyof typeof RECORDS,
  change: (value: unknown) => unknown,
): void {
  const prefix = `${RECORDS[kind].prefix}:`;
  for (const view of v) {
    for (const [key, value] of view.store.durable) {
      if (key.startsWith(prefix)) {
        (view.store.durable as Map<string, unknown>).set(key, change(value));
        return;
      }
    }
  }
  throw new Error(`no ${kind} record`);
}

describe('checks on durable records alone', () => {
  it("pass the records of a clean run, and count every flow as the simulator's facts do", () => {
    expect(sim.checkers.ok).toBe(true);
    const { results, outcomes } = judge(views());
    expect([...results].filter(([, r]) => !r.ok)).toEqual([]);
    const options = { pending: true, requireReceipt: scenario.protocol.requireReceipt };
    const fromRecords = countOutcomes(outcomes, options).counts;
    const fromFacts = countOutcomes(sim.checkers, options).counts;
    // Relation ends are counted once per relation from records, once per side that ended it
    // from facts; everything else agrees exactly.
    const sameKeys = (counts: Record<string, number>) =>
      Object.fromEntries(Object.entries(counts).filter(([k]) => !k.endsWith('.ended')));
    expect(sameKeys(fromRecords)).toEqual(sameKeys(fromFacts));
    expect(fromRecords['transfer.crossProvince.accepted']).toBeGreaterThan(0);
  });

  it('fail conservation when a fen appears from nowhere', () => {
    const v = views();
    edit(v, 'account', (a) => ({
      ...(a as AccountRecord),
      available: (a as AccountRecord).available + 1n,
    }));
    expect(verdict(v).conservation).toBe(false);
  });

  it('fail lifecycle when a transfer is left half-done', () => {
    const v = views();
    edit(v, 'transferSaga', (s) => ({ ...(s as object), value: 'committing' }));
    expect(verdict(v).lifecycle).toBe(false);
  });

  it("fail clearing when a pooling fund gains money from nowhere (the funds' conservation law)", () => {
    const v = views();
    edit(v, 'poolingFund', (fund) => (fund as bigint) + 1n);
    expect(verdict(v).clearing).toBe(false);
  });

  it('fail walletLiability when wallet money of an origin appears that was never issued (K9)', () => {
    const v = views();
    edit(v, 'wallet', (w) => {
      const { value, context } = readWallet('forged', w as PackedWallet);
      const forged = {
        originRegion: '110000',
        transferId: 'forged',
        donorId: 'x',
        amount: 100n,
        received: true,
      };
      return packWallet(value, { ...context, tranches: [...context.tranches, forged] });
    });
    expect(verdict(v).walletLiability).toBe(false);
  });

  it("fail walletLiability when a wallet line's backing was moved twice as much (K9)", () => {
    const v = views();
    edit(v, 'backingMove', (m) => ({
      ...(m as BackingMove),
      amount: (m as BackingMove).amount * 2n,
    }));
    const judged = judge(v).results;
    expect(judged.get('walletLiability')?.ok).toBe(false);
    // The claims identity of the recount sees it first, the per-region and per-line checks too.
    expect(judged.get('walletLiability')?.detail).toMatch(/recount: wallet .* backed .*off by/);
    expect(judged.get('walletLiability')?.violations).toBe(3);
  });

  it("fail walletLiability when a wallet line's backing move names another payee than its line (K9)", () => {
    const v = views();
    edit(v, 'backingMove', (m) => ({ ...(m as BackingMove), payeeRegion: '999999' }));
    const judged = judge(v).results.get('walletLiability');
    expect(judged?.ok).toBe(false);
    expect(judged?.detail).toMatch(/wallet line\(s\) off; .*\.b\d+ moved .* with no such line/);
  });

  it("fail clearing, not walletLiability, when a wallet line's backing went to the wrong fund (K9)", () => {
    const v = views();
    edit(v, 'backingMove', (m) => ({
      ...(m as BackingMove),
      national: !(m as BackingMove).national,
    }));
    const judged = verdict(v);
    expect(judged.walletLiability).toBe(true);
    expect(judged.clearing).toBe(false);
  });

  it('fail exactlyOnce when a credit is applied by two wallets', () => {
    const v = views();
    const credited = [...sim.checkers.accepted.keys()].find(
      (id) => sim.checkers.terminal.get(id)?.outcome === 'completed',
    );
    edit(v, 'wallet', (w) => {
      const { value, context } = readWallet('twice', w as PackedWallet);
      return packWallet(value, { ...context, credited: [...context.credited, credited as string] });
    });
    expect(verdict(v).exactlyOnce).toBe(false);
  });

  it('fail allRequestsAnswered when the app still waits for an answer', () => {
    const requests = { ...sim.requests(), unanswered: 1, refused: sim.app.refused - 1 };
    expect(verdict(views(), requests).allRequestsAnswered).toBe(false);
  });

  it('fail allRequestsAnswered when an accepted transfer request left no saga', () => {
    const requests = { ...sim.requests(), acceptedTransfers: sim.app.acceptedTransfers + 1 };
    expect(verdict(views(), requests).allRequestsAnswered).toBe(false);
  });
});
