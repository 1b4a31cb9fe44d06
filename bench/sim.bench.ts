// `npm run bench`: simulated transfers and messages per wall second for a fixed scenario, against
// a ceiling measured in the same run: the very same actor steps (every message and timer each
// actor handled, recorded from a first run) replayed into fresh actors through the same XState
// machines, with no network, codec, persistence or checkers. The ratio is what the simulator
// costs on top of the actors themselves. Target: ≥ 50 % of the ceiling with all checkers on.
import type { Actor, Effects } from '../actors/effects.ts';
import type { StepInput } from '../cluster/host.ts';
import { MemoryStore } from '../cluster/memory_store.ts';
import { Prng } from '../sim/prng.ts';
import type { Scenario } from '../sim/scenario.ts';
import { BENCH_SCENARIO } from './bench_scenario.ts';
import { Simulation, buildWorld } from '../sim/simulation.ts';

interface Recorded {
  readonly address: string;
  readonly now: number;
  readonly input: StepInput;
}

const noEffects: Effects = { send() {}, write() {}, timer() {}, cancelTimer() {}, emit() {} };

function record(scenario: Scenario): { steps: Recorded[]; transitions: number } {
  const steps: Recorded[] = [];
  const sim = new Simulation(scenario, { tap: (address, now, input) => steps.push({ address, now, input }) });
  const before = transitionsOf(sim);
  sim.run();
  return { steps, transitions: transitionsOf(sim) - before };
}

function transitionsOf(sim: Simulation): number {
  return sim.world.machines.wallets.transitions + sim.world.machines.sagas.transitions;
}

/** Replay recorded steps into fresh actors: the ceiling. Returns wall ms. */
function replay(scenario: Scenario, steps: readonly Recorded[]): number {
  const actors = new Map<string, Actor>();
  const prng = new Prng(scenario.seed);
  buildWorld(scenario, prng.fork(), (address, factory, records) => {
    actors.set(address, factory(new MemoryStore(records).durable));
    return undefined as never;
  });
  const t0 = performance.now();
  for (const { address, now, input } of steps) {
    const actor = actors.get(address) as Actor;
    if (input.type === 'message') actor.handle(input.env, now, noEffects);
    else if (input.type === 'timer') actor.timer(input.key, input.arg, now, noEffects);
    else input.step(actor, now, noEffects);
  }
  return performance.now() - t0;
}

function measureSimulation(scenario: Scenario) {
  const sim = new Simulation(scenario);
  const t0 = performance.now();
  sim.run();
  const wallMs = performance.now() - t0;
  if (!sim.checkers.ok) throw new Error('bench: an invariant failed; fix that before measuring');
  const transfers = [...sim.checkers.terminal.values()].filter((t) => t.outcome !== 'refused').length;
  return { wallMs, transfers, deliveries: sim.deliveries, steps: 0 };
}

function main(): void {
  const scenario = BENCH_SCENARIO;
  const { steps, transitions } = record(scenario);
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const sims = [];
  const ceilings = [];
  for (let i = 0; i < runs; i++) {
    sims.push(measureSimulation(scenario));
    ceilings.push(replay(scenario, steps));
  }
  const sim = best(sims, (s) => s.wallMs);
  const ceilingMs = Math.min(...ceilings);
  const stepsPerSecSim = (steps.length / sim.wallMs) * 1000;
  const stepsPerSecCeiling = (steps.length / ceilingMs) * 1000;
  const ratio = stepsPerSecSim / stepsPerSecCeiling;
  const rows: Array<[string, string]> = [
    ['scenario', `${scenario.name} (seed ${scenario.seed}): 31 provinces, ${scenario.population.wallets} wallets, ${scenario.workload.transfers} requests`],
    ['actor steps', `${steps.length} (${transitions} wallet/saga transitions)`],
    ['simulation wall', `${sim.wallMs.toFixed(0)} ms (best of ${runs}), all checkers on`],
    ['transfers/s (wall)', fmt((sim.transfers / sim.wallMs) * 1000)],
    ['messages/s (wall)', fmt((sim.deliveries / sim.wallMs) * 1000)],
    ['actor steps/s', fmt(stepsPerSecSim)],
    ['ceiling steps/s', `${fmt(stepsPerSecCeiling)} (same steps, same machines, no network/codec/store/checkers)`],
    ['ratio to ceiling', `${(ratio * 100).toFixed(1)} % (target ≥ 50 %)`],
  ];
  for (const [k, v] of rows) console.log(`${k.padEnd(20)} ${v}`);
  console.log(JSON.stringify({ bench: 'sim', transfersPerSec: (sim.transfers / sim.wallMs) * 1000,
    messagesPerSec: (sim.deliveries / sim.wallMs) * 1000, stepsPerSec: stepsPerSecSim,
    ceilingStepsPerSec: stepsPerSecCeiling, ratio }));
}

function best<T>(items: readonly T[], key: (item: T) => number): T {
  return items.reduce((a, b) => (key(b) < key(a) ? b : a));
}

function fmt(x: number): string {
  return Math.round(x).toLocaleString('en-US');
}

main();
