// The simulator's result: a finished run in result.json's shape (world/result.ts), with what only
// the simulator knows: the trace hash, virtual time, and the simulated network's counters.
import { describeFault, fmtTime } from '../world/faults.ts';
import {
  countOutcomes,
  moneyOf,
  populationOf,
  requestsByKind,
  type RunResult,
} from '../world/result.ts';
import type { Simulation } from './simulation.ts';

/** What the command that ran the simulation measured of it (the simulator keeps no clock). */
export interface RunCost {
  readonly worldBuildMs: number;
  readonly runMs: number;
  readonly peakRssBytes: number;
  /** What the built world added to the heap (after a full collection), if it was measured. */
  readonly worldHeapBytes: number | null;
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
    requests: requestsByKind(world.workload),
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
