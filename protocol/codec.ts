// The wire boundary: envelopes to msgpack bytes and back. Decoding is where untrusted bytes become
// typed messages, so it validates everything (TECH.md §3: some garbage decodes "successfully",
// `0xC1` becomes an object, `__proto__` keys come back renamed). It runs for every simulated
// message, so the accepting path does no regex, no Decimal and no allocation beyond its result;
// working out *why* a frame is bad happens only once it is known to be bad.
import { Packr } from 'msgpackr';
import type { AnyEnvelope } from './envelope.ts';
import { ProtocolError, describeValue } from './errors.ts';
import { ID_CHARS_MAX, KINDS, PROTOCOL_VERSION, SCHEMAS, isReason, isValidId } from './messages.ts';
import type { FieldSpec, Schema } from './messages.ts';
import { WIRE_AMOUNT_MAX_FEN, formatFen, parseWireAmount } from './money.ts';

// Plain msgpack with no shared structures: every frame decodes on its own, in any language.
// int64s stay bigint so a foreign encoder's wide integers are never silently rounded.
const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: 'bigint' });

const ENVELOPE_KEYS = ['v', 'id', 'kind', 'from', 'to', 'corr', 'sentAt', 'body'] as const;
const ENVELOPE_ID_FIELDS = ['id', 'from', 'to', 'corr'] as const;
// msgpackr renames a decoded `__proto__` to `__proto_`; both mean someone tried.
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set([
  '__proto__',
  '__proto_',
  'constructor',
  'prototype',
]);

interface BodyCodec {
  readonly fields: Schema;
  readonly names: readonly string[];
}

// A Map, not SCHEMAS[kind]: a hostile kind like "toString" must not reach Object.prototype.
const BODY_CODECS: ReadonlyMap<unknown, BodyCodec> = new Map(
  KINDS.map((kind) => [kind, { fields: SCHEMAS[kind], names: SCHEMAS[kind].map(nameOf) }]),
);

type Fields = Record<string, unknown>;

assertSchemasSound();

export function encodeEnvelope(env: AnyEnvelope): Uint8Array {
  return packr.pack(envelopeToWire(env));
}

export function decodeEnvelope(frame: Uint8Array): AnyEnvelope {
  const raw = unpackFrame(frame);
  try {
    return envelopeFromWire(raw);
  } catch (error) {
    throw preferForbiddenKey(raw, error);
  }
}

// ---- decoding ----

function unpackFrame(frame: Uint8Array): unknown {
  if (!(frame instanceof Uint8Array)) {
    const message = `expected a byte array, got ${describeValue(frame)}`;
    throw new ProtocolError('MALFORMED_FRAME', message);
  }
  try {
    return packr.unpack(frame);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const message = `not exactly one msgpack value (${frame.length} bytes): ${reason}`;
    throw new ProtocolError('MALFORMED_FRAME', message, { cause });
  }
}

function envelopeFromWire(raw: unknown): AnyEnvelope {
  if (!isPlainObject(raw)) {
    const message = `a frame must hold one map (the envelope), got ${describeValue(raw)}`;
    throw new ProtocolError('MALFORMED_FRAME', message);
  }
  checkVersion(raw.v);
  checkKeySet(raw, ENVELOPE_KEYS, '');
  const kind = raw.kind;
  const codec = BODY_CODECS.get(kind);
  if (codec === undefined) {
    throw new ProtocolError('UNKNOWN_KIND', `unknown kind ${describeValue(kind)}`, {
      field: 'kind',
    });
  }
  const envelope = {
    v: PROTOCOL_VERSION,
    id: checkId(raw.id, 'id'),
    kind,
    from: checkId(raw.from, 'from'),
    to: checkId(raw.to, 'to'),
    corr: checkId(raw.corr, 'corr'),
    sentAt: checkSentAt(raw.sentAt),
    body: bodyFromWire(raw.body, codec),
  };
  return envelope as unknown as AnyEnvelope;
}

function checkVersion(v: unknown): void {
  if (v === PROTOCOL_VERSION) return;
  if (v === undefined) throw missingKey('v');
  const message = `unknown version ${describeValue(v)}; this build speaks ${PROTOCOL_VERSION}`;
  throw new ProtocolError('UNKNOWN_VERSION', message, { field: 'v' });
}

// Spreading copies the decoded map's hidden class in one step, where building key by key would
// walk a shape transition per field; only amounts are then replaced (string → Fen).
function bodyFromWire(raw: unknown, codec: BodyCodec): Fields {
  if (!isPlainObject(raw)) throw notAMap(raw, 'body');
  checkKeySet(raw, codec.names, 'body.');
  const body: Fields = { ...raw };
  const fields = codec.fields;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] as FieldSpec;
    const value = raw[field.name];
    if (field.type === 'amount') body[field.name] = parseWireAmount(value, field.path);
    else checkScalar(value, field);
  }
  return body;
}

// ---- encoding: the same rules, reported as BAD_FIELD since a bad outbound message is our bug ----

function envelopeToWire(env: AnyEnvelope): Fields {
  const raw: unknown = env;
  if (!isPlainObject(raw)) throw notAMap(raw, 'envelope');
  if (raw.v !== PROTOCOL_VERSION) throw encodeError('v', raw.v, `must be ${PROTOCOL_VERSION}`);
  checkKeySet(raw, ENVELOPE_KEYS, '');
  const codec = BODY_CODECS.get(raw.kind);
  if (codec === undefined) throw encodeError('kind', raw.kind, 'is not a known kind');
  for (const name of ENVELOPE_ID_FIELDS) checkId(raw[name], name);
  return {
    v: PROTOCOL_VERSION,
    id: raw.id,
    kind: raw.kind,
    from: raw.from,
    to: raw.to,
    corr: raw.corr,
    sentAt: checkSentAt(raw.sentAt),
    body: bodyToWire(raw.body, codec),
  };
}

function bodyToWire(raw: unknown, codec: BodyCodec): Fields {
  if (!isPlainObject(raw)) throw notAMap(raw, 'body');
  checkKeySet(raw, codec.names, 'body.');
  const wire: Fields = { ...raw };
  const fields = codec.fields;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] as FieldSpec;
    const value = raw[field.name];
    if (field.type === 'amount') wire[field.name] = amountToWire(value, field.path);
    else checkScalar(value, field);
  }
  return wire;
}

function amountToWire(value: unknown, path: string): string {
  if (typeof value === 'bigint' && value > 0n && value <= WIRE_AMOUNT_MAX_FEN) {
    return formatFen(value);
  }
  const limit = formatFen(WIRE_AMOUNT_MAX_FEN);
  throw encodeError(path, value, `must be bigint fen in [0.01, ${limit}] yuan`);
}

function encodeError(field: string, value: unknown, rule: string): ProtocolError {
  const message = `cannot encode: ${field} ${rule}, got ${describeValue(value)}`;
  return new ProtocolError('BAD_FIELD', message, { field });
}

// ---- field rules shared by both directions ----

function checkScalar(value: unknown, field: FieldSpec): void {
  if (field.type === 'id') checkId(value, field.path);
  else checkReason(value, field.path);
}

function checkId(value: unknown, field: string): string {
  if (isValidId(value)) return value;
  if (value === undefined) throw missingKey(field);
  const problem =
    typeof value === 'string' && value.length > ID_CHARS_MAX
      ? `is ${value.length} chars, over ${ID_CHARS_MAX}`
      : 'must be 1-64 chars of [A-Za-z0-9._:-]';
  const message = `id ${problem}, got ${describeValue(value)}`;
  return throwBadField(message, field);
}

function checkReason(value: unknown, field: string): string {
  if (isReason(value)) return value;
  if (value === undefined) throw missingKey(field);
  return throwBadField(`unknown reason ${describeValue(value)}`, field);
}

const SENT_AT_MAX_BIGINT = BigInt(Number.MAX_SAFE_INTEGER);

// bigint is accepted because other encoders may write any integer as int64/uint64.
// `+ 0` turns a float -0 into 0.
function checkSentAt(value: unknown): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value + 0;
  if (typeof value === 'bigint' && value >= 0n && value <= SENT_AT_MAX_BIGINT) {
    return Number(value);
  }
  if (value === undefined) throw missingKey('sentAt');
  const message = `sentAt must be non-negative safe integer ms, got ${describeValue(value)}`;
  return throwBadField(message, 'sentAt');
}

function throwBadField(message: string, field: string): never {
  throw new ProtocolError('BAD_FIELD', message, { field });
}

// ---- shapes and key sets ----

function isPlainObject(value: unknown): value is Fields {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

// Counting is enough on the accepting path: each expected key is read afterwards and an absent
// one reads as undefined, so a count equal to the schema's means no extra keys.
function checkKeySet(obj: Fields, expected: readonly string[], prefix: string): void {
  let count = 0;
  for (const _key in obj) count++;
  if (count !== expected.length) throw keySetError(obj, expected, prefix);
}

function keySetError(obj: Fields, expected: readonly string[], prefix: string): ProtocolError {
  for (const key in obj) {
    if (!expected.includes(key)) {
      const message = `unexpected key; expected exactly ${expected.join(',')}`;
      return new ProtocolError('BAD_FIELD', message, { field: prefix + key });
    }
  }
  const missing = expected.find((key) => !Object.hasOwn(obj, key)) ?? expected[0] ?? '';
  return missingKey(prefix + missing);
}

function missingKey(field: string): ProtocolError {
  return new ProtocolError('BAD_FIELD', 'missing (or undefined)', { field });
}

function notAMap(value: unknown, field: string): ProtocolError {
  return new ProtocolError('BAD_FIELD', `expected a map, got ${describeValue(value)}`, { field });
}

function nameOf(field: FieldSpec): string {
  return field.name;
}

// ---- forbidden keys: anywhere in the frame, reported ahead of any other problem ----

// An accepted envelope has exact key sets and scalar leaves, so it can never hold a forbidden
// key: searching only once validation has failed keeps the accepting path free of the walk.
function preferForbiddenKey(raw: unknown, error: unknown): unknown {
  if (!(error instanceof ProtocolError) || error.code === 'FORBIDDEN_KEY') return error;
  const path = findForbiddenKey(raw);
  if (path === undefined) return error;
  const message = 'forbidden key (prototype pollution; msgpackr renames __proto__ to __proto_)';
  return new ProtocolError('FORBIDDEN_KEY', message, { field: path, cause: error });
}

function findForbiddenKey(root: unknown): string | undefined {
  const stack: Array<[unknown, string]> = [[root, '']];
  for (let entry = stack.pop(); entry !== undefined; entry = stack.pop()) {
    const [value, path] = entry;
    if (Array.isArray(value)) {
      value.forEach((item, i) => stack.push([item, `${path}[${i}]`]));
    } else if (isPlainObject(value)) {
      for (const key in value) {
        const child = path === '' ? key : `${path}.${key}`;
        if (FORBIDDEN_KEYS.has(key)) return child;
        stack.push([value[key], child]);
      }
    }
  }
  return undefined;
}

// The accepting path relies on these; a bad edit to BODY_SPECS should fail at load, loudly.
function assertSchemasSound(): void {
  for (const kind of KINDS) {
    const names = SCHEMAS[kind].map(nameOf);
    if (new Set(names).size !== names.length) throw new Error(`codec: ${kind} repeats a field`);
    const bad = names.find((name) => FORBIDDEN_KEYS.has(name));
    if (bad !== undefined) throw new Error(`codec: ${kind} uses forbidden field ${bad}`);
  }
}
