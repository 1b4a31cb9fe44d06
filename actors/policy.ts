// Policy by province and date, and the numbers the rules need (DOMAIN §2). Every table entry says
// which rule it serves and how sure it is: SEED (a seed article), PUBLIC, PUBLIC-RECALLED or
// ASSUMPTION (a modelling choice; swap the table, not the code). Region codes follow
// world/topology.ts: `<pp><cc>00`, cities cc = 01, 02, …, the provincial-level unit (省本级)
// cc = 99, a municipality the single region <pp>0000. The province codes are regions.ts's;
// world/policy_topology.test.ts holds them equal to world/topology.data.ts.
import type { Care, Fen } from '../protocol/index.ts';
import { isCloseKinship, NUCLEAR_KINSHIPS } from '../protocol/index.ts';
import { type CivilDate, dateKeyOf, parseDate } from './calendar.ts';
import { PROVINCE_CODES, provinceOfRegion } from './regions.ts';

const PROVINCE_SET: ReadonlySet<string> = new Set(PROVINCE_CODES);

interface RegionInfo {
  readonly province: string;
  /** Place in the province's rollout order: city number; municipality 1; 省本级 last. */
  readonly rank: number;
}

const REGION_CODE = /^\d{4}00$/;
const regionCache = new Map<string, RegionInfo>();

/** Parses and caches a region code; malformed codes and unknown provinces throw (a caller bug). */
function regionInfo(regionCode: string, api: string): RegionInfo {
  const hit = regionCache.get(regionCode);
  if (hit !== undefined) return hit;
  const province = typeof regionCode === 'string' ? provinceOfRegion(regionCode) : '';
  if (!REGION_CODE.test(regionCode) || !PROVINCE_SET.has(province)) {
    const got = JSON.stringify(regionCode);
    throw new RangeError(`${api}: not a region code of a known province: ${got}`);
  }
  const city = Number(regionCode.slice(2, 4));
  const info = { province, rank: city === 0 ? 1 : city === 99 ? Number.POSITIVE_INFINITY : city };
  regionCache.set(regionCode, info);
  return info;
}

/** The province of a province code or of any region code of it; anything else throws. */
function knownProvince(code: string, api: string): string {
  if (typeof code === 'string' && code.length === 2 && PROVINCE_SET.has(code)) return code;
  return regionInfo(code, api).province;
}

// ---------------------------------------------------------------------------------------------
// E8: wallet cross-province rollout.

/** First k cities of a province by city number, or every region including 省本级. */
type RegionsEnabled = number | 'all';

export interface RolloutStage {
  readonly from: CivilDate;
  readonly fromKey: number;
  readonly source: string;
  /** The whole state at this stage (not a delta): province → regions enabled; absent = none. */
  readonly provinces: ReadonlyMap<string, RegionsEnabled>;
}

function stage(from: string, source: string, table: string): RolloutStage {
  const provinces = new Map<string, RegionsEnabled>();
  for (const entry of table.trim().split(/\s+/)) {
    const [code = '', k = ''] = entry.split(':');
    provinces.set(code, k === 'all' ? 'all' : Number(k));
  }
  const date = parseDate(from);
  return Object.freeze({ from: date, fromKey: dateKeyOf(date), source, provinces });
}

const allExcept = (excluded: string): string =>
  PROVINCE_CODES.filter((p) => !excluded.split(' ').includes(p))
    .map((p) => `${p}:all`)
    .join(' ');

/**
 * The rollout, stage by stage. Within a partially enabled province the first k cities by code are
 * on (a deterministic stand-in: real pilots were chosen city by city) and 省本级 only once the
 * whole province is; k < the province's real region count, so each stage's total is exact on the
 * full topology. A capped topology (`regionsPerProvinceMax`) just has fewer regions to count.
 *
 * - 2024-12-02 (S0, SEED: 9 provinces / 31 regions, Jiangsu 32 and Hebei 13 named): the other 7
 *   are the same ASSUMPTION as sim/topology.data.ts PILOT_PROVINCES_2024_12 (migrant
 *   destinations and origins, S0's example is Suzhou → Henan). Jiangsu's first 5 include Suzhou
 *   (320500), where the launch was held. The k values are ASSUMPTION.
 * - 2025-02-07 (U14, PUBLIC: 14 provinces / 117 regions, 6 provinces fully covered): the 5 new
 *   provinces and which 6 are full (Beijing, Shanghai, Chongqing, Hebei, Jiangsu, Zhejiang) are
 *   ASSUMPTION.
 * - 2025-06-05 (U7, PUBLIC: 17 provinces / 146 regions; the date is an ASSUMPTION taken from
 *   U12's "effective from June 5th"): Tianjin, Ningxia (all 5 cities + 区本级, as S3 describes in
 *   Sep 2025) and Shaanxi join (ASSUMPTION).
 * - 2025-09-01 (U6, PUBLIC-secondary: every province except Guangdong; 兵团 not modelled).
 *   Guangdong stays off: no public date was found for it. Pass a longer timeline to change that.
 */
export const WALLET_ROLLOUT: readonly RolloutStage[] = Object.freeze([
  stage('2024-12-02', 'S0', '13:4 32:5 33:4 34:3 36:3 41:4 43:3 50:all 51:4'),
  stage(
    '2025-02-07',
    'U14',
    `11:all 13:all 31:all 32:all 33:all 50:all
    34:10 35:6 36:8 37:10 41:12 42:7 43:9 51:14`,
  ),
  stage(
    '2025-06-05',
    'U7',
    `11:all 12:all 13:all 31:all 32:all 33:all 41:all 50:all 64:all
    34:10 35:6 36:8 37:14 42:7 43:9 51:20 61:6`,
  ),
  stage('2025-09-01', 'U6', allExcept('44')),
]);

/**
 * Throws unless stages are in date order, name known provinces with positive whole k, and only
 * ever widen (a region once on stays on). Run on the default at load; run it on any custom one.
 */
export function validateRollout(rollout: readonly RolloutStage[]): void {
  let prev: RolloutStage | undefined;
  for (const s of rollout) {
    if (prev !== undefined && !(s.fromKey > prev.fromKey)) {
      throw new RangeError(`validateRollout: stage ${s.fromKey} is not after ${prev.fromKey}`);
    }
    for (const [p, k] of s.provinces) {
      if (!PROVINCE_SET.has(p) || (k !== 'all' && !(Number.isInteger(k) && k >= 1))) {
        throw new RangeError(`validateRollout: stage ${s.fromKey}: bad entry ${p}:${k}`);
      }
    }
    for (const [p, k] of prev?.provinces ?? []) {
      const now = s.provinces.get(p);
      if (now === undefined || (now !== 'all' && (k === 'all' || now < k))) {
        throw new RangeError(`validateRollout: stage ${s.fromKey} narrows province ${p}`);
      }
    }
    prev = s;
  }
}
validateRollout(WALLET_ROLLOUT);

/** The stage in force on date, or undefined before the first one. */
export function rolloutStageAt(
  date: CivilDate,
  rollout: readonly RolloutStage[] = WALLET_ROLLOUT,
): RolloutStage | undefined {
  const key = dateKeyOf(date);
  for (let i = rollout.length - 1; i >= 0; i--) {
    const s = rollout[i];
    if (s !== undefined && s.fromKey <= key) return s;
  }
  return undefined;
}

/** E8: whether the region has the wallet's cross-province feature on that (Beijing) date. */
export function walletEnabled(
  regionCode: string,
  date: CivilDate,
  rollout: readonly RolloutStage[] = WALLET_ROLLOUT,
): boolean {
  const { province, rank } = regionInfo(regionCode, 'walletEnabled');
  const k = rolloutStageAt(date, rollout)?.provinces.get(province);
  if (k === undefined) return false;
  return k === 'all' || rank <= k;
}

/**
 * E7 + E8: within one province aid is always allowed (every province had intra-province aid by
 * Dec 2024); across provinces both ends need the wallet feature.
 */
export function crossProvinceAllowed(
  donorRegion: string,
  recipientRegion: string,
  date: CivilDate,
  rollout: readonly RolloutStage[] = WALLET_ROLLOUT,
): boolean {
  const donor = regionInfo(donorRegion, 'crossProvinceAllowed');
  const recipient = regionInfo(recipientRegion, 'crossProvinceAllowed');
  if (donor.province === recipient.province) return true;
  return walletEnabled(donorRegion, date, rollout) && walletEnabled(recipientRegion, date, rollout);
}

// ---------------------------------------------------------------------------------------------
// E7: kinship scope per province and date.

/**
 * SEED (S0): by Dec 2024, 23 of 31 provinces had widened aid from spouse/parents/children to all
 * close relatives. ASSUMPTION: which 8 were late (remote or less-developed provinces outside the
 * wallet pilot), that they all widened on 2025-07-01, and that the 23 did so by 2024-01-01
 * (before any scenario we run). Sichuan (51) is among the 23: S0 lists all 8 kinships for it.
 */
const CLOSE_RELATIVES_LATE = '15 22 23 45 46 54 63 65';
const CLOSE_RELATIVES_EARLY_FROM = parseDate('2024-01-01');
const CLOSE_RELATIVES_LATE_FROM = parseDate('2025-07-01');
const CLOSE_RELATIVES_FROM: ReadonlyMap<string, CivilDate> = new Map(
  PROVINCE_CODES.map((p) => {
    const late = CLOSE_RELATIVES_LATE.split(' ').includes(p);
    return [p, late ? CLOSE_RELATIVES_LATE_FROM : CLOSE_RELATIVES_EARLY_FROM];
  }),
);
const NUCLEAR_SET: ReadonlySet<string> = new Set(NUCLEAR_KINSHIPS);

export function closeRelativesFrom(provinceOrRegion: string): CivilDate {
  const from = CLOSE_RELATIVES_FROM.get(knownProvince(provinceOrRegion, 'closeRelativesFrom'));
  if (from === undefined) throw new Error('closeRelativesFrom: table misses a known province');
  return from;
}

/**
 * E2 + E7: non-close kinships never; spouse/parent/child always; other close relatives from the
 * donor's province's widening date. The donor's insured place decides (ASSUMPTION): its account
 * pays.
 */
export function kinshipAllowed(donorRegion: string, kinship: string, date: CivilDate): boolean {
  const from = closeRelativesFrom(regionInfo(donorRegion, 'kinshipAllowed').province);
  if (!isCloseKinship(kinship)) return false;
  return NUCLEAR_SET.has(kinship) || dateKeyOf(date) >= dateKeyOf(from);
}

// ---------------------------------------------------------------------------------------------
// C1: resident (URRBMI) contributions, per person-year. 2024 and 2025 are SEED (S0); 2026 is
// PUBLIC-RECALLED (the 2025 NHSA/MoF/STA notice on resident insurance raised the individual
// standard by 20 yuan to 420). The fiscal subsidy on top (640 yuan in 2024, 670 in 2025) is
// not modelled: no flow here pays it.

const RESIDENT_CONTRIBUTION_FEN: ReadonlyMap<number, Fen> = new Map([
  [2024, 38_000n],
  [2025, 40_000n],
  [2026, 42_000n],
]);

/** The individual contribution for a year; undefined for years without a known rate (refuse). */
export function residentContributionFen(year: number): Fen | undefined {
  return RESIDENT_CONTRIBUTION_FEN.get(year);
}

/** C1: the collection season for year Y opens on 1 September of Y − 1 (ASSUMPTION: S0's day). */
const SEASON_OPENS_MONTH = 9;

/**
 * C1: the contribution year a payment on `date` is for. From September a payment is for the
 * next year (S0, 2 Dec 2024: "2025年…个人缴费400元"); January–August it is for the current
 * year (late collection). Only that year is collected on that date.
 */
export function contributionYearOn(date: CivilDate): number {
  return date.month >= SEASON_OPENS_MONTH ? date.year + 1 : date.year;
}

// ---------------------------------------------------------------------------------------------
// Province tiers: P4 credits and the D1/D2 bill policies vary by tier, not per province, so a
// handful of distinct policies cover the 31 (ASSUMPTION; real policy varies per pooling region).

type PolicyTier = 'metro' | 'coastal' | 'central' | 'western';

const TIER_PROVINCES: Readonly<Record<PolicyTier, string>> = {
  metro: '11 12 31',
  coastal: '32 33 35 37 44',
  central: '13 14 21 22 23 34 36 41 42 43 50 51 61',
  western: '15 45 46 52 53 54 62 63 64 65',
};
const TIER_OF: ReadonlyMap<string, PolicyTier> = new Map(
  (Object.keys(TIER_PROVINCES) as PolicyTier[]).flatMap((tier) =>
    TIER_PROVINCES[tier].split(' ').map((p): [string, PolicyTier] => [p, tier]),
  ),
);
if (TIER_OF.size !== PROVINCE_CODES.length) throw new Error('policy: tiers miss a province');

function tierOf(provinceOrRegion: string): PolicyTier {
  const tier = TIER_OF.get(knownProvince(provinceOrRegion, 'tierOf'));
  if (tier === undefined) throw new Error('tierOf: table misses a known province');
  return tier;
}

// ---------------------------------------------------------------------------------------------
// P4: monthly personal-account credit.

/**
 * Per tier: a mean monthly contribution base for active employees (for the population generator,
 * which draws bases around it) and the fixed retiree credit (≈ 2 % of a local average pension
 * of 3,500–5,500 yuan). ASSUMPTION, calibrated so that with 27 % retirees (U22) and the EBMI
 * weights of sim/topology.data.ts the national mean is ≈ 135 yuan/month (DOMAIN §4.2);
 * test/policy.test.ts checks that.
 */
const CREDIT_BY_TIER: Readonly<Record<PolicyTier, { baseFenMean: Fen; retiredFen: Fen }>> = {
  metro: { baseFenMean: 1_100_000n, retiredFen: 11_000n },
  coastal: { baseFenMean: 850_000n, retiredFen: 9_000n },
  central: { baseFenMean: 650_000n, retiredFen: 7_000n },
  western: { baseFenMean: 700_000n, retiredFen: 7_500n },
};

/** P4: the active employee's own contribution rate, 2 % (PUBLIC-RECALLED). */
const ACTIVE_CREDIT_BP = 200n;
const BP_PER_UNIT = 10_000n;

/** n / d rounded to the nearest integer, ties to even (banker's rounding); n ≥ 0, d > 0. */
function divHalfEven(n: bigint, d: bigint): bigint {
  const q = n / d;
  const twice = (n % d) * 2n;
  return twice > d || (twice === d && q % 2n === 1n) ? q + 1n : q;
}

export function meanContributionBaseFen(provinceOrRegion: string): Fen {
  return CREDIT_BY_TIER[tierOf(provinceOrRegion)].baseFenMean;
}

/**
 * P4: what the personal account is credited per month. Active: 2 % of baseFen, rounded half to
 * even on the fen (ties are rare; half-even keeps a large population's total unbiased). Retired:
 * the province's fixed amount; baseFen is ignored.
 */
export function monthlyCreditFen(
  kind: 'active' | 'retired',
  baseFen: Fen,
  provinceCode: string,
): Fen {
  if (typeof baseFen !== 'bigint' || baseFen < 0n) {
    throw new RangeError(`monthlyCreditFen: base must be bigint fen ≥ 0, got ${String(baseFen)}`);
  }
  const credit = CREDIT_BY_TIER[tierOf(provinceCode)];
  if (kind === 'retired') return credit.retiredFen;
  if (kind !== 'active') throw new RangeError(`monthlyCreditFen: kind ${String(kind)}`);
  return divHalfEven(baseFen * ACTIVE_CREDIT_BP, BP_PER_UNIT);
}

// ---------------------------------------------------------------------------------------------
// D1, D2, D7, P3, D9, D10: the insured place's bill policy and the split of a bill.

interface CarePolicy {
  /** Deductible (起付线), applied per bill: the model has no per-person year-to-date state. */
  readonly deductibleFen: Fen;
  /** Fund share of the eligible amount above the deductible, in basis points. */
  readonly fundRatioBp: number;
  /** Most the fund pays on one bill (a per-bill stand-in for the yearly 封顶线). */
  readonly fundCapFen: Fen;
}

export interface BillPolicy {
  readonly tier: PolicyTier;
  readonly care: Readonly<Record<Care, CarePolicy>>;
  /** Retirees' extra fund share, in basis points. */
  readonly retiredBonusBp: number;
}

/** D7 (PUBLIC-RECALLED "up to"; we apply the maximum): fund-share cut by filing status. */
export type OutOfRegion = 'local' | 'filed' | 'unfiledEmergency' | 'unfiled';
const OUT_OF_REGION_CUT_BP: Readonly<Record<OutOfRegion, number>> = {
  local: 0,
  filed: 1_000,
  // D4: emergency care counts as filed.
  unfiledEmergency: 1_000,
  unfiled: 2_000,
};

const care = (deductibleYuan: number, fundRatioBp: number, fundCapYuan: number): CarePolicy => ({
  deductibleFen: BigInt(deductibleYuan) * 100n,
  fundRatioBp,
  fundCapFen: BigInt(fundCapYuan) * 100n,
});

/**
 * ASSUMPTION throughout, shaped like typical 2024 employee-scheme rules: richer places have lower
 * outpatient deductibles and higher ratios and caps; pharmacy purchases get a lower share
 * (门诊统筹 at designated pharmacies); retirees get +5…+10 pp.
 */
const BILL_POLICY_BY_TIER: Readonly<Record<PolicyTier, BillPolicy>> = {
  metro: {
    tier: 'metro',
    care: {
      outpatient: care(0, 7_000, 2_000),
      pharmacy: care(0, 5_000, 500),
      inpatient: care(1_300, 8_500, 300_000),
      chronic: care(0, 8_500, 5_000),
    },
    retiredBonusBp: 1_000,
  },
  coastal: {
    tier: 'coastal',
    care: {
      outpatient: care(10, 6_000, 1_000),
      pharmacy: care(0, 5_000, 300),
      inpatient: care(800, 8_500, 400_000),
      chronic: care(0, 8_000, 3_000),
    },
    retiredBonusBp: 800,
  },
  central: {
    tier: 'central',
    care: {
      outpatient: care(20, 5_500, 500),
      pharmacy: care(0, 5_000, 200),
      inpatient: care(600, 8_000, 200_000),
      chronic: care(0, 7_500, 2_000),
    },
    retiredBonusBp: 500,
  },
  western: {
    tier: 'western',
    care: {
      outpatient: care(10, 5_000, 400),
      pharmacy: care(0, 4_500, 150),
      inpatient: care(500, 8_000, 150_000),
      chronic: care(0, 7_000, 2_000),
    },
    retiredBonusBp: 1_000,
  },
};
for (const p of Object.values(BILL_POLICY_BY_TIER)) Object.freeze(p);

/** D1/D2: the policy of the insured place (参保地), which computes the split wherever care is. */
export function policyOf(regionCode: string): BillPolicy {
  return BILL_POLICY_BY_TIER[tierOf(regionInfo(regionCode, 'policyOf').province)];
}

export interface BillInput {
  /** The insured region's policy (policyOf), not the treatment place's (D1). */
  readonly policy: BillPolicy;
  readonly kind: Care;
  readonly total: Fen;
  /** Part of total on the treatment place's catalogue (D1); the rest is always self-pay. */
  readonly eligible: Fen;
  readonly retired: boolean;
  readonly outOfRegion: OutOfRegion;
  /** The patient's own personal-account balance. */
  readonly acctAvailable: Fen;
  /** What the patient's wallet may spend here (mutual-aid money). */
  readonly walletSpendable: Fen;
  readonly useWallet: boolean;
}

/** The four parts of a bill, named as the settlement response fields (U32). */
export interface BillSplit {
  readonly fundPay: Fen;
  readonly acctPay: Fen;
  readonly acctMulaidPay: Fen;
  readonly cashPay: Fen;
}

const min = (a: Fen, b: Fen): Fen => (a < b ? a : b);

function assertFen(value: Fen, field: string): void {
  if (typeof value !== 'bigint' || value < 0n) {
    throw new RangeError(`splitBill: ${field} must be bigint fen ≥ 0, got ${String(value)}`);
  }
}

/**
 * P3: fund share first, then the patient's own account, then the wallet (acctMulaidPay), then
 * cash. The fund share is floor((eligible − deductible) × ratio) capped per bill: flooring to the
 * fen means the fund never overpays. It does not refuse: D10's certification and filing for
 * chronic care, and W16/W17's place-of-use rule, are the caller's checks.
 */
export function splitBill(input: BillInput): BillSplit {
  const { policy, kind, total, eligible, acctAvailable, walletSpendable } = input;
  assertFen(total, 'total');
  assertFen(eligible, 'eligible');
  assertFen(acctAvailable, 'acctAvailable');
  assertFen(walletSpendable, 'walletSpendable');
  if (eligible > total) throw new RangeError(`splitBill: eligible ${eligible} > total ${total}`);
  const rule = policy.care[kind];
  const cut = OUT_OF_REGION_CUT_BP[input.outOfRegion];
  if (rule === undefined || cut === undefined) {
    const got = `${String(kind)} / ${String(input.outOfRegion)}`;
    throw new RangeError(`splitBill: unknown kind / outOfRegion: ${got}`);
  }
  const bp = rule.fundRatioBp + (input.retired ? policy.retiredBonusBp : 0) - cut;
  const ratioBp = BigInt(Math.min(10_000, Math.max(0, bp)));
  const claimable = eligible > rule.deductibleFen ? eligible - rule.deductibleFen : 0n;
  const fundPay = min((claimable * ratioBp) / BP_PER_UNIT, rule.fundCapFen);
  const selfPay = total - fundPay;
  const acctPay = min(selfPay, acctAvailable);
  const acctMulaidPay = input.useWallet ? min(selfPay - acctPay, walletSpendable) : 0n;
  const cashPay = selfPay - acctPay - acctMulaidPay;
  // Assertions, not operating errors: a failure here is a bug in the lines above.
  if (
    fundPay < 0n ||
    fundPay > eligible ||
    cashPay < 0n ||
    fundPay + acctPay + acctMulaidPay + cashPay !== total
  ) {
    const parts = `${fundPay}/${acctPay}/${acctMulaidPay}/${cashPay}`;
    throw new Error(`splitBill: broken split of ${total}: ${parts}`);
  }
  return { fundPay, acctPay, acctMulaidPay, cashPay };
}

// ---------------------------------------------------------------------------------------------
// D9: outpatient chronic and special diseases with cross-province direct settlement (SEED S0,
// PUBLIC U27). A closed list: settlement for any other code is not direct (D10 checks the rest).

export const CHRONIC_DISEASES = [
  { code: 'HYPERTENSION', nameZh: '高血压', name: 'hypertension', set: 'original' },
  { code: 'DIABETES', nameZh: '糖尿病', name: 'diabetes', set: 'original' },
  {
    code: 'CANCER_OUTPATIENT_THERAPY',
    nameZh: '恶性肿瘤门诊放化疗',
    name: 'outpatient chemo/radiotherapy for cancer',
    set: 'original',
  },
  { code: 'URAEMIA_DIALYSIS', nameZh: '尿毒症透析', name: 'uraemia dialysis', set: 'original' },
  {
    code: 'TRANSPLANT_ANTI_REJECTION',
    nameZh: '器官移植术后抗排异治疗',
    name: 'anti-rejection therapy after organ transplant',
    set: 'original',
  },
  {
    code: 'COPD',
    nameZh: '慢性阻塞性肺疾病',
    name: 'chronic obstructive pulmonary disease',
    set: 'added',
  },
  {
    code: 'RHEUMATOID_ARTHRITIS',
    nameZh: '类风湿关节炎',
    name: 'rheumatoid arthritis',
    set: 'added',
  },
  {
    code: 'CORONARY_HEART_DISEASE',
    nameZh: '冠心病',
    name: 'coronary heart disease',
    set: 'added',
  },
  { code: 'VIRAL_HEPATITIS', nameZh: '病毒性肝炎', name: 'viral hepatitis', set: 'added' },
  {
    code: 'ANKYLOSING_SPONDYLITIS',
    nameZh: '强直性脊柱炎',
    name: 'ankylosing spondylitis',
    set: 'added',
  },
] as const;
export type ChronicDiseaseCode = (typeof CHRONIC_DISEASES)[number]['code'];

const CHRONIC_SET: ReadonlySet<string> = new Set(CHRONIC_DISEASES.map((d) => d.code));

export function isChronicDisease(code: string): code is ChronicDiseaseCode {
  return CHRONIC_SET.has(code);
}
