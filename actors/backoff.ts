// Retry delays on the virtual clock. Jitter comes from a hash of (business id, attempt), not a
// random source, so actors stay deterministic and two sagas retrying together still spread out.
import { hashId } from './addresses.ts';
import type { ProtocolConfig } from './config.ts';

export function retryDelayMs(config: ProtocolConfig, corr: string, attempt: number): number {
  const exponent = Math.min(attempt, 20);
  const base = Math.min(config.retryDelayMsMax, config.retryDelayMsMin * 2 ** exponent);
  // Up to +25 % jitter, never past the cap.
  const jitter = Math.floor((base * (hashId(`${corr}#${attempt}`) % 1000)) / 4000);
  return Math.min(config.retryDelayMsMax, base + jitter);
}
