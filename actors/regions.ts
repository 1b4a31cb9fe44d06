// The geography every rule and report speaks of, in one place: region codes (admdvs), the
// province a region or an ID number belongs to, and the scope of a transfer or a bill.
// A pooling region's code is `<pp><cc>00` (world/topology.ts): its first two digits are the
// province (GB/T 2260), and an 18-digit ID number begins with its holder's region.

const PROVINCE_CODE_LIST =
  '11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65';

/** The 31 provincial-level units (GB/T 2260), 兵团 not modelled. */
export const PROVINCE_CODES: readonly string[] = Object.freeze(PROVINCE_CODE_LIST.split(' '));

/** Where a transfer (or a binding, or a contribution) goes, against the donor's region (F2). */
export const TRANSFER_SCOPES = ['sameRegion', 'sameProvince', 'crossProvince'] as const;
export type TransferScope = (typeof TRANSFER_SCOPES)[number];

/**
 * F3: where care happened against the insured region: local, elsewhere in the province, or across.
 */
export const BILL_SCOPES = ['local', 'sameProvince', 'crossProvince'] as const;
export type BillScope = (typeof BILL_SCOPES)[number];

/** The province code of a region code: its first two digits. */
export function provinceOfRegion(region: string): string {
  return region.slice(0, 2);
}

/** The region an ID number was issued in (its first six digits), if it begins with one. */
export function regionOfIdNo(idNo: string): string | undefined {
  return /^\d{6}/.test(idNo) ? idNo.slice(0, 6) : undefined;
}

export function scopeOf(fromRegion: string, toRegion: string): TransferScope {
  if (fromRegion === toRegion) return 'sameRegion';
  if (provinceOfRegion(fromRegion) === provinceOfRegion(toRegion)) return 'sameProvince';
  return 'crossProvince';
}

export function billScopeOf(insuredRegion: string, treatmentRegion: string): BillScope {
  if (insuredRegion === treatmentRegion) return 'local';
  return provinceOfRegion(insuredRegion) === provinceOfRegion(treatmentRegion)
    ? 'sameProvince'
    : 'crossProvince';
}
