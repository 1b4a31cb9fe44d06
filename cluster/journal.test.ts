// Journal folding, without a broker: what a restart reads back must be what the actors wrote,
// and snapshots count only when complete. (The record codec's round trip over a whole simulated
// run is in sim/record_codec.test.ts.)
import { describe, expect, it } from 'vitest';

import { JournalFold } from './journal.ts';

describe('JournalFold', () => {
  it('applies batches in order, a later write of a key winning', () => {
    const fold = new JournalFold();
    fold.apply(['b', ['a:1', 'a:2'], [1n, 2n]]);
    fold.apply(['b', ['a:1'], [5n]]);
    expect([...fold.records]).toEqual([
      ['a:1', 5n],
      ['a:2', 2n],
    ]);
  });

  it('replaces everything with a snapshot once all its chunks are in', () => {
    const fold = new JournalFold();
    fold.apply(['b', ['old'], [1]]);
    fold.apply(['s', 'x', 0, 2, ['a'], [1]]);
    expect([...fold.records.keys()]).toEqual(['old']); // half a snapshot changes nothing yet
    fold.apply(['s', 'x', 1, 2, ['b'], [2]]);
    fold.apply(['b', ['c'], [3]]);
    expect([...fold.records]).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
  });

  it('ignores a snapshot cut short by a crash (an open marker follows its first chunks)', () => {
    const fold = new JournalFold();
    fold.apply(['b', ['kept'], [1]]);
    fold.apply(['s', 'x', 0, 3, ['lost'], [9]]);
    fold.apply(['o', 'next-owner']);
    fold.apply(['s', 'x', 1, 3, ['lost2'], [9]]);
    fold.apply(['b', ['after'], [2]]);
    expect([...fold.records]).toEqual([
      ['kept', 1],
      ['after', 2],
    ]);
  });

  it('refuses an entry of unknown type, naming it', () => {
    expect(() => new JournalFold().apply(['z'] as never)).toThrow(/unknown type z/);
  });
});
