// The saga table on a toy chart: a step that moves a saga writes its record (short when it rests
// or is done), a finished saga forgets its timer and ignores what comes later, a follow-up event
// is taken in the same step, and after a restart only live sagas re-send their step.
import { describe, expect, it } from 'vitest';
import { type AnyStateMachine, setup } from 'xstate';

import { RecordingEffects } from '../testing/fakes.ts';
import { MachineDriver } from './machine_driver.ts';
import { RECORDS } from './records.ts';
import { type SagaKind, SagaTable } from './saga_table.ts';
import { TIMERS } from './timers.ts';

type Event = { type: 'go' } | { type: 'park' } | { type: 'finish' } | { type: 'noop' };

function toyTable() {
  const moves: string[] = [];
  const done: string[] = [];
  let table: SagaTable<AnyStateMachine>;
  const machine = setup({
    types: { context: {} as { sent: number }, events: {} as Event },
    actions: {
      send: () => moves.push('send'),
      // The saga's own effects answer it in the same step.
      answer: () => table.followUp({ type: 'finish' }),
    },
  }).createMachine({
    initial: 'waiting',
    context: { sent: 0 },
    states: {
      waiting: { on: { go: 'working', park: 'resting' } },
      working: {
        entry: 'send',
        on: { finish: 'done', park: { target: 'resting', actions: 'answer' } },
      },
      resting: { on: { go: 'working', finish: { target: 'done', actions: 'answer' } } },
      done: { type: 'final' },
    },
  });
  const kind: SagaKind<AnyStateMachine> = {
    driver: new MachineDriver(machine),
    record: RECORDS.transferSaga as never,
    timer: TIMERS.transferSaga,
    moved: (before, after) => moves.push(`${String(before.value)}→${String(after.value)}`),
    done: (saga) => done.push(String(saga.value)),
    resting: new Set(['resting']),
  };
  table = new SagaTable(kind);
  return { table, moves, done };
}

const isLive = (snapshot: unknown) => typeof snapshot === 'object' && 'machine' in snapshot!;

describe('SagaTable', () => {
  it('writes a moved saga live; a step that moves nothing writes nothing and reports nothing', () => {
    const { table, moves } = toyTable();
    const fx = new RecordingEffects();
    table.start('T-1', undefined, { type: 'go' }, fx);
    expect(moves).toEqual(['send', 'waiting→working']);
    expect(fx.writes.map((w) => w.key)).toEqual([RECORDS.transferSaga.key('T-1')]);
    expect(isLive(table.get('T-1'))).toBe(true);
    expect(table.live('T-1')).toBe(true);
    table.step('T-1', { type: 'noop' }, fx);
    expect(moves).toEqual(['send', 'waiting→working']);
    expect(fx.writes).toHaveLength(1);
  });

  it('keeps a resting saga short, and a finished one short, its timer forgotten, later events ignored', () => {
    const { table, moves, done } = toyTable();
    const fx = new RecordingEffects();
    table.start('T-1', undefined, { type: 'park' }, fx);
    expect(isLive(table.get('T-1'))).toBe(false);
    expect(fx.writes.at(-1)?.value).toEqual({
      status: 'active',
      value: 'resting',
      context: { sent: 0 },
    });
    expect(table.live('T-1')).toBe(true);
    // Finishing from rest asks for a follow-up that the finished saga no longer takes.
    table.step('T-1', { type: 'finish' }, fx);
    expect(done).toEqual(['done']);
    expect(fx.cancelled).toEqual([TIMERS.transferSaga.key('T-1')]);
    expect(fx.writes.at(-1)?.value).toEqual({
      status: 'done',
      value: 'done',
      context: { sent: 0 },
    });
    expect(table.live('T-1')).toBe(false);
    const writes = fx.writes.length;
    table.step('T-1', { type: 'go' }, fx);
    expect(fx.writes).toHaveLength(writes);
    expect(moves).toEqual(['waiting→resting', 'resting→done']);
  });

  it('takes a follow-up event in the same step, and tells live sagas from the rest', () => {
    const { table, moves, done } = toyTable();
    const fx = new RecordingEffects();
    table.start('T-2', undefined, { type: 'go' }, fx);
    // Parking answers with a follow-up 'finish', taken before the step ends.
    table.step('T-2', { type: 'park' }, fx);
    expect(moves).toEqual(['send', 'waiting→working', 'working→resting', 'resting→done']);
    expect(done).toEqual(['done']);
    expect(fx.writes).toHaveLength(2);
    expect(table.live('T-2')).toBe(false);
    expect(table.live('T-unknown')).toBe(false);
  });

  it('after a restart, resumes the working sagas only: resting and finished ones wait', () => {
    const before = toyTable();
    const fx = new RecordingEffects();
    before.table.start('work', undefined, { type: 'go' }, fx);
    before.table.start('rest', undefined, { type: 'park' }, fx);
    before.table.start('end', undefined, { type: 'park' }, fx);
    before.table.step('end', { type: 'finish' }, fx);
    const stored = new Map(fx.writes.map((w) => [w.key, JSON.parse(JSON.stringify(w.value))]));

    const after = toyTable();
    for (const id of ['work', 'rest', 'end'])
      after.table.restore(id, stored.get(RECORDS.transferSaga.key(id)));
    expect(['work', 'rest', 'end'].map((id) => isLive(after.table.get(id)))).toEqual([
      true,
      false,
      false,
    ]);
    const resumed = new RecordingEffects();
    after.table.resume(() => ({ type: 'finish' }), resumed);
    expect(after.moves).toEqual(['working→done']);
    expect(after.done).toEqual(['done']);
    expect(resumed.writes.map((w) => w.key)).toEqual([RECORDS.transferSaga.key('work')]);
  });
});
