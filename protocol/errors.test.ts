// Checks ProtocolError as data: code and field are readable without string matching, messages
// name the field and a truncated rendering of the offending value, and isProtocolError recognises
// errors by brand, not only by instanceof.
import { describe, expect, test } from 'vitest';

import { describeValue, isProtocolError, ProtocolError } from './errors.ts';

describe('ProtocolError', () => {
  test('carries code, field, cause and a message that names the field', () => {
    const cause = new Error('inner');
    const error = new ProtocolError('BAD_FIELD', 'missing', { field: 'body.amount', cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ProtocolError');
    expect(error.code).toBe('BAD_FIELD');
    expect(error.field).toBe('body.amount');
    expect(error.cause).toBe(cause);
    expect(error.message).toContain('body.amount');
    expect(error.message).toContain('missing');
  });

  test('works without options', () => {
    const error = new ProtocolError('MALFORMED_FRAME', 'truncated');
    expect(error.field).toBeUndefined();
    expect(error.cause).toBeUndefined();
    expect(error.message).toContain('truncated');
  });

  test('isProtocolError accepts a lookalike from another module copy, rejects the rest', () => {
    expect(isProtocolError(new ProtocolError('BAD_AMOUNT', 'x'))).toBe(true);
    expect(isProtocolError({ name: 'ProtocolError', code: 'BAD_AMOUNT' })).toBe(true);
    expect(isProtocolError(new Error('x'))).toBe(false);
    expect(isProtocolError(null)).toBe(false);
    expect(isProtocolError('ProtocolError')).toBe(false);
    // The brand is both: the name and a string code.
    expect(isProtocolError({ name: 'ProtocolError' })).toBe(false);
    expect(isProtocolError({ name: 'Error', code: 'BAD_AMOUNT' })).toBe(false);
    expect(isProtocolError({ name: 'ProtocolError', code: 7 })).toBe(false);
    // Only an object carries the brand: a function named ProtocolError is not an error.
    const lookalike = Object.assign(function ProtocolError() {}, { code: 'BAD_AMOUNT' });
    expect(isProtocolError(lookalike)).toBe(false);
  });

  test('the message is the code, the field when there is one, and the text', () => {
    expect(new ProtocolError('MALFORMED_FRAME', 'truncated').message).toBe(
      'MALFORMED_FRAME: truncated',
    );
    expect(new ProtocolError('BAD_FIELD', 'missing', { field: 'to' }).message).toBe(
      'BAD_FIELD to: missing',
    );
    expect('cause' in new ProtocolError('BAD_FIELD', 'missing')).toBe(false);
  });
});

describe('describeValue', () => {
  test('tags the type and truncates to 40 characters', () => {
    const long = describeValue('x'.repeat(100));
    expect(long).toBe(`"${'x'.repeat(39)}…`);
    expect(describeValue(500)).toBe('500');
    expect(describeValue(5n)).toBe('5n');
    expect(describeValue(null)).toBe('null');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue([1, 2])).toBe('array(2)');
    expect(describeValue(new Uint8Array(3))).toBe('bytes(3)');
    expect(describeValue({ a: 1 })).toBe('object');
    expect(describeValue(new Map())).toBe('object Map');
    expect(describeValue(true)).toBe('true');
    expect(describeValue(Symbol('s'))).toBe('symbol');
    expect(describeValue(() => 1)).toBe('function');
    expect(describeValue(Object.create(null))).toBe('object');
    // A prototype with no constructor of its own says only that it is an object.
    expect(describeValue(Object.create(Object.create(null)))).toBe('object');
    // Exactly 40 characters (38 and the quotes) are kept whole.
    expect(describeValue('x'.repeat(38))).toBe(`"${'x'.repeat(38)}"`);
  });
});
