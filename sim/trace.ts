// The trace of a run: every delivery (time, destination, frame bytes) folded into a 64-bit
// FNV-1a hash (two 32-bit lanes), plus the most recent deliveries kept for failure reports.
// Same seed, same deliveries, same bytes: same hash. That is the determinism check.
import { decodeEnvelope } from '../protocol/index.ts';
import { fmtTime } from '../world/faults.ts';
import type { SequenceMessage } from '../world/timeline.ts';

export interface TraceLine {
  readonly at: string;
  readonly from: string;
  readonly to: string;
  readonly kind: string;
  readonly corr: string;
}

interface Remembered {
  readonly at: number;
  readonly from: string;
  readonly to: string;
  readonly frame: Uint8Array;
}

export class Trace {
  deliveries = 0;
  private hashA = 0x811c9dc5;
  private hashB = 0x84222325;
  private readonly recent: Remembered[] = [];
  private recentNext = 0;

  /** Keeps the last `recentMax` deliveries: a failure's sequence diagram shows that many. */
  constructor(private readonly recentMax = 2000) {}

  delivery(at: number, from: string, to: string, frame: Uint8Array): void {
    this.deliveries++;
    this.remember({ at, from, to, frame });
    let a = this.mixNumber(this.hashA, at);
    let b = this.mixNumber(this.hashB, at ^ 0x5bd1e995);
    for (let i = 0; i < to.length; i++) {
      a = Math.imul(a ^ to.charCodeAt(i), 0x01000193);
      b = Math.imul(b ^ to.charCodeAt(i), 0x01000193);
    }
    for (let i = 0; i < frame.length; i++) {
      const byte = frame[i] as number;
      a = Math.imul(a ^ byte, 0x01000193);
      b = Math.imul(b ^ (byte + 0x9e), 0x01000193);
    }
    this.hashA = a >>> 0;
    this.hashB = b >>> 0;
  }

  /** Also fold in events that are not deliveries (faults, crashes), so they shape the hash. */
  event(at: number, text: string): void {
    let a = this.mixNumber(this.hashA, at);
    for (let i = 0; i < text.length; i++) a = Math.imul(a ^ text.charCodeAt(i), 0x01000193);
    this.hashA = a >>> 0;
  }

  private remember(line: Remembered): void {
    if (this.recent.length < this.recentMax) this.recent.push(line);
    else this.recent[this.recentNext] = line;
    this.recentNext = (this.recentNext + 1) % this.recentMax;
  }

  private ordered(): Remembered[] {
    return [...this.recent.slice(this.recentNext), ...this.recent.slice(0, this.recentNext)];
  }

  /** The last `n` deliveries, oldest first, decoded only now (failures are rare). */
  tail(n = 64): TraceLine[] {
    return this.ordered()
      .slice(-n)
      .map(({ at, from, to, frame }) => {
        try {
          const env = decodeEnvelope(frame);
          return { at: fmtTime(at), from, to, kind: env.kind, corr: env.corr };
        } catch (error) {
          return {
            at: fmtTime(at),
            from,
            to,
            kind: '<invalid frame>',
            corr: (error as Error).message,
          };
        }
      });
  }

  /** Every remembered delivery, oldest first, as a sequence diagram draws it. */
  messages(): SequenceMessage[] {
    return this.ordered().map(({ at, from, to, frame }) => {
      try {
        const env = decodeEnvelope(frame);
        return { at, sentAt: env.sentAt, from, to, kind: env.kind, corr: env.corr };
      } catch {
        return { at, sentAt: at, from, to, kind: '<invalid frame>', corr: '' };
      }
    });
  }

  get hash(): string {
    return this.hashA.toString(16).padStart(8, '0') + this.hashB.toString(16).padStart(8, '0');
  }

  private mixNumber(hash: number, value: number): number {
    let h = hash;
    let v = Math.floor(value);
    for (let i = 0; i < 6; i++) {
      h = Math.imul(h ^ (v & 0xff), 0x01000193);
      v = Math.floor(v / 256);
    }
    return h;
  }
}
