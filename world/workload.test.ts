// Workload generator: determinism, exact counts of the rule-breaking shares (W7, W8), the
// DOMAIN §4.4 timing profile and amount distribution, and bursts that exercise W6 and W12.
import { describe, expect, it } from 'vitest';

import { buildPopulation } from './population.ts';
import { Prng } from './prng.ts';
import { buildTopology, smallTopology } from './topology.ts';
import type { TransferIntent } from './workload.ts';
import { amountSigma, buildWorkload, DAY_MS, HOUR_MS, HOUR_WEIGHTS } from './workload.ts';

/** These tests draw transfers only (no bindings or revocations): every intent is a transfer. */
function transfersOnly(...args: Parameters<typeof buildWorkload>): TransferIntent[] {
  const intents = buildWorkload(...args);
  if (!intents.every((i) => i.kind === 'transfer')) throw new Error('expected transfers only');
  return intents as TransferIntent[];
}

const national = buildTopology({});
const pop = buildPopulation(national, new Prng(11), { wallets: 100_000 });
const relationKeys = new Map(pop.relations.map((r) => [`${r.donorId}>${r.recipientId}`, r]));

/** Hour of the Beijing day, 0–23, for a virtual time (day 0 begins at 00:00). */
function hourOfDay(atMs: number): number {
  return Math.floor(atMs / HOUR_MS) % 24;
}

function isBlackout(atMs: number): boolean {
  const h = hourOfDay(atMs);
  return h >= 22 || h < 6;
}

function histogram(intents: readonly TransferIntent[]): number[] {
  const counts = new Array<number>(24).fill(0);
  for (const t of intents) counts[hourOfDay(t.at)]! += 1;
  return counts;
}

function maxPerDonorDay(intents: readonly TransferIntent[]): number {
  const counts = new Map<string, number>();
  for (const t of intents) {
    const key = `${t.donorId}@${Math.floor(t.at / DAY_MS)}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return Math.max(...counts.values());
}

describe('workload: hours', () => {
  it('has 24 weights, zero exactly in the W8 blackout', () => {
    expect(HOUR_WEIGHTS.length).toBe(24);
    HOUR_WEIGHTS.forEach((w, h) => expect(w === 0, `hour ${h}`).toBe(h >= 22 || h < 6));
  });
});

describe('workload: determinism', () => {
  it('replays the same seed exactly and differs for another seed', () => {
    const a = transfersOnly(pop, new Prng(5), { transfers: 3_000 });
    const b = transfersOnly(pop, new Prng(5), { transfers: 3_000 });
    const c = transfersOnly(pop, new Prng(6), { transfers: 3_000 });
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });
});

describe('workload: a 30k-transfer day on 100k wallets', () => {
  const intents = transfersOnly(pop, new Prng(12), { transfers: 30_000 });

  it('has exactly the requested count, sorted by time, with ids in time order', () => {
    expect(intents.length).toBe(30_000);
    const unsorted = intents.filter((t, i) => i > 0 && t.at < intents[i - 1]!.at);
    expect(unsorted).toEqual([]);
    expect(intents[0]?.transferId).toBe('t000000');
    expect(intents[29_999]?.transferId).toBe('t029999');
    expect(intents.every((t) => Number.isInteger(t.at) && t.at >= 0 && t.at < DAY_MS)).toBe(true);
  });

  it('only uses existing relations, with their scope, and covers every scope', () => {
    const bad = intents.filter(
      (t) => relationKeys.get(`${t.donorId}>${t.recipientId}`)?.scope !== t.scope,
    );
    expect(bad).toEqual([]);
    expect(new Set(intents.map((t) => t.scope))).toEqual(
      new Set(['sameRegion', 'sameProvince', 'crossProvince']),
    );
  });

  it('puts exactly blackoutShare of the requests in 22:00–06:00 (W8)', () => {
    expect(intents.filter((t) => isBlackout(t.at)).length).toBe(300);
  });

  it('peaks at 12:00 and 19:00–21:59, with a burst at 06:00 above the plateau', () => {
    const counts = histogram(intents);
    const top4 = counts
      .map((c, h) => [c, h] as const)
      .sort((a, b) => b[0] - a[0])
      .slice(0, 4)
      .map(([, h]) => h)
      .sort((a, b) => a - b);
    expect(top4).toEqual([12, 19, 20, 21]);
    const plateau = [7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18].map((h) => counts[h] ?? 0);
    expect(counts[6]).toBeGreaterThan(Math.max(...plateau));
    expect(Math.min(...plateau)).toBeGreaterThan(0);
  });

  it('draws positive whole-fen amounts, exactly overLimitShare over 2,000 yuan (W7)', () => {
    expect(intents.every((t) => typeof t.amount === 'bigint' && t.amount > 0n)).toBe(true);
    const over = intents.filter((t) => t.amount > 200_000n);
    expect(over.length).toBe(300);
    expect(over.every((t) => t.amount <= 300_000n)).toBe(true);
  });

  it('has median 500 yuan and a mean ≈ 650 yuan below the cap', () => {
    const inLimit = intents.filter((t) => t.amount <= 200_000n).map((t) => Number(t.amount));
    const sorted = [...inLimit].sort((a, b) => a - b);
    expect(sorted[sorted.length >> 1]).toBeGreaterThan(45_000);
    expect(sorted[sorted.length >> 1]).toBeLessThan(55_000);
    const meanYuan = inLimit.reduce((a, b) => a + b, 0) / inLimit.length / 100;
    expect(meanYuan).toBeGreaterThan(630);
    expect(meanYuan).toBeLessThan(670);
    expect(amountSigma(500, 650)).toBeCloseTo(0.797, 2);
  });

  it('rounds most amounts: ≈20% whole hundreds, ≈90% whole yuan', () => {
    const n = intents.length;
    const hundreds = intents.filter((t) => t.amount % 10_000n === 0n).length / n;
    const yuan = intents.filter((t) => t.amount % 100n === 0n).length / n;
    expect(hundreds).toBeGreaterThan(0.19);
    expect(hundreds).toBeLessThan(0.25); // some lognormal draws land on hundreds anyway
    expect(yuan).toBeGreaterThan(0.88);
    expect(yuan).toBeLessThan(0.92);
  });

  it('includes bursts: a donor with 4 a day (W6) and a pair repeated within minutes (W12)', () => {
    expect(maxPerDonorDay(intents)).toBeGreaterThanOrEqual(4);
    const lastAt = new Map<string, number>();
    let quickRepeats = 0;
    for (const t of intents) {
      const key = `${t.donorId}>${t.recipientId}`;
      const previous = lastAt.get(key);
      if (previous !== undefined && t.at - previous <= 10 * 60_000) quickRepeats++;
      lastAt.set(key, t.at);
    }
    expect(quickRepeats).toBeGreaterThan(50);
  });
});

describe('workload: options', () => {
  it('keeps the blackout empty and no amount over the cap when both shares are 0', () => {
    const intents = transfersOnly(pop, new Prng(1), {
      transfers: 5_000,
      blackoutShare: 0,
      overLimitShare: 0,
      burstShare: 0,
    });
    expect(intents.filter((t) => isBlackout(t.at))).toEqual([]);
    expect(intents.filter((t) => t.amount > 200_000n)).toEqual([]);
  });

  it('spreads several days evenly and stays exact on small workloads', () => {
    const intents = transfersOnly(pop, new Prng(2), { transfers: 9_000, days: 3 });
    for (let day = 0; day < 3; day++) {
      const n = intents.filter((t) => Math.floor(t.at / DAY_MS) === day).length;
      expect(n).toBeGreaterThan(2_700);
      expect(n).toBeLessThan(3_300);
    }
    const small = transfersOnly(pop, new Prng(3), { transfers: 100 });
    expect(small.filter((t) => isBlackout(t.at)).length).toBe(1);
    expect(small.filter((t) => t.amount > 200_000n).length).toBe(1);
  });

  it('handles zero transfers, tiny populations, and rejects bad options', () => {
    const tiny = buildPopulation(smallTopology(1, 1), new Prng(4), { wallets: 2 });
    expect(transfersOnly(tiny, new Prng(4), { transfers: 0 })).toEqual([]);
    expect(transfersOnly(tiny, new Prng(4), { transfers: 50 }).length).toBe(50);
    expect(() => transfersOnly(tiny, new Prng(4), { transfers: 1.5 })).toThrow(/buildWorkload/);
    expect(() => transfersOnly(tiny, new Prng(4), { transfers: 1, days: 0 })).toThrow(RangeError);
    expect(() => transfersOnly({ relations: [] }, new Prng(4), { transfers: 1 })).toThrow(
      /no relations/,
    );
    expect(() => amountSigma(500, 400)).toThrow(RangeError);
  });
});
