// Checks actors/policy.ts against DOMAIN §2 (its totals on the real topology are in
// world/policy_topology.test.ts): the E8 rollout's rules, E7 kinship scope by date, C1
// contributions, P4 credits (and their national mean, §4.2), the P3/D1/D7 bill split (examples
// plus fast-check invariants) and D9's closed disease list.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { type Care, CARE_KINDS } from '../protocol/index.ts';
import { CLOSE_KINSHIPS, NON_CLOSE_KINSHIPS, NUCLEAR_KINSHIPS } from '../protocol/index.ts';
import { dateKeyOf, parseDate } from './calendar.ts';
import { PROTOCOL_DEFAULTS } from './config.ts';
import { policyFor } from './domain_policy.ts';
import {
  type BillInput,
  type BillPolicy,
  CHRONIC_DISEASES,
  closeRelativesFrom,
  contributionYearOn,
  crossProvinceAllowed,
  isChronicDisease,
  kinshipAllowed,
  meanContributionBaseFen,
  monthlyCreditFen,
  type OutOfRegion,
  policyOf,
  residentContributionFen,
  type RolloutStage,
  rolloutStageAt,
  splitBill,
  validateRollout,
  WALLET_ROLLOUT,
  walletEnabled,
} from './policy.ts';
import { PROVINCE_CODES } from './regions.ts';

const d = parseDate;
describe('E8: a rollout table, checked before use', () => {
  const stage = (from: string, entries: Array<[string, 'all' | number]>): RolloutStage => ({
    from: d(from),
    fromKey: dateKeyOf(d(from)),
    source: 'test',
    provinces: new Map(entries),
  });
  const early = stage('2024-01-01', [['51', 2]]);

  it('accepts stages in date order that only widen, and reads the stage in force', () => {
    const wider = stage('2024-06-01', [
      ['51', 'all'],
      ['32', 1],
    ]);
    expect(() => validateRollout([early, wider])).not.toThrow();
    expect(rolloutStageAt(d('2023-12-31'), [early, wider])).toBeUndefined();
    expect(rolloutStageAt(d('2024-01-01'), [early, wider])).toBe(early);
    expect(rolloutStageAt(d('2024-05-31'), [early, wider])).toBe(early);
    expect(rolloutStageAt(d('2024-06-01'), [early, wider])).toBe(wider);
    // Regions by rank within their province: Sichuan's first two in January, all in June.
    expect(walletEnabled('510100', d('2024-02-01'), [early, wider])).toBe(true);
    expect(walletEnabled('513400', d('2024-02-01'), [early, wider])).toBe(false);
    expect(walletEnabled('513400', d('2024-07-01'), [early, wider])).toBe(true);
    expect(walletEnabled('320500', d('2024-02-01'), [early, wider])).toBe(false);
  });

  it.each([
    ['a stage not after the one before', [early, stage('2024-01-01', [['51', 3]])], 'is not after'],
    ['an unknown province', [stage('2024-01-01', [['99', 1]])], 'bad entry 99:1'],
    ['k below 1', [stage('2024-01-01', [['51', 0]])], 'bad entry 51:0'],
    ['k not whole', [stage('2024-01-01', [['51', 1.5]])], 'bad entry 51:1.5'],
    ['a province dropped', [early, stage('2024-06-01', [['32', 1]])], 'narrows province 51'],
    ['fewer regions', [early, stage('2024-06-01', [['51', 1]])], 'narrows province 51'],
    [
      "'all' narrowed to a count",
      [stage('2024-01-01', [['51', 'all']]), stage('2024-06-01', [['51', 9]])],
      'narrows province 51',
    ],
  ] as const)('refuses %s', (_what, rollout, message) => {
    expect(() => validateRollout(rollout as readonly RolloutStage[])).toThrow(message);
  });
});

describe('E7: kinship scope', () => {
  it('E7: by Dec 2024, 23 provinces allow all close relatives', () => {
    const widened = PROVINCE_CODES.filter((p) =>
      kinshipAllowed(`${p}9900`, 'SIBLING', d('2024-12-31')),
    );
    expect(widened).toHaveLength(23);
    expect(widened).toContain('51'); // S0 lists all 8 kinships for Sichuan
  });

  it('E7: a late province allows only spouse, parents and children until it widens', () => {
    const from = closeRelativesFrom('65');
    expect(from).toEqual(d('2025-07-01'));
    for (const k of CLOSE_KINSHIPS) {
      const nuclear = (NUCLEAR_KINSHIPS as readonly string[]).includes(k);
      expect(kinshipAllowed('650100', k, d('2025-06-30'))).toBe(nuclear);
      expect(kinshipAllowed('650100', k, from)).toBe(true);
    }
  });

  it('E2: non-close kinships are never allowed', () => {
    for (const k of NON_CLOSE_KINSHIPS)
      expect(kinshipAllowed('510100', k, d('2026-01-01'))).toBe(false);
  });
});

describe('C1: resident contributions', () => {
  it('C1: 2024 is 380 yuan, 2025 is 400 yuan, 2026 is 420 yuan', () => {
    expect(residentContributionFen(2024)).toBe(38_000n);
    expect(residentContributionFen(2025)).toBe(40_000n);
    expect(residentContributionFen(2026)).toBe(42_000n);
  });

  it('C1: a year without a known rate has none (the caller refuses)', () => {
    expect(residentContributionFen(2023)).toBeUndefined();
    expect(residentContributionFen(2027)).toBeUndefined();
  });

  it('C1: from 1 September a payment is for the next year: autumn 2024 pays 2025, at 400 yuan', () => {
    const yearOn = (text: string) => contributionYearOn(parseDate(text));
    expect(yearOn('2024-08-31')).toBe(2024);
    expect(yearOn('2024-09-01')).toBe(2025);
    expect(yearOn('2024-12-02')).toBe(2025);
    expect(residentContributionFen(yearOn('2024-12-02'))).toBe(40_000n);
    expect(yearOn('2025-01-15')).toBe(2025);
    expect(yearOn('2025-09-29')).toBe(2026);
  });
});

describe('P4: monthly personal-account credit', () => {
  it('P4: an active employee is credited 2 % of the base, rounded half to even on the fen', () => {
    expect(monthlyCreditFen('active', 650_000n, '51')).toBe(13_000n);
    expect(monthlyCreditFen('active', 25n, '51')).toBe(0n); // 0.5 → 0
    expect(monthlyCreditFen('active', 75n, '51')).toBe(2n); // 1.5 → 2
    expect(monthlyCreditFen('active', 125n, '510100')).toBe(2n); // 2.5 → 2
    expect(monthlyCreditFen('active', 126n, '51')).toBe(3n);
    expect(monthlyCreditFen('active', 170n, '51')).toBe(3n); // 3.4 → 3: odd, below half
    expect(() => monthlyCreditFen('active', -1n, '51')).toThrow(RangeError);
  });

  it('P4: a retiree gets the province fixed amount, whatever the base', () => {
    expect(monthlyCreditFen('retired', 0n, '11')).toBe(monthlyCreditFen('retired', 999_999n, '11'));
    expect(monthlyCreditFen('retired', 0n, '11')).toBeGreaterThan(
      monthlyCreditFen('retired', 0n, '51'),
    );
  });
});

const base: Omit<BillInput, 'policy'> = {
  kind: 'outpatient',
  total: 100_000n,
  eligible: 100_000n,
  retired: false,
  outOfRegion: 'local',
  acctAvailable: 0n,
  walletSpendable: 0n,
  useWallet: false,
};
const central = policyOf('510100');

describe('P3 / D1 / D7: splitting a bill', () => {
  it('P3: the fund pays first, then the own account, then the wallet, then cash', () => {
    // Sichuan (central tier) inpatient: (10,000 − 600) × 80 % = 7,520 yuan from the fund.
    const split = splitBill({
      ...base,
      policy: central,
      kind: 'inpatient',
      total: 1_000_000n,
      eligible: 1_000_000n,
      acctAvailable: 100_000n,
      walletSpendable: 50_000n,
      useWallet: true,
    });
    expect(split).toEqual({
      fundPay: 752_000n,
      acctPay: 100_000n,
      acctMulaidPay: 50_000n,
      cashPay: 98_000n,
    });
    const noWallet = splitBill({
      ...base,
      policy: central,
      kind: 'inpatient',
      total: 1_000_000n,
      eligible: 1_000_000n,
      acctAvailable: 100_000n,
      walletSpendable: 50_000n,
      useWallet: false,
    });
    expect(noWallet).toEqual({
      fundPay: 752_000n,
      acctPay: 100_000n,
      acctMulaidPay: 0n,
      cashPay: 148_000n,
    });
  });

  it('D1: only the catalogue (eligible) part earns a fund share; the rest is self-pay', () => {
    const split = splitBill({
      ...base,
      policy: central,
      kind: 'pharmacy',
      total: 30_000n,
      eligible: 10_000n,
      acctAvailable: 1_000_000n,
    });
    expect(split).toEqual({ fundPay: 5_000n, acctPay: 25_000n, acctMulaidPay: 0n, cashPay: 0n });
  });

  it('D7: filed out-of-region care gets 10 pp less, unfiled 20 pp less, emergency counts as filed (D4)', () => {
    const bill = {
      ...base,
      policy: central,
      kind: 'inpatient' as const,
      total: 1_060_000n,
      eligible: 1_060_000n,
    };
    const fund = (outOfRegion: OutOfRegion): bigint => splitBill({ ...bill, outOfRegion }).fundPay;
    expect(fund('local')).toBe(800_000n); // 10,000 yuan over the deductible × 80 %
    expect(fund('filed')).toBe(700_000n);
    expect(fund('unfiledEmergency')).toBe(700_000n);
    expect(fund('unfiled')).toBe(600_000n);
  });

  it('retirees get a higher fund share; the deductible and the per-bill cap apply', () => {
    // Outpatient, central tier: (500 − 20 yuan deductible) × 55 % vs × 60 %, under the 500 cap.
    const active = splitBill({ ...base, policy: central, total: 50_000n, eligible: 50_000n });
    const retired = splitBill({
      ...base,
      policy: central,
      total: 50_000n,
      eligible: 50_000n,
      retired: true,
    });
    expect([active.fundPay, retired.fundPay]).toEqual([26_400n, 28_800n]);
    expect(splitBill({ ...base, policy: central, total: 1_500n, eligible: 1_500n }).fundPay).toBe(
      0n,
    );
    expect(
      splitBill({ ...base, policy: central, total: 10_000_000n, eligible: 10_000_000n }).fundPay,
    ).toBe(central.care.outpatient.fundCapFen);
  });

  it('D2: the insured place decides, and different provinces split the same bill differently', () => {
    const regions = ['110100', '320100', '510100', '650100'];
    const funds = regions.map((r) => splitBill({ ...base, policy: policyOf(r) }).fundPay);
    expect(new Set(funds).size).toBe(4);
    expect(policyOf('440100')).toBe(policyOf('449900'));
  });

  it('the fund share is floored to the fen, so the fund never overpays', () => {
    // 1,999 fen over a zero deductible at 50 %: 999.5 → 999.
    const bill = {
      ...base,
      policy: policyOf('110100'),
      kind: 'pharmacy' as const,
      total: 1_999n,
      eligible: 1_999n,
    };
    expect(splitBill(bill).fundPay).toBe(999n);
  });

  it('rejects negative amounts and eligible over total', () => {
    expect(() => splitBill({ ...base, policy: central, eligible: 100_001n })).toThrow(RangeError);
    expect(() => splitBill({ ...base, policy: central, acctAvailable: -1n })).toThrow(RangeError);
  });

  const fen = (max: bigint): fc.Arbitrary<bigint> => fc.bigInt({ min: 0n, max });
  const inputArb: fc.Arbitrary<BillInput> = fc
    .record({
      province: fc.constantFrom(...PROVINCE_CODES),
      kind: fc.constantFrom<Care>(...CARE_KINDS),
      total: fen(50_000_000n),
      eligibleShare: fen(10_000n),
      retired: fc.boolean(),
      outOfRegion: fc.constantFrom<OutOfRegion>('local', 'filed', 'unfiledEmergency', 'unfiled'),
      acctAvailable: fen(2_000_000n),
      walletSpendable: fen(1_000_000n),
      useWallet: fc.boolean(),
    })
    .map(({ province, eligibleShare, ...rest }) => ({
      ...rest,
      policy: policyOf(`${province}0100`) as BillPolicy,
      eligible: (rest.total * eligibleShare) / 10_000n,
    }));

  it('P3 invariants: parts ≥ 0 and sum to total; fund ≤ eligible; acct ≤ balance; wallet ≤ spendable', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const s = splitBill(input);
        for (const part of [s.fundPay, s.acctPay, s.acctMulaidPay, s.cashPay])
          expect(part >= 0n).toBe(true);
        expect(s.fundPay + s.acctPay + s.acctMulaidPay + s.cashPay).toBe(input.total);
        expect(s.fundPay <= input.eligible).toBe(true);
        expect(s.acctPay <= input.acctAvailable).toBe(true);
        expect(s.acctMulaidPay <= input.walletSpendable).toBe(true);
        if (!input.useWallet) expect(s.acctMulaidPay).toBe(0n);
        // P3 order: cash only once the account (and the wallet, if used) is empty.
        if (s.cashPay > 0n) {
          expect(s.acctPay).toBe(input.acctAvailable);
          if (input.useWallet) expect(s.acctMulaidPay).toBe(input.walletSpendable);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('D7: the fund never pays more out of region than locally, nor unfiled more than filed', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const fund = (outOfRegion: OutOfRegion): bigint =>
          splitBill({ ...input, outOfRegion }).fundPay;
        expect(fund('local') >= fund('filed')).toBe(true);
        expect(fund('filed')).toBe(fund('unfiledEmergency'));
        expect(fund('filed') >= fund('unfiled')).toBe(true);
      }),
    );
  });
});

describe('D9: chronic diseases', () => {
  it('D9: ten diseases, the five original first, then the five added', () => {
    expect(CHRONIC_DISEASES).toHaveLength(10);
    expect(CHRONIC_DISEASES.map((x) => x.set)).toEqual([
      ...Array(5).fill('original'),
      ...Array(5).fill('added'),
    ]);
    expect(new Set(CHRONIC_DISEASES.map((x) => x.code)).size).toBe(10);
    expect(CHRONIC_DISEASES.map((x) => x.nameZh)).toContain('强直性脊柱炎');
  });

  it('D9: the list is closed', () => {
    expect(isChronicDisease('HYPERTENSION')).toBe(true);
    expect(isChronicDisease('ANKYLOSING_SPONDYLITIS')).toBe(true);
    expect(isChronicDisease('ASTHMA')).toBe(false);
    expect(isChronicDisease('hypertension')).toBe(false);
  });
});

describe('policy: bad inputs are named, with the function that refused them', () => {
  const day = parseDate('2025-10-01');
  it.each([
    ['walletEnabled', () => walletEnabled('990100', day)],
    ['crossProvinceAllowed', () => crossProvinceAllowed('990100', '110100', day)],
    ['crossProvinceAllowed', () => crossProvinceAllowed('110100', '990100', day)],
    ['closeRelativesFrom', () => closeRelativesFrom('990100')],
    ['kinshipAllowed', () => kinshipAllowed('990100', 'CHILD', day)],
    ['tierOf', () => meanContributionBaseFen('990100')],
    ['policyOf', () => policyOf('990100')],
  ])('%s: an unknown province', (api, call) => {
    expect(call).toThrow(new RangeError(`${api}: not a region code of a known province: "990100"`));
  });

  it.each([
    ['seven digits', '1101000'],
    ['a letter before it', 'x110100'],
    ['not ending 00', '110101'],
    ['empty', ''],
  ])('a malformed region code (%s) is refused, its province known or not', (_what, code) => {
    expect(() => walletEnabled(code, day)).toThrow(
      `walletEnabled: not a region code of a known province: ${JSON.stringify(code)}`,
    );
  });

  it('a region code that is not a string is refused the same way, not with a TypeError', () => {
    expect(() => walletEnabled(42 as never, day)).toThrow(
      new RangeError('walletEnabled: not a region code of a known province: 42'),
    );
  });

  it.each([
    ['two digits of no province', '00'],
    ['two digits of no province', '99'],
    ['null', null],
    ['a number', 51],
  ])('a province code that is not one (%s) is refused with the function named', (_what, code) => {
    const got = JSON.stringify(code);
    expect(() => closeRelativesFrom(code as never)).toThrow(
      new RangeError(`closeRelativesFrom: not a region code of a known province: ${got}`),
    );
    expect(() => meanContributionBaseFen(code as never)).toThrow(
      new RangeError(`tierOf: not a region code of a known province: ${got}`),
    );
  });

  it('P4: a negative base or an unknown kind is named', () => {
    expect(() => monthlyCreditFen('active', -1n, '51')).toThrow(
      'monthlyCreditFen: base must be bigint fen ≥ 0, got -1',
    );
    expect(() => monthlyCreditFen('active', 5 as never, '51')).toThrow(
      new RangeError('monthlyCreditFen: base must be bigint fen ≥ 0, got 5'),
    );
    expect(() => monthlyCreditFen('pensioner' as never, 1n, '51')).toThrow(
      new RangeError('monthlyCreditFen: kind pensioner'),
    );
  });

  it('P3: each amount is named when negative, and an unknown kind or place too', () => {
    for (const field of ['total', 'eligible', 'acctAvailable', 'walletSpendable'] as const) {
      expect(() => splitBill({ ...base, policy: central, [field]: -1n })).toThrow(
        new RangeError(`splitBill: ${field} must be bigint fen ≥ 0, got -1`),
      );
    }
    expect(() => splitBill({ ...base, policy: central, eligible: 100_001n })).toThrow(
      'splitBill: eligible 100001 > total 100000',
    );
    expect(() => splitBill({ ...base, policy: central, total: 5 as never })).toThrow(
      new RangeError('splitBill: total must be bigint fen ≥ 0, got 5'),
    );
    expect(() => splitBill({ ...base, policy: central, kind: 'dental' as never })).toThrow(
      'splitBill: unknown kind / outOfRegion: dental / local',
    );
    expect(() => splitBill({ ...base, policy: central, outOfRegion: 'abroad' as never })).toThrow(
      'splitBill: unknown kind / outOfRegion: outpatient / abroad',
    );
  });
});

describe('policy: the tables as DOMAIN gives them', () => {
  it('E8: the rollout stages, their sources in order, each in force from its date', () => {
    expect(WALLET_ROLLOUT.map((s) => s.source)).toEqual(['S0', 'U14', 'U7', 'U6']);
    expect(rolloutStageAt(parseDate('2025-03-01'))?.source).toBe('U14');
    expect(rolloutStageAt(parseDate('2024-12-01'))).toBeUndefined();
    // S0: Hebei's first four cities only; Tianjin only from U7 (June 2025).
    const s0 = parseDate('2024-12-02');
    expect([walletEnabled('130400', s0), walletEnabled('130500', s0)]).toEqual([true, false]);
    expect(walletEnabled('120100', parseDate('2025-03-01'))).toBe(false);
    expect(walletEnabled('120100', parseDate('2025-06-05'))).toBe(true);
  });

  it('a province is named by its code or by any of its region codes alike', () => {
    expect(closeRelativesFrom('510100')).toEqual(closeRelativesFrom('51'));
    expect(meanContributionBaseFen('510100')).toBe(meanContributionBaseFen('51'));
  });

  it('P4: each tier has its mean contribution base (metro, coastal, central, western)', () => {
    expect(['11', '32', '51', '62'].map(meanContributionBaseFen)).toEqual([
      1_100_000n,
      850_000n,
      650_000n,
      700_000n,
    ]);
  });

  it('P4: 2 % of the base rounds half to even, and below half down', () => {
    expect(monthlyCreditFen('active', 1_024n, '51')).toBe(20n); // 20.48
    expect(monthlyCreditFen('active', 1_025n, '51')).toBe(20n); // 20.5 → even
    expect(monthlyCreditFen('active', 1_075n, '51')).toBe(22n); // 21.5 → even
    expect(monthlyCreditFen('active', 1_030n, '51')).toBe(21n); // 20.6
    expect(monthlyCreditFen('active', 1_060n, '51')).toBe(21n); // 21.2: an odd quotient, down
  });

  it("D1: each province's bill policy is its tier's", () => {
    expect(['110100', '320100', '510100', '620100'].map((r) => policyOf(r).tier)).toEqual([
      'metro',
      'coastal',
      'central',
      'western',
    ]);
  });
});

describe("the wallet's view of policy (actors/domain_policy.ts)", () => {
  const policy = policyFor(PROTOCOL_DEFAULTS);

  it('answers for the date of a virtual time: Sichuan and Beijing both have the wallet', () => {
    expect(policy.transferAllowed('510100', '110100', 0)).toBe(true);
    expect(policy.kinshipAllowed('510100', 'CHILD', 0)).toBe(true);
  });

  it('a region the tables do not know (a malformed code from the wire) is never allowed', () => {
    expect(policy.transferAllowed('990100', '110100', 0)).toBe(false);
    expect(policy.transferAllowed('510100', 'x', 0)).toBe(false);
    expect(policy.kinshipAllowed('990100', 'CHILD', 0)).toBe(false);
  });
});
