// Fault schedules are data (DESIGN §7): a list of timed events, each with a duration after which
// it heals. fast-check generates and shrinks these lists; scenario files spell them out.
// Node selectors are addresses ('province.51') or a role wildcard ('wallet.*').

export type FaultEvent =
  | {
      readonly type: 'partition';
      readonly at: number;
      readonly durationMs: number;
      readonly groupA: readonly string[];
      readonly groupB: readonly string[];
      /** true: only messages from A to B are cut (a one-way partition). */
      readonly oneWay: boolean;
    }
  | {
      readonly type: 'crash';
      readonly at: number;
      readonly durationMs: number;
      readonly node: string;
    }
  | {
      readonly type: 'loss';
      readonly at: number;
      readonly durationMs: number;
      readonly rate: number;
    }
  | {
      readonly type: 'duplicate';
      readonly at: number;
      readonly durationMs: number;
      readonly rate: number;
    }
  | {
      readonly type: 'reorder';
      readonly at: number;
      readonly durationMs: number;
      readonly rate: number;
      /** A reordered message is held back by up to this long. */
      readonly delayMsMax: number;
    };

export type FaultType = FaultEvent['type'];
export const FAULT_TYPES: readonly FaultType[] = [
  'partition',
  'crash',
  'loss',
  'duplicate',
  'reorder',
];

/** Does `selector` name `address`? */
function selects(selector: string, address: string): boolean {
  if (selector.endsWith('.*')) return address.startsWith(selector.slice(0, -1));
  return selector === address;
}

/** Expand selectors against the known addresses; an unknown selector is an error. */
export function expandSelectors(
  selectors: readonly string[],
  addresses: readonly string[],
  where: string,
): string[] {
  const out = new Set<string>();
  for (const selector of selectors) {
    const hits = addresses.filter((address) => selects(selector, address));
    if (hits.length === 0) throw new FaultScheduleError(`${where}: '${selector}' names no node`);
    for (const hit of hits) out.add(hit);
  }
  return [...out];
}

/** When the last fault heals (0 with no faults). */
export function lastHealAt(faults: readonly FaultEvent[]): number {
  let last = 0;
  for (const fault of faults) last = Math.max(last, fault.at + fault.durationMs);
  return last;
}

export function describeFault(fault: FaultEvent): string {
  const span = `${fmtTime(fault.at)}+${fault.durationMs}ms`;
  switch (fault.type) {
    case 'partition':
      return (
        `${span} partition [${fault.groupA.join(',')}] ` +
        `${fault.oneWay ? '->' : '<->'} [${fault.groupB.join(',')}]`
      );
    case 'crash':
      return `${span} crash ${fault.node}`;
    case 'reorder':
      return `${span} reorder ${fault.rate} up to ${fault.delayMsMax}ms`;
    default:
      return `${span} ${fault.type} ${fault.rate}`;
  }
}

/** Virtual ms since the start as D+HH:MM:SS.mmm (day 0 starts at 00:00 Beijing time). */
export function fmtTime(ms: number): string {
  const day = Math.floor(ms / 86_400_000);
  const rest = ms - day * 86_400_000;
  const h = Math.floor(rest / 3_600_000);
  const m = Math.floor((rest % 3_600_000) / 60_000);
  const s = Math.floor((rest % 60_000) / 1000);
  const milli = Math.floor(rest % 1000);
  const pad = (n: number, w = 2) => n.toString().padStart(w, '0');
  return `D${day}+${pad(h)}:${pad(m)}:${pad(s)}.${pad(milli, 3)}`;
}

class FaultScheduleError extends Error {
  override readonly name = 'FaultScheduleError';
}
