// actors/policy.ts's tables on the real topology of world/topology.data.ts: the province codes
// agree, the E8 rollout's stage totals are exact (0 → 31 → 117 → 146 → all but Guangdong) and
// well-defined on a capped topology, and P4's national mean credit is what DOMAIN §4.2 says.
import { describe, expect, it } from 'vitest';

import { type CivilDate, parseDate } from '../actors/calendar.ts';
import {
  crossProvinceAllowed,
  meanContributionBaseFen,
  monthlyCreditFen,
  type RolloutStage,
  rolloutStageAt,
  validateRollout,
  WALLET_ROLLOUT,
  walletEnabled,
} from '../actors/policy.ts';
import { PROVINCE_CODES } from '../actors/regions.ts';
import { PILOT_PROVINCES_2024_12, PROVINCES } from './topology.data.ts';
import { buildTopology, type Topology } from './topology.ts';

const d = parseDate;
const full = buildTopology();

function enabledAt(
  topology: Topology,
  date: CivilDate,
): { regions: string[]; provinces: Set<string> } {
  const regions = topology.regions.filter((r) => walletEnabled(r.code, date)).map((r) => r.code);
  return { regions, provinces: new Set(regions.map((r) => r.slice(0, 2))) };
}

describe('E8: wallet cross-province rollout', () => {
  it('province codes are the 31 of sim/topology.data.ts', () => {
    expect([...PROVINCE_CODES]).toEqual(PROVINCES.map((p) => p.code));
  });

  it('E8: stage totals match the sources exactly on the full topology (0 → 31 → 117 → 146 → all but Guangdong)', () => {
    const expected: Array<[string, number, number]> = [
      ['2024-12-01', 0, 0],
      ['2024-12-02', 9, 31],
      ['2025-02-06', 9, 31],
      ['2025-02-07', 14, 117],
      ['2025-06-04', 14, 117],
      ['2025-06-05', 17, 146],
      ['2025-08-31', 17, 146],
      ['2025-09-01', 30, full.regions.length - 22],
      ['2030-01-01', 30, 342],
    ];
    for (const [date, provinces, regions] of expected) {
      const got = enabledAt(full, d(date));
      expect([date, got.provinces.size, got.regions.length]).toEqual([date, provinces, regions]);
    }
    expect(enabledAt(full, d('2025-09-01')).provinces.has('44')).toBe(false);
  });

  it('E8: the Dec 2024 pilot provinces include Jiangsu and Hebei and match PILOT_PROVINCES_2024_12', () => {
    const pilot = enabledAt(full, d('2024-12-02')).provinces;
    expect([...pilot].sort()).toEqual([...PILOT_PROVINCES_2024_12].sort());
    expect(walletEnabled('320500', d('2024-12-02'))).toBe(true); // Suzhou, the launch city (S0)
  });

  it('E8 (U14): in Feb 2025 six provinces are fully covered', () => {
    const stage = rolloutStageAt(d('2025-02-07'));
    const fullyOn = full.provinces.filter((p) =>
      p.regions.every((r) => walletEnabled(r.code, d('2025-02-07'))),
    );
    expect(stage?.source).toBe('U14');
    expect(fullyOn.map((p) => p.code).sort()).toEqual(['11', '13', '31', '32', '33', '50']);
  });

  it('E8: a region once enabled stays enabled, and a partial province has its 省本级 off', () => {
    for (let i = 1; i < WALLET_ROLLOUT.length; i++) {
      const before = WALLET_ROLLOUT[i - 1] as RolloutStage;
      const after = WALLET_ROLLOUT[i] as RolloutStage;
      for (const r of full.regions) {
        if (walletEnabled(r.code, before.from))
          expect(walletEnabled(r.code, after.from)).toBe(true);
      }
      for (const [p, k] of before.provinces) {
        const spec = PROVINCES.find((s) => s.code === p);
        if (k !== 'all') {
          expect(k).toBeLessThan(spec?.regions ?? 0); // the first k cities exist
          expect(walletEnabled(`${p}9900`, before.from)).toBe(false);
        }
      }
    }
  });

  it('E8: well-defined on a capped topology: a subset of the full one, whole provinces whole', () => {
    const capped = buildTopology({ regionsPerProvinceMax: 3 });
    for (const stage of WALLET_ROLLOUT) {
      const on = enabledAt(capped, stage.from);
      const fullOn = new Set(enabledAt(full, stage.from).regions);
      for (const code of on.regions) expect(fullOn.has(code)).toBe(true);
      for (const [p, k] of stage.provinces) {
        const regions = capped.provinces.find((x) => x.code === p)?.regions ?? [];
        const count = regions.filter((r) => walletEnabled(r.code, stage.from)).length;
        expect(count).toBe(k === 'all' ? regions.length : Math.min(k, regions.length - 1));
      }
    }
  });

  it('E8: in 2024-12 a transfer from a pilot region to a non-pilot province is not allowed', () => {
    const dec = d('2024-12-15');
    expect(crossProvinceAllowed('320500', '440100', dec)).toBe(false); // Suzhou → Guangzhou
    expect(crossProvinceAllowed('320500', '410100', dec)).toBe(true); // Suzhou → Henan pilot city
    // Henan, not yet a pilot city
    expect(crossProvinceAllowed('320500', '411700', dec)).toBe(false);
    expect(crossProvinceAllowed('410100', '320500', d('2024-12-01'))).toBe(false); // before launch
  });

  it('E8: Guangdong stays off in Sep 2025 while everything else is on', () => {
    const sep = d('2025-09-01');
    expect(crossProvinceAllowed('440100', '510100', sep)).toBe(false);
    expect(crossProvinceAllowed('659900', '540800', sep)).toBe(true);
  });

  it('E7: within one province aid is allowed at any date, rollout or not', () => {
    expect(crossProvinceAllowed('440100', '449900', d('2024-01-01'))).toBe(true);
    expect(crossProvinceAllowed('510100', '512100', d('2024-12-01'))).toBe(true);
  });

  it('rejects malformed region codes and unknown provinces; rejects a timeline that narrows', () => {
    for (const bad of ['5101', '510101', '66010000', '660100', 'abcdef']) {
      expect(() => walletEnabled(bad, d('2025-01-01'))).toThrow(RangeError);
    }
    const [a, b] = WALLET_ROLLOUT as [RolloutStage, RolloutStage];
    expect(() => validateRollout([b, a])).toThrow(/not after/);
    expect(() => validateRollout([a, { ...b, provinces: new Map([['13', 1]]) }])).toThrow(
      /narrows/,
    );
  });
});

describe('P4: monthly personal-account credit', () => {
  it('P4 (§4.2): with 27 % retirees and EBMI weights the national mean credit is ≈ 135 yuan/month', () => {
    let weighted = 0n;
    let weights = 0n;
    for (const p of PROVINCES) {
      const w = BigInt(Math.round(p.ebmiMillions * 100));
      const active = monthlyCreditFen('active', meanContributionBaseFen(p.code), p.code);
      weighted += w * (73n * active + 27n * monthlyCreditFen('retired', 0n, p.code));
      weights += w * 100n;
    }
    const meanFen = weighted / weights;
    expect(meanFen >= 13_000n && meanFen <= 14_000n).toBe(true);
  });
});
