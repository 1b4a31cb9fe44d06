// Checks the wire boundary: every kind round-trips exactly; every class of malformed frame becomes
// a ProtocolError with the right code and a message naming the field, and decoding touches nothing
// (not the frame, not Object.prototype); random and bit-flipped bytes never escape as anything
// other than a ProtocolError; encoding refuses invalid envelopes.
import { fc, test } from '@fast-check/vitest';
import { Packr } from 'msgpackr';
import { describe, expect } from 'vitest';
import { decodeEnvelope, encodeEnvelope } from './codec.ts';
import type { AnyEnvelope } from './envelope.ts';
import { isProtocolError } from './errors.ts';
import type { ProtocolError, ProtocolErrorCode } from './errors.ts';
import { ID_PATTERN, KINDS, REASONS, SCHEMAS, isValidId } from './messages.ts';
import type { FieldType, Kind } from './messages.ts';
import { WIRE_AMOUNT_MAX_FEN } from './money.ts';

// An independent plain-msgpack encoder, to write frames our encoder would refuse to produce.
const rawPackr = new Packr({ useRecords: false });
type Wire = Record<string, unknown>;

const idArb = fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/);
const FIELD_ARBS: Record<FieldType, fc.Arbitrary<unknown>> = {
  id: idArb,
  amount: fc.bigInt({ min: 1n, max: WIRE_AMOUNT_MAX_FEN }),
  reason: fc.constantFrom(...REASONS),
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

// The same message as it travels: one flat array, header then body in schema order, amounts as
// canonical strings.
const HEADER = ['v', 'kind', 'id', 'from', 'to', 'corr', 'sentAt'] as const;
const CREDIT_BODY = ['transferId', 'walletId', 'donorId', 'originRegion', 'amount'] as const;

function creditWire(): unknown[] {
  const env = sampleCredit() as unknown as Wire & { body: Wire };
  return [...HEADER.map((name) => env[name]), ...CREDIT_BODY.map((name) => env.body[name])]
    .map((value) => (value === 50_000n ? '500.00' : value));
}

/** The credit frame with header elements replaced by name. */
function withEnvelope(patch: Wire): Uint8Array {
  const wire = creditWire();
  for (const [name, value] of Object.entries(patch)) wire[HEADER.indexOf(name as never)] = value;
  return rawPackr.pack(wire);
}

/** The credit frame with body fields replaced by name. */
function withBody(patch: Wire): Uint8Array {
  const wire = creditWire();
  for (const [name, value] of Object.entries(patch)) {
    wire[HEADER.length + CREDIT_BODY.indexOf(name as never)] = value;
  }
  return rawPackr.pack(wire);
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

  test('the wire layout is [v, kind, id, from, to, corr, sentAt, ...body], amounts as text', () => {
    const wire = rawPackr.unpack(encodeEnvelope(sampleCredit())) as unknown[];
    expect(wire).toEqual([
      1, 'wallet.credit', 'msg.000123', 'province.51', 'wallet.03', 'tr-51-000123', 86_400_000,
      'tr-51-000123', 'w.6401.000042', 'p.51.000777', '640100', '500.00',
    ]);
  });

  test('accepts a plain Uint8Array as well as a Buffer', () => {
    const frame = Uint8Array.from(encodeEnvelope(sampleCredit()));
    expect(decodeEnvelope(frame)).toEqual(sampleCredit());
  });

  test('accepts frames from other encoders: sentAt written as an int64', () => {
    expect(decodeEnvelope(withEnvelope({ sentAt: 86_400_000n }))).toEqual(sampleCredit());
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
    ['a one-element array', [1]],
    ['a number', 64],
    ['nil', null],
    ['a string', 'wallet.credit'],
    ['bytes', new Uint8Array(4)],
  ])('a frame holding %s instead of an array', (_label, value) => {
    expectRejected(rawPackr.pack(value), 'MALFORMED_FRAME');
  });

  test('a complete envelope in the keyed (map) layout is not a frame of this protocol', () => {
    const env = sampleCredit() as unknown as Wire & { body: Wire };
    const keyed = { ...env, body: { ...env.body, amount: '500.00' } };
    expectRejected(rawPackr.pack(keyed), 'MALFORMED_FRAME');
  });

  test('something that is not bytes at all', () => {
    expectRejected('not bytes' as unknown as Uint8Array, 'MALFORMED_FRAME');
  });

  test('v: 2 and v: "1"', () => {
    expectRejected(withEnvelope({ v: 2 }), 'UNKNOWN_VERSION', 'v');
    expectRejected(withEnvelope({ v: '1' }), 'UNKNOWN_VERSION', 'v');
  });

  test('a version 2 frame of another shape is still UNKNOWN_VERSION', () => {
    expectRejected(rawPackr.pack([2, 'wallet.credit', { future: true }]), 'UNKNOWN_VERSION', 'v');
  });

  test('kinds that do not exist, including Object.prototype names', () => {
    expectRejected(withEnvelope({ kind: 'account.steal' }), 'UNKNOWN_KIND', 'kind');
    expectRejected(withEnvelope({ kind: 'toString' }), 'UNKNOWN_KIND', 'kind');
    expectRejected(withEnvelope({ kind: 7 }), 'UNKNOWN_KIND', 'kind');
  });

  test.each([
    [7, 'transferId'],
    [8, 'walletId'],
    [9, 'donorId'],
    [10, 'originRegion'],
    [11, 'amount'],
  ] as const)('a frame cut to %i elements names the first missing field (body.%s)', (n, name) => {
    expectRejected(rawPackr.pack(creditWire().slice(0, n)), 'BAD_FIELD', `body.${name}`);
  });

  test('a frame cut inside the header names the header field', () => {
    expectRejected(rawPackr.pack(creditWire().slice(0, 4)), 'BAD_FIELD', 'to');
  });

  test('an extra element, or a field from another kind, is refused', () => {
    expectRejected(rawPackr.pack([...creditWire(), 'note']), 'BAD_FIELD', 'body');
    expectRejected(rawPackr.pack([...creditWire(), 'W6']), 'BAD_FIELD', 'body');
  });

  test('a map or an array in place of a field', () => {
    expectRejected(withBody({ walletId: ['w.1'] }), 'BAD_FIELD', 'body.walletId');
    expectRejected(withBody({ amount: { yuan: 500 } }), 'BAD_FIELD', 'body.amount');
    expectRejected(withEnvelope({ corr: null }), 'BAD_FIELD', 'corr');
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
    ['over the wire limit', '99999999999999.00', 'AMOUNT_OVER_LIMIT'],
  ] as const)('amount as %s', (_label, amount, code) => {
    expectRejected(withBody({ amount }), code, 'body.amount');
  });

  test('ids: too long, a space, empty, non-ASCII, not a string', () => {
    expectRejected(withEnvelope({ id: 'a'.repeat(65) }), 'BAD_FIELD', 'id');
    expectRejected(withEnvelope({ from: 'province 51' }), 'BAD_FIELD', 'from');
    expectRejected(withEnvelope({ to: '' }), 'BAD_FIELD', 'to');
    expectRejected(withEnvelope({ corr: 'tr-五一' }), 'BAD_FIELD', 'corr');
    expectRejected(withBody({ transferId: 42 }), 'BAD_FIELD', 'body.transferId');
    expectRejected(withBody({ walletId: 'w/03' }), 'BAD_FIELD', 'body.walletId');
  });

  test('a 64-char id is accepted', () => {
    const id = 'a'.repeat(64);
    expect(decodeEnvelope(withEnvelope({ id })).id).toBe(id);
  });

  test.each([
    ['-1', -1],
    ['1.5', 1.5],
    ['a string', '5'],
    ['beyond 2^53', 2 ** 53],
    ['NaN', Number.NaN],
  ])('sentAt %s', (_label, sentAt) => {
    expectRejected(withEnvelope({ sentAt }), 'BAD_FIELD', 'sentAt');
  });

  test('a reason not in REASONS', () => {
    const header = [1, 'wallet.rejected', 'msg.1', 'wallet.03', 'wallet.01', 'tr-1', 0];
    expectRejected(rawPackr.pack([...header, 'tr-1', 'BECAUSE']), 'BAD_FIELD', 'body.reason');
    const accepted = decodeEnvelope(rawPackr.pack([...header, 'tr-1', 'W10']));
    expect(accepted.body).toEqual({ transferId: 'tr-1', reason: 'W10' });
  });
});

describe('forbidden keys', () => {
  const proto = () => JSON.parse(`{"__proto__":{"polluted":true}}`) as Wire;

  test('__proto__ in a map in place of a field (msgpackr renames it __proto_)', () => {
    expectRejected(withBody({ walletId: proto() }), 'FORBIDDEN_KEY', 'body.walletId.__proto_');
  });

  test('constructor and prototype keys in a header element', () => {
    const map = {};
    Object.defineProperty(map, 'constructor', { value: 'x', enumerable: true });
    expectRejected(withEnvelope({ from: map }), 'FORBIDDEN_KEY', 'from.constructor');
    expectRejected(withEnvelope({ id: { prototype: {} } }), 'FORBIDDEN_KEY', 'id.prototype');
  });

  test('a forbidden key nested deeper, and ahead of other errors', () => {
    expectRejected(withBody({ amount: [proto()] }), 'FORBIDDEN_KEY', 'body.amount[0].__proto_');
    const nested = [{ constructor: 1 }] as unknown;
    expectRejected(withEnvelope({ v: 2, to: nested }), 'FORBIDDEN_KEY', 'to[0].constructor');
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
    ['an unknown kind', { ...credit, kind: 'account.steal' }, 'kind'],
    ['an extra body key', { ...credit, body: { ...credit.body, x: 1 } }, 'body.x'],
    ['an extra envelope key', { ...credit, x: 1 }, 'x'],
    ['v: 2', { ...credit, v: 2 }, 'v'],
    ['sentAt -1', { ...credit, sentAt: -1 }, 'sentAt'],
    ['a missing body', { ...credit, body: undefined }, 'body'],
  ])('refuses %s with BAD_FIELD', (_label, env, field) => {
    expect(encodeCode(env)).toEqual(['BAD_FIELD', field]);
  });
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
