// People, wallets and donor→recipient relations for a scenario, drawn from one seeded Prng.
// Shapes follow DOMAIN.md §4.4 (population, cross-province flow matrix) and seed the rule
// refusals the checkers must see: non-close kin (E2), unopened wallets (W10), small balances.
import { CHRONIC_DISEASES, meanContributionBaseFen, monthlyCreditFen } from '../actors/policy.ts';
import { CLOSE_KINSHIPS, NON_CLOSE_KINSHIPS } from '../protocol/index.ts';
import type { Prng } from './prng.ts';
import type { Topology } from './topology.ts';

export interface Person {
  /** 'p' + zero-padded counter, fixed width for the run, e.g. 'p000123'. */
  id: string;
  /** Region code (6-digit admdvs). */
  region: string;
  province: string;
  /** Has a personal account; only EBMI members can donate (E1). */
  ebmi: boolean;
  walletStatus: 'active' | 'unopened';
  /** Personal-account balance in fen; 0n if not EBMI. */
  openingBalance: bigint;
  /** As the civil registry knows it: a Chinese name and an 18-digit ID number (GB 11643). */
  name: string;
  idNo: string;
  /** E3: enrolled in EBMI or URRBMI; everyone EBMI is, a few residents are not. */
  enrolled: boolean;
  /** EBMI members past working age (27 % of them, DOMAIN §4.4). */
  retired: boolean;
  /** P4: the monthly personal-account credit; 0 for residents. */
  monthlyCreditFen: bigint;
  age: number;
  /** D3: provinces filed (备案) for out-of-region care: a retiree living near children, say. */
  filedTo: string[];
  /** D10: chronic diseases (D9 codes) with benefit certification at the insured place. */
  chronic: string[];
}

export interface Relation {
  donorId: string;
  recipientId: string;
  /** The recipient's kinship to the donor: usually close (E2), sometimes not, to draw refusals. */
  kinship: string;
  scope: 'sameRegion' | 'sameProvince' | 'crossProvince';
}

export interface Population {
  people: Person[];
  /** Relations bound before the run starts: active on both sides. */
  relations: Relation[];
  /**
   * Relatives the registry knows but who are not bound yet: what binding requests (F1) ask
   * for. Drawn like relations, one per donor for a share of donors.
   */
  candidates: Relation[];
  personById: Map<string, Person>;
}

// ASSUMPTION: wallet money mostly flows to ageing parents (S3's stories), then spouse and
// children; weights in CLOSE_KINSHIPS order, summing to 1.
const CLOSE_KINSHIP_WEIGHTS = [0.18, 0.42, 0.16, 0.1, 0.04, 0.04, 0.03, 0.03];
const CLOSE_KINSHIP_CUMULATIVE = cumulate(CLOSE_KINSHIP_WEIGHTS);

export interface PopulationOptions {
  wallets: number;
  /** Share of people who are EBMI donors. */
  donorShare?: number;
  /** Share of non-donors whose wallet is not activated (W10). */
  unopenedShare?: number;
  /** Relations per donor: 1 + Poisson(mean − 1), so at least 1 and the mean is exact. */
  relationsPerDonorMean?: number;
  crossProvinceShare?: number;
  /** Different region, same province. */
  sameProvinceShare?: number;
  /** Relations to non-close kin, refused under E2. */
  nonCloseShare?: number;
  /** Lognormal median; with sigma 1 and the small-balance share the mean is ≈ 3,770 yuan. */
  balanceMedianYuan?: number;
  balanceSigma?: number;
  /** Share of EBMI accounts drawn uniformly under 300 yuan, so insufficient funds happen. */
  lowBalanceShare?: number;
  /** Share of donors with one more relative, not yet bound: the binding workload's pool. */
  candidateShare?: number;
  /** Share of non-EBMI people not enrolled at all (E3; ≈ 5 % nationally are uninsured). */
  unenrolledShare?: number;
  /** The national network's wallets this population samples (`--scale 1:N`: wallets = this / N). */
  nationalWallets?: number | undefined;
  /**
   * 'walletEnabled': people live only in regions with the wallet on the start date (E8);
   * 'rollout': everywhere, but recipients' wallets where it is not on yet start unopened and
   * open as their region's stage comes (W1).
   */
  regions?: 'all' | 'walletEnabled' | 'rollout';
}

/** Where people may live, and the regions whose recipients' wallets start unopened. */
export interface Placement {
  readonly allowed?: ReadonlySet<string> | undefined;
  readonly closed?: ReadonlySet<string> | undefined;
}

export const POPULATION_DEFAULTS: Required<Omit<PopulationOptions, 'wallets' | 'nationalWallets'>> =
  {
    donorShare: 0.5,
    unopenedShare: 0.01,
    relationsPerDonorMean: 1.6,
    crossProvinceShare: 0.3,
    sameProvinceShare: 0.25,
    nonCloseShare: 0.02,
    balanceMedianYuan: 2400,
    balanceSigma: 1,
    lowBalanceShare: 0.05,
    candidateShare: 0.1,
    unenrolledShare: 0.05,
    regions: 'all',
  };

type Resolved = Required<Omit<PopulationOptions, 'nationalWallets'>>;

const LOW_BALANCE_FEN_MAX = 29_999;
// Keeps the lognormal tail believable: decades of credits at ≈1,600 yuan/yr.
const BALANCE_FEN_MAX = 20_000_000;
export const RELATIONS_PER_DONOR_MAX = 8;
const RECIPIENT_ATTEMPTS_MAX = 12;
const ID_WIDTH_MIN = 6;

// DOMAIN §4.4's suggested mixture for the recipient's province of a cross-province relation.
const FLOW_GRAVITY = 0.6;
const FLOW_NEIGHBOUR = 0.25;
const FLOW_UNIFORM = 0.15;

export function cumulate(weights: readonly number[]): number[] {
  let sum = 0;
  return weights.map((w) => (sum += w));
}

function resolve(opts: PopulationOptions): Resolved {
  const o: Resolved = { ...POPULATION_DEFAULTS, ...stripUndefined(opts) } as Resolved;
  if (!Number.isInteger(o.wallets) || o.wallets < 2) {
    throw new RangeError(`buildPopulation: wallets must be an integer ≥ 2, got ${o.wallets}`);
  }
  const shares = [
    'donorShare',
    'unopenedShare',
    'crossProvinceShare',
    'sameProvinceShare',
    'nonCloseShare',
    'lowBalanceShare',
    'candidateShare',
    'unenrolledShare',
  ] as const;
  for (const key of shares) {
    if (!(o[key] >= 0 && o[key] <= 1)) throw new RangeError(`buildPopulation: ${key} ${o[key]}`);
  }
  if (o.crossProvinceShare + o.sameProvinceShare > 1) {
    throw new RangeError('buildPopulation: crossProvinceShare + sameProvinceShare > 1');
  }
  if (!(o.relationsPerDonorMean >= 1 && o.relationsPerDonorMean <= RELATIONS_PER_DONOR_MAX)) {
    throw new RangeError(`buildPopulation: relationsPerDonorMean ${o.relationsPerDonorMean}`);
  }
  if (!(o.balanceMedianYuan > 0 && o.balanceSigma >= 0)) {
    throw new RangeError('buildPopulation: balanceMedianYuan must be > 0, balanceSigma ≥ 0');
  }
  return o;
}

function stripUndefined<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Where people are, as flat arrays: province and global region index per person. */
interface Layout {
  provinceOf: Int32Array;
  regionOf: Int32Array;
  isDonor: Uint8Array;
  regionProvince: Int32Array;
  provinceRegionStart: Int32Array;
  provinceRegionCount: Int32Array;
}

/**
 * ASSUMPTION (no per-region census in DOMAIN): a province's cities hold people in a flat Zipf
 * shape by city number (the first, its capital in the real codes, the largest: weight 1/k^0.6),
 * and its 省本级 unit, the province-level employers, holds 4 % of them.
 */
const CITY_SIZE_EXPONENT = 0.6;
const PROVINCIAL_UNIT_SHARE = 0.04;

/** Each region's share of its province's people, in the topology's region order. */
export function regionWeights(regionCodes: readonly string[]): number[] {
  const cities = regionCodes.filter((code) => !code.endsWith('9900'));
  const provincial = regionCodes.length - cities.length;
  const cityWeight = (k: number) => 1 / (k + 1) ** CITY_SIZE_EXPONENT;
  const citySum = cities.reduce((sum, _, k) => sum + cityWeight(k), 0);
  const unit = provincial > 0 && cities.length > 0 ? PROVINCIAL_UNIT_SHARE : 0;
  let k = 0;
  return regionCodes.map((code) =>
    code.endsWith('9900')
      ? cities.length > 0
        ? unit
        : 1
      : ((1 - unit) * cityWeight(k++)) / citySum,
  );
}

function place(
  topology: Topology,
  prng: Prng,
  o: Resolved,
  allowed: ReadonlySet<string> | undefined,
): Layout {
  const provinces = topology.provinces;
  const provinceRegionStart = new Int32Array(provinces.length);
  const provinceRegionCount = new Int32Array(provinces.length);
  const regionProvince: number[] = [];
  // Per province: its regions' weights (zero where people may not live) and their sum.
  const regionCumulative: number[][] = [];
  const provinceWeight: number[] = [];
  provinces.forEach((p, i) => {
    provinceRegionStart[i] = regionProvince.length;
    provinceRegionCount[i] = p.regions.length;
    for (let r = 0; r < p.regions.length; r++) regionProvince.push(i);
    const weights = regionWeights(p.regions.map((r) => r.code)).map((w, r) =>
      allowed === undefined || allowed.has((p.regions[r] as { code: string }).code) ? w : 0,
    );
    const open = weights.reduce((a, b) => a + b, 0);
    regionCumulative.push(cumulate(weights));
    provinceWeight.push(p.spec.ebmiMillions * open);
  });
  if (!provinceWeight.some((w) => w > 0)) {
    throw new RangeError('buildPopulation: no region is open to the population');
  }
  const cumulative = cumulate(provinceWeight);
  const provinceOf = new Int32Array(o.wallets);
  const regionOf = new Int32Array(o.wallets);
  for (let i = 0; i < o.wallets; i++) {
    const p = prng.pickCumulative(cumulative);
    provinceOf[i] = p;
    regionOf[i] =
      (provinceRegionStart[p] as number) + prng.pickCumulative(regionCumulative[p] as number[]);
  }
  const isDonor = chooseDonors(prng, o);
  return {
    provinceOf,
    regionOf,
    isDonor,
    regionProvince: Int32Array.from(regionProvince),
    provinceRegionStart,
    provinceRegionCount,
  };
}

/** Exactly round(wallets × donorShare) donors, but always at least one donor and recipient. */
function chooseDonors(prng: Prng, o: Resolved): Uint8Array {
  const n = o.wallets;
  return chooseExactly(prng, n, Math.min(n - 1, Math.max(1, Math.round(n * o.donorShare))));
}

/**
 * A mask with exactly `count` of `n` slots set, by a partial Fisher–Yates shuffle: exact counts
 * keep small scenarios from drawing zero of a rare case by bad luck.
 */
export function chooseExactly(prng: Prng, n: number, count: number): Uint8Array {
  if (!(Number.isInteger(count) && count >= 0 && count <= n)) {
    throw new RangeError(`chooseExactly: count ${count} of ${n}`);
  }
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const mask = new Uint8Array(n);
  for (let i = 0; i < count; i++) {
    const j = prng.int(i, n - 1);
    const picked = order[j] as number;
    order[j] = order[i] as number;
    order[i] = picked;
    mask[picked] = 1;
  }
  return mask;
}

function drawBalanceFen(prng: Prng, o: Resolved): bigint {
  if (prng.chance(o.lowBalanceShare)) return BigInt(prng.int(0, LOW_BALANCE_FEN_MAX));
  const fen = Math.round(prng.lognormal(o.balanceMedianYuan * 100, o.balanceSigma));
  return BigInt(Math.min(fen, BALANCE_FEN_MAX));
}

function makePeople(
  topology: Topology,
  layout: Layout,
  prng: Prng,
  o: Resolved,
  closed: ReadonlySet<string> | undefined,
): Person[] {
  const regions = topology.provinces.flatMap((p) => p.regions);
  const employeeShare = topology.provinces.map((p) =>
    Math.min(1, p.spec.ebmiMillions / p.spec.insuredMillions),
  );
  const width = Math.max(ID_WIDTH_MIN, String(o.wallets - 1).length);
  const people: Person[] = new Array(o.wallets);
  for (let i = 0; i < o.wallets; i++) {
    const region = regions[layout.regionOf[i] as number];
    if (region === undefined) throw new Error('buildPopulation: region index out of range');
    const donor = layout.isDonor[i] === 1;
    // A non-donor may still be EBMI (a retired parent, a spouse who never sends).
    const ebmi = donor || prng.chance(employeeShare[layout.provinceOf[i] as number] as number);
    const unopened =
      (!donor && prng.chance(o.unopenedShare)) || (!donor && closed?.has(region.code) === true);
    people[i] = {
      id: `p${String(i).padStart(width, '0')}`,
      region: region.code,
      province: region.province,
      ebmi,
      walletStatus: unopened ? 'unopened' : 'active',
      openingBalance: ebmi ? drawBalanceFen(prng, o) : 0n,
      name: '',
      idNo: '',
      enrolled: true,
      retired: false,
      monthlyCreditFen: 0n,
      age: 0,
      filedTo: [],
      chronic: [],
    };
  }
  return people;
}

// Common surnames and given-name characters: enough for names that read as names.
const SURNAMES =
  '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢' +
  '姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤';
const GIVEN =
  '伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华建国文红玉梅鹏飞云志宏海波辉宁琳晨雪松岩斌浩凯佳欣怡婷雯睿博宇轩';
/** DOMAIN §4.4 (U22): retirees are 27 % of EBMI members. */
const RETIRED_SHARE = 0.27;
const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';

/** GB 11643's check character (ISO 7064 MOD 11-2) over the first 17 digits. */
function idCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * (ID_WEIGHTS[i] as number);
  return ID_CHECK[sum % 11] as string;
}

/**
 * Names, ID numbers and enrolment. The ID number starts with the holder's region code (here the
 * insured region: ASSUMPTION, registration and insured place coincide), then the birth date
 * (employees 22–60, retirees and residents up to 90), a sequence and the check character.
 */
function addIdentities(people: Person[], prng: Prng, o: Resolved): void {
  const sequence = new Map<string, number>();
  for (const person of people) {
    const given = prng.chance(0.6) ? 2 : 1;
    let name = SURNAMES[prng.int(0, SURNAMES.length - 1)] as string;
    for (let k = 0; k < given; k++) name += GIVEN[prng.int(0, GIVEN.length - 1)] as string;
    person.retired = person.ebmi && prng.chance(RETIRED_SHARE);
    const age = person.retired
      ? prng.int(60, 90)
      : person.ebmi
        ? prng.int(22, 59)
        : prng.int(1, 90);
    if (person.ebmi) {
      // P4: 2 % of a contribution base drawn around the province's mean, or the retiree amount.
      const base = BigInt(
        Math.round(prng.lognormal(Number(meanContributionBaseFen(person.province)), 0.4)),
      );
      person.monthlyCreditFen = monthlyCreditFen(
        person.retired ? 'retired' : 'active',
        base,
        person.province,
      );
    }
    const year = 2025 - age;
    const month = prng.int(1, 12);
    const day = prng.int(1, 28);
    const birth = `${year}${String(month).padStart(2, '0')}${String(day).padStart(2, '0')}`;
    const key = person.region + birth;
    const seq = (sequence.get(key) ?? 0) + 1;
    sequence.set(key, seq);
    const first17 = `${person.region}${birth}${String(seq % 1000).padStart(3, '0')}`;
    person.name = name;
    person.age = age;
    // Joined, not `+`: a flat string, where `+` keeps a two-part cons string (≈ 34 B more).
    person.idNo = [first17, idCheckChar(first17)].join('');
    person.enrolled = person.ebmi || !prng.chance(o.unenrolledShare);
  }
}

/** Person indices grouped by a key (region or province), as one array per key. */
function groupBy(keys: Int32Array, keyCount: number, include: Uint8Array): Int32Array[] {
  const counts = new Int32Array(keyCount);
  keys.forEach((k, i) => {
    if (include[i] === 1) counts[k]! += 1;
  });
  const groups = Array.from(counts, (c) => new Int32Array(c));
  const fill = new Int32Array(keyCount);
  keys.forEach((k, i) => {
    if (include[i] === 1) (groups[k] as Int32Array)[fill[k]!++] = i;
  });
  return groups;
}

function normalise(weights: number[]): number[] | null {
  const total = weights.reduce((a, b) => a + b, 0);
  return total > 0 ? weights.map((w) => w / total) : null;
}

/** Recipient-province mixture per donor province; a row is null when there is nowhere to go. */
function flowRow(topology: Topology, src: number): number[] | null {
  const specs = topology.provinces.map((p) => p.spec);
  const from = specs[src];
  if (from === undefined) throw new Error('flowRow: bad province index');
  const others = specs.map((_, j) => j !== src);
  const toOrigin = from.migrantRole === 'destination';
  const gravity = specs.map((s, j) =>
    others[j] && (!toOrigin || s.migrantRole === 'origin') ? s.insuredMillions : 0,
  );
  const neighbour = specs.map((s, j) =>
    others[j] && from.neighbours.includes(s.code) ? s.insuredMillions : 0,
  );
  const uniform = others.map((o) => (o ? 1 : 0));
  const parts: [number[] | null, number][] = [
    [normalise(gravity), FLOW_GRAVITY],
    [normalise(neighbour), FLOW_NEIGHBOUR],
    [normalise(uniform), FLOW_UNIFORM],
  ];
  // A missing component (an island has no neighbours) gives its weight to the others.
  const row = specs.map(() => 0);
  for (const [dist, share] of parts) {
    if (dist !== null)
      dist.forEach((p, j) => {
        row[j]! += p * share;
      });
  }
  return normalise(row);
}

/** Probability that a cross-province relation from province i targets province j. */
export function crossProvinceFlow(topology: Topology): number[][] {
  return topology.provinces.map((_, i) => flowRow(topology, i) ?? topology.provinces.map(() => 0));
}

interface RelationContext {
  layout: Layout;
  people: Person[];
  byRegion: Int32Array[];
  byProvince: Int32Array[];
  anyone: Int32Array;
  flowCumulative: (number[] | null)[];
  o: Resolved;
}

type Scope = Relation['scope'];

function drawScope(prng: Prng, o: Resolved): Scope {
  const x = prng.float();
  if (x < o.crossProvinceShare) return 'crossProvince';
  if (x < o.crossProvinceShare + o.sameProvinceShare) return 'sameProvince';
  return 'sameRegion';
}

function pool(ctx: RelationContext, donor: number, scope: Scope, prng: Prng): Int32Array | null {
  const { layout } = ctx;
  const province = layout.provinceOf[donor] as number;
  const region = layout.regionOf[donor] as number;
  if (scope === 'sameRegion') return ctx.byRegion[region] ?? null;
  if (scope === 'crossProvince') {
    const cumulative = ctx.flowCumulative[province];
    return cumulative ? (ctx.byProvince[prng.pickCumulative(cumulative)] ?? null) : null;
  }
  const count = layout.provinceRegionCount[province] as number;
  // A municipality is a single pooling region: 'same province, other region' cannot exist.
  if (count < 2) return null;
  const offset = prng.int(0, count - 2);
  const start = layout.provinceRegionStart[province] as number;
  const other = start + offset + (start + offset >= region ? 1 : 0);
  return ctx.byRegion[other] ?? null;
}

function drawRecipient(
  ctx: RelationContext,
  donor: number,
  taken: number[],
  prng: Prng,
): number | null {
  const wanted = drawScope(prng, ctx.o);
  // Tiny populations can leave a pool empty; fall back so that every donor keeps a relation.
  const fallbacks: (Scope | 'anyone')[] = [wanted, 'sameRegion', 'anyone'];
  for (const scope of fallbacks) {
    for (let attempt = 0; attempt < RECIPIENT_ATTEMPTS_MAX; attempt++) {
      const candidates = scope === 'anyone' ? ctx.anyone : pool(ctx, donor, scope, prng);
      if (candidates === null || candidates.length === 0) break;
      const r = candidates[prng.int(0, candidates.length - 1)] as number;
      if (r !== donor && !taken.includes(r)) return r;
    }
  }
  return null;
}

function scopeOf(layout: Layout, a: number, b: number): Scope {
  if (layout.regionOf[a] === layout.regionOf[b]) return 'sameRegion';
  if (layout.provinceOf[a] === layout.provinceOf[b]) return 'sameProvince';
  return 'crossProvince';
}

function drawKinship(prng: Prng, o: Resolved, hasSpouse: boolean): string {
  if (prng.chance(o.nonCloseShare)) return prng.pick(NON_CLOSE_KINSHIPS);
  const kinship = CLOSE_KINSHIPS[prng.pickCumulative(CLOSE_KINSHIP_CUMULATIVE)] as string;
  // One spouse per donor; a second draw becomes the likeliest kin instead.
  return kinship === 'SPOUSE' && hasSpouse ? 'PARENT' : kinship;
}

/** 1 + Poisson(mean − 1) by Knuth's method: small means only, which is all we need. */
function drawRelationCount(prng: Prng, mean: number): number {
  const limit = Math.exp(-(mean - 1));
  let k = 0;
  let product = prng.float();
  while (product > limit && k < RELATIONS_PER_DONOR_MAX - 1) {
    k++;
    product *= prng.float();
  }
  return 1 + k;
}

function donorRelations(ctx: RelationContext, donor: number, prng: Prng): Relation[] {
  const count = drawRelationCount(prng, ctx.o.relationsPerDonorMean);
  const taken: number[] = [];
  const relations: Relation[] = [];
  let hasSpouse = false;
  for (let k = 0; k < count; k++) {
    const recipient = drawRecipient(ctx, donor, taken, prng);
    if (recipient === null) break;
    taken.push(recipient);
    const kinship = drawKinship(prng, ctx.o, hasSpouse);
    hasSpouse ||= kinship === 'SPOUSE';
    relations.push({
      donorId: (ctx.people[donor] as Person).id,
      recipientId: (ctx.people[recipient] as Person).id,
      kinship,
      scope: scopeOf(ctx.layout, donor, recipient),
    });
  }
  return relations;
}

function relationContext(
  topology: Topology,
  layout: Layout,
  people: Person[],
  o: Resolved,
): RelationContext {
  const n = people.length;
  const recipients = new Uint8Array(n);
  for (let i = 0; i < n; i++) recipients[i] = layout.isDonor[i] === 1 ? 0 : 1;
  const anyone = new Int32Array(n);
  for (let i = 0; i < n; i++) anyone[i] = i;
  const byProvince = groupBy(layout.provinceOf, topology.provinces.length, recipients);
  // Relatives live where people do: a province without recipients takes no flow.
  const flowCumulative = topology.provinces.map((_, p) => {
    const row = flowRow(topology, p);
    if (row === null) return null;
    const reachable = row.map((w, j) => ((byProvince[j]?.length ?? 0) > 0 ? w : 0));
    if (reachable.every((w, j) => w === row[j])) return cumulate(row);
    return reachable.some((w) => w > 0) ? cumulate(reachable) : null;
  });
  return {
    layout,
    people,
    anyone,
    flowCumulative,
    o,
    byRegion: groupBy(layout.regionOf, layout.regionProvince.length, recipients),
    byProvince,
  };
}

export function buildPopulation(
  topology: Topology,
  prng: Prng,
  opts: PopulationOptions,
  placement: Placement = {},
): Population {
  const o = resolve(opts);
  if (topology.provinces.length === 0) throw new RangeError('buildPopulation: empty topology');
  // Separate streams, so that changing one option does not reshuffle the unrelated draws.
  const placePrng = prng.fork();
  const peoplePrng = prng.fork();
  const relationPrng = prng.fork();
  const layout = place(topology, placePrng, o, placement.allowed);
  const people = makePeople(topology, layout, peoplePrng, o, placement.closed);
  const ctx = relationContext(topology, layout, people, o);
  const relations: Relation[] = [];
  for (let i = 0; i < people.length; i++) {
    if (layout.isDonor[i] === 1) relations.push(...donorRelations(ctx, i, relationPrng));
  }
  // Forked after the streams above, so that adding identities changed none of their draws.
  const identityPrng = prng.fork();
  const candidatePrng = prng.fork();
  addIdentities(people, identityPrng, o);
  // A relation bound before the run passed E3 when it was bound: its recipient is enrolled.
  const byIndex = new Map(people.map((p) => [p.id, p]));
  for (const r of relations) (byIndex.get(r.recipientId) as Person).enrolled = true;
  addCare(people, topology, prng.fork(), relations);
  const candidates = drawCandidates(ctx, relations, candidatePrng);
  const personById = new Map(people.map((p) => [p.id, p]));
  if (personById.size !== people.length) throw new Error('buildPopulation: duplicate ids');
  return { people, relations, candidates, personById };
}

/** ASSUMPTION: 8 % of people have a filing (D3), mostly to where a relative of theirs lives. */
const FILING_SHARE = 0.08;
/** ASSUMPTION: 30 % of people aged 60+ are certified for one of the 10 chronic diseases (D10). */
const CHRONIC_SHARE_ELDERLY = 0.3;

/** Filings for out-of-region care and chronic-disease certifications (D3, D9, D10). */
function addCare(
  people: Person[],
  topology: Topology,
  prng: Prng,
  relations: readonly Relation[],
): void {
  const byId = new Map(people.map((p) => [p.id, p]));
  const relativeProvince = new Map<string, string>();
  for (const r of relations) {
    const donor = byId.get(r.donorId);
    const recipient = byId.get(r.recipientId);
    if (donor === undefined || recipient === undefined || donor.province === recipient.province)
      continue;
    relativeProvince.set(recipient.id, donor.province);
    relativeProvince.set(donor.id, recipient.province);
  }
  const provinces = topology.provinces.map((p) => p.code);
  for (const person of people) {
    if (prng.chance(FILING_SHARE) && provinces.length > 1) {
      const others = provinces.filter((code) => code !== person.province);
      person.filedTo = [relativeProvince.get(person.id) ?? prng.pick(others)];
    }
    if (person.age >= 60 && prng.chance(CHRONIC_SHARE_ELDERLY)) {
      person.chronic = [prng.pick(CHRONIC_DISEASES).code];
    }
  }
}

/** One more relative, not yet bound, for a share of donors: never one already related. */
function drawCandidates(
  ctx: RelationContext,
  relations: readonly Relation[],
  prng: Prng,
): Relation[] {
  const taken = new Map<string, number[]>();
  const index = new Map(ctx.people.map((p, i) => [p.id, i]));
  for (const r of relations) {
    const list = taken.get(r.donorId) ?? [];
    list.push(index.get(r.recipientId) as number);
    taken.set(r.donorId, list);
  }
  const candidates: Relation[] = [];
  for (let i = 0; i < ctx.people.length; i++) {
    if (ctx.layout.isDonor[i] !== 1 || !prng.chance(ctx.o.candidateShare)) continue;
    const donorId = (ctx.people[i] as Person).id;
    const own = taken.get(donorId) ?? [];
    const recipient = drawRecipient(ctx, i, own, prng);
    if (recipient === null) continue;
    const kinship = drawKinship(prng, ctx.o, true);
    candidates.push({
      donorId,
      recipientId: (ctx.people[recipient] as Person).id,
      kinship,
      scope: scopeOf(ctx.layout, i, recipient),
    });
  }
  return candidates;
}
