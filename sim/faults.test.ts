// The fault types issue 13 added, each on a small world with a few transfers: what each does to
// the run (a clock that reads otherwise, a process that catches up late, messages held and not
// lost, a wipe or a lying disk named by `durability`, a torn batch that an atomic journal drops,
// late redeliveries, a peer's lies), and that each is read from a scenario file as written.
import { describe, expect, it } from 'vitest';

import type { FaultEvent } from '../world/faults.ts';
import { jsonReplacer } from '../world/json.ts';
import { type Scenario, scenarioFrom } from '../world/scenario.ts';
import { scenarioFile } from '../world/scenario_file.ts';
import { Simulation } from './simulation.ts';

const HOUR = 3_600_000;
const AT = 10 * HOUR;

function scenario(faults: FaultEvent[], extra: Partial<Scenario> = {}): Scenario {
  const base = scenarioFrom({
    seed: 5,
    topology: { provinces: 2, regionsPerProvinceMax: 1 },
    population: { wallets: 60 },
    workload: { transfers: 0 },
    protocol: { walletShardCount: 2 },
    transfers: Array.from({ length: 12 }, (_, i) => ({
      at: AT + i * 2_000,
      relation: i,
      amount: '100',
    })),
    faults: [],
    checks: { checkpointEveryDeliveries: 50, lifecycleBoundMs: 300_000 },
  });
  return { ...base, ...extra, faults };
}

const run = (s: Scenario) => new Simulation(s).run();
const failed = (sim: Simulation) =>
  [...sim.checkers.results].filter(([, r]) => !r.ok).map(([name]) => name);

describe('the fault space', () => {
  it('skew: the node reads its own clock, the others the true one, and all ends well', () => {
    const skew: FaultEvent = {
      type: 'skew',
      at: AT - 1_000,
      durationMs: 60_000,
      node: 'wallet.00',
      offsetMs: 13 * HOUR,
      driftPpm: 300,
    };
    const sim = new Simulation(scenario([skew]));
    sim.advance();
    expect(sim.clockOf('wallet.01')).toBe(sim.virtualMs);
    sim.finish();
    expect(failed(sim)).toEqual([]);
    // At 23:00 by its clock, wallet.00's donors are in W8's blackout: some transfers refused.
    const plain = run(scenario([]));
    expect(sim.trace.hash).not.toBe(plain.trace.hash);
    expect(sim.app.refused).toBeGreaterThan(plain.app.refused);
  });

  it('pause: what reaches the node waits and is delivered late, nothing is lost', () => {
    const pause: FaultEvent = { type: 'pause', at: AT, durationMs: 30_000, node: 'province.11' };
    const sim = run(scenario([pause]));
    expect(failed(sim)).toEqual([]);
    expect(sim.faultEffects.paused).toBeGreaterThan(0);
    expect(sim.droppedDown).toBe(0);
  });

  it('clog: messages between the groups are held until it clears, not dropped', () => {
    const clog: FaultEvent = {
      type: 'clog',
      at: AT,
      durationMs: 45_000,
      groupA: ['wallet.*'],
      groupB: ['province.*'],
      oneWay: false,
    };
    const sim = run(scenario([clog]));
    expect(failed(sim)).toEqual([]);
    expect(sim.faultEffects.clogged).toBeGreaterThan(0);
    expect(sim.droppedPartition).toBe(0);
  });

  it('reboot: kept data survives; a wipe is named by durability with what was lost', () => {
    const reboot = (wipe: boolean): FaultEvent => ({
      type: 'reboot',
      at: AT + 40_000,
      durationMs: 5_000,
      node: 'province.11',
      wipe,
    });
    expect(failed(run(scenario([reboot(false)])))).toEqual([]);
    const wiped = run(scenario([reboot(true)]));
    const durability = wiped.checkers.results.get('durability');
    expect(durability?.ok).toBe(false);
    expect(durability?.detail).toMatch(
      /province\.11 was wiped at D0\+10:00:40\.000 and restored from its opening backup: \d+ records lost, its money/,
    );
  });

  it("storage lostWrite: the disk's lie is named by durability, with the records", () => {
    const disk: FaultEvent = {
      type: 'storage',
      at: AT,
      durationMs: 60_000,
      node: 'province.11',
      mode: 'lostWrite',
      rate: 1,
    };
    const sim = run(scenario([disk]));
    expect(sim.faultEffects.lostWrites).toBeGreaterThan(0);
    expect(sim.checkers.results.get('durability')?.detail).toMatch(
      /province\.11's disk lost \d+ acknowledged writes at D0\+10:00:/,
    );
  });

  it('storage tornWrite: an atomic journal drops the torn batch; a record-by-record one breaks', () => {
    const disk: FaultEvent = {
      type: 'storage',
      at: AT,
      durationMs: 20_000,
      node: 'wallet.00',
      mode: 'tornWrite',
      rate: 1,
    };
    const atomic = run(scenario([disk]));
    expect(atomic.faultEffects.tornWrites).toBe(1);
    expect(failed(atomic)).toEqual([]);
    const torn = run(scenario([disk], { atomicBatches: false }));
    expect(torn.faultEffects.tornWrites).toBe(1);
    expect(failed(torn).length).toBeGreaterThan(0);
  });

  it('redeliver: late duplicates past a dedup window are absorbed', () => {
    const redeliver: FaultEvent = {
      type: 'redeliver',
      at: AT,
      durationMs: 60_000,
      rate: 0.5,
      delayMs: 180_000,
    };
    const sim = run(scenario([redeliver]));
    expect(sim.network.redelivered).toBeGreaterThan(0);
    expect(failed(sim)).toEqual([]);
  });

  it('peer: a trusted node tells lies of each kind, and they are counted and remembered', () => {
    const lies = (['id', 'amount', 'target'] as const).map((lie): FaultEvent => ({
      type: 'peer',
      at: AT,
      durationMs: 60_000,
      node: 'wallet.00',
      lie,
      rate: 0.5,
    }));
    const sim = run(scenario(lies));
    expect(sim.network.lies.id).toBeGreaterThan(0);
    expect(sim.network.lies.amount).toBeGreaterThan(0);
    expect(sim.network.lies.target).toBeGreaterThan(0);
    expect([...sim.network.liedAbout].some((id) => id.endsWith('.f'))).toBe(true);
  });

  it('every new fault type is read from a scenario file as written, and replays', () => {
    const faults: FaultEvent[] = [
      { type: 'skew', at: AT, durationMs: 1_000, node: 'wallet.00', offsetMs: -5, driftPpm: 7 },
      { type: 'pause', at: AT, durationMs: 1_000, node: 'wallet.00' },
      {
        type: 'clog',
        at: AT,
        durationMs: 1_000,
        groupA: ['wallet.*'],
        groupB: ['settlement.0'],
        oneWay: true,
      },
      { type: 'reboot', at: AT, durationMs: 1_000, node: 'province.11', wipe: false },
      {
        type: 'storage',
        at: AT,
        durationMs: 1_000,
        node: 'wallet.01',
        mode: 'tornWrite',
        rate: 0.5,
      },
      { type: 'redeliver', at: AT, durationMs: 1_000, rate: 0.25, delayMs: 30_000 },
      { type: 'peer', at: AT, durationMs: 1_000, node: 'wallet.01', lie: 'target', rate: 0.1 },
    ];
    const written = scenario(faults);
    const read = scenarioFrom(JSON.parse(JSON.stringify(scenarioFile(written), jsonReplacer)));
    expect(read.faults).toEqual(faults);
    expect(run(read).trace.hash).toBe(run(written).trace.hash);
    expect(() =>
      scenarioFrom({ faults: [{ type: 'pause', at: AT, duration: '1s', node: 'wallet.99' }] }),
    ).toThrow(/'wallet.99' is no actor of this world/);
    expect(() =>
      scenarioFrom({
        topology: { provinces: 1 },
        faults: [{ type: 'storage', at: AT, duration: '1s', node: 'wallet.00', mode: 'x' }],
      }),
    ).toThrow(/scenario\.faults\[0\]/);
  });
});
