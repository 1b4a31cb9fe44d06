// The wire boundary: envelopes to msgpack bytes and back. Decoding is where untrusted bytes become
// typed messages, so it validates everything (TECH.md §3: some garbage decodes "successfully",
// `0xC1` becomes an object, `__proto__` keys come back renamed). It runs for every simulated
// message, so the accepting path does no regex, no Decimal and no allocation beyond its result;
// working out *why* a frame is bad happens only once it is known to be bad.
//
// Wire contract, protocol version 1. A frame is exactly one msgpack value, a flat array:
//
//   [v, kind, id, from, to, corr, sentAt, ...body]
//
//   v                      the integer 1
//   kind                   a string, one of KINDS
//   id, from, to, corr     ids: strings of 1-64 chars of [A-Za-z0-9._:-]
//   sentAt                 virtual ms, an integer in [0, 2^53 - 1] of any msgpack width (int64 too)
//   body                   exactly SCHEMAS[kind].length values, in schema order: ids as strings,
//                          amounts as canonical decimal strings ("500.00", positive, at most
//                          WIRE_AMOUNT_MAX_FEN; "0.00" too where the type is amount0), reasons
//                          as strings in REASONS, texts as strings of 1-64 chars without
//                          control characters, counts as non-negative integers, enums as
//                          strings of their ENUMS set
//
// e.g. [1, "wallet.credit", "msg.7", "province.51", "wallet.03", "tr-7", 86400000,
//       "tr-7", "w.6401.000042", "p.51.000777", "640100", "500.00"]
//
// Positions rather than a map because this is the hottest path of a run: msgpackr unpacks the
// array about 3x faster and packs it about 2x faster than the same message keyed, in half the
// bytes. v and kind lead so a reader can refuse an unknown version or kind before reading on,
// and the kind alone fixes the element count. A valid frame holds no map at any depth.
import { Packr } from 'msgpackr';

import type { AnyEnvelope } from './envelope.ts';
import { describeValue, ProtocolError } from './errors.ts';
import type { EnumType, FieldSpec, FieldType, Kind, Schema } from './messages.ts';
import {
  ID_CHARS_MAX,
  isReason,
  isValidId,
  KINDS,
  PROTOCOL_VERSION,
  SCHEMAS,
  TEXT_CHARS_MAX,
} from './messages.ts';
import type { Fen } from './money.ts';
import { formatFen, parseWireAmount, WIRE_AMOUNT_MAX_FEN } from './money.ts';

// Plain msgpack with no shared structures: every frame decodes on its own, in any language.
// int64s stay bigint so a foreign encoder's wide integers are never silently rounded.
const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: 'bigint' });

// The header's element names by position; error paths use them so messages name fields, not
// indices. The body starts right after.
const HEADER = ['v', 'kind', 'id', 'from', 'to', 'corr', 'sentAt'] as const;
const BODY_AT = HEADER.length;
const ENVELOPE_KEYS = ['v', 'id', 'kind', 'from', 'to', 'corr', 'sentAt', 'body'] as const;
// msgpackr renames a decoded `__proto__` to `__proto_`; both mean someone tried.
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set([
  '__proto__',
  '__proto_',
  'constructor',
  'prototype',
]);

// The field types the codec reads by name; any other is an enum, read from its values. The
// `satisfies` keeps this list and FieldType's non-enum members the same at compile time.
const BASE_TYPES: ReadonlySet<string> = new Set(
  Object.keys({
    id: 1,
    amount: 1,
    amount0: 1,
    reason: 1,
    text: 1,
    count: 1,
  } satisfies Record<Exclude<FieldType, EnumType>, 1>),
);

interface KindCodec {
  // The literal from KINDS rather than the decoded copy, so later `switch (env.kind)` tests
  // compare one internalized string with another.
  readonly kind: Kind;
  readonly fields: Schema;
  readonly names: readonly string[];
  readonly frameLength: number;
}

// A Map, not SCHEMAS[kind]: a hostile kind like "toString" must not reach Object.prototype.
const CODECS: ReadonlyMap<unknown, KindCodec> = new Map(
  KINDS.map((kind) => [kind, codecFor(kind)]),
);

type Fields = Record<string, unknown>;

assertSchemasSound(SCHEMAS);

export function encodeEnvelope(env: AnyEnvelope): Uint8Array {
  return packr.pack(envelopeToWire(env));
}

export function decodeEnvelope(frame: Uint8Array): AnyEnvelope {
  const wire = unpackFrame(frame);
  try {
    return envelopeFromWire(wire);
  } catch (error) {
    throw preferForbiddenKey(wire, error);
  }
}

// ---- decoding ----

// Anything but an array of at least [v, kind] is not a frame of this protocol at all, so it is
// refused here, before the forbidden-key search, whatever it holds.
function unpackFrame(frame: Uint8Array): readonly unknown[] {
  if (!(frame instanceof Uint8Array)) {
    const message = `expected a byte array, got ${describeValue(frame)}`;
    throw new ProtocolError('MALFORMED_FRAME', message);
  }
  let value: unknown;
  try {
    value = packr.unpack(frame);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const message = `not exactly one msgpack value (${frame.length} bytes): ${reason}`;
    throw new ProtocolError('MALFORMED_FRAME', message, { cause });
  }
  if (!Array.isArray(value) || value.length < 2) {
    const message = `a frame must be one msgpack array [v, kind, ...], got ${describeValue(value)}`;
    throw new ProtocolError('MALFORMED_FRAME', message);
  }
  return value;
}

function envelopeFromWire(wire: readonly unknown[]): AnyEnvelope {
  checkVersion(wire[0]);
  const codec = CODECS.get(wire[1]);
  if (codec === undefined) {
    throw new ProtocolError('UNKNOWN_KIND', `unknown kind ${describeValue(wire[1])}`, {
      field: 'kind',
    });
  }
  if (wire.length !== codec.frameLength) throw elementCountError(wire.length, codec);
  // Indices follow HEADER; one literal keeps every decoded envelope on one hidden class.
  const envelope = {
    v: PROTOCOL_VERSION,
    id: checkId(wire[2], 'id'),
    kind: codec.kind,
    from: checkId(wire[3], 'from'),
    to: checkId(wire[4], 'to'),
    corr: checkId(wire[5], 'corr'),
    sentAt: checkSentAt(wire[6]),
    body: bodyFromWire(wire, codec.fields),
  };
  return envelope as unknown as AnyEnvelope;
}

function checkVersion(v: unknown): void {
  if (v === PROTOCOL_VERSION) return;
  const message = `unknown version ${describeValue(v)}; this build speaks ${PROTOCOL_VERSION}`;
  throw new ProtocolError('UNKNOWN_VERSION', message, { field: 'v' });
}

// Keys are added in schema order, so all bodies of one kind end on the same hidden class.
function bodyFromWire(wire: readonly unknown[], fields: Schema): Fields {
  const body: Fields = {};
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] as FieldSpec;
    const value = wire[BODY_AT + i];
    if (field.type === 'id') body[field.name] = checkId(value, field.path);
    else if (field.type === 'amount') body[field.name] = amountFromWire(value, field.path);
    else body[field.name] = checkOther(value, field);
  }
  return body;
}

// The rarer field types, shared by both directions (amount0 has its own encoder).
function checkOther(value: unknown, field: FieldSpec): unknown {
  switch (field.type) {
    case 'reason':
      return checkReason(value, field.path);
    case 'text':
      return checkText(value, field.path);
    case 'count':
      return checkCount(value, field.path);
    case 'amount0':
      return value === ZERO_AMOUNT ? 0n : amountFromWire(value, field.path);
    default:
      return checkEnum(value, field);
  }
}

// A map or array is a malformed field, not a badly written amount.
function amountFromWire(value: unknown, path: string): Fen {
  if (typeof value !== 'object' || value === null) return parseWireAmount(value, path);
  return throwBadField(`expected a canonical amount string, got ${describeValue(value)}`, path);
}

function elementCountError(count: number, codec: KindCodec): ProtocolError {
  const expected = codec.frameLength;
  const field = count < expected ? elementName(codec, count) : 'body';
  const parts = `${BODY_AT} header + ${codec.fields.length} body`;
  const message = `${codec.kind} takes ${expected} elements (${parts}), got ${count}`;
  return new ProtocolError('BAD_FIELD', message, { field });
}

// Elements past the schema, or of a frame whose kind is unknown, have no name but a position.
function elementName(codec: KindCodec | undefined, index: number): string {
  const header = HEADER[index];
  if (header !== undefined) return header;
  const field = codec?.fields[index - BODY_AT];
  return field === undefined ? `body[${index - BODY_AT}]` : field.path;
}

// ---- encoding: the same rules, reported as BAD_FIELD since a bad outbound message is our bug ----

function envelopeToWire(env: AnyEnvelope): unknown[] {
  const raw: unknown = env;
  if (!isPlainObject(raw)) throw notAMap(raw, 'envelope');
  if (raw.v !== PROTOCOL_VERSION) throw encodeError('v', raw.v, `must be ${PROTOCOL_VERSION}`);
  checkKeySet(raw, ENVELOPE_KEYS, '');
  const codec = CODECS.get(raw.kind);
  if (codec === undefined) throw encodeError('kind', raw.kind, 'is not a known kind');
  // Sized once: the frame's length is fixed by its kind.
  const wire = new Array<unknown>(codec.frameLength);
  wire[0] = PROTOCOL_VERSION;
  wire[1] = codec.kind;
  wire[2] = checkId(raw.id, 'id');
  wire[3] = checkId(raw.from, 'from');
  wire[4] = checkId(raw.to, 'to');
  wire[5] = checkId(raw.corr, 'corr');
  wire[6] = checkSentAt(raw.sentAt);
  bodyToWire(raw.body, codec, wire);
  return wire;
}

// When the body's keys come in schema order, as every body our actors build does, one for-in
// pass both checks the key set and reads the values (V8 reads them straight off the enum cache);
// any other order, or a wrong key set, takes the lookup by name.
function bodyToWire(raw: unknown, codec: KindCodec, wire: unknown[]): void {
  if (!isPlainObject(raw)) throw notAMap(raw, 'body');
  const fields = codec.fields;
  let inOrder = true;
  let i = 0;
  for (const key in raw) {
    const field = fields[i];
    if (field === undefined || key !== field.name) {
      inOrder = false;
      break;
    }
    wire[BODY_AT + i] = fieldToWire(raw[key], field);
    i++;
  }
  if (!inOrder || i !== fields.length) bodyToWireByName(raw, codec, wire);
}

function bodyToWireByName(raw: Fields, codec: KindCodec, wire: unknown[]): void {
  checkKeySet(raw, codec.names, 'body.');
  const fields = codec.fields;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] as FieldSpec;
    wire[BODY_AT + i] = fieldToWire(raw[field.name], field);
  }
}

function fieldToWire(value: unknown, field: FieldSpec): unknown {
  if (field.type === 'id') return checkId(value, field.path);
  if (field.type === 'amount') return amountToWire(value, field.path);
  if (field.type === 'amount0') return value === 0n ? ZERO_AMOUNT : amountToWire(value, field.path);
  return checkOther(value, field);
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

const ZERO_AMOUNT = '0.00';

function checkText(value: unknown, field: string): string {
  if (typeof value === 'string' && value.length > 0 && value.length <= TEXT_CHARS_MAX) {
    let clean = true;
    for (let i = 0; i < value.length && clean; i++) {
      const c = value.charCodeAt(i);
      clean = c >= 0x20 && c !== 0x7f && !(c >= 0x80 && c < 0xa0);
    }
    if (clean) return value;
  }
  if (value === undefined) throw missingKey(field);
  const rule = `text must be 1-${TEXT_CHARS_MAX} chars without control characters`;
  return throwBadField(`${rule}, got ${describeValue(value)}`, field);
}

const COUNT_MAX_BIGINT = BigInt(Number.MAX_SAFE_INTEGER);

function checkCount(value: unknown, field: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value + 0;
  if (typeof value === 'bigint' && value >= 0n && value <= COUNT_MAX_BIGINT) return Number(value);
  if (value === undefined) throw missingKey(field);
  return throwBadField(`must be a non-negative safe integer, got ${describeValue(value)}`, field);
}

function checkEnum(value: unknown, field: FieldSpec): string {
  // assertSchemasSound made sure, at load, that every field of another type has its values.
  const values = field.values as ReadonlySet<string>;
  if (typeof value === 'string' && values.has(value)) return value;
  if (value === undefined) throw missingKey(field.path);
  const message = `expected one of ${[...values].join(', ')}, got ${describeValue(value)}`;
  return throwBadField(message, field.path);
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

// ---- shapes and key sets (outbound envelopes are objects; only frames are positional) ----

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

function codecFor(kind: Kind): KindCodec {
  const fields = SCHEMAS[kind];
  return { kind, fields, names: fields.map(nameOf), frameLength: BODY_AT + fields.length };
}

function nameOf(field: FieldSpec): string {
  return field.name;
}

// ---- forbidden keys: anywhere inside the frame's array, reported ahead of any other problem ----

// An accepted frame has scalar elements only, so it can never hold a forbidden key: searching
// only once validation has failed keeps the accepting path free of the walk.
function preferForbiddenKey(wire: readonly unknown[], error: unknown): unknown {
  // Validation throws no FORBIDDEN_KEY itself; anything not a ProtocolError is a bug to surface.
  if (!(error instanceof ProtocolError)) return error;
  const path = findForbiddenKey(wire);
  if (path === undefined) return error;
  const message = 'forbidden key (prototype pollution; msgpackr renames __proto__ to __proto_)';
  return new ProtocolError('FORBIDDEN_KEY', message, { field: path, cause: error });
}

// Paths start from element names (`body.walletId.__proto_`), so a report reads like the envelope.
function findForbiddenKey(wire: readonly unknown[]): string | undefined {
  const codec = CODECS.get(wire[1]);
  const stack: Array<[unknown, string]> = [];
  for (let i = wire.length - 1; i >= 0; i--) stack.push([wire[i], elementName(codec, i)]);
  for (let entry = stack.pop(); entry !== undefined; entry = stack.pop()) {
    const [value, path] = entry;
    if (Array.isArray(value)) {
      value.forEach((item, i) => stack.push([item, `${path}[${i}]`]));
    } else if (isPlainObject(value)) {
      for (const key in value) {
        const child = `${path}.${key}`;
        if (FORBIDDEN_KEYS.has(key)) return child;
        stack.push([value[key], child]);
      }
    }
  }
  return undefined;
}

// The accepting path relies on these; a bad edit to BODY_SPECS should fail at load, loudly.
// Exported so a test can hand it broken schemas.
export function assertSchemasSound(schemas: Readonly<Record<string, Schema>>): void {
  for (const [kind, schema] of Object.entries(schemas)) {
    const unknown = schema.find((f) => !BASE_TYPES.has(f.type) && f.values === undefined);
    if (unknown !== undefined) {
      const type = `type ${unknown.type}, neither a base type nor an enum with values`;
      throw new Error(`codec: ${kind} field ${unknown.name} has ${type}`);
    }
    const names = schema.map(nameOf);
    if (new Set(names).size !== names.length) throw new Error(`codec: ${kind} repeats a field`);
    const bad = names.find((name) => FORBIDDEN_KEYS.has(name));
    if (bad !== undefined) throw new Error(`codec: ${kind} uses forbidden field ${bad}`);
  }
}
