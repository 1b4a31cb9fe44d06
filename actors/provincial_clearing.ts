// Provincial clearing (DOMAIN F2b, K4: "provincial level: does the same within its
// jurisdiction"): the lines between pooling regions of one province (bills treated in another
// region of the province, family aid, wallet money spent there, contributions paid there) are
// kept by the province, not by the national hub (§3.1), and netted and paid once a month between
// the regions' pooling funds through the provincial clearing account. Local lines (one region on
// both sides) are kept as evidence and need no clearing.
//
// Month M's batch clears on day 10 of M+1 at 02:00 (K8's allocation time, moved to a working day):
// inside one actor allocation, statements, funding and disbursal are one step, so the batch is
// cleared in one write or not at all. A line that arrives after its month's batch is cleared
// counts in the batch of the month it arrives, as nationally.
import type { Calendar } from './calendar.ts';
import { nextMonthKey } from './calendar.ts';
import {
  APPLICATION_DAY_LAST,
  buildMatrix,
  netMultilateral,
  RECONCILE_HOUR,
  splitByScope,
} from './clearing.ts';
import { type LineBatches, LineBook, obligationsOf } from './clearing_lines.ts';
import { DAY_MS, HOUR_MS } from './config.ts';
import { type ClearingLine, type ProvincialBatch, RECORDS } from './records.ts';

export class ProvincialClearing {
  readonly lineBook = new LineBook((lineId, line, fx) =>
    fx.write(RECORDS.provincialLine.key(lineId), line),
  );
  /** Cleared months, by month. */
  readonly batches = new Map<number, ProvincialBatch>();

  constructor(readonly province: string) {}

  get lines(): ReadonlyMap<string, ClearingLine> {
    return this.lineBook.lines;
  }

  /** Where new and undone lines land in month `current` (actors/clearing_lines.ts). */
  batchesIn(current: number): LineBatches {
    const isOpen = (batch: number) => !this.batches.has(batch);
    const batchFor = (month: number) => (isOpen(month) ? month : current);
    return { batchFor, droppable: (line) => isOpen(line.batch), current: () => current };
  }

  /**
   * One month's obligations between the province's regions, from the lines of its batch (a
   * reversal counts against its line), netted multilaterally per region.
   */
  netting(month: number, dropFirstPair: boolean): Pick<ProvincialBatch, 'positions' | 'cleared'> {
    const local = (line: ClearingLine) => line.payerRegion === line.payeeRegion;
    const obligations = obligationsOf(this.lines.values(), month, local);
    let regional = splitByScope(obligations).provincial.get(this.province) ?? [];
    // The negative control `dropsRegionPair`: the batch forgets its first region pair.
    // Stryker disable all: the broken variant; its negative control (transfer.property.ts) tests
    // it, and `npm run mutate` leaves the controls out.
    if (dropFirstPair && regional.length > 0) {
      const [first] = regional;
      regional = regional.filter((o) => o.payer !== first!.payer || o.payee !== first!.payee);
    }
    // Stryker restore all
    const net = netMultilateral(buildMatrix(regional)).positions;
    let cleared = 0n;
    for (const o of regional) cleared += o.amount;
    return { positions: [...net].filter(([, fen]) => fen !== 0n), cleared };
  }
}

/** K8, provincially: month M clears on day 10 of M+1 at 02:00, or the next working day. */
export function provincialClearingAt(calendar: Calendar, month: number): number {
  const start = calendar.startOfMonthMs(nextMonthKey(month));
  const day10 = start + (APPLICATION_DAY_LAST - 1) * DAY_MS + RECONCILE_HOUR * HOUR_MS;
  return calendar.onWorkingDay(day10);
}
