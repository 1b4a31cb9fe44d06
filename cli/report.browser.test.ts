// report.html in a real browser (headless Chromium, testing/browser.ts): a run that held and one
// that failed (the noDedup negative control) are written by the CLI, opened from the file with
// no network, and must draw every chart's data and the counterexample's arrows without a
// console error. Screenshots are kept under out/report-browser/ for a human to look at.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { renderDashboardPage } from '../report/dashboard_page.ts';
import { launchChromium } from '../testing/browser.ts';
import { main } from './main.ts';

const SHOTS = join('out', 'report-browser');
const small = ['--wallets', '2000', '--transfers', '1000', '--quiet'];

const made: string[] = [];

function report(args: readonly string[]): { path: string; code: number } {
  const out = mkdtempSync(join(tmpdir(), 'gongji-report-'));
  made.push(out);
  const code = main(['run', ...small, ...args, '--out', out]) as number;
  return { path: join(out, 'report.html'), code };
}

interface Opened {
  readonly page: Page;
  readonly errors: string[];
  readonly requests: string[];
}

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
  mkdirSync(SHOTS, { recursive: true });
});
// Pages stay open until the browser closes: the packaged Chromium runs as one process, and
// closing its last page ends it.
afterAll(async () => {
  await browser?.close();
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

async function open(path: string): Promise<Opened> {
  // A locale Chromium knows: uPlot formats numbers with the page's language.
  const page = await browser.newPage({ locale: 'en-US', viewport: { width: 1300, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => {
    if (!r.url().startsWith('file:')) requests.push(r.url());
  });
  await page.goto(`file://${path}`);
  await page.waitForFunction('document.body.dataset.drawn !== undefined', null, {
    timeout: 20_000,
  });
  return { page, errors, requests };
}

/** Each chart's canvas has pixels of more than one colour: something was drawn on it. */
async function chartsDrawn(page: Page): Promise<Record<string, number>> {
  // Run in the page (this project's types have no DOM: the function is the page's text).
  return page.evaluate(`(() => {
    const out = {};
    for (const chart of document.querySelectorAll('.chart')) {
      const canvas = chart.querySelector('canvas');
      if (canvas === null) continue;
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      const colours = new Set();
      for (let i = 0; i < data.length && colours.size < 50; i += 4 * 97)
        colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      out[chart.id] = colours.size;
    }
    return out;
  })()`);
}

describe('report.html in headless Chromium', () => {
  it('a run that held: every chart draws its data, offline, with no console error', async () => {
    const { path, code } = report(['--seed', '3']);
    expect(code).toBe(0);
    expect(statSync(path).size).toBeLessThan(1_000_000);
    const { page, errors, requests } = await open(path);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    const charts: Array<{ id: string; points: number }> =
      await page.evaluate('window.gongjiCharts');
    expect(charts.map((c) => c.id).sort()).toEqual(
      [
        'chart-latency',
        'chart-money',
        'chart-ops-bill',
        'chart-ops-bind',
        'chart-ops-contribution',
        'chart-ops-transfer',
        'chart-throughput',
      ].sort(),
    );
    for (const c of charts) expect(c.points, c.id).toBeGreaterThan(0);
    const drawn = await chartsDrawn(page);
    expect(Object.keys(drawn)).toHaveLength(charts.length);
    for (const [id, colours] of Object.entries(drawn)) expect(colours, id).toBeGreaterThan(3);
    expect(await page.locator('#verdict').textContent()).toBe('All invariants hold');
    expect(await page.locator('#funds-heatmap rect.cell').count()).toBeGreaterThan(10);
    expect(await page.locator('svg[id^=clearing-] rect.cell').count()).toBeGreaterThan(0);
    expect(await page.locator('#sequence-diagram').count()).toBe(0);
    await page.screenshot({ path: join(SHOTS, 'passing.png'), fullPage: false });
    await page.locator('#chart-ops-transfer').screenshot({ path: join(SHOTS, 'operations.png') });
  });

  it('a failed run: the verdict names the invariants, the diagram draws its arrows', async () => {
    const { path, code } = report(['--seed', '1', '--variant', 'noDedup']);
    expect(code).toBe(1);
    const { page, errors } = await open(path);
    expect(errors).toEqual([]);
    expect(await page.locator('#verdict').textContent()).toMatch(/invariant\(s\) violated/);
    const arrows = page.locator('#sequence-diagram g.msg line');
    expect(await arrows.count()).toBe(2000);
    expect(await page.locator('#sequence-diagram g.msg.violating').count()).toBe(1);
    expect(await page.locator('#sequence-diagram g.violation circle').count()).toBe(1);
    // The arrows were laid out: the diagram has a real size, lanes apart.
    const box = await page.locator('#sequence-diagram').boundingBox();
    expect(box?.height).toBeGreaterThan(2000 * 10);
    const html = readFileSync(path, 'utf8');
    expect(html).toContain('noDedup');
    await page.locator('#sequence-diagram g.violation').scrollIntoViewIfNeeded();
    await page.locator('.scroll').screenshot({ path: join(SHOTS, 'counterexample.png') });
  });

  it('the live dashboard page draws what /state.json says, and redraws as it changes', async () => {
    const t = [1, 2, 3, 4].map((i) => 1_796_500_000 + i);
    let state = {
      at: 0,
      polls: 1,
      actors: [
        { address: 'wallet.00', up: true, openWork: 3, received: 900, journalSeq: 800, outages: 1 },
        {
          address: 'province.11',
          up: false,
          openWork: 0,
          received: 400,
          journalSeq: 390,
          outages: 2,
        },
      ],
      load: { total: 4000, submitted: 1200, accepted: 1100, refused: 90, unanswered: 10 },
      latencyMs: { p50: 12, p99: 80, max: 361 },
      refusedFrames: { MALFORMED_FRAME: 7 },
      events: ['21:45:01 province.11 stopped answering'],
      series: {
        t,
        receivedPerSecond: [0, 900, 950, 1000],
        answeredPerSecond: [0, 90, 95, 100],
        openWork: [0, 40, 38, 3],
      },
      invariants: null as Record<string, { ok: boolean; detail?: string }> | null,
      checkOk: null as boolean | null,
      report: false,
    };
    const server = createServer((req, res) => {
      const json = req.url?.startsWith('/state.json');
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'text/html' });
      res.end(json ? JSON.stringify(state) : renderDashboardPage());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const page = await browser.newPage({ locale: 'en-US' });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForFunction('Number(document.body.dataset.polls) === 1');
      const numbers = await page.locator('#numbers').innerText();
      expect(numbers).toContain('100\nrequests answered/s');
      expect(numbers).toContain('1200 of 4000');
      expect(numbers).toContain('3\nfaults seen (outages)');
      expect(await page.locator('#actors tr.down').count()).toBe(1);
      expect(await page.locator('#verdict').textContent()).toMatch(/^Running/);
      expect(await page.locator('#chart canvas').count()).toBeGreaterThan(0);
      // The check ends: the next poll shows its verdict and the report's link.
      state = {
        ...state,
        polls: 2,
        invariants: { conservation: { ok: true }, lifecycle: { ok: false, detail: 'stuck <t1>' } },
        checkOk: false,
        report: true,
      };
      await page.waitForFunction('Number(document.body.dataset.polls) === 2', null, {
        timeout: 5_000,
      });
      expect(await page.locator('#verdict').textContent()).toMatch(
        /INVARIANT VIOLATED · the final report/,
      );
      expect(await page.locator('#invariants').innerText()).toContain('stuck <t1>');
      expect(await page.locator('#verdict a').getAttribute('href')).toBe('report.html');
      expect(errors).toEqual([]);
      await page.screenshot({ path: join(SHOTS, 'dashboard.png') });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('compare.html: the designs side by side, every measure drawn as bars, no error', async () => {
    const out = mkdtempSync(join(tmpdir(), 'gongji-compare-'));
    made.push(out);
    expect(main(['compare', ...small, '--seeds', '2', '--out', out])).toBe(0);
    const page = await browser.newPage({
      locale: 'en-US',
      viewport: { width: 1300, height: 1100 },
    });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`file://${join(out, 'compare.html')}`);
    // The default designs: reference, debitFirst, optimisticCredit; a head row and one each.
    expect(await page.locator('#comparison tr').count()).toBe(4);
    const bars = page.locator('svg[id^=bars-] rect.bar');
    expect(await bars.count()).toBe(3 * 8);
    // Drawn, not empty: the messages bars have widths, the longer for the reference.
    const width = async (i: number) =>
      Number(await page.locator('#bars-messages rect.bar').nth(i).getAttribute('width'));
    expect(await width(1)).toBeGreaterThan(10);
    expect(await width(0)).toBeGreaterThan(await width(1));
    await page.locator('#comparison a').first().click();
    await page.waitForFunction('document.body.dataset.drawn !== undefined');
    expect(await page.locator('h1').textContent()).toMatch(/reference/);
    expect(errors).toEqual([]);
    await page.goto(`file://${join(out, 'compare.html')}`);
    await page.screenshot({ path: join(SHOTS, 'compare.png') });
  });
});
