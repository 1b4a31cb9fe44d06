// The output directory of a run, made ready before any work starts: every part of the path
// that exists must be a directory, the missing parts are made one at a time (Node's own
// recursive mkdir never returns for some paths, /proc/nope among them), and the directory must
// take a file. A path that fails gets one line naming it and what to do; a directory made here
// for a run that is then refused is removed again, so bad input changes nothing.
import { accessSync, constants, mkdirSync, rmdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

import { UsageError } from './args.ts';

export interface OutDir {
  readonly path: string;
  /** Remove what was made here (the run was refused): the deepest first, only if still empty. */
  undo(): void;
}

export function prepareOutDir(path: string, flag = '--out'): OutDir {
  if (path.length === 0) throw new UsageError(`${flag}: expected a directory, got ''`);
  if (path.includes('\0')) throw new UsageError(`${flag}: a path cannot hold a NUL character`);
  const absolute = resolve(path);
  const missing: string[] = [];
  let existing = absolute;
  for (;;) {
    const kind = kindOf(existing);
    if (kind === 'missing') {
      missing.unshift(existing);
      const parent = dirname(existing);
      if (parent === existing) break;
      existing = parent;
      continue;
    }
    if (kind !== 'directory') {
      throw new UsageError(`${flag} ${path}: ${existing} is not a directory: choose another path`);
    }
    break;
  }
  const made: string[] = [];
  const undo = () => {
    for (const dir of made.reverse()) {
      try {
        rmdirSync(dir);
      } catch {
        // Not empty any more, or gone: leave it.
      }
    }
  };
  for (const dir of missing) {
    try {
      mkdirSync(dir);
      made.push(dir);
    } catch (error) {
      undo();
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new UsageError(
        `${flag} ${path}: cannot make ${dir} (${describeCode(reason)}): choose a directory you ` +
          'can write',
      );
    }
  }
  try {
    accessSync(absolute, constants.W_OK | constants.X_OK);
  } catch {
    undo();
    throw new UsageError(`${flag} ${path}: the directory is not writable: choose another`);
  }
  return { path: absolute, undo };
}

function kindOf(path: string): 'missing' | 'directory' | 'other' {
  try {
    return statSync(path).isDirectory() ? 'directory' : 'other';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ENOTDIR: a part above is a file; the walk up finds it and names it.
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
    throw new UsageError(`--out: cannot look at ${path} (${describeCode(code ?? '?')})`);
  }
}

const CODES: Readonly<Record<string, string>> = {
  ENOENT: 'its parent does not take new directories',
  EACCES: 'permission denied',
  EPERM: 'not permitted',
  EROFS: 'a read-only file system',
  ENOTDIR: 'a part of it is not a directory',
  ENOSPC: 'no space left',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
};

function describeCode(code: string): string {
  return CODES[code] ?? code;
}
