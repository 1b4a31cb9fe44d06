// report.html's own script: the time series, drawn with uPlot from the JSON the page carries
// (report/render.ts puts both in the page, so it works offline from one file). Plain browser
// JavaScript, no build step. Each chart records what it drew in window.gongjiCharts, which the
// browser test (report/report.browser.test.ts) reads.

const data = JSON.parse(document.getElementById('report-data').textContent);
const charts = [];
window.gongjiCharts = charts;

const COLORS = {
  completed: '#2e8b57',
  returned: '#d4a017',
  rejected: '#8e44ad',
  refused: '#7f8c8d',
  open: '#e74c3c',
};

/** Axis steps in virtual seconds: ticks fall on round minutes, hours and days. */
const TIME_STEPS = [
  0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600,
  43200, 86400, 172800, 604800,
];

/** Virtual seconds as D<day>+hh:mm. */
function vtime(seconds) {
  const s = Math.round(seconds);
  const day = Math.floor(s / 86400);
  const rest = s - day * 86400;
  const pad = (n) => String(Math.floor(n)).padStart(2, '0');
  const sec = rest % 60 === 0 ? '' : `:${pad(rest % 60)}`;
  return `D${day}+${pad(rest / 3600)}:${pad((rest % 3600) / 60)}${sec}`;
}

function yuan(fen) {
  return `¥${(fen / 100).toLocaleString('en-US', { maximumFractionDigits: 0 })}`;
}

/** Shade each fault window behind the series (crashes grey, network faults orange). */
function shadeFaults(u) {
  const { ctx } = u;
  const { left, top, width, height } = u.bbox;
  ctx.save();
  for (const f of data.timeline.faults) {
    const x1 = Math.max(left, u.valToPos(f.startMs / 1000, 'x', true));
    const x2 = Math.min(left + width, u.valToPos(f.endMs / 1000, 'x', true));
    if (x2 <= left || x1 >= left + width) continue;
    ctx.fillStyle = f.type === 'crash' ? 'rgba(90,90,90,0.15)' : 'rgba(230,126,34,0.15)';
    ctx.fillRect(x1, top, Math.max(1, x2 - x1), height);
  }
  ctx.restore();
}

function chart(id, title, series, columns, yLabel, extra = {}) {
  const el = document.getElementById(id);
  const xs = data.timeline.deliveries.map((_, i) => ((i + 0.5) * data.timeline.bucketMs) / 1000);
  const opts = {
    title,
    width: Math.max(480, el.clientWidth - 10),
    height: 260,
    scales: { x: { time: false }, ...(extra.scales ?? {}) },
    axes: [
      { values: (u, vals) => vals.map(vtime), space: 90, incrs: TIME_STEPS },
      { label: yLabel, size: 70, values: extra.yValues },
    ],
    series: [{ label: 'virtual time', value: (u, v) => (v === null ? '' : vtime(v)) }, ...series],
    hooks: { drawClear: [shadeFaults] },
    cursor: { drag: { x: true, y: false } },
  };
  const u = new window.uPlot(opts, [xs, ...columns], el);
  const points = columns.reduce((n, col) => n + col.filter((v) => v !== null && v !== 0).length, 0);
  charts.push({ id, series: columns.length, points, canvas: u.ctx.canvas.id || null });
  return u;
}

function perSecond(counts) {
  const seconds = data.timeline.bucketMs / 1000;
  return counts.map((n) => n / seconds);
}

function drawThroughput() {
  const t = data.timeline;
  chart(
    'chart-throughput',
    'Throughput (per virtual second)',
    [
      { label: 'deliveries/s', stroke: '#2c7fb8', width: 1.5 },
      { label: 'transfers completed/s', stroke: '#2e8b57', width: 1.5 },
      { label: 'bills settled/s', stroke: '#d95f0e', width: 1.5 },
    ],
    [perSecond(t.deliveries), perSecond(t.transfersCompleted), perSecond(t.billsSettled)],
    'per second',
  );
  chart(
    'chart-latency',
    'Transfer latency, accepted → outcome (virtual ms), by the bucket each ended in',
    [
      { label: 'p50', stroke: '#2c7fb8', width: 1.5 },
      { label: 'p99', stroke: '#d95f0e', width: 1.5 },
      { label: 'max', stroke: '#c0392b', width: 1, dash: [4, 3] },
    ],
    // Log scale: one transfer caught in a ten-minute partition would flatten the rest.
    [t.latency.p50, t.latency.p99, t.latency.max].map((xs) => xs.map((v) => (v > 0 ? v : null))),
    'ms (log)',
    { scales: { y: { distr: 3 } } },
  );
}

/** Each flow's operations by the bucket they started in, stacked by outcome (height = rate). */
function drawOperations() {
  const t = data.timeline;
  for (const flow of Object.keys(t.operations)) {
    const byOutcome = t.operations[flow];
    const outcomes = Object.keys(byOutcome);
    const total = outcomes.reduce((n, o) => n + byOutcome[o].reduce((a, b) => a + b, 0), 0);
    if (total === 0) {
      document.getElementById(`chart-ops-${flow}`).textContent = `no ${flow} operations`;
      continue;
    }
    // Stack bottom-up in the order given; draw the tallest first so each band shows.
    const stacked = [];
    let below = t.deliveries.map(() => 0);
    for (const o of outcomes) {
      below = below.map((v, i) => v + byOutcome[o][i]);
      stacked.push(perSecond(below));
    }
    const series = outcomes
      .map((o, k) => ({
        label: `${o} (${byOutcome[o].reduce((a, b) => a + b, 0)})`,
        stroke: COLORS[o],
        fill: COLORS[o],
        width: 1,
        value: (u, v, si, i) => (i === null ? '' : String(byOutcome[o][i])),
        // Every bucket with an open operation gets a dot: one lost transfer stands out.
        points:
          o === 'open'
            ? {
                show: true,
                size: 7,
                fill: COLORS.open,
                filter: () => byOutcome.open.flatMap((v, i) => (v > 0 ? [i] : [])),
              }
            : { show: false },
        k,
      }))
      .reverse();
    const columns = stacked.slice().reverse();
    chart(
      `chart-ops-${flow}`,
      `${flow} operations by start time, stacked by outcome (per second)`,
      series,
      columns,
      'per second',
    );
  }
}

function drawMoney() {
  const t = data.timeline;
  const classes = ['held', 'transit', 'provincial', 'contributed'];
  chart(
    'chart-money',
    'Money in flight (yuan): held for transfers and bills, between funds, in provincial ' +
      'clearing, on its way to a fund',
    classes.map((cls, k) => ({
      label: cls,
      stroke: ['#2c7fb8', '#d95f0e', '#2e8b57', '#8e44ad'][k],
      width: 1.5,
      value: (u, v) => (v === null ? '' : yuan(v * 100)),
    })),
    classes.map((cls) => t.money[cls].map((fen) => fen / 100)),
    'yuan',
  );
}

if (data.timeline !== null) {
  drawThroughput();
  drawOperations();
  drawMoney();
}
document.body.dataset.drawn = String(charts.length);
