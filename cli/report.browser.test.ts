// report.html in a real browser (headless Chromium, testing/browser.ts): a run that held and one
// that failed (the noDedup negative control) are written by the CLI, opened from the file with
// no network, and must draw every chart's data and the counterexample's arrows without a
// console error. Screenshots are kept under out/report-browser/ for a human to look at.
import { mkdirSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { launchChromium } from '../testing/browser.ts';
import { main } from './main.ts';

const SHOTS = join('out', 'report-browser');
const small = ['--wallets', '2000', '--transfers', '1000', '--quiet'];

function report(args: readonly string[]): { path: string; code: number } {
  const out = mkdtempSync(join(tmpdir(), 'gongji-report-'));
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
});
