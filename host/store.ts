// The durable part of an actor's state, in memory. What the host has staged but not synced is
// not here, which is exactly what a crash loses (DESIGN §6). The JetStream store replaces this.
export interface DurableStore {
  readonly durable: ReadonlyMap<string, unknown>;
  /** Make a batch durable: keys[i] gets values[i], in order (a later write of a key wins). */
  apply(keys: readonly string[], values: readonly unknown[]): void;
}

export class MemoryStore implements DurableStore {
  readonly durable: Map<string, unknown>;
  /** Records made durable since the start: a cost measure for reports. */
  writesApplied = 0;

  constructor(initial?: ReadonlyMap<string, unknown>) {
    this.durable = new Map(initial);
  }

  /**
   * A store that takes `records` over as its durable map instead of copying it: at millions of
   * records, one map instead of two. The caller gives the map up (the simulator, with the
   * opening records of a world it built for itself).
   */
  static adopting(records: Map<string, unknown>): MemoryStore {
    const store = new MemoryStore();
    (store as { durable: Map<string, unknown> }).durable = records;
    return store;
  }

  apply(keys: readonly string[], values: readonly unknown[]): void {
    for (let i = 0; i < keys.length; i++) this.durable.set(keys[i] as string, values[i]);
    this.writesApplied += keys.length;
  }
}
