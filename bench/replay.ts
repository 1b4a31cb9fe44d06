// The ceiling the benches measure against: the very same actor steps (every message and timer
// each actor handled, recorded from a first run) replayed into fresh actors through the same
// XState machines, with no network (no codec, transport, latency or faults) and no checkers.
import { APP_ADDRESS } from '../actors/addresses.ts';
import type { Actor, Effects } from '../actors/effects.ts';
import type { StepInput } from '../host/actor_host.ts';
import { MemoryStore } from '../host/store.ts';
import { Simulation, type SimulationHooks } from '../sim/simulation.ts';
import { AppClient } from '../world/app_client.ts';
import { buildWorld } from '../world/build.ts';
import type { Scenario } from '../world/scenario.ts';

interface Recorded {
  readonly address: string;
  readonly now: number;
  readonly input: StepInput;
}

const noEffects: Effects = { send() {}, write() {}, timer() {}, cancelTimer() {}, emit() {} };

/** Effects that keep only persistence: each write lands in the actor's store, as a sync would. */
function storeEffects(store: MemoryStore): Effects {
  return { ...noEffects, write: (key, value) => void store.durable.set(key, value) };
}

export function record(scenario: Scenario): { steps: Recorded[]; transitions: number } {
  const { sim, steps } = recording(scenario);
  const before = transitionsOf(sim);
  sim.run();
  return { steps, transitions: transitionsOf(sim) - before };
}

function transitionsOf(sim: Simulation): number {
  return sim.world.machines.wallets.transitions + sim.world.machines.sagas.transitions;
}

/**
 * Replay recorded steps into fresh actors: the ceiling. `withStore`: every write also lands in the
 * actor's store (the ceiling: the same transitions with no network and no checkers);
 * without it, the bare actors (stricter: no persistence either). Returns wall ms.
 */
export function replay(scenario: Scenario, steps: readonly Recorded[], withStore: boolean): number {
  const actors = new Map<string, { actor: Actor; fx: Effects }>();
  const world = buildWorld(scenario);
  world.releasePopulation(); // as the simulator does: its people are the actors' records now
  const stepped = (address: string, actor: Actor, store: MemoryStore) =>
    actors.set(address, { actor, fx: withStore ? storeEffects(store) : noEffects });
  for (const [address, spec] of world.actors) {
    const store = MemoryStore.adopting(spec.opening);
    stepped(address, spec.make(store.durable), store);
  }
  stepped(APP_ADDRESS, new AppClient(APP_ADDRESS, scenario.protocol), new MemoryStore());
  settle();
  const t0 = performance.now();
  for (const { address, now, input } of steps) {
    const { actor, fx } = actors.get(address) as { actor: Actor; fx: Effects };
    if (input.type === 'message') actor.handle(input.env, now, fx);
    else if (input.type === 'timer') actor.timer(input.key, input.arg, now, fx);
    else input.step(actor, now, fx);
  }
  return performance.now() - t0;
}

/** Collect the previous run's world first, so no run pays for another's garbage. */
export function settle(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('bench: run node with --expose-gc (npm run bench does)');
  gc();
  gc();
}

/** A simulation built to record every step its actors take (run it to fill `steps`). */
export function recording(
  scenario: Scenario,
  hooks: SimulationHooks = {},
): { sim: Simulation; steps: Recorded[] } {
  const steps: Recorded[] = [];
  const sim = new Simulation(scenario, {
    ...hooks,
    tap: (address, now, input) => steps.push({ address, now, input }),
  });
  return { sim, steps };
}
