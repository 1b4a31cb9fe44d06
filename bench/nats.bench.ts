// `npm run bench:nats`: end-to-end transfers over real NATS, with every actor's state journalled
// to JetStream (file storage) before anything it caused leaves. A steady, open-loop offered load
// of cross-province transfer requests runs for a fixed time; we report the transfers per second
// that reached their outcome and the latency from request to outcome (p50/p99). The ceiling,
// measured in the same run on the same server: raw NATS request/reply with the same frame size,
// pipelined, in round trips per second. A transfer is 5 round trips (request, reserve, credit,
// commit, liability record), so the ceiling in transfers per second is that rate ÷ 5.
//
// Environment: BENCH_RATE (offered requests/s, default 3000), BENCH_SECONDS (default 10),
// BENCH_NODES (1 or 3 NATS nodes; with 3, journals are replicated ×3).
import { mkdtempSync, rmSync } from 'node:fs';
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
import { scenarioFrom } from '../sim/scenario.ts';
import { worldOf } from '../sim/simulation.ts';

const RATE = Number(process.env.BENCH_RATE ?? 3_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const NODES = Number(process.env.BENCH_NODES ?? 1);
const TRIPS_PER_TRANSFER = 5;
const FRAME_BYTES = 110;
const log = pino({ level: process.env.GONGJI_LOG ?? 'warn' });

const scenario = scenarioFrom({
  name: 'bench-nats',
  topology: { provinces: 8, regionsPerProvinceMax: 4 },
  population: { wallets: 120_000 },
  workload: { transfers: Math.ceil(RATE * SECONDS * 3.5) },
  protocol: { walletShardCount: 8 },
  faults: [],
});

/** Raw request/reply, `inFlight` outstanding at all times, for `ms`: round trips per second. */
async function rawRequestReply(login: NatsLogin, ms: number, inFlight = 512): Promise<number> {
  const responder = await connectNats({ ...login, name: 'bench-responder' });
  const requester = await connectNats({ ...login, name: 'bench-requester' });
  responder.subscribe("bench.echo", { callback: (_error, msg) => { msg.respond(msg.data); } });
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

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gongji-bench-nats-'));
  const nats = await NatsCluster.start({ nodes: NODES, dir });
  try {
    const login: NatsLogin = { servers: nats.clientUrls(), name: 'bench' };
    const world = worldOf(scenario, () => null);
    const addresses = [...world.hosts.keys()].filter((a) => !a.startsWith('app.'));
    const admin = await connectNats(login);
    const jsm = await jetstreamManager(admin);
    for (const address of addresses) await ensureStream(jsm, address, { replicas: NODES });
    await admin.close();

    const ceiling = await rawRequestReply(login, 3_000);
    const outcomes = hdr.build({ lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 3 });
    let load: LoadGenerator | undefined;
    let done = 0;
    let firstAt = 0;
    let lastAt = 0;
    const host = await HostProcess.start({
      name: 'bench-host', addresses, login: { ...login, name: 'bench-host' }, scenario, log,
      onOutcome: (id) => {
        const at = load?.firstSubmittedAt.get(id);
        if (at === undefined) return;
        const now = performance.now();
        outcomes.recordValue(Math.max(1, Math.round(now - at)));
        done++;
        lastAt = now;
      },
    });
    load = await LoadGenerator.start({
      login: { ...login, name: 'bench-load' }, scenario, rate: RATE, limit: RATE * SECONDS,
      scope: 'crossProvince', log, keepSubmitTimes: true,
    });
    firstAt = performance.now();
    await load.answeredAll(120_000);
    const accepted = load.app.accepted;
    const deadline = Date.now() + 120_000;
    while (done < accepted && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const summary = load.summary();
    const seconds = (lastAt - firstAt) / 1000;
    const perSecond = done / seconds;
    const ceilingTransfers = ceiling / TRIPS_PER_TRANSFER;
    await load.stop();
    await host.stop();
    const p50 = outcomes.getValueAtPercentile(50);
    const p99 = outcomes.getValueAtPercentile(99);
    const lines = [
      `gongji NATS bench: ${NODES} nats-server node(s), JetStream file storage${NODES > 1 ? `, replicas ${NODES}` : ''}, ${addresses.length} actors in one host process`,
      `  offered ${summary.offeredPerSecond} cross-province requests/s for ${summary.submitSeconds} s: ${summary.accepted} accepted, ${summary.refused} refused at the request (W6/W7/E2…)`,
      `  transfers to their outcome: ${done} in ${seconds.toFixed(2)} s = ${Math.round(perSecond)} transfers/s`,
      `  latency request → outcome: p50 ${p50} ms, p99 ${p99} ms, max ${outcomes.maxValue} ms; request → answer p99 ${summary.answerMs.p99} ms`,
      `  journal appends: ${[...host.journals.values()].reduce((n, j) => n + j.appends, 0)}, snapshots: ${[...host.journals.values()].reduce((n, j) => n + j.snapshots, 0)}`,
      `  ceiling: raw NATS request/reply, ${FRAME_BYTES}-byte frames, 512 in flight: ${Math.round(ceiling)} round trips/s = ${Math.round(ceilingTransfers)} transfers/s at ${TRIPS_PER_TRANSFER} round trips each`,
      `  ratio to the ceiling: ${((perSecond / ceilingTransfers) * 100).toFixed(1)} %`,
      `  target (≥ 3000 transfers/s with p99 < 250 ms): ${perSecond >= 3_000 && p99 < 250 ? 'met' : 'NOT met'}`,
    ];
    console.log(lines.join('\n'));
  } finally {
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
