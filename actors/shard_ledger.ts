// A wallet shard's ledger (K9): its wallets' money on one side, and per origin region the
// counter it came from and the money spent out of it. Every booking is written (write-ahead)
// and posted (double-entry) through the step's Effects, so the ledger sums to zero at every step:
//   Σ wallets + Σ origin counters + Σ spent = 0.
import type { Fen } from '../protocol/index.ts';
import type { Effects, MoneyClass, PostingOp } from './effects.ts';
import { RECORDS } from './records.ts';
import type { Piece, Tranche } from './wallet.ts';

/** One side of a posting: an account and the money class it counts in. */
interface Leg {
  readonly account: string;
  readonly class: MoneyClass;
}

export class ShardLedger {
  /** Per origin region: minus what its money credited, plus what came back (≤ 0). */
  readonly originCounters = new Map<string, Fen>();
  /** Per origin region: wallet money spent on bills and contributions (F3, F4). */
  readonly spent = new Map<string, Fen>();

  constructor(readonly name: string) {}

  /** A credit (F2): wallet money of `originRegion` arrives in `walletId`. */
  credit(
    walletId: string,
    originRegion: string,
    transferId: string,
    amount: Fen,
    fx: Effects,
  ): void {
    const counter = this.moveCounter(originRegion, -amount, fx);
    const from = { account: `liab:${originRegion}`, class: 'liability' } as const;
    this.post(
      fx,
      'credit',
      transferId,
      from,
      counter,
      { account: `wallet:${walletId}`, class: 'wallet' },
      amount,
    );
  }

  /** W11: an unreceived tranche goes back; its origin's counter is restored. */
  return(walletId: string, tranche: Tranche, balanceAfter: Fen, fx: Effects): void {
    const { originRegion, amount, transferId } = tranche;
    this.moveCounter(originRegion, amount, fx);
    const from = { account: `wallet:${walletId}`, class: 'wallet' } as const;
    this.post(
      fx,
      'return',
      transferId,
      from,
      balanceAfter,
      { account: `liab:${originRegion}`, class: 'liability' },
      amount,
    );
  }

  /** F3/F4: wallet money spent on payment `id`, per piece by origin; or, undone, back again. */
  spend(
    walletId: string,
    id: string,
    pieces: readonly Piece[],
    undo: boolean,
    balanceAfter: Fen,
    fx: Effects,
  ): void {
    const wallet = { account: `wallet:${walletId}`, class: 'wallet' } as const;
    pieces.forEach((p, i) => {
      const spent = (this.spent.get(p.originRegion) ?? 0n) + (undo ? -p.amount : p.amount);
      this.spent.set(p.originRegion, spent);
      fx.write(RECORDS.spent.key(p.originRegion), spent);
      const counter = { account: `spent:${p.originRegion}`, class: 'spent' } as const;
      const corr = `${id}.w${i}`;
      if (undo) this.post(fx, 'unpay', corr, counter, spent, wallet, p.amount);
      else this.post(fx, 'pay', corr, wallet, balanceAfter, counter, p.amount);
    });
  }

  private moveCounter(originRegion: string, delta: Fen, fx: Effects): Fen {
    const counter = (this.originCounters.get(originRegion) ?? 0n) + delta;
    this.originCounters.set(originRegion, counter);
    fx.write(RECORDS.originCounter.key(originRegion), counter);
    return counter;
  }

  private post(
    fx: Effects,
    op: PostingOp,
    corr: string,
    from: Leg,
    debitAfter: Fen,
    to: Leg,
    amount: Fen,
  ): void {
    fx.emit({
      type: 'posting',
      ledger: this.name,
      op,
      corr,
      debit: from.account,
      debitClass: from.class,
      debitAfter,
      credit: to.account,
      creditClass: to.class,
      amount,
    });
  }
}
