// One deterministic run: build the world from a scenario and its seed, then pop events from the
// single virtual clock until nothing is left to do. Every delivered message is checked.
import {
  APP_ADDRESS,
  SETTLEMENT_ADDRESS,
  provinceAddress,
  walletShardAddress,
  walletShardOf,
} from '../actors/addresses.ts';
import { FUND_KEY, openingRecords, personKey, type PersonRecord } from '../actors/account_book.ts';
import { CLEARING_ACCOUNT_KEY, prepaymentKey } from '../actors/clearing_batch.ts';

const FUND_FEN_PER_INSURED = 200_000n;
const PREPAYMENT_FEN_PER_INSURED = 2_000n;
import type { Actor, TransferScope } from '../actors/effects.ts';
import { ProvinceActor } from '../actors/province.actor.ts';
import { Calendar, parseDate } from '../actors/calendar.ts';
import { SettlementActor } from '../actors/settlement.actor.ts';
import {
  returnAtMs,
  type Relation as WalletRelation,
  type WalletStatus,
} from '../actors/wallet.machine.ts';
import { WalletMachines, WalletShardActor, walletKey } from '../actors/wallet_shard.actor.ts';
import {
  ActorHost,
  type HostEnvironment,
  type HostObserver,
  type StepTap,
} from '../cluster/host.ts';
import { MemoryStore } from '../cluster/memory_store.ts';
import type { Fen } from '../protocol/index.ts';
import { AppClient } from './app_client.ts';
import { Checkers } from './checkers.ts';
import { EventQueue } from './event_queue.ts';
import { describeFault, lastHealAt, type FaultEvent } from './faults.ts';
import { finalChecks } from './final_checks.ts';
import { buildPopulation, type Person, type Population, type Relation } from './population.ts';
import { Prng } from './prng.ts';
import { recount } from './recount.ts';
import { isScripted, type Scenario, type Script } from './scenario.ts';
import { SimNetwork } from './sim_network.ts';
import { buildTopology, smallTopology, type Topology } from './topology.ts';
import { Trace } from './trace.ts';
import {
  billIntents,
  carePlaces,
  contributionIntent,
  contributionIntents,
  scriptedBillIntent,
  yearOf,
} from './payments.ts';
import { log } from './log.ts';
import {
  bindIntent,
  buildWorkload,
  claimDetails,
  endIntent,
  enrolmentIntent,
  intentId,
  nonEmployeesOf,
  relativeOf,
  type Intent,
  type TransferIntent,
} from './workload.ts';

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
      readonly arg: number;
      readonly epoch: number;
    }
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
  /** F5: Σ pooling funds + the national clearing account at the start (a second conservation law). */
  readonly openingFunds: Fen;
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
  private readonly calendar: Calendar;
  private readonly intentScopes = new Map<string, TransferScope>();
  private readonly appHost: ActorHost;

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
    this.world = buildWorld(
      scenario,
      worldPrng,
      (address, factory, records) =>
        new ActorHost(address, factory, new MemoryStore(records), transport, this, this, {
          writeAhead: scenario.writeAhead,
          tap: hooks.tap,
        }),
    );
    const addresses = [...this.world.hosts.keys()];
    this.network = new SimNetwork(
      scenario.network,
      prng.fork(),
      addresses,
      siteOf,
      () => this.virtualMs,
      (at, from, to, frame) => this.queue.push(at, { k: 'deliver', from, to, frame }),
    );
    this.checkers = new Checkers(this.world.openingTotal);
    this.appHost = this.world.hosts.get(APP_ADDRESS) as ActorHost;
    // Each actor arms what its records say is scheduled (a province's next month, P4).
    for (const host of this.world.hosts.values()) host.start();
    this.app = this.appHost.current as AppClient;
    this.lastHealAt = lastHealAt(scenario.faults);
    for (const intent of this.world.workload) {
      if (intent.kind === 'transfer' || intent.kind === 'bind')
        this.intentScopes.set(intentId(intent), intent.scope);
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
      // Past the horizon the clock stays where the last event left it (a next month's timer
      // is still queued, for instance): the run ends at its last event, not at that timer.
      if (this.queue.lastAt > horizon) break;
      this.virtualMs = this.queue.lastAt;
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
    if (seen <= 5)
      log.warn({ address, code, detail, at: this.virtualMs }, 'frame refused at the boundary');
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
      // The month after the last request begins: its credits (P4) are booked; and the last
      // request's month is cleared (F5: statements on day 20 of the next month, then funding).
      this.calendar.nextMonthStartMs(lastIntent) + CLEARING_DAYS_MS,
    );
    return (
      Math.max(lastIntent, scheduled, this.lastHealAt) + 4 * this.scenario.checks.lifecycleBoundMs
    );
  }
}

/**
 * A scenario's scripted requests as the workload: transfers, bindings, revocations, enrolment
 * changes, bills and contributions merged in time order (stable for equal times: transfers
 * first, then bindings, ends, changes, bills and contributions, each in script order). Ids are
 * the generated workload's prefixes with the index in its list (`t…`, `b…`, `e…`, `n…`, `s…`,
 * `c…`), and there are no follow-up transfers: the script says which transfers happen. Each
 * request names a relation, a candidate or a person by index modulo their count, so a shrunk
 * script stays valid. What a script leaves to chance — a wrong claim's details (which kinship,
 * which digit, which requester), a bill's treatment region, disease and eligible share — is
 * drawn from a stream seeded by the candidate's or the patient's index alone, so a request does
 * not change when other steps are shrunk away. Contributions are for `year` (the calendar year
 * of day 0), or the next.
 */
export function scriptedWorkload(population: Population, script: Script, year: number): Intent[] {
  const { relations, candidates, people } = population;
  const transfers = script.transfers ?? [];
  const binds = script.binds ?? [];
  const ends = script.ends ?? [];
  const changes = script.enrolmentChanges ?? [];
  const bills = script.bills ?? [];
  const contributions = script.contributions ?? [];
  if (
    transfers.length + ends.length + changes.length + contributions.length > 0 &&
    relations.length === 0
  ) {
    throw new Error('scripted transfers, ends, enrolment changes and contributions need relations');
  }
  if (binds.length > 0 && candidates.length === 0) {
    throw new Error('scripted binds need bind candidates (population.candidateShare > 0)');
  }
  const relation = (index: number) => relations[index % relations.length] as Relation;
  const id = (prefix: string, i: number, n: number) =>
    `${prefix}${String(i).padStart(String(n).length, '0')}`;
  const nonEmployees = nonEmployeesOf(people);
  const places = carePlaces(population);
  const intents: Intent[] = [
    ...transfers.map((t, i): TransferIntent => {
      const r = relation(t.relation);
      return {
        kind: 'transfer',
        at: t.at,
        transferId: id('t', i, transfers.length),
        donorId: r.donorId,
        recipientId: r.recipientId,
        amount: t.amount,
        scope: r.scope,
        source: 'ACCOUNT',
      };
    }),
    ...binds.map((b, i) => {
      const index = b.candidate % candidates.length;
      const candidate = candidates[index] as Relation;
      const relative = relativeOf(population.personById, candidate);
      const claim = claimDetails(candidate, relative, b.claim, nonEmployees, new Prng(index));
      return bindIntent(candidate, relative, b.at, id('b', i, binds.length), claim, b.face);
    }),
    ...ends.map((e, i) =>
      endIntent(
        relation(e.relation),
        e.at,
        id('e', i, ends.length),
        e.by === 'donor' ? 'REVOKED_BY_DONOR' : 'REVOKED_BY_RECIPIENT',
      ),
    ),
    ...changes.map((n, i) =>
      enrolmentIntent(relation(n.relation), n.at, id('n', i, changes.length)),
    ),
    ...bills.map((b, i) => {
      const index = b.patient % people.length;
      return scriptedBillIntent(places, new Prng(index), people[index] as Person, {
        at: b.at,
        billId: id('s', i, bills.length),
        where: b.where,
        care: b.care,
        total: b.amount,
        action: b.action,
        useWallet: b.useWallet,
        emergency: b.emergency,
      });
    }),
    ...contributions.map((c, i) =>
      contributionIntent(
        relation(c.relation),
        c.source,
        c.at,
        id('c', i, contributions.length),
        c.nextYear ? year + 1 : year,
      ),
    ),
  ];
  return intents
    .map((intent, i) => ({ intent, i }))
    .sort((a, b) => a.intent.at - b.intent.at || a.i - b.i)
    .map(({ intent }) => intent);
}

/**
 * Bills (F3) and resident contributions (F4) merged into a generated workload, in time order
 * (stable: requests drawn earlier come first at equal times), from their own Prng stream.
 */
function withPayments(
  intents: Intent[],
  population: Population,
  prng: Prng,
  scenario: Scenario,
): Intent[] {
  const { bills = 0, contributions = 0, days = 1 } = scenario.workload;
  if (bills + contributions === 0) return intents;
  const options = { bills, contributions, days, year: yearOf(scenario.protocol.startDate) };
  const billPrng = prng.fork();
  const payPrng = prng.fork();
  const all: Intent[] = [
    ...intents,
    ...billIntents(population, billPrng, options),
    ...contributionIntents(population, payPrng, options),
  ];
  return all
    .map((intent, i) => ({ intent, i }))
    .sort((a, b) => a.intent.at - b.intent.at || a.i - b.i)
    .map(({ intent }) => intent);
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
  const topology =
    scenario.topology.provinces === 'all'
      ? buildTopology({ regionsPerProvinceMax: scenario.topology.regionsPerProvinceMax })
      : smallTopology(scenario.topology.provinces, scenario.topology.regionsPerProvinceMax);
  const population = buildPopulation(topology, prng.fork(), scenario.population);
  const generated = prng.fork();
  const payments = prng.fork();
  const workload = isScripted(scenario)
    ? scriptedWorkload(population, scenario, yearOf(scenario.protocol.startDate))
    : withPayments(
        buildWorkload(population, generated, scenario.workload),
        population,
        payments,
        scenario,
      );
  const config = scenario.protocol;
  const machines = new WalletMachines(config);
  const hosts = new Map<string, H>();
  let openingTotal = 0n;

  const settlementOpening = new Map<string, unknown>();
  let clearingAccount = 0n;
  let openingFunds = 0n;
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
        creditFen: person.monthlyCreditFen,
        retired: person.retired,
        filedTo: person.filedTo,
        chronic: person.chronic,
      };
      records.set(personKey(person.id), record);
    }
    // F5 (ASSUMPTION): each pooling fund opens with 2,000 yuan per insured person here, and has
    // advanced a prepayment (K1, K7) of 20 yuan per insured person to the national clearing
    // account: sized like 2× a month of cross-province spending, in the absence of history.
    const insured = BigInt(people.filter((p) => p.enrolled).length);
    records.set(FUND_KEY, insured * FUND_FEN_PER_INSURED);
    const prepayment = insured * PREPAYMENT_FEN_PER_INSURED;
    settlementOpening.set(prepaymentKey(province.code), { size: prepayment, balance: prepayment });
    clearingAccount += prepayment;
    openingFunds += insured * FUND_FEN_PER_INSURED + prepayment;
    const address = provinceAddress(province.code);
    hosts.set(
      address,
      makeHost(address, (r) => new ProvinceActor(address, r, config), records),
    );
  }

  settlementOpening.set(CLEARING_ACCOUNT_KEY, clearingAccount);

  // Relations bound before the run: active on both sides, the donor's copy and the recipient's.
  const relationsOf = new Map<string, Record<string, WalletRelation>>();
  const donorsOf = new Map<string, Record<string, WalletRelation>>();
  population.relations.forEach((relation, i) => {
    const recipient = population.personById.get(relation.recipientId);
    const donor = population.personById.get(relation.donorId);
    if (recipient === undefined || donor === undefined)
      throw new Error(`relation ${i} names an unknown person`);
    const bindId = `r${i}`;
    const own = relationsOf.get(relation.donorId) ?? {};
    own[relation.recipientId] = {
      kinship: relation.kinship,
      region: recipient.region,
      status: 'active',
      bindId,
    };
    relationsOf.set(relation.donorId, own);
    const donors = donorsOf.get(relation.recipientId) ?? {};
    donors[relation.donorId] = {
      kinship: relation.kinship,
      region: donor.region,
      status: 'active',
      bindId,
    };
    donorsOf.set(relation.recipientId, donors);
  });
  const shardRecords = Array.from(
    { length: config.walletShardCount },
    () => new Map<string, unknown>(),
  );
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
    shardRecords[walletShardOf(person.id, config.walletShardCount)]?.set(
      walletKey(person.id),
      snapshot,
    );
  }
  shardRecords.forEach((records, shard) => {
    const address = walletShardAddress(shard);
    hosts.set(
      address,
      makeHost(address, (r) => new WalletShardActor(address, r, machines), records),
    );
  });
  hosts.set(
    SETTLEMENT_ADDRESS,
    makeHost(
      SETTLEMENT_ADDRESS,
      (r) => new SettlementActor(SETTLEMENT_ADDRESS, r, config),
      settlementOpening,
    ),
  );
  hosts.set(
    APP_ADDRESS,
    makeHost(APP_ADDRESS, () => new AppClient(APP_ADDRESS, config), new Map()),
  );
  return { scenario, topology, population, workload, hosts, machines, openingTotal, openingFunds };
}
