// The simulated network's settings, as a scenario gives them: latency, background loss and
// duplication, per-link overrides, and which actors share a site. sim/sim_network.ts runs them.
interface LinkOverride {
  readonly from: string;
  readonly to: string;
  readonly latencyMsMedian?: number;
  readonly lossRate?: number;
  readonly duplicateRate?: number;
}

export interface NetworkConfig {
  /** Median one-way latency between different sites (a province and the national platform). */
  readonly latencyMsMedian: number;
  /** Log-normal shape: 0.5 gives a p99 of about 3.2× the median. */
  readonly latencySigma: number;
  /** One-way latency between two nodes of the same site. */
  readonly localLatencyMs: number;
  readonly lossRate: number;
  readonly duplicateRate: number;
  readonly links: readonly LinkOverride[];
}

export const NETWORK_DEFAULTS: NetworkConfig = {
  latencyMsMedian: 12,
  latencySigma: 0.5,
  localLatencyMs: 1,
  lossRate: 0,
  duplicateRate: 0,
  links: [],
};

/**
 * Provinces are their own sites;
 * wallet shards, settlement and the app sit at the national platform.
 */
export function siteOf(address: string): string {
  return address.startsWith('province.') ? address : 'national';
}

/** Does a link selector (`*`, an address, or a role wildcard `wallet.*`) name `address`? */
export function linkMatches(selector: string, address: string): boolean {
  return (
    selector === '*' ||
    selector === address ||
    (selector.endsWith('.*') && address.startsWith(selector.slice(0, -1)))
  );
}
