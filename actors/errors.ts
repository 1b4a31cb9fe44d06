// Errors an actor raises to its host. An assertion failure inside an actor is a bug and is never
// caught; these are the operating errors the host counts and survives.

/** A message kind this actor does not accept: the host counts it and drops it. */
export class UnroutableError extends Error {
  override readonly name = 'UnroutableError';
  constructor(
    readonly address: string,
    readonly kind: string,
  ) {
    super(`${address} does not accept ${kind}`);
  }
}
