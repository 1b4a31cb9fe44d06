// The scenario schema against the code it describes: every setting of the defaults is a field
// of the schema and every field a setting (none accepted and then ignored, none unreachable);
// the default scenario, written as a file, passes; the published file is the schema itself.
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { PROTOCOL_DEFAULTS } from '../actors/config.ts';
import { NETWORK_DEFAULTS } from './network.ts';
import { POPULATION_DEFAULTS } from './population.ts';
import { DEFAULT_SCENARIO, scenarioFrom } from './scenario.ts';
import { scenarioFile } from './scenario_file.ts';
import { SCENARIO_SCHEMA, SCENARIO_SCHEMA_FILE, scenarioSchemaText } from './scenario_schema.ts';
import { WORKLOAD_DEFAULTS } from './workload.ts';

type Node = { properties?: Record<string, Node & { removed?: string }> };
const sections = (SCENARIO_SCHEMA as Node).properties ?? {};
const fieldsOf = (section: string) =>
  Object.entries(sections[section]?.properties ?? {})
    .filter(([, node]) => node.removed === undefined)
    .map(([name]) => name)
    .sort();

describe('the scenario schema', () => {
  it('has a field for every setting of the defaults, and no other', () => {
    expect(fieldsOf('protocol')).toEqual(Object.keys(PROTOCOL_DEFAULTS).sort());
    expect(fieldsOf('network')).toEqual(Object.keys(NETWORK_DEFAULTS).sort());
    expect(fieldsOf('workload')).toEqual(
      ['transfers', 'rates', ...Object.keys(WORKLOAD_DEFAULTS)].sort(),
    );
    // Two settings of the population are the generator's own, not a scenario's to change.
    const fixed = ['balanceSigma', 'lowBalanceShare'];
    const population = Object.keys(POPULATION_DEFAULTS).filter((k) => !fixed.includes(k));
    expect(fieldsOf('population')).toEqual(['wallets', 'nationalWallets', ...population].sort());
    expect(fieldsOf('topology')).toEqual(Object.keys(DEFAULT_SCENARIO.topology).sort());
    expect(fieldsOf('checks')).toEqual(Object.keys(DEFAULT_SCENARIO.checks).sort());
    const scripted = [
      'transfers',
      'binds',
      'ends',
      'enrolmentChanges',
      'opens',
      'bills',
      'contributions',
    ];
    expect(Object.keys(sections).sort()).toEqual(
      [...Object.keys(DEFAULT_SCENARIO), ...scripted].sort(),
    );
  });

  it('accepts the default scenario written as a file, which reads back as itself', () => {
    const file = JSON.parse(JSON.stringify(scenarioFile(DEFAULT_SCENARIO)));
    expect(scenarioFrom(file)).toEqual(DEFAULT_SCENARIO);
  });

  it('is the schema published in world/scenario.schema.json (npm run schema writes it)', () => {
    expect(readFileSync(SCENARIO_SCHEMA_FILE, 'utf8')).toBe(scenarioSchemaText());
  });
});
