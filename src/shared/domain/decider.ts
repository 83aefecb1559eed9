/** A message of the domain: a tagged union member. Events are past tense, commands imperative. */
export interface Message<TType extends string = string, TData = unknown> {
  type: TType;
  data: TData;
}

/**
 * An aggregate's rules as three pure functions. `decide` returns the events a command
 * produces (possibly none, when it is already satisfied) or throws a `DomainError`.
 */
export interface Decider<TState, TCommand extends Message, TEvent extends Message> {
  initialState(): TState;
  evolve(state: TState, event: TEvent): TState;
  decide(command: TCommand, state: TState): TEvent[];
}

export function fold<TState, TEvent extends Message>(
  decider: Pick<Decider<TState, Message, TEvent>, 'initialState' | 'evolve'>,
  events: readonly TEvent[],
): TState {
  return events.reduce((state, event) => decider.evolve(state, event), decider.initialState());
}

/** Ends a `switch` over a union: a new member that is not handled fails to compile. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`Unhandled ${what}: ${JSON.stringify(value)}`);
}
