// A scripted workload (how fast-check shrinks workloads and how counterexamples are saved): the
// scripted requests exactly, in time order, each named by index modulo its population, with the
// details a script leaves to chance drawn so that shrinking other steps changes no request.
import { describe, expect, it } from 'vitest';

import { CHRONIC_DISEASES } from '../actors/policy.ts';
import { MIXED } from '../testing/scenarios.ts';
import { buildWorld } from './build.ts';
import type { BillIntent, ContributionIntent } from './payments.ts';
import { scenarioFrom } from './scenario.ts';
import {
  type BindIntent,
  type EndIntent,
  type EnrolmentIntent,
  intentId,
  type TransferIntent,
} from './workload.ts';

describe('a scripted workload mixing every flow', () => {
  const scenario = scenarioFrom(MIXED);

  it('is exactly the scripted requests, in time order (script order for equal times), without follow-ups', () => {
    const { workload, population } = buildWorld(scenario);
    const { relations, candidates, personById, people } = population;
    expect(workload.map((i) => `${i.at / 1000 - 36_000}s ${intentId(i)}`)).toEqual([
      '0s t1',
      '5s b1',
      '5s s1',
      '10s t2',
      '10s b0',
      '10s b2',
      '10s e0',
      '10s s2',
      '10s c1',
      '15s s0',
      '20s n0',
      '25s c0',
      '30s t0',
      '30s s3',
      '35s o0',
      '40s b3',
      '45s e1',
      '50s b4',
      '50s s4',
      '55s c2',
    ]);
    const byId = new Map(workload.map((i) => [intentId(i), i]));
    // W1: the opening names a relation; its recipient opens their wallet.
    expect(byId.get('o0')).toMatchObject({ kind: 'open', walletId: relations[1]!.recipientId });
    const t1 = byId.get('t1') as TransferIntent;
    expect(t1).toMatchObject({
      donorId: relations[0]!.donorId,
      recipientId: relations[0]!.recipientId,
      amount: 1_234n,
      source: 'ACCOUNT',
    });
    const e1 = byId.get('e1') as EndIntent;
    expect(e1).toMatchObject({
      donorId: relations[3]!.donorId,
      recipientId: relations[3]!.recipientId,
      ending: 'REVOKED_BY_RECIPIENT',
    });
    expect((byId.get('e0') as EndIntent).ending).toBe('REVOKED_BY_DONOR');
    expect((byId.get('n0') as EnrolmentIntent).personId).toBe(relations[4]!.donorId);
    // Bindings ask for the candidate named, telling the truth or making the claimed error.
    const bind = (id: string) => byId.get(id) as BindIntent;
    const truth = (k: number) => ({
      donorId: candidates[k]!.donorId,
      relativeId: candidates[k]!.recipientId,
      kinship: candidates[k]!.kinship,
      idNo: personById.get(candidates[k]!.recipientId)!.idNo,
    });
    expect(bind('b0')).toMatchObject({ ...truth(0), face: 'PASS' });
    expect(bind('b1')).toMatchObject({ ...truth(1), face: 'FAIL' });
    expect(bind('b2')).toMatchObject({
      ...truth(2),
      kinship: expect.not.stringMatching(`^${candidates[2]!.kinship}$`),
      face: 'NONE',
    });
    expect(bind('b3')).toMatchObject({
      ...truth(3),
      idNo: expect.not.stringMatching(`^${truth(3).idNo}$`),
    });
    expect(personById.get(bind('b4').donorId)!.ebmi).toBe(false);
    expect(bind('b4').relativeId).toBe(truth(4).relativeId);
    // Bills: the patient named, the place asked for, the POS action and flags as scripted, at a
    // networked provider; the eligible part 85–100 % of the total.
    const bill = (id: string) => byId.get(id) as BillIntent;
    expect(bill('s0')).toMatchObject({
      personId: people[0]!.id,
      treatmentRegion: people[0]!.region,
      scope: 'local',
      care: 'outpatient',
      disease: 'NONE',
      total: 20_000n,
      action: 'settle',
      useWallet: 'Y',
      emergency: 'N',
      networked: 'Y',
    });
    expect(bill('s1')).toMatchObject({
      personId: people[3]!.id,
      total: 8_850n,
      action: 'cancelBefore',
      useWallet: 'N',
    });
    expect(bill('s1').treatmentRegion.slice(0, 2)).toBe(people[3]!.region.slice(0, 2));
    expect(bill('s2')).toMatchObject({
      personId: people[5]!.id,
      scope: 'crossProvince',
      emergency: 'Y',
      total: 1_200_000n,
    });
    expect(bill('s2').treatmentRegion.slice(0, 2)).not.toBe(people[5]!.region.slice(0, 2));
    expect(['GOUT', ...CHRONIC_DISEASES.map((d) => d.code)]).toContain(bill('s3').disease);
    expect(bill('s4')).toMatchObject({ personId: people[9]!.id, action: 'abandon' });
    for (const id of ['s0', 's1', 's2', 's3', 's4']) {
      const { total, eligible } = bill(id);
      expect(eligible * 100n >= total * 85n && eligible <= total, id).toBe(true);
    }
    // Contributions: the donor pays for the recipient from their account, or the recipient from
    // their wallet; for the year collected on day 0, 2025-09-29 (C1's season: 2026), or the
    // year after when asked (refused C1: no amount known).
    const pay = (id: string) => byId.get(id) as ContributionIntent;
    expect(pay('c0')).toMatchObject({
      payerId: relations[1]!.donorId,
      personId: relations[1]!.recipientId,
      source: 'ACCOUNT',
      year: 2026,
      scope: relations[1]!.scope,
    });
    expect(pay('c1')).toMatchObject({
      payerId: relations[2]!.recipientId,
      personId: relations[2]!.recipientId,
      source: 'WALLET',
      year: 2026,
    });
    expect(pay('c2')).toMatchObject({ payerId: relations[0]!.donorId, year: 2027 });
  });

  it("draws a bill's details from the patient's index alone: shrinking other steps changes no bill", () => {
    const { workload } = buildWorld(scenario);
    const alone = scenarioFrom({
      ...MIXED,
      transfers: [],
      binds: [],
      ends: [],
      enrolmentChanges: [],
      contributions: [],
      bills: [MIXED.bills[3]],
    });
    const [s0] = buildWorld(alone).workload as BillIntent[];
    expect({ ...s0, billId: 's3' }).toEqual(workload.find((i) => intentId(i) === 's3'));
  });

  it('names candidates, relations and patients modulo their count, so any index is valid', () => {
    const world = buildWorld(scenario);
    const { candidates, relations, people } = world.population;
    const shifted = scenarioFrom({
      ...MIXED,
      binds: MIXED.binds.map((b) => ({ ...b, candidate: b.candidate + candidates.length })),
      ends: MIXED.ends.map((e) => ({ ...e, relation: e.relation + relations.length })),
      bills: MIXED.bills.map((b) => ({ ...b, patient: b.patient + 2 * people.length })),
      contributions: MIXED.contributions.map((c) => ({
        ...c,
        relation: c.relation + relations.length,
      })),
    });
    expect(buildWorld(shifted).workload).toEqual(world.workload);
  });
});
