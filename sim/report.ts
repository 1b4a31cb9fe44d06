// The simulator's result: a finished run in result.json's shape (world/result.ts), with what only
// the simulator knows: the trace hash, virtual time, and the simulated network's counters.
import { formatFen } from '../protocol/index.ts';
import { BUILTIN_SCENARIOS } from '../world/builtin_scenarios.ts';
import { describeFault, fmtTime } from '../world/faults.ts';
import {
  completedTransfers,
  countOutcomes,
  moneyOf,
  populationOf,
  type RunResult,
} from '../world/result.ts';
import type { Simulation } from './simulation.ts';

/** What the command that ran the simulation measured of it (the simulator keeps no clock). */
export interface RunCost {
  /** Wall ms the run spent in each workload day, where the command timed them. */
  readonly dayWallMs?: readonly number[];
  readonly worldBuildMs: number;
  readonly runMs: number;
  readonly peakRssBytes: number;
  /** What the built world added to the heap (after a full collection), if it was measured. */
  readonly worldHeapBytes: number | null;
}

/** A built-in scenario's public figures, beside the run's successful transfers and yuan. */
function reportedOf(name: string, outcomes: Parameters<typeof completedTransfers>[0]) {
  const reported = BUILTIN_SCENARIOS.get(name)?.reported;
  if (reported === undefined) return null;
  const done = completedTransfers(outcomes);
  return {
    source: reported.source,
    transfers: { reported: reported.transfers, simulated: done.count },
    yuan: { reported: reported.yuan, simulated: formatFen(done.fen) },
  };
}

export function buildResult(sim: Simulation, cost: RunCost): RunResult {
  const wallMs = cost.worldBuildMs + cost.runMs;
  const { checkers, world, scenario } = sim;
  const { counts, reasons } = countOutcomes(checkers, {
    pending: false,
    requireReceipt: scenario.protocol.requireReceipt,
  });
  return {
    runtime: 'sim',
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
    requests: sim.workloadCounts,
    money: moneyOf(checkers.money, { people: world.openingTotal, funds: world.openingFunds }),
    population: populationOf(world),
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
    boundary: Object.fromEntries(sim.codecRejections),
    faults: scenario.faults.map(describeFault),
    lastHealAt: fmtTime(sim.lastHealAt),
    lifecycleBoundMs: scenario.checks.lifecycleBoundMs,
    latencyMs: checkers.latencyMs(),
    cluster: null,
    rates: sim.workloadRates,
    reported: reportedOf(scenario.name, checkers),
    days: sim.days.map((d) => ({ ...d, wallMs: Math.round(cost.dayWallMs?.[d.day] ?? 0) })),
    performance: {
      worldBuildMs: Math.round(cost.worldBuildMs),
      runMs: Math.round(cost.runMs),
      deliveriesPerSecond: Math.round(sim.deliveries / Math.max(cost.runMs / 1000, 0.001)),
      peakRssBytes: cost.peakRssBytes,
      bytesPerWallet:
        cost.worldHeapBytes === null
          ? null
          : Math.round(cost.worldHeapBytes / Math.max(world.census.wallets, 1)),
    },
  };
}
