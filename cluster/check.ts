// The cluster's checker: quiesce, then check the invariants on the final state. It asks every
// actor (and the load generator) for its reconciliation report until all are settled with no open
// work and their journals stand still across two polls; then it reads every actor's journal from
// JetStream, confirms each actor's live view ends where its journal does, and runs the
// simulator's recount and final checks on those records. The result has the simulator's shape.
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import * as hdr from 'hdr-histogram-js';
import type { Logger } from 'pino';
import { APP_ADDRESS } from '../actors/addresses.ts';
import {
  scopeOf,
  type BillSnapshot,
  type BindSnapshot,
  type ContributionSnapshot,
  type SagaSnapshot,
  type WalletSnapshot,
} from '../actors/wallet_shard.actor.ts';
import { formatFen } from '../protocol/index.ts';
import { INVARIANTS, type InvariantName, type InvariantResult } from '../world/checkers.ts';
import {
  checkClearing,
  checkWalletLiability,
  describeParties,
  disagree,
  liabilityDisagreements,
  readParties,
} from '../world/final_checks.ts';
import { recount, type DurableView } from '../world/recount.ts';
import { SCOPES } from '../sim/report.ts';
import type { Scenario } from '../world/scenario.ts';
import { buildWorld } from '../world/build.ts';
import { readJournal } from './journal.ts';
import { connectNats, type NatsLogin } from './nats_transport.ts';
import { unpack } from './record_codec.ts';
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
}

export interface ClusterResult {
  readonly scenario: string;
  readonly seed: number;
  readonly mode: 'nats';
  readonly ok: boolean;
  readonly wallMs: number;
  readonly quiesced: boolean;
  readonly counts: Record<string, number>;
  readonly reasons: Record<string, number>;
  readonly invariants: Record<string, InvariantResult>;
  readonly money: Record<string, string>;
  readonly boundary: Record<string, number>;
  readonly latencyMs: { p50: number; p99: number; max: number };
  readonly actors: Record<string, { journalSeq: number; records: number; received: number }>;
  readonly load: ActorReport | undefined;
}

const POLL_MS = 500;

export async function checkCluster(options: CheckOptions): Promise<ClusterResult> {
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
    return evaluateCluster(options, reports, views, seqs, quiesced, performance.now() - t0, open);
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
          : `${a} ${r.up ? 'up' : 'down'}, ${r.settled ? 'settled' : 'unsettled'}, open ${r.openWork}`;
      });
      options.log.warn({ open: described }, 'not quiescent before the timeout');
      return { reports, quiesced: false, open: described };
    }
    previous = reports;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function poll(
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

export function evaluateCluster(
  options: CheckOptions,
  reports: ReadonlyMap<string, ActorReport>,
  views: readonly DurableView[],
  seqs: ReadonlyMap<string, number>,
  quiesced: boolean,
  wallMs: number,
  /** Why quiescence was not reached: each actor still open, as the quiesce step saw it. */
  open: readonly string[] = [],
): ClusterResult {
  const { scenario } = options;
  const world = buildWorld(scenario);
  const results = new Map<InvariantName, InvariantResult>(
    INVARIANTS.map((name) => [name, { ok: true }]),
  );
  const fail = (name: InvariantName, detail: string, violations = 1) =>
    results.set(name, { ok: false, detail, violations });

  const money = recount(views);
  const total =
    money.available + money.held + money.wallet - money.overlap + money.returning + money.outside;
  if (total !== world.openingTotal) {
    fail(
      'conservation',
      `Σ available ${formatFen(money.available)} + held ${formatFen(money.held)} + wallet ` +
        `${formatFen(money.wallet)} − overlap ${formatFen(money.overlap)} + returning ${formatFen(money.returning)} + ` +
        `outside ${formatFen(money.outside)} = ` +
        `${formatFen(total)}, opening ${formatFen(world.openingTotal)}`,
    );
  }
  if (money.unbalanced.length > 0) {
    fail(
      'ledgerBalance',
      money.unbalanced.map(([l, s]) => `${l} sums to ${formatFen(s)}`).join('; '),
      money.unbalanced.length,
    );
  }
  if (money.negative.length > 0)
    fail('noNegativeBalance', money.negative.slice(0, 5).join(', '), money.negative.length);

  const credits = new Map<string, number>();
  const sagas = new Map<string, SagaSnapshot['context'] & { value: string }>();
  const bindCounts: Record<string, number> = {};
  const billSagas = new Map<string, { value: string; scope: string }>();
  const payments = new Map<string, { value: string; scope: string }>();
  for (const view of views) {
    view.store.durable.forEach((value, key) => {
      if (key.startsWith('g:')) {
        const bill = value as BillSnapshot;
        billSagas.set(key.slice(2), { value: String(bill.value), scope: bill.context.scope });
      } else if (key.startsWith('y:')) {
        const pay = value as ContributionSnapshot;
        payments.set(key.slice(2), { value: String(pay.value), scope: pay.context.scope });
      } else if (key.startsWith('b:')) {
        // Bindings (F1): counted by outcome; one waiting for a face may wait out its TTL.
        const bind = value as BindSnapshot;
        const { donorRegion, relativeRegion, idNo } = bind.context;
        const scope = scopeOf(donorRegion, relativeRegion ?? idNo.slice(0, 6));
        bump(
          bindCounts,
          `bind.${scope}.${bind.value === 'challenging' ? 'pending' : String(bind.value)}`,
        );
        bump(bindCounts, `bind.${scope}.accepted`);
      } else if (key.startsWith('w:')) {
        for (const id of (value as WalletSnapshot).context.credited)
          credits.set(id, (credits.get(id) ?? 0) + 1);
      } else if (key.startsWith('s:')) {
        const saga = value as SagaSnapshot;
        sagas.set(key.slice(2), { ...saga.context, value: String(saga.value) });
      }
    });
  }
  const twice = [...credits].filter(([, n]) => n > 1).map(([id]) => id);
  if (twice.length > 0)
    fail('exactlyOnce', `credited more than once: ${twice.slice(0, 5).join(', ')}`, twice.length);

  const parties = readParties(views);
  const stuck: string[] = [];
  const counts: Record<string, number> = {};
  const reasons: Record<string, number> = {};
  for (const scope of SCOPES)
    for (const o of ['accepted', 'completed', 'rejected', 'refused'])
      counts[`transfer.${scope}.${o}`] = 0;
  for (const scope of SCOPES)
    for (const o of ['received', 'returned', 'pending']) counts[`return.${scope}.${o}`] = 0;
  for (const [id, saga] of sagas) {
    counts[`transfer.${saga.scope}.accepted`]! += 1;
    // A completed transfer may wait for its receipt until 06:00 the next day (W11): the
    // transfer is terminal, and its receipt is counted as pending, not as stuck.
    const outcome = COMPLETED_STATES.has(saga.value) ? 'completed' : saga.value;
    if (outcome !== 'completed' && outcome !== 'rejected') {
      stuck.push(`${id} not terminal: ${describeParties(id, parties)}`);
      continue;
    }
    counts[`transfer.${saga.scope}.${outcome}`]! += 1;
    if (saga.reason !== undefined)
      bump(reasons, `transfer.${saga.scope}.${outcome}.${saga.reason}`);
    const off =
      disagree(id, outcome, parties) ??
      (saga.value === 'received' || saga.value === 'returned'
        ? disagree(id, saga.value, parties)
        : undefined);
    if (off !== undefined)
      stuck.push(`${id} ${saga.value} but ${off}: ${describeParties(id, parties)}`);
    if (saga.value === 'received' || saga.value === 'returned')
      bump(counts, `return.${saga.scope}.${saga.value}`);
    else if (saga.value === 'awaitingReceipt') bump(counts, `return.${saga.scope}.pending`);
  }
  Object.assign(counts, bindCounts);
  for (const [address, report] of reports) {
    if (address !== APP_ADDRESS && seqs.get(address) !== report.journalSeq) {
      stuck.push(
        `${address} reports journal sequence ${report.journalSeq} but its stream ends at ${seqs.get(address)}`,
      );
    }
  }
  if (!quiesced)
    stuck.push(
      `the cluster did not quiesce before the timeout (${open.join('; ') || 'no actor said why'})`,
    );
  if (stuck.length > 0)
    fail(
      'lifecycle',
      `${stuck.length} problem(s); first: ${stuck.slice(0, 5).join(' | ')}`,
      stuck.length,
    );

  const load = reports.get(APP_ADDRESS);
  for (const [key, n] of Object.entries(load?.refusedByScope ?? {})) {
    const [scope, reason] = key.split('.');
    counts[`transfer.${scope}.refused`] = (counts[`transfer.${scope}.refused`] ?? 0) + n;
    bump(reasons, `transfer.${scope}.refused.${reason}`, n);
  }
  if (load === undefined) {
    fail(
      'allRequestsAnswered',
      'the load generator (app.0) did not answer the reconciliation query',
    );
  } else if (
    load.openWork > 0 ||
    (load.accepted ?? 0) + (load.refused ?? 0) !== load.submitted ||
    (load.acceptedTransfers ?? load.accepted) !== sagas.size
  ) {
    fail(
      'allRequestsAnswered',
      `${load.submitted} submitted, ${load.accepted} accepted, ${load.refused} refused, ` +
        `${load.openWork} open; ${sagas.size} transfer sagas in the journals`,
    );
  }
  const liabilities = liabilityDisagreements(parties);
  if (liabilities.length > 0)
    fail('liabilityMatches', liabilities.slice(0, 3).join(' | '), liabilities.length);
  // K9, K10 and the funds' law, on the same records as the simulator's final checks.
  checkWalletLiability(parties, (name, detail) => fail(name, detail));
  checkClearing(parties, world.openingFunds, (name, detail) => fail(name, detail));
  // F3 and F4 from their sagas' records: each at rest, and the insured place or fund agreeing.
  for (const [id, bill] of billSagas) {
    bump(
      counts,
      `${bill.scope === 'crossProvince' ? 'directSettlement' : 'spend'}.${bill.scope}.${bill.value}`,
    );
    const record = parties.bills.get(id);
    const off =
      bill.value === 'settled' && record?.state !== 'committed'
        ? `settled but the insured place has it ${record?.state}`
        : (bill.value === 'cancelled' || bill.value === 'reversed' || bill.value === 'expired') &&
            record !== undefined &&
            record.state !== 'released' &&
            record.state !== 'refunded'
          ? `${bill.value} but ${record.state}`
          : !BILL_AT_REST.has(bill.value)
            ? `still ${bill.value}`
            : undefined;
    if (off !== undefined) stuck.push(`bill ${id} ${off}`);
  }
  for (const [id, pay] of payments) {
    bump(
      counts,
      `contribution.${pay.scope}.${pay.value === 'paid' ? 'paid' : pay.value === 'rejected' ? 'rejected' : pay.value}`,
    );
    const claim = parties.claims.get(id);
    if (pay.value === 'paid' && claim?.state !== 'paid')
      stuck.push(`contribution ${id} paid but the fund has it ${claim?.state}`);
    if (pay.value !== 'paid' && pay.value !== 'rejected')
      stuck.push(`contribution ${id} still ${pay.value}`);
  }
  if (stuck.length > 0 && results.get('lifecycle')?.ok !== false) {
    fail(
      'lifecycle',
      `${stuck.length} problem(s); first: ${stuck.slice(0, 5).join(' | ')}`,
      stuck.length,
    );
  }

  const boundary: Record<string, number> = {};
  const latency = hdr.build({ lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 3 });
  const actors: ClusterResult['actors'] = {};
  for (const [address, report] of reports) {
    for (const [code, n] of Object.entries(report.rejected)) bump(boundary, code, n);
    if (report.latency !== undefined) latency.add(hdr.decodeFromCompressedBase64(report.latency));
    actors[address] = {
      journalSeq: report.journalSeq,
      records: report.records,
      received: report.received,
    };
  }
  const invariants = Object.fromEntries(results);
  return {
    scenario: scenario.name,
    seed: scenario.seed,
    mode: 'nats',
    ok: [...results.values()].every((r) => r.ok),
    wallMs: Math.round(wallMs),
    quiesced,
    counts,
    reasons,
    invariants,
    money: {
      openingTotal: formatFen(world.openingTotal),
      available: formatFen(money.available),
      held: formatFen(money.held),
      wallet: formatFen(money.wallet),
      inFlightOverlap: formatFen(money.overlap),
      returning: formatFen(money.returning),
    },
    boundary,
    latencyMs:
      latency.totalCount === 0
        ? { p50: 0, p99: 0, max: 0 }
        : {
            p50: latency.getValueAtPercentile(50),
            p99: latency.getValueAtPercentile(99),
            max: latency.maxValue,
          },
    actors,
    load,
  };
}

/** Bill saga states at rest: final, settled (a cancel may still come), or pre-settled (the POS walked away). */
const BILL_AT_REST: ReadonlySet<string> = new Set([
  'settled',
  'refused',
  'cancelled',
  'reversed',
  'expired',
  'presettled',
]);

/** Saga states in which the transfer itself has completed (W11's receipt may still be open). */
const COMPLETED_STATES: ReadonlySet<string> = new Set([
  'completed',
  'awaitingReceipt',
  'received',
  'returned',
]);

function bump(counts: Record<string, number>, key: string, n = 1): void {
  counts[key] = (counts[key] ?? 0) + n;
}

/** A short summary for the terminal, in the simulator's layout. */
export function summarizeCluster(result: ClusterResult): string {
  const lines = [
    `gongji ${result.scenario} seed=${result.seed} on NATS (${Object.keys(result.actors).length} actors)`,
  ];
  const latency =
    result.latencyMs.max === 0
      ? 'none timed since the hosts last started'
      : `p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms`;
  lines.push(
    `  checked in ${(result.wallMs / 1000).toFixed(1)} s, quiesced: ${result.quiesced ? 'yes' : 'NO'}; ` +
      `transfer latency (accepted → terminal, wall, since each host started): ${latency}`,
  );
  if (result.load !== undefined) {
    lines.push(
      `  load: ${result.load.submitted} submitted, ${result.load.accepted} accepted, ${result.load.refused} refused`,
    );
  }
  lines.push('');
  const outcomes = ['accepted', 'completed', 'rejected', 'refused'];
  lines.push(`  ${'scope'.padEnd(14)}${outcomes.map((o) => o.padStart(11)).join('')}`);
  for (const scope of SCOPES) {
    lines.push(
      `  ${scope.padEnd(14)}${outcomes.map((o) => String(result.counts[`transfer.${scope}.${o}`] ?? 0).padStart(11)).join('')}`,
    );
  }
  const refusedAtBoundary = Object.entries(result.boundary)
    .map(([c, n]) => `${c} ${n}`)
    .join(', ');
  lines.push('', `  frames refused at the boundary: ${refusedAtBoundary || 'none'}`, '');
  for (const [name, inv] of Object.entries(result.invariants)) {
    lines.push(`  ${inv.ok ? 'ok  ' : 'FAIL'} ${name}${inv.ok ? '' : `: ${inv.detail}`}`);
  }
  lines.push('', result.ok ? '  all invariants hold' : '  INVARIANT VIOLATED');
  return lines.join('\n');
}
