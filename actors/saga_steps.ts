// What the wallet shard's sagas share. The shape of every waiting state: on entry, reset the
// attempt count and send the step; on its own timer (the current one only) or after a restart,
// count an attempt and send it again; the state's own transitions (`on`) decide what an answer
// does. And the clearing lines a payment sends to settlement (F5, K9), one at a time.
import type { EventObject } from 'xstate';

import type { ClearingLedger, Fen } from '../protocol/index.ts';
import { provinceAddress } from './addresses.ts';
import { lineKeeper } from './clearing_lines.ts';
import type { Effects } from './effects.ts';
import { assignerOf } from './machine_driver.ts';
import { provinceOfRegion } from './regions.ts';

/**
 * What an event of a saga that moves wallet money carries besides its type: the step's time and
 * effects, the wallet's port through the shard, and a way to deliver the wallet's answer to the
 * saga right after the current step (a follow-up event, never an effect inside `assign`).
 */
export interface WalletCarrier<Port, Event> {
  readonly now: number;
  readonly fx: Effects;
  readonly wallet: Port;
  /** Deliver an event to this saga right after the current step (the wallet's answer). */
  readonly followUp: (event: Event) => void;
}

/** The carrier of an event, for a follow-up event of the same step. */
export function carrierOf<Port, Event>(
  event: WalletCarrier<Port, Event>,
): WalletCarrier<Port, Event> {
  const { now, fx, wallet, followUp } = event;
  return { now, fx, wallet, followUp };
}

/** What every saga keeps to retry a step: its attempts, and the sequence of its live timer. */
export interface Retrying {
  readonly attempt: number;
  readonly timerSeq: number;
}

/**
 * The retry actions and guard every saga shares: each attempt arms a timer with a new sequence
 * number, so only the latest timer counts (`currentTimer`); an older one that fires is stale.
 */
export function retrying<C extends Retrying, E extends EventObject>() {
  const change = assignerOf<C, E>();
  return {
    actions: {
      resetAttempt: change(
        ({ context }) => ({ attempt: 0, timerSeq: context.timerSeq + 1 }) as Partial<C>,
      ),
      nextAttempt: change(
        ({ context }) =>
          ({ attempt: context.attempt + 1, timerSeq: context.timerSeq + 1 }) as Partial<C>,
      ),
    },
    guards: {
      currentTimer: ({ context, event }: { context: C; event: E }) =>
        event.type === 'timeout' && (event as { seq?: number }).seq === context.timerSeq,
    },
  };
}

/**
 * A waiting state of a saga. `first` names actions to run before the step is sent (a bill's
 * wallet part, taken locally in the same step). Each saga's setup defines `send` (params: the
 * step's kind) besides the shared `retrying()` actions and guard.
 */
export function stepState<K extends string, On extends object, F extends string = never>(
  kind: K,
  on: On,
  first: readonly F[] = [],
) {
  const send = { type: 'send', params: kind } as const;
  return {
    entry: [...first, 'resetAttempt' as const, send],
    on: {
      timeout: { guard: 'currentTimer', actions: ['nextAttempt', send] },
      resume: { actions: ['nextAttempt', send] },
      ...on,
    },
  } as const;
}

/**
 * One clearing line a payment (a bill, a contribution) sends to settlement (F5), or, `back`,
 * the move of a wallet line's backing that goes before it to the origin region's province (K9).
 */
export interface PaymentLine {
  readonly lineId: string;
  readonly ledger: ClearingLedger;
  readonly payerRegion: string;
  readonly payeeRegion: string;
  readonly amount: Fen;
  readonly back?: true | undefined;
}

/** Wallet money spent, as the wallet gives it back: pieces by origin region (K9). */
export type Spent = ReadonlyArray<{ readonly originRegion: string; readonly amount: Fen }>;

/**
 * The wallet ledger's lines of a payment: one per origin region, owed to where it was spent,
 * each after the move of its backing (`<payment>.b<i>`): the origin region holds the money of
 * its wallets, and gives that much to the fund that pays the line.
 */
export function walletLines(paymentId: string, spent: Spent, payeeRegion: string): PaymentLine[] {
  const byOrigin = new Map<string, Fen>();
  for (const p of spent)
    byOrigin.set(p.originRegion, (byOrigin.get(p.originRegion) ?? 0n) + p.amount);
  return [...byOrigin].flatMap(([payerRegion, amount], i) => {
    const line = { ledger: 'wallet', payerRegion, payeeRegion, amount } as const;
    return [
      { ...line, lineId: `${paymentId}.b${i}`, back: true },
      { ...line, lineId: `${paymentId}.w${i}` },
    ];
  });
}

/** The lines of a payment that clearing keeps (not the backing moves). */
export const clearedLines = (lines: readonly PaymentLine[]): PaymentLine[] =>
  lines.filter((line) => line.back !== true);

/**
 * Send the current line of a payment to where it is cleared (`settlement.record`): settlement
 * for a line between provinces, the province for one inside it (DOMAIN §3.1). A backing move
 * goes to the origin region's province (`settlement.back`).
 */
export function recordLine(fx: Effects, paymentId: string, month: number, line: PaymentLine): void {
  const { lineId, ledger, payerRegion, payeeRegion, amount } = line;
  if (line.back === true) {
    const body = { lineId, payerRegion, payeeRegion, amount };
    fx.send(originProvince(line), 'settlement.back', paymentId, body);
    return;
  }
  fx.send(lineKeeper(line), 'settlement.record', paymentId, {
    lineId,
    month,
    ledger,
    payerRegion,
    payeeRegion,
    amount,
  });
}

/** Take back the current line of an undone payment, or the move of its backing. */
export function unrecordLine(fx: Effects, paymentId: string, line: PaymentLine): void {
  const { lineId } = line;
  if (line.back === true) fx.send(originProvince(line), 'settlement.unback', paymentId, { lineId });
  else fx.send(lineKeeper(line), 'settlement.unrecord', paymentId, { lineId });
}

const originProvince = (line: PaymentLine): string =>
  provinceAddress(provinceOfRegion(line.payerRegion));
