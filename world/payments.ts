// Bills at designated providers (F3) and resident contributions (F4) for a scenario's workload,
// shaped by DOMAIN §4.4: settlements on a 07:30–17:30 plateau, most care local, a fifth across
// provinces (filed, an emergency, or refused under D3), chronic care for the certified elderly,
// and small exact shares that exercise every refusal and every undo path (D6, D9, D10, D11; C1,
// C3, C4). Drawn from its own Prng stream, so adding payments changes no other draw.
import { Calendar, parseDate } from '../actors/calendar.ts';
import { DAY_MS, HOUR_MS } from '../actors/config.ts';
import { CHRONIC_DISEASES, contributionYearOn } from '../actors/policy.ts';
import { type BillScope, billScopeOf } from '../actors/regions.ts';
import type { Care, Flag } from '../protocol/index.ts';
import { NO_AID } from '../protocol/index.ts';
import type { DayPicker } from './day_shape.ts';
import type { Person, Population, Relation } from './population.ts';
import { chooseExactly, cumulate } from './population.ts';
import type { Prng } from './prng.ts';

/** What the provider's POS will do after a pre-settlement (D11). */
export type PosAction =
  | 'settle'
  // cancel (2208/2103) before settling
  | 'cancelBefore'
  // settle, then cancel the settled bill
  | 'cancelAfter'
  // settle, lose the answer, reverse (2601), then try the same msgid again: refused D11
  | 'timeout'
  // never come back after pre-settling: the pre-settlement expires (presettleTtlMs)
  | 'abandon';

export const POS_ACTIONS: readonly PosAction[] = [
  'settle',
  'cancelBefore',
  'cancelAfter',
  'timeout',
  'abandon',
];

export interface BillIntent {
  kind: 'bill';
  at: number;
  billId: string;
  personId: string;
  treatmentRegion: string;
  care: Care;
  disease: string;
  total: bigint;
  eligible: bigint;
  emergency: Flag;
  networked: Flag;
  useWallet: Flag;
  /** Family mutual aid at the point of care: the bound relative asked to pay, or NO_AID. */
  aidBy: string;
  action: PosAction;
  scope: BillScope;
}

/** C2: paid from a relative's personal account; C3: paid by the recipient from their own wallet. */
export type ContributionSource = 'ACCOUNT' | 'WALLET';
export const CONTRIBUTION_SOURCES: readonly ContributionSource[] = ['ACCOUNT', 'WALLET'];

export interface ContributionIntent {
  kind: 'contribution';
  at: number;
  payId: string;
  payerId: string;
  personId: string;
  year: number;
  source: ContributionSource;
  scope: Relation['scope'];
  /** The person's ID number, as the payer enters it (F4a). */
  idNo: string;
}

export interface PaymentOptions {
  bills: number;
  contributions: number;
  /** The day each bill, and each contribution, falls on (world/day_shape.ts). */
  settlementDays: DayPicker;
  contributionDays: DayPicker;
  /** Of bills: care elsewhere in the province, and in another province. */
  billScopes: { readonly sameProvince: number; readonly crossProvince: number };
  /** Of bills: the wallet pays what the patient's own account does not. */
  walletUseShare: number;
  /** C1: the contribution year collected at a virtual time (contributionYearAt). */
  yearAt: (ms: number) => number;
}

// ASSUMPTION (DOMAIN §4.4): settlements 07:30–17:30 with a morning peak; nothing at night.
const SETTLEMENT_HOUR_WEIGHTS = [
  0, 0, 0, 0, 0, 0, 0, 2, 6, 8, 8, 5, 3, 4, 5, 5, 4, 2, 0, 0, 0, 0, 0, 0,
];
const SETTLEMENT_CUMULATIVE = cumulate(SETTLEMENT_HOUR_WEIGHTS);
/** The care a bill is for, in the order of its weights. */
const CARE: readonly Care[] = ['pharmacy', 'outpatient', 'chronic', 'inpatient'];
const CARE_CUMULATIVE = cumulate([0.4, 0.35, 0.15, 0.1]);
/** Median bill per kind of care, yuan (ASSUMPTION; S3's chronic drugs "上千元" a month). */
const MEDIAN_YUAN: Readonly<Record<Care, number>> = {
  pharmacy: 150,
  outpatient: 200,
  chronic: 500,
  inpatient: 8_000,
};
const POS_CUMULATIVE = cumulate([0.89, 0.03, 0.03, 0.04, 0.01]);

function settlementTime(prng: Prng, days: DayPicker): number {
  return (
    days.pick(prng) * DAY_MS +
    prng.pickCumulative(SETTLEMENT_CUMULATIVE) * HOUR_MS +
    prng.int(0, HOUR_MS - 1)
  );
}

/**
 * Where care can be had: the population's provinces, and each one's pooling regions (both sorted).
 */
export interface CarePlaces {
  readonly provinces: readonly string[];
  readonly regionsOf: ReadonlyMap<string, readonly string[]>;
}

export function carePlaces(pop: Pick<Population, 'people'>): CarePlaces {
  const regions = new Map<string, Set<string>>();
  for (const p of pop.people) {
    const own = regions.get(p.province) ?? new Set<string>();
    own.add(p.region);
    regions.set(p.province, own);
  }
  return {
    provinces: [...regions.keys()].sort(),
    regionsOf: new Map([...regions].map(([province, set]) => [province, [...set].sort()])),
  };
}

function regionIn(
  prng: Prng,
  places: CarePlaces,
  province: string,
  not?: string,
): string | undefined {
  const regions = (places.regionsOf.get(province) ?? []).filter((r) => r !== not);
  return regions.length === 0 ? undefined : prng.pick(regions);
}

/**
 * Where a patient is treated for a bill asked `where`: their own region; another region of their
 * province; or another province — the one they filed for (D3) if any, else one drawn. Without
 * such a place (a province of one region, a topology of one province) the care is local. The
 * scope is where the care turned out to be.
 */
function treatmentOf(
  places: CarePlaces,
  prng: Prng,
  patient: Person,
  where: BillScope,
): { treatmentRegion: string; scope: BillScope } {
  let treatmentRegion = patient.region;
  if (where === 'sameProvince') {
    treatmentRegion = regionIn(prng, places, patient.province, patient.region) ?? patient.region;
  } else if (where === 'crossProvince') {
    const others = places.provinces.filter((c) => c !== patient.province);
    const province = patient.filedTo[0] ?? (others.length > 0 ? prng.pick(others) : undefined);
    treatmentRegion =
      (province === undefined ? undefined : regionIn(prng, places, province)) ?? patient.region;
  }
  return { treatmentRegion, scope: billScopeOf(patient.region, treatmentRegion) };
}

/**
 * The disease a bill treats: none but for chronic care (D10), which is mostly the patient's
 * certified disease, sometimes one they are not certified for, and rarely not a D9 disease.
 */
function diseaseOf(prng: Prng, patient: Person, care: Care): string {
  if (care !== 'chronic') return 'NONE';
  const y = prng.float();
  return y < 0.02
    ? 'GOUT'
    : patient.chronic[0] !== undefined && y < 0.9
      ? patient.chronic[0]
      : prng.pick(CHRONIC_DISEASES).code;
}

/** The part of a bill's total inside the policy's catalogue: 85–100 %, rounded down to the fen. */
function eligibleOf(prng: Prng, total: bigint): bigint {
  return (total * BigInt(prng.int(85, 100))) / 100n;
}

/** One bill (F3), from its parts: the generated workload draws them, a script names most. */
function billIntent(parts: {
  at: number;
  billId: string;
  patient: Person;
  care: Care;
  treatment: { treatmentRegion: string; scope: BillScope };
  disease: string;
  total: bigint;
  eligible: bigint;
  emergency: boolean;
  networked: boolean;
  useWallet: boolean;
  aidBy?: string | undefined;
  action: PosAction;
}): BillIntent {
  const yn = (flag: boolean) => (flag ? 'Y' : 'N');
  return {
    kind: 'bill',
    at: parts.at,
    billId: parts.billId,
    personId: parts.patient.id,
    treatmentRegion: parts.treatment.treatmentRegion,
    care: parts.care,
    disease: parts.disease,
    total: parts.total,
    eligible: parts.eligible,
    emergency: yn(parts.emergency),
    networked: yn(parts.networked),
    useWallet: yn(parts.useWallet),
    aidBy: parts.aidBy ?? NO_AID,
    action: parts.action,
    scope: parts.treatment.scope,
  };
}

/**
 * A bill a script names (who, where, what care, how much, what the POS does), at a networked
 * provider. The details a script leaves out — the treatment region, the disease, the eligible
 * share — are drawn from `prng`, in the generated workload's order.
 */
export function scriptedBillIntent(
  places: CarePlaces,
  prng: Prng,
  patient: Person,
  bill: {
    at: number;
    billId: string;
    where: BillScope;
    care: Care;
    total: bigint;
    action: PosAction;
    useWallet: boolean;
    emergency: boolean;
    aidBy?: string | undefined;
  },
): BillIntent {
  const treatment = treatmentOf(places, prng, patient, bill.where);
  const disease = diseaseOf(prng, patient, bill.care);
  const eligible = eligibleOf(prng, bill.total);
  return billIntent({ ...bill, patient, treatment, disease, eligible, networked: true });
}

export function billIntents(pop: Population, prng: Prng, o: PaymentOptions): BillIntent[] {
  const people = pop.people;
  const filers = people.filter((p) => p.filedTo.length > 0);
  const certified = people.filter((p) => p.chronic.length > 0);
  const places = carePlaces(pop);
  const width = String(Math.max(1, o.bills)).length;
  const intents: BillIntent[] = [];
  for (let k = 0; k < o.bills; k++) {
    const care = CARE[prng.pickCumulative(CARE_CUMULATIVE)]!;
    const x = prng.float();
    // Chronic care is for the certified (D10), bar a few who are not; cross-province care is
    // mostly for those who filed (D3), bar a few emergencies and a few who did not file.
    const { sameProvince, crossProvince: crossShare } = o.billScopes;
    const crossProvince = x >= 1 - crossShare && places.provinces.length > 1;
    const pool =
      crossProvince && filers.length > 0 && prng.chance(0.85)
        ? filers
        : care === 'chronic' && certified.length > 0 && prng.chance(0.9)
          ? certified
          : people;
    const patient = prng.pick(pool) as Person;
    const where: BillScope = crossProvince
      ? 'crossProvince'
      : x >= 1 - crossShare - sameProvince && x < 1 - crossShare
        ? 'sameProvince'
        : 'local';
    const treatment = treatmentOf(places, prng, patient, where);
    const disease = diseaseOf(prng, patient, care);
    const total = BigInt(Math.max(100, Math.round(prng.lognormal(MEDIAN_YUAN[care] * 100, 0.8))));
    const eligible = eligibleOf(prng, total);
    intents.push(
      billIntent({
        at: settlementTime(prng, o.settlementDays),
        billId: `s${String(k).padStart(width, '0')}`,
        patient,
        care,
        treatment,
        disease,
        total,
        eligible,
        emergency: treatment.scope === 'crossProvince' && prng.chance(0.1),
        networked: prng.chance(0.95),
        useWallet: prng.chance(o.walletUseShare),
        action: POS_ACTIONS[prng.pickCumulative(POS_CUMULATIVE)] as PosAction,
      }),
    );
  }
  return intents;
}

/**
 * Family mutual aid at the point of care (DOMAIN S0: 2.63亿 person-times in region and 1976.29万
 * across regions, January–October 2024): of the bills whose patient has a bound donor, this
 * share asks one of them (drawn) to pay what the patient's account and wallet leave. The rest of
 * a bill is drawn as before: the choice comes from a stream of its own.
 */
const FAMILY_AID_SHARE = 0.25;

export function withFamilyAid(
  bills: readonly BillIntent[],
  pop: Population,
  prng: Prng,
  target?: number,
): BillIntent[] {
  const donorsOf = new Map<string, string[]>();
  for (const r of pop.relations) {
    const list = donorsOf.get(r.recipientId);
    if (list === undefined) donorsOf.set(r.recipientId, [r.donorId]);
    else list.push(r.donorId);
  }
  // A target count (from a rate, world/day_shape.ts) sets the share among the bills that can.
  let share = FAMILY_AID_SHARE;
  if (target !== undefined) {
    const can = bills.filter((bill) => donorsOf.has(bill.personId)).length;
    share = can === 0 ? 0 : Math.min(1, target / can);
  }
  return bills.map((bill) => {
    const donors = donorsOf.get(bill.personId);
    if (donors === undefined || !prng.chance(share)) return bill;
    return { ...bill, aidBy: prng.pick(donors) as string };
  });
}

/**
 * One contribution (F4) for a relation's recipient: from the donor's personal account (C2, in
 * the relation's scope), or by the recipient from their own wallet (C3).
 */
export function contributionIntent(
  relation: Relation,
  source: ContributionSource,
  at: number,
  payId: string,
  year: number,
  idNo: string,
): ContributionIntent {
  return source === 'ACCOUNT'
    ? {
        kind: 'contribution',
        at,
        payId,
        payerId: relation.donorId,
        personId: relation.recipientId,
        year,
        source,
        scope: relation.scope,
        idNo,
      }
    : {
        kind: 'contribution',
        at,
        payId,
        payerId: relation.recipientId,
        personId: relation.recipientId,
        year,
        source,
        scope: 'sameRegion',
        idNo,
      };
}

/**
 * Contributions: 60 % paid from a relative's personal account (C2; a few across provinces,
 * refused C3), 40 % by recipients from their own wallet (C3). A tenth of the account payments go
 * to a close relative in the payer's province who has no relation yet and is not enrolled:
 * paying is what enrols them (E3's exception; the fund checks the kinship on its registry). A
 * few name next year, which has no amount yet (C1), and a few pay a person-year twice (C4).
 */
export function contributionIntents(
  pop: Population,
  prng: Prng,
  o: PaymentOptions,
): ContributionIntent[] {
  const relations = pop.relations;
  if (relations.length === 0 || o.contributions === 0) return [];
  const local = relations.filter((r) => r.scope !== 'crossProvince');
  const cross = relations.filter((r) => r.scope === 'crossProvince');
  // E3's exception: each unenrolled relative at most once (one payment enrols them; a second
  // would only be C4), drawn without replacement.
  const seen = new Set<string>();
  const unenrolled = pop.candidates.filter((c) => {
    const fresh =
      c.scope !== 'crossProvince' &&
      pop.personById.get(c.recipientId)?.enrolled === false &&
      !seen.has(c.recipientId);
    if (fresh) seen.add(c.recipientId);
    return fresh;
  });
  const idNoOf = (r: Relation) => pop.personById.get(r.recipientId)?.idNo ?? '';
  const width = String(Math.max(1, o.contributions)).length;
  const intents: ContributionIntent[] = [];
  const twice = chooseExactly(prng, o.contributions, Math.round(o.contributions * 0.05));
  for (let k = 0; k < o.contributions; k++) {
    const at = settlementTime(prng, o.contributionDays) + 12 * HOUR_MS;
    const year = prng.chance(0.03) ? o.yearAt(at) + 1 : o.yearAt(at);
    const payId = `c${String(k).padStart(width, '0')}`;
    const previous = intents.at(-1);
    if (twice[k] === 1 && previous !== undefined) {
      intents.push({ ...previous, at: Math.max(at, previous.at + 60_000), payId });
      continue;
    }
    if (prng.chance(0.6)) {
      let r: Relation;
      if (prng.chance(0.1) && unenrolled.length > 0) {
        const i = prng.int(0, unenrolled.length - 1);
        r = unenrolled[i] as Relation;
        unenrolled[i] = unenrolled[unenrolled.length - 1] as Relation;
        unenrolled.pop();
      } else {
        r = prng.pick(
          prng.chance(0.05) && cross.length > 0 ? cross : local.length > 0 ? local : relations,
        );
      }
      intents.push(contributionIntent(r, 'ACCOUNT', at, payId, year, idNoOf(r)));
    } else {
      const r = prng.pick(relations);
      intents.push(contributionIntent(r, 'WALLET', at, payId, year, idNoOf(r)));
    }
  }
  return intents;
}

/**
 * C1: the contribution year collected at each virtual time of a run that starts on `startDate`
 * ('YYYY-MM-DD'): from September, the next year.
 */
export function contributionYearAt(startDate: string): (ms: number) => number {
  const calendar = new Calendar(parseDate(startDate));
  return (ms) => contributionYearOn(calendar.dateAt(ms));
}
