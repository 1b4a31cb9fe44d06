// Tests for the nats-server config renderer and process launcher against real nats-server
// processes on random loopback ports: JetStream dedupe on one node, an R3 stream surviving a
// killed node, and users whose permissions confine them to their own subjects and stream.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { connect, errors } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { NatsNodeConfig, NatsUser } from './nats_config.ts';
import { jetStreamStreamPermissions, renderNatsConfig } from './nats_config.ts';
import { findNatsServer, freePorts, NatsCluster, NatsServerMissingError } from './nats_server.ts';

const tempDirs: string[] = [];
const connections: NatsConnection[] = [];
const clusters: NatsCluster[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gongji-nats-'));
  tempDirs.push(dir);
  return dir;
}

async function client(
  servers: string | string[],
  user?: string,
  pass?: string,
): Promise<NatsConnection> {
  const nc = await connect({
    servers,
    ...(user !== undefined ? { user, pass } : {}),
    reconnectTimeWait: 200,
  });
  connections.push(nc);
  return nc;
}

async function closeAll(): Promise<void> {
  await Promise.allSettled(connections.splice(0).map((nc) => nc.close()));
  await Promise.allSettled(clusters.splice(0).map((c) => c.stop()));
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}

async function startCluster(nodes: number, users?: readonly NatsUser[]): Promise<NatsCluster> {
  const cluster = await NatsCluster.start({
    nodes,
    dir: await tempDir(),
    ...(users ? { users } : {}),
  });
  clusters.push(cluster);
  return cluster;
}

afterEach(closeAll);
afterAll(async () => {
  await closeAll();
  await Promise.allSettled(tempDirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('findNatsServer', () => {
  it('finds the installed binary, on PATH or at a fallback path', () => {
    const bin = findNatsServer();
    expect(path.basename(bin)).toBe('nats-server');
    expect(findNatsServer({ PATH: path.dirname(bin) }, [])).toBe(bin);
    expect(findNatsServer({ PATH: '' }, [bin])).toBe(bin);
  });

  it('throws a one-line NatsServerMissingError when it is nowhere', () => {
    const missing = path.join(os.tmpdir(), 'no-such-dir', 'nats-server');
    for (const attempt of [
      () => findNatsServer({ NATS_SERVER_BIN: missing, PATH: '' }),
      () => findNatsServer({ PATH: '' }, [missing]),
    ]) {
      let caught: unknown;
      try {
        attempt();
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(NatsServerMissingError);
      expect((caught as Error).message).toMatch(/^nats-server not found: /);
      expect((caught as Error).message).not.toContain('\n');
    }
  });
});

describe('renderNatsConfig', () => {
  const base: NatsNodeConfig = {
    name: 'n1',
    host: '127.0.0.1',
    clientPort: 4333,
    httpPort: 8333,
    storeDir: '/tmp/gj store',
  };

  it('rejects bad input with a message naming the field', () => {
    expect(() => renderNatsConfig({ ...base, clientPort: 0 })).toThrow(
      /clientPort must be an integer in 1\.\.65535/,
    );
    expect(() => renderNatsConfig({ ...base, httpPort: 70000 })).toThrow(/httpPort/);
    expect(() => renderNatsConfig({ ...base, name: 'n 1' })).toThrow(/name must match/);
    expect(() => renderNatsConfig({ ...base, users: [{ user: 'u', password: 'a\nb' }] })).toThrow(
      /password .*newlines/,
    );
    expect(() =>
      renderNatsConfig({
        ...base,
        users: [{ user: 'u', password: 'p', permissions: { publish: ['a.>.b'], subscribe: [] } }],
      }),
    ).toThrow(/publish\[0\]/);
    expect(() =>
      renderNatsConfig({ ...base, cluster: { name: 'c', port: 6333, routes: [] } }),
    ).toThrow(/routes must not be empty/);
    expect(() =>
      renderNatsConfig({
        ...base,
        cluster: { name: 'c', port: 4333, routes: ['nats-route://127.0.0.1:6334'] },
      }),
    ).toThrow(/distinct/);
  });

  it('quotes every string, and renders an empty allow list as deny everything', () => {
    const text = renderNatsConfig({
      ...base,
      users: [
        {
          user: 'w',
          password: 'p$"\\>*',
          permissions: { publish: ['gj.v1.*.*.province.11', '$JS.API.>'], subscribe: [] },
        },
      ],
    });
    expect(text).toContain('store_dir: "/tmp/gj store"');
    expect(text).toContain('password: "p$\\"\\\\>*"');
    expect(text).toContain('publish: { allow: ["gj.v1.*.*.province.11", "$JS.API.>"] }');
    expect(text).toContain('subscribe: { deny: [">"] }');
  });

  it('produces files nats-server accepts', async () => {
    const file = path.join(await tempDir(), 'check.conf');
    const routes = ['nats-route://127.0.0.1:6334'];
    await writeFile(
      file,
      renderNatsConfig({
        ...base,
        cluster: { name: 'gj', port: 6333, routes },
        maxPayload: 2 ** 20,
        users: [{ user: 'u', password: '$x"y\\z' }],
      }),
    );
    const result = spawnSync(findNatsServer(), ['-t', '-c', file], { encoding: 'utf8' });
    expect(result.status, result.stderr + result.stdout).toBe(0);
  });
});

describe('NatsCluster', () => {
  it('reports a node that cannot start with the tail of its log', async () => {
    const blocker = net.createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as net.AddressInfo).port)),
    );
    try {
      const [cluster, http] = (await freePorts(2)) as [number, number];
      const ports = [{ client: port, cluster, http }];
      const started = NatsCluster.start({ nodes: 1, dir: await tempDir(), ports });
      await expect(started).rejects.toThrow(/n1 .*exited[\s\S]*address already in use/);
    } finally {
      blocker.close();
    }
  });

  it('single node: JetStream file stream deduplicates by msgID', async () => {
    const cluster = await startCluster(1);
    const nc = await client(cluster.clientUrls());
    await (
      await jetstreamManager(nc)
    ).streams.add({ name: 'DEDUPE', subjects: ['dedupe.>'], storage: 'file' });
    const js = jetstream(nc);
    const first = await js.publish('dedupe.a', 'x', { msgID: 'm-1' });
    const second = await js.publish('dedupe.a', 'x', { msgID: 'm-1' });
    expect(first).toMatchObject({ stream: 'DEDUPE', seq: 1, duplicate: false });
    expect(second).toMatchObject({ stream: 'DEDUPE', seq: 1, duplicate: true });
    await cluster.stop();
    await cluster.stop();
  });

  it('three nodes: an R3 stream keeps accepting publishes while a node is down, and the node rejoins', async () => {
    const dialed: string[] = [];
    const cluster = await NatsCluster.plan({
      nodes: 3,
      dir: await tempDir(),
      routeAddress: (from, to, port) => {
        dialed.push(`${from}->${to}`);
        return { host: '127.0.0.1', port };
      },
    });
    clusters.push(cluster);
    expect(dialed.sort()).toEqual(['0->1', '0->2', '1->0', '1->2', '2->0', '2->1']);
    await cluster.start();
    const urls = cluster.clientUrls();
    const nc = await client([urls[1] as string, urls[2] as string, urls[0] as string]);
    const jsm = await jetstreamManager(nc);
    await until('R3 stream', () =>
      jsm.streams.add({ name: 'R3', subjects: ['r3.>'], num_replicas: 3 }),
    );
    const js = jetstream(nc, { timeout: 5_000 });
    expect((await js.publish('r3.a', '1', { msgID: 'a' })).seq).toBe(1);

    await cluster.killNode(0);
    const ack = await until('publish with node 0 down', () =>
      js.publish('r3.a', '2', { msgID: 'b' }),
    );
    expect(ack.seq).toBe(2);

    await cluster.startNode(0);
    const direct = await client(urls[0] as string);
    const info = await until('node 0 to see both messages', async () => {
      const si = await (await jetstreamManager(direct)).streams.info('R3');
      return si.state.messages === 2 && si.cluster?.replicas?.every((r) => r.current)
        ? si
        : undefined;
    });
    expect(info.cluster?.replicas).toHaveLength(2);
  });
});

describe('users and permissions', () => {
  const admin: NatsUser = { user: 'admin', password: 'adm$n>*' };
  const province11: NatsUser = {
    user: 'p11',
    password: 'p11-secret',
    permissions: {
      publish: ['gj.v1.*.*.province.11'],
      subscribe: ['gj.v1.province.11.>', '_INBOX.>'],
    },
  };
  const stateUser: NatsUser = {
    user: 'state11',
    password: 's',
    permissions: jetStreamStreamPermissions('GJ_province_11', ['gj.state.province.11']),
  };
  let cluster: NatsCluster;
  let url: string;

  beforeAll(async () => {
    cluster = await NatsCluster.start({
      nodes: 1,
      dir: await tempDir(),
      users: [admin, province11, stateUser],
    });
    url = cluster.clientUrls()[0] as string;
  });
  afterAll(() => cluster?.stop());

  it('a publish outside the allow list surfaces as an error status; the connection stays open', async () => {
    const adminNc = await client(url, admin.user, admin.password);
    const seen = adminNc.subscribe('gj.v1.>', { max: 1 });
    await adminNc.flush();
    const nc = await client(url, province11.user, province11.password);
    const violations: Error[] = [];
    void (async () => {
      for await (const s of nc.status()) if (s.type === 'error') violations.push(s.error);
    })();

    nc.publish('gj.v1.wallet.3.province.12', 'denied');
    nc.publish('gj.v1.wallet.3.province.11', 'allowed');
    await nc.flush();
    const violation = await until('permission violation', () => violations[0]);
    expect(violation).toBeInstanceOf(errors.PermissionViolationError);
    expect(violation).toMatchObject({
      operation: 'publish',
      subject: 'gj.v1.wallet.3.province.12',
    });
    expect(violation.message).toMatch(/Permissions Violation for Publish/);
    expect(nc.isClosed()).toBe(false);
    for await (const m of seen) expect(m.subject).toBe('gj.v1.wallet.3.province.11');
  });

  it('a wrong password fails to connect', async () => {
    await expect(
      connect({ servers: url, user: province11.user, pass: 'wrong', reconnect: false }),
    ).rejects.toBeInstanceOf(errors.AuthorizationError);
  });

  it('jetStreamStreamPermissions confines a user to its one stream', async () => {
    const adminNc = await client(url, admin.user, admin.password);
    const adminJsm = await jetstreamManager(adminNc);
    await adminJsm.streams.add({ name: 'GJ_province_11', subjects: ['gj.state.province.11'] });
    await adminJsm.streams.add({ name: 'GJ_province_12', subjects: ['gj.state.province.12'] });

    const nc = await client(url, stateUser.user, stateUser.password);
    const js = jetstream(nc, { timeout: 5_000 });
    expect(
      await js.publish('gj.state.province.11', 'v1', { msgID: 's-1', expect: { lastSequence: 0 } }),
    ).toMatchObject({ seq: 1, duplicate: false });
    expect(
      await js.publish('gj.state.province.11', 'v2', { msgID: 's-2', expect: { lastSequence: 1 } }),
    ).toMatchObject({ seq: 2, duplicate: false });
    await expect(
      js.publish('gj.state.province.11', 'v3', { msgID: 's-3', expect: { lastSequence: 1 } }),
    ).rejects.toThrow(/wrong last sequence/);

    const consumer = await js.consumers.get('GJ_province_11');
    const read: string[] = [];
    for await (const m of await consumer.fetch({ max_messages: 2, expires: 5_000 }))
      read.push(m.string());
    expect(read).toEqual(['v1', 'v2']);

    const jsm = await jetstreamManager(nc, { checkAPI: false });
    expect(
      (
        await jsm.streams.getMessage('GJ_province_11', { last_by_subj: 'gj.state.province.11' })
      )?.string(),
    ).toBe('v2');
    expect((await jsm.streams.purge('GJ_province_11')).purged).toBe(2);

    await expect(js.publish('gj.state.province.12', 'x')).rejects.toThrow(
      /Permissions Violation for Publish to "gj.state.province.12"/,
    );
    await expect(js.consumers.get('GJ_province_12')).rejects.toThrow(
      /Permissions Violation for Publish to "\$JS.API.STREAM.INFO.GJ_province_12"/,
    );
    await expect(jsm.streams.purge('GJ_province_12')).rejects.toThrow(/Permissions Violation/);
    expect((await adminJsm.streams.info('GJ_province_12')).state.messages).toBe(0);
  });
});
