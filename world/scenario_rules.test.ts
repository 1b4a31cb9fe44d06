// The rules that span fields, each with the field it names and the fix it gives; the actors a
// scenario's world has (which faults and links must name); and the requests a drawn population
// cannot serve, refused while the world is built and before any request is drawn.
import { describe, expect, it } from 'vitest';

import { buildWorld } from './build.ts';
import { DEFAULT_SCENARIO, ScenarioError, scenarioFrom } from './scenario.ts';
import { actorAddresses, populationShortfalls } from './scenario_rules.ts';

const SMALL = {
  topology: { provinces: 3, regionsPerProvinceMax: 2 },
  population: { wallets: 300 },
  workload: { transfers: 20, binds: 2, revokes: 1, enrolmentChanges: 1, bills: 5 },
  faults: [],
};

const refused = (input: Record<string, unknown>) => () => scenarioFrom({ ...SMALL, ...input });

describe('rules across fields', () => {
  it('relations cannot be more than all cross-province and same-province together', () => {
    expect(refused({ population: { crossProvinceShare: 0.8, sameProvinceShare: 0.3 } })).toThrow(
      /^scenario\.population\.crossProvinceShare: 0\.8 \+ sameProvinceShare 0\.3 is more than 1 .*: lower one of them$/,
    );
    expect(() =>
      scenarioFrom({ population: { crossProvinceShare: 0.7, sameProvinceShare: 0.3 } }),
    ).not.toThrow();
  });

  it('a population confined to wallet regions needs a date on which some region has it', () => {
    expect(
      refused({ population: { regions: 'walletEnabled' }, protocol: { startDate: '2024-11-30' } }),
    ).toThrow(
      /^scenario\.population\.regions: walletEnabled, but no region has the wallet on 2024-11-30 \(the rollout begins 2024-12-02, E8\)/,
    );
    expect(() =>
      scenarioFrom({
        population: { regions: 'walletEnabled' },
        protocol: { startDate: '2024-12-02' },
      }),
    ).not.toThrow();
  });

  it('bills cannot be more than all same-province and cross-province together', () => {
    expect(
      refused({ workload: { billScopes: { sameProvince: 0.5, crossProvince: 0.6 } } }),
    ).toThrow(
      /^scenario\.workload\.billScopes: sameProvince 0\.5 \+ crossProvince 0\.6 is more than 1/,
    );
  });

  it('the longest retry delay is not below the shortest', () => {
    expect(refused({ protocol: { retryDelayMsMin: 500, retryDelayMsMax: 400 } })).toThrow(
      /^scenario\.protocol\.retryDelayMsMax: 400 is below retryDelayMsMin 500: raise it/,
    );
  });

  it('the mean transfer amount can be reached from the median, and the median is in range', () => {
    expect(refused({ workload: { amountMedianYuan: 500, amountMeanYuan: 400 } })).toThrow(
      /^scenario\.workload\.amountMeanYuan: a mean of 400 yuan cannot be reached with a median of 500/,
    );
    expect(refused({ workload: { amountMedianYuan: 5000 } })).toThrow(
      /^scenario\.workload\.amountMedianYuan: 5000 is over the largest transfer/,
    );
  });

  it('the start date is a date of the calendar', () => {
    expect(refused({ protocol: { startDate: '2025-02-30' } })).toThrow(
      /^scenario\.protocol\.startDate: /,
    );
  });

  it('a fault names actors of this world; with the default schedule, the message says why', () => {
    const crash = { type: 'crash', at: '10:00', duration: '1m', node: 'wallet.08' };
    expect(refused({ faults: [crash] })).toThrow(
      /^scenario\.faults\[0\]\.node: 'wallet\.08' is no actor of this world \(province\.\d\d … settlement\.0/,
    );
    const cut = {
      type: 'partition',
      at: 0,
      duration: '1m',
      groupA: ['wallet.*'],
      groupB: ['walet.*'],
    };
    expect(refused({ faults: [cut] })).toThrow(
      /^scenario\.faults\[0\]\.groupB: 'walet\.\*' names no node/,
    );
    // The app is a node of the network (the properties cut it off, and their counterexamples
    // must replay from files): a partition may name it, and it may lie; it cannot crash.
    expect(refused({ faults: [{ ...cut, groupB: ['app.*'] }] })).not.toThrow();
    const lie = { type: 'peer', at: 0, duration: '1m', node: 'app.0', lie: 'id', rate: 0.1 };
    expect(refused({ faults: [lie] })).not.toThrow();
    expect(refused({ faults: [{ ...crash, node: 'app.0' }] })).toThrow(/'app\.0' is no actor/);
    expect(() => scenarioFrom({ topology: { provinces: 3 } })).toThrow(
      /the default fault schedule is made for the national topology; give this topology its own faults \(or faults: \[\]\)$/,
    );
  });

  it('a network link names actors of this world (or *)', () => {
    const link = (from: string) => ({ network: { links: [{ from, to: '*', lossRate: 0.1 }] } });
    expect(refused(link('wallet.*'))).not.toThrow();
    expect(refused(link('walet.*'))).toThrow(
      /^scenario\.network\.links\[0\]\.from: 'walet\.\*' names no actor/,
    );
  });
});

describe("a scenario's actors", () => {
  it('are the ones its world builds, in the same order', () => {
    const scenario = scenarioFrom(SMALL);
    expect(actorAddresses(scenario)).toEqual([...buildWorld(scenario).actors.keys()]);
    expect(actorAddresses(DEFAULT_SCENARIO)).toHaveLength(31 + 8 + 1);
  });
});

describe('what the drawn population cannot serve', () => {
  const build = (input: Record<string, unknown>) => () =>
    buildWorld(scenarioFrom({ ...SMALL, ...input }));
  const none = { population: { wallets: 300, candidateShare: 0 } };

  it('bindings need bind candidates: refused while the world is built, before any request', () => {
    expect(build(none)).toThrow(ScenarioError);
    expect(build(none)).toThrow(
      /^scenario\.workload\.binds: the population of 300 wallets has no bind candidates for 2 bindings: raise population\.wallets \(now 300\) or population\.candidateShare, or set workload\.binds: 0$/,
    );
    expect(build({ ...none, workload: { transfers: 5, binds: 0 } })).not.toThrow();
    // The national day with 3 wallets (`--wallets 3`): too few people to have an unbound relative.
    expect(() => buildWorld(scenarioFrom({ population: { wallets: 3 } }))).toThrow(
      /population of 3 wallets has no bind candidates for 2000 bindings/,
    );
  });

  it('scripted bindings need candidates too', () => {
    const bind = { at: 0, candidate: 0, face: 'PASS', claim: 'true' };
    expect(build({ ...none, binds: [bind] })).toThrow(
      /^scenario\.binds: the population has no bind candidates: raise population\.wallets/,
    );
  });

  it('requests that name relations need relations (the generator always draws some: a guard)', () => {
    const scenario = scenarioFrom(SMALL);
    const empty = { ...buildWorld(scenario).population, relations: [] };
    expect(populationShortfalls(scenario, empty)).toEqual([
      'scenario.workload.transfers: the population has no relations to draw requests from: ' +
        'raise population.wallets (now 300) or population.donorShare, or set workload.transfers: 0',
    ]);
    const scripted = scenarioFrom({ ...SMALL, ends: [{ at: 0, relation: 0, by: 'donor' }] });
    expect(populationShortfalls(scripted, empty)[0]).toMatch(
      /^scenario\.ends: the population has no relations to name/,
    );
  });
});
