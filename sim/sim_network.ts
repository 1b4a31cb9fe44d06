// The deterministic in-process network: per-link latency (log-normal), background loss and
// duplication, and the faults of the schedule (partitions, one-way partitions, clogs, loss,
// duplicates, reordering, a broker's late redeliveries, and a faulty peer's lies) switched on and
// off on the virtual clock. All draws come from one seeded Prng.
import type { Transport } from '../host/actor_host.ts';
import { type AnyEnvelope, decodeEnvelope, encodeEnvelope } from '../protocol/index.ts';
import { expandSelectors, type FaultEvent, type PeerLie } from '../world/faults.ts';
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

type RateFault = Extract<FaultEvent, { type: 'loss' | 'duplicate' | 'reorder' | 'redeliver' }>;
type PeerFault = Extract<FaultEvent, { type: 'peer' }>;

export class SimNetwork implements Transport {
  sent = 0;
  lost = 0;
  duplicated = 0;
  reordered = 0;
  redelivered = 0;
  /** Lies a faulty peer told, by what they lie about. */
  readonly lies = { id: 0, amount: 0, target: 0 };
  /** The business ids (corr) lies were told about, as told and as forged. */
  readonly liedAbout = new Set<string>();
  /** Resolved links, by sender then receiver (no string keys built per message). */
  private readonly links = new Map<string, Map<string, Link>>();
  private cuts: Cut[] = [];
  private clogs: Cut[] = [];
  /** Active loss, duplicate, reorder and redeliver faults (partitions are in `cuts`). */
  private rateFaults: RateFault[] = [];
  private peers: PeerFault[] = [];

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
    const at = this.now() + this.latency(link);
    this.deliver(at, from, to, frame);
    if (this.prng.chance(this.rate(link.duplicateRate, 'duplicate'))) {
      this.duplicated++;
      this.deliver(this.now() + this.latency(link), from, to, frame);
    }
    if (this.rateFaults.length > 0) this.redeliver(at, from, to, frame);
    if (this.peers.length > 0) this.lie(from, to, frame);
  }

  /** An active redeliver fault may deliver the frame again, its delay after the first. */
  private redeliver(at: number, from: string, to: string, frame: Uint8Array): void {
    for (const fault of this.rateFaults) {
      if (fault.type !== 'redeliver' || !this.prng.chance(fault.rate)) continue;
      this.redelivered++;
      this.deliver(at + fault.delayMs, from, to, frame);
    }
  }

  /** A faulty peer follows a share of its frames with a lie of the same kind. */
  private lie(from: string, to: string, frame: Uint8Array): void {
    for (const fault of this.peers) {
      if (fault.node !== from || !this.prng.chance(fault.rate)) continue;
      const lie = this.forge(decodeEnvelope(frame), fault.lie);
      if (lie === null) continue;
      this.lies[fault.lie]++;
      this.liedAbout.add(lie.corr);
      this.liedAbout.add(decodeEnvelope(frame).corr);
      const link = this.link(from, lie.to);
      this.deliver(this.now() + this.latency(link), from, lie.to, encodeEnvelope(lie));
    }
  }

  /** The envelope with one lie told (null when it has nothing to lie about). */
  private forge(env: AnyEnvelope, lie: PeerLie): AnyEnvelope | null {
    const body = { ...(env.body as Record<string, unknown>) };
    const id = `${env.id.slice(0, 60)}.lie`;
    if (lie === 'target') {
      const role = env.to.slice(0, env.to.indexOf('.') + 1);
      const others = this.addresses.filter((a) => a.startsWith(role) && a !== env.to);
      if (others.length === 0) return null;
      const to = others[this.prng.int(0, others.length - 1)] as string;
      return { ...env, id, to } as AnyEnvelope;
    }
    const fields = Object.keys(body).filter((k) =>
      lie === 'id' ? k.endsWith('Id') && typeof body[k] === 'string' : typeof body[k] === 'bigint',
    );
    if (fields.length === 0) return null;
    for (const k of fields) {
      if (lie === 'id') body[k] = `${(body[k] as string).slice(0, 60)}.f`;
      else body[k] = (body[k] as bigint) + (body[k] as bigint) / 2n + 1n;
    }
    const corr = lie === 'id' ? `${env.corr.slice(0, 60)}.f` : env.corr;
    return { ...env, id, corr, body } as AnyEnvelope;
  }

  /** Until when the link from → to is clogged (0: it is not). Checked at delivery time. */
  clogUntil(from: string, to: string): number {
    let until = 0;
    for (const clog of this.clogs) {
      const hit =
        (clog.a.has(from) && clog.b.has(to)) ||
        (!clog.oneWay && clog.b.has(from) && clog.a.has(to));
      if (hit) until = Math.max(until, clog.fault.at + clog.fault.durationMs);
    }
    return until;
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
    switch (fault.type) {
      case 'partition':
      case 'clog': {
        const a = new Set(expandSelectors(fault.groupA, this.addresses, `${fault.type} groupA`));
        const b = new Set(expandSelectors(fault.groupB, this.addresses, `${fault.type} groupB`));
        (fault.type === 'clog' ? this.clogs : this.cuts).push({
          fault,
          a,
          b,
          oneWay: fault.oneWay,
        });
        return;
      }
      case 'loss':
      case 'duplicate':
      case 'reorder':
      case 'redeliver':
        this.rateFaults.push(fault);
        return;
      case 'peer':
        this.peers.push(fault);
        return;
      default:
      // crashes, reboots, pauses, skews and disks belong to the simulation's hosts
    }
  }

  stop(fault: FaultEvent): void {
    this.cuts = this.cuts.filter((cut) => cut.fault !== fault);
    this.clogs = this.clogs.filter((clog) => clog.fault !== fault);
    this.rateFaults = this.rateFaults.filter((active) => active !== fault);
    this.peers = this.peers.filter((active) => active !== fault);
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
