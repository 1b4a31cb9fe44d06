// The simulator's only source of randomness: fast-check's pure-rand (xoroshiro128+), used in
// place. Every draw that shapes a run (topology, workload, latency, loss, duplicates) comes
// from a Prng derived from the run's seed, so the same seed replays the same run.
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';

export class Prng {
  private readonly rng: JumpableRandomGenerator;

  constructor(seed: number | JumpableRandomGenerator) {
    if (typeof seed === 'number') {
      if (!Number.isSafeInteger(seed))
        throw new RangeError(`Prng: seed must be a safe integer, got ${seed}`);
      this.rng = xoroshiro128plus((seed | 0) ^ (Math.floor(seed / 2 ** 32) | 0));
    } else {
      this.rng = seed;
    }
  }

  /** An independent stream: a clone jumped 2^64 steps ahead, then this stream jumps too. */
  fork(): Prng {
    const child = this.rng.clone();
    child.jump();
    this.rng.jump();
    this.rng.jump();
    return new Prng(child);
  }

  /** Integer in [min, max], both included. */
  int(min: number, max: number): number {
    if (max < min) throw new RangeError(`Prng.int: max ${max} < min ${min}`);
    return uniformInt(this.rng, min, max);
  }

  /** Float in [0, 1) with 53 bits of randomness. */
  float(): number {
    return uniformFloat64(this.rng);
  }

  chance(p: number): boolean {
    return p > 0 && this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('Prng.pick: empty list');
    return items[this.int(0, items.length - 1)] as T;
  }

  /** Index drawn with probability proportional to weights[i]; cumulative must be ascending. */
  pickCumulative(cumulative: readonly number[]): number {
    const total = cumulative[cumulative.length - 1] ?? 0;
    if (!(total > 0)) throw new RangeError('Prng.pickCumulative: weights sum to zero');
    const x = this.float() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] as number) > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Standard normal by Box–Muller (one value per call; simplicity over speed). */
  normal(): number {
    const u = 1 - this.float();
    const v = this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Log-normal with the given median and shape sigma. */
  lognormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /** Exponential with the given mean. */
  exp(mean: number): number {
    return -mean * Math.log(1 - this.float());
  }
}
