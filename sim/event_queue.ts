// The one virtual clock of a simulation: a binary heap of timed events, ordered by time and then
// by insertion, so equal times replay in the same order every run. Linear in events, unlike
// XState's SimulatedClock, which re-sorts every timer on every change (TECH.md §1.3).
export class EventQueue<T> {
  private readonly at: number[] = [];
  private readonly seq: number[] = [];
  private readonly items: T[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.items.length;
  }

  /** Time of the earliest event; Infinity when empty. */
  peekAt(): number {
    return this.items.length === 0 ? Infinity : (this.at[0] as number);
  }

  push(at: number, item: T): void {
    if (!Number.isFinite(at)) throw new RangeError(`EventQueue.push: time ${at} is not finite`);
    let i = this.items.length;
    const seq = this.nextSeq++;
    this.at.push(at);
    this.seq.push(seq);
    this.items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(at, seq, parent)) break;
      this.move(parent, i);
      i = parent;
    }
    this.set(i, at, seq, item);
  }

  /** Remove and return the earliest event; its time is left in `lastAt`. */
  pop(): T | undefined {
    const n = this.items.length;
    if (n === 0) return undefined;
    const top = this.items[0] as T;
    this.lastAt = this.at[0] as number;
    const at = this.at.pop() as number;
    const seq = this.seq.pop() as number;
    const item = this.items.pop() as T;
    if (n > 1) this.siftDown(at, seq, item);
    return top;
  }

  lastAt = 0;

  private siftDown(at: number, seq: number, item: T): void {
    const n = this.items.length;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && this.lessIdx(right, left) ? right : left;
      if (!this.less(this.at[child] as number, this.seq[child] as number, i, at, seq)) break;
      this.move(child, i);
      i = child;
    }
    this.set(i, at, seq, item);
  }

  /** Is (at, seq) earlier than the entry at index j (or than (atJ, seqJ) if given)? */
  private less(
    at: number,
    seq: number,
    j: number,
    atJ = this.at[j] as number,
    seqJ = this.seq[j] as number,
  ): boolean {
    return at < atJ || (at === atJ && seq < seqJ);
  }

  private lessIdx(a: number, b: number): boolean {
    return this.less(this.at[a] as number, this.seq[a] as number, b);
  }

  private move(from: number, to: number): void {
    this.at[to] = this.at[from] as number;
    this.seq[to] = this.seq[from] as number;
    this.items[to] = this.items[from] as T;
  }

  private set(i: number, at: number, seq: number, item: T): void {
    this.at[i] = at;
    this.seq[i] = seq;
    this.items[i] = item;
  }
}
