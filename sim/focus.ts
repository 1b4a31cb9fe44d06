// A failure found only by the final checks (a transfer left unsettled, regions that disagree)
// has no violating step, and the run's last deliveries are about something else (a month's
// clearing, weeks later). Its counterexample is the story of the business ids the failure
// names: the simulator is deterministic, so the same scenario is run again and every delivery
// of those ids is kept, in order, for the sequence diagram.
import { decodeEnvelope } from '../protocol/index.ts';
import type { Scenario } from '../world/scenario.ts';
import type { RunPictures, SequenceMessage, SequencePart } from '../world/timeline.ts';
import { Simulation } from './simulation.ts';

const MESSAGES_MAX = 2000;

/** Tokens of a failure's details that could be business ids (t000123, b42, settlement ids). */
function namedIds(details: readonly string[]): Set<string> {
  const ids = new Set<string>();
  for (const detail of details)
    for (const token of detail.match(/\b[A-Za-z][\w.:-]*\d[\w.:-]*\b/g) ?? []) ids.add(token);
  return ids;
}

/**
 * The sequence of a final-check failure, refocused on the ids its details name: the same
 * scenario run again, keeping each delivery of those ids (at most 2,000, the first ones), or
 * null when the failure names none, or the focus finds none of its messages.
 */
function focusedSequence(
  scenario: Scenario,
  sequence: SequencePart,
  details: readonly string[],
): SequencePart | null {
  const candidates = namedIds(details);
  if (candidates.size === 0) return null;
  const messages: SequenceMessage[] = [];
  const seen = new Set<string>();
  let skipped = 0;
  new Simulation(scenario, {
    releaseSubmitted: true,
    onDelivery: (at, from, to, frame) => {
      let env;
      try {
        env = decodeEnvelope(frame);
      } catch {
        return;
      }
      if (!candidates.has(env.corr)) return;
      seen.add(env.corr);
      if (messages.length >= MESSAGES_MAX) {
        skipped++;
        return;
      }
      messages.push({ at, sentAt: env.sentAt, from, to, kind: env.kind, corr: env.corr });
    },
  }).run();
  if (messages.length === 0) return null;
  return {
    ...sequence,
    messages,
    skipped,
    highlight: [...seen],
    focused: true,
  };
}

/**
 * What report.html draws of a finished run that sampled its timeline: its pictures, with a
 * final-check failure's diagram refocused on the ids the failure names.
 */
export function reportPictures(sim: Simulation): RunPictures | null {
  const pictures = sim.pictures ?? null;
  const sequence = pictures?.sequence;
  if (pictures === null || sequence == null || sequence.violation.address !== null) return pictures;
  const details = [...sim.checkers.results.values()]
    .filter((inv) => !inv.ok)
    .map((inv) => inv.detail ?? '');
  const focused = focusedSequence(sim.scenario, sequence, details);
  return focused === null ? pictures : { ...pictures, sequence: focused };
}
