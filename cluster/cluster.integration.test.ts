// The deployment for real: 3 nats-server processes with JetStream (R3), host processes and a
// load generator as separate processes, fault proxies on every link. One workload runs through
// a partition between the two provinces' NATS nodes, a host SIGKILLed mid-transfer and
// restarted, a NATS node SIGKILLed and restarted, forged and garbage frames; at quiescence
// every invariant must hold and no request or transfer may be lost.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { encodeEnvelope } from '../protocol/index.ts';
import { drawPopulation } from '../world/build.ts';
import type { RunResult } from '../world/result.ts';
import { readScenarioFile } from '../world/scenario_file.ts';
import { topologyFor } from '../world/topology.ts';
import { Dashboard } from './dashboard.ts';
import { allAddresses, clusterScenario, defaultDeployment } from './deployment.ts';
import { LocalCluster } from './launcher.ts';
import { findNatsServer } from './nats_server.ts';
import { connectNats } from './nats_transport.ts';

const TRANSFERS = 1_200;
const BINDS = 60;
const REVOKES = 20;
const CHANGES = 10;
const BILLS = 80;
const CONTRIBUTIONS = 30;
const REQUESTS = TRANSFERS + 2 * (BINDS + REVOKES + CHANGES) + BILLS + CONTRIBUTIONS;
const RATE = 120;
const quiet = pino({ level: process.env.GONGJI_LOG ?? 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a local 3-node cluster under real faults', () => {
  let dir: string;
  let cluster: LocalCluster;
  let dashboard: Dashboard;
  let result: RunResult;
  const permissionErrors: string[] = [];
  let routesDuringCut = -1;
  let drainedExit: number | null = -1;

  /** How many routes node i has now, from its monitoring endpoint. */
  async function routes(i: number): Promise<number> {
    const res = await fetch(`http://127.0.0.1:${cluster.nats.nodes[i]!.httpPort}/routez`);
    return ((await res.json()) as { num_routes: number }).num_routes;
  }

  async function until(
    condition: () => Promise<boolean>,
    what: string,
    timeoutMs = 30_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(100);
    }
  }

  beforeAll(async () => {
    findNatsServer(); // one clear line if the binary is missing
    dir = mkdtempSync(join(tmpdir(), 'gongji-cluster-'));
    const scenarioFile = join(dir, 'scenario.yaml');
    // Every flow of the wallet domain, not only transfers (each extra request has a follow-up).
    writeFileSync(
      scenarioFile,
      `workload:\n  transfers: ${TRANSFERS}\n  binds: ${BINDS}\n  revokes: ${REVOKES}\n` +
        `  enrolmentChanges: ${CHANGES}\n  bills: ${BILLS}\n  contributions: ${CONTRIBUTIONS}\n` +
        // Orphan holds are asked about after 3 s here, so the one injected below is released.
        `protocol:\n  orphanHoldAfterMs: 3000\n`,
    );
    const scenario = clusterScenario(readScenarioFile(scenarioFile));
    const topology = topologyFor(scenario.topology);
    const deployment = defaultDeployment(
      topology.provinces.map((p) => p.code),
      scenario.protocol.walletShardCount,
      RATE,
    );
    cluster = await LocalCluster.start({
      dir,
      scenario,
      scenarioArgs: ['--scenario', scenarioFile],
      deployment,
      log: quiet,
    });
    // The live dashboard watches the whole run, as the compose demo's does.
    dashboard = await Dashboard.start({
      login: cluster.adminLogin(),
      addresses: allAddresses(deployment),
      port: 0,
      bind: '127.0.0.1',
      outDir: dir,
      pollMs: 250,
      log: quiet,
    });
  }, 120_000);

  afterAll(async () => {
    await dashboard?.stop();
    await cluster?.stop();
    if (dir !== undefined && process.env.GONGJI_KEEP !== '1')
      rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('runs the workload through a partition, a killed host, a killed NATS node and bad frames', async () => {
    await cluster.startProcess('load');
    await sleep(1_500);

    // Slow and one-way-dead links: settlement's replies crawl, provinces-b's replies vanish.
    cluster.links.get('client-settlement')!.delay(150, 50);
    const provincesB = cluster.links.get('client-provinces-b')!;
    provincesB.blackhole('up');
    await sleep(1_500);
    // On a loaded machine the load may not have reached provinces-b yet: keep the hole open
    // until it has swallowed something, so the fault is real whatever the machine's speed.
    await until(
      async () => provincesB.stats().droppedBytes > 0,
      "a reply of provinces-b's to vanish",
    );
    cluster.links.get('client-settlement')!.heal();
    provincesB.heal();

    // A partition between the provinces' servers: node 0 (provinces-a) and node 1 (provinces-b).
    await cluster.links.get('route-0-1')!.cut();
    await cluster.links.get('route-1-0')!.cut();
    await until(async () => (await routes(0)) === 1, 'node 0 to lose its route to node 1');
    routesDuringCut = await routes(0);

    // The wallet shards' host dies mid-transfer (SIGKILL: nothing drains) and comes back.
    await cluster.killProcess('wallets');
    await sleep(1_000);
    await cluster.startProcess('wallets');
    await sleep(2_000);
    expect(await routes(0)).toBe(1); // still partitioned: nothing routed around the proxies
    cluster.links.get('route-0-1')!.heal();
    cluster.links.get('route-1-0')!.heal();
    await until(
      async () => (await routes(0)) === 2,
      'the route between nodes 0 and 1 to come back',
    );

    // Garbage and forgeries at running hosts, from a user allowed to publish anywhere.
    const admin = await connectNats(cluster.adminLogin());
    for (let i = 0; i < 50; i++) {
      const junk = new Uint8Array(1 + ((i * 7) % 64)).map((_, j) => (i * 31 + j * 17) & 0xff);
      admin.publish('gj.v1.wallet.00.app.0', junk);
      admin.publish('gj.v1.province.11.wallet.01', junk);
    }
    const forged = encodeEnvelope({
      v: 1,
      id: 'forged-1',
      kind: 'account.reserve',
      from: 'wallet.01',
      to: 'province.11',
      corr: 'FORGED-1',
      sentAt: 0,
      body: { transferId: 'FORGED-1', accountId: 'nobody', amount: 100n },
    } as never);
    admin.publish('gj.v1.province.11.app.0', forged); // says wallet.01, arrives as app.0
    // A faulty wallet host's valid-looking reserve, for a transfer no saga knows: an orphan
    // hold, which the province asks wallet.01 about after 3 s and then releases.
    const { population } = drawPopulation(cluster.options.scenario);
    const payer = population.people.find(
      (p) => p.province === '11' && p.ebmi && p.openingBalance >= 36_843n,
    );
    expect(payer).toBeDefined();
    const orphan = encodeEnvelope({
      v: 1,
      id: 'orphan-1',
      kind: 'account.reserve',
      from: 'wallet.01',
      to: 'province.11',
      corr: 'ORPHAN-1',
      sentAt: 0,
      body: { transferId: 'ORPHAN-1', accountId: payer?.id ?? '', amount: 36_843n },
    });
    admin.publish('gj.v1.province.11.wallet.01', orphan);
    await admin.flush();
    await admin.close();

    // A province host's user may neither send as another province nor hear its frames.
    const a = cluster.options.deployment.hosts[0]!;
    const b = cluster.options.deployment.hosts[1]!;
    const impostor = await connectNats({
      ...cluster.adminLogin(),
      user: a.name,
      password: cluster.passwordOf(a.name),
      name: 'impostor',
    });
    void (async () => {
      for await (const status of impostor.status()) {
        if (status.type === 'error')
          permissionErrors.push(String((status as { error?: unknown }).error ?? status));
      }
    })();
    impostor.publish(`gj.v1.wallet.00.${b.addresses[0]}`, forged);
    impostor.subscribe(`gj.v1.${b.addresses[0]}.>`);
    impostor.subscribe('_INBOX_wallets.>'); // another host's replies, its JetStream acks among them
    impostor.subscribe('_INBOX.>');
    await impostor.flush().catch(() => {});
    await until(
      async () => permissionErrors.length >= 4,
      'the server to refuse the impostor four times',
      10_000,
    );
    await impostor.close().catch(() => {});

    // A NATS node dies and restarts under load.
    await cluster.nats.killNode(2);
    await sleep(1_500);
    await cluster.nats.startNode(2, { rejoinOnly: true });

    // A host asked to stop drains and exits cleanly; its successor resumes from the journal.
    const settlement = cluster.children.get('settlement')!;
    await cluster.stopProcess('settlement');
    drainedExit = await settlement.exited;
    await cluster.startProcess('settlement');

    result = await cluster.check(180_000);
    if (process.env.GONGJI_SHOW === '1')
      console.log(JSON.stringify(result, (_k, v) => (typeof v === 'bigint' ? String(v) : v), 1));
    const failed = Object.entries(result.invariants).filter(([, r]) => !r.ok);
    expect(failed, JSON.stringify(failed)).toEqual([]);
    expect(result.ok).toBe(true);
  }, 300_000);

  it('lost nothing: every request answered, every accepted transfer terminal on every party', () => {
    expect(result.cluster?.quiesced).toBe(true);
    // W1: each wallet opened comes with two transfers to it, one before and one after.
    expect(result.requests['open']).toBeGreaterThan(0);
    const requests = REQUESTS + 3 * (result.requests['open'] ?? 0);
    expect(result.cluster?.load?.submitted).toBe(requests);
    expect((result.cluster?.load?.accepted ?? 0) + (result.cluster?.load?.refused ?? 0)).toBe(
      requests,
    );
    const accepted = ['sameRegion', 'sameProvince', 'crossProvince'].reduce(
      (n, scope) => n + (result.counts[`transfer.${scope}.accepted`] ?? 0),
      0,
    );
    expect(accepted).toBe(result.cluster?.load?.acceptedTransfers);
    expect(result.counts['transfer.crossProvince.completed']).toBeGreaterThan(0);
    // The other flows ran too: bindings went active, recipients received credits (W11).
    const sum = (pattern: RegExp) =>
      Object.entries(result.counts)
        .filter(([key]) => pattern.test(key))
        .reduce((n, [, v]) => n + v, 0);
    expect(sum(/^bind\..*\.active$/)).toBeGreaterThan(0);
    expect(sum(/^return\..*\.received$/)).toBeGreaterThan(0);
  });

  it('refused the garbage and the forgery at the boundary, counted', () => {
    expect(result.boundary.MALFORMED_FRAME ?? 0).toBeGreaterThan(0);
    expect(result.boundary.FORGED_SENDER).toBe(1);
    expect(result.counts['hold.transfer.orphanReleased']).toBe(1);
  });

  it("denied a province host's user another province's subjects and other users' inboxes", () => {
    expect(permissionErrors).toHaveLength(4);
    for (const error of permissionErrors) expect(error).toMatch(/permissions violation/i);
  });

  it('the faults were real: routes cut, the killed host restored from its journal and resumed', () => {
    expect(routesDuringCut).toBe(1);
    expect(cluster.links.get('client-provinces-b')!.stats().droppedBytes).toBeGreaterThan(0);
    expect(drainedExit).toBe(0);
    const log = readFileSync(join(dir, 'logs', 'wallets.log'), 'utf8');
    expect(log.match(/"msg":"host serving"/g)?.length).toBe(2);
    expect(result.cluster?.actors['wallet.00']?.journalSeq).toBeGreaterThan(0);
  });

  it('the live dashboard saw the run: the load, the killed host silent then back, the refusals', async () => {
    const page = (path: string) => fetch(`http://127.0.0.1:${dashboard.port}${path}`);
    expect((await page('/report.html')).status).toBe(404);
    // What the check service does in compose: its result lands in the folder the dashboard reads.
    writeFileSync(
      join(dir, 'result.json'),
      JSON.stringify({ ok: result.ok, invariants: result.invariants }),
    );
    writeFileSync(join(dir, 'report.html'), '<html>the final report</html>');
    await dashboard.sample();
    const state = (await (await page('/state.json')).json()) as ReturnType<Dashboard['current']>;
    expect(state.load?.submitted).toBe(result.cluster?.load?.submitted);
    expect((state.load?.accepted ?? 0) + (state.load?.refused ?? 0)).toBe(state.load?.submitted);
    const wallets = state.actors.filter((a) => a.address.startsWith('wallet.'));
    for (const wallet of wallets) expect(wallet.outages, wallet.address).toBeGreaterThanOrEqual(1);
    expect(state.events.some((e) => / wallet\.00 stopped answering$/.test(e))).toBe(true);
    expect(state.events.some((e) => / wallet\.00 answers again after \d+ s$/.test(e))).toBe(true);
    expect(state.actors.every((a) => a.up)).toBe(true);
    expect(state.refusedFrames.FORGED_SENDER).toBe(1);
    expect(state.refusedFrames.MALFORMED_FRAME ?? 0).toBeGreaterThan(0);
    expect(Math.max(...state.series.receivedPerSecond)).toBeGreaterThan(0);
    expect(Math.max(...state.series.answeredPerSecond)).toBeGreaterThan(0);
    expect(state.latencyMs.p99).toBeGreaterThan(0);
    expect(state.checkOk).toBe(true);
    expect(Object.keys(state.invariants ?? {})).toContain('conservation');
    expect(await (await page('/')).text()).toContain('gongji on NATS: live');
    expect(await (await page('/report.html')).text()).toBe('<html>the final report</html>');
    expect((await page('/nothing')).status).toBe(404);
  });
});
