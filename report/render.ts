// report.html: one self-contained page per run, beside result.json. The tables and the
// hand-drawn SVG (report/svg.ts) are made here; the time series are drawn in the page by uPlot
// (about 50 KB, inlined with its stylesheet) from the JSON the page carries, by
// report/client.mjs. No CDN, no fetch: the file works offline and can be mailed.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import { fmtTime } from '../world/faults.ts';
import type { RunResult } from '../world/result.ts';
import type { RunPictures, TimelinePart } from '../world/timeline.ts';
import { esc, heatmap, provinceLabel, sequenceDiagram, sparkline, yuanText } from './svg.ts';

/** result.json as written: a failed simulator run adds how to replay it. */
export type ResultFile = RunResult & {
  readonly failure?: { readonly replay: string; readonly recentDeliveries?: unknown };
};

const require = createRequire(import.meta.url);
let assets: { uplotJs: string; uplotCss: string; client: string; css: string } | undefined;

/** uPlot and the page's script, read once. */
export function pageAssets() {
  assets ??= {
    uplotJs: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    uplotCss: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
    client: readFileSync(new URL('./client.mjs', import.meta.url), 'utf8'),
    css: readFileSync(new URL('./report.css', import.meta.url), 'utf8'),
  };
  return assets;
}

const OUTCOME_LEGEND =
  '<p class="legend">' +
  [
    [
      '#2e8b57',
      'completed',
      'transfer completed and kept, bill settled, binding active, contribution paid',
    ],
    ['#d4a017', 'returned', 'transfer returned at 06:00 (W11), bill cancelled or reversed'],
    ['#8e44ad', 'rejected', 'a decision point said no after acceptance, binding or bill expired'],
    ['#7f8c8d', 'refused', 'refused at the request: nothing started'],
    ['#e74c3c', 'open', 'no outcome at the end of the run: lost or stuck (dots mark every one)'],
  ]
    .map(
      ([color, name, what]) => `<span style="background:${color}"></span><b>${name}</b>: ${what}`,
    )
    .join('<br>') +
  '</p>';

const n = (x: number) => x.toLocaleString('en-US');

function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  return (
    `<table><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>` +
    rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('') +
    '</table>'
  );
}

function invariantsSection(result: ResultFile): string {
  const rows = Object.entries(result.invariants).map(
    ([name, inv]) =>
      `<tr class="${inv.ok ? 'ok' : 'fail'}"><td>${inv.ok ? '✓' : '✗'}</td>` +
      `<td><b>${esc(name)}</b></td>` +
      `<td>${inv.ok ? '<span class="muted">holds</span>' : esc(inv.detail ?? '')}</td>` +
      `<td class="n">${inv.violations ?? 0}</td></tr>`,
  );
  const replay =
    result.failure === undefined ? '' : `<p>Replay: <code>${esc(result.failure.replay)}</code></p>`;
  return (
    '<h2 id="invariants">Invariants</h2>' +
    '<table><tr><th></th><th>invariant</th><th>detail</th><th>violations</th></tr>' +
    `${rows.join('')}</table>${replay}`
  );
}

function headerSection(result: ResultFile): string {
  const failed = Object.entries(result.invariants).filter(([, inv]) => !inv.ok);
  const verdict = result.ok
    ? '<div class="verdict ok" id="verdict">All invariants hold</div>'
    : `<div class="verdict fail" id="verdict">${failed.length} invariant(s) violated: ` +
      `${esc(failed.map(([name]) => name).join(', '))}</div>`;
  const c = result.counts;
  const sum = (suffix: string) =>
    Object.entries(c)
      .filter(([k]) => k.startsWith('transfer.') && k.endsWith(suffix))
      .reduce((a, [, v]) => a + v, 0);
  const facts: Array<[string, string]> = [
    ['runtime', result.runtime],
    ['scenario', result.scenario],
    ['seed', String(result.seed)],
    ['variant', result.variant],
    ['trace hash', result.traceHash ?? '—'],
    ['virtual time', result.virtualTime],
    ['wallets', n(result.population.wallets)],
    ['deliveries', n(result.network.deliveries ?? 0)],
    ['transfers completed', n(sum('.completed'))],
    [
      'transfer latency p50 / p99 / max',
      `${result.latencyMs.p50} / ${result.latencyMs.p99} / ${result.latencyMs.max} ms`,
    ],
    ['faults', String(result.faults.length)],
    ['wall time', `${(result.wallMs / 1000).toFixed(1)} s`],
  ];
  return (
    `<h1>gongji ${esc(result.scenario)} · seed ${result.seed} · ${esc(result.variant)}</h1>` +
    verdict +
    table(
      [],
      facts.map(([k, v]) => [`<b>${esc(k)}</b>`, esc(v)]),
    )
  );
}

function timelineSections(t: TimelinePart | null): string {
  if (t === null) {
    return (
      '<h2 id="time">Over time</h2><p class="muted">A live cluster has no virtual clock, so this ' +
      'run has no time series; the live dashboard shows a cluster while it runs.</p>'
    );
  }
  const faults =
    t.faults.length === 0
      ? '<p class="muted">No faults were injected.</p>'
      : `<p>Shaded: ${t.faults.length} fault window(s), crashes grey, network faults orange.</p>`;
  return (
    `<h2 id="time">Throughput and latency</h2>${faults}` +
    `<p class="muted">Buckets of ${t.bucketMs / 1000} virtual s over the workload's window ` +
    `(${fmtTime(t.windowMs)}); drag to zoom, double-click to reset.</p>` +
    '<div class="chart" id="chart-throughput"></div><div class="chart" id="chart-latency"></div>' +
    '<h2 id="operations">Every operation, by what became of it</h2>' +
    OUTCOME_LEGEND +
    ['transfer', 'bill', 'bind', 'contribution']
      .map((flow) => `<div class="chart" id="chart-ops-${flow}"></div>`)
      .join('')
  );
}

function moneySection(t: TimelinePart | null, result: ResultFile): string {
  const rows = Object.entries(result.money).map(([k, v]) => [
    esc(k),
    `<span class="n">${esc(v)}</span>`,
  ]);
  if (t === null) return `<h2 id="money">Money</h2>${table(['class', 'yuan'], rows)}`;
  const classes = Object.keys(t.daily.money) as Array<keyof typeof t.daily.money>;
  const samples = t.daily.money[classes[0] as keyof typeof t.daily.money].length;
  let off = 0;
  const opening = BigInt(t.opening.replace('.', ''));
  for (let i = 0; i < samples; i++) {
    let sum = 0n;
    for (const cls of classes) sum += BigInt(t.daily.money[cls][i] ?? 0);
    if (sum !== opening) off++;
  }
  const law =
    off === 0
      ? '<p id="law-check">At every day\'s end the classes add up to the opening ' +
        `${yuanText(opening)} ` +
        `(${samples} samples).</p>`
      : `<p id="law-check" class="verdict fail">At ${off} of ${samples} day ends the classes ` +
        'do not ' +
        `add up to the opening ${yuanText(opening)}.</p>`;
  const sparks = classes
    .map((cls) =>
      sparkline({
        id: `spark-${cls}`,
        label: cls,
        values: t.daily.money[cls],
        format: (x) => yuanText(x),
      }),
    )
    .join('');
  return (
    '<h2 id="money">Money</h2><div class="chart" id="chart-money"></div>' +
    `<h3>Every class of the conservation law, at each virtual day's end</h3>${law}` +
    `<div class="sparks">${sparks}</div>`
  );
}

function fundsSection(t: TimelinePart | null): string {
  if (t === null || t.provinces.length === 0) return '';
  const days = t.daily.funds[0]?.length ?? 0;
  const cells = t.provinces.flatMap((p, row) => {
    let before = BigInt(t.fundsOpened[row] ?? 0);
    return (t.daily.funds[row] ?? []).flatMap((v, col) => {
      const level = BigInt(v);
      const flow = level - before;
      before = level;
      if (flow === 0n) return [];
      const sign = flow > 0n ? '+' : '';
      const title =
        `${provinceLabel(p, true)}, day ${col}: ${sign}${yuanText(flow)}, ` +
        `${yuanText(level)} at its end`;
      return [{ row, col, value: flow, title }];
    });
  });
  return (
    '<h2 id="funds">Pooling funds by province</h2>' +
    "<p>Each province's pooling funds (its regions' employee and resident funds and its pool " +
    "for national clearing), each virtual day's net flow: blue in, red out, white none, " +
    "darker is more (log scale). Bills pay providers out of the treatment region's funds on " +
    'the day; clearing moves money between provinces weeks later. Hover a cell for the ' +
    'figures.</p>' +
    heatmap({
      id: 'funds-heatmap',
      rows: t.provinces.map((p) => provinceLabel(p)),
      cols: Array.from({ length: days }, (_, d) => `D${d}`),
      cells,
      colLabelEvery: Math.max(1, Math.ceil(days / 40)),
    })
  );
}

function clearingSection(pictures: RunPictures | null): string {
  if (pictures === null || pictures.clearing.length === 0)
    return '<h2 id="clearing">Clearing</h2><p class="muted">No national clearing lines.</p>';
  const months = pictures.clearing.map((m) => {
    const index = new Map(m.provinces.map((p, i) => [p, i]));
    const total = m.cells.reduce((a, [, , fen]) => a + BigInt(fen), 0n);
    return (
      `<h3>Month ${String(m.month).slice(0, 4)}-${String(m.month).slice(4)}: ` +
      `${m.cells.length} province pairs, ${yuanText(total)}</h3>` +
      heatmap({
        id: `clearing-${m.month}`,
        rows: m.provinces.map((p) => `${provinceLabel(p)} pays`),
        cols: m.provinces.map((p) => provinceLabel(p)),
        cells: m.cells.map(([payer, payee, fen]) => ({
          row: index.get(payer) as number,
          col: index.get(payee) as number,
          value: BigInt(fen),
          title: `${provinceLabel(payer, true)} → ${provinceLabel(payee, true)}: ${yuanText(fen)}`,
        })),
      })
    );
  });
  return (
    '<h2 id="clearing">Clearing between provinces</h2>' +
    "<p>Each month's national clearing lines (F5), payer province by row, payee by column, net " +
    'of reversals; darker is more (log scale).</p>' +
    months.join('')
  );
}

function sequenceSection(pictures: RunPictures | null): string {
  const seq = pictures?.sequence;
  if (seq === null || seq === undefined) return '';
  const v = seq.violation;
  const skipped = seq.skipped > 0 ? `, ${n(seq.skipped)} earlier ones left out` : '';
  const highlighted =
    seq.highlight.length > 0
      ? `highlighted: the messages of ${esc(seq.highlight.join(', '))}; `
      : '';
  const where =
    v.address !== null
      ? `at ${fmtTime(v.at)}, on ${esc(v.address)}`
      : seq.focused === true
        ? `at the final checks (${fmtTime(v.at)}); shown: every message of the ids it names, ` +
          'from a second run of the same scenario'
        : `at the final checks (${fmtTime(v.at)}); the last deliveries of the run are shown`;
  return (
    '<h2 id="sequence">Counterexample</h2>' +
    `<p><b>${esc(v.invariant)}</b> broke ${where}: ${esc(v.detail)}</p>` +
    `<p>${n(seq.messages.length)} deliveries shown${skipped}; ${highlighted}` +
    'the thick red arrow is the last delivery to the actor before the violation. Hover an ' +
    'arrow for its times.</p>' +
    `<div class="scroll">${sequenceDiagram(seq)}</div>`
  );
}

function countsSection(result: ResultFile): string {
  const nonzero = Object.entries(result.counts).filter(([, v]) => v !== 0);
  const reasons = Object.entries(result.reasons);
  const faults =
    result.faults.length === 0
      ? '<p class="muted">none</p>'
      : `<ul>${result.faults.map((f) => `<li><code>${esc(f)}</code></li>`).join('')}</ul>`;
  const kv = (o: Record<string, unknown>) =>
    Object.entries(o).map(([k, v]) => [esc(k), `<span class="n">${esc(String(v))}</span>`]);
  return (
    '<h2 id="counts">Counts</h2>' +
    table(
      ['outcome', 'count'],
      nonzero.map(([k, v]) => [esc(k), `<span class="n">${n(v)}</span>`]),
    ) +
    (reasons.length > 0
      ? `<h3>Reasons</h3>${table(['reason', 'count'], kv(result.reasons))}`
      : '') +
    `<h3>Network</h3>${table(['counter', 'value'], kv(result.network))}` +
    (Object.keys(result.boundary).length > 0
      ? `<h3>Frames refused at the boundary</h3>${table(['code', 'count'], kv(result.boundary))}`
      : '') +
    `<h3>Faults</h3>${faults}` +
    `<p>Last fault healed at ${esc(result.lastHealAt)}; lifecycle bound ` +
    `${result.lifecycleBoundMs} ms.</p>` +
    (result.performance === null
      ? ''
      : `<h3>Cost</h3>${table(['measure', 'value'], kv({ ...result.performance }))}`)
  );
}

/** The page's data: the time series the page's script draws, nothing else. */
function pageData(pictures: RunPictures | null): string {
  const json = JSON.stringify({ timeline: pictures?.timeline ?? null });
  return json.replaceAll('<', '\\u003c');
}

/** report.html for one run. */
export function renderReport(result: ResultFile, pictures: RunPictures | null): string {
  const { uplotJs, uplotCss, client, css } = pageAssets();
  const t = pictures?.timeline ?? null;
  const nav = [
    ['invariants', 'invariants'],
    ...(pictures?.sequence ? [['sequence', 'counterexample']] : []),
    ['time', 'over time'],
    ['operations', 'operations'],
    ['money', 'money'],
    ['funds', 'funds'],
    ['clearing', 'clearing'],
    ['counts', 'counts'],
  ];
  const sections = [
    headerSection(result),
    `<nav>${nav.map(([id, text]) => `<a href="#${id}">${text}</a>`).join('')}</nav>`,
    invariantsSection(result),
    sequenceSection(pictures),
    timelineSections(t),
    moneySection(t, result),
    fundsSection(t),
    clearingSection(pictures),
    countsSection(result),
  ];
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>gongji report: ${esc(result.scenario)} seed ${result.seed} ` +
    `${result.ok ? 'ok' : 'FAILED'}</title>` +
    `<style>${uplotCss}\n${css}</style></head><body>${sections.join('\n')}` +
    `<script type="application/json" id="report-data">${pageData(pictures)}</script>` +
    `<script>${uplotJs}</script><script type="module">${client}</script></body></html>\n`
  );
}
