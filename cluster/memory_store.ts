// The durable part of an actor's state, in memory. What the host has staged but not synced is
// not here, which is exactly what a crash loses (DESIGN §6). The JetStream store replaces this.
export interface DurableStore {
  readonly durable: ReadonlyMap<string, unknown>;
  apply(writes: ReadonlyArray<readonly [string, unknown]>): void;
}

export class MemoryStore implements DurableStore {
  readonly durable: Map<string, unknown>;
  /** Records made durable since the start: a cost measure for reports. */
  writesApplied = 0;

  constructor(initial?: ReadonlyMap<string, unknown>) {
    this.durable = new Map(initial);
  }

  apply(writes: ReadonlyArray<readonly [string, unknown]>): void {
    for (const [key, value] of writes) this.durable.set(key, value);
    this.writesApplied += writes.length;
  }
}
