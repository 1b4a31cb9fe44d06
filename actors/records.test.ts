// Reading an actor's records back: every key names a kind of actors/records.ts and belongs to
// the role reading it; anything else is refused with the key and why (a journal read into the
// wrong actor, a record no code writes), before any of it is used.
import { describe, expect, it } from 'vitest';

import { RECORDS, visitRecords } from './records.ts';

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
  ])('refuses %s', (_what, key, message) => {
    expect(() => visitRecords(new Map([[key, 1]]), {})).toThrow(message);
  });

  it('refuses a record another role owns, naming both roles', () => {
    const records = new Map<string, unknown>([[txnKey, { state: 'reserved' }]]);
    expect(() => visitRecords(records, {}, 'wallet')).toThrow(
      `record '${txnKey}' (${RECORDS.txn.about}) belongs to a province, not a wallet`,
    );
    expect(() => visitRecords(records, {})).not.toThrow();
  });
});
