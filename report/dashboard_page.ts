// The live dashboard's page (cluster/dashboard.ts serves it): one self-contained HTML file with
// uPlot inlined, which fetches /state.json every second and redraws itself. No CDN.
import { readFileSync } from 'node:fs';

import { pageAssets } from './render.ts';

let dashboard: { script: string; style: string } | undefined;

/** The dashboard's page: static; everything it shows comes from /state.json. */
export function renderDashboardPage(): string {
  const { uplotJs, uplotCss, css } = pageAssets();
  dashboard ??= {
    script: readFileSync(new URL('./dashboard.mjs', import.meta.url), 'utf8'),
    style: readFileSync(new URL('./dashboard.css', import.meta.url), 'utf8'),
  };
  const { script, style } = dashboard;
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>gongji live</title>' +
    `<style>${uplotCss}\n${css}\n${style}</style></head><body>` +
    '<h1>gongji on NATS: live</h1>' +
    '<div id="verdict" class="verdict wait">waiting for the first poll</div>' +
    '<p id="stale" class="muted"></p><div id="numbers"></div><div id="chart"></div>' +
    '<h2>Invariants</h2><table id="invariants"></table>' +
    '<h2>Actors</h2><table id="actors"></table>' +
    '<h2>What happened</h2><pre id="events"></pre>' +
    '<h2>Frames refused at the boundary</h2><pre id="refused"></pre>' +
    `<script>${uplotJs}</script><script>${script}</script></body></html>\n`
  );
}
