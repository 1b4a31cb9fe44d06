// The packed wallet: every field comes back as it went in, an empty one as the shared frozen
// empty, the state is readable without unpacking, and the bytes are few.
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';

import { PROTOCOL_DEFAULTS } from './config.ts';
import {
  initialWalletContext,
  type Relation,
  type WalletContext,
  type WalletStatus,
} from './wallet.ts';
import {
  openingRelation,
  packedStatus,
  packOpening,
  packWallet,
  readWallet,
  readWalletMoney,
  SPARSE,
  unpackWallet,
  type WalletState,
} from './wallet_codec.ts';
import { WalletMachines } from './wallet_shard.actor.ts';
import { WalletTable } from './wallet_table.ts';

const piece = (transferId: string, amount: bigint) => ({
  originRegion: '110100',
  transferId,
  donorId: 'don',
  amount,
});

/** A context with every field set, and relations in every shape a run gives them. */
const RICH: WalletContext = {
  walletId: 'pat',
  region: '510100',
  ebmi: true,
  tranches: [
    { ...piece('T-1', 50_000n), received: true },
    { ...piece('T-2', 1n), received: false },
  ],
  day: 20_061,
  sentToday: 2,
  pendingTo: ['kid'],
  relations: {
    kid: { kinship: 'child', region: '440300', status: 'active', bindId: 'r1' },
    mum: { kinship: 'parent', region: '440300', status: 'active', bindId: 'r2', unopened: true },
    ex: {
      kinship: 'spouse',
      region: '510100',
      status: 'ended',
      bindId: 'r3',
      ending: 'REVOKED_BY_DONOR',
    },
  },
  donors: { don: { kinship: 'parent', region: '110100', status: 'active', bindId: 'r0' } },
  credited: ['T-1', 'T-2'],
  rejected: { 'T-9': 'W10' },
  returned: ['T-0'],
  refused: { 'T-8': 'W6' },
  bindingTo: ['aunt'],
  addedBinds: ['r0'],
  holds: { 'B-1': [piece('T-1', 20_000n)] },
  paid: { 'B-0': [piece('T-1', 5_000n), piece('T-3', 7n)] },
  opened: true,
};

const fresh = (status: WalletStatus = 'active'): WalletContext =>
  initialWalletContext({
    walletId: 'w1',
    region: '110100',
    status,
    ebmi: true,
    relations: { w2: { kinship: 'spouse', region: '110100', status: 'active', bindId: 'r7' } },
    donors: {},
  });

/** A new wallet with no relations at all: every field but its first five empty. */
const bare = (): WalletContext =>
  initialWalletContext({
    walletId: 'w1',
    region: '110100',
    status: 'active',
    ebmi: true,
    relations: {},
    donors: {},
  });

describe('packed wallets (actors/wallet_codec.ts)', () => {
  it('every field round-trips, exactly: bigints stay bigints, absent stays absent', () => {
    for (const status of ['unopened', 'active', 'frozen', 'closed'] as const) {
      const bytes = packWallet(status, RICH);
      const back = unpackWallet('pat', bytes);
      // Equal, key for key (objects keyed by ids come back without a prototype: toEqual).
      expect(back).toEqual({ value: status, context: RICH });
      expect(Object.keys(back.context)).toEqual(Object.keys(RICH));
      for (const id of Object.keys(RICH.relations))
        expect(Object.keys(back.context.relations[id] as object)).toEqual(
          Object.keys(RICH.relations[id] as object),
        );
      expect(typeof back.context.tranches[0]?.amount).toBe('bigint');
      expect(packedStatus(bytes)).toBe(status);
      // Packing what was unpacked gives the same bytes: the record a shard rewrites is stable.
      expect(packWallet(back.value, back.context)).toBe(bytes);
    }
    const plain = unpackWallet('w1', packWallet('active', fresh()));
    expect(plain.context).toEqual(fresh());
    expect('opened' in plain.context).toBe(false);
    expect('unopened' in (plain.context.relations.w2 as object)).toBe(false);
  });

  it('a wallet with every field set is an array16 and its state still reads', () => {
    const bytes = packWallet('frozen', RICH);
    expect(bytes.charCodeAt(0)).toBe(0xdc); // 18 places: more than a fixarray holds
    expect(packedStatus(bytes)).toBe('frozen');
    const small = packWallet('closed', fresh());
    expect(small.charCodeAt(0)).toBeLessThan(0xa0); // a fixarray: trailing empties left out
    expect(packedStatus(small)).toBe('closed');
  });

  it('empty fields unpack to the shared frozen empties, which a step cannot mutate', () => {
    const { context } = unpackWallet('w1', packWallet('active', fresh()));
    expect(context.tranches).toBe(SPARSE.list);
    expect(context.holds).toBe(SPARSE.record);
    expect(context.donors).toBe(SPARSE.record);
    expect(fresh().credited).toBe(SPARSE.list);
    expect(() => (context.credited as string[]).push('T-1')).toThrow(TypeError);
    expect(() => {
      (context.holds as Record<string, never[]>)['B-1'] = [];
    }).toThrow(TypeError);
  });

  it('the bytes are plain msgpack of the documented layout, its first six places kept', () => {
    // An independent plain-msgpack encoder (no msgpackr records): what any msgpack reader reads.
    const plain = new Packr({ useRecords: false });
    const bytes = (context: WalletContext) => Buffer.from(packWallet('active', context), 'latin1');
    // [status, region, ebmi, day, sentToday, tranches]: the empty tranches stay, the rest go.
    expect(bytes(bare())).toEqual(plain.pack([1, '110100', 1, -1, 0, []]));
    const holding = { ...bare(), holds: { 'B-1': [piece('T-1', 20_000n)] } };
    const emptyUpToHolds = [[], [], [], [], [], {}, {}, [], []];
    expect(bytes(holding)).toEqual(
      plain.pack([
        ...[1, '110100', 1, -1, 0, []],
        ...emptyUpToHolds,
        { 'B-1': [['110100', 'T-1', 'don', 20_000n]] },
      ]),
    );
  });

  it('empty fields before a set one, or after the last, unpack to the shared empties', () => {
    for (const context of [bare(), { ...bare(), opened: true as const }]) {
      const back = unpackWallet('w1', packWallet('active', context)).context;
      expect(back).toEqual(context);
      const lists = ['tranches', 'credited', 'pendingTo', 'returned', 'bindingTo', 'addedBinds'];
      for (const key of lists as Array<keyof WalletContext>)
        expect(back[key], key).toBe(SPARSE.list);
      const records = ['relations', 'donors', 'rejected', 'refused', 'holds', 'paid'];
      for (const key of records as Array<keyof WalletContext>)
        expect(back[key], key).toBe(SPARSE.record);
    }
  });

  it('a new wallet with one relation packs to a few dozen bytes, the same each time', () => {
    const a = packWallet('active', fresh());
    expect(a.length).toBeLessThan(48);
    expect(packWallet('active', fresh())).toBe(a);
    expect(packWallet('active', RICH).length).toBeLessThan(400);
  });

  it('refuses a state no wallet has, and bytes that are not a wallet', () => {
    expect(() => packWallet('lost' as WalletStatus, fresh())).toThrow(/in no wallet state/);
    expect(() => packedStatus('\x93\x09\x00\x00')).toThrow(/not a packed wallet/);
    expect(() => unpackWallet('x', '\x91\x07')).toThrow(/x is not a wallet/);
  });

  it('a wallet packed straight from its opening relations is the same bytes as its context', () => {
    const spouse = { kinship: 'SPOUSE', region: '110100', status: 'active', bindId: 'r7' } as const;
    for (const status of ['unopened', 'active'] as const) {
      for (const [relations, donors] of [
        [{}, {}],
        [{ w2: spouse }, {}],
        [{}, { w3: spouse }],
        [{ w2: { ...spouse, unopened: true as const }, w4: spouse }, { w3: spouse }],
      ] as const) {
        const context = initialWalletContext({
          walletId: 'w1',
          region: '110100',
          status,
          ebmi: false,
          relations,
          donors,
        });
        const tuples = (of: Readonly<Record<string, Relation>>) =>
          Object.entries(of).map(([id, r]) =>
            openingRelation(id, r.kinship, r.region, r.bindId, r.unopened === true),
          );
        expect(packOpening(status, '110100', false, tuples(relations), tuples(donors))).toBe(
          packWallet(status, context),
        );
      }
    }
  });

  it('readWallet takes a packed record or a persisted state; readWalletMoney its money', () => {
    expect(readWalletMoney('pat', packWallet('active', RICH))).toEqual({
      tranches: RICH.tranches,
      credited: RICH.credited,
      returned: RICH.returned,
    });
    expect(readWalletMoney('w1', packWallet('active', fresh())).tranches).toBe(SPARSE.list);
    expect(() => readWalletMoney('x', '\x91\x07')).toThrow(/x is not a wallet/);
    const state: WalletState = { value: 'active', context: fresh() };
    expect(readWalletMoney('w1', state)).toBe(state.context);
    expect(readWallet('w1', packWallet('active', fresh()))).toEqual(state);
    expect(readWallet('w1', state)).toBe(state);
  });
});

describe("a shard's wallet table (actors/wallet_table.ts)", () => {
  const machines = new WalletMachines(PROTOCOL_DEFAULTS);
  const table = (capacity: number) => {
    const t = new WalletTable(machines.wallets, capacity);
    for (const id of ['a', 'b', 'c']) {
      const context = { ...fresh(), walletId: id };
      t.restore(id, packWallet('active', context));
    }
    return t;
  };

  it('activates on use, passivates the least recently used beyond its capacity', () => {
    const t = table(2);
    expect(t.status('a')).toBe('active');
    expect([t.hotCount, t.activations]).toEqual([0, 0]); // a state is read packed
    const a = t.get('a');
    expect(a?.context.walletId).toBe('a');
    expect(t.get('a')).toBe(a); // live now: the same snapshot
    t.get('b');
    expect([t.hotCount, t.activations]).toEqual([2, 2]);
    t.get('c'); // a is the least recently used: packed again
    expect(t.hotCount).toBe(2);
    const again = t.get('a');
    expect(again).not.toBe(a);
    expect(again?.context).toStrictEqual(a?.context);
    expect(t.activations).toBe(4);
    expect(t.get('nobody')).toBeUndefined();
    expect(t.size).toBe(3);
  });

  it('passivateAll packs every live wallet to its latest bytes; clear forgets them all', () => {
    const t = table(3);
    const frozen = machines.wallets.step(t.get('a') as never, { type: 'wallet.freeze' });
    t.put('a', frozen);
    t.get('b');
    t.passivateAll();
    expect(t.hotCount).toBe(0);
    expect(t.status('a')).toBe('frozen');
    expect(t.get('a')).not.toBe(frozen); // activated afresh from its bytes
    expect(t.get('a')?.value).toBe('frozen');
    t.clear();
    expect([t.size, t.hotCount, t.has('a')]).toEqual([0, 0, false]);
  });

  it('put keeps the new snapshot live and returns the bytes to store', () => {
    const t = table(1);
    const frozen = machines.wallets.step(t.get('a') as never, { type: 'wallet.freeze' });
    const bytes = t.put('a', frozen);
    expect(packedStatus(bytes)).toBe('frozen');
    t.get('b'); // a passivates to the bytes put returned
    expect(t.status('a')).toBe('frozen');
    expect(t.get('a')?.value).toBe('frozen');
  });

  it('restores a persisted state (an older journal) by packing it; refuses no capacity', () => {
    const t = new WalletTable(machines.wallets, 1);
    t.restore('w1', { value: 'unopened', context: fresh('unopened') });
    expect(t.status('w1')).toBe('unopened');
    expect(t.get('w1')?.context).toEqual(fresh('unopened'));
    expect(() => new WalletTable(machines.wallets, 0)).toThrow(/hotCapacity must be/);
  });
});
