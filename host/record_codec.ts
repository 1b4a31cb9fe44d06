// How actor records travel to and from JetStream: msgpack with bigint kept exact (int64) and
// XState snapshots reduced to their persisted parts ({ value, context }), which actors revive
// with `MachineDriver.revive`. Records are otherwise plain data (the actors promise that).
import { Packr } from 'msgpackr';

const packr = new Packr({ useRecords: false, int64AsType: 'bigint', mapsAsObjects: true });

/** A live XState snapshot carries its machine; its persisted form is value + context. */
function persistable(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && 'machine' in value && 'context' in value) {
    const snapshot = value as unknown as { value: unknown; context: unknown };
    return { value: snapshot.value, context: snapshot.context };
  }
  return value;
}

export function encodeRecordValues(values: readonly unknown[]): unknown[] {
  return values.map(persistable);
}

export function pack(value: unknown): Uint8Array {
  return packr.pack(value);
}

export function unpack(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}
