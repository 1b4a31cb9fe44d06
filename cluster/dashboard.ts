// The live dashboard of a cluster (the compose demo's `dashboard` service, `gongji dashboard`):
// it asks every actor and the load generator for their reconciliation reports once a second, as
// the checker does, and serves what it sees over HTTP: requests answered and messages received
// per second, transfer latency, open work, each actor up or silent, the outages it saw and the
// frames refused at the boundary; and, once the check has written result.json into the folder it
// watches, each invariant's verdict and the final report.html. It only reads: it changes nothing
// on the cluster and can be started and stopped at any time.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';

import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';

import { APP_ADDRESS } from '../actors/addresses.ts';
import { renderDashboardPage } from '../report/dashboard_page.ts';
import { latencyOf, poll } from './check.ts';
import { connectNats, type NatsLogin } from './nats_transport.ts';
import type { ActorReport } from './reconcile.ts';

/** Samples kept for the charts: ten minutes at one a second. */
const HISTORY = 600;

export interface DashboardOptions {
  readonly login: NatsLogin;
  /** Every actor address of the deployment (the load generator's app.0 is added). */
  readonly addresses: readonly string[];
  readonly port: number;
  /** Where to listen: 127.0.0.1 by default; 0.0.0.0 inside a container that publishes it. */
  readonly bind: string;
  /** The folder the check writes result.json and report.html into. */
  readonly outDir: string;
  readonly pollMs?: number;
  readonly log: Logger;
}

interface ActorLine {
  readonly address: string;
  readonly up: boolean;
  readonly openWork: number;
  readonly received: number;
  readonly journalSeq: number;
  /** Times it went silent after answering: a crash, a restart, a partition. */
  readonly outages: number;
}

/** What /state.json says: the page (report/dashboard_page.ts) draws it. */
export interface DashboardState {
  readonly at: number;
  readonly polls: number;
  readonly actors: readonly ActorLine[];
  readonly load: {
    readonly total: number;
    readonly submitted: number;
    readonly accepted: number;
    readonly refused: number;
    readonly unanswered: number;
  } | null;
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly refusedFrames: Record<string, number>;
  /** What the dashboard saw happen, newest last: outages and recoveries. */
  readonly events: readonly string[];
  readonly series: {
    readonly t: number[];
    readonly receivedPerSecond: number[];
    readonly answeredPerSecond: number[];
    readonly openWork: number[];
  };
  /** The check's verdicts once it wrote result.json; null while it waits for quiescence. */
  readonly invariants: Record<string, { ok: boolean; detail?: string }> | null;
  readonly checkOk: boolean | null;
  readonly report: boolean;
}

export class Dashboard {
  private state: DashboardState;
  private readonly silentSince = new Map<string, number>();
  private readonly outages = new Map<string, number>();
  private readonly lastSeen = new Map<string, ActorReport>();
  private previous: { at: number; received: number; answered: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** A result.json older than this is a previous run's, not this one's. */
  private readonly startedAt = Date.now();

  private constructor(
    private readonly options: DashboardOptions,
    private readonly nc: NatsConnection,
    private readonly server: Server,
  ) {
    this.state = {
      at: Date.now(),
      polls: 0,
      actors: [],
      load: null,
      latencyMs: { p50: 0, p99: 0, max: 0 },
      refusedFrames: {},
      events: [],
      series: { t: [], receivedPerSecond: [], answeredPerSecond: [], openWork: [] },
      invariants: null,
      checkOk: null,
      report: false,
    };
  }

  static async start(options: DashboardOptions): Promise<Dashboard> {
    // Waits for NATS as the hosts do: a dashboard started with the cluster comes up with it.
    const nc = await connectNats(options.login, {
      retryForMs: 120_000,
      onRetry: (error) => options.log.warn({ err: error }, 'NATS not reachable yet; retrying'),
    });
    let dashboard: Dashboard | undefined;
    const server = createServer((req, res) => dashboard?.serve(req, res));
    dashboard = new Dashboard(options, nc, server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.bind, () => resolve());
    });
    void dashboard.loop();
    return dashboard;
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  current(): DashboardState {
    return this.state;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await new Promise((resolve) => this.server.close(resolve));
    await this.nc.close();
  }

  private async loop(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.sample();
    } catch (error) {
      this.options.log.warn({ err: error }, 'dashboard poll failed');
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.loop(), this.options.pollMs ?? 1000);
  }

  /** One poll: every actor's report, folded into the state the page shows. */
  async sample(): Promise<void> {
    const addresses = [...this.options.addresses.filter((a) => a !== APP_ADDRESS), APP_ADDRESS];
    const reports = await poll(this.nc, addresses);
    const at = Date.now();
    const events = [...this.state.events];
    const clock = new Date(at).toISOString().slice(11, 19);
    for (const address of addresses) {
      const answered = reports.has(address) && reports.get(address)?.up !== false;
      const wasSilent = this.silentSince.has(address);
      if (!answered && !wasSilent && this.lastSeen.has(address)) {
        this.silentSince.set(address, at);
        this.outages.set(address, (this.outages.get(address) ?? 0) + 1);
        events.push(`${clock} ${address} stopped answering`);
      } else if (answered && wasSilent) {
        const seconds = ((at - (this.silentSince.get(address) as number)) / 1000).toFixed(0);
        this.silentSince.delete(address);
        events.push(`${clock} ${address} answers again after ${seconds} s`);
      }
      const report = reports.get(address);
      if (report !== undefined) this.lastSeen.set(address, report);
    }
    const actorReports = [...this.lastSeen.values()].filter((r) => r.address !== APP_ADDRESS);
    const received = actorReports.reduce((n, r) => n + r.received, 0);
    const load = this.lastSeen.get(APP_ADDRESS);
    const answered = (load?.accepted ?? 0) + (load?.refused ?? 0);
    const series = {
      t: [...this.state.series.t],
      receivedPerSecond: [...this.state.series.receivedPerSecond],
      answeredPerSecond: [...this.state.series.answeredPerSecond],
      openWork: [...this.state.series.openWork],
    };
    if (this.previous !== undefined && at > this.previous.at) {
      const seconds = (at - this.previous.at) / 1000;
      series.t.push(at / 1000);
      series.receivedPerSecond.push(Math.max(0, (received - this.previous.received) / seconds));
      series.answeredPerSecond.push(Math.max(0, (answered - this.previous.answered) / seconds));
      // Operations under way: the load's not yet offered requests are not open, only pending.
      const notOffered = Math.max(0, (load?.total ?? 0) - (load?.submitted ?? 0));
      const open = [...this.lastSeen.values()].reduce((n, r) => n + r.openWork, 0);
      series.openWork.push(Math.max(0, open - notOffered));
      for (const key of Object.keys(series) as Array<keyof typeof series>)
        series[key].splice(0, Math.max(0, series[key].length - HISTORY));
    }
    this.previous = { at, received, answered };
    const refusedFrames: Record<string, number> = {};
    for (const r of this.lastSeen.values())
      for (const [code, n] of Object.entries(r.rejected))
        refusedFrames[code] = (refusedFrames[code] ?? 0) + n;
    const verdict = this.verdict();
    this.state = {
      at,
      polls: this.state.polls + 1,
      actors: addresses
        .filter((a) => a !== APP_ADDRESS)
        .map((address) => {
          const r = this.lastSeen.get(address);
          return {
            address,
            up: r !== undefined && !this.silentSince.has(address) && r.up,
            openWork: r?.openWork ?? 0,
            received: r?.received ?? 0,
            journalSeq: r?.journalSeq ?? 0,
            outages: this.outages.get(address) ?? 0,
          };
        }),
      load:
        load === undefined
          ? null
          : {
              total: load.total ?? 0,
              submitted: load.submitted ?? 0,
              accepted: load.accepted ?? 0,
              refused: load.refused ?? 0,
              unanswered: load.unanswered ?? 0,
            },
      latencyMs: latencyOf(new Map(actorReports.map((r) => [r.address, r]))),
      refusedFrames,
      events: events.slice(-50),
      series,
      ...verdict,
    };
  }

  /** The check's result.json in the watched folder, once it is there and whole. */
  private verdict(): Pick<DashboardState, 'invariants' | 'checkOk' | 'report'> {
    const path = join(this.options.outDir, 'result.json');
    const report = existsSync(join(this.options.outDir, 'report.html'));
    if (!existsSync(path) || statSync(path).mtimeMs < this.startedAt)
      return { invariants: null, checkOk: null, report: false };
    try {
      const result = JSON.parse(readFileSync(path, 'utf8')) as {
        ok: boolean;
        invariants: Record<string, { ok: boolean; detail?: string }>;
      };
      return { invariants: result.invariants, checkOk: result.ok, report };
    } catch {
      return { invariants: null, checkOk: null, report }; // being written: next poll
    }
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const send = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET') return send(405, 'text/plain', 'GET only\n');
    switch (path) {
      case '/':
        return send(200, 'text/html; charset=utf-8', renderDashboardPage());
      case '/state.json':
        return send(200, 'application/json', JSON.stringify(this.state));
      case '/healthz':
        return send(200, 'text/plain', 'ok\n');
      case '/report.html': {
        const file = join(this.options.outDir, 'report.html');
        if (!existsSync(file))
          return send(404, 'text/plain', 'no report yet: the check writes it when it ends\n');
        return send(200, 'text/html; charset=utf-8', readFileSync(file));
      }
      default:
        return send(404, 'text/plain', `no page ${path}\n`);
    }
  }
}
