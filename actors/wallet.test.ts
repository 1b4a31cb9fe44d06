// The wallet's pure rules outside its machine: W8's blackout window for any configured hours,
// tranches spent and restored without touching the lists they were given (a wallet's context is
// shared and frozen), and E6's ending of every active relation at once.
import { describe, expect, it } from 'vitest';

import { HOUR_MS, PROTOCOL_DEFAULTS } from './config.ts';
import {
  endAll,
  inBlackout,
  type Piece,
  type Relation,
  restorePieces,
  spendPieces,
  type Tranche,
} from './wallet.ts';

describe('W8: inBlackout', () => {
  const hoursIn = (start: number, end: number) =>
    Array.from({ length: 24 }, (_, hour) => hour).filter((hour) =>
      inBlackout(
        { ...PROTOCOL_DEFAULTS, blackoutHourStart: start, blackoutHourEnd: end },
        3 * 24 * HOUR_MS + hour * HOUR_MS + 59 * 60_000,
      ),
    );

  it('a window across midnight: 22:00 to 06:00', () => {
    expect(hoursIn(22, 6)).toEqual([0, 1, 2, 3, 4, 5, 22, 23]);
  });

  it('a window inside one day: 01:00 to 05:00', () => {
    expect(hoursIn(1, 5)).toEqual([1, 2, 3, 4]);
  });

  it('the same start and end hour: no blackout at all', () => {
    expect(hoursIn(3, 3)).toEqual([]);
  });
});

const tranche = (transferId: string, amount: bigint): Tranche => ({
  originRegion: '510100',
  transferId,
  donorId: `d-${transferId}`,
  amount,
  received: true,
});
const piece = (transferId: string, amount: bigint): Piece => ({
  originRegion: '510100',
  transferId,
  donorId: `d-${transferId}`,
  amount,
});

describe('tranches spent and restored', () => {
  it('restorePieces puts a fully spent tranche back in front and leaves its input untouched', () => {
    const before = Object.freeze([tranche('T2', 300n)]);
    const after = restorePieces(before, [piece('T1', 100n), piece('T2', 50n)]);
    expect(after).toEqual([tranche('T1', 100n), tranche('T2', 350n)]);
    expect(before).toEqual([tranche('T2', 300n)]);
  });

  it('spendPieces drops a tranche spent to zero and leaves its input untouched', () => {
    const before = Object.freeze([tranche('T1', 100n), tranche('T2', 300n)]);
    expect(spendPieces(before, [piece('T1', 100n), piece('T2', 50n)])).toEqual([
      tranche('T2', 250n),
    ]);
    expect(before).toHaveLength(2);
  });
});

describe('E6: endAll', () => {
  it('ends the active relations and keeps how the others ended', () => {
    const active: Relation = {
      kinship: 'spouse',
      region: '320500',
      status: 'active',
      bindId: 'B1',
    };
    const revoked: Relation = {
      ...active,
      bindId: 'B2',
      status: 'ended',
      ending: 'REVOKED_BY_DONOR',
    };
    expect(endAll({ a: active, b: revoked }, 'ENROLMENT_CHANGED')).toEqual({
      a: { ...active, status: 'ended', ending: 'ENROLMENT_CHANGED' },
      b: revoked,
    });
  });
});
