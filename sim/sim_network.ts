// The deterministic in-process network: per-link latency (log-normal), background loss and
// duplication, and the faults of the schedule (partitions, one-way partitions, loss, duplicates,
// reordering) switched on and off on the virtual clock. All draws come from one seeded Prng.
import type { Transport } from '../host/actor_host.ts';
import { expandSelectors, type FaultEvent } from '../world/faults.ts';
import { linkMatches, type NetworkConfig } from '../world/network.ts';
import type { Prng } from '../world/prng.ts';

interface Link {
  readonly latencyMsMedian: number;
  readonly lossRate: number;
  readonly duplicateRate: number;
  /** Both ends at one site: the fixed local latency instead of a draw. */
  readonly local: boolean;
}

interface Cut {
  readonly fault: FaultEvent;
  readonly a: ReadonlySet<string>;
  readonly b: ReadonlySet<string>;
  readonly oneWay: boolean;
}

export type Deliver = (at: number, from: string, to: string, frame: Uint8Array) => void;

export class SimNetwork implements Transport {
  sent = 0;
  lost = 0;
  duplicated = 0;
  reordered = 0;
  /** Resolved links, by sender then receiver (no string keys built per message). */
  private readonly links = new Map<string, Map<string, Link>>();
  private cuts: Cut[] = [];
  /** Active loss, duplicate and reorder faults (partitions are in `cuts`). */
  private rateFaults: Array<Extract<FaultEvent, { rate: number }>> = [];

  constructor(
    private readonly config: NetworkConfig,
    private readonly prng: Prng,
    private readonly addresses: readonly string[],
    private readonly siteOf: (address: string) => string,
    private readonly now: () => number,
    private readonly deliver: Deliver,
  ) {}

  send(from: string, to: string, frame: Uint8Array): void {
    this.sent++;
    const link = this.link(from, to);
    if (this.prng.chance(this.rate(link.lossRate, 'loss'))) {
      this.lost++;
      return;
    }
    this.deliver(this.now() + this.latency(link), from, to, frame);
    if (this.prng.chance(this.rate(link.duplicateRate, 'duplicate'))) {
      this.duplicated++;
      this.deliver(this.now() + this.latency(link), from, to, frame);
    }
  }

  /** Is the link from → to cut by a partition right now? Checked again at delivery time. */
  isCut(from: string, to: string): boolean {
    for (const cut of this.cuts) {
      if (cut.a.has(from) && cut.b.has(to)) return true;
      if (!cut.oneWay && cut.b.has(from) && cut.a.has(to)) return true;
    }
    return false;
  }

  start(fault: FaultEvent): void {
    if (fault.type === 'partition') {
      const a = new Set(expandSelectors(fault.groupA, this.addresses, 'partition groupA'));
      const b = new Set(expandSelectors(fault.groupB, this.addresses, 'partition groupB'));
      this.cuts.push({ fault, a, b, oneWay: fault.oneWay });
    } else if (fault.type !== 'crash') {
      this.rateFaults.push(fault);
    } // crashes belong to the simulation's hosts, not to the network
  }

  stop(fault: FaultEvent): void {
    this.cuts = this.cuts.filter((cut) => cut.fault !== fault);
    this.rateFaults = this.rateFaults.filter((active) => active !== fault);
  }

  /** Probability that the base rate or any active fault of this type strikes. */
  private rate(base: number, type: 'loss' | 'duplicate'): number {
    let none = 1 - base;
    for (const fault of this.rateFaults) if (fault.type === type) none *= 1 - fault.rate;
    return 1 - none;
  }

  private latency(link: Link): number {
    let ms = link.local
      ? this.config.localLatencyMs
      : this.prng.lognormal(link.latencyMsMedian, this.config.latencySigma);
    for (const fault of this.rateFaults) {
      if (fault.type === 'reorder' && this.prng.chance(fault.rate)) {
        this.reordered++;
        ms += this.prng.float() * fault.delayMsMax;
      }
    }
    return Math.max(0, Math.round(ms));
  }

  private link(from: string, to: string): Link {
    let fromLinks = this.links.get(from);
    if (fromLinks === undefined) this.links.set(from, (fromLinks = new Map()));
    let link = fromLinks.get(to);
    if (link === undefined) fromLinks.set(to, (link = this.resolveLink(from, to)));
    return link;
  }

  /** The configured link, the last matching override winning field by field. */
  private resolveLink(from: string, to: string): Link {
    let { latencyMsMedian, lossRate, duplicateRate } = this.config;
    for (const o of this.config.links) {
      if (!linkMatches(o.from, from) || !linkMatches(o.to, to)) continue;
      latencyMsMedian = o.latencyMsMedian ?? latencyMsMedian;
      lossRate = o.lossRate ?? lossRate;
      duplicateRate = o.duplicateRate ?? duplicateRate;
    }
    return {
      latencyMsMedian,
      lossRate,
      duplicateRate,
      local: this.siteOf(from) === this.siteOf(to),
    };
  }
}
