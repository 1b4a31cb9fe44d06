// The simulated network: latency draws, loss, duplication and reordering come from the seed;
// partitions cut links (one-way ones in one direction only) until they heal.
import { describe, expect, it } from 'vitest';

import type { FaultEvent } from '../world/faults.ts';
import { NETWORK_DEFAULTS, type NetworkConfig } from '../world/network.ts';
import { Prng } from '../world/prng.ts';
import { SimNetwork } from './sim_network.ts';

const ADDRESSES = ['province.11', 'province.12', 'wallet.00', 'wallet.01', 'settlement.0', 'app.0'];
const siteOf = (address: string) => (address.startsWith('province.') ? address : 'national');

function network(config: Partial<NetworkConfig> = {}, seed = 1) {
  const deliveries: Array<{ at: number; from: string; to: string }> = [];
  let now = 0;
  const net = new SimNetwork(
    { ...NETWORK_DEFAULTS, ...config },
    new Prng(seed),
    ADDRESSES,
    siteOf,
    () => now,
    (at, from, to) => deliveries.push({ at, from, to }),
  );
  return { net, deliveries, setNow: (t: number) => (now = t) };
}

const frame = new Uint8Array([1, 2, 3]);

describe('SimNetwork', () => {
  it('delivers every message once, later than now, with no faults', () => {
    const { net, deliveries } = network();
    for (let i = 0; i < 1000; i++) net.send('wallet.00', 'province.11', frame);
    expect(deliveries).toHaveLength(1000);
    expect(deliveries.every((d) => d.at >= 0)).toBe(true);
    const sorted = deliveries.map((d) => d.at).sort((a, b) => a - b);
    const median = sorted[500] as number;
    expect(median).toBeGreaterThanOrEqual(8);
    expect(median).toBeLessThanOrEqual(16);
  });

  it('same-site links use the fixed local latency', () => {
    const { net, deliveries } = network();
    net.send('wallet.00', 'wallet.01', frame);
    expect(deliveries[0]?.at).toBe(NETWORK_DEFAULTS.localLatencyMs);
  });

  it('the same seed draws the same latencies; another seed other ones', () => {
    const run = (seed: number) => {
      const { net, deliveries } = network({}, seed);
      for (let i = 0; i < 50; i++) net.send('app.0', 'province.12', frame);
      return deliveries.map((d) => d.at);
    };
    expect(run(3)).toEqual(run(3));
    expect(run(3)).not.toEqual(run(4));
  });

  it('loss and duplication follow their rates', () => {
    const { net, deliveries } = network({ lossRate: 0.2, duplicateRate: 0.1 });
    for (let i = 0; i < 20_000; i++) net.send('wallet.00', 'province.11', frame);
    expect(net.lost / 20_000).toBeGreaterThan(0.18);
    expect(net.lost / 20_000).toBeLessThan(0.22);
    expect(net.duplicated / (20_000 - net.lost)).toBeGreaterThan(0.08);
    expect(deliveries).toHaveLength(20_000 - net.lost + net.duplicated);
  });

  it('a symmetric partition cuts both ways until it stops', () => {
    const { net } = network();
    const cut: FaultEvent = {
      type: 'partition',
      at: 0,
      durationMs: 1,
      groupA: ['province.11'],
      groupB: ['wallet.*'],
      oneWay: false,
    };
    net.start(cut);
    expect(net.isCut('province.11', 'wallet.01')).toBe(true);
    expect(net.isCut('wallet.00', 'province.11')).toBe(true);
    expect(net.isCut('province.12', 'wallet.00')).toBe(false);
    net.stop(cut);
    expect(net.isCut('province.11', 'wallet.01')).toBe(false);
  });

  it('a one-way partition cuts only from A to B', () => {
    const { net } = network();
    net.start({
      type: 'partition',
      at: 0,
      durationMs: 1,
      groupA: ['wallet.*'],
      groupB: ['province.12'],
      oneWay: true,
    });
    expect(net.isCut('wallet.00', 'province.12')).toBe(true);
    expect(net.isCut('province.12', 'wallet.00')).toBe(false);
  });

  it('fault loss adds to the link rate and stops with the fault', () => {
    const { net } = network();
    const loss: FaultEvent = { type: 'loss', at: 0, durationMs: 1, rate: 0.5 };
    net.start(loss);
    for (let i = 0; i < 2_000; i++) net.send('app.0', 'wallet.00', frame);
    expect(net.lost).toBeGreaterThan(800);
    net.stop(loss);
    const before = net.lost;
    for (let i = 0; i < 2_000; i++) net.send('app.0', 'wallet.00', frame);
    expect(net.lost).toBe(before);
  });

  it('reordering holds some messages back, so arrival order differs from send order', () => {
    const { net, deliveries } = network({ latencySigma: 0 });
    net.start({ type: 'reorder', at: 0, durationMs: 1, rate: 0.5, delayMsMax: 1_000 });
    for (let i = 0; i < 200; i++) net.send('app.0', 'province.11', frame);
    const ats = deliveries.map((d) => d.at);
    expect(net.reordered).toBeGreaterThan(50);
    expect(ats).not.toEqual([...ats].sort((a, b) => a - b));
  });

  it('a partition naming an unknown node is an error that says which', () => {
    const { net } = network();
    expect(() =>
      net.start({
        type: 'partition',
        at: 0,
        durationMs: 1,
        groupA: ['province.99'],
        groupB: ['app.0'],
        oneWay: false,
      }),
    ).toThrow(/province\.99/);
  });
});
