// The protocol layer's public surface, in one list: actors, cluster and sim import from here.
export { ProtocolError, describeValue, isProtocolError } from './errors.ts';
export type { ProtocolErrorCode, ProtocolErrorOptions } from './errors.ts';
export {
  FEN_PER_YUAN,
  WIRE_AMOUNT_MAX_FEN,
  applyRate,
  fenFromDecimal,
  formatFen,
  parseWireAmount,
  parseYuan,
  sumFen,
  yuan,
} from './money.ts';
export type { Fen, ParseYuanOptions } from './money.ts';
export {
  CARE_KINDS,
  ID_CHARS_MAX,
  ENUMS,
  ID_PATTERN,
  TEXT_CHARS_MAX,
  KINDS,
  KINSHIPS,
  NON_CLOSE_KINSHIPS,
  NUCLEAR_KINSHIPS,
  PROTOCOL_VERSION,
  REASONS,
  SCHEMAS,
  isCloseKinship,
  isReason,
  isValidId,
} from './messages.ts';
export type {
  Bodies,
  Body,
  AuthMethod,
  Care,
  ClearingLedger,
  Flag,
  DeclaredKinship,
  EnumType,
  EnumValue,
  RelationEnding,
  TransferSource,
  Verdict,
  FieldSpec,
  FieldType,
  Kind,
  Kinship,
  NonCloseKinship,
  Reason,
  Schema,
} from './messages.ts';
export type { AnyEnvelope, Envelope } from './envelope.ts';
export { decodeEnvelope, encodeEnvelope } from './codec.ts';
export { SENDER_ROLES, maySend } from './senders.ts';
export type { Role } from './senders.ts';
