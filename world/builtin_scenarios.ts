// The built-in scenarios, selected by name (`--scenario mature`): the network from the pilot of
// December 2024 to the mature network, each written as the plain data a scenario file would
// hold, so that it is checked exactly as a file is (world/scenario.ts). Rates are
// national-equivalent (DOMAIN §4.4) and divided by the scale; counts follow from the rates, the
// scale and each day's calendar (world/day_shape.ts), never from a script.
import { HOUR_MS } from '../actors/config.ts';

/** A 1:N sample's wallets of a network with `nationalWallets` (at least the 2 a world needs). */
export function sampledWallets(nationalWallets: number, scale: number): number {
  return Math.max(2, Math.round(nationalWallets / scale));
}

/** DOMAIN §4.4: 1.33e9 insured (U21), whose settlements are 212/s on average. */
const INSURED = 1.33e9;
const SETTLEMENTS_PER_SECOND = 212;
const FAMILY_AID_PER_SECOND = 10;
const CONTRIBUTIONS_PER_SECOND = 4.6;

/**
 * The rates of a population that is only the network's wallet holders: the settlements, family
 * aid and contributions of that share of the insured (the rest never touch a wallet).
 */
function walletHoldersRates(nationalWallets: number, transfersPerSecond: number) {
  const share = nationalWallets / INSURED;
  return {
    transfersPerSecond,
    settlementsPerSecond: SETTLEMENTS_PER_SECOND * share,
    familyAidPerSecond: FAMILY_AID_PER_SECOND * share,
    contributionsPerSecond: CONTRIBUTIONS_PER_SECOND * share,
    bindsPerTransfer: 0.1,
  };
}

/** The figures a run of the scenario is compared with, where public ones exist. */
interface ReportedFigures {
  readonly source: string;
  /** Successful wallet transfers, and their total in yuan. */
  readonly transfers: number;
  readonly yuan: number;
}

export interface BuiltinScenario {
  readonly name: string;
  readonly summary: string;
  /** The scale it runs at unless `--scale` says otherwise. */
  readonly scale: number;
  /** The scenario as file data, at a scale of 1:N. */
  readonly at: (scale: number) => Record<string, unknown>;
  readonly reported?: ReportedFigures;
}

/**
 * pilot-2024-12. Sources: S0 (seeds/000_…: "国家医保局已在江苏等9个省份开展医保钱包试点工作,目前
 * 已有近2.7万人使用医保钱包,成功转账1423笔,共39.9万元"); E8's first stage (9 provinces, 31
 * regions from 2024-12-02, actors/policy.ts). ASSUMPTION: the report covers the pilot's first
 * month; the 2.7万 users are the population (donors and recipients); the wallet was the way to
 * aid relatives in another province (within a province personal accounts already could), so
 * relations are across provinces; a pilot transfer is smaller than 2025's (399,000 / 1,423 ≈
 * 280 yuan against 656–680, U5/U6). The transfer rate (every transfer request, those that
 * follow bindings and openings included) and the amounts' mean are the parameters set to the
 * report: 1,423 successes in 31 days of a calendar with the contribution deadline's ×3, after
 * the refusals the actors make (W6–W8, W10, E2, funds).
 */
const PILOT: BuiltinScenario = {
  name: 'pilot-2024-12',
  summary: 'the 9 provinces and 31 regions of the December 2024 pilot, about 27,000 wallets',
  scale: 1,
  reported: { source: 'S0 (国家医保局, January 2025)', transfers: 1_423, yuan: 399_000 },
  at: (scale) => ({
    name: 'pilot-2024-12',
    seed: 1,
    population: {
      wallets: sampledWallets(27_000, scale),
      nationalWallets: 27_000,
      regions: 'walletEnabled',
      crossProvinceShare: 1,
      sameProvinceShare: 0,
    },
    workload: {
      transfers: 0,
      days: 31,
      scale,
      amountMedianYuan: 200,
      amountMeanYuan: 295,
      // Contributions across provinces are not the wallet's in 2024 (C3): none in the pilot.
      rates: { ...walletHoldersRates(27_000, 0.000_33), contributionsPerSecond: 0 },
      revokes: Math.round(30 / scale),
      enrolmentChanges: Math.round(10 / scale),
      opens: Math.round(30 / scale),
    },
    protocol: { startDate: '2024-12-02' },
    faults: [],
  }),
};

/**
 * national-2025. Sources: E8's stages (S0 2024-12; U14 2025-02, 117 regions; U7 146 regions;
 * U6 2025-09, all but Guangdong), DOMAIN §4.4 `wallets` (1.5e6 in September 2025) and
 * `walletTransferTps` (0.01/s "today"). Wallets open as their region's stage comes (W1, within
 * four weeks: ASSUMPTION); Guangdong's never do, as no public date was found for it (the
 * rollout's last stage, "all", has none).
 */
const NATIONAL_2025: BuiltinScenario = {
  name: 'national-2025',
  summary: 'the 2025 rollout of E8 over a year, wallets opening stage by stage (1:100)',
  scale: 100,
  at: (scale) => ({
    name: 'national-2025',
    seed: 1,
    population: {
      wallets: sampledWallets(1_500_000, scale),
      nationalWallets: 1_500_000,
      regions: 'rollout',
    },
    workload: {
      transfers: 0,
      days: 365,
      scale,
      rates: walletHoldersRates(1_500_000, 0.01),
      revokes: Math.round(3_000 / scale),
      enrolmentChanges: Math.round(1_000 / scale),
      opens: 10_000_000,
    },
    protocol: { startDate: '2025-01-01' },
    faults: [],
  }),
};

/**
 * The mature network (DOMAIN §4.4 "mature": 10 % of EBMI members as donors, 3.7e7, plus as many
 * recipients: 7.4e7 wallets; transfers 7/s; settlements 212/s, of which about 4 % (9/s) across
 * provinces; family aid 10/s; contributions 4.6/s in their season, September to December;
 * binds a tenth of transfers). The date, 2025-10-21, is an ordinary Tuesday in the
 * contribution season, which collects 2026's contributions (C1: 2027 has no amount yet;
 * ASSUMPTION). The settlements are the whole network's background load, as the issue that set
 * this scenario asks, not only the wallet holders'.
 */
function matureAt(name: string, scale: number, startDate: string, transfersPerSecond: number) {
  return {
    name,
    seed: 1,
    population: {
      wallets: sampledWallets(74_000_000, scale),
      nationalWallets: 74_000_000,
    },
    workload: {
      transfers: 0,
      days: 1,
      scale,
      rates: {
        transfersPerSecond,
        settlementsPerSecond: SETTLEMENTS_PER_SECOND,
        familyAidPerSecond: FAMILY_AID_PER_SECOND,
        contributionsPerSecond: CONTRIBUTIONS_PER_SECOND,
        bindsPerTransfer: 0.1,
      },
      // ASSUMPTION: per day nationally, 10,000 relations revoked (E5), 5,000 donors whose
      // enrolment changes (E6) and 10,000 wallets opened (W1).
      revokes: Math.round(10_000 / scale),
      enrolmentChanges: Math.round(5_000 / scale),
      opens: Math.round(10_000 / scale),
    },
    protocol: { startDate },
    faults: [],
    // A full recount of millions of wallets is seconds: every few million deliveries.
    checks: { checkpointEveryDeliveries: 5_000_000 },
  };
}

const MATURE: BuiltinScenario = {
  name: 'mature',
  summary: 'the mature network at 1:10, 7.4 million wallets, one ordinary day',
  scale: 10,
  at: (scale) => matureAt('mature', scale, '2025-10-21', 7),
};

/**
 * stress-day. Sources: DOMAIN §4.4 (transfers 300/s on stress days, pre–Spring Festival;
 * evening and 06:00 peaks; settlements 1,300/s at the morning peak, ×1.5 in the flu season ≈
 * 2,000/s). 2026-02-10 is a Tuesday a week before Spring Festival (2026-02-17), where the
 * calendar lifts transfers ×4 (so the average 75/s is 300/s that day) and settlements ×1.4.
 */
const STRESS_DAY: BuiltinScenario = {
  name: 'stress-day',
  summary: 'the pre–Spring Festival peak: transfers at 300/s, the flu-season settlement peak',
  scale: 1_000,
  at: (scale) => matureAt('stress-day', scale, '2026-02-10', 75),
};

/** Faults every few hours of a day, over every kind of actor (deterministic, by index). */
function storm(): Record<string, unknown>[] {
  const provinces = ['11', '31', '32', '33', '41', '44', '51', '50', '61', '65'];
  const faults: Record<string, unknown>[] = [];
  for (let h = 6; h < 22; h += 2) {
    const p = provinces[h % provinces.length] as string;
    const q = provinces[(h + 3) % provinces.length] as string;
    faults.push({
      type: 'partition',
      at: h * HOUR_MS,
      duration: '10m',
      groupA: ['wallet.*'],
      groupB: [`province.${p}`, `province.${q}`],
      oneWay: h % 4 === 0,
    });
    faults.push({ type: 'loss', at: h * HOUR_MS + 20 * 60_000, duration: '15m', rate: 0.05 });
    faults.push({
      type: 'crash',
      at: h * HOUR_MS + 40 * 60_000,
      duration: '1m',
      node: h % 6 === 0 ? 'settlement.0' : `wallet.0${(h / 2) % 8}`,
    });
    faults.push({ type: 'duplicate', at: h * HOUR_MS + HOUR_MS, duration: '20m', rate: 0.05 });
    faults.push({
      type: 'crash',
      at: h * HOUR_MS + 80 * 60_000,
      duration: '30s',
      node: `province.${q}`,
    });
  }
  faults.push({
    type: 'partition',
    at: 21 * HOUR_MS,
    duration: '15m',
    groupA: ['settlement.0'],
    groupB: ['wallet.*'],
  });
  return faults;
}

const PARTITION_STORM: BuiltinScenario = {
  name: 'partition-storm',
  summary: 'the mature shape (1:1,000) under repeated partitions, crashes, loss and duplicates',
  scale: 1_000,
  at: (scale) => ({ ...matureAt('partition-storm', scale, '2025-10-21', 7), faults: storm() }),
};

export const BUILTIN_SCENARIOS: ReadonlyMap<string, BuiltinScenario> = new Map(
  [PILOT, NATIONAL_2025, MATURE, STRESS_DAY, PARTITION_STORM].map((s) => [s.name, s]),
);
