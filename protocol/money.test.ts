// Checks money at its edges: canonical formatting and wire parsing round-trip exactly, human input
// is accepted only when it is unambiguous (never rounded), rates round half-even, and large totals
// keep their cents (decimal.js at precision 40, not its default 20).
import { fc, test } from '@fast-check/vitest';
import { Decimal } from 'decimal.js';
import { describe, expect } from 'vitest';

import type { ProtocolErrorCode } from './errors.ts';
import { isProtocolError } from './errors.ts';
import {
  applyRate,
  FEN_PER_YUAN,
  fenFromDecimal,
  formatFen,
  parseWireAmount,
  parseYuan,
  sumFen,
  WIRE_AMOUNT_MAX_FEN,
  yuan,
} from './money.ts';

const WideDecimal = Decimal.clone({ precision: 1000 });

function codeOf(run: () => unknown): ProtocolErrorCode | 'no error' {
  try {
    run();
    return 'no error';
  } catch (error) {
    if (!isProtocolError(error)) throw error;
    return error.code;
  }
}

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof Error) return error.message;
  }
  return '';
}

// Reference rounding done in bigint, independent of decimal.js.
function divHalfEven(n: bigint, d: bigint): bigint {
  const q = n / d;
  const r2 = (n % d) * 2n;
  if (r2 > d || (r2 === d && q % 2n !== 0n)) return q + 1n;
  return q;
}

describe('formatFen', () => {
  test('prints two decimals for small, zero and negative values', () => {
    expect(formatFen(50000n)).toBe('500.00');
    expect(formatFen(5n)).toBe('0.05');
    expect(formatFen(0n)).toBe('0.00');
    expect(formatFen(-1230n)).toBe('-12.30');
    expect(formatFen(-7n)).toBe('-0.07');
  });

  test.prop([fc.bigInt()])('agrees with decimal.js toFixed(2) for any bigint', (fen) => {
    // A wide clone: at the default 20 digits the reference itself would be wrong.
    const reference = new WideDecimal(fen.toString()).div(100).toFixed(2);
    expect(formatFen(fen)).toBe(reference);
  });

  test('is exact far beyond 2^53 fen', () => {
    expect(formatFen(12345678901234567890101n)).toBe('123456789012345678901.01');
  });
});

describe('parseWireAmount', () => {
  test.prop([fc.bigInt({ min: 1n, max: WIRE_AMOUNT_MAX_FEN })], { numRuns: 2000 })(
    'round-trips formatFen over every valid wire amount',
    (fen) => {
      expect(parseWireAmount(formatFen(fen), 'body.amount')).toBe(fen);
    },
  );

  test('accepts the bounds', () => {
    expect(parseWireAmount('0.01', 'a')).toBe(1n);
    expect(parseWireAmount('1000000000.00', 'a')).toBe(WIRE_AMOUNT_MAX_FEN);
  });

  test.each([
    ['a number', 5],
    ['NaN as a number', Number.NaN],
    ['a bigint', 500n],
    ['null', null],
    ['negative', '-1.00'],
    ['zero', '0.00'],
    ['more than 2 decimals', '1.001'],
    ['one decimal', '1.5'],
    ['no decimals', '5'],
    ['an exponent', '1e3'],
    ['a leading space', ' 5.00'],
    ['a trailing space', '5.00 '],
    ['NaN', 'NaN'],
    ['Infinity', 'Infinity'],
    ['leading zeros', '05.00'],
    ['no integer digit', '.05'],
    ['a plus sign', '+5.00'],
    ['a comma', '5,00'],
    ['empty', ''],
    ['16 integer digits', '1234567890123456.00'],
    ['full-width digits', '５.００'],
  ])('rejects %s with BAD_AMOUNT naming the field', (_label, text) => {
    expect(codeOf(() => parseWireAmount(text, 'body.amount'))).toBe('BAD_AMOUNT');
    expect(messageOf(() => parseWireAmount(text, 'body.amount'))).toContain('body.amount');
  });

  // The log names the rule a frame broke, so an operator can tell a sender's bug at a glance.
  test.each([
    [5, 'amount must be a string, not number'],
    [null, 'amount must be a string, not object'],
    ['-1.00', 'amount is negative'],
    ['0.00', 'amount is zero'],
    ['000.00', 'amount is zero'],
    ['1.001', 'more than 2 decimal places'],
    ['12.3456', 'more than 2 decimal places'],
    ['5', 'exactly 2 decimal places are required'],
    ['1.5', 'exactly 2 decimal places are required'],
    ['05.00', 'leading zeros are not canonical'],
    ['1234567890123456.00', 'more than 15 integer digits'],
    ['1e3', 'not a canonical decimal'],
    [' 5.00', 'not a canonical decimal'],
    ['5.00 ', 'not a canonical decimal'],
    ['', 'not a canonical decimal'],
    ['.05', 'not a canonical decimal'],
    // Each rule matches the whole text: a text that only ends or starts like one is not it.
    ['15', 'exactly 2 decimal places are required'],
    ['12.5', 'exactly 2 decimal places are required'],
    ['0.001', 'more than 2 decimal places'],
    [' 0.00', 'not a canonical decimal'],
    ['0.00 ', 'not a canonical decimal'],
    [' 1.001', 'not a canonical decimal'],
    ['1.001 ', 'not a canonical decimal'],
    [' 1234567890123456.00', 'not a canonical decimal'],
    ['1234567890123456.00 ', 'not a canonical decimal'],
  ] as const)('diagnoses %j as "%s"', (text, problem) => {
    const message = messageOf(() => parseWireAmount(text, 'body.amount'));
    expect(message).toContain(`BAD_AMOUNT body.amount: ${problem}; `);
    expect(message).toContain('expected a canonical positive amount like "500.00"');
  });

  test('names the limit an amount is over', () => {
    const message = messageOf(() => parseWireAmount('1000000000.01', 'body.amount'));
    expect(message).toContain('amount "1000000000.01" is over the wire limit 1000000000.00');
  });

  test('rejects one fen over the limit with AMOUNT_OVER_LIMIT', () => {
    const over = formatFen(WIRE_AMOUNT_MAX_FEN + 1n);
    expect(codeOf(() => parseWireAmount(over, 'x'))).toBe('AMOUNT_OVER_LIMIT');
    expect(codeOf(() => parseWireAmount('99999999999999.00', 'x'))).toBe('AMOUNT_OVER_LIMIT');
    expect(codeOf(() => parseWireAmount('999999999999999.99', 'x'))).toBe('AMOUNT_OVER_LIMIT');
  });
});

describe('parseYuan', () => {
  test.each([
    ['500', 50000n],
    ['500.5', 50050n],
    ['500.50', 50050n],
    ['2000.00', 200000n],
    ['0.01', 1n],
    [500, 50000n],
    [500.5, 50050n],
    [0.07, 7n],
  ] as const)('accepts %s', (text, fen) => {
    expect(parseYuan(text)).toBe(fen);
  });

  test.each([
    ['-1'],
    ['0'],
    ['0.00'],
    ['NaN'],
    ['Infinity'],
    ['-Infinity'],
    ['1.001'],
    ['1e3'],
    [''],
    [' 5'],
    ['5 '],
    ['.5'],
    ['5.'],
    ['+5'],
    ['0x10'],
    [-1],
    [0],
    [Number.NaN],
    [Number.POSITIVE_INFINITY],
    [0.1 + 0.2],
    [1.001],
    [2 ** 53 + 2],
  ] as const)('rejects %s with BAD_AMOUNT', (text) => {
    expect(codeOf(() => parseYuan(text, { field: '--amount' }))).toBe('BAD_AMOUNT');
    expect(messageOf(() => parseYuan(text, { field: '--amount' }))).toContain('--amount');
  });

  test.each([
    ['abc', 'not a decimal amount like "500" or "500.50": "abc"'],
    ['', 'not a decimal amount like "500" or "500.50": ""'],
    [' 5', 'not a decimal amount like "500" or "500.50": " 5"'],
    ['Infinity', 'not a decimal amount like "500" or "500.50": "Infinity"'],
    ['-1', 'amount must not be negative, got "-1"'],
    ['1.001', 'more than 2 decimal places (not rounded), got "1.001"'],
    ['1e3', 'write amounts as plain digits like "500.50", got "1e3"'],
    ['+5', 'write amounts as plain digits like "500.50", got "+5"'],
    ['+5.55', 'write amounts as plain digits like "500.50", got "+5.55"'],
    ['0', 'amount must be positive, got 0'],
    [Number.NaN, 'amount must be finite, got NaN'],
    [2 ** 53 + 2, 'amount 9007199254740994 is not a safe integer; pass large amounts as strings'],
  ] as const)('says what is wrong with %j', (text, problem) => {
    expect(messageOf(() => parseYuan(text, { field: '--amount' }))).toContain(problem);
  });

  test('names an amount over maxFen and the limit', () => {
    expect(messageOf(() => parseYuan('2000.01', { maxFen: 200000n }))).toContain(
      'amount 2000.01 is over the limit 2000.00',
    );
  });

  test('accepts zero only when asked to', () => {
    expect(parseYuan('0', { allowZero: true })).toBe(0n);
    expect(parseYuan(0, { allowZero: true })).toBe(0n);
    expect(yuan('0')).toBe(0n);
  });

  // A JavaScript caller (a scenario file's YAML, a script) can pass anything; what is neither
  // text nor a number is refused as an amount, however it would print.
  test.each([
    ['an array holding a valid amount', ['5']],
    ['an object that prints as one', { toString: () => '5' }],
    ['null', null],
    ['a boolean', true],
    ['a bigint (decimal.js would take it)', 5n],
  ])('refuses %s with BAD_AMOUNT, as not a decimal amount', (_label, value) => {
    expect(messageOf(() => parseYuan(value as never, { field: 'gift' }))).toMatch(
      /^BAD_AMOUNT gift: not a decimal amount like "500" or "500.50": /,
    );
  });

  test('takes an amount of exactly 38 digits, exactly; one more digit is refused', () => {
    const thirtySix = `1${'0'.repeat(35)}`;
    expect(parseYuan(`${thirtySix}.25`)).toBe(10n ** 37n + 25n);
    // Trailing zeros count: 1e38 is 39 digits, even though it would convert exactly.
    expect(messageOf(() => parseYuan(`1${'0'.repeat(38)}`))).toMatch(/has more than 38 digits$/);
  });

  test('decimal.js refuses blanks and the empty string by itself (tryDecimal relies on it)', () => {
    for (const text of ['', ' 5', '5 ', '\t5', '5\n', '\u00a05']) {
      expect(() => new Decimal(text), JSON.stringify(text)).toThrow(/DecimalError/);
    }
  });

  test('enforces maxFen inclusively with AMOUNT_OVER_LIMIT', () => {
    expect(parseYuan('2000', { maxFen: 200000n })).toBe(200000n);
    expect(codeOf(() => parseYuan('2000.01', { maxFen: 200000n }))).toBe('AMOUNT_OVER_LIMIT');
  });

  test('has no default bound, so national totals parse exactly', () => {
    expect(parseYuan('130000000000000.25')).toBe(13000000000000025n);
  });

  test.prop([fc.bigInt({ min: 1n, max: 10n ** 30n })])('inverts formatFen', (fen) => {
    expect(parseYuan(formatFen(fen))).toBe(fen);
  });
});

describe('rates and decimals', () => {
  test('applyRate rounds half-even', () => {
    expect(applyRate(5n, '0.5')).toBe(2n);
    expect(applyRate(15n, '0.5')).toBe(8n);
    expect(applyRate(25n, '0.5')).toBe(12n);
    expect(applyRate(12345n, '0.13')).toBe(1605n);
    expect(applyRate(12345n, '1')).toBe(12345n);
    expect(applyRate(12345n, '0')).toBe(0n);
  });

  test.prop([fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.integer({ min: 0, max: 10_000 })])(
    'applyRate equals exact bigint half-even rounding',
    (fen, basisPoints) => {
      const rate = (basisPoints / 10_000).toFixed(4);
      expect(applyRate(fen, rate)).toBe(divHalfEven(fen * BigInt(basisPoints), 10_000n));
    },
  );

  test('applyRate rejects a rate that is not a plain decimal', () => {
    expect(codeOf(() => applyRate(100n, '-0.1'))).toBe('BAD_FIELD');
    expect(codeOf(() => applyRate(100n, '13%'))).toBe('BAD_FIELD');
    expect(codeOf(() => applyRate(100n, '1e-2'))).toBe('BAD_FIELD');
  });

  test('fenFromDecimal rounds yuan to cents half-even', () => {
    expect(fenFromDecimal('0.005')).toBe(0n);
    expect(fenFromDecimal('0.015')).toBe(2n);
    expect(fenFromDecimal('0.025')).toBe(2n);
    expect(fenFromDecimal('-1.005')).toBe(-100n);
    expect(fenFromDecimal(new Decimal('12.3456'))).toBe(1235n);
    expect(fenFromDecimal(7)).toBe(700n);
  });

  test('keeps the cents of a 21-digit total (default precision would drop them)', () => {
    const total = fenFromDecimal('123456789012345678901.00');
    const cent = fenFromDecimal('0.01');
    expect(sumFen([total, cent])).toBe(12345678901234567890101n);
    expect(fenFromDecimal('123456789012345678901.01')).toBe(12345678901234567890101n);
    expect(formatFen(total + cent)).toBe('123456789012345678901.01');
    // Shows the trap this module avoids: base Decimal rounds the sum to 20 digits.
    const lossy = new Decimal('123456789012345678901.00').plus('0.01');
    expect(lossy.toFixed(2)).not.toBe('123456789012345678901.01');
  });
});

describe('sumFen and constants', () => {
  test.prop([fc.array(fc.bigInt())])('sums like a loop of +', (values) => {
    expect(sumFen(values)).toBe(values.reduce((a, b) => a + b, 0n));
  });

  test('constants', () => {
    expect(FEN_PER_YUAN).toBe(100n);
    expect(WIRE_AMOUNT_MAX_FEN).toBe(1_000_000_000n * FEN_PER_YUAN);
  });
});

describe('money: what each function refuses, in words', () => {
  test('a fen that is not a bigint is a TypeError naming the function', () => {
    expect(() => formatFen(5 as never)).toThrow(
      new TypeError('formatFen: expected bigint fen, got 5'),
    );
    expect(() => applyRate('5' as never, '0.5')).toThrow(
      new TypeError('applyRate: expected bigint fen, got "5"'),
    );
    expect(() => sumFen([1n, 2 as never])).toThrow(
      new TypeError('sumFen: expected bigint fen, got 2'),
    );
    expect(sumFen([1n, 2n, 3n])).toBe(6n);
  });

  test('a rate is plain digits with an optional fraction; anything else is named', () => {
    expect(applyRate(1_000n, '12')).toBe(12_000n);
    expect(applyRate(1_000n, '0.125')).toBe(125n);
    for (const rate of ['-0.1', '1e-2', '.5', '0.', ' 0.5', ''])
      expect(() => applyRate(100n, rate)).toThrow(
        'BAD_FIELD rate: applyRate: rate must be a plain non-negative decimal, got ' +
          JSON.stringify(rate),
      );
  });

  test('a rate given as a number is refused: rates are exact text', () => {
    expect(() => applyRate(100n, 5 as never)).toThrow(
      'BAD_FIELD rate: applyRate: rate must be a plain non-negative decimal, got 5',
    );
  });

  test('a product of exactly 38 digits is computed; trailing zeros count toward the bound', () => {
    // 36 digits × 2: exactly the bound of 38 (the decimal precision is 40), so it is exact.
    expect(applyRate(10n ** 35n, '0.13')).toBe(13n * 10n ** 33n);
    // 37 digits × 2, or 36 × 3, is refused even when the digits are zeros.
    expect(() => applyRate(10n ** 36n, '0.13')).toThrow(
      new RangeError(`applyRate: ${10n ** 36n} × 0.13 exceeds 38 digits`),
    );
    expect(() => applyRate(10n ** 35n, '100')).toThrow(
      new RangeError(`applyRate: ${10n ** 35n} × 100 exceeds 38 digits`),
    );
  });

  test('a product wider than the decimal precision is refused rather than rounded twice', () => {
    expect(() => applyRate(10n ** 30n, '0.123456789')).toThrow(RangeError);
    expect(() => applyRate(10n ** 30n, '0.123456789')).toThrow(
      /^applyRate: .* exceeds \d+ digits$/,
    );
  });

  test('fenFromDecimal refuses what is not finite', () => {
    expect(() => fenFromDecimal(new Decimal(Infinity))).toThrow(
      new RangeError('fenFromDecimal: not finite: Infinity'),
    );
  });

  test('parseYuan names its field (default "amount"), and each problem of the text', () => {
    const message = (text: string | number, opts = {}) => {
      try {
        parseYuan(text, opts);
        return 'accepted';
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(message('x')).toBe(
      'BAD_AMOUNT amount: not a decimal amount like "500" or "500.50": "x"',
    );
    expect(message('-5', { field: 'gift' })).toBe(
      'BAD_AMOUNT gift: amount must not be negative, got "-5"',
    );
    expect(message('1.234')).toBe(
      'BAD_AMOUNT amount: more than 2 decimal places (not rounded), got "1.234"',
    );
    expect(message('1.23')).toBe('accepted');
    expect(message(' 5')).toBe(
      'BAD_AMOUNT amount: not a decimal amount like "500" or "500.50": " 5"',
    );
    expect(message('1e3')).toBe(
      'BAD_AMOUNT amount: write amounts as plain digits like "500.50", got "1e3"',
    );
    expect(message('6', { maxFen: 500n })).toBe(
      'AMOUNT_OVER_LIMIT amount: amount 6.00 is over the limit 5.00',
    );
    expect(message('5', { maxFen: 500n })).toBe('accepted');
    expect(message('1'.repeat(40))).toMatch(
      /^BAD_AMOUNT amount: amount "1+… has more than 38 digits$/,
    );
  });
});
