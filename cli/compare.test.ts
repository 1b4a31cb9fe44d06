// gongji compare: designs run on the same scenario, seeds and faults, side by side in
// compare.json and compare.html, each design's first run with its own report; a broken variant
// compared shows its violations and exits 1; bad input is refused before any run (exit 2).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it, vi } from 'vitest';

import type { Comparison } from '../world/comparison.ts';
import { main } from './main.ts';

const small = ['--wallets', '2000', '--transfers', '1000'];

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function compare(args: string[]): { code: number; out: string; stderr: string; stdout: string } {
  const out = mkdtempSync(join(tmpdir(), 'gongji-compare-'));
  made.push(out);
  const err: string[] = [];
  const std: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err.push(String(chunk));
    return true;
  });
  const spyOut = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    std.push(String(chunk));
    return true;
  });
  try {
    const code = main(['compare', ...small, ...args, '--out', out]) as number;
    return { code, out, stderr: err.join(''), stdout: std.join('') };
  } finally {
    spy.mockRestore();
    spyOut.mockRestore();
  }
}

describe('gongji compare', () => {
  it('runs every design on the same seeds and faults, and writes them side by side', () => {
    const { code, out } = compare(['--variants', 'reference,debitFirst', '--seeds', '3,4']);
    expect(code).toBe(0);
    const c = JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8')) as Comparison;
    expect(c.designs.map((d) => d.name)).toEqual(['reference', 'debitFirst']);
    expect(c.runs.map((r) => `${r.design}:${r.seed}`)).toEqual([
      'reference:3',
      'reference:4',
      'debitFirst:3',
      'debitFirst:4',
    ]);
    for (const run of c.runs) {
      expect(run.ok, run.design).toBe(true);
      expect(run.transfersAccepted).toBeGreaterThan(100);
      expect(run.messagesPerTransfer).toBeGreaterThan(5);
      expect(run.writesPerTransfer).toBeGreaterThan(5);
      expect(run.livenessAfterHealMs).not.toBeNull();
    }
    // The same seed is the same world for both designs: the same requests were accepted
    // (within the few a raced balance decides differently).
    const [ref3, , first3] = c.runs;
    expect(
      Math.abs((ref3?.transfersAccepted ?? 0) - (first3?.transfersAccepted ?? 0)),
    ).toBeLessThan(10);
    // debitFirst spends one round trip fewer on the donor's province.
    const mean = (design: string) =>
      c.runs.filter((r) => r.design === design).reduce((a, r) => a + r.messagesPerTransfer, 0);
    expect(mean('debitFirst')).toBeLessThan(mean('reference'));
    const html = readFileSync(join(out, 'compare.html'), 'utf8');
    expect(html).toContain('<table id="comparison">');
    expect(html.match(/<rect class="bar"/g)?.length).toBe(2 * 8);
    expect(html).toContain('None: every design held every invariant on every seed.');
    for (const design of ['reference', 'debitFirst'])
      expect(existsSync(join(out, design, 'report.html')), design).toBe(true);
  });

  it('a broken variant compared is caught: its violations are listed, and it exits 1', () => {
    const { code, out, stdout } = compare(['--variants', 'reference,noDedup', '--seeds', '1']);
    expect(code).toBe(1);
    // The table on stdout: a row per design, the broken one's violations counted.
    expect(stdout).toMatch(/^ {2}reference +0 /m);
    expect(stdout).toMatch(/^ {2}noDedup +[1-9]\d* /m);
    expect(stdout).toMatch(/wrote .*compare\.html/);
    const c = JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8')) as Comparison;
    expect(c.runs.find((r) => r.design === 'reference')?.ok).toBe(true);
    const broken = c.runs.find((r) => r.design === 'noDedup');
    expect(broken?.violations.map((v) => v.invariant)).toContain('exactlyOnce');
    expect(readFileSync(join(out, 'compare.html'), 'utf8')).toMatch(
      /<ul id="violations"><li><b>noDedup<\/b>, seed 1: <b>/,
    );
  });

  it('--vary sets one knob per design, as a scenario field', () => {
    const { code, out } = compare(['--variants', 'reference', '--vary', 'storeSyncMs=1,40']);
    expect(code).toBe(0);
    const c = JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8')) as Comparison;
    expect(c.designs).toEqual([
      { name: 'reference storeSyncMs=1', variant: 'reference', knobs: { storeSyncMs: 1 } },
      { name: 'reference storeSyncMs=40', variant: 'reference', knobs: { storeSyncMs: 40 } },
    ]);
    const [fast, slow] = c.runs;
    expect(fast?.traceHash).not.toBe(slow?.traceHash);
    expect(slow?.latencyMs.p50).toBeGreaterThan(fast?.latencyMs.p50 ?? Infinity);
  });

  const refused: Array<[string[], RegExp]> = [
    [['--variants', 'reference,bogus'], /^--variants: no variant 'bogus'; the variants are /],
    [['--variants', 'reference'], /^compare needs two designs or more/],
    [['--variants', 'reference,reference'], /^--variants: a variant is named twice/],
    [['--vary', 'storeSyncMs'], /^--vary: expected FIELD=v1,v2/],
    [['--vary', 'storeSyncMs=1,'], /^--vary storeSyncMs=1,: a value is empty/],
    [
      ['--vary', 'storeSyncMs=-5,1'],
      /^--vary storeSyncMs: scenario\.storeSyncMs: expected a whole/,
    ],
    [['--vary', 'protocol.nope=1,2'], /^--vary protocol.nope: /],
    [['--seeds', '1,x'], /^--seeds: expected whole numbers/],
    [['--seeds', '1,1'], /^--seeds: 1,1 names a seed twice/],
    [['--variant', 'debitFirst'], /^--variant: gongji compare takes --variants a,b/],
  ];
  for (const [args, message] of refused) {
    it(`${args.join(' ')} → exit 2 before any run: ${message.source}`, () => {
      const { code, out, stderr } = compare(args);
      expect(code).toBe(2);
      expect(stderr.replace(/^gongji: /, '')).toMatch(message);
      expect(existsSync(join(out, 'compare.json'))).toBe(false);
    });
  }

  it("--variants on gongji run is refused: it is compare's", () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(main(['run', '--variants', 'a,b', '--quiet'])).toBe(2);
      expect(err).toHaveBeenCalledWith(
        'gongji: --variants is for gongji compare, not gongji run\n',
      );
    } finally {
      err.mockRestore();
    }
  });
});
