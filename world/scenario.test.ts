// Scenario files: defaults are overridden field by field; every bad field is refused with an
// error that names it and the value, and a bad file changes nothing (no partial scenario).

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { PROTOCOL_DEFAULTS } from '../actors/config.ts';
import { DEFAULT_SCENARIO, duration, ScenarioError, scenarioFrom, time } from './scenario.ts';

/** A valid scripted bill and contribution, for the bad-input cases to spoil one field of. */
const BILL = {
  at: '10:00',
  patient: 0,
  where: 'local',
  care: 'outpatient',
  amount: '120',
  action: 'settle',
  useWallet: true,
  emergency: false,
};
const CONTRIBUTION = { at: '10:00', relation: 0, source: 'ACCOUNT', nextYear: false };
const bill = (fields: Record<string, unknown>) => ({ bills: [{ ...BILL, ...fields }] });
const contribution = (fields: Record<string, unknown>) => ({
  contributions: [{ ...CONTRIBUTION, ...fields }],
});
const without = (item: Record<string, unknown>, key: string) =>
  Object.fromEntries(Object.entries(item).filter(([k]) => k !== key));

describe('scenario files', () => {
  it('an empty file is the default national day', () => {
    expect(scenarioFrom({})).toEqual({ ...DEFAULT_SCENARIO, transfers: undefined });
  });

  it('YAML overrides fields, with readable times, durations and yuan amounts', () => {
    const scenario = scenarioFrom(
      parse(`
name: pilot
seed: 42
population: { wallets: 500, crossProvinceShare: 0.5 }
protocol: { variant: timeoutFails, walletShardCount: 2 }
faults:
  - type: partition
    at: "08:30"
    duration: 10m
    groupA: [province.51]
    groupB: ["wallet.*"]
    oneWay: true
  - { type: crash, at: "D1+00:00:05", duration: 30s, node: wallet.01 }
transfers:
  - { at: "10:00", relation: 3, amount: "500.5" }
`),
    );
    expect(scenario.name).toBe('pilot');
    expect(scenario.population.wallets).toBe(500);
    expect(scenario.population.crossProvinceShare).toBe(0.5);
    expect(scenario.protocol.variant).toBe('timeoutFails');
    expect(scenario.protocol.transfersPerDayMax).toBe(3);
    expect(scenario.faults[0]).toEqual({
      type: 'partition',
      at: 30_600_000,
      durationMs: 600_000,
      groupA: ['province.51'],
      groupB: ['wallet.*'],
      oneWay: true,
    });
    expect(scenario.faults[1]).toMatchObject({ type: 'crash', at: 86_405_000, durationMs: 30_000 });
    expect(scenario.transfers).toEqual([{ at: 36_000_000, relation: 3, amount: 50_050n }]);
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['a negative wallet count', { population: { wallets: -3 } }, /population\.wallets.*-3/],
    ['a fractional seed', { seed: 1.5 }, /scenario\.seed/],
    ['an unknown field', { populaton: {} }, /unknown field 'populaton'/],
    ['an unknown variant', { protocol: { variant: 'yolo' } }, /protocol\.variant.*yolo/],
    ['a share above 1', { population: { donorShare: 1.5 } }, /donorShare/],
    [
      'an unknown fault type',
      { faults: [{ type: 'meteor', at: 0, duration: 1 }] },
      /faults\[0\]\.type.*meteor/,
    ],
    [
      'a time of day past 23:59',
      { faults: [{ type: 'loss', at: '25:00', duration: '1m', rate: 0.1 }] },
      /faults\[0\]\.at/,
    ],
    [
      'a duration without a unit',
      { faults: [{ type: 'loss', at: 0, duration: '5 minutes', rate: 0.1 }] },
      /duration/,
    ],
    [
      'a transfer amount with 3 decimals',
      { transfers: [{ at: 0, relation: 0, amount: '1.001' }] },
      /transfers\[0\]\.amount/,
    ],
    [
      'a negative transfer amount',
      { transfers: [{ at: 0, relation: 0, amount: -5 }] },
      /transfers\[0\]\.amount/,
    ],
    ['NaN as a latency', { network: { latencyMsMedian: Number.NaN } }, /latencyMsMedian/],
    [
      'retry max below min',
      { protocol: { retryDelayMsMin: 100, retryDelayMsMax: 10 } },
      /retryDelayMsMax/,
    ],
    ['a list instead of a mapping', [1, 2], /expected a mapping/],
    ['binds that are not a list', { binds: { at: 0 } }, /scenario\.binds: expected a list/],
    [
      'a bind without a candidate',
      { binds: [{ at: 0, face: 'PASS', claim: 'true' }] },
      /^scenario\.binds\[0\]\.candidate: missing \(a required field\)$/,
    ],
    [
      'a negative bind candidate',
      { binds: [{ at: 0, candidate: -1, face: 'PASS', claim: 'true' }] },
      /binds\[0\]\.candidate.*-1/,
    ],
    [
      'an unknown face answer',
      { binds: [{ at: 0, candidate: 0, face: 'pass', claim: 'true' }] },
      /^scenario\.binds\[0\]\.face: expected one of PASS, FAIL, NONE, got 'pass'$/,
    ],
    [
      'an unknown bind claim',
      { binds: [{ at: 0, candidate: 0, face: 'NONE', claim: 'lie' }] },
      /^scenario\.binds\[0\]\.claim: expected one of true, wrongKinship, wrongId, nonEmployee, got 'lie'$/,
    ],
    [
      'a claim given as a boolean',
      { binds: [{ at: 0, candidate: 0, face: 'FAIL', claim: true }] },
      /binds\[0\]\.claim.*got true/,
    ],
    [
      'an unknown field in a bind',
      { binds: [{ at: 0, candidate: 0, face: 'PASS', claim: 'true', kin: 'x' }] },
      /binds\[0\]: unknown field 'kin'/,
    ],
    [
      'a bind time that is no time',
      { binds: [{ at: 'noon', candidate: 0, face: 'PASS', claim: 'true' }] },
      /binds\[0\]\.at: expected ms/,
    ],
    [
      'an end by nobody',
      { ends: [{ at: 0, relation: 0, by: 'platform' }] },
      /^scenario\.ends\[0\]\.by: expected one of donor, recipient, got 'platform'$/,
    ],
    ['an end without a relation', { ends: [{ at: '10:00', by: 'donor' }] }, /ends\[0\]\.relation/],
    [
      'an end at 24:00',
      { ends: [{ at: '24:00', relation: 0, by: 'donor' }] },
      /^scenario\.ends\[0\]\.at: expected ms, or 'HH:MM\[:SS\]' \(a time of day on day 0\), or 'D<n>\+HH:MM\[:SS\]', got '24:00'$/,
    ],
    [
      'an enrolment change with a fractional relation',
      { enrolmentChanges: [{ at: 0, relation: 1.5 }] },
      /enrolmentChanges\[0\]\.relation.*1\.5/,
    ],
    [
      'an enrolment change naming a person',
      { enrolmentChanges: [{ at: 0, relation: 0, person: 'p1' }] },
      /enrolmentChanges\[0\]: unknown field 'person'/,
    ],
    ['a return hour of 24', { protocol: { returnHour: 24 } }, /protocol\.returnHour.*24/],
    ['an auth TTL without a unit', { protocol: { authTtlMs: '5 minutes' } }, /protocol\.authTtlMs/],
    ['bills that are not a list', { bills: BILL }, /^scenario\.bills: expected a list/],
    [
      'a bill that is not a mapping',
      { bills: ['10:00'] },
      /^scenario\.bills\[0\]: expected a mapping, got '10:00'$/,
    ],
    [
      'a bill without a time',
      { bills: [without(BILL, 'at')] },
      /^scenario\.bills\[0\]\.at: missing \(a required field\)$/,
    ],
    [
      'a bill at 24:00',
      bill({ at: '24:00' }),
      /^scenario\.bills\[0\]\.at: expected ms, or 'HH:MM\[:SS\]' .*got '24:00'$/,
    ],
    [
      'a bill without a patient',
      { bills: [without(BILL, 'patient')] },
      /^scenario\.bills\[0\]\.patient: missing \(a required field\)$/,
    ],
    ['a negative patient', bill({ patient: -2 }), /^scenario\.bills\[0\]\.patient: .*got -2$/],
    [
      'a patient named by id',
      bill({ patient: 'p0001' }),
      /^scenario\.bills\[0\]\.patient: .*got 'p0001'$/,
    ],
    [
      'care abroad',
      bill({ where: 'abroad' }),
      /^scenario\.bills\[0\]\.where: expected one of local, sameProvince, crossProvince, got 'abroad'$/,
    ],
    [
      'an unknown kind of care',
      bill({ care: 'dental' }),
      /^scenario\.bills\[0\]\.care: expected one of outpatient, pharmacy, inpatient, chronic, got 'dental'$/,
    ],
    ['a bill amount with 3 decimals', bill({ amount: '1.001' }), /bills\[0\]\.amount/],
    [
      'a bill of nothing',
      bill({ amount: 0 }),
      /bills\[0\]\.amount: expected a positive amount in yuan.*got 0$/,
    ],
    [
      'a bill amount past what the wire carries',
      bill({ amount: '1000000001' }),
      /bills\[0\]\.amount: amount 1000000001\.00 is over the limit/,
    ],
    [
      'an unknown POS action',
      bill({ action: 'refund' }),
      /^scenario\.bills\[0\]\.action: expected one of settle, cancelBefore, cancelAfter, timeout, abandon, got 'refund'$/,
    ],
    [
      'useWallet as text',
      bill({ useWallet: 'Y' }),
      /^scenario\.bills\[0\]\.useWallet: expected true or false, got 'Y'$/,
    ],
    [
      'a bill without its emergency flag',
      { bills: [without(BILL, 'emergency')] },
      /^scenario\.bills\[0\]\.emergency: missing \(a required field\)$/,
    ],
    [
      'a bill naming its disease',
      bill({ disease: 'DIABETES' }),
      /^scenario\.bills\[0\]: unknown field 'disease'/,
    ],
    [
      'contributions that are not a list',
      { contributions: 3 },
      /^scenario\.contributions: expected a list, got 3$/,
    ],
    [
      'a contribution without a relation',
      { contributions: [without(CONTRIBUTION, 'relation')] },
      /^scenario\.contributions\[0\]\.relation: missing \(a required field\)$/,
    ],
    [
      'a contribution in cash',
      contribution({ source: 'CASH' }),
      /^scenario\.contributions\[0\]\.source: expected one of ACCOUNT, WALLET, got 'CASH'$/,
    ],
    [
      'a contribution year as a number',
      contribution({ nextYear: 2026 }),
      /^scenario\.contributions\[0\]\.nextYear: expected true or false, got 2026$/,
    ],
    [
      'a contribution time that is no time',
      contribution({ at: 'evening' }),
      /^scenario\.contributions\[0\]\.at: expected ms/,
    ],
    [
      'a contribution with an amount',
      contribution({ amount: '400' }),
      /^scenario\.contributions\[0\]: unknown field 'amount'/,
    ],
  ];
  for (const [what, input, message] of bad) {
    it(`refuses ${what}, naming the field`, () => {
      expect(() => scenarioFrom(input)).toThrow(ScenarioError);
      expect(() => scenarioFrom(input)).toThrow(message);
    });
  }

  it('reads scripted bindings, revocations and enrolment changes, field by field', () => {
    const scenario = scenarioFrom(
      parse(`
binds:
  - { at: "10:00:05", candidate: 2, face: PASS, claim: "true" }
  - { at: 36000000, candidate: 0, face: NONE, claim: wrongKinship }
  - { at: "D1+09:00", candidate: 7, face: FAIL, claim: nonEmployee }
  - { at: "10:00", candidate: 1, face: PASS, claim: wrongId }
ends:
  - { at: "10:01", relation: 4, by: recipient }
enrolmentChanges:
  - { at: "10:02", relation: 0 }
`),
    );
    expect(scenario.binds).toEqual([
      { at: 36_005_000, candidate: 2, face: 'PASS', claim: 'true' },
      { at: 36_000_000, candidate: 0, face: 'NONE', claim: 'wrongKinship' },
      { at: 86_400_000 + 32_400_000, candidate: 7, face: 'FAIL', claim: 'nonEmployee' },
      { at: 36_000_000, candidate: 1, face: 'PASS', claim: 'wrongId' },
    ]);
    expect(scenario.ends).toEqual([{ at: 36_060_000, relation: 4, by: 'recipient' }]);
    expect(scenario.enrolmentChanges).toEqual([{ at: 36_120_000, relation: 0 }]);
    expect(scenario.transfers).toBeUndefined();
  });

  it('reads scripted bills and contributions, field by field', () => {
    const scenario = scenarioFrom(
      parse(`
bills:
  - { at: "10:00:05", patient: 3, where: local, care: outpatient, amount: "200.5",
      action: settle, useWallet: true, emergency: false }
  - { at: 36000000, patient: 0, where: crossProvince, care: inpatient, amount: 12000,
      action: timeout, useWallet: false, emergency: true }
  - { at: "D1+08:00", patient: 9, where: sameProvince, care: chronic, amount: 0.01,
      action: abandon, useWallet: true, emergency: false }
contributions:
  - { at: "10:01", relation: 2, source: WALLET, nextYear: false }
  - { at: "20:00", relation: 0, source: ACCOUNT, nextYear: true }
`),
    );
    expect(scenario.bills).toEqual([
      {
        at: 36_005_000,
        patient: 3,
        where: 'local',
        care: 'outpatient',
        amount: 20_050n,
        action: 'settle',
        useWallet: true,
        emergency: false,
      },
      {
        at: 36_000_000,
        patient: 0,
        where: 'crossProvince',
        care: 'inpatient',
        amount: 1_200_000n,
        action: 'timeout',
        useWallet: false,
        emergency: true,
      },
      {
        at: 86_400_000 + 28_800_000,
        patient: 9,
        where: 'sameProvince',
        care: 'chronic',
        amount: 1n,
        action: 'abandon',
        useWallet: true,
        emergency: false,
      },
    ]);
    expect(scenario.contributions).toEqual([
      { at: 36_060_000, relation: 2, source: 'WALLET', nextYear: false },
      { at: 72_000_000, relation: 0, source: 'ACCOUNT', nextYear: true },
    ]);
    // Scripted, every other list is absent: the workload is exactly these requests.
    expect(scenario.transfers).toBeUndefined();
    expect(scenarioFrom({ contributions: [] }).transfers).toBeUndefined();
  });

  it('names the field and the value of a bad scripted step', () => {
    const binds = [0, 1, 2].map((candidate) => ({
      at: 0,
      candidate,
      face: candidate === 2 ? 'X' : 'PASS',
      claim: 'true',
    }));
    expect(() => scenarioFrom({ binds })).toThrow(
      "scenario.binds[2].face: expected one of PASS, FAIL, NONE, got 'X'",
    );
    const bills = [BILL, BILL, { ...BILL, care: 'surgery' }];
    expect(() => scenarioFrom({ bills })).toThrow(
      'scenario.bills[2].care: expected one of outpatient, pharmacy, inpatient, chronic, ' +
        "got 'surgery'",
    );
  });

  it('W5: re-transfer is not modelled: a scenario that asks for it is refused, naming the field and the rule', () => {
    for (const value of [true, false]) {
      expect(() => scenarioFrom({ protocol: { allowWalletToWalletRetransfer: value } })).toThrow(
        /scenario\.protocol\.allowWalletToWalletRetransfer: .*\(W5\) is not modelled/,
      );
    }
  });

  it('reads every protocol field (none is accepted and then ignored)', () => {
    // A value other than the default for each field, derived from the default's type so that a
    // field added later is covered too.
    const special: Record<string, unknown> = {
      variant: 'noDedup',
      startDate: '2026-01-05',
      blackoutHourStart: 21,
      netting: 'pairwise',
    };
    const changed = Object.fromEntries(
      Object.entries(PROTOCOL_DEFAULTS).map(([key, value]) => [
        key,
        key in special
          ? special[key]
          : typeof value === 'boolean'
            ? !value
            : typeof value === 'bigint'
              ? Number(value) - 1
              : (value as number) + 1,
      ]),
    );
    const { protocol } = scenarioFrom({ protocol: changed });
    for (const [key, value] of Object.entries(changed)) {
      const read = protocol[key as keyof typeof protocol];
      expect(typeof read === 'bigint' ? Number(read) : read, key).toEqual(value);
      expect(read, key).not.toEqual(PROTOCOL_DEFAULTS[key as keyof typeof PROTOCOL_DEFAULTS]);
    }
    // Durations read as durations, also for the fields without a rule of their own.
    expect(scenarioFrom({ protocol: { authTtlMs: '2m', returnHour: 9 } }).protocol).toMatchObject({
      authTtlMs: 120_000,
      returnHour: 9,
    });
    expect(() => scenarioFrom({ protocol: { netting: 'bilateral' } })).toThrow(
      /netting: expected one of multilateral, pairwise/,
    );
  });

  it('parses times and durations', () => {
    expect(time('06:00', 'x')).toBe(21_600_000);
    expect(time('D2+01:02:03', 'x')).toBe(2 * 86_400_000 + 3_723_000);
    expect(duration('250ms', 'x')).toBe(250);
    expect(duration('1.5h', 'x')).toBe(5_400_000);
    expect(() => time('6am', 'x')).toThrow(/HH:MM/);
  });
});
