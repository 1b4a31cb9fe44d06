// Bills at designated providers (F3) and resident contributions (F4) for a scenario's workload,
// shaped by DOMAIN §4.4: settlements on a 07:30–17:30 plateau, most care local, a fifth across
// provinces (filed, an emergency, or refused under D3), chronic care for the certified elderly,
// and small exact shares that exercise every refusal and every undo path (D6, D9, D10, D11; C1,
// C3, C4). Drawn from its own Prng stream, so adding payments changes no other draw.
import { CHRONIC_DISEASES } from '../actors/policy.ts';
import type { Prng } from './prng.ts';
import type { Person, Population, Relation } from './population.ts';
import { chooseExactly, cumulate } from './population.ts';
import { DAY_MS, HOUR_MS } from '../actors/config.ts';

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

export interface BillIntent {
  kind: 'bill';
  at: number;
  billId: string;
  personId: string;
  treatmentRegion: string;
  care: 'outpatient' | 'pharmacy' | 'inpatient' | 'chronic';
  disease: string;
  total: bigint;
  eligible: bigint;
  emergency: 'Y' | 'N';
  networked: 'Y' | 'N';
  useWallet: 'Y' | 'N';
  action: PosAction;
  scope: 'local' | 'sameProvince' | 'crossProvince';
}

export interface ContributionIntent {
  kind: 'contribution';
  at: number;
  payId: string;
  payerId: string;
  personId: string;
  year: number;
  source: 'ACCOUNT' | 'WALLET';
  scope: Relation['scope'];
}

export interface PaymentOptions {
  bills: number;
  contributions: number;
  days: number;
  /** The calendar year of day 0, for the contribution year (C1). */
  year: number;
}

// ASSUMPTION (DOMAIN §4.4): settlements 07:30–17:30 with a morning peak; nothing at night.
const SETTLEMENT_HOUR_WEIGHTS = [0, 0, 0, 0, 0, 0, 0, 2, 6, 8, 8, 5, 3, 4, 5, 5, 4, 2, 0, 0, 0, 0, 0, 0];
const SETTLEMENT_CUMULATIVE = cumulate(SETTLEMENT_HOUR_WEIGHTS);
const CARE = ['pharmacy', 'outpatient', 'chronic', 'inpatient'] as const;
const CARE_CUMULATIVE = cumulate([0.4, 0.35, 0.15, 0.1]);
/** Median bill per kind of care, yuan (ASSUMPTION; S3's chronic drugs "上千元" a month). */
const MEDIAN_YUAN = { pharmacy: 150, outpatient: 200, chronic: 500, inpatient: 8_000 } as const;
const POS_ACTIONS: readonly PosAction[] = ['settle', 'cancelBefore', 'cancelAfter', 'timeout', 'abandon'];
const POS_CUMULATIVE = cumulate([0.89, 0.03, 0.03, 0.04, 0.01]);

function settlementTime(prng: Prng, days: number): number {
  return prng.int(0, days - 1) * DAY_MS + prng.pickCumulative(SETTLEMENT_CUMULATIVE) * HOUR_MS +
    prng.int(0, HOUR_MS - 1);
}

function regionIn(prng: Prng, pop: Population, province: string, not?: string): string | undefined {
  const regions = [...new Set(pop.people.filter((p) => p.province === province).map((p) => p.region))]
    .filter((r) => r !== not);
  return regions.length === 0 ? undefined : prng.pick(regions.sort());
}

export function billIntents(pop: Population, prng: Prng, o: PaymentOptions): BillIntent[] {
  const people = pop.people;
  const filers = people.filter((p) => p.filedTo.length > 0);
  const certified = people.filter((p) => p.chronic.length > 0);
  const provinces = [...new Set(people.map((p) => p.province))].sort();
  const width = String(Math.max(1, o.bills)).length;
  const intents: BillIntent[] = [];
  for (let k = 0; k < o.bills; k++) {
    const care = CARE[prng.pickCumulative(CARE_CUMULATIVE)] as BillIntent['care'];
    const x = prng.float();
    // Chronic care is for the certified (D10), bar a few who are not; cross-province care is
    // mostly for those who filed (D3), bar a few emergencies and a few who did not file.
    const crossProvince = x >= 0.8 && provinces.length > 1;
    const pool = crossProvince && filers.length > 0 && prng.chance(0.85) ? filers
      : care === 'chronic' && certified.length > 0 && prng.chance(0.9) ? certified
      : people;
    const patient = prng.pick(pool) as Person;
    let treatmentRegion = patient.region;
    let scope: BillIntent['scope'] = 'local';
    if (x >= 0.7 && x < 0.8) {
      treatmentRegion = regionIn(prng, pop, patient.province, patient.region) ?? patient.region;
    } else if (crossProvince) {
      const filed = patient.filedTo[0];
      const province = filed ?? prng.pick(provinces.filter((c) => c !== patient.province));
      treatmentRegion = regionIn(prng, pop, province) ?? patient.region;
    }
    if (treatmentRegion !== patient.region) {
      scope = treatmentRegion.slice(0, 2) === patient.region.slice(0, 2) ? 'sameProvince' : 'crossProvince';
    }
    let disease = 'NONE';
    if (care === 'chronic') {
      const y = prng.float();
      // D10: mostly the certified disease; sometimes one without certification; rarely not a D9 disease.
      disease = y < 0.02 ? 'GOUT' : patient.chronic[0] !== undefined && y < 0.9
        ? patient.chronic[0]
        : prng.pick(CHRONIC_DISEASES).code;
    }
    const total = BigInt(Math.max(100, Math.round(prng.lognormal(MEDIAN_YUAN[care] * 100, 0.8))));
    const eligible = (total * BigInt(prng.int(85, 100))) / 100n;
    intents.push({
      kind: 'bill',
      at: settlementTime(prng, o.days),
      billId: `s${String(k).padStart(width, '0')}`,
      personId: patient.id,
      treatmentRegion,
      care,
      disease,
      total,
      eligible,
      emergency: scope === 'crossProvince' && prng.chance(0.1) ? 'Y' : 'N',
      networked: prng.chance(0.95) ? 'Y' : 'N',
      useWallet: prng.chance(0.6) ? 'Y' : 'N',
      action: POS_ACTIONS[prng.pickCumulative(POS_CUMULATIVE)] as PosAction,
      scope,
    });
  }
  return intents;
}

/**
 * Contributions: 60 % paid from a relative's personal account (C2; a few across provinces,
 * refused C3), 40 % by recipients from their own wallet (C3). A few name next year, which has no
 * amount yet (C1), and a few pay a person-year twice (C4).
 */
export function contributionIntents(pop: Population, prng: Prng, o: PaymentOptions): ContributionIntent[] {
  const relations = pop.relations;
  if (relations.length === 0 || o.contributions === 0) return [];
  const local = relations.filter((r) => r.scope !== 'crossProvince');
  const cross = relations.filter((r) => r.scope === 'crossProvince');
  const width = String(Math.max(1, o.contributions)).length;
  const intents: ContributionIntent[] = [];
  const twice = chooseExactly(prng, o.contributions, Math.round(o.contributions * 0.05));
  for (let k = 0; k < o.contributions; k++) {
    const at = settlementTime(prng, o.days) + 12 * HOUR_MS;
    const year = prng.chance(0.03) ? o.year + 1 : o.year;
    const payId = `c${String(k).padStart(width, '0')}`;
    const previous = intents.at(-1);
    if (twice[k] === 1 && previous !== undefined) {
      intents.push({ ...previous, at: Math.max(at, previous.at + 60_000), payId });
      continue;
    }
    if (prng.chance(0.6)) {
      const pool = prng.chance(0.05) && cross.length > 0 ? cross : local.length > 0 ? local : relations;
      const r = prng.pick(pool);
      intents.push({ kind: 'contribution', at, payId, payerId: r.donorId, personId: r.recipientId, year, source: 'ACCOUNT', scope: r.scope });
    } else {
      const r = prng.pick(relations);
      intents.push({ kind: 'contribution', at, payId, payerId: r.recipientId, personId: r.recipientId, year, source: 'WALLET', scope: 'sameRegion' });
    }
  }
  return intents;
}

/** The calendar year of day 0 of a 'YYYY-MM-DD' start date. */
export function yearOf(startDate: string): number {
  return Number(startDate.slice(0, 4));
}
