// Every way an inbound frame or a human-entered amount can be wrong, as data: hosts count and log
// these by `code` and drop the input, so the code set is part of the protocol's contract.

export type ProtocolErrorCode =
  | 'MALFORMED_FRAME'
  | 'UNKNOWN_VERSION'
  | 'UNKNOWN_KIND'
  | 'BAD_FIELD'
  | 'BAD_AMOUNT'
  | 'AMOUNT_OVER_LIMIT'
  | 'FORBIDDEN_KEY';

export interface ProtocolErrorOptions {
  /** Path of the offending field, e.g. `body.amount`; prefixed to the message when given. */
  field?: string;
  cause?: unknown;
}

// Untrusted input can be huge; a log line only needs enough to recognise it.
const VALUE_CHARS_MAX = 40;

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  readonly code: ProtocolErrorCode;
  readonly field: string | undefined;

  constructor(code: ProtocolErrorCode, message: string, options: ProtocolErrorOptions = {}) {
    const { field, cause } = options;
    // Prefixing here, not at each call site, guarantees every message names its field.
    const text = field === undefined ? `${code}: ${message}` : `${code} ${field}: ${message}`;
    super(text, cause === undefined ? undefined : { cause });
    this.code = code;
    this.field = field;
  }
}

// `instanceof` alone fails across realms and duplicated module copies; the brand check does not.
export function isProtocolError(e: unknown): e is ProtocolError {
  if (e instanceof ProtocolError) return true;
  if (typeof e !== 'object' || e === null) return false;
  const candidate = e as { name?: unknown; code?: unknown };
  return candidate.name === 'ProtocolError' && typeof candidate.code === 'string';
}

/** A short, log-safe rendering of an untrusted value: type-tagged, at most 40 chars of content. */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return truncate(JSON.stringify(value));
    case 'bigint':
      return truncate(`${value}n`);
    case 'number':
    case 'boolean':
    case 'undefined':
      return String(value);
    case 'object':
      return describeObject(value);
    default:
      return typeof value;
  }
}

function describeObject(value: object | null): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `array(${value.length})`;
  if (value instanceof Uint8Array) return `bytes(${value.length})`;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) return 'object';
  const ctor = (proto as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === 'string' ? truncate(`object ${ctor.name}`) : 'object';
}

function truncate(text: string): string {
  return text.length <= VALUE_CHARS_MAX ? text : `${text.slice(0, VALUE_CHARS_MAX)}…`;
}
