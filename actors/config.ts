// Every bound the actors enforce, in one place, with its default and where it comes from.
// Units and qualifiers last (TigerBeetle style): retryDelayMsMin, amountPerTransferFenMax.
import type { Fen } from '../protocol/index.ts';

/** Protocol variants: the reference one, and deliberately broken ones the properties must catch. */
export type ProtocolVariant =
  | 'reference'
  // The recipient wallet forgets what it decided: a retried or duplicated credit is applied again.
  | 'noDedup'
  // The donor's saga decides "failed" when the recipient does not answer in time, and releases
  // the hold although the recipient may have credited: the 2601 pattern done wrong.
  | 'timeoutFails';

export const PROTOCOL_VARIANTS: readonly ProtocolVariant[] = ['reference', 'noDedup', 'timeoutFails'];

export interface ProtocolConfig {
  readonly variant: ProtocolVariant;
  /** First retry delay of a saga step; doubles per attempt (with deterministic jitter). */
  readonly retryDelayMsMin: number;
  /** Backoff cap: after the faults heal, every step is retried within this long. */
  readonly retryDelayMsMax: number;
  /** W6: transfers a wallet may start per (Beijing) day. */
  readonly transfersPerDayMax: number;
  /** W7: largest single transfer, 2000.00 yuan. */
  readonly amountPerTransferFenMax: Fen;
  /** W8: no transfers from blackoutHourStart:00 to blackoutHourEnd:00 the next morning. */
  readonly blackoutHourStart: number;
  readonly blackoutHourEnd: number;
  /** Number of wallet shards; a wallet's shard is a hash of its id. */
  readonly walletShardCount: number;
  /** Only for the 'timeoutFails' variant: attempts before the saga wrongly gives up. */
  readonly giveUpAfterAttempts: number;
}

export const PROTOCOL_DEFAULTS: ProtocolConfig = {
  variant: 'reference',
  retryDelayMsMin: 250,
  retryDelayMsMax: 30_000,
  transfersPerDayMax: 3,
  amountPerTransferFenMax: 200_000n,
  blackoutHourStart: 22,
  blackoutHourEnd: 6,
  walletShardCount: 8,
  giveUpAfterAttempts: 2,
};

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;
