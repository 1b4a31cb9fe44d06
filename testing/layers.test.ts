// The layer rules (testing/layers.ts), enforced on the repository: every source file sits in a
// layer, and no import goes against the direction. And the checker itself, on small broken
// trees: for every pair of layers it must accept exactly the imports the rules allow.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

import { describe, expect, it } from 'vitest';

import {
  type Folder,
  folderOf,
  FOLDERS,
  importViolations,
  RULES,
  type SourceFile,
} from './layers.ts';

const ROOT = join(import.meta.dirname, '..');
const SKIP = new Set(['node_modules', 'out', 'coverage', 'scratch']);

/** Every TypeScript and ES-module source of the repository, with its text. */
function repositorySources(): SourceFile[] {
  return readdirSync(ROOT, { recursive: true, encoding: 'utf8' })
    .filter((path) => /\.(ts|mjs)$/.test(path))
    .filter((path) => !path.split(/[\\/]/).some((part) => SKIP.has(part) || part.startsWith('.')))
    .map((path) => ({
      path: relative(ROOT, join(ROOT, path)).split('\\').join('/'),
      text: readFileSync(join(ROOT, path), 'utf8'),
    }));
}

/** A one-line file in `from` that imports a module of `to`. */
const importing = (from: Folder, to: Folder, test = false): SourceFile => ({
  path: `${from}/probe${test ? '.test' : ''}.ts`,
  text: `import { x } from '../${to}/module.ts';\n`,
});

describe('the repository keeps its layers', () => {
  const sources = repositorySources();

  it('has its sources in the layered folders (the root holds only tool configs)', () => {
    expect(sources.length).toBeGreaterThan(150);
    const stray = sources
      .filter((f) => folderOf(f.path) === undefined)
      .map((f) => f.path)
      .filter((path) => path.includes('/') || !/\.config\.(ts|mjs)$/.test(path));
    expect(stray).toEqual([]);
  });

  it('imports only along protocol ← actors ← host ← world ← {sim, cluster} ← cli', () => {
    expect(importViolations(sources)).toEqual([]);
  });

  it('keeps sim/ and cluster/ apart: neither imports the other', () => {
    const across = sources.filter(
      (f) =>
        (f.path.startsWith('sim/') && f.text.includes('../cluster/')) ||
        (f.path.startsWith('cluster/') && f.text.includes('../sim/')),
    );
    expect(across.map((f) => f.path)).toEqual([]);
  });
});

describe('the layer checker (negative controls)', () => {
  const pairs = FOLDERS.flatMap((from) => FOLDERS.map((to) => [from, to] as const));

  it.each(pairs)('%s/ importing %s/ is refused unless the rules allow it', (from, to) => {
    const allowed = from === to || RULES[from].imports.includes(to);
    const found = importViolations([importing(from, to)]);
    expect(found.length).toBe(allowed ? 0 : 1);
    if (!allowed) expect(found[0]?.why).toContain(`not ${to}/`);
  });

  it('refuses every import against the direction of the chain', () => {
    const chain: Folder[] = ['protocol', 'actors', 'host', 'world', 'sim', 'cli'];
    for (const [i, lower] of chain.entries()) {
      for (const higher of chain.slice(i + 1)) {
        expect(importViolations([importing(lower, higher)]), `${lower} → ${higher}`).toHaveLength(
          1,
        );
      }
    }
  });

  it('lets a test import testing/ and its folder, but not a layer above', () => {
    expect(importViolations([importing('sim', 'testing', true)])).toEqual([]);
    expect(importViolations([importing('sim', 'testing')])).toHaveLength(1);
    expect(importViolations([importing('actors', 'world', true)])).toHaveLength(1);
  });

  it('refuses I/O, NATS and other packages in the pure layers', () => {
    const file = (path: string, specifier: string): SourceFile => ({
      path,
      text: `import x from '${specifier}';\n`,
    });
    const refused = [
      file('protocol/a.ts', 'node:fs'),
      file('protocol/a.ts', 'xstate'),
      file('protocol/a.ts', 'yaml'),
      file('actors/a.ts', 'node:net'),
      file('host/a.ts', '@nats-io/transport-node'),
      file('sim/a.ts', '@nats-io/jetstream'),
    ];
    for (const f of refused) expect(importViolations([f]), f.text).toHaveLength(1);
    const accepted = [
      file('protocol/a.ts', 'msgpackr'),
      file('actors/a.ts', 'xstate'),
      file('world/a.ts', 'node:fs'),
      file('cluster/a.ts', '@nats-io/jetstream'),
    ];
    for (const f of accepted) expect(importViolations([f]), f.text).toEqual([]);
  });

  it('sees re-exports and dynamic imports too, and imports that leave the layers', () => {
    const reexport = { path: 'actors/a.ts', text: "export { y } from '../world/b.ts';\n" };
    const dynamic = { path: 'host/a.ts', text: "const m = await import('../cluster/b.ts');\n" };
    const outside = { path: 'world/a.ts', text: "import { z } from '../../elsewhere/c.ts';\n" };
    expect(importViolations([reexport, dynamic, outside]).map((v) => v.file)).toEqual([
      'actors/a.ts',
      'host/a.ts',
      'world/a.ts',
    ]);
  });
});
