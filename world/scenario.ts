// A scenario is everything a run depends on besides code: topology, population, workload,
// protocol bounds and variant, network, faults and checks. Files (YAML or JSON) override the
// defaults field by field. A file is checked against one JSON Schema (world/scenario_schema.ts)
// and then against the rules that span fields (world/scenario_rules.ts); an error names the
// field, what is wrong and what it should be.
import { type ErrorObject } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';

import { PROTOCOL_DEFAULTS, type ProtocolConfig } from '../actors/config.ts';
import { type BillScope } from '../actors/regions.ts';
import { type Care, type Fen, parseYuan, WIRE_AMOUNT_MAX_FEN } from '../protocol/index.ts';
import { FAULT_TYPES, type FaultEvent } from './faults.ts';
import { NETWORK_DEFAULTS, type NetworkConfig } from './network.ts';
import { type ContributionSource, type PosAction } from './payments.ts';
import type { PopulationOptions } from './population.ts';
import { scenarioProblems } from './scenario_rules.ts';
import { ENDING_PARTIES, SCENARIO_SCHEMA } from './scenario_schema.ts';
import { type BindClaim, type BindIntent, type WorkloadOptions } from './workload.ts';

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
  /**
   * true (the reference): a group commit is one journal entry, all or nothing, so a torn write
   * keeps none of it. false: a broken journal that keeps a torn batch's first records.
   */
  readonly atomicBatches: boolean;
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
  /** Scripted wallet openings (W1): a relation's recipient opens their wallet. */
  readonly opens?: readonly ScriptedOpen[] | undefined;
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

type EndingParty = (typeof ENDING_PARTIES)[number];

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

/** The relation's recipient opens their wallet (W1; already open: the answer says so). */
export interface ScriptedOpen {
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
  /**
   * The wallet pays what the patient's own account does not (acctMulaidPay, P3), or it does
   * not.
   */
  readonly useWallet: boolean;
  /** An emergency: cross-province care without a filing is covered (D3, D4). */
  readonly emergency: boolean;
  /**
   * Family mutual aid at the point of care: the n-th of the patient's bound donors (modulo)
   * pays what the patient's own account and wallet leave; for a patient with none, the donor
   * of relation n (who has no relation with the patient: refused).
   */
  readonly aid?: number | undefined;
}

/** A resident contribution (F4) for a relation's recipient. */
export interface ScriptedContribution {
  readonly at: number;
  readonly relation: number;
  /**
   * ACCOUNT: the donor pays from their personal account (C2); WALLET: the recipient, from
   * their wallet (C3).
   */
  readonly source: ContributionSource;
  /** For next year, which has no amount yet (refused C1). */
  readonly nextYear: boolean;
  /**
   * From an account: the payer is a bind candidate's donor paying for that relative, who has no
   * relation (F4a; E3's exception when the relative is not enrolled). Index modulo their count.
   */
  readonly candidate?: number | undefined;
}

/** The scripted lists: any present replaces the generated workload. */
export type Script = Pick<
  Scenario,
  'transfers' | 'binds' | 'ends' | 'enrolmentChanges' | 'opens' | 'bills' | 'contributions'
>;

export function isScripted(script: Script): boolean {
  return (
    script.transfers !== undefined ||
    script.binds !== undefined ||
    script.ends !== undefined ||
    script.enrolmentChanges !== undefined ||
    script.opens !== undefined ||
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
    opens: 300,
    bills: 8_000,
    contributions: 1_500,
  },
  protocol: PROTOCOL_DEFAULTS,
  network: NETWORK_DEFAULTS,
  storeSyncMs: 2,
  writeAhead: true,
  atomicBatches: true,
  faults: DEFAULT_FAULTS,
  checks: { checkpointEveryDeliveries: 100_000, lifecycleBoundMs: 5 * MIN },
};

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
}

type Json = Record<string, unknown>;

const validate = compileSchema();

/**
 * Merge a parsed scenario file over the defaults: the file is checked against the schema
 * (world/scenario_schema.ts) first, its times, durations and amounts read next, and what no
 * single field can say (world/scenario_rules.ts) last. The first problem is thrown as a
 * ScenarioError naming the field, what is wrong and what it should be.
 */
export function scenarioFrom(input: unknown, base: Scenario = DEFAULT_SCENARIO): Scenario {
  if (!validate(input)) throw new ScenarioError(describeSchemaError(validate.errors ?? [], input));
  const raw = input as Json;
  const section = <T>(name: string, defaults: T): T =>
    ({ ...defaults, ...(read(raw[name], `scenario.${name}`) as object) }) as T;
  const scenario: Scenario = {
    name: (raw.name as string | undefined) ?? base.name,
    seed: (raw.seed as number | undefined) ?? base.seed,
    topology: section('topology', base.topology),
    population: section('population', base.population),
    workload: section('workload', base.workload),
    protocol: section('protocol', base.protocol),
    network: section('network', base.network),
    storeSyncMs: (raw.storeSyncMs as number | undefined) ?? base.storeSyncMs,
    writeAhead: (raw.writeAhead as boolean | undefined) ?? base.writeAhead,
    atomicBatches: (raw.atomicBatches as boolean | undefined) ?? base.atomicBatches,
    faults: raw.faults === undefined ? base.faults : faultsOf(raw.faults as Json[]),
    transfers: listOr(raw, 'transfers', base.transfers),
    binds: listOr(raw, 'binds', base.binds),
    ends: listOr(raw, 'ends', base.ends),
    enrolmentChanges: listOr(raw, 'enrolmentChanges', base.enrolmentChanges),
    opens: listOr(raw, 'opens', base.opens),
    bills: listOr(raw, 'bills', base.bills),
    contributions: listOr(raw, 'contributions', base.contributions),
    checks: section('checks', base.checks),
  };
  const problem = scenarioProblems(scenario)[0];
  if (problem !== undefined) throw new ScenarioError(problem);
  return scenario;
}

function listOr<T>(raw: Json, name: string, fallback: T): T {
  return raw[name] === undefined ? fallback : (read(raw[name], `scenario.${name}`) as T);
}

/** The schema's fault list as fault events: `duration` read into `durationMs`, `oneWay` false. */
function faultsOf(raw: readonly Json[]): FaultEvent[] {
  return raw.map((item, i) => {
    const f = read(item, `scenario.faults[${i}]`, DEFS.fault) as Json;
    const { type, at } = f as { type: FaultEvent['type']; at: number };
    const durationMs = (f.durationMs ?? f.duration) as number;
    switch (type) {
      case 'partition': {
        const {
          groupA,
          groupB,
          oneWay = false,
        } = f as {
          groupA: string[];
          groupB: string[];
          oneWay?: boolean;
        };
        return { type, at, durationMs, groupA, groupB, oneWay };
      }
      case 'crash':
        return { type, at, durationMs, node: f.node as string };
      case 'reorder':
        return { type, at, durationMs, rate: f.rate as number, delayMsMax: f.delayMsMax as number };
      case 'clog': {
        const {
          groupA,
          groupB,
          oneWay = false,
        } = f as {
          groupA: string[];
          groupB: string[];
          oneWay?: boolean;
        };
        return { type, at, durationMs, groupA, groupB, oneWay };
      }
      case 'skew': {
        const { offsetMs, driftPpm = 0 } = f as { offsetMs: number; driftPpm?: number };
        return { type, at, durationMs, node: f.node as string, offsetMs, driftPpm };
      }
      case 'pause':
        return { type, at, durationMs, node: f.node as string };
      case 'reboot':
        return { type, at, durationMs, node: f.node as string, wipe: f.wipe === true };
      case 'storage': {
        const mode = f.mode as Extract<FaultEvent, { type: 'storage' }>['mode'];
        return { type, at, durationMs, node: f.node as string, mode, rate: f.rate as number };
      }
      case 'redeliver':
        return { type, at, durationMs, rate: f.rate as number, delayMs: f.delayMs as number };
      case 'peer': {
        const lie = f.lie as Extract<FaultEvent, { type: 'peer' }>['lie'];
        return { type, at, durationMs, node: f.node as string, lie, rate: f.rate as number };
      }
      default:
        return { type, at, durationMs, rate: f.rate as number };
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Reading a checked file: each value as the schema says it is meant (a `time`, a `duration`, an
// amount in `yuan`), the rest as it is. Amounts stay exact: fen as bigint for the requests, a
// yuan figure for the distributions' medians and means.

type SchemaNode = {
  readonly $ref?: string;
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly items?: SchemaNode;
  readonly oneOf?: readonly SchemaNode[];
  readonly const?: unknown;
};

const DEFS = SCENARIO_SCHEMA.$defs as Record<string, SchemaNode>;

/** Amounts of requests (scripted transfers and bills) are fen; distributions' are yuan. */
const FEN_FIELDS: ReadonlySet<string> = new Set(['transfers', 'bills']);

function read(value: unknown, where: string, schema = nodeAt(where)): unknown {
  if (schema.$ref !== undefined) {
    const name = schema.$ref.slice('#/$defs/'.length);
    if (name === 'time') return time(value, where);
    if (name === 'duration') return duration(value, where);
    if (name === 'yuan') return amount(value, where);
    if (name === 'fen') return BigInt(value as number);
    return read(value, where, DEFS[name] ?? {});
  }
  if (Array.isArray(value))
    return value.map((v, i) => read(v, `${where}[${i}]`, schema.items ?? {}));
  if (typeof value !== 'object' || value === null) return value;
  const branch = schema.oneOf?.find((b) => b.properties?.type?.const === (value as Json).type);
  const properties = (branch ?? schema).properties ?? {};
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, read(v, `${where}.${k}`, properties[k] ?? {})]),
  );
}

/** The schema of a top-level field, by its path `scenario.<field>`. */
function nodeAt(where: string): SchemaNode {
  const field = where.slice('scenario.'.length);
  return (SCENARIO_SCHEMA.properties as Record<string, SchemaNode>)[field] ?? {};
}

/** An amount, exact to the fen: fen in a scripted request, yuan in a distribution's setting. */
function amount(value: unknown, where: string): Fen | number {
  const top = /^scenario\.(\w+)/.exec(where)?.[1] ?? '';
  const request = FEN_FIELDS.has(top);
  try {
    const fen = parseYuan(value as string | number, {
      field: where,
      ...(top === 'bills' ? { maxFen: WIRE_AMOUNT_MAX_FEN } : {}),
    });
    return request ? fen : Number(fen) / 100;
  } catch (error) {
    // A ProtocolError says `<CODE> <field>: <problem>`: the field is `where` already.
    const problem = (error as Error).message.replace(/^[A-Z_]+ [^:]*: /, '');
    throw new ScenarioError(`${where}: ${problem}`);
  }
}

/** A virtual time: milliseconds, or 'HH:MM[:SS]' on day 0, or 'D<n>+HH:MM[:SS]'. */
export function time(value: unknown, where: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  const m = /^(?:D(\d+)\+)?(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(String(value));
  const [day, h, min, s] = [m?.[1], m?.[2], m?.[3], m?.[4]].map((x) => Number(x ?? 0)) as [
    number,
    number,
    number,
    number,
  ];
  if (m === null || h > 23 || min > 59 || s > 59) {
    throw new ScenarioError(
      `${where}: expected ms, or 'HH:MM[:SS]' (a time of day on day 0), or 'D<n>+HH:MM[:SS]', ` +
        `got ${show(value)}`,
    );
  }
  return day * 24 * HOUR + h * HOUR + min * MIN + s * 1000;
}

/** A duration: milliseconds, or '<n>ms', '<n>s', '<n>m', '<n>h'. */
export function duration(value: unknown, where: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(String(value));
  if (m === null) {
    throw new ScenarioError(
      `${where}: expected ms, or '<n>ms', '<n>s', '<n>m' or '<n>h', got ${show(value)}`,
    );
  }
  const unit = { ms: 1, s: 1000, m: MIN, h: HOUR }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * unit);
}

// ---------------------------------------------------------------------------------------------
// The schema's errors as one line: the field (scenario.faults[2].node), what is wrong, and
// what it should be.

function compileSchema() {
  const ajv = new Ajv2020({
    allErrors: false,
    verbose: true,
    discriminator: true,
    strict: true,
    // A fault's `anyOf: [{ required: ['duration'] }, …]` names fields declared beside it.
    strictRequired: false,
  });
  ajv.addKeyword({ keyword: 'expected', schemaType: 'string' });
  ajv.addKeyword({ keyword: 'removed', schemaType: 'string' });
  return ajv.compile(SCENARIO_SCHEMA);
}

/** A field path as the scenario's readers see it: scenario.bills[2].care. */
function pathOf(instancePath: string): string {
  const parts = instancePath.split('/').slice(1);
  return parts.reduce(
    (path, part) =>
      /^\d+$/.test(part)
        ? `${path}[${part}]`
        : `${path}.${part.replace(/~1/g, '/').replace(/~0/g, '~')}`,
    'scenario',
  );
}

function describeSchemaError(errors: readonly ErrorObject[], input: unknown): string {
  // An alternative (anyOf) that failed is reported as the whole alternative, not by branch.
  const first = errors[0];
  if (first === undefined) return 'scenario: not a valid scenario';
  const whole =
    errors.find(
      (e) =>
        (e.keyword === 'anyOf' || e.keyword === 'oneOf') &&
        first.schemaPath.startsWith(e.schemaPath.replace(/\/(anyOf|oneOf)$/, '')) &&
        e.instancePath === first.instancePath,
    ) ?? first;
  const path = pathOf(whole.instancePath);
  const schema = (whole.parentSchema ?? {}) as Record<string, unknown>;
  const got = show(valueAt(input, whole.instancePath));
  const params = whole.params as Record<string, unknown>;
  switch (whole.keyword) {
    case 'additionalProperties': {
      const field = String(params.additionalProperty);
      const properties = (schema.properties ?? {}) as Record<string, { removed?: string }>;
      const known = Object.keys(properties)
        .filter((name) => properties[name]?.removed === undefined)
        .join(', ');
      return `${path}: unknown field '${field}' (known: ${known})${elsewhere(field, path)}`;
    }
    case 'required':
      return `${path}.${String(params.missingProperty)}: missing (a required field)`;
    case 'enum':
    case 'const':
      return `${path}: expected one of ${optionsOf(schema).join(', ')}, got ${got}`;
    case 'discriminator': {
      const type = (valueAt(input, whole.instancePath) as Json | undefined)?.type;
      return `${path}.type: expected one of ${FAULT_TYPES.join(', ')}, got ${show(type)}`;
    }
    case 'not':
      return `${path}: ${String(schema.removed ?? 'not allowed')}`;
    default:
      return `${path}: expected ${expectation(schema)}, got ${got}`;
  }
}

/** Where a field that is unknown here does belong, if it belongs to another section. */
function elsewhere(field: string, path: string): string {
  const sections = SCENARIO_SCHEMA.properties as Record<string, SchemaNode>;
  const home = Object.entries(sections).find(
    ([name, section]) => `scenario.${name}` !== path && section.properties?.[field] !== undefined,
  );
  if (home !== undefined) return `: ${field} belongs in scenario.${home[0]}`;
  return path !== 'scenario' && sections[field] !== undefined
    ? `: ${field} is a section of its own, at the top of the file`
    : '';
}

function optionsOf(schema: Record<string, unknown>): unknown[] {
  if (Array.isArray(schema.enum)) return schema.enum;
  return schema.const === undefined ? [] : [schema.const];
}

/** What a value of this schema looks like, for an error message. */
function expectation(schema: Record<string, unknown>): string {
  if (typeof schema.expected === 'string') return schema.expected;
  const low = schema.minimum ?? schema.exclusiveMinimum ?? '';
  const bounds = `[${String(low)}, ${String(schema.maximum ?? '')}]`;
  switch (schema.type) {
    case 'integer':
      return `a whole number in ${bounds}`;
    case 'number':
      return `a number in ${bounds}`;
    case 'string':
      return 'text';
    case 'boolean':
      return 'true or false';
    case 'object':
      return 'a mapping';
    case 'array':
      return schema.minItems === undefined
        ? 'a list'
        : `a list of at least ${String(schema.minItems)}`;
    default:
      return 'a valid value';
  }
}

function valueAt(input: unknown, instancePath: string): unknown {
  let value = input;
  for (const part of instancePath.split('/').slice(1)) {
    value = (value as Record<string, unknown> | undefined)?.[
      part.replace(/~1/g, '/').replace(/~0/g, '~')
    ];
  }
  return value;
}

function show(value: unknown): string {
  const text = typeof value === 'string' ? `'${value}'` : (JSON.stringify(value) ?? String(value));
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
