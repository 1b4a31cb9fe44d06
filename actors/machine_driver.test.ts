// The machine driver on a toy chart: named actions run after each transition, in order, with the
// event that caused them; a step that moves nothing returns the same snapshot; a persisted
// snapshot (value and context) revives into the same state; an action named but not implemented
// fails loudly instead of being skipped (TypeScript rejects a misspelt name in a chart written in
// code; an empty or changed name at run time, as a mutant makes it, used to pass silently).
import { describe, expect, it } from 'vitest';
import { setup } from 'xstate';

import { MachineDriver } from './machine_driver.ts';

type Event = { type: 'go'; n: number } | { type: 'noop' };

function toy(log: string[], entry: string[] = ['arrived']) {
  return setup({
    types: { context: {} as { n: number }, events: {} as Event },
    actions: {
      left: ({ event }) => log.push(`left on ${event.type}`),
      arrived: ({ event }) => log.push(`arrived on ${event.type}`),
    },
  }).createMachine({
    initial: 'a',
    context: { n: 0 },
    states: {
      a: { on: { go: { target: 'b', actions: 'left' } } },
      b: { entry: entry as never, on: { go: 'a' } },
    },
  });
}

describe('MachineDriver', () => {
  it('runs the named actions after the transition, in order, with its event, and counts it', () => {
    const log: string[] = [];
    const driver = new MachineDriver(toy(log));
    const a = driver.initial(undefined);
    const b = driver.step(a, { type: 'go', n: 1 });
    expect(b.value).toBe('b');
    expect(log).toEqual(['left on go', 'arrived on go']);
    expect(driver.transitions).toBe(1);
    expect(driver.step(b, { type: 'noop' })).toBe(b);
    expect(driver.transitions).toBe(2);
  });

  it('revives a persisted snapshot into the same state, and keeps a live one as it is', () => {
    const driver = new MachineDriver(toy([]));
    const b = driver.step(driver.initial(undefined), { type: 'go', n: 1 });
    expect(driver.revive(b)).toBe(b);
    const revived = driver.revive(
      JSON.parse(JSON.stringify({ value: b.value, context: b.context })),
    );
    expect(revived).not.toBe(b);
    expect(revived.value).toBe('b');
    // A live snapshot again, with its machine: the saga table tells live ones by that.
    expect('machine' in revived).toBe(true);
    expect(driver.step(revived, { type: 'go', n: 2 }).value).toBe('a');
  });

  it('fails on an action the chart names but nobody implemented', () => {
    const driver = new MachineDriver(toy([], ['arrived', 'misspelt']));
    const a = driver.initial(undefined);
    expect(() => driver.step(a, { type: 'go', n: 1 })).toThrow(
      "MachineDriver: action 'misspelt' has no implementation",
    );
  });
});
