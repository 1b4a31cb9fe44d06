// The result of a run as data (result.json) and as a short human summary. Contract:
// { seed, scenario, traceHash, virtualMs, wallMs, counts: { "<flow>.<scope>.<outcome>": n },
//   invariants: { "<name>": { ok, detail? } } } plus the fields below.
import { formatFen } from '../protocol/index.ts';
import type { TransferScope } from '../actors/effects.ts';
import { describeFault, fmtTime } from '../world/faults.ts';
import type { InvariantResult } from '../world/checkers.ts';
import type { Simulation } from './simulation.ts';

export const SCOPES: readonly TransferScope[] = ['sameRegion', 'sameProvince', 'crossProvince'];
const OUTCOMES = ['accepted', 'completed', 'rejected', 'refused'] as const;
const RETURN_OUTCOMES = ['received', 'returned'] as const;
const BIND_OUTCOMES = ['accepted', 'active', 'refused', 'rejected', 'expired', 'ended'] as const;
const BILL_OUTCOMES = ['settled', 'refused', 'cancelled', 'reversed', 'expired'] as const;

export interface RunResult {
  readonly seed: number;
  readonly scenario: string;
  readonly variant: string;
  readonly traceHash: string;
  readonly virtualMs: number;
  readonly virtualTime: string;
  readonly wallMs: number;
  readonly ok: boolean;
  readonly counts: Record<string, number>;
  /** Why transfers were refused (at the request) or rejected (by a decision point), per scope. */
  readonly reasons: Record<string, number>;
  readonly invariants: Record<string, InvariantResult>;
  /** Outbound notices recorded (W14). */
  readonly notices: { readonly sms: number };
  /** Workload requests by kind (transfer, bind, end, enrolment). */
  readonly requests: Record<string, number>;
  readonly money: Record<string, string>;
  readonly population: { wallets: number; relations: number; provinces: number; regions: number };
  readonly network: Record<string, number>;
  readonly boundary: Record<string, number>;
  readonly faults: readonly string[];
  readonly lastHealAt: string;
  readonly lifecycleBoundMs: number;
  readonly latencyMs: { p50: number; p99: number; max: number };
}

export function buildResult(sim: Simulation, wallMs: number): RunResult {
  const { checkers, world, scenario } = sim;
  const counts: Record<string, number> = {};
  const reasons: Record<string, number> = {};
  for (const scope of SCOPES) {
    for (const outcome of OUTCOMES) counts[`transfer.${scope}.${outcome}`] = 0;
    for (const outcome of RETURN_OUTCOMES) counts[`return.${scope}.${outcome}`] = 0;
    for (const outcome of BIND_OUTCOMES) counts[`bind.${scope}.${outcome}`] = 0;
  }
  const bump = (key: string) => {
    counts[key] = (counts[key] ?? 0) + 1;
  };
  // P4 has no geography: every credit is to the member's own account in their own region.
  counts['credit.local.credited'] = checkers.credits;
  // F3: bills in the insured province are `spend`; across provinces, `directSettlement` (D1–D11).
  for (const scope of ['local', 'sameProvince'] as const) {
    for (const o of BILL_OUTCOMES) counts[`spend.${scope}.${o}`] = 0;
  }
  for (const o of BILL_OUTCOMES) counts[`directSettlement.crossProvince.${o}`] = 0;
  for (const [, bill] of checkers.bills) {
    const flow = bill.scope === 'crossProvince' ? 'directSettlement' : 'spend';
    bump(`${flow}.${bill.scope}.${bill.outcome}`);
    if (bill.reason !== undefined) {
      const key = `${flow}.${bill.scope}.${bill.outcome}.${bill.reason}`;
      reasons[key] = (reasons[key] ?? 0) + 1;
    }
    if (bill.outcome === 'settled' && bill.wallet > 0n) bump(`spend.${bill.scope}.walletPaid`);
  }
  // F5: one national batch per month, counted by the state it reached (RECONCILED when cleared).
  for (const state of [
    'OPEN',
    'CLOSED',
    'ALLOCATED',
    'CONFIRMED',
    'STATEMENTS_ISSUED',
    'FUNDED',
    'DISBURSED',
    'RECONCILED',
  ]) {
    counts[`clearing.national.${state.toLowerCase()}`] = 0;
  }
  for (const state of checkers.batchStates.values())
    bump(`clearing.national.${state.toLowerCase()}`);
  for (const scope of SCOPES)
    for (const o of ['paid', 'rejected', 'refused']) counts[`contribution.${scope}.${o}`] = 0;
  for (const [, c] of checkers.contributions) {
    bump(`contribution.${c.scope}.${c.outcome}`);
    if (c.reason !== undefined) {
      const key = `contribution.${c.scope}.${c.outcome}.${c.reason}`;
      reasons[key] = (reasons[key] ?? 0) + 1;
    }
  }
  for (const [id, receipt] of checkers.receipts) {
    bump(`return.${checkers.accepted.get(id)?.scope ?? 'unknown'}.${receipt.outcome}`);
  }
  for (const accepted of checkers.bindAccepted.values()) bump(`bind.${accepted.scope}.accepted`);
  for (const [id, terminal] of checkers.bindTerminal) {
    const scope = checkers.bindAccepted.get(id)?.scope ?? sim.scopeOfIntent(id);
    bump(`bind.${scope}.${terminal.outcome}`);
    if (terminal.reason !== undefined) {
      const key = `bind.${scope}.${terminal.outcome}.${terminal.reason}`;
      reasons[key] = (reasons[key] ?? 0) + 1;
    }
  }
  // Each ended relation is seen by the side that ends it (and by the other, on a notice that is
  // not a fact): one count per relation side that ended.
  for (const [key, n] of checkers.relationEnds) {
    const [scope = 'unknown', ending = '?'] = key.split('.');
    counts[`bind.${scope}.ended`] = (counts[`bind.${scope}.ended`] ?? 0) + n;
    reasons[`bind.${scope}.ended.${ending}`] = (reasons[`bind.${scope}.ended.${ending}`] ?? 0) + n;
  }
  for (const accepted of checkers.accepted.values())
    counts[`transfer.${accepted.scope}.accepted`]! += 1;
  for (const [id, terminal] of checkers.terminal) {
    const scope = checkers.accepted.get(id)?.scope ?? sim.scopeOfIntent(id);
    counts[`transfer.${scope}.${terminal.outcome}`] =
      (counts[`transfer.${scope}.${terminal.outcome}`] ?? 0) + 1;
    if (terminal.reason !== undefined) {
      const key = `transfer.${scope}.${terminal.outcome}.${terminal.reason}`;
      reasons[key] = (reasons[key] ?? 0) + 1;
    }
  }
  const boundary: Record<string, number> = {};
  for (const [code, n] of sim.codecRejections) boundary[code] = n;
  return {
    seed: scenario.seed,
    scenario: scenario.name,
    variant: scenario.protocol.variant,
    traceHash: sim.trace.hash,
    virtualMs: sim.virtualMs,
    virtualTime: fmtTime(sim.virtualMs),
    wallMs: Math.round(wallMs),
    ok: checkers.ok,
    counts,
    reasons,
    invariants: Object.fromEntries(checkers.results),
    notices: { sms: checkers.sms },
    requests: requestCounts(sim),
    money: {
      openingTotal: formatFen(checkers.openingTotal),
      available: formatFen(checkers.available),
      held: formatFen(checkers.held),
      wallet: formatFen(checkers.wallet),
      inFlightOverlap: formatFen(checkers.overlap),
      returning: formatFen(checkers.returning),
      outside: formatFen(checkers.outside),
    },
    population: {
      wallets: world.population.people.length,
      relations: world.population.relations.length,
      provinces: world.topology.provinces.length,
      regions: world.topology.regions.length,
    },
    network: {
      deliveries: sim.deliveries,
      sent: sim.network.sent,
      lost: sim.network.lost,
      duplicated: sim.network.duplicated,
      reordered: sim.network.reordered,
      droppedByPartition: sim.droppedPartition,
      droppedAtCrashedNode: sim.droppedDown,
      checks: checkers.checks,
    },
    boundary,
    faults: scenario.faults.map(describeFault),
    lastHealAt: fmtTime(sim.lastHealAt),
    lifecycleBoundMs: scenario.checks.lifecycleBoundMs,
    latencyMs: checkers.latencyMs(),
  };
}

function requestCounts(sim: Simulation): Record<string, number> {
  const requests: Record<string, number> = { transfer: 0, bind: 0, end: 0, enrolment: 0 };
  for (const intent of sim.world.workload) requests[intent.kind] = (requests[intent.kind] ?? 0) + 1;
  return requests;
}

/** A short, fixed-width summary for the terminal. */
export function summarize(result: RunResult): string {
  const lines: string[] = [];
  lines.push(`gongji ${result.scenario} seed=${result.seed} variant=${result.variant}`);
  lines.push(
    `  ${result.population.provinces} provinces, ${result.population.regions} pooling regions, ` +
      `${result.population.wallets} wallets, ${result.population.relations} relations`,
  );
  lines.push(
    `  virtual ${result.virtualTime}, wall ${(result.wallMs / 1000).toFixed(1)} s, ` +
      `${result.network.deliveries} deliveries, trace ${result.traceHash}`,
  );
  lines.push(
    `  transfer latency (accepted → terminal, virtual): p50 ${result.latencyMs.p50} ms, ` +
      `p99 ${result.latencyMs.p99} ms, max ${result.latencyMs.max} ms`,
  );
  lines.push('');
  lines.push(`  ${'scope'.padEnd(14)}${OUTCOMES.map((o) => o.padStart(11)).join('')}`);
  for (const scope of SCOPES) {
    lines.push(
      `  ${scope.padEnd(14)}${OUTCOMES.map((o) => String(result.counts[`transfer.${scope}.${o}`]).padStart(11)).join('')}`,
    );
  }
  lines.push('');
  lines.push(`  ${'return'.padEnd(14)}${RETURN_OUTCOMES.map((o) => o.padStart(11)).join('')}`);
  for (const scope of SCOPES) {
    lines.push(
      `  ${scope.padEnd(14)}${RETURN_OUTCOMES.map((o) => String(result.counts[`return.${scope}.${o}`]).padStart(11)).join('')}`,
    );
  }
  lines.push('');
  lines.push(`  ${'bind'.padEnd(14)}${BIND_OUTCOMES.map((o) => o.padStart(11)).join('')}`);
  for (const scope of SCOPES) {
    lines.push(
      `  ${scope.padEnd(14)}${BIND_OUTCOMES.map((o) => String(result.counts[`bind.${scope}.${o}`]).padStart(11)).join('')}`,
    );
  }
  lines.push(
    `  SMS notices sent (W14): ${result.notices.sms}; monthly credits (P4): ${result.counts['credit.local.credited']}`,
  );
  lines.push('');
  lines.push(`  ${'bills'.padEnd(28)}${BILL_OUTCOMES.map((o) => o.padStart(11)).join('')}`);
  for (const [flow, scope] of [
    ['spend', 'local'],
    ['spend', 'sameProvince'],
    ['directSettlement', 'crossProvince'],
  ] as const) {
    lines.push(
      `  ${`${flow}.${scope}`.padEnd(28)}${BILL_OUTCOMES.map((o) => String(result.counts[`${flow}.${scope}.${o}`] ?? 0).padStart(11)).join('')}`,
    );
  }
  const contribution = (o: string) =>
    SCOPES.reduce((n, scope) => n + (result.counts[`contribution.${scope}.${o}`] ?? 0), 0);
  lines.push(
    `  contributions: paid ${contribution('paid')}, rejected ${contribution('rejected')}, refused ${contribution('refused')}`,
  );
  const batches = Object.entries(result.counts)
    .filter(([k, n]) => k.startsWith('clearing.national.') && n > 0)
    .map(([k, n]) => `${n} ${k.slice('clearing.national.'.length)}`);
  lines.push(`  monthly clearing batches (F5): ${batches.join(', ') || 'none'}`);
  lines.push('');
  // Reasons summed over scopes (result.json keeps them per scope).
  const byOutcome = new Map<string, Map<string, number>>();
  for (const [key, n] of Object.entries(result.reasons)) {
    const [flow, , out = '?', reason = '?'] = key.split('.');
    const outcome = `${flow} ${out}`;
    const reasons = byOutcome.get(outcome) ?? new Map<string, number>();
    reasons.set(reason, (reasons.get(reason) ?? 0) + n);
    byOutcome.set(outcome, reasons);
  }
  for (const [outcome, reasons] of byOutcome) {
    const sorted = [...reasons].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} ${n}`);
    lines.push(`  ${outcome} because: ${sorted.join(', ')}`);
  }
  lines.push(
    `  faults: ${result.faults.length}, last healed ${result.lastHealAt}; network lost ${result.network.lost}, ` +
      `duplicated ${result.network.duplicated}, cut ${result.network.droppedByPartition}, at crashed nodes ${result.network.droppedAtCrashedNode}`,
  );
  lines.push('');
  for (const [name, inv] of Object.entries(result.invariants)) {
    lines.push(
      `  ${inv.ok ? 'ok  ' : 'FAIL'} ${name}${inv.ok ? '' : `: ${inv.detail} (${inv.violations} violation(s))`}`,
    );
  }
  lines.push('');
  lines.push(
    result.ok
      ? '  all invariants hold'
      : '  INVARIANT VIOLATED: replay with the same seed and scenario to reproduce',
  );
  return lines.join('\n');
}
