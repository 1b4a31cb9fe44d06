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
    }
  | {
      /**
       * The node's clock is off: it reads virtual time + offsetMs, and runs fast or slow by
       * driftPpm from the fault's start. Its timers fire when its own clock says so. The heal
       * steps the clock back to the true time (an NTP step).
       */
      readonly type: 'skew';
      readonly at: number;
      readonly durationMs: number;
      readonly node: string;
      readonly offsetMs: number;
      readonly driftPpm: number;
    }
  | {
      /** The node's process stops (a GC pause, a VM migration): what reaches it waits, late. */
      readonly type: 'pause';
      readonly at: number;
      readonly durationMs: number;
      readonly node: string;
    }
  | {
      /** Messages from A to B (and back, unless oneWay) are held until the clog clears. */
      readonly type: 'clog';
      readonly at: number;
      readonly durationMs: number;
      readonly groupA: readonly string[];
      readonly groupB: readonly string[];
      readonly oneWay: boolean;
    }
  | {
      /**
       * The node stops and starts again after the duration. wipe: its durable data is lost and
       * it starts from its last backup (the records it opened the run with), a disaster drill.
       */
      readonly type: 'reboot';
      readonly at: number;
      readonly durationMs: number;
      readonly node: string;
      readonly wipe: boolean;
    }
  | {
      /**
       * The node's disk misbehaves on a share (rate) of its syncs. lostWrite: the sync says
       * done and the batch is not on disk (an fsync that lies). tornWrite: the power fails
       * during the write, part of the batch reaches the disk, and the node is down until the
       * fault ends.
       */
      readonly type: 'storage';
      readonly at: number;
      readonly durationMs: number;
      readonly node: string;
      readonly mode: StorageFault;
      readonly rate: number;
    }
  | {
      /**
       * The broker redelivers: a share of messages comes again delayMs later (an ack that timed
       * out; past a dedup window of the broker's, a duplicate gets through).
       */
      readonly type: 'redeliver';
      readonly at: number;
      readonly durationMs: number;
      readonly rate: number;
      readonly delayMs: number;
    }
  | {
      /**
       * A faulty trusted peer: a share of what the node sends is followed by a valid message of
       * the same kind from the same (allowed) sender that lies about the business id, the
       * amount, or the target.
       */
      readonly type: 'peer';
      readonly at: number;
      readonly durationMs: number;
      readonly node: string;
      readonly lie: PeerLie;
      readonly rate: number;
    };

export type FaultType = FaultEvent['type'];
export const FAULT_TYPES: readonly FaultType[] = [
  'partition',
  'crash',
  'loss',
  'duplicate',
  'reorder',
  'skew',
  'pause',
  'clog',
  'reboot',
  'storage',
  'redeliver',
  'peer',
];

export const STORAGE_FAULTS = ['lostWrite', 'tornWrite'] as const;
type StorageFault = (typeof STORAGE_FAULTS)[number];
export const PEER_LIES = ['id', 'amount', 'target'] as const;
export type PeerLie = (typeof PEER_LIES)[number];

/** A fault that names one node (crash, skew, pause, reboot, storage, peer). */
export type NodeFault = Extract<FaultEvent, { node: string }>;

/**
 * Faults the protocol must survive with every invariant intact, and those it can only detect:
 * a node that loses acknowledged data (a wipe, a lying sync) or a trusted peer that lies (a
 * Byzantine fault: roles are trusted, decision 54) can break money's invariants, and the checks
 * must then name what was lost or what was lied about.
 */
export function detectOnly(fault: FaultEvent): boolean {
  return (
    (fault.type === 'reboot' && fault.wipe) ||
    (fault.type === 'storage' && fault.mode === 'lostWrite') ||
    fault.type === 'peer'
  );
}

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

/**
 * How far a deadline can be off because a skewed clock stamped it: the largest clock error of
 * the schedule (its offset, and what its drift adds over the skew). A binding's expiry stamped by
 * a shard 5 minutes ahead expires 5 minutes late in true time, whatever the protocol does, so
 * the liveness bound of a run is widened by this much (0 without skews).
 */
export function clockErrorMsMax(faults: readonly FaultEvent[]): number {
  let max = 0;
  for (const f of faults) {
    if (f.type !== 'skew') continue;
    const drift = Math.ceil((Math.abs(f.driftPpm) * f.durationMs) / 1_000_000);
    max = Math.max(max, Math.abs(f.offsetMs) + drift);
  }
  return max;
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
    case 'clog':
      return (
        `${span} ${fault.type} [${fault.groupA.join(',')}] ` +
        `${fault.oneWay ? '->' : '<->'} [${fault.groupB.join(',')}]`
      );
    case 'crash':
    case 'pause':
      return `${span} ${fault.type} ${fault.node}`;
    case 'reorder':
      return `${span} reorder ${fault.rate} up to ${fault.delayMsMax}ms`;
    case 'skew':
      return `${span} skew ${fault.node} ${fault.offsetMs}ms ${fault.driftPpm}ppm`;
    case 'reboot':
      return `${span} reboot ${fault.node}${fault.wipe ? ' wiping its data' : ''}`;
    case 'storage':
      return `${span} storage ${fault.mode} ${fault.node} ${fault.rate}`;
    case 'redeliver':
      return `${span} redeliver ${fault.rate} after ${fault.delayMs}ms`;
    case 'peer':
      return `${span} peer ${fault.node} lies about the ${fault.lie} ${fault.rate}`;
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
