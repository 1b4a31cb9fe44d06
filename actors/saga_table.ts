// The sagas of one kind that an actor keeps: XState snapshots in a plain map, advanced through
// one shared driver (TECH.md §1.2: never thousands of children under one parent), each written
// under its record key after every step that moved it, its timer forgotten once it is done. A
// wallet shard's transfer, binding, bill and contribution sagas are each one table of this
// class, and so are the settlement's monthly clearing batches; what differs between them (the
// facts a move reports, what a finished saga tells its wallet) are the kind's hooks.
import type { AnyStateMachine, EventFromLogic, SnapshotFrom } from 'xstate';

import type { Effects } from './effects.ts';
import type { MachineDriver } from './machine_driver.ts';
import type { RecordKind, Stored } from './records.ts';
import type { TimerKind } from './timers.ts';

export interface SagaKind<M extends AnyStateMachine, Id extends string | number = string> {
  readonly driver: MachineDriver<M>;
  readonly record: RecordKind<Id, Stored<SnapshotFrom<M>>>;
  readonly timer: TimerKind;
  /** A saga moved from one state to another within a step: the facts that move reports. */
  readonly moved?: (before: SnapshotFrom<M>, after: SnapshotFrom<M>, fx: Effects) => void;
  /** A saga reached a final state (after its record is written and its timer forgotten). */
  readonly done?: (saga: SnapshotFrom<M>, fx: Effects) => void;
  /**
   * States a saga rests in, waiting for nothing but a rare event (a settled bill, for a
   * reversal): kept short there like a finished saga, and revived by the event that moves it.
   */
  readonly resting?: ReadonlySet<string>;
}

export class SagaTable<M extends AnyStateMachine, Id extends string | number = string> {
  readonly snapshots = new Map<Id, SnapshotFrom<M>>();
  /** Events a saga's own effects answered it with in this step (a wallet's part, taken locally). */
  private readonly followUps: Array<EventFromLogic<M>> = [];
  /** For a saga's named actions: deliver `event` to the same saga right after this step. */
  readonly followUp = (event: EventFromLogic<M>): void => {
    this.followUps.push(event);
  };

  constructor(readonly kind: SagaKind<M, Id>) {}

  has(id: Id): boolean {
    return this.snapshots.has(id);
  }

  get(id: Id): SnapshotFrom<M> | undefined {
    return this.snapshots.get(id);
  }

  /** A saga as its durable record gave it back (a finished one stays in its short form). */
  restore(id: Id, stored: Stored<SnapshotFrom<M>>): void {
    const revived = this.kind.driver.revive(stored);
    const rests = isDone(revived) || this.rests(revived);
    this.snapshots.set(id, rests ? short(revived) : revived);
  }

  /** A new saga from its input, waiting for its first event. */
  create(id: Id, input: unknown): void {
    this.snapshots.set(id, this.kind.driver.initial(input));
  }

  /** A new saga from its input, stepped at once with `start`. */
  start(id: Id, input: unknown, start: EventFromLogic<M>, fx: Effects): void {
    this.create(id, input);
    this.step(id, start, fx);
  }

  /**
   * Step one saga with an event, and with whatever its effects answer it in the same step.
   * A finished or unknown saga ignores it: a late, duplicate or stale message.
   */
  step(id: Id, event: EventFromLogic<M>, fx: Effects): void {
    const kept = this.snapshots.get(id);
    if (kept === undefined || isDone(kept)) return;
    const before = live(kept) ? kept : this.kind.driver.restore(kept);
    let current = before;
    for (
      let next: EventFromLogic<M> | undefined = event;
      next !== undefined;
      next = this.followUps.shift()
    ) {
      const after = this.kind.driver.step(current, next);
      if (after === current) continue;
      this.snapshots.set(id, after);
      this.kind.moved?.(current, after, fx);
      current = after;
    }
    if (current === before) return;
    if (!isDone(current)) {
      const rests = this.rests(current);
      const record = rests ? short(current) : current;
      this.snapshots.set(id, record);
      fx.write(this.kind.record.key(id), record);
      return;
    }
    // A finished saga only answers late messages from now on: keep (and write) its state and
    // context, not the live snapshot's wrapper. At millions of bills a day the wrappers were
    // most of the heap the day grew by.
    const rest = short(current);
    this.snapshots.set(id, rest);
    fx.write(this.kind.record.key(id), rest);
    fx.cancelTimer(this.kind.timer.key(String(id)));
    this.kind.done?.(current, fx);
  }

  private rests(snapshot: SnapshotFrom<M>): boolean {
    const { value } = snapshot as { value: unknown };
    return typeof value === 'string' && this.kind.resting?.has(value) === true;
  }

  /** The saga exists and has not reached a final state. */
  live(id: Id): boolean {
    const saga = this.snapshots.get(id);
    return saga !== undefined && !isDone(saga);
  }

  /** After a restart: every saga not done re-sends its current step (its timers are gone). */
  resume(event: (id: Id) => EventFromLogic<M>, fx: Effects): void {
    for (const [id, saga] of this.snapshots) {
      if (!isDone(saga) && live(saga)) this.step(id, event(id), fx);
    }
  }
}

/**
 * A finished or resting saga as it is kept: its state, context and status, which is all such a
 * saga is read for (a duplicate's answer, the records' readers) until an event moves it. Without
 * a machine it is stored as is, and `MachineDriver.restore` rebuilds the snapshot from it.
 */
function short<S>(snapshot: S): S {
  const { status, value, context } = snapshot as {
    status: string;
    value: unknown;
    context: unknown;
  };
  return Object.freeze({ status, value, context }) as S;
}

/** A live snapshot (with its machine), not a short one. */
function live(snapshot: unknown): boolean {
  return typeof snapshot === 'object' && snapshot !== null && 'machine' in snapshot;
}

function isDone(snapshot: unknown): boolean {
  return (snapshot as { readonly status: string }).status === 'done';
}
