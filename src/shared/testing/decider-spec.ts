import { Decider, fold, Message } from '../domain/decider';
import { DomainError } from '../domain/domain-error';

/**
 * Given / when / then for deciders:
 *   spec(addonDecider).given(e1, e2).when(cmd).then(e3)
 *   spec(addonDecider).given(e1).when(cmd).thenFails('BACKUP.NOT_AVAILABLE_ON_SANDBOX')
 */
export function spec<S, C extends Message, E extends Message>(decider: Decider<S, C, E>) {
  return {
    given(...events: E[]) {
      const state = fold(decider, events);
      return {
        state,
        when(command: C) {
          const run = () => decider.decide(command, state);
          return {
            then(...expected: E[]): void {
              expect(run()).toEqual(expected);
            },
            /** Only the listed events, compared by `toMatchObject` (for data with generated parts). */
            thenMatches(...expected: Array<Partial<E> & { type: E['type'] }>): void {
              const actual = run();
              expect(actual).toHaveLength(expected.length);
              expected.forEach((e, i) => expect(actual[i]).toMatchObject(e));
            },
            thenNothing(): void {
              expect(run()).toEqual([]);
            },
            thenFails(code: string, details?: Record<string, unknown>): DomainError {
              let error: unknown;
              try {
                run();
              } catch (caught) {
                error = caught;
              }
              expect(error).toBeInstanceOf(DomainError);
              expect((error as DomainError).code).toBe(code);
              if (details) expect((error as DomainError).details).toMatchObject(details);
              return error as DomainError;
            },
          };
        },
      };
    },
  };
}
