// What `gongji compare` measures of a design, runtime-neutral: the transfer protocol's message
// kinds (its cost is counted on them alone, so bills and bindings, the same in every design, do
// not blur it), time to liveness after the last heal, and each run's and each design's figures
// as compare.json holds them and report/compare.ts draws them.
import type { Kind } from '../protocol/index.ts';
import type { Outcomes } from './outcomes.ts';

/** The messages of the transfer protocol, in any design: request to receipt and return. */
const TRANSFER_KINDS: ReadonlySet<string> = new Set<Kind>([
  'transfer.request',
  'transfer.accepted',
  'transfer.refused',
  'transfer.challenge',
  'transfer.auth',
  'transfer.receive',
  'account.reserve',
  'account.reserved',
  'account.rejected',
  'account.commit',
  'account.committed',
  'account.charge',
  'account.release',
  'account.released',
  'account.refund',
  'account.refunded',
  'wallet.credit',
  'wallet.credited',
  'wallet.rejected',
  'wallet.check',
  'wallet.checked',
  'wallet.settle',
  'wallet.received',
  'wallet.returned',
  'notice.sms',
  'liability.record',
  'liability.recorded',
  'liability.reverse',
  'liability.reversed',
]);

export function isTransferKind(kind: string): boolean {
  return TRANSFER_KINDS.has(kind);
}

/**
 * How long after the last fault healed the transfers it caught took to finish: the latest
 * outcome of a transfer accepted before the heal, less the heal (0 with no faults, or when
 * every such transfer had finished before it). Mostly the retry backoff's cap: a step sent into
 * a partition is sent again at most `retryDelayMsMax` (+ jitter) later. Null when an outcome
 * has no time (a cluster) or a transfer never finished (the lifecycle check says which).
 */
export function livenessAfterHealMs(outcomes: Outcomes, lastHealAt: number): number | null {
  if (lastHealAt === 0) return 0;
  let latest = lastHealAt;
  for (const [id, accepted] of outcomes.accepted) {
    if (accepted.at === undefined || accepted.at > lastHealAt) continue;
    const terminal = outcomes.terminal.get(id);
    if (terminal?.at === undefined) return null;
    latest = Math.max(latest, terminal.at);
  }
  return latest - lastHealAt;
}

/** One design on one seed. */
export interface CompareRun {
  readonly design: string;
  readonly seed: number;
  readonly ok: boolean;
  /** Each invariant that failed, with its detail. */
  readonly violations: ReadonlyArray<{ readonly invariant: string; readonly detail: string }>;
  readonly transfersAccepted: number;
  readonly transfersCompleted: number;
  /** Transfer-protocol messages delivered, and the durable writes their steps made, each per
   * accepted transfer. */
  readonly messagesPerTransfer: number;
  readonly writesPerTransfer: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /** null: some transfer caught by the faults never finished. */
  readonly livenessAfterHealMs: number | null;
  /**
   * Donors' money transfers took and no wallet holds yet (held, or charged and not credited),
   * yuan: its peak at any posting, and its mean over the workload's window (bucket ends).
   */
  readonly inFlightPeak: string;
  readonly inFlightMean: string;
  /** Wallet money credited with no donor's money behind it yet (optimisticCredit), peak, yuan. */
  readonly unbackedPeak: string;
  readonly deliveries: number;
  readonly traceHash: string;
  readonly wallMs: number;
}

/** A design: a protocol variant and the knobs it sets, as scenario fields. */
export interface Design {
  readonly name: string;
  readonly variant: string;
  /** Scenario fields this design sets (dotted path → value), besides the variant. */
  readonly knobs: Readonly<Record<string, unknown>>;
}

export interface Comparison {
  readonly scenario: string;
  readonly seeds: readonly number[];
  readonly faults: readonly string[];
  readonly lastHealAt: string;
  readonly wallets: number;
  readonly designs: readonly Design[];
  readonly runs: readonly CompareRun[];
}
