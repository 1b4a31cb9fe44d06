// Actor addresses: `<role>.<shard>`, the same strings as the NATS subjects' tail
// (gj.v1.<role>.<shard>).
export const SETTLEMENT_ADDRESS = 'settlement.0';
export const APP_ADDRESS = 'app.0';

export function provinceAddress(provinceCode: string): string {
  return `province.${provinceCode}`;
}

export function walletShardAddress(shard: number): string {
  return `wallet.${shard.toString().padStart(2, '0')}`;
}

/** The province code of a province's address: `province.51` → `51`. */
export function provinceOfAddress(address: string): string {
  return address.slice('province.'.length);
}

/** FNV-1a over the id: stable across processes and runs, unlike any built-in hash. */
export function hashId(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function walletShardOf(walletId: string, shardCount: number): number {
  return hashId(walletId) % shardCount;
}
