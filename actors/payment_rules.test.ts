// Checks the payment rules (DOMAIN §2.2 W9, W10, W13, W16–W18, §2.3 P1, P3, §2.4 D1–D11, §2.5
// C1–C4, §2.6 K9) end to end through real actors: the patient's or payer's wallet shard (the
// national hub, with the bill and contribution sagas), the provinces (accounts, registry, the
// insured place's policy and the resident fund) and settlement (clearing lines), wired by the
// in-test network of test/net.ts. The test plays the provider's POS (F3: pre-settle, settle,
// cancel, reverse) and the people's apps (F2 transfers, F4 contributions), and looks at what the
// actors answered, wrote, posted and recorded.
//
// Every amount is in fen. The splits follow actors/policy.ts BILL_POLICY_BY_TIER (an ASSUMPTION
// table): Sichuan (51) and Jiangsu are `central` and `coastal`, Beijing (11) `metro`, Ningxia (64)
// `western`; each expected split is derived in a comment next to it.
// The virtual day 0 is 2025-09-29 (PROTOCOL_DEFAULTS.startDate), so clearing lines are for month
// 202509, contributions are for 2026 and cost 420 yuan (C1's season), and every province but
// Guangdong has the cross-province wallet (E8).
import { describe, expect, it } from 'vitest';

import type { Fen, Kind } from '../protocol/index.ts';
import type { Care } from '../protocol/index.ts';
import { KINDS } from '../protocol/index.ts';
import { envelope, RecordingEffects } from '../testing/fakes.ts';
import {
  at,
  type BillRequest,
  type Bound,
  type Message,
  Net as PeopleNet,
  type Person,
} from '../testing/net.ts';
import { DAY_MS, HOUR_MS, type ProtocolConfig } from './config.ts';
import type { Tranche } from './wallet.ts';
import { balanceOf } from './wallet.ts';

// ---------------------------------------------------------------------------------------------
// The world.

const PEOPLE: readonly Person[] = [
  // Employee members (EBMI) insured in Chengdu (510100, Sichuan, `central`).
  // A patient with a small personal account and a spouse who sends wallet money.
  {
    id: 'pat',
    region: '510100',
    ebmi: true,
    balance: 5_000n,
    name: '李明',
    idNo: '510100198001011111',
  },
  {
    id: 'spo',
    region: '510100',
    ebmi: true,
    balance: 1_000_000n,
    name: '李华',
    idNo: '510100198202022222',
  },
  // Filed (备案) for care in Jiangsu (32) only.
  {
    id: 'cd',
    region: '510100',
    ebmi: true,
    balance: 1_000_000n,
    name: '张伟',
    idNo: '510100197503033333',
    filedTo: ['32'],
  },
  // Certified (待遇认定) for diabetes and for gout, which is not one of D9's ten (D10).
  {
    id: 'chr',
    region: '510100',
    ebmi: true,
    balance: 1_000_000n,
    name: '刘洋',
    idNo: '510100195504044444',
    chronic: ['DIABETES', 'GOUT'],
  },
  // A donor whose account cannot pay a contribution (100 yuan).
  {
    id: 'poor',
    region: '510100',
    ebmi: true,
    balance: 10_000n,
    name: '陈静',
    idNo: '510100198505055555',
  },
  // A donor with 24,000 yuan: twelve transfers of 2,000 yuan (W9).
  {
    id: 'w9',
    region: '510100',
    ebmi: true,
    balance: 2_400_000n,
    name: '杨帆',
    idNo: '510100197806066666',
  },
  // Elsewhere.
  {
    id: 'bj',
    region: '110000',
    ebmi: true,
    balance: 1_000_000n,
    name: '赵强',
    idNo: '110000197707077777',
    filedTo: ['32', '44'],
  },
  {
    id: 'sz',
    region: '320500',
    ebmi: true,
    balance: 1_000_000n,
    name: '周敏',
    idNo: '320500198108088888',
  },
  // S3's Ningxia retiree living in Chengdu, filed to Sichuan (D8).
  {
    id: 'nx',
    region: '640100',
    ebmi: true,
    balance: 100_000n,
    name: '马德福',
    idNo: '640100195209099999',
    retired: true,
    filedTo: ['51'],
    chronic: ['HYPERTENSION'],
  },
  // Residents (URRBMI): a wallet, no personal account.
  { id: 'res', region: '510700', ebmi: false, name: '李小雨', idNo: '510700200510101010' },
  {
    id: 'par',
    region: '510700',
    ebmi: false,
    enrolled: false,
    name: '李老汉',
    idNo: '510700195011111111',
    kin: { spo: 'PARENT', poor: 'PARENT' },
  },
  {
    id: 'far',
    region: '640100',
    ebmi: false,
    enrolled: false,
    name: '李秀英',
    idNo: '640100196812121212',
    kin: { spo: 'SIBLING' },
  },
  {
    id: 'frz',
    region: '510100',
    ebmi: false,
    status: 'frozen',
    name: '王冻',
    idNo: '510100199001131313',
  },
  {
    id: 'cls',
    region: '510100',
    ebmi: false,
    status: 'closed',
    name: '王关',
    idNo: '510100199101141414',
  },
];

// spo's child, whose wallet is not opened yet (W1, W10).
const NEWCOMER: Person = {
  id: 'new',
  region: '320500',
  ebmi: false,
  status: 'unopened',
  name: '李新',
  idNo: '320500200101151515',
};

// spo's grandmother in Mianyang: not enrolled, and no relation on record (E3's exception).
const GRANDMOTHER: Person = {
  id: 'gma',
  region: '510700',
  ebmi: false,
  enrolled: false,
  name: '李奶奶',
  idNo: '510700194802021313',
  kin: { spo: 'PATERNAL_GRANDPARENT' },
};

/** The relations on record (seeded, as the population seeds them: no registry check). */
const BOUND: readonly Bound[] = [
  { donor: 'spo', recipient: 'pat', kinship: 'SPOUSE' },
  { donor: 'sz', recipient: 'pat', kinship: 'SIBLING' },
  { donor: 'spo', recipient: 'res', kinship: 'CHILD' },
  { donor: 'sz', recipient: 'res', kinship: 'SIBLING' },
  { donor: 'spo', recipient: 'par', kinship: 'PARENT' },
  { donor: 'poor', recipient: 'par', kinship: 'PARENT' },
  { donor: 'spo', recipient: 'far', kinship: 'SIBLING' },
  { donor: 'spo', recipient: 'frz', kinship: 'CHILD' },
  { donor: 'spo', recipient: 'cls', kinship: 'CHILD' },
  { donor: 'w9', recipient: 'pat', kinship: 'SIBLING' },
];

class Net extends PeopleNet {
  constructor(
    overrides: Partial<ProtocolConfig> = {},
    people: readonly Person[] = PEOPLE,
    bound: readonly Bound[] = BOUND,
  ) {
    super(people, overrides, bound);
  }

  /** Wallet money, transferred and received (W11): spendable from now on. */
  gift(transferId: string, donorId: string, recipientId: string, amount: Fen): void {
    this.transfer(transferId, donorId, recipientId, amount);
    this.receive(transferId, recipientId);
    expect(this.saga(transferId).value).toBe('received');
  }

  /** The clearing lines of a bill or payment as settlement recorded them, by line id. */
  lines(corr: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [id, line] of this.clearingLines) if (id.startsWith(`${corr}.`)) out[id] = line;
    return out;
  }

  /** What the `clearing.line` facts of a bill or payment add up to, per ledger and region pair. */
  cleared(corr: string): Record<string, Fen> {
    const out: Record<string, Fen> = {};
    for (const f of this.facts('clearing.line')) {
      if (!f.corr.startsWith(`${corr}.`)) continue;
      const key = `${f.ledger} ${f.payerRegion}→${f.payeeRegion}`;
      out[key] = (out[key] ?? 0n) + f.amount;
    }
    return out;
  }

  /** The wallet's tranches as (origin, amount), oldest first: what K9 attributes spends to. */
  tranches(walletId: string): Array<Pick<Tranche, 'originRegion' | 'amount'>> {
    return this.wallet(walletId).tranches.map((t) => ({
      originRegion: t.originRegion,
      amount: t.amount,
    }));
  }

  contributionOutcome(payId: string) {
    return this.facts('contribution.outcome', payId).map((f) => ({
      outcome: f.outcome,
      reason: f.reason,
    }));
  }

  billOutcomes(billId: string) {
    return this.facts('bill.outcome', billId).map((f) => f.outcome);
  }
}

/** The answers a POS or app got, as kind and body. */
const said = (messages: readonly Message[]) =>
  messages.map((m) => ({ kind: m.kind, body: m.body }));
const kindsOf = (messages: readonly Message[]): Kind[] => messages.map((m) => m.kind);

const presettled = (
  billId: string,
  fundPay: Fen,
  acctPay: Fen,
  acctMulaidPay: Fen,
  cashPay: Fen,
  month = 202509,
) => [
  {
    kind: 'bill.presettled',
    body: { billId, fundPay, acctPay, acctMulaidPay, cashPay, month },
  },
];
const refused = (billId: string, reason: string) => [
  { kind: 'bill.refused', body: { billId, reason } },
];
/** A clearing line as settlement holds it, for this run's month (2025-09). */
const line = (
  ledger: 'medical' | 'wallet',
  payerRegion: string,
  payeeRegion: string,
  amount: Fen,
) => expect.objectContaining({ ledger, payerRegion, payeeRegion, amount, month: 202509 });

// A plain outpatient visit: 300 yuan, 250 of it on the catalogue (D1).
const VISIT = { care: 'outpatient', total: 30_000n, eligible: 25_000n } as const;

/** A visit's pre-settlement for a patient at a treatment region, with other fields as given. */
const visit = (
  billId: string,
  personId: string,
  treatmentRegion: string,
  more: Partial<BillRequest> = {},
) => ({ billId, personId, treatmentRegion, ...VISIT, ...more }) satisfies BillRequest;

/** Any other bill, all of it on the catalogue unless `more.eligible` says otherwise. */
const billOf = (
  billId: string,
  personId: string,
  treatmentRegion: string,
  care: Care,
  total: Fen,
  more: Partial<BillRequest> = {},
) =>
  ({
    billId,
    personId,
    treatmentRegion,
    care,
    total,
    eligible: total,
    ...more,
  }) satisfies BillRequest;

// ---------------------------------------------------------------------------------------------

/** Set-aside pieces without the donor each came from: what these tests compare. */
function pieces(
  list: readonly { originRegion: string; transferId: string; amount: bigint }[] | undefined,
) {
  return (list ?? []).map(({ originRegion, transferId, amount }) => ({
    originRegion,
    transferId,
    amount,
  }));
}

describe("P1: personal-account and mutual-aid money pays self-pay care and relatives' contributions", () => {
  it(
    'P1: the own account and the wallet pay the self-pay share of a visit to a designated ' +
      'institution and of a purchase at a designated pharmacy; the fund pays its share',
    () => {
      const net = new Net();
      net.gift('T-1', 'spo', 'pat', 20_000n);
      // Outpatient, central tier, local: (25,000 − 2,000 deductible) × 55 % = 12,650 from the fund;
      // the account's 5,000, then 12,350 of the wallet's 20,000; nothing in cash.
      expect(said(net.presettle(visit('B-1', 'pat', '510100', { useWallet: 'Y' })))).toEqual(
        presettled('B-1', 12_650n, 5_000n, 12_350n, 0n),
      );
      expect(kindsOf(net.settle('B-1', 'pat'))).toEqual(['bill.settled']);
      // Pharmacy, central tier: 2,000 × 50 % = 1,000 from the fund; the account is empty, so the
      // wallet pays the other 1,000 of the 7,650 it has left.
      expect(
        said(net.presettle(billOf('B-2', 'pat', '510100', 'pharmacy', 2_000n, { useWallet: 'Y' }))),
      ).toEqual(presettled('B-2', 1_000n, 0n, 1_000n, 0n));
      expect(kindsOf(net.settle('B-2', 'pat'))).toEqual(['bill.settled']);
      expect(net.account('pat')).toEqual({ region: '510100', available: 0n, held: 0n });
      expect(balanceOf(net.wallet('pat'))).toBe(20_000n - 12_350n - 1_000n);
      expect(net.book('510100').regions.get('510100')?.toFunds).toBe(5_000n);
      expect(net.billOutcomes('B-1')).toEqual(['started', 'presettled', 'settled']);
    },
  );

  it("F4: a contribution whose shard restarts from its records before the fund's answer resumes and is paid", () => {
    const net = new Net();
    net.drop = (m) => m.kind === 'tax.claimed';
    net.pay('C-1', 'spo', 'par', 2026, 'ACCOUNT');
    expect(net.contribution('C-1').value).toBe('claiming');
    net.drop = () => false;
    net.rebuildShardOf('spo');
    expect(net.contributionOutcome('C-1')).toEqual([{ outcome: 'paid', reason: undefined }]);
    expect(net.account('spo')?.available).toBe(1_000_000n - 42_000n);
  });

  it('F4: a contribution retries its claim on its own timer until the fund answers', () => {
    const net = new Net();
    net.drop = (m) => m.kind === 'tax.claimed';
    net.pay('C-1', 'spo', 'par', 2026, 'ACCOUNT');
    net.advance(net.now + 60_000);
    expect(net.sent('tax.claim', 'C-1').length).toBeGreaterThan(1);
    net.drop = () => false;
    net.advance(net.now + 60_000);
    expect(net.contributionOutcome('C-1')).toEqual([{ outcome: 'paid', reason: undefined }]);
  });

  it('F4: once paid, a late confirm or release of the claim (a retry, a duplicate) changes nothing', () => {
    const net = new Net();
    net.pay('C-1', 'spo', 'par', 2026, 'ACCOUNT');
    const region = net.person('par').region;
    const book = net.book(region);
    const before = { claim: book.claims.get('C-1'), regions: structuredClone([...book.regions]) };
    const postings = net.postings().length;
    const shard = net.shardAddressOf('spo');
    const fund = `province.${region.slice(0, 2)}`;
    for (const kind of ['tax.confirm', 'tax.release', 'tax.confirm'] as const)
      net.enqueue({
        from: shard,
        to: fund,
        kind,
        corr: 'C-1',
        body: { payId: 'C-1' },
        at: net.now,
      });
    net.deliver();
    expect(book.claims.get('C-1')).toEqual(before.claim);
    expect(before.claim).toMatchObject({ state: 'paid' });
    expect([...book.regions]).toEqual(before.regions);
    expect(net.postings()).toHaveLength(postings);
    const answers = net.log.filter((m) => m.to === shard && m.corr === 'C-1').slice(-2);
    expect(answers.map((m) => m.kind)).toEqual(['tax.confirmed', 'tax.confirmed']);
  });

  it(
    "P1: a personal account pays a relative's resident contribution (C2), and received wallet " +
      "money pays the holder's own (C3)",
    () => {
      const net = new Net();
      expect(kindsOf(net.pay('C-1', 'spo', 'par', 2026, 'ACCOUNT'))).toEqual([
        'contribution.accepted',
      ]);
      expect(net.contributionOutcome('C-1')).toEqual([{ outcome: 'paid', reason: undefined }]);
      expect(net.account('spo')?.available).toBe(1_000_000n - 42_000n);
      net.gift('T-1', 'spo', 'far', 50_000n);
      expect(kindsOf(net.pay('C-2', 'far', 'far', 2026, 'WALLET'))).toEqual([
        'contribution.accepted',
      ]);
      expect(net.contributionOutcome('C-2')).toEqual([{ outcome: 'paid', reason: undefined }]);
      expect(balanceOf(net.wallet('far'))).toBe(8_000n);
      // The resident fund of far's region has it at once: the region's employee fund advances
      // it, and the wallet's clearing line repays that fund (decision 44).
      const region = net.person('far').region;
      const claim = net.book(region).claims.get('C-2');
      expect(claim).toMatchObject({ state: 'paid', fundRegion: region, fromWallet: true });
      expect(net.postings('C-2.e').map((p) => [p.op, p.debit, p.credit, p.amount])).toEqual([
        ['pay', `fund:${region}`, `resfund:${region}`, claim!.amount],
      ]);
    },
  );
});

describe('P3: a bill is split fund → own account → wallet → cash', () => {
  it('P3: the fund pays first, then the own account, then the wallet, then cash, to the fen', () => {
    const net = new Net();
    net.gift('T-1', 'spo', 'pat', 6_000n);
    // Off the catalogue (eligible 0): no fund share, and the account covers it all, so the wallet
    // pays nothing although it has money.
    expect(
      said(
        net.presettle(
          billOf('B-1', 'pat', '510100', 'outpatient', 2_000n, { eligible: 0n, useWallet: 'Y' }),
        ),
      ),
    ).toEqual(presettled('B-1', 0n, 2_000n, 0n, 0n));
    expect(net.account('pat')).toEqual({ region: '510100', available: 3_000n, held: 2_000n });
    expect(net.wallet('pat').holds).toEqual({});
    // A visit: the fund's 12,650 ((25,000 − 2,000) × 55 %), the account's remaining 3,000, the
    // wallet's 6,000, and cash for the remaining 30,000 − 12,650 − 3,000 − 6,000 = 8,350.
    expect(said(net.presettle(visit('B-2', 'pat', '510100', { useWallet: 'Y' })))).toEqual(
      presettled('B-2', 12_650n, 3_000n, 6_000n, 8_350n),
    );
    expect(net.account('pat')).toEqual({ region: '510100', available: 0n, held: 5_000n });
    expect(Object.keys(net.wallet('pat').holds)).toEqual(['B-2']);
    expect(pieces(net.wallet('pat').holds['B-2'])).toEqual([
      { originRegion: '510100', transferId: 'T-1', amount: 6_000n },
    ]);
    // The insured province holds only the account share, and leaves the rest to the hub.
    expect(net.book('510100').bills.get('B-2')).toMatchObject({
      fundPay: 12_650n,
      acctPay: 3_000n,
      remainder: 14_350n,
      state: 'reserved',
    });
    expect(kindsOf(net.settle('B-1', 'pat'))).toEqual(['bill.settled']);
    expect(kindsOf(net.settle('B-2', 'pat'))).toEqual(['bill.settled']);
    expect(net.account('pat')).toEqual({ region: '510100', available: 0n, held: 0n });
    expect(balanceOf(net.wallet('pat'))).toBe(0n);
    expect(net.facts('bill.outcome', 'B-2').at(-1)).toMatchObject({
      outcome: 'settled',
      acctMulaidPay: 6_000n,
    });
  });

  it('P3: without useWallet the wallet pays nothing, and the rest is cash', () => {
    const net = new Net();
    net.gift('T-1', 'spo', 'pat', 6_000n);
    expect(said(net.presettle(visit('B-1', 'pat', '510100')))).toEqual(
      presettled('B-1', 12_650n, 5_000n, 0n, 12_350n),
    );
    expect(net.wallet('pat').holds).toEqual({});
  });
});

describe("D1, D2: the insured place's policy applies, not the treatment place's", () => {
  it(
    "D1: the same bill at the same provider splits by the patient's insured region: Beijing and " +
      'Chengdu patients in Suzhou get different fund shares',
    () => {
      const net = new Net();
      // Both filed to Jiangsu (−10 pp, D7). Beijing (metro): 25,000 × (70 − 10) % = 15,000.
      // Chengdu (central): (25,000 − 2,000) × (55 − 10) % = 10,350. Were Suzhou's own (coastal)
      // policy applied, both would get (25,000 − 1,000) × (60 − 10) % = 12,000.
      expect(said(net.presettle(visit('B-BJ', 'bj', '320500')))).toEqual(
        presettled('B-BJ', 15_000n, 15_000n, 0n, 0n),
      );
      expect(said(net.presettle(visit('B-CD', 'cd', '320500')))).toEqual(
        presettled('B-CD', 10_350n, 19_650n, 0n, 0n),
      );
      // The treatment place's catalogue decides what is eligible (D1): off the catalogue, no share.
      expect(said(net.presettle(visit('B-BJ2', 'bj', '320500', { eligible: 0n })))).toEqual(
        presettled('B-BJ2', 0n, 30_000n, 0n, 0n),
      );
    },
  );

  it(
    'D2: the insured province computes the split: the reserve goes to it and not to the ' +
      "treatment province, and one patient's bill splits the same in Suzhou and in Guangzhou",
    () => {
      const net = new Net();
      net.presettle(visit('B-SZ', 'bj', '320500'));
      net.presettle(visit('B-GZ', 'bj', '440100'));
      expect(net.sent('bill.reserve').map((m) => [m.corr, m.to])).toEqual([
        ['B-SZ', 'province.11'],
        ['B-GZ', 'province.11'],
      ]);
      const sz = net.book('110000').bills.get('B-SZ');
      const gz = net.book('110000').bills.get('B-GZ');
      const split = { insuredRegion: '110000', fundPay: 15_000n, acctPay: 15_000n };
      expect(sz).toMatchObject({ ...split, treatmentRegion: '320500' });
      expect(gz).toMatchObject({ ...split, treatmentRegion: '440100' });
      // Jiangsu's province (a treatment place here) decided nothing.
      expect(net.book('320500').bills.size).toBe(0);
      net.settle('B-SZ', 'bj');
      expect(net.lines('B-SZ')).toEqual({
        'B-SZ.m': line('medical', '110000', '320500', 30_000n),
      });
    },
  );
});

describe('D3, D4, D6: filing, emergencies and networked providers', () => {
  it('D3: cross-province care without a filing is refused D3 and nothing moves; with a filing it is accepted', () => {
    const net = new Net();
    // cd has filed to Jiangsu (32), not to Zhejiang (33).
    expect(said(net.presettle(visit('B-1', 'cd', '330100')))).toEqual(refused('B-1', 'D3'));
    expect(net.bill('B-1').value).toBe('refused');
    expect(net.facts('bill.outcome', 'B-1').at(-1)).toMatchObject({
      outcome: 'refused',
      reason: 'D3',
      scope: 'crossProvince',
    });
    expect(net.book('510100').bills.get('B-1')).toMatchObject({
      state: 'rejected',
      reason: 'D3',
      fundPay: 0n,
      acctPay: 0n,
    });
    expect(net.account('cd')).toEqual({ region: '510100', available: 1_000_000n, held: 0n });
    expect(net.postings()).toEqual([]);
    // The refused msgid is answered the same way again, and cannot be settled.
    expect(said(net.settle('B-1', 'cd'))).toEqual(refused('B-1', 'D3'));
    expect(net.sent('bill.commit')).toEqual([]);
    // Filed: accepted.
    expect(kindsOf(net.presettle(visit('B-2', 'cd', '320500')))).toEqual(['bill.presettled']);
    // Within the province, no filing is asked for.
    expect(kindsOf(net.presettle(visit('B-3', 'cd', '510700')))).toEqual(['bill.presettled']);
  });

  it('D4: emergency care counts as filed: accepted without a filing, with the filed fund share', () => {
    const net = new Net();
    expect(said(net.presettle(visit('B-1', 'cd', '110000', { emergency: 'Y' })))).toEqual(
      presettled('B-1', 10_350n, 19_650n, 0n, 0n),
    );
    expect(said(net.presettle(visit('B-2', 'cd', '320500')))).toEqual(
      presettled('B-2', 10_350n, 19_650n, 0n, 0n),
    );
    expect(kindsOf(net.settle('B-1', 'cd'))).toEqual(['bill.settled']);
  });

  it(
    'D6: out-of-region care at a provider that is not networked is refused D6 (a manual claim) ' +
      'and nothing moves',
    () => {
      const net = new Net();
      expect(said(net.presettle(visit('B-1', 'cd', '320500', { networked: 'N' })))).toEqual(
        refused('B-1', 'D6'),
      );
      expect(said(net.presettle(visit('B-2', 'cd', '510700', { networked: 'N' })))).toEqual(
        refused('B-2', 'D6'),
      );
      expect(net.account('cd')).toEqual({ region: '510100', available: 1_000_000n, held: 0n });
      expect(net.postings()).toEqual([]);
      // Networked, the same visit is settled directly.
      expect(kindsOf(net.presettle(visit('B-3', 'cd', '320500')))).toEqual(['bill.presettled']);
      // In the patient's own region D6 does not apply: a provider not networked settles too.
      expect(kindsOf(net.presettle(visit('B-4', 'cd', '510100', { networked: 'N' })))).toEqual([
        'bill.presettled',
      ]);
    },
  );

  it('E3: the bill of a person not enrolled is refused E3 by the insured province, and nothing moves', () => {
    const net = new Net({}, [...PEOPLE, GRANDMOTHER]);
    expect(said(net.presettle(visit('B-1', 'gma', '510700')))).toEqual(refused('B-1', 'E3'));
    expect(net.postings()).toEqual([]);
  });
});

describe('D7: out-of-region care may get a lower fund share', () => {
  it(
    'D7: the same visit gets 55 % locally, 45 % filed or as an unfiled emergency, and 35 % ' +
      'unfiled in another region of the province',
    () => {
      const net = new Net();
      // (25,000 − 2,000 deductible) × ratio: the insured place's (central) 55 %, less the D7 cut.
      const fundOf = (billId: string, treatmentRegion: string, emergency: 'Y' | 'N' = 'N') => {
        const [answer] = net.presettle(visit(billId, 'cd', treatmentRegion, { emergency }));
        return (answer?.body as { fundPay: Fen }).fundPay;
      };
      expect(fundOf('B-LOCAL', '510100')).toBe(12_650n);
      expect(fundOf('B-FILED', '320500')).toBe(10_350n);
      expect(fundOf('B-EMERG', '330100', 'Y')).toBe(10_350n);
      expect(fundOf('B-UNFILED', '510700')).toBe(8_050n);
      // Each bill's account share is the rest: the patient pays what the fund does not.
      expect(net.book('510100').bills.get('B-UNFILED')).toMatchObject({
        fundPay: 8_050n,
        acctPay: 21_950n,
        remainder: 0n,
      });
    },
  );
});

describe("D8: the patient's own account pays wherever the care is", () => {
  it('D8: a Ningxia retiree pays at a Chengdu pharmacy straight from the Ningxia personal account', () => {
    const net = new Net();
    // Ningxia (western) pharmacy: 20,000 × (45 + 10 retiree − 10 filed) % = 9,000 from the fund,
    // the other 11,000 from the account.
    expect(said(net.presettle(billOf('B-1', 'nx', '510100', 'pharmacy', 20_000n)))).toEqual(
      presettled('B-1', 9_000n, 11_000n, 0n, 0n),
    );
    expect(net.sent('bill.reserve', 'B-1').map((m) => m.to)).toEqual(['province.64']);
    expect(net.account('nx')).toEqual({ region: '640100', available: 89_000n, held: 11_000n });
    expect(kindsOf(net.settle('B-1', 'nx'))).toEqual(['bill.settled']);
    expect(net.account('nx')).toEqual({ region: '640100', available: 89_000n, held: 0n });
    // Ningxia owes Chengdu the fund and account shares; Sichuan's book has no part in it.
    expect(net.book('640100').regions.get('640100')?.toFunds).toBe(11_000n);
    expect(net.book('510100').bills.has('B-1')).toBe(false);
    expect(net.postings('B-1.a').map((p) => [p.op, p.debit, p.credit, p.amount])).toEqual([
      ['reserve', 'nx/available', 'nx/held', 11_000n],
      ['pay', 'nx/held', 'fund:640100', 11_000n],
    ]);
    expect(net.cleared('B-1')).toEqual({ 'medical 640100→510100': 20_000n });
    // Ningxia's region fund passes the fund and account shares to its national pool; Chengdu's
    // pool pays back what Chengdu's fund advanced its provider (K6).
    const moves = (corr: string) =>
      net.postings(corr).map((p) => [p.ledger, p.op, p.debit, p.credit, p.amount]);
    expect(moves('B-1.n')).toEqual([['ledger.province.64', 'pay', 'fund:640100', 'fund', 20_000n]]);
    expect(moves('B-1.r')).toEqual([['ledger.province.51', 'pay', 'fund', 'fund:510100', 20_000n]]);
    expect(net.book('640100').bills.get('B-1')?.toPool).toBe(20_000n);
    expect(net.facts('bill.outcome', 'B-1').at(-1)).toMatchObject({
      outcome: 'settled',
      scope: 'crossProvince',
    });
  });
});

describe('D9, D10: chronic-disease settlement', () => {
  const chronic = (billId: string, personId: string, where: string, disease: string) =>
    billOf(billId, personId, where, 'chronic', 50_000n, { disease, networked: 'Y' });

  it('D9: across provinces, a disease outside the ten is refused D9 and nothing moves; locally the list does not apply', () => {
    const net = new Net();
    expect(said(net.presettle(chronic('B-1', 'chr', '320500', 'GOUT')))).toEqual(
      refused('B-1', 'D9'),
    );
    expect(net.account('chr')).toEqual({ region: '510100', available: 1_000_000n, held: 0n });
    expect(net.postings()).toEqual([]);
    // D9 lists the diseases with cross-province direct settlement: local chronic care of a
    // certified disease is settled whatever the disease.
    expect(kindsOf(net.presettle(chronic('B-2', 'chr', '510100', 'GOUT')))).toEqual([
      'bill.presettled',
    ]);
    // The same disease as ordinary outpatient care is not a D9 question either.
    expect(
      kindsOf(
        net.presettle(billOf('B-3', 'chr', '320500', 'outpatient', 50_000n, { disease: 'GOUT' })),
      ),
    ).toEqual(['bill.refused']);
  });

  it(
    'D10: chronic care needs benefit certification for that disease, and across provinces a ' +
      'filing too, which an emergency does not replace',
    () => {
      const net = new Net();
      // cd has no certification; chr has it for diabetes but not for hypertension.
      expect(said(net.presettle(chronic('B-1', 'cd', '510100', 'DIABETES')))).toEqual(
        refused('B-1', 'D10'),
      );
      expect(said(net.presettle(chronic('B-2', 'chr', '510100', 'HYPERTENSION')))).toEqual(
        refused('B-2', 'D10'),
      );
      expect(net.account('cd')).toEqual({ region: '510100', available: 1_000_000n, held: 0n });
      // Central chronic care: 50,000 × 75 % = 37,500 from the fund.
      expect(said(net.presettle(chronic('B-3', 'chr', '510100', 'DIABETES')))).toEqual(
        presettled('B-3', 37_500n, 12_500n, 0n, 0n),
      );
      expect(kindsOf(net.settle('B-3', 'chr'))).toEqual(['bill.settled']);
      // Certified but not filed to Jiangsu: an emergency is D4's exception for acute care, not
      // a filing for chronic-disease direct settlement.
      const emergency = { ...chronic('B-4', 'chr', '320500', 'DIABETES'), emergency: 'Y' as const };
      expect(said(net.presettle(emergency))).toEqual(refused('B-4', 'D10'));
      expect(net.account('chr')?.held).toBe(0n);
      // The Ningxia retiree, certified for hypertension and filed to Sichuan, is settled there.
      expect(kindsOf(net.presettle(chronic('B-5', 'nx', '510100', 'HYPERTENSION')))).toEqual([
        'bill.presettled',
      ]);
    },
  );
});

describe('D11: pre-settle → settle, cancellation and reversal; msgid is the idempotency key', () => {
  /** pat's wallet: 6,000 from Chengdu (510100), then 4,000 from Suzhou (320500). */
  const twoOrigins = () => {
    const net = new Net();
    net.gift('T-1', 'spo', 'pat', 6_000n);
    net.gift('T-2', 'sz', 'pat', 4_000n);
    return net;
  };
  const BOTH = [
    { originRegion: '510100', amount: 6_000n },
    { originRegion: '320500', amount: 4_000n },
  ];
  // fund 12,650; account 5,000; wallet 6,000 + 4,000; cash 30,000 − 27,650 = 2,350.
  const bill = visit('B-1', 'pat', '510100', { useWallet: 'Y' });

  it("K6: the treatment region pays its provider the fund's and account's share and takes the cash; a reversal takes both back", () => {
    const net = new Net();
    net.presettle(visit('B-5', 'pat', '510100'));
    net.settle('B-5', 'pat');
    net.reverse('B-5', 'pat');
    const moves = net
      .postings()
      .filter((p) => p.corr === 'B-5.v' || p.corr === 'B-5.h')
      .map((p) => [
        p.op,
        p.corr,
        p.debit,
        p.debitClass,
        p.credit,
        p.creditClass,
        p.amount,
        p.debitAfter,
      ]);
    expect(moves).toEqual([
      ['pay', 'B-5.v', 'fund:510100', 'fund', 'provider:510100', 'provider', 17_650n, -12_650n],
      ['pay', 'B-5.h', 'cash:510100', 'cash', 'provider:510100', 'provider', 12_350n, -12_350n],
      ['unpay', 'B-5.v', 'provider:510100', 'provider', 'fund:510100', 'fund', 17_650n, 12_350n],
      ['unpay', 'B-5.h', 'provider:510100', 'provider', 'cash:510100', 'cash', 12_350n, 0n],
    ]);
    expect(net.book('510100').regions.get('510100')).toMatchObject({ provider: 0n, cash: 0n });
  });
  /** Every clearing line of the bill recorded and then taken back. */
  const NETS_TO_ZERO = {
    'medical 510100→510100': 0n,
    'wallet 510100→510100': 0n,
    'wallet 320500→510100': 0n,
  };

  it(
    'D11: pre-settle → settle → cancel: the account share is refunded, the wallet tranches come ' +
      'back to their origins and the clearing lines are undone',
    () => {
      const net = twoOrigins();
      expect(said(net.presettle(bill))).toEqual(
        presettled('B-1', 12_650n, 5_000n, 10_000n, 2_350n),
      );
      expect(kindsOf(net.settle('B-1', 'pat'))).toEqual(['bill.settled']);
      expect(net.account('pat')).toEqual({ region: '510100', available: 0n, held: 0n });
      expect(balanceOf(net.wallet('pat'))).toBe(0n);
      expect(net.tranches('pat')).toEqual([]);
      expect(net.cleared('B-1')).toEqual({
        'medical 510100→510100': 17_650n,
        'wallet 510100→510100': 6_000n,
        'wallet 320500→510100': 4_000n,
      });
      expect(net.shardOf('pat').ledger.spent.get('510100')).toBe(6_000n);
      expect(net.shardOf('pat').ledger.spent.get('320500')).toBe(4_000n);
      // K9: each origin's backing went to the fund that pays its line: Chengdu's own fund (in
      // region), Suzhou's province's pool (across provinces); nothing of either is left.
      const backed = { state: 'backed', owner: net.shardOf('pat').address } as const;
      expect(net.book('510100').backings.get('B-1.b0')).toEqual({
        ...backed,
        region: '510100',
        payeeRegion: '510100',
        amount: 6_000n,
        national: false,
      });
      expect(net.book('320500').backings.get('B-1.b1')).toEqual({
        ...backed,
        region: '320500',
        payeeRegion: '510100',
        amount: 4_000n,
        national: true,
      });
      expect(net.book('510100').regions.get('510100')?.backing).toBe(0n);
      expect(net.book('320500').regions.get('320500')?.backing).toBe(0n);
      const pool32 = net.book('320500').fund;

      expect(said(net.cancel('B-1', 'pat'))).toEqual([
        { kind: 'bill.cancelled', body: { billId: 'B-1' } },
      ]);
      expect(net.bill('B-1').value).toBe('cancelled');
      expect(net.account('pat')).toEqual({ region: '510100', available: 5_000n, held: 0n });
      expect(net.book('510100').bills.get('B-1')?.state).toBe('refunded');
      expect(net.book('510100').regions.get('510100')?.toFunds).toBe(0n);
      expect(balanceOf(net.wallet('pat'))).toBe(10_000n);
      expect(
        [...net.tranches('pat')].sort((a, b) => a.originRegion.localeCompare(b.originRegion)),
      ).toEqual([
        { originRegion: '320500', amount: 4_000n },
        { originRegion: '510100', amount: 6_000n },
      ]);
      expect(net.shardOf('pat').ledger.spent.get('510100')).toBe(0n);
      expect(net.shardOf('pat').ledger.spent.get('320500')).toBe(0n);
      // Each line was unrecorded, last first, and nets to nothing.
      expect(
        net.sent('settlement.unrecord', 'B-1').map((m) => (m.body as { lineId: string }).lineId),
      ).toEqual(['B-1.w1', 'B-1.w0', 'B-1.m']);
      // … and each backing move with it: the origins hold their wallets' money again.
      expect(
        net.sent('settlement.unback', 'B-1').map((m) => (m.body as { lineId: string }).lineId),
      ).toEqual(['B-1.b1', 'B-1.b0']);
      expect(net.book('510100').regions.get('510100')?.backing).toBe(6_000n);
      expect(net.book('320500').regions.get('320500')?.backing).toBe(4_000n);
      expect(net.book('320500').fund).toBe(pool32 - 4_000n);
      expect(net.book('320500').backings.get('B-1.b1')?.state).toBe('unbacked');
      expect(net.cleared('B-1')).toEqual(NETS_TO_ZERO);
      for (const recorded of Object.values(net.lines('B-1')))
        expect(recorded).toMatchObject({ undone: true });
      expect(net.billOutcomes('B-1')).toEqual(['started', 'presettled', 'settled', 'cancelled']);
    },
  );

  it('D11: a reversal before settle releases the account hold and the wallet hold, and records nothing', () => {
    const net = twoOrigins();
    net.presettle(bill);
    expect(net.account('pat')).toEqual({ region: '510100', available: 0n, held: 5_000n });
    expect(Object.keys(net.wallet('pat').holds)).toEqual(['B-1']);
    expect(said(net.reverse('B-1', 'pat'))).toEqual([
      { kind: 'bill.reversed', body: { billId: 'B-1' } },
    ]);
    expect(net.bill('B-1').value).toBe('reversed');
    expect(net.account('pat')).toEqual({ region: '510100', available: 5_000n, held: 0n });
    expect(net.book('510100').bills.get('B-1')?.state).toBe('released');
    expect(net.wallet('pat').holds).toEqual({});
    expect(balanceOf(net.wallet('pat'))).toBe(10_000n);
    expect(net.tranches('pat')).toEqual(BOTH);
    expect(net.sent('bill.commit')).toEqual([]);
    expect(net.sent('settlement.record')).toEqual([]);
    expect(net.postings('B-1.a').map((p) => p.op)).toEqual(['reserve', 'release']);
  });

  it('D11: a reversal after settle undoes everything: account, wallet tranches by origin, settlement lines', () => {
    const net = twoOrigins();
    net.presettle(bill);
    net.settle('B-1', 'pat');
    expect(said(net.reverse('B-1', 'pat'))).toEqual([
      { kind: 'bill.reversed', body: { billId: 'B-1' } },
    ]);
    expect(net.bill('B-1').value).toBe('reversed');
    expect(net.account('pat')).toEqual({ region: '510100', available: 5_000n, held: 0n });
    expect(net.book('510100').regions.get('510100')?.toFunds).toBe(0n);
    expect(balanceOf(net.wallet('pat'))).toBe(10_000n);
    const byOrigin = Object.fromEntries(net.tranches('pat').map((t) => [t.originRegion, t.amount]));
    expect(byOrigin).toEqual({ '510100': 6_000n, '320500': 4_000n });
    expect(net.cleared('B-1')).toEqual(NETS_TO_ZERO);
    for (const recorded of Object.values(net.lines('B-1')))
      expect(recorded).toMatchObject({ undone: true });
    // The shard's books: what was paid out of the wallet by origin, and back.
    expect(
      net
        .postings()
        .filter((p) => p.corr.startsWith('B-1.w'))
        .map((p) => [p.op, p.corr, p.amount]),
    ).toEqual([
      ['pay', 'B-1.w0', 6_000n],
      ['pay', 'B-1.w1', 4_000n],
      ['unpay', 'B-1.w0', 6_000n],
      ['unpay', 'B-1.w1', 4_000n],
    ]);
    expect(net.postings('B-1.a').map((p) => p.op)).toEqual(['reserve', 'pay', 'unpay']);
  });

  it('D11: after a reversal the same msgid is refused D11 and nothing moves', () => {
    const net = twoOrigins();
    net.presettle(bill);
    net.settle('B-1', 'pat');
    net.reverse('B-1', 'pat');
    const postings = net.postings().length;
    const wallet = net.wallet('pat');
    const account = net.account('pat');
    const reserves = net.sent('bill.reserve').length;
    // The POS re-sends the same payment: pre-settle and settle alike.
    expect(said(net.presettle(bill))).toEqual(refused('B-1', 'D11'));
    expect(said(net.settle('B-1', 'pat'))).toEqual(refused('B-1', 'D11'));
    // A repeated reversal is answered as before.
    expect(kindsOf(net.reverse('B-1', 'pat'))).toEqual(['bill.reversed']);
    expect(net.sent('bill.reserve')).toHaveLength(reserves);
    expect(net.postings()).toHaveLength(postings);
    expect(net.wallet('pat')).toEqual(wallet);
    expect(net.account('pat')).toEqual(account);
    // A reversal before settle kills the msgid too.
    net.presettle({ ...bill, billId: 'B-2', useWallet: 'N' });
    net.reverse('B-2', 'pat');
    expect(said(net.settle('B-2', 'pat'))).toEqual(refused('B-2', 'D11'));
    expect(net.account('pat')).toEqual(account);
    // A msgid never pre-settled cannot be settled either.
    expect(said(net.settle('B-NONE', 'pat'))).toEqual(refused('B-NONE', 'D11'));
  });

  it('D11: a duplicate settle is answered settled, and the bill is paid once', () => {
    const net = twoOrigins();
    net.presettle(bill);
    expect(kindsOf(net.settle('B-1', 'pat'))).toEqual(['bill.settled']);
    expect(kindsOf(net.settle('B-1', 'pat'))).toEqual(['bill.settled']);
    // A duplicate pre-settle is answered with the settled state, not a new split.
    expect(kindsOf(net.presettle(bill))).toEqual(['bill.settled']);
    expect(net.sent('bill.reserve', 'B-1')).toHaveLength(1);
    expect(net.sent('bill.commit', 'B-1')).toHaveLength(1);
    expect(net.sent('settlement.record', 'B-1')).toHaveLength(3);
    expect(net.postings('B-1.a').map((p) => p.op)).toEqual(['reserve', 'pay']);
    expect(net.account('pat')).toEqual({ region: '510100', available: 0n, held: 0n });
    expect(balanceOf(net.wallet('pat'))).toBe(0n);
    expect(net.cleared('B-1')).toEqual({
      'medical 510100→510100': 17_650n,
      'wallet 510100→510100': 6_000n,
      'wallet 320500→510100': 4_000n,
    });
  });
});

describe('PRESETTLE_EXPIRED: a pre-settlement never settled is released', () => {
  it(
    'PRESETTLE_EXPIRED: after presettleTtlMs the account and wallet holds are released, and a ' +
      'late settle is refused PRESETTLE_EXPIRED',
    () => {
      const net = new Net();
      net.gift('T-1', 'spo', 'pat', 6_000n);
      const startedAt = net.now;
      net.presettle(visit('B-1', 'pat', '510100', { useWallet: 'Y' }));
      expect(net.account('pat')).toEqual({ region: '510100', available: 0n, held: 5_000n });
      net.advance(startedAt + net.config.presettleTtlMs - 1);
      expect(net.bill('B-1').value).toBe('presettled');
      expect(net.sent('bill.release')).toEqual([]);
      net.advance(startedAt + net.config.presettleTtlMs);
      expect(net.bill('B-1').value).toBe('expired');
      expect(net.sent('bill.release', 'B-1').map((m) => m.to)).toEqual(['province.51']);
      expect(net.account('pat')).toEqual({ region: '510100', available: 5_000n, held: 0n });
      expect(net.book('510100').bills.get('B-1')?.state).toBe('released');
      expect(net.wallet('pat').holds).toEqual({});
      expect(balanceOf(net.wallet('pat'))).toBe(6_000n);
      expect(net.billOutcomes('B-1')).toEqual(['started', 'presettled', 'expired']);
      // Nobody asked, so the POS was told nothing; when it comes back, it is refused.
      expect(net.inboxOf('bill.refused', 'B-1')).toEqual([]);
      expect(said(net.settle('B-1', 'pat'))).toEqual(refused('B-1', 'PRESETTLE_EXPIRED'));
      expect(said(net.presettle(visit('B-1', 'pat', '510100')))).toEqual(
        refused('B-1', 'PRESETTLE_EXPIRED'),
      );
      expect(net.sent('bill.commit')).toEqual([]);
      expect(net.workTimers).toBe(0);
    },
  );

  it('PRESETTLE_EXPIRED: the TTL is the presettleTtlMs flag, and a settle before it is paid', () => {
    const net = new Net({ presettleTtlMs: 60_000 });
    const startedAt = net.now;
    net.presettle(visit('B-1', 'cd', '510100'));
    net.presettle(visit('B-2', 'cd', '510100'));
    net.advance(startedAt + 59_999);
    expect(kindsOf(net.settle('B-1', 'cd'))).toEqual(['bill.settled']);
    net.advance(startedAt + 60_000);
    expect(net.bill('B-1').value).toBe('settled');
    expect(net.bill('B-2').value).toBe('expired');
  });
});

describe('W16: wallet money pays only its holder', () => {
  it("W16: a contribution from another person's wallet is refused W16 and nothing moves", () => {
    const net = new Net();
    net.gift('T-1', 'spo', 'pat', 50_000n);
    expect(said(net.pay('C-1', 'pat', 'par', 2026, 'WALLET'))).toEqual([
      { kind: 'contribution.refused', body: { payId: 'C-1', reason: 'W16' } },
    ]);
    expect(net.shardOf('pat').contributions.has('C-1')).toBe(false);
    expect(net.sent('tax.claim')).toEqual([]);
    expect(balanceOf(net.wallet('pat'))).toBe(50_000n);
    expect(net.book('510700').persons.get('par')?.enrolled).toBe(false);
  });

  it("W16: a bill spends only the patient's own wallet, never a relative's", () => {
    const net = new Net();
    net.gift('T-1', 'spo', 'pat', 50_000n);
    // The donor's own bill: the money it sent is pat's now, and spo's wallet is empty.
    expect(said(net.presettle(visit('B-1', 'spo', '510100', { useWallet: 'Y' })))).toEqual(
      presettled('B-1', 12_650n, 17_350n, 0n, 0n),
    );
    // A resident with no wallet money: the wallet pays nothing, cash the rest.
    expect(said(net.presettle(visit('B-2', 'res', '510700', { useWallet: 'Y' })))).toEqual(
      presettled('B-2', 12_650n, 0n, 0n, 17_350n),
    );
    net.settle('B-1', 'spo');
    net.settle('B-2', 'res');
    expect(balanceOf(net.wallet('pat'))).toBe(50_000n);
    expect(net.wallet('pat').holds).toEqual({});
    // pat's own bill draws on it.
    expect(said(net.presettle(visit('B-3', 'pat', '510100', { useWallet: 'Y' })))).toEqual(
      presettled('B-3', 12_650n, 5_000n, 12_350n, 0n),
    );
  });
});

describe("W17: spending outside the wallet's use region is a flag, off by default", () => {
  // pat (insured in Chengdu) at Mianyang (510700), same province, no filing: 35 % (D7).
  // Fund (25,000 − 2,000) × 35 % = 8,050; account 5,000; 16,950 left for the wallet or cash.
  const away = visit('B-1', 'pat', '510700', { useWallet: 'Y' });

  it(
    'W17: with walletSpendOutsideUseRegion off (the default), the wallet pays nothing outside ' +
      'its use region and the bill goes to cash',
    () => {
      const net = new Net();
      expect(net.config.walletSpendOutsideUseRegion).toBe(false);
      net.gift('T-1', 'spo', 'pat', 6_000n);
      expect(said(net.presettle(away))).toEqual(presettled('B-1', 8_050n, 5_000n, 0n, 16_950n));
      expect(kindsOf(net.settle('B-1', 'pat'))).toEqual(['bill.settled']);
      expect(balanceOf(net.wallet('pat'))).toBe(6_000n);
      expect(Object.keys(net.cleared('B-1'))).toEqual(['medical 510100→510700']);
      // At home the same wallet pays.
      expect(said(net.presettle({ ...away, billId: 'B-2', treatmentRegion: '510100' }))).toEqual(
        presettled('B-2', 12_650n, 0n, 6_000n, 11_350n),
      );
    },
  );

  it('W17: with walletSpendOutsideUseRegion on, the wallet pays outside its use region', () => {
    const net = new Net({ walletSpendOutsideUseRegion: true });
    net.gift('T-1', 'spo', 'pat', 6_000n);
    expect(said(net.presettle(away))).toEqual(presettled('B-1', 8_050n, 5_000n, 6_000n, 10_950n));
    expect(kindsOf(net.settle('B-1', 'pat'))).toEqual(['bill.settled']);
    expect(balanceOf(net.wallet('pat'))).toBe(0n);
    expect(net.cleared('B-1')).toEqual({
      'medical 510100→510700': 13_050n,
      'wallet 510100→510700': 6_000n,
    });
  });
});

describe('K9: wallet spends are attributed to the origin region of the money', () => {
  it(
    "K9: a wallet spend creates a wallet clearing line from each tranche's origin region to the " +
      'spending region, FIFO across two origins',
    () => {
      const net = new Net();
      // res (Mianyang, 510700): 5,000 from Chengdu first, then 8,000 from Suzhou.
      net.gift('T-1', 'spo', 'res', 5_000n);
      net.gift('T-2', 'sz', 'res', 8_000n);
      // Local visit, no account: fund (20,000 − 2,000) × 55 % = 9,900; the wallet pays 10,100,
      // the oldest money first: all 5,000 from 510100, then 5,100 from 320500.
      expect(
        said(
          net.presettle(billOf('B-1', 'res', '510700', 'outpatient', 20_000n, { useWallet: 'Y' })),
        ),
      ).toEqual(presettled('B-1', 9_900n, 0n, 10_100n, 0n));
      expect(pieces(net.wallet('res').holds['B-1'])).toEqual([
        { originRegion: '510100', transferId: 'T-1', amount: 5_000n },
        { originRegion: '320500', transferId: 'T-2', amount: 5_100n },
      ]);
      net.settle('B-1', 'res');
      expect(net.lines('B-1')).toEqual({
        'B-1.m': line('medical', '510700', '510700', 9_900n),
        'B-1.w0': line('wallet', '510100', '510700', 5_000n),
        'B-1.w1': line('wallet', '320500', '510700', 5_100n),
      });
      expect(net.tranches('res')).toEqual([{ originRegion: '320500', amount: 2_900n }]);
      expect(net.shardOf('res').ledger.spent.get('510100')).toBe(5_000n);
      expect(net.shardOf('res').ledger.spent.get('320500')).toBe(5_100n);
      const paid = net.postings().filter((p) => p.op === 'pay' && p.corr.startsWith('B-1.w'));
      expect(paid.map((p) => [p.debit, p.credit, p.amount])).toEqual([
        ['wallet:res', 'spent:510100', 5_000n],
        ['wallet:res', 'spent:320500', 5_100n],
      ]);
      // The next spend takes what is left of the Suzhou money.
      net.presettle(billOf('B-2', 'res', '510700', 'pharmacy', 2_000n, { useWallet: 'Y' }));
      net.settle('B-2', 'res');
      expect(net.cleared('B-2')).toEqual({
        'medical 510700→510700': 1_000n,
        'wallet 320500→510700': 1_000n,
      });
    },
  );

  it("K9: a contribution paid from the wallet clears from the origin region to the person's region", () => {
    const net = new Net();
    net.gift('T-1', 'spo', 'far', 50_000n);
    net.pay('C-1', 'far', 'far', 2026, 'WALLET');
    expect(net.lines('C-1')).toEqual({
      'C-1.w0': line('wallet', '510100', '640100', 42_000n),
    });
  });

  // Found by this suite: `spend.undo` used to put fully spent tranches back newest first, so the
  // next spend took the newer origin and its clearing lines named the wrong region.
  it(
    'K9: after a reversal restores two fully spent tranches, the next spend still takes the ' +
      'oldest origin first',
    () => {
      const net = new Net();
      net.gift('T-1', 'spo', 'pat', 6_000n);
      net.gift('T-2', 'sz', 'pat', 4_000n);
      net.presettle(visit('B-1', 'pat', '510100', { useWallet: 'Y' }));
      net.settle('B-1', 'pat');
      net.reverse('B-1', 'pat');
      expect(net.tranches('pat')).toEqual([
        { originRegion: '510100', amount: 6_000n },
        { originRegion: '320500', amount: 4_000n },
      ]);
      // A 3,000 pharmacy bill with the account (5,000) used up by another bill: the wallet pays
      // 1,500, all of it from the oldest money, Chengdu's.
      net.presettle(billOf('B-0', 'pat', '510100', 'outpatient', 5_000n, { eligible: 0n }));
      net.presettle(billOf('B-2', 'pat', '510100', 'pharmacy', 3_000n, { useWallet: 'Y' }));
      expect(pieces(net.wallet('pat').holds['B-2'])).toEqual([
        { originRegion: '510100', transferId: 'T-1', amount: 1_500n },
      ]);
    },
  );
});

describe('C1: the resident contribution of the year', () => {
  it(
    'C1: in the autumn of 2025 the 2026 contribution is collected, at 420 yuan; 2025 and a year ' +
      'without an amount are refused C1 and nothing moves',
    () => {
      const net = new Net();
      net.pay('C-26', 'spo', 'par', 2026, 'ACCOUNT');
      expect(net.sent('tax.claimed', 'C-26').map((m) => m.body)).toEqual([
        { payId: 'C-26', amount: 42_000n },
      ]);
      expect(net.sent('account.debit', 'C-26').map((m) => m.body)).toEqual([
        { payId: 'C-26', accountId: 'spo', amount: 42_000n },
      ]);
      expect(net.account('spo')?.available).toBe(1_000_000n - 42_000n);

      // 2025's season closed on 31 August 2025, and 2027 has no amount yet: the fund refuses,
      // and the account is not touched.
      for (const [payId, year] of [
        ['C-25', 2025],
        ['C-27', 2027],
      ] as const) {
        expect(kindsOf(net.pay(payId, 'poor', 'par', year, 'ACCOUNT'))).toEqual([
          'contribution.accepted',
        ]);
        expect(net.sent('tax.refused', payId).map((m) => m.body)).toEqual([
          { payId, reason: 'C1' },
        ]);
        expect(net.contributionOutcome(payId)).toEqual([{ outcome: 'rejected', reason: 'C1' }]);
        expect(net.contribution(payId).value).toBe('rejected');
        expect(net.sent('account.debit', payId)).toEqual([]);
        expect(net.book('510700').slots.has(`par.${year}`)).toBe(false);
      }
      expect(net.account('poor')?.available).toBe(10_000n);
    },
  );
});

describe("C2, C3: who pays a relative's contribution, and how", () => {
  it(
    "C2: a same-province relative's contribution is paid from the donor's personal account, and " +
      'the relative becomes enrolled',
    () => {
      const net = new Net();
      expect(net.book('510700').persons.get('par')?.enrolled).toBe(false);
      // spo (Chengdu) pays for a parent insured in Mianyang: another region of the same province.
      expect(said(net.pay('C-1', 'spo', 'par', 2026, 'ACCOUNT'))).toEqual([
        { kind: 'contribution.accepted', body: { payId: 'C-1' } },
      ]);
      expect(net.sent('tax.claim', 'C-1').map((m) => m.to)).toEqual(['province.51']);
      expect(net.contributionOutcome('C-1')).toEqual([{ outcome: 'paid', reason: undefined }]);
      expect(net.account('spo')).toEqual({ region: '510100', available: 958_000n, held: 0n });
      expect(net.postings('C-1.a').map((p) => [p.op, p.debit, p.credit, p.amount])).toEqual([
        ['pay', 'spo/available', 'contributed:510100', 42_000n],
      ]);
      // Paid, it is the resident fund's of the person's region (Mianyang), not the payer's.
      expect(net.postings('C-1.r').map((p) => [p.op, p.debit, p.credit, p.amount])).toEqual([
        ['receive', 'contributed:510100', 'resfund:510700', 42_000n],
      ]);
      expect(net.book('510100').regions.get('510100')).toMatchObject({
        contributed: 0n,
        toFunds: 42_000n,
      });
      expect(net.book('510700').regions.get('510700')?.residentFund).toBe(42_000n);
      expect(net.book('510700').claims.get('C-1')).toMatchObject({
        personId: 'par',
        year: 2026,
        amount: 42_000n,
        state: 'paid',
      });
      expect(net.book('510700').persons.get('par')?.enrolled).toBe(true);
      // An account payment moves no wallet money: no wallet clearing line.
      expect(net.lines('C-1')).toEqual({});
    },
  );

  it(
    'E3: paying the contribution of a close relative with no relation yet enrols them ' +
      "(the rule's exception); the ID number entered must be theirs",
    () => {
      const net = new Net({}, [...PEOPLE, GRANDMOTHER]);
      expect(net.relation('spo', 'gma')).toEqual({
        donorSide: undefined,
        recipientSide: undefined,
      });
      // A digit wrong: the resident fund of the ID number's province does not know that person.
      const wrong = '510700194802021314';
      expect(kindsOf(net.pay('C-1', 'spo', 'gma', 2026, 'ACCOUNT', wrong))).toEqual([
        'contribution.accepted',
      ]);
      expect(net.sent('tax.refused', 'C-1').map((m) => m.body)).toEqual([
        { payId: 'C-1', reason: 'ID_MISMATCH' },
      ]);
      expect(net.account('spo')?.available).toBe(1_000_000n);
      // Not an ID number at all: refused at the shard, which has no region to ask.
      expect(said(net.pay('C-2', 'spo', 'gma', 2026, 'ACCOUNT', 'grandma'))).toEqual([
        { kind: 'contribution.refused', body: { payId: 'C-2', reason: 'ID_MISMATCH' } },
      ]);
      // Her own ID number: the fund finds the kinship on its registry (E2) and enrols her.
      expect(kindsOf(net.pay('C-3', 'spo', 'gma', 2026, 'ACCOUNT'))).toEqual([
        'contribution.accepted',
      ]);
      expect(net.sent('tax.claim', 'C-3').map((m) => m.to)).toEqual(['province.51']);
      expect(net.contributionOutcome('C-3')).toEqual([{ outcome: 'paid', reason: undefined }]);
      expect(net.account('spo')?.available).toBe(1_000_000n - 42_000n);
      expect(net.book('510700').persons.get('gma')?.enrolled).toBe(true);
      // gma is no relative of poor: E2 at the fund.
      expect(kindsOf(net.pay('C-4', 'poor', 'gma', 2026, 'ACCOUNT'))).toEqual([
        'contribution.accepted',
      ]);
      expect(net.contributionOutcome('C-4')).toEqual([{ outcome: 'rejected', reason: 'E2' }]);
    },
  );

  it(
    'C3: across provinces a personal account may not pay (refused C3, nothing moves); the ' +
      'relative pays from their own wallet instead',
    () => {
      const net = new Net();
      expect(said(net.pay('C-1', 'spo', 'far', 2026, 'ACCOUNT'))).toEqual([
        { kind: 'contribution.refused', body: { payId: 'C-1', reason: 'C3' } },
      ]);
      expect(net.sent('tax.claim')).toEqual([]);
      expect(net.account('spo')?.available).toBe(1_000_000n);
      // F4b: spo transfers to far's wallet (F2), far pays from it.
      net.gift('T-1', 'spo', 'far', 50_000n);
      expect(kindsOf(net.pay('C-2', 'far', 'far', 2026, 'WALLET'))).toEqual([
        'contribution.accepted',
      ]);
      expect(net.sent('tax.claim', 'C-2').map((m) => m.to)).toEqual(['province.64']);
      expect(net.contributionOutcome('C-2')).toEqual([{ outcome: 'paid', reason: undefined }]);
      expect(balanceOf(net.wallet('far'))).toBe(8_000n);
      expect(net.tranches('far')).toEqual([{ originRegion: '510100', amount: 8_000n }]);
      expect(net.book('640100').persons.get('far')?.enrolled).toBe(true);
      expect(net.cleared('C-2')).toEqual({ 'wallet 510100→640100': 42_000n });
      expect(net.account('spo')?.available).toBe(1_000_000n - 50_000n);
    },
  );
});

describe('C4: one payment per person and year', () => {
  it('C4: a second payment for the same person-year is rejected C4 and nothing moves', () => {
    const net = new Net();
    net.pay('C-1', 'spo', 'par', 2026, 'ACCOUNT');
    expect(net.contributionOutcome('C-1')).toEqual([{ outcome: 'paid', reason: undefined }]);
    expect(kindsOf(net.pay('C-2', 'spo', 'par', 2026, 'ACCOUNT'))).toEqual([
      'contribution.accepted',
    ]);
    expect(net.sent('tax.refused', 'C-2').map((m) => m.body)).toEqual([
      { payId: 'C-2', reason: 'C4' },
    ]);
    expect(net.contributionOutcome('C-2')).toEqual([{ outcome: 'rejected', reason: 'C4' }]);
    expect(net.sent('account.debit', 'C-2')).toEqual([]);
    expect(net.account('spo')?.available).toBe(958_000n);
    // Another payer fares no better, and the same payId again changes nothing.
    net.pay('C-3', 'poor', 'par', 2026, 'ACCOUNT');
    expect(net.contributionOutcome('C-3')).toEqual([{ outcome: 'rejected', reason: 'C4' }]);
    expect(kindsOf(net.pay('C-1', 'spo', 'par', 2026, 'ACCOUNT'))).toEqual([
      'contribution.accepted',
    ]);
    expect(net.sent('tax.claim', 'C-1')).toHaveLength(1);
    expect(net.account('spo')?.available).toBe(958_000n);
    expect(net.book('510700').slots.get('par.2026')).toBe('C-1');
  });

  it('C4: a claim released after a failed payment frees the person-year', () => {
    const net = new Net();
    // poor's account has 100 yuan: the year is claimed,
    // the debit refused FUNDS, the claim released.
    net.pay('C-1', 'poor', 'par', 2026, 'ACCOUNT');
    expect(net.sent('account.debitRefused', 'C-1').map((m) => m.body)).toEqual([
      { payId: 'C-1', reason: 'FUNDS' },
    ]);
    expect(net.sent('tax.release', 'C-1')).toHaveLength(1);
    expect(net.contributionOutcome('C-1')).toEqual([{ outcome: 'rejected', reason: 'FUNDS' }]);
    expect(net.book('510700').claims.get('C-1')?.state).toBe('released');
    expect(net.book('510700').slots.has('par.2026')).toBe(false);
    expect(net.account('poor')?.available).toBe(10_000n);
    expect(net.book('510700').persons.get('par')?.enrolled).toBe(false);
    // Another payment for the same year is then accepted and paid.
    net.pay('C-2', 'spo', 'par', 2026, 'ACCOUNT');
    expect(net.contributionOutcome('C-2')).toEqual([{ outcome: 'paid', reason: undefined }]);
    expect(net.book('510700').persons.get('par')?.enrolled).toBe(true);
    // A wallet too short to pay releases the claim the same way.
    net.gift('T-1', 'spo', 'far', 10_000n);
    net.pay('C-3', 'far', 'far', 2026, 'WALLET');
    expect(net.contributionOutcome('C-3')).toEqual([{ outcome: 'rejected', reason: 'FUNDS' }]);
    expect(balanceOf(net.wallet('far'))).toBe(10_000n);
    expect(net.wallet('far').holds).toEqual({});
    expect(net.book('640100').slots.has('far.2026')).toBe(false);
  });
});

describe('W9: the available balance is the only limit', () => {
  it('W9: a transfer above the available balance is rejected FUNDS and nothing moves', () => {
    const net = new Net();
    // poor has 10,000 fen.
    net.transfer('T-1', 'poor', 'par', 10_001n);
    expect(net.saga('T-1').value).toBe('rejected');
    expect(net.sent('account.rejected', 'T-1').map((m) => m.body)).toEqual([
      { transferId: 'T-1', reason: 'FUNDS' },
    ]);
    expect(net.facts('transfer.outcome', 'T-1').map((f) => [f.outcome, f.reason])).toEqual([
      ['rejected', 'FUNDS'],
    ]);
    expect(net.account('poor')).toEqual({ region: '510100', available: 10_000n, held: 0n });
    expect(net.sent('wallet.credit')).toEqual([]);
    expect(balanceOf(net.wallet('par'))).toBe(0n);
    expect(net.settlement.book.liabilities.size).toBe(0);
    expect(net.postings('T-1')).toEqual([]);
    // Exactly the balance goes.
    net.transfer('T-2', 'poor', 'par', 10_000n);
    expect(net.saga('T-2').value).toBe('awaitingReceipt');
    expect(net.account('poor')).toEqual({ region: '510100', available: 0n, held: 0n });
  });

  it(
    'W9: there is no yearly or monthly cap: twelve 2,000-yuan transfers over four days all go, ' +
      'up to the balance, and the next is rejected FUNDS',
    () => {
      const net = new Net();
      for (let day = 0; day < 4; day++) {
        for (let i = 0; i < 3; i++) {
          net.advance(at(day, 10 + i));
          net.gift(`T-${day}-${i}`, 'w9', 'pat', 200_000n);
        }
      }
      expect(net.account('w9')).toEqual({ region: '510100', available: 0n, held: 0n });
      expect(balanceOf(net.wallet('pat'))).toBe(2_400_000n);
      net.advance(at(4, 10));
      net.transfer('T-X', 'w9', 'pat', 1n);
      expect(net.facts('transfer.outcome', 'T-X').map((f) => [f.outcome, f.reason])).toEqual([
        ['rejected', 'FUNDS'],
      ]);
    },
  );
});

describe('W10 and W1: a transfer to a wallet that is not open fails, at the request if it can', () => {
  /** spo (shard 3) asks for 500 yuan to a wallet that is not active. */
  const refusedW10 = (id: 'frz' | 'cls', asked: number) => {
    const net = new Net();
    expect(net.shardOf(id).wallets.get(id)?.value).not.toBe('active');
    expect(net.request('T-1', 'spo', id, 50_000n)).toEqual({
      kind: 'transfer.refused',
      reason: 'W10',
    });
    // frz is on another shard, which the donor's shard asks; cls is on the donor's own.
    expect(net.sent('wallet.check', 'T-1')).toHaveLength(asked);
    expect(net.shardOf('spo').hasSaga('T-1')).toBe(false);
    // A refusal uses none of the donor's three transfers of the day (W6).
    expect(net.wallet('spo').sentToday).toBe(0);
    expect(net.account('spo')).toEqual({ region: '510100', available: 1_000_000n, held: 0n });
    expect(net.postings('T-1')).toEqual([]);
    // Asked again, the same answer, from the refusal on record.
    expect(net.request('T-1', 'spo', id, 50_000n).reason).toBe('W10');
  };

  it('W10: a transfer to a frozen wallet is refused W10 at the request, after asking its shard; no W6 transfer is used and nothing moves', () => {
    refusedW10('frz', 1);
  });

  it('W10: only the recipient\'s own shard answers for its wallet; another shard\'s "open" is ignored', () => {
    const net = new Net();
    const shard = net.shardOf('spo');
    const body = { transferId: 'T-9', donorId: 'spo', recipientId: 'frz', amount: 100n };
    const request = envelope('transfer.request', 'app.0', shard.address, 'T-9', {
      ...body,
      source: 'ACCOUNT' as const,
    });
    shard.checkRecipient(request, new RecordingEffects());
    const answer = (from: string, open: 'Y' | 'N') => {
      const fx = new RecordingEffects();
      const checked = { transferId: 'T-9', walletId: 'frz', open };
      shard.checked(envelope('wallet.checked', from, shard.address, 'T-9', checked), net.now, fx);
      return fx.sends.map((m) => [m.kind, m.body]);
    };
    const frzShard = net.shardAddressOf('frz');
    const other = ['wallet.00', 'wallet.01', 'wallet.02'].find((a) => a !== frzShard) ?? '';
    expect(answer(other, 'Y')).toEqual([]);
    expect(answer(frzShard, 'N')).toEqual([
      ['transfer.refused', { transferId: 'T-9', reason: 'W10' }],
    ]);
  });

  it("W10: a transfer to a closed wallet on the donor's shard is refused W10 at the request; no W6 transfer is used and nothing moves", () => {
    refusedW10('cls', 0);
  });

  it(
    'W10: a wallet frozen since its donor last heard rejects the credit W10 (the authority); the ' +
      "hold is released, and the donor's copy learns it: the next request asks first",
    () => {
      const net = new Net();
      const shard = net.shardOf('pat');
      const turn = (type: 'wallet.freeze' | 'wallet.unfreeze') =>
        shard.wallets.put(
          'pat',
          shard.machines.wallets.step(shard.wallets.get('pat') as never, { type }),
        );
      turn('wallet.freeze'); // no flow freezes a wallet: done here by hand
      net.transfer('T-1', 'spo', 'pat', 50_000n);
      expect(net.sent('wallet.rejected', 'T-1').map((m) => m.body)).toEqual([
        { transferId: 'T-1', reason: 'W10' },
      ]);
      expect(net.facts('transfer.outcome', 'T-1').map((f) => [f.outcome, f.reason])).toEqual([
        ['rejected', 'W10'],
      ]);
      expect(net.postings('T-1').map((p) => p.op)).toEqual(['reserve', 'release']);
      expect(net.account('spo')).toEqual({ region: '510100', available: 1_000_000n, held: 0n });
      expect(net.sent('liability.record')).toEqual([]);
      expect(net.inboxOf('notice.sms')).toEqual([]);
      expect(net.wallet('spo').relations['pat']?.unopened).toBe(true);

      expect(net.request('T-2', 'spo', 'pat', 50_000n).reason).toBe('W10');
      expect(net.sent('wallet.check', 'T-2')).toHaveLength(1);
      turn('wallet.unfreeze');
      expect(net.request('T-3', 'spo', 'pat', 50_000n).kind).toBe('transfer.accepted');
      expect(net.wallet('spo').relations['pat']?.unopened).toBeUndefined();
      // Known open again: the next request goes ahead without asking.
      net.auth('T-3', 'PASS');
      net.receive('T-3', 'pat');
      expect(net.request('T-4', 'spo', 'pat', 50_000n).kind).toBe('transfer.accepted');
      expect(net.sent('wallet.check', 'T-4')).toEqual([]);
    },
  );

  it(
    'W1: a wallet opens when its holder asks; a transfer before is refused W10 at the request, ' +
      'one after is accepted, and opening again changes nothing',
    () => {
      const net = new Net(
        {},
        [...PEOPLE, NEWCOMER],
        [...BOUND, { donor: 'spo', recipient: 'new', kinship: 'CHILD' }],
      );
      expect(net.wallet('spo').relations['new']?.unopened).toBe(true);
      expect(net.request('T-1', 'spo', 'new', 50_000n).reason).toBe('W10');
      const open = () => {
        net.fromApp(net.shardAddressOf('new'), 'wallet.open', 'O-1', { walletId: 'new' });
        return net.inboxOf('wallet.opened', 'O-1').at(-1)?.body;
      };
      expect(open()).toEqual({ walletId: 'new', open: 'Y' });
      expect(net.shardOf('new').wallets.get('new')?.value).toBe('active');
      expect(net.wallet('new').opened).toBe(true);
      expect(net.facts('wallet.opened')).toEqual([
        { type: 'wallet.opened', corr: 'O-1', walletId: 'new' },
      ]);
      expect(net.request('T-2', 'spo', 'new', 50_000n).kind).toBe('transfer.accepted');
      expect(net.sent('wallet.check', 'T-2')).toHaveLength(1);
      expect(open()).toEqual({ walletId: 'new', open: 'Y' });
      expect(net.facts('wallet.opened')).toHaveLength(1);
      // A wallet that does not exist, or one that is frozen, is not open.
      net.fromApp(net.shardAddressOf('nobody'), 'wallet.open', 'O-2', { walletId: 'nobody' });
      expect(net.inboxOf('wallet.opened', 'O-2').map((m) => m.body.open)).toEqual(['N']);
      net.fromApp(net.shardAddressOf('frz'), 'wallet.open', 'O-3', { walletId: 'frz' });
      expect(net.inboxOf('wallet.opened', 'O-3').map((m) => m.body.open)).toEqual(['N']);
    },
  );
});

describe("W13: the donor's confirmation expires", () => {
  it('W13: the confirmation expires after authTtlMs: rejected W13, nothing reserved', () => {
    const net = new Net();
    const startedAt = net.now;
    expect(net.request('T-1', 'spo', 'pat', 50_000n).kind).toBe('transfer.accepted');
    net.advance(startedAt + net.config.authTtlMs - 1);
    expect(net.saga('T-1').value).toBe('authenticating');
    net.advance(startedAt + net.config.authTtlMs + net.config.retryDelayMsMax);
    expect(net.saga('T-1').value).toBe('rejected');
    expect(net.facts('transfer.outcome', 'T-1').map((f) => [f.outcome, f.reason])).toEqual([
      ['rejected', 'W13'],
    ]);
    expect(net.sent('account.reserve')).toEqual([]);
    expect(net.account('spo')).toEqual({ region: '510100', available: 1_000_000n, held: 0n });
    // A PASS after the deadline changes nothing.
    net.auth('T-1', 'PASS');
    expect(net.saga('T-1').value).toBe('rejected');
    expect(net.sent('account.reserve')).toEqual([]);
    expect(balanceOf(net.wallet('pat'))).toBe(0n);
  });

  it('W13: the deadline is the authTtlMs flag', () => {
    const net = new Net({ authTtlMs: 60_000 });
    const startedAt = net.now;
    net.request('T-1', 'spo', 'pat', 50_000n);
    net.request('T-2', 'spo', 'res', 50_000n);
    net.advance(startedAt + 30_000);
    net.auth('T-2', 'PASS');
    net.advance(startedAt + 60_000 + net.config.retryDelayMsMax);
    expect(net.saga('T-1').value).toBe('rejected');
    expect(net.saga('T-1').context.reason).toBe('W13');
    expect(net.saga('T-2').value).toBe('awaitingReceipt');
  });
});

describe('W18: there is no recall', () => {
  it('W18: after receipt nothing brings the money back, and a settle of a received transfer answers received', () => {
    const net = new Net();
    net.gift('T-1', 'spo', 'pat', 50_000n);
    // No message kind recalls a transfer.
    expect(KINDS.filter((k) => /recall|withdraw/i.test(k))).toEqual([]);
    // The 06:00 return passes it by, days go by, the donor even ends the relation (W19).
    net.advance(at(1, 6));
    net.advance(at(3, 12));
    net.end('spo', 'pat', 'REVOKED_BY_DONOR');
    expect(net.relation('spo', 'pat').recipientSide?.status).toBe('ended');
    expect(net.sent('wallet.settle')).toEqual([]);
    expect(net.sent('account.refund')).toEqual([]);
    // A settle, as if the 06:00 step came late, finds it received and answers so.
    net.enqueue({
      from: net.shardAddressOf('spo'),
      to: net.shardAddressOf('pat'),
      kind: 'wallet.settle',
      corr: 'T-1',
      body: { transferId: 'T-1', walletId: 'pat' },
      at: net.now,
    });
    net.deliver();
    const toDonor = net
      .sent('wallet.received', 'T-1')
      .filter((m) => m.to === net.shardAddressOf('spo'));
    expect(toDonor.length).toBeGreaterThanOrEqual(2); // the push on receipt, and this answer
    expect(net.sent('wallet.returned')).toEqual([]);
    expect(net.saga('T-1').value).toBe('received');
    expect(balanceOf(net.wallet('pat'))).toBe(50_000n);
    expect(net.account('spo')).toEqual({ region: '510100', available: 950_000n, held: 0n });
    expect(net.settlement.book.liabilities.get('510100')).toBe(50_000n);
    // The holder can still spend it (filed under October, the month the clock is in now).
    expect(said(net.presettle(visit('B-1', 'pat', '510100', { useWallet: 'Y' })))).toEqual(
      presettled('B-1', 12_650n, 5_000n, 12_350n, 0n, 202510),
    );
  });
});

/**
 * A month of everything a province books: transfers, bills (held, settled, across provinces, a
 * resident's), a contribution, K3 reconciliations and applications, September cleared, and
 * family aid still held at the end.
 */
function monthOfEverything(): Net {
  const net = new Net();
  // Started as a host starts them: each province arms its month (P4) and clearing timers.
  for (const [address, province] of net.provinces)
    net.step(address, (fx) => province.recover(net.now, fx), true);
  net.gift('T-1', 'spo', 'pat', 20_000n);
  net.transfer('T-2', 'spo', 'far', 10_000n);
  net.presettle(visit('B-1', 'pat', '510100', { useWallet: 'Y' }));
  net.settle('B-1', 'pat');
  net.presettle(visit('B-2', 'cd', '320500'));
  net.settle('B-2', 'cd');
  net.presettle(visit('B-3', 'spo', '510100'));
  net.presettle(visit('B-4', 'res', '510700'));
  net.settle('B-4', 'res');
  net.pay('C-1', 'spo', 'par', 2026, 'ACCOUNT');
  net.advance(net.now + DAY_MS);
  const day = 20_250_929;
  net.fromApp('province.51', 'provider.totals', 'R1', {
    region: '510100',
    day,
    count: 9,
    total: 1n,
  });
  net.fromApp('province.51', 'provider.detail', 'B-X', {
    region: '510100',
    day,
    billId: 'B-X',
    total: 1n,
  });
  net.advance(net.now + 3 * DAY_MS);
  net.fromApp('province.51', 'provider.apply', 'A1', {
    region: '510100',
    month: 202509,
    count: 9,
    applied: 1n,
  });
  // Through September's clearing: allocation on 10 October, statements, funding, disbursal.
  net.advance(30 * DAY_MS + 10 * HOUR_MS);
  // Still open when the records are read: family aid and a bill's own account share held.
  net.presettle(visit('B-5', 'pat', '510100', { aidBy: 'spo' }));
  net.presettle(visit('B-6', 'spo', '510100'));
  // And a transfer reserved whose commit is lost: its hold is open too.
  net.drop = (m) => m.kind === 'account.commit';
  net.transfer('T-9', 'spo', 'pat', 100n);
  net.receive('T-9', 'pat');
  net.drop = () => false;
  return net;
}

describe('Records and postings of a month of everything', () => {
  it('a province rebuilt from what it wrote is the province it was, every book part the same', () => {
    const net = monthOfEverything();
    const parts = [
      'accounts',
      'txns',
      'regions',
      'persons',
      'creditedMonths',
      'bills',
      'aids',
      'providers',
      'providerDays',
      'providerMonths',
      'reconciliations',
      'applications',
      'unrecorded',
      'claims',
      'backings',
      'slots',
      'debits',
      'fundedMonths',
      'receivedMonths',
      'holds',
    ] as const;
    const seen = new Set<string>();
    for (const [address, live] of net.provinces) {
      const rebuilt = net.rebuiltBook(`${address.slice(-2)}0100`);
      const book = live.accountBook;
      for (const part of parts) {
        expect(rebuilt[part], `${address} ${part}`).toEqual(book[part]);
        if (book[part].size > 0) seen.add(part);
      }
      expect(rebuilt.fund, `${address} fund`).toBe(book.fund);
      expect(rebuilt.provincial.lines, `${address} provincial lines`).toEqual(
        book.provincial.lines,
      );
      expect(rebuilt.provincial.batches, `${address} provincial batches`).toEqual(
        book.provincial.batches,
      );
    }
    const chengdu = net.book('510100');
    expect([...chengdu.holds].map(([id, hold]) => [id, hold.kind]).sort()).toEqual([
      ['B-5.f', 'aid'],
      ['B-6', 'bill'],
      ['T-9', 'transfer'],
    ]);
    // Nothing here was released as an orphan: no record says so.
    const records = [...chengdu.txns.values(), ...chengdu.bills.values(), ...chengdu.aids.values()];
    expect(records.filter((r) => 'orphan' in r)).toEqual([]);
    expect(records.filter((r) => r.state === 'released').length).toBeGreaterThan(0);
    // The script reached every part: an empty one would rebuild equal without proving anything.
    expect(parts.filter((part) => !seen.has(part))).toEqual([]);
  });

  it('every posting names each account with its one money class (effects.ts MoneyClass)', () => {
    const net = monthOfEverything();
    // `<person>/held` and `<person>/available` are a personal account's two balances; pooling
    // funds (`fund:<region>`, `resfund:<region>`, the province's `fund`) are 'fund', the wallet
    // ledger's origin counters (`liab:<region>`) 'liability'; every other account is its class.
    const classOf = (account: string) => {
      const slash = account.lastIndexOf('/');
      if (slash >= 0) return account.slice(slash + 1);
      const name = account.replace(/:.*/, '');
      if (name === 'resfund') return 'fund';
      if (name === 'liab') return 'liability';
      return name;
    };
    const postings = net.postings();
    expect(postings.length).toBeGreaterThan(20);
    const wrong = postings.flatMap((p) => [
      ...(classOf(p.debit) === p.debitClass
        ? []
        : [`${p.op} ${p.corr}: debit ${p.debit} as ${p.debitClass}`]),
      ...(classOf(p.credit) === p.creditClass
        ? []
        : [`${p.op} ${p.corr}: credit ${p.credit} as ${p.creditClass}`]),
    ]);
    expect(wrong).toEqual([]);
  });
});
