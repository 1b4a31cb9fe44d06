// A scenario is everything a run depends on besides code: topology, population, workload,
// protocol bounds and variant, network, faults and checks. Files (YAML or JSON) override the
// defaults field by field; every field is validated, and an error names the field and the value.
import { parseDate } from '../actors/calendar.ts';
import { PROTOCOL_DEFAULTS, PROTOCOL_VARIANTS, type ProtocolConfig } from '../actors/config.ts';
import { BILL_SCOPES, type BillScope } from '../actors/regions.ts';
import {
  type Care,
  CARE_KINDS,
  type Fen,
  parseYuan,
  WIRE_AMOUNT_MAX_FEN,
} from '../protocol/index.ts';
import { FAULT_TYPES, type FaultEvent } from './faults.ts';
import { NETWORK_DEFAULTS, type NetworkConfig } from './network.ts';
import {
  CONTRIBUTION_SOURCES,
  type ContributionSource,
  POS_ACTIONS,
  type PosAction,
} from './payments.ts';
import type { PopulationOptions } from './population.ts';
import {
  BIND_CLAIMS,
  BIND_FACES,
  type BindClaim,
  type BindIntent,
  type WorkloadOptions,
} from './workload.ts';

export interface Scenario {
  readonly name: string;
  readonly seed: number;
  /** 'all': the 31 provinces with their real pooling regions; a number: a synthetic topology. */
  readonly topology: { readonly provinces: 'all' | number; readonly regionsPerProvinceMax: number };
  readonly population: PopulationOptions;
  readonly workload: WorkloadOptions;
  readonly protocol: ProtocolConfig;
  readonly network: NetworkConfig;
  /** Virtual time a group commit takes: the window in which a crash loses staged writes. */
  readonly storeSyncMs: number;
  /** false: a broken host that sends before its writes are durable (a negative control). */
  readonly writeAhead: boolean;
  readonly faults: readonly FaultEvent[];
  /**
   * Scripted transfers: when present they replace the generated workload. Each names a relation
   * of the population by index (modulo their count), so shrunk counterexamples stay valid.
   */
  readonly transfers?: readonly ScriptedTransfer[] | undefined;
  /**
   * Scripted bindings (F1), revocations (E5) and enrolment changes (E6). When any scripted list
   * is present, the workload is exactly the scripted requests of every list, in time order.
   * Bindings name a candidate (an unbound relative) by index, the others a relation, modulo.
   */
  readonly binds?: readonly ScriptedBind[] | undefined;
  readonly ends?: readonly ScriptedEnd[] | undefined;
  readonly enrolmentChanges?: readonly ScriptedEnrolmentChange[] | undefined;
  /**
   * Scripted bills (F3) and resident contributions (F4), scripted like the lists above: bills
   * name a patient by index into the population's people, contributions a relation, modulo.
   */
  readonly bills?: readonly ScriptedBill[] | undefined;
  readonly contributions?: readonly ScriptedContribution[] | undefined;
  readonly checks: {
    /** Full recount of every durable record after this many deliveries. */
    readonly checkpointEveryDeliveries: number;
    /** After the last fault heals, every accepted transfer is terminal within this bound. */
    readonly lifecycleBoundMs: number;
  };
}

export interface ScriptedTransfer {
  readonly at: number;
  readonly relation: number;
  readonly amount: Fen;
}

export interface ScriptedBind {
  readonly at: number;
  /** Index into the population's bind candidates (modulo their count). */
  readonly candidate: number;
  /** What the relative does when asked to confirm by face (NONE: never answers). */
  readonly face: BindIntent['face'];
  /** The truth, or the error the request makes (E2, ID_MISMATCH, E1). */
  readonly claim: BindClaim;
}

export type EndingParty = 'donor' | 'recipient';
export const ENDING_PARTIES: readonly EndingParty[] = ['donor', 'recipient'];

export interface ScriptedEnd {
  readonly at: number;
  readonly relation: number;
  /** The party that revokes it. */
  readonly by: EndingParty;
}

/** The relation's donor's enrolment changes (E6). */
export interface ScriptedEnrolmentChange {
  readonly at: number;
  readonly relation: number;
}

/**
 * A bill at a designated provider (F3). The treatment region (in the place `where` names), the
 * disease of chronic care and the eligible share are drawn from a stream seeded by the patient's
 * index, so a bill does not change when other steps are shrunk away.
 */
export interface ScriptedBill {
  readonly at: number;
  /** Index into the population's people (modulo their count). */
  readonly patient: number;
  readonly where: BillScope;
  readonly care: Care;
  /** The bill's total. */
  readonly amount: Fen;
  /** What the provider's POS does after pre-settling (D11). */
  readonly action: PosAction;
  /** The wallet pays what the patient's own account does not (acctMulaidPay, P3), or it does not. */
  readonly useWallet: boolean;
  /** An emergency: cross-province care without a filing is covered (D3, D4). */
  readonly emergency: boolean;
}

/** A resident contribution (F4) for a relation's recipient. */
export interface ScriptedContribution {
  readonly at: number;
  readonly relation: number;
  /** ACCOUNT: the donor pays from their personal account (C2); WALLET: the recipient, from their wallet (C3). */
  readonly source: ContributionSource;
  /** For next year, which has no amount yet (refused C1). */
  readonly nextYear: boolean;
}

/** The scripted lists: any present replaces the generated workload. */
export type Script = Pick<
  Scenario,
  'transfers' | 'binds' | 'ends' | 'enrolmentChanges' | 'bills' | 'contributions'
>;

export function isScripted(script: Script): boolean {
  return (
    script.transfers !== undefined ||
    script.binds !== undefined ||
    script.ends !== undefined ||
    script.enrolmentChanges !== undefined ||
    script.bills !== undefined ||
    script.contributions !== undefined
  );
}

const MIN = 60_000;
const HOUR = 3_600_000;

/** The default day: 31 provinces, 100,000 wallets, 24,000 transfers, faults of every kind. */
const DEFAULT_FAULTS: readonly FaultEvent[] = [
  {
    type: 'partition',
    at: 8 * HOUR,
    durationMs: 10 * MIN,
    groupA: ['province.51'],
    groupB: ['wallet.*'],
    oneWay: false,
  },
  { type: 'crash', at: 10 * HOUR + 15 * MIN, durationMs: 2 * MIN, node: 'wallet.03' },
  {
    type: 'partition',
    at: 11 * HOUR,
    durationMs: 5 * MIN,
    groupA: ['wallet.*'],
    groupB: ['province.44'],
    oneWay: true,
  },
  { type: 'loss', at: 12 * HOUR, durationMs: 30 * MIN, rate: 0.05 },
  { type: 'duplicate', at: 13 * HOUR, durationMs: 60 * MIN, rate: 0.05 },
  { type: 'reorder', at: 15 * HOUR, durationMs: 20 * MIN, rate: 0.2, delayMsMax: 2_000 },
  { type: 'crash', at: 19 * HOUR + 30 * MIN, durationMs: MIN, node: 'province.41' },
  { type: 'crash', at: 20 * HOUR, durationMs: 30_000, node: 'settlement.0' },
  {
    type: 'partition',
    at: 21 * HOUR,
    durationMs: 10 * MIN,
    groupA: ['settlement.0'],
    groupB: ['wallet.*'],
    oneWay: false,
  },
];

export const DEFAULT_SCENARIO: Scenario = {
  name: 'national-day',
  seed: 1,
  topology: { provinces: 'all', regionsPerProvinceMax: 99 },
  population: { wallets: 100_000 },
  workload: {
    transfers: 24_000,
    binds: 2_000,
    revokes: 300,
    enrolmentChanges: 100,
    bills: 8_000,
    contributions: 1_500,
  },
  protocol: PROTOCOL_DEFAULTS,
  network: NETWORK_DEFAULTS,
  storeSyncMs: 2,
  writeAhead: true,
  faults: DEFAULT_FAULTS,
  checks: { checkpointEveryDeliveries: 100_000, lifecycleBoundMs: 5 * MIN },
};

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
}

type Json = Record<string, unknown>;

/** Merge a parsed scenario file over the defaults, validating every field it sets. */
export function scenarioFrom(input: unknown, base: Scenario = DEFAULT_SCENARIO): Scenario {
  const raw = asObject(input, 'scenario');
  known(raw, 'scenario', [
    'name',
    'seed',
    'topology',
    'population',
    'workload',
    'protocol',
    'network',
    'storeSyncMs',
    'writeAhead',
    'faults',
    'transfers',
    'binds',
    'ends',
    'enrolmentChanges',
    'bills',
    'contributions',
    'checks',
  ]);
  const topo = optObject(raw.topology, 'scenario.topology');
  const checks = optObject(raw.checks, 'scenario.checks');
  known(topo, 'scenario.topology', ['provinces', 'regionsPerProvinceMax']);
  known(checks, 'scenario.checks', ['checkpointEveryDeliveries', 'lifecycleBoundMs']);
  return {
    name: raw.name === undefined ? base.name : str(raw.name, 'scenario.name'),
    seed: raw.seed === undefined ? base.seed : int(raw.seed, 'scenario.seed', 0),
    topology: {
      provinces:
        topo.provinces === undefined || topo.provinces === 'all'
          ? ((topo.provinces ?? base.topology.provinces) as 'all' | number)
          : int(topo.provinces, 'scenario.topology.provinces', 1, 31),
      regionsPerProvinceMax:
        topo.regionsPerProvinceMax === undefined
          ? base.topology.regionsPerProvinceMax
          : int(topo.regionsPerProvinceMax, 'scenario.topology.regionsPerProvinceMax', 1, 99),
    },
    population: population(optObject(raw.population, 'scenario.population'), base.population),
    workload: workload(optObject(raw.workload, 'scenario.workload'), base.workload),
    protocol: protocol(optObject(raw.protocol, 'scenario.protocol'), base.protocol),
    network: network(optObject(raw.network, 'scenario.network'), base.network),
    storeSyncMs:
      raw.storeSyncMs === undefined
        ? base.storeSyncMs
        : int(raw.storeSyncMs, 'scenario.storeSyncMs', 0, 60_000),
    writeAhead:
      raw.writeAhead === undefined ? base.writeAhead : bool(raw.writeAhead, 'scenario.writeAhead'),
    faults: raw.faults === undefined ? base.faults : faults(raw.faults),
    transfers: raw.transfers === undefined ? base.transfers : scripted(raw.transfers),
    binds: raw.binds === undefined ? base.binds : scriptedBinds(raw.binds),
    ends: raw.ends === undefined ? base.ends : scriptedEnds(raw.ends),
    enrolmentChanges:
      raw.enrolmentChanges === undefined
        ? base.enrolmentChanges
        : scriptedEnrolments(raw.enrolmentChanges),
    bills: raw.bills === undefined ? base.bills : scriptedBills(raw.bills),
    contributions:
      raw.contributions === undefined
        ? base.contributions
        : scriptedContributions(raw.contributions),
    checks: {
      checkpointEveryDeliveries:
        checks.checkpointEveryDeliveries === undefined
          ? base.checks.checkpointEveryDeliveries
          : int(checks.checkpointEveryDeliveries, 'scenario.checks.checkpointEveryDeliveries', 1),
      lifecycleBoundMs:
        checks.lifecycleBoundMs === undefined
          ? base.checks.lifecycleBoundMs
          : duration(checks.lifecycleBoundMs, 'scenario.checks.lifecycleBoundMs'),
    },
  };
}

function population(raw: Json, base: PopulationOptions): PopulationOptions {
  const p = 'scenario.population';
  known(raw, p, [
    'wallets',
    'donorShare',
    'unopenedShare',
    'relationsPerDonorMean',
    'crossProvinceShare',
    'sameProvinceShare',
    'nonCloseShare',
    'balanceMedianYuan',
    'candidateShare',
    'unenrolledShare',
  ]);
  const out: Record<string, unknown> = { ...base };
  if (raw.wallets !== undefined) out.wallets = int(raw.wallets, `${p}.wallets`, 2, 50_000_000);
  for (const key of [
    'donorShare',
    'unopenedShare',
    'crossProvinceShare',
    'sameProvinceShare',
    'nonCloseShare',
    'candidateShare',
    'unenrolledShare',
  ]) {
    if (raw[key] !== undefined) out[key] = share(raw[key], `${p}.${key}`);
  }
  if (raw.relationsPerDonorMean !== undefined) {
    out.relationsPerDonorMean = num(raw.relationsPerDonorMean, `${p}.relationsPerDonorMean`, 1, 20);
  }
  if (raw.balanceMedianYuan !== undefined)
    out.balanceMedianYuan = yuanNumber(raw.balanceMedianYuan, `${p}.balanceMedianYuan`);
  return out as unknown as PopulationOptions;
}

function workload(raw: Json, base: WorkloadOptions): WorkloadOptions {
  const p = 'scenario.workload';
  const shares = [
    'overLimitShare',
    'blackoutShare',
    'burstShare',
    'retransferShare',
    'wrongKinshipShare',
    'idMismatchShare',
    'nonEmployeeBindShare',
    'faceFailShare',
    'faceNoAnswerShare',
  ];
  const counts = ['binds', 'revokes', 'enrolmentChanges', 'bills', 'contributions'];
  known(raw, p, ['transfers', 'days', 'amountMedianYuan', 'amountMeanYuan', ...shares, ...counts]);
  const out: Record<string, unknown> = { ...base };
  if (raw.transfers !== undefined)
    out.transfers = int(raw.transfers, `${p}.transfers`, 0, 100_000_000);
  for (const key of counts)
    if (raw[key] !== undefined) out[key] = int(raw[key], `${p}.${key}`, 0, 10_000_000);
  if (raw.days !== undefined) out.days = int(raw.days, `${p}.days`, 1, 366);
  for (const key of ['amountMedianYuan', 'amountMeanYuan']) {
    if (raw[key] !== undefined) out[key] = yuanNumber(raw[key], `${p}.${key}`);
  }
  for (const key of shares) {
    if (raw[key] !== undefined) out[key] = share(raw[key], `${p}.${key}`);
  }
  return out as unknown as WorkloadOptions;
}

function protocol(raw: Json, base: ProtocolConfig): ProtocolConfig {
  const p = 'scenario.protocol';
  if (raw.allowWalletToWalletRetransfer !== undefined) {
    // W5 is ambiguous in DOMAIN; the simulator models only its default (docs/RULES.md, W5).
    throw new ScenarioError(
      `${p}.allowWalletToWalletRetransfer: sending received wallet money on (W5) is not ` +
        'modelled, and requests to do so are refused W5: remove the field',
    );
  }
  known(raw, p, Object.keys(PROTOCOL_DEFAULTS));
  const out: Record<string, unknown> = { ...base };
  if (raw.variant !== undefined) {
    if (!PROTOCOL_VARIANTS.includes(raw.variant as never)) {
      throw new ScenarioError(
        `${p}.variant: expected one of ${PROTOCOL_VARIANTS.join(', ')}, got ${show(raw.variant)}`,
      );
    }
    out.variant = raw.variant;
  }
  const ints: Array<[string, number, number]> = [
    ['retryDelayMsMin', 1, 600_000],
    ['retryDelayMsMax', 1, 3_600_000],
    ['transfersPerDayMax', 1, 1000],
    ['blackoutHourStart', 0, 23],
    ['blackoutHourEnd', 0, 23],
    ['walletShardCount', 1, 1024],
    ['giveUpAfterAttempts', 1, 100],
    ['returnHour', 0, 23],
  ];
  for (const [key, min, max] of ints)
    if (raw[key] !== undefined) out[key] = int(raw[key], `${p}.${key}`, min, max);
  const bools = ['requireReceipt', 'walletSpendOutsideUseRegion'];
  for (const key of bools) if (raw[key] !== undefined) out[key] = bool(raw[key], `${p}.${key}`);
  if (raw.netting !== undefined) {
    if (raw.netting !== 'multilateral' && raw.netting !== 'pairwise') {
      throw new ScenarioError(
        `${p}.netting: expected one of multilateral, pairwise, got ${show(raw.netting)}`,
      );
    }
    out.netting = raw.netting;
  }
  if (raw.bindAuthTtlMs !== undefined)
    out.bindAuthTtlMs = duration(raw.bindAuthTtlMs, `${p}.bindAuthTtlMs`);
  if (raw.authTtlMs !== undefined) out.authTtlMs = duration(raw.authTtlMs, `${p}.authTtlMs`);
  if (raw.challengeResendsMax !== undefined) {
    out.challengeResendsMax = int(raw.challengeResendsMax, `${p}.challengeResendsMax`, 0, 100);
  }
  if (raw.startDate !== undefined) {
    const text = str(raw.startDate, `${p}.startDate`);
    try {
      parseDate(text);
    } catch (error) {
      throw new ScenarioError(`${p}.startDate: ${(error as Error).message}`);
    }
    out.startDate = text;
  }
  if (raw.amountPerTransferFenMax !== undefined) {
    out.amountPerTransferFenMax = BigInt(
      int(raw.amountPerTransferFenMax, `${p}.amountPerTransferFenMax`, 1),
    );
  }
  // A field without a rule above is still read, by the type of its default, rather than
  // accepted and silently ignored: a duration if its name ends in Ms, else a whole number.
  const ruled = new Set([
    'variant',
    'netting',
    'bindAuthTtlMs',
    'authTtlMs',
    'challengeResendsMax',
    'startDate',
    'amountPerTransferFenMax',
    ...ints.map(([key]) => key),
    ...bools,
  ]);
  for (const [key, fallback] of Object.entries(PROTOCOL_DEFAULTS)) {
    if (ruled.has(key) || raw[key] === undefined) continue;
    const where = `${p}.${key}`;
    if (typeof fallback === 'boolean') out[key] = bool(raw[key], where);
    else if (typeof fallback === 'number')
      out[key] = key.endsWith('Ms') ? duration(raw[key], where) : int(raw[key], where, 0);
    else if (typeof fallback === 'bigint') out[key] = BigInt(int(raw[key], where, 0));
    else out[key] = str(raw[key], where);
  }
  if ((out.retryDelayMsMax as number) < (out.retryDelayMsMin as number)) {
    throw new ScenarioError(`${p}.retryDelayMsMax must be ≥ retryDelayMsMin`);
  }
  return out as unknown as ProtocolConfig;
}

function network(raw: Json, base: NetworkConfig): NetworkConfig {
  const p = 'scenario.network';
  known(raw, p, [
    'latencyMsMedian',
    'latencySigma',
    'localLatencyMs',
    'lossRate',
    'duplicateRate',
    'links',
  ]);
  const out: Record<string, unknown> = { ...base };
  if (raw.latencyMsMedian !== undefined)
    out.latencyMsMedian = num(raw.latencyMsMedian, `${p}.latencyMsMedian`, 0, 60_000);
  if (raw.latencySigma !== undefined)
    out.latencySigma = num(raw.latencySigma, `${p}.latencySigma`, 0, 3);
  if (raw.localLatencyMs !== undefined)
    out.localLatencyMs = num(raw.localLatencyMs, `${p}.localLatencyMs`, 0, 60_000);
  if (raw.lossRate !== undefined) out.lossRate = share(raw.lossRate, `${p}.lossRate`, 0.9);
  if (raw.duplicateRate !== undefined)
    out.duplicateRate = share(raw.duplicateRate, `${p}.duplicateRate`, 0.9);
  if (raw.links !== undefined) {
    out.links = list(raw.links, `${p}.links`).map((item, i) => {
      const where = `${p}.links[${i}]`;
      const link = asObject(item, where);
      known(link, where, ['from', 'to', 'latencyMsMedian', 'lossRate', 'duplicateRate']);
      return {
        from: str(link.from, `${where}.from`),
        to: str(link.to, `${where}.to`),
        ...(link.latencyMsMedian === undefined
          ? {}
          : { latencyMsMedian: num(link.latencyMsMedian, `${where}.latencyMsMedian`, 0, 60_000) }),
        ...(link.lossRate === undefined
          ? {}
          : { lossRate: share(link.lossRate, `${where}.lossRate`, 0.9) }),
        ...(link.duplicateRate === undefined
          ? {}
          : { duplicateRate: share(link.duplicateRate, `${where}.duplicateRate`, 0.9) }),
      };
    });
  }
  return out as unknown as NetworkConfig;
}

function scripted(raw: unknown): ScriptedTransfer[] {
  return list(raw, 'scenario.transfers').map((item, i) => {
    const where = `scenario.transfers[${i}]`;
    const t = asObject(item, where);
    known(t, where, ['at', 'relation', 'amount']);
    const amount = yuan(t.amount, `${where}.amount`);
    return {
      at: time(t.at, `${where}.at`),
      relation: int(t.relation, `${where}.relation`, 0),
      amount,
    };
  });
}

function scriptedBinds(raw: unknown): ScriptedBind[] {
  return list(raw, 'scenario.binds').map((item, i) => {
    const where = `scenario.binds[${i}]`;
    const b = asObject(item, where);
    known(b, where, ['at', 'candidate', 'face', 'claim']);
    return {
      at: time(b.at, `${where}.at`),
      candidate: int(b.candidate, `${where}.candidate`, 0),
      face: oneOf(b.face, `${where}.face`, BIND_FACES),
      claim: oneOf(b.claim, `${where}.claim`, BIND_CLAIMS),
    };
  });
}

function scriptedEnds(raw: unknown): ScriptedEnd[] {
  return list(raw, 'scenario.ends').map((item, i) => {
    const where = `scenario.ends[${i}]`;
    const e = asObject(item, where);
    known(e, where, ['at', 'relation', 'by']);
    return {
      at: time(e.at, `${where}.at`),
      relation: int(e.relation, `${where}.relation`, 0),
      by: oneOf(e.by, `${where}.by`, ENDING_PARTIES),
    };
  });
}

function scriptedEnrolments(raw: unknown): ScriptedEnrolmentChange[] {
  return list(raw, 'scenario.enrolmentChanges').map((item, i) => {
    const where = `scenario.enrolmentChanges[${i}]`;
    const n = asObject(item, where);
    known(n, where, ['at', 'relation']);
    return { at: time(n.at, `${where}.at`), relation: int(n.relation, `${where}.relation`, 0) };
  });
}

function scriptedBills(raw: unknown): ScriptedBill[] {
  return list(raw, 'scenario.bills').map((item, i) => {
    const where = `scenario.bills[${i}]`;
    const b = asObject(item, where);
    known(b, where, [
      'at',
      'patient',
      'where',
      'care',
      'amount',
      'action',
      'useWallet',
      'emergency',
    ]);
    return {
      at: time(b.at, `${where}.at`),
      patient: int(b.patient, `${where}.patient`, 0),
      where: oneOf(b.where, `${where}.where`, BILL_SCOPES),
      care: oneOf(b.care, `${where}.care`, CARE_KINDS),
      amount: yuan(b.amount, `${where}.amount`, WIRE_AMOUNT_MAX_FEN),
      action: oneOf(b.action, `${where}.action`, POS_ACTIONS),
      useWallet: bool(b.useWallet, `${where}.useWallet`),
      emergency: bool(b.emergency, `${where}.emergency`),
    };
  });
}

function scriptedContributions(raw: unknown): ScriptedContribution[] {
  return list(raw, 'scenario.contributions').map((item, i) => {
    const where = `scenario.contributions[${i}]`;
    const c = asObject(item, where);
    known(c, where, ['at', 'relation', 'source', 'nextYear']);
    return {
      at: time(c.at, `${where}.at`),
      relation: int(c.relation, `${where}.relation`, 0),
      source: oneOf(c.source, `${where}.source`, CONTRIBUTION_SOURCES),
      nextYear: bool(c.nextYear, `${where}.nextYear`),
    };
  });
}

function faults(raw: unknown): FaultEvent[] {
  return list(raw, 'scenario.faults').map((item, i) => fault(item, `scenario.faults[${i}]`));
}

function fault(item: unknown, where: string): FaultEvent {
  const f = asObject(item, where);
  if (!FAULT_TYPES.includes(f.type as never)) {
    throw new ScenarioError(
      `${where}.type: expected one of ${FAULT_TYPES.join(', ')}, got ${show(f.type)}`,
    );
  }
  const at = time(f.at, `${where}.at`);
  const durationMs = duration(f.durationMs ?? f.duration, `${where}.duration`);
  switch (f.type) {
    case 'partition':
      known(f, where, ['type', 'at', 'duration', 'durationMs', 'groupA', 'groupB', 'oneWay']);
      return {
        type: 'partition',
        at,
        durationMs,
        groupA: list(f.groupA, `${where}.groupA`).map((s, j) => str(s, `${where}.groupA[${j}]`)),
        groupB: list(f.groupB, `${where}.groupB`).map((s, j) => str(s, `${where}.groupB[${j}]`)),
        oneWay: f.oneWay === undefined ? false : bool(f.oneWay, `${where}.oneWay`),
      };
    case 'crash':
      known(f, where, ['type', 'at', 'duration', 'durationMs', 'node']);
      return { type: 'crash', at, durationMs, node: str(f.node, `${where}.node`) };
    case 'reorder':
      known(f, where, ['type', 'at', 'duration', 'durationMs', 'rate', 'delayMsMax']);
      return {
        type: 'reorder',
        at,
        durationMs,
        rate: share(f.rate, `${where}.rate`),
        delayMsMax: duration(f.delayMsMax, `${where}.delayMsMax`),
      };
    default:
      known(f, where, ['type', 'at', 'duration', 'durationMs', 'rate']);
      return {
        type: f.type as 'loss' | 'duplicate',
        at,
        durationMs,
        rate: share(f.rate, `${where}.rate`, 0.95),
      };
  }
}

/** A virtual time: milliseconds, or 'HH:MM[:SS]' on day 0, or 'D<n>+HH:MM[:SS]'. */
export function time(value: unknown, where: string): number {
  if (typeof value === 'number') return int(value, where, 0);
  const text = str(value, where);
  const m = /^(?:D(\d+)\+)?(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  if (m === null)
    throw new ScenarioError(
      `${where}: expected ms or 'HH:MM[:SS]' or 'D1+HH:MM', got ${show(value)}`,
    );
  const [day, h, min, s] = [m[1], m[2], m[3], m[4]].map((x) => Number(x ?? 0)) as [
    number,
    number,
    number,
    number,
  ];
  if (h > 23 || min > 59 || s > 59)
    throw new ScenarioError(`${where}: ${text} is not a time of day`);
  return day * 24 * HOUR + h * HOUR + min * MIN + s * 1000;
}

/** A duration: milliseconds, or '<n>ms', '<n>s', '<n>m', '<n>h'. */
export function duration(value: unknown, where: string): number {
  if (typeof value === 'number') return int(value, where, 0);
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(str(value, where));
  if (m === null)
    throw new ScenarioError(`${where}: expected ms or '<n>ms|s|m|h', got ${show(value)}`);
  const unit = { ms: 1, s: 1000, m: MIN, h: HOUR }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * unit);
}

function asObject(value: unknown, where: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ScenarioError(`${where}: expected a mapping, got ${show(value)}`);
  }
  return value as Json;
}

function optObject(value: unknown, where: string): Json {
  return value === undefined ? {} : asObject(value, where);
}

function known(raw: Json, where: string, keys: readonly string[]): void {
  for (const key of Object.keys(raw)) {
    if (!keys.includes(key))
      throw new ScenarioError(`${where}: unknown field '${key}' (known: ${keys.join(', ')})`);
  }
}

function list(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value))
    throw new ScenarioError(`${where}: expected a list, got ${show(value)}`);
  return value;
}

function oneOf<T extends string>(value: unknown, where: string, options: readonly T[]): T {
  if (!options.includes(value as T))
    throw new ScenarioError(`${where}: expected one of ${options.join(', ')}, got ${show(value)}`);
  return value as T;
}

function str(value: unknown, where: string): string {
  if (typeof value !== 'string' || value.length === 0)
    throw new ScenarioError(`${where}: expected text, got ${show(value)}`);
  return value;
}

function bool(value: unknown, where: string): boolean {
  if (typeof value !== 'boolean')
    throw new ScenarioError(`${where}: expected true or false, got ${show(value)}`);
  return value;
}

function num(value: unknown, where: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new ScenarioError(`${where}: expected a number in [${min}, ${max}], got ${show(value)}`);
  }
  return value;
}

function int(value: unknown, where: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ScenarioError(
      `${where}: expected a whole number in [${min}, ${max}], got ${show(value)}`,
    );
  }
  return value;
}

function share(value: unknown, where: string, max = 1): number {
  return num(value, where, 0, max);
}

/** A positive yuan amount, as a number or text, exact to the fen, as fen (at most `maxFen`). */
function yuan(value: unknown, where: string, maxFen?: Fen): Fen {
  try {
    return parseYuan(value as string | number, {
      field: where,
      ...(maxFen === undefined ? {} : { maxFen }),
    });
  } catch (error) {
    throw new ScenarioError((error as Error).message);
  }
}

/** A yuan amount given as a number or text, exact to the fen (decimal.js at the edge). */
function yuanNumber(value: unknown, where: string): number {
  try {
    const fen = parseYuan(value as string | number, { field: where });
    return Number(fen) / 100;
  } catch (error) {
    throw new ScenarioError(`${where}: ${(error as Error).message}`);
  }
}

function show(value: unknown): string {
  const text = typeof value === 'string' ? `'${value}'` : (JSON.stringify(value) ?? String(value));
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
