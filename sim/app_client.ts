// The citizens' app: it turns workload intents into transfer requests and retries each until
// the donor's wallet answers accepted or refused, so a request is never silently lost.
// Refusals are reported as outcomes here (the wallet refuses before any saga exists).
import type { AnyEnvelope } from '../protocol/index.ts';
import type { Actor, Effects } from '../actors/effects.ts';
import type { ProtocolConfig } from '../actors/config.ts';
import { retryDelayMs } from '../actors/backoff.ts';
import { walletShardAddress, walletShardOf } from '../actors/addresses.ts';
import { UnroutableError } from '../actors/errors.ts';
import type { TransferIntent } from './workload.ts';

interface Pending {
  readonly intent: TransferIntent;
  attempt: number;
}

export class AppClient implements Actor {
  readonly pending = new Map<string, Pending>();
  submitted = 0;
  accepted = 0;
  refused = 0;

  constructor(
    readonly address: string,
    private readonly config: ProtocolConfig,
    /** Told of each first answer (a load generator times requests with it); no effect on the actor. */
    private readonly onAnswer?: (transferId: string, kind: 'transfer.accepted' | 'transfer.refused') => void,
  ) {}

  submit(intent: TransferIntent, now: number, fx: Effects): void {
    this.submitted++;
    const pending = { intent, attempt: 0 };
    this.pending.set(intent.transferId, pending);
    this.request(pending, now, fx);
  }

  handle(env: AnyEnvelope, _now: number, fx: Effects): void {
    if (env.kind !== 'transfer.accepted' && env.kind !== 'transfer.refused') {
      throw new UnroutableError(this.address, env.kind);
    }
    const pending = this.pending.get(env.corr);
    if (pending === undefined) return; // a duplicate answer
    this.pending.delete(env.corr);
    fx.cancelTimer(env.corr);
    this.onAnswer?.(env.corr, env.kind);
    if (env.kind === 'transfer.accepted') {
      this.accepted++;
      return;
    }
    this.refused++;
    const { scope } = pending.intent;
    fx.emit({ type: 'transfer.outcome', corr: env.corr, scope, outcome: 'refused', reason: env.body.reason });
  }

  timer(key: string, arg: number, now: number, fx: Effects): void {
    const pending = this.pending.get(key);
    if (pending === undefined || pending.attempt !== arg) return;
    pending.attempt++;
    this.request(pending, now, fx);
  }

  recover(): void {}

  private request(pending: Pending, now: number, fx: Effects): void {
    const { transferId, donorId, recipientId, amount } = pending.intent;
    const shard = walletShardAddress(walletShardOf(donorId, this.config.walletShardCount));
    fx.send(shard, 'transfer.request', transferId, { transferId, donorId, recipientId, amount });
    fx.timer(transferId, now + retryDelayMs(this.config, transferId, pending.attempt), pending.attempt);
  }
}
