// A shard's table of wallets, live and packed (actors/wallet_table.ts): looking up a wallet the
// table does not hold must leave the table as it was, its live wallets live.
import { describe, expect, it } from 'vitest';

import { PROTOCOL_DEFAULTS } from './config.ts';
import { WalletMachines } from './wallet_shard.actor.ts';
import { WalletTable } from './wallet_table.ts';

describe('WalletTable', () => {
  it('a wallet it does not hold is not found, and its live wallets stay live', () => {
    const machines = new WalletMachines(PROTOCOL_DEFAULTS);
    const table = new WalletTable(machines.wallets, 1);
    const input = {
      walletId: 'w1',
      region: '510100',
      status: 'active' as const,
      ebmi: false,
      relations: {},
      donors: {},
    };
    table.put('w1', machines.openingSnapshot(input));
    expect(table.get('nobody')).toBeUndefined();
    expect(table.status('nobody')).toBeUndefined();
    expect(table.has('nobody')).toBe(false);
    expect(table.size).toBe(1);
    expect(table.get('w1')?.context.walletId).toBe('w1');
    expect(table.activations).toBe(0);
    expect(table.hotCount).toBe(1);
  });
});
