// Bad input to the NATS commands gets one clear error naming what is wrong (exit 2) and starts
// nothing; a missing journal stream is named with the command that creates it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { NatsCluster } from '../cluster/nats_server.ts';
import { clusterMain } from './cluster.ts';

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
    const code = await clusterMain(argv);
    return { code, stderr: err.join(''), stdout: out.join('') };
  } finally {
    e.mockRestore();
    o.mockRestore();
  }
}

describe('gongji host|load|check|provision|cluster: bad input', () => {
  const cases: Array<[string[], RegExp]> = [
    [['host', '--actors', 'province.11', '--servers', 'nats://127.0.0.1:4222'], /--name: required/],
    [
      ['host', '--name', 'a b', '--actors', 'province.11', '--servers', 'nats://127.0.0.1:4222'],
      /--name: required, letters/,
    ],
    [
      ['host', '--name', 'h', '--actors', 'bogus', '--servers', 'nats://127.0.0.1:4222'],
      /--actors: 'bogus' is not an actor address/,
    ],
    [
      ['host', '--name', 'h', '--actors', 'province.11', '--servers', 'http://x:1'],
      /--servers: 'http:\/\/x:1' is not nats:\/\/host:port/,
    ],
    [['host', '--name', 'h', '--actors', 'province.11'], /--servers: required/],
    [
      ['load', '--servers', 'nats://127.0.0.1:4222', '--rate', '0'],
      /--rate: expected a whole number ≥ 1, got '0'/,
    ],
    [
      ['load', '--servers', 'nats://127.0.0.1:4222', '--scope', 'nowhere'],
      /--scope: expected sameRegion \| sameProvince \| crossProvince/,
    ],
    [
      ['check', '--servers', 'nats://127.0.0.1:4222', '--actors', 'province.11', '--timeout', '5x'],
      /--timeout: expected a duration/,
    ],
    [['host', '--bogus'], /^unknown option '--bogus' \(gongji help-cluster lists the options\)$/],
    [['check', '--timeout'], /^--timeout needs a value$/],
    [
      [
        'host',
        '--name',
        'h',
        '--actors',
        'province.11',
        '--servers',
        'nats://127.0.0.1:4222',
        '--scenario',
        '/nonexistent.yaml',
      ],
      /--scenario: cannot read \/nonexistent.yaml: no such file/,
    ],
    [
      ['cluster', 'fault', 'route-0-1', 'cut', '--dir', '/nonexistent'],
      /no running cluster in \/nonexistent/,
    ],
    [['cluster', 'explode'], /cluster: unknown subcommand 'explode'/],
    [
      [
        'provision',
        '--servers',
        'nats://127.0.0.1:4222',
        '--actors',
        'province.11',
        '--replicas',
        '0',
      ],
      /--replicas: expected a whole number ≥ 1/,
    ],
  ];
  for (const [argv, message] of cases) {
    it(`${argv.join(' ')} → exit 2, ${message.source}`, async () => {
      const { code, stderr } = await run(argv);
      expect(code).toBe(2);
      // One line, the reason alone: no usage block, no stack.
      expect(stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(stderr.trimEnd().replace(/^gongji: /, '')).toMatch(message);
    });
  }
});

describe('gongji host against a real server', () => {
  let dir: string;
  let nats: NatsCluster;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gongji-cli-nats-'));
    nats = await NatsCluster.start({ nodes: 1, dir });
  }, 60_000);
  afterAll(async () => {
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('names the missing journal stream and the command that creates it (exit 3)', async () => {
    const { code, stderr } = await run([
      'host',
      '--name',
      'h',
      '--actors',
      'province.11',
      '--servers',
      nats.clientUrls()[0]!,
    ]);
    expect(code).toBe(3);
    expect(stderr).toMatch(
      /no journal stream GJ_province_11 for province.11: provision it first \(gongji provision/,
    );
  });

  it('refuses an actor the scenario does not have, before connecting (exit 2)', async () => {
    const { code, stderr } = await run([
      'host',
      '--name',
      'h',
      '--actors',
      'province.99',
      '--servers',
      nats.clientUrls()[0]!,
    ]);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /--actors: no actor 'province.99' in scenario cluster-demo \(actors: province.11/,
    );
  });

  it('provision creates the streams, idempotently', async () => {
    const argv = [
      'provision',
      '--servers',
      nats.clientUrls()[0]!,
      '--actors',
      'province.11,wallet.00',
    ];
    expect((await run(argv)).stdout).toMatch(/2 journal streams ready/);
    expect((await run(argv)).code).toBe(0);
  });
});
