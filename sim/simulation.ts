// One deterministic run: build the world from a scenario and its seed, then pop events from the
// single virtual clock until nothing is left to do. Every delivered message is checked.
import { APP_ADDRESS } from '../actors/addresses.ts';
import { Calendar, formatDate, parseDate } from '../actors/calendar.ts';
import { returnAtMs } from '../actors/calendar.ts';
import { DAY_MS } from '../actors/config.ts';
import {
  type ActorFactory,
  ActorHost,
  type HostEnvironment,
  type HostObserver,
  type StepTap,
} from '../host/actor_host.ts';
import { MemoryStore } from '../host/store.ts';
import { formatFen } from '../protocol/index.ts';
import { decodeEnvelope } from '../protocol/index.ts';
import { AppClient } from '../world/app_client.ts';
import { buildWorld, type World } from '../world/build.ts';
import { Checkers } from '../world/checkers.ts';
import { isTransferKind } from '../world/comparison.ts';
import {
  clockErrorMsMax,
  describeFault,
  type FaultEvent,
  fmtTime,
  lastHealAt,
  type NodeFault,
} from '../world/faults.ts';
import { finalChecks } from '../world/final_checks.ts';
import type { Requests } from '../world/final_input.ts';
import { MONEY_CLASSES } from '../world/invariants.ts';
import { log } from '../world/log.ts';
import { siteOf } from '../world/network.ts';
import { type Parties, readParties } from '../world/parties.ts';
import { Prng } from '../world/prng.ts';
import { recount } from '../world/recount.ts';
import { type DayPart, ratesOf, type RatesPart, requestsByKind } from '../world/result.ts';
import type { Scenario } from '../world/scenario.ts';
import {
  clearingOfActors,
  faultWindows,
  type RunPictures,
  type SequencePart,
  TimelineCollector,
} from '../world/timeline.ts';
import type { Intent } from '../world/workload.ts';
import { EventQueue } from './event_queue.ts';
import { SimNetwork } from './sim_network.ts';
import { Trace } from './trace.ts';

/** F5 (K8): a month is cleared by day 20 of the next, plus funding and disbursal: 21 days. */
const CLEARING_DAYS_MS = 21 * 86_400_000;

type Item =
  | {
      readonly k: 'deliver';
      readonly from: string;
      readonly to: string;
      readonly frame: Uint8Array;
    }
  | {
      readonly k: 'timer';
      readonly host: ActorHost;
      readonly key: string;
      readonly token: number;
      readonly epoch: number;
    }
  | {
      readonly k: 'sync';
      readonly host: ActorHost;
      readonly epoch: number;
      /** The batch's keys, kept only where a disk can lie (to know what a lie lost). */
      readonly keys?: readonly string[];
    }
  | { readonly k: 'intent'; readonly index: number }
  | { readonly k: 'faultStart' | 'faultStop'; readonly fault: FaultEvent };

export interface Progress {
  readonly virtualMs: number;
  readonly deliveries: number;
  readonly intentsSubmitted: number;
  readonly intentsTotal: number;
}

export interface SimulationHooks {
  /** Called every `progressEvery` deliveries. */
  readonly onProgress?: (progress: Progress) => void;
  readonly progressEvery?: number;
  /** Sees every input each actor steps on (the bench replays them without network or checks). */
  readonly tap?: StepTap;
  /** Sees every delivered frame (the CLI's --trace writes them out). */
  readonly onDelivery?: (at: number, from: string, to: string, frame: Uint8Array) => void;
  /**
   * Sees every batch of records a store makes durable, as it does (the coverage's machine states
   * by active fault, properties/coverage.ts); a torn write shows the part that was kept.
   */
  readonly onDurable?: (
    at: number,
    address: string,
    keys: readonly string[],
    values: readonly unknown[],
  ) => void;
  /** Live wallets per shard (actors/wallet_table.ts): a memory knob that changes no outcome. */
  readonly hotWallets?: number;
  /**
   * Let each request go once it is submitted (the CLI does): at a national day's millions of
   * bills that is a few hundred bytes each the run no longer needs. `world.workload` then has
   * holes; the counts a result needs are kept (`Simulation.workloadCounts`).
   */
  readonly releaseSubmitted?: boolean;
  /** Called as each of the workload's days ends (the CLI prints a line and times it). */
  readonly onDay?: (day: DayStats) => void;
  /** Sample the run over virtual time for report.html (`Simulation.pictures` after the run). */
  readonly timeline?: boolean;
  /**
   * Count the transfer protocol's messages and the durable writes their steps stage
   * (`transferMessages`, `transferWrites`), for `gongji compare`: a decode per delivery.
   */
  readonly transferCost?: boolean;
}

/** The first violation seen after a step, with the deliveries that led to it. */
interface FirstViolation {
  readonly at: number;
  readonly address: string;
  readonly invariant: string;
  readonly detail: string;
  readonly messages: SequencePart['messages'];
  readonly skipped: number;
}

/** One virtual day of the workload, as the run saw it: deterministic, no wall time. */
export type DayStats = Omit<DayPart, 'wallMs'>;

export class Simulation implements HostEnvironment, HostObserver {
  readonly world: World;
  /** Every actor's host, the app's last: the order hosts start in. */
  readonly hosts: ReadonlyMap<string, ActorHost>;
  readonly checkers: Checkers;
  readonly trace = new Trace();
  readonly network: SimNetwork;
  readonly app: AppClient;
  readonly codecRejections = new Map<string, number>();
  readonly lastHealAt: number;
  virtualMs = 0;
  deliveries = 0;
  /** With the transferCost hook: transfer-protocol deliveries, and the writes they caused. */
  transferMessages = 0;
  transferWrites = 0;
  droppedPartition = 0;
  droppedDown = 0;
  /** The workload's size, its requests by kind and its rates: kept when requests are let go. */
  readonly workloadTotal: number;
  readonly workloadCounts: Record<string, number>;
  readonly workloadRates: RatesPart;
  /** The workload's days, each closed as virtual time passes its end. */
  readonly days: DayStats[] = [];
  private readonly dayRequests: number[];
  private nextDayMs = DAY_MS;
  private dayMark = { transfersCompleted: 0, billsSettled: 0, deliveries: 0 };
  private readonly queue = new EventQueue<Item>();
  /** The safety horizon, from the whole workload: reckoned before any request is let go. */
  private horizon: number | undefined;
  private readonly calendar: Calendar;
  private readonly appHost: ActorHost;
  private readonly timeline: TimelineCollector | undefined;
  private firstViolation: FirstViolation | undefined;
  /** The node faults active now, by node (skews, pauses, disks); empty in most runs. */
  private readonly nodeFaults = new Map<string, NodeFault[]>();
  /** What each node opened with, kept only for nodes a wipe will restore (their backup). */
  private readonly backups = new Map<string, Map<string, unknown>>();
  /** Draws for node faults (a disk's lies, a torn write's length): a stream of their own. */
  private readonly faultPrng: Prng;
  /** Faults the run injected, by type (counted at their start), and what they did. */
  readonly faultCounts = new Map<string, number>();
  readonly faultEffects = { lostWrites: 0, tornWrites: 0, wipes: 0, paused: 0, clogged: 0 };
  /** Set by `finish` when the run samples a timeline. */
  pictures: RunPictures | undefined;

  constructor(
    readonly scenario: Scenario,
    private readonly hooks: SimulationHooks = {},
  ) {
    const prng = new Prng(scenario.seed);
    this.calendar = new Calendar(parseDate(scenario.protocol.startDate));
    const worldPrng = prng.fork();
    // The network needs every address, and every host needs the network: hosts send through this.
    const transport = {
      send: (from: string, to: string, frame: Uint8Array) => this.network.send(from, to, frame),
    };
    this.world = buildWorld(scenario, worldPrng, { hotWallets: hooks.hotWallets });
    // The workload is drawn now; the people it was drawn from are the actors' records from here.
    this.world.releasePopulation();
    // The world is this simulation's own: each store takes its actor's opening map over.
    const wiped = new Set(
      scenario.faults.flatMap((f) => (f.type === 'reboot' && f.wipe ? [f.node] : [])),
    );
    const host = (address: string, make: ActorFactory, records: Map<string, unknown>) => {
      if (wiped.has(address)) this.backups.set(address, new Map(records));
      const store = MemoryStore.adopting(records);
      const { onDurable } = hooks;
      if (onDurable !== undefined) {
        const apply = store.apply.bind(store);
        store.apply = (keys, values) => {
          apply(keys, values);
          onDurable(this.virtualMs, address, keys, values);
        };
      }
      return new ActorHost(address, make, store, transport, this.environmentOf(address), this, {
        writeAhead: scenario.writeAhead,
        atomicBatches: scenario.atomicBatches,
        tap: hooks.tap,
      });
    };
    const hosts = new Map<string, ActorHost>();
    for (const [address, spec] of this.world.actors)
      hosts.set(address, host(address, spec.make, spec.opening));
    hosts.set(
      APP_ADDRESS,
      host(APP_ADDRESS, () => new AppClient(APP_ADDRESS, scenario.protocol), new Map()),
    );
    this.hosts = hosts;
    this.network = new SimNetwork(
      scenario.network,
      prng.fork(),
      [...hosts.keys()],
      siteOf,
      () => this.virtualMs,
      (at, from, to, frame) => this.queue.push(at, { k: 'deliver', from, to, frame }),
    );
    this.faultPrng = prng.fork();
    const { openingTotal, openingFunds, openingClearing } = this.world;
    this.checkers = new Checkers(openingTotal, openingFunds, openingClearing);
    this.appHost = hosts.get(APP_ADDRESS) as ActorHost;
    // Each actor arms what its records say is scheduled (a province's next month, P4).
    for (const actorHost of hosts.values()) actorHost.start();
    this.app = this.appHost.current as AppClient;
    this.lastHealAt = lastHealAt(scenario.faults);
    for (const fault of scenario.faults) this.queue.push(fault.at, { k: 'faultStart', fault });
    if (this.world.workload.length > 0) {
      this.queue.push((this.world.workload[0] as Intent).at, { k: 'intent', index: 0 });
    }
    this.workloadTotal = this.world.workload.length;
    this.workloadCounts = requestsByKind(this.world.workload);
    this.workloadRates = ratesOf(
      this.world.workload,
      scenario.workload.scale ?? 1,
      scenario.workload.days ?? 1,
    );
    if (hooks.timeline) {
      const lastIntentAt = this.world.workload.at(-1)?.at ?? 0;
      this.timeline = new TimelineCollector(
        Math.max(lastIntentAt, this.lastHealAt) + 4 * scenario.checks.lifecycleBoundMs,
        [...hosts.keys()].filter((a) => a.startsWith('province.')),
        scenario.faults,
        this.checkers.opening,
      );
    }
    this.dayRequests = new Array<number>(scenario.workload.days ?? 1).fill(0);
    for (const intent of this.world.workload) {
      const day = Math.floor(intent.at / DAY_MS);
      if (day < this.dayRequests.length) this.dayRequests[day]!++;
    }
  }

  /** Close every workload day that virtual time has passed (at the end: every one left). */
  private closeDays(all: boolean): void {
    while (
      this.days.length < this.dayRequests.length &&
      (all || this.virtualMs >= this.nextDayMs)
    ) {
      const day = this.days.length;
      const { transfersCompleted, billsSettled } = this.checkers;
      const stats: DayStats = {
        day,
        date: formatDate(this.calendar.dateAt(day * DAY_MS)),
        requests: this.dayRequests[day] ?? 0,
        transfersCompleted: transfersCompleted - this.dayMark.transfersCompleted,
        billsSettled: billsSettled - this.dayMark.billsSettled,
        deliveries: this.deliveries - this.dayMark.deliveries,
      };
      this.dayMark = { transfersCompleted, billsSettled, deliveries: this.deliveries };
      this.days.push(stats);
      this.nextDayMs += DAY_MS;
      this.hooks.onDay?.(stats);
    }
  }

  /** Run to quiescence (or to the safety horizon), then run the final checks. */
  run(): this {
    return this.advance().finish();
  }

  /** Deliver, fire and submit until quiescence (or the safety horizon); no final checks. */
  advance(): this {
    const horizon = (this.horizon ??= this.horizonMs());
    const every = this.hooks.progressEvery ?? 20_000;
    const checkpointEvery = this.scenario.checks.checkpointEveryDeliveries;
    for (let item = this.queue.pop(); item !== undefined; item = this.queue.pop()) {
      // Past the horizon the clock stays where the last event left it (a next month's timer
      // is still queued, for instance): the run ends at its last event, not at that timer.
      if (this.queue.lastAt > horizon) break;
      this.virtualMs = this.queue.lastAt;
      if (this.virtualMs >= this.nextDayMs) this.closeDays(false);
      if (this.timeline !== undefined && this.virtualMs >= this.timeline.nextMark)
        this.timeline.advance(this.virtualMs, this.checkers.money, this.checkers.transfersInFlight);
      if (item.k === 'deliver') {
        // A dropped message leaves the count where it was: checkpoint once per multiple only.
        if (!this.deliver(item.from, item.to, item.frame)) continue;
        if (this.deliveries % checkpointEvery === 0) this.checkpoint();
        if (this.hooks.onProgress && this.deliveries % every === 0)
          this.hooks.onProgress(this.progress());
      } else {
        this.dispatch(item);
      }
    }
    return this;
  }

  /** The final recount and checks of a run that has advanced to its end. */
  finish(): this {
    this.closeDays(true);
    this.checkpoint();
    const parties = readParties(this.hosts.values());
    finalChecks(
      {
        parties,
        outcomes: this.checkers,
        requests: this.requests(),
        protocol: this.scenario.protocol,
        // A deadline a skewed clock stamped is off by that clock's error (clockErrorMsMax).
        lifecycleBoundMs:
          this.scenario.checks.lifecycleBoundMs + clockErrorMsMax(this.scenario.faults),
        lastHealAt: this.lastHealAt,
        horizon: 'end',
        endMs: this.virtualMs,
        openingFunds: this.world.openingFunds,
      },
      this.checkers.fail,
    );
    if (this.timeline !== undefined) this.pictures = this.picturesOf(this.timeline, parties);
    return this;
  }

  private picturesOf(timeline: TimelineCollector, parties: Parties): RunPictures {
    const opened = new Map<string, bigint>();
    for (const [key, { opened: fen }] of parties.regionFunds) {
      const province = key.endsWith('/pool')
        ? key.slice(0, -'/pool'.length)
        : `province.${key.slice(0, 2)}`;
      opened.set(province, (opened.get(province) ?? 0n) + fen);
    }
    return {
      timeline: timeline.finish(
        this.virtualMs,
        this.checkers.money,
        this.checkers,
        opened,
        this.checkers.transfersInFlight,
      ),
      clearing: clearingOfActors(this.hosts.values()),
      sequence: this.sequence(),
    };
  }

  /** A failed run's deliveries up to its first violation (or its end), for the diagram. */
  private sequence(): SequencePart | null {
    if (this.checkers.ok) return null;
    const messages = this.trace.messages();
    const first = this.firstViolation ?? {
      at: this.virtualMs,
      address: null,
      ...(this.checkers.lastViolation ?? { invariant: '?', detail: '' }),
      messages,
      skipped: Math.max(0, this.deliveries - messages.length),
    };
    const { invariant, detail } = first;
    const named = new Set(detail.match(/[\w.:-]+/g) ?? []);
    const highlight = [...new Set(first.messages.map((m) => m.corr))].filter(
      (corr) => corr !== '' && named.has(corr),
    );
    return {
      messages: first.messages,
      skipped: first.skipped,
      violation: { at: first.at, address: first.address, invariant, detail },
      highlight,
      faults: faultWindows(this.scenario.faults),
    };
  }

  /** The first violation after a step: keep the deliveries that led to it. */
  private noteViolation(address: string, before: number): void {
    if (this.firstViolation !== undefined || this.checkers.violations === before) return;
    const messages = this.trace.messages();
    this.firstViolation = {
      at: this.virtualMs,
      address,
      ...(this.checkers.lastViolation as NonNullable<Checkers['lastViolation']>),
      messages,
      skipped: this.deliveries - messages.length,
    };
  }

  /** What the app says of the workload's requests. */
  requests(): Requests {
    const { app } = this;
    return {
      total: this.workloadTotal,
      submitted: app.submitted,
      accepted: app.accepted,
      refused: app.refused,
      acceptedTransfers: app.acceptedTransfers,
      unanswered: app.pending.size + app.billsOpen + app.reconciliation.open,
      firstUnanswered: [...app.pending.keys(), ...app.openBills()].slice(0, 5),
    };
  }

  progress(): Progress {
    return {
      virtualMs: this.virtualMs,
      deliveries: this.deliveries,
      intentsSubmitted: this.app.submitted,
      intentsTotal: this.workloadTotal,
    };
  }

  checkpoint(): void {
    this.checkers.checkpoint(recount(this.hosts.values()));
  }

  // HostEnvironment
  now(): number {
    return this.virtualMs;
  }

  timer(host: ActorHost, at: number, key: string, token: number, epoch: number): void {
    this.queue.push(Math.max(at, this.virtualMs), { k: 'timer', host, key, token, epoch });
  }

  sync(host: ActorHost, epoch: number): void {
    this.queue.push(this.virtualMs + this.scenario.storeSyncMs, { k: 'sync', host, epoch });
  }

  /**
   * A host's environment: the simulation's, except that a node whose clock can be skewed reads
   * its own clock and has its timers fire by it, and a node whose disk can lie keeps its batches'
   * keys. Other nodes get the simulation itself: no cost where no such fault is scheduled.
   */
  private environmentOf(address: string): HostEnvironment {
    const faults = this.scenario.faults.filter((f) => 'node' in f && f.node === address);
    const skewed = faults.some((f) => f.type === 'skew');
    const lying = faults.some((f) => f.type === 'storage');
    if (!skewed && !lying) return this;
    return {
      now: skewed ? () => this.clockOf(address) : () => this.virtualMs,
      timer: skewed
        ? (host, at, key, token, epoch) =>
            this.queue.push(this.virtualMs + this.delayOf(address, at), {
              k: 'timer',
              host,
              key,
              token,
              epoch,
            })
        : (host, at, key, token, epoch) => this.timer(host, at, key, token, epoch),
      sync: lying
        ? (host, epoch, keys) =>
            this.queue.push(this.virtualMs + this.scenario.storeSyncMs, {
              k: 'sync',
              host,
              epoch,
              keys,
            })
        : (host, epoch) => this.sync(host, epoch),
    };
  }

  /** The skew fault of a node now, if its clock is off. */
  private skewOf(address: string): Extract<FaultEvent, { type: 'skew' }> | undefined {
    return this.nodeFaults.get(address)?.find((f) => f.type === 'skew') as
      Extract<FaultEvent, { type: 'skew' }> | undefined;
  }

  /** What the node's clock reads now: virtual time, off by its skew and drift. */
  clockOf(address: string): number {
    const skew = this.skewOf(address);
    if (skew === undefined) return this.virtualMs;
    const drift = Math.trunc(((this.virtualMs - skew.at) * skew.driftPpm) / 1_000_000);
    return Math.max(0, this.virtualMs + skew.offsetMs + drift);
  }

  /**
   * How long, in true time, until a timer the node arms for `at` by its own clock fires. As on
   * NATS (a setTimeout of `at − now`), the wait is measured from now on the node's oscillator,
   * which runs fast or slow by its drift; a later step of its clock does not move the timer.
   */
  private delayOf(address: string, at: number): number {
    const skew = this.skewOf(address);
    const wait = Math.max(0, at - this.clockOf(address));
    if (skew === undefined) return wait;
    return Math.ceil(wait / (1 + skew.driftPpm / 1_000_000));
  }

  // HostObserver
  durable(address: string, events: Parameters<HostObserver['durable']>[1]): void {
    this.checkers.durable(address, events, this.virtualMs);
    this.timeline?.durable(address, events);
  }

  rejected(address: string, code: string, detail: string): void {
    const seen = (this.codecRejections.get(code) ?? 0) + 1;
    this.codecRejections.set(code, seen);
    // Counted always; logged for the first few of each kind, so garbage cannot flood the log.
    if (seen <= 5)
      log.warn({ address, code, detail, at: this.virtualMs }, 'frame refused at the boundary');
  }

  /** Deliver a frame unless its link is cut or its node is down; true if it was delivered. */
  private deliver(from: string, to: string, frame: Uint8Array): boolean {
    const host = this.hosts.get(to);
    if (host === undefined) return false;
    if (this.network.isCut(from, to)) {
      this.droppedPartition++;
      return false;
    }
    if (!host.up) {
      this.droppedDown++;
      return false;
    }
    // A clogged link, or a paused process: the message waits, it is not lost.
    const clogged = this.network.clogUntil(from, to);
    const held = Math.max(clogged, this.pausedUntil(to));
    if (held > this.virtualMs) {
      if (clogged > this.virtualMs) this.faultEffects.clogged++;
      else this.faultEffects.paused++;
      this.queue.push(held, { k: 'deliver', from, to, frame });
      return false;
    }
    this.deliveries++;
    this.trace.delivery(this.virtualMs, from, to, frame);
    this.timeline?.delivered();
    this.hooks.onDelivery?.(this.virtualMs, from, to, frame);
    const before = this.checkers.violations;
    if (this.hooks.transferCost) this.receiveCounted(host, frame);
    else host.receive(frame);
    this.checkers.check();
    if (this.timeline !== undefined) this.noteViolation(to, before);
    return true;
  }

  /** Receive, counting the frame and its step's writes if it is the transfer protocol's. */
  private receiveCounted(host: ActorHost, frame: Uint8Array): void {
    let kind = '';
    try {
      kind = decodeEnvelope(frame).kind;
    } catch {
      // garbage: the host refuses it, and it is no protocol's cost
    }
    const writes = host.stagedWrites;
    host.receive(frame);
    if (!isTransferKind(kind)) return;
    this.transferMessages++;
    this.transferWrites += host.stagedWrites - writes;
  }

  /** Until when the node's process is paused (0: it runs). */
  private pausedUntil(address: string): number {
    if (this.nodeFaults.size === 0) return 0;
    let until = 0;
    for (const f of this.nodeFaults.get(address) ?? [])
      if (f.type === 'pause') until = Math.max(until, f.at + f.durationMs);
    return until;
  }

  private dispatch(item: Exclude<Item, { k: 'deliver' }>): void {
    if ((item.k === 'timer' || item.k === 'sync') && this.nodeFaults.size > 0) {
      // A paused process does nothing until it resumes: its timers and its disk's answers wait.
      const paused = this.pausedUntil(item.host.address);
      if (paused > this.virtualMs) return this.queue.push(paused, item);
    }
    switch (item.k) {
      case 'timer':
        return item.host.fire(item.key, item.token, item.epoch);
      case 'sync': {
        const before = this.checkers.violations;
        if (item.keys !== undefined && this.diskFails(item)) return;
        item.host.synced(item.epoch);
        this.checkers.check();
        if (this.timeline !== undefined) this.noteViolation(item.host.address, before);
        return;
      }
      case 'intent':
        return this.submit(item.index);
      case 'faultStart':
        return this.startFault(item.fault);
      case 'faultStop':
        return this.stopFault(item.fault);
    }
  }

  private submit(index: number): void {
    const intent = this.world.workload[index] as Intent;
    this.appHost.local((actor, now, fx) => (actor as AppClient).submit(intent, now, fx));
    if (this.hooks.releaseSubmitted)
      (this.world.workload as Array<Intent | undefined>)[index] = undefined;
    const next = this.world.workload[index + 1];
    if (next !== undefined) this.queue.push(next.at, { k: 'intent', index: index + 1 });
  }

  private startFault(fault: FaultEvent): void {
    this.trace.event(this.virtualMs, `start ${describeFault(fault)}`);
    this.faultCounts.set(fault.type, (this.faultCounts.get(fault.type) ?? 0) + 1);
    if (fault.type === 'crash') this.hostOf(fault.node).crash();
    else if (fault.type === 'reboot') this.reboot(fault);
    else this.network.start(fault);
    if ('node' in fault && fault.type !== 'crash' && fault.type !== 'reboot') {
      const active = this.nodeFaults.get(fault.node) ?? [];
      this.nodeFaults.set(fault.node, [...active, fault]);
    }
    this.queue.push(fault.at + fault.durationMs, { k: 'faultStop', fault });
  }

  private stopFault(fault: FaultEvent): void {
    this.trace.event(this.virtualMs, `stop ${describeFault(fault)}`);
    if (fault.type === 'crash' || fault.type === 'reboot') this.restart(fault.node);
    else this.network.stop(fault);
    if ('node' in fault) {
      const active = (this.nodeFaults.get(fault.node) ?? []).filter((f) => f !== fault);
      if (active.length > 0) this.nodeFaults.set(fault.node, active);
      else this.nodeFaults.delete(fault.node);
      // A torn write left the node down until its disk's fault ends.
      if (fault.type === 'storage' && !this.hostOf(fault.node).up) this.restart(fault.node);
    }
  }

  private restart(address: string): void {
    this.hostOf(address).restart();
  }

  /** The node stops; with wipe, its durable data is gone and its backup is what it has. */
  private reboot(fault: Extract<FaultEvent, { type: 'reboot' }>): void {
    const host = this.hostOf(fault.node);
    host.crash();
    if (!fault.wipe) return;
    this.faultEffects.wipes++;
    const store = host.store as MemoryStore;
    const backup = this.backups.get(fault.node) as Map<string, unknown>;
    let changed = 0;
    for (const [key, value] of store.durable) if (backup.get(key) !== value) changed++;
    for (const key of backup.keys()) if (!store.durable.has(key)) changed++;
    const before = recount([host]);
    store.durable.clear();
    for (const [key, value] of backup) store.durable.set(key, value);
    if (changed === 0) return;
    const after = recount([host]);
    const money = MONEY_CLASSES.filter((cls) => before[cls] !== after[cls]).map(
      (cls) => `${cls} ${formatFen(before[cls])} → ${formatFen(after[cls])}`,
    );
    this.checkers.fail(
      'durability',
      `${fault.node} was wiped at ${fmtTime(this.virtualMs)} and restored from its opening ` +
        `backup: ${changed} records lost` +
        (money.length > 0 ? `, its money ${money.join(', ')}` : ', no money among them'),
    );
  }

  /**
   * A sync of a node whose disk is failing: a lie (the batch is not kept, and the host is told
   * it is) or a torn write (the power fails mid-batch). True when the sync is over (torn).
   */
  private diskFails(item: Extract<Item, { k: 'sync' }>): boolean {
    const { host } = item;
    const keys = item.keys as readonly string[];
    const disk = (this.nodeFaults.get(host.address) ?? []).find((f) => f.type === 'storage');
    if (
      disk?.type !== 'storage' ||
      !host.up ||
      item.epoch !== host.epoch ||
      !this.faultPrng.chance(disk.rate)
    )
      return false;
    if (disk.mode === 'tornWrite') {
      this.faultEffects.tornWrites++;
      host.powerFail(this.faultPrng.int(0, Math.max(0, keys.length - 1)));
      this.trace.event(this.virtualMs, `torn write ${host.address}`);
      return true;
    }
    this.faultEffects.lostWrites++;
    const before = this.checkers.violations;
    // The disk holds less than the node was told it holds, from now on (a later write of the
    // same record would put it back, but a crash meanwhile loses it, and the recount sees it).
    if (keys.length > 0)
      this.checkers.fail(
        'durability',
        `${host.address}'s disk lost ${keys.length} acknowledged writes at ` +
          `${fmtTime(this.virtualMs)}: ${keys.slice(0, 6).join(', ')}` +
          (keys.length > 6 ? ', …' : ''),
      );
    host.synced(item.epoch, false);
    this.checkers.check();
    if (this.timeline !== undefined) this.noteViolation(host.address, before);
    return true;
  }

  private hostOf(address: string): ActorHost {
    const host = this.hosts.get(address);
    if (host === undefined) throw new Error(`fault names unknown node ${address}`);
    return host;
  }

  /**
   * A safety net: past this, something retries forever and the lifecycle check will say what.
   * Scheduled work counts: the 06:00 returns after the last transfer (W11), and the expiry of
   * the last binding's face challenge (F1).
   */
  private horizonMs(): number {
    const config = this.scenario.protocol;
    const lastIntent = this.world.workload.at(-1)?.at ?? 0;
    let lastTransfer: number | undefined;
    let lastBind: number | undefined;
    for (const intent of this.world.workload) {
      if (intent.kind === 'transfer') lastTransfer = intent.at;
      else if (intent.kind === 'bind') lastBind = intent.at;
    }
    const scheduled = Math.max(
      lastTransfer !== undefined && config.requireReceipt ? returnAtMs(lastTransfer, config) : 0,
      lastBind !== undefined ? lastBind + config.bindAuthTtlMs : 0,
      // The month after the last request begins: its credits (P4) are booked; and the last
      // request's month is cleared (F5: statements on day 20 of the next month, then funding).
      this.calendar.nextMonthStartMs(lastIntent) + CLEARING_DAYS_MS,
    );
    return (
      Math.max(lastIntent, scheduled, this.lastHealAt) + 4 * this.scenario.checks.lifecycleBoundMs
    );
  }
}
