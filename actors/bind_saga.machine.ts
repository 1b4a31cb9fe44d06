// The saga of one binding (DOMAIN F1), kept by the donor's wallet shard: the relative's province
// checks the civil registry (name and ID number, the claimed kinship E2, enrolment E3), and the
// saga checks the wallet rollout between the two regions it then knows (E8); the
// relative confirms by face on their own phone (E5), or the request expires after
// `bindAuthTtlMs`; then the relative's wallet records the relation, which makes it active.
// Steps retry with backoff until answered, as a transfer saga's do; the face challenge is re-sent
// only `challengeResendsMax` times, since it waits for a person, not a machine.
import { setup } from 'xstate';

import type { Flag, Kinship, Reason } from '../protocol/index.ts';
import { retryDelayMs } from './backoff.ts';
import type { ProtocolConfig } from './config.ts';
import { policyFor } from './domain_policy.ts';
import type { Effects } from './effects.ts';
import { assignerOf } from './machine_driver.ts';
import { retrying, stepState } from './saga_steps.ts';
import { TIMERS } from './timers.ts';

export interface BindInput {
  readonly bindId: string;
  readonly donorId: string;
  readonly donorRegion: string;
  readonly relativeId: string;
  readonly name: string;
  readonly idNo: string;
  readonly kinship: Kinship;
  /** The province of the relative's ID number: where the registry holds their record. */
  readonly registry: string;
  /** The relative's wallet shard. */
  readonly relativeShard: string;
  /** The donor's app, which relays the face challenge to the relative's phone. */
  readonly requester: string;
  readonly startedAt: number;
}

interface BindContext extends BindInput {
  readonly attempt: number;
  readonly timerSeq: number;
  /** The relative's insured region, once the registry has answered. */
  readonly relativeRegion: string | undefined;
  /** W10: whether the relative's wallet was open when it recorded the relation. */
  readonly relativeOpen?: Flag | undefined;
  readonly reason: Reason | undefined;
}

interface Carrier {
  readonly now: number;
  readonly fx: Effects;
}

type BindEvent = Carrier &
  (
    | { readonly type: 'start' | 'resume' }
    | { readonly type: 'relation.added'; readonly open: Flag }
    | { readonly type: 'identity.verified'; readonly region: string }
    | { readonly type: 'identity.refused'; readonly reason: Reason }
    | { readonly type: 'bind.confirm'; readonly verdict: 'PASS' | 'FAIL' }
    | { readonly type: 'timeout'; readonly seq: number }
  );

type StepKind = 'identity.verify' | 'bind.challenge' | 'relation.add';

function sendStep(
  context: BindContext,
  event: BindEvent,
  kind: StepKind,
  config: ProtocolConfig,
): void {
  const { fx, now } = event;
  const id = context.bindId;
  const { donorId, relativeId, name, idNo, kinship } = context;
  let at = now + retryDelayMs(config, id, context.attempt);
  switch (kind) {
    case 'identity.verify':
      fx.send(context.registry, kind, id, { bindId: id, donorId, relativeId, name, idNo, kinship });
      break;
    case 'bind.challenge': {
      fx.send(context.requester, kind, id, { bindId: id, donorId, relativeId });
      // After the last re-send, wait for the person until the binding expires.
      const deadline = context.startedAt + config.bindAuthTtlMs;
      at = context.attempt >= config.challengeResendsMax ? deadline : Math.min(at, deadline);
      break;
    }
    case 'relation.add':
      fx.send(context.relativeShard, kind, id, {
        bindId: id,
        donorId,
        recipientId: relativeId,
        kinship,
        donorRegion: context.donorRegion,
      });
      break;
  }
  fx.timer(TIMERS.bindSaga.key(id), at, context.timerSeq);
}

type Args = { readonly context: BindContext; readonly event: BindEvent };
const change = assignerOf<BindContext, BindEvent>();
const RETRY = retrying<BindContext, BindEvent>();

/** What a binding saga does: its steps out, its deadline, and what it keeps of each answer. */
function bindActions(config: ProtocolConfig) {
  return {
    send: ({ context, event }: Args, kind: StepKind) => sendStep(context, event, kind, config),
    keepRegion: change(({ event }) => ({
      relativeRegion: event.type === 'identity.verified' ? event.region : undefined,
    })),
    keepReason: change(({ event }) => ({
      reason: event.type === 'identity.refused' ? event.reason : undefined,
    })),
    faceFailed: change(() => ({ reason: 'E5' })),
    armDeadline: ({ context, event }: Args) =>
      event.fx.timer(
        TIMERS.bindSaga.key(context.bindId),
        context.startedAt + config.bindAuthTtlMs,
        context.timerSeq,
      ),
    expired: change(() => ({ reason: 'BIND_EXPIRED' })),
    notRolledOut: change(() => ({ reason: 'E8' })),
    keepOpen: change(({ event }) =>
      event.type === 'relation.added' ? { relativeOpen: event.open } : {},
    ),
  };
}

/** What a binding saga asks of an answer, of the clock or of itself. */
function bindGuards(config: ProtocolConfig) {
  const policy = policyFor(config);
  return {
    /**
     * E8 at binding: across provinces, both regions must have the wallet on the day the
     * registry names the relative's region (a relation no transfer may use yet is refused).
     */
    notRolledOut: ({ context, event }: Args) =>
      event.type === 'identity.verified' &&
      !policy.transferAllowed(context.donorRegion, event.region, event.now),
    pastDeadline: ({ context, event }: Args) =>
      event.now >= context.startedAt + config.bindAuthTtlMs,
    passed: ({ event }: Args) => event.type === 'bind.confirm' && event.verdict === 'PASS',
    resendsLeft: ({ context }: Args) => context.attempt < config.challengeResendsMax,
  };
}

// A waiting state: send the step on entry, resend on its own timer or after a restart.
const waiting = <On extends object>(kind: StepKind, on: On) => stepState(kind, on);

export function createBindSagaMachine(config: ProtocolConfig) {
  return setup({
    types: { context: {} as BindContext, input: {} as BindInput, events: {} as BindEvent },
    actions: { ...RETRY.actions, ...bindActions(config) },
    guards: { ...RETRY.guards, ...bindGuards(config) },
  }).createMachine({
    id: 'bindSaga',
    initial: 'new',
    context: ({ input }) => ({
      ...input,
      attempt: 0,
      timerSeq: 0,
      relativeRegion: undefined,
      reason: undefined,
    }),
    states: {
      new: { on: { start: 'verifying' } },
      verifying: waiting('identity.verify', {
        'identity.verified': [
          { guard: 'notRolledOut', target: 'refused', actions: ['keepRegion', 'notRolledOut'] },
          { target: 'challenging', actions: 'keepRegion' },
        ],
        'identity.refused': { target: 'refused', actions: 'keepReason' },
      } as const),
      challenging: {
        entry: ['resetAttempt', { type: 'send', params: 'bind.challenge' }],
        on: {
          timeout: [
            { guard: 'pastDeadline', target: 'expired', actions: 'expired' },
            {
              guard: 'currentTimer',
              actions: ['nextAttempt', { type: 'send', params: 'bind.challenge' }],
            },
          ],
          resume: [
            { guard: 'pastDeadline', target: 'expired', actions: 'expired' },
            {
              guard: 'resendsLeft',
              actions: ['nextAttempt', { type: 'send', params: 'bind.challenge' }],
            },
            // Re-sends used up: a restart only re-arms the deadline.
            { actions: ['nextAttempt', 'armDeadline'] },
          ],
          'bind.confirm': [
            { guard: 'passed', target: 'adding' },
            { target: 'rejected', actions: 'faceFailed' },
          ],
        },
      },
      adding: waiting('relation.add', {
        'relation.added': { target: 'active', actions: 'keepOpen' },
      } as const),
      active: { type: 'final' },
      refused: { type: 'final' },
      rejected: { type: 'final' },
      expired: { type: 'final' },
    },
  });
}

export type BindSagaMachine = ReturnType<typeof createBindSagaMachine>;
