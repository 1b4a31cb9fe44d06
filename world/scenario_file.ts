// Scenario files: read one (YAML or JSON) as plain data for `scenarioFrom`, and write a scenario
// back as a file that replays it (how a property's counterexample is saved), with a readable
// account of its scripted requests.
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

import { parseDocument } from 'yaml';

import { formatFen } from '../protocol/index.ts';
import { fmtTime } from './faults.ts';
import { jsonReplacer } from './json.ts';
import { type Scenario, ScenarioError } from './scenario.ts';

/** A scenario file is text of a few kilobytes; this bounds what a wrong path can cost. */
const FILE_BYTES_MAX = 64 * 1024 * 1024;

const READ_PROBLEMS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'a directory, not a file',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the name is too long',
};

/** The parsed content of a scenario file; what it means is `scenarioFrom`'s to say. */
export function readScenarioFile(path: string): unknown {
  let text: string;
  try {
    // Only a regular file of bounded size: a device or a pipe could be read forever.
    const stat = statSync(path);
    if (!stat.isFile())
      throw Object.assign(new Error(), { code: stat.isDirectory() ? 'EISDIR' : 'NOTFILE' });
    if (stat.size > FILE_BYTES_MAX) throw Object.assign(new Error(), { code: 'TOOBIG' });
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const why =
      code === 'NOTFILE'
        ? 'not a regular file'
        : code === 'TOOBIG'
          ? `larger than ${FILE_BYTES_MAX / 1024 / 1024} MB`
          : (READ_PROBLEMS[code] ?? (code || (error as Error).message));
    throw new ScenarioError(`cannot read ${path}: ${why}`);
  }
  const json = path.endsWith('.json');
  try {
    return json ? JSON.parse(text) : readYaml(text);
  } catch (error) {
    const first = (error as Error).message.split('\n')[0];
    throw new ScenarioError(`${path} is not valid ${json ? 'JSON' : 'YAML'}: ${first}`);
  }
}

/**
 * A YAML document's data. Errors throw, and so do warnings (an unresolved tag, say): the file
 * does not say what its author meant, and `parse` would print them on stderr as it went on.
 */
function readYaml(text: string): unknown {
  const doc = parseDocument(text);
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem !== undefined) throw problem;
  return doc.toJS();
}

/** A scenario's scripted lists. */
const SCRIPT_LISTS = [
  'transfers',
  'binds',
  'ends',
  'enrolmentChanges',
  'opens',
  'bills',
  'contributions',
] as const;

/** How many requests a scenario scripts, over every list. */
export function scriptSteps(scenario: Scenario): number {
  return SCRIPT_LISTS.reduce((n, list) => n + (scenario[list]?.length ?? 0), 0);
}

/** The scripted requests, one line each, in the order of the scenario's lists. */
export function describeScript(scenario: Scenario): string[] {
  const {
    transfers = [],
    binds = [],
    ends = [],
    enrolmentChanges = [],
    opens = [],
    bills = [],
    contributions = [],
  } = scenario;
  return [
    `transfers (${transfers.length}):`,
    ...transfers.map(
      (t) => `  ${fmtTime(t.at)} relation #${t.relation} ${formatFen(t.amount)} yuan`,
    ),
    `binds (${binds.length}):`,
    ...binds.map(
      (b) => `  ${fmtTime(b.at)} candidate #${b.candidate} claim ${b.claim}, face ${b.face}`,
    ),
    `ends (${ends.length}):`,
    ...ends.map((e) => `  ${fmtTime(e.at)} relation #${e.relation} revoked by the ${e.by}`),
    `enrolment changes (${enrolmentChanges.length}):`,
    ...enrolmentChanges.map((n) => `  ${fmtTime(n.at)} relation #${n.relation}'s donor`),
    `wallet openings (${opens.length}):`,
    ...opens.map((o) => `  ${fmtTime(o.at)} relation #${o.relation}'s recipient`),
    `bills (${bills.length}):`,
    ...bills.map(
      (b) =>
        `  ${fmtTime(b.at)} patient #${b.patient} ${b.care} care (${b.where}) ` +
        `${formatFen(b.amount)} yuan, ` +
        `POS ${b.action}${b.useWallet ? ', wallet' : ''}${b.emergency ? ', emergency' : ''}` +
        (b.aid === undefined ? '' : `, family aid #${b.aid}`),
    ),
    `contributions (${contributions.length}):`,
    ...contributions.map((c) =>
      c.candidate !== undefined && c.source === 'ACCOUNT'
        ? `  ${fmtTime(c.at)} candidate #${c.candidate} from the donor's account, no relation` +
          `${c.nextYear ? ', for next year' : ''}`
        : `  ${fmtTime(c.at)} relation #${c.relation} from the ` +
          `${c.source === 'ACCOUNT' ? "donor's account" : "recipient's wallet"}` +
          `${c.nextYear ? ', for next year' : ''}`,
    ),
  ];
}

/**
 * Write a scenario as a file that `gongji run --scenario FILE` replays (directories made as
 * needed).
 */
export function writeScenarioFile(scenario: Scenario, file: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(scenarioFile(scenario), jsonReplacer, 2)}\n`);
}

/** A scenario as a file `scenarioFrom` reads back: amounts as yuan text, times in ms. */
export function scenarioFile(scenario: Scenario): Record<string, unknown> {
  return {
    name: scenario.name,
    seed: scenario.seed,
    topology: scenario.topology,
    population: scenario.population,
    workload: scenario.workload,
    // Fen bounds as whole numbers of fen (the JSON replacer would write yuan text).
    protocol: Object.fromEntries(
      Object.entries(scenario.protocol).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]),
    ),
    network: scenario.network,
    storeSyncMs: scenario.storeSyncMs,
    writeAhead: scenario.writeAhead,
    atomicBatches: scenario.atomicBatches,
    faults: scenario.faults,
    transfers: scenario.transfers,
    binds: scenario.binds,
    ends: scenario.ends,
    enrolmentChanges: scenario.enrolmentChanges,
    opens: scenario.opens,
    bills: scenario.bills,
    contributions: scenario.contributions,
    checks: scenario.checks,
  };
}
