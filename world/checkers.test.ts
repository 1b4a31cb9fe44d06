// The checkers themselves: fed postings and facts by hand, they accept a correct transfer at every
// step and name each kind of violation (double credit, release after credit, negative balance,
// commit and release, a second outcome, a recount that disagrees with the running totals).
import { describe, expect, it } from 'vitest';

import type { MoneyClass, Posting, PostingOp } from '../actors/effects.ts';
import { Checkers } from './checkers.ts';
import { ZERO_CLAIMS, ZERO_MONEY } from './invariants.ts';

const OPENING = 100_000n;

function posting(
  op: PostingOp,
  corr: string,
  amount: bigint,
  from: MoneyClass,
  to: MoneyClass,
  debitAfter = 0n,
): Posting {
  return {
    type: 'posting',
    ledger: 'L',
    op,
    corr,
    debit: `d:${from}`,
    debitClass: from,
    credit: `c:${to}`,
    creditClass: to,
    amount,
    debitAfter,
  };
}

const reserve = (corr: string, amount = 500n) =>
  posting('reserve', corr, amount, 'available', 'held');
const credit = (corr: string, amount = 500n) =>
  posting('credit', corr, amount, 'liability', 'wallet', -amount);
const commit = (corr: string, amount = 500n) => posting('commit', corr, amount, 'held', 'backing');
const release = (corr: string, amount = 500n) =>
  posting('release', corr, amount, 'held', 'available');

function failed(c: Checkers): string[] {
  return [...c.results].filter(([, r]) => !r.ok).map(([name]) => name);
}

describe('Checkers', () => {
  it('a completed transfer conserves money at every durable step, counted once mid-flight', () => {
    const c = new Checkers(OPENING);
    for (const p of [reserve('t1'), credit('t1'), commit('t1')]) {
      c.durable('x', [p], 1);
      c.check();
    }
    expect(c.claims.overlap).toBe(0n);
    expect(c.claims.wallet).toBe(500n);
    expect(c.money.backing).toBe(500n);
    expect(c.money.available).toBe(OPENING - 500n);
    expect(failed(c)).toEqual([]);
  });

  it('mid-flight (held and credited) the overlap keeps the claims backed', () => {
    const c = new Checkers(OPENING);
    c.durable('x', [reserve('t1'), credit('t1')], 1);
    c.check();
    expect(c.claims.overlap).toBe(500n);
    expect(failed(c)).toEqual([]);
  });

  it('a credit applied twice is an unbacked claim and an exactly-once violation at once', () => {
    const c = new Checkers(OPENING);
    c.durable('x', [reserve('t1'), credit('t1'), credit('t1')], 7);
    c.check();
    expect(failed(c)).toEqual(['exactlyOnce', 'walletLiability']);
    expect(c.results.get('exactlyOnce')?.detail).toMatch(/credit applied twice for t1/);
  });

  it('releasing a hold the recipient already credited leaves a claim without backing', () => {
    const c = new Checkers(OPENING);
    c.durable('x', [reserve('t1'), credit('t1'), release('t1')], 1);
    c.check();
    expect(failed(c)).toEqual(['walletLiability']);
    expect(c.results.get('walletLiability')?.detail).toMatch(/backing 0\.00 .*off by 5\.00/);
  });

  it('commit and release of one transfer is an exactly-once violation', () => {
    const c = new Checkers(OPENING);
    c.durable('x', [reserve('t1'), commit('t1'), release('t1')], 1);
    expect(failed(c)).toContain('exactlyOnce');
  });

  it('a personal balance below zero is caught; counter accounts may go negative', () => {
    const c = new Checkers(OPENING);
    c.durable('x', [credit('t1')], 1);
    expect(failed(c)).not.toContain('noNegativeBalance');
    c.durable('x', [posting('reserve', 't2', 10n, 'available', 'held', -1n)], 1);
    expect(failed(c)).toContain('noNegativeBalance');
  });

  it('a second outcome for one transfer is caught', () => {
    const c = new Checkers(OPENING);
    const done = {
      type: 'transfer.outcome',
      corr: 't1',
      scope: 'sameRegion',
      outcome: 'completed',
      reason: undefined,
    } as const;
    c.durable('x', [done, { ...done, outcome: 'rejected' }], 1);
    expect(failed(c)).toEqual(['exactlyOnce']);
  });

  it('money between funds is in transit from a funding until it is taken: the law holds throughout', () => {
    const FUNDS = 1_000_000n;
    const c = new Checkers(OPENING, FUNDS, 200_000n);
    expect(c.money.fund).toBe(800_000n);
    const fund = posting('fund', 'batch.1.p', 300n, 'fund', 'transit', 799_700n);
    const take = posting('take', 'batch.1.p', 300n, 'transit', 'clearing', 0n);
    const payOut = posting('payOut', 'batch.1', 300n, 'clearing', 'transit', 200_000n);
    const receive = posting('receive', 'batch.1.q', 300n, 'transit', 'fund', 0n);
    for (const p of [fund, take, payOut, receive]) {
      c.durable('x', [p], 1);
      c.check();
      if (p !== receive) expect(c.money.fund + c.money.clearing + c.money.transit).toBe(FUNDS);
    }
    expect(c.money).toMatchObject({ fund: 800_000n, clearing: 200_000n, transit: 0n });
    expect(failed(c)).toEqual([]);
    // A province that takes its disbursal twice creates money, and it is caught at once.
    c.durable('x', [receive], 2);
    c.check();
    expect(failed(c)).toEqual(['conservation', 'exactlyOnce']);
    expect(c.results.get('conservation')?.detail).toMatch(/in transit between funds is -3\.00/);
  });

  it('a recount that disagrees with the running totals, or an unbalanced ledger, is caught', () => {
    const c = new Checkers(OPENING);
    c.durable('x', [reserve('t1')], 1);
    c.checkpoint({
      ...ZERO_MONEY,
      available: OPENING - 500n,
      held: 500n,
      claims: ZERO_CLAIMS,
      unbalanced: [],
      negative: [],
    });
    expect(failed(c)).toEqual([]);
    c.checkpoint({
      ...ZERO_MONEY,
      available: OPENING,
      held: 500n,
      claims: { ...ZERO_CLAIMS, wallet: 1n },
      unbalanced: [['ledger.p', 1n]],
      negative: ['a:p1'],
    });
    expect(failed(c)).toEqual([
      'conservation',
      'ledgerBalance',
      'noNegativeBalance',
      'walletLiability',
    ]);
    expect(c.results.get('walletLiability')?.detail).toMatch(
      /recount: wallet 0\.01 .*off by 0\.01/,
    );
  });

  it('K9: wallet money spent stays backed until its backing moves into the paying fund', () => {
    const c = new Checkers(OPENING, 1_000n);
    const spend = posting('pay', 'B-1.w0', 200n, 'wallet', 'spent', 300n);
    const back = posting('pay', 'B-1.b0', 200n, 'backing', 'fund', 300n);
    for (const p of [reserve('t1'), credit('t1'), commit('t1'), spend, back]) {
      c.durable('x', [p], 1);
      c.check();
      expect(failed(c)).toEqual([]);
    }
    expect(c.claims).toMatchObject({ wallet: 300n, spent: 200n, backed: 200n, overlap: 0n });
    expect(c.money).toMatchObject({ available: OPENING - 500n, backing: 300n, fund: 1_200n });
    c.durable('x', [posting('unpay', 'B-1.b0', 200n, 'fund', 'backing', 1_000n)], 1);
    c.check();
    expect(c.claims.backed).toBe(0n);
    expect(c.money.backing).toBe(500n);
    expect(failed(c)).toEqual([]);
  });
});
