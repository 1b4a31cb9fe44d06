// The README's main command on the default scenario: 31 provinces, 100,000 wallets, a day of
// 24,000 requests and the default fault schedule. It must exit 0 with every invariant ok and
// transfers of all three scopes completed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { expect, it } from 'vitest';

it('npm start on the default scenario exits 0 with every invariant ok', () => {
  const out = mkdtempSync(join(tmpdir(), 'gongji-default-'));
  const res = spawnSync(
    process.execPath,
    ['--max-semi-space-size=64', '--import', 'tsx', 'cli/main.ts', 'run', '--out', out],
    {
      encoding: 'utf8',
      timeout: 240_000,
    },
  );
  expect(res.status, res.stdout + res.stderr).toBe(0);
  const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
  expect(result.population).toMatchObject({ provinces: 31, wallets: 100_000 });
  expect(result.population.regions).toBeGreaterThan(350);
  for (const invariant of Object.values(result.invariants) as Array<{ ok: boolean }>)
    expect(invariant.ok).toBe(true);
  expect(result.counts['transfer.crossProvince.completed']).toBeGreaterThan(4_000);
  expect(result.counts['transfer.sameRegion.completed']).toBeGreaterThan(4_000);
  expect(result.counts['transfer.sameProvince.completed']).toBeGreaterThan(2_000);
  expect(result.faults.length).toBeGreaterThanOrEqual(9);
  expect(result.network.droppedAtCrashedNode + result.network.droppedByPartition).toBeGreaterThan(
    0,
  );
  expect(res.stdout).toContain('all invariants hold');
}, 300_000);
