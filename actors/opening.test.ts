// The opening records as the world builder makes them: wallets packed with both copies of each
// relation, the registry's kin as pairs, person records without the fields that say nothing.
import { describe, expect, it } from 'vitest';

import { walletShardAddress, walletShardOf } from './addresses.ts';
import { PROTOCOL_DEFAULTS } from './config.ts';
import { openingRecords } from './opening.ts';
import { kinshipIn, type PersonRecord, RECORDS } from './records.ts';
import { packedStatus, unpackWallet } from './wallet_codec.ts';

const config = { ...PROTOCOL_DEFAULTS, walletShardCount: 2 };
const person = (id: string, region: string, walletStatus: 'active' | 'unopened' = 'active') => ({
  id,
  region,
  ebmi: true,
  openingBalance: 100_000n,
  walletStatus,
  name: '王伟',
  idNo: `${region}199001011234`,
  enrolled: true,
  monthlyCreditFen: 20_000n,
  retired: false,
  filedTo: [],
  chronic: [],
});

const opening = openingRecords({
  config,
  provinces: ['11', '51'],
  people: [person('don', '110100'), person('kid', '510100', 'unopened'), person('aunt', '110100')],
  relations: [{ donorId: 'don', recipientId: 'kid', kinship: 'CHILD' }],
  kin: [
    [{ donorId: 'don', recipientId: 'kid', kinship: 'CHILD' }],
    [
      { donorId: 'aunt', recipientId: 'kid', kinship: 'SIBLING' },
      { donorId: 'aunt', recipientId: 'kid', kinship: 'PATERNAL_GRANDPARENT' },
    ],
  ],
});

const walletOf = (id: string) => {
  const shard = opening.records.get(walletShardAddress(walletShardOf(id, 2)));
  const stored = shard?.get(RECORDS.wallet.key(id));
  if (typeof stored !== 'string') throw new Error(`no packed wallet ${id}`);
  return { stored, ...unpackWallet(id, stored) };
};

describe('opening records (actors/opening.ts)', () => {
  it('packs each wallet with both copies of its relations, bound as r<index>', () => {
    const don = walletOf('don');
    expect(don.value).toBe('active');
    expect({ ...don.context.relations }).toEqual({
      kid: { kinship: 'CHILD', region: '510100', status: 'active', bindId: 'r0', unopened: true },
    });
    const kid = walletOf('kid');
    expect(packedStatus(kid.stored)).toBe('unopened');
    expect({ ...kid.context.donors }).toEqual({
      don: { kinship: 'CHILD', region: '110100', status: 'active', bindId: 'r0' },
    });
    expect(Object.keys(walletOf('aunt').context.relations)).toEqual([]);
  });

  it("keeps the registry's kin as pairs, the later kinship of a pair named twice standing", () => {
    const kid = opening.records.get('province.51')?.get(RECORDS.person.key('kid')) as PersonRecord;
    expect(kid.kin).toEqual(['don', 'CHILD', 'aunt', 'PATERNAL_GRANDPARENT']);
    expect(kinshipIn(kid.kin, 'aunt')).toBe('PATERNAL_GRANDPARENT');
    expect(kinshipIn(kid.kin, 'nobody')).toBeUndefined();
    // Fields that say nothing are left out of the record.
    expect(Object.keys(kid)).toEqual(['name', 'idNo', 'region', 'enrolled', 'kin', 'creditFen']);
  });

  it('refuses a relation naming someone not in the population', () => {
    expect(() =>
      openingRecords({
        config,
        provinces: ['11'],
        people: [person('don', '110100')],
        relations: [{ donorId: 'don', recipientId: 'ghost', kinship: 'CHILD' }],
        kin: [],
      }),
    ).toThrow(/relation r0 names an unknown person/);
    expect(() =>
      openingRecords({
        config,
        provinces: ['11'],
        people: [person('kid', '110100')],
        relations: [{ donorId: 'ghost', recipientId: 'kid', kinship: 'CHILD', bindId: 'b7' }],
        kin: [],
      }),
    ).toThrow(/relation b7 names an unknown person/);
  });

  it('a person with no kin gets an empty list; a pair named again first in its list is replaced', () => {
    const again = openingRecords({
      config,
      provinces: ['11'],
      people: [person('don', '110100'), person('kid', '110100')],
      relations: [],
      kin: [
        [{ donorId: 'don', recipientId: 'kid', kinship: 'CHILD' }],
        [{ donorId: 'don', recipientId: 'kid', kinship: 'SPOUSE' }],
      ],
    });
    const province = again.records.get('province.11');
    expect((province?.get(RECORDS.person.key('kid')) as PersonRecord).kin).toEqual([
      'don',
      'SPOUSE',
    ]);
    expect((province?.get(RECORDS.person.key('don')) as PersonRecord).kin).toEqual([]);
  });

  it('without funds: the accounts only, every province an actor, nothing at settlement', () => {
    expect(opening.openingTotal).toBe(300_000n);
    expect([opening.openingFunds, opening.openingClearing]).toEqual([0n, 0n]);
    expect(opening.records.get('settlement.0')?.size).toBe(0);
    const empty = openingRecords({
      config,
      provinces: ['11', '44'],
      people: [],
      relations: [],
      kin: [],
    });
    expect(empty.records.get('province.44')?.size).toBe(0);
  });
});

describe('opening funds (F5, F2b)', () => {
  const resident = (id: string, region: string, enrolled = true) => ({
    ...person(id, region),
    ebmi: false,
    openingBalance: 0n,
    enrolled,
  });
  const funded = openingRecords({
    config,
    provinces: ['11', '51'],
    people: [
      person('a', '110100'),
      resident('g', '110500'),
      resident('b', '110300'),
      resident('h', '110400'),
      resident('c', '110200'),
      resident('d', '110200', false),
      person('e', '510100'),
      { ...person('f', '510100'), enrolled: false },
    ],
    relations: [],
    kin: [],
    funds: { fundFenPerInsured: 1_000n, prepaymentFenPerInsured: 10n },
  });
  const own = (province: string) => funded.records.get(`province.${province}`)!;

  it("sizes each province's pooling fund and prepayment by its insured", () => {
    // Province 11: a, g, b, h, c insured (d is not enrolled); province 51: e only.
    expect(own('11').get(RECORDS.poolingFund.key())).toBe(5_000n);
    expect(own('11').get(RECORDS.poolOpened.key())).toBe(5_000n);
    expect(own('51').get(RECORDS.poolingFund.key())).toBe(1_000n);
    const settlement = funded.records.get('settlement.0')!;
    expect(settlement.get(RECORDS.prepayment.key('11'))).toEqual({ size: 50n, balance: 50n });
    expect(settlement.get(RECORDS.prepayment.key('51'))).toEqual({ size: 10n, balance: 10n });
    expect(settlement.get(RECORDS.clearingAccount.key())).toBe(60n);
    expect(funded.openingClearing).toBe(60n);
  });

  it("opens each pooling region's employee and resident funds, in code order", () => {
    expect(own('11').get(RECORDS.region.key('110100'))).toEqual({
      source: -100_000n,
      due: 0n,
      fund: 1_000n,
      fundOpened: 1_000n,
      residentFund: 0n,
      residentFundOpened: 0n,
    });
    expect(own('11').get(RECORDS.region.key('110200'))).toEqual({
      source: 0n,
      due: 0n,
      fund: 0n,
      fundOpened: 0n,
      residentFund: 1_000n,
      residentFundOpened: 1_000n,
    });
    const regions = [...own('11').keys()].filter((key) => key.startsWith('r:'));
    expect(regions).toEqual(['r:110100', 'r:110200', 'r:110300', 'r:110400', 'r:110500']);
  });

  it('counts every fund in openingFunds, and only accounts in openingTotal', () => {
    // Pooling funds 5,000 + 1,000, prepayments 60, region funds 5,000 + 1,000.
    expect(funded.openingFunds).toBe(12_060n);
    expect(funded.openingTotal).toBe(300_000n);
  });
});
