// Every bound the actors enforce, in one place, with its default and where it comes from.
// Units and qualifiers last (TigerBeetle style): retryDelayMsMin, amountPerTransferFenMax.
import type { Fen } from '../protocol/index.ts';

/**
 * Protocol variants: the reference design, alternative designs an architect would weigh (each
 * must hold every invariant; `gongji compare` sets them side by side), and deliberately broken
 * ones the properties must catch.
 */
export type ProtocolVariant =
  | 'reference'
  // A saga with compensation: debit the donor's account first (reserve and commit in one
  // step, account.debit), then credit the wallet; a refused credit is compensated by a refund.
  // One round trip fewer than the hold; the donor's money is gone while the credit is pending.
  | 'debitFirst'
  // Credit first, without a hold: credit the wallet, then charge the donor's account; when the
  // charge is refused, claw the credit back (wallet.settle) if the recipient has not received
  // it yet. Fast for the recipient; when the claw-back comes too late, the wallet keeps money
  // no donor paid, which the checks must report.
  | 'optimisticCredit'
  // The recipient wallet forgets what it decided: a retried or duplicated credit is applied again.
  | 'noDedup'
  // The donor's saga decides "failed" when the recipient does not answer in time, and releases
  // the hold although the recipient may have credited: the 2601 pattern done wrong.
  | 'timeoutFails'
  // A province's monthly clearing between its regions forgets one region pair: money owed inside
  // the province is never paid (F2b).
  | 'dropsRegionPair'
  // A cross-province bill's insured region never pays its fund share: only the account share
  // reaches national clearing, and the fund keeps the rest (F3, F5).
  | 'skipsFundShare';

/** The designs that must hold every invariant: the reference and its alternatives. */
export const DESIGN_VARIANTS: readonly ProtocolVariant[] = [
  'reference',
  'debitFirst',
  'optimisticCredit',
];

export const PROTOCOL_VARIANTS: readonly ProtocolVariant[] = [
  'reference',
  'debitFirst',
  'optimisticCredit',
  'noDedup',
  'timeoutFails',
  'dropsRegionPair',
  'skipsFundShare',
];

/** F5: how a clearing batch nets the provinces (see ProtocolConfig.netting). */
export const NETTINGS = ['multilateral', 'pairwise'] as const;
type Netting = (typeof NETTINGS)[number];

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
  /**
   * Calendar date of virtual day 0 (Beijing time), 'YYYY-MM-DD': the policies of E7/E8, the
   * year of a contribution and the month of clearing follow it.
   */
  readonly startDate: string;
  /**
   * W11 / DOMAIN open question 1: a credit waits for the recipient to receive it, and what is
   * still unreceived at 06:00 the next day goes back to the donor. false: credits are received
   * on arrival and only failed deliveries come back (as releases).
   */
  readonly requireReceipt: boolean;
  /** W17: may the wallet pay outside its use region (its holder's insured region)? (no) */
  readonly walletSpendOutsideUseRegion: boolean;
  /** F1: a binding the relative has not confirmed by face within this long expires (24 h). */
  readonly bindAuthTtlMs: number;
  /** F1: the face challenge is re-sent this often at most; then the saga waits for the TTL. */
  readonly challengeResendsMax: number;
  /**
   * W13: a donor who has not confirmed a transfer within this long has not confirmed it: the
   * transfer is rejected (W13). Safe to decide on a timeout, since nothing has moved yet.
   */
  readonly authTtlMs: number;
  /** W11: the hour (Beijing) of the day after a transfer at which an unreceived one returns. */
  readonly returnHour: number;
  /** F3 (D11): a pre-settlement the provider never settles is released after this long. */
  readonly presettleTtlMs: number;
  /**
   * Orphan holds: a province asks the owner of a hold (a transfer's or a bill's) still open after
   * this long whether it knows it; one it has never heard of, or has ended, is released.
   */
  readonly orphanHoldAfterMs: number;
  /**
   * F5: how a batch nets provinces. Both settle each province's net position through the
   * national clearing account; 'pairwise' also keeps the batch's per-pair rows (DOMAIN §3.6).
   */
  readonly netting: Netting;
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
  startDate: '2025-09-29',
  requireReceipt: true,
  walletSpendOutsideUseRegion: false,
  bindAuthTtlMs: 86_400_000,
  challengeResendsMax: 3,
  authTtlMs: 300_000,
  returnHour: 6,
  presettleTtlMs: 1_800_000,
  orphanHoldAfterMs: 3_600_000,
  netting: 'multilateral',
};

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;
