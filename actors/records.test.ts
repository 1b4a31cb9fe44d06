// Reading an actor's records back: every key names a kind of actors/records.ts and belongs to
// the role reading it; anything else is refused with the key and why (a journal read into the
// wrong actor, a record no code writes), before any of it is used.
import { describe, expect, it } from 'vitest';

import {
  FREE_PERSON_YEAR,
  provinceLineOf,
  recordNameOf,
  RECORDS,
  regionSum,
  visitRecords,
} from './records.ts';

describe('visitRecords', () => {
  const txnKey = RECORDS.txn.key('T-1');

  it('visits each record of the kinds asked for, with its id, and skips the others', () => {
    const seen: string[] = [];
    const records = new Map<string, unknown>([
      [txnKey, { state: 'reserved' }],
      [RECORDS.account.key('p1'), { region: '510100' }],
    ]);
    visitRecords(records, { txn: (id) => seen.push(`txn ${String(id)}`) }, 'province');
    expect(seen).toEqual(['txn T-1']);
  });

  it.each([
    ['a key of no kind', 'zz:1', "record 'zz:1' is of no kind in actors/records.ts"],
    ['a key without a prefix', ':T-1', "record ':T-1' is of no kind in actors/records.ts"],
    ['a key with no colon', 'T-1', "record 'T-1' is of no kind in actors/records.ts"],
    // 'f' is the pooling fund's prefix: a key is read up to its colon, never without one.
    ['a prefix and more, no colon', 'fx', "record 'fx' is of no kind in actors/records.ts"],
  ])('refuses %s', (_what, key, message) => {
    expect(() => visitRecords(new Map([[key, 1]]), {})).toThrow(message);
    expect(() => visitRecords(new Map([[key, 1]]), {})).toThrow(
      expect.objectContaining({ name: 'RecordError' }),
    );
    expect(recordNameOf(key)).toBeUndefined();
  });

  it('refuses a record another role owns, naming both roles', () => {
    const records = new Map<string, unknown>([[txnKey, { state: 'reserved' }]]);
    expect(() => visitRecords(records, {}, 'wallet')).toThrow(
      `record '${txnKey}' (${RECORDS.txn.about}) belongs to a province, not a wallet`,
    );
    expect(() => visitRecords(records, {})).not.toThrow();
  });
});

describe('records: keys, lines and sums', () => {
  it('a record an actor has one of is keyed by its name, and reads back no id', () => {
    expect(RECORDS.poolingFund.key()).toBe('f:fund');
    expect(recordNameOf('f:fund')).toBe('poolingFund');
    expect(RECORDS.poolingFund.idOf('f:fund')).toBeUndefined();
  });

  it("a bill's lines name the bill and whose share each is; other lines no province's", () => {
    expect(provinceLineOf('B-7.m')).toEqual({ bill: 'B-7', aid: false });
    expect(provinceLineOf('B-7.f')).toEqual({ bill: 'B-7', aid: true });
    expect(provinceLineOf('T-7.w')).toBeUndefined();
    expect(provinceLineOf('B-7')).toBeUndefined();
  });

  it("a region's counters sum with the optional ones counted only when present", () => {
    expect(regionSum({ source: -100n, due: 20n })).toBe(-80n);
    const all = { source: -100n, due: 20n, income: 30n, contributed: 40n, toFunds: 5n };
    expect(regionSum(all)).toBe(-5n);
    expect(regionSum({ ...all, source: 0n, due: 0n, income: 0n })).toBe(45n);
  });

  it('a released person-year holds the empty id, which no payment can have', () => {
    expect(FREE_PERSON_YEAR).toBe('');
  });
});
