// Timer keys read back: a fired key names its kind and its id, an actor's only timer of a kind
// has no id, and a key of no kind is nobody's.
import { describe, expect, it } from 'vitest';

import { timerOf, TIMERS } from './timers.ts';

describe('timers', () => {
  it('a key with an id reads back as its kind and id, the id whole', () => {
    expect(timerOf(TIMERS.transferSaga.key('T-1'))).toEqual({ name: 'transferSaga', id: 'T-1' });
    expect(timerOf('batch:202509:x')).toEqual({ name: 'clearingBatch', id: '202509:x' });
  });

  it("an actor's only timer of a kind is its prefix alone, with the empty id", () => {
    expect(TIMERS.month.key()).toBe('month');
    expect(timerOf('month')).toEqual({ name: 'month', id: '' });
    expect(timerOf('holds')).toEqual({ name: 'holds', id: '' });
  });

  it('a key of no kind is nobody’s, with or without an id', () => {
    expect(timerOf('months')).toBeUndefined();
    expect(timerOf('mont:h')).toBeUndefined();
    expect(timerOf(':month')).toBeUndefined();
  });

  it('prefixes are unique, so a key names one kind', () => {
    const prefixes = Object.values(TIMERS).map((t) => t.prefix);
    expect(new Set(prefixes).size).toBe(prefixes.length);
  });
});
