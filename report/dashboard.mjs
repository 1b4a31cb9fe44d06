// The live dashboard's script (report/dashboard_page.ts inlines it): fetch /state.json every
// second and redraw. Plain browser JavaScript, no build step.
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
let chart;
function draw(state) {
  const s = state.series;
  const data = [s.t, s.answeredPerSecond, s.receivedPerSecond, s.openWork];
  if (chart === undefined && s.t.length > 1) {
    chart = new window.uPlot(
      {
        width: Math.max(480, $('chart').clientWidth - 10),
        height: 240,
        scales: { x: { time: true } },
        series: [
          {},
          { label: 'requests answered/s', stroke: '#2e8b57', width: 1.5 },
          { label: 'messages received/s', stroke: '#2c7fb8', width: 1.5 },
          { label: 'open work', stroke: '#e74c3c', width: 1, dash: [4, 3] },
        ],
      },
      data,
      $('chart'),
    );
  } else if (chart !== undefined) chart.setData(data);
  const last = (xs) => (xs.length ? xs[xs.length - 1] : 0);
  const load = state.load || { total: 0, submitted: 0, accepted: 0, refused: 0, unanswered: 0 };
  const outages = state.actors.reduce((n, a) => n + a.outages, 0);
  const refused = Object.values(state.refusedFrames).reduce((n, x) => n + x, 0);
  $('numbers').innerHTML = [
    ['requests answered/s', last(s.answeredPerSecond).toFixed(0)],
    ['messages received/s', last(s.receivedPerSecond).toFixed(0)],
    ['transfer latency p50 / p99', state.latencyMs.p50 + ' / ' + state.latencyMs.p99 + ' ms'],
    ['open operations', last(s.openWork)],
    ['requests offered', load.submitted + ' of ' + load.total],
    ['answered: accepted / refused', load.accepted + ' / ' + load.refused],
    ['faults seen (outages)', outages],
    ['frames refused', refused],
  ]
    .map(([k, v]) => '<div class="num"><b>' + esc(v) + '</b><span>' + esc(k) + '</span></div>')
    .join('');
  $('actors').innerHTML =
    '<tr><th>actor</th><th>state</th><th>open work</th><th>received</th>' +
    '<th>journal</th><th>outages</th></tr>' +
    state.actors
      .map(
        (a) =>
          '<tr class="' +
          (a.up ? 'up' : 'down') +
          '"><td>' +
          esc(a.address) +
          '</td><td>' +
          (a.up ? 'up' : 'silent') +
          '</td><td>' +
          a.openWork +
          '</td><td>' +
          a.received +
          '</td><td>' +
          a.journalSeq +
          '</td><td>' +
          a.outages +
          '</td></tr>',
      )
      .join('');
  const inv = state.invariants;
  $('verdict').className =
    'verdict ' + (state.checkOk === null ? 'wait' : state.checkOk ? 'ok' : 'fail');
  $('verdict').innerHTML =
    state.checkOk === null
      ? 'Running: the check judges every invariant once the cluster is quiet'
      : (state.checkOk
          ? 'The check ended: all invariants hold'
          : 'The check ended: INVARIANT VIOLATED') +
        (state.report ? ' · <a href="report.html">the final report</a>' : '');
  $('invariants').innerHTML =
    inv === null
      ? '<tr><td class="muted">pending until the check ends</td></tr>'
      : Object.entries(inv)
          .map(
            ([name, r]) =>
              '<tr class="' +
              (r.ok ? 'up' : 'down') +
              '"><td>' +
              (r.ok ? '✓' : '✗') +
              '</td><td>' +
              esc(name) +
              '</td><td>' +
              esc(r.detail || '') +
              '</td></tr>',
          )
          .join('');
  $('events').textContent = state.events.length ? state.events.join('\n') : 'none yet';
  $('refused').textContent = refused ? JSON.stringify(state.refusedFrames) : 'none';
  document.body.dataset.polls = String(state.polls);
}
async function tick() {
  try {
    const res = await fetch('state.json', { cache: 'no-store' });
    draw(await res.json());
    $('stale').textContent = '';
  } catch (e) {
    $('stale').textContent = 'the dashboard does not answer: ' + e.message;
  }
  setTimeout(tick, 1000);
}
tick();
