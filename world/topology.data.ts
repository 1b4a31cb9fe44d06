// The 31 provincial-level units as data, from DOMAIN.md §4.4's per-province seed table.
// Insured and EBMI figures are that table's estimates (census × 0.945, hand-set employee shares),
// except Sichuan, which uses the S0 seed values. Codes are GB/T 2260 province codes (admdvs).

export interface ProvinceSpec {
  /** 2-digit admdvs province code, e.g. '11' Beijing, '51' Sichuan. */
  code: string;
  /** English name. */
  name: string;
  nameZh: string;
  /** Pooling regions (统筹区): prefectures + 1 (省本级); municipalities 1. */
  regions: number;
  ebmiMillions: number;
  insuredMillions: number;
  /** Province codes sharing a land border (sea crossings, e.g. Hainan–Guangdong, excluded). */
  neighbours: string[];
  /** Migration role that shapes the cross-province flow matrix (DOMAIN §4.4). */
  migrantRole: 'destination' | 'origin' | 'neutral';
}

type Row = [string, string, string, number, number, number, string, ProvinceSpec['migrantRole']];

// Columns: code, name, nameZh, regions, EBMI (M), insured (M), land neighbours, role.
// Hubei counts its 14 prefecture-level units incl. 省本级; its 4 directly-administered cities
// are left out like the other special units (DOMAIN §4.4: ≈364 without them).
const ROWS: readonly Row[] = [
  ['11', 'Beijing', '北京', 1, 15.8, 20.7, '12 13', 'destination'],
  ['12', 'Tianjin', '天津', 1, 6.3, 13.1, '11 13', 'neutral'],
  ['13', 'Hebei', '河北', 12, 14.8, 70.6, '11 12 14 15 21 37 41', 'neutral'],
  ['14', 'Shanxi', '山西', 12, 6.9, 33.0, '13 15 41 61', 'neutral'],
  ['15', 'Inner Mongolia', '内蒙古', 13, 6.1, 22.8, '13 14 21 22 23 61 62 64', 'neutral'],
  ['21', 'Liaoning', '辽宁', 15, 13.4, 40.3, '13 15 22', 'neutral'],
  ['22', 'Jilin', '吉林', 10, 6.5, 22.8, '15 21 23', 'neutral'],
  ['23', 'Heilongjiang', '黑龙江', 14, 8.6, 30.1, '15 22', 'neutral'],
  ['31', 'Shanghai', '上海', 1, 17.9, 23.5, '32 33', 'destination'],
  ['32', 'Jiangsu', '江苏', 14, 29.0, 80.2, '31 33 34 37', 'destination'],
  ['33', 'Zhejiang', '浙江', 12, 23.3, 61.1, '31 32 34 35 36', 'destination'],
  ['34', 'Anhui', '安徽', 17, 12.1, 57.7, '32 33 36 37 41 42', 'origin'],
  ['35', 'Fujian', '福建', 10, 12.0, 39.3, '33 36 44', 'destination'],
  ['36', 'Jiangxi', '江西', 12, 9.0, 42.8, '33 34 35 42 43 44', 'origin'],
  ['37', 'Shandong', '山东', 17, 20.1, 96.1, '13 32 34 41', 'neutral'],
  ['41', 'Henan', '河南', 18, 19.7, 94.0, '13 14 34 37 42 61', 'origin'],
  ['42', 'Hubei', '湖北', 14, 11.5, 54.6, '34 36 41 43 50 61', 'origin'],
  ['43', 'Hunan', '湖南', 15, 13.2, 62.9, '36 42 44 45 50 52', 'origin'],
  ['44', 'Guangdong', '广东', 22, 45.4, 119.2, '35 36 43 45', 'destination'],
  ['45', 'Guangxi', '广西', 15, 9.9, 47.4, '43 44 52 53', 'origin'],
  ['46', 'Hainan', '海南', 5, 2.0, 9.5, '', 'neutral'],
  ['50', 'Chongqing', '重庆', 1, 8.7, 30.3, '42 43 51 52 61', 'origin'],
  ['51', 'Sichuan', '四川', 22, 20.24, 80.67, '50 52 53 54 61 62 63', 'origin'],
  ['52', 'Guizhou', '贵州', 10, 7.6, 36.5, '43 45 50 51 53', 'origin'],
  ['53', 'Yunnan', '云南', 17, 9.4, 44.7, '45 51 52 54', 'neutral'],
  ['54', 'Tibet', '西藏', 8, 0.7, 3.5, '51 53 63 65', 'neutral'],
  ['61', 'Shaanxi', '陕西', 11, 7.8, 37.4, '14 15 41 42 50 51 62 64', 'neutral'],
  ['62', 'Gansu', '甘肃', 15, 5.0, 23.7, '15 51 61 63 64 65', 'neutral'],
  ['63', 'Qinghai', '青海', 9, 1.2, 5.6, '51 54 62 65', 'neutral'],
  ['64', 'Ningxia', '宁夏', 6, 1.6, 6.8, '15 61 62', 'neutral'],
  ['65', 'Xinjiang', '新疆', 15, 6.5, 24.5, '54 62 63', 'neutral'],
];

function toSpec(row: Row): ProvinceSpec {
  const [code, name, nameZh, regions, ebmiMillions, insuredMillions, borders, migrantRole] = row;
  const neighbours = borders === '' ? [] : borders.split(' ');
  return { code, name, nameZh, regions, ebmiMillions, insuredMillions, neighbours, migrantRole };
}

export const PROVINCES: readonly ProvinceSpec[] = Object.freeze(ROWS.map(toSpec));

/**
 * Provinces with the wallet and cross-province aid live in Dec 2024 (E7, E8). S0 names only
 * Jiangsu and Hebei among the 9; the other 7 are an ASSUMPTION: a mix of migrant destinations
 * and origins (S0's own example is Suzhou → Henan), excluding Guangdong, which still lacked the
 * wallet in Sep 2025 (U6).
 */
export const PILOT_PROVINCES_2024_12: readonly string[] = Object.freeze([
  '13',
  '32',
  '33',
  '34',
  '36',
  '41',
  '43',
  '50',
  '51',
]);
