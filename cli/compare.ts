// `gongji compare`: designs side by side. Every design (a protocol variant, and the value of one
// knob when --vary gives one) runs on the same scenario, the same seeds, so the same population,
// workload and fault schedule; each run's figures go to compare.json and one compare.html, and
// each design's first run gets its own report.html. Exit 0 when every design held every
// invariant on every seed, 1 when one did not (a broken variant compared is meant to), 2 on
// bad input.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { DESIGN_VARIANTS, PROTOCOL_VARIANTS } from '../actors/config.ts';
import { formatFen, parseYuan } from '../protocol/index.ts';
import { renderComparison } from '../report/compare.ts';
import { renderReport } from '../report/render.ts';
import { reportPictures } from '../sim/focus.ts';
import { buildResult } from '../sim/report.ts';
import { Simulation } from '../sim/simulation.ts';
import {
  type CompareRun,
  type Comparison,
  type Design,
  livenessAfterHealMs,
} from '../world/comparison.ts';
import { describeFault, fmtTime } from '../world/faults.ts';
import { jsonReplacer } from '../world/json.ts';
import { type Scenario, ScenarioError, scenarioFrom } from '../world/scenario.ts';
import { EXIT, UsageError } from './args.ts';
import type { CliOptions } from './main.ts';
import { prepareOutDir } from './out_dir.ts';

/** --vary FIELD=v1,v2: a dotted scenario path and its values (numbers where they are numbers). */
function knobOf(text: string | undefined): { path: string; values: unknown[] } | undefined {
  if (text === undefined) return undefined;
  const m = /^([A-Za-z][\w.]*)=(.+)$/.exec(text);
  if (m === null)
    throw new UsageError(
      `--vary: expected FIELD=v1,v2 (e.g. storeSyncMs=1,50 or protocol.walletShardCount=2,8), ` +
        `got '${text}'`,
    );
  const values = (m[2] as string).split(',').map((v) => v.trim());
  if (values.some((v) => v === '')) throw new UsageError(`--vary ${text}: a value is empty`);
  return {
    path: m[1] as string,
    values: values.map((v) => (/^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v)),
  };
}

function seedsOf(text: string | undefined, fallback: number): number[] {
  if (text === undefined) return [fallback];
  const seeds = text.split(',').map((s) => s.trim());
  if (seeds.length === 0 || seeds.some((s) => !/^\d{1,15}$/.test(s)))
    throw new UsageError(`--seeds: expected whole numbers like 1,2,3, got '${text}'`);
  if (new Set(seeds).size !== seeds.length)
    throw new UsageError(`--seeds: ${text} names a seed twice`);
  return seeds.map(Number);
}

/** `overrides` with `path` set to `value`, copied along the path (nothing shared is changed). */
function withField(
  overrides: Record<string, unknown>,
  path: string,
  value: unknown,
): Record<string, unknown> {
  const [head, ...rest] = path.split('.') as [string, ...string[]];
  if (rest.length === 0) return { ...overrides, [head]: value };
  const inner = overrides[head];
  const next =
    typeof inner === 'object' && inner !== null ? (inner as Record<string, unknown>) : {};
  return { ...overrides, [head]: withField(next, rest.join('.'), value) };
}

function designsOf(options: CliOptions): Design[] {
  const variants = options.variants ?? DESIGN_VARIANTS;
  for (const variant of variants) {
    if (!(PROTOCOL_VARIANTS as readonly string[]).includes(variant))
      throw new UsageError(
        `--variants: no variant '${variant}'; the variants are ${PROTOCOL_VARIANTS.join(', ')}`,
      );
  }
  if (new Set(variants).size !== variants.length)
    throw new UsageError(`--variants: a variant is named twice`);
  const knob = knobOf(options.vary);
  if (variants.length * (knob?.values.length ?? 1) < 2)
    throw new UsageError('compare needs two designs or more: --variants a,b or --vary FIELD=v1,v2');
  return variants.flatMap((variant) =>
    knob === undefined
      ? [{ name: variant, variant, knobs: {} }]
      : knob.values.map((value) => ({
          name: `${variant} ${knob.path}=${String(value)}`,
          variant,
          knobs: { [knob.path]: value },
        })),
  );
}

/** The scenario of one design on one seed, checked as a run's is. */
function scenarioOf(options: CliOptions, design: Design, seed: number): Scenario {
  let overrides = withField(options.overrides, 'protocol.variant', design.variant);
  overrides = withField(overrides, 'seed', seed);
  for (const [path, value] of Object.entries(design.knobs))
    overrides = withField(overrides, path, value);
  try {
    return scenarioFrom(overrides);
  } catch (error) {
    if (error instanceof ScenarioError) {
      const knob = Object.keys(design.knobs)[0];
      throw new UsageError(`${knob === undefined ? '' : `--vary ${knob}: `}${error.message}`);
    }
    throw error;
  }
}

function runDesign(scenario: Scenario, design: Design): { run: CompareRun; sim: Simulation } {
  const t0 = performance.now();
  const sim = new Simulation(scenario, {
    releaseSubmitted: true,
    timeline: true,
    transferCost: true,
  }).run();
  const wallMs = performance.now() - t0;
  const accepted = Math.max(1, sim.checkers.accepted.size);
  const inFlight = sim.pictures?.timeline?.inFlight ?? [0];
  const fen = (x: number) => formatFen(BigInt(Math.round(x)));
  const run: CompareRun = {
    design: design.name,
    seed: scenario.seed,
    ok: sim.checkers.ok,
    violations: [...sim.checkers.results]
      .filter(([, r]) => !r.ok)
      .map(([invariant, r]) => ({ invariant, detail: r.detail ?? '' })),
    transfersAccepted: sim.checkers.accepted.size,
    transfersCompleted: sim.checkers.transfersCompleted,
    messagesPerTransfer: Number((sim.transferMessages / accepted).toFixed(2)),
    writesPerTransfer: Number((sim.transferWrites / accepted).toFixed(2)),
    latencyMs: sim.checkers.latencyMs(),
    livenessAfterHealMs: livenessAfterHealMs(sim.checkers, sim.lastHealAt),
    inFlightPeak: formatFen(sim.checkers.transfersInFlightPeak),
    unbackedPeak: formatFen(sim.checkers.unbackedPeak),
    inFlightMean: fen(inFlight.reduce((a, b) => a + b, 0) / Math.max(1, inFlight.length)),
    deliveries: sim.deliveries,
    traceHash: sim.trace.hash,
    wallMs: Math.round(wallMs),
  };
  return { run, sim };
}

export function compareCommand(options: CliOptions): number {
  const designs = designsOf(options);
  const seeds = seedsOf(options.seeds, options.scenario.seed);
  // Every scenario is checked before the first run: bad input costs nothing.
  const scenarios = designs.map((d) => seeds.map((seed) => scenarioOf(options, d, seed)));
  const dir = prepareOutDir(options.out).path;
  const runs: CompareRun[] = [];
  designs.forEach((design, i) => {
    (scenarios[i] as Scenario[]).forEach((scenario, j) => {
      const { run, sim } = runDesign(scenario, design);
      runs.push(run);
      if (!options.quiet)
        process.stderr.write(
          `  ${design.name} seed ${run.seed}: ${run.ok ? 'ok' : 'VIOLATED'}, ` +
            `${run.messagesPerTransfer} messages and ${run.writesPerTransfer} writes a transfer, ` +
            `p99 ${run.latencyMs.p99} ms, in ${(run.wallMs / 1000).toFixed(1)} s\n`,
        );
      if (j === 0) {
        // The design's first run in full, for a closer look from the comparison.
        const folder = join(dir, slug(design.name));
        mkdirSync(folder, { recursive: true });
        const result = buildResult(sim, {
          worldBuildMs: 0,
          runMs: run.wallMs,
          peakRssBytes: process.resourceUsage().maxRSS * 1024,
          worldHeapBytes: null,
        });
        writeFileSync(join(folder, 'result.json'), `${JSON.stringify(result, jsonReplacer, 2)}\n`);
        writeFileSync(join(folder, 'report.html'), renderReport(result, reportPictures(sim)));
      }
    });
  });
  const first = scenarios[0]?.[0] as Scenario;
  const comparison: Comparison = {
    scenario: first.name,
    seeds,
    faults: first.faults.map(describeFault),
    lastHealAt: fmtTime(Math.max(0, ...first.faults.map((f) => f.at + f.durationMs))),
    wallets: first.population.wallets,
    designs,
    runs,
  };
  writeFileSync(join(dir, 'compare.json'), `${JSON.stringify(comparison, null, 2)}\n`);
  writeFileSync(join(dir, 'compare.html'), renderComparison(comparison, slug));
  if (!options.quiet) {
    process.stdout.write(
      `${comparisonTable(comparison)}\n\n  wrote ${join(dir, 'compare.html')}\n`,
    );
  }
  return runs.every((r) => r.ok) ? EXIT.ok : EXIT.violated;
}

/** The largest of some yuan amounts, as written. */
function largest(amounts: readonly string[]): string {
  const fen = (yuan: string) => parseYuan(yuan, { allowZero: true });
  return amounts.reduce((a, b) => (fen(b) > fen(a) ? b : a), '0.00');
}

/** A design's folder name. */
function slug(name: string): string {
  return name.replace(/[^A-Za-z0-9_.=-]+/g, '_');
}

/** The comparison as a text table: one row per design, its seeds summed or at their worst. */
function comparisonTable(c: Comparison): string {
  const rows = c.designs.map((d) => {
    const runs = c.runs.filter((r) => r.design === d.name);
    const worst = (f: (r: CompareRun) => number) => Math.max(...runs.map(f));
    const mean = (f: (r: CompareRun) => number) =>
      runs.reduce((a, r) => a + f(r), 0) / Math.max(1, runs.length);
    const liveness = runs.some((r) => r.livenessAfterHealMs === null)
      ? 'never'
      : `${(worst((r) => r.livenessAfterHealMs ?? 0) / 1000).toFixed(1)} s`;
    return [
      d.name,
      String(runs.reduce((n, r) => n + r.violations.length, 0)),
      liveness,
      mean((r) => r.messagesPerTransfer).toFixed(2),
      mean((r) => r.writesPerTransfer).toFixed(2),
      `${worst((r) => r.latencyMs.p50)}`,
      `${worst((r) => r.latencyMs.p99)}`,
      largest(runs.map((r) => r.inFlightPeak)),
      largest(runs.map((r) => r.unbackedPeak)),
    ];
  });
  const head = [
    'design',
    'violations',
    'liveness',
    'msgs/transfer',
    'writes/transfer',
    'p50 ms',
    'p99 ms',
    'in flight peak ¥',
    'unbacked peak ¥',
  ];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const pad = (cell: string, i: number) =>
    i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0);
  const line = (cells: readonly string[]) => `  ${cells.map(pad).join('  ')}`;
  return [
    `gongji compare: ${c.scenario}, seeds ${c.seeds.join(',')}, ${c.faults.length} faults ` +
      `(last healed ${c.lastHealAt}), ${c.wallets.toLocaleString('en-US')} wallets`,
    '',
    line(head),
    ...rows.map(line),
  ].join('\n');
}
