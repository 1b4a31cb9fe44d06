// Pooling regions (统筹区) derived from the province table. Real prefecture codes have gaps and
// special units; the simulator only needs stable, valid-looking 6-digit admdvs codes per region,
// so cities are numbered 01, 02, … in order and the provincial-level unit is <pp>9900.
import type { ProvinceSpec } from './topology.data.ts';
import { PROVINCES } from './topology.data.ts';

interface Region {
  /**
   * 6-digit admdvs: province code + 2-digit city + '00'. The provincial-level unit (省本级) is
   * <pp>9900; municipalities have one region <pp>0000.
   */
  code: string;
  province: string;
  /** Position within its province, 0-based. */
  index: number;
}

interface TopologyProvince {
  code: string;
  name: string;
  regions: Region[];
  /** The spec it was built from: population weights, neighbours and migrant role. */
  spec: ProvinceSpec;
}

export interface Topology {
  provinces: TopologyProvince[];
  regions: Region[];
  regionByCode: Map<string, Region>;
}

export interface TopologyOptions {
  provinces?: readonly ProvinceSpec[];
  /** Caps regions per province, for small test topologies. */
  regionsPerProvinceMax?: number;
}

const PROVINCIAL_UNIT_CITY = '99';

function regionCodes(spec: ProvinceSpec, count: number): string[] {
  // A municipality is one pooling region at province level, hence city '00'.
  if (spec.regions === 1) return [`${spec.code}0000`];
  // A capped province keeps its 省本级 once there is room for it, so that unit stays exercised.
  const cityCount = count >= 2 ? count - 1 : count;
  const codes: string[] = [];
  for (let city = 1; city <= cityCount; city++) {
    codes.push(`${spec.code}${String(city).padStart(2, '0')}00`);
  }
  if (count >= 2) codes.push(`${spec.code}${PROVINCIAL_UNIT_CITY}00`);
  return codes;
}

function buildProvince(spec: ProvinceSpec, regionsMax: number): TopologyProvince {
  if (!/^\d{2}$/.test(spec.code)) throw new RangeError(`buildTopology: bad code '${spec.code}'`);
  if (!Number.isInteger(spec.regions) || spec.regions < 1 || spec.regions > 98) {
    throw new RangeError(`buildTopology: province ${spec.code} has ${spec.regions} regions`);
  }
  const count = Math.min(spec.regions, regionsMax);
  const regions = regionCodes(spec, count).map((code, index): Region => ({
    code,
    province: spec.code,
    index,
  }));
  return { code: spec.code, name: spec.name, regions, spec };
}

export function buildTopology(opts: TopologyOptions = {}): Topology {
  const specs = opts.provinces ?? PROVINCES;
  const regionsMax = opts.regionsPerProvinceMax ?? Number.POSITIVE_INFINITY;
  if (!(regionsMax >= 1)) {
    throw new RangeError(`buildTopology: regionsPerProvinceMax ${regionsMax}`);
  }
  if (specs.length === 0) throw new RangeError('buildTopology: no provinces');
  const provinces = specs.map((spec) => buildProvince(spec, regionsMax));
  const regions = provinces.flatMap((p) => p.regions);
  const regionByCode = new Map(regions.map((r) => [r.code, r]));
  if (regionByCode.size !== regions.length) throw new Error('buildTopology: duplicate codes');
  if (new Set(provinces.map((p) => p.code)).size !== provinces.length) {
    throw new Error('buildTopology: duplicate province codes');
  }
  return { provinces, regions, regionByCode };
}

/**
 * Synthetic provinces for property tests: real codes and borders (restricted to the chosen set),
 * equal populations, and exactly regionsPerProvince regions each, municipalities included.
 */
export function smallTopology(provinceCount: number, regionsPerProvince: number): Topology {
  if (!Number.isInteger(provinceCount) || provinceCount < 1 || provinceCount > PROVINCES.length) {
    throw new RangeError(`smallTopology: provinceCount ${provinceCount}`);
  }
  if (!Number.isInteger(regionsPerProvince) || regionsPerProvince < 1) {
    throw new RangeError(`smallTopology: regionsPerProvince ${regionsPerProvince}`);
  }
  const chosen = PROVINCES.slice(0, provinceCount);
  const codes = new Set(chosen.map((p) => p.code));
  const provinces = chosen.map((p): ProvinceSpec => ({
    ...p,
    // A province code holds at most 98 city codes; a larger cap (the default 99) means "all".
    regions: Math.min(regionsPerProvince, 98),
    // Equal weights with the national employee share (0.278), so placement is uniform.
    ebmiMillions: 1,
    insuredMillions: 3.6,
    neighbours: p.neighbours.filter((n) => codes.has(n)),
  }));
  return buildTopology({ provinces });
}

/** A scenario's topology: 'all' real provinces, or that many synthetic ones. */
export function topologyFor(spec: {
  readonly provinces: 'all' | number;
  readonly regionsPerProvinceMax: number;
}): Topology {
  const { provinces, regionsPerProvinceMax } = spec;
  return provinces === 'all'
    ? buildTopology({ regionsPerProvinceMax })
    : smallTopology(provinces, regionsPerProvinceMax);
}
