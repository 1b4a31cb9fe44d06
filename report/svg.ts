// The hand-drawn pictures of report.html, as SVG text made here (no browser needed to draw them,
// and a test can count their parts): heatmaps, sparklines and the sequence diagram of a failed
// run. The time series are uPlot's, drawn in the page (report/client.mjs).
import { fmtTime } from '../world/faults.ts';
import type { FaultWindow, SequencePart } from '../world/timeline.ts';
import { PROVINCES } from '../world/topology.data.ts';

/** Text for SVG and HTML: the five characters that could end an element or an attribute. */
export function esc(text: string | number): string {
  return String(text)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const NAMES = new Map(PROVINCES.map((p) => [p.code, p]));

/**
 * A province code or address, with its name when it is one of the 31: `long` adds the Chinese
 * name (for tooltips: a browser without CJK fonts would draw boxes in the labels).
 */
export function provinceLabel(codeOrAddress: string, long = false): string {
  const code = codeOrAddress.replace(/^province\./, '');
  const p = NAMES.get(code);
  if (p === undefined) return codeOrAddress;
  return long ? `${p.code} ${p.name} ${p.nameZh}` : `${p.code} ${p.name}`;
}

/** Fen (an integer string or number) in yuan, exact, with thousands separators. */
export function yuanText(fen: string | number | bigint): string {
  const n = BigInt(fen);
  const sign = n < 0n ? '-' : '';
  const abs = n < 0n ? -n : n;
  const whole = (abs / 100n).toLocaleString('en-US');
  return `${sign}¥${whole}.${(abs % 100n).toString().padStart(2, '0')}`;
}

interface HeatCell {
  readonly row: number;
  readonly col: number;
  /** Fen, signed. */
  readonly value: bigint;
  readonly title: string;
}

/**
 * A grid of cells coloured by magnitude on a log scale: blue for positive, red for negative.
 * Rows and columns are labelled; each cell's title gives its exact value.
 */
export function heatmap(opts: {
  readonly id: string;
  readonly rows: readonly string[];
  readonly cols: readonly string[];
  readonly cells: readonly HeatCell[];
  readonly cell?: number;
  readonly colLabelEvery?: number;
}): string {
  const size = opts.cell ?? 14;
  const left = 150;
  const top = 70;
  const width = left + opts.cols.length * size + 10;
  const height = top + opts.rows.length * size + 10;
  let max = 0;
  for (const c of opts.cells) max = Math.max(max, Math.log10(1 + Math.abs(Number(c.value))));
  const parts: string[] = [];
  opts.rows.forEach((r, i) =>
    parts.push(
      `<text x="${left - 4}" y="${top + i * size + size * 0.75}" text-anchor="end">` +
        `${esc(r)}</text>`,
    ),
  );
  const every = opts.colLabelEvery ?? 1;
  opts.cols.forEach((c, j) => {
    if (j % every !== 0) return;
    const x = left + j * size + size * 0.7;
    parts.push(
      `<text x="${x}" y="${top - 4}" transform="rotate(-60 ${x} ${top - 4})">${esc(c)}</text>`,
    );
  });
  for (const c of opts.cells) {
    const strength = max === 0 ? 0 : Math.log10(1 + Math.abs(Number(c.value))) / max;
    const hue = c.value < 0n ? 0 : 215;
    const light = Math.round(96 - 56 * strength);
    parts.push(
      `<rect class="cell" x="${left + c.col * size}" y="${top + c.row * size}" ` +
        `width="${size - 1}" height="${size - 1}" fill="hsl(${hue} 70% ${light}%)">` +
        `<title>${esc(c.title)}</title></rect>`,
    );
  }
  return (
    `<svg id="${esc(opts.id)}" class="heatmap" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`
  );
}

/** A small line over its samples, its first, last, lowest and highest values named. */
export function sparkline(opts: {
  readonly id: string;
  readonly label: string;
  readonly values: readonly number[];
  readonly format: (x: number) => string;
}): string {
  const w = 260;
  const h = 56;
  const { values } = opts;
  const lo = Math.min(...values, 0);
  const hi = Math.max(...values, 0);
  const span = hi - lo || 1;
  const x = (i: number) => 4 + (i * (w - 8)) / Math.max(1, values.length - 1);
  const y = (v: number) => 6 + (h - 12) * (1 - (v - lo) / span);
  const points = values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const last = values.at(-1) ?? 0;
  return (
    `<figure class="spark"><figcaption><b>${esc(opts.label)}</b> ${esc(opts.format(last))}` +
    `<br><small>min ${esc(opts.format(Math.min(...values)))} · max ` +
    `${esc(opts.format(Math.max(...values)))}</small></figcaption>` +
    `<svg id="${esc(opts.id)}" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" ` +
    `xmlns="http://www.w3.org/2000/svg"><line class="zero" x1="0" x2="${w}" ` +
    `y1="${y(0).toFixed(1)}" y2="${y(0).toFixed(1)}"/>` +
    `<polyline class="series" points="${points}"/></svg></figure>`
  );
}

const ROLE_ORDER = ['app', 'wallet', 'province', 'settlement'];
const LANE = 100;

function laneOrder(a: string, b: string): number {
  const ra = ROLE_ORDER.indexOf(a.split('.')[0] ?? '');
  const rb = ROLE_ORDER.indexOf(b.split('.')[0] ?? '');
  return ra !== rb ? ra - rb : a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A Lamport diagram of a failed run: one lane per actor, one arrow per delivered message from
 * its sender at the time it was sent to its receiver at the time it arrived; rows follow the
 * deliveries (one per message), so time runs down at the pace things happened. The violating
 * step is marked on its actor's lane; messages of the ids the violation names are highlighted;
 * crashed nodes are shaded while they are down.
 */
export function sequenceDiagram(seq: SequencePart): string {
  const { messages, violation } = seq;
  const lanes = [
    ...new Set(messages.flatMap((m) => [m.from, m.to]).concat(violation.address ?? [])),
  ].sort(laneOrder);
  const laneX = new Map(lanes.map((lane, i) => [lane, 130 + i * LANE]));
  const row = 16;
  const top = 40;
  const width = 130 + lanes.length * LANE;
  const height = top + (messages.length + 2) * row;
  // Time → y: a delivery's own row; a time between deliveries, the row of the next delivery.
  const times = messages.map((m) => m.at);
  const yOf = (t: number) => {
    let lo = 0;
    let hi = times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((times[mid] as number) < t) lo = mid + 1;
      else hi = mid;
    }
    return top + lo * row + row / 2;
  };
  const highlight = new Set(seq.highlight);
  const parts: string[] = [
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" ' +
      'markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker>' +
      '<marker id="arrow-hl" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" ' +
      'markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" ' +
      'fill="#c0392b"/></marker></defs>',
  ];
  const end = (messages.at(-1)?.at ?? violation.at) + 1;
  const start = messages[0]?.at ?? 0;
  for (const f of seq.faults) {
    if (f.endMs < start || f.startMs > end) continue;
    parts.push(faultShade(f, lanes, laneX, yOf, width));
  }
  for (const lane of lanes) {
    const x = laneX.get(lane) as number;
    parts.push(
      `<line class="lane" x1="${x}" x2="${x}" y1="${top - 10}" y2="${height}"/>` +
        `<text class="lane-name" x="${x}" y="${top - 16}" text-anchor="middle">${esc(lane)}</text>`,
    );
  }
  let lastLabel = -Infinity;
  let violatingIndex = -1;
  messages.forEach((m, i) => {
    if (m.to === violation.address && m.at <= violation.at) violatingIndex = i;
  });
  // The business id of the violating delivery is followed too.
  const culprit = messages[violatingIndex]?.corr;
  if (culprit !== undefined && culprit !== '') highlight.add(culprit);
  messages.forEach((m, i) => {
    const y = top + i * row + row / 2;
    if (i - lastLabel >= 10) {
      parts.push(`<text class="time" x="4" y="${y + 4}">${esc(fmtTime(m.at))}</text>`);
      lastLabel = i;
    }
    const x1 = laneX.get(m.from) as number;
    const x2 = laneX.get(m.to) as number;
    const y1 = Math.min(yOf(m.sentAt), y);
    const hl = highlight.has(m.corr);
    const cls = i === violatingIndex ? 'msg violating' : hl ? 'msg hl' : 'msg';
    const marker = hl || i === violatingIndex ? 'arrow-hl' : 'arrow';
    const when = `${fmtTime(m.sentAt)} → ${fmtTime(m.at)}`;
    const title = `${when} ${m.from} → ${m.to}: ${m.kind} ${m.corr}`;
    const tx = x1 === x2 ? x1 + 6 : (x1 + x2) / 2;
    parts.push(
      `<g class="${cls}"><title>${esc(title)}</title>` +
        `<line x1="${x1}" y1="${y1}" x2="${x2 === x1 ? x2 + 1 : x2}" y2="${y}" ` +
        `marker-end="url(#${marker})"/>` +
        `<text x="${tx}" y="${y - 2}" text-anchor="middle">` +
        `${esc(m.kind)} ${esc(m.corr)}</text></g>`,
    );
  });
  const vx = laneX.get(violation.address ?? '') ?? 130;
  const vy = violation.address === null ? height - row : yOf(violation.at);
  parts.push(
    `<g class="violation"><circle cx="${vx}" cy="${vy}" r="7"/>` +
      `<text x="${vx + 12}" y="${vy + 4}">${esc(violation.invariant)} broken at ` +
      `${esc(fmtTime(violation.at))}</text><title>${esc(violation.detail)}</title></g>`,
  );
  return (
    `<svg id="sequence-diagram" class="sequence" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`
  );
}

function faultShade(
  f: FaultWindow,
  lanes: readonly string[],
  laneX: ReadonlyMap<string, number>,
  yOf: (t: number) => number,
  width: number,
): string {
  const y1 = yOf(f.startMs);
  const y2 = Math.max(yOf(f.endMs), y1 + 2);
  const title = `<title>${esc(f.label)}</title>`;
  if (f.type === 'crash') {
    const node = lanes.find((lane) => f.label.endsWith(` crash ${lane}`));
    const x = node === undefined ? undefined : laneX.get(node);
    if (x !== undefined)
      return (
        `<rect class="down" x="${x - 40}" y="${y1}" width="80" height="${y2 - y1}">` +
        `${title}</rect>`
      );
  }
  return `<rect class="fault" x="0" y="${y1}" width="${width}" height="${y2 - y1}">${title}</rect>`;
}
