import { describe, expect, it } from 'vitest';

import {
  DAY_MS,
  DESIGN_VARIANTS,
  HOUR_MS,
  NETTINGS,
  PROTOCOL_DEFAULTS,
  PROTOCOL_VARIANTS,
} from './config.ts';
import { UnroutableError } from './errors.ts';

// The variant names are vocabulary: scenario files (`protocol.variant`) and `gongji compare
// --variants` accept them, and a renamed or dropped one breaks every file that names it.
describe('config: the protocol variants', () => {
  it('three designs that must hold every invariant, the reference first', () => {
    expect(DESIGN_VARIANTS).toEqual(['reference', 'debitFirst', 'optimisticCredit']);
  });

  it('every variant once: the designs, then the four broken ones the negative controls use', () => {
    expect(PROTOCOL_VARIANTS.slice(0, DESIGN_VARIANTS.length)).toEqual(DESIGN_VARIANTS);
    expect(PROTOCOL_VARIANTS.slice(DESIGN_VARIANTS.length)).toEqual([
      'noDedup',
      'timeoutFails',
      'dropsRegionPair',
      'skipsFundShare',
    ]);
    expect(new Set(PROTOCOL_VARIANTS).size).toBe(PROTOCOL_VARIANTS.length);
  });

  it('F5: two nettings, multilateral first', () => {
    expect(NETTINGS).toEqual(['multilateral', 'pairwise']);
  });
});

describe("config: the defaults are DOMAIN's numbers", () => {
  const d = PROTOCOL_DEFAULTS;

  it('the reference design, netted multilaterally, from 2025-09-29', () => {
    expect([d.variant, d.netting, d.startDate]).toEqual([
      'reference',
      'multilateral',
      '2025-09-29',
    ]);
  });

  it('W6 three transfers a day, W7 2000.00 yuan, W8 22:00 to 06:00, W11 back at 06:00', () => {
    expect(d.transfersPerDayMax).toBe(3);
    expect(d.amountPerTransferFenMax).toBe(200_000n);
    expect([d.blackoutHourStart, d.blackoutHourEnd, d.returnHour]).toEqual([22, 6, 6]);
    expect(d.requireReceipt).toBe(true);
    expect(d.walletSpendOutsideUseRegion).toBe(false);
  });

  it('F1 a binding waits 24 h, W13 a confirmation 5 min, D11 a pre-settlement 30 min', () => {
    expect(d.bindAuthTtlMs).toBe(DAY_MS);
    expect(d.authTtlMs).toBe(5 * 60_000);
    expect(d.presettleTtlMs).toBe(HOUR_MS / 2);
    expect(d.orphanHoldAfterMs).toBe(HOUR_MS);
    expect(DAY_MS).toBe(24 * HOUR_MS);
    expect(HOUR_MS).toBe(3_600_000);
  });
});

describe('errors', () => {
  it('UnroutableError names itself, the address and the kind it refused', () => {
    const error = new UnroutableError('province.11', 'wallet.credited');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('UnroutableError');
    expect(error.message).toBe('province.11 does not accept wallet.credited');
    expect([error.address, error.kind]).toEqual(['province.11', 'wallet.credited']);
  });
});
