// Judge a run by its durable records alone, as a checker that saw none of its facts must: the
// NATS checker on the journals of a live cluster, and tests on the stores of a simulated run.
// The recount's conservation law, then every final check on the outcomes the records show.
import type { Fen } from '../protocol/index.ts';
import type { World } from './build.ts';
import { checkRecount, finalChecks } from './final_checks.ts';
import type { Requests } from './final_input.ts';
import {
  type Fail,
  type InvariantName,
  type InvariantResult,
  type Recount,
  verdicts,
} from './invariants.ts';
import { type Outcomes, outcomesFromRecords, type Refusal } from './outcomes.ts';
import { readParties } from './parties.ts';
import { type DurableView, recount } from './recount.ts';

export interface RecordJudgement {
  readonly results: Map<InvariantName, InvariantResult>;
  readonly fail: Fail;
  readonly outcomes: Outcomes;
  readonly money: Recount;
}

export interface RecordsToJudge {
  readonly world: Pick<World, 'scenario' | 'openingTotal' | 'openingFunds'>;
  /** Every actor's durable records. */
  readonly views: readonly DurableView[];
  /** The requests the app refused: no record but the app's tells of them. */
  readonly refusals: readonly Refusal[];
  readonly requests: Requests;
  /** 'cut': a quiet moment of a live cluster, where work may wait for a person or the clock. */
  readonly horizon: 'end' | 'cut';
  /** Checks of the caller's own that run first (their detail wins). */
  readonly before?: (fail: Fail) => void;
}

export function judgeRecords(input: RecordsToJudge): RecordJudgement {
  const { world, views } = input;
  const { scenario } = world;
  const { results, fail } = verdicts();
  const money = recount(views);
  checkRecount(money, world.openingTotal + world.openingFunds, fail);
  input.before?.(fail);
  const outcomes = outcomesFromRecords(views, input.refusals);
  finalChecks(
    {
      parties: readParties(views),
      outcomes,
      requests: input.requests,
      protocol: scenario.protocol,
      lifecycleBoundMs: scenario.checks.lifecycleBoundMs,
      lastHealAt: 0,
      horizon: input.horizon,
      openingFunds: world.openingFunds as Fen,
    },
    fail,
  );
  return { results, fail, outcomes, money };
}
