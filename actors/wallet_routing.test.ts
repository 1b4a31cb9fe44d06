// Which shard holds a wallet: FNV-1a (32-bit) of its id, modulo the shard count. The hash must be
// the published FNV-1a, stable across processes and runs: every actor routes by it, and the
// opening data placed each wallet on its shard with it.
import { describe, expect, it } from 'vitest';

import { hashId, walletShardAddress, walletShardOf } from './addresses.ts';

describe("a wallet's shard", () => {
  it('hashId is FNV-1a: the published 32-bit test vectors', () => {
    expect(hashId('')).toBe(0x811c9dc5);
    expect(hashId('a')).toBe(0xe40c292c);
    expect(hashId('foobar')).toBe(0xbf9cf968);
  });

  it('a wallet lives on the shard its hash names', () => {
    expect(walletShardOf('foobar', 16)).toBe(8); // 0xbf9cf968 % 16
    expect(walletShardAddress(walletShardOf('a', 100))).toBe('wallet.20');
  });
});
