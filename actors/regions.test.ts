// The geography rules speak of: the region an ID number was issued in (its first six digits,
// GB 11643), and a bill's scope against the insured region (F3): local, elsewhere in the same
// province (same first two digits, GB/T 2260), or across provinces.
import { describe, expect, it } from 'vitest';

import { billScopeOf, regionOfIdNo, scopeOf } from './regions.ts';

describe('regionOfIdNo: the region an ID number begins with', () => {
  it('is the first six digits of an 18-digit ID number (the check character may be X)', () => {
    expect(regionOfIdNo('51010019900101001X')).toBe('510100');
    expect(regionOfIdNo('110105198512310022')).toBe('110105');
  });

  it('is nothing for a number that does not begin with six digits', () => {
    // Five digits then a letter, and six digits that do not start the number.
    expect(regionOfIdNo('51010X199001010011')).toBeUndefined();
    expect(regionOfIdNo('E510100199001')).toBeUndefined();
    expect(regionOfIdNo('')).toBeUndefined();
  });
});

describe('F3: where care happened against the insured region', () => {
  it('local in the insured region, sameProvince elsewhere in its province, else crossProvince', () => {
    expect(billScopeOf('510100', '510100')).toBe('local');
    expect(billScopeOf('510100', '510700')).toBe('sameProvince');
    expect(billScopeOf('510100', '110100')).toBe('crossProvince');
    // A transfer's scope reads the province the same way.
    expect(scopeOf('510100', '510700')).toBe('sameProvince');
    expect(scopeOf('510100', '110100')).toBe('crossProvince');
  });
});
