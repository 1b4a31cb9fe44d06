// Drives an XState machine as pure snapshots through one reusable actor scope: the fast path
// measured in TECH.md §1.2 (`machine.transition(snapshot, event, scope)`, 125–175 k/s) instead
// of a live actor per entity (3.85 KB each) or `transition()` (an inert actor built per call).
// Named actions are collected by the scope and run right after the transition, in order, with
// the event that caused them: that is where actors write records and emit effects. An action the
// chart names but no implementation provides throws (XState would skip it without a word).
import {
  type AnyStateMachine,
  assign,
  createActor,
  type EventFromLogic,
  type EventObject,
  type MachineContext,
  type SnapshotFrom,
} from 'xstate';

/**
 * `assign` for one machine's context and events, for actions written outside its `setup` (where
 * TypeScript cannot infer them): `const change = assignerOf<Context, Event>()`, then
 * `change(({ context, event }, params) => ({ ...the fields that change }))`.
 */
export function assignerOf<C extends MachineContext, E extends EventObject>() {
  return <P = undefined>(update: (args: { context: C; event: E }, params: P) => Partial<C>) =>
    assign<C, E, P, E, never>(update as never);
}

interface Executable {
  readonly type: string;
  readonly info: unknown;
  readonly params: unknown;
  readonly exec: ((info: unknown, params: unknown) => void) | undefined;
}

export class MachineDriver<M extends AnyStateMachine> {
  /** Transitions taken: the bench compares simulated throughput against this count. */
  transitions = 0;
  private readonly pending: Executable[] = [];
  private readonly scope: Parameters<M['transition']>[2];

  constructor(readonly machine: M) {
    const host = createActor(machine);
    const pending = this.pending;
    this.scope = {
      self: host,
      defer: () => {},
      id: '',
      logger: () => {},
      sessionId: '',
      stopChild: () => {},
      system: host.system,
      emit: () => {},
      actionExecutor: (action: Executable) => {
        pending.push(action);
      },
    } as unknown as Parameters<M['transition']>[2];
  }

  initial(input: unknown): SnapshotFrom<M> {
    this.pending.length = 0;
    const snapshot = this.machine.getInitialSnapshot(this.scope, input) as SnapshotFrom<M>;
    this.flush();
    return snapshot;
  }

  step(snapshot: SnapshotFrom<M>, event: EventFromLogic<M>): SnapshotFrom<M> {
    this.pending.length = 0;
    const next = this.machine.transition(snapshot, event, this.scope) as SnapshotFrom<M>;
    this.transitions++;
    this.flush();
    return next;
  }

  /** Rebuild a snapshot from its persisted parts (value + context), e.g. read from a store. */
  restore(persisted: { value: unknown; context: unknown }): SnapshotFrom<M> {
    return this.machine.resolveState(persisted as never) as SnapshotFrom<M>;
  }

  /** A record as the store gave it back: a live snapshot as is, a persisted one rebuilt. */
  revive(record: unknown): SnapshotFrom<M> {
    if (record !== null && typeof record === 'object' && 'machine' in record)
      return record as SnapshotFrom<M>;
    return this.restore(record as { value: unknown; context: unknown });
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    // Copy first: an action may step another driver, and must not see this list change.
    const actions = this.pending.slice();
    this.pending.length = 0;
    for (const action of actions) {
      if (action.exec === undefined)
        throw new Error(`MachineDriver: action '${action.type}' has no implementation`);
      action.exec(action.info, action.params);
    }
  }
}
