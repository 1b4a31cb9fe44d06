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
  });
});
