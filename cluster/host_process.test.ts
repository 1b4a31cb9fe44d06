// A host process on a real server: when a second process takes over one of its actors, the first
// is fenced on its next journal append, stops serving that actor and says so through `failed`
// (the `host` command then drains and exits 1 for its supervisor to restart it).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { jetstreamManager } from '@nats-io/jetstream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { clusterScenario } from './deployment.ts';
import { HostProcess } from './host_process.ts';
import { ensureStream } from './journal.ts';
import { NatsCluster } from './nats_server.ts';
import { connectNats } from './nats_transport.ts';

describe('HostProcess', () => {
  let dir: string;
  let nats: NatsCluster;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gongji-host-'));
    nats = await NatsCluster.start({ nodes: 1, dir });
    const nc = await connectNats({ servers: nats.clientUrls(), name: 'provision' });
    await ensureStream(await jetstreamManager(nc), 'settlement.0', { replicas: 1 });
    await nc.close();
  }, 60_000);
  afterAll(async () => {
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a second owner fences the first, which stops serving and reports the failure', async () => {
    const login = { servers: nats.clientUrls(), name: 'host' };
    const scenario = clusterScenario();
    const log = pino({ level: 'silent' });
    const first = await HostProcess.start({
      name: 'first',
      addresses: ['settlement.0'],
      login,
      scenario,
      log,
    });
    const second = await HostProcess.start({
      name: 'second',
      addresses: ['settlement.0'],
      login,
      scenario,
      log,
    });
    try {
      first.hosts.get('settlement.0')!.local((_actor, _now, fx) => fx.write('x:probe', true));
      const error = await first.failed;
      expect(error.message).toMatch(/settlement.0: another owner wrote to the journal/);
      expect(first.hosts.get('settlement.0')!.up).toBe(false);
      expect(second.hosts.get('settlement.0')!.up).toBe(true);
      expect(first.hosts.get('settlement.0')!.store.durable.has('x:probe')).toBe(false);
    } finally {
      await first.stop();
      await second.stop();
    }
  });
});
