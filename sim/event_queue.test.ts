// The virtual clock: events come out in time order, equal times in insertion order, at any size.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { EventQueue } from './event_queue.ts';

describe('EventQueue', () => {
  it('pops in (time, insertion) order, like a stable sort', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 300 }), (times) => {
        const queue = new EventQueue<number>();
        times.forEach((at, i) => queue.push(at, i));
        const out: Array<[number, number]> = [];
        for (let item = queue.pop(); item !== undefined; item = queue.pop())
          out.push([queue.lastAt, item]);
        const expected = times
          .map((at, i): [number, number] => [at, i])
          .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        expect(out).toEqual(expected);
      }),
    );
  });

  it('interleaved pushes and pops keep the order', () => {
    const queue = new EventQueue<string>();
    queue.push(10, 'a');
    queue.push(5, 'b');
    expect(queue.pop()).toBe('b');
    queue.push(7, 'c');
    queue.push(10, 'd');
    expect([queue.pop(), queue.pop(), queue.pop(), queue.pop()]).toEqual([
      'c',
      'a',
      'd',
      undefined,
    ]);
    expect(queue.size).toBe(0);
    expect(queue.peekAt()).toBe(Infinity);
  });

  it('refuses a time that is not finite', () => {
    expect(() => new EventQueue().push(NaN, 1)).toThrow(/not finite/);
  });
});
