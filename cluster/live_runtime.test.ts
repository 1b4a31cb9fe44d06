// The live runtime's timers: a month away (P4's 1st of the month, F5's day 20) is past what
// setTimeout honours (2^31 − 1 ms), which it would fire at once; the runtime waits it out in steps.
import { afterEach, describe, expect, it, vi } from 'vitest';

import type { ActorHost } from '../host/actor_host.ts';
import { LiveEnvironment } from './live_runtime.ts';

const DAY = 86_400_000;

afterEach(() => {
  vi.useRealTimers();
});

describe('LiveEnvironment timers', () => {
  it('fires a timer 30 days ahead after 30 days, not at once and not at 24.8 days', () => {
    vi.useFakeTimers();
    const start = Date.now();
    const env = new LiveEnvironment(
      () => Date.now() - start,
      new Map(),
      () => {},
    );
    const fired: Array<[string, number]> = [];
    const host = {
      fire: (key: string, arg: number) => fired.push([key, arg]),
    } as unknown as ActorHost;
    env.timer(host, 30 * DAY, 'month', 202510, 0);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(25 * DAY);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(5 * DAY);
    expect(fired).toEqual([['month', 202510]]);
  });

  it('fires a short timer when due', () => {
    vi.useFakeTimers();
    const start = Date.now();
    const env = new LiveEnvironment(
      () => Date.now() - start,
      new Map(),
      () => {},
    );
    const fired: string[] = [];
    const host = { fire: (key: string) => fired.push(key) } as unknown as ActorHost;
    env.timer(host, 1_000, 'saga:t1', 1, 0);
    vi.advanceTimersByTime(999);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual(['saga:t1']);
  });
});
