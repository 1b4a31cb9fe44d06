// A shard's wallets: the few it is working on as live XState snapshots, every other one packed
// (actors/wallet_codec.ts, the same bytes the store holds). A wallet is activated when a message
// needs its machine (unpacked, then `MachineDriver.restore`) and passivated again when it is the
// least recently used of more than `hotCapacity` live ones. Which wallets are live changes
// nothing a wallet decides: a step sees the same state and context either way (a test runs the
// same world with one live wallet per shard and with thousands and compares the traces).
import type { MachineDriver } from './machine_driver.ts';
import type { WalletMachine } from './wallet.machine.ts';
import type { WalletStatus } from './wallet.ts';
import { packedStatus, type PackedWallet, packWallet, unpackWallet } from './wallet_codec.ts';
import type { WalletSnapshot } from './wallet_shard.actor.ts';

/** Live wallets per shard by default: enough for a day's working set, small beside millions. */
export const HOT_WALLETS = 4_096;

export class WalletTable {
  /** Every wallet: packed, or its live snapshot while it is hot. */
  private readonly entries = new Map<string, PackedWallet | WalletSnapshot>();
  /** The hot wallets' latest packed form, least recently used first. */
  private readonly hot = new Map<string, PackedWallet>();
  /** Wallets activated from packed bytes: a cost measure for reports and the bench. */
  activations = 0;

  constructor(
    private readonly driver: MachineDriver<WalletMachine>,
    readonly hotCapacity: number = HOT_WALLETS,
  ) {
    if (!Number.isInteger(hotCapacity) || hotCapacity < 1)
      throw new RangeError(`WalletTable: hotCapacity must be an integer ≥ 1, got ${hotCapacity}`);
  }

  get size(): number {
    return this.entries.size;
  }

  /** How many wallets are live snapshots now. */
  get hotCount(): number {
    return this.hot.size;
  }

  has(walletId: string): boolean {
    return this.entries.has(walletId);
  }

  /** A wallet's state, read without activating it. */
  status(walletId: string): WalletStatus | undefined {
    const entry = this.entries.get(walletId);
    if (entry === undefined) return undefined;
    return typeof entry === 'string' ? packedStatus(entry) : (entry.value as WalletStatus);
  }

  /** A wallet's live snapshot, activated if it was packed. */
  get(walletId: string): WalletSnapshot | undefined {
    const entry = this.entries.get(walletId);
    if (entry === undefined) return undefined;
    if (typeof entry !== 'string') {
      this.touch(walletId, this.hot.get(walletId) as PackedWallet);
      return entry;
    }
    const snapshot = this.driver.restore(unpackWallet(walletId, entry));
    this.activations++;
    this.entries.set(walletId, snapshot);
    this.touch(walletId, entry);
    return snapshot;
  }

  /** A wallet's new snapshot: kept live, and packed for the store (what the caller writes). */
  put(walletId: string, snapshot: WalletSnapshot): PackedWallet {
    const packed = packWallet(snapshot.value, snapshot.context);
    this.entries.set(walletId, snapshot);
    this.touch(walletId, packed);
    return packed;
  }

  /** A wallet read from the store: packed as it was written, or a persisted state to pack. */
  restore(walletId: string, stored: PackedWallet | { value: unknown; context: unknown }): void {
    const packed =
      typeof stored === 'string'
        ? stored
        : packWallet(
            (stored as WalletSnapshot).value,
            (stored as WalletSnapshot).context as WalletSnapshot['context'],
          );
    this.hot.delete(walletId);
    this.entries.set(walletId, packed);
  }

  /** Pack every live wallet (their latest bytes): the whole table at rest. */
  passivateAll(): void {
    for (const [walletId, bytes] of this.hot) this.entries.set(walletId, bytes);
    this.hot.clear();
  }

  /** Forget every wallet (a bench measures what they held this way). */
  clear(): void {
    this.entries.clear();
    this.hot.clear();
  }

  private touch(walletId: string, packed: PackedWallet): void {
    this.hot.delete(walletId);
    this.hot.set(walletId, packed);
    if (this.hot.size <= this.hotCapacity) return;
    for (const [oldest, bytes] of this.hot) {
      this.hot.delete(oldest);
      this.entries.set(oldest, bytes);
      return;
    }
  }
}
