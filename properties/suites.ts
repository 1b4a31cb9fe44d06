// The property suites as data: what each draws and what it requires of a run. The vitest
// properties (transfer.property.ts) and `npm run soak` (cli/soak.ts) run the same list, so a
// soak finds exactly the failures the suites would, only more of them.
import type fc from 'fast-check';

import type { ProtocolVariant } from '../actors/config.ts';
import type { Simulation } from '../sim/simulation.ts';
import { detectOnly } from '../world/faults.ts';
import type { Scenario } from '../world/scenario.ts';
import { scenarioArb } from './arbitraries.ts';
import { failedInvariants, runScenario } from './harness.ts';

export interface Suite {
  /** A short name: what `--suite` selects and what a soak's files are named after. */
  readonly name: string;
  readonly what: string;
  readonly arbitrary: fc.Arbitrary<Scenario>;
  /** Null when the run is what the suite requires; else why not, in one line. */
  verdict(sim: Simulation): string | null;
  /** How many runs `npm test` makes of it. */
  readonly runs: number;
}

function invariantsVerdict(sim: Simulation): string | null {
  const failed = failedInvariants(sim);
  if (failed.length === 0) return null;
  return failed.map((n) => `${n}: ${sim.checkers.results.get(n as never)?.detail}`).join('; ');
}

function everyInvariant(variant: ProtocolVariant, runs: number, what: string): Suite {
  return {
    name: variant,
    what,
    arbitrary: scenarioArb(variant, { writeAhead: true }),
    verdict: invariantsVerdict,
    runs,
  };
}

/** The only invariants optimisticCredit may break: a credit clawed back too late. */
const LOSS_ONLY = new Set(['lifecycle', 'liabilityMatches', 'walletLiability']);

/**
 * optimisticCredit can lose: a charge refused after the recipient received the credit leaves a
 * wallet claim no donor paid. That must be the only thing that ever goes wrong, and the checks
 * must name it; anything else is a bug of the design's implementation.
 */
function lossOnlyVerdict(sim: Simulation): string | null {
  const failed = failedInvariants(sim);
  if (failed.length === 0) return null;
  const lifecycle = sim.checkers.results.get('lifecycle')?.detail ?? '';
  const named =
    failed.every((name) => LOSS_ONLY.has(name)) &&
    /rejected but the wallet credited it/.test(lifecycle) &&
    !/not terminal|after its bound|committed|reserved/.test(lifecycle);
  return named ? null : `not a late claw-back: ${invariantsVerdict(sim)}`;
}

/**
 * Faults the protocol can only detect (a wipe, a disk that lies, a trusted peer that lies): a run
 * may fail, but only where such a fault did damage, and the checks must name it: `durability`
 * names the node and records a wipe or a lying disk lost; a lie's damage is named by the id it
 * was told about (as told, or as forged) in most runs, and always by this: without the lies the
 * same scenario holds. A failure with neither is a bug the faults exposed.
 */
function namedDamageVerdict(sim: Simulation): string | null {
  const failed = failedInvariants(sim);
  if (failed.length === 0) return null;
  if (!(sim.checkers.results.get('durability')?.ok ?? true)) return null;
  const lied = sim.network.liedAbout;
  if (lied.size === 0) return `failed with no data lost and no lie told: ${invariantsVerdict(sim)}`;
  // The lies did it: without the faults the protocol can only detect, the same run holds.
  const { scenario } = sim;
  const honest = { ...scenario, faults: scenario.faults.filter((f) => !detectOnly(f)) };
  if (runScenario(honest).checkers.ok) return null;
  return `fails without its lies too: ${invariantsVerdict(sim)}`;
}

export const SUITES: readonly Suite[] = [
  everyInvariant('reference', 300, 'the reference protocol: every invariant holds on every run'),
  everyInvariant(
    'debitFirst',
    300,
    'debitFirst (charge, credit, compensate): every invariant holds on every run',
  ),
  {
    name: 'clearing',
    what:
      "the reference with a month's national clearing to do and every fault drawn at it: " +
      'every invariant holds on every run',
    arbitrary: scenarioArb('reference', { writeAhead: true, focus: 'clearing' }),
    verdict: invariantsVerdict,
    runs: 100,
  },
  {
    name: 'damage',
    what:
      'the reference under faults it can only detect (wipes, lying disks, lying peers): ' +
      'what fails is their damage, and the checks name it',
    arbitrary: scenarioArb('reference', { survivable: false }),
    verdict: namedDamageVerdict,
    runs: 150,
  },
  {
    name: 'clearingLies',
    what:
      "the month's national clearing with its parties lying (settlement's or a province's " +
      'messages with a wrong id, amount or target; a figure disputed, K10): what fails is ' +
      'their damage, and the checks name it',
    arbitrary: scenarioArb('reference', {
      survivable: false,
      focus: 'clearing',
      faultTypes: ['peer'],
    }),
    verdict: namedDamageVerdict,
    runs: 100,
  },
  {
    name: 'optimisticCredit',
    what: 'optimisticCredit: whatever fails is a credit clawed back too late, and says so',
    arbitrary: scenarioArb('optimisticCredit', { writeAhead: true }),
    verdict: lossOnlyVerdict,
    runs: 200,
  },
];

/**
 * Negative controls a soak runs only when named (`npm run soak -- --suite noDedup`), never by
 * default nor in `npm test` (runs 0): a broken variant the every-invariant verdict must catch,
 * so that the soak's own failure path (shrink, scenario file, report.html, exit 1) is tested.
 */
export const CONTROL_SUITES: readonly Suite[] = [
  everyInvariant(
    'noDedup',
    0,
    'negative control: a recipient without dedup credits twice, and the soak catches it',
  ),
];

/** A suite or a negative control by name; an unknown name's error lists both. */
export function suiteNamed(name: string): Suite {
  const suite = [...SUITES, ...CONTROL_SUITES].find((s) => s.name === name);
  if (suite === undefined)
    throw new Error(
      `no suite '${name}': the suites are ${SUITES.map((s) => s.name).join(', ')} ` +
        `(negative controls: ${CONTROL_SUITES.map((s) => s.name).join(', ')})`,
    );
  return suite;
}
