// The cluster's checker: quiesce, then check the invariants on the final state. It asks every
// actor (and the load generator) for its reconciliation report until all are settled with no open
// work and their journals stand still across two polls; then it reads every actor's journal from
// JetStream and judges those records with the simulator's checks (world/final_checks.ts). The
// result has the simulator's shape (world/result.ts), with `runtime: 'nats'`.
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import * as hdr from 'hdr-histogram-js';
import type { Logger } from 'pino';

import { APP_ADDRESS } from '../actors/addresses.ts';
import { unpack } from '../host/record_codec.ts';
import { buildWorld } from '../world/build.ts';
import { fmtTime } from '../world/faults.ts';
import { reportStuck, type Requests } from '../world/final_input.ts';
import type { Fail } from '../world/invariants.ts';
import { judgeRecords } from '../world/judge_records.ts';
import type { DurableView } from '../world/recount.ts';
import {
  type ClusterPart,
  countOutcomes,
  moneyOf,
  populationOf,
  ratesOf,
  type RunResult,
} from '../world/result.ts';
import type { Scenario } from '../world/scenario.ts';
import { clearingOfActors, type RunPictures } from '../world/timeline.ts';
import { readJournal } from './journal.ts';
import { connectNats, type NatsLogin } from './nats_transport.ts';
import type { ActorReport } from './reconcile.ts';
import { adminSubject } from './subjects.ts';

export interface CheckOptions {
  readonly login: NatsLogin;
  readonly scenario: Scenario;
  /** Every actor address of the deployment (the load generator's app.0 is added). */
  readonly addresses: readonly string[];
  /** Give up waiting for quiescence after this long, and report what is still open. */
  readonly quiesceTimeoutMs: number;
  readonly log: Logger;
  /** Given what report.html can draw of the cut (a cluster has no virtual clock: no timeline). */
  readonly onPictures?: (pictures: RunPictures) => void;
}

const POLL_MS = 500;

export async function checkCluster(options: CheckOptions): Promise<RunResult> {
  const t0 = performance.now();
  const nc = await connectNats(options.login);
  try {
    const addresses = [...options.addresses.filter((a) => a !== APP_ADDRESS), APP_ADDRESS];
    const { reports, quiesced, open } = await quiesce(nc, addresses, options);
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    const views: DurableView[] = [];
    const seqs = new Map<string, number>();
    for (const address of addresses.filter((a) => a !== APP_ADDRESS)) {
      const restored = await readJournal(js, jsm, address);
      views.push({ address, store: { durable: restored.records } });
      seqs.set(address, restored.lastSeq);
    }
    const wallMs = performance.now() - t0;
    const { scenario } = options;
    options.onPictures?.({ timeline: null, clearing: clearingOfActors(views), sequence: null });
    return evaluateCluster({
      scenario,
      reports,
      views,
      seqs,
      quiesced,
      wallMs,
      ...(open ? { open } : {}),
    });
  } finally {
    await nc.close();
  }
}

/** Poll every actor until all are settled, have no open work, and their journals stand still. */
async function quiesce(
  nc: NatsConnection,
  addresses: readonly string[],
  options: CheckOptions,
): Promise<{ reports: Map<string, ActorReport>; quiesced: boolean; open?: string[] }> {
  const deadline = Date.now() + options.quiesceTimeoutMs;
  let previous = new Map<string, ActorReport>();
  for (;;) {
    const reports = await poll(nc, addresses);
    const quiet = addresses.every((address) => {
      const now = reports.get(address);
      const before = previous.get(address);
      return (
        now !== undefined &&
        now.up &&
        now.settled &&
        now.openWork === 0 &&
        before !== undefined &&
        before.journalSeq === now.journalSeq &&
        before.received === now.received
      );
    });
    if (quiet) return { reports, quiesced: true };
    if (Date.now() > deadline) {
      const open = addresses.filter((a) => {
        const r = reports.get(a);
        return r === undefined || !r.up || !r.settled || r.openWork > 0;
      });
      const described = open.map((a) => {
        const r = reports.get(a);
        return r === undefined
          ? `${a} silent`
          : `${a} ${r.up ? 'up' : 'down'}, ${r.settled ? 'settled' : 'unsettled'}, ` +
              `open ${r.openWork}` +
              ((r.holds ?? []).length > 0 ? ` (${(r.holds ?? []).join('; ')})` : '');
      });
      options.log.warn({ open: described }, 'not quiescent before the timeout');
      return { reports, quiesced: false, open: described };
    }
    previous = reports;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

export async function poll(
  nc: NatsConnection,
  addresses: readonly string[],
): Promise<Map<string, ActorReport>> {
  const answers = await Promise.all(
    addresses.map(async (address) => {
      try {
        const msg = await nc.request(adminSubject(address), new Uint8Array(0), { timeout: 2_000 });
        return unpack(msg.data) as ActorReport;
      } catch {
        return undefined; // not serving right now (restarting, partitioned): poll again
      }
    }),
  );
  const reports = new Map<string, ActorReport>();
  for (const report of answers) if (report !== undefined) reports.set(report.address, report);
  return reports;
}

/** What the checker gathered from a live cluster, to be judged. */
export interface Gathered {
  readonly scenario: Scenario;
  /** Each actor's reconciliation report, the load generator's (app.0) among them. */
  readonly reports: ReadonlyMap<string, ActorReport>;
  /** Every actor's records, read back from its journal. */
  readonly views: readonly DurableView[];
  /** Where each actor's journal ends. */
  readonly seqs: ReadonlyMap<string, number>;
  readonly quiesced: boolean;
  readonly wallMs: number;
  /** Why quiescence was not reached: each actor still open, as the quiesce step saw it. */
  readonly open?: readonly string[];
}

/**
 * Judge a quiet cut of a live cluster with the simulator's own checks (world/final_checks.ts)
 * on the records its journals hold, plus what only a live cluster can get wrong: an actor whose
 * journal does not end where it says, or a cluster that never went quiet.
 */
export function evaluateCluster(gathered: Gathered): RunResult {
  const { scenario, reports, views } = gathered;
  const world = buildWorld(scenario);
  const load = reports.get(APP_ADDRESS);
  const { results, outcomes, money } = judgeRecords({
    world,
    views,
    refusals: load?.refusals ?? [],
    requests: requestsOf(load),
    horizon: 'cut',
    before: (fail) => {
      if (load === undefined) {
        fail(
          'allRequestsAnswered',
          'the load generator (app.0) did not answer the reconciliation query',
        );
      }
      clusterLifecycle(gathered, fail);
    },
  });
  const { counts, reasons } = countOutcomes(outcomes, {
    pending: true,
    requireReceipt: scenario.protocol.requireReceipt,
  });
  const virtualMs = Math.max(0, ...[...reports.values()].map((r) => r.now));
  return {
    runtime: 'nats',
    seed: scenario.seed,
    scenario: scenario.name,
    variant: scenario.protocol.variant,
    traceHash: null,
    virtualMs,
    virtualTime: fmtTime(virtualMs),
    wallMs: Math.round(gathered.wallMs),
    ok: [...results.values()].every((r) => r.ok),
    counts,
    reasons,
    invariants: Object.fromEntries(results),
    notices: { sms: outcomes.sms },
    requests: load?.requestsByKind ?? {},
    money: moneyOf(money, { people: world.openingTotal, funds: world.openingFunds }),
    population: populationOf(world),
    network: {},
    boundary: boundaryOf(reports),
    faults: [],
    lastHealAt: 'no fault schedule',
    lifecycleBoundMs: scenario.checks.lifecycleBoundMs,
    latencyMs: latencyOf(reports),
    cluster: {
      quiesced: gathered.quiesced,
      actors: actorsOf(reports),
      load: load === undefined ? null : requestsOf(load),
    },
    performance: null,
    rates: ratesOf(world.workload, scenario.workload.scale ?? 1, scenario.workload.days ?? 1),
    reported: null,
    days: [],
  };
}

/** Journals that end elsewhere than their actors say, and a cluster that never went quiet. */
function clusterLifecycle(gathered: Gathered, fail: Fail): void {
  const problems: string[] = [];
  for (const [address, report] of gathered.reports) {
    const seq = gathered.seqs.get(address);
    if (address !== APP_ADDRESS && seq !== report.journalSeq) {
      problems.push(
        `${address} reports journal sequence ${report.journalSeq} but its stream ends at ${seq}`,
      );
    }
  }
  if (!gathered.quiesced) {
    const why = gathered.open?.join('; ') || 'no actor said why';
    problems.push(`the cluster did not quiesce before the timeout (${why})`);
  }
  reportStuck(fail, problems, 'problem(s) of the live cluster');
}

/**
 * The load generator's account of its requests (none heard: nothing submitted, nothing answered).
 */
function requestsOf(load: ActorReport | undefined): Requests {
  return {
    total: load?.total ?? 0,
    submitted: load?.submitted ?? 0,
    accepted: load?.accepted ?? 0,
    refused: load?.refused ?? 0,
    acceptedTransfers: load?.acceptedTransfers ?? 0,
    unanswered: load?.unanswered ?? 0,
    firstUnanswered: load?.firstUnanswered ?? [],
  };
}

function boundaryOf(reports: ReadonlyMap<string, ActorReport>): Record<string, number> {
  const boundary: Record<string, number> = {};
  for (const report of reports.values()) {
    for (const [code, n] of Object.entries(report.rejected))
      boundary[code] = (boundary[code] ?? 0) + n;
  }
  return boundary;
}

export function latencyOf(reports: ReadonlyMap<string, ActorReport>): RunResult['latencyMs'] {
  const latency = hdr.build({ lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 3 });
  for (const report of reports.values()) {
    if (report.latency !== undefined) latency.add(hdr.decodeFromCompressedBase64(report.latency));
  }
  if (latency.totalCount === 0) return { p50: 0, p99: 0, max: 0 };
  return {
    p50: latency.getValueAtPercentile(50),
    p99: latency.getValueAtPercentile(99),
    max: latency.maxValue,
  };
}

function actorsOf(reports: ReadonlyMap<string, ActorReport>): ClusterPart['actors'] {
  const actors: ClusterPart['actors'] = {};
  for (const [address, r] of reports) {
    actors[address] = { journalSeq: r.journalSeq, records: r.records, received: r.received };
  }
  return actors;
}
