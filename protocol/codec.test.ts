// Checks the wire boundary: a frame is exactly the flat array codec.ts documents; every kind
// round-trips exactly; every class of malformed frame (including maps, the old keyed layout)
// becomes a ProtocolError with the right code and a message naming the field, and decoding
// touches nothing (not the frame, not Object.prototype); random and bit-flipped bytes never
// escape as anything other than a ProtocolError; encoding refuses invalid envelopes.
import { fc, test } from '@fast-check/vitest';
import { Packr } from 'msgpackr';
import { describe, expect } from 'vitest';

import { assertSchemasSound, decodeEnvelope, encodeEnvelope } from './codec.ts';
import type { AnyEnvelope } from './envelope.ts';
import type { ProtocolError, ProtocolErrorCode } from './errors.ts';
import { isProtocolError } from './errors.ts';
import type { EnumType, FieldSpec, FieldType, Kind } from './messages.ts';
import {
  ENUMS,
  ID_PATTERN,
  isValidId,
  KINDS,
  REASONS,
  SCHEMAS,
  TEXT_CHARS_MAX,
} from './messages.ts';
import { formatFen, WIRE_AMOUNT_MAX_FEN } from './money.ts';

// An independent plain-msgpack encoder, to write frames our encoder would refuse to produce.
const rawPackr = new Packr({ useRecords: false });
type Wire = Record<string, unknown>;

const idArb = fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/);
const FIELD_ARBS: Record<FieldType, fc.Arbitrary<unknown>> = {
  id: idArb,
  amount: fc.bigInt({ min: 1n, max: WIRE_AMOUNT_MAX_FEN }),
  amount0: fc.bigInt({ min: 0n, max: WIRE_AMOUNT_MAX_FEN }),
  reason: fc.constantFrom(...REASONS),
  // Names such as 张丽 and 18-digit ID numbers: any non-control text.
  text: fc
    .string({ minLength: 1, maxLength: TEXT_CHARS_MAX, unit: 'grapheme-composite' })
    .filter((t) => t.length <= TEXT_CHARS_MAX && !/[\u0000-\u001f\u007f-\u009f]/.test(t)),
  count: fc.maxSafeNat(),
  ...(Object.fromEntries(
    Object.entries(ENUMS).map(([type, values]) => [type, fc.constantFrom(...values)]),
  ) as Record<EnumType, fc.Arbitrary<unknown>>),
};

function bodyArb(kind: Kind): fc.Arbitrary<Wire> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of SCHEMAS[kind]) model[field.name] = FIELD_ARBS[field.type];
  return fc.record(model);
}

function envelopeArb(kind: Kind): fc.Arbitrary<AnyEnvelope> {
  const envelope = fc.record({
    v: fc.constant(1 as const),
    id: idArb,
    kind: fc.constant(kind),
    from: idArb,
    to: idArb,
    corr: idArb,
    sentAt: fc.maxSafeNat(),
    body: bodyArb(kind),
  });
  return envelope as fc.Arbitrary<unknown> as fc.Arbitrary<AnyEnvelope>;
}

const anyEnvelopeArb = fc.constantFrom(...KINDS).chain(envelopeArb);

function sampleCredit(): AnyEnvelope {
  return {
    v: 1,
    id: 'msg.000123',
    kind: 'wallet.credit',
    from: 'province.51',
    to: 'wallet.03',
    corr: 'tr-51-000123',
    sentAt: 86_400_000,
    body: {
      transferId: 'tr-51-000123',
      walletId: 'w.6401.000042',
      donorId: 'p.51.000777',
      originRegion: '640100',
      amount: 50_000n,
    },
  };
}

// Written out rather than derived from SCHEMAS, so a change to the wire order fails here.
const CREDIT_NAMES = [
  'v',
  'kind',
  'id',
  'from',
  'to',
  'corr',
  'sentAt',
  'body.transferId',
  'body.walletId',
  'body.donorId',
  'body.originRegion',
  'body.amount',
];

// The same message as it travels.
function creditWire(): unknown[] {
  return [
    1,
    'wallet.credit',
    'msg.000123',
    'province.51',
    'wallet.03',
    'tr-51-000123',
    86_400_000,
    'tr-51-000123',
    'w.6401.000042',
    'p.51.000777',
    '640100',
    '500.00',
  ];
}

function replaced(wire: readonly unknown[], at: number, value: unknown): unknown[] {
  const copy = [...wire];
  copy[at] = value;
  return copy;
}

// The credit frame with the element of that name replaced.
function withElement(name: string, value: unknown): Uint8Array {
  const at = CREDIT_NAMES.indexOf(name);
  if (at < 0) throw new Error(`no element ${name}`);
  return rawPackr.pack(replaced(creditWire(), at, value));
}

// msgpackr writes -0 as the integer 0, so a float64 -0 (what another encoder may send) is
// written by hand: the element packed as 1.5, whose float64 bytes are then swapped for -0's.
function withFloatMinusZero(frame: Uint8Array): Uint8Array {
  const onePointFive = [0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0];
  const at = frame.findIndex((_, i) => onePointFive.every((b, j) => frame[i + j] === b));
  if (at < 0) throw new Error('no float64 1.5 in the frame');
  const copy = Uint8Array.from(frame);
  copy.set([0xcb, 0x80, 0, 0, 0, 0, 0, 0, 0], at);
  return copy;
}

function rejectedWire(reason: unknown): unknown[] {
  return replaced([...creditWire().slice(0, 7), 'tr-1', reason], 1, 'wallet.rejected');
}

function catchProtocolError(run: () => unknown): ProtocolError {
  try {
    run();
  } catch (error) {
    if (isProtocolError(error)) return error;
    throw error;
  }
  throw new Error('expected a ProtocolError, but nothing was thrown');
}

// Decodes, asserting the error and that decoding changed neither the frame nor any prototype.
function expectRejected(frame: Uint8Array, code: ProtocolErrorCode, field?: string): void {
  const before = Array.from(frame);
  const error = catchProtocolError(() => decodeEnvelope(frame));
  expect(error.code).toBe(code);
  expect(error.name).toBe('ProtocolError');
  expect(error.field).toBe(field);
  if (field !== undefined) expect(error.message).toContain(field);
  expect(Array.from(frame)).toEqual(before);
  expect(Object.keys(Object.prototype)).toEqual([]);
  expect(({} as Wire).polluted).toBeUndefined();
}

describe('round trip', () => {
  test.prop([anyEnvelopeArb], { numRuns: 1000 })('decode(encode(env)) equals env', (env) => {
    const decoded = decodeEnvelope(encodeEnvelope(env));
    expect(decoded).toEqual(env);
    expect(decoded).not.toBe(env);
    expect(decoded.body).not.toBe(env.body);
  });

  test.each(KINDS.map((kind) => [kind]))('%s round-trips', (kind) => {
    fc.assert(
      fc.property(envelopeArb(kind), (env) => {
        expect(decodeEnvelope(encodeEnvelope(env))).toEqual(env);
      }),
      { numRuns: 50 },
    );
  });

  test('lays a frame out flat: header, then body fields, amounts as canonical strings', () => {
    expect(rawPackr.unpack(encodeEnvelope(sampleCredit()))).toEqual(creditWire());
  });

  test.prop([anyEnvelopeArb], { numRuns: 300 })(
    'every kind puts its body fields after the header in schema order',
    (env) => {
      const body = env.body as Wire;
      const values = SCHEMAS[env.kind].map((field) => {
        const value = body[field.name];
        return typeof value === 'bigint' ? formatFen(value) : value;
      });
      const header = [env.v, env.kind, env.id, env.from, env.to, env.corr, env.sentAt];
      expect(rawPackr.unpack(encodeEnvelope(env))).toEqual([...header, ...values]);
    },
  );

  test('accepts a plain Uint8Array as well as a Buffer', () => {
    const frame = Uint8Array.from(encodeEnvelope(sampleCredit()));
    expect(decodeEnvelope(frame)).toEqual(sampleCredit());
  });

  test('accepts frames from other encoders: sentAt as int64', () => {
    expect(decodeEnvelope(withElement('sentAt', 86_400_000n))).toEqual(sampleCredit());
  });

  test('encodes a body whose keys are not in schema order', () => {
    const env = sampleCredit();
    const reversed = Object.fromEntries(Object.entries(env.body).reverse());
    const frame = encodeEnvelope({ ...env, body: reversed } as unknown as AnyEnvelope);
    expect(rawPackr.unpack(frame)).toEqual(creditWire());
  });

  test('lets switch (env.kind) narrow the body', () => {
    const amountOf = (env: AnyEnvelope): bigint => {
      switch (env.kind) {
        case 'wallet.credit':
        case 'transfer.request':
        case 'account.reserve':
        case 'liability.record':
          return env.body.amount;
        default:
          return 0n;
      }
    };
    expect(amountOf(decodeEnvelope(encodeEnvelope(sampleCredit())))).toBe(50_000n);
  });

  test('survives 100k encode+decode round trips of wallet.credit', () => {
    const env = sampleCredit();
    let total = 0n;
    for (let i = 0; i < 100_000; i++) {
      const decoded = decodeEnvelope(encodeEnvelope({ ...env, sentAt: i }));
      if (decoded.kind !== 'wallet.credit' || decoded.sentAt !== i) throw new Error(`at ${i}`);
      total += decoded.body.amount;
    }
    expect(total).toBe(100_000n * 50_000n);
  });
});

describe('malformed frames', () => {
  test('the reserved byte 0xC1 (decodes to an object in msgpackr)', () => {
    expectRejected(Uint8Array.of(0xc1), 'MALFORMED_FRAME');
  });

  test('trailing bytes after a valid frame', () => {
    const frame = encodeEnvelope(sampleCredit());
    expectRejected(Uint8Array.from([...frame, 0x00]), 'MALFORMED_FRAME');
  });

  test('a truncated frame and an empty frame', () => {
    const frame = encodeEnvelope(sampleCredit());
    expectRejected(frame.subarray(0, frame.length - 1), 'MALFORMED_FRAME');
    expectRejected(new Uint8Array(0), 'MALFORMED_FRAME');
  });

  test.each([
    ['a map', { v: 1, kind: 'wallet.credit' }],
    ['a number', 64],
    ['nil', null],
    ['a string', 'wallet.credit'],
    ['bytes', new Uint8Array(4)],
    ['an empty array', []],
    ['an array of one element', [1]],
  ])('a frame holding %s instead of an array of at least [v, kind]', (_label, value) => {
    expectRejected(rawPackr.pack(value), 'MALFORMED_FRAME');
  });

  test('a complete, valid envelope in the old keyed (map) layout', () => {
    const env = sampleCredit();
    const keyed = { ...env, body: { ...env.body, amount: '500.00' } };
    expectRejected(rawPackr.pack(keyed), 'MALFORMED_FRAME');
  });

  test('a map frame is not looked into, even for forbidden keys', () => {
    const wire = JSON.parse(`{"__proto__":{"polluted":true},"v":1}`) as Wire;
    expectRejected(rawPackr.pack(wire), 'MALFORMED_FRAME');
  });

  test('each frame-level refusal says what was wrong in words', () => {
    const message = (frame: unknown) =>
      catchProtocolError(() => decodeEnvelope(frame as Uint8Array)).message;
    expect(message('x')).toBe('MALFORMED_FRAME: expected a byte array, got "x"');
    expect(message(rawPackr.pack({ a: 1 }))).toBe(
      'MALFORMED_FRAME: a frame must be one msgpack array [v, kind, ...], got object',
    );
    const frame = encodeEnvelope(sampleCredit());
    const trailing = catchProtocolError(() => decodeEnvelope(Uint8Array.from([...frame, 0])));
    // msgpackr's own complaint is kept as the cause.
    expect(trailing.cause).toBeInstanceOf(Error);
    expect(message(Uint8Array.from([...frame, 0]))).toMatch(
      new RegExp(
        `^MALFORMED_FRAME: not exactly one msgpack value \\(${frame.length + 1} bytes\\): .+`,
      ),
    );
    expect(message(rawPackr.pack([1, 'account.steal']))).toBe(
      'UNKNOWN_KIND kind: unknown kind "account.steal"',
    );
    expect(message(rawPackr.pack([2, 'x']))).toBe(
      'UNKNOWN_VERSION v: unknown version 2; this build speaks 1',
    );
    expect(message(rawPackr.pack([1, 'wallet.credit', 'a']))).toBe(
      'BAD_FIELD from: wallet.credit takes 12 elements (7 header + 5 body), got 3',
    );
  });

  test('something that is not bytes at all', () => {
    expectRejected('not bytes' as unknown as Uint8Array, 'MALFORMED_FRAME');
  });

  test('v: 2 and v: "1"', () => {
    expectRejected(withElement('v', 2), 'UNKNOWN_VERSION', 'v');
    expectRejected(withElement('v', '1'), 'UNKNOWN_VERSION', 'v');
  });

  test('a version 2 frame of any other shape is still UNKNOWN_VERSION', () => {
    expectRejected(rawPackr.pack([2, { payload: 'future' }]), 'UNKNOWN_VERSION', 'v');
  });

  test('kinds that do not exist, including Object.prototype names', () => {
    for (const kind of ['account.steal', 'toString', 'constructor', '__proto__', 7, null]) {
      expectRejected(withElement('kind', kind), 'UNKNOWN_KIND', 'kind');
    }
  });

  test('an unknown kind is reported whatever the element count', () => {
    expectRejected(rawPackr.pack([1, 'account.steal']), 'UNKNOWN_KIND', 'kind');
  });

  test.each(CREDIT_NAMES.slice(2).map((name, i) => [name, i + 2] as const))(
    'too few elements: missing %s onward',
    (name, count) => {
      const frame = rawPackr.pack(creditWire().slice(0, count));
      expectRejected(frame, 'BAD_FIELD', name);
      const error = catchProtocolError(() => decodeEnvelope(frame));
      expect(error.message).toContain(`wallet.credit takes 12 elements`);
      expect(error.message).toContain(`got ${count}`);
    },
  );

  test('too many elements', () => {
    const frame = rawPackr.pack([...creditWire(), 'extra']);
    expectRejected(frame, 'BAD_FIELD', 'body');
    expect(catchProtocolError(() => decodeEnvelope(frame)).message).toContain('got 13');
  });

  test('a body laid out for another kind', () => {
    const accepted = replaced(creditWire().slice(0, 8), 1, 'transfer.accepted');
    expect(decodeEnvelope(rawPackr.pack(accepted)).kind).toBe('transfer.accepted');
    const credit = replaced(accepted, 1, 'wallet.credit');
    expectRejected(rawPackr.pack(credit), 'BAD_FIELD', 'body.walletId');
  });

  test.each([
    ['from', { id: 'province.51' }],
    ['id', ['msg.000123']],
    ['sentAt', { ms: 86_400_000 }],
    ['body.walletId', { x: 1 }],
    ['body.amount', { yuan: '500.00' }],
    ['body.amount', ['500.00']],
    ['body.amount', new Uint8Array(2)],
  ])('a map, an array or bytes in place of %s', (name, value) => {
    expectRejected(withElement(name, value), 'BAD_FIELD', name);
  });

  test.each([
    ['a number', 500, 'BAD_AMOUNT'],
    ['an int64', 50_000n, 'BAD_AMOUNT'],
    ['negative', '-1.00', 'BAD_AMOUNT'],
    ['zero', '0.00', 'BAD_AMOUNT'],
    ['NaN', 'NaN', 'BAD_AMOUNT'],
    ['three decimals', '1.001', 'BAD_AMOUNT'],
    ['an exponent', '1e3', 'BAD_AMOUNT'],
    ['no decimals', '500', 'BAD_AMOUNT'],
    ['nil', null, 'BAD_AMOUNT'],
    ['over the wire limit', '99999999999999.00', 'AMOUNT_OVER_LIMIT'],
  ] as const)('amount as %s', (_label, amount, code) => {
    expectRejected(withElement('body.amount', amount), code, 'body.amount');
  });

  test('ids: too long, a space, empty, non-ASCII, not a string', () => {
    expectRejected(withElement('id', 'a'.repeat(65)), 'BAD_FIELD', 'id');
    expectRejected(withElement('from', 'province 51'), 'BAD_FIELD', 'from');
    expectRejected(withElement('to', ''), 'BAD_FIELD', 'to');
    expectRejected(withElement('corr', 'tr-五一'), 'BAD_FIELD', 'corr');
    expectRejected(withElement('body.transferId', 42), 'BAD_FIELD', 'body.transferId');
    expectRejected(withElement('body.walletId', 'w/03'), 'BAD_FIELD', 'body.walletId');
    expectRejected(withElement('body.donorId', null), 'BAD_FIELD', 'body.donorId');
  });

  test('a 64-char id is accepted', () => {
    const id = 'a'.repeat(64);
    expect(decodeEnvelope(withElement('id', id)).id).toBe(id);
  });

  test.each([
    ['-1', -1],
    ['1.5', 1.5],
    ['a string', '5'],
    ['beyond 2^53', 2 ** 53],
    ['an int64 beyond 2^53', 2n ** 53n],
    ['NaN', Number.NaN],
    ['nil', null],
  ])('sentAt %s', (_label, sentAt) => {
    expectRejected(withElement('sentAt', sentAt), 'BAD_FIELD', 'sentAt');
  });

  test('a reason not in REASONS, or not a string', () => {
    expectRejected(rawPackr.pack(rejectedWire('BECAUSE')), 'BAD_FIELD', 'body.reason');
    expectRejected(rawPackr.pack(rejectedWire({ code: 'W10' })), 'BAD_FIELD', 'body.reason');
    const accepted = decodeEnvelope(rawPackr.pack(rejectedWire('W10')));
    expect(accepted.body).toEqual({ transferId: 'tr-1', reason: 'W10' });
  });
});

describe('forbidden keys', () => {
  test('__proto__ in a map in place of a body field (msgpackr renames it __proto_)', () => {
    const frame = withElement('body.walletId', JSON.parse('{"__proto__": 1}'));
    expectRejected(frame, 'FORBIDDEN_KEY', 'body.walletId.__proto_');
  });

  test('a __proto__ payload in place of a header field pollutes nothing', () => {
    const payload = JSON.parse(`{"__proto__":{"polluted":true}}`) as Wire;
    expectRejected(withElement('from', payload), 'FORBIDDEN_KEY', 'from.__proto_');
  });

  test('constructor and prototype keys, nested at any depth', () => {
    const frame = withElement('body.amount', { constructor: 'x' });
    expectRejected(frame, 'FORBIDDEN_KEY', 'body.amount.constructor');
    const deep = withElement('sentAt', [0, { ok: { prototype: {} } }]);
    expectRejected(deep, 'FORBIDDEN_KEY', 'sentAt[1].ok.prototype');
  });

  test('reported ahead of a bad version, an unknown kind or a wrong element count', () => {
    const future = replaced(replaced(creditWire(), 0, 2), 4, [{ constructor: 1 }]);
    expectRejected(rawPackr.pack(future), 'FORBIDDEN_KEY', 'to[0].constructor');
    const proto = JSON.parse('{"__proto__": 1}') as Wire;
    const unknownKind = [...replaced(creditWire(), 1, 'account.steal'), proto];
    expectRejected(rawPackr.pack(unknownKind), 'FORBIDDEN_KEY', 'body[5].__proto_');
    const tooMany = [...creditWire(), proto];
    expectRejected(rawPackr.pack(tooMany), 'FORBIDDEN_KEY', 'body[5].__proto_');
  });

  test('says why in words, and keeps the refusal it was found behind as its cause', () => {
    const frame = withElement('body.walletId', JSON.parse('{"__proto__": 1}'));
    const error = catchProtocolError(() => decodeEnvelope(frame));
    expect(error.message).toBe(
      'FORBIDDEN_KEY body.walletId.__proto_: ' +
        'forbidden key (prototype pollution; msgpackr renames __proto__ to __proto_)',
    );
    expect(isProtocolError(error.cause)).toBe(true);
    expect((error.cause as ProtocolError).code).toBe('BAD_FIELD');
    expect((error.cause as ProtocolError).field).toBe('body.walletId');
  });

  test('the first forbidden key in element order is reported, from the version element on', () => {
    const proto = JSON.parse('{"__proto__": 1}') as Wire;
    expectRejected(rawPackr.pack(replaced(creditWire(), 0, proto)), 'FORBIDDEN_KEY', 'v.__proto_');
    const two = replaced(replaced(creditWire(), 3, { constructor: 1 }), 4, proto);
    expectRejected(rawPackr.pack(two), 'FORBIDDEN_KEY', 'from.constructor');
  });
});

describe('random input', () => {
  const decodeOrProtocolError = (frame: Uint8Array): void => {
    try {
      const env = decodeEnvelope(frame);
      // Anything accepted must be a valid envelope: it re-encodes to the same message.
      expect(decodeEnvelope(encodeEnvelope(env))).toEqual(env);
    } catch (error) {
      if (!isProtocolError(error)) throw error;
    }
  };

  test.prop([fc.uint8Array({ maxLength: 96 })], { numRuns: 5000 })(
    'random bytes never throw anything but a ProtocolError',
    decodeOrProtocolError,
  );

  test.prop([anyEnvelopeArb, fc.nat(), fc.integer({ min: 1, max: 255 })], { numRuns: 3000 })(
    'a valid frame with one corrupted byte is decoded or rejected, never crashes',
    (env, at, mask) => {
      const frame = Uint8Array.from(encodeEnvelope(env));
      const index = at % frame.length;
      frame[index] = (frame[index] as number) ^ mask;
      decodeOrProtocolError(frame);
    },
  );
});

describe('encoding validates too', () => {
  const encodeCode = (env: unknown): [ProtocolErrorCode, string | undefined] => {
    const error = catchProtocolError(() => encodeEnvelope(env as AnyEnvelope));
    return [error.code, error.field];
  };
  const credit = sampleCredit() as unknown as Wire & { body: Wire };
  const { amount: _amount, ...noAmount } = credit.body;

  test.each([
    ['a negative amount', { ...credit, body: { ...credit.body, amount: -1n } }, 'body.amount'],
    ['a zero amount', { ...credit, body: { ...credit.body, amount: 0n } }, 'body.amount'],
    ['a string amount', { ...credit, body: { ...credit.body, amount: '500.00' } }, 'body.amount'],
    ['a number amount', { ...credit, body: { ...credit.body, amount: 500 } }, 'body.amount'],
    [
      'an amount over the wire limit',
      { ...credit, body: { ...credit.body, amount: WIRE_AMOUNT_MAX_FEN + 1n } },
      'body.amount',
    ],
    ['a bad id', { ...credit, from: 'province 51' }, 'from'],
    ['a bad message id', { ...credit, id: 'm 1' }, 'id'],
    ['a bad address', { ...credit, to: 'wallet 03' }, 'to'],
    ['a bad correlation id', { ...credit, corr: '' }, 'corr'],
    ['a bad body id', { ...credit, body: { ...credit.body, donorId: 'p 51' } }, 'body.donorId'],
    ['an unknown kind', { ...credit, kind: 'account.steal' }, 'kind'],
    ['an extra body key', { ...credit, body: { ...credit.body, x: 1 } }, 'body.x'],
    ['an extra body key first', { ...credit, body: { x: 1, ...credit.body } }, 'body.x'],
    ['a missing body key', { ...credit, body: noAmount }, 'body.amount'],
    ['an extra envelope key', { ...credit, x: 1 }, 'x'],
    ['v: 2', { ...credit, v: 2 }, 'v'],
    ['sentAt -1', { ...credit, sentAt: -1 }, 'sentAt'],
    ['a missing body', { ...credit, body: undefined }, 'body'],
    ['a body that is an array', { ...credit, body: [] }, 'body'],
  ])('refuses %s with BAD_FIELD', (_label, env, field) => {
    expect(encodeCode(env)).toEqual(['BAD_FIELD', field]);
  });

  test.each([
    [{ ...credit, v: 2 }, 'BAD_FIELD v: cannot encode: v must be 1, got 2'],
    [
      { ...credit, kind: 'account.steal' },
      'BAD_FIELD kind: cannot encode: kind is not a known kind, got "account.steal"',
    ],
    [
      { ...credit, body: { ...credit.body, amount: 0n } },
      'BAD_FIELD body.amount: cannot encode: body.amount must be bigint fen in ' +
        '[0.01, 1000000000.00] yuan, got 0n',
    ],
  ])('says what it refused to encode, in words (%#)', (env, message) => {
    expect(catchProtocolError(() => encodeEnvelope(env as never)).message).toBe(message);
  });
});

describe('the schemas, checked when the codec loads', () => {
  const field = (name: string, type: string, values?: string[]): FieldSpec => ({
    name,
    type: type as FieldType,
    path: `body.${name}`,
    values: values === undefined ? undefined : new Set(values),
  });

  test('the real schemas pass, base types need no values, enums have theirs', () => {
    expect(() => assertSchemasSound(SCHEMAS)).not.toThrow();
    const bases = ['id', 'amount', 'amount0', 'reason', 'text', 'count'];
    expect(() => assertSchemasSound({ k: bases.map((t) => field(t, t)) })).not.toThrow();
    expect(() => assertSchemasSound({ k: [field('m', 'method', ['FACE'])] })).not.toThrow();
  });

  test('a field of a type the codec does not know, and with no values, fails the load', () => {
    expect(() => assertSchemasSound({ 'x.y': [field('a', 'id'), field('m', 'method')] })).toThrow(
      new Error('codec: x.y field m has type method, neither a base type nor an enum with values'),
    );
  });

  test('a repeated field fails the load', () => {
    expect(() => assertSchemasSound({ 'x.y': [field('a', 'id'), field('a', 'text')] })).toThrow(
      new Error('codec: x.y repeats a field'),
    );
  });

  test.each(['__proto__', '__proto_', 'constructor', 'prototype'])(
    'a field named %s fails the load',
    (name) => {
      expect(() => assertSchemasSound({ 'x.y': [field('a', 'id'), field(name, 'id')] })).toThrow(
        new Error(`codec: x.y uses forbidden field ${name}`),
      );
    },
  );
});

describe('ids', () => {
  const idChar = fc.constantFrom(...'aZ09._:-/ é\u0000\u007f五'.split(''));
  test.prop([fc.oneof(fc.string({ unit: idChar, maxLength: 70 }), fc.string({ maxLength: 70 }))])(
    'isValidId agrees with ID_PATTERN',
    (text) => {
      expect(isValidId(text)).toBe(ID_PATTERN.test(text));
    },
  );

  test('isValidId rejects non-strings', () => {
    expect(isValidId(7)).toBe(false);
    expect(isValidId(undefined)).toBe(false);
    expect(isValidId('a'.repeat(64))).toBe(true);
    expect(isValidId('a'.repeat(65))).toBe(false);
  });
});

// Each field rule, in both directions, with the whole message: what a peer's operator reads when
// a frame is refused. One kind per field type (the first kind that has one).
describe('field rules, with the message each refusal gives', () => {
  // Where a frame's body starts: after the header elements the credit frame names.
  const BODY_AT = CREDIT_NAMES.findIndex((name) => name.startsWith('body.'));
  const firstWith = (type: FieldType): { kind: Kind; index: number; path: string } => {
    for (const kind of KINDS) {
      const index = SCHEMAS[kind].findIndex((f) => f.type === type);
      if (index >= 0) return { kind, index, path: `body.${SCHEMAS[kind][index]!.name}` };
    }
    throw new Error(`no kind has a ${type} field`);
  };
  const valid = (kind: Kind) =>
    fc.sample(envelopeArb(kind), { numRuns: 1, seed: 13 })[0] as AnyEnvelope & { body: Wire };
  /** The frame of a valid envelope of the kind with one body element replaced. */
  const frameWith = (type: FieldType, value: unknown) => {
    const { kind, index } = firstWith(type);
    const wire = rawPackr.unpack(encodeEnvelope(valid(kind))) as unknown[];
    return rawPackr.pack(replaced(wire, BODY_AT + index, value));
  };
  const decodeMessage = (type: FieldType, value: unknown) =>
    catchProtocolError(() => decodeEnvelope(frameWith(type, value))).message;
  const encodeMessage = (type: FieldType, value: unknown) => {
    const { kind, index } = firstWith(type);
    const env = valid(kind);
    const name = SCHEMAS[kind][index]!.name;
    return catchProtocolError(() =>
      encodeEnvelope({ ...env, body: { ...env.body, [name]: value } } as AnyEnvelope),
    ).message;
  };

  test.each([
    ['id', 'a b', 'id must be 1-64 chars of [A-Za-z0-9._:-], got "a b"'],
    ['id', 'x'.repeat(65), 'id is 65 chars, over 64, got "xxx'],
    ['id', `${'x'.repeat(63)}!`, 'id must be 1-64 chars of [A-Za-z0-9._:-], got "xxx'],
    ['id', undefined, 'missing (or undefined)'],
    ['text', '', `text must be 1-${TEXT_CHARS_MAX} chars without control characters, got ""`],
    ['text', 'a\u0007', `text must be 1-${TEXT_CHARS_MAX} chars without control characters`],
    ['text', 'a\u007f', 'without control characters'],
    ['text', 'a\u0085', 'without control characters'],
    ['text', 'x'.repeat(TEXT_CHARS_MAX + 1), 'without control characters'],
    ['text', undefined, 'missing (or undefined)'],
    ['count', -1, 'must be a non-negative safe integer, got -1'],
    ['count', 1.5, 'must be a non-negative safe integer, got 1.5'],
    ['count', 2 ** 53, 'must be a non-negative safe integer'],
    ['count', undefined, 'missing (or undefined)'],
    ['reason', 'NOPE', 'unknown reason "NOPE"'],
    ['reason', undefined, 'missing (or undefined)'],
    ['amount', { yuan: 1 }, 'expected a canonical amount string, got'],
  ] as const)('decoding a %s field of %s is refused', (type, value, message) => {
    const { path } = firstWith(type);
    const text = decodeMessage(type, value);
    expect(text.startsWith(`BAD_FIELD ${path}: `), text).toBe(true);
    expect(text).toContain(message);
  });

  test.each([
    ['text', '\u0080'],
    ['text', '\u009f'],
    ['text', '\u001f'],
  ])('text refuses the control character %#, and takes its neighbours', (type, bad) => {
    expect(decodeMessage(type as FieldType, `a${bad}`)).toContain('without control characters');
    const ok = frameWith('text', 'a\u00a0 \u007e五');
    expect(() => decodeEnvelope(ok)).not.toThrow();
    expect(() => decodeEnvelope(frameWith('text', 'x'.repeat(TEXT_CHARS_MAX)))).not.toThrow();
  });

  test('a count arrives as a number or a bigint within the safe range, and reads back a number', () => {
    const { kind, index } = firstWith('count');
    const read = (value: unknown) =>
      (decodeEnvelope(frameWith('count', value)).body as Wire)[SCHEMAS[kind][index]!.name];
    expect(read(0)).toBe(0);
    expect(read(0n)).toBe(0);
    const minusZero = withFloatMinusZero(frameWith('count', 1.5));
    const count = (decodeEnvelope(minusZero).body as Wire)[SCHEMAS[kind][index]!.name];
    expect(Object.is(count, 0)).toBe(true);
    expect(read(7n)).toBe(7);
    expect(read(BigInt(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
    expect(decodeMessage('count', BigInt(Number.MAX_SAFE_INTEGER) + 1n)).toContain(
      'must be a non-negative safe integer',
    );
    expect(decodeMessage('count', -1n)).toContain('must be a non-negative safe integer');
  });

  test('an enum names the values it takes', () => {
    const type = Object.keys(ENUMS)[0] as EnumType;
    const values = ENUMS[type].join(', ');
    expect(decodeMessage(type, 'nope')).toContain(`expected one of ${values}, got "nope"`);
    expect(decodeMessage(type, 7)).toContain(`expected one of ${values}, got 7`);
    expect(decodeMessage(type, undefined)).toContain('missing (or undefined)');
  });

  test.each([
    ['id', 'a b', 'id must be 1-64 chars'],
    ['text', '', 'text must be 1-'],
    ['count', -1, 'must be a non-negative safe integer'],
    ['reason', 'NOPE', 'unknown reason "NOPE"'],
    ['amount', 0n, 'cannot encode: '],
  ] as const)('encoding a %s field of %s is refused the same way', (type, value, message) => {
    const { path } = firstWith(type);
    const text = encodeMessage(type, value);
    expect(text.startsWith(`BAD_FIELD ${path}: `), text).toBe(true);
    expect(text).toContain(message);
  });

  test('amount0 takes 0.00 both ways; amount never does', () => {
    const { kind, index } = firstWith('amount0');
    const name = SCHEMAS[kind][index]!.name;
    const env = valid(kind);
    const zero = { ...env, body: { ...env.body, [name]: 0n } } as AnyEnvelope;
    expect((decodeEnvelope(encodeEnvelope(zero)).body as Wire)[name]).toBe(0n);
    const { path } = firstWith('amount');
    expect(decodeMessage('amount', '0.00')).toBe(
      `BAD_AMOUNT ${path}: amount is zero; ` +
        'expected a canonical positive amount like "500.00", got "0.00"',
    );
  });

  test('sentAt: a number or bigint of safe ms; a missing one is named', () => {
    expect(decodeEnvelope(withElement('sentAt', 0)).sentAt).toBe(0);
    expect(decodeEnvelope(withElement('sentAt', 5n)).sentAt).toBe(5);
    expect(decodeEnvelope(withElement('sentAt', 0n)).sentAt).toBe(0);
    const max = BigInt(Number.MAX_SAFE_INTEGER);
    expect(decodeEnvelope(withElement('sentAt', max)).sentAt).toBe(Number.MAX_SAFE_INTEGER);
    // A wide int64 stays a bigint, so the refusal names the exact value sent, unrounded.
    expect(catchProtocolError(() => decodeEnvelope(withElement('sentAt', max + 2n))).message).toBe(
      'BAD_FIELD sentAt: sentAt must be non-negative safe integer ms, got 9007199254740993n',
    );
    const minusZero = withFloatMinusZero(withElement('sentAt', 1.5));
    expect(Object.is(decodeEnvelope(minusZero).sentAt, 0)).toBe(true);
    const over = BigInt(Number.MAX_SAFE_INTEGER) + 1n;
    for (const bad of [-1, -1n, over, 1.5, '5'])
      expect(
        catchProtocolError(() => decodeEnvelope(withElement('sentAt', bad))).message,
      ).toContain('BAD_FIELD sentAt: sentAt must be non-negative safe integer ms');
    const credit = sampleCredit() as unknown as Wire;
    expect(
      catchProtocolError(() => encodeEnvelope({ ...credit, sentAt: undefined } as never)).message,
    ).toBe('BAD_FIELD sentAt: missing (or undefined)');
  });

  test('an envelope that is not a plain object, or has a key too many, is named', () => {
    expect(catchProtocolError(() => encodeEnvelope(new Map() as never)).message).toBe(
      'BAD_FIELD envelope: expected a map, got object Map',
    );
    const credit = sampleCredit() as unknown as Wire;
    expect(catchProtocolError(() => encodeEnvelope({ ...credit, x: 1 } as never)).message).toBe(
      'BAD_FIELD x: unexpected key; expected exactly v,id,kind,from,to,corr,sentAt,body',
    );
  });
});
