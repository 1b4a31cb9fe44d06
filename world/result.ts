// The result of a run, the same for both runtimes: result.json's shape, the counts of every
// business outcome, and the short human summary. The simulator fills it from a finished run
// (sim/report.ts), the NATS checker from a quiet cut of a live cluster (cluster/check.ts); the
// `runtime` field says which, and the fields one runtime cannot know are documented as such.
//   { runtime, seed, scenario, variant, traceHash, virtualMs, wallMs, ok,
//     counts: { "<flow>.<scope>.<outcome>": n }, reasons,
//     invariants: { "<name>": { ok, detail? } },
//     notices, requests, money, population, network, boundary, faults, lastHealAt,
//     lifecycleBoundMs, latencyMs, cluster }
import { BATCH_STATES } from '../actors/clearing.ts';
import { TRANSFER_SCOPES, type TransferScope } from '../actors/regions.ts';
import type { Fen } from '../protocol/index.ts';
import { formatFen, NO_AID, parseYuan } from '../protocol/index.ts';
import type { World } from './build.ts';
import type { Requests } from './final_input.ts';
import { type InvariantResult, MONEY_CLASSES, type MoneyTotals } from './invariants.ts';
import type { Outcomes } from './outcomes.ts';
import type { Intent } from './workload.ts';

type Runtime = 'sim' | 'nats';

/** What only a live cluster's check has: whether it quiesced, each actor's journal, the load. */
export interface ClusterPart {
  readonly quiesced: boolean;
  readonly actors: Record<string, { journalSeq: number; records: number; received: number }>;
  /**
   * What the load generator (the cluster's app) says of its requests; null if it did not answer.
   */
  readonly load: Requests | null;
}

export interface RunResult {
  readonly runtime: Runtime;
  readonly seed: number;
  readonly scenario: string;
  readonly variant: string;
  /** The run's trace hash (sim); null on a cluster, whose deliveries are not deterministic. */
  readonly traceHash: string | null;
  /** Virtual time at the end of the run, or of the cluster's clock at the check. */
  readonly virtualMs: number;
  readonly virtualTime: string;
  readonly wallMs: number;
  readonly ok: boolean;
  readonly counts: Record<string, number>;
  /** Why requests were refused or rejected, per `<flow>.<scope>.<outcome>.<reason>`. */
  readonly reasons: Record<string, number>;
  readonly invariants: Record<string, InvariantResult>;
  /** Outbound notices recorded (W14). */
  readonly notices: { readonly sms: number };
  /** Workload requests by kind (transfer, bind, end, enrolment, bill, contribution). */
  readonly requests: Record<string, number>;
  readonly money: Record<string, string>;
  readonly population: { wallets: number; relations: number; provinces: number; regions: number };
  /** The simulated network's counters (sim); empty on a cluster. */
  readonly network: Record<string, number>;
  /** Frames refused at the boundary, by code. */
  readonly boundary: Record<string, number>;
  readonly faults: readonly string[];
  readonly lastHealAt: string;
  readonly lifecycleBoundMs: number;
  /**
   * Transfer latency, accepted → terminal:
   * virtual ms (sim), wall ms since each host started (nats).
   */
  readonly latencyMs: { p50: number; p99: number; max: number };
  /** The cluster's own report (nats); null in the simulator. */
  readonly cluster: ClusterPart | null;
  /** What the run cost the machine (sim); null on a cluster, whose hosts are other processes. */
  readonly performance: PerformancePart | null;
  /** The workload's rates, simulated and national-equivalent (× the scale). */
  readonly rates: RatesPart;
  /** A built-in scenario's public figures beside the run's (pilot-2024-12); null otherwise. */
  readonly reported: ReportedPart | null;
  /** Each virtual day of the workload: its requests and what the run did (sim); [] on a cluster. */
  readonly days: readonly DayPart[];
}

/**
 * Requests per second of virtual time over the workload's days: as simulated, and as the
 * national network would see them at the scenario's scale 1:N (simulated × N).
 */
export interface RatesPart {
  readonly scale: number;
  readonly days: number;
  readonly simulated: Record<string, number>;
  readonly nationalEquivalent: Record<string, number>;
}

interface ReportedPart {
  readonly source: string;
  readonly transfers: { readonly reported: number; readonly simulated: number };
  readonly yuan: { readonly reported: number; readonly simulated: string };
}

/** One virtual day: what its requests were, and what the run delivered while it was that day. */
export interface DayPart {
  readonly day: number;
  readonly date: string;
  /** Requests of the workload dated that day. */
  readonly requests: number;
  /** Transfers that completed, and bills settled, while it was that day. */
  readonly transfersCompleted: number;
  readonly billsSettled: number;
  readonly deliveries: number;
  /** Wall ms the simulator spent in the day (sim). */
  readonly wallMs: number;
}

const RATE_DIGITS = 6;

/** Requests per second by kind over `days` virtual days, and × scale. */
export function ratesOf(workload: readonly Intent[], scale: number, days: number): RatesPart {
  const count: Record<string, number> = {
    transfers: 0,
    settlements: 0,
    crossProvinceSettlements: 0,
    familyAid: 0,
    contributions: 0,
    binds: 0,
  };
  for (const intent of workload) {
    if (intent.kind === 'transfer') count.transfers!++;
    else if (intent.kind === 'bind') count.binds!++;
    else if (intent.kind === 'contribution') count.contributions!++;
    else if (intent.kind === 'bill') {
      count.settlements!++;
      if (intent.scope === 'crossProvince') count.crossProvinceSettlements!++;
      if (intent.aidBy !== NO_AID) count.familyAid!++;
    }
  }
  const seconds = (days * 86_400_000) / 1000;
  const round = (x: number) => Number(x.toPrecision(RATE_DIGITS));
  const per = (times: number) =>
    Object.fromEntries(Object.entries(count).map(([k, n]) => [k, round((n / seconds) * times)]));
  return { scale, days, simulated: per(1), nationalEquivalent: per(scale) };
}

/** Successful transfers and their yuan, from the run's outcomes. */
export function completedTransfers(outcomes: Pick<Outcomes, 'accepted' | 'terminal'>): {
  count: number;
  fen: Fen;
} {
  let count = 0;
  let fen = 0n;
  for (const [id, terminal] of outcomes.terminal) {
    if (terminal.outcome !== 'completed') continue;
    count++;
    fen += outcomes.accepted.get(id)?.amount ?? 0n;
  }
  return { count, fen };
}

/**
 * The simulator's cost, measured by the command that ran it: building the world (population,
 * workload, actors) apart from running it, deliveries per wall second of the run, the
 * process's peak resident set, and what the built world holds per wallet (all-in: the wallet,
 * its relations, its person's account and registry record, the workload, every map's share;
 * the heap after a full collection, before the run, less the heap before the world was built;
 * null when the command could not collect).
 */
interface PerformancePart {
  readonly worldBuildMs: number;
  readonly runMs: number;
  readonly deliveriesPerSecond: number;
  readonly peakRssBytes: number;
  readonly bytesPerWallet: number | null;
}

const SCOPES: readonly TransferScope[] = TRANSFER_SCOPES;
const TRANSFER_OUTCOMES = ['accepted', 'completed', 'rejected', 'refused'] as const;
const RETURN_OUTCOMES = ['received', 'returned'] as const;
const BIND_OUTCOMES = ['accepted', 'active', 'refused', 'rejected', 'expired', 'ended'] as const;
const BILL_OUTCOMES = ['settled', 'refused', 'cancelled', 'reversed', 'expired'] as const;
const FAMILY_AID_OUTCOMES = ['paid', 'refused', 'undone', 'unused'] as const;
/** F3: bills in the insured province are `spend`; across provinces, `directSettlement`. */
const BILL_FLOWS = [
  ['spend', 'local'],
  ['spend', 'sameProvince'],
  ['directSettlement', 'crossProvince'],
] as const;

interface Tally {
  readonly counts: Record<string, number>;
  readonly reasons: Record<string, number>;
}

export interface CountOptions {
  /**
   * A live cluster's cut: work that waits for a person or the clock is counted as
   * `return.<scope>.pending` (a receipt, W11) and `bind.<scope>.pending` (a face, F1).
   */
  readonly pending: boolean;
  readonly requireReceipt: boolean;
}

/** Every outcome, counted per `<flow>.<scope>.<outcome>`, with reasons per outcome. */
export function countOutcomes(outcomes: Outcomes, options: CountOptions): Tally {
  const tally: Tally = { counts: {}, reasons: {} };
  const { counts } = tally;
  for (const scope of SCOPES) {
    for (const outcome of TRANSFER_OUTCOMES) counts[`transfer.${scope}.${outcome}`] = 0;
    for (const outcome of RETURN_OUTCOMES) counts[`return.${scope}.${outcome}`] = 0;
    for (const outcome of BIND_OUTCOMES) counts[`bind.${scope}.${outcome}`] = 0;
  }
  // P4 has no geography: every credit is to the member's own account in their own region.
  counts['credit.local.credited'] = outcomes.credits;
  // W1: a wallet is opened by its holder, where they are insured.
  counts['open.local.opened'] = outcomes.opened;
  // Holds whose owner knew no live saga behind them, released by the province.
  for (const kind of ['transfer', 'bill', 'aid']) {
    counts[`hold.${kind}.orphanReleased`] = outcomes.orphaned.get(kind) ?? 0;
  }
  countBills(outcomes, tally);
  countFamilyAid(outcomes, tally);
  // K6: bills whose treatment region paid its provider, and payments taken back (undone bills).
  for (const [, scope] of BILL_FLOWS) {
    counts[`provider.${scope}.paid`] = 0;
    counts[`provider.${scope}.refunded`] = 0;
  }
  for (const { scope, state } of outcomes.providers.values()) {
    bump(tally, `provider.${scope}.paid`);
    if (state === 'refunded') bump(tally, `provider.${scope}.refunded`);
  }
  // K3: a POS's daily totals per treatment region, agreed or explained bill by bill, and any
  // bill a POS settled that its region never recorded.
  counts['provider.reconcile.agreed'] = 0;
  counts['provider.reconcile.differed'] = 0;
  for (const state of outcomes.reconciliations.values()) bump(tally, `provider.reconcile.${state}`);
  counts['provider.reconcile.unrecorded'] = outcomes.unrecorded.size;
  // K3, 3203: a POS's monthly clearing application per treatment region, agreed or not.
  counts['provider.apply.agreed'] = 0;
  counts['provider.apply.differed'] = 0;
  for (const state of outcomes.applications.values()) bump(tally, `provider.apply.${state}`);
  for (const state of BATCH_STATES) counts[`clearing.national.${state.toLowerCase()}`] = 0;
  for (const state of outcomes.batchStates.values())
    bump(tally, `clearing.national.${state.toLowerCase()}`);
  // K8: answers after their working-day deadline (funding, disbursal), over every batch.
  counts['clearing.national.late'] = 0;
  for (const late of outcomes.batchLate.values()) bump(tally, 'clearing.national.late', late);
  // K10: disputes opened (a province's figures disagreed, or it did not answer in time), those
  // resolved, and the province-months the statements left out meanwhile.
  counts['clearing.national.disputed'] = outcomes.disputes.size;
  counts['clearing.national.resolved'] = 0;
  for (const state of outcomes.disputes.values())
    if (state === 'resolved') bump(tally, 'clearing.national.resolved');
  counts['clearing.national.withheld'] = 0;
  for (const n of outcomes.batchWithheld.values()) bump(tally, 'clearing.national.withheld', n);
  // F2b: province-months cleared between regions, and those that had something to move.
  counts['clearing.provincial.cleared'] = outcomes.provincialCleared.size;
  counts['clearing.provincial.moved'] = 0;
  for (const fen of outcomes.provincialCleared.values())
    if (fen > 0n) bump(tally, 'clearing.provincial.moved');
  countContributions(outcomes, tally);
  countBindings(outcomes, tally);
  countTransfers(outcomes, tally, options);
  return tally;
}

function bump({ counts }: Tally, key: string, n = 1): void {
  counts[key] = (counts[key] ?? 0) + n;
}

function because({ reasons }: Tally, key: string, reason: string | undefined, n = 1): void {
  if (reason !== undefined) reasons[`${key}.${reason}`] = (reasons[`${key}.${reason}`] ?? 0) + n;
}

function countBills(outcomes: Outcomes, tally: Tally): void {
  for (const [flow, scope] of BILL_FLOWS) {
    for (const outcome of BILL_OUTCOMES) tally.counts[`${flow}.${scope}.${outcome}`] = 0;
  }
  for (const bill of outcomes.bills.values()) {
    const flow = bill.scope === 'crossProvince' ? 'directSettlement' : 'spend';
    const key = `${flow}.${bill.scope}.${bill.outcome}`;
    bump(tally, key);
    because(tally, key, bill.reason);
    if (bill.outcome === 'settled' && bill.wallet > 0n)
      bump(tally, `spend.${bill.scope}.walletPaid`);
  }
}

/**
 * Family mutual aid at the point of care, per bill that asked a relative's account to pay:
 * `refused` (no active relation in scope, E8 across provinces: decided when the bill starts,
 * whatever becomes of the bill; or the relative's account gave nothing), `paid` (the bill
 * settled with the relative's share), `undone` (held or paid, then the bill was cancelled,
 * reversed or expired), `unused` (nothing was left to pay, or the bill itself was refused or
 * undone before the relative was asked).
 */
function countFamilyAid(outcomes: Outcomes, tally: Tally): void {
  for (const scope of SCOPES) {
    for (const outcome of FAMILY_AID_OUTCOMES) tally.counts[`familyAid.${scope}.${outcome}`] = 0;
  }
  for (const bill of outcomes.bills.values()) {
    const aid = bill.aid;
    if (aid === undefined || bill.outcome === 'started' || bill.outcome === 'presettled') continue;
    const outcome =
      aid.reason !== undefined
        ? 'refused'
        : aid.pay === 0n
          ? 'unused'
          : bill.outcome === 'settled'
            ? 'paid'
            : 'undone';
    const key = `familyAid.${aid.scope}.${outcome}`;
    bump(tally, key);
    because(tally, key, aid.reason);
  }
}

function countContributions(outcomes: Outcomes, tally: Tally): void {
  for (const scope of SCOPES) {
    for (const outcome of ['paid', 'rejected', 'refused']) {
      tally.counts[`contribution.${scope}.${outcome}`] = 0;
    }
  }
  for (const c of outcomes.contributions.values()) {
    const key = `contribution.${c.scope}.${c.outcome}`;
    bump(tally, key);
    because(tally, key, c.reason);
  }
}

function countBindings(outcomes: Outcomes, tally: Tally): void {
  for (const accepted of outcomes.bindAccepted.values())
    bump(tally, `bind.${accepted.scope}.accepted`);
  for (const [id, terminal] of outcomes.bindTerminal) {
    const scope = outcomes.bindAccepted.get(id)?.scope ?? terminal.scope;
    const key = `bind.${scope}.${terminal.outcome}`;
    bump(tally, key);
    because(tally, key, terminal.reason);
  }
  // Each ended relation is seen by the side that ends it (and by the other, on a notice that is
  // not a fact): one count per relation side that ended.
  for (const [key, n] of outcomes.relationEnds) {
    const [scope = 'unknown', ending = '?'] = key.split('.');
    bump(tally, `bind.${scope}.ended`, n);
    because(tally, `bind.${scope}.ended`, ending, n);
  }
}

function countTransfers(outcomes: Outcomes, tally: Tally, options: CountOptions): void {
  for (const [id, receipt] of outcomes.receipts) {
    bump(tally, `return.${outcomes.accepted.get(id)?.scope ?? 'unknown'}.${receipt.outcome}`);
  }
  for (const accepted of outcomes.accepted.values())
    bump(tally, `transfer.${accepted.scope}.accepted`);
  for (const [id, terminal] of outcomes.terminal) {
    const scope = outcomes.accepted.get(id)?.scope ?? terminal.scope;
    const key = `transfer.${scope}.${terminal.outcome}`;
    bump(tally, key);
    because(tally, key, terminal.reason);
    const waiting = terminal.outcome === 'completed' && !outcomes.receipts.has(id);
    if (options.pending && options.requireReceipt && waiting)
      bump(tally, `return.${scope}.pending`);
  }
  if (!options.pending) return;
  for (const [id, accepted] of outcomes.bindAccepted) {
    if (!outcomes.bindTerminal.has(id)) bump(tally, `bind.${accepted.scope}.pending`);
  }
}

/** A short, fixed-width summary for the terminal. */
export function summarize(result: RunResult): string {
  const lines: string[] = [...header(result), ''];
  const row = (label: string, width: number, keys: readonly string[], key: (o: string) => string) =>
    `  ${label.padEnd(width)}` +
    keys.map((o) => String(result.counts[key(o)] ?? 0).padStart(11)).join('');
  const table = (title: string, keys: readonly string[], flow: string) => {
    lines.push(`  ${title.padEnd(14)}${keys.map((o) => o.padStart(11)).join('')}`);
    for (const scope of SCOPES) lines.push(row(scope, 14, keys, (o) => `${flow}.${scope}.${o}`));
    lines.push('');
  };
  table('scope', TRANSFER_OUTCOMES, 'transfer');
  table('return', RETURN_OUTCOMES, 'return');
  table('bind', BIND_OUTCOMES, 'bind');
  lines.pop();
  lines.push(
    `  SMS notices sent (W14): ${result.notices.sms}; ` +
      `monthly credits (P4): ${result.counts['credit.local.credited']}`,
    '',
    `  ${'bills'.padEnd(28)}${BILL_OUTCOMES.map((o) => o.padStart(11)).join('')}`,
  );
  for (const [flow, scope] of BILL_FLOWS) {
    lines.push(row(`${flow}.${scope}`, 28, BILL_OUTCOMES, (o) => `${flow}.${scope}.${o}`));
  }
  lines.push('');
  table('familyAid', FAMILY_AID_OUTCOMES, 'familyAid');
  lines.pop();
  lines.push(...paymentLines(result), '', ...reasonLines(result), ...faultLines(result), '');
  for (const [name, inv] of Object.entries(result.invariants)) {
    const why = inv.ok ? '' : `: ${inv.detail} (${inv.violations} violation(s))`;
    lines.push(`  ${inv.ok ? 'ok  ' : 'FAIL'} ${name}${why}`);
  }
  const replay =
    result.runtime === 'sim' ? ': replay with the same seed and scenario to reproduce' : '';
  lines.push('', result.ok ? '  all invariants hold' : `  INVARIANT VIOLATED${replay}`);
  return lines.join('\n');
}

function performanceLine(p: PerformancePart | null): string[] {
  if (p === null) return [];
  const seconds = (ms: number) => (ms / 1000).toFixed(1);
  const perWallet = p.bytesPerWallet === null ? '' : ` (${p.bytesPerWallet} B a wallet)`;
  return [
    `  world built in ${seconds(p.worldBuildMs)} s${perWallet}, run ${seconds(p.runMs)} s at ` +
      `${p.deliveriesPerSecond} deliveries/s, peak RSS ${Math.round(p.peakRssBytes / 2 ** 20)} MiB`,
  ];
}

const RATE_LABELS: ReadonlyArray<readonly [string, string]> = [
  ['transfers', 'transfers'],
  ['settlements', 'settlements'],
  ['crossProvinceSettlements', 'cross-province'],
  ['familyAid', 'family aid'],
  ['contributions', 'contributions'],
];

function rateLines(r: RatesPart): string[] {
  const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toPrecision(2));
  const parts = RATE_LABELS.map(
    ([key, label]) =>
      `${label} ${fmt(r.simulated[key] ?? 0)}` +
      (r.scale > 1 ? ` → ${fmt(r.nationalEquivalent[key] ?? 0)}` : ''),
  );
  const head =
    r.scale > 1 ? `per second (simulated → national at 1:${r.scale})` : 'per second (simulated)';
  return [`  ${head}: ${parts.join(', ')}`];
}

function reportedLines(r: ReportedPart | null): string[] {
  if (r === null) return [];
  // The difference in tenths of a per cent, in whole numbers (amounts in fen stay exact).
  const off = (sim: bigint, rep: bigint) => {
    const tenths = ((sim - rep) * 1000n) / rep;
    const sign = tenths < 0n ? '-' : '+';
    const abs = tenths < 0n ? -tenths : tenths;
    return `${sign}${abs / 10n}.${abs % 10n} %`;
  };
  const { transfers, yuan } = r;
  const transfersOff = off(BigInt(transfers.simulated), BigInt(transfers.reported));
  const yuanOff = off(parseYuan(yuan.simulated), BigInt(yuan.reported) * 100n);
  return [
    `  reported by ${r.source}: ${transfers.reported} transfers, ${yuan.reported} yuan`,
    `  simulated:   ${transfers.simulated} transfers (${transfersOff}), ` +
      `${yuan.simulated} yuan (${yuanOff})`,
  ];
}

function header(result: RunResult): string[] {
  const p = result.population;
  const lines = [
    `gongji ${result.scenario} seed=${result.seed} variant=${result.variant}` +
      (result.runtime === 'nats' ? ' on NATS' : ''),
    `  ${p.provinces} provinces, ${p.regions} pooling regions, ${p.wallets} wallets, ` +
      `${p.relations} relations`,
  ];
  const l = result.latencyMs;
  if (result.runtime === 'sim') {
    lines.push(
      `  virtual ${result.virtualTime}, wall ${(result.wallMs / 1000).toFixed(1)} s, ` +
        `${result.network.deliveries} deliveries, trace ${result.traceHash}`,
      ...performanceLine(result.performance),
      ...rateLines(result.rates),
      ...reportedLines(result.reported),
      `  transfer latency (accepted → terminal, virtual): p50 ${l.p50} ms, p99 ${l.p99} ms, ` +
        `max ${l.max} ms`,
    );
  } else {
    const cluster = result.cluster;
    lines.push(
      `  checked in ${(result.wallMs / 1000).toFixed(1)} s at virtual ${result.virtualTime}, ` +
        `quiesced: ${cluster?.quiesced ? 'yes' : 'NO'}, ` +
        `${Object.keys(cluster?.actors ?? {}).length} actors`,
      l.max === 0
        ? '  transfer latency: none timed since the hosts last started'
        : `  transfer latency (accepted → terminal, wall, since each host started): ` +
            `p50 ${l.p50} ms, p99 ${l.p99} ms`,
    );
  }
  return lines;
}

function paymentLines(result: RunResult): string[] {
  const sum = (o: string) =>
    SCOPES.reduce((n, s) => n + (result.counts[`contribution.${s}.${o}`] ?? 0), 0);
  const batches = Object.entries(result.counts)
    .filter(([k, n]) => k.startsWith('clearing.national.') && n > 0)
    .map(([k, n]) => `${n} ${k.slice('clearing.national.'.length)}`);
  const providers = (o: string) =>
    BILL_FLOWS.reduce((n, [, s]) => n + (result.counts[`provider.${s}.${o}`] ?? 0), 0);
  return [
    `  providers paid by their treatment region (K6): ${providers('paid')}, ` +
      `${providers('refunded')} of them taken back`,
    `  POS days reconciled with their regions (K3): ` +
      `${result.counts['provider.reconcile.agreed'] ?? 0} agreed, ` +
      `${result.counts['provider.reconcile.differed'] ?? 0} explained bill by bill; ` +
      `${result.counts['provider.reconcile.unrecorded'] ?? 0} bill(s) never recorded`,
    `  monthly clearing applications (K3, 3203): ` +
      `${result.counts['provider.apply.agreed'] ?? 0} agreed, ` +
      `${result.counts['provider.apply.differed'] ?? 0} with other figures at the region`,
    `  contributions: paid ${sum('paid')}, rejected ${sum('rejected')}, refused ${sum('refused')}`,
    `  wallets opened by their holders (W1): ${result.counts['open.local.opened'] ?? 0}`,
    `  monthly clearing batches (F5): ${batches.join(', ') || 'none'}; between regions of a ` +
      `province (F2b): ${result.counts['clearing.provincial.cleared'] ?? 0} province-months ` +
      `cleared, ${result.counts['clearing.provincial.moved'] ?? 0} moving money`,
  ];
}

/** Reasons summed over scopes (result.json keeps them per scope). */
function reasonLines(result: RunResult): string[] {
  const byOutcome = new Map<string, Map<string, number>>();
  for (const [key, n] of Object.entries(result.reasons)) {
    const [flow, , out = '?', reason = '?'] = key.split('.');
    const outcome = `${flow} ${out}`;
    const reasons = byOutcome.get(outcome) ?? new Map<string, number>();
    reasons.set(reason, (reasons.get(reason) ?? 0) + n);
    byOutcome.set(outcome, reasons);
  }
  return [...byOutcome].map(([outcome, reasons]) => {
    const sorted = [...reasons].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} ${n}`);
    return `  ${outcome} because: ${sorted.join(', ')}`;
  });
}

function faultLines(result: RunResult): string[] {
  const n = result.network;
  const boundary = Object.entries(result.boundary)
    .map(([c, k]) => `${c} ${k}`)
    .join(', ');
  if (result.runtime === 'nats') return [`  frames refused at the boundary: ${boundary || 'none'}`];
  return [
    `  faults: ${result.faults.length}, last healed ${result.lastHealAt}; ` +
      `network lost ${n.lost}, duplicated ${n.duplicated}, cut ${n.droppedByPartition}, ` +
      `at crashed nodes ${n.droppedAtCrashedNode}`,
  ];
}

/**
 * Every money class of the conservation law, as the result shows them (yuan text), with what
 * the run opened with: the classes add up (the overlap taken off) to `opening`.
 */
export function moneyOf(
  money: MoneyTotals,
  opening: { readonly people: Fen; readonly funds: Fen },
): Record<string, string> {
  const out: Record<string, string> = {
    opening: formatFen(opening.people + opening.funds),
    openingPersonalAccounts: formatFen(opening.people),
    openingFunds: formatFen(opening.funds),
  };
  for (const cls of MONEY_CLASSES) out[cls] = formatFen(money[cls]);
  return out;
}

/** The population's size, and the provinces and regions it lives in. */
export function populationOf(world: Pick<World, 'census'>): RunResult['population'] {
  const { wallets, relations, provinces, regions } = world.census;
  return { wallets, relations, provinces, regions };
}

/**
 * Workload requests by kind (transfer, bind, end, enrolment, open always; bill, contribution if
 * any).
 */
export function requestsByKind(workload: readonly Intent[]): Record<string, number> {
  const requests: Record<string, number> = {
    transfer: 0,
    bind: 0,
    end: 0,
    enrolment: 0,
    open: 0,
  };
  for (const intent of workload) requests[intent.kind] = (requests[intent.kind] ?? 0) + 1;
  return requests;
}
