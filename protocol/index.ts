// The protocol layer's public surface, in one list: every other layer imports from here (the
// protocol's own modules and tests use each other directly).
export { decodeEnvelope, encodeEnvelope } from './codec.ts';
export type { AnyEnvelope, Envelope } from './envelope.ts';
export { isProtocolError } from './errors.ts';
export type {
  Body,
  Care,
  ClearingLedger,
  Flag,
  Kind,
  Kinship,
  Reason,
  RelationEnding,
  TransferSource,
} from './messages.ts';
export {
  CARE_KINDS,
  CLOSE_KINSHIPS,
  isCloseKinship,
  isReason,
  KINDS,
  NO_AID,
  NON_CLOSE_KINSHIPS,
  NUCLEAR_KINSHIPS,
} from './messages.ts';
export type { Fen } from './money.ts';
export { formatFen, parseYuan, WIRE_AMOUNT_MAX_FEN } from './money.ts';
export { maySend, ROLES } from './senders.ts';
