// JSON for reports: bigint money as canonical decimal strings, frames never inlined.
import { formatFen } from '../protocol/index.ts';

export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return formatFen(value);
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  return value;
}
