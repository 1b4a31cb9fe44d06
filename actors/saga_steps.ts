// The shape every saga's waiting state shares: on entry, reset the attempt count and send the
// step; on its own timer (the current one only) or after a restart, count an attempt and send it
// again; the state's own transitions (`on`) decide what an answer does. `first` names actions to
// run before the step is sent (a bill's wallet part, taken locally in the same step).
// Each saga's setup defines `resetAttempt`, `nextAttempt`, `send` (params: the step's kind) and
// the guard `currentTimer`.
export function stepState<K extends string, On extends object, F extends string = never>(
  kind: K,
  on: On,
  first: readonly F[] = [],
) {
  const send = { type: 'send', params: kind } as const;
  return {
    entry: [...first, 'resetAttempt' as const, send],
    on: {
      timeout: { guard: 'currentTimer', actions: ['nextAttempt', send] },
      resume: { actions: ['nextAttempt', send] },
      ...on,
    },
  } as const;
}
