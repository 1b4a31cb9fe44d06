// The clearing lines one clearing level keeps (F5 input): settlement keeps the lines between
// provinces (national clearing), each province the lines inside it (provincial clearing, F2b,
// K4; DOMAIN §3.1: within one province NatHub is not involved). A line is recorded once per line
// id and counts in its own month's batch unless that batch is allocated already, then in the
// batch of the month it arrives (late lines clear the next month); an undo drops a line from a
// batch not yet allocated, or books a reversal line in the current batch. The owner says which
// batches are still open and where a line goes; every change is written through `put`.
import type { ClearingLedger, Envelope, Fen } from '../protocol/index.ts';
import { provinceAddress, SETTLEMENT_ADDRESS } from './addresses.ts';
import type { Obligation } from './clearing.ts';
import type { Effects } from './effects.ts';
import type { ClearingLine } from './records.ts';
import { provinceOfRegion } from './regions.ts';

/** The owner's batches, as the line book needs them. */
export interface LineBatches {
  /** The batch a new line of `month` counts in (opening it if need be). */
  batchFor(month: number): number;
  /**
   * Whether an undone line can simply be dropped from its batch: the batch is not yet allocated
   * (or the line is held back from it, K10). Otherwise a reversal line takes it back.
   */
  droppable(line: ClearingLine): boolean;
  /** The batch of the month now (for a reversal). */
  current(): number;
}

/** A line as first recorded: live, in its batch. */
export const FRESH = { undone: false, dropped: false, reversal: false } as const;

/**
 * What one batch's lines say is owed, region to region and per ledger: each pair's lines summed
 * (a reversal counts against its line), the sign deciding who owes whom; `skip` leaves lines
 * out. Both clearing levels net these (settlement between provinces, a province between its
 * regions).
 */
export function obligationsOf(
  lines: Iterable<ClearingLine>,
  batch: number,
  skip: (line: ClearingLine) => boolean = () => false,
): Obligation[] {
  const byPair = new Map<string, Fen>();
  for (const line of lines) {
    if (line.batch !== batch || line.dropped || skip(line)) continue;
    const key = `${line.ledger}|${line.payerRegion}|${line.payeeRegion}`;
    byPair.set(key, (byPair.get(key) ?? 0n) + line.amount * (line.reversal ? -1n : 1n));
  }
  const obligations: Obligation[] = [];
  for (const [key, amount] of byPair) {
    const [ledger, payer, payee] = key.split('|') as [ClearingLedger, string, string];
    if (amount > 0n) obligations.push({ payer, payee, ledger, amount });
    else if (amount < 0n) obligations.push({ payer: payee, payee: payer, ledger, amount: -amount });
  }
  return obligations;
}

export class LineBook {
  readonly lines = new Map<string, ClearingLine>();

  constructor(private readonly put: (lineId: string, line: ClearingLine, fx: Effects) => void) {}

  set(lineId: string, line: ClearingLine, fx: Effects): void {
    this.lines.set(lineId, line);
    this.put(lineId, line, fx);
  }

  /**
   * A new line, once per line id; the sender is told it is recorded either way. A line this
   * level does not clear (a faulty sender's, sent to the wrong keeper) is ignored, unanswered.
   */
  record(env: Envelope<'settlement.record'>, batches: LineBatches, fx: Effects): void {
    const { lineId, month, ledger, payerRegion, payeeRegion, amount } = env.body;
    if (lineKeeper(env.body) !== env.to) return;
    if (!this.lines.has(lineId)) {
      const batch = batches.batchFor(month);
      const line = { month, ledger, payerRegion, payeeRegion, amount, ...FRESH, batch };
      this.set(lineId, line, fx);
      fx.emit({ type: 'clearing.line', corr: lineId, ledger, payerRegion, payeeRegion, amount });
    }
    fx.send(env.from, 'settlement.recorded', env.corr, { lineId });
  }

  /**
   * An undone payment's line: dropped from its batch if that is not allocated yet, otherwise
   * taken back by a reversal line in the batch of the month the undo came in.
   */
  unrecord(env: Envelope<'settlement.unrecord'>, batches: LineBatches, fx: Effects): void {
    const { lineId } = env.body;
    const line = this.lines.get(lineId);
    if (line !== undefined && !line.undone) {
      const dropped = batches.droppable(line);
      this.set(lineId, { ...line, undone: true, dropped }, fx);
      if (!dropped)
        this.set(`${lineId}.r`, { ...line, batch: batches.current(), reversal: true }, fx);
      const { ledger, payerRegion, payeeRegion, amount } = line;
      fx.emit({
        type: 'clearing.line',
        corr: lineId,
        ledger,
        payerRegion,
        payeeRegion,
        amount: -amount,
      });
    }
    fx.send(env.from, 'settlement.unrecorded', env.corr, { lineId });
  }
}

/** Where a line is kept: settlement for lines between provinces, else the province. */
export function lineKeeper(line: { payerRegion: string; payeeRegion: string }): string {
  const payer = provinceOfRegion(line.payerRegion);
  return payer === provinceOfRegion(line.payeeRegion) ? provinceAddress(payer) : SETTLEMENT_ADDRESS;
}
