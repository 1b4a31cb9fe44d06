// The cluster checker's verdicts, without a broker: fed the durable records of a simulated run it
// must pass them, and each kind of damage (money created, a transfer left half-done, a credit
// applied twice, a request never answered) must fail the invariant that names it. These are the
// negative controls of the NATS checker.
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { APP_ADDRESS } from '../actors/addresses.ts';
import { scenarioFrom } from '../world/scenario.ts';
import { Simulation } from '../sim/simulation.ts';
import type { DurableView } from '../world/recount.ts';
import { evaluateCluster, type CheckOptions } from './check.ts';
import type { ActorReport } from './reconcile.ts';

const scenario = scenarioFrom({
  topology: { provinces: 3, regionsPerProvinceMax: 3 },
  population: { wallets: 500 },
  workload: { transfers: 400 },
  protocol: { walletShardCount: 2 },
  faults: [],
});
const sim = new Simulation(scenario).run();
const options: CheckOptions = {
  login: { servers: [], name: 'test' },
  scenario,
  addresses: [],
  quiesceTimeoutMs: 0,
  log: pino({ level: 'silent' }),
};

function views(): DurableView[] {
  return [...sim.hosts.values()]
    .filter((h) => h.address !== APP_ADDRESS)
    .map((h) => ({ address: h.address, store: { durable: new Map(h.store.durable) } }));
}

function reports(app: Partial<ActorReport> = {}): Map<string, ActorReport> {
  const base = {
    up: true,
    settled: true,
    openWork: 0,
    journalSeq: 0,
    records: 0,
    received: 0,
    rejected: {},
  };
  const all = new Map<string, ActorReport>();
  for (const address of sim.hosts.keys()) all.set(address, { ...base, address });
  all.set(APP_ADDRESS, {
    ...base,
    address: APP_ADDRESS,
    submitted: sim.app.submitted,
    accepted: sim.app.accepted,
    acceptedTransfers: sim.app.acceptedTransfers,
    refused: sim.app.refused,
    ...app,
  });
  return all;
}

function verdict(v: DurableView[], r = reports()) {
  const seqs = new Map([...r.values()].map((x) => [x.address, x.journalSeq]));
  const result = evaluateCluster(options, r, v, seqs, true, 0);
  return Object.fromEntries(Object.entries(result.invariants).map(([k, x]) => [k, x.ok]));
}

function edit(
  v: DurableView[],
  prefix: string,
  change: (key: string, value: unknown) => unknown,
): void {
  for (const view of v) {
    for (const [key, value] of view.store.durable) {
      if (key.startsWith(prefix)) {
        (view.store.durable as Map<string, unknown>).set(key, change(key, value));
        return;
      }
    }
  }
  throw new Error(`no record starting ${prefix}`);
}

describe('the cluster checker', () => {
  it('passes the final records of a clean run, with its counts', () => {
    expect(sim.checkers.ok).toBe(true);
    expect(Object.values(verdict(views())).every(Boolean)).toBe(true);
    const seqs = new Map<string, number>();
    const result = evaluateCluster(options, reports(), views(), seqs, true, 0);
    expect(result.counts['transfer.crossProvince.accepted']).toBe(
      [...sim.checkers.accepted.values()].filter((a) => a.scope === 'crossProvince').length,
    );
  });

  it('fails conservation when a fen appears from nowhere', () => {
    const v = views();
    edit(v, 'a:', (_k, a) => ({
      ...(a as object),
      available: (a as { available: bigint }).available + 1n,
    }));
    expect(verdict(v).conservation).toBe(false);
  });

  it('fails lifecycle when a transfer is left half-done', () => {
    const v = views();
    edit(v, 's:', (_k, s) => ({ ...(s as object), value: 'committing' }));
    expect(verdict(v).lifecycle).toBe(false);
  });

  it("fails clearing when a pooling fund gains money from nowhere (the funds' conservation law)", () => {
    const v = views();
    edit(v, 'f:fund', (_k, fund) => (fund as bigint) + 1n);
    expect(verdict(v).clearing).toBe(false);
  });

  it('fails walletLiability when wallet money of an origin appears that was never issued (K9)', () => {
    const v = views();
    edit(v, 'w:', (_k, w) => {
      const wallet = w as { value: unknown; context: { tranches: unknown[] } };
      const tranche = {
        originRegion: '110000',
        transferId: 'forged',
        donorId: 'x',
        amount: 100n,
        received: true,
      };
      return {
        value: wallet.value,
        context: { ...wallet.context, tranches: [...wallet.context.tranches, tranche] },
      };
    });
    expect(verdict(v).walletLiability).toBe(false);
  });

  it('fails exactlyOnce when a credit is applied by two wallets', () => {
    const v = views();
    let credited: string | undefined;
    for (const view of v)
      view.store.durable.forEach((value, key) => {
        const ids = key.startsWith('w:')
          ? (value as { context: { credited: string[] } }).context.credited
          : [];
        if (credited === undefined && ids.length > 0) credited = ids[0];
      });
    edit(v, 'w:', (_k, w) => {
      const wallet = w as { value: unknown; context: { credited: string[] } };
      return {
        value: wallet.value,
        context: { ...wallet.context, credited: [...wallet.context.credited, credited as string] },
      };
    });
    expect(verdict(v).exactlyOnce).toBe(false);
  });

  it('fails allRequestsAnswered when the app still waits for an answer', () => {
    expect(
      verdict(views(), reports({ openWork: 1, refused: sim.app.refused - 1 })).allRequestsAnswered,
    ).toBe(false);
  });

  it('fails lifecycle when an actor says its journal ends elsewhere than the stream does', () => {
    const r = reports();
    const seqs = new Map([...r.values()].map((x) => [x.address, x.journalSeq]));
    seqs.set('province.11', 99);
    const result = evaluateCluster(options, r, views(), seqs, true, 0);
    expect(result.invariants.lifecycle?.ok).toBe(false);
  });
});
