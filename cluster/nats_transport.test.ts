// The transport's in-process path: frames between actors of one process arrive in order, on a
// later turn (never inside the sender's step), from the right sender, and never reach the broker;
// frames to other processes are published on the sender's subject.
import type { NatsConnection } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';

import { NatsTransport } from './nats_transport.ts';

function fakeConnection() {
  const published: Array<[string, Uint8Array]> = [];
  const nc = {
    publish: (subject: string, data: Uint8Array) => published.push([subject, data]),
    isClosed: () => false,
    isDraining: () => false,
  };
  return { nc: nc as unknown as NatsConnection, published };
}

describe('NatsTransport', () => {
  it('publishes frames for other processes on gj.v1.<to>.<from>', () => {
    const { nc, published } = fakeConnection();
    new NatsTransport(nc).send('wallet.01', 'province.11', new Uint8Array([1]));
    expect(published.map(([s]) => s)).toEqual(['gj.v1.province.11.wallet.01']);
  });

  it('delivers frames for its own actors in order, on a later turn, with their sender', async () => {
    const { nc, published } = fakeConnection();
    const transport = new NatsTransport(nc);
    const got: string[] = [];
    transport.serveLocally('wallet.02', (frame, sender) => got.push(`${sender}:${frame[0]}`));
    for (let i = 0; i < 5; i++) transport.send('wallet.01', 'wallet.02', new Uint8Array([i]));
    expect(got).toEqual([]); // not inside the sender's step
    await new Promise((resolve) => setImmediate(resolve));
    expect(got).toEqual([
      'wallet.01:0',
      'wallet.01:1',
      'wallet.01:2',
      'wallet.01:3',
      'wallet.01:4',
    ]);
    expect(published).toEqual([]);
    expect(transport.deliveredLocally).toBe(5);
  });

  it('after stopLocal, queued frames are dropped and new ones go to the broker', async () => {
    const { nc, published } = fakeConnection();
    const transport = new NatsTransport(nc);
    const got: number[] = [];
    transport.serveLocally('wallet.02', (frame) => got.push(frame[0] as number));
    transport.send('wallet.01', 'wallet.02', new Uint8Array([1]));
    transport.stopLocal();
    transport.send('wallet.01', 'wallet.02', new Uint8Array([2]));
    await new Promise((resolve) => setImmediate(resolve));
    expect(got).toEqual([]);
    expect(published.map(([s]) => s)).toEqual(['gj.v1.wallet.02.wallet.01']);
  });
});
