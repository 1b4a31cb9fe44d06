// A scenario's scripted requests (how fast-check shrinks workloads, and how counterexamples are
// saved as files) turned into the workload's intents.
import { carePlaces, contributionIntent, scriptedBillIntent } from './payments.ts';
import type { Person, Population, Relation } from './population.ts';
import { Prng } from './prng.ts';
import type { Script } from './scenario.ts';
import {
  bindIntent,
  claimDetails,
  endIntent,
  enrolmentIntent,
  type Intent,
  nonEmployeesOf,
  relativeOf,
  type TransferIntent,
} from './workload.ts';

/** The id of a script's i-th step of n, padded so ids sort as the steps do: t07 of 12. */
const id = (prefix: string, i: number, n: number) =>
  `${prefix}${String(i).padStart(String(n).length, '0')}`;

/**
 * A scenario's scripted requests as the workload: transfers, bindings, revocations, enrolment
 * changes, bills and contributions merged in time order (stable for equal times: transfers
 * first, then bindings, ends, changes, bills and contributions, each in script order). Ids are
 * the generated workload's prefixes with the index in its list (`t…`, `b…`, `e…`, `n…`, `o…`,
 * `s…`, `c…`), and there are no follow-up transfers: the script says which transfers happen. Each
 * request names a relation, a candidate or a person by index modulo their count, so a shrunk
 * script stays valid. What a script leaves to chance — a wrong claim's details (which kinship,
 * which digit, which requester), a bill's treatment region, disease and eligible share — is
 * drawn from a stream seeded by the candidate's or the patient's index alone, so a request does
 * not change when other steps are shrunk away. Contributions are for the year collected at their
 * time (`yearAt`, C1's season), or the next.
 */
export function scriptedWorkload(
  population: Population,
  script: Script,
  yearAt: (ms: number) => number,
): Intent[] {
  const { relations, candidates, people } = population;
  const transfers = script.transfers ?? [];
  const binds = script.binds ?? [];
  const ends = script.ends ?? [];
  const changes = script.enrolmentChanges ?? [];
  const opens = script.opens ?? [];
  const bills = script.bills ?? [];
  const contributions = script.contributions ?? [];
  checkScriptable(population, script);
  const relation = (index: number) => relations[index % relations.length] as Relation;
  /** Family aid: the n-th donor of the patient, or for a patient with none, relation n's. */
  const aidOf = (patientId: string, n: number) => {
    const donors = relations.filter((r) => r.recipientId === patientId);
    return (donors.length > 0 ? (donors[n % donors.length] as Relation) : relation(n)).donorId;
  };
  const nonEmployees = nonEmployeesOf(people);
  const places = carePlaces(population);
  const intents: Intent[] = [
    ...transfers.map((t, i): TransferIntent => {
      const r = relation(t.relation);
      return {
        kind: 'transfer',
        at: t.at,
        transferId: id('t', i, transfers.length),
        donorId: r.donorId,
        recipientId: r.recipientId,
        amount: t.amount,
        scope: r.scope,
        source: 'ACCOUNT',
      };
    }),
    ...binds.map((b, i) => {
      const index = b.candidate % candidates.length;
      const candidate = candidates[index] as Relation;
      const relative = relativeOf(population.personById, candidate);
      const claim = claimDetails(candidate, relative, b.claim, nonEmployees, new Prng(index));
      return bindIntent(candidate, relative, b.at, id('b', i, binds.length), claim, b.face);
    }),
    ...ends.map((e, i) =>
      endIntent(
        relation(e.relation),
        e.at,
        id('e', i, ends.length),
        e.by === 'donor' ? 'REVOKED_BY_DONOR' : 'REVOKED_BY_RECIPIENT',
      ),
    ),
    ...changes.map((n, i) =>
      enrolmentIntent(relation(n.relation), n.at, id('n', i, changes.length)),
    ),
    ...opens.map((o, i): Intent => ({
      kind: 'open',
      at: o.at,
      requestId: id('o', i, opens.length),
      walletId: relation(o.relation).recipientId,
    })),
    ...bills.map((b, i) => {
      const index = b.patient % people.length;
      const patient = people[index] as Person;
      return scriptedBillIntent(places, new Prng(index), patient, {
        aidBy: b.aid === undefined ? undefined : aidOf(patient.id, b.aid),
        at: b.at,
        billId: id('s', i, bills.length),
        where: b.where,
        care: b.care,
        total: b.amount,
        action: b.action,
        useWallet: b.useWallet,
        emergency: b.emergency,
      });
    }),
    ...contributions.map((c, i) => {
      // E3's exception: an account payment for a relative with no relation, when asked.
      const r =
        c.candidate !== undefined && c.source === 'ACCOUNT' && candidates.length > 0
          ? (candidates[c.candidate % candidates.length] as Relation)
          : relation(c.relation);
      return contributionIntent(
        r,
        c.source,
        c.at,
        id('c', i, contributions.length),
        c.nextYear ? yearAt(c.at) + 1 : yearAt(c.at),
        population.personById.get(r.recipientId)?.idNo ?? '',
      );
    }),
  ];
  return inTimeOrder(intents);
}

/** A script's steps name relations and candidates by index: there must be some to name. */
function checkScriptable(population: Population, script: Script): void {
  const byRelation =
    (script.transfers?.length ?? 0) +
    (script.ends?.length ?? 0) +
    (script.enrolmentChanges?.length ?? 0) +
    (script.opens?.length ?? 0) +
    (script.contributions?.length ?? 0);
  if (byRelation > 0 && population.relations.length === 0) {
    throw new Error(
      'scripted transfers, ends, enrolment changes, openings and contributions need relations',
    );
  }
  if ((script.binds?.length ?? 0) > 0 && population.candidates.length === 0) {
    throw new Error('scripted binds need bind candidates (population.candidateShare > 0)');
  }
}

/** Stable by time: steps at the same time keep the script's order (kind by kind). */
function inTimeOrder(intents: readonly Intent[]): Intent[] {
  return intents
    .map((intent, i) => ({ intent, i }))
    .sort((a, b) => a.intent.at - b.intent.at || a.i - b.i)
    .map(({ intent }) => intent);
}
