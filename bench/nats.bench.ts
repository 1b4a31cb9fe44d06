// `npm run bench:nats`: end-to-end transfers over real NATS, with every actor's state journalled
// to JetStream (file storage) before anything it caused leaves. A steady, open-loop offered load
// of cross-province transfer requests runs for a fixed time; we report the transfers per second
// that reached their outcome and the latency from request to outcome (p50/p99). The ceiling,
// measured in the same run on the same server: raw NATS request/reply with the same frame size,
// pipelined, in round trips per second. A transfer is 5 round trips (request, reserve, credit,
// commit, liability record), so the ceiling in transfers per second is that rate ÷ 5.
//
// It offers rising rates in turn (the same hosts, fresh transfers each round) and reports the
// highest rate whose transfers keep up with p99 under 250 ms.
//
// Environment: BENCH_RATES (offered requests/s per round, default 1000,1500,2000,2500,3000),
// BENCH_SECONDS (per round, default 8),
// BENCH_NODES (1 or 3 NATS nodes; with 3, journals are replicated ×3), BENCH_PROCESSES (host
// processes: 1 puts every actor in this process; N > 1, the default 2, keeps the provinces,
// settlement and the load here and splits the wallet shards over N − 1 `gongji host` children,
// which report outcome times over NATS). For digging: BENCH_TIMELINE=1 prints, per half second
// of submissions, the count and the worst latency; BENCH_SNAPSHOT_BYTES sets the children's
// snapshot threshold; BENCH_CHILD_FLAGS passes node flags to them (e.g. --trace-gc, --cpu-prof);
// BENCH_KEEP=1 keeps the server's directory and log.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { jetstreamManager } from '@nats-io/jetstream';
import * as hdr from 'hdr-histogram-js';
import pino from 'pino';

import { HostProcess } from '../cluster/host_process.ts';
import { ensureStream } from '../cluster/journal.ts';
import { LoadGenerator } from '../cluster/load_process.ts';
import { NatsCluster } from '../cluster/nats_server.ts';
import { connectNats, type NatsLogin } from '../cluster/nats_transport.ts';
import { unpack } from '../host/record_codec.ts';
import { buildWorld, type World } from '../world/build.ts';
import { scenarioFrom } from '../world/scenario.ts';

const RATES = (process.env.BENCH_RATES ?? '1000,1500,2000,2500,3000').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const TARGET_RATE = 3_000;
const TARGET_P99_MS = 250;
const NODES = Number(process.env.BENCH_NODES ?? 1);
const PROCESSES = Number(process.env.BENCH_PROCESSES ?? 2);
const OUTCOMES = 'gj.bench.outcomes';
const TRIPS_PER_TRANSFER = 5;
const FRAME_BYTES = 110;
const log = pino({ level: process.env.GONGJI_LOG ?? 'warn' });

const SCENARIO = {
  name: 'bench-nats',
  topology: { provinces: 8, regionsPerProvinceMax: 4 },
  population: { wallets: 120_000 },
  workload: { transfers: Math.ceil((1_500 + RATES.reduce((a, b) => a + b, 0) * SECONDS) * 3.6) },
  // W6 would refuse most requests of the later rounds (the same donors, the same live day): the
  // bench measures the transport and journals, so its wallets may start many transfers a day.
  // Retries start at 1 s, as on a real network: 250 ms (the simulator's default) retries replies
  // that are merely queued under load, adding load exactly when there is least room for it.
  protocol: { walletShardCount: 8, transfersPerDayMax: 1_000, retryDelayMsMin: 3_000 },
  faults: [],
};
const scenario = scenarioFrom(SCENARIO);

/** A host process (the real `gongji host` command) for some actors; resolves once serving. */
async function childHost(
  dir: string,
  servers: readonly string[],
  actors: readonly string[],
  clockOrigin: number,
  name: string,
) {
  const file = join(dir, 'scenario.json');
  writeFileSync(file, JSON.stringify(SCENARIO));
  const flags = (process.env.BENCH_CHILD_FLAGS ?? '').split(' ').filter((f) => f.length > 0);
  const child = spawn(
    process.execPath,
    [
      '--max-semi-space-size=64',
      '--expose-gc',
      ...flags,
      '--import',
      'tsx',
      'cli/main.ts',
      'host',
      '--name',
      name,
      '--actors',
      actors.join(','),
      '--servers',
      servers.join(','),
      '--scenario',
      file,
      '--clock-origin',
      String(clockOrigin),
      '--report-outcomes',
      OUTCOMES,
      ...(process.env.BENCH_SNAPSHOT_BYTES
        ? ['--snapshot-bytes', process.env.BENCH_SNAPSHOT_BYTES]
        : []),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  if (flags.length > 0) child.stdout?.on('data', (chunk: Buffer) => process.stdout.write(chunk));
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`host process exited with ${code}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('serving')) resolve();
    });
  });
  return child;
}

/** Raw request/reply, `inFlight` outstanding at all times, for `ms`: round trips per second. */
async function rawRequestReply(login: NatsLogin, ms: number, inFlight = 512): Promise<number> {
  const responder = await connectNats({ ...login, name: 'bench-responder' });
  const requester = await connectNats({ ...login, name: 'bench-requester' });
  responder.subscribe('bench.echo', {
    callback: (_error, msg) => {
      msg.respond(msg.data);
    },
  });
  await responder.flush();
  const payload = new Uint8Array(FRAME_BYTES).fill(7);
  let done = 0;
  const until = performance.now() + ms;
  const t0 = performance.now();
  const worker = async () => {
    while (performance.now() < until) {
      await requester.request('bench.echo', payload, { timeout: 5_000 });
      done++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const rate = done / ((performance.now() - t0) / 1000);
  await requester.close();
  await responder.close();
  return rate;
}

interface RoundResult {
  readonly offered: number;
  readonly done: number;
  readonly refused: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** One offered rate: times each transfer from its request to its outcome. */
class Round {
  private readonly latency = hdr.build({
    lowestDiscernibleValue: 1,
    numberOfSignificantValueDigits: 3,
  });
  private load: LoadGenerator | undefined;
  private done = 0;
  private lastAt = 0;
  private readonly timeline: Array<[number, number]> = [];

  /** Per half second of submission: how many, and the worst latency (BENCH_TIMELINE=1). */
  printTimeline(): void {
    const start = Math.min(...this.timeline.map(([t]) => t));
    const buckets = new Map<number, { n: number; max: number }>();
    for (const [t, ms] of this.timeline) {
      const b = Math.floor((t - start) / 500);
      const cur = buckets.get(b) ?? { n: 0, max: 0 };
      cur.n++;
      cur.max = Math.max(cur.max, ms);
      buckets.set(b, cur);
    }
    console.log(
      [...buckets]
        .sort((a, b) => a[0] - b[0])
        .map(([b, v]) => `${b / 2}s:${v.n}/${Math.round(v.max)}`)
        .join(' '),
    );
  }

  /**
   * A transfer reached its outcome at wall ms `at` (performance.timeOrigin + now, in any process).
   */
  outcome(id: string, at: number): void {
    const submitted = this.load?.firstSubmittedAt.get(id);
    if (submitted === undefined) return;
    this.latency.recordValue(Math.max(1, Math.round(at - submitted)));
    if (process.env.BENCH_TIMELINE === '1') this.timeline.push([submitted, at - submitted]);
    this.done++;
    this.lastAt = Math.max(this.lastAt, at);
  }

  async run(load: LoadGenerator, offered: number): Promise<RoundResult> {
    this.load = load;
    const firstAt = performance.timeOrigin + performance.now();
    await load.answeredAll(180_000);
    const deadline = Date.now() + 180_000;
    while (this.done < load.app.accepted && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    return {
      offered,
      done: this.done,
      refused: load.app.refused,
      perSecond: this.done / ((this.lastAt - firstAt) / 1000),
      p50: this.latency.getValueAtPercentile(50),
      p99: this.latency.getValueAtPercentile(99),
      max: this.latency.maxValue,
    };
  }
}

/** Every actor's stream, replicated on every node. */
async function createStreams(login: NatsLogin, addresses: readonly string[]): Promise<void> {
  const admin = await connectNats(login);
  const jsm = await jetstreamManager(admin);
  for (const address of addresses) await ensureStream(jsm, address, { replicas: NODES });
  await admin.close();
}

interface Hosts {
  /** The round under way: every host reports its outcomes to it. */
  round: Round | undefined;
  readonly layout: string;
  stop(): Promise<void>;
}

/**
 * The actors' hosts: provinces, settlement and (with one process) the wallet shards here, the
 * wallet shards split over `PROCESSES - 1` child processes otherwise; their outcomes to `round`.
 */
async function startHosts(
  dir: string,
  nats: NatsCluster,
  login: NatsLogin,
  addresses: readonly string[],
  clockOrigin: number,
): Promise<Hosts> {
  const wallets = addresses.filter((a) => a.startsWith('wallet.'));
  const groups =
    PROCESSES > 1
      ? Array.from({ length: PROCESSES - 1 }, (_, i) =>
          wallets.filter((_w, j) => j % (PROCESSES - 1) === i),
        )
      : [];
  const hosts: Hosts = {
    round: undefined,
    layout:
      groups.length === 0
        ? 'one host process'
        : `${groups.length + 1} host processes (provinces, settlement and the load here; ` +
          `the wallet shards split over ${groups.length} more)`,
    stop: async () => {},
  };
  const listener = await connectNats({ ...login, name: 'bench-outcomes' });
  listener.subscribe(OUTCOMES, {
    callback: (_error, msg) => {
      for (const [id, at] of unpack(msg.data) as Array<[string, number]>) {
        hosts.round?.outcome(id, at);
      }
    },
  });
  await listener.flush();
  const children = await Promise.all(
    groups.map((actors, i) =>
      childHost(dir, nats.clientUrls(), actors, clockOrigin, `bench-wallets-${i}`),
    ),
  );
  const host = await HostProcess.start({
    name: 'bench-host',
    addresses: addresses.filter((a) => !groups.flat().includes(a)),
    login: { ...login, name: 'bench-host' },
    scenario,
    log,
    clockOrigin,
    onOutcome: (id) => hosts.round?.outcome(id, performance.timeOrigin + performance.now()),
  });
  hosts.stop = async () => {
    await host.stop();
    for (const child of children) child.kill('SIGTERM');
    await listener.close();
  };
  return hosts;
}

/** A first, unreported round at 500/s for 3 s: JIT, consumers and caches warm up. */
const WARMUP = -1;

/** Each offered rate for `SECONDS`, after the warm-up: what reached its outcome, and how fast. */
async function runRounds(
  hosts: Hosts,
  login: NatsLogin,
  intents: World['workload'],
  clockOrigin: number,
  ceilingTransfers: number,
): Promise<RoundResult[]> {
  const results: RoundResult[] = [];
  let offset = 0;
  for (const rate of [WARMUP, ...RATES]) {
    const offered = rate === WARMUP ? 500 : rate;
    const seconds = rate === WARMUP ? 3 : SECONDS;
    const round = new Round();
    hosts.round = round;
    (globalThis as { gc?: () => void }).gc?.();
    const load = await LoadGenerator.start({
      intents,
      login: { ...login, name: 'bench-load' },
      scenario,
      rate: offered,
      limit: offered * seconds,
      offset,
      scope: 'crossProvince',
      log,
      keepSubmitTimes: true,
      clockOrigin,
    });
    offset += offered * seconds;
    const result = await round.run(load, offered);
    await load.stop();
    if (process.env.BENCH_TIMELINE === '1') round.printTimeline();
    if (rate === WARMUP) continue;
    results.push(result);
    const share = ((result.perSecond / ceilingTransfers) * 100).toFixed(1);
    console.log(
      `  offered ${String(rate).padStart(5)}/s: ` +
        `${String(Math.round(result.perSecond)).padStart(5)} transfers/s to their outcome ` +
        `(${result.done}, ${result.refused} refused at the request), ` +
        `request → outcome p50 ${result.p50} ms, p99 ${result.p99} ms, max ${result.max} ms; ` +
        `${share} % of the ceiling`,
    );
  }
  return results;
}

/** The highest rate kept within the latency target, against the target rate. */
function verdict(results: readonly RoundResult[], ceilingTransfers: number): void {
  const kept = results.filter((r) => r.p99 < TARGET_P99_MS && r.perSecond >= 0.9 * r.offered);
  const best = kept.at(-1);
  console.log(
    best === undefined
      ? `  no round kept up with p99 < ${TARGET_P99_MS} ms`
      : `  highest rate kept with p99 < ${TARGET_P99_MS} ms: ` +
          `${Math.round(best.perSecond)} transfers/s ` +
          `(${((best.perSecond / ceilingTransfers) * 100).toFixed(1)} % of the ceiling)`,
  );
  const met = best !== undefined && best.perSecond >= TARGET_RATE;
  console.log(
    `  target (≥ ${TARGET_RATE} transfers/s with p99 < ${TARGET_P99_MS} ms): ` +
      `${met ? 'met' : 'NOT met'}`,
  );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gongji-bench-nats-'));
  const nats = await NatsCluster.start({ nodes: NODES, dir });
  try {
    const login: NatsLogin = { servers: nats.clientUrls(), name: 'bench' };
    const world = buildWorld(scenario);
    const addresses = [...world.actors.keys()];
    await createStreams(login, addresses);
    const ceiling = await rawRequestReply(login, 3_000);
    const ceilingTransfers = ceiling / TRIPS_PER_TRANSFER;
    const clockOrigin = Date.now();
    const hosts = await startHosts(dir, nats, login, addresses, clockOrigin);
    const replicas = NODES > 1 ? `, replicas ${NODES}` : '';
    console.log(
      `gongji NATS bench: ${NODES} nats-server node(s), JetStream file storage${replicas}; ` +
        `${addresses.length} actors in ${hosts.layout}`,
    );
    console.log(
      `  ceiling: raw NATS request/reply, ${FRAME_BYTES}-byte frames, 512 in flight: ` +
        `${Math.round(ceiling)} round trips/s = ` +
        `${Math.round(ceilingTransfers)} transfers/s at ${TRIPS_PER_TRANSFER} round trips each`,
    );
    const results = await runRounds(hosts, login, world.workload, clockOrigin, ceilingTransfers);
    await hosts.stop();
    verdict(results, ceilingTransfers);
  } finally {
    await nats.stop();
    if (process.env.BENCH_KEEP === '1') console.log(`  kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
