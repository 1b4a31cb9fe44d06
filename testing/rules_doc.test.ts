// Keeps docs/RULES.md true to DOMAIN.md §2 and to the code:
// - one row per rule ID of DOMAIN §2's tables, none missing, none extra, in DOMAIN's order;
// - each row has one of the four statuses, an `out of scope` row its reason;
// - an `enforced` row names at least one test, each a real `it`/`test` (not skipped, not a
//   describe) whose name begins with the rule ID and a colon; any row's named tests exist;
// - the reason-code table lists exactly protocol/messages.ts REASONS.
// Test names are read from the sources (string literals, joined where a name is split with `+`),
// so a renamed test fails here with the row that cites it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { REASONS } from '../protocol/messages.ts';
import { FOLDERS } from './layers.ts';

const ROOT = process.cwd();
const DOMAIN_PATH = path.resolve(ROOT, '..', 'shared', 'DOMAIN.md');
const RULES_PATH = path.resolve(ROOT, 'docs', 'RULES.md');
const TEST_DIRS: readonly string[] = FOLDERS;
const TEST_FILE = /\.(?:test|property)\.ts$/;

const STATUSES = ['enforced', 'modelled', 'not yet', 'out of scope'] as const;
type Status = (typeof STATUSES)[number];

/** A DOMAIN rule ID as a table's first cell: E1, W19, K10 … */
const RULE_ID = /^[A-Z]\d+$/;

function readText(file: string, what: string): string {
  if (!existsSync(file)) {
    throw new Error(
      `${what} not found at ${file}. The rules guard reads DOMAIN.md from ../shared/ beside the ` +
        `repo and docs/RULES.md from the repo, resolved from the working directory (${ROOT}): ` +
        'run vitest from the repo root, with shared/ checked out next to it.',
    );
  }
  return readFileSync(file, 'utf8');
}

/** Cells of a markdown table row; `\|` inside a cell is not a separator. */
function cells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  return inner.split(/(?<!\\)\|/).map((cell) => cell.trim().replace(/\\\|/g, '|'));
}

function backticked(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');
}

/** The lines under a `## ` heading that starts with `title`, up to the next `## ` heading. */
function section(text: string, title: string, file: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`## ${title}`));
  if (start < 0) throw new Error(`${file}: no section "## ${title}"`);
  const end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  return lines.slice(start + 1, end < 0 ? lines.length : end);
}

/**
 * DOMAIN §2's rule IDs, in order, as of this commit. DOMAIN.md lives beside the repo, not in it,
 * so a clone without it still checks RULES.md against this list; where DOMAIN.md is present, a
 * test holds the list equal to it, so an edit there fails here until both are updated.
 */
const DOMAIN_RULE_IDS = (
  'E1 E2 E3 E4 E5 E6 E7 E8 E9 E10 ' +
  'W1 W2 W3 W4 W5 W6 W7 W8 W9 W10 W11 W12 W13 W14 W15 W16 W17 W18 W19 ' +
  'P1 P2 P3 P4 P5 D1 D2 D3 D4 D5 D6 D7 D8 D9 D10 D11 D12 C1 C2 C3 C4 C5 ' +
  'K1 K2 K3 K4 K5 K6 K7 K8 K9 K10'
).split(' ');

/** Rule IDs of DOMAIN §2: the list above (checked against DOMAIN.md where it is present). */
function domainRuleIds(): string[] {
  return DOMAIN_RULE_IDS;
}

/** Rule IDs of DOMAIN §2's tables, in order: rows `| E1 | …` between `## 2.` and `## 3.`. */
function domainRuleIdsFromFile(): string[] {
  const lines = section(readText(DOMAIN_PATH, 'DOMAIN.md'), '2.', 'DOMAIN.md');
  const ids = lines
    .filter((l) => l.startsWith('|'))
    .map((l) => cells(l)[0] ?? '')
    .filter((c) => RULE_ID.test(c));
  if (ids.length === 0)
    throw new Error('DOMAIN.md: §2 has no rule rows (`| E1 | … |`); has its layout changed?');
  return ids;
}

interface RuleRow {
  readonly id: string;
  readonly rule: string;
  readonly statusCell: string;
  readonly status: string | undefined;
  readonly where: string;
  readonly testCell: string;
  readonly line: number;
}

function rulesDoc(): string {
  return readText(RULES_PATH, 'docs/RULES.md');
}

/** Rows of the rules table: ID | rule | status | where | test. */
function ruleRows(problems: string[]): RuleRow[] {
  const text = rulesDoc();
  const lines = section(text, 'Rules', 'docs/RULES.md');
  const offset = text.split('\n').findIndex((l) => l.startsWith('## Rules')) + 2;
  const rows: RuleRow[] = [];
  lines.forEach((line, i) => {
    if (!line.startsWith('|')) return;
    const c = cells(line);
    const first = c[0] ?? '';
    if (first === 'ID' || /^:?-+:?$/.test(first)) return; // the header and its separator
    if (!RULE_ID.test(first)) {
      problems.push(
        `RULES.md line ${offset + i}: "${first}" is not a rule ID; ` +
          'rows of the rules table begin with a bare ID (W7, not `W7` or **W7**)',
      );
      return;
    }
    if (c.length !== 5) {
      problems.push(
        `RULES.md: ${first} row has ${c.length} cells; ` +
          'expected 5 (ID | rule | status | where | test)',
      );
    }
    const statusCell = c[2] ?? '';
    rows.push({
      id: first,
      rule: c[1] ?? '',
      statusCell,
      status: backticked(statusCell)[0],
      where: c[3] ?? '',
      testCell: c[4] ?? '',
      line: offset + i,
    });
  });
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Test names, as vitest sees them: `it('…')`, `test.concurrent('…' + '…')`, … in every test file.

interface Named {
  readonly file: string;
  /** `it`, `test` or `describe`, with its modifiers: `it.fails`, `test.skip` … */
  readonly call: string;
}

function testFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (TEST_FILE.test(entry.name)) files.push(full);
    }
  };
  for (const dir of TEST_DIRS) if (existsSync(path.join(ROOT, dir))) walk(path.join(ROOT, dir));
  return files.sort();
}

// A string literal: '…', "…", or a template without substitutions.
const STRING =
  String.raw`(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|` +
  String.raw`\`(?:[^\`\\$]|\\.|\$(?!\{))*\`)`;
const CALL = new RegExp(
  String.raw`\b(it|test|describe)((?:\.[A-Za-z]+)*)\s*\(\s*(${STRING}(?:\s*\+\s*${STRING})*)`,
  'g',
);
const STRING_ONLY = new RegExp(STRING, 'g');

function unquote(literal: string): string {
  return literal
    .slice(1, -1)
    .replace(/\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)/g, (_, e: string) => {
      if (e.startsWith('u{')) return String.fromCodePoint(parseInt(e.slice(2, -1), 16));
      if (/^u[0-9a-fA-F]{4}$/.test(e) || /^x[0-9a-fA-F]{2}$/.test(e))
        return String.fromCharCode(parseInt(e.slice(1), 16));
      return ({ n: '\n', t: '\t' } as Record<string, string>)[e] ?? e;
    });
}

function testNames(): Map<string, Named[]> {
  const names = new Map<string, Named[]>();
  for (const file of testFiles()) {
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(CALL)) {
      const name = (m[3]?.match(STRING_ONLY) ?? []).map(unquote).join('');
      const named: Named = {
        file: path.relative(ROOT, file).split(path.sep).join('/'),
        call: `${m[1]}${m[2]}`,
      };
      names.set(name, [...(names.get(name) ?? []), named]);
    }
  }
  return names;
}

/** Whether a call is a test that runs and must pass: not a describe, skip, todo or fails. */
function runs(named: Named): boolean {
  const [kind, ...modifiers] = named.call.split('.');
  return (
    kind !== 'describe' && !modifiers.some((m) => m === 'skip' || m === 'todo' || m === 'fails')
  );
}

/** Problems with one test a row names; `files` are the test files the same cell names. */
function checkNamedTest(
  row: RuleRow,
  name: string,
  files: readonly string[],
  index: ReadonlyMap<string, Named[]>,
): string[] {
  const problems: string[] = [];
  if (row.status === 'enforced' && !name.startsWith(`${row.id}:`)) {
    problems.push(
      `RULES.md: ${row.id} is \`enforced\` and names test \`${name}\`, ` +
        `which does not begin with "${row.id}:"`,
    );
  }
  const found = index.get(name) ?? [];
  const live = found.filter(runs);
  if (found.length === 0) {
    problems.push(`RULES.md: ${row.id} names test \`${name}\` which no test file contains`);
  } else if (live.length === 0) {
    const where = found.map((f) => `${f.call} in ${f.file}`).join(', ');
    problems.push(
      `RULES.md: ${row.id} names \`${name}\`, which is not a test that runs (${where})`,
    );
  } else if (files.length > 0 && !live.some((f) => files.includes(f.file))) {
    const where = live.map((f) => f.file).join(', ');
    problems.push(
      `RULES.md: ${row.id} names test \`${name}\` in ${files.join(', ')}, but it is in ${where}`,
    );
  }
  return problems;
}

describe('docs/RULES.md follows DOMAIN.md §2', () => {
  it("knows DOMAIN §2's rule IDs: the list here equals DOMAIN.md where it is checked out beside the repo", () => {
    expect(DOMAIN_RULE_IDS).toHaveLength(61);
    if (existsSync(DOMAIN_PATH)) expect(domainRuleIdsFromFile()).toEqual(DOMAIN_RULE_IDS);
  });

  it("has exactly one row per DOMAIN §2 rule ID, in DOMAIN's order", () => {
    const domain = domainRuleIds();
    const problems: string[] = [];
    const rows = ruleRows(problems);
    const documented = rows.map((r) => r.id);
    const seen = new Set<string>();
    for (const id of documented) {
      if (seen.has(id)) problems.push(`RULES.md: ${id} has more than one row`);
      seen.add(id);
    }
    for (const id of domain) {
      if (!seen.has(id)) problems.push(`RULES.md: no row for ${id} (DOMAIN.md §2 has it)`);
    }
    const known = new Set(domain);
    for (const id of seen) {
      if (!known.has(id)) problems.push(`RULES.md: row ${id} is not a rule ID of DOMAIN.md §2`);
    }
    // Order, over the IDs both have (each documented ID's first row).
    const both = domain.filter((id) => seen.has(id));
    const inDoc = [...new Set(documented)].filter((id) => known.has(id));
    const at = both.findIndex((id, i) => inDoc[i] !== id);
    if (at >= 0) {
      problems.push(
        `RULES.md: rows are out of DOMAIN's order: ` +
          `${inDoc[at]} comes where DOMAIN has ${both[at]} ` +
          `(after ${at === 0 ? 'the start' : both[at - 1]})`,
      );
    }
    expect(problems).toEqual([]);
  });

  it('gives every rule one of the four statuses, and every out-of-scope rule its reason', () => {
    const problems: string[] = [];
    const rows = ruleRows(problems);
    for (const row of rows) {
      if (!(STATUSES as readonly string[]).includes(row.status ?? '')) {
        problems.push(
          `RULES.md: ${row.id} has status cell "${row.statusCell}"; it must begin with one of ` +
            STATUSES.map((s) => `\`${s}\``).join(', '),
        );
      }
      if (row.rule === '') problems.push(`RULES.md: ${row.id} does not say what the rule is`);
    }
    // The out-of-scope list: items `- **E9** …` or `- **E9, E10** …`, one for each such row.
    const outRows = new Set(
      rows.filter((r) => r.status === ('out of scope' satisfies Status)).map((r) => r.id),
    );
    const listed = new Set<string>();
    for (const line of section(rulesDoc(), 'Out of scope', 'docs/RULES.md')) {
      const m = /^- \*\*([^*]+)\*\*\s*(.*)$/.exec(line.trim());
      if (m === null) continue;
      for (const id of (m[1] ?? '').split(/[,\s]+/).filter((s) => s !== '')) {
        listed.add(id);
        if ((m[2] ?? '').replace(/[\s:.—–-]/g, '') === '') {
          problems.push(`RULES.md: ${id} is listed as out of scope with no reason`);
        }
      }
    }
    for (const id of outRows) {
      if (!listed.has(id))
        problems.push(
          `RULES.md: ${id} is \`out of scope\` but the "Out of scope" list gives no reason for it`,
        );
    }
    for (const id of listed) {
      if (!outRows.has(id))
        problems.push(
          `RULES.md: the "Out of scope" list names ${id}, whose row is not \`out of scope\``,
        );
    }
    expect(problems).toEqual([]);
  });

  it('names, for every enforced rule, tests that exist and are named after it', () => {
    const problems: string[] = [];
    const rows = ruleRows(problems);
    const index = testNames();
    for (const row of rows) {
      const names = backticked(row.testCell);
      const files = [...row.testCell.matchAll(/[\w./-]+\.(?:test|property)\.ts/g)].map((m) => m[0]);
      for (const file of files) {
        if (!existsSync(path.join(ROOT, file)))
          problems.push(`RULES.md: ${row.id} cites ${file}, which does not exist`);
      }
      if (row.status === 'enforced') {
        if (row.where === '' || row.where === '—')
          problems.push(`RULES.md: ${row.id} is \`enforced\` but does not say where`);
        if (names.length === 0)
          problems.push(`RULES.md: ${row.id} is \`enforced\` but names no test`);
      }
      for (const name of names) problems.push(...checkNamedTest(row, name, files, index));
    }
    expect(problems).toEqual([]);
  });
});

describe('docs/RULES.md lists the closed set of reason codes', () => {
  it('lists every code of REASONS once, and no other', () => {
    const problems: string[] = [];
    const documented: string[] = [];
    for (const line of section(rulesDoc(), 'Reason codes', 'docs/RULES.md')) {
      if (!line.startsWith('|')) continue;
      const first = cells(line)[0] ?? '';
      const code = /^`([^`]+)`$/.exec(first)?.[1];
      if (code !== undefined) documented.push(code);
    }
    const reasons = new Set<string>(REASONS);
    const seen = new Set<string>();
    for (const code of documented) {
      if (seen.has(code))
        problems.push(`RULES.md: reason code \`${code}\` is listed more than once`);
      seen.add(code);
      if (!reasons.has(code))
        problems.push(`RULES.md: reason code \`${code}\` is not in protocol/messages.ts REASONS`);
    }
    for (const code of REASONS) {
      if (!seen.has(code))
        problems.push(
          `RULES.md: reason code \`${code}\` (protocol/messages.ts REASONS) ` +
            'is missing from "Reason codes"',
        );
    }
    expect(problems).toEqual([]);
  });
});
