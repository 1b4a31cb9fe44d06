// The NATS subject scheme (DESIGN §4, extended; docs/ARCHITECTURE.md, "Subjects carry the sender").
//
//   gj.v1.<to-role>.<to-shard>.<from-role>.<from-shard>   a protocol frame, msgpack
//   gj.admin.<role>.<shard>                                a reconciliation query (request/reply)
//   gj.state.<role>.<shard>                                an actor's journal, in stream
//                                                          GJ_<role>_<shard>
//
// An actor address is `<role>.<shard>`, two subject tokens. The sender's address rides in the
// subject, where the broker's per-user publish permissions make it unforgeable: a province host's
// user may publish only subjects ending in its own address, and the receiving host compares the
// envelope's `from` with the subject's tail.
const ADDRESS = /^(province|wallet|settlement|app)\.[A-Za-z0-9_-]{1,32}$/;

function isAddress(address: string): boolean {
  return ADDRESS.test(address);
}

export function assertAddress(address: string): string {
  if (!isAddress(address)) {
    throw new Error(
      `'${address}' is not an actor address (<province|wallet|settlement|app>.<shard>)`,
    );
  }
  return address;
}

export function frameSubject(to: string, from: string): string {
  return `gj.v1.${to}.${from}`;
}

/** What a host subscribes to for one of its actors: frames to it from anyone. */
export function inboxSubject(address: string): string {
  return `gj.v1.${address}.>`;
}

/** The sender's address from a frame subject, or undefined if the subject is not one. */
export function senderOf(subject: string): string | undefined {
  // Per message on the hot path: find the dot after the fourth token rather than split in six.
  if (!subject.startsWith('gj.v1.')) return undefined;
  let dot = 5;
  for (let i = 0; i < 2; i++) {
    dot = subject.indexOf('.', dot + 1);
    if (dot < 0) return undefined;
  }
  const sender = subject.slice(dot + 1);
  const split = sender.indexOf('.');
  return split > 0 && split === sender.lastIndexOf('.') && split < sender.length - 1
    ? sender
    : undefined;
}

/**
 * Who a frame arriving on `subject` came from, for the host's FORGED_SENDER check: the sender's
 * address, or, when the subject has no readable sender, the subject itself, which no envelope's
 * `from` can equal, so such a frame is refused as forged rather than let through unchecked.
 */
export function frameSender(subject: string): string {
  return senderOf(subject) ?? `<no sender in subject ${subject.slice(0, 80)}>`;
}

/** Subjects a sender may publish frames on: to anyone, as itself. */
export function sendAsSubject(address: string): string {
  return `gj.v1.*.*.${address}`;
}

export function adminSubject(address: string): string {
  return `gj.admin.${address}`;
}

export function stateSubject(address: string): string {
  return `gj.state.${address}`;
}

export function stateStream(address: string): string {
  return `GJ_${address.replace('.', '_')}`;
}
