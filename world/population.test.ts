// Topology and population generators: the shapes DOMAIN.md §4.4 asks for, determinism, and the
// invariants the protocol relies on (no self-relations, distinct recipients, scopes that match).
import { fc, test as propTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';

import { CLOSE_KINSHIPS, isCloseKinship, NON_CLOSE_KINSHIPS } from '../protocol/index.ts';
import type { Person, Population, Relation } from './population.ts';
import { buildPopulation, crossProvinceFlow, regionWeights } from './population.ts';
import { Prng } from './prng.ts';
import { PILOT_PROVINCES_2024_12, PROVINCES } from './topology.data.ts';
import type { Topology } from './topology.ts';
import { buildTopology, smallTopology } from './topology.ts';

const GB_T_2260 = (
  '11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 ' +
  '54 61 62 63 64 65'
).split(' ');

const national = buildTopology({});

function share(relations: readonly Relation[], test: (r: Relation) => boolean): number {
  return relations.filter(test).length / relations.length;
}

/** Every broken invariant, as text; expect() per element would dominate the run time. */
function violations(topology: Topology, pop: Population): string[] {
  const found: string[] = [];
  const seen = new Set<string>();
  for (const r of pop.relations) {
    const donor = pop.personById.get(r.donorId);
    const recipient = pop.personById.get(r.recipientId);
    const key = `${r.donorId}>${r.recipientId}`;
    if (!donor || !recipient) found.push(`${key}: unknown person`);
    else if (r.donorId === r.recipientId) found.push(`${key}: self`);
    else if (!donor.ebmi || donor.walletStatus !== 'active') found.push(`${key}: bad donor`);
    else if (seen.has(key)) found.push(`${key}: repeated pair`);
    else if (r.scope !== scopeOf(donor, recipient)) found.push(`${key}: scope ${r.scope}`);
    seen.add(key);
  }
  for (const p of pop.people) {
    if (topology.regionByCode.get(p.region)?.province !== p.province) found.push(`${p.id}: place`);
    if (p.openingBalance < 0n || (!p.ebmi && p.openingBalance !== 0n)) {
      found.push(`${p.id}: balance`);
    }
  }
  return found;
}

function scopeOf(a: Person, b: Person): Relation['scope'] {
  if (a.region === b.region) return 'sameRegion';
  return a.province === b.province ? 'sameProvince' : 'crossProvince';
}

describe('topology: provinces and pooling regions', () => {
  it('has the 31 GB/T 2260 provinces, with land borders that are symmetric', () => {
    expect(PROVINCES.map((p) => p.code)).toEqual(GB_T_2260);
    const byCode = new Map(PROVINCES.map((p) => [p.code, p]));
    for (const p of PROVINCES) {
      for (const n of p.neighbours) {
        expect(n).not.toBe(p.code);
        expect(byCode.get(n)?.neighbours, `${p.code}–${n}`).toContain(p.code);
      }
    }
    expect(byCode.get('46')?.neighbours).toEqual([]);
  });

  it('matches DOMAIN §4.4: 364 regions, ≈371M EBMI, 6 destinations, 9 origins', () => {
    expect(national.regions.length).toBe(364);
    const ebmi = PROVINCES.reduce((sum, p) => sum + p.ebmiMillions, 0);
    expect(ebmi).toBeGreaterThan(365);
    expect(ebmi).toBeLessThan(377);
    const role = (r: string): string[] =>
      PROVINCES.filter((p) => p.migrantRole === r)
        .map((p) => p.code)
        .sort();
    expect(role('destination')).toEqual(['11', '31', '32', '33', '35', '44']);
    expect(role('origin')).toEqual(['34', '36', '41', '42', '43', '45', '50', '51', '52']);
    const regionsOf = (code: string): number | undefined =>
      national.provinces.find((p) => p.code === code)?.regions.length;
    const counts = ['51', '42', '11', '64'].map(regionsOf);
    expect(counts).toEqual([22, 14, 1, 6]);
  });

  it('gives municipalities <pp>0000 and other provinces cities plus the 省本级 <pp>9900', () => {
    expect(national.regionByCode.get('110000')?.province).toBe('11');
    expect(national.regionByCode.has('500000')).toBe(true);
    expect(national.regionByCode.get('519900')?.index).toBe(21);
    expect(national.regionByCode.get('510100')?.index).toBe(0);
    for (const r of national.regions) expect(r.code).toMatch(new RegExp(`^${r.province}\\d{4}$`));
  });

  it('caps regions per province and builds small synthetic topologies', () => {
    const capped = buildTopology({ regionsPerProvinceMax: 2 });
    expect(capped.regions.length).toBe(4 + 27 * 2);
    expect(capped.regionByCode.has('519900')).toBe(true);
    const small = smallTopology(3, 4);
    expect(small.provinces.map((p) => p.code)).toEqual(['11', '12', '13']);
    expect(small.regions.length).toBe(12);
    expect(small.provinces[2]?.spec.neighbours).toEqual(['11', '12']);
    expect(() => smallTopology(0, 1)).toThrow(RangeError);
    expect(() => smallTopology(32, 1)).toThrow(RangeError);
  });

  it('names 9 pilot provinces of Dec 2024, Jiangsu and Hebei among them (S0)', () => {
    expect(new Set(PILOT_PROVINCES_2024_12).size).toBe(9);
    expect(PILOT_PROVINCES_2024_12).toContain('32');
    expect(PILOT_PROVINCES_2024_12).toContain('13');
    for (const code of PILOT_PROVINCES_2024_12) expect(GB_T_2260).toContain(code);
  });
});

describe('population: determinism', () => {
  it('replays the same seed exactly and differs for another seed', () => {
    const topo = buildTopology({ regionsPerProvinceMax: 4 });
    const a = buildPopulation(topo, new Prng(7), { wallets: 5_000 });
    const b = buildPopulation(topo, new Prng(7), { wallets: 5_000 });
    const c = buildPopulation(topo, new Prng(8), { wallets: 5_000 });
    expect(b.people).toEqual(a.people);
    expect(b.relations).toEqual(a.relations);
    expect(c.people).not.toEqual(a.people);
    expect(c.relations).not.toEqual(a.relations);
  });
});

describe('population: 100k wallets on the national topology', () => {
  const pop = buildPopulation(national, new Prng(2025), { wallets: 100_000 });
  const donors = new Set(pop.relations.map((r) => r.donorId));

  // No wall-clock bound on building it: on two shared cores such a bound measures the neighbours
  // (it failed a full run while another simulation ran); speed is for benches to measure.
  it('builds 100k people with fixed-width unique ids', () => {
    expect(pop.people.length).toBe(100_000);
    expect(pop.personById.size).toBe(100_000);
    expect(pop.people[123]?.id).toBe('p000123');
    expect(new Set(pop.people.map((p) => p.id.length))).toEqual(new Set([7]));
  });

  it('keeps every relation valid: no self, distinct recipients per donor, scope matches', () => {
    expect(violations(national, pop)).toEqual([]);
  });

  it('has half the people as donors, each with ≥1 relation and 1.6 on average', () => {
    expect(donors.size).toBe(50_000);
    expect(pop.relations.length / donors.size).toBeGreaterThan(1.55);
    expect(pop.relations.length / donors.size).toBeLessThan(1.65);
    const donorsPerRecipient = new Map<string, number>();
    for (const r of pop.relations) {
      donorsPerRecipient.set(r.recipientId, (donorsPerRecipient.get(r.recipientId) ?? 0) + 1);
    }
    // E4: a recipient may have several donors.
    expect(Math.max(...donorsPerRecipient.values())).toBeGreaterThan(1);
  });

  it('sends ≈30% of relations across provinces and ≈25% minus municipalities within one', () => {
    const cross = share(pop.relations, (r) => r.scope === 'crossProvince');
    expect(cross).toBeGreaterThan(0.29);
    expect(cross).toBeLessThan(0.31);
    const sameProvince = share(pop.relations, (r) => r.scope === 'sameProvince');
    expect(sameProvince).toBeGreaterThan(0.19);
    expect(sameProvince).toBeLessThan(0.25);
  });

  it('mixes kinships: mostly parents, one spouse at most, ≈2% non-close (E2 refusals)', () => {
    const nonClose = share(pop.relations, (r) => !isCloseKinship(r.kinship));
    expect(nonClose).toBeGreaterThan(0.015);
    expect(nonClose).toBeLessThan(0.025);
    const kinds = new Set(pop.relations.map((r) => r.kinship));
    for (const k of [...CLOSE_KINSHIPS, ...NON_CLOSE_KINSHIPS]) expect(kinds).toContain(k);
    expect(share(pop.relations, (r) => r.kinship === 'PARENT')).toBeGreaterThan(0.35);
    const spouses = new Map<string, number>();
    for (const r of pop.relations) {
      if (r.kinship === 'SPOUSE') spouses.set(r.donorId, (spouses.get(r.donorId) ?? 0) + 1);
    }
    expect(Math.max(...spouses.values())).toBe(1);
  });

  it('routes destination-province donors mostly to origin provinces', () => {
    const role = new Map(PROVINCES.map((p) => [p.code, p.migrantRole]));
    const fromDest = pop.relations.filter(
      (r) =>
        r.scope === 'crossProvince' &&
        role.get(pop.personById.get(r.donorId)?.province ?? '') === 'destination',
    );
    const toOrigin = share(
      fromDest,
      (r) => role.get(pop.personById.get(r.recipientId)?.province ?? '') === 'origin',
    );
    expect(toOrigin).toBeGreaterThan(0.65);
  });

  it('places people by EBMI weight and over a province’s regions by their weight', () => {
    const inGuangdong = pop.people.filter((p) => p.province === '44').length / 100_000;
    expect(inGuangdong).toBeGreaterThan(0.11); // 45.4 / 371 ≈ 0.122
    expect(inGuangdong).toBeLessThan(0.135);
    const sichuan = pop.people.filter((p) => p.province === '51');
    const codes = [...new Set(sichuan.map((p) => p.region))].sort();
    const weights = regionWeights(codes);
    for (const code of ['510100', '511000', '512100', '519900']) {
      const seen = sichuan.filter((p) => p.region === code).length / sichuan.length;
      const want = weights[codes.indexOf(code)] as number;
      expect(Math.abs(seen - want)).toBeLessThan(0.25 * want + 0.003);
    }
    // The first city is the largest, 省本级 a small 4 %.
    expect(weights[0]).toBeGreaterThan(2 * (weights[20] as number));
    expect(weights.at(-1)).toBeCloseTo(0.04, 10);
  });

  it('leaves ≈1% of non-donor wallets unopened (W10) and never a donor’s', () => {
    const unopened = pop.people.filter((p) => p.walletStatus === 'unopened');
    expect(unopened.every((p) => !donors.has(p.id))).toBe(true);
    expect(unopened.length / 50_000).toBeGreaterThan(0.007);
    expect(unopened.length / 50_000).toBeLessThan(0.013);
    const toUnopened = share(
      pop.relations,
      (r) => pop.personById.get(r.recipientId)?.walletStatus === 'unopened',
    );
    expect(toUnopened).toBeGreaterThan(0.005);
  });

  it('draws balances in whole fen with mean ≈ 3,800 yuan and some under 300 yuan', () => {
    const ebmi = pop.people.filter((p) => p.ebmi);
    expect(ebmi.length).toBeGreaterThan(50_000); // donors, plus EBMI recipients
    const total = ebmi.reduce((sum, p) => sum + p.openingBalance, 0n);
    const meanYuan = Number(total / BigInt(ebmi.length)) / 100;
    expect(meanYuan).toBeGreaterThan(3_500);
    expect(meanYuan).toBeLessThan(4_100);
    const small = ebmi.filter((p) => p.openingBalance < 30_000n).length / ebmi.length;
    expect(small).toBeGreaterThan(0.05);
    expect(small).toBeLessThan(0.1);
  });
});

describe('population: cross-province flow matrix', () => {
  it('has rows that are distributions with no self-flow, even for an island', () => {
    const flow = crossProvinceFlow(national);
    flow.forEach((row, i) => {
      expect(row[i]).toBe(0);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    });
    const codes = national.provinces.map((p) => p.code);
    const ningxia = flow[codes.indexOf('64')] ?? [];
    // S3: Ningxia's aid goes to Gansu, Shaanxi and Inner Mongolia; neighbours beat distant Tibet.
    expect(ningxia[codes.indexOf('62')]).toBeGreaterThan(ningxia[codes.indexOf('54')] ?? 1);
  });
});

describe('population: small synthetic topologies', () => {
  it('rejects bad options with the API name', () => {
    const topo = smallTopology(2, 2);
    expect(() => buildPopulation(topo, new Prng(1), { wallets: 1 })).toThrow(/buildPopulation/);
    expect(() => buildPopulation(topo, new Prng(1), { wallets: 10, donorShare: 1.5 })).toThrow(
      RangeError,
    );
    expect(() =>
      buildPopulation(topo, new Prng(1), {
        wallets: 10,
        crossProvinceShare: 0.8,
        sameProvinceShare: 0.5,
      }),
    ).toThrow(RangeError);
  });

  it('places people uniformly over synthetic provinces', () => {
    const pop = buildPopulation(smallTopology(4, 2), new Prng(3), { wallets: 8_000 });
    for (const code of ['11', '12', '13', '14']) {
      const n = pop.people.filter((p) => p.province === code).length;
      expect(n).toBeGreaterThan(1_800);
      expect(n).toBeLessThan(2_200);
    }
  });

  propTest.prop(
    [
      fc.integer({ min: 0, max: 2 ** 31 }),
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 2, max: 300 }),
    ],
    { numRuns: 60 },
  )(
    'keeps every invariant and gives every donor a relation, however small',
    (seed, provinces, regions, wallets) => {
      const topo = smallTopology(provinces, regions);
      const pop = buildPopulation(topo, new Prng(seed), { wallets });
      expect(violations(topo, pop)).toEqual([]);
      const donorCount = Math.min(wallets - 1, Math.max(1, Math.round(wallets / 2)));
      expect(new Set(pop.relations.map((r) => r.donorId)).size).toBe(donorCount);
    },
  );
});
