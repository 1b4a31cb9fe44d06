// The hand-drawn parts of report.html: text is escaped, money is exact, heatmaps colour by sign,
// and the sequence diagram draws one arrow per delivery from its send to its arrival, marks the
// violating step and shades a crashed node while it is down.
import { describe, expect, it } from 'vitest';

import type { SequencePart } from '../world/timeline.ts';
import { esc, heatmap, provinceLabel, sequenceDiagram, yuanText } from './svg.ts';

const count = (text: string, part: string) => text.split(part).length - 1;

describe('report pictures', () => {
  it('escapes what could end an element or an attribute', () => {
    expect(esc(`<img src=x onerror="a('b')">&`)).toBe(
      '&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;',
    );
  });

  it('writes fen as exact yuan, beyond what a double holds', () => {
    expect(yuanText('900719925474099312')).toBe('¥9,007,199,254,740,993.12');
    expect(yuanText(-5)).toBe('-¥0.05');
    expect(yuanText(0n)).toBe('¥0.00');
    expect(provinceLabel('province.44')).toBe('44 Guangdong');
    expect(provinceLabel('44', true)).toBe('44 Guangdong 广东');
    expect(provinceLabel('99')).toBe('99');
  });

  it('colours a heatmap cell blue when positive, red when negative, with its exact title', () => {
    const svg = heatmap({
      id: 'h',
      rows: ['a', 'b'],
      cols: ['x'],
      cells: [
        { row: 0, col: 0, value: 100n, title: 'plus <1>' },
        { row: 1, col: 0, value: -10_000n, title: 'minus' },
      ],
    });
    expect(count(svg, '<rect class="cell"')).toBe(2);
    expect(svg).toContain('hsl(215');
    expect(svg).toContain('hsl(0 ');
    expect(svg).toContain('<title>plus &lt;1&gt;</title>');
  });

  const seq: SequencePart = {
    messages: [
      { at: 10, sentAt: 5, from: 'app.0', to: 'wallet.00', kind: 'transfer.request', corr: 't1' },
      {
        at: 20,
        sentAt: 12,
        from: 'wallet.00',
        to: 'province.11',
        kind: 'account.reserve',
        corr: 't1',
      },
      {
        at: 30,
        sentAt: 25,
        from: 'province.11',
        to: 'wallet.00',
        kind: 'account.reserved',
        corr: 't1',
      },
      { at: 40, sentAt: 31, from: 'wallet.00', to: 'wallet.01', kind: 'wallet.credit', corr: 't2' },
    ],
    skipped: 7,
    violation: {
      at: 35,
      address: 'wallet.00',
      invariant: 'exactlyOnce',
      detail: 'credit applied twice for t1 <x>',
    },
    highlight: ['t2'],
    faults: [
      { type: 'crash', startMs: 12, endMs: 28, label: 'D0+00:00:00.012+16ms crash province.11' },
    ],
  };

  it('draws one arrow per delivery, the violating step and the ids it names in red', () => {
    const svg = sequenceDiagram(seq);
    expect(count(svg, '<g class="msg')).toBe(4);
    // The last delivery to wallet.00 at or before the violation is the violating step, and its
    // business id (t1) is followed too, beside the ids the violation named (t2).
    expect(count(svg, '<g class="msg violating"')).toBe(1);
    expect(svg).toMatch(/<g class="msg violating"><title>[^<]*account\.reserved t1/);
    expect(count(svg, '<g class="msg hl"')).toBe(3);
    expect(svg).toContain('exactlyOnce broken at D0+00:00:00.035');
    expect(svg).toContain('credit applied twice for t1 &lt;x&gt;');
    // Lanes in role order: app, wallets, provinces.
    const lanes = [...svg.matchAll(/class="lane-name"[^>]*>([^<]+)</g)].map((m) => m[1]);
    expect(lanes).toEqual(['app.0', 'wallet.00', 'wallet.01', 'province.11']);
    // The crashed province is shaded on its own lane only.
    expect(count(svg, '<rect class="down"')).toBe(1);
  });

  it("starts each arrow at its send time's row and ends it at its arrival's row", () => {
    const svg = sequenceDiagram(seq);
    const lines = [...svg.matchAll(/<line x1="[\d.]+" y1="([\d.]+)" x2="[\d.]+" y2="([\d.]+)"/g)];
    expect(lines).toHaveLength(4);
    for (const [, y1, y2] of lines) expect(Number(y1)).toBeLessThanOrEqual(Number(y2));
    // Sent at 25, between the deliveries at 20 and 30: the tail is on the row of the one at 30.
    expect(Number(lines[2]?.[1])).toBe(Number(lines[2]?.[2]));
  });
});
