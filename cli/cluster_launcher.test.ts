// The local launcher's folder rules and its answers when nothing (or something stale) runs:
// one launcher per folder, a previous run refused unless --fresh wipes it, process names
// checked before anything is sent, and `down` with nothing running is not an error.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it, vi } from 'vitest';

import { UsageError } from './args.ts';
import { clusterMain } from './cluster.ts';
import { claim } from './cluster_launcher.ts';

async function run(argv: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  const err: string[] = [];
  const out: string[] = [];
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err.push(String(chunk));
    return true;
  });
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out.push(String(chunk));
    return true;
  });
  try {
    return { code: await clusterMain(argv), stderr: err.join(''), stdout: out.join('') };
  } finally {
    e.mockRestore();
    o.mockRestore();
  }
}

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});
const folder = () => {
  const dir = mkdtempSync(join(tmpdir(), 'gongji-launcher-'));
  made.push(dir);
  return dir;
};

/** A folder as a launcher leaves it while it runs: its state file, its claim, its journals. */
function runningIn(dir: string, pid: number): void {
  mkdirSync(join(dir, 'nats'));
  writeFileSync(join(dir, 'launcher.pid'), `${pid}\n`);
  writeFileSync(
    join(dir, 'cluster.json'),
    JSON.stringify({ processControlPort: 1, processes: ['provinces-a', 'wallets', 'load'] }),
  );
}

describe('gongji cluster: one launcher per folder, no silent reuse of a run', () => {
  it('claims an empty folder, and gives it back on the way out', () => {
    const dir = folder();
    const release = claim(dir, false);
    expect(readFileSync(join(dir, 'launcher.pid'), 'utf8').trim()).toBe(String(process.pid));
    release();
    expect(existsSync(join(dir, 'launcher.pid'))).toBe(false);
  });

  it('refuses a folder a live launcher holds, even with --fresh', () => {
    const dir = folder();
    runningIn(dir, process.pid); // this process stands for a live launcher
    expect(() => claim(dir, true)).toThrow(
      new UsageError(
        `cluster up: a launcher (pid ${process.pid}) already runs in ${dir}: stop it with ` +
          `\`gongji cluster down --dir ${dir}\`, or choose another --dir`,
      ),
    );
    expect(existsSync(join(dir, 'nats'))).toBe(true); // nothing touched
  });

  it('refuses a previous run, naming what is there; --fresh wipes it and says so', () => {
    const dir = folder();
    mkdirSync(join(dir, 'nats'));
    writeFileSync(join(dir, 'result.json'), '{}');
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    expect(() => claim(dir, false)).toThrow(
      /holds a previous run \(nats, result\.json\); its journals would be restored .* add --fresh/,
    );
    expect(existsSync(join(dir, 'nats'))).toBe(true);
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      claim(dir, true)();
      expect(out).toHaveBeenCalledWith(
        `gongji cluster: --fresh: wiped the previous run in ${dir}\n`,
      );
    } finally {
      out.mockRestore();
    }
    expect(existsSync(join(dir, 'nats'))).toBe(false);
    expect(existsSync(join(dir, 'result.json'))).toBe(false);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine'); // not the run's: kept
  });

  it('kill, stop and start name the processes there are, and send nothing for a bad name', async () => {
    const dir = folder();
    runningIn(dir, process.pid);
    for (const sub of ['kill', 'stop', 'start']) {
      const { code, stderr, stdout } = await run(['cluster', sub, 'wallet', '--dir', dir]);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toBe(
        `gongji: cluster ${sub}: no process named 'wallet' in ${dir}; type one of: ` +
          'provinces-a, wallets, load\n',
      );
    }
  });

  it("down with nothing running says so and succeeds; a dead launcher's state is cleared", async () => {
    const empty = folder();
    expect(await run(['cluster', 'down', '--dir', empty])).toEqual({
      code: 0,
      stderr: '',
      stdout: `gongji cluster: nothing runs in ${empty}\n`,
    });
    const stale = folder();
    runningIn(stale, 2 ** 22 + 12_345); // above Linux's pid_max default: no such process
    const { code, stdout } = await run(['cluster', 'down', '--dir', stale]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/nothing runs in .*; its launcher had stopped without cleaning up/);
    expect(existsSync(join(stale, 'cluster.json'))).toBe(false);
    expect(existsSync(join(stale, 'nats'))).toBe(true); // the run's journals stay
  });

  it('a launcher that does not answer is a failure (exit 3), not bad input', async () => {
    const dir = folder();
    runningIn(dir, process.pid);
    const { code, stderr } = await run(['cluster', 'kill', 'wallets', '--dir', dir]);
    expect(code).toBe(3);
    expect(stderr).toMatch(/^gongji: cannot reach the launcher of .*: connect ECONNREFUSED/);
  });
});
