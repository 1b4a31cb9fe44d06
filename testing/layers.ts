// The layers of the tree and the imports each may make, as data, and a checker over source texts.
// `testing/layers.test.ts` runs it on the repository (and on broken trees it must reject), so an
// import against the direction fails `npm test`:
//
//   protocol ← actors ← host ← world ← { sim, cluster } ← cli
//                                 world ← report ← { cluster, cli }
//                                   sim ← properties ← cli
//
// sim/ and cluster/ are siblings: neither imports the other. report/ (report.html) draws what
// world/ describes, for both runtimes. properties/ (fast-check suites) sit on sim/; cli/ may
// import them because `npm run soak` (cli/soak.ts) runs the same suites as `npm test`, for
// longer. bench/ sits on both runtimes, testing/ (shared test helpers) on host/. A test file
// may import what its folder may, its own folder, and testing/.
import ts from 'typescript';

export type Folder =
  | 'protocol'
  | 'actors'
  | 'host'
  | 'world'
  | 'sim'
  | 'cluster'
  | 'cli'
  | 'report'
  | 'properties'
  | 'bench'
  | 'scripts'
  | 'testing'
  | 'bin';

interface Rule {
  /** Folders this one may import from (besides itself). */
  readonly imports: readonly Folder[];
  /** Packages it may not import: a prefix of the specifier (`node:fs`, `@nats-io/`). */
  readonly bannedPackages: readonly string[];
  /** When present, the only packages it may import at all. */
  readonly onlyPackages?: readonly string[];
}

/** Node modules that do I/O or read the clock: the pure layers must not see them. */
const IO_MODULES = [
  'node:fs',
  'node:net',
  'node:http',
  'node:https',
  'node:child_process',
  'node:worker_threads',
  'node:dgram',
  'node:timers',
  'node:os',
  'node:process',
];
const NATS = '@nats-io/';

export const RULES: Readonly<Record<Folder, Rule>> = {
  protocol: {
    imports: [],
    bannedPackages: [...IO_MODULES, NATS, 'xstate'],
    onlyPackages: ['decimal.js', 'msgpackr'],
  },
  actors: { imports: ['protocol'], bannedPackages: [...IO_MODULES, NATS] },
  host: { imports: ['protocol', 'actors'], bannedPackages: [...IO_MODULES, NATS] },
  world: { imports: ['protocol', 'actors', 'host'], bannedPackages: [NATS] },
  sim: { imports: ['protocol', 'actors', 'host', 'world'], bannedPackages: [NATS] },
  report: { imports: ['protocol', 'actors', 'world'], bannedPackages: [NATS, 'xstate'] },
  cluster: { imports: ['protocol', 'actors', 'host', 'world', 'report'], bannedPackages: [] },
  cli: {
    imports: ['protocol', 'actors', 'host', 'world', 'sim', 'cluster', 'report', 'properties'],
    bannedPackages: [],
  },
  properties: { imports: ['protocol', 'actors', 'host', 'world', 'sim'], bannedPackages: [NATS] },
  bench: {
    imports: ['protocol', 'actors', 'host', 'world', 'sim', 'cluster'],
    bannedPackages: [],
  },
  scripts: { imports: ['protocol', 'actors', 'host', 'world', 'cluster'], bannedPackages: [] },
  testing: { imports: ['protocol', 'actors', 'host'], bannedPackages: [NATS] },
  bin: { imports: ['cli'], bannedPackages: [] },
};

export const FOLDERS = Object.keys(RULES) as Folder[];

export interface SourceFile {
  /** Repository-relative, `/`-separated: `actors/wallet.machine.ts`. */
  readonly path: string;
  readonly text: string;
}

export interface Violation {
  readonly file: string;
  readonly specifier: string;
  readonly why: string;
}

/** Every module specifier of a file: static imports, re-exports and dynamic imports. */
function importsOf(text: string): string[] {
  const info = ts.preProcessFile(text, true, true);
  return info.importedFiles.map((f) => f.fileName);
}

/** The layer a repository path is in, or undefined outside every layer (the root's configs). */
export function folderOf(path: string): Folder | undefined {
  const top = path.split('/')[0] ?? '';
  return (FOLDERS as readonly string[]).includes(top) ? (top as Folder) : undefined;
}

/** Resolve `../world/x.ts` seen from `sim/y.ts` to `world/x.ts`. */
function resolveRelative(from: string, specifier: string): string {
  const parts = from.split('/').slice(0, -1);
  for (const part of specifier.split('/')) {
    if (part === '..') parts.pop();
    else if (part !== '.') parts.push(part);
  }
  return parts.join('/');
}

function isTest(path: string): boolean {
  return /\.(test|property)\.ts$/.test(path);
}

/**
 * The imports of `files` that go against RULES, each with the reason. A relative import must
 * stay inside the layered folders; a package import is checked against the folder's bans.
 */
export function importViolations(files: readonly SourceFile[]): Violation[] {
  const violations: Violation[] = [];
  for (const file of files) {
    const folder = folderOf(file.path);
    if (folder === undefined) continue;
    const rule = RULES[folder];
    const allowed = new Set<string>([folder, ...rule.imports]);
    if (isTest(file.path) && folder !== 'protocol') allowed.add('testing');
    for (const specifier of importsOf(file.text)) {
      const add = (why: string) => violations.push({ file: file.path, specifier, why });
      if (specifier.startsWith('.')) {
        const target = resolveRelative(file.path, specifier);
        const to = folderOf(target);
        if (to === undefined) add(`imports ${target}, outside the layered folders`);
        else if (!allowed.has(to)) {
          add(`${folder}/ may import only ${[...allowed].join(', ')}: not ${to}/`);
        }
      } else if (!isTest(file.path)) {
        const banned = rule.bannedPackages.find((p) => specifier.startsWith(p));
        if (banned !== undefined) add(`${folder}/ may not import ${banned}`);
        else if (rule.onlyPackages !== undefined && !rule.onlyPackages.includes(specifier)) {
          add(`${folder}/ may import only the packages ${rule.onlyPackages.join(', ')}`);
        }
      }
    }
  }
  return violations;
}
