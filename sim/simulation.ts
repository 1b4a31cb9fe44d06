// One deterministic run: build the world from a scenario and its seed, then pop events from the
// single virtual clock until nothing is left to do. Every delivered message is checked.
import { APP_ADDRESS, SETTLEMENT_ADDRESS, provinceAddress, walletShardAddress, walletShardOf } from '../actors/addresses.ts';
import { openingRecords, personKey, type PersonRecord } from '../actors/account_book.ts';
import type { Actor, TransferScope } from '../actors/effects.ts';
import { ProvinceActor } from '../actors/province.actor.ts';
import { SettlementActor } from '../actors/settlement.actor.ts';
import { returnAtMs, type Relation as WalletRelation, type WalletStatus } from '../actors/wallet.machine.ts';
import { WalletMachines, WalletShardActor, walletKey } from '../actors/wallet_shard.actor.ts';
import { ActorHost, type HostEnvironment, type HostObserver, type StepTap } from '../cluster/host.ts';
import { MemoryStore } from '../cluster/memory_store.ts';
import type { Fen } from '../protocol/index.ts';
import { AppClient } from './app_client.ts';
import { Checkers } from './checkers.ts';
import { EventQueue } from './event_queue.ts';
import { describeFault, lastHealAt, type FaultEvent } from './faults.ts';
import { finalChecks } from './final_checks.ts';
import { buildPopulation, type Population } from './population.ts';
import { Prng } from './prng.ts';
import { recount } from './recount.ts';
import type { Scenario, ScriptedTransfer } from './scenario.ts';
import { SimNetwork } from './sim_network.ts';
import { buildTopology, smallTopology, type Topology } from './topology.ts';
import { Trace } from './trace.ts';
import { log } from './log.ts';
import { buildWorkload, intentId, type Intent, type TransferIntent } from './workload.ts';

type Item =
  | { readonly k: 'deliver'; readonly from: string; readonly to: string; readonly frame: Uint8Array }
  | { readonly k: 'timer'; readonly host: ActorHost; readonly key: string; readonly arg: number; readonly epoch: number }
  | { readonly k: 'sync'; readonly host: ActorHost; readonly epoch: number }
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
}

export interface World<H = ActorHost> {
  readonly scenario: Scenario;
  readonly topology: Topology;
  readonly population: Population;
  readonly workload: readonly Intent[];
  readonly hosts: ReadonlyMap<string, H>;
  readonly machines: WalletMachines;
  readonly openingTotal: Fen;
}

export class Simulation implements HostEnvironment, HostObserver {
  readonly world: World;
  readonly checkers: Checkers;
  readonly trace = new Trace();
  readonly network: SimNetwork;
  readonly app: AppClient;
  readonly codecRejections = new Map<string, number>();
  readonly lastHealAt: number;
  virtualMs = 0;
  deliveries = 0;
  droppedPartition = 0;
  droppedDown = 0;
  private readonly queue = new EventQueue<Item>();
  private readonly intentScopes = new Map<string, TransferScope>();
  private readonly appHost: ActorHost;

  constructor(
    readonly scenario: Scenario,
    private readonly hooks: SimulationHooks = {},
  ) {
    const prng = new Prng(scenario.seed);
    const worldPrng = prng.fork();
    // The network needs every address, and every host needs the network: hosts send through this.
    const transport = { send: (from: string, to: string, frame: Uint8Array) => this.network.send(from, to, frame) };
    this.world = buildWorld(scenario, worldPrng, (address, factory, records) =>
      new ActorHost(address, factory, new MemoryStore(records), transport, this, this, {
        writeAhead: scenario.writeAhead,
        tap: hooks.tap,
      }),
    );
    const addresses = [...this.world.hosts.keys()];
    this.network = new SimNetwork(scenario.network, prng.fork(), addresses, siteOf, () => this.virtualMs,
      (at, from, to, frame) => this.queue.push(at, { k: 'deliver', from, to, frame }));
    this.checkers = new Checkers(this.world.openingTotal);
    this.appHost = this.world.hosts.get(APP_ADDRESS) as ActorHost;
    this.app = this.appHost.current as AppClient;
    this.lastHealAt = lastHealAt(scenario.faults);
    for (const intent of this.world.workload) {
      if (intent.kind === 'transfer' || intent.kind === 'bind') this.intentScopes.set(intentId(intent), intent.scope);
    }
    for (const fault of scenario.faults) this.queue.push(fault.at, { k: 'faultStart', fault });
    if (this.world.workload.length > 0) {
      this.queue.push((this.world.workload[0] as Intent).at, { k: 'intent', index: 0 });
    }
  }

  /** Run to quiescence (or to the safety horizon), then run the final checks. */
  run(): this {
    const horizon = this.horizonMs();
    const every = this.hooks.progressEvery ?? 20_000;
    const checkpointEvery = this.scenario.checks.checkpointEveryDeliveries;
    for (let item = this.queue.pop(); item !== undefined; item = this.queue.pop()) {
      this.virtualMs = this.queue.lastAt;
      if (this.virtualMs > horizon) break;
      if (item.k === 'deliver') {
        // A dropped message leaves the count where it was: checkpoint once per multiple only.
        if (!this.deliver(item.from, item.to, item.frame)) continue;
        if (this.deliveries % checkpointEvery === 0) this.checkpoint();
        if (this.hooks.onProgress && this.deliveries % every === 0) this.hooks.onProgress(this.progress());
      } else {
        this.dispatch(item);
      }
    }
    this.checkpoint();
    finalChecks(this);
    return this;
  }

  /** The scope a workload intent was drawn for (refused requests never reach a saga). */
  scopeOfIntent(transferId: string): TransferScope | 'unknown' {
    return this.intentScopes.get(transferId) ?? 'unknown';
  }

  progress(): Progress {
    return {
      virtualMs: this.virtualMs,
      deliveries: this.deliveries,
      intentsSubmitted: this.app.submitted,
      intentsTotal: this.world.workload.length,
    };
  }

  checkpoint(): void {
    this.checkers.checkpoint(recount(this.world.hosts.values()));
  }

  // HostEnvironment
  now(): number {
    return this.virtualMs;
  }

  timer(host: ActorHost, at: number, key: string, arg: number, epoch: number): void {
    this.queue.push(Math.max(at, this.virtualMs), { k: 'timer', host, key, arg, epoch });
  }

  sync(host: ActorHost, epoch: number): void {
    this.queue.push(this.virtualMs + this.scenario.storeSyncMs, { k: 'sync', host, epoch });
  }

  // HostObserver
  durable(address: string, events: Parameters<HostObserver['durable']>[1]): void {
    this.checkers.durable(address, events, this.virtualMs);
  }

  rejected(address: string, code: string, detail: string): void {
    const seen = (this.codecRejections.get(code) ?? 0) + 1;
    this.codecRejections.set(code, seen);
    // Counted always; logged for the first few of each kind, so garbage cannot flood the log.
    if (seen <= 5) log.warn({ address, code, detail, at: this.virtualMs }, 'frame refused at the boundary');
  }

  /** Deliver a frame unless its link is cut or its node is down; true if it was delivered. */
  private deliver(from: string, to: string, frame: Uint8Array): boolean {
    const host = this.world.hosts.get(to);
    if (host === undefined) return false;
    if (this.network.isCut(from, to)) {
      this.droppedPartition++;
      return false;
    }
    if (!host.up) {
      this.droppedDown++;
      return false;
    }
    this.deliveries++;
    this.trace.delivery(this.virtualMs, from, to, frame);
    this.hooks.onDelivery?.(this.virtualMs, from, to, frame);
    host.receive(frame);
    this.checkers.check();
    return true;
  }

  private dispatch(item: Exclude<Item, { k: 'deliver' }>): void {
    switch (item.k) {
      case 'timer':
        return item.host.fire(item.key, item.arg, item.epoch);
      case 'sync':
        item.host.synced(item.epoch);
        return this.checkers.check();
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
    const next = this.world.workload[index + 1];
    if (next !== undefined) this.queue.push(next.at, { k: 'intent', index: index + 1 });
  }

  private startFault(fault: FaultEvent): void {
    this.trace.event(this.virtualMs, `start ${describeFault(fault)}`);
    if (fault.type === 'crash') this.hostOf(fault.node).crash();
    else this.network.start(fault);
    this.queue.push(fault.at + fault.durationMs, { k: 'faultStop', fault });
  }

  private stopFault(fault: FaultEvent): void {
    this.trace.event(this.virtualMs, `stop ${describeFault(fault)}`);
    if (fault.type === 'crash') this.hostOf(fault.node).restart();
    else this.network.stop(fault);
  }

  private hostOf(address: string): ActorHost {
    const host = this.world.hosts.get(address);
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
    );
    return Math.max(lastIntent, scheduled, this.lastHealAt) + 4 * this.scenario.checks.lifecycleBoundMs;
  }
}

/** Scripted transfers as intents, in time order (stable for equal times). */
export function scriptedWorkload(population: Population, transfers: readonly ScriptedTransfer[]): TransferIntent[] {
  const { relations } = population;
  if (transfers.length > 0 && relations.length === 0) throw new Error('scripted transfers need relations');
  const width = String(transfers.length).length;
  return transfers
    .map((t, i) => ({ t, i }))
    .sort((a, b) => a.t.at - b.t.at || a.i - b.i)
    .map(({ t, i }) => {
      const relation = relations[t.relation % relations.length] as (typeof relations)[number];
      return {
        kind: 'transfer' as const,
        at: t.at,
        transferId: `t${String(i).padStart(width, '0')}`,
        donorId: relation.donorId,
        recipientId: relation.recipientId,
        amount: t.amount,
        scope: relation.scope,
        source: 'ACCOUNT' as const,
      };
    });
}

/** Provinces are their own sites; the wallet shards, settlement and the app sit at the national platform. */
function siteOf(address: string): string {
  return address.startsWith('province.') ? address : 'national';
}

/** The scenario's world as the simulator builds it (same seed, same world), for other runtimes. */
export function worldOf<H>(scenario: Scenario, makeHost: MakeHost<H>): World<H> {
  return buildWorld(scenario, new Prng(scenario.seed).fork(), makeHost);
}

/** Makes whatever stands for one actor in a world: a host here, a spec for a cluster process. */
export type MakeHost<H> = (
  address: string,
  factory: (records: ReadonlyMap<string, unknown>) => Actor,
  records: ReadonlyMap<string, unknown>,
) => H;

export function buildWorld<H>(scenario: Scenario, prng: Prng, makeHost: MakeHost<H>): World<H> {
  const topology = scenario.topology.provinces === 'all'
    ? buildTopology({ regionsPerProvinceMax: scenario.topology.regionsPerProvinceMax })
    : smallTopology(scenario.topology.provinces, scenario.topology.regionsPerProvinceMax);
  const population = buildPopulation(topology, prng.fork(), scenario.population);
  const generated = prng.fork();
  const workload = scenario.transfers === undefined
    ? buildWorkload(population, generated, scenario.workload)
    : scriptedWorkload(population, scenario.transfers);
  const config = scenario.protocol;
  const machines = new WalletMachines(config);
  const hosts = new Map<string, H>();
  let openingTotal = 0n;

  // The civil registry's view of kinship (F1, E2): for each person, what they are to each donor
  // that has them as a relative, bound or not yet.
  const kinOf = new Map<string, Record<string, string>>();
  for (const relation of [...population.relations, ...population.candidates]) {
    const kin = kinOf.get(relation.recipientId) ?? {};
    kin[relation.donorId] = relation.kinship;
    kinOf.set(relation.recipientId, kin);
  }
  for (const province of topology.provinces) {
    const people = population.people.filter((person) => person.province === province.code);
    const accounts = people
      .filter((person) => person.ebmi)
      .map((person) => ({ id: person.id, region: person.region, balance: person.openingBalance }));
    for (const account of accounts) openingTotal += account.balance;
    const records = openingRecords(accounts);
    for (const person of people) {
      const record: PersonRecord = {
        name: person.name,
        idNo: person.idNo,
        region: person.region,
        enrolled: person.enrolled,
        kin: (kinOf.get(person.id) ?? {}) as PersonRecord['kin'],
      };
      records.set(personKey(person.id), record);
    }
    const address = provinceAddress(province.code);
    hosts.set(address, makeHost(address, (r) => new ProvinceActor(address, r), records));
  }

  // Relations bound before the run: active on both sides, the donor's copy and the recipient's.
  const relationsOf = new Map<string, Record<string, WalletRelation>>();
  const donorsOf = new Map<string, Record<string, WalletRelation>>();
  population.relations.forEach((relation, i) => {
    const recipient = population.personById.get(relation.recipientId);
    const donor = population.personById.get(relation.donorId);
    if (recipient === undefined || donor === undefined) throw new Error(`relation ${i} names an unknown person`);
    const bindId = `r${i}`;
    const own = relationsOf.get(relation.donorId) ?? {};
    own[relation.recipientId] = { kinship: relation.kinship, region: recipient.region, status: 'active', bindId };
    relationsOf.set(relation.donorId, own);
    const donors = donorsOf.get(relation.recipientId) ?? {};
    donors[relation.donorId] = { kinship: relation.kinship, region: donor.region, status: 'active', bindId };
    donorsOf.set(relation.recipientId, donors);
  });
  const shardRecords = Array.from({ length: config.walletShardCount }, () => new Map<string, unknown>());
  for (const person of population.people) {
    const status: WalletStatus = person.walletStatus;
    const snapshot = machines.openingSnapshot({
      walletId: person.id,
      region: person.region,
      status,
      ebmi: person.ebmi,
      relations: relationsOf.get(person.id) ?? {},
      donors: donorsOf.get(person.id) ?? {},
    });
    shardRecords[walletShardOf(person.id, config.walletShardCount)]?.set(walletKey(person.id), snapshot);
  }
  shardRecords.forEach((records, shard) => {
    const address = walletShardAddress(shard);
    hosts.set(address, makeHost(address, (r) => new WalletShardActor(address, r, machines), records));
  });
  hosts.set(SETTLEMENT_ADDRESS, makeHost(SETTLEMENT_ADDRESS, (r) => new SettlementActor(SETTLEMENT_ADDRESS, r), new Map()));
  hosts.set(APP_ADDRESS, makeHost(APP_ADDRESS, () => new AppClient(APP_ADDRESS, config), new Map()));
  return { scenario, topology, population, workload, hosts, machines, openingTotal };
}
