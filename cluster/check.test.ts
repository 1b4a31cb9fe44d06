// The cluster checker's own verdicts, without a broker: what only a live cluster can get wrong.
// Fed a world's opening records (a cluster before its first request) and the reports its actors
// would give, it passes them, in the simulator's result shape; an actor whose journal ends
// elsewhere than it says, a cluster that never went quiet, or a load generator that does not
// answer each fail the invariant that names them. The checks it shares with the simulator are
// tested on a simulated run's records in sim/record_checks.test.ts.
import { describe, expect, it } from 'vitest';

import { APP_ADDRESS } from '../actors/addresses.ts';
import { RECORDS } from '../actors/records.ts';
import { buildWorld } from '../world/build.ts';
import type { DurableView } from '../world/recount.ts';
import { evaluateCluster, type Gathered } from './check.ts';
import { clusterScenario } from './deployment.ts';
import { type ActorReport, openHolds } from './reconcile.ts';

const scenario = clusterScenario({ population: { wallets: 400 } });
const world = buildWorld(scenario);
const views: DurableView[] = [...world.actors].map(([address, spec]) => ({
  address,
  store: { durable: spec.opening },
}));

function report(address: string, extra: Partial<ActorReport> = {}): ActorReport {
  const base = { address, up: true, settled: true, openWork: 0, now: 36_000_000, journalSeq: 3 };
  return { ...base, records: 0, received: 0, rejected: {}, ...extra };
}

function gathered(change: Partial<Gathered> = {}, load: Partial<ActorReport> = {}): Gathered {
  const reports = new Map(views.map((v) => [v.address, report(v.address)]));
  reports.set(
    APP_ADDRESS,
    report(APP_ADDRESS, {
      total: 0,
      submitted: 0,
      accepted: 0,
      refused: 0,
      acceptedTransfers: 0,
      unanswered: 0,
      ...load,
    }),
  );
  const seqs = new Map(views.map((v) => [v.address, 3]));
  return { scenario, reports, views, seqs, quiesced: true, wallMs: 5, ...change };
}

const failed = (g: Gathered) =>
  Object.entries(evaluateCluster(g).invariants)
    .filter(([, r]) => !r.ok)
    .map(([name]) => name);

describe('the cluster checker', () => {
  it("passes a quiet cluster before its first request, in the simulator's result shape", () => {
    const result = evaluateCluster(gathered());
    expect(failed(gathered())).toEqual([]);
    expect(result.runtime).toBe('nats');
    expect(result.traceHash).toBeNull();
    expect(result.virtualTime).toBe('D0+10:00:00.000');
    expect(result.population.wallets).toBe(400);
    expect(result.cluster?.quiesced).toBe(true);
    expect(Object.keys(result.cluster?.actors ?? {}).sort()).toEqual(
      [...views.map((v) => v.address), APP_ADDRESS].sort(),
    );
  });

  it('fails lifecycle when an actor says its journal ends elsewhere than the stream does', () => {
    const g = gathered();
    const seqs = new Map(g.seqs);
    seqs.set('province.11', 99);
    expect(failed({ ...g, seqs })).toEqual(['lifecycle']);
    expect(evaluateCluster({ ...g, seqs }).invariants.lifecycle?.detail).toMatch(
      /province\.11 reports journal sequence 3 but its stream ends at 99/,
    );
  });

  it('fails lifecycle when the cluster did not quiesce, naming what was open', () => {
    const g = gathered({ quiesced: false, open: ['wallet.01 up, unsettled, open 2'] });
    expect(failed(g)).toEqual(['lifecycle']);
    expect(evaluateCluster(g).invariants.lifecycle?.detail).toMatch(/did not quiesce.*wallet\.01/);
  });

  it('fails allRequestsAnswered when the load generator does not answer, or still waits', () => {
    const g = gathered();
    const reports = new Map(g.reports);
    reports.delete(APP_ADDRESS);
    expect(failed({ ...g, reports })).toEqual(['allRequestsAnswered']);
    expect(
      failed(
        gathered(
          {},
          { total: 2, submitted: 2, accepted: 1, unanswered: 1, firstUnanswered: ['t1'] },
        ),
      ),
    ).toEqual(['allRequestsAnswered']);
  });
});

describe('open holds, as a province reports them when the cluster will not go quiet', () => {
  it('names each hold still open with its amount, the owner that asked for it and its age', () => {
    const records = new Map<string, unknown>([
      [
        RECORDS.txn.key('ORPHAN-1'),
        {
          accountId: 'p1',
          amount: 368_043n,
          state: 'reserved',
          reason: undefined,
          owner: 'wallet.01',
          at: 1_000,
        },
      ],
      [
        RECORDS.txn.key('T-2'),
        {
          accountId: 'p1',
          amount: 100n,
          state: 'committed',
          reason: undefined,
          owner: 'wallet.00',
          at: 0,
        },
      ],
      [
        RECORDS.txn.key('OLD'),
        { accountId: 'p1', amount: 5n, state: 'reserved', reason: undefined },
      ],
    ]);
    expect(openHolds(records, 61_000)).toEqual([
      'hold OLD: 0.05 yuan for ?, age unknown',
      'hold ORPHAN-1: 3680.43 yuan for wallet.01, 60 s old',
    ]);
    expect(openHolds(new Map(), 0)).toEqual([]);
  });
});
