// `npm run bench:scale`: what a wallet costs at national scale, and how fast the simulator runs
// there. For each size (1,000,000 and 10,000,000 wallets by default; BENCH_SCALE_WALLETS=n,m to
// choose), one world with the default day's requests and faults:
// - bytes per wallet all-in: the heap the built world added (after a full collection), over
//   its wallets: each wallet with its relations, its person's account and registry record, the
//   workload, every map's share;
// - bytes per wallet passivated: after the run, every wallet packed, then what the heap gives
//   back when the wallet shards forget their wallets (the packed bytes, the table's and the
//   store's map entries, the keys);
// - deliveries per second of the run, every per-message checker on, against the ceiling of the
//   same run: the same actor steps replayed into fresh actors with no network and no checkers
//   (bench/replay.ts, as `npm run bench`). The full recount runs at the end only
//   (`checkpointEveryDeliveries`: it reads every record, so at millions of wallets it would be
//   most of the run), and it and the final checks are timed apart from the run's rate.
// Targets (issue 11): ≤ 1 KB a wallet all-in, ≤ 400 B passivated, ≥ 50 % of the ceiling.
import { WalletShardActor } from '../actors/wallet_shard.actor.ts';
import { DEFAULT_SCENARIO, type Scenario } from '../world/scenario.ts';
import { recording, replay, settle } from './replay.ts';

const SIZES = (process.env.BENCH_SCALE_WALLETS ?? '1000000,10000000')
  .split(',')
  .map((s) => Number(s.trim()));
for (const n of SIZES) {
  if (!Number.isInteger(n) || n < 1_000)
    throw new Error(`bench:scale: BENCH_SCALE_WALLETS must list whole numbers ≥ 1000, got ${n}`);
}

const heap = (): number => {
  settle();
  return process.memoryUsage().heapUsed;
};

interface Row {
  readonly wallets: number;
  readonly buildMs: number;
  readonly bytesPerWalletAllIn: number;
  readonly bytesPerWalletPassivated: number;
  readonly runMs: number;
  readonly finalChecksMs: number;
  readonly deliveries: number;
  readonly deliveriesPerSecond: number;
  readonly ceilingDeliveriesPerSecond: number;
  readonly ratio: number;
  readonly peakRssBytes: number;
}

function scenarioOf(wallets: number): Scenario {
  return {
    ...DEFAULT_SCENARIO,
    name: `scale-${wallets}`,
    population: { ...DEFAULT_SCENARIO.population, wallets },
    checks: { ...DEFAULT_SCENARIO.checks, checkpointEveryDeliveries: Number.MAX_SAFE_INTEGER },
  };
}

/** Build, measure and run one world, recording its steps; the world is gone when this returns. */
function firstRun(scenario: Scenario, wallets: number) {
  const before = heap();
  const t0 = performance.now();
  const { sim, steps } = recording(scenario);
  const buildMs = performance.now() - t0;
  const built = heap();
  const t1 = performance.now();
  sim.advance();
  const runMs = performance.now() - t1;
  sim.finish();
  const finalChecksMs = performance.now() - t1 - runMs;
  if (!sim.checkers.ok) throw new Error(`bench:scale: an invariant failed at ${wallets} wallets`);
  const shards = [...sim.hosts.values()].filter((h) => h.current instanceof WalletShardActor);
  for (const host of shards) (host.current as WalletShardActor).wallets.passivateAll();
  const atRest = heap();
  for (const host of shards) {
    (host.current as WalletShardActor).wallets.clear();
    const durable = host.store.durable as Map<string, unknown>;
    for (const key of [...durable.keys()]) if (key.startsWith('w:')) durable.delete(key);
  }
  const forgotten = heap();
  return {
    steps,
    buildMs,
    bytesPerWalletAllIn: (built - before) / wallets,
    bytesPerWalletPassivated: (atRest - forgotten) / wallets,
    runMs,
    finalChecksMs,
    deliveries: sim.deliveries,
  };
}

function measure(wallets: number): Row {
  const scenario = scenarioOf(wallets);
  const { steps, ...first } = firstRun(scenario, wallets);
  // The first world is collected before the replay builds its own (two at 10 M would not fit).
  const ceilingMs = replay(scenario, steps, true);
  // Timers and requests are steps of both runs too: the ceiling's rate is the same deliveries
  // over the replay's time for every step.
  return {
    wallets,
    ...first,
    deliveriesPerSecond: (first.deliveries / first.runMs) * 1000,
    ceilingDeliveriesPerSecond: (first.deliveries / ceilingMs) * 1000,
    ratio: ceilingMs / first.runMs,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}

function main(): void {
  const rows: Row[] = [];
  for (const wallets of SIZES) {
    const row = measure(wallets);
    rows.push(row);
    console.log(
      `${fmt(wallets).padStart(11)} wallets: built in ${(row.buildMs / 1000).toFixed(1)} s, ` +
        `${fmt(row.bytesPerWalletAllIn)} B a wallet all-in (target ≤ 1,024), ` +
        `${fmt(row.bytesPerWalletPassivated)} B passivated (target ≤ 400); ` +
        `run ${(row.runMs / 1000).toFixed(1)} s, ${fmt(row.deliveries)} deliveries at ` +
        `${fmt(row.deliveriesPerSecond)}/s, ceiling ${fmt(row.ceilingDeliveriesPerSecond)}/s: ` +
        `${(row.ratio * 100).toFixed(1)} % of the ceiling (target ≥ 50 %); final recount and ` +
        `checks ${(row.finalChecksMs / 1000).toFixed(1)} s; ` +
        `peak RSS so far ${fmt(row.peakRssBytes / 2 ** 20)} MiB`,
    );
  }
  console.log(JSON.stringify({ bench: 'scale', rows }));
}

function fmt(x: number): string {
  return Math.round(x).toLocaleString('en-US');
}

main();
