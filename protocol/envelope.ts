// The envelope every message travels in (DESIGN.md §4). `id` identifies this message (for
// tracing and transport-level dedup); `corr` is the business id (transferId, settlementId,
// msgid) that receivers deduplicate on, so a retry has a new `id` and the same `corr`.
import type { Body, Kind } from './messages.ts';

export interface Envelope<K extends Kind = Kind> {
  v: 1;
  /** Unique per message; same pattern as every id: 1–64 chars of `[A-Za-z0-9._:-]`. */
  id: string;
  kind: K;
  /** Addresses such as `province.51`, `wallet.03`, `settlement.0`, `app.0`. */
  from: string;
  to: string;
  corr: string;
  /** Virtual milliseconds: a non-negative safe integer, never wall-clock time. */
  sentAt: number;
  body: Body<K>;
}

/** The union over kinds, so `switch (env.kind)` narrows `env.body`. */
export type AnyEnvelope = { [K in Kind]: Envelope<K> }[Kind];
