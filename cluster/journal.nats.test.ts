// The JetStream journal against a real nats-server: a second owner fences the first, a restart
// reads back exactly what was appended, snapshots compact the stream without changing what it
// folds to, and a missing stream is named.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  jetstream,
  type JetStreamClient,
  type JetStreamManager,
  jetstreamManager,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { pack } from '../host/record_codec.ts';
import { ensureStream, FencedError, Journal, readJournal } from './journal.ts';
import { NatsCluster } from './nats_server.ts';
import { connectNats } from './nats_transport.ts';
import { stateSubject } from './subjects.ts';

describe('Journal on JetStream', () => {
  let dir: string;
  let nats: NatsCluster;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gongji-journal-'));
    nats = await NatsCluster.start({ nodes: 1, dir });
    nc = await connectNats({ servers: nats.clientUrls(), name: 'journal-test' });
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
  }, 60_000);

  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('seeds an empty journal with the genesis records, then reads back every append in order', async () => {
    await ensureStream(jsm, 'province.11', { replicas: 1 });
    const genesis = new Map<string, unknown>([['a:1', { available: 100n, held: 0n }]]);
    const { journal, records } = await Journal.open(
      js,
      jsm,
      'province.11',
      'owner-a',
      () => genesis,
    );
    expect([...records]).toEqual([...genesis]);
    await journal.append(
      ['a:1', 't:T1'],
      [
        { available: 70n, held: 30n },
        { state: 'reserved', amount: 30n },
      ],
      records,
    );
    await journal.append(['t:T1'], [{ state: 'committed', amount: 30n }], records);
    const back = await readJournal(js, jsm, 'province.11');
    expect([...back.records]).toEqual([
      ['a:1', { available: 70n, held: 30n }],
      ['t:T1', { state: 'committed', amount: 30n }],
    ]);
    expect(back.lastSeq).toBe(journal.sequence);
  });

  it('a second owner takes over: the first one is fenced on its next append and writes nothing', async () => {
    await ensureStream(jsm, 'wallet.00', { replicas: 1 });
    const first = await Journal.open(js, jsm, 'wallet.00', 'owner-1', () => new Map([['l:1', 0n]]));
    await first.journal.append(['l:1'], [5n], first.records);
    const second = await Journal.open(js, jsm, 'wallet.00', 'owner-2', () => new Map());
    expect(second.records.get('l:1')).toBe(5n);
    await expect(first.journal.append(['l:1'], [999n], first.records)).rejects.toBeInstanceOf(
      FencedError,
    );
    await second.journal.append(['l:1'], [7n], second.records);
    expect((await readJournal(js, jsm, 'wallet.00')).records.get('l:1')).toBe(7n);
  });

  it('snapshots compact the stream; what it folds to is unchanged', async () => {
    await ensureStream(jsm, 'wallet.01', { replicas: 1 });
    const opened = await Journal.open(js, jsm, 'wallet.01', 'owner-s', () => new Map(), {
      snapshotBytes: 2_000,
    });
    const live = new Map<string, unknown>();
    for (let i = 0; i < 60; i++) {
      const key = `w:${i % 25}`;
      const value = { n: BigInt(i), pad: 'x'.repeat(100) };
      await opened.journal.append([key], [value], live);
      live.set(key, value);
    }
    expect(opened.journal.snapshots).toBeGreaterThan(0);
    const info = await jsm.streams.info('GJ_wallet_01');
    expect(info.state.first_seq).toBeGreaterThan(1); // purged before the last snapshot
    expect((await readJournal(js, jsm, 'wallet.01')).records).toEqual(live);
  });

  it('an opening cut short between snapshot chunks is seeded again, not restored empty', async () => {
    await ensureStream(jsm, 'wallet.02', { replicas: 1 });
    // What a host killed between the two chunks of its opening snapshot leaves behind.
    await js.publish(stateSubject('wallet.02'), pack(['s', 'dead-owner:0', 0, 2, ['w:a'], [1]]));
    await js.publish(stateSubject('wallet.02'), pack(['o', 'another-dead-owner']));
    const genesis = new Map<string, unknown>([
      ['w:a', 1],
      ['w:b', 2],
    ]);
    const { records } = await Journal.open(js, jsm, 'wallet.02', 'owner-g', () => genesis);
    expect([...records]).toEqual([...genesis]);
    expect((await readJournal(js, jsm, 'wallet.02')).records).toEqual(genesis);
  });

  it('names a missing stream and how to create it', async () => {
    await expect(Journal.open(js, jsm, 'province.99', 'owner-x', () => new Map())).rejects.toThrow(
      /no journal stream GJ_province_99 for province.99: provision it first/,
    );
  });
});
