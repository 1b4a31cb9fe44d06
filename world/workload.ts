// A virtual day (or several) of wallet-transfer requests, shaped by DOMAIN.md §4.4's timing
// profile and amount distribution. Small, exact shares of requests break W6–W8 and W12 on
// purpose, so that every refusal path is exercised on every run.
import { DAY_MS, HOUR_MS } from '../actors/config.ts';
import type { Kinship, RelationEnding, TransferSource } from '../protocol/index.ts';
import { CLOSE_KINSHIPS } from '../protocol/index.ts';
import {
  DayPicker,
  type DayShape,
  dayShape,
  ratedCounts,
  type WorkloadRates,
} from './day_shape.ts';
import type { BillIntent, ContributionIntent } from './payments.ts';
import type { Person, Population, Relation } from './population.ts';
import { chooseExactly, cumulate } from './population.ts';
import type { Prng } from './prng.ts';

// One definition of the day, shared with the actors' W6/W8 arithmetic.
export { DAY_MS, HOUR_MS };

export interface TransferIntent {
  kind: 'transfer';
  /** Virtual ms since the run's start, which is 00:00 Beijing time of day 0. */
  at: number;
  /** 't' + zero-padded counter, in order of `at`. */
  transferId: string;
  donorId: string;
  recipientId: string;
  /** Fen. */
  amount: bigint;
  scope: Relation['scope'];
  /** W5: the donor's personal account, or (refused unless allowed) received wallet money. */
  source: TransferSource;
}

/** F1: a donor asks to bind a relative; `face` is what the relative will do when asked. */
export interface BindIntent {
  kind: 'bind';
  at: number;
  bindId: string;
  donorId: string;
  relativeId: string;
  name: string;
  idNo: string;
  kinship: Kinship;
  face: 'PASS' | 'FAIL' | 'NONE';
  scope: Relation['scope'];
}

/** E5: one party revokes a relation. */
export interface EndIntent {
  kind: 'end';
  at: number;
  requestId: string;
  donorId: string;
  recipientId: string;
  ending: RelationEnding;
  scope: Relation['scope'];
}

/** E6: a person's enrolment changes; every relation they are party to ends. */
export interface EnrolmentIntent {
  kind: 'enrolment';
  at: number;
  requestId: string;
  personId: string;
}

/** W1: the holder opens the wallet in the app. */
interface OpenIntent {
  kind: 'open';
  at: number;
  requestId: string;
  walletId: string;
}

export type Intent =
  | TransferIntent
  | BindIntent
  | EndIntent
  | EnrolmentIntent
  | OpenIntent
  | BillIntent
  | ContributionIntent;

/** The id the app tracks an intent by. */
export function intentId(intent: Intent): string {
  switch (intent.kind) {
    case 'transfer':
      return intent.transferId;
    case 'bind':
      return intent.bindId;
    case 'bill':
      return intent.billId;
    case 'contribution':
      return intent.payId;
    default:
      return intent.requestId;
  }
}

export interface WorkloadOptions {
  transfers: number;
  days?: number;
  amountMedianYuan?: number;
  /** Mean after the 2,000-yuan cap; the lognormal's sigma is solved to meet it. */
  amountMeanYuan?: number;
  /** Amounts in (2000, 3000] yuan, refused under W7. */
  overLimitShare?: number;
  /** Requests placed in 22:00–06:00, refused under W8. */
  blackoutShare?: number;
  /** Transfers that belong to a burst of 2–4 by one donor within minutes (W6, W12). */
  burstShare?: number;
  /** W5: transfer requests that ask to send received wallet money on. */
  retransferShare?: number;
  /** F1: binding requests, drawn from the population's unbound relatives. */
  binds?: number;
  /** Of binds: a wrong kinship claimed (E2 at the registry), a wrong ID number (ID_MISMATCH). */
  wrongKinshipShare?: number;
  idMismatchShare?: number;
  /** Of binds: asked by someone without a personal account (E1). */
  nonEmployeeBindShare?: number;
  /** Of binds: the relative's face fails (E5), or the relative never answers (expiry). */
  faceFailShare?: number;
  faceNoAnswerShare?: number;
  /** E5: relations revoked by one party; E6: people whose enrolment changes. */
  revokes?: number;
  enrolmentChanges?: number;
  /**
   * W1: wallets their holders open during the run, drawn from recipients' wallets not yet open;
   * each opening has a transfer to it an hour or so before (refused W10) and one after.
   */
  opens?: number;
  /** F3: bills at designated providers; F4: resident contribution payments (sim/payments.ts). */
  bills?: number;
  contributions?: number;
  /**
   * The real day's shape (world/day_shape.ts): national-equivalent rates that, divided by
   * `scale` and shaped by each day's calendar, set the counts of transfers, bills, family aid,
   * contributions and binds (the counts above are then ignored).
   */
  rates?: WorkloadRates | undefined;
  /** N of 1:N: the population and the rates are a 1/N sample of the national network. */
  scale?: number;
  /** Of bills: care in another region of the insured province, and in another province. */
  billScopes?: { readonly sameProvince: number; readonly crossProvince: number };
  /** Of bills: the wallet pays what the patient's own account does not (P3). */
  walletUseShare?: number;
  /** Bills a relative's account pays at the point of care; absent: a quarter of those that can. */
  familyAid?: number | undefined;
}

type Optional = 'transfers' | 'rates' | 'familyAid';

export const WORKLOAD_DEFAULTS: Required<Omit<WorkloadOptions, Optional>> = {
  days: 1,
  amountMedianYuan: 500,
  amountMeanYuan: 650,
  overLimitShare: 0.01,
  blackoutShare: 0.01,
  burstShare: 0.02,
  retransferShare: 0.005,
  binds: 0,
  wrongKinshipShare: 0.05,
  idMismatchShare: 0.03,
  nonEmployeeBindShare: 0.02,
  faceFailShare: 0.05,
  faceNoAnswerShare: 0.05,
  revokes: 0,
  enrolmentChanges: 0,
  opens: 0,
  bills: 0,
  contributions: 0,
  scale: 1,
  // DOMAIN S0: 2.63亿 person-times of aid within a region against 1976.29万 across regions
  // (7:93); of all settlements about 4 % are cross-province (9/s of 212/s, §4.4).
  billScopes: { sameProvince: 0.03, crossProvince: 0.04 },
  walletUseShare: 0.6,
};

type Resolved = Required<Omit<WorkloadOptions, 'rates' | 'familyAid'>> & {
  /** The day each transfer-like request falls on. */
  readonly transferDays: DayPicker;
};

/**
 * The counts a scenario's workload asks for: its own, or those its rates give over its days
 * at its scale from `startDate` (world/day_shape.ts), with the day's shape either way.
 */
export function ratedWorkload(
  opts: WorkloadOptions,
  startDate: string,
  /** Transfers that follow each opening: 2 (before and after), none in a rollout. */
  transfersPerOpen = 2,
): { options: WorkloadOptions; shape: DayShape } {
  const days = opts.days ?? WORKLOAD_DEFAULTS.days;
  const shape = dayShape(startDate, days);
  if (opts.rates === undefined) return { options: opts, shape };
  const scale = opts.scale ?? WORKLOAD_DEFAULTS.scale;
  const counts = ratedCounts(opts.rates, scale, shape);
  const { transfersPerSecond, settlementsPerSecond } = opts.rates;
  // The rate counts every transfer request: a binding, a revocation and an enrolment change
  // are each followed by one on the relation they touched, an opening by two.
  const followUps =
    counts.binds +
    (opts.revokes ?? 0) +
    (opts.enrolmentChanges ?? 0) +
    transfersPerOpen * (opts.opens ?? 0);
  return {
    options: {
      ...opts,
      transfers: Math.max(0, counts.transfers - followUps),
      bills: counts.bills,
      familyAid: counts.familyAid,
      contributions: counts.contributions,
      binds: counts.binds,
      // walletSpendTps ≈ 2 × walletTransferTps (DOMAIN §4.4): a transfer is spent over visits.
      walletUseShare:
        settlementsPerSecond > 0 ? Math.min(1, (2 * transfersPerSecond) / settlementsPerSecond) : 0,
    },
    shape,
  };
}

const BLACKOUT_START_MS = 22 * HOUR_MS;
const BLACKOUT_END_MS = 6 * HOUR_MS;
const BLACKOUT_LENGTH_MS = DAY_MS - BLACKOUT_START_MS + BLACKOUT_END_MS;

/** W7: 2,000.00 yuan. */
const AMOUNT_FEN_MAX = 200_000;
/** The largest transfer the workload draws, in yuan (W3's default limit). */
export const AMOUNT_YUAN_MAX = AMOUNT_FEN_MAX / 100;
const OVER_LIMIT_FEN_MAX = 300_000;
const BURST_GAP_MS_MIN = 5_000;
const BURST_GAP_MS_MAX = 180_000;
const BURST_SIZE_MAX = 4;
/** Within a burst, how often the next transfer goes to the same recipient (W12). */
const BURST_SAME_RECIPIENT = 0.5;

/**
 * Relative request rate per Beijing hour (ASSUMPTION, DOMAIN §4.4): nothing in the W8 blackout,
 * a small burst when the window opens at 06:00, a lunch peak at 12:00, the evening peak
 * 19:00–21:59 before the cut-off, and a daytime plateau otherwise.
 */
export const HOUR_WEIGHTS: readonly number[] = Object.freeze([
  0,
  0,
  0,
  0,
  0,
  0, // 00–05: blackout
  6, // 06: window opens, queued intent
  4,
  4,
  4,
  4,
  4, // 07–11: plateau
  9, // 12: lunch peak
  4,
  4,
  4,
  4,
  4,
  4, // 13–18: plateau
  10,
  10,
  10, // 19–21: evening peak
  0,
  0, // 22–23: blackout
]);
const HOUR_CUMULATIVE = cumulate(HOUR_WEIGHTS);

function resolve(opts: WorkloadOptions, shape?: DayShape): Resolved {
  const defined = Object.entries(opts).filter(([, v]) => v !== undefined);
  const merged = { ...WORKLOAD_DEFAULTS, ...Object.fromEntries(defined) } as Resolved;
  const days = merged.days;
  const transferDays =
    shape !== undefined && shape.transfers.length === days
      ? new DayPicker(shape.transfers)
      : DayPicker.uniform(Number.isInteger(days) && days >= 1 ? days : 1);
  const o: Resolved = { ...merged, transferDays };
  if (!Number.isInteger(o.transfers) || o.transfers < 0) {
    throw new RangeError(`buildWorkload: transfers must be an integer ≥ 0, got ${o.transfers}`);
  }
  if (!Number.isInteger(o.days) || o.days < 1) {
    throw new RangeError(`buildWorkload: days ${o.days}`);
  }
  if (!(Number.isInteger(o.scale) && o.scale >= 1)) {
    throw new RangeError(`buildWorkload: scale ${o.scale}`);
  }
  const { sameProvince, crossProvince } = o.billScopes;
  if (!(sameProvince >= 0 && crossProvince >= 0 && sameProvince + crossProvince <= 1)) {
    throw new RangeError(`buildWorkload: billScopes ${sameProvince} + ${crossProvince}`);
  }
  if (!(o.walletUseShare >= 0 && o.walletUseShare <= 1)) {
    throw new RangeError(`buildWorkload: walletUseShare ${o.walletUseShare}`);
  }
  for (const key of [
    'overLimitShare',
    'blackoutShare',
    'burstShare',
    'retransferShare',
    'wrongKinshipShare',
    'idMismatchShare',
    'nonEmployeeBindShare',
    'faceFailShare',
    'faceNoAnswerShare',
  ] as const) {
    if (!(o[key] >= 0 && o[key] <= 1)) throw new RangeError(`buildWorkload: ${key} ${o[key]}`);
  }
  if (!(o.amountMedianYuan > 0 && o.amountMedianYuan * 100 <= AMOUNT_FEN_MAX)) {
    throw new RangeError(`buildWorkload: amountMedianYuan ${o.amountMedianYuan}`);
  }
  return o;
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26; error < 1.5e-7, ample for calibration). */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly =
    t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** E[min(X, cap)] for X lognormal with the given median and sigma. */
function cappedMean(median: number, sigma: number, cap: number): number {
  if (sigma === 0) return Math.min(median, cap);
  const mu = Math.log(median);
  const z = (Math.log(cap) - mu) / sigma;
  return Math.exp(mu + (sigma * sigma) / 2) * normalCdf(z - sigma) + cap * (1 - normalCdf(z));
}

/** Whether a capped lognormal with this median has this mean for some sigma in [0, 4). */
export function amountMeanReachable(medianYuan: number, meanYuan: number): boolean {
  return meanYuan >= medianYuan && meanYuan < cappedMean(medianYuan, 4, AMOUNT_YUAN_MAX);
}

/**
 * The sigma whose capped mean is the target: the public averages (656–680 yuan, U5/U6) are of
 * capped amounts, so solving without the cap would undershoot by ≈ 20 yuan.
 */
export function amountSigma(medianYuan: number, meanYuan: number): number {
  const cap = AMOUNT_YUAN_MAX;
  if (!amountMeanReachable(medianYuan, meanYuan)) {
    throw new RangeError(`amountSigma: mean ${meanYuan} unreachable with median ${medianYuan}`);
  }
  let lo = 0;
  let hi = 4;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (cappedMean(medianYuan, mid, cap) < meanYuan) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Most people send round sums: 20% whole hundreds, 70% whole yuan, 10% to the fen. */
function roundingUnitFen(prng: Prng): number {
  const x = prng.float();
  if (x < 0.2) return 10_000;
  return x < 0.9 ? 100 : 1;
}

function drawAmountFen(prng: Prng, medianYuan: number, sigma: number): bigint {
  const raw = Math.min(AMOUNT_FEN_MAX, prng.lognormal(medianYuan * 100, sigma));
  const unit = roundingUnitFen(prng);
  return BigInt(Math.max(unit, Math.round(raw / unit) * unit));
}

function drawOverLimitFen(prng: Prng): bigint {
  const unit = roundingUnitFen(prng);
  const rounded = Math.round(prng.int(AMOUNT_FEN_MAX + 1, OVER_LIMIT_FEN_MAX) / unit) * unit;
  return BigInt(rounded > AMOUNT_FEN_MAX ? rounded : rounded + unit);
}

/** A time in the transfer window of a random day, following HOUR_WEIGHTS. */
function drawOpenTime(prng: Prng, days: DayPicker): number {
  const day = days.pick(prng);
  const hour = prng.pickCumulative(HOUR_CUMULATIVE);
  return day * DAY_MS + hour * HOUR_MS + prng.int(0, HOUR_MS - 1);
}

/** A time in 22:00–06:00, both ends taken from the same calendar day. */
function drawBlackoutTime(prng: Prng, days: DayPicker): number {
  const day = days.pick(prng);
  const offset = prng.int(0, BLACKOUT_LENGTH_MS - 1);
  const inDay = offset < BLACKOUT_END_MS ? offset : BLACKOUT_START_MS + offset - BLACKOUT_END_MS;
  return day * DAY_MS + inDay;
}

/** A request before its amount and id are known. */
interface Draft {
  at: number;
  relation: Relation;
}

function relationsByDonor(relations: readonly Relation[]): Map<string, Relation[]> {
  const byDonor = new Map<string, Relation[]>();
  for (const r of relations) {
    const list = byDonor.get(r.donorId);
    if (list) list.push(r);
    else byDonor.set(r.donorId, [r]);
  }
  return byDonor;
}

function burst(
  prng: Prng,
  size: number,
  relations: readonly Relation[],
  byDonor: Map<string, Relation[]>,
  days: DayPicker,
): Draft[] {
  const first = prng.pick(relations);
  const own = byDonor.get(first.donorId) ?? [first];
  const offsets = [0];
  for (let k = 1; k < size; k++) {
    offsets.push((offsets[k - 1] as number) + prng.int(BURST_GAP_MS_MIN, BURST_GAP_MS_MAX));
  }
  const span = offsets[size - 1] as number;
  let anchor = drawOpenTime(prng, days);
  // Keep the whole burst before 22:00, so that W8 refusals stay at exactly blackoutShare.
  const cutoff = Math.floor(anchor / DAY_MS) * DAY_MS + BLACKOUT_START_MS - 1;
  if (anchor + span > cutoff) anchor = cutoff - span;
  const drafts: Draft[] = [];
  let relation = first;
  for (const offset of offsets) {
    drafts.push({ at: anchor + offset, relation });
    if (!prng.chance(BURST_SAME_RECIPIENT)) relation = prng.pick(own);
  }
  return drafts;
}

function draftBursts(prng: Prng, relations: readonly Relation[], o: Resolved): Draft[] {
  const byDonor = relationsByDonor(relations);
  const drafts: Draft[] = [];
  let remaining = Math.round(o.transfers * o.burstShare);
  // A lone leftover transfer is no burst; it joins the ordinary requests instead.
  while (remaining >= 2) {
    const size = Math.min(remaining, prng.int(2, BURST_SIZE_MAX));
    drafts.push(...burst(prng, size, relations, byDonor, o.transferDays));
    remaining -= size;
  }
  return drafts;
}

function draftSingles(prng: Prng, relations: readonly Relation[], o: Resolved, n: number): Draft[] {
  const blackout = chooseExactly(prng, n, Math.min(n, Math.round(o.transfers * o.blackoutShare)));
  const drafts: Draft[] = [];
  for (let i = 0; i < n; i++) {
    const at =
      blackout[i] === 1
        ? drawBlackoutTime(prng, o.transferDays)
        : drawOpenTime(prng, o.transferDays);
    drafts.push({ at, relation: prng.pick(relations) });
  }
  return drafts;
}

function finish(drafts: Draft[], prng: Prng, o: Resolved): TransferIntent[] {
  const sigma = amountSigma(o.amountMedianYuan, o.amountMeanYuan);
  const n = drafts.length;
  const over = chooseExactly(prng, n, Math.round(n * o.overLimitShare));
  const amounts = drafts.map((_, i) =>
    over[i] === 1 ? drawOverLimitFen(prng) : drawAmountFen(prng, o.amountMedianYuan, sigma),
  );
  // Stable sort: equal times keep draft order, so ids stay deterministic.
  const order = drafts.map((_, i) => i).sort((a, b) => drafts[a]!.at - drafts[b]!.at);
  const width = Math.max(6, String(Math.max(0, n - 1)).length);
  return order.map((i, rank): TransferIntent => {
    const { at, relation } = drafts[i] as Draft;
    return {
      kind: 'transfer',
      at,
      transferId: `t${String(rank).padStart(width, '0')}`,
      donorId: relation.donorId,
      recipientId: relation.recipientId,
      amount: amounts[i] as bigint,
      scope: relation.scope,
      source: 'ACCOUNT',
    };
  });
}

export function buildWorkload(
  pop: Pick<Population, 'relations'> &
    Partial<Pick<Population, 'candidates' | 'people' | 'personById'>>,
  prng: Prng,
  opts: WorkloadOptions,
  shape?: DayShape,
  /** A 'rollout' population: the day a region's wallets can open, if within the run. */
  openDay?: (region: string) => number | undefined,
): Intent[] {
  const o = resolve(opts, shape);
  if (pop.relations.length === 0 && o.transfers + o.revokes + o.enrolmentChanges > 0) {
    throw new RangeError('buildWorkload: population has no relations');
  }
  // Separate streams per concern, so that one option does not reshuffle the other draws.
  const burstPrng = prng.fork();
  const singlePrng = prng.fork();
  const amountPrng = prng.fork();
  const domainPrng = prng.fork();
  const bursts = o.transfers === 0 ? [] : draftBursts(burstPrng, pop.relations, o);
  const singles =
    o.transfers === 0
      ? []
      : draftSingles(singlePrng, pop.relations, o, o.transfers - bursts.length);
  const transfers = finish([...bursts, ...singles], amountPrng, o);
  if (transfers.length !== o.transfers) throw new Error('buildWorkload: count mismatch');
  const sigma = amountSigma(o.amountMedianYuan, o.amountMeanYuan);
  const followUp = (
    at: number,
    donorId: string,
    recipientId: string,
    scope: Relation['scope'],
    id: string,
  ) => {
    const when = at + domainPrng.int(10 * 60_000, 90 * 60_000);
    const dayEnd = Math.floor(at / DAY_MS) * DAY_MS + BLACKOUT_START_MS - 1;
    const amount = drawAmountFen(domainPrng, o.amountMedianYuan, sigma);
    const intent: TransferIntent = {
      kind: 'transfer',
      at: Math.min(when, dayEnd),
      transferId: id,
      donorId,
      recipientId,
      amount,
      scope,
      source: 'ACCOUNT',
    };
    return intent;
  };
  for (const t of transfers) {
    if (domainPrng.chance(o.retransferShare)) t.source = 'WALLET';
  }
  const intents: Intent[] = [...transfers];
  if (o.binds > 0) intents.push(...bindIntents(pop, domainPrng, o, followUp));
  intents.push(...endIntents(pop.relations, domainPrng, o, followUp));
  if (o.opens > 0) intents.push(...openIntents(pop, prng.fork(), o, followUp, openDay));
  // Stable: equal times keep generation order, so the run is deterministic.
  return intents
    .map((intent, i) => ({ intent, i }))
    .sort((a, b) => a.intent.at - b.intent.at || a.i - b.i)
    .map(({ intent }) => intent);
}

/**
 * W1: recipients' wallets not yet open, opened by their holders at a waking hour; a donor of
 * each tries a transfer before the opening (W10 at the request) and another after it.
 */
/** ASSUMPTION: a holder opens their wallet within four weeks of their region getting it. */
const ROLLOUT_OPEN_LAG_DAYS = 28;

function openIntents(
  pop: Partial<Pick<Population, 'people'>> & Pick<Population, 'relations'>,
  prng: Prng,
  o: Resolved,
  followUp: FollowUp,
  openDay?: (region: string) => number | undefined,
): Intent[] {
  const donorOf = new Map<string, Relation>();
  for (const r of pop.relations) if (!donorOf.has(r.recipientId)) donorOf.set(r.recipientId, r);
  const closed = (pop.people ?? []).filter(
    (p) =>
      p.walletStatus !== 'active' &&
      donorOf.has(p.id) &&
      (openDay === undefined || openDay(p.region) !== undefined),
  );
  const n = Math.min(o.opens, closed.length);
  const picked = chooseExactly(prng, closed.length, n);
  const intents: Intent[] = [];
  let k = 0;
  closed.forEach((person, index) => {
    if (picked[index] !== 1) return;
    const id = `o${String(k++).padStart(5, '0')}`;
    // Late enough that a transfer an hour or so before still falls after 06:00 (W8).
    let drawn = drawOpenTime(prng, o.transferDays);
    // In a rollout, within ROLLOUT_OPEN_LAG_DAYS of the region's stage (W1 follows E8).
    const from = openDay?.(person.region);
    if (from !== undefined) {
      const day = Math.min(o.days - 1, from + prng.int(0, ROLLOUT_OPEN_LAG_DAYS - 1));
      drawn = day * DAY_MS + (drawn % DAY_MS);
    }
    const inDay = drawn % DAY_MS;
    const at = drawn - inDay + Math.max(inDay, BLACKOUT_END_MS + 2 * HOUR_MS);
    intents.push({ kind: 'open', at, requestId: id, walletId: person.id });
    // A rollout's openings are the load itself: no probing transfers around them.
    if (from !== undefined) return;
    const r = donorOf.get(person.id) as Relation;
    const before = followUp(
      at - 2 * HOUR_MS,
      r.donorId,
      r.recipientId,
      r.scope,
      `tb${id.slice(1)}`,
    );
    intents.push({ ...before, at: Math.min(before.at, at - 1) });
    intents.push(followUp(at, r.donorId, r.recipientId, r.scope, `ta${id.slice(1)}`));
  });
  return intents;
}

type FollowUp = (
  at: number,
  donorId: string,
  recipientId: string,
  scope: Relation['scope'],
  id: string,
) => TransferIntent;

/** Bindings over the unbound relatives, with the error shares of WorkloadOptions. */
function bindIntents(
  pop: Partial<Pick<Population, 'candidates' | 'people' | 'personById'>>,
  prng: Prng,
  o: Resolved,
  followUp: FollowUp,
): Intent[] {
  const candidates = pop.candidates ?? [];
  const people = pop.people ?? [];
  const byId = pop.personById;
  if (byId === undefined || candidates.length === 0)
    throw new RangeError('buildWorkload: binds need candidates');
  const n = Math.min(o.binds, candidates.length);
  const picked = chooseExactly(prng, candidates.length, n);
  const nonEmployees = nonEmployeesOf(people);
  const width = String(Math.max(1, n)).length;
  const intents: Intent[] = [];
  let k = 0;
  candidates.forEach((candidate, index) => {
    if (picked[index] !== 1) return;
    const id = `b${String(k++).padStart(width, '0')}`;
    const relative = relativeOf(byId, candidate);
    const at = drawOpenTime(prng, o.transferDays);
    const x = prng.float();
    const claim: BindClaim =
      x < o.nonEmployeeBindShare && nonEmployees.length > 0
        ? 'nonEmployee'
        : x < o.nonEmployeeBindShare + o.wrongKinshipShare
          ? 'wrongKinship'
          : x < o.nonEmployeeBindShare + o.wrongKinshipShare + o.idMismatchShare
            ? 'wrongId'
            : 'true';
    const details = claimDetails(candidate, relative, claim, nonEmployees, prng);
    const y = prng.float();
    const face =
      y < o.faceFailShare ? 'FAIL' : y < o.faceFailShare + o.faceNoAnswerShare ? 'NONE' : 'PASS';
    const intent = bindIntent(candidate, relative, at, id, details, face);
    intents.push(intent);
    // The donor then sends money to the newly bound relative, as S3's families do.
    intents.push(followUp(at, intent.donorId, relative.id, candidate.scope, `tb${id.slice(1)}`));
  });
  return intents;
}

/**
 * What a binding request claims (F1): the truth, or one error the platform must refuse — a
 * kinship the registry does not know (E2), an ID number that does not match (ID_MISMATCH), or a
 * requester without a personal account (E1).
 */
export type BindClaim = 'true' | 'wrongKinship' | 'wrongId' | 'nonEmployee';
export const BIND_CLAIMS: readonly BindClaim[] = ['true', 'wrongKinship', 'wrongId', 'nonEmployee'];
export const BIND_FACES: readonly BindIntent['face'][] = ['PASS', 'FAIL', 'NONE'];

/** The people without a personal account (E1): who a 'nonEmployee' claim is asked by. */
export function nonEmployeesOf(people: readonly Person[]): Person[] {
  return people.filter((p) => !p.ebmi);
}

/** The candidate's relative, as the registry knows them. */
export function relativeOf(byId: ReadonlyMap<string, Person>, candidate: Relation): Person {
  const relative = byId.get(candidate.recipientId);
  if (relative === undefined) throw new Error(`bind candidate ${candidate.recipientId} unknown`);
  return relative;
}

/** Who asks, for whom, claiming what: a claim's error made concrete with draws from `prng`. */
export interface ClaimDetails {
  readonly donorId: string;
  readonly kinship: Kinship;
  readonly idNo: string;
}

export function claimDetails(
  candidate: Relation,
  relative: Person,
  claim: BindClaim,
  nonEmployees: readonly Person[],
  prng: Prng,
): ClaimDetails {
  let donorId = candidate.donorId;
  let kinship = candidate.kinship as Kinship;
  let idNo = relative.idNo;
  switch (claim) {
    case 'nonEmployee':
      // Nobody without an account, or only the relative: the true donor asks after all.
      if (nonEmployees.length === 0) break;
      donorId = prng.pick(nonEmployees).id;
      if (donorId === relative.id) donorId = candidate.donorId;
      break;
    case 'wrongKinship': {
      const others = CLOSE_KINSHIPS.filter((c) => c !== kinship);
      kinship = prng.pick(others);
      break;
    }
    case 'wrongId': {
      // One digit of the sequence changed: a plausible typo the registry will not match.
      const digit = String((Number(idNo[16]) + 1 + prng.int(0, 8)) % 10);
      idNo = idNo.slice(0, 16) + digit + idNo.slice(17);
      break;
    }
    case 'true':
      break;
  }
  return { donorId, kinship, idNo };
}

/** F1: a binding request for a candidate relation, with what it claims and the relative's face. */
export function bindIntent(
  candidate: Relation,
  relative: Person,
  at: number,
  bindId: string,
  claim: ClaimDetails,
  face: BindIntent['face'],
): BindIntent {
  return {
    kind: 'bind',
    at,
    bindId,
    donorId: claim.donorId,
    relativeId: relative.id,
    name: relative.name,
    idNo: claim.idNo,
    kinship: claim.kinship,
    face,
    scope: candidate.scope,
  };
}

/** E5: one party of a relation revokes it. */
export function endIntent(
  relation: Relation,
  at: number,
  requestId: string,
  ending: RelationEnding,
): EndIntent {
  return {
    kind: 'end',
    at,
    requestId,
    donorId: relation.donorId,
    recipientId: relation.recipientId,
    ending,
    scope: relation.scope,
  };
}

/** E6: the enrolment of a relation's donor changes, which ends every relation they are party to. */
export function enrolmentIntent(
  relation: Relation,
  at: number,
  requestId: string,
): EnrolmentIntent {
  return { kind: 'enrolment', at, requestId, personId: relation.donorId };
}

/** Revocations by either party (E5) and enrolment changes (E6), each followed by a transfer. */
function endIntents(
  relations: readonly Relation[],
  prng: Prng,
  o: Resolved,
  followUp: FollowUp,
): Intent[] {
  const intents: Intent[] = [];
  const n = Math.min(o.revokes, relations.length);
  const picked = chooseExactly(prng, relations.length, n);
  let k = 0;
  relations.forEach((r, index) => {
    if (picked[index] !== 1) return;
    const id = `e${String(k++).padStart(5, '0')}`;
    const at = drawOpenTime(prng, o.transferDays);
    const ending = prng.chance(0.6) ? 'REVOKED_BY_DONOR' : 'REVOKED_BY_RECIPIENT';
    intents.push(endIntent(r, at, id, ending));
    intents.push(followUp(at, r.donorId, r.recipientId, r.scope, `te${id.slice(1)}`));
  });
  const changes = Math.min(o.enrolmentChanges, relations.length);
  const changed = chooseExactly(prng, relations.length, changes);
  k = 0;
  relations.forEach((r, index) => {
    if (changed[index] !== 1) return;
    const id = `n${String(k++).padStart(5, '0')}`;
    const at = drawOpenTime(prng, o.transferDays);
    intents.push(enrolmentIntent(r, at, id));
    intents.push(followUp(at, r.donorId, r.recipientId, r.scope, `tn${id.slice(1)}`));
  });
  return intents;
}
