// Every process docker-compose.yml runs is a `gongji` invocation this command line accepts: the
// flags of `provision`, `host`, `load` and `check` parse and validate as the commands themselves
// do (cli/cluster.ts), so the demo cannot ship a command that would exit 2.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { CLI, composeDeployment, natsService, renderCompose } from '../cluster/compose.ts';
import {
  clusterScenarioFlags,
  parseActors,
  parseClusterArgs,
  parseDuration,
  parseServers,
  wholeNumber,
} from './cluster.ts';

const { deployment, scenarioArgs } = composeDeployment();
const compose = parse(renderCompose(deployment, scenarioArgs)) as {
  services: Record<string, { readonly command?: readonly string[] }>;
};
const natsNames = Array.from({ length: deployment.natsNodes }, (_, node) => natsService(node));

/** Parse and validate as the `provision`, `host`, `load` and `check` commands do. */
function validate(args: readonly string[]): void {
  const { values, positionals } = parseClusterArgs(args);
  expect(['provision', 'host', 'load', 'check', 'dashboard']).toContain(positionals[0]);
  expect(positionals).toHaveLength(1);
  parseServers(values.servers);
  clusterScenarioFlags(values.scenario, values.seed);
  if (positionals[0] !== 'load') parseActors(values.actors);
  if (positionals[0] === 'host') expect(values.name).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  if (positionals[0] === 'load') wholeNumber(values.rate ?? '100', '--rate', 1);
  if (values.limit !== undefined) wholeNumber(values.limit, '--limit');
  if (positionals[0] === 'check') parseDuration(values.timeout, '--timeout', 0);
  if (positionals[0] === 'provision') wholeNumber(values.replicas ?? '1', '--replicas', 1);
  if (positionals[0] === 'dashboard') {
    expect(wholeNumber(values.port ?? '8080', '--port')).toBeLessThan(65_536);
    expect(values.bind).toBe('0.0.0.0'); // inside its container; published on 127.0.0.1 only
  }
}

describe('docker-compose.yml', () => {
  it('runs real gongji invocations, accepted by the CLI', () => {
    const clients = Object.entries(compose.services).filter(([name]) => !natsNames.includes(name));
    expect(clients.length).toBeGreaterThan(4);
    for (const [name, service] of clients) {
      const command = service.command ?? [];
      expect(command.slice(0, CLI.length), `${name} starts with ${CLI.join(' ')}`).toEqual([
        ...CLI,
      ]);
      const args = command.slice(CLI.length);
      expect(() => validate(args), `${name}: ${args.join(' ')}`).not.toThrow();
    }
  });

  it('the validation fails a command the CLI would refuse (negative control)', () => {
    expect(() => validate(['host', '--servers', 'nats://x:1', '--actors', 'nobody.1'])).toThrow();
    expect(() => validate(['load', '--servers', 'nats://x:1', '--rate', '0'])).toThrow();
  });
});
