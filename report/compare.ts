// compare.html: designs side by side (gongji compare). One table of every measure per design,
// its seeds summed (violations) or at their worst (latency, liveness), the best of each measure
// marked; a bar chart per measure drawn as SVG; each run per seed; each violation in full; and a
// link to each design's own report.html. Static: no script, nothing fetched.
import type { CompareRun, Comparison } from '../world/comparison.ts';
import { esc } from './svg.ts';

interface Measure {
  readonly id: string;
  readonly label: string;
  /** Lower is better for every measure here. */
  readonly value: (runs: readonly CompareRun[]) => number | null;
  readonly format: (x: number | null) => string;
  readonly explain: string;
}

const worst = (runs: readonly CompareRun[], f: (r: CompareRun) => number) =>
  Math.max(...runs.map(f));
const mean = (runs: readonly CompareRun[], f: (r: CompareRun) => number) =>
  runs.reduce((a, r) => a + f(r), 0) / Math.max(1, runs.length);
const yuan = (text: string) => Number(text);

const MEASURES: readonly Measure[] = [
  {
    id: 'violations',
    label: 'invariant violations',
    value: (runs) => runs.reduce((n, r) => n + r.violations.length, 0),
    format: (x) => String(x),
    explain:
      'invariants that failed, summed over the seeds: above 0, the design loses or invents ' +
      'money, or loses a transfer',
  },
  {
    id: 'liveness',
    label: 'liveness after the last heal',
    value: (runs) =>
      runs.some((r) => r.livenessAfterHealMs === null)
        ? null
        : worst(runs, (r) => r.livenessAfterHealMs ?? 0),
    format: (x) => (x === null ? 'never' : `${(x / 1000).toFixed(1)} s`),
    explain:
      'how long after the last fault healed the transfers it caught took to end (worst seed); ' +
      'never: one did not',
  },
  {
    id: 'messages',
    label: 'messages per transfer',
    value: (runs) => mean(runs, (r) => r.messagesPerTransfer),
    format: (x) => (x ?? 0).toFixed(2),
    explain:
      'transfer-protocol messages delivered (retries and duplicates included) per accepted ' +
      'transfer',
  },
  {
    id: 'writes',
    label: 'durable writes per transfer',
    value: (runs) => mean(runs, (r) => r.writesPerTransfer),
    format: (x) => (x ?? 0).toFixed(2),
    explain: 'records written by the steps those messages caused, per accepted transfer',
  },
  {
    id: 'p50',
    label: 'latency p50',
    value: (runs) => worst(runs, (r) => r.latencyMs.p50),
    format: (x) => `${x} ms`,
    explain: 'accepted → outcome, virtual ms (worst seed)',
  },
  {
    id: 'p99',
    label: 'latency p99',
    value: (runs) => worst(runs, (r) => r.latencyMs.p99),
    format: (x) => `${x} ms`,
    explain: 'accepted → outcome, virtual ms (worst seed)',
  },
  {
    id: 'inflight',
    label: 'donor money in flight, peak',
    value: (runs) => worst(runs, (r) => yuan(r.inFlightPeak)),
    format: (x) => `¥${(x ?? 0).toLocaleString('en-US', { maximumFractionDigits: 2 })}`,
    explain:
      'taken from donors and not yet in a wallet: held (reference) or charged and not credited ' +
      '(debitFirst)',
  },
  {
    id: 'unbacked',
    label: 'unbacked credit, peak',
    value: (runs) => worst(runs, (r) => yuan(r.unbackedPeak)),
    format: (x) => `¥${(x ?? 0).toLocaleString('en-US', { maximumFractionDigits: 2 })}`,
    explain:
      'wallet money credited with no donor money held or charged behind it yet ' +
      '(optimisticCredit): what a late claw-back can lose',
  },
];

const COLORS = ['#2c7fb8', '#d95f0e', '#2e8b57', '#8e44ad', '#c0392b', '#7f8c8d'];

function bars(measure: Measure, names: readonly string[], values: readonly (number | null)[]) {
  const width = 420;
  const row = 22;
  const left = 190;
  const max = Math.max(1e-9, ...values.map((v) => v ?? 0));
  const parts = names.map((name, i) => {
    const v = values[i] ?? null;
    const w = v === null ? 0 : ((width - left - 80) * v) / max;
    const y = i * row + 4;
    return (
      `<text x="${left - 6}" y="${y + 13}" text-anchor="end">${esc(name)}</text>` +
      `<rect class="bar" x="${left}" y="${y}" width="${Math.max(w, v === 0 ? 0 : 1).toFixed(1)}" ` +
      `height="${row - 6}" fill="${COLORS[i % COLORS.length]}"><title>${esc(
        `${name}: ${measure.format(v)}`,
      )}</title></rect>` +
      `<text x="${left + w + 6}" y="${y + 13}">${esc(measure.format(v))}</text>`
    );
  });
  const height = names.length * row + 8;
  return (
    `<figure class="measure"><figcaption><b>${esc(measure.label)}</b><br><small>` +
    `${esc(measure.explain)}</small></figcaption><svg id="bars-${measure.id}" width="${width}" ` +
    `height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">` +
    `${parts.join('')}</svg></figure>`
  );
}

const STYLE =
  'body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1280px;padding:0 16px 48px}' +
  'table{border-collapse:collapse}td,th{padding:3px 10px;border-bottom:1px solid #eee;' +
  'text-align:left;vertical-align:top}td.n{text-align:right;font-variant-numeric:tabular-nums}' +
  'td.best{background:#e6f4ea;font-weight:600}td.bad{background:#fdecea;color:#a3261b}' +
  '.measures{display:flex;flex-wrap:wrap;gap:12px 28px}.measure{margin:0}' +
  '.measure text{font-size:11px}.muted{color:#777}code{font-size:12px}';

/** compare.html. `folderOf` names each design's folder, where its report.html is. */
export function renderComparison(c: Comparison, folderOf: (design: string) => string): string {
  const names = c.designs.map((d) => d.name);
  const liveness = (r: CompareRun) =>
    r.livenessAfterHealMs === null ? 'never' : (r.livenessAfterHealMs / 1000).toFixed(1);
  const byDesign = names.map((name) => c.runs.filter((r) => r.design === name));
  const values = MEASURES.map((m) => byDesign.map((runs) => m.value(runs)));
  const charts = MEASURES.map((m, k) => bars(m, names, values[k] ?? [])).join('');
  const head =
    '<tr><th>design</th>' + MEASURES.map((m) => `<th>${esc(m.label)}</th>`).join('') + '</tr>';
  const body = names
    .map((name, i) => {
      const cells = MEASURES.map((m, k) => {
        const v = values[k]?.[i] ?? null;
        const row = values[k] ?? [];
        const finite = row.filter((x): x is number => x !== null);
        const best = v !== null && finite.length > 1 && v === Math.min(...finite);
        const bad = (m.id === 'violations' && (v ?? 0) > 0) || (m.id === 'liveness' && v === null);
        return `<td class="n${bad ? ' bad' : best ? ' best' : ''}">${esc(m.format(v))}</td>`;
      }).join('');
      const link = `<a href="${esc(folderOf(name))}/report.html">${esc(name)}</a>`;
      return `<tr><td>${link}</td>${cells}</tr>`;
    })
    .join('');
  const perSeed = c.runs
    .map(
      (r) =>
        `<tr><td>${esc(r.design)}</td><td class="n">${r.seed}</td>` +
        `<td>${r.ok ? 'ok' : '<b>VIOLATED</b>'}</td>` +
        `<td class="n">${r.transfersAccepted}</td><td class="n">${r.transfersCompleted}</td>` +
        `<td class="n">${r.messagesPerTransfer}</td><td class="n">${r.writesPerTransfer}</td>` +
        `<td class="n">${r.latencyMs.p50} / ${r.latencyMs.p99} / ${r.latencyMs.max}</td>` +
        `<td class="n">${liveness(r)}</td>` +
        `<td class="n">${esc(r.inFlightPeak)} / ${esc(r.inFlightMean)}</td>` +
        `<td><code>${esc(r.traceHash)}</code></td></tr>`,
    )
    .join('');
  const violations = c.runs.flatMap((r) =>
    r.violations.map(
      (v) =>
        `<li><b>${esc(r.design)}</b>, seed ${r.seed}: <b>${esc(v.invariant)}</b>: ` +
        `${esc(v.detail)}</li>`,
    ),
  );
  const knobs = c.designs
    .map(
      (d) =>
        `<li><b>${esc(d.name)}</b>: variant <code>${esc(d.variant)}</code>` +
        Object.entries(d.knobs)
          .map(([k, v]) => `, <code>${esc(k)}</code> = <code>${esc(String(v))}</code>`)
          .join('') +
        '</li>',
    )
    .join('');
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    `<title>gongji compare: ${esc(names.join(' vs '))}</title>` +
    `<style>${STYLE}</style></head><body>` +
    `<h1>gongji compare: ${esc(names.join(' · '))}</h1>` +
    `<p>Scenario <b>${esc(c.scenario)}</b>, ${c.wallets.toLocaleString('en-US')} wallets, seeds ` +
    `${esc(c.seeds.join(', '))}: every design ran the same population, workload and fault ` +
    `schedule (${c.faults.length} faults, the last healed at ${esc(c.lastHealAt)}).</p>` +
    `<ul>${knobs}</ul>` +
    `<h2>Side by side</h2><table id="comparison">${head}${body}</table>` +
    '<p class="muted">Green: the best of a measure; red: a violation, or transfers that never ' +
    'ended. Violations are summed over the seeds, the other measures taken at the worst seed ' +
    "(messages and writes: the mean). A design's name opens its first run's report.</p>" +
    `<div class="measures">${charts}</div>` +
    (violations.length > 0
      ? `<h2>Violations</h2><ul id="violations">${violations.join('')}</ul>`
      : '<h2>Violations</h2><p id="violations">None: every design held every invariant on ' +
        'every seed.</p>') +
    '<h2>Every run</h2><table id="runs"><tr><th>design</th><th>seed</th><th>verdict</th>' +
    '<th>accepted</th><th>completed</th><th>messages / transfer</th><th>writes / transfer</th>' +
    '<th>latency p50 / p99 / max ms</th><th>liveness s</th><th>in flight peak / mean ¥</th>' +
    `<th>trace hash</th></tr>${perSeed}</table>` +
    `<h2>Faults</h2><ul>${c.faults.map((f) => `<li><code>${esc(f)}</code></li>`).join('')}</ul>` +
    '</body></html>\n'
  );
}
